//! Every path a flow can take through a topology, worked out once before the flows run, from
//! the walk's own branches ([`crate::walk::enumerate`]).
//!
//! Between state changes a flow's fate depends only on its client, the address its DNS answer
//! makes curl connect to, whether the answer came from the cache, its weighted forward and its
//! flow hash. So each (client, address) gets a [`Route`]: the forks the walk met (a listener's
//! forward, a node's pick) and, per branch, a [`Leaf`]: how the walk ended, from the cache and
//! after a query (their events and times differ; their outcome does not).

use crate::model::ids::{NodeId, TargetGroupId};
use crate::rules::nlb::hash::FlowHasher;
use crate::sim::arrivals;
use crate::state::State;
use crate::time::Span;
use crate::walk::enumerate::{Branch, Fork, branches};
use crate::walk::{AnswerRef, Ended, Lookup, Walker};

/// One complete path and how it ends.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The client whose flows take it.
    pub client: u32,
    /// How the walk ends `[from the cache, after a query]`.
    pub ended: [Ended; 2],
}

impl Leaf {
    /// The target of an answered flow.
    pub fn answered_target(&self) -> Option<crate::model::ids::TargetId> {
        self.ended[0]
            .target
            .filter(|_| self.ended[0].outcome.is_ok())
    }
}

/// The target group a forward picked, and how its node picks a target.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The first leaf of this choice: leaf `first + pick` for pick `pick`.
    pub first: u32,
    /// The (node, target group) whose eligible set the pick is over; `None` when the walk ends
    /// before a pick (then `first` is its one leaf).
    pub eligible: Option<(NodeId, TargetGroupId)>,
}

/// Where a flow of one client connecting to one address goes.
#[derive(Clone, Debug)]
pub enum Route {
    /// Every flow ends in this leaf (no random choice on the way).
    Ends(u32),
    /// The SYN reaches a listener that forwards (and a node that picks).
    Node {
        /// Hash of the connection as the client sent it (when some choice picks).
        hasher: Option<FlowHasher>,
        /// The listener's weighted forward.
        forward: Vec<(TargetGroupId, u16)>,
        /// Per forward entry.
        choices: Vec<Choice>,
    },
}

/// Routes and leaves of a topology.
#[derive(Clone, Debug)]
pub struct Plan<'s> {
    /// All leaves.
    pub leaves: Vec<Leaf>,
    /// All routes; client `c` connecting to address `a` uses `routes[first_route[c] + a]`.
    pub routes: Vec<Route>,
    /// Index of each client's first route.
    pub first_route: Vec<usize>,
    /// Addresses in each client's DNS answer (1 when the name does not resolve).
    pub addresses: Vec<u64>,
    /// Clients whose lookups are cached for the TTL (the workload caches and the name
    /// resolves); the others query for every flow.
    pub cached: Vec<bool>,
    /// The TTL of each client's answer.
    pub ttl: Vec<Span>,
    /// Client -> resolver and back.
    pub resolver_round_trip: Span,
    /// Mean gap between arrivals, nanoseconds.
    pub ns_per_mean: f64,
    /// The walker, for the addresses queries lead to.
    pub walker: &'s Walker<'s>,
    /// The state the plan was worked out under (its eligible sets hold the picks).
    pub state: &'s State,
}

impl<'s> Plan<'s> {
    /// Works out every path of the walker's workload under `state`.
    pub fn new(walker: &'s Walker<'s>, state: &'s State) -> Plan<'s> {
        let t = walker.t;
        let mut plan = Plan {
            leaves: Vec::new(),
            routes: Vec::new(),
            first_route: Vec::new(),
            addresses: Vec::new(),
            cached: Vec::new(),
            ttl: Vec::new(),
            resolver_round_trip: walker.resolver_round_trip(),
            ns_per_mean: arrivals::ns_per_mean(t.workload.arrival_rate),
            walker,
            state,
        };
        for (c, client) in walker.clients.iter().enumerate() {
            plan.first_route.push(plan.routes.len());
            match &client.answer {
                Err(_) => {
                    let miss = branches(walker, state, c, Lookup::Query, AnswerRef::Address(0));
                    let route = plan.route(c, &miss, &miss);
                    plan.routes.push(route);
                    plan.addresses.push(1);
                    plan.cached.push(false);
                    plan.ttl.push(Span(0));
                }
                Ok(answer) => {
                    for a in 0..answer.addresses.len() {
                        let address = AnswerRef::Address(a);
                        let hit = branches(walker, state, c, Lookup::Cached, address);
                        let miss = branches(walker, state, c, Lookup::Query, address);
                        let route = plan.route(c, &hit, &miss);
                        plan.routes.push(route);
                    }
                    plan.addresses.push(answer.addresses.len() as u64);
                    plan.cached.push(t.workload.dns_cache);
                    plan.ttl.push(answer.ttl);
                }
            }
        }
        plan
    }

    /// The route of client `c`'s flows that use the answer to its query number `query`.
    #[inline]
    pub fn route_of_query(&self, c: usize, query: u64) -> u32 {
        if self.addresses[c] <= 1 {
            0
        } else {
            self.walker.chosen_address(c, query, self.state) as u32
        }
    }

    /// The route from the branches of one (client, address), from the cache and after a query.
    fn route(&mut self, client: usize, hit: &[Branch], miss: &[Branch]) -> Route {
        assert_eq!(
            hit.iter().map(|b| &b.choices).collect::<Vec<_>>(),
            miss.iter().map(|b| &b.choices).collect::<Vec<_>>(),
            "the DNS lookup changes no choice on the path"
        );
        let first = self.leaves.len() as u32;
        for (h, m) in hit.iter().zip(miss) {
            self.leaves.push(Leaf {
                client: client as u32,
                ended: [h.ended, m.ended],
            });
        }
        if hit.len() == 1 {
            // No fork with a second option: every flow ends in this leaf, whatever its draws.
            return Route::Ends(first);
        }
        let Some(Fork::Forward(forward)) = hit[0].forks.first() else {
            panic!("the walk forks at the forward first: {:?}", hit[0].forks);
        };
        let mut hasher = None;
        let mut choices = Vec::new();
        let mut leaf = first;
        for f in 0..forward.len() {
            let of_choice: Vec<&Branch> = hit.iter().filter(|b| b.choices[0] == f).collect();
            match of_choice[0].forks.get(1) {
                Some(Fork::Pick {
                    node,
                    target_group,
                    hasher: h,
                    options,
                }) => {
                    assert_eq!(of_choice.len(), *options, "one leaf per pick");
                    hasher = Some(*h);
                    choices.push(Choice {
                        first: leaf,
                        eligible: Some((*node, *target_group)),
                    });
                }
                None => choices.push(Choice {
                    first: leaf,
                    eligible: None,
                }),
                Some(other) => panic!("the walk forks forward, then pick: met {other:?}"),
            }
            leaf += of_choice.len() as u32;
        }
        Route::Node {
            hasher,
            forward: forward.clone(),
            choices,
        }
    }
}
