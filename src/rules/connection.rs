//! Connections that live (docs/model.md CONN-1 to CONN-6): how long a workload's connection stays
//! open, the keep-alive requests it carries, and what the state changes of a run do to it while it
//! is open.
//!
//! Modelled: a connection opens when its first request is answered (the flow the distribution
//! counts) and stays open until its client closes it, `duration` after its establishment (fixed,
//! or exponential with that mean, drawn per flow keyed by (seed, `connection-duration`, flow):
//! CONN-1); with `request_interval`, the client sends a request every that long (the first at
//! establishment). While it is open, the first of these ends it ([`fate`]):
//! - its target's web server crashes or its instance stops: the target resets it (CONN-4);
//! - its target turns `unhealthy` and its node does not fail open to it: the NLB resets it, or,
//!   with `target_health_state.unhealthy.connection_termination.enabled = false`, after
//!   `draining_interval_seconds` unless the target is healthy again by then (CONN-2);
//! - its target's deregistration delay ends, with `deregistration_delay.connection_termination`
//!   enabled: the NLB resets it; without, it stays open (CONN-3);
//! - a zone on its path (the ENI's, the node's, the target's) is impaired, or its ENI leaves the
//!   endpoint (EV-10): it is lost, and the client learns it at its next request, which times out,
//!   or when it closes (CONN-4);
//! - no packet for the listener's idle timeout (350 s by default): the node forgets it and resets
//!   the client's next packet (CONN-5).
//!
//! Not modelled: requests' own durations (a request and its response take no time on an open
//! connection), retransmissions, TCP keepalives, a client that reconnects.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-target-groups.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html>

use crate::model::ids::{EniId, NodeId, TargetId};
use crate::model::{Connection, Topology, Transport};
use crate::rng;
use crate::rules::health::{TargetHealth, UnusedReason};
use crate::time::{SimTime, Span};
use crate::timeline::Timeline;

/// How an open connection ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    /// The client closed it.
    Closed,
    /// Its target reset it: the web server crashed or the instance stopped (CONN-4).
    ResetByTarget,
    /// The NLB reset it: its target turned unhealthy (CONN-2).
    ResetUnhealthy,
    /// The NLB reset it: its target's deregistration delay ended, with connection termination
    /// (CONN-3).
    ResetDeregistered,
    /// The NLB had forgotten it after the idle timeout and reset the client's next packet
    /// (CONN-5).
    IdleTimeout,
    /// A zone on its path was impaired: the client's next request timed out (CONN-4).
    Lost,
    /// A UDP flow silent for longer than the listener keeps it (120 s): its next datagram was a
    /// new flow at the node, and the same 5-tuple hash picked another target (NLB-17).
    Rehashed,
}

impl End {
    /// Every way, in report order.
    pub const ALL: [End; 7] = [
        End::Closed,
        End::ResetByTarget,
        End::ResetUnhealthy,
        End::ResetDeregistered,
        End::IdleTimeout,
        End::Lost,
        End::Rehashed,
    ];

    /// Position in [`End::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its code in reports.
    pub fn code(self) -> &'static str {
        match self {
            End::Closed => "CLOSED",
            End::ResetByTarget => "RESET_BY_TARGET",
            End::ResetUnhealthy => "RESET_UNHEALTHY",
            End::ResetDeregistered => "RESET_DEREGISTERED",
            End::IdleTimeout => "IDLE_TIMEOUT",
            End::Lost => "LOST",
            End::Rehashed => "REHASHED",
        }
    }

    /// The rule that gives it.
    pub fn rule(self) -> &'static str {
        match self {
            End::Closed => "CONN-1",
            End::ResetByTarget | End::Lost => "CONN-4",
            End::ResetUnhealthy => "CONN-2",
            End::ResetDeregistered => "CONN-3",
            End::IdleTimeout => "CONN-5",
            End::Rehashed => "NLB-17",
        }
    }

    /// The rule that gives it, as a trace cites it.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            End::Closed => &["CONN-1"],
            End::ResetByTarget | End::Lost => &["CONN-4"],
            End::ResetUnhealthy => &["CONN-2"],
            End::ResetDeregistered => &["CONN-3"],
            End::IdleTimeout => &["CONN-5"],
            End::Rehashed => &["NLB-17", "NLB-9"],
        }
    }

    /// True for the resets the NLB sends (CloudWatch's `TCP_ELB_Reset_Count`).
    pub fn by_load_balancer(self) -> bool {
        matches!(
            self,
            End::ResetUnhealthy | End::ResetDeregistered | End::IdleTimeout
        )
    }
}

