//! What changes during a run, apart from the flows: the [`Admin`] state the scenario's events set
//! (instances running, servers answering, targets registered, zones impaired, cross-zone
//! settings, the security-group rules in force, the listeners' weights, zonal shifts), each
//! target's health as its checks leave it, which NLB node each endpoint ENI is bound to, and what
//! follows from them: each node's eligible targets per target group, and what each load
//! balancer's DNS name answers. A
//! [`State`] is one span of constant state; [`crate::timeline`] gives the states a run goes
//! through and when. The engines read states, never write them. [`crate::model::Topology`] is what
//! never changes.
//!
//! The ENI bindings are drawn once per run (docs/model.md PL-3: AWS binds an ENI at its first
//! connection and keeps the binding), keyed by the seed, so every variant and engine sees the
//! same ones.

use crate::model::events::Action;
use crate::model::ids::{
    EniId, InstanceId, LoadBalancerId, NodeId, SecurityGroupId, TargetGroupId, TargetId, ZoneId,
};
use crate::model::{CrossZoneSetting, Direction, SecurityGroup, Topology};
use crate::rules::health::{self, TargetHealth};
use crate::rules::nlb::dns::Regional;
use crate::rules::nlb::{self, Eligible};
use crate::rules::privatelink;
use crate::time::Span;

/// How a zone is impaired (docs/model.md EV-4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Impairment {
    /// Its NLB nodes, endpoint ENIs and targets drop every packet.
    Zone,
    /// Only its targets do.
    TargetsOnly,
}

/// What the scenario's events set: the state of each resource as an operator (or a fault) leaves
/// it. Health follows from it through the checks ([`crate::timeline`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Admin {
    /// Per instance: running (not stopped).
    pub running: Vec<bool>,
    /// Per instance: its web server answers (not crashed: EV-1).
    pub serving: Vec<bool>,
    /// Per instance: its web server's response time when an event changed it (EV-9).
    pub response_time: Vec<Option<Span>>,
    /// Per endpoint ENI: in its endpoint (EV-10).
    pub eni_active: Vec<bool>,
    /// Per target: registered in its group.
    pub registered: Vec<bool>,
    /// Per zone: impaired, and how.
    pub impaired: Vec<Option<Impairment>>,
    /// Per load balancer: `enable_cross_zone_load_balancing`.
    pub lb_cross_zone: Vec<bool>,
    /// Per target group: `load_balancing.cross_zone.enabled`.
    pub tg_cross_zone: Vec<CrossZoneSetting>,
    /// Which security-group rules are in their groups (EV-7).
    pub rules: RuleActivity,
    /// Per listener: its forward, (target group, weight), with the weights in force (EV-8); the
    /// groups are the scenario's, in its order.
    pub forward: Vec<Vec<(TargetGroupId, u16)>>,
    /// Per load balancer node: its zone is under a zonal shift, out of the load balancer's DNS
    /// (EV-11).
    pub shifted: Vec<bool>,
}

/// Which rules of each security group are in the group: as the scenario writes them (`active`),
/// then as `revoke` and `authorize` events leave them (EV-7). Only active rules match a new
/// connection ([`crate::rules::security`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleActivity {
    /// Per group, per direction ([`Direction::index`]), per rule.
    active: Vec<[Vec<bool>; 2]>,
}

impl RuleActivity {
    /// The rules of `groups` as written.
    pub fn initial(groups: &[SecurityGroup]) -> RuleActivity {
        let of = |rules: &[crate::model::SgRule]| rules.iter().map(|r| r.active).collect();
        RuleActivity {
            active: groups
                .iter()
                .map(|g| [of(&g.ingress), of(&g.egress)])
                .collect(),
        }
    }

    /// True when rule `rule` of `group`'s `direction` list is in the group.
    #[inline]
    pub fn active(&self, group: SecurityGroupId, direction: Direction, rule: usize) -> bool {
        self.active[group.index()][direction.index()][rule]
    }

    /// Puts the rule in its group (`true`) or takes it out.
    pub fn set(&mut self, group: SecurityGroupId, direction: Direction, rule: usize, on: bool) {
        self.active[group.index()][direction.index()][rule] = on;
    }

    /// Every rule whose activity differs from `other`'s: (group, direction, rule, active here).
    pub fn differences<'a>(
        &'a self,
        other: &'a RuleActivity,
    ) -> impl Iterator<Item = (SecurityGroupId, Direction, usize, bool)> + 'a {
        self.active
            .iter()
            .zip(&other.active)
            .enumerate()
            .flat_map(|(g, (mine, theirs))| {
                Direction::ALL.into_iter().flat_map(move |d| {
                    mine[d.index()]
                        .iter()
                        .zip(&theirs[d.index()])
                        .enumerate()
                        .filter(|(_, (a, b))| a != b)
                        .map(move |(r, (&a, _))| (SecurityGroupId::from_index(g), d, r, a))
                })
            })
    }
}

