//! What changed during a run and what it did (docs/model.md EV-1 to EV-8, STAT-3): the scheduled
//! events, each target's health over time with what caused each change, the flows of each
//! distinct state against that state's own expected shares, and the answers people ask of a
//! failure (how long a dead target still got new connections, how many of them failed, how long
//! it took to come back). Plain data for the report; every figure is read from the run's
//! timeline and tally.

use serde::Serialize;

use crate::expected::Expected;
use crate::model::events::{Action, Event};
use crate::model::ids::TargetId;
use crate::model::{FailoverThreshold, SgRule, Topology};
use crate::rules::connection::End;
use crate::rules::health::TargetHealth;
use crate::rules::outcome::FailReason;
use crate::sim::tally::Tally;
use crate::state::{Admin, Impairment, State};
use crate::time::SimTime;
use crate::timeline::{Cause, Timeline};

/// What changed during one variant's run.
#[derive(Clone, Debug, Serialize)]
pub struct Changes {
    /// The scheduled events, in time order.
    pub events: Vec<EventLine>,
    /// Per target whose health changed during the run, its changes (the first is its state at
    /// the start).
    pub health: Vec<TargetLine>,
    /// Per distinct state flows started in, in order of first appearance.
    pub states: Vec<StateLine>,
    /// Answers derived from the events and the health changes.
    pub answers: Vec<DerivedAnswer>,
}

/// One scheduled event.
#[derive(Clone, Debug, Serialize)]
pub struct EventLine {
    /// Its key path in the scenario (`events[2]`).
    pub key: String,
    /// When, seconds from the start.
    pub at_seconds: f64,
    /// What it does.
    pub label: String,
    /// True when it comes after the run's last event: it changes nothing counted.
    pub after_last_flow: bool,
}

/// One target's health over the run.
#[derive(Clone, Debug, Serialize)]
pub struct TargetLine {
    /// Instance name (and target group when the instance is in several).
    pub target: String,
    /// Its changes, in time order.
    pub changes: Vec<HealthStep>,
}

/// One change of a target's health.
#[derive(Clone, Debug, Serialize)]
pub struct HealthStep {
    /// When, seconds from the start.
    pub at_seconds: f64,
    /// `initial`, `healthy`, `unhealthy`, `draining` or `unused`.
    pub state: String,
    /// The state with its reason code, as `DescribeTargetHealth` shows it.
    pub reason: String,
    /// What caused it.
    pub cause: String,
}

/// The flows of one distinct state.
#[derive(Clone, Debug, Serialize)]
pub struct StateLine {
    /// What differs from the scenario as written.
    pub state: String,
    /// Spans of the run it held over.
    pub spans: usize,
    /// Seconds it held within the run.
    pub seconds: f64,
    /// Flows that started in it.
    pub flows: u64,
    /// Per outcome (target name or failure reason) with flows or a positive expected share:
    /// its flows, share and expected share under this state.
    pub outcomes: Vec<StateOutcome>,
}

/// One outcome of a state's flows.
#[derive(Clone, Debug, Serialize)]
pub struct StateOutcome {
    /// Target name, or failure reason code.
    pub name: String,
    /// Flows.
    pub flows: u64,
    /// Share of the state's flows.
    pub share: f64,
    /// Expected share under the state (STAT-1).
    pub expected_share: f64,
}

/// An answer derived from the run.
#[derive(Clone, Debug, Serialize)]
pub struct DerivedAnswer {
    /// The event it is about (`events[0]`).
    pub event: String,
    /// The question, in words.
    pub question: String,
    /// The answer, in words.
    pub answer: String,
    /// The time it measures, seconds (`null` when there is none).
    pub seconds: Option<f64>,
    /// The flows it counts (`null` when it counts none).
    pub flows: Option<u64>,
}

fn secs(at: SimTime) -> f64 {
    (at.0 as f64 / 1e6).round() / 1e3
}

