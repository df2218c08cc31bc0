//! The discrete-event loop: flows in simulated time, one event at a time.
//!
//! # Events and order
//! Events sit in a binary heap ordered by `(time, sequence number)`: simultaneous events run in
//! the order they were scheduled, so a run is a pure function of the topology, the seed and the
//! flow count. The state changes at the instants the [`Timeline`] gives (EV-6): before the events
//! at an instant run, the span that starts at it (if one does) takes over, so a step at the very
//! instant of a change sees the new state. Each push and pop costs O(log n) in the events
//! pending, which are bounded by the flows in flight and the connections open (plus one pending
//! arrival): memory does not grow with the flow count.
//!
//! A flow's events are the steps of its walk ([`crate::walk`]): the loop schedules each step at
//! the time the walk gives and runs it against the [`State`] of that moment. When the workload's
//! connections live (CONN-1), an answered flow stays in flight until its connection ends, one
//! more event at the time [`crate::sim::connections::fate_of`] gives. The loop itself keeps only
//! what belongs to time: arrivals, each client's DNS cache (an answer is cached from its arrival
//! for its TTL, with the address it made curl pick: DNS-6, EV-10) and the count of its queries
//! (which numbers the answers, whose order the walk draws: DNS-5).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::arrivals;
use super::connections;
use super::tally::{Tally, bucket_of, bucket_width};
use crate::model::Topology;
use crate::rng::{FlowDraws, FlowStream};
use crate::rules::connection::Fate;
use crate::state::State;
use crate::time::SimTime;
use crate::timeline::{self, Timeline};
use crate::walk::{AnswerRef, Draws, Hop, Lookup, Next, Walk, Walker};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Flows to simulate.
    pub flows: u64,
    /// Master seed.
    pub seed: u64,
    /// Record the hops of this flow (and stop once it ends).
    pub trace_flow: Option<u64>,
}

/// One flow as `sim explain` shows it.
#[derive(Clone, Debug)]
pub struct Traced {
    /// Its index.
    pub index: u64,
    /// When it started.
    pub start: SimTime,
    /// Its client (an index of the workload's clients).
    pub client: usize,
    /// The expiry of the cached answer it used, when it used one.
    pub cache_expires: Option<SimTime>,
    /// Its hops.
    pub hops: Vec<Hop>,
}

/// Simulates `options.flows` flows of `t`'s workload.
pub fn run(t: &Topology, options: &RunOptions) -> Tally {
    let timeline = Timeline::new(t, options.seed, timeline::horizon(t, options.flows));
    run_on(t, &timeline, options)
}

/// [`run`] through the states of `timeline`, the run's own ([`timeline::horizon`] of its flows),
/// for a caller that needs the timeline too.
pub fn run_on(t: &Topology, timeline: &Timeline, options: &RunOptions) -> Tally {
    Engine::new(t, timeline, options).run().0
}

/// Simulates up to flow `options.trace_flow` and returns its hops.
pub fn trace(t: &Topology, options: &RunOptions) -> Option<Traced> {
    let timeline = Timeline::new(t, options.seed, timeline::horizon(t, options.flows));
    Engine::new(t, &timeline, options).run().1.pop()
}

/// Simulates up to the last of `flows` under `seed` and returns the hops of each, in flow order
/// (one run for many traces: the reference [`crate::sim::bulk::trace`] is tested against).
pub fn trace_flows(t: &Topology, seed: u64, flows: &[u64]) -> Vec<Traced> {
    let Some(&last) = flows.iter().max() else {
        return Vec::new();
    };
    let options = RunOptions {
        flows: last.checked_add(1).expect("a flow index below u64::MAX"),
        seed,
        trace_flow: None,
    };
    let timeline = Timeline::new(t, seed, timeline::horizon(t, options.flows));
    let mut engine = Engine::new(t, &timeline, &options);
    engine.tracing = flows.to_vec();
    engine.tracing.sort_unstable();
    engine.tracing.dedup();
    engine.run().1
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Step,
    /// The end of an answered flow's connection, when connections live (CONN-1).
    Close,
}

struct InFlight {
    index: u64,
    /// The state (of the timeline) at its start.
    state: u32,
    start: SimTime,
    client: usize,
    draws: Draws,
    walk: Walk,
    /// Once answered, when connections live: how its connection ends, its node and target.
    open: Option<(Fate, usize, usize)>,
}

#[derive(Copy, Clone, Debug)]
struct CacheEntry {
    /// The query that brought the answer.
    query: u64,
    /// The address it made curl pick when it arrived (the endpoint's ENIs then: EV-10).
    address: usize,
    expires: SimTime,
    /// Flows that used this answer so far.
    cluster: u64,
}

#[derive(Clone, Debug, Default)]
struct ClientDns {
    queries: u64,
    entry: Option<CacheEntry>,
}

