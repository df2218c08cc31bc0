//! Health checks over time, in closed form (docs/model.md HC-5, HC-2).
//!
//! Modelled: each node checks each target on its own schedule: a first check at a phase drawn in
//! `[0, interval)` per (node, target), keyed by (seed, `health-check-phase`, node and target), so
//! that the nodes' checks are spread as AWS's distributed checks are; then one check after the
//! other. Whether a check passes is decided when it is sent, by what the target does at that
//! instant ([`Answer`]): a check that passes or is refused (nothing listens: a reset) is known at
//! once (a round trip is far below any interval), a check nobody answers fails at the timeout,
//! and the node sends its next check `interval` after the previous one, or after the timeout if
//! that is longer (one check in flight per node and target). A node's view turns unhealthy at the
//! result of the `unhealthy_threshold`-th consecutive failure and healthy at the result of the
//! `healthy_threshold`-th consecutive success. The target is healthy while every node's view is
//! (HC-2).
//!
//! The target's behaviour is given as stretches of constant [`Answer`]; within a stretch the
//! checks are evenly spaced and all alike, so a node's view is computed per stretch, not per
//! check: the cost is the number of stretches, whatever the run's length (a century of 30 s
//! checks is no more work than a minute). [`checked_one_by_one`] is the same rule check by check,
//! the reference the tests compare against.
//!
//! Not modelled here: passive health checks (their timing is unpublished, docs/model.md HC-5),
//! and where the stretches come from (the scheduled events and faults of the time issue).
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html>

use crate::rng;
use crate::time::{SimTime, Span};

/// A target group's health check settings (HC-4 gives the ranges and defaults).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CheckSettings {
    /// Time between a node's checks of one target.
    pub interval: Span,
    /// Time after which an unanswered check fails.
    pub timeout: Span,
    /// Consecutive successes that make an unhealthy target healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a healthy target unhealthy.
    pub unhealthy_threshold: u32,
}

/// What a target does with a check sent to it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The handshake completes: the check passes at once.
    Passes,
    /// Nothing listens: a reset, the check fails at once.
    Refused,
    /// Nothing answers (a dropped packet, a dead host or zone): the check fails at the timeout.
    Silent,
}

impl Answer {
    fn passes(self) -> bool {
        self == Answer::Passes
    }
}

/// From `from` on (until the next stretch), the target answers checks with `answer`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stretch {
    /// Start of the stretch.
    pub from: SimTime,
    /// What checks sent during it get.
    pub answer: Answer,
}

/// A change of a view: from `at` on, healthy or not.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Flip {
    /// When the deciding check's result is known.
    pub at: SimTime,
    /// The view from then on.
    pub healthy: bool,
}

/// The first check of `node` on `target` under `seed`: a phase in `[0, interval)`, keyed by
/// (seed, `health-check-phase`, `node/target`) so that it depends on nothing else (HC-5).
pub fn first_check(seed: u64, node: &str, target: &str, interval: Span) -> SimTime {
    let key = rng::keyed(seed, "health-check-phase", &format!("{node}/{target}"));
    SimTime(rng::below(rng::draw(key, 0), interval.as_nanos().max(1)))
}

/// One node's view of one target from time 0 to `until` (checks sent before `until`): the flips,
/// in time order, starting from `healthy_at_start` with its threshold already met (HC-4: health
/// is settled at the start). `stretches` are in time order, the first from 0; the checks go out
/// at `first`, then one after the other (see the module documentation).
pub fn node_view(
    settings: &CheckSettings,
    first: SimTime,
    healthy_at_start: bool,
    stretches: &[Stretch],
    until: SimTime,
) -> Vec<Flip> {
    debug_assert!(stretches.first().is_none_or(|s| s.from == SimTime(0)));
    let mut view = Counting::new(healthy_at_start);
    let mut next = u128::from(first.0);
    let until = u128::from(until.0);
    for (i, stretch) in stretches.iter().enumerate() {
        let end = stretches
            .get(i + 1)
            .map_or(until, |s| u128::from(s.from.0))
            .min(until);
        if next >= end {
            continue;
        }
        let period = u128::from(period(settings, stretch.answer).as_nanos());
        let checks = (end - next).div_ceil(period);
        let delay = u128::from(result_delay(settings, stretch.answer).as_nanos());
        view.checks(settings, stretch.answer.passes(), checks, |k| {
            SimTime(clamp(next + k * period + delay))
        });
        next += checks * period;
    }
    view.flips
}

/// [`node_view`] check by check: the reference the closed form is tested against.
pub fn checked_one_by_one(
    settings: &CheckSettings,
    first: SimTime,
    healthy_at_start: bool,
    stretches: &[Stretch],
    until: SimTime,
) -> Vec<Flip> {
    let mut view = Counting::new(healthy_at_start);
    let mut at = first.0;
    while at < until.0 {
        let answer = stretches
            .iter()
            .rev()
            .find(|s| s.from.0 <= at)
            .map_or(Answer::Passes, |s| s.answer);
        let result = SimTime(at.saturating_add(result_delay(settings, answer).as_nanos()));
        view.checks(settings, answer.passes(), 1, |_| result);
        at = at.saturating_add(period(settings, answer).as_nanos());
    }
    view.flips
}

