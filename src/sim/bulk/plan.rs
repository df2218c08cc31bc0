//! Every path a flow can take through a topology, worked out once before the flows run.
//!
//! Between state changes a flow's fate depends only on its client, the DNS answer order it uses
//! (the rotation), its weighted forward and its flow hash. So each (client, rotation) gets a
//! [`Route`], and each complete path a [`Leaf`]: its outcome, the target and node, bytes, whether
//! it crosses AZs, the events the event loop would process for it and when its last one happens.
//! The rules are those of [`crate::rules::hops`], [`crate::rules::dns`] and [`crate::rules::nlb`], applied in the same
//! order as [`crate::sim::events`] applies them to one flow; the tests of [`crate::sim::bulk`] check that both
//! engines give identical tallies.

use crate::model::ids::*;
use crate::model::{TargetHealth, Topology};
use crate::rules::client::{self, FailReason};
use crate::rules::dns::{self, Destination};
use crate::rules::hops;
use crate::rules::nlb::hash::{FlowHasher, TCP};
use crate::rules::nlb::pick::Picker;
use crate::rules::nlb::{self, Eligible};
use crate::time::Span;

/// One complete path and its outcome.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// `Ok` for an answered flow, else why it failed.
    pub outcome: Result<(), FailReason>,
    /// The target the node picked (answered flows and failures at the target).
    pub target: Option<TargetId>,
    /// The NLB node (flows that reached one).
    pub node: Option<NodeId>,
    /// Payload bytes of an answered flow.
    pub bytes: u64,
    /// The node -> target leg crossed AZs (answered flows only count it).
    pub cross_az: bool,
    /// The client -> endpoint ENI leg crossed AZs.
    pub client_cross_az: bool,
    /// From the flow's arrival to its last event, `[cache hit, cache miss]`, nanoseconds.
    pub last_event: [u64; 2],
    /// Events the event loop processes for the flow, `[cache hit, cache miss]`.
    pub events: [u64; 2],
}

/// The target group a forward picked, and how its node picks a target.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The first leaf of this choice: leaf `first + pick` for pick `pick`.
    pub first: u32,
    /// The pick over the eligible targets; `None` when there is none (then `first` is the
    /// no-eligible-target leaf).
    pub picker: Option<Picker>,
}

/// Where a flow of one client using one answer order goes.
#[derive(Clone, Debug)]
pub enum Route {
    /// Every flow ends in this leaf (it never reaches a target pick).
    Ends(u32),
    /// The SYN reaches an NLB node's listener.
    Node {
        /// Hash of the connection as the client sent it.
        hasher: FlowHasher,
        /// The listener's weighted forward.
        forward: Vec<(TargetGroupId, u16)>,
        /// Per forward entry.
        choices: Vec<Choice>,
    },
}

/// Routes and leaves of a topology.
#[derive(Clone, Debug)]
pub struct Plan {
    /// All leaves.
    pub leaves: Vec<Leaf>,
    /// All routes; client `c` with rotation `r` uses `routes[first_route[c] + r % rotations[c]]`.
    pub routes: Vec<Route>,
    /// Index of each client's first route.
    pub first_route: Vec<usize>,
    /// Addresses in each client's DNS answer (1 when the name does not resolve).
    pub rotations: Vec<u64>,
    /// Clients whose lookups are cached for the TTL (the workload caches and the name
    /// resolves); the others query for every flow.
    pub cached: Vec<bool>,
    /// The TTL of each client's answer.
    pub ttl: Vec<Span>,
    /// Client -> resolver and back.
    pub resolver_round_trip: Span,
    /// Mean gap between arrivals, nanoseconds.
    pub ns_per_mean: f64,
}

impl Plan {
    /// Works out every path of `t`'s workload, with target health as settled before the run.
    pub fn new(t: &Topology) -> Plan {
        let mut plan = Plan {
            leaves: Vec::new(),
            routes: Vec::new(),
            first_route: Vec::new(),
            rotations: Vec::new(),
            cached: Vec::new(),
            ttl: Vec::new(),
            resolver_round_trip: t.network.resolver.times(2),
            ns_per_mean: client::ns_per_mean(t.workload.arrival_rate),
        };
        let health: Vec<TargetHealth> = t.targets.iter().map(|x| x.health).collect();
        let routing: Vec<Eligible> = (0..t.nodes.len())
            .flat_map(|n| (0..t.target_groups.len()).map(move |g| (n, g)))
            .map(|(n, g)| {
                nlb::eligible(
                    t,
                    &health,
                    NodeId::from_index(n),
                    TargetGroupId::from_index(g),
                )
            })
            .collect();
        for &client in &t.workload.clients {
            plan.first_route.push(plan.routes.len());
            let subnet = t.instance_subnet(client);
            match dns::resolve(t, subnet.vpc, &t.workload.host) {
                Err(_) => {
                    let leaf = plan.leaf(Leaf {
                        events: [2, 2],
                        last_event: [0, plan.resolver_round_trip.0],
                        ..Leaf::failed(FailReason::DnsNxdomain)
                    });
                    plan.routes.push(Route::Ends(leaf));
                    plan.rotations.push(1);
                    plan.cached.push(false);
                    plan.ttl.push(Span(0));
                }
                Ok(answer) => {
                    for rotation in 0..answer.addresses.len() {
                        let chosen = answer.addresses
                            [dns::preferred_address(&answer.addresses, rotation, subnet.cidr)];
                        let route = plan.route(t, &routing, client, chosen.destination);
                        plan.routes.push(route);
                    }
                    plan.rotations.push(answer.addresses.len() as u64);
                    plan.cached.push(t.workload.dns_cache);
                    plan.ttl.push(answer.ttl);
                }
            }
        }
        plan
    }

