//! The NLB's own DNS name: which node addresses it answers with (docs/model.md NLB-11 to NLB-13).
//!
//! Modelled: the regional name `NAME-ID.elb.REGION.amazonaws.com` answers with one address per
//! enabled zone whose node has enough healthy targets behind it, for every target group its
//! listeners forward to (DNS failover, `target_group_health.dns_failover.minimum_healthy_targets`:
//! count 1 by default, and a percentage when set; per zone with cross-zone off, over all enabled
//! zones with it on); when no zone does, it fails open and answers with every node. A zone under
//! a zonal shift leaves the answer, unless that would leave none. A zonal name
//! (`AZ.NAME-ID.elb...`) answers with its own node only, whatever its health. With AZ affinity
//! (`dns_record.client_routing_policy`), a client of the VPC resolver gets only the address of
//! its own zone's node when the answer has it: always (`availability_zone_affinity`), or for 85 %
//! of its queries (`partial_availability_zone_affinity`; ASSUMPTION: the other 15 % get the whole
//! answer, as with `any_availability_zone`: AWS does not say). The names resolve from any VPC
//! (public DNS answers an internal NLB's name with its private addresses); TTL 60 s.
//! ASSUMPTION: the `ID` part of the names is a hash of the load balancer's name (AWS's is random).
//!
//! Not modelled: internet-facing schemes (public addresses), dualstack names, Route 53 health
//! checks of alias records (an alias to the NLB answers what the NLB's name answers).
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-load-balancer-attributes.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/zonal-shift.html>

pub use crate::model::RoutingPolicy;
use crate::model::Topology;
use crate::model::ids::{LoadBalancerId, NodeId, ZoneId};
use crate::rules::health::TargetHealth;
use crate::state::Admin;
use crate::time::Span;

use super::{cross_zone_now, failover_breached};

/// The TTL of the NLB's DNS records (NLB-11).
pub const TTL: Span = Span::from_secs(60);

/// Share of the queries of a client with partial AZ affinity that get only its own zone's
/// address (NLB-13).
pub const PARTIAL_AFFINITY: f64 = 0.85;

/// The regional name of load balancer `name` in `region` (NLB-11); its zonal names put the AZ
/// name in front (`us-east-1a.` + this).
pub fn regional_name(name: &str, region: &str) -> String {
    let mut state = 0xe1b_u64;
    for b in name.bytes() {
        state = crate::rng::splitmix64(&mut state) ^ u64::from(b);
    }
    let id = crate::rng::splitmix64(&mut state);
    format!("{name}-{:016x}.elb.{region}.amazonaws.com", id)
}

/// What the regional name answers with under a state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Regional {
    /// The nodes whose addresses it answers with, in the load balancer's zone order.
    pub nodes: Vec<NodeId>,
    /// True when no zone had enough healthy targets and the name answers with every node.
    pub fail_open: bool,
    /// Nodes left out by a zonal shift.
    pub shifted: Vec<NodeId>,
}

/// True when `node`'s zone keeps its address in DNS under `admin` and `health` (NLB-12): for
/// every target group `lb`'s listeners forward to, the healthy targets in the node's scope meet
/// the group's DNS failover threshold.
pub fn zone_healthy(
    t: &Topology,
    admin: &Admin,
    health: &[TargetHealth],
    lb: LoadBalancerId,
    node: NodeId,
) -> bool {
    let zone = t.nodes[node.index()].zone;
    let mut groups: Vec<_> = t.load_balancers[lb.index()]
        .listeners
        .iter()
        .flat_map(|l| admin.forward[l.index()].iter().map(|(g, _)| *g))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    groups.iter().all(|&g| {
        let across = cross_zone_now(admin, lb, g).on();
        let in_scope = t.target_groups[g.index()]
            .targets
            .iter()
            .filter(|x| across || t.targets[x.index()].zone == zone)
            .map(|x| health[x.index()]);
        let (mut healthy, mut in_service) = (0, 0);
        for h in in_scope {
            healthy += usize::from(h == TargetHealth::Healthy);
            in_service += usize::from(h.in_service());
        }
        !failover_breached(t.target_groups[g.index()].dns_failover, healthy, in_service)
    })
}

