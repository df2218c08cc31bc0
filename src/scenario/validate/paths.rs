//! Checks over the whole topology: what each client's name resolves to, whether the paths it
//! opens are ones `sim` models, whether a listener serves the workload's port at their end, and
//! targets that will never get traffic. The rules come from [`crate::rules`]: resolution
//! (DNS-1 to DNS-4), what an address is (NET-3), the ENI's candidate nodes (PL-3), health
//! (NLB-5, HC-3).

use super::{Checker, Issue};
use crate::kp;
use crate::model::Topology;
use crate::model::ids::{EniId, LoadBalancerId, NodeId};
use crate::rules::address::{self, Destination};
use crate::rules::health::{self, TargetHealth, UnusedReason};
use crate::rules::{dns, nlb, privatelink};

/// Adds the errors and warnings of the whole-topology checks to `c`.
pub(super) fn check(t: &Topology, c: &mut Checker<'_>) {
    let w = &t.workload;
    // One error per (VPC, address), naming the first client that meets it.
    let mut refused: Vec<(crate::model::ids::VpcId, std::net::Ipv4Addr)> = Vec::new();
    for (k, &client) in w.clients.iter().enumerate() {
        let instance = &t.instances[client.index()];
        let vpc = t.subnets[instance.subnet.index()].vpc;
        let vpc_name = &t.vpcs[vpc.index()].name;
        let Ok(answer) = dns::resolve(t, vpc, &w.host) else {
            c.warn(
                kp!["workload", "clients"].index(k),
                format!(
                    "{} does not resolve from client {} in VPC {vpc_name} (no private hosted zone of that VPC has it): its flows fail with DNS_NXDOMAIN (docs/model.md DNS-1)",
                    w.host, instance.name
                ),
            );
            continue;
        };
        for ip in &answer.addresses {
            let what = match address::destination(t, vpc, *ip) {
                Destination::EndpointEni(eni) => {
                    if w.protocol == crate::model::Transport::Udp {
                        push_once(
                            &mut c.errors,
                            Issue {
                                path: kp!["workload", "protocol"],
                                value: Some(super::quoted("udp")),
                                message: format!(
                                    "{} resolves from client {} (VPC {vpc_name}) to {ip}, an interface endpoint: an endpoint service carries TCP only, so UDP cannot cross PrivateLink (docs/model.md PL-8); reach the NLB directly through its own DNS name (docs/model.md NLB-11, NLB-15), or use protocol = \"tcp\"",
                                    w.host, instance.name
                                ),
                            },
                        );
                    }
                    listener_check(t, c, eni);
                    continue;
                }
                Destination::Nothing => continue,
                Destination::Node(node) => {
                    node_listener_check(t, c, node);
                    continue;
                }
                _ if refused.contains(&(vpc, *ip)) => continue,
                Destination::Instance(i) => format!(
                    "instance {}'s own address: connections straight to an instance are not modelled (docs/model.md NET-3)",
                    t.instances[i.index()].name
                ),
            };
            refused.push((vpc, *ip));
            push_once(
                &mut c.errors,
                Issue {
                    path: kp!["workload", "host"],
                    value: Some(super::quoted(&w.host)),
                    message: format!(
                        "resolves from client {} (VPC {vpc_name}) to {ip}, {what}; sim refuses the scenario rather than answer wrongly (docs/model.md NET-3)",
                        instance.name
                    ),
                },
            );
        }
    }
    let admin = crate::state::Admin::initial(t);
    for (i, state) in health::settle(t, &admin).iter().enumerate() {
        let target = &t.targets[i];
        let group = &t.target_groups[target.target_group.index()];
        if *state != TargetHealth::Unused(UnusedReason::NotInUse) {
            continue;
        }
        let instance = &t.instances[target.instance.index()];
        // A group's targets are numbered consecutively in its list order (validation).
        let k = i - group.targets[0].index();
        debug_assert_eq!(group.targets[k].index(), i);
        let message = match group.load_balancer {
            Some(lb) => {
                let subnet = &t.subnets[instance.subnet.index()];
                format!(
                    "target {} is in {} ({}), which load balancer {} does not enable: it gets no traffic (Target.NotInUse) (docs/model.md NLB-5)",
                    instance.name,
                    subnet.az_name,
                    t.zones[subnet.zone.index()].az_id,
                    t.load_balancers[lb.index()].name
                )
            }
            None => format!(
                "target group {} is used by no load balancer's listener: target {} gets no traffic (Target.NotInUse)",
                group.name, instance.name
            ),
        };
        c.warn(
            kp!["target_groups", &group.name, "targets"].index(k),
            message,
        );
    }
}

/// The workload's port must be served by a listener of the load balancers an ENI may be bound
/// to: none of them is an error (surely a typo), some of them a warning (connections bound to
/// the others are reset: NO_LISTENER).
fn listener_check(t: &Topology, c: &mut Checker<'_>, eni: EniId) {
    let lbs: Vec<_> = privatelink::eni_candidates(t, eni)
        .iter()
        .map(|n| t.nodes[n.index()].load_balancer)
        .collect();
    listeners_serve(t, c, &lbs, Some(eni));
}

/// A direct client's node must have a listener on the workload's port (NLB-2, NLB-15).
fn node_listener_check(t: &Topology, c: &mut Checker<'_>, node: NodeId) {
    listeners_serve(t, c, &[t.nodes[node.index()].load_balancer], None);
}

