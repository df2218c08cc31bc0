//! Teaching output: `sim explain` renders one flow's hops ([`crate::walk::Hop`]) with the rules
//! that decided each (docs/model.md ids, an assumption's marked `*`) and lists those rules'
//! titles and sources from docs/model.md itself ([`crate::rules::catalog`]); `sim check` summarises what a scenario builds (zones by
//! AZ ID, nodes, ENI -> node bindings, target health, DNS names). Both only read: the walk and
//! the state decide, this module words it.

use std::fmt::Write as _;

use crate::model::ids::*;
use crate::model::{LbProtocol, Topology, Transport};
use crate::output::report::cross_zone_setting_words;
use crate::rules::address::Destination;
use crate::rules::catalog;
use crate::rules::connection::End;
use crate::rules::nlb::CrossZone;
use crate::rules::outcome::FailReason;
use crate::scenario::Scenario;
use crate::sim::events::Traced;
use crate::state::State;
use crate::time::SimTime;
use crate::time::Span;
use crate::timeline::Timeline;
use crate::walk::{Hop, HopKind};

/// The assumptions a trace relies on, stated with every trace.
const ASSUMPTIONS: &str = "\
Stated assumptions (AWS does not publish these; docs/model.md):
  - NLB-7: the flow hash is NLB-like, a 64-bit hash of protocol, source IP and port, destination IP
    and port and the initial sequence number; AWS's own function is not public; the node hashes the
    client's connection as sent to the endpoint ENI (PrivateLink) or to the node (a direct client)
  - NLB-8: the pick maps the hash uniformly (or by a Maglev table) onto the eligible targets
  - DNS-5: each query's answer comes in a random order, the managed vpce names included
  - CLI-1: the source port is uniform over the even ports of 32768-60999
  - PL-3: with several NLBs behind the service, each ENI's binding is a seeded random draw
  - NLB-13: with partial AZ affinity, the 15 % of queries not favoured get the whole answer
  - HC-2, HC-4, HC-5: a target is healthy when every node's checks pass; health is settled at the
    start, then each node checks on its own seeded phase; EV-4: an impaired zone's nodes veto nothing
  - TIME-1: latencies are the scenario's [network] values (PrivateLink hop 100us by default)
";

/// One flow traced in one variant: what `sim explain` renders.
pub struct TracedVariant<'s> {
    /// The variant's name.
    pub name: &'s str,
    /// Its topology.
    pub topology: &'s crate::model::Topology,
    /// The states of its run.
    pub timeline: Timeline,
    /// The seed.
    pub seed: u64,
    /// The flow's hops.
    pub traced: Traced,
}

/// How a trace says where its rule ids lead.
const LEGEND: &str = "Each line ends with the rules that decided it, [ids] of docs/model.md, listed with \
their sources under \"Sources\" at the end; * marks a rule that rests on a stated assumption.";

/// The hop-by-hop trace of one flow in every variant of `scenario` ([`crate::run::trace`]), the
/// assumptions it relies on and the sources of the rules it cites.
pub fn explain(scenario: &Scenario, flow: u64, variants: &[TracedVariant<'_>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{LEGEND}\n");
    let mut cited: Vec<&'static str> = Vec::new();
    for v in variants {
        let _ = writeln!(
            out,
            "flow {flow} of scenario {} (seed {}), variant \"{}\"",
            scenario.name, v.seed, v.name
        );
        for (line, ids) in trace_hops(v.topology, &v.timeline, &v.traced) {
            let _ = writeln!(out, "  {line}");
            cited.extend(ids);
        }
        out.push('\n');
    }
    out.push_str(ASSUMPTIONS);
    out.push('\n');
    cited.extend(catalog::ids_in(ASSUMPTIONS).into_iter().map(|(_, id)| id));
    out.push_str(&sources(&cited));
    out
}

/// One line per hop: its time since the run started, what happened, `[rules]` (a proxy protocol
/// header's bytes follow on rows of their own, each citing NLB-14).
pub fn trace_lines(t: &Topology, timeline: &Timeline, traced: &Traced) -> Vec<String> {
    trace_hops(t, timeline, traced)
        .into_iter()
        .map(|(line, _)| line)
        .collect()
}

/// [`trace_lines`], each with the rule ids it cites.
fn trace_hops(
    t: &Topology,
    timeline: &Timeline,
    traced: &Traced,
) -> Vec<(String, Vec<&'static str>)> {
    let client = t.workload.clients[traced.client];
    traced
        .hops
        .iter()
        .map(|hop| {
            let when = traced.start.after(hop.at);
            let at = Span(when.0).to_string();
            let text = words(t, timeline, when, traced, client, hop);
            let ids = cited_by(hop, &text);
            let (first, rows) = text.split_once('\n').unwrap_or((&text, ""));
            let mut line = format!("{at:>12}  {first} {}", bracket(&ids));
            for row in rows.lines() {
                let _ = write!(line, "\n{row}  {}", bracket(&["NLB-14"]));
            }
            (line, ids)
        })
        .collect()
}

/// The rules a hop's line cites: those that decided it, then any its words name (the checks
/// that turned a target unhealthy, HC-5, ...), each once, as docs/model.md spells them.
fn cited_by(hop: &Hop, words: &str) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = hop.rules.to_vec();
    for (_, id) in catalog::ids_in(words) {
        if let Some(rule) = catalog::rule(id) {
            if !ids.contains(&rule.id) {
                ids.push(rule.id);
            }
        }
    }
    ids
}

