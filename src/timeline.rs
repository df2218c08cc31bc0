//! The states a run goes through, and when (docs/model.md EV-6): the scenario's events, the
//! health checks they cause, and the draining they start, turned into spans of constant
//! [`State`], before any flow runs.
//!
//! Nothing a flow does changes the state, so the whole timeline is known in advance: the events
//! give the [`Admin`] state over time; for each target, each node's view of its checks follows
//! in closed form per stretch of constant behaviour ([`check_timeline::node_view`], HC-5), and
//! the views combine by HC-2; deregistrations add the end of their draining (EV-3). Every instant
//! where something changes starts a span; spans with equal states share one [`State`] (a target
//! that flaps between two states makes two states, however many spans), so the engines work out
//! one plan per distinct state.
//!
//! Checks are computed up to a horizon past the last flow (the caller's bound on the last
//! arrival plus the longest path): the cost is the number of changes, not the run's length.
//! A check segment starts at time zero with the views settled (HC-4: each node's view is what
//! its checks get under the scenario's own state), and again, from `initial`, whenever a target is
//! registered again or its instance starts (EV-2, EV-3); it ends when the target is deregistered
//! or its instance stops. Each node's checks in a segment start its phase after the segment's
//! start (keyed by seed, node and target: HC-5).

use std::collections::HashMap;

use crate::model::Topology;
use crate::model::ids::{NodeId, TargetId};
use crate::rules::check_timeline::{self, CheckSettings, Flip, Stretch};
use crate::rules::health::{self, TargetHealth, View};
use crate::state::{self, Admin, State};
use crate::time::{SimTime, Span};
use crate::walk::{AnswerRef, Decide, Ended, Lookup, Trace, Walker};

/// The states of one run and the spans they hold over.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// The distinct states; `states[0]` holds at time zero.
    pub states: Vec<State>,
    /// Spans of constant state: from `spans[i].0` (until the next span) state `spans[i].1`;
    /// the first span starts at zero.
    pub spans: Vec<(SimTime, u32)>,
    /// Per target, its health over the run: each change, when, and what caused it.
    pub history: Vec<Vec<HealthChange>>,
}

/// A change of one target's health.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// When.
    pub at: SimTime,
    /// The health from then on.
    pub health: TargetHealth,
    /// Why.
    pub cause: Cause,
}

/// What changed a target's health.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Its state when the run starts (HC-4).
    Start,
    /// The scheduled event at this position of [`Topology::events`].
    Event(usize),
    /// The checks of `node` made the consensus flip: `healthy_threshold` passing checks (the
    /// last node to agree) or `unhealthy_threshold` failing ones (the first node to see it).
    Checks {
        /// The deciding node.
        node: NodeId,
        /// The view it turned to.
        healthy: bool,
    },
    /// The deregistration delay ran out (EV-3).
    DrainingEnded,
    /// The unhealthy draining interval ran out (CONN-2).
    UnhealthyDrainingEnded,
}

