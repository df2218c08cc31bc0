//! What a run counts: the same [`Tally`] from either engine, field for field.

use std::collections::BTreeMap;

use crate::model::Topology;
use crate::model::ids::{EniId, NodeId, TargetId};
use crate::rules::connection::{End, Fate};
use crate::rules::outcome::FailReason;
use crate::time::{SimTime, Span};
use crate::walk::{Ended, Walker};

/// What happened per bucket of simulated time (by flow start): one row of [`Columns`] per
/// bucket, the counts CloudWatch keeps for an NLB and sim's own per target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Width of a bucket.
    pub bucket: Span,
    /// The layout of a row.
    pub columns: Columns,
    /// `rows[bucket][column]`.
    pub rows: Vec<Vec<u64>>,
}

impl Timeline {
    /// Answered flows per bucket per target: `hits()[bucket][target]`.
    pub fn hits(&self) -> Vec<Vec<u64>> {
        self.rows
            .iter()
            .map(|row| row[..self.columns.targets].to_vec())
            .collect()
    }

    /// Flows picked for each target that failed, per bucket: `picked_failed()[bucket][target]`.
    pub fn picked_failed(&self) -> Vec<Vec<u64>> {
        let c = self.columns;
        self.rows
            .iter()
            .map(|row| (0..c.targets).map(|x| row[c.failed_at(x)]).collect())
            .collect()
    }

    /// The row of `bucket`, added when missing (with every row before it).
    pub fn row(&mut self, bucket: u64) -> &mut [u64] {
        let bucket = bucket as usize;
        if self.rows.len() <= bucket {
            self.rows.resize(bucket + 1, vec![0; self.columns.width()]);
        }
        &mut self.rows[bucket]
    }
}

/// The columns of a time-series row: per target its answered flows, then per target the flows
/// it was picked for that failed, per failure reason the failed flows, per NLB node its new
/// flows (CloudWatch's `NewFlowCount`), per node the payload bytes it carried (`ProcessedBytes`,
/// payload only), per node the resets a target sent back through it (`TCP_Target_Reset_Count`),
/// per node the resets it sent itself (`TCP_ELB_Reset_Count`: no listener, and the resets of
/// connections in flight), per way a connection ended the connections that ended (by the time
/// they ended), per node its answered flows (the connections it opened), and per node the
/// connections through it that ended (by the time they ended: with the opened ones, CloudWatch's
/// `ActiveFlowCount`), then per target the connections to it that ended (by the time they ended).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Targets of the topology.
    pub targets: usize,
    /// NLB nodes of the topology.
    pub nodes: usize,
}

impl Columns {
    /// The layout for `t`.
    pub fn of(t: &Topology) -> Columns {
        Columns {
            targets: t.targets.len(),
            nodes: t.nodes.len(),
        }
    }

    /// Columns in a row.
    pub fn width(&self) -> usize {
        3 * self.targets + FailReason::ALL.len() + 6 * self.nodes + End::ALL.len()
    }

    /// Connections to target `x` that ended, by the time they ended.
    pub fn target_closed(&self, x: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + 6 * self.nodes + End::ALL.len() + x
    }

    /// Answered flows through node `n` (connections it opened), by start.
    pub fn node_opened(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + 4 * self.nodes + End::ALL.len() + n
    }

    /// Connections through node `n` that ended, by the time they ended.
    pub fn node_closed(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + 5 * self.nodes + End::ALL.len() + n
    }

    /// Connections that ended as `end`, by the time they ended.
    pub fn ended(&self, end: End) -> usize {
        2 * self.targets + FailReason::ALL.len() + 4 * self.nodes + end.index()
    }

    /// Adds a connection through node `node` to target `target` that ended as `fate` to `row`
    /// (the row of the bucket of its end): its end, and the reset CloudWatch counts.
    pub fn add_end(&self, row: &mut [u64], node: usize, target: usize, fate: &Fate) {
        row[self.ended(fate.end)] += 1;
        row[self.target_closed(target)] += 1;
        row[self.node_closed(node)] += 1;
        if fate.end == End::ResetByTarget {
            row[self.target_resets(node)] += 1;
        } else if fate.end.by_load_balancer() {
            row[self.node_resets(node)] += 1;
        }
    }

    /// Answered flows of target `x`.
    pub fn answered(&self, x: usize) -> usize {
        x
    }

    /// Failed flows picked for target `x`.
    pub fn failed_at(&self, x: usize) -> usize {
        self.targets + x
    }