/// `[PL-6, NLB-7*]`: the ids, an assumption's marked.
fn bracket(ids: &[&str]) -> String {
    let marked: Vec<String> = ids.iter().map(|id| marked(id)).collect();
    format!("[{}]", marked.join(", "))
}

/// `id`, with `*` when its rule rests on a stated assumption.
fn marked(id: &str) -> String {
    match catalog::rule(id) {
        Some(rule) if rule.assumption => format!("{id}*"),
        _ => id.to_string(),
    }
}

/// The "Sources" section: each rule `cited` (once, in the order of docs/model.md) with its title
/// and what its text cites, each source labelled by who publishes it.
fn sources(cited: &[&str]) -> String {
    let mut out = String::from(
        "Sources (the rules cited above, from docs/model.md; * rests on a stated assumption):\n",
    );
    let rules: Vec<&catalog::Rule> = catalog::rules()
        .iter()
        .filter(|r| cited.contains(&r.id))
        .collect();
    let width = rules.iter().map(|r| marked(r.id).len()).max().unwrap_or(0);
    for rule in rules {
        let _ = writeln!(out, "  {:<width$}  {}", marked(rule.id), rule.title);
        if rule.sources.is_empty() {
            let _ = writeln!(out, "  {:<width$}    no page cited: see docs/model.md", "");
        }
        for source in &rule.sources {
            let _ = writeln!(
                out,
                "  {:<width$}    {}: {}",
                "",
                source.publisher().label(),
                source.text
            );
        }
    }
    out
}

/// The targets of `group` in `node`'s scope that it may not pick at `when` for their health,
/// each with its state, since when and why (only for runs whose state changes).
fn left_out(
    t: &Topology,
    timeline: &Timeline,
    when: SimTime,
    node: crate::model::ids::NodeId,
    group: crate::model::ids::TargetGroupId,
    eligible: &[TargetId],
) -> String {
    if timeline.is_constant() {
        return String::new();
    }
    let state = timeline.state_at(when);
    let scope = crate::rules::nlb::cross_zone_now(
        state.admin(),
        t.nodes[node.index()].load_balancer,
        group,
    );
    let out: Vec<String> = t.target_groups[group.index()]
        .targets
        .iter()
        .filter(|x| !eligible.contains(x))
        .filter(|x| scope.on() || t.targets[x.index()].zone == t.nodes[node.index()].zone)
        .map(|&x| {
            let since = timeline.health_since(x, when);
            format!(
                "{} {} since {} ({})",
                t.target_instance(x).name,
                since.health.label(),
                Span(since.at.0),
                crate::output::changes::cause_words(t, since.cause)
            )
        })
        .collect();
    if out.is_empty() {
        String::new()
    } else {
        format!("; left out: {}", out.join("; "))
    }
}

