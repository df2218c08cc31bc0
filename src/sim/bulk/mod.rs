//! The bulk engine: the event loop's results at the speed of a counting loop, on every core.
//!
//! Between state changes flows do not interact: a flow's fate depends only on its own draws,
//! its client's DNS cache and the answers' orders. So a run is split in three:
//! - [`plan`]: every path a flow can take, worked out once from the walk's own branches
//!   ([`crate::walk::enumerate`]): a [`plan::Route`] per (client, address), a [`plan::Leaf`] per
//!   branch, with how the walk ends from the cache and after a query.
//! - Windows of [`WINDOW`] flows. The *arrival pass* of a window reads its words of the
//!   `arrivals` stream: inter-arrival gaps summed into arrival times, and clients. The
//!   *sequential pass* ([`script`]) carries the DNS caches and query counts from window to
//!   window, in flow order, and writes the few flows where something changes as cues. The
//!   *routing pass* reads the window's words of the `flows` stream and counts, per leaf, the
//!   flows that end there: one hash, one pick and one increment per flow, with the walk's own
//!   [`Draws`] deciding the forward and the pick.
//! - Worker threads take windows in turn; the arrival and routing passes run in parallel, the
//!   sequential pass runs for one window at a time, in window order. Counts are integer sums, so
//!   the tally does not depend on which thread took which window.
//!
//! The tally is the event loop's, field for field ([`crate::sim::events::run`] on the same
//! topology, seed and flow count): hits, sources, failures, bytes, completion times, per-client
//! flows, queries and clusters, the time of the last event, the number of events and the time
//! series. The tests below, `tests/determinism.rs` and the generated scenarios of
//! `tests/generated.rs` compare the two engines.
//!
//! [`trace`] reaches one flow the same way, with the arrival and sequential passes only, and
//! walks that flow alone: what `sim explain` shows, without replaying the flows before it.
//!
//! State changes (docs/model.md EV-6): the run's [`crate::timeline::Timeline`] gives the spans of
//! constant state before any flow runs; there is one plan per distinct state, the sequential pass
//! cues the first flow of each span ([`script::Cue::State`]) and every flow that starts less than
//! the longest path-to-last-read before a change ([`script::Cue::Walk`]), which the routing pass
//! walks step by step through the timeline instead of counting it by its leaf.
//!
//! Connections that live (CONN-1): every answered flow's connection end is worked out as it is
//! routed ([`crate::sim::connections`]), so those runs route flow by flow, without the counting
//! shortcuts.
//! Memory: a few buffers per thread, whatever the flow count; the flows walked across changes of
//! state are kept until the end (a few per change).

pub mod plan;
pub mod script;
pub mod trace;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use super::arrivals;
use super::connections;
use super::tally::{Columns, ConnectionTally, Tally, bucket_of, bucket_width};
use crate::model::Topology;
use crate::rng::{self, Stream, WordBlock, WordStream};
use crate::rules::nlb::pick::{Picker, TargetPick};
use crate::time::SimTime;
use crate::timeline::{self, Timeline};
use crate::walk::{AnswerRef, Decide, Draws, Ended, Lookup, Walker};

use plan::{Plan, Route};
use script::{Arrivals, Chains, Cue, Script};

/// Flows per window: the unit of work a thread takes, and of the sequential pass.
pub const WINDOW: usize = 1 << 16;

