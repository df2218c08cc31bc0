//! Every branch of a flow's path from one (client, address, lookup), with its probability: the
//! same [`Walker::walk`] run once per combination of choices, its [`Decide`] told which option to
//! take at each fork and recording the forks it meets. The bulk engine's plan is built from the
//! forks; the expected distribution sums the probabilities.
//!
//! The probability of an option is the rule's: a weighted forward's weight over the sum of its
//! listener's weights (NLB-2); a pick's exact share of the flow hashes ([`crate::rules::nlb::pick::Picker::shares`]:
//! 1/n for the uniform pick, a target's slots for Maglev; NLB-8). A UDP flow's hash has no
//! sequence number (NLB-17): it depends on the source port alone, so its pick's share is counted
//! exactly over the client's ephemeral ports (CLI-1), per (node, target group) of the walk.

use super::{AnswerRef, Decide, Ended, Lookup, Walker};
use crate::model::ids::{NodeId, TargetGroupId};
use crate::rules::nlb::Eligible;
use crate::rules::nlb::hash::FlowHasher;
use crate::state::State;

/// A random choice met on the way.
#[derive(Clone, Debug, PartialEq)]
pub enum Fork {
    /// A listener's weighted forward over these (target group, weight).
    Forward(Vec<(TargetGroupId, u16)>),
    /// A node's pick among `options` eligible targets for the connection `hasher` hashes.
    Pick {
        /// The node.
        node: NodeId,
        /// The target group.
        target_group: TargetGroupId,
        /// The hasher of the path's connection (its fixed fields).
        hasher: FlowHasher,
        /// Eligible targets.
        options: usize,
    },
}

impl Fork {
    fn options(&self) -> usize {
        match self {
            Fork::Forward(forward) => forward.len(),
            Fork::Pick { options, .. } => *options,
        }
    }
}

/// One way through, with the choices that lead to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    /// The option taken at each fork.
    pub choices: Vec<usize>,
    /// The forks met, in order.
    pub forks: Vec<Fork>,
    /// The probability of these choices (the forks' options are the only randomness).
    pub probability: f64,
    /// How the flow ends.
    pub ended: Ended,
}

/// A [`Decide`] that takes the options it is told (0 beyond them) and records the forks.
struct Scripted<'s> {
    choices: &'s [usize],
    forks: Vec<Fork>,
    probability: f64,
    /// UDP picks' shares over the source ports, per (node, target group), for this
    /// (client, address).
    port_shares: &'s mut Vec<((NodeId, TargetGroupId), Vec<f64>)>,
}

impl Scripted<'_> {
    fn next_choice(&self) -> usize {
        self.choices.get(self.forks.len()).copied().unwrap_or(0)
    }
}

impl Decide for Scripted<'_> {
    fn connection(&self) -> Option<(u16, u32)> {
        None
    }

    fn forward(&mut self, forward: &[(TargetGroupId, u16)]) -> usize {
        let choice = self.next_choice();
        let total: u64 = forward.iter().map(|(_, w)| u64::from(*w)).sum();
        self.probability *= f64::from(forward[choice].1) / total as f64;
        self.forks.push(Fork::Forward(forward.to_vec()));
        choice
    }

    fn pick(
        &mut self,
        (node, target_group): (NodeId, TargetGroupId),
        eligible: &Eligible,
        hasher: &FlowHasher,
    ) -> (usize, Option<u64>) {
        let choice = self.next_choice();
        self.probability *= if hasher.ignores_isn() {
            let at = (node, target_group);
            let known = self.port_shares.iter().position(|(k, _)| *k == at);
            let k = known.unwrap_or_else(|| {
                self.port_shares
                    .push((at, shares_over_ports(eligible, hasher)));
                self.port_shares.len() - 1
            });
            self.port_shares[k].1[choice]
        } else {
            eligible.shares[choice]
        };
        self.forks.push(Fork::Pick {
            node,
            target_group,
            hasher: *hasher,
            options: eligible.targets.len(),
        });
        (choice, None)
    }
}

/// The exact share of each eligible target among the hashes of `hasher`'s flows from every
/// source port a client draws (CLI-1), when the hash ignores the sequence number (UDP).
fn shares_over_ports(eligible: &Eligible, hasher: &FlowHasher) -> Vec<f64> {
    use crate::rules::client::{EPHEMERAL_FIRST, EVEN_PORTS};
    use crate::rules::nlb::pick::TargetPick;
    let mut counts = vec![0u64; eligible.targets.len()];
    for k in 0..EVEN_PORTS {
        let port = EPHEMERAL_FIRST + 2 * k as u16;
        counts[eligible.picker.pick(hasher.hash(port, 0))] += 1;
    }
    counts
        .iter()
        .map(|&c| c as f64 / EVEN_PORTS as f64)
        .collect()
}

/// Every branch of a flow of `client` that uses `answer` and gets it by `lookup`, under `state`,
/// in the order of their choices (option 0 first at every fork).
pub fn branches(
    walker: &Walker<'_>,
    state: &State,
    client: usize,
    lookup: Lookup,
    answer: AnswerRef,
) -> Vec<Branch> {
    let mut out = Vec::new();
    let mut choices: Vec<usize> = Vec::new();
    let mut port_shares = Vec::new();
    loop {
        let mut script = Scripted {
            choices: &choices,
            forks: Vec::new(),
            probability: 1.0,
            port_shares: &mut port_shares,
        };
        let ended = walker.walk(|_| state, client, lookup, answer, &mut script, None);
        let forks = script.forks;
        let probability = script.probability;
        let taken: Vec<usize> = (0..forks.len())
            .map(|i| choices.get(i).copied().unwrap_or(0))
            .collect();
        out.push(Branch {
            choices: taken.clone(),
            forks: forks.clone(),
            probability,
            ended,
        });
        // The next combination: advance the deepest fork that has an option left.
        let Some(deepest) = (0..forks.len())
            .rev()
            .find(|&i| taken[i] + 1 < forks[i].options())
        else {
            return out;
        };
        choices = taken[..deepest].to_vec();
        choices.push(taken[deepest] + 1);
    }
}