    /// Flows failed for `reason`.
    pub fn failure(&self, reason: FailReason) -> usize {
        2 * self.targets + reason.index()
    }

    /// New flows of node `n`.
    pub fn node_flows(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + n
    }

    /// Payload bytes node `n` carried.
    pub fn node_bytes(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + self.nodes + n
    }

    /// Resets target sent through node `n`.
    pub fn target_resets(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + 2 * self.nodes + n
    }

    /// Resets node `n` sent.
    pub fn node_resets(&self, n: usize) -> usize {
        2 * self.targets + FailReason::ALL.len() + 3 * self.nodes + n
    }

    /// Adds `count` flows that ended as `ended` to `row`.
    pub fn add(&self, row: &mut [u64], ended: &Ended, count: u64) {
        match (ended.outcome, ended.target) {
            (Ok(()), Some(x)) => {
                row[self.answered(x.index())] += count;
                if let Some(n) = ended.node {
                    row[self.node_opened(n.index())] += count;
                }
            }
            (Err(_), Some(x)) => row[self.failed_at(x.index())] += count,
            _ => {}
        }
        if let Err(reason) = ended.outcome {
            row[self.failure(reason)] += count;
        }
        if let Some(n) = ended.node {
            let n = n.index();
            row[self.node_flows(n)] += count;
            row[self.node_bytes(n)] += count * ended.bytes;
            match ended.outcome {
                Err(FailReason::TargetRefused) => row[self.target_resets(n)] += count,
                Err(FailReason::NoListener) => row[self.node_resets(n)] += count,
                _ => {}
            }
        }
    }
}

/// What one client's flows did, for the clustered statistics (docs/model.md STAT-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTally {
    /// Its flows.
    pub flows: u64,
    /// Its DNS queries (flows that missed its cache).
    pub queries: u64,
    /// The sum over its DNS answers of the squared number of flows that used each (a flow uses
    /// the answer to its own query, or the one its cache held). Flows that share an answer share
    /// its address choice: they are one cluster.
    pub cluster_squares: u128,
    /// Its flows per address of its answer (the DNS decision each flow followed).
    pub route_flows: Vec<u64>,
}

/// Everything counted during a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Flows simulated.
    pub flows: u64,
    /// Answered flows per target.
    pub target_hits: Vec<u64>,
    /// Answered flows per (target, source address it saw): `sources[target * (nodes + clients)
    /// + k]`, `k` a node (its IP: PrivateLink, or client IPs not preserved) or `nodes + c` for
    /// client `c` (its own IP, preserved: NLB-16).
    pub sources: Vec<u64>,
    /// Failed flows per reason (indexed by [`FailReason::index`]).
    pub failures: [u64; FailReason::ALL.len()],
    /// Answered flows whose node -> target leg crossed AZs.
    pub cross_az_flows: u64,
    /// Payload bytes (request + response) of those flows.
    pub cross_az_bytes: u64,
    /// Flows whose client -> endpoint ENI leg crossed AZs (in the consumer VPC).
    pub client_cross_az_flows: u64,
    /// Payload bytes of all answered flows.
    pub bytes: u64,
    /// Payload bytes of the answered flows whose client leg crossed AZs (client -> endpoint ENI,
    /// or client -> NLB node for a direct client): what inter-AZ transfer charges on that leg
    /// (docs/model.md COST-1).
    pub client_cross_az_bytes: u64,
    /// Payload bytes of the answered flows that went through an endpoint ENI: what the interface
    /// endpoint processed (COST-2).
    pub endpoint_bytes: u64,
    /// Completion times of answered flows (nanoseconds -> count).
    pub completion: BTreeMap<u64, u64>,
    /// Per workload client.
    pub clients: Vec<ClientTally>,
    /// Time of the last event.
    pub end: SimTime,
    /// Events processed.
    pub events: u64,
    /// Hits over time.
    pub timeline: Timeline,
    /// Per distinct state of the run's [`crate::timeline::Timeline`] (one when nothing
    /// changes), the outcomes of the flows that started in it, by category (each target's
    /// answered flows, then each failure reason's: [`Tally::outcomes`]), then per target the
    /// flows picked for it that failed: what the piecewise expected distribution is compared
    /// with, and what the derived answers count.
    pub state_outcomes: Vec<Vec<u64>>,
    /// How the connections that lived ended (a workload with `[workload.connection]`).
    pub connections: ConnectionTally,
    /// Flows per leg of their path, and where the failed ones ended: the flow map.
    pub legs: Legs,
}

