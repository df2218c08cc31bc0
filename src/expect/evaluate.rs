//! The verdict of each expectation: read from the report of the variants that ran, or from the
//! validation errors of a variant the scenario expects to be refused.

use serde::Serialize;

use super::{Check, Leg, ShareTest, Subject, percent};
use crate::output::report::{Counts, Report, VariantReport};
use crate::scenario::Scenario;
use crate::time::Span;

/// Whether an expectation held.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It held.
    Holds,
    /// It did not.
    Fails,
    /// Its variant was not run (`--variant` left it out).
    NotRun,
}

/// One expectation judged in one variant.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Its key path in the scenario (`expect[2]`).
    pub key: String,
    /// The variant.
    pub variant: String,
    /// What it says.
    pub what: String,
    /// The check, in the words of its keys (`target web-1: share 100%`).
    pub expected: String,
    /// Held or not.
    pub outcome: Outcome,
    /// What the run (or validation) showed.
    pub observed: String,
    /// The quiz choice it proves, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proves: Option<String>,
    /// The quiz choices it refutes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refutes: Vec<String>,
}

/// Every expectation of `scenario` judged against `report` (the run of its variants that
/// validated; `None` when none ran). An expectation without a variant is judged in each variant
/// that ran, in report order.
pub fn evaluate(scenario: &Scenario, report: Option<&Report>) -> Vec<Verdict> {
    let mut out = Vec::new();
    for e in &scenario.expectations {
        let verdict = |variant: &str, (outcome, observed): (Outcome, String)| Verdict {
            key: format!("expect[{}]", e.index),
            variant: variant.to_string(),
            what: e.what.clone(),
            expected: e.check.words(),
            outcome,
            observed,
            proves: e.proves.clone(),
            refutes: e.refutes.clone(),
        };
        if let Check::Refused { rule } = &e.check {
            let name = e.variant.as_deref().expect("validation requires a variant");
            out.push(verdict(name, refused(scenario, name, rule)));
            continue;
        }
        let flows = report.map_or(0, |r| r.flows);
        let ran: Vec<&VariantReport> = report
            .map(|r| r.variants.iter().collect())
            .unwrap_or_default();
        match &e.variant {
            Some(name) => match ran.iter().find(|v| &v.name == name) {
                Some(v) => out.push(verdict(name, judge(&e.check, v, flows))),
                None => out.push(verdict(
                    name,
                    (Outcome::NotRun, "variant not run".to_string()),
                )),
            },
            None => {
                for v in ran {
                    out.push(verdict(&v.name, judge(&e.check, v, flows)));
                }
            }
        }
    }
    out
}

/// A `Refused` check: the variant's validation errors cite `rule`.
fn refused(scenario: &Scenario, name: &str, rule: &str) -> (Outcome, String) {
    let Some(r) = scenario.refused.iter().find(|r| r.name == name) else {
        return (Outcome::Fails, "validated without error".to_string());
    };
    let citing = r.errors.iter().find(|e| cites(&e.message, rule));
    match citing {
        Some(e) => (Outcome::Holds, format!("refused: {}", e.message)),
        None => {
            let messages: Vec<&str> = r.errors.iter().map(|e| e.message.as_str()).collect();
            (
                Outcome::Fails,
                format!("refused without citing {rule}: {}", messages.join("; ")),
            )
        }
    }
}

