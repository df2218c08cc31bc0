//! A flow's path as data: one [`Hop`] per decision, with its time, what it read and the rules
//! (docs/model.md ids) that decided. `sim explain` renders them ([`crate::output::explain`]);
//! nothing here is text.

use std::net::Ipv4Addr;

use crate::model::ids::*;
use crate::rules::address::Destination;
use crate::rules::nlb::CrossZone;
use crate::rules::outcome::FailReason;
use crate::time::Span;

/// One decision on a flow's path.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    /// When, from the flow's start.
    pub at: Span,
    /// The rules that decided (docs/model.md ids).
    pub rules: &'static [&'static str],
    /// What happened.
    pub kind: HopKind,
}

/// What happened at a hop.
#[derive(Clone, Debug, PartialEq)]
pub enum HopKind {
    /// The client starts curl.
    Start {
        /// The client instance.
        client: InstanceId,
    },
    /// The client's cache holds a valid answer.
    Cached {
        /// The client's query that brought it (absent when the path is enumerated).
        query: Option<u64>,
    },
    /// No valid cached answer: the client queries the VPC resolver.
    Query {
        /// Its number among the client's queries (absent when enumerated).
        query: Option<u64>,
    },
    /// The resolver's answer arrives.
    Answered {
        /// The addresses in the order of this answer (absent when enumerated).
        order: Option<Vec<usize>>,
    },
    /// The name does not resolve.
    NxDomain,
    /// curl connects to the address getaddrinfo put first.
    Connect {
        /// Its position in the answer's records.
        address: usize,
        /// The address.
        ip: Ipv4Addr,
        /// It is in the client's own subnet (so getaddrinfo put it first).
        own_subnet: bool,
        /// What it is in the client's VPC.
        destination: Destination,
        /// The flow's source port and initial sequence number (absent when enumerated).
        connection: Option<(u16, u32)>,
    },
    /// Nothing owns the address: the SYN goes nowhere.
    Nowhere,
    /// The client's security groups let no SYN out.
    ClientEgressDenied {
        /// The address it was for (an endpoint ENI's or a node's).
        ip: Ipv4Addr,
    },
    /// A direct client's SYN reached a node in an impaired zone (EV-4).
    NodeImpaired {
        /// The node.
        node: NodeId,
    },
    /// What a load balancer's regional name answered, and why (NLB-12, NLB-13).
    NlbAnswer {
        /// The load balancer.
        load_balancer: LoadBalancerId,
        /// The nodes DNS held (DNS failover, fail-open, zonal shift), in zone order.
        held: Vec<NodeId>,
        /// Nodes left out because their zone fell below the DNS failover threshold.
        unhealthy: Vec<NodeId>,
        /// Nodes left out by a zonal shift.
        shifted: Vec<NodeId>,
        /// Every zone was below the threshold: the name failed open to every node.
        fail_open: bool,
        /// The query was affine (its client's zone only, when held).
        affine: bool,
    },
    /// The address is an ENI its endpoint no longer has: nothing answers (EV-10).
    EniRemoved {
        /// The ENI.
        eni: EniId,
    },
    /// The endpoint ENI is in an impaired zone: the SYN is lost (EV-4).
    EndpointImpaired {
        /// The ENI.
        eni: EniId,
    },
    /// The endpoint ENI's security groups drop the SYN.
    EndpointDenied {
        /// The ENI.
        eni: EniId,
    },
    /// The endpoint ENI admits the SYN and PrivateLink carries it to the bound node.
    EndpointAdmitted {
        /// The ENI.
        eni: EniId,
        /// The (group, ingress rule) that admitted it.
        rule: Option<(SecurityGroupId, usize)>,
        /// The node the ENI is bound to.
        node: NodeId,
        /// How many nodes (of the service's NLBs) the ENI could have been bound to.
        candidates: usize,
    },
    /// The NLB's security groups, enforced on PrivateLink traffic, drop it.
    NlbDenied {
        /// The node.
        node: NodeId,
        /// The client reached the node directly (not through PrivateLink).
        direct: bool,
    },
    /// The NLB's security groups admit it.
    NlbAdmitted {
        /// The node.
        node: NodeId,
        /// The (group, ingress rule), or `None` when enforcement is off.
        rule: Option<(SecurityGroupId, usize)>,
        /// The client reached the node directly (not through PrivateLink).
        direct: bool,
    },
    /// No listener on the port: RST.
    NoListener {
        /// The node.
        node: NodeId,
    },
    /// The listener forwards to a target group.
    Forwarded {
        /// The node.
        node: NodeId,
        /// The listener.
        listener: ListenerId,
        /// The group.
        target_group: TargetGroupId,
        /// The listener forwards to several groups by weight.
        weighted: bool,
    },
    /// The node has no target in scope.
    NoEligible {
        /// The node.
        node: NodeId,
        /// The group.
        target_group: TargetGroupId,
        /// The cross-zone setting that set the scope.
        cross_zone: CrossZone,
    },
    /// The node hashes the flow and picks a target.
    Picked {
        /// The node.
        node: NodeId,
        /// The group.
        target_group: TargetGroupId,
        /// The cross-zone setting that set the scope.
        cross_zone: CrossZone,
        /// The eligible targets, in pick order.
        eligible: Vec<TargetId>,
        /// No target in scope was healthy: the node failed open.
        fail_open: bool,
        /// The flow hash (absent when enumerated).
        hash: Option<u64>,
        /// The index picked in `eligible`.
        pick: usize,
    },
    /// The connection to the target is dropped (stopped, or by a security group).
    TargetDropped {
        /// The target.
        target: TargetId,
        /// Why.
        reason: FailReason,
    },
    /// Nothing listens on the target port: RST.
    TargetRefused {
        /// The target.
        target: TargetId,
    },
    /// The target accepts the connection.
    Delivered {
        /// The target.
        target: TargetId,
        /// The node.
        node: NodeId,
        /// The (group, ingress rule) of the target that admitted it.
        rule: Option<(SecurityGroupId, usize)>,
        /// The source address the target sees: the node's, or a direct client's preserved
        /// (NLB-16, PL-5).
        source: Ipv4Addr,
        /// The proxy protocol v2 header it receives first, when its group sends one and the
        /// flow's source port is known (NLB-14).
        header: Option<crate::rules::proxy_protocol::Header>,
    },
    /// The target's own connection came back to it with its address preserved: it times out
    /// (NLB-16).
    Hairpin {
        /// The target.
        target: TargetId,
    },
    /// The target's server and the group disagree on the proxy protocol header (NLB-14).
    ProxyProtocolMismatch {
        /// The target.
        target: TargetId,
        /// What came of it.
        reason: FailReason,
    },
    /// The SYN-ACK is back; curl sends its request.
    Established,
    /// The response is back at the client.
    Completed {
        /// The target that answered.
        target: TargetId,
        /// Request and response payload bytes.
        bytes: u64,
    },
    /// The connection, open since the response, ends (connections that live: CONN-1 to
    /// CONN-5).
    ConnectionEnded {
        /// How, when and the requests it carried.
        fate: crate::rules::connection::Fate,
        /// Its target.
        target: TargetId,
    },
    /// The client gives up or is reset.
    Failed {
        /// Why.
        reason: FailReason,
    },
}