/// What to simulate.
#[derive(Copy, Clone, Debug)]
pub struct BulkOptions {
    /// Flows to simulate.
    pub flows: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// Called now and then, from the calling thread, with the flows done so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Simulates `options.flows` flows of `t`'s workload; the same [`Tally`] as
/// [`crate::sim::events::run`].
pub fn run(t: &Topology, options: &BulkOptions, progress: Option<Progress<'_>>) -> Tally {
    let timeline = Timeline::new(t, options.seed, timeline::horizon(t, options.flows));
    run_on(t, &timeline, options, progress)
}

/// [`run`] through the states of `timeline`, the run's own ([`timeline::horizon`] of its flows),
/// for a caller that needs the timeline too.
pub fn run_on(
    t: &Topology,
    timeline: &Timeline,
    options: &BulkOptions,
    progress: Option<Progress<'_>>,
) -> Tally {
    let walker = Walker::new(t, options.seed);
    let plans: Vec<Plan<'_>> = timeline
        .states
        .iter()
        .map(|state| Plan::new(&walker, state))
        .collect();
    let bucket = bucket_width(options.flows, t.workload.arrival_rate);
    let (counts, chains) = passes(&plans, timeline, options, bucket, true, progress);
    let squares = chains.cluster_squares(&plans[0]);
    counts.into_tally(t, &plans, options.flows, bucket, &squares)
}

/// Runs the windows of `options.flows` flows on worker threads: the arrival and sequential
/// passes of every window, and its routing pass when `route`. Returns the counts and the DNS
/// chains as the last window leaves them.
fn passes(
    plans: &[Plan<'_>],
    timeline: &Timeline,
    options: &BulkOptions,
    bucket: crate::time::Span,
    route: bool,
    progress: Option<Progress<'_>>,
) -> (Counts, Chains) {
    let plan = &plans[0];
    let clients = plan.first_route.len();
    let windows = options.flows.div_ceil(WINDOW as u64);
    let spans: Vec<(u64, u32)> = timeline.spans.iter().map(|&(at, k)| (at.0, k)).collect();
    let reach = timeline.longest_read(plans);
    let threads = options.threads.clamp(1, windows.max(1) as usize);
    let shared = Shared {
        plan,
        plans,
        timeline,
        options,
        multi_client: clients > 1,
        route,
        next_window: AtomicU64::new(0),
        windows,
        done: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        aborted: std::sync::atomic::AtomicBool::new(false),
        sequencer: Mutex::new(Sequencer {
            next: 0,
            chains: Chains::new(clients, bucket, spans, reach),
        }),
        turn: Condvar::new(),
        bucket: bucket.0.max(1),
    };
    let counts = std::thread::scope(|scope| {
        let caller = std::thread::current();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let shared = &shared;
                let caller = caller.clone();
                scope.spawn(move || {
                    let _finished = Finished { shared, caller };
                    shared.work()
                })
            })
            .collect();
        if let Some(report) = progress {
            while shared.finished.load(Ordering::Acquire) < threads as u64 {
                std::thread::park_timeout(std::time::Duration::from_millis(100));
                report(shared.done.load(Ordering::Acquire));
            }
        }
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker thread panicked"))
            .reduce(Counts::merge)
            .expect("at least one worker")
    });
    let chains = shared
        .sequencer
        .into_inner()
        .expect("no worker panicked holding the lock")
        .chains;
    (counts, chains)
}

/// Counts a worker out when it returns or unwinds: wakes the caller (progress) and, should the
/// worker have panicked, the workers waiting for a window it will never pass on.
struct Finished<'a, 'b> {
    shared: &'a Shared<'b>,
    caller: std::thread::Thread,
}

impl Drop for Finished<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.shared.aborted.store(true, Ordering::Release);
            self.shared.turn.notify_all();
        }
        self.shared.finished.fetch_add(1, Ordering::AcqRel);
        self.caller.unpark();
    }
}

struct Sequencer {
    /// The window whose sequential pass runs next.
    next: u64,
    chains: Chains,
}

struct Shared<'a> {
    /// The plan of the first state (what does not depend on the state: DNS, arrivals).
    plan: &'a Plan<'a>,
    /// One plan per state of the timeline.
    plans: &'a [Plan<'a>],
    timeline: &'a Timeline,
    options: &'a BulkOptions,
    multi_client: bool,
    /// Route the flows and count them (`false`: only the arrival and sequential passes, for
    /// [`trace`]).
    route: bool,
    next_window: AtomicU64,
    windows: u64,
    done: AtomicU64,
    finished: AtomicU64,
    /// A worker panicked: the others stop waiting for their turn.
    aborted: std::sync::atomic::AtomicBool,
    sequencer: Mutex<Sequencer>,
    turn: Condvar,
    bucket: u64,
}

/// One thread's buffers for a window.
struct Buffers {
    times: Vec<u64>,
    clients: Vec<u32>,
    /// Per client, the window positions of its flows (several clients only).
    positions: Vec<Vec<u32>>,
}

