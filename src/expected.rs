//! The expected distribution of outcomes, computed from the topology and the rules alone: no
//! sampling, no simulation.
//!
//! Every flow picks a client uniformly; the resolver's rotation makes each address of a
//! multi-address answer equally likely to come first over time (ASSUMPTION: in the long run; a
//! client caching one answer for its TTL sends all flows of that window to the same ENI, so short
//! runs can deviate, and the chi-squared test then measures that correlation too); glibc puts an
//! address in the client's own subnet first; an ENI goes to its NLB node; a listener's target
//! groups follow their weights; a node picks uniformly among its eligible targets
//! ([`crate::rules::nlb::eligible`]); the hop checks of [`crate::rules::hops`] decide the rest.

use crate::model::ids::*;
use crate::model::{TargetHealth, Topology};
use crate::rules::client::FailReason;
use crate::rules::dns::{self, Destination};
use crate::rules::hops;
use crate::rules::nlb;

/// Expected probabilities of each outcome of a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// Probability that target `i` answers.
    pub targets: Vec<f64>,
    /// Probability of each failure reason (indexed by [`FailReason::index`]).
    pub failures: [f64; FailReason::ALL.len()],
    /// Probability that a flow is answered across AZs (node and target in different zones).
    pub cross_az: f64,
    /// Probability that the client -> ENI leg crosses AZs.
    pub client_cross_az: f64,
}

/// Computes the expected distribution of `t`'s workload at its initial health.
pub fn expected(t: &Topology) -> Expected {
    let health: Vec<TargetHealth> = t.targets.iter().map(|x| x.health).collect();
    let mut out = Expected {
        targets: vec![0.0; t.targets.len()],
        failures: [0.0; FailReason::ALL.len()],
        cross_az: 0.0,
        client_cross_az: 0.0,
    };
    let clients = &t.workload.clients;
    for &client in clients {
        let p_client = 1.0 / clients.len() as f64;
        let subnet = t.instance_subnet(client);
        let answer = match dns::resolve(t, subnet.vpc, &t.workload.host) {
            Ok(answer) => answer,
            Err(_) => {
                out.failures[FailReason::DnsNxdomain.index()] += p_client;
                continue;
            }
        };
        let n = answer.addresses.len();
        for rotation in 0..n {
            let p = p_client / n as f64;
            let chosen =
                answer.addresses[dns::preferred_address(&answer.addresses, rotation, subnet.cidr)];
            let Destination::EndpointEni(eni) = chosen.destination else {
                out.failures[FailReason::NoEndpointAtAddress.index()] += p;
                continue;
            };
            let eni_info = &t.enis[eni.index()];
            if eni_info.zone != subnet.zone {
                out.client_cross_az += p;
            }
            node_outcomes(t, &health, client, eni, p, &mut out);
        }
    }
    out
}

fn node_outcomes(
    t: &Topology,
    health: &[TargetHealth],
    client: InstanceId,
    eni: EniId,
    p: f64,
    out: &mut Expected,
) {
    if hops::endpoint_rule(t, client, eni).is_none() {
        out.failures[FailReason::SgDeny.index()] += p;
        return;
    }
    let node = t.enis[eni.index()].node;
    if !hops::nlb_admits(t, node, t.instances[client.index()].ip) {
        out.failures[FailReason::NlbSgDeny.index()] += p;
        return;
    }
    let node_info = &t.nodes[node.index()];
    let Some(listener) = t.listener_on(node_info.load_balancer, t.workload.port) else {
        out.failures[FailReason::NoListener.index()] += p;
        return;
    };
    let forward = &t.listeners[listener.index()].forward;
    let total: f64 = forward.iter().map(|(_, w)| f64::from(*w)).sum();
    for &(tg, weight) in forward {
        let p_tg = p * f64::from(weight) / total;
        if p_tg == 0.0 {
            continue;
        }
        let eligible = nlb::eligible(t, health, node, tg);
        if eligible.targets.is_empty() {
            out.failures[FailReason::NoEligibleTarget.index()] += p_tg;
            continue;
        }
        let p_target = p_tg / eligible.targets.len() as f64;
        for target in eligible.targets {
            match hops::target_answers(t, node, target) {
                Ok(()) => {
                    out.targets[target.index()] += p_target;
                    if t.targets[target.index()].zone != node_info.zone {
                        out.cross_az += p_target;
                    }
                }
                Err(reason) => out.failures[reason.index()] += p_target,
            }
        }
    }
}
