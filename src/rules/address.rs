//! What an address is, seen from a VPC (docs/model.md NET-3).
//!
//! Modelled: a client reaches an address through its VPC's local route when the address is in
//! the VPC's CIDR, and through a peering when it is in a peered VPC's CIDR. The address may
//! belong to an interface endpoint's ENI (the PrivateLink path), to a load balancer node (a
//! direct client), to an instance, or to nothing. Two VPCs may share a CIDR (they then cannot be
//! peered): an address means whatever owns it in the client's VPC.
//! ASSUMPTION: routing is the VPC's local route plus, for each peering, the routes it needs in
//! both VPCs' route tables; no route tables, gateways or NACLs are modelled.
//! Not modelled (refused by validation rather than answered wrongly): clients that connect
//! straight to an instance.

use std::net::Ipv4Addr;

use crate::model::Topology;
use crate::model::ids::{EniId, InstanceId, NodeId, VpcId};

/// What owns an address, seen from one VPC.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The private IP of an interface endpoint's ENI in the VPC: the PrivateLink path.
    EndpointEni(EniId),
    /// A load balancer node: a direct client of the NLB.
    Node(NodeId),
    /// An instance (not modelled as a destination).
    Instance(InstanceId),
    /// Nothing owns it, or no route leads there: the SYN goes nowhere.
    Nothing,
}

/// What `ip` is for an interface in `vpc`: in `vpc` itself, or in a VPC peered with it.
pub fn destination(t: &Topology, vpc: VpcId, ip: Ipv4Addr) -> Destination {
    if t.vpcs[vpc.index()].cidr.contains(ip) {
        return owner(t, vpc, ip);
    }
    for &(a, b) in &t.peerings {
        let peer = if a == vpc {
            b
        } else if b == vpc {
            a
        } else {
            continue;
        };
        if t.vpcs[peer.index()].cidr.contains(ip) {
            return owner(t, peer, ip);
        }
    }
    Destination::Nothing
}

/// What owns `ip` in `vpc`.
fn owner(t: &Topology, vpc: VpcId, ip: Ipv4Addr) -> Destination {
    let in_vpc = |subnet: crate::model::ids::SubnetId| t.subnets[subnet.index()].vpc == vpc;
    if let Some(e) = t.enis.iter().position(|e| e.ip == ip && in_vpc(e.subnet)) {
        return Destination::EndpointEni(EniId::from_index(e));
    }
    if let Some(n) = t.nodes.iter().position(|n| n.ip == ip && in_vpc(n.subnet)) {
        return Destination::Node(NodeId::from_index(n));
    }
    if let Some(i) = t
        .instances
        .iter()
        .position(|i| i.ip == ip && in_vpc(i.subnet))
    {
        return Destination::Instance(InstanceId::from_index(i));
    }
    Destination::Nothing
}
