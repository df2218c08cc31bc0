//! The sequential part of a run: each client's DNS cache and queries, and the time-series
//! buckets, turned into a script of the few flows where something changes.
//!
//! Clients do not share caches, so each client's lookups are a chain of its own: a flow that
//! finds no valid entry queries the resolver; each answer, one resolver round trip later, sets
//! the entry (the answer's route, expiry = answer + TTL); flows that find a valid entry use it.
//! Answers come back in query order, so a query's number is the number of queries the client
//! sent before, and its route is the address that query's answer order puts first for curl
//! ([`Plan::route_of_query`], the walk's DNS-5/DNS-7 rule). Ties follow the event loop's order for
//! simultaneous events: the answer to flow `q` is applied before the arrival of flow `i` at the
//! same nanosecond exactly when `q + 1 < i` (the arrival of `q + 1` was scheduled before `q`'s
//! query, the others after).
//!
//! Only the flows where the chain changes are visited: after a flow finds a valid entry, the next
//! flow to look at is the first arrival at or after the expiry, found by binary search over the
//! window's arrival times, and the client's flows in between are counted by binary search over
//! its positions. A client that does not cache (or whose name does not resolve) queries for every
//! flow; the script only carries its query count into the window.
//!
//! The chain also counts, for each answer, the flows that used it: the clusters of the clustered
//! statistics (docs/model.md STAT-2), summed as squares.

use std::collections::VecDeque;

use crate::sim::tally::{MAX_BUCKETS, bucket_of};
use crate::time::{SimTime, Span};

use super::plan::Plan;

/// What the script says about one flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cue {
    /// From this flow on, the client's cache hits use this route (set before the flow).
    CacheAnswer {
        /// Client index.
        client: u32,
        /// The route of the cached answer.
        route: u32,
    },
    /// This flow misses the cache and queries; its answer leads to this route.
    Miss {
        /// Client index.
        client: u32,
        /// The route of its answer.
        route: u32,
    },
    /// This flow starts time-series bucket `bucket`.
    Bucket(u64),
    /// From this flow on, the state is the timeline's state number `state` (EV-6).
    State(u32),
    /// This flow starts close enough before a change of state that its path may read two
    /// states: it is walked step by step ([`crate::timeline::Timeline::walk`]).
    Walk,
}

/// The script of one window of flows.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// Absolute time of the window's first arrival minus its own gap (the previous arrival).
    pub base: u64,
    /// Cues by flow index (absolute), in the order to apply them.
    pub cues: Vec<(u64, Cue)>,
    /// Per client: the route cache hits use at the window's start.
    pub hit_route: Vec<u32>,
    /// Per client that does not cache: queries sent before the window.
    pub queries_before: Vec<u64>,
    /// The time-series bucket of the window's first flow.
    pub first_bucket: u64,
    /// The state (of the run's timeline) at the window's first flow.
    pub first_state: u32,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    route: u32,
    /// The client's query whose answer this is (its number: queries sent before it).
    query: u64,
    expires: u64,
    /// Flows that used this answer so far.
    cluster: u64,
}

/// An answer on its way to the client.
#[derive(Copy, Clone, Debug)]
struct Pending {
    /// When it arrives.
    at: u64,
    route: u32,
    /// The flow that sent the query.
    flow: u64,
    /// The query's number.
    query: u64,
}

#[derive(Clone, Debug, Default)]
struct ClientChain {
    entry: Option<Entry>,
    /// Answers on their way, oldest first.
    pending: VecDeque<Pending>,
    /// Queries sent so far.
    queries: u64,
    /// Finished clusters, as the sum of their squared sizes.
    squares: u128,
}

