//! Scheduled events: what a scenario says happens to its system at a given time of the run
//! (docs/model.md EV-1 to EV-8). Validated: every name resolves, and no event contradicts the
//! state the events before it leave (a crash of a server already down, a register of a target
//! already registered, ...). [`crate::timeline`] turns them, with the health checks they cause,
//! into the states a run goes through.
//!
//! Security-group rules revoked and authorized (EV-7) and listener weights changed (EV-8) are
//! events too. Not modelled yet: endpoint subnets added or removed and zonal shift as events
//! (the time issue lists them; the open items say which).

use crate::model::ids::{
    InstanceId, ListenerId, LoadBalancerId, SecurityGroupId, TargetGroupId, TargetId, ZoneId,
};
use crate::model::{CrossZoneSetting, Direction};
use crate::time::SimTime;

/// One scheduled event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happens, from the start of the run.
    pub at: SimTime,
    /// What happens.
    pub action: Action,
    /// Its position in the file's `[[events]]` (key path `events[index]`).
    pub index: usize,
    /// How reports name it: the `description` given, or one made from the action.
    pub label: String,
}

/// What an event does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The instance's web server stops answering: connections and checks to it are refused
    /// (EV-1); the instance keeps running.
    Crash(InstanceId),
    /// The web server answers again.
    Recover(InstanceId),
    /// The instance's web server answers requests in `response_time` from now on (EV-9): a TCP
    /// check only needs the handshake, so its health does not change.
    Slow {
        /// The instance.
        instance: InstanceId,
        /// Its response time.
        response_time: crate::time::Span,
    },
    /// A subnet is added to (`active`) or removed from an interface endpoint: its ENI appears in
    /// or leaves the endpoint's DNS answers, and a removed ENI's address answers nothing (EV-10).
    EndpointSubnet {
        /// The ENI of that subnet.
        eni: crate::model::ids::EniId,
        /// Added (true) or removed.
        active: bool,
    },
    /// The instance stops: its targets are `unused` at once (`Target.InvalidState`, EV-2).
    Stop(InstanceId),
    /// The instance starts: its targets go through `initial` again (EV-2).
    Start(InstanceId),
    /// The target is deregistered: `draining` for the group's deregistration delay, then
    /// `unused`; no new connection from the instant of the event (EV-3).
    Deregister(TargetId),
    /// The target, deregistered before, is registered again: `initial` until it passes
    /// `healthy_threshold` checks (EV-3).
    Register(TargetId),
    /// The zone is impaired: its NLB nodes, endpoint ENIs and targets drop everything, or only
    /// its targets when `targets_only` (EV-4).
    ImpairZone {
        /// The physical zone (by AZ ID).
        zone: ZoneId,
        /// Only the targets fail; the zone's nodes and ENIs keep working.
        targets_only: bool,
    },
    /// The zone's impairment ends.
    RestoreZone(ZoneId),
    /// A zonal shift starts (`active`) or ends on a load balancer's node: its zone leaves (or
    /// comes back to) the load balancer's DNS answers; existing connections stay (EV-11).
    ZonalShift {
        /// The node of the shifted zone.
        node: crate::model::ids::NodeId,
        /// Started (true) or ended.
        active: bool,
    },
    /// The load balancer's `enable_cross_zone_load_balancing` changes (EV-5).
    LoadBalancerCrossZone {
        /// The load balancer.
        load_balancer: LoadBalancerId,
        /// The new value.
        enabled: bool,
    },
    /// The target group's `load_balancing.cross_zone.enabled` changes (EV-5).
    TargetGroupCrossZone {
        /// The target group.
        target_group: TargetGroupId,
        /// The new value.
        setting: CrossZoneSetting,
    },
    /// A rule of a security group is revoked: from the instant of the event, new connections
    /// (and health checks) no longer match it; established connections are not affected
    /// (stateful groups, EV-7).
    Revoke {
        /// The group.
        group: SecurityGroupId,
        /// Its ingress or egress list.
        direction: Direction,
        /// The rule's position in that list, as the scenario writes it.
        rule: usize,
    },
    /// A rule of a security group (revoked before, or written with `active = false`) is
    /// authorized: new connections may match it from the instant of the event (EV-7).
    Authorize {
        /// The group.
        group: SecurityGroupId,
        /// Its ingress or egress list.
        direction: Direction,
        /// The rule's position in that list.
        rule: usize,
    },
    /// A listener's forward gets new weights: new connections follow them from the instant of
    /// the event (EV-8). Its target groups stay those the scenario gives it.
    ListenerWeights {
        /// The listener.
        listener: ListenerId,
        /// The weights, an index in [`crate::model::Topology::listener_weight_sets`] (in the
        /// order of the listener's `forward`).
        weight_set: usize,
    },
}

impl Action {
    /// A revoke (`revoke`) or an authorize of rule `rule` of `group`'s `direction` list (EV-7).
    pub fn rule_change(
        revoke: bool,
        group: SecurityGroupId,
        direction: Direction,
        rule: usize,
    ) -> Action {
        if revoke {
            Action::Revoke {
                group,
                direction,
                rule,
            }
        } else {
            Action::Authorize {
                group,
                direction,
                rule,
            }
        }
    }
}
