//! UDP through a Network Load Balancer node (docs/model.md NLB-17): which listener takes a
//! datagram. The datagram from the node to the target is [`super::reach_over`], the TCP
//! connection's rules with `udp` and the target's `udp_server`.
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
//! A UDP flow that lives (`[workload.connection]`) is re-hashed when it idles out: see
//! [`crate::rules::connection`].
//! Not modelled: fragments, datagrams larger than the MTU, ICMP from the node.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-listeners.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation>

use crate::model::ids::{ListenerId, LoadBalancerId};
use crate::model::{Topology, Transport};

/// The listener of `lb` on `port` that takes flows of `transport`, if any (NLB-2, NLB-17).
pub fn listener_for(
    t: &Topology,
    lb: LoadBalancerId,
    port: u16,
    transport: Transport,
) -> Option<ListenerId> {
    super::listener_on(t, lb, port).filter(|l| t.listeners[l.index()].protocol.carries(transport))
}