impl Shared<'_> {
    /// A worker: takes windows until none is left; returns its counts.
    fn work(&self) -> Counts {
        let mut counts = Counts::new(self.plans, Columns::of(self.plan.walker.t));
        let mut buffers = Buffers {
            times: Vec::with_capacity(WINDOW),
            clients: Vec::new(),
            positions: vec![Vec::new(); self.plan.first_route.len()],
        };
        loop {
            let window = self.next_window.fetch_add(1, Ordering::AcqRel);
            if window >= self.windows {
                return counts;
            }
            let first = window * WINDOW as u64;
            let len = (self.options.flows - first).min(WINDOW as u64) as usize;
            self.arrival_pass(first, len, &mut buffers);
            let arrivals = Arrivals {
                first,
                times: &buffers.times,
                clients: &buffers.clients,
                positions: if self.multi_client {
                    &buffers.positions
                } else {
                    &[]
                },
            };
            let script = self.sequential_pass(window, &arrivals);
            if self.route {
                Router::new(
                    self.options.seed,
                    self.plans,
                    self.timeline,
                    &script,
                    &arrivals,
                    self.bucket,
                    &mut counts,
                )
                .route_window();
            }
            self.done.fetch_add(len as u64, Ordering::AcqRel);
        }
    }

    /// Arrival times (relative to the window's start) and clients of flows `first..first+len`.
    fn arrival_pass(&self, first: u64, len: usize, buffers: &mut Buffers) {
        let mut stream = WordStream::starting_at(self.options.seed, Stream::Arrivals, first);
        let ns_per_mean = self.plan.ns_per_mean;
        buffers.times.resize(len, 0);
        let mut now = 0u64;
        if self.multi_client {
            let n = buffers.positions.len() as u64;
            buffers.positions.iter_mut().for_each(Vec::clear);
            buffers.clients.resize(len, 0);
            for (i, (time, client)) in buffers
                .times
                .iter_mut()
                .zip(buffers.clients.iter_mut())
                .enumerate()
            {
                let word = stream.next_word();
                now = now.saturating_add(arrivals::arrival_gap(word, ns_per_mean).0);
                *time = now;
                *client = rng::below(rng::client_bits(word), n) as u32;
                buffers.positions[*client as usize].push(i as u32);
            }
        } else {
            let mut block = WordBlock::default();
            for times in buffers.times.chunks_mut(rng::BLOCK) {
                stream.next_block(&mut block);
                let n = times.len();
                for (time, word) in times.iter_mut().zip(block.words(0, n)) {
                    now = now.saturating_add(arrivals::arrival_gap(word, ns_per_mean).0);
                    *time = now;
                }
            }
        }
    }

    /// Waits for window `window`'s turn, advances the DNS chains over it, returns its script.
    fn sequential_pass(&self, window: u64, arrivals: &Arrivals<'_>) -> Script {
        let mut sequencer = self
            .sequencer
            .lock()
            .expect("no worker panics holding the lock");
        while sequencer.next != window {
            assert!(
                !self.aborted.load(Ordering::Acquire),
                "another worker panicked before passing on window {}",
                sequencer.next
            );
            sequencer = self
                .turn
                .wait(sequencer)
                .expect("no worker panics holding the lock");
        }
        let script = sequencer.chains.advance(self.plans, arrivals);
        sequencer.next += 1;
        drop(sequencer);
        self.turn.notify_all();
        script
    }
}

/// What one thread counted.
struct Counts {
    /// Per state (plan), flows per leaf that hit the DNS cache (`[0]`) or queried (`[1]`).
    leaves: Vec<Vec<[u64; 2]>>,
    /// Flows walked step by step (they started just before a change of state): client, state
    /// at its start, how it ended, whether it queried.
    walked: Vec<(u32, u32, Ended, u64)>,
    /// How the connections that lived ended.
    connections: ConnectionTally,
    /// Time of the latest event.
    end: u64,
    /// The time-series row of each bucket ([`Columns`]; absent buckets have none): per target
    /// and node, not per leaf, so that its size is buckets x targets however many branches lead
    /// to a target (10,000 targets behind 36 routes are 360,000 leaves: 345 MB per thread per
    /// leaf).
    timeline: Vec<Vec<u64>>,
    /// The layout of a row.
    columns: Columns,
}

