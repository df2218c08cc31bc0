//! Target health as the load balancer sees it (docs/model.md NLB-5, HC-1 to HC-5, EV-1 to EV-4).
//!
//! Modelled: every enabled node of the target group's load balancer checks each registered
//! target over TCP on the health-check port, from its own private IP. A check is a connection
//! like any other: [`crate::rules::nlb::reach`] decides it, the very function that decides
//! traffic (the NLB's egress rules, the target's ingress rules with the node's IP and the NLB's
//! groups, the instance running, its zone not impaired, a server listening and answering): one
//! evaluation serves both ([`check`]). A TCP check needs only the handshake. ASSUMPTION (HC-2): a
//! target is healthy when the checks of every node succeed; how AWS combines the nodes' views is
//! unpublished. A stopped instance is `unused` with `Target.InvalidState`; a target in an AZ the
//! load balancer does not enable, or in a group no load balancer uses, is `unused` with
//! `Target.NotInUse`; neither ever gets traffic. A deregistered target is `draining` for its
//! group's deregistration delay, then `unused`; a target registered again, or whose instance
//! starts again, is `initial` until its checks pass (EV-2, EV-3).
//!
//! Where the checks' view over time comes from (thresholds, phases, consensus) is
//! [`crate::rules::check_timeline`] and [`crate::timeline`]; this module turns a view and the
//! admin state into the state `DescribeTargetHealth` would show ([`health`]), and settles health
//! at the start of a run (HC-4: [`settle`]).
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

use crate::model::Topology;
use crate::model::ids::{NodeId, TargetId};
use crate::rules::check_timeline::Answer;
use crate::rules::nlb;
use crate::rules::outcome::FailReason;
use crate::state::Admin;

/// Health of a registered target.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TargetHealth {
    /// Registered (or its instance started) and not yet through `healthy_threshold` passing
    /// checks: no traffic (EV-2, EV-3).
    Initial,
    /// Passing its health checks.
    Healthy,
    /// Failing them.
    Unhealthy(UnhealthyReason),
    /// Failing them, its connections kept for the group's unhealthy draining interval
    /// (`target_health_state.unhealthy.connection_termination.enabled = false`: CONN-2).
    UnhealthyDraining(UnhealthyReason),
    /// Deregistered, within the group's deregistration delay: no new connection (EV-3).
    Draining,
    /// Not in use: never routed to, not even failing open.
    Unused(UnusedReason),
}

/// Why a target fails its health checks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnhealthyReason {
    /// Nothing listens on the health-check port (`Target.FailedHealthChecks`).
    NotListening,
    /// A node's check is dropped by a security group: the NLB's egress rules
    /// ([`FailReason::NlbSgEgressDeny`]) or the target's ingress rules
    /// ([`FailReason::TargetSgDeny`]) (`Target.Timeout`).
    ChecksDropped(FailReason),
    /// Its zone is impaired: checks go unanswered (`Target.Timeout`, EV-4).
    ZoneImpaired,
    /// Its web server has crashed: checks are refused (`Target.FailedHealthChecks`, EV-1).
    ServerDown,
    /// The checks pass again, not yet `healthy_threshold` times in a row
    /// (`Target.FailedHealthChecks`).
    Recovering,
}

/// Why a target is `unused`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnusedReason {
    /// In an AZ the load balancer does not enable, or in a group no load balancer uses
    /// (`Target.NotInUse`).
    NotInUse,
    /// The instance is stopped (`Target.InvalidState`).
    InvalidState,
    /// Deregistered.
    NotRegistered,
}

impl TargetHealth {
    /// True for the states a node may route to when it fails open: healthy or unhealthy, not
    /// `initial`, `draining` or `unused` (NLB-6).
    pub fn in_service(self) -> bool {
        matches!(
            self,
            TargetHealth::Healthy | TargetHealth::Unhealthy(_) | TargetHealth::UnhealthyDraining(_)
        )
    }

    /// True for `unhealthy` and `unhealthy.draining`.
    pub fn is_unhealthy(self) -> bool {
        matches!(
            self,
            TargetHealth::Unhealthy(_) | TargetHealth::UnhealthyDraining(_)
        )
    }

    /// Every name [`TargetHealth::state_name`] gives.
    pub const STATE_NAMES: [&'static str; 6] = [
        "initial",
        "healthy",
        "unhealthy",
        "unhealthy.draining",
        "draining",
        "unused",
    ];

    /// The state's name in `DescribeTargetHealth`, without its reason.
    pub fn state_name(self) -> &'static str {
        match self {
            TargetHealth::Initial => "initial",
            TargetHealth::Healthy => "healthy",
            TargetHealth::Unhealthy(_) => "unhealthy",
            TargetHealth::UnhealthyDraining(_) => "unhealthy.draining",
            TargetHealth::Draining => "draining",
            TargetHealth::Unused(_) => "unused",
        }
    }

    /// The state as AWS's `DescribeTargetHealth` names it, with its reason code.
    pub fn label(self) -> String {
        match self {
            TargetHealth::UnhealthyDraining(reason) => {
                let unhealthy = TargetHealth::Unhealthy(reason).label();
                format!(
                    "unhealthy.draining{}",
                    unhealthy.strip_prefix("unhealthy").unwrap_or(&unhealthy)
                )
            }
            TargetHealth::Initial => "initial (Elb.RegistrationInProgress)".into(),
            TargetHealth::Draining => "draining (Target.DeregistrationInProgress)".into(),
            TargetHealth::Healthy => "healthy".into(),
            TargetHealth::Unhealthy(UnhealthyReason::ServerDown) => {
                "unhealthy (Target.FailedHealthChecks: its web server has crashed, checks are refused)"
                    .into()
            }
            TargetHealth::Unhealthy(UnhealthyReason::ZoneImpaired) => {
                "unhealthy (Target.Timeout: its zone is impaired, checks go unanswered)".into()
            }
            TargetHealth::Unhealthy(UnhealthyReason::Recovering) => {
                "unhealthy (Target.FailedHealthChecks: passing again, not yet healthy_threshold times)"
                    .into()
            }
            TargetHealth::Unhealthy(UnhealthyReason::NotListening) => {
                "unhealthy (Target.FailedHealthChecks: nothing listens on the health check port)"
                    .into()
            }
            TargetHealth::Unhealthy(UnhealthyReason::ChecksDropped(reason)) => format!(
                "unhealthy (Target.Timeout: {})",
                match reason {
                    FailReason::NlbSgEgressDeny =>
                        "the load balancer's security groups let no check out",
                    _ => "the target's security groups drop the checks from the NLB nodes",
                }
            ),
            TargetHealth::Unused(UnusedReason::NotInUse) => "unused (Target.NotInUse)".into(),
            TargetHealth::Unused(UnusedReason::InvalidState) => {
                "unused (Target.InvalidState: instance stopped)".into()
            }
            TargetHealth::Unused(UnusedReason::NotRegistered) => "unused (not registered)".into(),
        }
    }
}