/// True if `message` names rule `rule` as a whole word (the same id followed by another digit
/// is another rule).
pub fn cites(message: &str, rule: &str) -> bool {
    message.match_indices(rule).any(|(at, _)| {
        let before = message[..at].chars().next_back();
        let after = message[at + rule.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
        !word(before) && !word(after)
    })
}

fn verdict(holds: bool, observed: String) -> (Outcome, String) {
    (
        if holds {
            Outcome::Holds
        } else {
            Outcome::Fails
        },
        observed,
    )
}

/// One check against one variant's report.
fn judge(check: &Check, v: &VariantReport, flows: u64) -> (Outcome, String) {
    match check {
        Check::Share { subject, test } => {
            let count = count(subject, v);
            let share = if flows == 0 {
                0.0
            } else {
                count as f64 / flows as f64
            };
            let seen = format!("{} ({count} of {flows} flows)", percent(share));
            match *test {
                ShareTest::Near { value, tolerance } => {
                    // Shares are compared at the report's precision (6 decimals).
                    verdict((share - value).abs() <= tolerance + 5e-7, seen)
                }
                ShareTest::Between { at_least, at_most } => {
                    verdict(share >= at_least - 5e-7 && share <= at_most + 5e-7, seen)
                }
                ShareTest::Consistent {
                    value,
                    significance,
                } => {
                    let sd = interval(subject, v).map_or(0.0, |[lo, hi]| (hi - lo) / (2.0 * 1.96));
                    let p = if sd > 0.0 {
                        let z = (share - value) / sd;
                        crate::stats::upper_regularized_gamma(0.5, z * z / 2.0)
                    } else if (share - value).abs() <= 5e-7 {
                        1.0
                    } else {
                        0.0
                    };
                    verdict(p >= significance, format!("{seen}, p = {p:.4}"))
                }
            }
        }
        Check::Flows {
            subject,
            at_least,
            at_most,
        } => {
            let n = count(subject, v);
            verdict(
                n >= *at_least && n <= *at_most,
                format!("{n} flows of {flows}"),
            )
        }
        Check::Health {
            target,
            becomes,
            after,
            within,
            never,
        } => health(v, target, becomes, *after, *within, *never),
        Check::NewConnections {
            target,
            after,
            before,
            at_least,
            at_most,
        } => new_connections(v, target, (*after, *before), *at_least, *at_most),
        Check::Cost {
            line,
            per_month,
            at_least,
            at_most,
        } => {
            let usd = v
                .cost
                .usd(line, *per_month)
                .expect("validation admits only the cost section's keys");
            // At the precision the report prints (1e-9 USD).
            verdict(
                usd >= at_least - 1e-9 && usd <= at_most + 1e-9,
                format!("${usd:.6}"),
            )
        }
        Check::Refused { .. } => unreachable!("judged from validation"),
    }
}

/// The report's rows a target, subnet or AZ subject names (`None` for other subjects): a
/// target in several groups has a row per group.
fn rows<'v>(subject: &Subject, v: &'v VariantReport) -> Option<Vec<&'v Option<Counts>>> {
    Some(match subject {
        Subject::Target(name) => v
            .targets
            .iter()
            .filter(|t| &t.name == name)
            .map(|t| &t.counts)
            .collect(),
        Subject::Subnet(name) => v
            .subnets
            .iter()
            .filter(|s| &s.name == name)
            .map(|s| &s.counts)
            .collect(),
        Subject::Az(az) => v
            .azs
            .iter()
            .filter(|a| &a.az == az || &a.az_id == az)
            .map(|a| &a.counts)
            .collect(),
        _ => return None,
    })
}

/// The flows `subject` covers in `v`.
fn count(subject: &Subject, v: &VariantReport) -> u64 {
    let hits = |c: &Option<Counts>| c.as_ref().map_or(0, |c| c.hits);
    match subject {
        Subject::Target(_) | Subject::Subnet(_) | Subject::Az(_) => rows(subject, v)
            .expect("rows() answers for targets, subnets and AZs")
            .into_iter()
            .map(hits)
            .sum(),
        Subject::Failed(reason) => v
            .failed
            .iter()
            .filter(|f| reason.as_ref().is_none_or(|r| &f.reason == r))
            .map(|f| f.flows)
            .sum(),
        Subject::Answered => v.targets.iter().map(|t| hits(&t.counts)).sum(),
        Subject::SeenFrom { client, at_target } => v
            .targets
            .iter()
            .filter(|t| at_target.as_ref().is_none_or(|x| &t.name == x))
            .flat_map(|t| t.sources.iter().flatten())
            .filter(|s| match client {
                Some(c) => s.of == format!("client {c}"),
                None => s.of.starts_with("node "),
            })
            .map(|s| s.flows)
            .sum(),
        Subject::Ended(code) => v
            .connections
            .iter()
            .flat_map(|c| c.ends.iter())
            .filter(|e| e.code == code)
            .map(|e| e.connections)
            .sum(),
        Subject::CrossAz(Leg::NodeToTarget) => v.cross_az.flows,
        Subject::CrossAz(Leg::ClientToEntry) => v.cross_az.client_leg_flows,
    }
}