/// One connection, open from its first answer until its client closes it.
#[derive(Copy, Clone, Debug)]
pub struct Open {
    /// When the client got the SYN-ACK.
    pub established: SimTime,
    /// When the first response arrived.
    pub answered: SimTime,
    /// When the client closes it, if nothing ends it first.
    pub close: SimTime,
    /// Its endpoint ENI (`None` for a direct client of the NLB).
    pub eni: Option<EniId>,
    /// Its NLB node.
    pub node: NodeId,
    /// Its target.
    pub target: TargetId,
    /// The flow hash its node picked the target with, when known (a UDP flow's 5-tuple hash
    /// picks again after the flow idles out: NLB-17).
    pub hash: Option<u64>,
}

/// How a connection ended, when, and the requests it carried.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fate {
    /// When the client saw the end.
    pub at: SimTime,
    /// How.
    pub end: End,
    /// Requests sent on it, the first included.
    pub requests: u64,
    /// Of those, the one that met the end (a request that timed out or was reset), if any.
    pub requests_failed: u64,
}

/// The key of the connections' durations under `seed`: (seed, `connection-duration`).
pub fn duration_key(seed: u64) -> u64 {
    rng::keyed(seed, "connection-duration", "")
}

/// How long flow `flow`'s connection stays open after its establishment, its durations keyed
/// `key` ([`duration_key`]) (CONN-1).
pub fn duration(key: u64, flow: u64, spec: &Connection) -> Span {
    if !spec.exponential {
        return spec.duration;
    }
    crate::sim::arrivals::arrival_gap(rng::draw(key, flow), spec.duration.as_nanos() as f64)
}