impl Counts {
    fn new(plans: &[Plan<'_>], columns: Columns) -> Counts {
        Counts {
            leaves: plans.iter().map(|p| vec![[0; 2]; p.leaves.len()]).collect(),
            walked: Vec::new(),
            connections: ConnectionTally::new(columns.targets),
            end: 0,
            timeline: Vec::new(),
            columns,
        }
    }

    fn merge(mut self, mut other: Counts) -> Counts {
        for (mine, theirs) in self
            .leaves
            .iter_mut()
            .flatten()
            .zip(other.leaves.iter().flatten())
        {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        }
        self.walked.append(&mut other.walked);
        self.connections.merge(&other.connections);
        self.end = self.end.max(other.end);
        for (bucket, hits) in other.timeline.into_iter().enumerate() {
            if hits.is_empty() {
                continue;
            }
            let row = self.row(bucket as u64);
            for (mine, theirs) in row.iter_mut().zip(&hits) {
                *mine += theirs;
            }
        }
        self
    }

    /// The time-series row of `bucket`, created (zero) when absent.
    #[inline]
    fn row(&mut self, bucket: u64) -> &mut [u64] {
        let b = bucket as usize;
        if self.timeline.len() <= b {
            self.timeline.resize_with(b + 1, Vec::new);
        }
        if self.timeline[b].is_empty() {
            self.timeline[b] = vec![0; self.columns.width()];
        }
        &mut self.timeline[b]
    }

    /// The event loop's tally, from the counts per leaf and each client's cluster squares.
    fn into_tally(
        self,
        t: &Topology,
        plans: &[Plan<'_>],
        flows: u64,
        bucket: crate::time::Span,
        squares: &[u128],
    ) -> Tally {
        let nodes = t.nodes.len();
        let mut tally = Tally {
            end: SimTime(self.end),
            ..Tally::for_walker(plans[0].walker, flows, bucket).with_states(plans.len())
        };
        for (state, (plan, leaves)) in plans.iter().zip(&self.leaves).enumerate() {
            for (leaf, &[hits, misses]) in plan.leaves.iter().zip(leaves) {
                let client = leaf.client as usize;
                tally.add(nodes, client, &leaf.ended[0], hits, 0);
                tally.add(nodes, client, &leaf.ended[1], misses, misses);
                tally.add_to_state(state, &leaf.ended[0], hits + misses);
            }
        }
        tally.connections = self.connections;
        for (client, state, ended, queried) in &self.walked {
            tally.add(nodes, *client as usize, ended, 1, *queried);
            tally.add_to_state(*state as usize, ended, 1);
        }
        for (client, &square) in tally.clients.iter_mut().zip(squares) {
            client.cluster_squares = square;
        }
        for (bucket, row) in self.timeline.iter().enumerate() {
            if !row.is_empty() {
                tally.timeline.row(bucket as u64).copy_from_slice(row);
            }
        }
        tally
    }
}

/// The routing pass of one window.
struct Router<'a> {
    seed: u64,
    /// The key of the connections' durations (CONN-1).
    duration_key: u64,
    /// The workload's connections live (CONN-1): every answered flow's end is worked out.
    live: bool,
    /// The plan of the current state.
    plan: &'a Plan<'a>,
    /// The current state (its plan's index in `plans`).
    state: usize,
    plans: &'a [Plan<'a>],
    timeline: &'a Timeline,
    script: &'a Script,
    arrivals: &'a Arrivals<'a>,
    counts: &'a mut Counts,
    /// Per client: the route its cache hits use.
    hit_route: Vec<u32>,
    /// Per client that does not cache: queries sent so far.
    queries: Vec<u64>,
    /// Current time bucket, and each answered leaf's flows (this thread's) when it began: the
    /// bucket's flows are the difference.
    bucket: u64,
    at_bucket_start: Vec<u64>,
    bucket_width: u64,
    /// Per leaf, the window position of its latest cache-hit flow counted by
    /// [`Router::clients_segment`] ([`NONE`] for none); their latest event is found at the end.
    last_hit: Vec<u32>,
}

/// No position.
const NONE: u32 = u32::MAX;