    fn leaf(&mut self, leaf: Leaf) -> u32 {
        self.leaves.push(leaf);
        u32::try_from(self.leaves.len() - 1).expect("fewer than 2^32 paths")
    }

    /// `[hit, miss]` for a path that takes `span` from the connect (after DNS).
    fn after_dns(&self, span: Span) -> [u64; 2] {
        [span.0, span.plus(self.resolver_round_trip).0]
    }

    /// `[hit, miss]` for a SYN dropped `detected` after the connect: the client gives up at its
    /// connect timeout, and the drop itself is an event too (later, if the timeout is tiny).
    fn timed_out(&self, timeout: u64, detected: Span) -> [u64; 2] {
        self.after_dns(detected).map(|at| at.max(timeout))
    }

    fn route(
        &mut self,
        t: &Topology,
        routing: &[Eligible],
        client: InstanceId,
        destination: Destination,
    ) -> Route {
        let timeout = t.workload.connect_timeout.0;
        let Destination::EndpointEni(eni_id) = destination else {
            return Route::Ends(self.leaf(Leaf {
                events: [2, 3],
                last_event: self.timed_out(timeout, Span(0)),
                ..Leaf::failed(FailReason::NoEndpointAtAddress)
            }));
        };
        let eni = &t.enis[eni_id.index()];
        let client_zone = t.instance_zone(client);
        let client_ip = t.instances[client.index()].ip;
        let client_cross_az = client_zone != eni.zone;
        let to_eni = t.network.between(client_zone, eni.zone);
        if hops::endpoint_rule(t, client, eni_id).is_none() {
            return Route::Ends(self.leaf(Leaf {
                client_cross_az,
                events: [3, 4],
                last_event: self.timed_out(timeout, to_eni),
                ..Leaf::failed(FailReason::SgDeny)
            }));
        }
        let node_id = eni.node;
        let node = &t.nodes[node_id.index()];
        let at_node = to_eni.plus(t.network.privatelink);
        let back_to_client = t
            .network
            .privatelink
            .plus(t.network.between(eni.zone, client_zone));
        let at_node_leaf = |reason: FailReason, last_event: [u64; 2]| Leaf {
            node: Some(node_id),
            client_cross_az,
            events: [4, 5],
            last_event,
            ..Leaf::failed(reason)
        };
        let dropped_at_node = self.timed_out(timeout, at_node);
        if !hops::nlb_admits(t, node_id, client_ip) {
            let leaf = at_node_leaf(FailReason::NlbSgDeny, dropped_at_node);
            return Route::Ends(self.leaf(leaf));
        }
        let Some(listener) = t.listener_on(node.load_balancer, t.workload.port) else {
            let last = self.after_dns(at_node.plus(back_to_client));
            return Route::Ends(self.leaf(at_node_leaf(FailReason::NoListener, last)));
        };
        let forward = t.listeners[listener.index()].forward.clone();
        let request = client::request_bytes(&t.workload.host, &t.workload.path);
        let mut choices = Vec::new();
        for (tg, _) in &forward {
            let eligible = &routing[node_id.index() * t.target_groups.len() + tg.index()];
            if eligible.targets.is_empty() {
                let leaf = at_node_leaf(FailReason::NoEligibleTarget, dropped_at_node);
                choices.push(Choice {
                    first: self.leaf(leaf),
                    picker: None,
                });
                continue;
            }
            let first = self.leaves.len() as u32;
            for &target in &eligible.targets {
                let target_zone = t.targets[target.index()].zone;
                let leg = t.network.between(node.zone, target_zone);
                let established = at_node.plus(leg.times(2)).plus(back_to_client);
                let mut leaf = Leaf {
                    target: Some(target),
                    ..at_node_leaf(FailReason::TargetRefused, self.after_dns(established))
                };
                match hops::target_answers(t, node_id, target) {
                    Ok(()) => {
                        let server = t
                            .target_instance(target)
                            .web_server
                            .as_ref()
                            .expect("a target that answers runs a web server");
                        let one_way = to_eni.plus(t.network.privatelink).plus(leg);
                        leaf.outcome = Ok(());
                        leaf.events = [5, 6];
                        leaf.bytes = request + client::response_bytes(&server.body);
                        leaf.cross_az = node.zone != target_zone;
                        leaf.last_event = self.after_dns(
                            established
                                .plus(one_way.times(2))
                                .plus(server.response_time),
                        );
                    }
                    Err(FailReason::TargetRefused) => {}
                    Err(reason) => {
                        leaf.outcome = Err(reason);
                        leaf.last_event = dropped_at_node;
                    }
                }
                self.leaf(leaf);
            }
            choices.push(Choice {
                first,
                picker: Some(eligible.picker.clone()),
            });
        }
        let eni_ip = eni.ip;
        Route::Node {
            hasher: FlowHasher::new(
                TCP,
                u32::from(client_ip),
                u32::from(eni_ip),
                t.workload.port,
            ),
            forward,
            choices,
        }
    }
}

impl Leaf {
    fn failed(reason: FailReason) -> Leaf {
        Leaf {
            outcome: Err(reason),
            target: None,
            node: None,
            bytes: 0,
            cross_az: false,
            client_cross_az: false,
            last_event: [0, 0],
            events: [0, 0],
        }
    }
}