impl Timeline {
    /// The timeline of `t` under `seed`, with checks computed until `horizon`.
    pub fn new(t: &Topology, seed: u64, horizon: SimTime) -> Timeline {
        let binding = state::bindings(t, seed);
        // The admin state over time: one entry per instant with events.
        let mut admins: Vec<(SimTime, Admin, Vec<usize>)> =
            vec![(SimTime::ZERO, Admin::initial(t), Vec::new())];
        for (i, event) in t.events.iter().enumerate() {
            let last = admins.last_mut().expect("the initial entry");
            if last.0 == event.at {
                last.1.apply(t, &event.action);
                last.2.push(i);
            } else {
                let mut admin = last.1.clone();
                admin.apply(t, &event.action);
                admins.push((event.at, admin, vec![i]));
            }
        }
        let views: Vec<Vec<(SimTime, View, Cause)>> = (0..t.targets.len())
            .map(|x| target_views(t, seed, &admins, TargetId::from_index(x), horizon))
            .collect();
        let drains = draining_ends(t, &admins);
        // Every instant where something changes.
        let mut instants: Vec<SimTime> = admins.iter().map(|a| a.0).collect();
        instants.extend(views.iter().flatten().map(|v| v.0));
        instants.extend(drains.iter().map(|d| d.1));
        instants.sort_unstable();
        instants.dedup();

        let mut interned: HashMap<(Admin, Vec<TargetHealth>), u32> = HashMap::new();
        let mut timeline = Timeline {
            states: Vec::new(),
            spans: Vec::new(),
            history: vec![Vec::new(); t.targets.len()],
        };
        let (mut admin_at, mut view_at) = (0usize, vec![0usize; t.targets.len()]);
        for &now in &instants {
            while admin_at + 1 < admins.len() && admins[admin_at + 1].0 <= now {
                admin_at += 1;
            }
            let admin = &admins[admin_at].1;
            let health: Vec<TargetHealth> = (0..t.targets.len())
                .map(|x| {
                    let v = &views[x];
                    while view_at[x] + 1 < v.len() && v[view_at[x] + 1].0 <= now {
                        view_at[x] += 1;
                    }
                    let target = TargetId::from_index(x);
                    let draining = drains
                        .iter()
                        .any(|&(d, until, _)| d == target && until > now && !admin.registered[x]);
                    health::health(t, admin, target, v[view_at[x]].1, draining)
                })
                .collect();
            for (x, &h) in health.iter().enumerate() {
                let history = &mut timeline.history[x];
                if history.last().is_some_and(|c| c.health == h) {
                    continue;
                }
                let cause = if history.is_empty() {
                    Cause::Start
                } else {
                    cause_of(t, &admins[admin_at], &views[x], &drains, x, now)
                };
                history.push(HealthChange {
                    at: now,
                    health: h,
                    cause,
                });
            }
            let key = (admin.clone(), health);
            let next = timeline.states.len() as u32;
            let id = *interned.entry(key).or_insert_with_key(|(admin, health)| {
                timeline.states.push(State::new(
                    t,
                    binding.clone(),
                    admin.clone(),
                    health.clone(),
                ));
                next
            });
            if timeline.spans.last().is_none_or(|&(_, last)| last != id) {
                timeline.spans.push((now, id));
            }
        }
        timeline
    }

    /// The index (in [`Timeline::spans`]) of the span holding at `at`.
    pub fn span_at(&self, at: SimTime) -> usize {
        self.spans.partition_point(|&(from, _)| from <= at).max(1) - 1
    }

    /// The state holding at `at`.
    pub fn state_at(&self, at: SimTime) -> &State {
        &self.states[self.spans[self.span_at(at)].1 as usize]
    }

    /// True when the state never changes during the run.
    pub fn is_constant(&self) -> bool {
        self.spans.len() == 1
    }

    /// Walks a flow that starts at `start` from its start to its end, each step under the state
    /// holding at the step's time: what the event loop does for it (EV-6).
    #[allow(clippy::too_many_arguments)]
    pub fn walk(
        &self,
        walker: &Walker<'_>,
        start: SimTime,
        client: usize,
        lookup: Lookup,
        answer: AnswerRef,
        decide: &mut impl Decide,
        trace: Trace<'_>,
    ) -> Ended {
        let state_at = |offset: Span| self.state_at(start.after(offset));
        walker.walk(state_at, client, lookup, answer, decide, trace)
    }

