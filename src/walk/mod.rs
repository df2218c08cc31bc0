//! One walk of a flow's path: the only place where the rules a flow meets are applied, in order.
//!
//! A flow goes client -> DNS (cache or resolver; an endpoint's or the NLB's own name) -> the
//! address getaddrinfo puts first -> the endpoint ENI (security groups) -> PrivateLink -> the NLB
//! node its ENI is bound to, or, for a direct client, straight to the node it resolved (security
//! groups, listener, weighted forward, eligible targets, flow hash and pick) -> the target (admin
//! state, security groups seeing the node's or the preserved client's address, a listening
//! server, the proxy protocol header it expects or not) -> back to the client. [`Walker::step`]
//! takes the flow from one event of that path to the next, reading the [`State`] at the time of
//! the event, and says when the next event happens; the time offsets (latencies, response time,
//! timeouts) are computed here and nowhere else. The random choices on the way (which target
//! group a weighted listener forwards to, which target the hash picks) are asked of a
//! [`Decide`]: the flow's own draws ([`Draws`]) for a simulated flow, or every option in turn
//! for [`enumerate::branches`], which the bulk engine's plan and the expected distribution use.
//!
//! So the event loop schedules each step as an event; the bulk plan enumerates the branches of
//! every (client, address) once and counts flows per branch; the expected distribution weights
//! the branches by their probabilities; `sim explain` renders the [`Hop`]s of one flow.
//!
//! Events of a flow, one per step: its start (DNS from the cache, or the query sent); the DNS
//! answer (on a cache miss); the SYN at the endpoint ENI; the SYN at the NLB node; the SYN-ACK back
//! at the client; the response back at the client. A dropped SYN ends in one more event at the
//! client's connect timeout (counted from its start, DNS included: CLI-4); a reset in one when
//! the RST reaches the client; an NXDOMAIN ends at the answer.
//!
//! A UDP flow (`workload.protocol = "udp"`, docs/model.md NLB-17) is one request datagram and one
//! response datagram, reaching the NLB directly (UDP cannot cross PrivateLink: PL-8): no
//! handshake, so no SYN-ACK event; the node needs a listener that carries UDP (else the datagram
//! is dropped: `NO_UDP_LISTENER`, a timeout), hashes the 5-tuple without a sequence number, and
//! sends the datagram on with the client's address ([`nlb::reach_over`]); the response event
//! comes after the round trip and the server's time, or ICMP port unreachable comes back at once
//! (`PORT_UNREACHABLE`).

pub mod enumerate;
pub mod hop;

use std::net::Ipv4Addr;

use crate::model::RoutingPolicy;
use crate::model::ids::*;
use crate::model::{Topology, Transport};
use crate::rng;
use crate::rules::address::{self, Destination};
use crate::rules::client;
use crate::rules::dns::{self, Answer, AnswerOrder, DnsError, Source};
use crate::rules::nlb::dns as nlb_dns;
use crate::rules::nlb::hash::FlowHasher;
use crate::rules::nlb::pick::TargetPick;
use crate::rules::nlb::{self, Eligible, target_view};
use crate::rules::outcome::FailReason;
use crate::rules::privatelink;
use crate::rules::security::Verdict;
use crate::state::State;
use crate::time::Span;
pub use hop::{Hop, HopKind};

/// What the walk knows of one client for a whole run.
#[derive(Clone, Debug)]
pub struct ClientFacts {
    /// The instance.
    pub instance: InstanceId,
    /// Its physical zone.
    pub zone: ZoneId,
    /// Its private IP.
    pub ip: Ipv4Addr,
    /// The answer its VPC's resolver gives for the workload's host (DNS-1 to DNS-4).
    pub answer: Result<Answer, DnsError>,
    /// Which answered addresses are in its own subnet (DNS-7).
    pub own_subnet: Vec<bool>,
    /// What each answered address is in its VPC (NET-3).
    pub destinations: Vec<Destination>,
    /// The key of its answers' orders (DNS-5).
    pub order_key: u64,
    /// The key of its queries' AZ affinity draws (NLB-13).
    pub affinity_key: u64,
    /// When its answer is a load balancer's regional name: the address of its own zone's node.
    pub own_zone_address: Option<usize>,
}

impl ClientFacts {
    /// Addresses in its answer (0 when the name does not resolve).
    pub fn addresses(&self) -> usize {
        self.answer.as_ref().map_or(0, |a| a.addresses.len())
    }
}

/// The fixed part of every walk of one topology under one seed.
#[derive(Clone, Debug)]
pub struct Walker<'a> {
    /// The topology.
    pub t: &'a Topology,
    /// Per workload client.
    pub clients: Vec<ClientFacts>,
    request_bytes: u64,
    /// Per target: the payload bytes of its answer.
    response_bytes: Vec<u64>,
}

/// How a flow gets its DNS answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// From the client's cache.
    Cached,
    /// From the resolver, one round trip after the flow starts.
    Query,
}

/// Which answer a flow uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AnswerRef {
    /// The answer to the client's query number `n`, arriving now: its order is drawn (DNS-5)
    /// over the addresses the endpoint has at the answer's arrival (EV-10).
    Query(u64),
    /// The cached answer to the client's query number `query`, which made curl pick `address`
    /// when it arrived.
    Cached {
        /// The query.
        query: u64,
        /// The address it led to.
        address: usize,
    },
    /// A given address of the answer (used when the paths are enumerated).
    Address(usize),
}

