//! The flow map of a variant: the scenario's architecture as people draw it on a whiteboard,
//! with the flows of the run on it. Its elements are the workload's clients, the endpoint ENIs,
//! the NLB nodes and the targets, each in the column of its AZ (keyed by AZ ID: AZ names differ
//! per account, AZ-1); its legs are client -> ENI (or -> node, for a direct client: NLB-15),
//! ENI -> node (PrivateLink, PL-3) and node -> target (NLB-7), each with the flows that got to
//! its end, answered or not; its failure marks say where failed flows ended and why (the last
//! element each reached: [`crate::sim::tally::Place`]).
//!
//! The counts are the run's own ([`crate::sim::tally::Legs`], filled by both engines from the
//! walk's ends); nothing here is expected or estimated. The path graph is a `petgraph` directed
//! graph (elements and failure sinks as vertices, legs as edges weighted by flows): the flows
//! through each element are its edges' sums, and the elements of each band and column are put
//! in the order that keeps legs short (the mean position of their predecessors, then file
//! order), the order the picture draws them in ([`crate::output::plot`]).
//!
//! It does not model anything: it only arranges what the run counted. Shares are of all flows
//! of the variant, rounded to six decimals, as everywhere in the report.

use std::collections::BTreeMap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use crate::model::Topology;
use crate::model::ids::ZoneId;
use crate::rules::outcome::FailReason;
use crate::sim::tally::{Place, Tally};

/// What an element of the map is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A workload client (an instance).
    Client,
    /// An interface endpoint's ENI, in its subnet.
    Eni,
    /// A load balancer node, one per enabled AZ.
    Node,
    /// A target of a target group.
    Target,
}

impl Kind {
    /// The band it is drawn in: 0 the consumer side (clients and ENIs), 1 the NLB nodes, 2 the
    /// provider's targets.
    pub fn band(self) -> usize {
        match self {
            Kind::Client | Kind::Eni => 0,
            Kind::Node => 1,
            Kind::Target => 2,
        }
    }
}

/// The flow map of one variant.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlowMap {
    /// The AZ columns, by AZ ID (ascending), each with the names the accounts give it.
    pub zones: Vec<MapZone>,
    /// Every client, endpoint ENI, NLB node and target, by kind, then column, then the order
    /// the picture draws them in.
    pub elements: Vec<Element>,
    /// Legs that carried flows: client -> ENI or node, ENI -> node, node -> target.
    pub legs: Vec<Leg>,
    /// Failed flows, by the element where they ended and their reason.
    pub failures: Vec<FailureMark>,
}

/// One AZ column.
#[derive(Clone, Debug, Serialize)]
pub struct MapZone {
    /// The AZ ID, the same in every account.
    pub az_id: String,
    /// The AZ names the accounts whose subnets are in the column give it, in account order.
    pub names: Vec<ZoneName>,
}

/// An account's name of a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZoneName {
    /// The account.
    pub account: String,
    /// Its AZ name.
    pub name: String,
}

/// A client, endpoint ENI, NLB node or target.
#[derive(Clone, Debug, Serialize)]
pub struct Element {
    /// Unique within the map: `client:NAME`, `eni:ENDPOINT:SUBNET`, `node:LOAD_BALANCER:AZ_ID`,
    /// `target:TARGET_GROUP:INSTANCE`.
    pub id: String,
    /// What it is.
    pub kind: Kind,
    /// The instance (clients, targets), the subnet (ENIs) or the load balancer (nodes).
    pub name: String,
    /// The endpoint (ENIs), the load balancer (nodes) or the target group (targets); the
    /// client's own name for clients.
    pub group: String,
    /// Its private IP.
    pub ip: String,
    /// Its subnet.
    pub subnet: String,
    /// Its AZ ID (its column).
    pub az_id: String,
    /// Flows through it: a client's flows; the flows that reached an ENI, a node or a target.
    pub flows: u64,
    /// Of those, the flows that failed there.
    pub failed: u64,
}

/// A leg of the flows' paths.
#[derive(Clone, Debug, Serialize)]
pub struct Leg {
    /// The element the leg starts at (its id).
    pub from: String,
    /// The element it ends at (its id).
    pub to: String,
    /// Flows that got to its end, answered or not.
    pub flows: u64,
    /// flows / all flows of the variant.
    pub share: f64,
    /// Its ends are in different AZs (by AZ ID).
    pub cross_az: bool,
}

