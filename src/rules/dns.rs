//! Name resolution as a client in a VPC sees it: the Route 53 Resolver of the VPC answering from
//! the private hosted zones associated with that VPC, the endpoint's own DNS names, and the
//! client-side address order (glibc `getaddrinfo`).
//!
//! Modelled: A records with fixed addresses; alias A records to an interface endpoint (the
//! regional name: every ENI; a zonal name: one ENI), which take the target's TTL (60 s);
//! CNAME chains (TTL = the smallest along the chain); the endpoint's regional and zonal
//! `*.vpce.amazonaws.com` names; NXDOMAIN for names no associated zone has.
//! The rotation of multi-address answers and the per-client cache live in the engine, which owns
//! time; [`preferred_address`] applies glibc's rule: an address in the client's own subnet first,
//! otherwise the order of the answer (aws-behaviour 6.2).
//! Not modelled: public hosted zones, Resolver endpoints and forwarding rules, negative caching,
//! AAAA records, DNS over TCP, split-horizon overlap between zones of different VPCs.
//! Sources: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html,
//! https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-dns-hostnames

use std::net::Ipv4Addr;

use crate::model::ids::{EniId, VpcId};
use crate::model::net::Cidr;
use crate::model::{RecordTarget, Topology};
use crate::time::Span;

/// TTL of the endpoint's own DNS names and of alias records to them.
pub const ENDPOINT_TTL: Span = Span::from_secs(60);

/// How deep a CNAME chain may go before resolution gives up.
const MAX_CHAIN: usize = 8;

/// What an answered address is, in the querying VPC.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The private IP of an endpoint ENI in the querying VPC.
    EndpointEni(EniId),
    /// An address that is not an endpoint ENI of that VPC (not on a simulated path).
    Elsewhere,
}

/// One address of an answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// The IP.
    pub ip: Ipv4Addr,
    /// What it is.
    pub destination: Destination,
}

/// A resolver answer, in the resolver's canonical order (before rotation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Addresses.
    pub addresses: Vec<Address>,
    /// How long a client may cache it.
    pub ttl: Span,
    /// The names followed, first to last, with the record kind that led on (for traces).
    pub chain: Vec<String>,
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
            None => match endpoint_name(topology, &name) {
                Some(target) if zone.is_none() => (target, ENDPOINT_TTL),
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
                let addresses = ips
                    .iter()
                    .map(|ip| address_in(topology, vpc, *ip))
                    .collect();
                return Ok(Answer {
                    addresses,
                    ttl,
                    chain,
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
                let addresses = enis
                    .iter()
                    .zip(ips)
                    .map(|(eni, ip)| Address {
                        ip,
                        destination: if endpoint.vpc == vpc {
                            Destination::EndpointEni(*eni)
                        } else {
                            Destination::Elsewhere
                        },
                    })
                    .collect();
                return Ok(Answer {
                    addresses,
                    ttl,
                    chain,
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

fn address_in(topology: &Topology, vpc: VpcId, ip: Ipv4Addr) -> Address {
    let eni = topology
        .enis
        .iter()
        .position(|eni| eni.ip == ip && topology.endpoints[eni.endpoint.index()].vpc == vpc);
    Address {
        ip,
        destination: eni.map_or(Destination::Elsewhere, |e| {
            Destination::EndpointEni(EniId::from_index(e))
        }),
    }
}

fn join_ips(ips: &[Ipv4Addr]) -> String {
    ips.iter()
        .map(|ip| ip.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The address curl connects to, as an index into `addresses` (already in the order the
/// resolver sent, rotation applied): the first one inside the client's own subnet, otherwise the
/// first one (glibc's RFC 6724 sort as it treats IPv4; aws-behaviour 6.2).
pub fn preferred_address(addresses: &[Address], rotation: usize, client_subnet: Cidr) -> usize {
    let n = addresses.len();
    (0..n)
        .map(|k| (k + rotation) % n)
        .find(|&i| client_subnet.contains(addresses[i].ip))
        .unwrap_or(rotation % n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str) -> Address {
        Address {
            ip: ip.parse().unwrap(),
            destination: Destination::Elsewhere,
        }
    }

    #[test]
    fn own_subnet_first_otherwise_answer_order() {
        let answer = [addr("10.0.1.10"), addr("10.0.2.10"), addr("10.0.3.10")];
        let own: Cidr = "10.0.2.0/24".parse().unwrap();
        let other: Cidr = "10.0.9.0/24".parse().unwrap();
        for rotation in 0..3 {
            assert_eq!(preferred_address(&answer, rotation, own), 1);
            assert_eq!(preferred_address(&answer, rotation, other), rotation);
        }
    }
}