impl Admin {
    /// As the scenario describes the system, before any event.
    pub fn initial(t: &Topology) -> Admin {
        Admin {
            running: t.instances.iter().map(|i| i.running).collect(),
            serving: vec![true; t.instances.len()],
            response_time: vec![None; t.instances.len()],
            eni_active: t.enis.iter().map(|e| e.initially_active).collect(),
            registered: vec![true; t.targets.len()],
            impaired: vec![None; t.zones.len()],
            lb_cross_zone: t.load_balancers.iter().map(|lb| lb.cross_zone).collect(),
            tg_cross_zone: t.target_groups.iter().map(|g| g.cross_zone).collect(),
            rules: RuleActivity::initial(&t.security_groups),
            forward: t.listeners.iter().map(|l| l.forward.clone()).collect(),
            shifted: vec![false; t.nodes.len()],
        }
    }

    /// Applies one event's action (of `t`'s events: a weights change reads its weights there).
    pub fn apply(&mut self, t: &Topology, action: &Action) {
        match *action {
            Action::Crash(i) => self.serving[i.index()] = false,
            Action::EndpointSubnet { eni, active } => self.eni_active[eni.index()] = active,
            Action::Slow {
                instance,
                response_time,
            } => self.response_time[instance.index()] = Some(response_time),
            Action::Recover(i) => self.serving[i.index()] = true,
            Action::Stop(i) => self.running[i.index()] = false,
            Action::Start(i) => self.running[i.index()] = true,
            Action::Deregister(x) => self.registered[x.index()] = false,
            Action::Register(x) => self.registered[x.index()] = true,
            Action::ImpairZone { zone, targets_only } => {
                self.impaired[zone.index()] = Some(if targets_only {
                    Impairment::TargetsOnly
                } else {
                    Impairment::Zone
                });
            }
            Action::RestoreZone(zone) => self.impaired[zone.index()] = None,
            Action::LoadBalancerCrossZone {
                load_balancer,
                enabled,
            } => self.lb_cross_zone[load_balancer.index()] = enabled,
            Action::TargetGroupCrossZone {
                target_group,
                setting,
            } => self.tg_cross_zone[target_group.index()] = setting,
            Action::ZonalShift { node, active } => self.shifted[node.index()] = active,
            Action::Revoke {
                group,
                direction,
                rule,
            } => self.rules.set(group, direction, rule, false),
            Action::Authorize {
                group,
                direction,
                rule,
            } => self.rules.set(group, direction, rule, true),
            Action::ListenerWeights {
                listener,
                weight_set,
            } => {
                let weights = &t.listener_weight_sets[weight_set];
                let forward = &mut self.forward[listener.index()];
                debug_assert_eq!(forward.len(), weights.len(), "validated (EV-8)");
                for ((_, w), &new) in forward.iter_mut().zip(weights) {
                    *w = new;
                }
            }
        }
    }

    /// True when the instance runs and its web server answers.
    pub fn answers(&self, instance: InstanceId) -> bool {
        self.running[instance.index()] && self.serving[instance.index()]
    }

    /// True when the whole zone is impaired (nodes and ENIs down, EV-4).
    pub fn zone_down(&self, zone: ZoneId) -> bool {
        self.impaired[zone.index()] == Some(Impairment::Zone)
    }

    /// True when the zone's targets are down (a zone impairment of either kind, EV-4).
    pub fn targets_down(&self, zone: ZoneId) -> bool {
        self.impaired[zone.index()].is_some()
    }
}

/// The changing part of a run, over one span of constant state.
#[derive(Clone, Debug)]
pub struct State {
    admin: Admin,
    health: Vec<TargetHealth>,
    binding: Vec<NodeId>,
    /// `eligible[node * target_groups + tg]`.
    eligible: Vec<Eligible>,
    target_groups: usize,
    /// Per load balancer: what its regional DNS name answers (NLB-12).
    nlb_dns: Vec<Regional>,
}

impl State {
    /// The state at the start of a run under `seed` with no event yet: instances as the scenario
    /// sets them, every target registered, health settled by the rules (HC-4), ENIs bound (PL-3).
    pub fn initial(t: &Topology, seed: u64) -> State {
        let admin = Admin::initial(t);
        let health = health::settle(t, &admin);
        State::new(t, bindings(t, seed), admin, health)
    }

