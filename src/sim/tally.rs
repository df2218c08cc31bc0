//! What a run counts: the same [`Tally`] from either engine, field for field.

use std::collections::BTreeMap;

use crate::model::Topology;
use crate::rules::outcome::FailReason;
use crate::time::{SimTime, Span};
use crate::walk::{Ended, Walker};

/// Hits per target per bucket of simulated time (by flow start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Width of a bucket.
    pub bucket: Span,
    /// `hits[bucket][target]`.
    pub hits: Vec<Vec<u64>>,
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
    /// Answered flows per (target, NLB node): `sources[target * nodes + node]`. The node's IP is
    /// the source address the target sees.
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
}

impl Tally {
    /// Nothing counted yet, for `flows` flows of `t` with time buckets `bucket` wide; `routes`
    /// gives the addresses of each client's answer.
    pub fn empty(t: &Topology, flows: u64, bucket: Span, routes: &[usize]) -> Tally {
        Tally {
            flows,
            target_hits: vec![0; t.targets.len()],
            sources: vec![0; t.targets.len() * t.nodes.len()],
            failures: [0; FailReason::ALL.len()],
            cross_az_flows: 0,
            cross_az_bytes: 0,
            client_cross_az_flows: 0,
            bytes: 0,
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
                hits: Vec::new(),
            },
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
        match ended.outcome {
            Err(reason) => self.failures[reason.index()] += count,
            Ok(()) => {
                let target = ended.target.expect("an answered flow has a target").index();
                let node = ended.node.expect("an answered flow has a node").index();
                self.target_hits[target] += count;
                self.sources[target * nodes + node] += count;
                self.bytes += count * ended.bytes;
                if ended.cross_az {
                    self.cross_az_flows += count;
                    self.cross_az_bytes += count * ended.bytes;
                }
                *self.completion.entry(ended.at.0).or_insert(0) += count;
            }
        }
    }
}

/// A round bucket width giving at most about 120 buckets over `seconds`.
pub fn bucket_width(seconds: f64) -> Span {
    const STEPS_NS: [u64; 19] = [
        1_000_000,
        2_000_000,
        5_000_000,
        10_000_000,
        20_000_000,
        50_000_000,
        100_000_000,
        200_000_000,
        500_000_000,
        1_000_000_000,
        2_000_000_000,
        5_000_000_000,
        10_000_000_000,
        30_000_000_000,
        60_000_000_000,
        300_000_000_000,
        600_000_000_000,
        3_600_000_000_000,
        86_400_000_000_000,
    ];
    let ns = seconds * 1e9;
    let width = STEPS_NS
        .iter()
        .copied()
        .find(|w| ns / (*w as f64) <= 120.0)
        .unwrap_or(STEPS_NS[STEPS_NS.len() - 1]);
    Span(width)
}