/// Where a failed flow ended: the last element of its path it reached (the walk's [`Ended`]:
/// its target once picked, else its node, else its endpoint ENI, else its client).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// Before it reached an ENI or a node: at the client (DNS, its own egress rules, an address
    /// nothing owns), by workload client index.
    Client(u32),
    /// At the endpoint ENI (its security groups, an impaired zone).
    Eni(EniId),
    /// At the NLB node (its security groups, no listener, no eligible target).
    Node(NodeId),
    /// At the target the node picked (refused, dropped, stopped, ...).
    Target(TargetId),
}

impl Place {
    /// Where `ended`, a flow of client `client`, ended.
    pub fn of(client: usize, ended: &Ended) -> Place {
        match (ended.target, ended.node, ended.eni) {
            (Some(x), _, _) => Place::Target(x),
            (None, Some(n), _) => Place::Node(n),
            (None, None, Some(e)) => Place::Eni(e),
            (None, None, None) => Place::Client(client as u32),
        }
    }
}

/// Flows per leg of their path (each leg counts the flows that got to its end, answered or
/// not), and the failed flows by where they ended and why: what the flow map draws. Both
/// engines fill it from the walk's [`Ended`] alone ([`Tally::add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Legs {
    /// ENIs of the topology.
    pub enis: usize,
    /// NLB nodes of the topology.
    pub nodes: usize,
    /// Targets of the topology.
    pub targets: usize,
    /// Client -> entry: `client_entry[c * (enis + nodes) + k]`, `k` an endpoint ENI, or
    /// `enis + n` for NLB node `n` reached directly (NLB-15).
    pub client_entry: Vec<u64>,
    /// ENI -> node over PrivateLink: `eni_node[e * nodes + n]`.
    pub eni_node: Vec<u64>,
    /// Node -> target, the flows the node sent to the target it picked: `node_target[n *
    /// targets + x]`.
    pub node_target: Vec<u64>,
    /// Failed flows by where they ended and why.
    pub failed: BTreeMap<(Place, FailReason), u64>,
}

impl Legs {
    /// Nothing counted, for `clients` clients of `t`.
    pub fn new(t: &Topology, clients: usize) -> Legs {
        let (enis, nodes, targets) = (t.enis.len(), t.nodes.len(), t.targets.len());
        Legs {
            enis,
            nodes,
            targets,
            client_entry: vec![0; clients * (enis + nodes)],
            eni_node: vec![0; enis * nodes],
            node_target: vec![0; nodes * targets],
            failed: BTreeMap::new(),
        }
    }

    /// Adds `count` flows of client `client` that ended as `ended`.
    pub fn add(&mut self, client: usize, ended: &Ended, count: u64) {
        let entries = self.enis + self.nodes;
        match (ended.eni, ended.node) {
            (Some(e), node) => {
                self.client_entry[client * entries + e.index()] += count;
                if let Some(n) = node {
                    self.eni_node[e.index() * self.nodes + n.index()] += count;
                }
            }
            (None, Some(n)) => self.client_entry[client * entries + self.enis + n.index()] += count,
            (None, None) => {}
        }
        if let (Some(n), Some(x)) = (ended.node, ended.target) {
            self.node_target[n.index() * self.targets + x.index()] += count;
        }
        if let Err(reason) = ended.outcome {
            *self
                .failed
                .entry((Place::of(client, ended), reason))
                .or_insert(0) += count;
        }
    }
}

/// How the answered flows' connections ended, when they live (docs/model.md CONN-1 to CONN-5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionTally {
    /// Per way of ending ([`End::index`]).
    pub ends: [u64; End::ALL.len()],
    /// Per target, per way of ending.
    pub target_ends: Vec<[u64; End::ALL.len()]>,
    /// Per way of ending, the earliest and latest end (nanoseconds; `u64::MAX` and 0 for none).
    pub first: [u64; End::ALL.len()],
    /// See `first`.
    pub last: [u64; End::ALL.len()],
    /// Requests sent, over all connections.
    pub requests: u64,
    /// Requests that failed (timed out or reset).
    pub requests_failed: u64,
}

