//! The checks a connection meets at each hop, as pure functions of the topology. The engine
//! applies them to simulated flows; [`crate::expected`] applies them to every possible path to
//! compute the expected distribution. One definition of each rule serves both.
//!
//! Modelled (aws-behaviour 5.7, 5.6): the endpoint ENI's security groups see the client's IP
//! (and its groups, when the client is in the endpoint's VPC); an NLB with security groups and
//! `enforce_security_group_inbound_rules_on_private_link_traffic = on` evaluates them against the
//! client's private IP (AWS: "the source of the traffic is the private IP address of the client,
//! not the endpoint interface"); the target sees the NLB node's private IP, so its security
//! groups must admit the node (or the NLB's security group).
//! Source: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html

use std::net::Ipv4Addr;

use crate::model::ids::*;
use crate::model::{RuleProtocol, Topology};
use crate::rules::client::FailReason;
use crate::rules::security;

/// The (group, rule) of the endpoint's security groups that admits `client`'s SYN to `eni`.
pub fn endpoint_rule(
    t: &Topology,
    client: InstanceId,
    eni: EniId,
) -> Option<(SecurityGroupId, usize)> {
    let endpoint = &t.endpoints[t.enis[eni.index()].endpoint.index()];
    let instance = &t.instances[client.index()];
    let same_vpc = t.subnets[instance.subnet.index()].vpc == endpoint.vpc;
    let source_groups: &[SecurityGroupId] = if same_vpc {
        &instance.security_groups
    } else {
        &[]
    };
    security::admitting_rule(
        &t.security_groups,
        &endpoint.security_groups,
        RuleProtocol::Tcp,
        t.workload.port,
        instance.ip,
        source_groups,
    )
}

/// Whether the NLB behind `node` lets PrivateLink traffic from `client_ip` in.
pub fn nlb_admits(t: &Topology, node: NodeId, client_ip: Ipv4Addr) -> bool {
    let lb = &t.load_balancers[t.nodes[node.index()].load_balancer.index()];
    lb.security_groups.is_empty()
        || !lb.enforce_sg_on_privatelink
        || security::admits(
            &t.security_groups,
            &lb.security_groups,
            RuleProtocol::Tcp,
            t.workload.port,
            client_ip,
            &[],
        )
}

/// What happens when `node` sends a connection to `target`: answered (`Ok`) or why not.
pub fn target_answers(t: &Topology, node: NodeId, target: TargetId) -> Result<(), FailReason> {
    let node_info = &t.nodes[node.index()];
    let lb = &t.load_balancers[node_info.load_balancer.index()];
    let instance = t.target_instance(target);
    let port = t.target_groups[t.targets[target.index()].target_group.index()].port;
    if !instance.running {
        return Err(FailReason::TargetStopped);
    }
    if !security::admits(
        &t.security_groups,
        &instance.security_groups,
        RuleProtocol::Tcp,
        port,
        node_info.ip,
        &lb.security_groups,
    ) {
        return Err(FailReason::TargetSgDeny);
    }
    if instance.web_server.as_ref().is_none_or(|w| w.port != port) {
        return Err(FailReason::TargetRefused);
    }
    Ok(())
}