/// A flow on its path: where it is and what it has met.
#[derive(Clone, Debug)]
pub struct Walk {
    client: u32,
    lookup: Lookup,
    answer: AnswerRef,
    stage: Stage,
    at: Span,
    steps: u32,
    eni: Option<EniId>,
    node: Option<NodeId>,
    target: Option<TargetId>,
    client_cross_az: bool,
    address: u32,
    /// Offset of the latest step that read the state.
    last_read: Span,
    /// Offset of the SYN-ACK at the client, once established.
    established: Span,
    /// The target sees the client's address (NLB-16).
    client_ip_seen: bool,
    /// The flow hash of its pick.
    hash: Option<u64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    DnsAnswer,
    SynAtEndpoint,
    SynAtNode,
    Established,
    Completed,
    Failed(FailReason),
}

impl Walk {
    /// How the flow gets its DNS answer.
    pub fn lookup(&self) -> Lookup {
        self.lookup
    }

    /// The client's query whose answer the flow uses (`None` when the path is enumerated).
    pub fn query(&self) -> Option<u64> {
        match self.answer {
            AnswerRef::Query(q) | AnswerRef::Cached { query: q, .. } => Some(q),
            AnswerRef::Address(_) => None,
        }
    }

    /// True when the flow's next step is the arrival of its DNS answer.
    pub fn awaits_answer(&self) -> bool {
        self.stage == Stage::DnsAnswer
    }
}

/// What a step leads to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// The flow's next event, at this offset from its start.
    At(Span),
    /// The flow has ended.
    Done(Ended),
}

/// How a flow ended, and what its tally needs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Answered, or why not.
    pub outcome: Result<(), FailReason>,
    /// Offset of its last event from its start (its completion time, when answered).
    pub at: Span,
    /// Its events.
    pub steps: u32,
    /// The address of its client's answer curl connected to (its route; 0 when the name did not
    /// resolve).
    pub address: u32,
    /// The endpoint ENI it connected to.
    pub eni: Option<EniId>,
    /// The NLB node it reached.
    pub node: Option<NodeId>,
    /// The target the node picked.
    pub target: Option<TargetId>,
    /// Its client -> ENI leg crossed AZs.
    pub client_cross_az: bool,
    /// Answered across AZs (node and target in different zones).
    pub cross_az: bool,
    /// Payload bytes, when answered.
    pub bytes: u64,
    /// Offset from its start of the latest step that read the [`State`] (zero when none did):
    /// a change of state after it cannot change how the flow ends (EV-6).
    pub last_read: Span,
    /// Offset from its start of the SYN-ACK at the client (zero when it never got one).
    pub established: Span,
    /// The target saw the client's own address as the source (NLB-16), not the node's.
    pub client_ip_seen: bool,
    /// The flow hash the node picked with, when the flow's draws were known (not when the
    /// paths are enumerated).
    pub hash: Option<u64>,
}

/// The random choices on a flow's path.
pub trait Decide {
    /// The flow's source port and initial sequence number, when it has them.
    fn connection(&self) -> Option<(u16, u32)>;
    /// Which of a listener's weighted target groups the flow goes to (an index of `forward`).
    fn forward(&mut self, forward: &[(TargetGroupId, u16)]) -> usize;
    /// Which eligible target `node` picks for `target_group`, for the connection `hasher`
    /// hashes, and the hash when there is one.
    fn pick(
        &mut self,
        at: (NodeId, TargetGroupId),
        eligible: &Eligible,
        hasher: &FlowHasher,
    ) -> (usize, Option<u64>);
}

/// A simulated flow's own draws (word `i` of the `flows` stream: [`crate::rng`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Draws {
    /// Source port (CLI-1).
    pub src_port: u16,
    /// Initial sequence number (CLI-2).
    pub isn: u32,
    /// Bits for the weighted forward.
    pub forward_bits: u64,
}

impl Draws {
    /// The draws in a flow's `flows` word.
    #[inline(always)]
    pub fn of(flow_word: u64) -> Draws {
        Draws {
            src_port: client::ephemeral_port(rng::port_bits(flow_word)),
            isn: rng::isn(flow_word),
            forward_bits: rng::forward_bits(flow_word),
        }
    }
}

impl Decide for Draws {
    fn connection(&self) -> Option<(u16, u32)> {
        Some((self.src_port, self.isn))
    }

    #[inline]
    fn forward(&mut self, forward: &[(TargetGroupId, u16)]) -> usize {
        nlb::pick_weighted_index(forward, self.forward_bits)
    }

    #[inline]
    fn pick(
        &mut self,
        _at: (NodeId, TargetGroupId),
        eligible: &Eligible,
        hasher: &FlowHasher,
    ) -> (usize, Option<u64>) {
        let hash = hasher.hash(self.src_port, self.isn);
        (eligible.picker.pick(hash), Some(hash))
    }
}

/// Where a walk records its hops (`None`: it does not).
pub type Trace<'a> = Option<&'a mut Vec<Hop>>;

fn note(
    trace: &mut Trace<'_>,
    at: Span,
    rules: &'static [&'static str],
    kind: impl FnOnce() -> HopKind,
) {
    if let Some(hops) = trace {
        hops.push(Hop {
            at,
            rules,
            kind: kind(),
        });
    }
}