impl<'a> Router<'a> {
    fn new(
        seed: u64,
        plans: &'a [Plan<'a>],
        timeline: &'a Timeline,
        script: &'a Script,
        arrivals: &'a Arrivals<'a>,
        bucket_width: u64,
        counts: &'a mut Counts,
    ) -> Router<'a> {
        let state = script.first_state as usize;
        let plan = &plans[state];
        Router {
            seed,
            duration_key: crate::rules::connection::duration_key(seed),
            live: plan.walker.t.workload.connection.is_some(),
            plan,
            state,
            plans,
            timeline,
            script,
            arrivals,
            hit_route: script.hit_route.clone(),
            queries: script.queries_before.clone(),
            bucket: script.first_bucket,
            at_bucket_start: leaf_counts(&counts.leaves[state]),
            counts,
            bucket_width,
            last_hit: vec![NONE; plan.leaves.len()],
        }
    }

    fn route_window(mut self) {
        let seed = self.seed;
        let len = self.arrivals.times.len();
        let first = self.arrivals.first;
        let mut words = BlockReader::new(seed, first);
        let mut position = 0usize;
        let mut cues = self.script.cues.iter().peekable();
        while position < len {
            let next_cue = cues
                .peek()
                .map_or(len, |(flow, _)| (*flow - first) as usize);
            if position < next_cue {
                self.plain(position, next_cue, &mut words);
                position = next_cue;
                continue;
            }
            // Flow `position` carries cues: apply them, then route it.
            let mut miss = None;
            let mut walked = false;
            while let Some((_, cue)) = cues.next_if(|(flow, _)| *flow == first + position as u64) {
                match *cue {
                    Cue::CacheAnswer { client, route } => {
                        self.hit_route[client as usize] = route;
                    }
                    Cue::Miss { route, .. } => miss = Some(route),
                    Cue::Bucket(bucket) => {
                        debug_assert_eq!(
                            bucket,
                            bucket_of(
                                SimTime(
                                    self.script
                                        .base
                                        .saturating_add(self.arrivals.times[position])
                                ),
                                crate::time::Span(self.bucket_width)
                            )
                        );
                        self.flush_bucket();
                        self.bucket = bucket;
                    }
                    Cue::State(state) => self.enter_state(state as usize),
                    Cue::Walk => walked = true,
                }
            }
            if walked {
                let word = words.word(position);
                self.walk_one(position, miss, word);
                position += 1;
                continue;
            }
            match miss {
                Some(route) => {
                    let client = self.arrivals.client(position);
                    let word = words.word(position);
                    self.one(position, client, route, 1, word);
                }
                None => self.plain(position, position + 1, &mut words),
            }
            position += 1;
        }
        self.leave_state();
    }

    /// Ends the current state: its bucket counts, its cache hits' latest end.
    fn leave_state(&mut self) {
        self.flush_bucket();
        for leaf in 0..self.last_hit.len() {
            if self.last_hit[leaf] != NONE {
                self.note_end(self.last_hit[leaf] as usize, leaf as u32, 0);
                self.last_hit[leaf] = NONE;
            }
        }
    }

    /// From the flow at hand on, the state is `state` (EV-6).
    fn enter_state(&mut self, state: usize) {
        self.leave_state();
        self.state = state;
        self.plan = &self.plans[state];
        self.at_bucket_start = leaf_counts(&self.counts.leaves[state]);
        self.last_hit = vec![NONE; self.plan.leaves.len()];
    }

    /// The flow at `position` starts just before a change of state: it is walked step by step
    /// through the timeline (`miss`: the route of its query's answer when the script says it
    /// queries).
    fn walk_one(&mut self, position: usize, miss: Option<u32>, word: u64) {
        let client = self.arrivals.client(position);
        let c = client as usize;
        let (lookup, answer) = match miss {
            // The chain picked its answer's address, under the state of its arrival.
            Some(route) => (Lookup::Query, AnswerRef::Address(route as usize)),
            None if self.plan.cached[c] => (
                Lookup::Cached,
                AnswerRef::Address(self.hit_route[c] as usize),
            ),
            None => {
                // A client that does not cache: the walk picks the address when the answer
                // arrives, under the state then (EV-10).
                let query = self.queries[c];
                self.queries[c] += 1;
                (Lookup::Query, AnswerRef::Query(query))
            }
        };
        let start = SimTime(
            self.script
                .base
                .saturating_add(self.arrivals.times[position]),
        );
        let ended = self.timeline.walk(
            self.plan.walker,
            start,
            c,
            lookup,
            answer,
            &mut Draws::of(word),
            None,
        );
        self.counts.end = self.counts.end.max(start.0.saturating_add(ended.at.0));
        let columns = self.counts.columns;
        columns.add(self.counts.row(self.bucket), &ended, 1);
        let queried = u64::from(lookup == Lookup::Query);
        if self.live {
            self.connection(position, &ended);
        }
        self.counts
            .walked
            .push((client, self.state as u32, ended, queried));
    }

    /// The route of client `c` to address `route`.
    fn route(&self, c: usize, route: u32) -> &'a Route {
        &self.plan.routes[self.plan.first_route[c] + route as usize]
    }

    /// Flows `from..to`, none of which carries a cue: cache hits for caching clients, queries
    /// for the others.
    fn plain(&mut self, from: usize, to: usize, words: &mut BlockReader) {
        let plan = self.plan;
        if self.live {
            // Each connection's end depends on its own duration and times: flow by flow.
            for position in from..to {
                let client = self.arrivals.client(position);
                let word = words.word(position);
                self.client_flow(position, client, word);
            }
            return;
        }
        if !self.arrivals.clients.is_empty() {
            if plan.cached.iter().all(|&cached| cached) {
                self.clients_segment(from, to, words);
                return;
            }
            for position in from..to {
                let client = self.arrivals.client(position);
                let word = words.word(position);
                self.client_flow(position, client, word);
            }
            return;
        }
        if !plan.cached[0] {
            for position in from..to {
                let word = words.word(position);
                self.client_flow(position, 0, word);
            }
            return;
        }
        // One caching client: every flow hits the cache and takes the same route.
        let route = self.route(0, self.hit_route[0]);
        self.segment(route, from, to, words);
    }

    /// One flow of `client` with no cue.
    fn client_flow(&mut self, position: usize, client: u32, word: u64) {
        let c = client as usize;
        if self.plan.cached[c] {
            self.one(position, client, self.hit_route[c], 0, word);
        } else {
            let route = self.plan.route_of_query(c, self.queries[c]);
            self.queries[c] += 1;
            self.one(position, client, route, 1, word);
        }
    }

    /// One flow, routed on its own; `dns` is 0 for a cache hit, 1 for a query.
    fn one(&mut self, position: usize, client: u32, route: u32, dns: usize, word: u64) {
        let leaf = leaf_of(self.plan, self.route(client as usize, route), word);
        self.counts.leaves[self.state][leaf as usize][dns] += 1;
        self.note_end(position, leaf, dns);
        if self.live {
            let mut ended = self.plan.leaves[leaf as usize].ended[dns];
            // The enumerated leaf knows no draws: the flow's own hash, as the walk takes it.
            ended.hash = self
                .plan
                .walker
                .flow_hash(client as usize, &ended, &Draws::of(word));
            self.connection(position, &ended);
        }
    }

    /// The connection of the answered flow at `position`, when connections live (CONN-1):
    /// counted at once, by the time it ends.
    fn connection(&mut self, position: usize, ended: &Ended) {
        let start = SimTime(
            self.script
                .base
                .saturating_add(self.arrivals.times[position]),
        );
        let flow = self.arrivals.first + position as u64;
        let t = self.plan.walker.t;
        let Some(fate) =
            connections::fate_of(t, self.timeline, self.duration_key, flow, start, ended)
        else {
            return;
        };
        let (node, target) = (
            ended.node.expect("answered").index(),
            ended.target.expect("answered").index(),
        );
        self.counts.connections.add(target, &fate);
        self.counts.end = self.counts.end.max(fate.at.0);
        let columns = self.counts.columns;
        let bucket = bucket_of(fate.at, crate::time::Span(self.bucket_width));
        columns.add_end(self.counts.row(bucket), node, target, &fate);
    }

    /// Flows `from..to` of several clients that all cache, none carrying a cue: every flow hits
    /// its client's cache and takes the route of its cached answer.
    fn clients_segment(&mut self, from: usize, to: usize, words: &mut BlockReader) {
        let plan = self.plan;
        let routes: Vec<&Route> = (0..plan.first_route.len())
            .map(|c| self.route(c, self.hit_route[c]))
            .collect();
        if routes.iter().all(|r| matches!(r, Route::Ends(_))) {
            // Every client's flows end in one leaf whatever their draws: count each client's
            // flows in the segment from its positions, and note its last one.
            words.skip_to(to);
            for (c, route) in routes.iter().enumerate() {
                let Route::Ends(leaf) = **route else {
                    unreachable!("checked above")
                };
                let count = self.arrivals.count_of(c as u32, from, to);
                if count > 0 {
                    self.counts.leaves[self.state][leaf as usize][0] += count;
                    let last = self.arrivals.last_of(c as u32, to).expect("counted flows");
                    self.last_hit[leaf as usize] = last as u32;
                }
            }
            return;
        }
        let clients = self.arrivals.clients;
        let (leaves, last_hit) = (&mut self.counts.leaves[self.state], &mut self.last_hit);
        let mut position = from;
        words.each(from, to, |word| {
            let leaf = leaf_of(plan, routes[clients[position] as usize], word) as usize;
            leaves[leaf][0] += 1;
            last_hit[leaf] = position as u32;
            position += 1;
        });
    }

    /// Flows `from..to`, all cache hits on `route`: the hot loop. It only counts flows per
    /// pick; the segment's latest event is found afterwards from its last flows.
    fn segment(&mut self, route: &Route, from: usize, to: usize, words: &mut BlockReader) {
        if let Route::Ends(leaf) = route {
            words.skip_to(to);
            self.count_hits(*leaf, (to - from) as u64);
            self.note_end(to - 1, *leaf, 0);
            return;
        }
        let (hasher, choice) = match route {
            Route::Node {
                hasher: Some(hasher),
                forward,
                choices,
            } if forward.len() == 1 && choices[0].eligible.is_some() => (hasher, &choices[0]),
            _ => {
                for position in from..to {
                    let word = words.word(position);
                    let leaf = leaf_of(self.plan, route, word);
                    self.count_hits(leaf, 1);
                    self.note_end(position, leaf, 0);
                }
                return;
            }
        };
        let (node, tg) = choice.eligible.expect("matched above");
        let picker = &self.plan.state.eligible(node, tg).picker;
        // A pick of one target would make a single-branch route: Route::Ends, handled above.
        debug_assert!(
            picker.len() > 1,
            "a one-target pick is a single-branch route"
        );
        let mut counts = vec![0u64; picker.len()];
        match picker {
            Picker::Uniform(p) => words.each(from, to, |word| {
                let d = Draws::of(word);
                if let Some(count) = counts.get_mut(p.pick(hasher.hash(d.src_port, d.isn))) {
                    *count += 1;
                }
            }),
            Picker::Maglev(p) => words.each(from, to, |word| {
                let d = Draws::of(word);
                if let Some(count) = counts.get_mut(p.pick(hasher.hash(d.src_port, d.isn))) {
                    *count += 1;
                }
            }),
        }
        for (k, &count) in counts.iter().enumerate() {
            if count > 0 {
                self.count_hits(choice.first + k as u32, count);
            }
        }
        let end = self.segment_end(route, from, to, words);
        self.counts.end = self.counts.end.max(end);
    }

    /// The latest `start + last event` of the cache-hit flows `from..to` on `route`, walking
    /// back from the last flow: a flow that starts more than the route's longest path before
    /// the latest end found cannot beat it, so a few flows settle it. The words still in the
    /// reader's block are used; should the walk need earlier ones, the segment is read again.
    fn segment_end(&self, route: &Route, from: usize, to: usize, words: &BlockReader) -> u64 {
        let leaves = &self.plan.leaves;
        let longest = route_leaves(self.plan, route)
            .map(|leaf| leaves[leaf as usize].ended[0].at.0)
            .max()
            .unwrap_or(0);
        let start = |position: usize| {
            self.script
                .base
                .saturating_add(self.arrivals.times[position])
        };
        let end_of = |position: usize, word: u64| {
            start(position).saturating_add(
                leaves[leaf_of(self.plan, route, word) as usize].ended[0]
                    .at
                    .0,
            )
        };
        let mut best = 0;
        let in_block = if reread_always() {
            to
        } else {
            from.max(words.start)
        };
        for position in (in_block..to).rev() {
            if start(position).saturating_add(longest) <= best {
                return best;
            }
            best = best.max(end_of(position, words.block.word(position - words.start)));
        }
        if in_block > from {
            let mut again = words.reread(from);
            let mut position = from;
            again.each(from, in_block, |word| {
                best = best.max(end_of(position, word));
                position += 1;
            });
        }
        best
    }

    /// `count` cache-hit flows end in `leaf`.
    fn count_hits(&mut self, leaf: u32, count: u64) {
        self.counts.leaves[self.state][leaf as usize][0] += count;
    }

    /// The flow at `position` ended in `leaf` (`dns` 0 for a cache hit, 1 for a query).
    fn note_end(&mut self, position: usize, leaf: u32, dns: usize) {
        let end = self
            .script
            .base
            .saturating_add(self.arrivals.times[position])
            .saturating_add(self.plan.leaves[leaf as usize].ended[dns].at.0);
        self.counts.end = self.counts.end.max(end);
    }

    /// Moves the answered flows counted since the current bucket began to the timeline.
    fn flush_bucket(&mut self) {
        let now = leaf_counts(&self.counts.leaves[self.state]);
        if now == self.at_bucket_start {
            return;
        }
        let columns = self.counts.columns;
        let row = self.counts.row(self.bucket);
        for ((leaf, after), before) in self.plan.leaves.iter().zip(&now).zip(&self.at_bucket_start)
        {
            if after != before {
                // Both DNS variants of a leaf end alike but for their times.
                columns.add(row, &leaf.ended[0], after - before);
            }
        }
        self.at_bucket_start = now;
    }
}

