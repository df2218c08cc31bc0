//! Target health as the load balancer sees it (docs/model.md NLB-5, HC-1 to HC-4).
//!
//! Modelled: every enabled node of the target group's load balancer checks each registered
//! target over TCP on the health-check port, from its own private IP. A check is a connection
//! like any other: [`crate::rules::nlb::reach`] decides it, the very function that decides
//! traffic (the NLB's egress rules, the target's ingress rules with the node's IP and the NLB's
//! groups, the instance running, a server listening): one evaluation serves both. A TCP check
//! needs only the handshake. ASSUMPTION (HC-2): a target is healthy when the checks of every
//! node succeed; how AWS combines the nodes' views is unpublished. A stopped instance is `unused`
//! with `Target.InvalidState`; a target in an AZ the load balancer does not enable, or in a group
//! no load balancer uses, is `unused` with `Target.NotInUse`; neither ever gets traffic.
//! ASSUMPTION (HC-4): health is settled before the first flow (registration and the initial
//! checks are over); intervals and thresholds are validated but checks over time are not
//! simulated yet.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

use crate::model::Topology;
use crate::model::ids::TargetId;
use crate::rules::nlb;
use crate::rules::outcome::FailReason;

/// Health of a registered target.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetHealth {
    /// Passing its health checks.
    Healthy,
    /// Failing them.
    Unhealthy(UnhealthyReason),
    /// Not in use: never routed to, not even failing open.
    Unused(UnusedReason),
}

/// Why a target fails its health checks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UnhealthyReason {
    /// Nothing listens on the health-check port (`Target.FailedHealthChecks`).
    NotListening,
    /// A node's check is dropped by a security group: the NLB's egress rules
    /// ([`FailReason::NlbSgEgressDeny`]) or the target's ingress rules
    /// ([`FailReason::TargetSgDeny`]) (`Target.Timeout`).
    ChecksDropped(FailReason),
}

/// Why a target is `unused`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
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
    /// The state as AWS's `DescribeTargetHealth` names it, with its reason code.
    pub fn label(self) -> String {
        match self {
            TargetHealth::Healthy => "healthy".into(),
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

/// The health of every target, given each instance's admin state (`running`, by instance) and
/// each target's registration (`registered`, by target).
pub fn settle(t: &Topology, running: &[bool], registered: &[bool]) -> Vec<TargetHealth> {
    (0..t.targets.len())
        .map(|i| health(t, running, registered, TargetId::from_index(i)))
        .collect()
}

fn health(t: &Topology, running: &[bool], registered: &[bool], target: TargetId) -> TargetHealth {
    let tgt = &t.targets[target.index()];
    let group = &t.target_groups[tgt.target_group.index()];
    if !registered[target.index()] {
        return TargetHealth::Unused(UnusedReason::NotRegistered);
    }
    let Some(lb) = group.load_balancer else {
        return TargetHealth::Unused(UnusedReason::NotInUse);
    };
    let nodes = &t.load_balancers[lb.index()].nodes;
    if !nodes.iter().any(|n| t.nodes[n.index()].zone == tgt.zone) {
        return TargetHealth::Unused(UnusedReason::NotInUse);
    }
    if !running[tgt.instance.index()] {
        return TargetHealth::Unused(UnusedReason::InvalidState);
    }
    for &node in nodes {
        match nlb::reach(t, running, node, target, group.health_check.port) {
            Ok(_) => {}
            Err(FailReason::TargetRefused) => {
                return TargetHealth::Unhealthy(UnhealthyReason::NotListening);
            }
            Err(reason) => return TargetHealth::Unhealthy(UnhealthyReason::ChecksDropped(reason)),
        }
    }
    TargetHealth::Healthy
}