/// What changed during the run of `t` whose states are `timeline`, counted in `tally`, with
/// each state's expected distribution `per_state`.
pub fn changes(
    t: &Topology,
    timeline: &Timeline,
    tally: &Tally,
    per_state: &[Expected],
    seed: u64,
) -> Changes {
    let end = tally.end;
    let events = t
        .events
        .iter()
        .map(|e| EventLine {
            key: format!("events[{}]", e.index),
            at_seconds: secs(e.at),
            label: e.label.clone(),
            after_last_flow: e.at > end,
        })
        .collect();
    let several_groups = |x: &crate::model::Target| {
        t.targets
            .iter()
            .filter(|y| y.instance == x.instance)
            .count()
            > 1
    };
    let health = timeline
        .history
        .iter()
        .enumerate()
        .filter(|(_, h)| h.len() > 1 && h[1].at <= end)
        .map(|(i, h)| {
            let x = &t.targets[i];
            let name = &t.instances[x.instance.index()].name;
            TargetLine {
                target: if several_groups(x) {
                    format!("{name} ({})", t.target_groups[x.target_group.index()].name)
                } else {
                    name.clone()
                },
                changes: h
                    .iter()
                    .filter(|c| c.at <= end)
                    .map(|c| HealthStep {
                        at_seconds: secs(c.at),
                        state: c.health.state_name().into(),
                        reason: c.health.label(),
                        cause: cause_words(t, c.cause),
                    })
                    .collect(),
            }
        })
        .collect();
    Changes {
        events,
        health,
        states: states(t, timeline, tally, per_state),
        answers: answers(t, timeline, tally, seed),
    }
}

/// What caused a health change, in words.
pub fn cause_words(t: &Topology, cause: Cause) -> String {
    match cause {
        Cause::Start => "the start of the run (HC-4)".into(),
        Cause::Event(e) => {
            let event = &t.events[e];
            format!(
                "events[{}] at {}s: {}",
                event.index,
                secs(event.at),
                event.label
            )
        }
        Cause::Checks { node, healthy } => {
            let n = &t.nodes[node.index()];
            let lb = &t.load_balancers[n.load_balancer.index()];
            let hc = |pick: fn(&crate::model::HealthCheck) -> u32| {
                lb.listeners
                    .iter()
                    .flat_map(|l| t.listeners[l.index()].forward.iter())
                    .map(|(g, _)| pick(&t.target_groups[g.index()].health_check))
                    .next()
            };
            let (count, what) = if healthy {
                (hc(|h| h.healthy_threshold), "passing")
            } else {
                (hc(|h| h.unhealthy_threshold), "failed")
            };
            format!(
                "{} {what} checks in a row from node {} in {} (HC-5)",
                count.map_or_else(|| "the threshold of".to_string(), |c| c.to_string()),
                n.ip,
                t.zones[n.zone.index()].az_id
            )
        }
        Cause::DrainingEnded => "its deregistration delay ran out (EV-3)".into(),
        Cause::UnhealthyDrainingEnded => "its unhealthy draining interval ran out (CONN-2)".into(),
    }
}