    /// The state of `admin` with each target's `health`, the ENIs bound as `binding`.
    pub fn new(
        t: &Topology,
        binding: Vec<NodeId>,
        admin: Admin,
        health: Vec<TargetHealth>,
    ) -> State {
        let eligible = (0..t.nodes.len())
            .flat_map(|n| (0..t.target_groups.len()).map(move |g| (n, g)))
            .map(|(n, g)| {
                nlb::eligible(
                    t,
                    &admin,
                    &health,
                    NodeId::from_index(n),
                    TargetGroupId::from_index(g),
                )
            })
            .collect();
        let nlb_dns = (0..t.load_balancers.len())
            .map(|lb| nlb::dns::regional(t, &admin, &health, LoadBalancerId::from_index(lb)))
            .collect();
        State {
            admin,
            health,
            binding,
            eligible,
            target_groups: t.target_groups.len(),
            nlb_dns,
        }
    }

    /// What `lb`'s regional DNS name answers (NLB-12).
    pub fn nlb_answer(&self, lb: LoadBalancerId) -> &Regional {
        &self.nlb_dns[lb.index()]
    }

    /// What the events set.
    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// The health of `target`.
    pub fn health(&self, target: TargetId) -> TargetHealth {
        self.health[target.index()]
    }

    /// Every target's health, by target.
    pub fn all_health(&self) -> &[TargetHealth] {
        &self.health
    }

    /// The NLB node `eni` sends its connections to.
    pub fn binding(&self, eni: EniId) -> NodeId {
        self.binding[eni.index()]
    }

    /// Every ENI's node, by ENI.
    pub fn bindings(&self) -> &[NodeId] {
        &self.binding
    }

    /// The targets `node` may pick from for `tg`.
    pub fn eligible(&self, node: NodeId, tg: TargetGroupId) -> &Eligible {
        &self.eligible[node.index() * self.target_groups + tg.index()]
    }

    /// Every (node, target group) eligible set.
    pub fn all_eligible(&self) -> impl Iterator<Item = (NodeId, TargetGroupId, &Eligible)> {
        self.eligible.iter().enumerate().map(|(i, e)| {
            (
                NodeId::from_index(i / self.target_groups.max(1)),
                TargetGroupId::from_index(i % self.target_groups.max(1)),
                e,
            )
        })
    }
}