/// The 95 % interval of a target's, subnet's or AZ's share, when the report gives one (one row).
fn interval(subject: &Subject, v: &VariantReport) -> Option<[f64; 2]> {
    match rows(subject, v)?.as_slice() {
        [Some(c)] => Some(c.ci95),
        _ => None,
    }
}

/// A `Health` check, from the report's health changes.
fn health(
    v: &VariantReport,
    target: &str,
    becomes: &str,
    after: Span,
    within: Option<Span>,
    never: bool,
) -> (Outcome, String) {
    let from = after.as_secs_f64();
    // Its health changes over the run; a target whose health never changed (or a run without
    // events) holds its state at the start all along: a step at 0.
    let mut steps: Vec<(f64, &str)> = v
        .changes
        .iter()
        .flat_map(|c| c.health.iter())
        .filter(|line| line.target == target || line.target.starts_with(&format!("{target} (")))
        .flat_map(|line| line.changes.iter())
        .map(|step| (step.at_seconds, step.state.as_str()))
        .collect();
    if steps.is_empty() {
        steps = v
            .targets
            .iter()
            .filter(|t| t.name == target)
            .filter_map(|t| t.health.as_deref())
            .map(|label| (0.0, label.split(' ').next().unwrap_or(label)))
            .collect();
    }
    let first = steps
        .iter()
        .filter(|(at, state)| *state == becomes && *at >= from)
        .map(|(at, _)| *at)
        .min_by(f64::total_cmp);
    match first {
        None => verdict(
            never,
            format!("{target} did not become {becomes} from {after} on"),
        ),
        Some(at) => {
            let seen = format!(
                "{target} became {becomes} at {at:.3} s ({:.3} s after {after})",
                at - from
            );
            let in_time = within.is_none_or(|w| at - from <= w.as_secs_f64() + 1e-9);
            verdict(!never && in_time, seen)
        }
    }
}

/// A `NewConnections` check, from the time series (per bucket by flow start, the flows each
/// target answered and those picked for it that failed). A bucket that straddles an end of the
/// window is counted as a bound: the verdict is given only when both bounds agree.
fn new_connections(
    v: &VariantReport,
    target: &str,
    (after, before): (Span, Option<Span>),
    at_least: u64,
    at_most: u64,
) -> (Outcome, String) {
    let series = &v.time_series;
    let width = series.bucket_seconds;
    let from = after.as_secs_f64();
    let to = before.map_or(f64::INFINITY, |b| b.as_secs_f64());
    let columns: Vec<usize> = (0..series.targets.len())
        .filter(|&x| series.targets[x] == target)
        .collect();
    let (mut surely, mut maybe) = (0u64, 0u64);
    for (b, (hits, failed)) in series.hits.iter().zip(&series.picked_failed).enumerate() {
        let (start, end) = (b as f64 * width, (b + 1) as f64 * width);
        let n: u64 = columns.iter().map(|&x| hits[x] + failed[x]).sum();
        if start >= from - 1e-9 && end <= to + 1e-9 {
            surely += n;
        } else if end > from + 1e-9 && start < to - 1e-9 {
            maybe += n;
        }
    }
    let window = super::window(after, before);
    let fits = |n: u64| n >= at_least && n <= at_most;
    let upper = surely + maybe;
    if maybe == 0 {
        verdict(
            fits(surely),
            format!("{surely} new connections to {target} {window}"),
        )
    } else if fits(surely) == fits(upper) {
        verdict(
            fits(surely),
            format!(
                "{surely} to {upper} new connections to {target} {window} (time series buckets of {width} s)"
            ),
        )
    } else {
        (
            Outcome::Fails,
            format!(
                "cannot tell at the time series' resolution: {surely} to {upper} new connections to {target} {window} (buckets of {width} s; give times on multiples of {width} s)"
            ),
        )
    }
}
