//! The expected distribution of outcomes, from the rules alone (docs/model.md STAT-1): every
//! branch of the walk ([`crate::walk::enumerate`]) weighted by its probability. No sampling.
//!
//! A flow picks a client uniformly (WL-1); the client's answer makes curl connect to each address
//! with the probability of the random answer order (DNS-5, DNS-7:
//! [`crate::rules::dns::choice_probabilities`]); from there the walk's forks carry their own
//! probabilities (forward weights, pick shares). Besides the shares, it gives what the clustered
//! statistics need (each client's routes with their outcome vectors: STAT-2) and the completion
//! time of every answered branch, from the cache and after a query (TIME-1).

use crate::rules::dns;
use crate::rules::outcome::FailReason;
use crate::state::State;
use crate::stats::{ClientModel, RouteModel};
use crate::walk::enumerate::branches;
use crate::walk::{AnswerRef, Lookup, Walker};

/// Expected probabilities of each outcome of a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// Probability that target `i` answers.
    pub targets: Vec<f64>,
    /// Probability of each failure reason (indexed by [`FailReason::index`]).
    pub failures: [f64; FailReason::ALL.len()],
    /// Probability that a flow is answered across AZs (node and target in different zones).
    pub cross_az: f64,
    /// Probability that the client -> ENI leg crosses AZs.
    pub client_cross_az: f64,
    /// Per client: its routes (one per address of its answer, in answer order; one when the name
    /// does not resolve) with their probabilities and outcome vectors over the categories
    /// (targets, then failure reasons).
    pub clients: Vec<ClientModel>,
    /// Per client: its answered branches, `(completion from the cache, after a query, probability
    /// given the client)`, in nanoseconds.
    pub completion: Vec<Vec<(u64, u64, f64)>>,
}

impl Expected {
    /// The category of a failure reason: after the targets.
    pub fn failure_category(&self, reason: FailReason) -> usize {
        self.targets.len() + reason.index()
    }

    /// Every category's probability: targets, then failure reasons.
    pub fn categories(&self) -> Vec<f64> {
        self.targets
            .iter()
            .chain(self.failures.iter())
            .copied()
            .collect()
    }
}

/// The expected distribution of the walker's workload under `state`.
pub fn expected(walker: &Walker<'_>, state: &State) -> Expected {
    let t = walker.t;
    let categories = t.targets.len() + FailReason::ALL.len();
    let mut out = Expected {
        targets: vec![0.0; t.targets.len()],
        failures: [0.0; FailReason::ALL.len()],
        cross_az: 0.0,
        client_cross_az: 0.0,
        clients: Vec::new(),
        completion: Vec::new(),
    };
    let p_client = 1.0 / walker.clients.len() as f64;
    for (c, client) in walker.clients.iter().enumerate() {
        let (lookups, addresses): (&[Lookup], Vec<(usize, f64)>) = match &client.answer {
            Err(_) => (&[Lookup::Query], vec![(0, 1.0)]),
            Ok(_) => (
                &[Lookup::Cached, Lookup::Query],
                address_probabilities(walker, c, state),
            ),
        };
        let mut routes = Vec::new();
        let mut completion = Vec::new();
        for (address, p_address) in addresses {
            let answer = AnswerRef::Address(address);
            let first = branches(walker, state, c, lookups[0], answer);
            let queried = match lookups {
                [_, query] => branches(walker, state, c, *query, answer),
                _ => first.clone(),
            };
            let mut outcomes = vec![0.0; categories];
            for (branch, queried) in first.iter().zip(&queried) {
                let (p, ended) = (branch.probability, &branch.ended);
                let category = match ended.outcome {
                    Ok(()) => ended.target.expect("answered").index(),
                    Err(reason) => t.targets.len() + reason.index(),
                };
                outcomes[category] += p;
                // A route no flow takes (probability 0) is kept for its outcomes alone.
                let weight = p_client * p_address * p;
                if weight == 0.0 {
                    continue;
                }
                if ended.client_cross_az {
                    out.client_cross_az += weight;
                }
                match ended.outcome {
                    Ok(()) => {
                        out.targets[category] += weight;
                        if ended.cross_az {
                            out.cross_az += weight;
                        }
                        completion.push((ended.at.0, queried.ended.at.0, p_address * p));
                    }
                    Err(reason) => out.failures[reason.index()] += weight,
                }
            }
            routes.push(RouteModel {
                probability: p_address,
                outcomes,
            });
        }
        out.clients.push(ClientModel { routes });
        out.completion.push(completion);
    }
    out
}

/// The probability of each address of client `c`'s answer under `state` (DNS-5, DNS-7): over
/// the addresses each answer the client may get holds then (EV-10, NLB-12), weighted by that
/// answer's share of its queries (NLB-13); the others 0.
fn address_probabilities(walker: &Walker<'_>, c: usize, state: &State) -> Vec<(usize, f64)> {
    let own = &walker.clients[c].own_subnet;
    let mut p = vec![0.0; own.len()];
    for (share, held) in walker.answer_alternatives(c, state) {
        let held = held.unwrap_or_else(|| (0..own.len()).collect());
        let held_own: Vec<bool> = held.iter().map(|&a| own[a]).collect();
        for (&a, q) in held.iter().zip(dns::choice_probabilities(&held_own)) {
            p[a] += share * q;
        }
    }
    p.into_iter().enumerate().collect()
}