    /// The longest a flow of `walker`'s workload can take from its start to its last read of
    /// the state, in any state of the run: flows that start at least this long before a change
    /// read one state only.
    pub fn longest_read(&self, plans: &[crate::sim::bulk::plan::Plan<'_>]) -> Span {
        plans
            .iter()
            .flat_map(|p| p.leaves.iter())
            .flat_map(|leaf| leaf.ended.iter().map(|e| e.last_read))
            .max()
            .unwrap_or(Span(0))
    }

    /// The first instant at or after `from` at which no node a new connection can reach may pick
    /// `target` any more (it left every eligible set of those nodes), if that happens; `entry`
    /// says which nodes new connections reach under a state ([`crate::walk::Walker::entry_nodes`]:
    /// answers cached before aside).
    pub fn leaves_service(
        &self,
        target: TargetId,
        from: SimTime,
        entry: impl Fn(&State) -> Vec<bool>,
    ) -> Option<SimTime> {
        self.spans[self.span_at(from)..]
            .iter()
            .find(|&&(_, k)| {
                let state = &self.states[k as usize];
                let reached = entry(state);
                !state
                    .all_eligible()
                    .any(|(n, _, e)| reached[n.index()] && e.targets.contains(&target))
            })
            .map(|&(at, _)| at.max(from))
    }

    /// The health change of `target` in force at `at`.
    pub fn health_since(&self, target: TargetId, at: SimTime) -> &HealthChange {
        let h = &self.history[target.index()];
        &h[h.partition_point(|c| c.at <= at).max(1) - 1]
    }
}

/// The bound on the time checks must be computed to, for `flows` flows of `t`: ten standard
/// deviations past the expected last arrival, plus the longest a flow can take (its connect
/// timeout) and a second, plus the longest a connection can stay open when connections live.
pub fn horizon(t: &Topology, flows: u64) -> SimTime {
    let arrivals = crate::time::arrivals_bound_ns(flows, t.workload.arrival_rate);
    let path = t
        .workload
        .connect_timeout
        .plus(Span::from_secs(1))
        .as_nanos() as f64;
    // Connections that live stay open up to their duration, or (exponential) under 45 times its
    // mean: the largest value the sampler draws (CONN-1).
    let open = t.workload.connection.map_or(0.0, |c| {
        c.duration.as_nanos() as f64 * if c.exponential { 45.0 } else { 1.0 }
    });
    SimTime((arrivals + path + open).min(u64::MAX as f64) as u64)
}

/// The views of target `x`'s checks over the run: from each segment's start, the consensus of
/// its nodes' views (HC-2, HC-5), as (from, view, cause).
fn target_views(
    t: &Topology,
    seed: u64,
    admins: &[(SimTime, Admin, Vec<usize>)],
    x: TargetId,
    horizon: SimTime,
) -> Vec<(SimTime, View, Cause)> {
    let target = &t.targets[x.index()];
    let group = &t.target_groups[target.target_group.index()];
    let checked =
        |admin: &Admin| admin.registered[x.index()] && admin.running[target.instance.index()];
    let nodes: Vec<NodeId> = health::checking_nodes(t, x).collect();
    let settings = CheckSettings {
        interval: group.health_check.interval,
        timeout: group.health_check.timeout,
        healthy_threshold: group.health_check.healthy_threshold,
        unhealthy_threshold: group.health_check.unhealthy_threshold,
    };
    let target_name = format!(
        "{}/{}",
        group.name,
        t.instances[target.instance.index()].name
    );
    // HC-4: the views are settled under the scenario's own state, before the events at zero.
    let initial = Admin::initial(t);
    let mut out = vec![(SimTime::ZERO, View::Healthy, Cause::Start)];
    let mut i = 0;
    while i < admins.len() {
        if !checked(&admins[i].1) {
            i += 1;
            continue;
        }
        // A segment: from admins[i] while the target stays checked.
        let start = admins[i].0;
        let mut end = i + 1;
        while end < admins.len() && checked(&admins[end].1) {
            end += 1;
        }
        let until = admins.get(end).map_or(horizon, |a| a.0).min(horizon);
        let settled = start == SimTime::ZERO && checked(&initial);
        let starts: Vec<bool> = nodes
            .iter()
            .map(|&n| {
                settled && health::answer(t, &initial, n, x) == check_timeline::Answer::Passes
            })
            .collect();
        let mut views = Vec::with_capacity(nodes.len());
        for (&node, &healthy_at_start) in nodes.iter().zip(&starts) {
            let mut stretches: Vec<Stretch> = Vec::new();
            for admin in &admins[i..end] {
                let answer = health::answer(t, &admin.1, node, x);
                if stretches.last().is_none_or(|s| s.answer != answer) {
                    stretches.push(Stretch {
                        from: SimTime(admin.0.0 - start.0),
                        answer,
                    });
                }
            }
            let node_name = node_name(t, node);
            let first =
                check_timeline::first_check(seed, &node_name, &target_name, settings.interval);
            let flips = if until > start {
                check_timeline::node_view(
                    &settings,
                    first,
                    healthy_at_start,
                    &stretches,
                    SimTime(until.0 - start.0),
                )
            } else {
                Vec::new()
            };
            views.push(
                flips
                    .into_iter()
                    .map(|f| Flip {
                        at: start.after(Span(f.at.0)),
                        healthy: f.healthy,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let view0 = if settled {
            if starts.iter().all(|&h| h) {
                View::Healthy
            } else {
                View::Unhealthy
            }
        } else {
            View::Initial
        };
        let cause0 = if start == SimTime::ZERO {
            Cause::Start
        } else {
            Cause::Event(*admins[i].2.first().expect("a later entry has events"))
        };
        out.push((start, view0, cause0));
        let mut healthy_now = view0 == View::Healthy;
        for flip in check_timeline::consensus_from(&views, &starts) {
            // The deciding node: one whose own view flipped the same way at that instant.
            let node = nodes
                .iter()
                .zip(&views)
                .find(|(_, v)| {
                    v.iter()
                        .any(|f| f.at == flip.at && f.healthy == flip.healthy)
                })
                .map(|(n, _)| *n)
                .expect("a consensus flip is some node's flip");
            if flip.healthy != healthy_now {
                healthy_now = flip.healthy;
                out.push((
                    flip.at,
                    if flip.healthy {
                        View::Healthy
                    } else {
                        View::Unhealthy
                    },
                    Cause::Checks {
                        node,
                        healthy: flip.healthy,
                    },
                ));
            }
        }
        i = end;
    }
    // Without connection termination, an unhealthy target is `unhealthy.draining` for the
    // group's draining interval first (CONN-2).
    if !group.unhealthy_termination && group.unhealthy_draining.0 > 0 {
        let mut drained = Vec::with_capacity(out.len());
        for (k, &(at, view, cause)) in out.iter().enumerate() {
            if view != View::Unhealthy || at == SimTime::ZERO {
                drained.push((at, view, cause));
                continue;
            }
            drained.push((at, View::UnhealthyDraining, cause));
            let end = at.after(group.unhealthy_draining);
            if out.get(k + 1).is_none_or(|next| next.0 > end) {
                drained.push((end, View::Unhealthy, Cause::UnhealthyDrainingEnded));
            }
        }
        out = drained;
    }
    // Entries at one instant: the last one holds.
    out.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            *earlier = *later;
            true
        } else {
            false
        }
    });
    out
}

/// The name a node's check phase is keyed by: its load balancer and zone.
fn node_name(t: &Topology, node: NodeId) -> String {
    let n = &t.nodes[node.index()];
    format!(
        "{}/{}",
        t.load_balancers[n.load_balancer.index()].name,
        t.zones[n.zone.index()].az_id
    )
}

/// Each deregistration's draining: (target, end of its delay, the deregistering event).
fn draining_ends(
    t: &Topology,
    admins: &[(SimTime, Admin, Vec<usize>)],
) -> Vec<(TargetId, SimTime, usize)> {
    let mut out = Vec::new();
    for (at, _, events) in admins {
        for &e in events {
            if let crate::model::events::Action::Deregister(x) = t.events[e].action {
                let delay =
                    t.target_groups[t.targets[x.index()].target_group.index()].deregistration_delay;
                out.push((x, at.after(delay), e));
            }
        }
    }
    out
}

/// Why target `x`'s health changed at `now`: an event at that instant, else a check flip, else
/// the end of a draining.
fn cause_of(
    t: &Topology,
    admin: &(SimTime, Admin, Vec<usize>),
    views: &[(SimTime, View, Cause)],
    drains: &[(TargetId, SimTime, usize)],
    x: usize,
    now: SimTime,
) -> Cause {
    if let Some(v) = views.iter().find(|v| v.0 == now && v.0 != SimTime::ZERO) {
        if let Cause::Checks { .. } | Cause::UnhealthyDrainingEnded = v.2 {
            return v.2;
        }
    }
    if admin.0 == now && !admin.2.is_empty() {
        let target = TargetId::from_index(x);
        let event = admin
            .2
            .iter()
            .copied()
            .find(|&e| concerns(t, &t.events[e].action, target));
        return Cause::Event(event.unwrap_or(admin.2[0]));
    }
    if drains.iter().any(|d| d.0.index() == x && d.1 == now) {
        return Cause::DrainingEnded;
    }
    Cause::Start
}

/// True when `action` acts on `target`: its instance, itself, its zone, its group's or load
/// balancer's cross-zone setting, a rule of a security group on the way to it (its instance's
/// or its load balancer's: EV-7), the weights of a listener forwarding to its group (EV-8).
fn concerns(t: &Topology, action: &crate::model::events::Action, target: TargetId) -> bool {
    use crate::model::events::Action;
    let x = &t.targets[target.index()];
    match *action {
        Action::Crash(i) | Action::Recover(i) | Action::Stop(i) | Action::Start(i) => {
            i == x.instance
        }
        Action::Slow { instance, .. } => instance == x.instance,
        Action::EndpointSubnet { .. } | Action::ZonalShift { .. } => false,
        Action::Deregister(y) | Action::Register(y) => y == target,
        Action::ImpairZone { zone, .. } | Action::RestoreZone(zone) => zone == x.zone,
        Action::LoadBalancerCrossZone { load_balancer, .. } => {
            t.target_groups[x.target_group.index()].load_balancer == Some(load_balancer)
        }
        Action::TargetGroupCrossZone { target_group, .. } => target_group == x.target_group,
        Action::Revoke { group, .. } | Action::Authorize { group, .. } => {
            t.group_guards_target(group, target)
        }
        Action::ListenerWeights { listener, .. } => t.listener_reaches_target(listener, target),
    }
}
