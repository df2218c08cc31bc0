//! What changes during a run, apart from the flows: each instance's admin state, each target's
//! registration and health, and which NLB node each endpoint ENI is bound to; and what follows
//! from them, each node's eligible targets per target group. It changes only through
//! [`State::apply`], which settles health again by the rules ([`crate::rules::health`]) and
//! rebuilds the eligible sets ([`crate::rules::nlb::eligible`]); the engines read it, never
//! write it. [`crate::model::Topology`] is what never changes.
//!
//! The ENI bindings are drawn once per run (docs/model.md PL-3: AWS binds an ENI at its first
//! connection and keeps the binding), keyed by the seed, so every variant and engine sees the
//! same ones.
//!
//! Not modelled yet: health checks as events over time, draining, zone faults (the time issue
//! adds them as further [`Change`]s).

use crate::model::Topology;
use crate::model::ids::{EniId, InstanceId, NodeId, TargetGroupId, TargetId};
use crate::rules::health::{self, TargetHealth};
use crate::rules::nlb::{self, Eligible};
use crate::rules::privatelink;

/// The changing part of a run.
#[derive(Clone, Debug)]
pub struct State {
    running: Vec<bool>,
    registered: Vec<bool>,
    health: Vec<TargetHealth>,
    binding: Vec<NodeId>,
    /// `eligible[node * target_groups + tg]`.
    eligible: Vec<Eligible>,
    target_groups: usize,
}

/// One change of the state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The instance stops: its targets become `unused` (`Target.InvalidState`) at once.
    Stop(InstanceId),
    /// The instance starts again.
    Start(InstanceId),
    /// The target is deregistered from its group.
    Deregister(TargetId),
    /// The target is registered again.
    Register(TargetId),
}

impl State {
    /// The state at the start of a run under `seed`: instances as the scenario sets them, every
    /// target registered, health settled by the rules (HC-4), ENIs bound (PL-3).
    pub fn initial(t: &Topology, seed: u64) -> State {
        let mut state = State {
            running: t.instances.iter().map(|i| i.running).collect(),
            registered: vec![true; t.targets.len()],
            health: Vec::new(),
            binding: (0..t.enis.len())
                .map(|e| privatelink::bind(t, seed, EniId::from_index(e)))
                .collect(),
            eligible: Vec::new(),
            target_groups: t.target_groups.len(),
        };
        state.settle(t);
        state
    }

    /// Applies `change` and settles what follows from it.
    pub fn apply(&mut self, t: &Topology, change: Change) {
        match change {
            Change::Stop(i) => self.running[i.index()] = false,
            Change::Start(i) => self.running[i.index()] = true,
            Change::Deregister(target) => self.registered[target.index()] = false,
            Change::Register(target) => self.registered[target.index()] = true,
        }
        self.settle(t);
    }

    fn settle(&mut self, t: &Topology) {
        self.health = health::settle(t, &self.running, &self.registered);
        self.eligible = (0..t.nodes.len())
            .flat_map(|n| (0..t.target_groups.len()).map(move |g| (n, g)))
            .map(|(n, g)| {
                nlb::eligible(
                    t,
                    &self.health,
                    NodeId::from_index(n),
                    TargetGroupId::from_index(g),
                )
            })
            .collect();
    }

    /// Whether each instance runs, by instance.
    pub fn running(&self) -> &[bool] {
        &self.running
    }

    /// The health of `target`.
    pub fn health(&self, target: TargetId) -> TargetHealth {
        self.health[target.index()]
    }

    /// The NLB node `eni` sends its connections to.
    pub fn binding(&self, eni: EniId) -> NodeId {
        self.binding[eni.index()]
    }

    /// The targets `node` may pick from for `tg`.
    pub fn eligible(&self, node: NodeId, tg: TargetGroupId) -> &Eligible {
        &self.eligible[node.index() * self.target_groups + tg.index()]
    }

    /// Every (node, target group) eligible set.
    pub fn all_eligible(&self) -> impl Iterator<Item = (NodeId, TargetGroupId, &Eligible)> {
        self.eligible.iter().enumerate().map(|(i, e)| {
            (
                NodeId::from_index(i / self.target_groups.max(1)),
                TargetGroupId::from_index(i % self.target_groups.max(1)),
                e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::health::UnusedReason;

    fn crosszone(cross_zone_on: bool) -> Topology {
        let s = crate::scenario::parse("t.toml", "t", include_str!("../scenarios/crosszone.toml"))
            .unwrap();
        s.variants[usize::from(cross_zone_on)].topology.clone()
    }

    #[test]
    fn apply_settles_health_and_the_eligible_sets() {
        let t = crosszone(true);
        let mut state = State::initial(&t, 1);
        let (web1, node1, web) = (TargetId(0), NodeId(0), TargetGroupId(0));
        assert_eq!(state.health(web1), TargetHealth::Healthy);
        assert_eq!(state.eligible(node1, web).targets.len(), 3);
        // A stopped instance is unused at once (HC-3) and leaves every eligible set.
        state.apply(&t, Change::Stop(InstanceId(0)));
        assert_eq!(
            state.health(web1),
            TargetHealth::Unused(UnusedReason::InvalidState)
        );
        assert!(!state.running()[0]);
        assert_eq!(
            state.eligible(node1, web).targets,
            [TargetId(1), TargetId(2)]
        );
        state.apply(&t, Change::Start(InstanceId(0)));
        assert_eq!(state.health(web1), TargetHealth::Healthy);
        // A deregistered target gets nothing; registered again, it is back.
        state.apply(&t, Change::Deregister(TargetId(2)));
        assert_eq!(
            state.health(TargetId(2)),
            TargetHealth::Unused(UnusedReason::NotRegistered)
        );
        assert_eq!(
            state.eligible(node1, web).targets,
            [TargetId(0), TargetId(1)]
        );
        state.apply(&t, Change::Register(TargetId(2)));
        assert_eq!(state.eligible(node1, web).targets.len(), 3);
    }

    #[test]
    fn with_cross_zone_off_a_node_whose_target_stops_has_none_left() {
        let t = crosszone(false);
        let mut state = State::initial(&t, 1);
        state.apply(&t, Change::Stop(InstanceId(0)));
        let eligible = state.eligible(NodeId(0), TargetGroupId(0));
        assert!(eligible.targets.is_empty() && !eligible.fail_open);
        // The other nodes keep their own targets.
        assert_eq!(
            state.eligible(NodeId(1), TargetGroupId(0)).targets,
            [TargetId(1)]
        );
    }
}