impl<'a> Walker<'a> {
    /// The walker of `t`'s workload under `seed`.
    pub fn new(t: &'a Topology, seed: u64) -> Walker<'a> {
        let clients = t
            .workload
            .clients
            .iter()
            .map(|&instance| {
                let i = &t.instances[instance.index()];
                let subnet = &t.subnets[i.subnet.index()];
                let answer = dns::resolve(t, subnet.vpc, &t.workload.host);
                let own_zone_address = match &answer {
                    Ok(Answer {
                        source: Source::LoadBalancer(lb),
                        ..
                    }) => t.load_balancers[lb.index()]
                        .nodes
                        .iter()
                        .position(|n| t.nodes[n.index()].zone == subnet.zone),
                    _ => None,
                };
                let (own_subnet, destinations) = match &answer {
                    Ok(a) => (
                        dns::own_subnet(a, subnet.cidr),
                        a.addresses
                            .iter()
                            .map(|ip| address::destination(t, subnet.vpc, *ip))
                            .collect(),
                    ),
                    Err(_) => (Vec::new(), Vec::new()),
                };
                ClientFacts {
                    instance,
                    zone: subnet.zone,
                    ip: i.ip,
                    answer,
                    own_subnet,
                    destinations,
                    order_key: AnswerOrder::client_key(seed, &i.name),
                    affinity_key: rng::keyed(seed, "dns-affinity", &i.name),
                    own_zone_address,
                }
            })
            .collect();
        Walker {
            t,
            clients,
            request_bytes: client::request_bytes(&t.workload.host, &t.workload.path),
            response_bytes: t
                .targets
                .iter()
                .map(|target| {
                    let instance = &t.instances[target.instance.index()];
                    match t.workload.protocol {
                        Transport::Tcp => instance.web_server.as_ref(),
                        Transport::Udp => instance.udp_server.as_ref(),
                    }
                    .map_or(0, |w| client::response_bytes(&w.body))
                })
                .collect(),
        }
    }

    /// The address client `client`'s query number `query` makes curl connect to under `state`
    /// (DNS-5, DNS-7): among the addresses the answer holds then ([`Walker::answered`]), as an
    /// index of the client's answer.
    #[inline]
    pub fn chosen_address(&self, client: usize, query: u64, state: &State) -> usize {
        let c = &self.clients[client];
        let order = AnswerOrder::of_query(c.order_key, query);
        if let Some(Source::LoadBalancer(lb)) = self.source(client) {
            // The common cases without building the held list: an affine query whose zone is in
            // the answer gets that one address; an answer with every node, the whole answer.
            let all = &self.t.load_balancers[lb.index()];
            let answer = &state.nlb_answer(lb).nodes;
            let affine = all.routing_policy != RoutingPolicy::AnyZone
                && nlb_dns::affine(all.routing_policy, rng::draw(c.affinity_key, query));
            if let Some(own) = c
                .own_zone_address
                .filter(|&a| affine && answer.contains(&all.nodes[a]))
            {
                return own;
            }
            if answer.len() == all.nodes.len() {
                return order.chosen(&c.own_subnet);
            }
        }
        match self.answered(client, query, state) {
            None => order.chosen(&c.own_subnet),
            Some(held) => {
                let own: Vec<bool> = held.iter().map(|&a| c.own_subnet[a]).collect();
                held[order.chosen(&own)]
            }
        }
    }

    /// The addresses of `client`'s answer to its query number `query` under `state`, when the
    /// answer holds only some of them (`None`: all of them). An endpoint's regional name holds
    /// the ENIs the endpoint has (EV-10); a load balancer's regional name holds the nodes its DNS
    /// answers with, narrowed to the client's zone when the query is affine (NLB-12, NLB-13).
    /// A fixed record or a zonal name keeps its address, to which nothing may answer.
    pub fn answered(&self, client: usize, query: u64, state: &State) -> Option<Vec<usize>> {
        let affine = match self.source(client) {
            Some(Source::LoadBalancer(lb)) => nlb_dns::affine(
                self.t.load_balancers[lb.index()].routing_policy,
                rng::draw(self.clients[client].affinity_key, query),
            ),
            _ => false,
        };
        self.held(client, state, affine)
    }

    /// The answers `client` may get under `state`, with their probabilities over its queries
    /// (as [`Walker::answered`]): one, or two for a load balancer's name with partial AZ
    /// affinity.
    pub fn answer_alternatives(
        &self,
        client: usize,
        state: &State,
    ) -> Vec<(f64, Option<Vec<usize>>)> {
        let share = match self.source(client) {
            Some(Source::LoadBalancer(lb)) => {
                nlb_dns::affine_share(self.t.load_balancers[lb.index()].routing_policy)
            }
            _ => 0.0,
        };
        [(1.0 - share, false), (share, true)]
            .into_iter()
            .filter(|&(p, _)| p > 0.0)
            .map(|(p, affine)| (p, self.held(client, state, affine)))
            .collect()
    }

    /// Per load balancer node: whether a new connection of the workload may reach it under
    /// `state`, from an answer given then: the node an active endpoint ENI is bound to (PL-3), or
    /// a node an answer holds (NLB-12, NLB-13).
    pub fn entry_nodes(&self, state: &State) -> Vec<bool> {
        let mut reached = vec![false; self.t.nodes.len()];
        for (c, client) in self.clients.iter().enumerate() {
            for (_, held) in self.answer_alternatives(c, state) {
                let held = held.unwrap_or_else(|| (0..client.destinations.len()).collect());
                for a in held {
                    match client.destinations[a] {
                        Destination::EndpointEni(eni) if state.admin().eni_active[eni.index()] => {
                            reached[state.binding(eni).index()] = true;
                        }
                        Destination::Node(node) => reached[node.index()] = true,
                        _ => {}
                    }
                }
            }
        }
        reached
    }

    fn source(&self, client: usize) -> Option<Source> {
        self.clients[client].answer.as_ref().ok().map(|a| a.source)
    }

    /// The addresses `client`'s answer holds under `state`, for an affine query or not (`None`:
    /// all of them).
    fn held(&self, client: usize, state: &State, affine: bool) -> Option<Vec<usize>> {
        let c = &self.clients[client];
        match self.source(client)? {
            Source::EndpointRegional => {
                let out = |d: &Destination| matches!(d, Destination::EndpointEni(eni) if !state.admin().eni_active[eni.index()]);
                if !c.destinations.iter().any(out) {
                    return None;
                }
                Some(
                    (0..c.destinations.len())
                        .filter(|&a| !out(&c.destinations[a]))
                        .collect(),
                )
            }
            Source::LoadBalancer(lb) => {
                let all = &self.t.load_balancers[lb.index()].nodes;
                let answer = &state.nlb_answer(lb).nodes;
                let own_zone = |n: &&NodeId| self.t.nodes[n.index()].zone == c.zone;
                let nodes: Vec<NodeId> = if affine && answer.iter().any(|n| own_zone(&n)) {
                    answer.iter().filter(own_zone).copied().collect()
                } else if answer.len() == all.len() {
                    return None;
                } else {
                    answer.clone()
                };
                Some(
                    nodes
                        .iter()
                        .map(|n| {
                            all.iter()
                                .position(|a| a == n)
                                .expect("a node of its load balancer")
                        })
                        .collect(),
                )
            }
            Source::Fixed | Source::EndpointZonal | Source::Node(_) => None,
        }
    }

    /// Client -> resolver and back (TIME-1).
    pub fn resolver_round_trip(&self) -> Span {
        self.t.network.resolver.times(2)
    }

    /// A flow of client `client` about to start.
    pub fn start(&self, client: usize, lookup: Lookup, answer: AnswerRef) -> Walk {
        debug_assert!(
            lookup == Lookup::Query || self.clients[client].answer.is_ok(),
            "only answers that resolved are cached (DNS-6)"
        );
        Walk {
            client: client as u32,
            lookup,
            answer,
            stage: Stage::Start,
            at: Span(0),
            steps: 0,
            eni: None,
            node: None,
            target: None,
            client_cross_az: false,
            address: 0,
            last_read: Span(0),
            established: Span(0),
            client_ip_seen: false,
            hash: None,
        }
    }

    /// Walks a flow from its start to its end, each step under the state `state_at` gives for
    /// the step's offset from the flow's start (one state for every step between changes of
    /// state: [`crate::timeline::Timeline::walk`] gives the state of each step's time).
    #[allow(clippy::too_many_arguments)]
    pub fn walk<'s>(
        &self,
        state_at: impl Fn(Span) -> &'s State,
        client: usize,
        lookup: Lookup,
        answer: AnswerRef,
        decide: &mut impl Decide,
        mut trace: Trace<'_>,
    ) -> Ended {
        let mut walk = self.start(client, lookup, answer);
        loop {
            let state = state_at(walk.at);
            if let Next::Done(ended) = self.step(state, &mut walk, decide, trace.as_deref_mut()) {
                return ended;
            }
        }
    }