/// Failed flows that ended at one element for one reason.
#[derive(Clone, Debug, Serialize)]
pub struct FailureMark {
    /// The element (its id).
    pub at: String,
    /// The reason code (`SG_DENY`, ...).
    pub reason: String,
    /// Flows.
    pub flows: u64,
    /// flows / all flows of the variant.
    pub share: f64,
}

/// A vertex of the path graph.
#[derive(Copy, Clone, Debug)]
enum Vertex {
    /// An element, by its index in the topology's order (clients, ENIs, nodes, targets).
    Element(usize),
    /// Where the flows that failed at an element for a reason go.
    Sink(usize, FailReason),
}

/// An element before it is ordered.
struct Drafted {
    element: Element,
    zone: ZoneId,
}

/// The flow map of a run of `t` that counted `tally`.
pub fn flow_map(t: &Topology, tally: &Tally) -> FlowMap {
    let legs = &tally.legs;
    let drafted = draft(t);
    let (clients, enis, nodes) = (t.workload.clients.len(), legs.enis, legs.nodes);
    let client_of = |c: usize| c;
    let eni_of = |e: usize| clients + e;
    let node_of = |n: usize| clients + enis + n;
    let target_of = |x: usize| clients + enis + nodes + x;

    let mut graph: DiGraph<Vertex, u64> = DiGraph::new();
    let vertices: Vec<NodeIndex> = (0..drafted.len())
        .map(|i| graph.add_node(Vertex::Element(i)))
        .collect();
    let leg = |graph: &mut DiGraph<Vertex, u64>, from: usize, to: usize, flows: u64| {
        if flows > 0 {
            graph.add_edge(vertices[from], vertices[to], flows);
        }
    };
    let entries = enis + nodes;
    for c in 0..clients {
        for k in 0..entries {
            let to = if k < enis {
                eni_of(k)
            } else {
                node_of(k - enis)
            };
            leg(
                &mut graph,
                client_of(c),
                to,
                legs.client_entry[c * entries + k],
            );
        }
    }
    for e in 0..enis {
        for n in 0..nodes {
            leg(
                &mut graph,
                eni_of(e),
                node_of(n),
                legs.eni_node[e * nodes + n],
            );
        }
    }
    for n in 0..nodes {
        for x in 0..legs.targets {
            let flows = legs.node_target[n * legs.targets + x];
            leg(&mut graph, node_of(n), target_of(x), flows);
        }
    }
    for (&(place, reason), &flows) in &legs.failed {
        let at = match place {
            Place::Client(c) => client_of(c as usize),
            Place::Eni(e) => eni_of(e.index()),
            Place::Node(n) => node_of(n.index()),
            Place::Target(x) => target_of(x.index()),
        };
        let sink = graph.add_node(Vertex::Sink(at, reason));
        graph.add_edge(vertices[at], sink, flows);
    }

    let share = |flows: u64| {
        if tally.flows == 0 {
            0.0
        } else {
            (flows as f64 / tally.flows as f64 * 1e6).round() / 1e6
        }
    };
    let mut elements: Vec<Element> = Vec::with_capacity(drafted.len());
    let mut zones_of: Vec<ZoneId> = Vec::with_capacity(drafted.len());
    for (i, d) in drafted.into_iter().enumerate() {
        let mut element = d.element;
        let direction = match element.kind {
            Kind::Client => Direction::Outgoing,
            _ => Direction::Incoming,
        };
        element.flows = graph
            .edges_directed(vertices[i], direction)
            .map(|e| *e.weight())
            .sum();
        element.failed = graph
            .edges_directed(vertices[i], Direction::Outgoing)
            .filter(|e| matches!(graph[e.target()], Vertex::Sink(..)))
            .map(|e| *e.weight())
            .sum();
        elements.push(element);
        zones_of.push(d.zone);
    }

    let mut map_legs = Vec::new();
    let mut failures = Vec::new();
    for edge in graph.edge_references() {
        let Vertex::Element(from) = graph[edge.source()] else {
            continue;
        };
        match graph[edge.target()] {
            Vertex::Element(to) => map_legs.push(Leg {
                from: elements[from].id.clone(),
                to: elements[to].id.clone(),
                flows: *edge.weight(),
                share: share(*edge.weight()),
                cross_az: zones_of[from] != zones_of[to],
            }),
            Vertex::Sink(at, reason) => failures.push(FailureMark {
                at: elements[at].id.clone(),
                reason: reason.code().to_string(),
                flows: *edge.weight(),
                share: share(*edge.weight()),
            }),
        }
    }

    let order = drawing_order(&graph, &vertices, &elements);
    let zones = zones(t, &elements);
    FlowMap {
        zones,
        elements: order.into_iter().map(|i| elements[i].clone()).collect(),
        legs: map_legs,
        failures,
    }
}

