//! The discrete-event loop: curl-like flows through DNS, the endpoint ENI, the NLB node and a
//! target, in simulated time.
//!
//! # Events and order
//! Events sit in a binary heap ordered by `(time, sequence number)`: simultaneous events run in
//! the order they were scheduled, so a run is a pure function of the topology, the seed and the
//! flow count. Each push and pop costs O(log n) in the events pending, which are bounded by the
//! flows in flight (plus one pending arrival): memory does not grow with the flow count.
//!
//! A flow's life: `Arrival` (the client starts curl; the next arrival is scheduled) ->
//! `DnsAnswer` (only on a cache miss) -> `SynAtEndpoint` (the endpoint ENI's security groups) ->
//! `SynAtNode` (the NLB's security groups, listener, target group, eligible targets, flow hash)
//! -> `Established` (the SYN-ACK is back at the client) -> `Completed` (the response is back).
//! A dropped SYN ends in `TimedOut` at the client's connect timeout; a reset in `Refused` when
//! the RST reaches the client.
//!
//! # State that changes over time
//! Per-client DNS caches (expiry by TTL), the resolver's rotation of multi-address answers, and
//! the health of targets, from which each node's eligible-target lists are derived. Health is
//! settled before the run in this version; the routing tables are rebuilt from `health` so that
//! health-changing events can be added without touching the flow path.
//!
//! # Modelled latencies
//! One-way latencies from [`crate::model::Network`]: client <-> ENI (same or cross AZ),
//! ENI <-> node (the PrivateLink hop), node <-> target (same or cross AZ), client <-> resolver;
//! plus the web server's response time. No jitter, no bandwidth limits.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Write as _;

use crate::model::ids::*;
use crate::model::{Instance, TargetHealth, Topology};
use crate::rng::{FlowDraws, FlowStream};
use crate::rules::client::{self, FailReason};
use crate::rules::dns::{self, Answer, Destination, DnsError};
use crate::rules::hops;
use crate::rules::nlb::pick::TargetPick;
use crate::rules::nlb::{self, Eligible, hash};
use crate::time::{SimTime, Span};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Flows to simulate.
    pub flows: u64,
    /// Master seed.
    pub seed: u64,
    /// Record a hop-by-hop trace of this flow (and stop once it ends).
    pub trace_flow: Option<u64>,
}

/// Hits per target per bucket of simulated time (by flow start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Width of a bucket.
    pub bucket: Span,
    /// `hits[bucket][target]`.
    pub hits: Vec<Vec<u64>>,
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
    /// DNS queries sent to the resolver.
    pub dns_queries: u64,
    /// Lookups answered from a client's cache.
    pub dns_cache_hits: u64,
    /// Time of the last event.
    pub end: SimTime,
    /// Events processed.
    pub events: u64,
    /// Hits over time.
    pub timeline: Timeline,
    /// The trace of the traced flow, one line per hop.
    pub trace: Vec<String>,
}

impl Tally {
    /// Nothing counted yet, for `flows` flows of `t` with time buckets `bucket` wide.
    pub fn empty(t: &Topology, flows: u64, bucket: Span) -> Tally {
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
            dns_queries: 0,
            dns_cache_hits: 0,
            end: SimTime::ZERO,
            events: 0,
            timeline: Timeline {
                bucket,
                hits: Vec::new(),
            },
            trace: Vec::new(),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Arrival,
    DnsAnswer,
    SynAtEndpoint,
    SynAtNode,
    Established,
    Completed,
    TimedOut(FailReason),
    Refused(FailReason),
}

#[derive(Clone, Debug)]
struct FlowState {
    index: u64,
    start: SimTime,
    draws: FlowDraws,
    client: usize,
    eni: EniId,
    src_port: u16,
    target: TargetId,
}

#[derive(Copy, Clone, Debug)]
struct CacheEntry {
    rotation: usize,
    expires: SimTime,
}

/// Simulates `options.flows` flows of `topology`'s workload.
pub fn run(topology: &Topology, options: &RunOptions) -> Tally {
    Engine::new(topology, options).run()
}

struct Engine<'a> {
    t: &'a Topology,
    options: &'a RunOptions,
    queue: BinaryHeap<Reverse<(SimTime, u64, u32, Step)>>,
    sequence: u64,
    slots: Vec<Option<FlowState>>,
    free: Vec<u32>,
    stream: FlowStream,
    ns_per_mean: f64,
    next_index: u64,
    next_draws: FlowDraws,
    /// The DNS answer each client gets (per client, from its VPC's resolver).
    answers: Vec<Result<Answer, DnsError>>,
    /// Per client VPC position: how many answers the resolver sent (rotation).
    rotation: Vec<usize>,
    cache: Vec<Option<CacheEntry>>,
    /// Eligible targets per (node, target group), derived from `health`.
    routing: Vec<Eligible>,
    health: Vec<TargetHealth>,
    request_bytes: u64,
    response_bytes: Vec<u64>,
    tally: Tally,
    traced_done: bool,
}