/// The leaf of the flow with this `flows` word on `route`: the walk's own draws decide the
/// forward and the pick ([`Draws`] as a [`Decide`]).
#[inline]
fn leaf_of(plan: &Plan<'_>, route: &Route, word: u64) -> u32 {
    match route {
        Route::Ends(leaf) => *leaf,
        Route::Node {
            hasher,
            forward,
            choices,
        } => {
            let mut draws = Draws::of(word);
            let choice = &choices[draws.forward(forward)];
            match (choice.eligible, hasher) {
                (Some(at), Some(hasher)) => {
                    let eligible = plan.state.eligible(at.0, at.1);
                    choice.first + draws.pick(at, eligible, hasher).0 as u32
                }
                _ => choice.first,
            }
        }
    }
}

/// Flows counted so far per leaf (`leaves` of one plan).
fn leaf_counts(leaves: &[[u64; 2]]) -> Vec<u64> {
    leaves.iter().map(|&[hits, misses]| hits + misses).collect()
}

/// Tests set this to make [`Router::segment_end`] read every segment again (its rare path).
#[cfg(test)]
static REREAD_ALWAYS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
fn reread_always() -> bool {
    REREAD_ALWAYS.load(Ordering::Relaxed)
}

#[cfg(not(test))]
#[inline(always)]
fn reread_always() -> bool {
    false
}

