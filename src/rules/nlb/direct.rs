//! A client that reaches a load balancer node directly, through its VPC's local route or a
//! peering (docs/model.md NLB-15): the security groups on the way.
//!
//! Modelled: the client's egress rules must let the SYN out to the node's address (SG-3); an NLB
//! with security groups evaluates its inbound rules on the client's own address and groups (a
//! rule may reference the client's group, across a peering too: SG-2). An NLB created without
//! security groups filters nothing. `enforce_security_group_inbound_rules_on_private_link_traffic`
//! plays no part here: it concerns PrivateLink traffic only (PL-7). The rules match the
//! workload's protocol: `tcp`, or `udp` for a UDP workload (NLB-17).
//! Source: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

use crate::model::Topology;
use crate::model::ids::{InstanceId, NodeId};
use crate::rules::security::{self, Side, Verdict};
use crate::state::Admin;

/// The client and the node as security groups see them.
fn sides(t: &Topology, client: InstanceId, node: NodeId) -> (Side<'_>, Side<'_>) {
    let instance = &t.instances[client.index()];
    let n = &t.nodes[node.index()];
    let lb = &t.load_balancers[n.load_balancer.index()];
    (
        Side {
            ip: instance.ip,
            vpc: t.subnets[instance.subnet.index()].vpc,
            groups: &instance.security_groups,
        },
        Side {
            ip: n.ip,
            vpc: lb.vpc,
            groups: &lb.security_groups,
        },
    )
}

/// True when `client`'s egress rules in force let its connection to `node` on `port` out (SG-3).
pub fn client_leaves(
    t: &Topology,
    admin: &Admin,
    client: InstanceId,
    node: NodeId,
    port: u16,
) -> bool {
    let (from, to) = sides(t, client, node);
    security::leaves(
        t,
        admin,
        from,
        to,
        t.workload.protocol.rule_protocol(),
        port,
    )
}

/// The NLB's inbound rules in force on `client`'s connection to `node` on `port` (SG-1, SG-2).
pub fn nlb_admits(
    t: &Topology,
    admin: &Admin,
    client: InstanceId,
    node: NodeId,
    port: u16,
) -> Verdict {
    let (from, to) = sides(t, client, node);
    security::admits(
        t,
        admin,
        from,
        to,
        t.workload.protocol.rule_protocol(),
        port,
    )
}
