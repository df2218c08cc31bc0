//! The sequential part of a run: each client's DNS cache and the resolver's rotation, and the
//! time-series buckets, turned into a script of the few flows where something changes.
//!
//! Clients do not share caches, so each client's lookups are a chain of its own: a flow that
//! finds no valid entry queries the resolver; each answer, one resolver round trip later, sets
//! the entry (rotation, expiry = answer + TTL); flows that find a valid entry use it. Answers come
//! back in query order, so a query's rotation is the number of queries the client sent before.
//! Ties follow the event loop's order for simultaneous events: the answer to flow `q` is applied
//! before the arrival of flow `i` at the same nanosecond exactly when `q + 1 < i` (the arrival of
//! `q + 1` was scheduled before `q`'s query, the others after).
//!
//! Only the flows where the chain changes are visited: after a flow finds a valid entry, the next
//! flow to look at is the first arrival at or after the expiry, found by binary search over the
//! window's arrival times. A client that does not cache (or whose name does not resolve) queries
//! for every flow; the script only carries its query count into the window.

use std::collections::VecDeque;

use crate::time::Span;

use super::plan::Plan;

/// What the script says about one flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cue {
    /// From this flow on, the client's cache hits use this answer rotation (set before the flow).
    CacheRotation {
        /// Client index.
        client: u32,
        /// Rotation of the cached answer.
        rotation: u64,
    },
    /// This flow misses the cache and queries; its answer has this rotation.
    Miss {
        /// Client index.
        client: u32,
        /// Rotation of its answer.
        rotation: u64,
    },
    /// This flow starts time-series bucket `bucket`.
    Bucket(u64),
}

/// The script of one window of flows.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// Absolute time of the window's first arrival minus its own gap (the previous arrival).
    pub base: u64,
    /// Cues by flow index (absolute), in the order to apply them.
    pub cues: Vec<(u64, Cue)>,
    /// Per client: the rotation cache hits use at the window's start.
    pub hit_rotation: Vec<u64>,
    /// Per client that does not cache: queries sent before the window.
    pub queries_before: Vec<u64>,
    /// The time-series bucket of the window's first flow.
    pub first_bucket: u64,
}

#[derive(Clone, Debug, Default)]
struct ClientChain {
    /// Rotation and expiry of the cached entry.
    entry: Option<(u64, u64)>,
    /// Answers on their way: (time, rotation, query flow).
    pending: VecDeque<(u64, u64, u64)>,
    /// Queries sent so far.
    queries: u64,
}

impl ClientChain {
    /// Flow `flow` of `client` finds no valid entry at `now` and queries: its answer (the
    /// rotation is the number of queries sent before) comes back one round trip later.
    fn query(&mut self, client: u32, now: u64, round_trip: u64, flow: u64) -> Cue {
        let rotation = self.queries;
        self.queries += 1;
        self.pending
            .push_back((now.saturating_add(round_trip), rotation, flow));
        Cue::Miss { client, rotation }
    }
}

/// The chain of every client, carried from window to window.
#[derive(Clone, Debug)]
pub struct Chains {
    clients: Vec<ClientChain>,
    /// Time of the last arrival so far.
    now: u64,
    bucket_width: u64,
}

/// One window's arrivals, as the arrival pass leaves them.
pub struct Arrivals<'a> {
    /// Index of the window's first flow.
    pub first: u64,
    /// Arrival time of each flow, relative to the window's base (the arrival before it).
    pub times: &'a [u64],
    /// Client of each flow (empty when there is one client).
    pub clients: &'a [u32],
    /// Flows of each client in the window.
    pub per_client: &'a [u64],
}

impl Arrivals<'_> {
    /// The client of the flow at `i` (a position in the window).
    pub fn client(&self, i: usize) -> u32 {
        if self.clients.is_empty() {
            0
        } else {
            self.clients[i]
        }
    }

    /// The first flow at or after position `from` that belongs to `client`.
    fn next_of(&self, client: u32, from: usize) -> Option<usize> {
        if self.clients.is_empty() {
            return (from < self.times.len()).then_some(from);
        }
        (from..self.times.len()).find(|&i| self.clients[i] == client)
    }

    /// The first position at or after `from` whose arrival (relative) is at or after `time`.
    fn first_at_or_after(&self, from: usize, time: u64) -> usize {
        from + self.times[from..].partition_point(|&t| t < time)
    }
}