impl<'a> Engine<'a> {
    fn new(t: &'a Topology, options: &'a RunOptions) -> Engine<'a> {
        let answers = t
            .workload
            .clients
            .iter()
            .map(|c| dns::resolve(t, t.instance_subnet(*c).vpc, &t.workload.host))
            .collect();
        let health: Vec<TargetHealth> = t.targets.iter().map(|target| target.health).collect();
        let mut stream = FlowStream::starting_at(options.seed, 0);
        let next_draws = stream.next_flow();
        let expected_duration = options.flows as f64 / t.workload.arrival_rate;
        let mut engine = Engine {
            t,
            options,
            queue: BinaryHeap::new(),
            sequence: 0,
            slots: Vec::new(),
            free: Vec::new(),
            stream,
            ns_per_mean: client::ns_per_mean(t.workload.arrival_rate),
            next_index: 0,
            next_draws,
            answers,
            rotation: vec![0; t.workload.clients.len()],
            cache: vec![None; t.workload.clients.len()],
            routing: Vec::new(),
            health,
            request_bytes: client::request_bytes(&t.workload.host, &t.workload.path),
            response_bytes: t
                .targets
                .iter()
                .map(|target| {
                    t.instances[target.instance.index()]
                        .web_server
                        .as_ref()
                        .map_or(0, |w| client::response_bytes(&w.body))
                })
                .collect(),
            tally: Tally::empty(t, options.flows, bucket_width(expected_duration)),
            traced_done: false,
        };
        engine.rebuild_routing();
        engine
    }

    /// Recomputes every node's eligible targets from the current health.
    fn rebuild_routing(&mut self) {
        let t = self.t;
        self.routing = (0..t.nodes.len())
            .flat_map(|n| {
                (0..t.target_groups.len())
                    .map(move |g| (NodeId::from_index(n), TargetGroupId::from_index(g)))
            })
            .map(|(n, g)| nlb::eligible(t, &self.health, n, g))
            .collect();
    }

    fn schedule(&mut self, at: SimTime, slot: u32, step: Step) {
        self.queue.push(Reverse((at, self.sequence, slot, step)));
        self.sequence += 1;
    }

    fn tracing(&self, slot: u32) -> bool {
        match (self.options.trace_flow, &self.slots.get(slot as usize)) {
            (Some(traced), Some(Some(flow))) => flow.index == traced,
            _ => false,
        }
    }

    fn trace(&mut self, slot: u32, now: SimTime, line: impl FnOnce(&Self) -> String) {
        if self.tracing(slot) {
            let text = line(self);
            let mut out = String::new();
            let _ = write!(out, "{:>12}  {text}", Span(now.0).to_string());
            self.tally.trace.push(out);
        }
    }

    fn run(mut self) -> Tally {
        if self.options.flows > 0 {
            let first = client::arrival_gap(self.next_draws.arrival, self.ns_per_mean);
            self.schedule(SimTime::ZERO.after(first), u32::MAX, Step::Arrival);
        }
        while let Some(Reverse((now, _, slot, step))) = self.queue.pop() {
            self.tally.events += 1;
            self.tally.end = self.tally.end.max(now);
            match step {
                Step::Arrival => self.arrival(now),
                Step::DnsAnswer => self.dns_answer(now, slot),
                Step::SynAtEndpoint => self.syn_at_endpoint(now, slot),
                Step::SynAtNode => self.syn_at_node(now, slot),
                Step::Established => self.established(now, slot),
                Step::Completed => self.completed(now, slot),
                Step::TimedOut(reason) | Step::Refused(reason) => self.failed(now, slot, reason),
            }
            if self.traced_done {
                break;
            }
        }
        self.tally
    }

    fn flow(&self, slot: u32) -> &FlowState {
        self.slots[slot as usize]
            .as_ref()
            .expect("events refer to live flows")
    }

    fn client_instance(&self, slot: u32) -> &'a Instance {
        &self.t.instances[self.t.workload.clients[self.flow(slot).client].index()]
    }

    fn arrival(&mut self, now: SimTime) {
        let t = self.t;
        let index = self.next_index;
        let draws = self.next_draws;
        let client =
            crate::rng::below(draws.client_bits(), t.workload.clients.len() as u64) as usize;
        let state = FlowState {
            index,
            start: now,
            draws,
            client,
            eni: EniId(0),
            src_port: client::ephemeral_port(draws.port_bits()),
            target: TargetId(0),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(state);
                slot
            }
            None => {
                self.slots.push(Some(state));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 flows in flight")
            }
        };

        self.next_index += 1;
        if self.next_index < self.options.flows {
            self.next_draws = self.stream.next_flow();
            let next = now.after(client::arrival_gap(
                self.next_draws.arrival,
                self.ns_per_mean,
            ));
            self.schedule(next, u32::MAX, Step::Arrival);
        }

        self.trace(slot, now, |e| {
            let c = e.client_instance(slot);
            format!(
                "flow {index}: client {} ({}, subnet {}) runs curl http://{}:{}{}",
                c.name,
                c.ip,
                t.subnets[c.subnet.index()].name,
                t.workload.host,
                t.workload.port,
                t.workload.path
            )
        });
        let cached = self.cache[client].filter(|entry| t.workload.dns_cache && entry.expires > now);
        match cached {
            Some(entry) => {
                self.tally.dns_cache_hits += 1;
                self.trace(slot, now, |_| {
                    format!(
                        "DNS: answer from the client's cache (expires {})",
                        entry.expires
                    )
                });
                self.connect(now, slot, entry.rotation);
            }
            None => {
                self.tally.dns_queries += 1;
                self.trace(slot, now, |_| {
                    format!(
                        "DNS: cache miss, query the VPC resolver ({} one way)",
                        t.network.resolver
                    )
                });
                let at = now.after(t.network.resolver.times(2));
                self.schedule(at, slot, Step::DnsAnswer);
            }
        }
    }

    fn dns_answer(&mut self, now: SimTime, slot: u32) {
        let client = self.flow(slot).client;
        let rotation = self.rotation[client];
        self.rotation[client] += 1;
        match &self.answers[client] {
            Err(error) => {
                let error = error.clone();
                self.trace(slot, now, |_| format!("DNS: {error:?}"));
                self.failed(now, slot, FailReason::DnsNxdomain);
            }
            Ok(answer) => {
                let ttl = answer.ttl;
                self.trace(slot, now, |e| {
                    let Ok(answer) = &e.answers[client] else {
                        unreachable!()
                    };
                    let mut text = answer.chain.join("; ");
                    if answer.addresses.len() > 1 {
                        let _ = write!(text, "; the resolver rotates the answer by {rotation}");
                    }
                    format!("DNS: {text}")
                });
                if self.t.workload.dns_cache {
                    self.cache[client] = Some(CacheEntry {
                        rotation,
                        expires: now.after(ttl),
                    });
                }
                self.connect(now, slot, rotation);
            }
        }
    }

    fn connect(&mut self, now: SimTime, slot: u32, rotation: usize) {
        let t = self.t;
        let client = self.client_instance(slot);
        let client_subnet = &t.subnets[client.subnet.index()];
        let Ok(answer) = &self.answers[self.flow(slot).client] else {
            unreachable!("a cached answer is a successful one")
        };
        let chosen = answer.addresses
            [dns::preferred_address(&answer.addresses, rotation, client_subnet.cidr)];
        let Destination::EndpointEni(eni) = chosen.destination else {
            self.trace(slot, now, |_| {
                format!(
                    "connect to {}: not an endpoint ENI of this VPC; the SYN goes nowhere",
                    chosen.ip
                )
            });
            return self.time_out(slot, FailReason::NoEndpointAtAddress);
        };
        let eni_info = &t.enis[eni.index()];
        let latency = t.network.between(client_subnet.zone, eni_info.zone);
        if client_subnet.zone != eni_info.zone {
            self.tally.client_cross_az_flows += 1;
        }
        let flow = self.slots[slot as usize].as_mut().expect("live flow");
        flow.eni = eni;
        self.trace(slot, now, |e| {
            let f = e.flow(slot);
            let own = if client_subnet.cidr.contains(chosen.ip) {
                "in the client's own subnet, so getaddrinfo puts it first"
            } else {
                "first in the answer"
            };
            format!(
                "connect {}:{} -> {}:{} (ENI in {}, {} {}; {own}), ISN {}",
                e.client_instance(slot).ip,
                f.src_port,
                chosen.ip,
                t.workload.port,
                t.subnets[eni_info.subnet.index()].name,
                t.subnets[eni_info.subnet.index()].az_name,
                t.zones[eni_info.zone.index()].az_id,
                f.draws.isn()
            )
        });
        self.schedule(now.after(latency), slot, Step::SynAtEndpoint);
    }

    fn syn_at_endpoint(&mut self, now: SimTime, slot: u32) {
        let t = self.t;
        let eni = &t.enis[self.flow(slot).eni.index()];
        let endpoint = &t.endpoints[eni.endpoint.index()];
        let client = self.client_instance(slot);
        let client_id = t.workload.clients[self.flow(slot).client];
        let Some((group, index)) = hops::endpoint_rule(t, client_id, self.flow(slot).eni) else {
            self.trace(slot, now, |_| {
                format!(
                    "SYN at endpoint {} ENI {}: no rule of its security groups ({}) admits tcp/{} from {}: dropped",
                    endpoint.name,
                    eni.ip,
                    group_names(t, &endpoint.security_groups),
                    t.workload.port,
                    client.ip
                )
            });
            return self.time_out(slot, FailReason::SgDeny);
        };
        let node = &t.nodes[eni.node.index()];
        self.trace(slot, now, |_| {
            format!(
                "SYN at endpoint {} ENI {}: admitted by {} ingress[{index}]; PrivateLink carries it to {}'s node in the same AZ ID {} ({})",
                endpoint.name,
                eni.ip,
                t.security_groups[group.index()].name,
                t.load_balancers[node.load_balancer.index()].name,
                t.zones[node.zone.index()].az_id,
                node.ip
            )
        });
        self.schedule(now.after(t.network.privatelink), slot, Step::SynAtNode);
    }

    fn syn_at_node(&mut self, now: SimTime, slot: u32) {
        let t = self.t;
        let flow = self.flow(slot).clone();
        let eni = &t.enis[flow.eni.index()];
        let node_id = eni.node;
        let node = &t.nodes[node_id.index()];
        let lb = &t.load_balancers[node.load_balancer.index()];
        let client_ip = self.client_instance(slot).ip;
        let back_to_client = t.network.privatelink.plus(
            t.network
                .between(eni.zone, t.instance_zone(t.workload.clients[flow.client])),
        );

        if !hops::nlb_admits(t, node_id, client_ip) {
            self.trace(slot, now, |_| {
                format!(
                    "node {}: the NLB's security groups ({}) are enforced on PrivateLink traffic and admit no tcp/{} from the client {}: dropped",
                    node.ip,
                    group_names(t, &lb.security_groups),
                    t.workload.port,
                    client_ip
                )
            });
            return self.time_out(slot, FailReason::NlbSgDeny);
        }
        let Some(listener) = t.listener_on(node.load_balancer, t.workload.port) else {
            self.trace(slot, now, |_| {
                format!(
                    "node {}: no listener on port {}: RST",
                    node.ip, t.workload.port
                )
            });
            return self.schedule(
                now.after(back_to_client),
                slot,
                Step::Refused(FailReason::NoListener),
            );
        };
        let forward = &t.listeners[listener.index()].forward;
        let tg = nlb::pick_weighted(forward, flow.draws.forward_bits());
        let routing_index = node_id.index() * t.target_groups.len() + tg.index();
        let eligible = &self.routing[routing_index];
        let (cross_zone, candidates) = (eligible.cross_zone, eligible.targets.len());
        if candidates == 0 {
            self.trace(slot, now, |_| {
                format!(
                    "node {} ({}): cross-zone {} for target group {} and no target registered in scope: dropped",
                    node.ip,
                    t.zones[node.zone.index()].az_id,
                    on_off(cross_zone),
                    t.target_groups[tg.index()].name
                )
            });
            return self.time_out(slot, FailReason::NoEligibleTarget);
        }
        let key = hash::FlowKey {
            protocol: hash::TCP,
            src_ip: u32::from(client_ip),
            src_port: flow.src_port,
            dst_ip: u32::from(eni.ip),
            dst_port: t.workload.port,
            isn: flow.draws.isn(),
        };
        let h = hash::flow_hash(&key);
        let pick = eligible.picker.pick(h);
        let target = self.routing[routing_index].targets[pick];
        self.slots[slot as usize]
            .as_mut()
            .expect("live flow")
            .target = target;
        let instance = t.target_instance(target);
        let target_zone = t.targets[target.index()].zone;
        let tg_info = &t.target_groups[tg.index()];
        self.trace(slot, now, |e| {
            let eligible = &e.routing[routing_index];
            let names: Vec<&str> = eligible.targets.iter().map(|x| t.target_instance(*x).name.as_str()).collect();
            format!(
                "node {} ({} {}): listener :{} -> target group {}{}; cross-zone {} ({}) so eligible {}: [{}]{}; flow hash {h:#018x} -> #{pick} = {} ({}, {})",
                node.ip,
                t.subnets[node.subnet.index()].az_name,
                t.zones[node.zone.index()].az_id,
                t.workload.port,
                tg_info.name,
                if forward.len() > 1 { " (weighted forward)" } else { "" },
                on_off(eligible.cross_zone),
                cross_zone_source(t, node.load_balancer, tg),
                if eligible.cross_zone { "targets in every enabled AZ" } else { "targets in the node's own AZ only" },
                names.join(", "),
                if eligible.fail_open { " (none healthy: failing open)" } else { "" },
                instance.name,
                instance.ip,
                t.zones[target_zone.index()].az_id
            )
        });
        let leg = t.network.between(node.zone, target_zone);
        match hops::target_answers(t, node_id, target) {
            Ok(()) => {}
            Err(FailReason::TargetRefused) => {
                self.trace(slot, now, |_| {
                    format!(
                        "target {}: nothing listens on port {}: RST",
                        instance.name, tg_info.port
                    )
                });
                let at = now.after(leg.times(2).plus(back_to_client));
                return self.schedule(at, slot, Step::Refused(FailReason::TargetRefused));
            }
            Err(reason) => {
                self.trace(slot, now, |_| match reason {
                    FailReason::TargetSgDeny => format!(
                        "target {}: its security groups ({}) admit no tcp/{} from the NLB node {}: dropped",
                        instance.name,
                        group_names(t, &instance.security_groups),
                        tg_info.port,
                        node.ip
                    ),
                    _ => format!("target {}: instance stopped, nothing answers", instance.name),
                });
                return self.time_out(slot, reason);
            }
        }
        self.trace(slot, now, |_| {
            format!(
                "target {} sees the connection from {} (the NLB node's private IP: PrivateLink hides the client), {}",
                instance.name,
                node.ip,
                if node.zone == target_zone { "same AZ" } else { "crossing AZs" }
            )
        });
        self.schedule(
            now.after(leg.times(2).plus(back_to_client)),
            slot,
            Step::Established,
        );
    }

    fn established(&mut self, now: SimTime, slot: u32) {
        let t = self.t;
        let flow = self.flow(slot);
        let eni = &t.enis[flow.eni.index()];
        let node = &t.nodes[eni.node.index()];
        let instance = t.target_instance(flow.target);
        let server = instance
            .web_server
            .as_ref()
            .expect("established flows reach a web server");
        let client_zone = t.instance_zone(t.workload.clients[flow.client]);
        let one_way = t
            .network
            .between(client_zone, eni.zone)
            .plus(t.network.privatelink)
            .plus(
                t.network
                    .between(node.zone, t.targets[flow.target.index()].zone),
            );
        self.trace(slot, now, |_| {
            format!("SYN-ACK back at the client; GET {} sent", t.workload.path)
        });
        self.schedule(
            now.after(one_way.times(2).plus(server.response_time)),
            slot,
            Step::Completed,
        );
    }

    fn completed(&mut self, now: SimTime, slot: u32) {
        let t = self.t;
        let flow = self.slots[slot as usize].take().expect("live flow");
        self.free.push(slot);
        let target = flow.target;
        let bytes = self.request_bytes + self.response_bytes[target.index()];
        let tally = &mut self.tally;
        tally.target_hits[target.index()] += 1;
        tally.bytes += bytes;
        let node_id = t.enis[flow.eni.index()].node;
        tally.sources[target.index() * t.nodes.len() + node_id.index()] += 1;
        let node = &t.nodes[node_id.index()];
        if node.zone != t.targets[target.index()].zone {
            tally.cross_az_flows += 1;
            tally.cross_az_bytes += bytes;
        }
        let took = now.since(flow.start).as_nanos();
        *tally.completion.entry(took).or_insert(0) += 1;
        let bucket = (flow.start.0 / tally.timeline.bucket.0) as usize;
        if tally.timeline.hits.len() <= bucket {
            tally
                .timeline
                .hits
                .resize(bucket + 1, vec![0; t.targets.len()]);
        }
        tally.timeline.hits[bucket][target.index()] += 1;
        if self.options.trace_flow == Some(flow.index) {
            let body = &t
                .target_instance(target)
                .web_server
                .as_ref()
                .expect("answered")
                .body;
            let line = format!(
                "{:>12}  response \"{body}\" ({bytes} payload bytes), {} after curl started",
                Span(now.0).to_string(),
                Span(took)
            );
            tally.trace.push(line);
            self.traced_done = true;
        }
    }

    fn time_out(&mut self, slot: u32, reason: FailReason) {
        let at = self.flow(slot).start.after(self.t.workload.connect_timeout);
        self.schedule(at, slot, Step::TimedOut(reason));
    }

    fn failed(&mut self, now: SimTime, slot: u32, reason: FailReason) {
        let flow = self.slots[slot as usize].take().expect("live flow");
        self.free.push(slot);
        self.tally.failures[reason.index()] += 1;
        if self.options.trace_flow == Some(flow.index) {
            self.tally.trace.push(format!(
                "{:>12}  failed: {} ({})",
                Span(now.0).to_string(),
                reason.code(),
                reason.client_sees()
            ));
            self.traced_done = true;
        }
    }
}

/// A round bucket width giving at most about 120 buckets over `seconds`.
pub(crate) fn bucket_width(seconds: f64) -> Span {
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

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn group_names(t: &Topology, groups: &[SecurityGroupId]) -> String {
    groups
        .iter()
        .map(|g| {
            let group = &t.security_groups[g.index()];
            if group.name == "default" {
                format!("default group of VPC {}", t.vpcs[group.vpc.index()].name)
            } else {
                group.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the effective cross-zone setting comes from, in words.
pub fn cross_zone_source(t: &Topology, lb: LoadBalancerId, tg: TargetGroupId) -> String {
    use crate::model::CrossZoneSetting;
    let group = &t.target_groups[tg.index()];
    match group.cross_zone {
        CrossZoneSetting::UseLoadBalancerConfiguration => format!(
            "target group {} uses the load balancer's enable_cross_zone_load_balancing = {}",
            group.name,
            t.load_balancers[lb.index()].cross_zone
        ),
        setting => format!(
            "target group {} sets load_balancing.cross_zone.enabled = {}, which wins over the load balancer",
            group.name,
            setting == CrossZoneSetting::On
        ),
    }
}