/// The elements of `t` in its order (clients, ENIs, nodes, targets), without flows yet.
fn draft(t: &Topology) -> Vec<Drafted> {
    let zone_id = |z: ZoneId| t.zones[z.index()].az_id.clone();
    let mut out = Vec::new();
    let mut push = |kind, id: String, name: &str, group: &str, ip, subnet, zone| {
        out.push(Drafted {
            element: Element {
                id,
                kind,
                name: name.to_string(),
                group: group.to_string(),
                ip,
                subnet,
                az_id: zone_id(zone),
                flows: 0,
                failed: 0,
            },
            zone,
        });
    };
    for &c in &t.workload.clients {
        let i = &t.instances[c.index()];
        let s = &t.subnets[i.subnet.index()];
        push(
            Kind::Client,
            format!("client:{}", i.name),
            &i.name,
            &i.name,
            i.ip.to_string(),
            s.name.clone(),
            s.zone,
        );
    }
    for eni in &t.enis {
        let s = &t.subnets[eni.subnet.index()];
        let endpoint = &t.endpoints[eni.endpoint.index()].name;
        push(
            Kind::Eni,
            format!("eni:{endpoint}:{}", s.name),
            &s.name,
            endpoint,
            eni.ip.to_string(),
            s.name.clone(),
            eni.zone,
        );
    }
    for node in &t.nodes {
        let s = &t.subnets[node.subnet.index()];
        let lb = &t.load_balancers[node.load_balancer.index()].name;
        push(
            Kind::Node,
            format!("node:{lb}:{}", zone_id(node.zone)),
            lb,
            lb,
            node.ip.to_string(),
            s.name.clone(),
            node.zone,
        );
    }
    for target in &t.targets {
        let i = &t.instances[target.instance.index()];
        let s = &t.subnets[i.subnet.index()];
        let tg = &t.target_groups[target.target_group.index()].name;
        push(
            Kind::Target,
            format!("target:{tg}:{}", i.name),
            &i.name,
            tg,
            i.ip.to_string(),
            s.name.clone(),
            target.zone,
        );
    }
    out
}