    /// Takes `walk` through its next event, under `state` as it is at that event.
    pub fn step(
        &self,
        state: &State,
        walk: &mut Walk,
        decide: &mut impl Decide,
        mut trace: Trace<'_>,
    ) -> Next {
        let t = self.t;
        walk.steps += 1;
        let client = &self.clients[walk.client as usize];
        match walk.stage {
            Stage::Start => {
                let rules: &'static [&'static str] = match t.workload.protocol {
                    Transport::Tcp => &["WL-1", "CLI-3"],
                    Transport::Udp => &["WL-1", "NLB-17"],
                };
                note(&mut trace, walk.at, rules, || HopKind::Start {
                    client: client.instance,
                });
                let query = walk.query();
                match walk.lookup {
                    Lookup::Cached => {
                        note(&mut trace, walk.at, &["DNS-6"], || HopKind::Cached {
                            query,
                        });
                        self.connect(state, walk, decide, trace)
                    }
                    Lookup::Query => {
                        note(&mut trace, walk.at, &["DNS-6", "TIME-1"], || {
                            HopKind::Query { query }
                        });
                        walk.at = walk.at.plus(self.resolver_round_trip());
                        walk.stage = Stage::DnsAnswer;
                        Next::At(walk.at)
                    }
                }
            }
            Stage::DnsAnswer => match &client.answer {
                Err(_) => {
                    // curl fails at once: this event is its last.
                    note(&mut trace, walk.at, &["DNS-1"], || HopKind::NxDomain);
                    let reason = FailReason::DnsNxdomain;
                    note(&mut trace, walk.at, reason.rules(), || HopKind::Failed {
                        reason,
                    });
                    Next::Done(self.ended(walk, Err(reason), 0))
                }
                Ok(answer) => {
                    note(
                        &mut trace,
                        walk.at,
                        &["DNS-1", "DNS-2", "DNS-3", "DNS-5"],
                        || HopKind::Answered {
                            order: match walk.answer {
                                AnswerRef::Query(q) => {
                                    let held = self.answered(walk.client as usize, q, state);
                                    let n = held.as_ref().map_or(answer.addresses.len(), Vec::len);
                                    let order = AnswerOrder::of_query(client.order_key, q).order(n);
                                    Some(match held {
                                        Some(held) => order.into_iter().map(|i| held[i]).collect(),
                                        None => order,
                                    })
                                }
                                AnswerRef::Cached { .. } | AnswerRef::Address(_) => None,
                            },
                        },
                    );
                    if let (Source::LoadBalancer(lb), AnswerRef::Query(q)) =
                        (answer.source, walk.answer)
                    {
                        note(&mut trace, walk.at, &["NLB-11", "NLB-12", "NLB-13"], || {
                            let regional = state.nlb_answer(lb);
                            let all = &t.load_balancers[lb.index()].nodes;
                            HopKind::NlbAnswer {
                                load_balancer: lb,
                                held: regional.nodes.clone(),
                                unhealthy: all
                                    .iter()
                                    .filter(|n| {
                                        !regional.nodes.contains(n) && !regional.shifted.contains(n)
                                    })
                                    .copied()
                                    .collect(),
                                shifted: regional.shifted.clone(),
                                fail_open: regional.fail_open,
                                affine: nlb_dns::affine(
                                    t.load_balancers[lb.index()].routing_policy,
                                    rng::draw(client.affinity_key, q),
                                ),
                            }
                        });
                    }
                    self.connect(state, walk, decide, trace)
                }
            },
            Stage::SynAtEndpoint => {
                let eni = walk.eni.expect("the flow connected to an ENI");
                let instance = client.instance;
                walk.last_read = walk.at;
                if state.admin().zone_down(t.enis[eni.index()].zone) {
                    note(&mut trace, walk.at, &["EV-4"], || {
                        HopKind::EndpointImpaired { eni }
                    });
                    return self.time_out(walk, FailReason::ZoneImpaired);
                }
                match privatelink::endpoint_admits(t, state.admin(), instance, eni) {
                    Verdict::Admitted(rule) => {
                        let node = state.binding(eni);
                        note(&mut trace, walk.at, &["PL-6", "PL-3", "AZ-2"], || {
                            HopKind::EndpointAdmitted {
                                eni,
                                rule,
                                node,
                                candidates: privatelink::eni_candidates(t, eni).len(),
                            }
                        });
                        walk.node = Some(node);
                        walk.at = walk.at.plus(t.network.privatelink);
                        walk.stage = Stage::SynAtNode;
                        Next::At(walk.at)
                    }
                    Verdict::IngressDenied | Verdict::EgressDenied => {
                        note(&mut trace, walk.at, &["PL-6", "SG-1"], || {
                            HopKind::EndpointDenied { eni }
                        });
                        self.time_out(walk, FailReason::SgDeny)
                    }
                }
            }
            Stage::SynAtNode => {
                walk.last_read = walk.at;
                self.at_node(state, walk, decide, trace)
            }
            Stage::Established => {
                note(&mut trace, walk.at, &["CLI-3", "TIME-1"], || {
                    HopKind::Established
                });
                walk.established = walk.at;
                // The server's response time is the state's (a slow server: EV-9).
                walk.last_read = walk.at;
                let target = walk.target.expect("an established flow has a target");
                if let Err(reason) = target_view::server_reads(t, target) {
                    note(&mut trace, walk.at, &["NLB-14"], || {
                        HopKind::ProxyProtocolMismatch { target, reason }
                    });
                    walk.at = walk.at.plus(self.one_way(walk).times(2));
                    walk.stage = Stage::Failed(reason);
                    return Next::At(walk.at);
                }
                let response = self.response_time(state, target);
                walk.at = walk.at.plus(self.one_way(walk).times(2)).plus(response);
                walk.stage = Stage::Completed;
                Next::At(walk.at)
            }
            Stage::Completed => {
                let target = walk.target.expect("a completed flow has a target");
                let bytes = self.request_bytes + self.response_bytes[target.index()];
                let rules: &'static [&'static str] = match t.workload.protocol {
                    Transport::Tcp => &["CLI-3", "TIME-1"],
                    Transport::Udp => &["NLB-17", "TIME-1"],
                };
                note(&mut trace, walk.at, rules, || HopKind::Completed {
                    target,
                    bytes,
                });
                Next::Done(self.ended(walk, Ok(()), bytes))
            }
            Stage::Failed(reason) => {
                // A direct client meets the NLB's inbound rules under NLB-15, not PL-7.
                let rules = match (reason, walk.eni) {
                    (FailReason::NlbSgDeny, None) => &["CLI-4", "NLB-15"],
                    _ => reason.rules(),
                };
                note(&mut trace, walk.at, rules, || HopKind::Failed { reason });
                Next::Done(self.ended(walk, Err(reason), 0))
            }
        }
    }

    /// curl connects to the address getaddrinfo put first (DNS-7, NET-3), through the client's
    /// egress rules in force (SG-3, EV-7): a step that reads the state when the address is an
    /// endpoint ENI.
    fn connect(
        &self,
        state: &State,
        walk: &mut Walk,
        decide: &mut impl Decide,
        mut trace: Trace<'_>,
    ) -> Next {
        let t = self.t;
        let client = &self.clients[walk.client as usize];
        let address = match walk.answer {
            AnswerRef::Query(q) => self.chosen_address(walk.client as usize, q, state),
            AnswerRef::Cached { address, .. } | AnswerRef::Address(address) => address,
        };
        let answer = client
            .answer
            .as_ref()
            .expect("only resolved answers connect");
        let destination = client.destinations[address];
        walk.address = address as u32;
        // A UDP datagram has no sequence number (NLB-17).
        let rules: &'static [&'static str] = match t.workload.protocol {
            Transport::Tcp => &["DNS-7", "NET-3", "CLI-1", "CLI-2"],
            Transport::Udp => &["DNS-7", "NET-3", "CLI-1", "NLB-17"],
        };
        note(&mut trace, walk.at, rules, || HopKind::Connect {
            address,
            ip: answer.addresses[address],
            own_subnet: client.own_subnet[address],
            destination,
            connection: decide.connection(),
        });
        match destination {
            Destination::EndpointEni(eni) => {
                walk.last_read = walk.at;
                if !state.admin().eni_active[eni.index()] {
                    // A cached answer still holds an ENI its endpoint no longer has (EV-10).
                    note(&mut trace, walk.at, &["EV-10", "NET-3"], || {
                        HopKind::EniRemoved { eni }
                    });
                    return self.time_out(walk, FailReason::NoEndpointAtAddress);
                }
                if !privatelink::client_leaves(t, state.admin(), client.instance, eni) {
                    note(&mut trace, walk.at, &["SG-3"], || {
                        HopKind::ClientEgressDenied {
                            ip: t.enis[eni.index()].ip,
                        }
                    });
                    return self.time_out(walk, FailReason::ClientSgDeny);
                }
                let eni_zone = t.enis[eni.index()].zone;
                walk.eni = Some(eni);
                walk.client_cross_az = eni_zone != client.zone;
                walk.at = walk.at.plus(t.network.between(client.zone, eni_zone));
                walk.stage = Stage::SynAtEndpoint;
                Next::At(walk.at)
            }
            Destination::Node(node) => {
                walk.last_read = walk.at;
                if !nlb::direct::client_leaves(
                    t,
                    state.admin(),
                    client.instance,
                    node,
                    t.workload.port,
                ) {
                    note(&mut trace, walk.at, &["SG-3"], || {
                        HopKind::ClientEgressDenied {
                            ip: answer.addresses[address],
                        }
                    });
                    return self.time_out(walk, FailReason::ClientSgDeny);
                }
                let node_zone = t.nodes[node.index()].zone;
                walk.node = Some(node);
                walk.client_cross_az = node_zone != client.zone;
                walk.at = walk.at.plus(t.network.between(client.zone, node_zone));
                walk.stage = Stage::SynAtNode;
                Next::At(walk.at)
            }
            Destination::Nothing => {
                note(&mut trace, walk.at, &["NET-3"], || HopKind::Nowhere);
                self.time_out(walk, FailReason::NoEndpointAtAddress)
            }
            Destination::Instance(_) => {
                unreachable!("validation refuses paths sim does not model (NET-3): {destination:?}")
            }
        }
    }

    /// The SYN at the NLB node: its security groups (PL-7), the listener (NLB-2), the forward,
    /// the eligible targets and the pick (NLB-3 to NLB-8), and the connection to the target
    /// (NLB-10).
    fn at_node(
        &self,
        state: &State,
        walk: &mut Walk,
        decide: &mut impl Decide,
        mut trace: Trace<'_>,
    ) -> Next {
        let t = self.t;
        let client = &self.clients[walk.client as usize];
        let node = walk.node.expect("the flow reached a node");
        let node_zone = t.nodes[node.index()].zone;
        let lb_id = t.nodes[node.index()].load_balancer;
        let lb = &t.load_balancers[lb_id.index()];
        let verdict = match walk.eni {
            Some(_) => privatelink::nlb_admits(t, state.admin(), node, client.ip),
            None => {
                if state.admin().zone_down(node_zone) {
                    note(&mut trace, walk.at, &["EV-4"], || HopKind::NodeImpaired {
                        node,
                    });
                    return self.time_out(walk, FailReason::ZoneImpaired);
                }
                nlb::direct::nlb_admits(t, state.admin(), client.instance, node, t.workload.port)
            }
        };
        let sg_rules: &'static [&'static str] = if walk.eni.is_some() {
            &["PL-7"]
        } else {
            &["NLB-15", "SG-1"]
        };
        match verdict {
            Verdict::Admitted(rule) => {
                if !lb.security_groups.is_empty() {
                    note(&mut trace, walk.at, sg_rules, || HopKind::NlbAdmitted {
                        node,
                        rule,
                        direct: walk.eni.is_none(),
                    });
                }
            }
            _ => {
                note(&mut trace, walk.at, sg_rules, || HopKind::NlbDenied {
                    node,
                    direct: walk.eni.is_none(),
                });
                return self.time_out(walk, FailReason::NlbSgDeny);
            }
        }
        let udp = t.workload.protocol == Transport::Udp;
        let Some(listener) = nlb::udp::listener_for(t, lb_id, t.workload.port, t.workload.protocol)
        else {
            if udp {
                // No reset for UDP: the datagram is dropped (NLB-17).
                note(&mut trace, walk.at, &["NLB-2", "NLB-17"], || {
                    HopKind::NoListener { node }
                });
                return self.time_out(walk, FailReason::NoUdpListener);
            }
            note(&mut trace, walk.at, &["NLB-2"], || HopKind::NoListener {
                node,
            });
            let back = self.back_to_client(walk);
            return self.refused(walk, FailReason::NoListener, back);
        };
        // The weights in force (EV-8), not the scenario's.
        let forward = &state.admin().forward[listener.index()];
        let target_group = forward[decide.forward(forward)].0;
        note(&mut trace, walk.at, &["NLB-2"], || HopKind::Forwarded {
            node,
            listener,
            target_group,
            weighted: forward.len() > 1,
        });
        let eligible = state.eligible(node, target_group);
        if eligible.targets.is_empty() {
            note(&mut trace, walk.at, &["NLB-3", "NLB-4"], || {
                HopKind::NoEligible {
                    node,
                    target_group,
                    cross_zone: eligible.cross_zone,
                }
            });
            return self.time_out(walk, FailReason::NoEligibleTarget);
        }
        // The address the client connected to: its endpoint ENI's, or the node's own.
        let entry_ip = self.entry_ip(walk.eni, node);
        let hasher = self.hasher(walk.client as usize, entry_ip);
        let (pick, hash) = decide.pick((node, target_group), eligible, &hasher);
        let target = eligible.targets[pick];
        walk.hash = hash;
        // TCP hashes with the sequence number (NLB-7), UDP the 5-tuple alone (NLB-17).
        let rules: &'static [&'static str] = if udp {
            &["NLB-3", "NLB-4", "NLB-6", "NLB-17", "NLB-8"]
        } else {
            &["NLB-3", "NLB-4", "NLB-6", "NLB-7", "NLB-8"]
        };
        note(&mut trace, walk.at, rules, || HopKind::Picked {
            node,
            target_group,
            cross_zone: eligible.cross_zone,
            eligible: eligible.targets.clone(),
            fail_open: eligible.fail_open,
            hash,
            pick,
        });
        walk.target = Some(target);
        let port = t.target_groups[target_group.index()].port;
        let leg = self.node_leg(walk);
        let back = leg.times(2).plus(self.back_to_client(walk));
        let arrival = target_view::Arrival {
            client: (client.ip, decide.connection().map_or(0, |(p, _)| p)),
            entry: (entry_ip, t.workload.port),
            endpoint: walk.eni.map(|e| t.enis[e.index()].endpoint),
        };
        // UDP groups always preserve client IPs (NLB-17), so a UDP datagram's source is the
        // client's, as the group's setting says.
        let source = target_view::source_seen(t, node, target, &arrival);
        walk.client_ip_seen = target_view::preserved(t, target, &arrival);
        let transport = t.workload.protocol;
        match nlb::reach_over(t, state.admin(), node, target, port, source, transport) {
            Ok(_) if target_view::hairpin(t, target, &arrival) => {
                note(&mut trace, walk.at, &["NLB-16"], || HopKind::Hairpin {
                    target,
                });
                self.time_out(walk, FailReason::HairpinTimeout)
            }
            Ok(rule) => {
                // The source the target sees: the node's through PrivateLink (PL-5), a direct
                // client's own when preserved (NLB-15, NLB-16).
                let rules: &'static [&'static str] = match (udp, walk.eni.is_some()) {
                    (true, _) => &["NLB-10", "NLB-17"],
                    (false, true) => &["NLB-10", "NLB-16", "PL-5", "NLB-14"],
                    (false, false) => &["NLB-10", "NLB-16", "NLB-15", "NLB-14"],
                };
                note(&mut trace, walk.at, rules, || HopKind::Delivered {
                    target,
                    node,
                    rule,
                    source,
                    // The header is modelled on TCP connections only (NLB-14).
                    header: decide
                        .connection()
                        .filter(|_| !udp)
                        .and_then(|_| target_view::header(t, target, &arrival)),
                });
                walk.at = walk.at.plus(back);
                if udp {
                    // No handshake: the server answers the datagram after its response time,
                    // the state's (a slow server: EV-9).
                    walk.at = walk.at.plus(self.response_time(state, target));
                    walk.stage = Stage::Completed;
                } else {
                    walk.stage = Stage::Established;
                }
                Next::At(walk.at)
            }
            Err(reason @ (FailReason::TargetRefused | FailReason::PortUnreachable)) => {
                // A reset, or ICMP port unreachable for UDP: back at the client at once.
                let rules: &'static [&'static str] = if udp {
                    &["NLB-10", "NLB-17"]
                } else {
                    &["NLB-10"]
                };
                note(&mut trace, walk.at, rules, || HopKind::TargetRefused {
                    target,
                });
                self.refused(walk, reason, back)
            }
            Err(reason) => {
                let rules: &'static [&'static str] = if udp {
                    &["NLB-10", "NLB-17", "SG-1"]
                } else {
                    &["NLB-10", "SG-1", "SG-3"]
                };
                note(&mut trace, walk.at, rules, || HopKind::TargetDropped {
                    target,
                    reason,
                });
                self.time_out(walk, reason)
            }
        }
    }

    /// How long `target`'s server takes to answer under `state`: an event's response time (a
    /// slow server: EV-9), else its own, of its web server or, for a UDP workload, its UDP server.
    fn response_time(&self, state: &State, target: TargetId) -> Span {
        let t = self.t;
        let instance = t.targets[target.index()].instance;
        let server = match t.workload.protocol {
            Transport::Tcp => &t.instances[instance.index()].web_server,
            Transport::Udp => &t.instances[instance.index()].udp_server,
        };
        let server = server
            .as_ref()
            .expect("a delivered flow reaches a server of its transport");
        state.admin().response_time[instance.index()].unwrap_or(server.response_time)
    }

    /// The address a flow's client connected to: its endpoint ENI's, or, for a direct client, the
    /// node's own.
    pub fn entry_ip(&self, eni: Option<EniId>, node: NodeId) -> Ipv4Addr {
        match eni {
            Some(eni) => self.t.enis[eni.index()].ip,
            None => self.t.nodes[node.index()].ip,
        }
    }

    /// How a node hashes client `client`'s flows to `entry_ip`: TCP, the 5-tuple and the ISN
    /// (NLB-7); UDP, the 5-tuple only (NLB-17).
    pub fn hasher(&self, client: usize, entry_ip: Ipv4Addr) -> FlowHasher {
        FlowHasher::new(
            self.t.workload.protocol.ip_protocol(),
            u32::from(self.clients[client].ip),
            u32::from(entry_ip),
            self.t.workload.port,
        )
    }

    /// The hash of an answered flow with these `draws` that ended as `ended` (as the walk
    /// computes it at the pick), for what happens to it later (NLB-17).
    pub fn flow_hash(&self, client: usize, ended: &Ended, draws: &Draws) -> Option<u64> {
        let node = ended.node.filter(|_| ended.target.is_some())?;
        let hasher = self.hasher(client, self.entry_ip(ended.eni, node));
        Some(hasher.hash(draws.src_port, draws.isn))
    }

    /// A dropped SYN: curl gives up at its connect timeout, counted from its start (CLI-4); the
    /// drop itself already happened, so never earlier than now.
    fn time_out(&self, walk: &mut Walk, reason: FailReason) -> Next {
        walk.at = walk.at.max(self.t.workload.connect_timeout);
        walk.stage = Stage::Failed(reason);
        Next::At(walk.at)
    }

    /// A reset, back at the client after `back`.
    fn refused(&self, walk: &mut Walk, reason: FailReason, back: Span) -> Next {
        walk.at = walk.at.plus(back);
        walk.stage = Stage::Failed(reason);
        Next::At(walk.at)
    }

    /// Node -> client: the PrivateLink hop and the ENI -> client leg, or the one leg of a direct
    /// client (TIME-1).
    fn back_to_client(&self, walk: &Walk) -> Span {
        let t = self.t;
        let client_zone = self.clients[walk.client as usize].zone;
        match walk.eni {
            Some(eni) => {
                let eni_zone = t.enis[eni.index()].zone;
                t.network
                    .privatelink
                    .plus(t.network.between(eni_zone, client_zone))
            }
            None => {
                let node_zone = t.nodes[walk.node.expect("at a node").index()].zone;
                t.network.between(node_zone, client_zone)
            }
        }
    }

    /// Node -> target, one way (TIME-1).
    fn node_leg(&self, walk: &Walk) -> Span {
        let t = self.t;
        let node_zone = t.nodes[walk.node.expect("at a node").index()].zone;
        let target_zone = t.targets[walk.target.expect("picked").index()].zone;
        t.network.between(node_zone, target_zone)
    }

    /// Client -> target, one way: client -> ENI, PrivateLink (or client -> node), node -> target
    /// (TIME-1).
    fn one_way(&self, walk: &Walk) -> Span {
        self.back_to_client(walk).plus(self.node_leg(walk))
    }

    fn ended(&self, walk: &Walk, outcome: Result<(), FailReason>, bytes: u64) -> Ended {
        let t = self.t;
        let cross_az = outcome.is_ok()
            && match (walk.node, walk.target) {
                (Some(n), Some(x)) => t.nodes[n.index()].zone != t.targets[x.index()].zone,
                _ => false,
            };
        Ended {
            outcome,
            at: walk.at,
            steps: walk.steps,
            address: walk.address,
            eni: walk.eni,
            node: walk.node,
            target: walk.target,
            client_cross_az: walk.client_cross_az,
            cross_az,
            bytes,
            last_read: walk.last_read,
            established: walk.established,
            client_ip_seen: walk.client_ip_seen,
            hash: walk.hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::events::Action;
    use crate::state::{Admin, bindings};

    /// The fast paths of [`Walker::chosen_address`] for a load balancer's name pick what the
    /// held list would: every policy, with every zone in DNS and with one shifted out.
    #[test]
    fn chosen_addresses_of_an_nlb_name_agree_with_the_held_lists() {
        let s = crate::scenario::parse(
            "t.toml",
            "t",
            &include_str!("../../scenarios/nlb-direct.toml").replace(
                "enable_cross_zone_load_balancing = false\ndns_record",
                "enable_cross_zone_load_balancing = false\nenable_zonal_shift = true\ndns_record",
            ),
        )
        .unwrap();
        for v in &s.variants {
            let t = &v.topology;
            let walker = Walker::new(t, 3);
            let mut shifted = Admin::initial(t);
            shifted.apply(
                t,
                &Action::ZonalShift {
                    node: NodeId(1),
                    active: true,
                },
            );
            for admin in [Admin::initial(t), shifted] {
                let health = crate::rules::health::settle(t, &admin);
                let state = State::new(t, bindings(t, 3), admin, health);
                for c in 0..walker.clients.len() {
                    for query in 0..500 {
                        let order = AnswerOrder::of_query(walker.clients[c].order_key, query);
                        let own = &walker.clients[c].own_subnet;
                        let slow = match walker.answered(c, query, &state) {
                            None => order.chosen(own),
                            Some(held) => {
                                let held_own: Vec<bool> = held.iter().map(|&a| own[a]).collect();
                                held[order.chosen(&held_own)]
                            }
                        };
                        assert_eq!(
                            walker.chosen_address(c, query, &state),
                            slow,
                            "{}, client {c}, query {query}",
                            v.name
                        );
                    }
                }
            }
        }
    }
}