/// What the checks of a target agree on (HC-2, HC-5), before the admin state is applied.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// Registered or started again, and not yet through `healthy_threshold` passing checks.
    Initial,
    /// Every node's view is healthy.
    Healthy,
    /// Some node's view is unhealthy.
    Unhealthy,
    /// Unhealthy, within the group's unhealthy draining interval (CONN-2).
    UnhealthyDraining,
}

/// The health of every target at the start of a run (HC-4): each target's view is what its
/// checks get under `admin`, as if the thresholds were met.
pub fn settle(t: &Topology, admin: &Admin) -> Vec<TargetHealth> {
    (0..t.targets.len())
        .map(|i| {
            let target = TargetId::from_index(i);
            let view = if checking_nodes(t, target).all(|n| check(t, admin, n, target).is_ok()) {
                View::Healthy
            } else {
                View::Unhealthy
            };
            health(t, admin, target, view, false)
        })
        .collect()
}

/// The nodes that check `target`: every node of its group's load balancer.
pub fn checking_nodes(t: &Topology, target: TargetId) -> impl Iterator<Item = NodeId> + '_ {
    let group = &t.target_groups[t.targets[target.index()].target_group.index()];
    group
        .load_balancer
        .into_iter()
        .flat_map(|lb| t.load_balancers[lb.index()].nodes.iter().copied())
}

/// What a check of `target` from `node` gets under `admin` (HC-1): `Ok` when it passes. It is
/// [`nlb::reach`] on the health-check port, the evaluation traffic meets.
pub fn check(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    target: TargetId,
) -> Result<(), UnhealthyReason> {
    let group = &t.target_groups[t.targets[target.index()].target_group.index()];
    match nlb::reach(t, admin, node, target, group.health_check.port) {
        Ok(_) => Ok(()),
        Err(FailReason::TargetRefused)
            if !admin.serving[t.targets[target.index()].instance.index()] =>
        {
            Err(UnhealthyReason::ServerDown)
        }
        Err(FailReason::TargetRefused | FailReason::TargetStopped) => {
            Err(UnhealthyReason::NotListening)
        }
        Err(FailReason::ZoneImpaired) => Err(UnhealthyReason::ZoneImpaired),
        Err(reason) => Err(UnhealthyReason::ChecksDropped(reason)),
    }
}

/// How a check of `target` from `node` ends under `admin`, for the check timeline (HC-5): a node
/// in a zone that is impaired as a whole sends no checks and vetoes nothing (EV-4: its view is
/// taken as passing).
pub fn answer(t: &Topology, admin: &Admin, node: NodeId, target: TargetId) -> Answer {
    if admin.zone_down(t.nodes[node.index()].zone) {
        return Answer::Passes;
    }
    match check(t, admin, node, target) {
        Ok(()) => Answer::Passes,
        Err(UnhealthyReason::NotListening | UnhealthyReason::ServerDown) => Answer::Refused,
        Err(_) => Answer::Silent,
    }
}

/// The health of `target` under `admin` when its checks' consensus is `view`; `draining` when it
/// was deregistered less than its group's deregistration delay ago.
pub fn health(
    t: &Topology,
    admin: &Admin,
    target: TargetId,
    view: View,
    draining: bool,
) -> TargetHealth {
    let tgt = &t.targets[target.index()];
    let group = &t.target_groups[tgt.target_group.index()];
    if !admin.registered[target.index()] {
        return if draining {
            TargetHealth::Draining
        } else {
            TargetHealth::Unused(UnusedReason::NotRegistered)
        };
    }
    let Some(lb) = group.load_balancer else {
        return TargetHealth::Unused(UnusedReason::NotInUse);
    };
    let nodes = &t.load_balancers[lb.index()].nodes;
    if !nodes.iter().any(|n| t.nodes[n.index()].zone == tgt.zone) {
        return TargetHealth::Unused(UnusedReason::NotInUse);
    }
    if !admin.running[tgt.instance.index()] {
        return TargetHealth::Unused(UnusedReason::InvalidState);
    }
    match view {
        View::Initial => TargetHealth::Initial,
        View::Healthy => TargetHealth::Healthy,
        View::Unhealthy | View::UnhealthyDraining => {
            let reason = nodes
                .iter()
                .find_map(|&n| check(t, admin, n, target).err())
                .unwrap_or(UnhealthyReason::Recovering);
            if view == View::Unhealthy {
                TargetHealth::Unhealthy(reason)
            } else {
                TargetHealth::UnhealthyDraining(reason)
            }
        }
    }
}