struct Engine<'a> {
    t: &'a Topology,
    walker: Walker<'a>,
    timeline: &'a Timeline,
    /// The span of the timeline in force.
    span: usize,
    options: &'a RunOptions,
    queue: BinaryHeap<Reverse<(SimTime, u64, u32, Kind)>>,
    sequence: u64,
    slots: Vec<Option<InFlight>>,
    free: Vec<u32>,
    stream: FlowStream,
    ns_per_mean: f64,
    next_index: u64,
    next_draws: FlowDraws,
    dns: Vec<ClientDns>,
    tally: Tally,
    /// The flows to trace, ascending.
    tracing: Vec<u64>,
    /// Their traces so far, in flow order.
    traced: Vec<Traced>,
    /// Traced flows that have ended.
    ended: usize,
    done: bool,
}

impl<'a> Engine<'a> {
    fn new(t: &'a Topology, timeline: &'a Timeline, options: &'a RunOptions) -> Engine<'a> {
        let mut stream = FlowStream::starting_at(options.seed, 0);
        let next_draws = stream.next_flow();
        let walker = Walker::new(t, options.seed);
        let bucket = bucket_width(options.flows, t.workload.arrival_rate);
        let tally =
            Tally::for_walker(&walker, options.flows, bucket).with_states(timeline.states.len());
        Engine {
            t,
            walker,
            timeline,
            span: 0,
            options,
            queue: BinaryHeap::new(),
            sequence: 0,
            slots: Vec::new(),
            free: Vec::new(),
            stream,
            ns_per_mean: arrivals::ns_per_mean(t.workload.arrival_rate),
            next_index: 0,
            next_draws,
            dns: vec![ClientDns::default(); t.workload.clients.len()],
            tally,
            tracing: options.trace_flow.into_iter().collect(),
            traced: Vec::new(),
            ended: 0,
            done: false,
        }
    }

    fn schedule(&mut self, at: SimTime, slot: u32, kind: Kind) {
        self.queue.push(Reverse((at, self.sequence, slot, kind)));
        self.sequence += 1;
    }

    fn run(mut self) -> (Tally, Vec<Traced>) {
        if self.options.flows > 0 {
            let first = arrivals::arrival_gap(self.next_draws.arrival, self.ns_per_mean);
            self.schedule(SimTime::ZERO.after(first), u32::MAX, Kind::Arrival);
        }
        while let Some(Reverse((now, _, slot, kind))) = self.queue.pop() {
            self.tally.end = self.tally.end.max(now);
            let spans = &self.timeline.spans;
            while self.span + 1 < spans.len() && spans[self.span + 1].0 <= now {
                self.span += 1;
            }
            let slot = match kind {
                Kind::Arrival => self.arrival(now),
                Kind::Step => slot,
                Kind::Close => {
                    self.close(slot);
                    continue;
                }
            };
            self.step(now, slot);
            if self.done {
                break;
            }
        }
        for (client, dns) in self.dns.iter().enumerate() {
            if let Some(entry) = dns.entry {
                self.tally.clients_square(client, entry.cluster);
            }
        }
        (self.tally, self.traced)
    }

    /// A flow arrives: its client looks in its cache (DNS-6); the walk starts.
    fn arrival(&mut self, now: SimTime) -> u32 {
        let t = self.t;
        let index = self.next_index;
        let draws = self.next_draws;
        let client =
            crate::rng::below(draws.client_bits(), t.workload.clients.len() as u64) as usize;
        self.next_index += 1;
        if self.next_index < self.options.flows {
            self.next_draws = self.stream.next_flow();
            let next = now.after(arrivals::arrival_gap(
                self.next_draws.arrival,
                self.ns_per_mean,
            ));
            self.schedule(next, u32::MAX, Kind::Arrival);
        }
        let dns = &mut self.dns[client];
        let cached = dns
            .entry
            .as_mut()
            .filter(|entry| t.workload.dns_cache && entry.expires > now);
        let (lookup, answer, expires) = match cached {
            Some(entry) => {
                entry.cluster += 1;
                let cached = AnswerRef::Cached {
                    query: entry.query,
                    address: entry.address,
                };
                (Lookup::Cached, cached, Some(entry.expires))
            }
            None => {
                dns.queries += 1;
                (Lookup::Query, AnswerRef::Query(dns.queries - 1), None)
            }
        };
        let walk = self.walker.start(client, lookup, answer);

        if self.traces(index) {
            self.traced.push(Traced {
                index,
                start: now,
                client,
                cache_expires: expires,
                hops: Vec::new(),
            });
        }
        let flow = InFlight {
            index,
            state: self.timeline.spans[self.span].1,
            start: now,
            client,
            draws: Draws::of(draws.flow),
            walk,
            open: None,
        };
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(flow);
                slot
            }
            None => {
                self.slots.push(Some(flow));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 flows in flight")
            }
        }
    }

    /// The next step of the flow in `slot`, at `now`.
    fn step(&mut self, now: SimTime, slot: u32) {
        let index = self.slots[slot as usize]
            .as_ref()
            .expect("events refer to live flows")
            .index;
        let tracing = self.traces(index);
        let state = self.state();
        let trace = if tracing {
            let i = self
                .traced
                .binary_search_by_key(&index, |traced| traced.index)
                .expect("a traced flow's trace starts at its arrival");
            Some(&mut self.traced[i].hops)
        } else {
            None
        };
        let flow = self.slots[slot as usize].as_mut().expect("live flow");
        let answer_arrives = flow.walk.awaits_answer();
        let next = self
            .walker
            .step(state, &mut flow.walk, &mut flow.draws, trace);
        if answer_arrives {
            let client = flow.client;
            let query = flow
                .walk
                .query()
                .expect("a simulated flow's answer is a query's");
            self.answer_arrived(now, client, query);
        }
        match next {
            Next::At(offset) => {
                let at = self.slots[slot as usize]
                    .as_ref()
                    .expect("live")
                    .start
                    .after(offset);
                self.schedule(at, slot, Kind::Step);
            }
            Next::Done(ended) => {
                let flow = self.slots[slot as usize].as_ref().expect("live flow");
                let (index, client, start, state) =
                    (flow.index, flow.client, flow.start, flow.state);
                let queried = u64::from(flow.walk.lookup() == Lookup::Query);
                let key = crate::rules::connection::duration_key(self.options.seed);
                match connections::fate_of(self.t, self.timeline, key, index, start, &ended) {
                    // The connection stays in flight until it ends (CONN-1).
                    Some(fate) => {
                        if tracing {
                            let i = self
                                .traced
                                .binary_search_by_key(&index, |traced| traced.index)
                                .expect("a traced flow's trace starts at its arrival");
                            self.traced[i]
                                .hops
                                .push(connections::ended_hop(start, fate, &ended));
                        }
                        let flow = self.slots[slot as usize].as_mut().expect("live flow");
                        flow.open = Some((
                            fate,
                            ended.node.expect("answered").index(),
                            ended.target.expect("answered").index(),
                        ));
                        self.schedule(fate.at, slot, Kind::Close);
                    }
                    None => {
                        self.slots[slot as usize] = None;
                        self.free.push(slot);
                    }
                }
                self.tally
                    .add(self.t.nodes.len(), client, &ended, 1, queried);
                self.tally.add_to_state(state as usize, &ended, 1);
                let timeline = &mut self.tally.timeline;
                let columns = timeline.columns;
                columns.add(timeline.row(bucket_of(start, timeline.bucket)), &ended, 1);
                if tracing {
                    self.ended += 1;
                    self.done = self.ended == self.tracing.len();
                }
            }
        }
    }

    /// The connection of the flow in `slot` ends, as its fate said when it was answered.
    fn close(&mut self, slot: u32) {
        let flow = self.slots[slot as usize]
            .take()
            .expect("a closing connection is in flight");
        self.free.push(slot);
        let (fate, node, target) = flow.open.expect("only open connections close");
        self.tally.connections.add(target, &fate);
        let timeline = &mut self.tally.timeline;
        let columns = timeline.columns;
        columns.add_end(
            timeline.row(bucket_of(fate.at, timeline.bucket)),
            node,
            target,
            &fate,
        );
    }

    /// The state of the span in force.
    fn state(&self) -> &'a State {
        &self.timeline.states[self.timeline.spans[self.span].1 as usize]
    }

    /// True when flow `index` is traced.
    fn traces(&self, index: u64) -> bool {
        !self.tracing.is_empty() && self.tracing.binary_search(&index).is_ok()
    }

    /// The answer to `client`'s query `query` arrives at `now`: cached for its TTL when the
    /// workload caches and the name resolved (DNS-6). The answer it replaces ends its cluster;
    /// an answer not cached is a cluster of one flow (STAT-2).
    fn answer_arrived(&mut self, now: SimTime, client: usize, query: u64) {
        let ttl = match &self.walker.clients[client].answer {
            Ok(answer) if self.t.workload.dns_cache => answer.ttl,
            _ => {
                self.tally.clients_square(client, 1);
                return;
            }
        };
        let state = self.state();
        let address = self.walker.chosen_address(client, query, state);
        let old = self.dns[client].entry.replace(CacheEntry {
            query,
            address,
            expires: now.after(ttl),
            cluster: 1,
        });
        if let Some(old) = old {
            self.tally.clients_square(client, old.cluster);
        }
    }
}