impl Chains {
    /// Nothing cached, nothing sent, at time zero.
    pub fn new(clients: usize, bucket_width: Span) -> Chains {
        Chains {
            clients: vec![ClientChain::default(); clients],
            now: 0,
            bucket_width: bucket_width.0.max(1),
        }
    }

    /// Advances every chain over one window and returns its script.
    pub fn advance(&mut self, plan: &Plan, window: &Arrivals<'_>) -> Script {
        let base = self.now;
        let mut script = Script {
            base,
            cues: Vec::new(),
            hit_rotation: self
                .clients
                .iter()
                .map(|chain| chain.entry.map_or(0, |(rotation, _)| rotation))
                .collect(),
            queries_before: self.clients.iter().map(|c| c.queries).collect(),
            first_bucket: 0,
        };
        let Some(&last) = window.times.last() else {
            return script;
        };
        for client in 0..self.clients.len() {
            if plan.cached[client] {
                self.cached_chain(plan, window, client as u32, base, &mut script.cues);
            } else {
                self.clients[client].queries += window.per_client[client];
            }
        }
        // Buckets: the flow that starts each bucket met in the window.
        let width = self.bucket_width;
        script.first_bucket = base.saturating_add(window.times[0]) / width;
        let mut bucket = script.first_bucket;
        let mut from = 0;
        loop {
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
            bucket = base.saturating_add(window.times[from]) / width;
            script
                .cues
                .push((window.first + from as u64, Cue::Bucket(bucket)));
        }
        // Stable: within one flow, cache changes (pushed first) come before its miss, and
        // the bucket cue last (it does not interact).
        script.cues.sort_by_key(|(flow, cue)| {
            let rank = match cue {
                Cue::CacheRotation { .. } => 0,
                Cue::Miss { .. } => 1,
                Cue::Bucket(_) => 2,
            };
            (*flow, rank)
        });
        self.now = base.saturating_add(last);
        script
    }

    fn cached_chain(
        &mut self,
        plan: &Plan,
        window: &Arrivals<'_>,
        client: u32,
        base: u64,
        cues: &mut Vec<(u64, Cue)>,
    ) {
        let c = client as usize;
        let ttl = plan.ttl[c].0;
        let round_trip = plan.resolver_round_trip.0;
        let chain = &mut self.clients[c];
        let mut pos = 0usize;
        loop {
            if chain.pending.is_empty() {
                // Hits until the entry expires: jump to the first arrival at or after expiry.
                let from = match chain.entry {
                    Some((_, expires)) => {
                        if expires.saturating_sub(base) > *window.times.last().unwrap_or(&0) {
                            break;
                        }
                        window.first_at_or_after(pos, expires.saturating_sub(base))
                    }
                    None => pos,
                };
                let Some(i) = window.next_of(client, from) else {
                    break;
                };
                // Every arrival from `from` on is at or after the expiry: a miss.
                let flow = window.first + i as u64;
                cues.push((
                    flow,
                    chain.query(
                        client,
                        base.saturating_add(window.times[i]),
                        round_trip,
                        flow,
                    ),
                ));
                pos = i + 1;
            } else {
                let Some(i) = window.next_of(client, pos) else {
                    break;
                };
                let now = base.saturating_add(window.times[i]);
                let flow = window.first + i as u64;
                let &(answer_at, rotation, query) =
                    chain.pending.front().expect("pending is not empty");
                if answer_at < now || (answer_at == now && query + 1 < flow) {
                    chain.pending.pop_front();
                    chain.entry = Some((rotation, answer_at.saturating_add(ttl)));
                    cues.push((flow, Cue::CacheRotation { client, rotation }));
                    continue;
                }
                match chain.entry {
                    Some((_, expires)) if expires > now => {}
                    _ => cues.push((flow, chain.query(client, now, round_trip, flow))),
                }
                pos = i + 1;
            }
        }
    }
}