/// Why a node failed open, if it did (NLB-6): none of its targets in scope was healthy, or
/// too few for the group's routing failover threshold.
fn fail_open_words(
    t: &Topology,
    state: &State,
    group: TargetGroupId,
    eligible: &[TargetId],
    fail_open: bool,
) -> String {
    if !fail_open {
        return String::new();
    }
    let healthy = eligible
        .iter()
        .filter(|x| state.health(**x) == crate::rules::health::TargetHealth::Healthy)
        .count();
    if healthy == 0 {
        return " (none healthy: failing open)".into();
    }
    let threshold = t.target_groups[group.index()].routing_failover;
    let mut minimum = Vec::new();
    if let Some(count) = threshold.count {
        minimum.push(format!("count {count}"));
    }
    if let Some(percentage) = threshold.percentage {
        minimum.push(format!("percentage {percentage}"));
    }
    format!(
        " ({healthy} of {} healthy, below the routing failover threshold ({}): failing open)",
        eligible.len(),
        minimum.join(", ")
    )
}

fn words(
    t: &Topology,
    timeline: &Timeline,
    when: SimTime,
    traced: &Traced,
    client: InstanceId,
    hop: &Hop,
) -> String {
    let state = timeline.state_at(when);
    let c = &t.instances[client.index()];
    let proto = t.workload.protocol.name();
    let name_of = |target: TargetId| t.target_instance(target).name.as_str();
    match &hop.kind {
        HopKind::Start { .. } if t.workload.protocol == Transport::Udp => format!(
            "flow {}: client {} ({}, subnet {}) sends one UDP request to {}:{} (one datagram, one answer)",
            traced.index,
            c.name,
            c.ip,
            t.subnets[c.subnet.index()].name,
            t.workload.host,
            t.workload.port
        ),
        HopKind::Start { .. } => format!(
            "flow {}: client {} ({}, subnet {}) runs curl http://{}:{}{}",
            traced.index,
            c.name,
            c.ip,
            t.subnets[c.subnet.index()].name,
            t.workload.host,
            t.workload.port,
            t.workload.path
        ),
        HopKind::Cached { query } => format!(
            "DNS: the answer to the client's query #{} is in its cache{}",
            query.unwrap_or(0),
            traced
                .cache_expires
                .map(|e| format!(" (expires at {})", Span(e.0)))
                .unwrap_or_default()
        ),
        HopKind::Query { query } => format!(
            "DNS: no valid cached answer: query #{} to the VPC resolver ({} one way)",
            query.unwrap_or(0),
            t.network.resolver
        ),
        HopKind::Answered { order } => {
            let answer =
                crate::rules::dns::resolve(t, t.subnets[c.subnet.index()].vpc, &t.workload.host)
                    .expect("an answered query resolved");
            let mut text = format!("DNS: {}", answer.chain.join("; "));
            if let Some(order) = order.as_ref().filter(|o| o.len() > 1) {
                let ips: Vec<String> = order
                    .iter()
                    .map(|&i| answer.addresses[i].to_string())
                    .collect();
                let _ = write!(text, "; this answer's order: {}", ips.join(", "));
            }
            text
        }
        HopKind::NxDomain => format!(
            "DNS: {} does not resolve from VPC {}: NXDOMAIN",
            t.workload.host,
            t.vpcs[t.subnets[c.subnet.index()].vpc.index()].name
        ),
        HopKind::Connect {
            ip,
            own_subnet,
            destination,
            connection,
            ..
        } => {
            let why = if *own_subnet {
                "in the client's own subnet, so getaddrinfo puts it first"
            } else {
                "no answered address is in the client's subnet: the answer's first"
            };
            let what = match destination {
                Destination::EndpointEni(eni) => {
                    let e = &t.enis[eni.index()];
                    let (az, az_id) = t.az_label(e.subnet);
                    format!(
                        "endpoint {} ENI in {}, {az} {az_id}",
                        t.endpoints[e.endpoint.index()].name,
                        t.subnets[e.subnet.index()].name
                    )
                }
                Destination::Node(node) => {
                    let n = &t.nodes[node.index()];
                    let (az, az_id) = t.az_label(n.subnet);
                    let lb = &t.load_balancers[n.load_balancer.index()];
                    let client_vpc = t.subnets[c.subnet.index()].vpc;
                    let how = if lb.vpc == client_vpc {
                        "the VPC's local route".to_string()
                    } else {
                        format!(
                            "the peering with VPC {} (routes assumed)",
                            t.vpcs[lb.vpc.index()].name
                        )
                    };
                    format!(
                        "load balancer {}'s node in {}, {az} {az_id}, reached directly over {how}",
                        lb.name,
                        t.subnets[n.subnet.index()].name
                    )
                }
                _ => "owned by nothing in the client's VPC".to_string(),
            };
            let udp = t.workload.protocol == Transport::Udp;
            let (port, isn) = connection.map_or((String::new(), String::new()), |(p, i)| {
                (
                    format!(":{p}"),
                    if udp {
                        String::new()
                    } else {
                        format!(", ISN {i}")
                    },
                )
            });
            if udp {
                format!(
                    "send a UDP datagram {}{port} -> {ip}:{} ({what}; {why}; no handshake)",
                    c.ip, t.workload.port
                )
            } else {
                format!(
                    "connect {}{port} -> {ip}:{} ({what}; {why}){isn}",
                    c.ip, t.workload.port
                )
            }
        }
        HopKind::Nowhere => "the SYN goes nowhere: no answer will come".into(),
        HopKind::ClientEgressDenied { ip } => format!(
            "the client's security groups ({}) let no {proto}/{} out to {ip}: dropped",
            group_names(t, &c.security_groups),
            t.workload.port
        ),
        HopKind::NodeImpaired { node } => {
            let n = &t.nodes[node.index()];
            format!(
                "SYN at node {}: its zone {} is impaired: the SYN is lost",
                n.ip,
                t.zones[n.zone.index()].az_id
            )
        }
        HopKind::NlbAnswer {
            load_balancer,
            held,
            unhealthy,
            shifted,
            fail_open,
            affine,
        } => {
            let lb = &t.load_balancers[load_balancer.index()];
            let node = |n: &NodeId| {
                let n = &t.nodes[n.index()];
                format!("{} ({})", n.ip, t.zones[n.zone.index()].az_id)
            };
            let list = |nodes: &[NodeId]| nodes.iter().map(node).collect::<Vec<_>>().join(", ");
            let mut text = format!(
                "NLB DNS: {} answers with one node per zone it keeps: {}",
                lb.dns_name,
                list(held)
            );
            if *fail_open {
                text.push_str(
                    "; no zone meets its DNS failover threshold, so it fails open to every node",
                );
            } else if !unhealthy.is_empty() {
                let _ = write!(
                    text,
                    "; left out below the DNS failover threshold (no healthy target in scope): {}",
                    list(unhealthy)
                );
            }
            if !shifted.is_empty() {
                let _ = write!(text, "; left out by a zonal shift: {}", list(shifted));
            }
            let own: Vec<NodeId> = held
                .iter()
                .copied()
                .filter(|n| t.nodes[n.index()].zone == t.subnets[c.subnet.index()].zone)
                .collect();
            let policy = lb.routing_policy;
            match (policy, *affine, own.is_empty()) {
                (crate::model::RoutingPolicy::AnyZone, _, _) => {}
                (_, true, false) => {
                    let _ = write!(
                        text,
                        "; client routing policy {}: this query gets only the client's zone: {}",
                        policy.name(),
                        list(&own)
                    );
                }
                (_, true, true) => {
                    let _ = write!(
                        text,
                        "; client routing policy {}: the client's zone has no node in the answer, so the whole answer",
                        policy.name()
                    );
                }
                (_, false, _) => {
                    let _ = write!(
                        text,
                        "; client routing policy {}: this query is among the 15 % that get the whole answer (ASSUMPTION)",
                        policy.name()
                    );
                }
            }
            text
        }
        HopKind::EniRemoved { eni } => {
            let e = &t.enis[eni.index()];
            format!(
                "{} was endpoint {}'s ENI in {}, removed from the endpoint: the client's cached answer still holds it, nothing answers and the SYN is lost",
                e.ip,
                t.endpoints[e.endpoint.index()].name,
                t.subnets[e.subnet.index()].name
            )
        }
        HopKind::EndpointImpaired { eni } => {
            let e = &t.enis[eni.index()];
            format!(
                "SYN at endpoint {} ENI {}: its zone {} is impaired: the SYN is lost",
                t.endpoints[e.endpoint.index()].name,
                e.ip,
                t.zones[e.zone.index()].az_id
            )
        }
        HopKind::EndpointDenied { eni } => {
            let e = &t.enis[eni.index()];
            let endpoint = &t.endpoints[e.endpoint.index()];
            format!(
                "SYN at endpoint {} ENI {}: no rule of its security groups ({}) admits {proto}/{} from {}: dropped",
                endpoint.name,
                e.ip,
                group_names(t, &endpoint.security_groups),
                t.workload.port,
                c.ip
            )
        }
        HopKind::EndpointAdmitted {
            eni,
            rule,
            node,
            candidates,
        } => {
            let e = &t.enis[eni.index()];
            let n = &t.nodes[node.index()];
            let binding = if *candidates > 1 {
                format!(
                    "bound (a seeded draw among {candidates} NLBs of the service with a node in this AZ) to"
                )
            } else {
                "to".to_string()
            };
            format!(
                "SYN at endpoint {} ENI {}: admitted by {}; PrivateLink carries it {binding} {}'s node in the same AZ ID {} ({})",
                t.endpoints[e.endpoint.index()].name,
                e.ip,
                rule_name(t, *rule),
                t.load_balancers[n.load_balancer.index()].name,
                t.zones[n.zone.index()].az_id,
                n.ip
            )
        }
        HopKind::NlbDenied { node, direct } => {
            let n = &t.nodes[node.index()];
            let lb = &t.load_balancers[n.load_balancer.index()];
            format!(
                "node {}: the NLB's security groups ({}){} admit no {proto}/{} from the client {}: dropped",
                n.ip,
                group_names(t, &lb.security_groups),
                if *direct {
                    ""
                } else {
                    " are enforced on PrivateLink traffic and"
                },
                t.workload.port,
                c.ip
            )
        }
        HopKind::NlbAdmitted { node, rule, .. } => {
            let n = &t.nodes[node.index()];
            match rule {
                Some(_) => format!(
                    "node {}: the NLB's security groups admit the client {} ({})",
                    n.ip,
                    c.ip,
                    rule_name(t, *rule)
                ),
                None => format!(
                    "node {}: the NLB's security groups are not enforced on PrivateLink traffic",
                    n.ip
                ),
            }
        }
        HopKind::NoListener { node } => match t.workload.protocol {
            Transport::Tcp => format!(
                "node {}: no listener on port {}: RST",
                t.nodes[node.index()].ip,
                t.workload.port
            ),
            Transport::Udp => format!(
                "node {}: no UDP or TCP_UDP listener on port {}: the datagram is dropped (UDP has no RST)",
                t.nodes[node.index()].ip,
                t.workload.port
            ),
        },
        HopKind::Forwarded {
            node,
            listener,
            target_group,
            weighted,
        } => format!(
            "node {}: listener :{}{} forwards to target group {}{}",
            t.nodes[node.index()].ip,
            t.workload.port,
            match t.listeners[listener.index()].protocol {
                LbProtocol::Tcp => String::new(),
                p => format!(" ({})", p.name()),
            },
            t.target_groups[target_group.index()].name,
            if *weighted { " (weighted forward)" } else { "" }
        ),
        HopKind::NoEligible {
            node,
            target_group,
            cross_zone,
        } => format!(
            "node {} ({}): cross-zone {} for target group {} and no target registered in scope{}: dropped",
            t.nodes[node.index()].ip,
            t.zones[t.nodes[node.index()].zone.index()].az_id,
            on_off(*cross_zone),
            t.target_groups[target_group.index()].name,
            left_out(t, timeline, when, *node, *target_group, &[])
        ),
        HopKind::Picked {
            node,
            target_group,
            cross_zone,
            eligible,
            fail_open,
            hash,
            pick,
        } => {
            let n = &t.nodes[node.index()];
            let names: Vec<String> = eligible
                .iter()
                .map(|x| {
                    let since = if timeline.is_constant() {
                        String::new()
                    } else {
                        format!(" since {}", Span(timeline.health_since(*x, when).at.0))
                    };
                    format!("{} ({}{since})", name_of(*x), state.health(*x).label())
                })
                .collect();
            let target = eligible[*pick];
            let instance = t.target_instance(target);
            let hash = match (hash, t.workload.protocol) {
                (None, Transport::Tcp) => String::new(),
                (Some(h), Transport::Tcp) => format!("flow hash {h:#018x} -> "),
                (None, Transport::Udp) => "5-tuple hash (no sequence number) -> ".to_string(),
                (Some(h), Transport::Udp) => {
                    format!("5-tuple hash (no sequence number) {h:#018x} -> ")
                }
            };
            let open = fail_open_words(t, state, *target_group, eligible, *fail_open);
            let left = left_out(t, timeline, when, *node, *target_group, eligible);
            format!(
                "node {} ({} {}): cross-zone {}, so eligible {}: [{}]{open}{left}; {hash}#{pick} = {} ({}, {})",
                n.ip,
                t.subnets[n.subnet.index()].az_name,
                t.zones[n.zone.index()].az_id,
                cross_zone_setting_words(t, *target_group, *cross_zone),
                if cross_zone.on() {
                    "targets in every enabled AZ"
                } else {
                    "targets in the node's own AZ only"
                },
                names.join(", "),
                instance.name,
                instance.ip,
                t.zones[t.targets[target.index()].zone.index()].az_id
            )
        }
        HopKind::TargetDropped { target, reason } => {
            let instance = t.target_instance(*target);
            match reason {
                FailReason::TargetStopped => {
                    format!(
                        "target {}: instance stopped, nothing answers",
                        instance.name
                    )
                }
                FailReason::NlbSgEgressDeny => format!(
                    "the NLB's security groups let no {proto}/{} out to target {}: dropped",
                    port_of(t, *target),
                    instance.name
                ),
                _ => format!(
                    "target {}: its security groups ({}) admit no {proto}/{} from the NLB node or the NLB's groups: dropped",
                    instance.name,
                    group_names(t, &instance.security_groups),
                    port_of(t, *target)
                ),
            }
        }
        HopKind::TargetRefused { target } => match t.workload.protocol {
            Transport::Tcp => format!(
                "target {}: nothing listens on port {}: RST",
                name_of(*target),
                port_of(t, *target)
            ),
            Transport::Udp => format!(
                "target {}: no UDP server on port {} (its health check is TCP and may well pass): ICMP port unreachable",
                name_of(*target),
                port_of(t, *target)
            ),
        },
        HopKind::Delivered {
            target,
            node,
            rule,
            source,
            header,
        } => {
            let n = &t.nodes[node.index()];
            let group = &t.target_groups[t.targets[target.index()].target_group.index()];
            let seen = if *source != n.ip && t.workload.protocol == Transport::Udp {
                format!(
                    "{source}, the client's own address (client IP preservation is always on for UDP)"
                )
            } else if *source != n.ip {
                format!(
                    "{source}, the client's own address (preserve_client_ip.enabled is {} for this {} target group)",
                    group.preserve_client_ip,
                    target_type_name(group.target_type)
                )
            } else if group.preserve_client_ip {
                format!(
                    "{}, the NLB node's private IP (PrivateLink hides the client, whatever preserve_client_ip says)",
                    n.ip
                )
            } else {
                format!(
                    "{}, the NLB node's private IP (preserve_client_ip.enabled is false for this {} target group)",
                    n.ip,
                    target_type_name(group.target_type)
                )
            };
            let mut text = format!(
                "target {} admits the {} ({}) and sees it from {seen}, {}",
                name_of(*target),
                match t.workload.protocol {
                    Transport::Tcp => "connection",
                    Transport::Udp => "datagram",
                },
                rule_name(t, *rule),
                if n.zone == t.targets[target.index()].zone {
                    "same AZ"
                } else {
                    "crossing AZs"
                }
            );
            if let Some(header) = header {
                let bytes = header.to_bytes();
                let _ = write!(
                    text,
                    "; proxy protocol v2 header first ({} bytes: source {}:{}, destination {}:{}{}):",
                    bytes.len(),
                    header.source.0,
                    header.source.1,
                    header.destination.0,
                    header.destination.1,
                    header
                        .vpc_endpoint
                        .as_ref()
                        .map(|id| format!(", TLV 0xEA subtype 0x01 {id}"))
                        .unwrap_or_default()
                );
                for line in crate::rules::proxy_protocol::hex_lines(&bytes) {
                    let _ = write!(text, "\n                  {line}");
                }
            }
            text
        }
        HopKind::Hairpin { target } => format!(
            "target {} would get its own connection back with its own address as the source (client IP preserved): the reply never leaves it and the connection times out (hairpin)",
            name_of(*target)
        ),
        HopKind::ProxyProtocolMismatch { target, reason } => match reason {
            FailReason::ProxyProtocolMissing => format!(
                "target {}'s server expects a proxy protocol v2 header, but its group does not send one: it reads the request as a broken header and closes the connection",
                name_of(*target)
            ),
            _ => format!(
                "target {}'s server does not expect the proxy protocol v2 header its group sends: it reads the header as the request and answers 400 Bad Request",
                name_of(*target)
            ),
        },
        HopKind::Established => format!("SYN-ACK back at the client; GET {} sent", t.workload.path),
        HopKind::Completed { target, bytes } => {
            let instance = t.target_instance(*target);
            let (server, what) = match t.workload.protocol {
                Transport::Tcp => (instance.web_server.as_ref(), "curl"),
                Transport::Udp => (instance.udp_server.as_ref(), "the client"),
            };
            format!(
                "response \"{}\" ({bytes} payload bytes), {} after {what} started",
                server.map_or("", |w| w.body.as_str()),
                hop.at
            )
        }
        HopKind::ConnectionEnded { fate, target } => {
            let name = &t.target_instance(*target).name;
            let how = match fate.end {
                End::Closed => "closed by the client".to_string(),
                End::ResetByTarget => {
                    format!("reset by {name}: its web server crashed or its instance stopped")
                }
                End::ResetUnhealthy => format!(
                    "reset by the NLB: {name} turned unhealthy (connection termination, or the end of its unhealthy draining interval)"
                ),
                End::ResetDeregistered => format!(
                    "reset by the NLB: {name}'s deregistration delay ended, with connection termination on"
                ),
                End::IdleTimeout => {
                    "reset by the NLB at the client's next packet: idle longer than the listener's idle timeout"
                        .to_string()
                }
                End::Lost => "lost: a zone on its path was impaired (or, for UDP, its node had no target left); the client's next request timed out".to_string(),
                End::Rehashed => format!(
                    "moved off {name}: silent for longer than the node keeps a UDP flow (120 s), its next datagram was a new flow, and the same 5-tuple hash picked another target among the node's eligible targets then"
                ),
            };
            format!(
                "connection {}: {how}; {} request(s) sent, {} failed",
                fate.end.code(),
                fate.requests,
                fate.requests_failed
            )
        }
        HopKind::Failed { reason } => {
            format!("failed: {} ({})", reason.code(), reason.client_sees())
        }
    }
}