/// What `lb`'s regional name answers with under `admin` and `health` (NLB-12: DNS failover and
/// failing open; the zonal shifts in force in `admin`).
pub fn regional(
    t: &Topology,
    admin: &Admin,
    health: &[TargetHealth],
    lb: LoadBalancerId,
) -> Regional {
    let nodes = &t.load_balancers[lb.index()].nodes;
    let healthy: Vec<NodeId> = nodes
        .iter()
        .copied()
        .filter(|&n| zone_healthy(t, admin, health, lb, n))
        .collect();
    let fail_open = healthy.is_empty();
    let answer = if fail_open { nodes.clone() } else { healthy };
    let (shifted, unshifted): (Vec<NodeId>, Vec<NodeId>) =
        answer.iter().partition(|n| admin.shifted[n.index()]);
    if unshifted.is_empty() {
        Regional {
            nodes: answer,
            fail_open,
            shifted: Vec::new(),
        }
    } else {
        Regional {
            nodes: unshifted,
            fail_open,
            shifted,
        }
    }
}

/// Whether one query of a client under `policy` gets only its own zone's address, from the
/// query's own uniform `bits` (NLB-13).
pub fn affine(policy: RoutingPolicy, bits: u64) -> bool {
    match policy {
        RoutingPolicy::AnyZone => false,
        RoutingPolicy::FullAffinity => true,
        RoutingPolicy::PartialAffinity => {
            (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < PARTIAL_AFFINITY
        }
    }
}

/// The probability that [`affine`] holds for a query under `policy` (NLB-13).
pub fn affine_share(policy: RoutingPolicy) -> f64 {
    match policy {
        RoutingPolicy::AnyZone => 0.0,
        RoutingPolicy::PartialAffinity => PARTIAL_AFFINITY,
        RoutingPolicy::FullAffinity => 1.0,
    }
}

/// The nodes a client in `client_zone` gets from one query of a name that answers `answer`,
/// under `policy`; `bits` are the query's own uniform draw (NLB-13).
pub fn with_affinity(
    t: &Topology,
    answer: &[NodeId],
    client_zone: ZoneId,
    policy: RoutingPolicy,
    bits: u64,
) -> Vec<NodeId> {
    let own: Vec<NodeId> = answer
        .iter()
        .copied()
        .filter(|n| t.nodes[n.index()].zone == client_zone)
        .collect();
    if affine(policy, bits) && !own.is_empty() {
        own
    } else {
        answer.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::events::Action;
    use crate::model::ids::{InstanceId, TargetId};
    use crate::rules::health::{self, UnhealthyReason};
    use crate::state::{Admin, State, bindings};

    fn crosszone(cross_zone_on: bool) -> Topology {
        let s = crate::scenario::parse(
            "t.toml",
            "t",
            include_str!("../../../scenarios/crosszone.toml"),
        )
        .unwrap();
        s.variants[usize::from(cross_zone_on)].topology.clone()
    }

    /// The state of `t` with the targets `sick` unhealthy and the nodes `shifted` under a zonal
    /// shift.
    fn with_sick_shifted(t: &Topology, sick: &[usize], shifted: &[usize]) -> State {
        let mut admin = Admin::initial(t);
        for &n in shifted {
            admin.shifted[n] = true;
        }
        let mut health = health::settle(t, &admin);
        for &x in sick {
            health[x] = TargetHealth::Unhealthy(UnhealthyReason::Recovering);
        }
        State::new(t, bindings(t, 1), admin, health)
    }

    fn with_sick(t: &Topology, sick: &[usize]) -> State {
        with_sick_shifted(t, sick, &[])
    }

    /// What the regional name answers under `state`.
    fn answer(state: &State) -> Regional {
        state.nlb_answer(LB).clone()
    }

    const LB: LoadBalancerId = LoadBalancerId(0);

    #[test]
    fn with_cross_zone_off_a_zone_without_a_healthy_target_leaves_the_answer() {
        let t = crosszone(false);
        let all = answer(&with_sick(&t, &[]));
        assert_eq!(all.nodes, [NodeId(0), NodeId(1), NodeId(2)]);
        assert!(!all.fail_open);
        let one_down = answer(&with_sick(&t, &[1]));
        assert_eq!(one_down.nodes, [NodeId(0), NodeId(2)]);
        // Every zone down: the name fails open to every node.
        let all_down = answer(&with_sick(&t, &[0, 1, 2]));
        assert_eq!(all_down.nodes.len(), 3);
        assert!(all_down.fail_open);
    }

    #[test]
    fn with_cross_zone_on_the_threshold_counts_every_zone() {
        let t = crosszone(true);
        // One target down of three: every zone keeps its address (1 healthy is enough)...
        assert_eq!(answer(&with_sick(&t, &[1])).nodes.len(), 3);
        // ...unless the DNS failover threshold asks for 3 healthy, over all zones: every zone
        // falls below it, and the name fails open.
        let mut t3 = t.clone();
        t3.target_groups[0].dns_failover = crate::model::FailoverThreshold {
            count: Some(3),
            percentage: None,
        };
        let r = answer(&with_sick(&t3, &[1]));
        assert!(r.fail_open && r.nodes.len() == 3, "{r:?}");
        // A percentage: 2 of 3 healthy is below 70 %.
        t3.target_groups[0].dns_failover = crate::model::FailoverThreshold {
            count: None,
            percentage: Some(70),
        };
        assert!(answer(&with_sick(&t3, &[1])).fail_open);
    }

    #[test]
    fn a_zonal_shift_pulls_its_zone_unless_none_would_be_left() {
        let t = crosszone(false);
        let shifted = answer(&with_sick_shifted(&t, &[], &[1]));
        assert_eq!(shifted.nodes, [NodeId(0), NodeId(2)]);
        // Zones 0 and 2 unhealthy, zone 1 shifted: the shift would leave no address.
        let r = answer(&with_sick_shifted(&t, &[0, 2], &[1]));
        assert_eq!(r.nodes, [NodeId(1)]);
    }

    #[test]
    fn az_affinity_answers_with_the_clients_zone() {
        let t = crosszone(false);
        let answer = [NodeId(0), NodeId(1), NodeId(2)];
        let zone2 = t.nodes[2].zone;
        assert_eq!(
            with_affinity(&t, &answer, zone2, RoutingPolicy::AnyZone, 0),
            answer
        );
        assert_eq!(
            with_affinity(&t, &answer, zone2, RoutingPolicy::FullAffinity, 0),
            [NodeId(2)]
        );
        // Full affinity with the client's zone out of the answer: the whole answer.
        assert_eq!(
            with_affinity(&t, &answer[..2], zone2, RoutingPolicy::FullAffinity, 0),
            answer[..2]
        );
        // Partial: 85 % of uniform draws get the own zone only.
        let draws = 100_000u64;
        let own = (0..draws)
            .map(|i| crate::rng::draw(7, i))
            .filter(|&bits| {
                with_affinity(&t, &answer, zone2, RoutingPolicy::PartialAffinity, bits).len() == 1
            })
            .count() as f64
            / draws as f64;
        assert!((own - PARTIAL_AFFINITY).abs() < 0.005, "{own}");
    }

    #[test]
    fn a_stopped_target_counts_as_not_in_service_for_the_percentage() {
        let t = crosszone(true);
        let mut admin = Admin::initial(&t);
        admin.apply(&t, &Action::Stop(InstanceId(1)));
        let health = health::settle(&t, &admin);
        assert!(!health[TargetId(1).index()].in_service());
        let mut t2 = t.clone();
        t2.target_groups[0].dns_failover = crate::model::FailoverThreshold {
            count: None,
            percentage: Some(100),
        };
        // 2 healthy of 2 in service: 100 % is met, though 3 are registered.
        let state = State::new(&t2, bindings(&t2, 1), admin, health);
        assert!(!state.nlb_answer(LB).fail_open);
    }
}