/// Every leaf a flow on `route` can end in.
fn route_leaves<'p>(plan: &'p Plan<'_>, route: &'p Route) -> impl Iterator<Item = u32> + 'p {
    let (ends, choices) = match route {
        Route::Ends(leaf) => (Some(*leaf), &[][..]),
        Route::Node { choices, .. } => (None, &choices[..]),
    };
    ends.into_iter()
        .chain(choices.iter().flat_map(move |choice| {
            let n = choice.eligible.map_or(1, |(node, tg)| {
                plan.state.eligible(node, tg).targets.len() as u32
            });
            choice.first..choice.first + n
        }))
}

/// The `flows` stream of a window, read forward in blocks.
struct BlockReader {
    stream: WordStream,
    block: WordBlock,
    /// Window position of the block's first word.
    start: usize,
    /// Valid words in `block`.
    valid: usize,
    seed: u64,
    /// Flow index of window position 0.
    window_first: u64,
}

impl BlockReader {
    fn new(seed: u64, window_first: u64) -> BlockReader {
        BlockReader::at(seed, window_first, 0)
    }

    /// A reader whose first word is that of window position `position`.
    fn at(seed: u64, window_first: u64, position: usize) -> BlockReader {
        BlockReader {
            stream: WordStream::starting_at(seed, Stream::Flows, window_first + position as u64),
            block: WordBlock::default(),
            start: position,
            valid: 0,
            seed,
            window_first,
        }
    }

