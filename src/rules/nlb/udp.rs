//! UDP through a Network Load Balancer node (docs/model.md NLB-17): which listener takes a
//! datagram, and the datagram from the node to the target.
//!
//! Modelled: a listener takes a flow when its protocol carries the flow's transport (`UDP` and
//! `TCP_UDP` take UDP; `TCP`, `TCP_UDP` and `TLS` take TCP); a UDP datagram no listener takes
//! is dropped (no reset exists for UDP: the client times out, `NO_UDP_LISTENER`). The node
//! hashes the 5-tuple only (protocol 17, source IP and port, destination IP and port; no
//! sequence number: [`super::hash`]). Client IP preservation is always on for UDP target
//! groups, so the target's security groups see the client's own address (a rule may also
//! reference the NLB's groups); the rules must admit `udp` on the target port. The target's
//! `udp_server` must listen on that port, else the target answers ICMP port unreachable and the
//! client's read fails at once (`PORT_UNREACHABLE`).
//! ASSUMPTION: the ICMP port unreachable reaches the client (AWS documents no behaviour).
//! Not modelled: the 120 s UDP flow idle timeout (every datagram of the model is a flow of its
//! own), fragments, datagrams larger than the MTU, ICMP from the node.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-listeners.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation>

use std::net::Ipv4Addr;

use crate::model::ids::{
    InstanceId, ListenerId, LoadBalancerId, NodeId, SecurityGroupId, TargetId,
};
use crate::model::{RuleProtocol, Topology, Transport};
use crate::rules::outcome::FailReason;
use crate::rules::security::{self, Side, Verdict};
use crate::state::Admin;

/// The listener of `lb` on `port` that takes flows of `transport`, if any (NLB-2, NLB-17).
pub fn listener_for(
    t: &Topology,
    lb: LoadBalancerId,
    port: u16,
    transport: Transport,
) -> Option<ListenerId> {
    super::listener_on(t, lb, port).filter(|l| t.listeners[l.index()].protocol.carries(transport))
}

/// A UDP datagram from `node` to `target` on `port`, sent with the client's address `client_ip`
/// as its source (client IP preservation, always on for UDP): the instance running, its zone
/// not impaired, the NLB's egress rules and the target's ingress rules for `udp`, and a UDP
/// server on the port. The target's ingress rule that admitted it, or why it failed.
pub fn reach(
    t: &Topology,
    admin: &Admin,
    node: NodeId,
    client_ip: Ipv4Addr,
    target: TargetId,
    port: u16,
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
            ip: client_ip,
            vpc: lb.vpc,
            groups: &lb.security_groups,
        },
        Side {
            ip: instance.ip,
            vpc: t.subnets[instance.subnet.index()].vpc,
            groups: &instance.security_groups,
        },
        RuleProtocol::Udp,
        port,
        true,
    );
    let rule = match verdict {
        Verdict::Admitted(rule) => rule,
        Verdict::EgressDenied => return Err(FailReason::NlbSgEgressDeny),
        Verdict::IngressDenied => return Err(FailReason::TargetSgDeny),
    };
    let listening = instance.udp_server.as_ref().is_some_and(|w| w.port == port);
    if !listening || !admin.serving[instance_id.index()] {
        return Err(FailReason::PortUnreachable);
    }
    Ok(rule)
}