/// The target's health from the nodes' views (HC-2): healthy while every view is. Flips at the
/// same instant are applied together, so the result has one flip per instant at most.
pub fn consensus(views: &[Vec<Flip>], healthy_at_start: bool) -> Vec<Flip> {
    consensus_from(views, &vec![healthy_at_start; views.len()])
}

/// [`consensus`] of views that start from their own states (`starts`, one per view): nodes can
/// disagree at the start of a run (HC-4).
pub fn consensus_from(views: &[Vec<Flip>], starts: &[bool]) -> Vec<Flip> {
    let mut all: Vec<(SimTime, bool)> = views.iter().flatten().map(|f| (f.at, f.healthy)).collect();
    all.sort_by_key(|&(at, _)| at);
    let mut unhealthy_views = starts.iter().filter(|&&h| !h).count();
    let mut healthy = unhealthy_views == 0;
    let mut flips = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let at = all[i].0;
        while i < all.len() && all[i].0 == at {
            if all[i].1 {
                unhealthy_views -= 1;
            } else {
                unhealthy_views += 1;
            }
            i += 1;
        }
        if (unhealthy_views == 0) != healthy {
            healthy = unhealthy_views == 0;
            flips.push(Flip { at, healthy });
        }
    }
    flips
}

/// Time from one check to the next: the interval, or the timeout when a check waits for it and
/// it is longer.
fn period(settings: &CheckSettings, answer: Answer) -> Span {
    match answer {
        Answer::Silent => settings.interval.max(settings.timeout),
        Answer::Passes | Answer::Refused => settings.interval,
    }
}

/// Time from sending a check to knowing its result.
fn result_delay(settings: &CheckSettings, answer: Answer) -> Span {
    match answer {
        Answer::Silent => settings.timeout,
        Answer::Passes | Answer::Refused => Span(0),
    }
}