/// Every ENI's node under `seed` (PL-3).
pub fn bindings(t: &Topology, seed: u64) -> Vec<NodeId> {
    (0..t.enis.len())
        .map(|e| privatelink::bind(t, seed, EniId::from_index(e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::health::UnusedReason;

    fn crosszone(cross_zone_on: bool) -> Topology {
        let s = crate::scenario::parse("t.toml", "t", include_str!("../scenarios/crosszone.toml"))
            .unwrap();
        s.variants[usize::from(cross_zone_on)].topology.clone()
    }

    fn after(t: &Topology, actions: &[Action]) -> State {
        let mut admin = Admin::initial(t);
        for a in actions {
            admin.apply(t, a);
        }
        let health = health::settle(t, &admin);
        State::new(t, bindings(t, 1), admin, health)
    }

    #[test]
    fn admin_changes_settle_health_and_the_eligible_sets() {
        let t = crosszone(true);
        let state = State::initial(&t, 1);
        let (web1, node1, web) = (TargetId(0), NodeId(0), TargetGroupId(0));
        assert_eq!(state.health(web1), TargetHealth::Healthy);
        assert_eq!(state.eligible(node1, web).targets.len(), 3);
        // A stopped instance is unused at once (HC-3) and leaves every eligible set.
        let stopped = after(&t, &[Action::Stop(InstanceId(0))]);
        assert_eq!(
            stopped.health(web1),
            TargetHealth::Unused(UnusedReason::InvalidState)
        );
        assert!(!stopped.admin().running[0]);
        assert_eq!(
            stopped.eligible(node1, web).targets,
            [TargetId(1), TargetId(2)]
        );
        // A deregistered target gets nothing.
        let gone = after(&t, &[Action::Deregister(TargetId(2))]);
        assert_eq!(
            gone.eligible(node1, web).targets,
            [TargetId(0), TargetId(1)]
        );
        // Cross-zone turned off by an event: node 1 keeps its own zone's target only.
        let off = after(
            &t,
            &[Action::LoadBalancerCrossZone {
                load_balancer: crate::model::ids::LoadBalancerId(0),
                enabled: false,
            }],
        );
        assert_eq!(off.eligible(node1, web).targets, [TargetId(0)]);
    }

    #[test]
    fn with_cross_zone_off_a_node_whose_target_stops_has_none_left() {
        let t = crosszone(false);
        let state = after(&t, &[Action::Stop(InstanceId(0))]);
        let eligible = state.eligible(NodeId(0), TargetGroupId(0));
        assert!(eligible.targets.is_empty() && !eligible.fail_open);
        // The other nodes keep their own targets.
        assert_eq!(
            state.eligible(NodeId(1), TargetGroupId(0)).targets,
            [TargetId(1)]
        );
    }

    #[test]
    fn a_revoked_ingress_rule_drops_checks_and_traffic_alike_and_an_authorize_restores_them() {
        use crate::model::Direction;
        use crate::model::ids::SecurityGroupId;
        use crate::rules::check_timeline::Answer;
        use crate::rules::health::UnhealthyReason;
        use crate::rules::outcome::FailReason;
        let t = crosszone(true);
        let web_sg = SecurityGroupId(0);
        assert_eq!(t.security_groups[web_sg.index()].name, "web-sg");
        let revoke = Action::Revoke {
            group: web_sg,
            direction: Direction::Ingress,
            rule: 0,
        };
        let (node, web1) = (NodeId(0), TargetId(0));
        let revoked = after(&t, &[revoke]);
        assert!(!revoked.admin().rules.active(web_sg, Direction::Ingress, 0));
        // One evaluation (HC-1): traffic is dropped, checks are dropped and fail at their
        // timeout, and the target settles unhealthy with the reason the checks give.
        assert_eq!(
            nlb::reach(&t, revoked.admin(), node, web1, 80),
            Err(FailReason::TargetSgDeny)
        );
        assert_eq!(
            health::check(&t, revoked.admin(), node, web1),
            Err(UnhealthyReason::ChecksDropped(FailReason::TargetSgDeny))
        );
        assert_eq!(
            health::answer(&t, revoked.admin(), node, web1),
            Answer::Silent
        );
        assert_eq!(
            revoked.health(web1),
            TargetHealth::Unhealthy(UnhealthyReason::ChecksDropped(FailReason::TargetSgDeny))
        );
        // The other groups' rules and the endpoint's path are untouched.
        assert!(
            revoked
                .admin()
                .rules
                .active(SecurityGroupId(1), Direction::Ingress, 0)
        );
        // Authorized again, the same state as the scenario's.
        let back = after(
            &t,
            &[
                revoke,
                Action::Authorize {
                    group: web_sg,
                    direction: Direction::Ingress,
                    rule: 0,
                },
            ],
        );
        assert_eq!(back.admin(), &Admin::initial(&t));
        assert!(nlb::reach(&t, back.admin(), node, web1, 80).is_ok());
        // The NLB has no group: revoking the targets' only egress rule changes nothing on the
        // way in (targets open nothing: SG-3).
        let egress = after(
            &t,
            &[Action::Revoke {
                group: web_sg,
                direction: Direction::Egress,
                rule: 0,
            }],
        );
        assert!(nlb::reach(&t, egress.admin(), node, web1, 80).is_ok());
        assert_eq!(egress.health(web1), TargetHealth::Healthy);
    }

    #[test]
    fn a_rule_written_inactive_is_out_of_its_group_until_authorized() {
        use crate::model::Direction;
        use crate::model::ids::SecurityGroupId;
        let text = include_str!("../scenarios/crosszone.toml").replacen(
            "cidr_blocks = [\"10.11.0.0/24\"] }]",
            "cidr_blocks = [\"10.11.0.0/24\"], active = false }]",
            1,
        );
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let t = s.variants[1].topology.clone();
        let state = State::initial(&t, 1);
        assert!(!t.security_groups[0].ingress[0].active);
        assert!(
            !state
                .admin()
                .rules
                .active(SecurityGroupId(0), Direction::Ingress, 0)
        );
        // HC-4: settled under the scenario as written, every target is unhealthy.
        assert!(
            state
                .all_health()
                .iter()
                .all(|h| matches!(h, TargetHealth::Unhealthy(_)))
        );
        let authorized = after(
            &t,
            &[Action::Authorize {
                group: SecurityGroupId(0),
                direction: Direction::Ingress,
                rule: 0,
            }],
        );
        assert!(
            authorized
                .all_health()
                .iter()
                .all(|&h| h == TargetHealth::Healthy)
        );
    }

    #[test]
    fn a_weights_change_sets_the_forward_in_force_and_only_its_weights() {
        use crate::model::ids::ListenerId;
        let mut t = crosszone(true);
        // A second group on the listener, as a weighted forward.
        t.listeners[0].forward = vec![(TargetGroupId(0), 1), (TargetGroupId(0), 2)];
        t.listener_weight_sets = vec![vec![0, 5]];
        let state = after(
            &t,
            &[Action::ListenerWeights {
                listener: ListenerId(0),
                weight_set: 0,
            }],
        );
        assert_eq!(
            state.admin().forward[0],
            [(TargetGroupId(0), 0), (TargetGroupId(0), 5)]
        );
        // The topology keeps the scenario's weights; the initial admin has them.
        assert_eq!(t.listeners[0].forward[1].1, 2);
        assert_eq!(Admin::initial(&t).forward[0], t.listeners[0].forward);
        assert_ne!(state.admin(), &Admin::initial(&t));
    }
}