/// The connection `open` with its workload's `spec`: when and how it ends, in the run whose
/// states `timeline` gives (CONN-1 to CONN-5).
pub fn fate(t: &Topology, timeline: &Timeline, spec: &Connection, open: &Open) -> Fate {
    let x = &t.targets[open.target.index()];
    let group = &t.target_groups[x.target_group.index()];
    let instance = x.instance;
    let node_zone = t.nodes[open.node.index()].zone;
    let eni_zone = open.eni.map(|e| t.enis[e.index()].zone);
    // The client's next packet at or after `at`: its next request, or its close.
    let next_activity = |at: SimTime| -> SimTime {
        match spec.request_interval {
            Some(p) if p.0 > 0 => {
                let since = at.0.saturating_sub(open.established.0);
                let k = since.div_ceil(p.0);
                let r = open.established.0.saturating_add(k.saturating_mul(p.0));
                SimTime(r.min(open.close.0))
            }
            _ => open.close,
        }
    };
    let mut ended: Option<(SimTime, End)> = None;
    let mut draining_until: Option<SimTime> = None;
    let spans = &timeline.spans;
    let mut i = timeline.span_at(open.answered);
    while i < spans.len() && spans[i].0 <= open.close {
        let at = spans[i].0.max(open.answered);
        let next = spans.get(i + 1).map_or(SimTime(u64::MAX), |s| s.0);
        let state = &timeline.states[spans[i].1 as usize];
        let admin = state.admin();
        if !admin.answers(instance) {
            ended = Some((at, End::ResetByTarget));
            break;
        }
        if admin.targets_down(x.zone)
            || admin.zone_down(node_zone)
            || eni_zone.is_some_and(|z| admin.zone_down(z))
            || open.eni.is_some_and(|e| !admin.eni_active[e.index()])
        {
            ended = Some((next_activity(at), End::Lost));
            break;
        }
        let health = state.health(open.target);
        match health {
            TargetHealth::Healthy => draining_until = None,
            TargetHealth::Unhealthy(_) | TargetHealth::UnhealthyDraining(_)
                if !state
                    .eligible(open.node, x.target_group)
                    .targets
                    .contains(&open.target) =>
            {
                if group.unhealthy_termination {
                    ended = Some((at, End::ResetUnhealthy));
                    break;
                }
                draining_until.get_or_insert(at.after(group.unhealthy_draining));
            }
            TargetHealth::Unused(UnusedReason::NotRegistered)
                if group.deregistration_termination =>
            {
                ended = Some((at, End::ResetDeregistered));
                break;
            }
            _ => {}
        }
        if let Some(until) = draining_until {
            if until < next && until <= open.close {
                ended = Some((until, End::ResetUnhealthy));
                break;
            }
        }
        i += 1;
    }
    // The idle timeout: the longest silence is from the first answer to the next packet.
    let lb = t.nodes[open.node.index()].load_balancer;
    let idle = crate::rules::nlb::listener_on(t, lb, t.workload.port)
        .map_or(Span::from_secs(350), |l| {
            t.listeners[l.index()].idle_timeout
        });
    if t.workload.protocol == Transport::Udp {
        // No reset for UDP: a datagram after a longer silence than the node keeps a UDP flow
        // (120 s, on UDP and TCP_UDP listeners alike) is a new flow, hashed again.
        if let Some(moved) = rehashed(timeline, spec, open, x.target_group, UDP_FLOW_IDLE) {
            if ended.is_none_or(|(at, _)| moved.0 < at) {
                ended = Some(moved);
            }
        }
    } else {
        let next_packet = next_activity(SimTime(open.answered.0.saturating_add(1)));
        if next_packet.0.saturating_sub(open.answered.0) > idle.0
            && ended.is_none_or(|(at, _)| next_packet < at)
        {
            ended = Some((next_packet, End::IdleTimeout));
        }
    }
    let (at, end) = ended.unwrap_or((open.close, End::Closed));
    let (requests, requests_failed) = requests(spec, open, at, end);
    Fate {
        at,
        end,
        requests,
        requests_failed,
    }
}

/// Requests sent on a connection that ended at `at` as `end`, and whether one failed: one at
/// establishment, then one every interval before the close; a reset ends the requests before
/// it; a lost or forgotten connection fails the request that finds it so (none when the close
/// finds it).
/// How long a node keeps an idle UDP flow (NLB-17).
pub const UDP_FLOW_IDLE: Span = Span::from_secs(120);

/// When a UDP flow that sends a datagram every `spec.request_interval`, longer than the node's
/// `idle` (120 s for UDP listeners), is first hashed to another target than its own: each such
/// datagram is a new flow at the node, and its unchanged 5-tuple hash picks among the node's
/// eligible targets of that time (NLB-17). `Lost` when the node then has none.
fn rehashed(
    timeline: &Timeline,
    spec: &Connection,
    open: &Open,
    group: crate::model::ids::TargetGroupId,
    idle: Span,
) -> Option<(SimTime, End)> {
    let p = spec.request_interval.filter(|p| p.0 > idle.0)?;
    let hash = open.hash?;
    let spans = &timeline.spans;
    let first = open.established.0.saturating_add(p.0);
    let mut i = timeline.span_at(SimTime(first));
    while i < spans.len() && spans[i].0 < open.close {
        let next = spans.get(i + 1).map_or(u64::MAX, |s| s.0.0);
        // The first datagram at or after the span's start: established + k p, k >= 1.
        let from = spans[i].0.0.max(first);
        let k = from.saturating_sub(open.established.0).div_ceil(p.0);
        let datagram = open.established.0.saturating_add(k.saturating_mul(p.0));
        if datagram < next && datagram < open.close.0 {
            let eligible = timeline.states[spans[i].1 as usize].eligible(open.node, group);
            if eligible.targets.is_empty() {
                return Some((SimTime(datagram), End::Lost));
            }
            if eligible.targets[crate::rules::nlb::pick::TargetPick::pick(&eligible.picker, hash)]
                != open.target
            {
                return Some((SimTime(datagram), End::Rehashed));
            }
        }
        i += 1;
    }
    None
}

