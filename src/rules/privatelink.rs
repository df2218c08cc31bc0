//! PrivateLink: interface endpoint ENIs, their binding to the provider's NLB nodes by AZ ID,
//! the endpoint's DNS names, and the security groups a PrivateLink connection meets.
//!
//! Modelled (docs/model.md AZ-2, PL-1 to PL-10):
//! - An ENI sends its connections to an NLB node in its own physical zone (same AZ ID, whatever
//!   each account calls it). With several NLBs behind one service, AWS binds each ENI at its
//!   first connection to one of the service's NLBs that has a node in the ENI's zone, at random,
//!   and keeps it: `sim` draws that binding per run, keyed by (seed, `eni-binding`, endpoint and
//!   subnet names), so adding an ENI never moves another ([`bind`]).
//! - The endpoint's regional name (every ENI) and zonal names (one ENI), with stable stand-ins for
//!   the IDs AWS would generate ([`endpoint_names`]).
//! - The client's SYN leaves through the client's egress rules and must be admitted by the
//!   endpoint ENI's groups (the client's IP; its groups when it is in the endpoint's VPC). An NLB
//!   with security groups then evaluates its inbound rules against the client's private IP unless
//!   `enforce_security_group_inbound_rules_on_private_link_traffic` is `off`.
//! - The target sees the node's private IP as the source (see [`crate::rules::nlb`]).
//!
//! Sources: <https://docs.aws.amazon.com/vpc/latest/privatelink/create-endpoint-service.html>,
//! <https://docs.aws.amazon.com/vpc/latest/privatelink/vpce-interface.html>,
//! <https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>
//! Not modelled: private DNS names of endpoint services, acceptance, endpoint policies, the
//! per-target connection limits of endpoint services, cross-Region PrivateLink.

use std::net::Ipv4Addr;

use crate::model::Topology;
use crate::model::ids::{EniId, InstanceId, LoadBalancerId, NodeId, ServiceId, ZoneId};
use crate::model::{LoadBalancer, Node, RuleProtocol};
use crate::rng;
use crate::rules::security::{self, Side, Verdict};
use crate::state::Admin;

/// The nodes an ENI in `zone` may be bound to: those of `service`'s load balancers in that zone,
/// in the order the service lists its load balancers (docs/model.md PL-2, PL-3).
pub fn candidates(
    services_lbs: &[LoadBalancerId],
    load_balancers: &[LoadBalancer],
    nodes: &[Node],
    zone: ZoneId,
) -> Vec<NodeId> {
    services_lbs
        .iter()
        .filter_map(|lb| load_balancers.get(lb.index()))
        .flat_map(|lb| lb.nodes.iter().copied())
        .filter(|n| nodes[n.index()].zone == zone)
        .collect()
}

/// [`candidates`] of one ENI of the topology.
pub fn eni_candidates(t: &Topology, eni: EniId) -> Vec<NodeId> {
    let e = &t.enis[eni.index()];
    let service: ServiceId = t.endpoints[e.endpoint.index()].service;
    candidates(
        &t.services[service.index()].load_balancers,
        &t.load_balancers,
        &t.nodes,
        e.zone,
    )
}

/// The node `eni` is bound to under `seed` (docs/model.md PL-3): its only candidate, or one
/// drawn uniformly among them, keyed by (seed, `eni-binding`, `endpoint/subnet`).
pub fn bind(t: &Topology, seed: u64, eni: EniId) -> NodeId {
    let candidates = eni_candidates(t, eni);
    match candidates.len() {
        0 => panic!("validation gives every ENI a node of its service in its zone (PL-2)"),
        1 => candidates[0],
        n => {
            let key = rng::keyed(seed, "eni-binding", &eni_name(t, eni));
            candidates[rng::below(rng::draw(key, 0), n as u64) as usize]
        }
    }
}

/// `endpoint/subnet`: the name an ENI is known by in draws and messages.
pub fn eni_name(t: &Topology, eni: EniId) -> String {
    let e = &t.enis[eni.index()];
    format!(
        "{}/{}",
        t.endpoints[e.endpoint.index()].name,
        t.subnets[e.subnet.index()].name
    )
}