impl ClientChain {
    /// Flow `flow` of client `client` finds no valid entry at `now` and queries: its answer (its
    /// number is the number of queries sent before) comes back one round trip later, and leads
    /// to the address its order picks among those the answer holds then (the plan of the state
    /// at that instant, of `plans` whose `spans` start at the given times: EV-10).
    fn query(
        &mut self,
        plans: &[Plan<'_>],
        spans: &[(u64, u32)],
        client: u32,
        now: u64,
        flow: u64,
    ) -> Cue {
        let at = now.saturating_add(plans[0].resolver_round_trip.0);
        let span = spans.partition_point(|&(from, _)| from <= at).max(1) - 1;
        let plan = &plans[spans[span].1 as usize];
        let route = plan.route_of_query(client as usize, self.queries);
        self.pending.push_back(Pending {
            at,
            route,
            flow,
            query: self.queries,
        });
        self.queries += 1;
        Cue::Miss { client, route }
    }

    /// The answer arriving becomes the entry; the one it replaces ends its cluster; its own
    /// cluster starts with the flow that queried.
    fn store(&mut self, answer: Pending, ttl: u64) {
        if let Some(old) = self.entry.take() {
            self.squares += u128::from(old.cluster) * u128::from(old.cluster);
        }
        self.entry = Some(Entry {
            route: answer.route,
            query: answer.query,
            expires: answer.at.saturating_add(ttl),
            cluster: 1,
        });
    }

    /// `hits` more flows used the entry.
    fn hit(&mut self, hits: u64) {
        if hits > 0 {
            self.entry.as_mut().expect("hits use an entry").cluster += hits;
        }
    }
}

/// How one flow got its DNS answer (DNS-6).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LastLookup {
    /// It sent the client's query with this number.
    Query(u64),
    /// It used the cached answer to the client's query `query`, valid until `expires`.
    Cached {
        /// The query whose answer it used.
        query: u64,
        /// When the answer expires (absolute nanoseconds).
        expires: u64,
    },
}

/// The chain of every client, carried from window to window.
#[derive(Clone, Debug)]
pub struct Chains {
    clients: Vec<ClientChain>,
    /// Time of the last arrival so far.
    now: u64,
    bucket_width: u64,
    /// The timeline's spans: (start, state), the first from zero.
    spans: Vec<(u64, u32)>,
    /// The next span to start (its start is after every arrival so far).
    next_span: usize,
    /// Flows that start less than this before a change are walked step by step.
    reach: u64,
}

/// One window's arrivals, as the arrival pass leaves them.
pub struct Arrivals<'a> {
    /// Index of the window's first flow.
    pub first: u64,
    /// Arrival time of each flow, relative to the window's base (the arrival before it).
    pub times: &'a [u64],
    /// Client of each flow (empty when there is one client).
    pub clients: &'a [u32],
    /// Per client, the window positions of its flows, ascending (empty when there is one
    /// client).
    pub positions: &'a [Vec<u32>],
}

impl Arrivals<'_> {
    /// The client of the flow at `i` (a position in the window).
    #[inline]
    pub fn client(&self, i: usize) -> u32 {
        if self.clients.is_empty() {
            0
        } else {
            self.clients[i]
        }
    }

    /// Flows of `client` in the window.
    pub fn flows_of(&self, client: u32) -> u64 {
        if self.positions.is_empty() {
            self.times.len() as u64
        } else {
            self.positions[client as usize].len() as u64
        }
    }

    /// Flows of `client` at positions `from..to`.
    pub fn count_of(&self, client: u32, from: usize, to: usize) -> u64 {
        if to <= from {
            return 0;
        }
        if self.positions.is_empty() {
            return (to - from) as u64;
        }
        let p = &self.positions[client as usize];
        (p.partition_point(|&x| (x as usize) < to) - p.partition_point(|&x| (x as usize) < from))
            as u64
    }

    /// The last flow of `client` before position `to`.
    pub fn last_of(&self, client: u32, to: usize) -> Option<usize> {
        if self.positions.is_empty() {
            return to.checked_sub(1);
        }
        let p = &self.positions[client as usize];
        p.partition_point(|&x| (x as usize) < to)
            .checked_sub(1)
            .map(|i| p[i] as usize)
    }

    /// The first flow at or after position `from` that belongs to `client`.
    fn next_of(&self, client: u32, from: usize) -> Option<usize> {
        if self.positions.is_empty() {
            return (from < self.times.len()).then_some(from);
        }
        let p = &self.positions[client as usize];
        p.get(p.partition_point(|&x| (x as usize) < from))
            .map(|&x| x as usize)
    }

    /// The first position at or after `from` whose arrival (relative) is at or after `time`.
    fn first_at_or_after(&self, from: usize, time: u64) -> usize {
        from + self.times[from..].partition_point(|&t| t < time)
    }
}