fn requests(spec: &Connection, open: &Open, at: SimTime, end: End) -> (u64, u64) {
    let Some(p) = spec.request_interval.filter(|p| p.0 > 0) else {
        return (1, 0);
    };
    let sent_before = |t: SimTime| t.0.saturating_sub(open.established.0).div_ceil(p.0).max(1);
    match end {
        End::Lost | End::IdleTimeout | End::Rehashed if at < open.close => (sent_before(at) + 1, 1),
        _ => (sent_before(at), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::events::{Action, Event};
    use crate::model::ids::{InstanceId, ZoneId};

    fn secs(x: f64) -> SimTime {
        SimTime((x * 1e9) as u64)
    }

    /// The seed with cross-zone on and these events; connections to web-2 (target 1) through
    /// the ENI and node of use1-az1.
    fn topology(edit: &dyn Fn(&mut Topology), events: &[(f64, Action)]) -> Topology {
        let s = crate::scenario::parse(
            "t.toml",
            "t",
            include_str!("../../scenarios/crosszone.toml"),
        )
        .unwrap();
        let mut t = s.variants[1].topology.clone();
        t.events = events
            .iter()
            .enumerate()
            .map(|(index, &(at, action))| Event {
                at: secs(at),
                action,
                index,
                label: String::new(),
            })
            .collect();
        edit(&mut t);
        t
    }

    fn end_of(t: &Topology, spec: Connection, from: f64, to: f64) -> Fate {
        let timeline = Timeline::new(t, 1, secs(10_000.0));
        let open = Open {
            established: secs(from),
            answered: secs(from + 0.001),
            close: secs(to),
            eni: Some(EniId(0)),
            hash: None,
            node: NodeId(0),
            target: TargetId(1),
        };
        fate(t, &timeline, &spec, &open)
    }

    const KEEP_ALIVE: Connection = Connection {
        duration: Span::from_secs(1000),
        exponential: false,
        request_interval: Some(Span::from_secs(10)),
    };

    #[test]
    fn a_connection_nothing_meets_is_closed_by_its_client() {
        let t = topology(&|_| {}, &[]);
        let f = end_of(&t, KEEP_ALIVE, 5.0, 105.0);
        assert_eq!(
            (f.end, f.at, f.requests, f.requests_failed),
            (End::Closed, secs(105.0), 10, 0)
        );
    }

    #[test]
    fn a_crash_resets_at_once_and_checks_do_not_matter() {
        let t = topology(&|_| {}, &[(50.0, Action::Crash(InstanceId(1)))]);
        let f = end_of(&t, KEEP_ALIVE, 5.0, 500.0);
        assert_eq!(
            (f.end, f.at, f.requests),
            (End::ResetByTarget, secs(50.0), 5)
        );
    }

    #[test]
    fn an_impaired_zone_loses_the_connection_at_the_next_request() {
        let t = topology(
            &|_| {},
            &[(
                52.0,
                Action::ImpairZone {
                    zone: ZoneId(1),
                    targets_only: true,
                },
            )],
        );
        let f = end_of(&t, KEEP_ALIVE, 5.0, 500.0);
        // Requests at 5, 15, ..., 55: the one at 55 s finds it lost.
        assert_eq!(
            (f.end, f.at, f.requests, f.requests_failed),
            (End::Lost, secs(55.0), 6, 1)
        );
    }

    #[test]
    fn deregistration_resets_only_with_termination_when_the_delay_ends() {
        let events = [(50.0, Action::Deregister(TargetId(1)))];
        let t = topology(&|_| {}, &events);
        assert_eq!(end_of(&t, KEEP_ALIVE, 5.0, 500.0).end, End::Closed);
        let t = topology(
            &|t| t.target_groups[0].deregistration_termination = true,
            &events,
        );
        let f = end_of(&t, KEEP_ALIVE, 5.0, 500.0);
        assert_eq!((f.end, f.at), (End::ResetDeregistered, secs(350.0)));
        let t = topology(
            &|t| {
                t.target_groups[0].deregistration_termination = true;
                t.target_groups[0].deregistration_delay = Span(0);
            },
            &events,
        );
        assert_eq!(end_of(&t, KEEP_ALIVE, 5.0, 500.0).at, secs(50.0));
    }

    #[test]
    fn an_idle_connection_is_reset_at_its_close_after_the_idle_timeout() {
        let t = topology(&|_| {}, &[]);
        let idle = Connection {
            request_interval: None,
            ..KEEP_ALIVE
        };
        // 350 s by default: idle for 400 s is reset when the client closes; 300 s is not.
        let f = end_of(&t, idle, 5.0, 405.0);
        assert_eq!(
            (f.end, f.at, f.requests, f.requests_failed),
            (End::IdleTimeout, secs(405.0), 1, 0)
        );
        assert_eq!(end_of(&t, idle, 5.0, 305.0).end, End::Closed);
        // Requests every 400 s: the second finds the connection forgotten, and fails.
        let sparse = Connection {
            request_interval: Some(Span::from_secs(400)),
            ..KEEP_ALIVE
        };
        let f = end_of(&t, sparse, 5.0, 900.0);
        assert_eq!(
            (f.end, f.at, f.requests, f.requests_failed),
            (End::IdleTimeout, secs(405.0), 2, 1)
        );
    }

    /// A timeline whose target health is set by hand: web-2 healthy, then `unhealthy` from 100 s,
    /// then healthy again from `back` (if any); `all_unhealthy`: every target too (the node
    /// fails open).
    fn by_hand(t: &Topology, back: Option<f64>, all_unhealthy: bool) -> Timeline {
        use crate::rules::health::UnhealthyReason;
        use crate::state::{Admin, State, bindings};
        let state = |sick: &[usize]| {
            let health = (0..t.targets.len())
                .map(|i| {
                    if sick.contains(&i) {
                        TargetHealth::Unhealthy(UnhealthyReason::Recovering)
                    } else {
                        TargetHealth::Healthy
                    }
                })
                .collect();
            State::new(t, bindings(t, 1), Admin::initial(t), health)
        };
        let sick: &[usize] = if all_unhealthy { &[0, 1, 2] } else { &[1] };
        let mut spans = vec![(SimTime::ZERO, 0), (secs(100.0), 1)];
        if let Some(back) = back {
            spans.push((secs(back), 0));
        }
        Timeline {
            states: vec![state(&[]), state(sick)],
            spans,
            history: vec![Vec::new(); t.targets.len()],
        }
    }

    #[test]
    fn an_unhealthy_target_s_connections_are_reset_drained_or_kept_failing_open() {
        let open = Open {
            established: secs(5.0),
            answered: secs(5.001),
            close: secs(500.0),
            eni: Some(EniId(0)),
            hash: None,
            node: NodeId(0),
            target: TargetId(1),
        };
        let end = |t: &Topology, timeline: &Timeline| {
            let f = fate(t, timeline, &KEEP_ALIVE, &open);
            (f.end, f.at)
        };
        // Termination on (the default): reset when it turns unhealthy.
        let t = topology(&|_| {}, &[]);
        assert_eq!(
            end(&t, &by_hand(&t, None, false)),
            (End::ResetUnhealthy, secs(100.0))
        );
        // Every target unhealthy: the node fails open to them, nothing is reset (NLB-6).
        assert_eq!(
            end(&t, &by_hand(&t, None, true)),
            (End::Closed, secs(500.0))
        );
        // Termination off, 30 s of draining: reset at its end, unless healthy again by then.
        let t = topology(
            &|t| {
                t.target_groups[0].unhealthy_termination = false;
                t.target_groups[0].unhealthy_draining = Span::from_secs(30);
            },
            &[],
        );
        assert_eq!(
            end(&t, &by_hand(&t, None, false)),
            (End::ResetUnhealthy, secs(130.0))
        );
        assert_eq!(
            end(&t, &by_hand(&t, Some(120.0), false)),
            (End::Closed, secs(500.0))
        );
    }
}
