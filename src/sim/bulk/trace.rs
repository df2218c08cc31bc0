//! One flow as `sim explain` shows it, reached without the event loop.
//!
//! A flow's walk depends on the flows before it only through its client's DNS cache and query
//! count (DNS-5, DNS-6): its arrival time is the sum of the gaps before it, its client and its
//! draws are its own words of the `arrivals` and `flows` streams (WL-1), and the states it meets
//! are the timeline's, known in advance (EV-6). So the bulk engine's arrival and sequential passes
//! (no routing pass) carry the DNS chains up to the flow, on every core, and the walk then takes
//! that flow alone from its start to its end, each step under the state of its time, recording
//! its hops. The result is the event loop's
//! ([`crate::sim::events::trace`]), field for field: `tests/explain.rs` compares them.
//!
//! Variants whose arrivals and DNS timing are the same (the same seed, arrival rate, clients,
//! caching, TTLs and resolver latency) reach the flow in the same way, so the passes run once
//! for all of them.

use super::plan::Plan;
use super::script::LastLookup;
use super::{BulkOptions, passes};
use crate::model::Topology;
use crate::rng::{self, FlowDraws};
use crate::sim::events::Traced;
use crate::sim::tally::bucket_width;
use crate::time::{SimTime, Span};
use crate::timeline::{self, Timeline};
use crate::walk::{AnswerRef, Draws, Lookup, Walker};

/// Flow `flow` of `t`'s workload under `seed`, traced hop by hop; the passes before it run on
/// `threads` worker threads. `flow` must be below `u64::MAX` (a run's flow count is a `u64`).
pub fn trace(t: &Topology, seed: u64, flow: u64, threads: usize) -> Traced {
    trace_all(&[(t, seed)], flow, threads)
        .pop()
        .expect("one trace per topology")
}

/// Flow `flow` of each (topology, seed) of `variants`, traced hop by hop, in order; variants
/// that reach the flow in the same way share one run of the passes.
pub fn trace_all(variants: &[(&Topology, u64)], flow: u64, threads: usize) -> Vec<Traced> {
    let mut reached: Vec<(Timing, Reached)> = Vec::new();
    variants
        .iter()
        .map(|&(t, seed)| {
            let walker = Walker::new(t, seed);
            let flows = flow.checked_add(1).expect("a flow index below u64::MAX");
            let timeline = Timeline::new(t, seed, timeline::horizon(t, flows));
            let plans: Vec<Plan<'_>> = timeline
                .states
                .iter()
                .map(|state| Plan::new(&walker, state))
                .collect();
            let timing = Timing::of(&plans[0], seed);
            let at = match reached.iter().find(|(known, _)| *known == timing) {
                Some((_, at)) => *at,
                None => {
                    let at = reach(&plans, &timeline, seed, flow, threads);
                    reached.push((timing, at));
                    at
                }
            };
            walk(&walker, &timeline, seed, flow, at)
        })
        .collect()
}

/// What decides when a flow arrives and how it finds its DNS answer: the passes depend on
/// nothing else (the addresses the answers lead to label the chain, they do not change it).
#[derive(Clone, Debug, PartialEq)]
struct Timing {
    seed: u64,
    /// Bits of the mean gap (an exact comparison).
    ns_per_mean: u64,
    /// Per client: whether its answers are cached, and their TTL.
    cached: Vec<(bool, Span)>,
    resolver_round_trip: Span,
}

impl Timing {
    fn of(plan: &Plan<'_>, seed: u64) -> Timing {
        Timing {
            seed,
            ns_per_mean: plan.ns_per_mean.to_bits(),
            cached: plan
                .cached
                .iter()
                .copied()
                .zip(plan.ttl.iter().copied())
                .collect(),
            resolver_round_trip: plan.resolver_round_trip,
        }
    }
}

/// Where the passes leave the traced flow.
#[derive(Copy, Clone, Debug)]
struct Reached {
    start: SimTime,
    lookup: LastLookup,
}

/// Runs the arrival and sequential passes of flows `0..=flow` (WL-1, DNS-6).
fn reach(plans: &[Plan<'_>], timeline: &Timeline, seed: u64, flow: u64, threads: usize) -> Reached {
    let plan = &plans[0];
    let options = BulkOptions {
        flows: flow.checked_add(1).expect("a flow index below u64::MAX"),
        seed,
        threads,
    };
    let rate = 1e9 / plan.ns_per_mean;
    let bucket = bucket_width(options.flows, rate);
    // No flow is routed: the plans only give the queries' addresses (the cache's timing is the
    // same in every state).
    let (_, chains) = passes(plans, timeline, &options, bucket, false, None);
    let client = client_of(plan.walker.t, seed, flow);
    Reached {
        start: SimTime(chains.now()),
        lookup: chains.last_lookup(plan, client, flow),
    }
}

/// The client of flow `flow` (WL-1).
fn client_of(t: &Topology, seed: u64, flow: u64) -> usize {
    let draws = FlowDraws::for_flow(seed, flow);
    rng::below(draws.client_bits(), t.workload.clients.len() as u64) as usize
}

/// Walks flow `flow` from where the passes left it, recording its hops.
fn walk(walker: &Walker<'_>, timeline: &Timeline, seed: u64, flow: u64, at: Reached) -> Traced {
    let draws = FlowDraws::for_flow(seed, flow);
    let client = client_of(walker.t, seed, flow);
    let (lookup, answer, cache_expires) = match at.lookup {
        LastLookup::Query(query) => (Lookup::Query, AnswerRef::Query(query), None),
        LastLookup::Cached { query, expires } => {
            // The address the answer made curl pick when it arrived, a TTL before it expires
            // (the endpoint's ENIs then: EV-10).
            let ttl = walker.clients[client]
                .answer
                .as_ref()
                .expect("only resolved answers are cached")
                .ttl;
            let arrived = SimTime(expires.saturating_sub(ttl.0));
            let address = walker.chosen_address(client, query, timeline.state_at(arrived));
            let cached = AnswerRef::Cached { query, address };
            (Lookup::Cached, cached, Some(SimTime(expires)))
        }
    };
    let mut hops = Vec::new();
    let ended = timeline.walk(
        walker,
        at.start,
        client,
        lookup,
        answer,
        &mut Draws::of(draws.flow),
        Some(&mut hops),
    );
    let t = walker.t;
    let key = crate::rules::connection::duration_key(seed);
    if let Some(fate) = crate::sim::connections::fate_of(t, timeline, key, flow, at.start, &ended) {
        hops.push(crate::sim::connections::ended_hop(at.start, fate, &ended));
    }
    Traced {
        index: flow,
        start: at.start,
        client,
        cache_expires,
        hops,
    }
}
