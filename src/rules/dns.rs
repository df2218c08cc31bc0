//! Name resolution as a client in a VPC sees it: the Route 53 Resolver of the VPC answering from
//! the private hosted zones associated with that VPC and the endpoint's own DNS names; the order
//! of each answer; and the address curl connects to (glibc `getaddrinfo`).
//!
//! Modelled (docs/model.md DNS-1 to DNS-7): A records with fixed addresses; alias A records to an
//! interface endpoint (the regional name: every ENI; a zonal name: one ENI), which take the
//! target's TTL (60 s); alias A records to a load balancer's regional name; CNAME chains (TTL =
//! the smallest along the chain); the endpoint's regional and zonal `*.vpce.amazonaws.com` names
//! and the load balancers' `*.elb.REGION.amazonaws.com` names (which nodes an answer holds is
//! [`crate::rules::nlb::dns`]); NXDOMAIN for names no associated zone has. Each query's
//! answer comes in a random order (Route 53 "returns the values in random order"), drawn per
//! (seed, client, query index) by [`AnswerOrder`]; ASSUMPTION: the managed `vpce` names shuffle
//! the same way (unpublished). [`AnswerOrder::chosen`] applies glibc's rule: an address in the
//! client's own subnet first, otherwise the answer's order; curl connects to the first address.
//! The per-client cache lives in the engines, which own time.
//! Not modelled: public hosted zones, Resolver endpoints and forwarding rules, negative caching,
//! AAAA records, DNS over TCP, split-horizon overlap between zones of different VPCs.
//! Sources: <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html>,
//! <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-simple.html>,
//! <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-dns-hostnames>

use std::net::Ipv4Addr;

use crate::model::ids::{EniId, LoadBalancerId, NodeId, VpcId};
use crate::model::net::Cidr;
use crate::model::{RecordTarget, Topology};
use crate::rng;
use crate::time::Span;

/// TTL of the endpoint's own DNS names and of alias records to them.
pub const ENDPOINT_TTL: Span = Span::from_secs(60);

/// How deep a CNAME chain may go before resolution gives up.
const MAX_CHAIN: usize = 8;

/// A resolver answer, its addresses in record order (each query shuffles them: [`AnswerOrder`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Addresses.
    pub addresses: Vec<Ipv4Addr>,
    /// How long a client may cache it.
    pub ttl: Span,
    /// The names followed, first to last, with the record kind that led on (for traces).
    pub chain: Vec<String>,
    /// What the addresses are: for a regional name, every address the name may answer with,
    /// of which an answer holds those in service at its time ([`Source`]).
    pub source: Source,
}

/// Where an answer's addresses come from, and so which of them a given answer holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Fixed A records: every address, always.
    Fixed,
    /// An endpoint's regional name: its ENIs, of which an answer holds those the endpoint has at
    /// its time (EV-10).
    EndpointRegional,
    /// An endpoint ENI's zonal name: its address, always.
    EndpointZonal,
    /// A load balancer's regional name: its nodes, in zone order, of which an answer holds those
    /// its DNS answers with at its time, with the client's AZ affinity (NLB-12, NLB-13).
    LoadBalancer(LoadBalancerId),
    /// A load balancer node's zonal name: its address, always (NLB-11).
    Node(NodeId),
}

/// Why a name did not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsError {
    /// No associated private hosted zone (nor endpoint name) has the name.
    NxDomain(String),
    /// A CNAME chain is longer than the resolver follows, or loops.
    ChainTooLong(String),
}