impl ConnectionTally {
    /// Nothing counted, for `targets` targets.
    pub fn new(targets: usize) -> ConnectionTally {
        ConnectionTally {
            ends: [0; End::ALL.len()],
            target_ends: vec![[0; End::ALL.len()]; targets],
            first: [u64::MAX; End::ALL.len()],
            last: [0; End::ALL.len()],
            requests: 0,
            requests_failed: 0,
        }
    }

    /// Adds one connection to `target` that ended as `fate`.
    pub fn add(&mut self, target: usize, fate: &Fate) {
        let e = fate.end.index();
        self.ends[e] += 1;
        self.target_ends[target][e] += 1;
        self.first[e] = self.first[e].min(fate.at.0);
        self.last[e] = self.last[e].max(fate.at.0);
        self.requests += fate.requests;
        self.requests_failed += fate.requests_failed;
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &ConnectionTally) {
        for e in 0..End::ALL.len() {
            self.ends[e] += other.ends[e];
            self.first[e] = self.first[e].min(other.first[e]);
            self.last[e] = self.last[e].max(other.last[e]);
        }
        for (mine, theirs) in self.target_ends.iter_mut().zip(&other.target_ends) {
            for e in 0..End::ALL.len() {
                mine[e] += theirs[e];
            }
        }
        self.requests += other.requests;
        self.requests_failed += other.requests_failed;
    }

    /// Connections counted.
    pub fn total(&self) -> u64 {
        self.ends.iter().sum()
    }
}

impl Tally {
    /// Nothing counted yet, for `flows` flows of `t` with time buckets `bucket` wide; `routes`
    /// gives the addresses of each client's answer.
    pub fn empty(t: &Topology, flows: u64, bucket: Span, routes: &[usize]) -> Tally {
        Tally {
            flows,
            target_hits: vec![0; t.targets.len()],
            sources: vec![0; t.targets.len() * (t.nodes.len() + t.workload.clients.len())],
            failures: [0; FailReason::ALL.len()],
            cross_az_flows: 0,
            cross_az_bytes: 0,
            client_cross_az_flows: 0,
            bytes: 0,
            client_cross_az_bytes: 0,
            endpoint_bytes: 0,
            completion: BTreeMap::new(),
            clients: routes
                .iter()
                .map(|&n| ClientTally {
                    route_flows: vec![0; n.max(1)],
                    ..ClientTally::default()
                })
                .collect(),
            end: SimTime::ZERO,
            events: 0,
            timeline: Timeline {
                bucket,
                columns: Columns::of(t),
                rows: Vec::new(),
            },
            state_outcomes: Vec::new(),
            connections: ConnectionTally::new(t.targets.len()),
            legs: Legs::new(t, routes.len()),
        }
    }

    /// [`Tally::empty`] for the walker's clients.
    pub fn for_walker(walker: &Walker<'_>, flows: u64, bucket: Span) -> Tally {
        let routes: Vec<usize> = walker.clients.iter().map(|c| c.addresses()).collect();
        Tally::empty(walker.t, flows, bucket, &routes)
    }

    /// The count of every outcome category: each target's hits, then each failure reason's
    /// flows (the order of [`crate::expected::Expected::categories`]).
    pub fn outcomes(&self) -> Vec<u64> {
        self.target_hits
            .iter()
            .chain(self.failures.iter())
            .copied()
            .collect()
    }

    /// Flows that started in each state.
    pub fn state_flows(&self) -> Vec<u64> {
        let categories = self.target_hits.len() + FailReason::ALL.len();
        self.state_outcomes
            .iter()
            .map(|o| o[..categories].iter().sum())
            .collect()
    }

    /// Sets up the per-state outcomes for `states` states.
    pub fn with_states(mut self, states: usize) -> Tally {
        let columns = 2 * self.target_hits.len() + FailReason::ALL.len();
        self.state_outcomes = vec![vec![0; columns]; states];
        self
    }

    /// Adds `count` flows that started in state `state` and ended as `ended` to its outcomes.
    pub fn add_to_state(&mut self, state: usize, ended: &Ended, count: u64) {
        let category = match ended.outcome {
            Ok(()) => ended.target.expect("an answered flow has a target").index(),
            Err(reason) => self.target_hits.len() + reason.index(),
        };
        self.state_outcomes[state][category] += count;
        if let (Err(_), Some(x)) = (ended.outcome, ended.target) {
            let failed_at = self.target_hits.len() + FailReason::ALL.len() + x.index();
            self.state_outcomes[state][failed_at] += count;
        }
    }