impl Chains {
    /// Nothing cached, nothing sent, at time zero; the state changes at the starts of `spans`
    /// (start, state), the first from zero, and flows that start less than `reach` before a
    /// change are cued to be walked.
    pub fn new(clients: usize, bucket_width: Span, spans: Vec<(u64, u32)>, reach: Span) -> Chains {
        debug_assert!(spans.first().is_some_and(|s| s.0 == 0));
        Chains {
            clients: vec![ClientChain::default(); clients],
            now: 0,
            bucket_width: bucket_width.0.max(1),
            spans,
            next_span: 1,
            reach: reach.0,
        }
    }

    /// The time of the last arrival so far.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// How flow `flow` of client `client` got its DNS answer, when it is the last flow of the
    /// windows advanced over so far (the state of the chain right after its lookup).
    pub fn last_lookup(&self, plan: &Plan<'_>, client: usize, flow: u64) -> LastLookup {
        let chain = &self.clients[client];
        if !plan.cached[client] {
            return LastLookup::Query(chain.queries - 1);
        }
        match (chain.pending.back(), &chain.entry) {
            (Some(sent), _) if sent.flow == flow => LastLookup::Query(sent.query),
            (_, Some(entry)) => LastLookup::Cached {
                query: entry.query,
                expires: entry.expires,
            },
            (_, None) => unreachable!("flow {flow} neither queried nor found an entry"),
        }
    }

    /// Per client, the sum of the squared sizes of its clusters, the open ones included (call
    /// after the last window). Clients that do not cache have clusters of one flow each.
    pub fn cluster_squares(&self, plan: &Plan<'_>) -> Vec<u128> {
        self.clients
            .iter()
            .enumerate()
            .map(|(c, chain)| {
                if !plan.cached[c] {
                    return u128::from(chain.queries);
                }
                let open = chain.entry.as_ref().map_or(0, |e| u128::from(e.cluster));
                // Answers still on their way when the run ended each had one flow.
                chain.squares + open * open + chain.pending.len() as u128
            })
            .collect()
    }