/// The AZ columns of `elements`, by AZ ID, each with the names its subnets' accounts give it.
fn zones(t: &Topology, elements: &[Element]) -> Vec<MapZone> {
    let subnet_named: BTreeMap<&str, &crate::model::Subnet> = t
        .subnets
        .iter()
        .rev()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let mut columns: BTreeMap<&str, Vec<ZoneName>> = BTreeMap::new();
    for e in elements {
        let names = columns.entry(e.az_id.as_str()).or_default();
        if let Some(s) = subnet_named.get(e.subnet.as_str()) {
            let account = &t.accounts[t.vpcs[s.vpc.index()].account.index()].name;
            let name = ZoneName {
                account: account.clone(),
                name: s.az_name.clone(),
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    columns
        .into_iter()
        .map(|(az_id, mut names)| {
            names.sort_by_key(|n| {
                t.accounts
                    .iter()
                    .position(|a| a.name == n.account)
                    .unwrap_or(usize::MAX)
            });
            MapZone {
                az_id: az_id.to_string(),
                names,
            }
        })
        .collect()
}

/// The order the elements are drawn in: by band, by kind within a band, by column, then by the
/// mean rank of their predecessors in the graph (those without any after them; ties in file
/// order): a leg then tends to run straight down, and elements reached alike stay in file
/// order.
fn drawing_order(
    graph: &DiGraph<Vertex, u64>,
    vertices: &[NodeIndex],
    elements: &[Element],
) -> Vec<usize> {
    let mut rank: Vec<f64> = (0..elements.len()).map(|i| i as f64).collect();
    let mut order: Vec<usize> = Vec::with_capacity(elements.len());
    for kind in [Kind::Client, Kind::Eni, Kind::Node, Kind::Target] {
        let mut these: Vec<(String, f64, usize)> = elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == kind)
            .map(|(i, e)| {
                let (mut sum, mut count) = (0.0, 0usize);
                for edge in graph.edges_directed(vertices[i], Direction::Incoming) {
                    if let Vertex::Element(from) = graph[edge.source()] {
                        sum += rank[from];
                        count += 1;
                    }
                }
                let mean = if count > 0 {
                    sum / count as f64
                } else {
                    f64::INFINITY
                };
                (e.az_id.clone(), mean, i)
            })
            .collect();
        these.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (position, (_, _, i)) in these.iter().enumerate() {
            rank[*i] = position as f64;
            order.push(*i);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::events::{self, RunOptions};

    fn map_of(text: &str, variant: usize, flows: u64) -> FlowMap {
        let s = crate::scenario::parse("t.toml", "t", text).expect("valid");
        let t = &s.variants[variant].topology;
        let tally = events::run(
            t,
            &RunOptions {
                flows,
                seed: 1,
                trace_flow: None,
            },
        );
        flow_map(t, &tally)
    }

    const CROSSZONE: &str = include_str!("../../scenarios/crosszone.toml");

    /// In every scenario and variant the map accounts for every flow: the clients' flows are
    /// all flows, the failure marks add up to the failures per reason, and each target's
    /// answered flows (reached less failed there) are its hits.
    #[test]
    fn the_map_accounts_for_every_flow_of_every_scenario() {
        let scenarios = [
            include_str!("../../scenarios/az-id-mismatch.toml"),
            include_str!("../../scenarios/az-outage.toml"),
            include_str!("../../scenarios/client-ip.toml"),
            CROSSZONE,
            include_str!("../../scenarios/draining.toml"),
            include_str!("../../scenarios/endpoint-per-az.toml"),
            include_str!("../../scenarios/nlb-direct.toml"),
            include_str!("../../scenarios/target-failure.toml"),
            include_str!("../../scenarios/udp.toml"),
        ];
        for text in scenarios {
            let s = crate::scenario::parse("t.toml", "t", text).expect("valid");
            for v in &s.variants {
                let t = &v.topology;
                let tally = events::run(
                    t,
                    &RunOptions {
                        flows: 1500,
                        seed: 3,
                        trace_flow: None,
                    },
                );
                let map = flow_map(t, &tally);
                let of_kind = |k: Kind| map.elements.iter().filter(move |e| e.kind == k);
                assert_eq!(of_kind(Kind::Client).map(|e| e.flows).sum::<u64>(), 1500);
                for reason in FailReason::ALL {
                    let marked: u64 = map
                        .failures
                        .iter()
                        .filter(|m| m.reason == reason.code())
                        .map(|m| m.flows)
                        .sum();
                    assert_eq!(marked, tally.failures[reason.index()], "{}", v.name);
                }
                for (x, target) in t.targets.iter().enumerate() {
                    let tg = &t.target_groups[target.target_group.index()].name;
                    let name = &t.instances[target.instance.index()].name;
                    let e = of_kind(Kind::Target)
                        .find(|e| e.id == format!("target:{tg}:{name}"))
                        .expect("every target is drawn");
                    assert_eq!(e.flows - e.failed, tally.target_hits[x], "{}", v.name);
                }
            }
        }
    }

    #[test]
    fn cross_zone_off_carries_every_flow_on_one_path() {
        let map = map_of(CROSSZONE, 0, 2000);
        let legs: Vec<(&str, &str, u64, bool)> = map
            .legs
            .iter()
            .map(|l| (l.from.as_str(), l.to.as_str(), l.flows, l.cross_az))
            .collect();
        assert_eq!(legs.len(), 3, "{legs:?}");
        assert!(legs.iter().all(|l| l.2 == 2000 && !l.3), "{legs:?}");
        assert!(legs[2].1.ends_with(":web-1"), "{legs:?}");
        assert!(map.failures.is_empty());
        let zones: Vec<&str> = map.zones.iter().map(|z| z.az_id.as_str()).collect();
        assert_eq!(zones, ["use1-az1", "use1-az2", "use1-az4"]);
    }

    #[test]
    fn cross_zone_on_splits_at_the_node_and_two_legs_cross() {
        let map = map_of(CROSSZONE, 1, 3000);
        let to_targets: Vec<&Leg> = map
            .legs
            .iter()
            .filter(|l| l.to.starts_with("target:"))
            .collect();
        assert_eq!(to_targets.len(), 3);
        assert_eq!(to_targets.iter().filter(|l| l.cross_az).count(), 2);
        assert_eq!(to_targets.iter().map(|l| l.flows).sum::<u64>(), 3000);
        let client = &map.elements[0];
        assert_eq!((client.kind, client.flows), (Kind::Client, 3000));
    }
}