    /// Adds a finished cluster of `size` flows of `client` (STAT-2).
    pub(crate) fn clients_square(&mut self, client: usize, size: u64) {
        self.clients[client].cluster_squares += u128::from(size) * u128::from(size);
    }

    /// What the clustered statistics need of each client (docs/model.md STAT-2).
    pub fn client_counts(&self) -> Vec<crate::stats::ClientCounts> {
        self.clients
            .iter()
            .map(|c| crate::stats::ClientCounts {
                flows: c.flows,
                cluster_squares: c.cluster_squares,
            })
            .collect()
    }

    /// DNS queries sent to the resolver, over all clients.
    pub fn dns_queries(&self) -> u64 {
        self.clients.iter().map(|c| c.queries).sum()
    }

    /// Lookups answered from a client's cache.
    pub fn dns_cache_hits(&self) -> u64 {
        self.clients.iter().map(|c| c.flows - c.queries).sum()
    }

    /// Adds `count` flows of client `client` that ended as `ended`, `queried` of them after a
    /// DNS query, to everything but the timeline and the end time (the engines know those).
    pub fn add(&mut self, nodes: usize, client: usize, ended: &Ended, count: u64, queried: u64) {
        if count == 0 {
            return;
        }
        let c = &mut self.clients[client];
        c.flows += count;
        c.queries += queried;
        c.route_flows[ended.address as usize] += count;
        self.events += count * u64::from(ended.steps);
        if ended.client_cross_az {
            self.client_cross_az_flows += count;
        }
        self.legs.add(client, ended, count);
        match ended.outcome {
            Err(reason) => self.failures[reason.index()] += count,
            Ok(()) => {
                let target = ended.target.expect("an answered flow has a target").index();
                let node = ended.node.expect("an answered flow has a node").index();
                self.target_hits[target] += count;
                let width = nodes + self.clients.len();
                let seen = if ended.client_ip_seen {
                    nodes + client
                } else {
                    node
                };
                self.sources[target * width + seen] += count;
                self.bytes += count * ended.bytes;
                if ended.cross_az {
                    self.cross_az_flows += count;
                    self.cross_az_bytes += count * ended.bytes;
                }
                if ended.client_cross_az {
                    self.client_cross_az_bytes += count * ended.bytes;
                }
                if ended.eni.is_some() {
                    self.endpoint_bytes += count * ended.bytes;
                }
                *self.completion.entry(ended.at.0).or_insert(0) += count;
            }
        }
    }
}

/// The most time buckets a run has, whatever its span: the last one also holds every flow that
/// starts after it (none does within [`crate::time::arrivals_bound_ns`], which the width is
/// chosen for), so the timeline's memory is bounded by `MAX_BUCKETS x targets`.
pub const MAX_BUCKETS: u64 = 128;

/// Buckets the width aims at over the bound on the run's span (at most; a few spare below
/// [`MAX_BUCKETS`]).
const TARGET_BUCKETS: f64 = 120.0;

const SECOND_NS: u64 = 1_000_000_000;
const HOUR_NS: u64 = 3_600 * SECOND_NS;
/// A day of simulated time, nanoseconds.
pub const DAY_NS: u64 = 24 * HOUR_NS;
/// A Julian year (365.25 days) of simulated time, nanoseconds.
pub const YEAR_NS: u64 = 365 * DAY_NS + DAY_NS / 4;

/// Round bucket widths, in nanoseconds: 1-2-5 steps of milliseconds and seconds, minutes, hours,
/// days, then Julian years (the clock holds 584 years: 120 buckets of 5 years).
const STEPS_NS: [u64; 33] = [
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    SECOND_NS,
    2 * SECOND_NS,
    5 * SECOND_NS,
    10 * SECOND_NS,
    30 * SECOND_NS,
    60 * SECOND_NS,
    300 * SECOND_NS,
    600 * SECOND_NS,
    HOUR_NS,
    2 * HOUR_NS,
    6 * HOUR_NS,
    12 * HOUR_NS,
    DAY_NS,
    2 * DAY_NS,
    5 * DAY_NS,
    10 * DAY_NS,
    20 * DAY_NS,
    50 * DAY_NS,
    100 * DAY_NS,
    200 * DAY_NS,
    YEAR_NS,
    2 * YEAR_NS,
    5 * YEAR_NS,
    10 * YEAR_NS,
];