/// Resolves `name` as the VPC resolver of `vpc` would.
pub fn resolve(topology: &Topology, vpc: VpcId, name: &str) -> Result<Answer, DnsError> {
    let mut name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut ttl = Span(u64::MAX);
    let mut chain = Vec::new();
    for _ in 0..MAX_CHAIN {
        let zone = topology
            .hosted_zones
            .iter()
            .filter(|z| z.vpcs.contains(&vpc))
            .filter(|z| name == z.name || name.ends_with(&format!(".{}", z.name)))
            .max_by_key(|z| z.name.len());
        let record = zone.and_then(|z| z.records.iter().find(|r| r.fqdn == name));
        let (target, record_ttl) = match record {
            Some(record) => (record.target.clone(), record.ttl),
            None => match endpoint_name(topology, &name).or_else(|| nlb_name(topology, &name)) {
                Some(target) if zone.is_none() => {
                    let ttl = match target {
                        RecordTarget::LoadBalancerAlias { .. } => crate::rules::nlb::dns::TTL,
                        _ => ENDPOINT_TTL,
                    };
                    (target, ttl)
                }
                _ => return Err(DnsError::NxDomain(name)),
            },
        };
        ttl = ttl.min(record_ttl);
        match target {
            RecordTarget::Cname(next) => {
                chain.push(format!("{name} CNAME {next} (TTL {record_ttl})"));
                name = next;
            }
            RecordTarget::Addresses(ips) => {
                chain.push(format!("{name} A {} (TTL {record_ttl})", join_ips(&ips)));
                return Ok(Answer {
                    addresses: ips,
                    ttl,
                    chain,
                    source: Source::Fixed,
                });
            }
            RecordTarget::EndpointAlias { endpoint, eni } => {
                let endpoint = &topology.endpoints[endpoint.index()];
                let enis: Vec<EniId> = match eni {
                    Some(eni) => vec![eni],
                    None => endpoint.enis.clone(),
                };
                let ips: Vec<Ipv4Addr> = enis.iter().map(|e| topology.enis[e.index()].ip).collect();
                let via = match eni {
                    Some(eni) => format!("zonal name {}", topology.enis[eni.index()].dns_name),
                    None => format!("regional name {}", endpoint.dns_name),
                };
                chain.push(format!(
                    "{name} alias A -> endpoint {} {via}: {} (TTL {record_ttl})",
                    endpoint.name,
                    join_ips(&ips)
                ));
                return Ok(Answer {
                    addresses: ips,
                    ttl,
                    chain,
                    source: if eni.is_none() {
                        Source::EndpointRegional
                    } else {
                        Source::EndpointZonal
                    },
                });
            }
            RecordTarget::LoadBalancerAlias {
                load_balancer,
                node,
            } => {
                let lb = &topology.load_balancers[load_balancer.index()];
                let nodes: Vec<NodeId> = match node {
                    Some(node) => vec![node],
                    None => lb.nodes.clone(),
                };
                let ips: Vec<Ipv4Addr> =
                    nodes.iter().map(|n| topology.nodes[n.index()].ip).collect();
                let via = match node {
                    Some(node) => format!("zonal name {}", topology.nodes[node.index()].dns_name),
                    None => format!("regional name {}", lb.dns_name),
                };
                chain.push(if record.is_none() {
                    format!(
                        "{name} is load balancer {}'s {}: {} (TTL {record_ttl})",
                        lb.name,
                        if node.is_some() {
                            "zonal name"
                        } else {
                            "regional name"
                        },
                        join_ips(&ips)
                    )
                } else {
                    format!(
                        "{name} alias A -> load balancer {} {via}: {} (TTL {record_ttl})",
                        lb.name,
                        join_ips(&ips)
                    )
                });
                return Ok(Answer {
                    addresses: ips,
                    ttl,
                    chain,
                    source: match node {
                        Some(node) => Source::Node(node),
                        None => Source::LoadBalancer(load_balancer),
                    },
                });
            }
        }
    }
    Err(DnsError::ChainTooLong(name))
}

/// The endpoint's own regional or zonal DNS name, if `name` is one.
fn endpoint_name(topology: &Topology, name: &str) -> Option<RecordTarget> {
    topology
        .endpoints
        .iter()
        .enumerate()
        .find_map(|(e, endpoint)| {
            let endpoint_id = crate::model::ids::EndpointId::from_index(e);
            if endpoint.dns_name == name {
                return Some(RecordTarget::EndpointAlias {
                    endpoint: endpoint_id,
                    eni: None,
                });
            }
            endpoint
                .enis
                .iter()
                .find(|eni| topology.enis[eni.index()].dns_name == name)
                .map(|eni| RecordTarget::EndpointAlias {
                    endpoint: endpoint_id,
                    eni: Some(*eni),
                })
        })
}

/// A load balancer's own regional or zonal DNS name, if `name` is one (NLB-11): public DNS
/// answers them from any VPC.
fn nlb_name(topology: &Topology, name: &str) -> Option<RecordTarget> {
    topology
        .load_balancers
        .iter()
        .enumerate()
        .find_map(|(l, lb)| {
            let load_balancer = LoadBalancerId::from_index(l);
            if lb.dns_name == name {
                return Some(RecordTarget::LoadBalancerAlias {
                    load_balancer,
                    node: None,
                });
            }
            lb.nodes
                .iter()
                .find(|n| topology.nodes[n.index()].dns_name == name)
                .map(|n| RecordTarget::LoadBalancerAlias {
                    load_balancer,
                    node: Some(*n),
                })
        })
}