fn port_of(t: &Topology, target: TargetId) -> u16 {
    t.target_groups[t.targets[target.index()].target_group.index()].port
}

fn on_off(setting: CrossZone) -> &'static str {
    if setting.on() { "on" } else { "off" }
}

fn target_type_name(target_type: crate::model::TargetType) -> &'static str {
    match target_type {
        crate::model::TargetType::Instance => "instance",
        crate::model::TargetType::Ip => "ip",
    }
}

fn rule_name(t: &Topology, rule: Option<(SecurityGroupId, usize)>) -> String {
    match rule {
        Some((g, r)) => format!("{} ingress[{r}]", group_name(t, g)),
        None => "no security group".into(),
    }
}

fn group_name(t: &Topology, g: SecurityGroupId) -> String {
    let group = &t.security_groups[g.index()];
    if group.name == "default" {
        format!("default group of VPC {}", t.vpcs[group.vpc.index()].name)
    } else {
        group.name.clone()
    }
}

fn group_names(t: &Topology, groups: &[SecurityGroupId]) -> String {
    if groups.is_empty() {
        return "none".into();
    }
    groups
        .iter()
        .map(|g| group_name(t, *g))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A summary of what each variant of `scenario` builds, under `seed` (the ENI bindings of
/// several NLBs are a seeded draw).
pub fn summary(scenario: &Scenario, seed: Option<u64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {} ({}): valid, {} variant(s)",
        scenario.name,
        scenario.file,
        scenario.variants.len()
    );
    for variant in &scenario.variants {
        let t = &variant.topology;
        let state = State::initial(t, seed.unwrap_or(t.run.seed));
        let _ = writeln!(out, "\nvariant \"{}\"", variant.name);
        for vpc in &t.vpcs {
            let _ = writeln!(
                out,
                "  VPC {} {} (account {})",
                vpc.name,
                vpc.cidr,
                t.accounts[vpc.account.index()].name
            );
        }
        for lb in &t.load_balancers {
            let _ = writeln!(
                out,
                "  load balancer {} (cross-zone {})",
                lb.name,
                if lb.cross_zone { "on" } else { "off" }
            );
            let listeners: Vec<String> = lb
                .listeners
                .iter()
                .map(|l| {
                    let l = &t.listeners[l.index()];
                    format!("{} {}", l.protocol.name(), l.port)
                })
                .collect();
            let _ = writeln!(
                out,
                "    DNS name {} (TTL {}), client routing policy {}{}; listeners {}",
                lb.dns_name,
                crate::rules::nlb::dns::TTL,
                lb.routing_policy.name(),
                if lb.zonal_shift {
                    ", zonal shift enabled"
                } else {
                    ""
                },
                if listeners.is_empty() {
                    "none".to_string()
                } else {
                    listeners.join(", ")
                }
            );
            for n in &lb.nodes {
                let node = &t.nodes[n.index()];
                let (az, az_id) = t.az_label(node.subnet);
                let _ = writeln!(
                    out,
                    "    node {} in {} ({az}, {az_id}), zonal name {}",
                    node.ip,
                    t.subnets[node.subnet.index()].name,
                    node.dns_name
                );
            }
        }
        for (i, target) in t.targets.iter().enumerate() {
            let instance = &t.instances[target.instance.index()];
            let (az, az_id) = t.az_label(instance.subnet);
            let _ = writeln!(
                out,
                "  target {} {} in {} ({az}, {az_id}) of {}: {}",
                instance.name,
                instance.ip,
                t.subnets[instance.subnet.index()].name,
                t.target_groups[target.target_group.index()].name,
                state.health(TargetId::from_index(i)).label()
            );
        }
        for endpoint in &t.endpoints {
            let _ = writeln!(out, "  endpoint {} ({})", endpoint.name, endpoint.dns_name);
            for e in &endpoint.enis {
                let eni = &t.enis[e.index()];
                let (az, az_id) = t.az_label(eni.subnet);
                let node = &t.nodes[state.binding(*e).index()];
                let candidates = crate::rules::privatelink::eni_candidates(t, *e).len();
                let _ = writeln!(
                    out,
                    "    ENI {} in {} ({az}, {az_id}) -> {} node {} ({}){}",
                    eni.ip,
                    t.subnets[eni.subnet.index()].name,
                    t.load_balancers[node.load_balancer.index()].name,
                    node.ip,
                    t.subnets[node.subnet.index()].name,
                    if candidates > 1 {
                        format!(", drawn among {candidates} NLBs (PL-3)")
                    } else {
                        String::new()
                    } + if eni.initially_active {
                        ""
                    } else {
                        ", outside the endpoint until an event adds its subnet (EV-10)"
                    }
                );
            }
        }
        for zone in &t.hosted_zones {
            for record in &zone.records {
                let _ = writeln!(out, "  record {} (TTL {})", record.fqdn, record.ttl);
            }
        }
        for group in &t.target_groups {
            let hc = &group.health_check;
            let _ = writeln!(
                out,
                "  target group {} ({} {} targets{}{}): checks every {} (timeout {}), {} to be healthy, {} to be unhealthy; deregistration delay {}{}; unhealthy: {}",
                group.name,
                group.protocol.name(),
                target_type_name(group.target_type),
                if group.preserve_client_ip {
                    ", client IPs preserved"
                } else {
                    ""
                },
                if group.proxy_protocol_v2 {
                    ", proxy protocol v2"
                } else {
                    ""
                },
                hc.interval,
                hc.timeout,
                hc.healthy_threshold,
                hc.unhealthy_threshold,
                group.deregistration_delay,
                if group.deregistration_termination {
                    ", then open connections reset"
                } else {
                    ""
                },
                if group.unhealthy_termination {
                    "connections reset".to_string()
                } else {
                    format!("connections drained for {}", group.unhealthy_draining)
                }
            );
        }
        if let Some(c) = &t.workload.connection {
            let _ = writeln!(
                out,
                "  connections stay open {} {}{} (CONN-1)",
                if c.exponential {
                    "for an exponential time of mean"
                } else {
                    "for"
                },
                c.duration,
                c.request_interval
                    .map_or(String::new(), |p| format!(", a request every {p}"))
            );
        }
        for event in &t.events {
            let _ = writeln!(
                out,
                "  events[{}] at {}: {}",
                event.index,
                Span(event.at.0),
                event.label
            );
        }
    }
    out
}