    /// Advances every chain over one window and returns its script.
    pub fn advance(&mut self, plans: &[Plan<'_>], window: &Arrivals<'_>) -> Script {
        let plan = &plans[0];
        let base = self.now;
        let mut script = Script {
            base,
            cues: Vec::new(),
            hit_route: self
                .clients
                .iter()
                .map(|chain| chain.entry.as_ref().map_or(0, |e| e.route))
                .collect(),
            queries_before: self.clients.iter().map(|c| c.queries).collect(),
            first_bucket: 0,
            first_state: self.spans[self.next_span - 1].1,
        };
        let Some(&last) = window.times.last() else {
            return script;
        };
        for client in 0..self.clients.len() {
            if plan.cached[client] {
                self.cached_chain(plans, window, client as u32, base, &mut script.cues);
            } else {
                self.clients[client].queries += window.flows_of(client as u32);
            }
        }
        // Buckets: the flow that starts each bucket met in the window.
        let width = self.bucket_width;
        let bucket_at = |at: u64| bucket_of(SimTime(base.saturating_add(at)), Span(width));
        script.first_bucket = bucket_at(window.times[0]);
        let mut bucket = script.first_bucket;
        let mut from = 0;
        // The last bucket holds every later flow: no bucket starts after it.
        while bucket < MAX_BUCKETS - 1 {
            bucket += 1;
            // Time saturates at u64::MAX nanoseconds: no bucket starts beyond it.
            let Some(start) = bucket.checked_mul(width) else {
                break;
            };
            let starts = start.saturating_sub(base);
            from = window.first_at_or_after(from, starts);
            if from == window.times.len() {
                break;
            }
            bucket = bucket_at(window.times[from]);
            script
                .cues
                .push((window.first + from as u64, Cue::Bucket(bucket)));
        }
        self.state_cues(window, base, &mut script.cues);
        // Stable: within one flow, cache changes (pushed first) come before its miss, then the
        // bucket and state cues (they do not interact), then whether it is walked.
        script.cues.sort_by_key(|(flow, cue)| {
            let rank = match cue {
                Cue::CacheAnswer { .. } => 0,
                Cue::Miss { .. } => 1,
                Cue::Bucket(_) => 2,
                Cue::State(_) => 3,
                Cue::Walk => 4,
            };
            (*flow, rank)
        });
        self.now = base.saturating_add(last);
        script
    }

    /// The state cues of a window: the first flow of each span that starts within it, and
    /// every flow that starts less than `reach` before a change (here or in a later window).
    fn state_cues(&mut self, window: &Arrivals<'_>, base: u64, cues: &mut Vec<(u64, Cue)>) {
        let len = window.times.len();
        let last = base.saturating_add(window.times[len - 1]);
        let mut walked_to = 0;
        let mut k = self.next_span;
        while k < self.spans.len() && self.spans[k].0.saturating_sub(self.reach) <= last {
            let (change, state) = self.spans[k];
            let from =
                window.first_at_or_after(0, change.saturating_sub(self.reach).saturating_sub(base));
            let to = window.first_at_or_after(from, change.saturating_sub(base));
            for position in from.max(walked_to)..to {
                cues.push((window.first + position as u64, Cue::Walk));
            }
            walked_to = walked_to.max(to);
            if change > last {
                break;
            }
            if to < len {
                cues.push((window.first + to as u64, Cue::State(state)));
            }
            k += 1;
        }
        self.next_span = k;
    }

    fn cached_chain(
        &mut self,
        plans: &[Plan<'_>],
        window: &Arrivals<'_>,
        client: u32,
        base: u64,
        cues: &mut Vec<(u64, Cue)>,
    ) {
        let c = client as usize;
        let ttl = plans[0].ttl[c].0;
        let chain = &mut self.clients[c];
        let len = window.times.len();
        let last = *window.times.last().unwrap_or(&0);
        let mut pos = 0usize;
        loop {
            if chain.pending.is_empty() {
                // Hits until the entry expires: jump to the first arrival at or after expiry.
                let from = match &chain.entry {
                    Some(entry) => {
                        if entry.expires.saturating_sub(base) > last {
                            chain.hit(window.count_of(client, pos, len));
                            break;
                        }
                        window.first_at_or_after(pos, entry.expires.saturating_sub(base))
                    }
                    None => pos,
                };
                chain.hit(window.count_of(client, pos, from));
                let Some(i) = window.next_of(client, from) else {
                    break;
                };
                // Every arrival from `from` on is at or after the expiry: a miss.
                let flow = window.first + i as u64;
                let now = base.saturating_add(window.times[i]);
                cues.push((flow, chain.query(plans, &self.spans, client, now, flow)));
                pos = i + 1;
            } else {
                let Some(i) = window.next_of(client, pos) else {
                    break;
                };
                let now = base.saturating_add(window.times[i]);
                let flow = window.first + i as u64;
                let answer = *chain.pending.front().expect("pending is not empty");
                if answer.at < now || (answer.at == now && answer.flow + 1 < flow) {
                    chain.pending.pop_front();
                    chain.store(answer, ttl);
                    let route = answer.route;
                    cues.push((flow, Cue::CacheAnswer { client, route }));
                    pos = i;
                    continue;
                }
                match &chain.entry {
                    Some(entry) if entry.expires > now => chain.hit(1),
                    _ => cues.push((flow, chain.query(plans, &self.spans, client, now, flow))),
                }
                pos = i + 1;
            }
        }
    }
}