/// The states flows started in, with their observed and expected outcomes.
fn states(
    t: &Topology,
    timeline: &Timeline,
    tally: &Tally,
    per_state: &[Expected],
) -> Vec<StateLine> {
    let flows = tally.state_flows();
    let end = tally.end;
    let mut order: Vec<usize> = Vec::new();
    for &(_, k) in &timeline.spans {
        if !order.contains(&(k as usize)) {
            order.push(k as usize);
        }
    }
    let categories = t.targets.len() + FailReason::ALL.len();
    order
        .into_iter()
        .filter(|&k| flows[k] > 0)
        .map(|k| {
            let (mut spans, mut held) = (0, 0u64);
            for (i, &(from, state)) in timeline.spans.iter().enumerate() {
                if state as usize != k || from > end {
                    continue;
                }
                spans += 1;
                let to = timeline.spans.get(i + 1).map_or(end, |s| s.0.min(end));
                held += to.0.saturating_sub(from.0);
            }
            let expected = per_state[k].categories();
            let outcomes = (0..categories)
                .filter(|&c| tally.state_outcomes[k][c] > 0 || expected[c] > 0.0)
                .map(|c| {
                    let n = tally.state_outcomes[k][c];
                    StateOutcome {
                        name: category_name(t, c),
                        flows: n,
                        share: round6(n as f64 / flows[k] as f64),
                        expected_share: round6(expected[c]),
                    }
                })
                .collect();
            StateLine {
                state: describe(t, &timeline.states[k]),
                spans,
                seconds: secs(SimTime(held)),
                flows: flows[k],
                outcomes,
            }
        })
        .collect()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A category's name: a target's instance, or a failure reason's code.
fn category_name(t: &Topology, c: usize) -> String {
    match t.targets.get(c) {
        Some(x) => t.instances[x.instance.index()].name.clone(),
        None => FailReason::ALL[c - t.targets.len()].code().to_string(),
    }
}

/// A state in words: what differs from the scenario as written.
pub fn describe(t: &Topology, state: &State) -> String {
    let admin = state.admin();
    let initial = Admin::initial(t);
    let mut parts: Vec<String> = Vec::new();
    for (i, instance) in t.instances.iter().enumerate() {
        if admin.running[i] != initial.running[i] {
            parts.push(format!(
                "{} {}",
                instance.name,
                if admin.running[i] {
                    "started"
                } else {
                    "stopped"
                }
            ));
        } else if !admin.serving[i] {
            parts.push(format!("{}'s server down", instance.name));
        }
        if let Some(response) = admin.response_time[i] {
            parts.push(format!("{}'s server answers in {response}", instance.name));
        }
    }
    for (e, eni) in t.enis.iter().enumerate() {
        if admin.eni_active[e] != eni.initially_active {
            parts.push(format!(
                "{}'s ENI in {} {}",
                t.endpoints[eni.endpoint.index()].name,
                t.subnets[eni.subnet.index()].name,
                if admin.eni_active[e] {
                    "added"
                } else {
                    "removed"
                }
            ));
        }
    }
    for (z, impaired) in admin.impaired.iter().enumerate() {
        match impaired {
            Some(Impairment::Zone) => parts.push(format!("{} impaired", t.zones[z].az_id)),
            Some(Impairment::TargetsOnly) => {
                parts.push(format!("{}'s targets impaired", t.zones[z].az_id))
            }
            None => {}
        }
    }
    for (l, lb) in t.load_balancers.iter().enumerate() {
        if admin.lb_cross_zone[l] != lb.cross_zone {
            let on = if admin.lb_cross_zone[l] { "on" } else { "off" };
            parts.push(format!("cross-zone {on} on {}", lb.name));
        }
    }
    for (g, group) in t.target_groups.iter().enumerate() {
        if admin.tg_cross_zone[g] != group.cross_zone {
            parts.push(format!("{}'s cross-zone setting changed", group.name));
        }
    }
    for (group, direction, rule, on) in admin.rules.differences(&initial.rules) {
        parts.push(format!(
            "{} {} {}",
            t.security_groups[group.index()].name,
            SgRule::position(direction, rule),
            if on { "authorized" } else { "revoked" }
        ));
    }
    for (l, listener) in t.listeners.iter().enumerate() {
        if admin.forward[l] != listener.forward {
            parts.push(weights_words(t, l, &admin.forward[l]));
        }
    }
    let start = crate::rules::health::settle(t, &initial);
    for (i, &h) in state.all_health().iter().enumerate() {
        if h != start[i] {
            let x = &t.targets[i];
            parts.push(format!(
                "{} {}",
                t.instances[x.instance.index()].name,
                h.state_name()
            ));
        }
    }
    if parts.is_empty() {
        "as the scenario starts".into()
    } else {
        parts.join(", ")
    }
}

/// `weights 1/3 on nlb:80`: the weights of listener `l`'s forward, in its order.
fn weights_words(
    t: &Topology,
    l: usize,
    forward: &[(crate::model::ids::TargetGroupId, u16)],
) -> String {
    let listener = &t.listeners[l];
    let weights: Vec<String> = forward.iter().map(|(_, w)| w.to_string()).collect();
    format!(
        "weights {} on {}:{}",
        weights.join("/"),
        t.load_balancers[listener.load_balancer.index()].name,
        listener.port
    )
}

/// True when the security groups `admin` has in force drop new connections from some node of
/// `x`'s load balancer to `x` on its group's port (NLB-10, EV-7).
fn sg_denies(t: &Topology, admin: &Admin, x: TargetId) -> bool {
    let port = t.target_groups[t.targets[x.index()].target_group.index()].port;
    crate::rules::health::checking_nodes(t, x).any(|n| {
        matches!(
            crate::rules::nlb::reach(t, admin, n, x, port),
            Err(FailReason::TargetSgDeny | FailReason::NlbSgEgressDeny)
        )
    })
}

/// The targets an event acts on directly.
fn targets_of(t: &Topology, action: &Action) -> Vec<TargetId> {
    let all = (0..t.targets.len()).map(TargetId::from_index);
    match *action {
        Action::Crash(i) | Action::Recover(i) | Action::Stop(i) | Action::Start(i) => {
            all.filter(|x| t.targets[x.index()].instance == i).collect()
        }
        // A slow server stays healthy (EV-9), an endpoint's subnets are the consumer's (EV-10):
        // nothing to answer about a target's service.
        // A zonal shift moves clients between nodes, not targets out of service (EV-11).
        Action::Slow { .. } | Action::EndpointSubnet { .. } | Action::ZonalShift { .. } => {
            Vec::new()
        }
        Action::Deregister(x) | Action::Register(x) => vec![x],
        Action::ImpairZone { zone, .. } | Action::RestoreZone(zone) => {
            all.filter(|x| t.targets[x.index()].zone == zone).collect()
        }
        Action::Revoke { group, .. } | Action::Authorize { group, .. } => {
            all.filter(|&x| t.group_guards_target(group, x)).collect()
        }
        // Cross-zone settings and weights move shares between targets; they act on none.
        Action::LoadBalancerCrossZone { .. }
        | Action::TargetGroupCrossZone { .. }
        | Action::ListenerWeights { .. } => Vec::new(),
    }
}

/// The answers people ask of the run's events.
fn answers(t: &Topology, timeline: &Timeline, tally: &Tally, seed: u64) -> Vec<DerivedAnswer> {
    let walker = crate::walk::Walker::new(t, seed);
    let mut out = Vec::new();
    let end = tally.end;
    for event in &t.events {
        if event.at > end {
            continue;
        }
        for x in targets_of(t, &event.action) {
            let history = &timeline.history[x.index()];
            let before = timeline.health_since(x, SimTime(event.at.0.saturating_sub(1)));
            let in_service_before =
                event.at == SimTime::ZERO || before.health == TargetHealth::Healthy;
            let name = &t.instances[t.targets[x.index()].instance.index()].name;
            let next = |want: &dyn Fn(TargetHealth) -> bool| {
                history
                    .iter()
                    .find(|c| c.at >= event.at && c.at <= end && want(c.health))
            };
            // A revoke that cuts the target off from the nodes is a failure like a crash, an
            // authorize that lets them in again a recovery; a rule change another rule covers
            // changes nothing for it (EV-7).
            let denied = |at: SimTime| sg_denies(t, timeline.state_at(at).admin(), x);
            let sg_turns = |to_denied: bool| {
                denied(event.at) == to_denied
                    && denied(SimTime(event.at.0.saturating_sub(1))) != to_denied
            };
            let (revoke, authorize) = (
                matches!(event.action, Action::Revoke { .. }),
                matches!(event.action, Action::Authorize { .. }),
            );
            match event.action {
                Action::Crash(_) | Action::ImpairZone { .. } | Action::Revoke { .. }
                    if in_service_before && (!revoke || sg_turns(true)) =>
                {
                    let question = format!(
                        "After {}, how long did {name} still get new connections?",
                        event.label
                    );
                    let failed = failed_while_down(t, timeline, tally, x);
                    // The failure lasts until an event brings the target back, or the run ends.
                    let back = t
                        .events
                        .iter()
                        .filter(|e| e.at > event.at && targets_of(t, &e.action).contains(&x))
                        .find(|e| {
                            matches!(
                                e.action,
                                Action::Recover(_)
                                    | Action::RestoreZone(_)
                                    | Action::Authorize { .. }
                            )
                        })
                        .map_or(end, |e| e.at.min(end));
                    let out_at = timeline
                        .leaves_service(x, event.at, |state| walker.entry_nodes(state))
                        .filter(|&at| at < back);
                    let answer = match out_at {
                        Some(at) => {
                            let why = timeline.health_since(x, at);
                            DerivedAnswer {
                                event: key(event),
                                question,
                                answer: format!(
                                    "{:.1} s: until {:.1} s, when it turned {} ({}); {failed} connections sent to it while it could not answer failed",
                                    secs(at) - secs(event.at),
                                    secs(at),
                                    why.health.state_name(),
                                    cause_words(t, why.cause)
                                ),
                                seconds: Some(round6(secs(at) - secs(event.at))),
                                flows: Some(failed),
                            }
                        }
                        None => {
                            let group = &t.target_groups[t.targets[x.index()].target_group.index()];
                            let fails_open = if group.routing_failover == FailoverThreshold::DEFAULT
                            {
                                "a node with no healthy target in its scope fails open to it"
                            } else {
                                "a node whose healthy targets in scope fall below the group's routing failover threshold fails open to it"
                            };
                            let why = match next(&|h| h != TargetHealth::Healthy) {
                                Some(c) => format!(
                                    "its checks made it {} at {:.1} s, but {fails_open} (NLB-6)",
                                    c.health.state_name(),
                                    secs(c.at)
                                ),
                                None => "its checks had not taken it out".into(),
                            };
                            DerivedAnswer {
                                event: key(event),
                                question,
                                answer: format!(
                                    "for the whole failure, until {:.1} s: {why}; {failed} connections sent to it while it could not answer failed",
                                    secs(back)
                                ),
                                seconds: Some(round6(secs(back) - secs(event.at))),
                                flows: Some(failed),
                            }
                        }
                    };
                    out.push(answer);
                }
                Action::Recover(_)
                | Action::Start(_)
                | Action::Register(_)
                | Action::RestoreZone(_)
                | Action::Authorize { .. }
                    if !authorize || sg_turns(false) =>
                {
                    let question =
                        format!("After {}, when was {name} back in service?", event.label);
                    out.push(match next(&|h| h == TargetHealth::Healthy) {
                        Some(c) => DerivedAnswer {
                            event: key(event),
                            question,
                            answer: format!(
                                "{:.1} s later, at {:.1} s ({})",
                                secs(c.at) - secs(event.at),
                                secs(c.at),
                                cause_words(t, c.cause)
                            ),
                            seconds: Some(round6(secs(c.at) - secs(event.at))),
                            flows: None,
                        },
                        None => DerivedAnswer {
                            event: key(event),
                            question,
                            answer: "not by the end of the run".into(),
                            seconds: None,
                            flows: None,
                        },
                    });
                }
                Action::Stop(_) | Action::Deregister(_) => {
                    let question = format!(
                        "After {}, how long did {name} still get new connections?",
                        event.label
                    );
                    let state = timeline.health_since(x, event.at).health;
                    out.push(DerivedAnswer {
                        event: key(event),
                        question,
                        answer: format!(
                            "none: it was {} from the instant of the event, without waiting for checks",
                            state.label()
                        ),
                        seconds: Some(0.0),
                        flows: None,
                    });
                }
                _ => {}
            }
            if let Some(answer) = connections_answer(t, tally, event, x) {
                out.push(answer);
            }
        }
        if let Action::EndpointSubnet { eni, active: false } = event.action {
            let lost: u64 = timeline
                .states
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.admin().eni_active[eni.index()])
                .map(|(k, _)| {
                    tally.state_outcomes[k]
                        [t.targets.len() + FailReason::NoEndpointAtAddress.index()]
                })
                .sum();
            out.push(DerivedAnswer {
                event: key(event),
                question: format!(
                    "After {}, how many flows still went to the removed ENI?",
                    event.label
                ),
                answer: format!(
                    "{lost} flows of clients whose cached answer made curl pick it timed out (NO_ENDPOINT_AT_ADDRESS), until their answers expired (DNS-6, EV-10)"
                ),
                seconds: None,
                flows: Some(lost),
            });
        }
        if let Action::ImpairZone {
            zone,
            targets_only: false,
        } = event.action
        {
            let lost: u64 = timeline
                .states
                .iter()
                .enumerate()
                .filter(|(_, s)| s.admin().zone_down(zone))
                .map(|(k, _)| {
                    tally.state_outcomes[k][t.targets.len() + FailReason::ZoneImpaired.index()]
                })
                .sum();
            out.push(DerivedAnswer {
                event: key(event),
                question: format!(
                    "While {} was impaired, how many flows were lost?",
                    t.zones[zone.index()].az_id
                ),
                answer: format!(
                    "{lost} flows timed out (ZONE_IMPAIRED) at its endpoint ENIs, NLB nodes or targets"
                ),
                seconds: None,
                flows: Some(lost),
            });
        }
    }
    out
}

