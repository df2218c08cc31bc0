//! Network Load Balancer nodes: which targets a node may send a new connection to, and which
//! one it picks.
//!
//! Modelled:
//! - Cross-zone load balancing: off by default on the load balancer; the target
//!   group attribute `load_balancing.cross_zone.enabled` (`true`, `false`,
//!   `use_load_balancer_configuration`) wins over it. On: a node spreads over the targets in all
//!   enabled zones; off: only over the targets in its own zone.
//!   (docs/model.md NLB-3)
//! - A node's eligible targets (NLB-4 to NLB-6): the registered, healthy targets in its scope;
//!   when none is healthy it fails open to every registered target in scope that is not
//!   `unused` (routing failover with the default minimum of one healthy target). `unused`
//!   targets (stopped instances, AZs the load balancer does not enable) never get traffic.
//! - Listeners by port; a forward to several target groups follows the weights (NLB-2).
//! - The NLB-like flow hash and the pick (NLB-7, NLB-8: see [`hash`] and [`pick`]).
//! - The connection from a node to a target (NLB-10, [`reach`]): the NLB's egress rules, the
//!   target's ingress rules (the node's IP and the NLB's groups), a running instance, a server
//!   listening. Health checks go through the same function (HC-1).
//!
//! Not modelled: UDP and TLS listeners, source-IP stickiness, idle timeout, routing-failover
//! thresholds other than the default, per-target weights (NLBs have none).
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-cross-zone.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health.html>

pub mod hash;
pub mod pick;

use crate::model::ids::{
    InstanceId, ListenerId, LoadBalancerId, NodeId, SecurityGroupId, TargetGroupId, TargetId,
};
use crate::model::{CrossZoneSetting, RuleProtocol, Topology};
use crate::rules::health::TargetHealth;
use crate::rules::outcome::FailReason;
use crate::rules::security::{self, Side, Verdict};
use crate::state::Admin;
use pick::Picker;

/// The listener of `lb` on `port`, if any (docs/model.md NLB-2).
pub fn listener_on(t: &Topology, lb: LoadBalancerId, port: u16) -> Option<ListenerId> {
    t.load_balancers[lb.index()]
        .listeners
        .iter()
        .copied()
        .find(|l| t.listeners[l.index()].port == port)
}

/// Where a target group's effective cross-zone setting comes from (docs/model.md NLB-3).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CrossZone {
    /// The group's own `load_balancing.cross_zone.enabled` (`true` / `false`) wins.
    FromTargetGroup(bool),
    /// The group uses the load balancer's `enable_cross_zone_load_balancing`.
    FromLoadBalancer(bool),
}

impl CrossZone {
    /// The effective setting.
    pub fn on(self) -> bool {
        match self {
            CrossZone::FromTargetGroup(on) | CrossZone::FromLoadBalancer(on) => on,
        }
    }
}

/// Whether cross-zone load balancing applies to `tg` behind `lb` as the scenario sets them
/// (before any event), and why.
pub fn cross_zone(t: &Topology, lb: LoadBalancerId, tg: TargetGroupId) -> CrossZone {
    effective_cross_zone(
        t.load_balancers[lb.index()].cross_zone,
        t.target_groups[tg.index()].cross_zone,
    )
}

/// Whether cross-zone load balancing applies to `tg` behind `lb` under `admin` (events may
/// change either setting: EV-5), and why.
pub fn cross_zone_now(admin: &Admin, lb: LoadBalancerId, tg: TargetGroupId) -> CrossZone {
    effective_cross_zone(
        admin.lb_cross_zone[lb.index()],
        admin.tg_cross_zone[tg.index()],
    )
}

/// The group's setting wins over the load balancer's unless it defers to it (NLB-3).
fn effective_cross_zone(load_balancer: bool, target_group: CrossZoneSetting) -> CrossZone {
    match target_group {
        CrossZoneSetting::On => CrossZone::FromTargetGroup(true),
        CrossZoneSetting::Off => CrossZone::FromTargetGroup(false),
        CrossZoneSetting::UseLoadBalancerConfiguration => {
            CrossZone::FromLoadBalancer(load_balancer)
        }
    }
}

/// The targets a node may pick from, for one target group.
#[derive(Clone, Debug, PartialEq)]
pub struct Eligible {
    /// Candidates, in registration order.
    pub targets: Vec<TargetId>,
    /// Whether cross-zone load balancing applied, and why.
    pub cross_zone: CrossZone,
    /// True when no target in scope was healthy and the node failed open to all of them.
    pub fail_open: bool,
    /// The load balancer's pick over `targets`.
    pub picker: Picker,
    /// The exact share of flow hashes each target gets ([`Picker::shares`], NLB-8).
    pub shares: Vec<f64>,
}