/// The two ends of the client's connection to `eni` on the workload's port.
fn client_and_endpoint(t: &Topology, client: InstanceId, eni: EniId) -> (Side<'_>, Side<'_>) {
    let instance = &t.instances[client.index()];
    let e = &t.enis[eni.index()];
    let endpoint = &t.endpoints[e.endpoint.index()];
    (
        Side {
            ip: instance.ip,
            vpc: t.subnets[instance.subnet.index()].vpc,
            groups: &instance.security_groups,
        },
        Side {
            ip: e.ip,
            vpc: endpoint.vpc,
            groups: &endpoint.security_groups,
        },
    )
}

/// Whether the client's own egress rules, as `admin` has them, let its SYN out to `eni`
/// (docs/model.md SG-3, EV-7).
pub fn client_leaves(t: &Topology, admin: &Admin, client: InstanceId, eni: EniId) -> bool {
    let (from, to) = client_and_endpoint(t, client, eni);
    security::leaves(t, admin, from, to, RuleProtocol::Tcp, t.workload.port)
}

/// Whether the endpoint ENI's groups, as `admin` has them, admit the client's SYN, and by which
/// rule (docs/model.md PL-6, EV-7).
pub fn endpoint_admits(t: &Topology, admin: &Admin, client: InstanceId, eni: EniId) -> Verdict {
    let (from, to) = client_and_endpoint(t, client, eni);
    security::admits(t, admin, from, to, RuleProtocol::Tcp, t.workload.port)
}

/// Whether the NLB behind `node` lets PrivateLink traffic from `client_ip` in under `admin`
/// (docs/model.md PL-7, EV-7): no groups, or enforcement off, or an inbound rule in force
/// admitting the client's private IP.
pub fn nlb_admits(t: &Topology, admin: &Admin, node: NodeId, client_ip: Ipv4Addr) -> Verdict {
    let n = &t.nodes[node.index()];
    let lb = &t.load_balancers[n.load_balancer.index()];
    if !lb.enforce_sg_on_privatelink {
        return Verdict::Admitted(None);
    }
    security::connection(
        t,
        admin,
        Side {
            ip: client_ip,
            vpc: lb.vpc,
            groups: &[],
        },
        Side {
            ip: n.ip,
            vpc: lb.vpc,
            groups: &lb.security_groups,
        },
        RuleProtocol::Tcp,
        t.workload.port,
        false,
    )
}

/// The endpoint's regional DNS name and the zonal name of its ENI in `az_name`
/// (docs/model.md PL-4), with deterministic stand-ins for the IDs in them (`vpce-<id>-<suffix>`,
/// `vpce-svc-<id>`), derived from the scenario names so that reports are stable.
pub fn endpoint_names(endpoint: &str, service: &str, region: &str) -> EndpointNames {
    let mut state = 0x5eed_u64;
    for b in endpoint.bytes() {
        state = rng::splitmix64(&mut state) ^ u64::from(b);
    }
    let endpoint_id = rng::splitmix64(&mut state);
    let suffix = rng::splitmix64(&mut state);
    let mut state = 0x5e4c_u64;
    for b in service.bytes() {
        state = rng::splitmix64(&mut state) ^ u64::from(b);
    }
    let service_id = rng::splitmix64(&mut state);
    let letters: String = (0..8)
        .map(|i| char::from(b'a' + ((suffix >> (i * 5)) % 26) as u8))
        .collect();
    EndpointNames {
        endpoint: format!("vpce-{:017x}-{letters}", endpoint_id >> 4),
        service: format!("vpce-svc-{:017x}", service_id >> 4),
        region: region.to_string(),
    }
}

/// The parts of an endpoint's DNS names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointNames {
    endpoint: String,
    service: String,
    region: String,
}

impl EndpointNames {
    /// The endpoint's ID, `vpce-` and 17 hex digits: its regional name's first label without the
    /// random suffix AWS adds to it.
    pub fn endpoint_id(&self) -> &str {
        self.endpoint
            .rsplit_once('-')
            .map_or(self.endpoint.as_str(), |(id, _)| id)
    }

    /// `vpce-...-xxxxxxxx.vpce-svc-....REGION.vpce.amazonaws.com`: every ENI.
    pub fn regional(&self) -> String {
        format!(
            "{}.{}.{}.vpce.amazonaws.com",
            self.endpoint, self.service, self.region
        )
    }

    /// `vpce-...-xxxxxxxx-AZNAME.vpce-svc-....REGION.vpce.amazonaws.com`: the ENI in `az_name`.
    pub fn zonal(&self, az_name: &str) -> String {
        format!(
            "{}-{az_name}.{}.{}.vpce.amazonaws.com",
            self.endpoint, self.service, self.region
        )
    }
}