fn join_ips(ips: &[Ipv4Addr]) -> String {
    ips.iter()
        .map(|ip| ip.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The order of one query's answer (docs/model.md DNS-5): a uniformly random permutation of its
/// addresses, drawn position by position (position `j` takes one of the addresses not yet placed,
/// uniformly, from draw `j` of the query's key), so that a reader who needs only the first few
/// positions draws only those.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AnswerOrder {
    key: u64,
}

impl AnswerOrder {
    /// The key of a client's draws: stream `dns-order`, the client's instance name.
    pub fn client_key(seed: u64, client: &str) -> u64 {
        rng::keyed(seed, "dns-order", client)
    }

    /// The order of query number `query` (0 for the client's first) of the client keyed
    /// `client_key`.
    pub fn of_query(client_key: u64, query: u64) -> AnswerOrder {
        AnswerOrder {
            key: rng::draw(client_key, query),
        }
    }

    /// The addresses' positions in the answer, first to last (a permutation of `0..n`).
    pub fn order(self, n: usize) -> Vec<usize> {
        let mut left: Vec<usize> = (0..n).collect();
        let mut order = Vec::with_capacity(n);
        for j in 0..n {
            let r = rng::below(rng::draw(self.key, j as u64), (n - j) as u64) as usize;
            order.push(left.remove(r));
        }
        order
    }

    /// The address curl connects to (docs/model.md DNS-7): the first address of
    /// [`AnswerOrder::order`] that is in the client's own subnet (`own[i]`), otherwise the first
    /// one. The same as scanning the whole order, without drawing more than needed.
    #[inline]
    pub fn chosen(self, own: &[bool]) -> usize {
        let n = own.len();
        let own_count = own.iter().filter(|&&o| o).count();
        match own_count {
            // The first address, from the first draw (every address still unplaced).
            0 => rng::below(rng::draw(self.key, 0), n as u64) as usize,
            // Whatever the order, the one own-subnet address comes first.
            1 => own.iter().position(|&o| o).expect("counted one"),
            _ => self
                .order(n)
                .into_iter()
                .find(|&i| own[i])
                .expect("an own-subnet address exists"),
        }
    }
}

/// Which addresses of `answer` are in `client_subnet` (the ones getaddrinfo puts first).
pub fn own_subnet(answer: &Answer, client_subnet: Cidr) -> Vec<bool> {
    answer
        .addresses
        .iter()
        .map(|ip| client_subnet.contains(*ip))
        .collect()
}

/// The probability that [`AnswerOrder::chosen`] picks each address, over the random order:
/// uniform among the own-subnet addresses if there are any, else uniform over all.
pub fn choice_probabilities(own: &[bool]) -> Vec<f64> {
    let own_count = own.iter().filter(|&&o| o).count();
    own.iter()
        .map(|&o| match own_count {
            0 => 1.0 / own.len() as f64,
            k if o => 1.0 / k as f64,
            _ => 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_permutations_and_the_chosen_address_follows_glibc() {
        let key = AnswerOrder::client_key(1, "client-1");
        for query in 0..200 {
            let order = AnswerOrder::of_query(key, query);
            let mut sorted = order.order(4);
            let first = sorted[0];
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2, 3]);
            // No own-subnet address: the first of the order; one: always it; several: the
            // first of them in the order.
            assert_eq!(order.chosen(&[false; 4]), first);
            assert_eq!(order.chosen(&[false, false, true, false]), 2);
            let own = [true, false, true, true];
            let want = order.order(4).into_iter().find(|&i| own[i]).unwrap();
            assert_eq!(order.chosen(&own), want);
        }
    }

    #[test]
    fn the_first_address_is_uniform_and_clients_are_not_synchronised() {
        let a = AnswerOrder::client_key(1, "client-1");
        let b = AnswerOrder::client_key(1, "client-2");
        let mut counts = [0u32; 3];
        let mut same = 0;
        for query in 0..30_000 {
            let first = AnswerOrder::of_query(a, query).chosen(&[false; 3]);
            counts[first] += 1;
            same += u32::from(first == AnswerOrder::of_query(b, query).chosen(&[false; 3]));
        }
        // Chi-squared with 2 df below its 0.999 quantile (13.82).
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - 10_000.0).powi(2) / 10_000.0)
            .sum();
        assert!(chi2 < 13.82, "{counts:?}");
        // Two clients agree about a third of the time, as independent draws do.
        assert!((9_500..10_500).contains(&same), "{same}");
        assert_eq!(
            choice_probabilities(&[true, false, true]),
            vec![0.5, 0.0, 0.5]
        );
        assert_eq!(choice_probabilities(&[false; 4]), vec![0.25; 4]);
    }
}