/// What an event did to the connections `x` held, when connections live (CONN-2 to CONN-4):
/// the connections that ended the way the event ends them, and when.
fn connections_answer(
    t: &Topology,
    tally: &Tally,
    event: &Event,
    x: TargetId,
) -> Option<DerivedAnswer> {
    t.workload.connection.as_ref()?;
    let end = match event.action {
        Action::Crash(_) | Action::Stop(_) => End::ResetByTarget,
        Action::Deregister(_) => End::ResetDeregistered,
        Action::ImpairZone { .. } => End::Lost,
        _ => return None,
    };
    let c = &tally.connections;
    let n = c.target_ends[x.index()][end.index()];
    let closed = c.target_ends[x.index()][End::Closed.index()];
    let name = &t.instances[t.targets[x.index()].instance.index()].name;
    let (first, last) = (
        secs(SimTime(c.first[end.index()])),
        secs(SimTime(c.last[end.index()])),
    );
    let when = match n {
        0 => String::new(),
        _ if first == last => format!(" at {first:.3} s"),
        _ => format!(" between {first:.3} s and {last:.3} s"),
    };
    Some(DerivedAnswer {
        event: key(event),
        question: format!(
            "After {}, what happened to the connections {name} held?",
            event.label
        ),
        answer: format!(
            "{n} ended {}{when} ({}); {closed} of its connections were closed by their clients",
            end.code(),
            end.rule()
        ),
        seconds: None,
        flows: Some(n),
    })
}

fn key(event: &Event) -> String {
    format!("events[{}]", event.index)
}

/// Flows picked for `x` that failed in states where it could not answer (its server down, its
/// zone impaired, or the security groups dropping the nodes' connections to it) and was still in
/// service.
fn failed_while_down(t: &Topology, timeline: &Timeline, tally: &Tally, x: TargetId) -> u64 {
    let target = &t.targets[x.index()];
    let column = t.targets.len() + FailReason::ALL.len() + x.index();
    timeline
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            !s.admin().answers(target.instance)
                || s.admin().targets_down(target.zone)
                || sg_denies(t, s.admin(), x)
        })
        .map(|(k, _)| tally.state_outcomes[k][column])
        .sum()
}
