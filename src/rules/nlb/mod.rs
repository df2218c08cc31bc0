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
//!   when they fall below the target group's routing failover threshold
//!   (`target_group_health.unhealthy_state_routing.minimum_healthy_targets.count`, default 1, or
//!   `.percentage` of the in-service targets in scope, default off: either breached fires) it
//!   fails open to every in-service target in scope, healthy or unhealthy ([`failover_breached`]).
//!   `unused` targets (stopped instances, AZs the load balancer does not enable) never get
//!   traffic.
//! - Listeners by port; a forward to several target groups follows the weights (NLB-2).
//! - The NLB-like flow hash and the pick (NLB-7, NLB-8: see [`hash`] and [`pick`]).
//! - The connection from a node to a target (NLB-10, [`reach`]): the NLB's egress rules, the
//!   target's ingress rules (the node's IP and the NLB's groups), a running instance, a server
//!   listening. Health checks go through the same function (HC-1).
//!
//! - The NLB's own DNS name ([`dns`]), direct clients' security groups ([`direct`]) and what a
//!   target sees of a connection: its source address and the proxy protocol header
//!   ([`target_view`]).
//! - UDP listeners and flows (NLB-17, [`udp`]); TLS listeners take TCP flows like TCP listeners
//!   (NLB-18: the node terminates TLS and opens its own TCP connection to the target; the
//!   handshake's cost and certificates are not modelled).
//!
//! Not modelled: source-IP stickiness, per-target weights (NLBs have
//! none).
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-cross-zone.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health.html>

pub mod direct;
pub mod dns;
pub mod hash;
pub mod pick;
pub mod target_view;
pub mod udp;