/// The targets `node` may send a new connection for `tg` to, given every target's `health`
/// (docs/model.md NLB-4 to NLB-6).
pub fn eligible(
    t: &Topology,
    admin: &Admin,
    health: &[TargetHealth],
    node: NodeId,
    tg: TargetGroupId,
) -> Eligible {
    let node_info = &t.nodes[node.index()];
    let cross_zone = cross_zone_now(admin, node_info.load_balancer, tg);
    let in_scope = |target: &&TargetId| {
        health[target.index()].in_service()
            && (cross_zone.on() || t.targets[target.index()].zone == node_info.zone)
    };
    let group = &t.target_groups[tg.index()];
    let healthy: Vec<TargetId> = group
        .targets
        .iter()
        .filter(in_scope)
        .filter(|target| health[target.index()] == TargetHealth::Healthy)
        .copied()
        .collect();
    let strategy = t.load_balancers[node_info.load_balancer.index()].pick;
    let picker = |targets: &[TargetId]| {
        let identities: Vec<u64> = targets.iter().map(|x| target_identity(t, *x)).collect();
        Picker::new(strategy, &identities)
    };
    let (targets, fail_open) = if healthy.is_empty() {
        let all: Vec<TargetId> = group.targets.iter().filter(in_scope).copied().collect();
        let fail_open = !all.is_empty();
        (all, fail_open)
    } else {
        (healthy, false)
    };
    let picker = picker(&targets);
    Eligible {
        shares: picker.shares(),
        picker,
        targets,
        cross_zone,
        fail_open,
    }
}

/// A connection from `node` to `target` on `port` (docs/model.md NLB-10, and HC-1 for health
/// checks): the target's instance must run, its zone must not be impaired (EV-4), the NLB's
/// egress rules must let the SYN out, the target's ingress rules must admit the node's IP or one
/// of the NLB's groups, and a server must listen on the port and answer (not crashed: EV-1), all
/// as `admin` has them. `Ok` carries the target's ingress rule that admitted it (`None` when the
/// instance has no groups, which validation never builds).
pub fn reach(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    target: TargetId,
    port: u16,
) -> Result<Option<(SecurityGroupId, usize)>, FailReason> {
    let instance_id: InstanceId = t.targets[target.index()].instance;
    let instance = &t.instances[instance_id.index()];
    if !admin.running[instance_id.index()] {
        return Err(FailReason::TargetStopped);
    }
    if admin.targets_down(t.targets[target.index()].zone) {
        return Err(FailReason::ZoneImpaired);
    }
    let n = &t.nodes[node.index()];
    let lb = &t.load_balancers[n.load_balancer.index()];
    let verdict = security::connection(
        t,
        Side {
            ip: n.ip,
            vpc: lb.vpc,
            groups: &lb.security_groups,
        },
        Side {
            ip: instance.ip,
            vpc: t.subnets[instance.subnet.index()].vpc,
            groups: &instance.security_groups,
        },
        RuleProtocol::Tcp,
        port,
        true,
    );
    let rule = match verdict {
        Verdict::Admitted(rule) => rule,
        Verdict::EgressDenied => return Err(FailReason::NlbSgEgressDeny),
        Verdict::IngressDenied => return Err(FailReason::TargetSgDeny),
    };
    let listening = instance.web_server.as_ref().is_some_and(|w| w.port == port);
    if !listening || !admin.serving[instance_id.index()] {
        return Err(FailReason::TargetRefused);
    }
    Ok(rule)
}

/// The stable identity a pick knows a target by: its IP and the target group's port (what a
/// Maglev table hashes to place the target).
pub fn target_identity(t: &Topology, target: TargetId) -> u64 {
    let ip = t.target_instance(target).ip;
    let port = t.target_groups[t.targets[target.index()].target_group.index()].port;
    (u64::from(u32::from(ip)) << 16) | u64::from(port)
}

/// The position in `forward` of the target group a new connection is forwarded to, from
/// uniform `bits`, following the weights (at least one positive: NLB-2).
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
            counts[pick_weighted_index(&forward, crate::rng::splitmix64(&mut state))] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_500..10_500).contains(&counts[0]), "{counts:?}");
        assert!((29_500..30_500).contains(&counts[2]), "{counts:?}");
    }
}
