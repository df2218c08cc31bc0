//! Network Load Balancer nodes: which targets a node may send a new connection to, and which
//! one it picks.
//!
//! Modelled:
//! - Cross-zone load balancing (aws-behaviour 2): off by default on the load balancer; the target
//!   group attribute `load_balancing.cross_zone.enabled` (`true`, `false`,
//!   `use_load_balancer_configuration`) wins over it. On: a node spreads over the targets in all
//!   enabled zones; off: only over the targets in its own zone.
//! - Targets in zones the load balancer does not enable get nothing (`unused`).
//! - Health (aws-behaviour 3.4, 3.5): a node sends to the healthy targets in its scope; when
//!   none is healthy it fails open to all targets in scope (routing failover with the default
//!   minimum of one healthy target).
//! - Listeners forwarding to several target groups follow the weights (aws-behaviour 1.3).
//! - The NLB-like flow hash and pick (see [`hash`]).
//!
//! Not modelled: UDP and TLS listeners, source-IP stickiness, idle timeout, routing-failover
//! thresholds other than the default, per-target weights (NLBs have none).
//! Sources: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-cross-zone.html,
//! https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health.html

pub mod hash;
pub mod pick;

use crate::model::ids::{NodeId, TargetGroupId, TargetId};
use crate::model::{TargetHealth, Topology};
use pick::Picker;

/// The targets a node may pick from, for one target group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligible {
    /// Candidates, in registration order.
    pub targets: Vec<TargetId>,
    /// Whether cross-zone load balancing applied.
    pub cross_zone: bool,
    /// True when no target in scope was healthy and the node failed open to all of them.
    pub fail_open: bool,
    /// The load balancer's pick over `targets`.
    pub picker: Picker,
}

/// The targets `node` may send a new connection for `tg` to, given the current `health`
/// (indexed by target).
pub fn eligible(
    topology: &Topology,
    health: &[TargetHealth],
    node: NodeId,
    tg: TargetGroupId,
) -> Eligible {
    let node_info = &topology.nodes[node.index()];
    let cross_zone = topology.cross_zone_enabled(node_info.load_balancer, tg);
    let in_scope = |t: &&TargetId| {
        health[t.index()] != TargetHealth::Unused
            && (cross_zone || topology.targets[t.index()].zone == node_info.zone)
    };
    let group = &topology.target_groups[tg.index()];
    let healthy: Vec<TargetId> = group
        .targets
        .iter()
        .filter(in_scope)
        .filter(|t| health[t.index()] == TargetHealth::Healthy)
        .copied()
        .collect();
    let strategy = topology.load_balancers[node_info.load_balancer.index()].pick;
    let picker = |targets: &[TargetId]| {
        let identities: Vec<u64> = targets
            .iter()
            .map(|t| target_identity(topology, *t))
            .collect();
        Picker::new(strategy, &identities)
    };
    if !healthy.is_empty() {
        return Eligible {
            picker: picker(&healthy),
            targets: healthy,
            cross_zone,
            fail_open: false,
        };
    }
    let all: Vec<TargetId> = group.targets.iter().filter(in_scope).copied().collect();
    Eligible {
        fail_open: !all.is_empty(),
        picker: picker(&all),
        targets: all,
        cross_zone,
    }
}

/// The stable identity a pick knows a target by: its IP and the target group's port (what a
/// Maglev table hashes to place the target).
pub fn target_identity(topology: &Topology, target: TargetId) -> u64 {
    let ip = topology.target_instance(target).ip;
    let port = topology.target_groups[topology.targets[target.index()].target_group.index()].port;
    (u64::from(u32::from(ip)) << 16) | u64::from(port)
}

/// The target group a new connection is forwarded to, from uniform `bits`, following the
/// weights of `forward` (which has at least one positive weight).
pub fn pick_weighted(forward: &[(TargetGroupId, u16)], bits: u64) -> TargetGroupId {
    forward[pick_weighted_index(forward, bits)].0
}

/// The position in `forward` of [`pick_weighted`]'s choice.
pub fn pick_weighted_index(forward: &[(TargetGroupId, u16)], bits: u64) -> usize {
    let total: u64 = forward.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut point = crate::rng::below(bits, total);
    for (position, (_, weight)) in forward.iter().enumerate() {
        if point < u64::from(*weight) {
            return position;
        }
        point -= u64::from(*weight);
    }
    unreachable!("weights sum to total and point < total")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_pick_follows_the_weights() {
        let forward = [
            (TargetGroupId(0), 1),
            (TargetGroupId(1), 0),
            (TargetGroupId(2), 3),
        ];
        let mut counts = [0u32; 3];
        let mut state = 11;
        for _ in 0..40_000 {
            counts[pick_weighted(&forward, crate::rng::splitmix64(&mut state)).index()] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_500..10_500).contains(&counts[0]), "{counts:?}");
        assert!((29_500..30_500).contains(&counts[2]), "{counts:?}");
    }
}