/// The workload's port must be served by a listener of `lbs`, the load balancers a connection may
/// reach (through `eni`, or directly): none of them is an error, some of them a warning.
fn listeners_serve(t: &Topology, c: &mut Checker<'_>, lbs: &[LoadBalancerId], eni: Option<EniId>) {
    let port = t.workload.port;
    let missing: Vec<_> = lbs
        .iter()
        .filter(|lb| nlb::udp::listener_for(t, **lb, port, t.workload.protocol).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let describe = |lb: LoadBalancerId| {
        let ports: Vec<String> = t.load_balancers[lb.index()]
            .listeners
            .iter()
            .map(|l| {
                let l = &t.listeners[l.index()];
                match l.protocol {
                    crate::model::LbProtocol::Tcp => l.port.to_string(),
                    other => format!("{} {}", l.port, other.name()),
                }
            })
            .collect();
        format!(
            "{} (listeners: {})",
            t.load_balancers[lb.index()].name,
            if ports.is_empty() {
                "none".to_string()
            } else {
                ports.join(", ")
            }
        )
    };
    let names: Vec<String> = missing.iter().map(|lb| describe(**lb)).collect();
    let issue = Issue {
        path: kp!["workload", "port"],
        value: Some(port.to_string()),
        message: format!(
            "no listener of load balancer {} (behind {}) serves this port{}",
            names.join(", "),
            t.workload.host,
            match t.workload.protocol {
                crate::model::Transport::Tcp => " (docs/model.md NLB-2)",
                crate::model::Transport::Udp =>
                    " for UDP, a UDP or TCP_UDP listener (docs/model.md NLB-2, NLB-17)",
            }
        ),
    };
    if let (false, Some(eni)) = (missing.len() == lbs.len(), eni) {
        let issue = Issue {
            message: format!(
                "{}; endpoint ENI {} may be bound to it, and its connections are then reset (NO_LISTENER)",
                issue.message,
                privatelink::eni_name(t, eni)
            ),
            ..issue
        };
        push_once(&mut c.warnings, issue);
    } else {
        push_once(&mut c.errors, issue);
    }
}

fn push_once(list: &mut Vec<Issue>, issue: Issue) {
    if !list.iter().any(|e| e.message == issue.message) {
        list.push(issue);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const RECORD: &str = "records = [{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\" } }]";

    #[test]
    fn a_client_straight_to_an_instance_is_refused_and_to_an_nlb_node_simulated() {
        // A client in the provider VPC whose record points at the NLB's node in provider-1
        // (10.11.0.6: instances first, web-1 .4 and the client .5, then the node).
        let direct = edited(&[
            (
                "vpc_ids = [\"consumer\"]",
                "vpc_ids = [\"consumer\", \"provider\"]",
            ),
            (
                RECORD,
                "records = [{ name = \"provider-nlb\", type = \"A\", ttl = 60, records = [\"10.11.0.6\"] }]",
            ),
            (
                "[instances.consumer-client]\nsubnet_id = \"consumer-1\"",
                "[instances.consumer-client]\nsubnet_id = \"provider-1\"",
            ),
        ]);
        assert_valid(&direct);
        // ...unless no listener of that node's load balancer serves the workload's port.
        assert_error(
            &direct.replace("port = 80\narrival_rate", "port = 8080\narrival_rate"),
            "workload.port",
            "no listener of load balancer provider-nlb",
        );
        let instance = edited(&[
            (
                "vpc_ids = [\"consumer\"]",
                "vpc_ids = [\"consumer\", \"provider\"]",
            ),
            (
                RECORD,
                "records = [{ name = \"provider-nlb\", type = \"A\", ttl = 60, records = [\"10.11.0.68\"] }]",
            ),
            (
                "[instances.consumer-client]\nsubnet_id = \"consumer-1\"",
                "[instances.consumer-client]\nsubnet_id = \"provider-1\"",
            ),
        ]);
        assert_error(&instance, "workload.host", "instance web-2's own address");
        // The same address seen from the consumer VPC (same CIDR) is the endpoint ENI or
        // nothing: simulated.
        assert_valid(&edited(&[(
            RECORD,
            "records = [{ name = \"provider-nlb\", type = \"A\", ttl = 60, records = [\"10.11.0.5\", \"10.11.0.99\"] }]",
        )]));
    }

    #[test]
    fn the_port_needs_a_listener_and_unreachable_targets_are_warned_about() {
        assert_error(
            &edited(&[("port = 80\narrival_rate", "port = 8080\narrival_rate")]),
            "workload.port",
            "serves this port",
        );
        let (_, warnings) = problems(&edited(&[(
            "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
            "subnets = [\"provider-1\", \"provider-2\"]",
        )]));
        assert!(
            warnings.iter().any(
                |w| w.starts_with("target_groups.web.targets[2]: target web-3")
                    && w.contains("Target.NotInUse")
            ),
            "{warnings:#?}"
        );
        let (_, warnings) = problems(&edited(&[(
            "vpc_ids = [\"consumer\"]",
            "vpc_ids = [\"provider\"]",
        )]));
        assert!(
            warnings.iter().any(|w| w.contains("DNS_NXDOMAIN")),
            "{warnings:#?}"
        );
    }
}