/// The bucket width of a run of `flows` flows at `rate` per second: the smallest round width
/// (`STEPS_NS`) giving at most 120 buckets up to the bound on the last arrival
/// ([`crate::time::arrivals_bound_ns`]), so that the run's real span fits with a wide margin.
/// Both engines use it, and [`bucket_of`].
pub fn bucket_width(flows: u64, rate: f64) -> Span {
    let bound = crate::time::arrivals_bound_ns(flows, rate);
    let width = STEPS_NS
        .iter()
        .copied()
        .find(|w| bound / (*w as f64) <= TARGET_BUCKETS)
        // Beyond the clock's span: a width that still gives 120 buckets.
        .unwrap_or_else(|| (bound / TARGET_BUCKETS).ceil().min(u64::MAX as f64) as u64);
    Span(width.max(1))
}

/// The time bucket of a flow that starts at `start`: its `width`-wide bucket, the last one
/// ([`MAX_BUCKETS`] - 1) for any later start.
pub fn bucket_of(start: SimTime, width: Span) -> u64 {
    (start.0 / width.0.max(1)).min(MAX_BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::bulk::{self, BulkOptions};
    use crate::sim::events::{self, RunOptions};

    const CROSSZONE: &str = include_str!("../../scenarios/crosszone.toml");

    /// Both engines on crosszone's "cross-zone on" variant at `rate` flows per second.
    fn both_engines(rate: &str, flows: u64) -> (Tally, Tally) {
        let text = CROSSZONE
            .replacen("arrival_rate = 100", &format!("arrival_rate = {rate}"), 1)
            .replacen("flows = 100000", &format!("flows = {flows}"), 1);
        let s = crate::scenario::parse("slow.toml", "slow", &text).expect("valid");
        let t = &s.variants[1].topology;
        let events = events::run(
            t,
            &RunOptions {
                flows,
                seed: 7,
                trace_flow: None,
            },
        );
        let bulk = bulk::run(
            t,
            &BulkOptions {
                flows,
                seed: 7,
                threads: 2,
            },
            None,
        );
        (events, bulk)
    }

    #[test]
    fn a_run_of_centuries_keeps_the_bucket_count_bounded() {
        // 1,000 flows at one per 5e6 s: about 158 years, 58,000 one-day buckets before.
        let (events, bulk) = both_engines("2e-7", 1_000);
        assert_eq!(events, bulk, "the engines agree");
        let timeline = &events.timeline;
        assert!(
            timeline.rows.len() as u64 <= MAX_BUCKETS,
            "{} buckets",
            timeline.rows.len()
        );
        assert!(timeline.rows.len() >= 40, "{} buckets", timeline.rows.len());
        assert_eq!(
            timeline.bucket.0 % YEAR_NS,
            0,
            "whole years: {:?}",
            timeline.bucket
        );
        let answered: u64 = timeline.hits().iter().flatten().sum();
        assert_eq!(answered, events.target_hits.iter().sum::<u64>());
    }

    #[test]
    fn widths_are_round_and_give_at_most_120_buckets_up_to_the_bound() {
        // crosszone: 100,000 flows at 100/s, bound 1032 s: 10 s buckets, as before.
        assert_eq!(bucket_width(100_000, 100.0), Span::from_secs(10));
        assert_eq!(bucket_width(30_000, 100.0), Span::from_secs(5));
        for (flows, rate) in [
            (1, 1e9),
            (1, 1e-3),
            (10_000, 1e-4),
            (1_000_000, 8e-5),
            (1, 1e-9),
        ] {
            let width = bucket_width(flows, rate);
            let bound = crate::time::arrivals_bound_ns(flows, rate);
            assert!(
                bound / width.0 as f64 <= 120.0,
                "{flows} at {rate}: {width:?}"
            );
            assert!(STEPS_NS.contains(&width.0) || bound > 120.0 * 10.0 * YEAR_NS as f64);
        }
        assert_eq!(bucket_width(1_000_000, 8e-5).0 % YEAR_NS, 0);
        assert_eq!(bucket_width(30_000, 1e-3), Span(5 * DAY_NS));
    }

    #[test]
    fn a_start_beyond_the_last_bucket_lands_in_it() {
        let width = Span::from_secs(10);
        assert_eq!(bucket_of(SimTime(0), width), 0);
        assert_eq!(bucket_of(SimTime(19_999_999_999), width), 1);
        assert_eq!(bucket_of(SimTime(1270 * 1_000_000_000), width), 127);
        assert_eq!(bucket_of(SimTime(u64::MAX), width), MAX_BUCKETS - 1);
    }
}