    /// A second reader of the same window, from `position`.
    fn reread(&self, position: usize) -> BlockReader {
        BlockReader::at(self.seed, self.window_first, position)
    }

    /// Makes `position` (not before the block) readable.
    #[inline]
    fn reach(&mut self, position: usize) {
        while position >= self.start + self.valid {
            self.start += self.valid;
            self.stream.next_block(&mut self.block);
            self.valid = rng::BLOCK;
        }
    }

    /// The word of flow `position` (positions are read in increasing order).
    #[inline]
    fn word(&mut self, position: usize) -> u64 {
        self.reach(position);
        self.block.word(position - self.start)
    }

    /// Moves past `to - 1` without using the words: beyond the current block, the stream is
    /// repositioned instead of generated (the words skipped are never read).
    fn skip_to(&mut self, to: usize) {
        if to > self.start + self.valid {
            *self = BlockReader::at(self.seed, self.window_first, to);
        }
    }

    /// Calls `f(word)` for the words of `from..to`, in order, block by block.
    #[inline(always)]
    fn each(&mut self, from: usize, to: usize, mut f: impl FnMut(u64)) {
        let mut position = from;
        while position < to {
            self.reach(position);
            let end = to.min(self.start + self.valid);
            let offset = self.start;
            for word in self.block.words(position - offset, end - offset) {
                f(word);
            }
            position = end;
        }
    }
}

#[cfg(test)]
mod tests;