/// The mixture of `parts` (weights need not sum to 1; parts of weight 0 are left out): the
/// expected distribution of a run whose flows start in several states, each state's share of
/// flows its weight (docs/model.md STAT-3). A client's routes are the addresses of its whole
/// answer in every state, so route `r` is the same address in each part: its probability is
/// the weighted mean of its probabilities, and its outcome vector the mean of the parts' weighted
/// by how often the route is taken in each (weight times probability), so that the mixed model
/// predicts the mixed shares even when the addresses a client may take change (an ENI removed:
/// EV-10; a zone leaving the NLB's DNS: NLB-12). A route no part takes keeps the weighted mean of
/// its outcomes. Completion branches are kept per part with their weights.
pub fn mixture(parts: &[(f64, &Expected)]) -> Expected {
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    let parts: Vec<(f64, &Expected)> = parts
        .iter()
        .filter(|(w, _)| *w > 0.0)
        .map(|&(w, e)| (w / total, e))
        .collect();
    let first = parts
        .first()
        .expect("a mixture of at least one weighted part")
        .1;
    if parts.len() == 1 {
        return first.clone();
    }
    let mut out = Expected {
        targets: vec![0.0; first.targets.len()],
        failures: [0.0; FailReason::ALL.len()],
        cross_az: 0.0,
        client_cross_az: 0.0,
        clients: first.clients.clone(),
        completion: vec![Vec::new(); first.completion.len()],
    };
    for client in &mut out.clients {
        for route in &mut client.routes {
            route.probability = 0.0;
            route.outcomes.iter_mut().for_each(|p| *p = 0.0);
        }
    }
    // Per client and route: the weight of the parts that take it (w times its probability).
    let mut taken: Vec<Vec<f64>> = out
        .clients
        .iter()
        .map(|c| vec![0.0; c.routes.len()])
        .collect();
    for (w, e) in &parts {
        for (c, client) in e.clients.iter().enumerate() {
            for (r, route) in client.routes.iter().enumerate() {
                taken[c][r] += w * route.probability;
            }
        }
    }
    for (w, e) in &parts {
        for (mine, theirs) in out.targets.iter_mut().zip(&e.targets) {
            *mine += w * theirs;
        }
        for (mine, theirs) in out.failures.iter_mut().zip(&e.failures) {
            *mine += w * theirs;
        }
        out.cross_az += w * e.cross_az;
        out.client_cross_az += w * e.client_cross_az;
        for ((mine, theirs), taken) in out.clients.iter_mut().zip(&e.clients).zip(&taken) {
            for ((route, other), &taken) in mine.routes.iter_mut().zip(&theirs.routes).zip(taken) {
                route.probability += w * other.probability;
                if route.outcomes.len() < other.outcomes.len() {
                    route.outcomes.resize(other.outcomes.len(), 0.0);
                }
                // Weighted by how often this part takes the route; by the part's weight alone
                // when no part takes it.
                let weight = if taken > 0.0 {
                    w * other.probability / taken
                } else {
                    *w
                };
                for (p, q) in route.outcomes.iter_mut().zip(&other.outcomes) {
                    *p += weight * q;
                }
            }
        }
        for (mine, theirs) in out.completion.iter_mut().zip(&e.completion) {
            mine.extend(theirs.iter().map(|&(hit, miss, p)| (hit, miss, w * p)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mixture_weights_every_share_and_keeps_routes_summing_to_one() {
        let s = crate::scenario::parse("t.toml", "t", include_str!("../scenarios/crosszone.toml"))
            .unwrap();
        let (off, on) = (&s.variants[0].topology, &s.variants[1].topology);
        let e_off = expected(&Walker::new(off, 1), &State::initial(off, 1));
        let e_on = expected(&Walker::new(on, 1), &State::initial(on, 1));
        let m = mixture(&[(3.0, &e_off), (1.0, &e_on), (0.0, &e_on)]);
        for (x, (a, b)) in m
            .targets
            .iter()
            .zip(e_off.targets.iter().zip(&e_on.targets))
        {
            assert!((x - (0.75 * a + 0.25 * b)).abs() < 1e-12);
        }
        let route_sum: f64 = m.clients[0].routes[0].outcomes.iter().sum();
        assert!((route_sum - 1.0).abs() < 1e-12);
        assert_eq!(mixture(&[(2.0, &e_on)]), e_on);
    }

    #[test]
    fn a_mixture_of_states_with_different_addresses_predicts_the_mixed_shares() {
        // The client's own-subnet ENI leaves at 90 s of a 150 s run (EV-10): before, it takes
        // that address always (DNS-7); after, one of the other two at random. The mixed client
        // model must give the mixed shares (its routes' probabilities move with the states).
        let text = include_str!("../scenarios/ans/07-dns-ttl-cached-answer.toml");
        let s = crate::scenario::parse("t.toml", "t", text).unwrap();
        let v = s
            .variants
            .iter()
            .find(|v| v.name == "no client cache")
            .unwrap();
        let t = &v.topology;
        let timeline = crate::timeline::Timeline::new(t, 1, crate::time::SimTime(150_000_000_000));
        assert!(timeline.states.len() >= 2, "the event makes a second state");
        let walker = Walker::new(t, 1);
        let per_state: Vec<Expected> = timeline
            .states
            .iter()
            .map(|state| expected(&walker, state))
            .collect();
        let parts: Vec<(f64, &Expected)> = [0.6, 0.4].into_iter().zip(per_state.iter()).collect();
        let m = mixture(&parts);
        let from_model = crate::stats::expected_shares(&m.clients);
        for (a, b) in from_model.iter().zip(m.categories()) {
            assert!(
                (a - b).abs() < 1e-12,
                "{from_model:?} vs {:?}",
                m.categories()
            );
        }
        for client in &m.clients {
            let total: f64 = client.routes.iter().map(|r| r.probability).sum();
            assert!((total - 1.0).abs() < 1e-12);
        }
    }
}