use crate::model::ids::{
    InstanceId, ListenerId, LoadBalancerId, NodeId, SecurityGroupId, TargetGroupId, TargetId,
};
use crate::model::{CrossZoneSetting, FailoverThreshold, Topology, Transport};
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
    /// True when the node failed open: its healthy targets in scope fell below the group's
    /// routing failover threshold (by default: none was healthy), and `targets` holds every
    /// in-service target in scope, healthy or not (NLB-6).
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
    let in_service: Vec<TargetId> = group.targets.iter().filter(in_scope).copied().collect();
    let healthy: Vec<TargetId> = in_service
        .iter()
        .filter(|target| health[target.index()] == TargetHealth::Healthy)
        .copied()
        .collect();
    let strategy = t.load_balancers[node_info.load_balancer.index()].pick;
    let picker = |targets: &[TargetId]| {
        let identities: Vec<u64> = targets.iter().map(|x| target_identity(t, *x)).collect();
        Picker::new(strategy, &identities)
    };
    let (targets, fail_open) =
        if failover_breached(group.routing_failover, healthy.len(), in_service.len()) {
            let fail_open = !in_service.is_empty();
            (in_service, fail_open)
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

/// Whether `healthy` healthy targets out of `in_service` in-service ones (healthy or unhealthy)
/// in a node's scope breach `threshold` (NLB-6): fewer than its count, or a share below its
/// percentage, compared exactly (`healthy / in_service < percentage / 100`, no rounding).
/// Either breached fires; a threshold that is off never does.
pub fn failover_breached(threshold: FailoverThreshold, healthy: usize, in_service: usize) -> bool {
    let (healthy, in_service) = (healthy as u64, in_service as u64);
    threshold.count.is_some_and(|count| healthy < count)
        || threshold
            .percentage
            .is_some_and(|percent| healthy * 100 < u64::from(percent) * in_service)
}

/// A connection from `node` to `target` on `port` (docs/model.md NLB-10, and HC-1 for health
/// checks): the target's instance must run, its zone must not be impaired (EV-4), the NLB's
/// egress rules must let the SYN out, the target's ingress rules must admit the node's IP or one
/// of the NLB's groups, and a server must listen on the port and answer (not crashed: EV-1), all
/// as `admin` has them (the security-group rules in force: EV-7). `Ok` carries the target's ingress rule that admitted it (`None` when the
/// instance has no groups, which validation never builds).
pub fn reach(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    target: TargetId,
    port: u16,
) -> Result<Option<(SecurityGroupId, usize)>, FailReason> {
    reach_from(t, admin, node, target, port, t.nodes[node.index()].ip)
}

/// [`reach`] for a connection whose source address, as the target sees it, is `source`: the
/// node's own for checks and PrivateLink traffic, a direct client's when its group preserves
/// client IPs (NLB-16). The target's rules may admit the address, or the NLB's groups.
pub fn reach_from(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    target: TargetId,
    port: u16,
    source: std::net::Ipv4Addr,
) -> Result<Option<(SecurityGroupId, usize)>, FailReason> {
    reach_over(t, admin, node, target, port, source, Transport::Tcp)
}

/// [`reach_from`] over `transport`: for UDP (NLB-17) the rules must admit `udp` and the target's
/// `udp_server` must listen, else ICMP port unreachable (`PORT_UNREACHABLE`); for TCP its
/// `web_server`, else a reset (`TARGET_REFUSED`).
pub fn reach_over(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    target: TargetId,
    port: u16,
    source: std::net::Ipv4Addr,
    transport: Transport,
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
        admin,
        Side {
            ip: source,
            vpc: lb.vpc,
            groups: &lb.security_groups,
        },
        Side {
            ip: instance.ip,
            vpc: t.subnets[instance.subnet.index()].vpc,
            groups: &instance.security_groups,
        },
        transport.rule_protocol(),
        port,
        true,
    );
    let rule = match verdict {
        Verdict::Admitted(rule) => rule,
        Verdict::EgressDenied => return Err(FailReason::NlbSgEgressDeny),
        Verdict::IngressDenied => return Err(FailReason::TargetSgDeny),
    };
    let (server, closed) = match transport {
        Transport::Tcp => (&instance.web_server, FailReason::TargetRefused),
        Transport::Udp => (&instance.udp_server, FailReason::PortUnreachable),
    };
    let listening = server.as_ref().is_some_and(|w| w.port == port);
    if !listening || !admin.serving[instance_id.index()] {
        return Err(closed);
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
    use crate::rules::health::{UnhealthyReason, UnusedReason};

    const HEALTHY: TargetHealth = TargetHealth::Healthy;
    const UNHEALTHY: TargetHealth = TargetHealth::Unhealthy(UnhealthyReason::ServerDown);

    /// crosszone.toml with three more targets: zone A (node 0) holds web-1, web-4 and web-5,
    /// zone B (node 1) web-2 and web-6, zone C (node 2) web-3; targets in that registration
    /// order (web-1, web-2, web-3, web-4, web-5, web-6), and `routing_failover` on the group.
    fn six_targets(cross_zone_on: bool, routing_failover: FailoverThreshold) -> Topology {
        let mut text = include_str!("../../../scenarios/crosszone.toml").replace(
            "targets = [\"web-1\", \"web-2\", \"web-3\"]",
            "targets = [\"web-1\", \"web-2\", \"web-3\", \"web-4\", \"web-5\", \"web-6\"]",
        );
        for (name, subnet) in [
            ("web-4", "provider-1"),
            ("web-5", "provider-1"),
            ("web-6", "provider-2"),
        ] {
            text.push_str(&format!(
                "\n[instances.{name}]\nsubnet_id = \"{subnet}\"\nsecurity_group_ids = [\"web-sg\"]\nweb_server = {{ port = 80, body = \"{name}\" }}\n"
            ));
        }
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let mut t = s.variants[usize::from(cross_zone_on)].topology.clone();
        t.target_groups[0].routing_failover = routing_failover;
        t
    }

    /// The eligible targets of `node` (by index) under `health` (one per target, in
    /// registration order), and whether it failed open.
    fn eligible_of(t: &Topology, health: &[TargetHealth], node: usize) -> (Vec<usize>, bool) {
        let e = eligible(
            t,
            &Admin::initial(t),
            health,
            NodeId::from_index(node),
            TargetGroupId(0),
        );
        assert_eq!(e.shares.len(), e.targets.len());
        (e.targets.iter().map(|x| x.index()).collect(), e.fail_open)
    }

    fn threshold(count: Option<u64>, percentage: Option<u8>) -> FailoverThreshold {
        FailoverThreshold { count, percentage }
    }

    #[test]
    fn by_default_a_node_fails_open_only_with_no_healthy_target_in_scope() {
        let t = six_targets(false, FailoverThreshold::DEFAULT);
        // Zone A: web-1 (0), web-4 (3), web-5 (4).
        let one_healthy = [HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &one_healthy, 0), (vec![0], false));
        let none_healthy = [UNHEALTHY, HEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &none_healthy, 0), (vec![0, 3, 4], true));
        // Failing open leaves out what is not in service.
        let draining = [
            UNHEALTHY,
            HEALTHY,
            HEALTHY,
            TargetHealth::Draining,
            TargetHealth::Unused(UnusedReason::InvalidState),
            HEALTHY,
        ];
        assert_eq!(eligible_of(&t, &draining, 0), (vec![0], true));
        // Nothing in service in scope: nothing to fail open to.
        let initial = [TargetHealth::Initial; 6];
        assert_eq!(eligible_of(&t, &initial, 0), (vec![], false));
    }

    #[test]
    fn a_count_of_2_with_1_healthy_of_3_in_scope_fails_open_to_every_in_service_target() {
        let t = six_targets(false, threshold(Some(2), None));
        let one_healthy = [UNHEALTHY, HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, HEALTHY];
        // Registration order, healthy and unhealthy alike.
        assert_eq!(eligible_of(&t, &one_healthy, 0), (vec![0, 3, 4], true));
        let two_healthy = [HEALTHY, HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &two_healthy, 0), (vec![0, 3], false));
        // Zone C has one target: a count of 2 always fails over there, to that target.
        assert_eq!(eligible_of(&t, &two_healthy, 2), (vec![2], true));
    }

    #[test]
    fn a_percentage_of_50_with_1_healthy_of_3_in_scope_fails_open() {
        let t = six_targets(false, threshold(Some(1), Some(50)));
        let one_healthy = [UNHEALTHY, HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &one_healthy, 0), (vec![0, 3, 4], true));
        let two_healthy = [HEALTHY, HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &two_healthy, 0), (vec![0, 3], false));
        // Zone B: 1 healthy of 2 is 50 %, not below it.
        let half = [HEALTHY, UNHEALTHY, HEALTHY, HEALTHY, HEALTHY, HEALTHY];
        assert_eq!(eligible_of(&t, &half, 1), (vec![5], false));
        // The percentage is of the in-service targets: web-4 draining and web-5 stopped leave
        // web-1 alone in service, 100 % healthy.
        let alone = [
            HEALTHY,
            HEALTHY,
            HEALTHY,
            TargetHealth::Draining,
            TargetHealth::Unused(UnusedReason::InvalidState),
            HEALTHY,
        ];
        assert_eq!(eligible_of(&t, &alone, 0), (vec![0], false));
    }

    #[test]
    fn with_cross_zone_off_the_thresholds_count_per_zone_and_with_it_on_over_all_zones() {
        // AWS's example in small: 50 %, zone A at 1 healthy of 3, the others all healthy.
        let health = [HEALTHY, HEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY];
        let off = six_targets(false, threshold(Some(1), Some(50)));
        assert_eq!(eligible_of(&off, &health, 0), (vec![0, 3, 4], true));
        assert_eq!(eligible_of(&off, &health, 1), (vec![1, 5], false));
        assert_eq!(eligible_of(&off, &health, 2), (vec![2], false));
        // Cross-zone on: 4 healthy of 6 over all zones is above 50 %, for every node.
        let on = six_targets(true, threshold(Some(1), Some(50)));
        for node in 0..3 {
            assert_eq!(eligible_of(&on, &health, node), (vec![0, 1, 2, 5], false));
        }
        // ... and below 70 %: every node fails open to all six.
        let on = six_targets(true, threshold(Some(1), Some(70)));
        for node in 0..3 {
            assert_eq!(
                eligible_of(&on, &health, node),
                (vec![0, 1, 2, 3, 4, 5], true)
            );
        }
        // A count counts over all zones too: 4 healthy is below 5.
        let on = six_targets(true, threshold(Some(5), None));
        assert_eq!(eligible_of(&on, &health, 1), (vec![0, 1, 2, 3, 4, 5], true));
    }

    #[test]
    fn either_threshold_breached_fires_and_percentages_compare_exactly() {
        // AWS's example: 50 %, 4 healthy of 10 in zone B breaches it, 14 of 20 does not.
        let half = threshold(None, Some(50));
        assert!(failover_breached(half, 4, 10));
        assert!(!failover_breached(half, 14, 20));
        assert!(!failover_breached(half, 5, 10));
        // No rounding: 2 of 3 is 66.7 %, below 67 %, not below 66 %.
        assert!(failover_breached(threshold(None, Some(67)), 2, 3));
        assert!(!failover_breached(threshold(None, Some(66)), 2, 3));
        // Either fires.
        let both = threshold(Some(3), Some(50));
        assert!(failover_breached(both, 2, 3));
        assert!(failover_breached(both, 3, 8));
        assert!(!failover_breached(both, 4, 8));
        // The default fires only at 0; all off never fires.
        assert!(failover_breached(FailoverThreshold::DEFAULT, 0, 3));
        assert!(!failover_breached(FailoverThreshold::DEFAULT, 1, 3));
        assert!(!failover_breached(threshold(None, None), 0, 3));
    }

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