fn clamp(ns: u128) -> u64 {
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// A node's consecutive results and its view.
struct Counting {
    healthy: bool,
    /// Consecutive results against the current view (successes while unhealthy, failures while
    /// healthy); results that agree with the view reset it.
    against: u128,
    flips: Vec<Flip>,
}

impl Counting {
    fn new(healthy: bool) -> Counting {
        Counting {
            healthy,
            against: 0,
            flips: Vec::new(),
        }
    }

    /// Counts `count` consecutive results, all passing or all failing; `result_of(k)` is when the
    /// `k`-th of them (from 0) is known.
    fn checks(
        &mut self,
        settings: &CheckSettings,
        pass: bool,
        count: u128,
        result_of: impl Fn(u128) -> SimTime,
    ) {
        if count == 0 {
            return;
        }
        if pass == self.healthy {
            self.against = 0;
            return;
        }
        let threshold = u128::from(if pass {
            settings.healthy_threshold
        } else {
            settings.unhealthy_threshold
        })
        .max(1);
        let needed = threshold - self.against.min(threshold);
        if count >= needed {
            self.flips.push(Flip {
                at: result_of(needed - 1),
                healthy: pass,
            });
            self.healthy = pass;
            // The checks after the deciding one agree with the new view.
            self.against = 0;
        } else {
            self.against += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_SETTINGS: CheckSettings = CheckSettings {
        interval: Span::from_secs(30),
        timeout: Span::from_secs(10),
        healthy_threshold: 3,
        unhealthy_threshold: 3,
    };

    /// The instant `secs` seconds into the run.
    fn at(secs: u64) -> SimTime {
        SimTime(Span::from_secs(secs).as_nanos())
    }

    fn stretch(secs: u64, answer: Answer) -> Stretch {
        Stretch {
            from: at(secs),
            answer,
        }
    }

    fn secs(t: SimTime) -> f64 {
        t.0 as f64 / 1e9
    }

    #[test]
    fn the_seed_target_failure_is_seen_after_three_checks_and_recovered_after_three() {
        // web-2 stops listening at 300 s and listens again at 900 s; first check at 5 s.
        let stretches = [
            stretch(0, Answer::Passes),
            stretch(300, Answer::Refused),
            stretch(900, Answer::Passes),
        ];
        let first = at(5);
        let until = at(3600);
        let flips = node_view(&SEED_SETTINGS, first, true, &stretches, until);
        // Failing checks at 305, 335, 365 s: unhealthy at 365 s. Passing at 905, 935, 965 s.
        assert_eq!(
            flips
                .iter()
                .map(|f| (secs(f.at), f.healthy))
                .collect::<Vec<_>>(),
            [(365.0, false), (965.0, true)]
        );
    }

    #[test]
    fn an_unanswered_check_fails_at_its_timeout_and_delays_the_next_when_longer() {
        let settings = CheckSettings {
            interval: Span::from_secs(5),
            timeout: Span::from_secs(8),
            healthy_threshold: 2,
            unhealthy_threshold: 2,
        };
        let stretches = [stretch(0, Answer::Passes), stretch(10, Answer::Silent)];
        let until = at(100);
        let flips = node_view(&settings, SimTime(0), true, &stretches, until);
        // Checks at 0, 5 (pass), 10 (silent, fails at 18), 18 (fails at 26).
        assert_eq!(
            flips,
            [Flip {
                at: at(26),
                healthy: false
            }]
        );
        assert_eq!(
            flips,
            checked_one_by_one(&settings, SimTime(0), true, &stretches, until)
        );
    }

    #[test]
    fn a_blip_shorter_than_the_threshold_changes_nothing() {
        let stretches = [
            stretch(0, Answer::Passes),
            stretch(100, Answer::Refused),
            stretch(150, Answer::Passes),
        ];
        let until = at(1000);
        assert!(node_view(&SEED_SETTINGS, SimTime(0), true, &stretches, until).is_empty());
    }

    #[test]
    fn the_target_is_healthy_only_while_every_node_says_so() {
        let views = vec![
            vec![
                Flip {
                    at: at(10),
                    healthy: false,
                },
                Flip {
                    at: at(50),
                    healthy: true,
                },
            ],
            vec![
                Flip {
                    at: at(20),
                    healthy: false,
                },
                Flip {
                    at: at(40),
                    healthy: true,
                },
            ],
            vec![],
        ];
        assert_eq!(
            consensus(&views, true),
            [
                Flip {
                    at: at(10),
                    healthy: false
                },
                Flip {
                    at: at(50),
                    healthy: true
                }
            ]
        );
        // Flips of two nodes at one instant are one flip of the target, or none.
        let views = vec![
            vec![
                Flip {
                    at: at(10),
                    healthy: false,
                },
                Flip {
                    at: at(30),
                    healthy: true,
                },
            ],
            vec![Flip {
                at: at(30),
                healthy: false,
            }],
        ];
        assert_eq!(
            consensus(&views, true),
            [Flip {
                at: at(10),
                healthy: false
            }]
        );
    }

    #[test]
    fn phases_are_spread_over_the_interval_and_keyed_by_node_and_target() {
        let interval = Span::from_secs(30);
        let a = first_check(1, "node-a", "web-1", interval);
        assert_eq!(a, first_check(1, "node-a", "web-1", interval));
        assert_ne!(a, first_check(1, "node-b", "web-1", interval));
        assert_ne!(a, first_check(2, "node-a", "web-1", interval));
        let phases: Vec<u64> = (0..1000)
            .map(|i| first_check(7, "n", &format!("t{i}"), interval).0)
            .collect();
        assert!(phases.iter().all(|&p| p < interval.as_nanos()));
        let early = phases
            .iter()
            .filter(|&&p| p < interval.as_nanos() / 2)
            .count();
        assert!(
            (400..600).contains(&early),
            "{early} of 1000 in the first half"
        );
    }

    /// The closed form is the check-by-check rule, on random settings, phases, starting views and
    /// timelines (seeded, so the same cases every run).
    #[test]
    fn the_closed_form_is_the_checks_one_by_one() {
        let mut state = 0x0c4e_c4ed_u64;
        let mut next = |n: u64| rng::splitmix64(&mut state) % n;
        let mut flips_seen = 0;
        for _ in 0..3000 {
            let settings = CheckSettings {
                interval: Span::from_secs(5 + next(296)),
                timeout: Span::from_secs(2 + next(119)),
                healthy_threshold: 2 + next(9) as u32,
                unhealthy_threshold: 2 + next(9) as u32,
            };
            let answers = [Answer::Passes, Answer::Refused, Answer::Silent];
            let mut stretches = vec![Stretch {
                from: SimTime(0),
                answer: answers[next(3) as usize],
            }];
            let mut at = 0;
            for _ in 0..next(12) {
                // Stretches from a nanosecond to an hour, some on a check's instant.
                at += 1 + next(3_600_000_000_000);
                stretches.push(Stretch {
                    from: SimTime(at),
                    answer: answers[next(3) as usize],
                });
            }
            let first = SimTime(next(settings.interval.as_nanos()));
            let until = SimTime(at + next(7_200_000_000_000));
            let healthy = next(2) == 0;
            let closed = node_view(&settings, first, healthy, &stretches, until);
            let one_by_one = checked_one_by_one(&settings, first, healthy, &stretches, until);
            assert_eq!(
                closed, one_by_one,
                "{settings:?} first {first:?} {stretches:?}"
            );
            flips_seen += closed.len();
        }
        assert!(flips_seen > 3000, "the cases flip views: {flips_seen}");
    }

    #[test]
    fn a_century_of_checks_costs_its_stretches_not_its_checks() {
        let century = SimTime(100 * 365 * 86_400 * 1_000_000_000);
        let stretches = [
            stretch(0, Answer::Passes),
            stretch(1_000_000_000, Answer::Silent),
        ];
        let flips = node_view(&SEED_SETTINGS, SimTime(0), true, &stretches, century);
        // 10^9 s in: the checks at 10^9 + 20, 50, 80 s fail (every 30 s from 0), the last at its
        // 10 s timeout.
        assert_eq!(
            flips,
            [Flip {
                at: SimTime((1_000_000_000 + 90) * 1_000_000_000),
                healthy: false
            }]
        );
    }
}
