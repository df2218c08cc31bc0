//! `[[expect]]` and `[quiz]`: every expectation names one subject that exists in the scenario
//! (a target, subnet, AZ, failure reason, client, leg, or a rule id for a refused variant) and
//! the measures that subject takes; a quiz has its choices, an answer among them, and an
//! expectation proving the answer and refuting each wrong choice.

use std::collections::BTreeSet;

use super::Issue;
use super::quoted;
use crate::expect::{Check, Expectation, Leg, Quiz, ShareTest, Subject};
use crate::model::Topology;
use crate::rules::connection::End;
use crate::rules::health::TargetHealth;
use crate::rules::outcome::FailReason;
use crate::scenario::path::KeyPath;
use crate::scenario::raw::{RawExpect, RawQuiz};
use crate::time::Span;

/// Default significance of `consistent_with`.
pub const DEFAULT_SIGNIFICANCE: f64 = 0.01;

/// The subjects an expectation may name (exactly one).
const SUBJECTS: [&str; 12] = [
    "target",
    "subnet",
    "az",
    "failed",
    "answered",
    "seen_from",
    "cross_az",
    "ended",
    "cost",
    "health",
    "new_connections",
    "validation_error",
];

/// What `[[expect]]` and `[quiz]` say, checked against the variants' names (`variants`, those
/// refused included) and the resources of `t` (any variant's: variants change resources, they
/// do not add them). `question` is the scenario's top-level question.
pub fn check(
    expects: &[RawExpect],
    quiz: Option<&RawQuiz>,
    question: Option<&str>,
    variants: &[String],
    t: &Topology,
) -> Result<(Vec<Expectation>, Option<Quiz>), Vec<Issue>> {
    let mut issues = Vec::new();
    let raw_quiz = quiz;
    let quiz = quiz.and_then(|q| self::quiz(q, question, expects, variants, &mut issues));
    let mut out = Vec::new();
    for (i, raw) in expects.iter().enumerate() {
        let at = KeyPath::root().key("expect").index(i);
        let before = issues.len();
        let checked = expectation(raw, &at, t, &mut issues);
        if let Some(v) = &raw.variant {
            if !variants.contains(v) {
                issues.push(Issue {
                    path: at.key("variant"),
                    value: Some(quoted(v)),
                    message: format!(
                        "no variant has this name (the scenario's variants: {})",
                        names(variants)
                    ),
                });
            }
        }
        if matches!(checked, Some(Check::Refused { .. })) && raw.variant.is_none() {
            issues.push(Issue {
                path: at.key("validation_error"),
                value: None,
                message: "name the `variant` validation should refuse (the others must run)".into(),
            });
        }
        if quiz.is_some() || raw_quiz.is_none() {
            quiz_links(raw, &at, quiz.as_ref(), &mut issues);
        }
        if let (Some(check), true) = (checked, issues.len() == before) {
            out.push(Expectation {
                index: i,
                variant: raw.variant.clone(),
                what: raw.what.clone().unwrap_or_else(|| check.words()),
                proves: raw.proves.clone(),
                refutes: raw.refutes.clone(),
                check,
            });
        }
    }
    if let Some(q) = &quiz {
        for (letter, _) in &q.choices {
            let right = letter == &q.answer;
            let covered = expects.iter().any(|e| {
                if right {
                    e.proves.as_ref() == Some(letter)
                } else {
                    e.refutes.contains(letter)
                }
            });
            if !covered {
                issues.push(Issue {
                    path: KeyPath::root().key("quiz").key("choices").key(letter),
                    value: None,
                    message: if right {
                        format!(
                            "the answer needs an [[expect]] with proves = \"{letter}\": the simulation must prove it"
                        )
                    } else {
                        format!(
                            "a wrong choice needs an [[expect]] with refutes = [\"{letter}\"]: the simulation must refute it"
                        )
                    },
                });
            }
        }
    }
    if issues.is_empty() {
        Ok((out, quiz))
    } else {
        Err(issues)
    }
}

/// `"a", "b"`.
fn names(items: &[String]) -> String {
    items
        .iter()
        .map(|n| quoted(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One `[[expect]]` block's check, or `None` with its problems in `issues`.
fn expectation(
    raw: &RawExpect,
    at: &KeyPath,
    t: &Topology,
    issues: &mut Vec<Issue>,
) -> Option<Check> {
    let given: Vec<&str> = SUBJECTS
        .iter()
        .copied()
        .filter(|s| subject_given(raw, s))
        .collect();
    let subject = match given.as_slice() {
        [one] => *one,
        [] => {
            issues.push(Issue {
                path: at.clone(),
                value: None,
                message: format!(
                    "an expectation names one subject: one of {}",
                    SUBJECTS.join(", ")
                ),
            });
            return None;
        }
        [_, second, ..] => {
            issues.push(Issue {
                path: at.key(second),
                value: None,
                message: format!(
                    "an expectation names one subject; this one also names `{}` (write two [[expect]] blocks)",
                    given[0]
                ),
            });
            return None;
        }
    };
    let measures = measures_given(raw);
    let allowed: &[&str] = match subject {
        "health" => &["becomes", "after", "within", "never"],
        "new_connections" => &[
            "after",
            "before",
            "flows",
            "flows_at_least",
            "flows_at_most",
        ],
        "validation_error" => &[],
        "cost" => &[
            "usd",
            "tolerance",
            "usd_at_least",
            "usd_at_most",
            "per_month",
        ],
        "target" | "subnet" | "az" => &INTERVAL_MEASURES,
        "seen_from" => &SEEN_FROM_MEASURES,
        _ => &INTERVAL_MEASURES[..FLOWS_MEASURES],
    };
    let mut ok = true;
    for m in &measures {
        if !allowed.contains(m) {
            ok = false;
            issues.push(Issue {
                path: at.key(m),
                value: None,
                message: match *m {
                    "consistent_with" | "significance" => format!(
                        "`{m}` needs a share with a confidence interval: a `target`, `subnet` or `az` expectation"
                    ),
                    _ => format!("`{m}` does not apply to a `{subject}` expectation"),
                },
            });
        }
    }
    if !ok {
        return None;
    }
    let mut fail = |key: &str, value: Option<String>, message: String| {
        issues.push(Issue {
            path: at.key(key),
            value,
            message,
        });
    };
    let target_name = |name: &str| {
        t.targets
            .iter()
            .any(|x| t.instances[x.instance.index()].name == name)
    };
    let known_targets = || {
        let mut seen = BTreeSet::new();
        t.targets
            .iter()
            .map(|x| t.instances[x.instance.index()].name.clone())
            .filter(|n| seen.insert(n.clone()))
            .collect::<Vec<_>>()
    };
    let subject_value: Option<Subject> = match subject {
        "target" => {
            let name = raw.target.as_deref().expect("given");
            if target_name(name) {
                Some(Subject::Target(name.to_string()))
            } else {
                fail(
                    "target",
                    Some(quoted(name)),
                    format!(
                        "no target group lists this instance (targets: {})",
                        names(&known_targets())
                    ),
                );
                None
            }
        }
        "subnet" => {
            let name = raw.subnet.as_deref().expect("given");
            if t.subnets.iter().any(|s| s.name == name) {
                Some(Subject::Subnet(name.to_string()))
            } else {
                let all: Vec<String> = t.subnets.iter().map(|s| s.name.clone()).collect();
                fail(
                    "subnet",
                    Some(quoted(name)),
                    format!("no subnet has this name (subnets: {})", names(&all)),
                );
                None
            }
        }
        "az" => {
            let name = raw.az.as_deref().expect("given");
            let known = t.zones.iter().any(|z| z.az_id == name)
                || t.accounts
                    .iter()
                    .any(|a| a.az_names.iter().any(|(n, _)| n == name));
            if known {
                Some(Subject::Az(name.to_string()))
            } else {
                let ids: Vec<String> = t.zones.iter().map(|z| z.az_id.clone()).collect();
                fail(
                    "az",
                    Some(quoted(name)),
                    format!(
                        "not an AZ name of an account nor an AZ ID of the scenario (AZ IDs: {})",
                        names(&ids)
                    ),
                );
                None
            }
        }
        "failed" => {
            let code = raw.failed.as_deref().expect("given");
            if code == "any" {
                Some(Subject::Failed(None))
            } else if FailReason::from_code(code).is_some() {
                Some(Subject::Failed(Some(code.to_string())))
            } else {
                let codes: Vec<String> = FailReason::ALL
                    .iter()
                    .map(|r| r.code().to_string())
                    .collect();
                fail(
                    "failed",
                    Some(quoted(code)),
                    format!(
                        "not a failure reason: \"any\" or one of {} (docs/model.md, Failure reasons)",
                        codes.join(", ")
                    ),
                );
                None
            }
        }
        "answered" => {
            if raw.answered == Some(true) {
                Some(Subject::Answered)
            } else {
                fail(
                    "answered",
                    Some("false".into()),
                    "write `answered = true` (for flows that were not answered: `failed = \"any\"`)"
                        .into(),
                );
                None
            }
        }
        "seen_from" => {
            let from = raw.seen_from.as_deref().expect("given");
            let client = if from == "load_balancer" {
                Some(None)
            } else if t
                .workload
                .clients
                .iter()
                .any(|c| t.instances[c.index()].name == from)
            {
                Some(Some(from.to_string()))
            } else {
                fail(
                    "seen_from",
                    Some(quoted(from)),
                    "not a workload client: name one of `workload.clients`, or \"load_balancer\" for the NLB nodes' addresses".into(),
                );
                None
            };
            let at_target = match raw.at_target.as_deref() {
                Some(x) if !target_name(x) => {
                    fail(
                        "at_target",
                        Some(quoted(x)),
                        format!(
                            "no target group lists this instance (targets: {})",
                            names(&known_targets())
                        ),
                    );
                    None
                }
                other => Some(other.map(str::to_string)),
            };
            match (client, at_target) {
                (Some(client), Some(at_target)) => Some(Subject::SeenFrom { client, at_target }),
                _ => None,
            }
        }
        "ended" => {
            let code = raw.ended.as_deref().expect("given");
            if t.workload.connection.is_none() {
                fail(
                    "ended",
                    Some(quoted(code)),
                    "connections end one way or another only when they live: give [workload.connection] (CONN-1)".into(),
                );
                None
            } else if End::ALL.iter().any(|e| e.code() == code) {
                Some(Subject::Ended(code.to_string()))
            } else {
                let codes: Vec<&str> = End::ALL.iter().map(|e| e.code()).collect();
                fail(
                    "ended",
                    Some(quoted(code)),
                    format!("not a way a connection ends: one of {}", codes.join(", ")),
                );
                None
            }
        }
        "cross_az" => match raw.cross_az.as_deref().expect("given") {
            "node_to_target" => Some(Subject::CrossAz(Leg::NodeToTarget)),
            "client_to_entry" => Some(Subject::CrossAz(Leg::ClientToEntry)),
            other => {
                fail(
                    "cross_az",
                    Some(quoted(other)),
                    "a leg: \"node_to_target\" (NLB node -> target) or \"client_to_entry\" (client -> endpoint ENI or NLB node)".into(),
                );
                None
            }
        },
        _ => None,
    };
    match subject {
        "health" | "new_connections" => {
            let key = subject;
            let name = raw
                .health
                .as_deref()
                .or(raw.new_connections.as_deref())
                .expect("given");
            if !target_name(name) {
                fail(
                    key,
                    Some(quoted(name)),
                    format!(
                        "no target group lists this instance (targets: {})",
                        names(&known_targets())
                    ),
                );
                return None;
            }
            if key == "health" {
                return health(raw, name, at, issues);
            }
            let Some(after) = raw.after else {
                fail(
                    "after",
                    None,
                    "a `new_connections` expectation needs `after`, the time it counts from".into(),
                );
                return None;
            };
            let before = raw.before.map(|d| d.0);
            if before.is_some_and(|b| b <= after.0) {
                fail(
                    "before",
                    None,
                    "not after `after`: the window counts from `after` up to `before`".into(),
                );
                return None;
            }
            let (at_least, at_most) = counts(raw, at, issues)?;
            Some(Check::NewConnections {
                target: name.to_string(),
                after: after.0,
                before,
                at_least,
                at_most,
            })
        }
        "cost" => cost(raw, at, issues),
        "validation_error" => {
            let rule = raw.validation_error.as_deref().expect("given");
            if crate::rules::catalog::rule(rule).is_some() {
                Some(Check::Refused {
                    rule: rule.to_string(),
                })
            } else {
                fail(
                    "validation_error",
                    Some(quoted(rule)),
                    "not a rule of docs/model.md: give the id its error cites, such as \"PL-9\" or \"NLB-17\"".into(),
                );
                None
            }
        }
        _ => {
            let subject = subject_value?;
            share_or_count(raw, subject, at, issues)
        }
    }
}

/// Measures a share or a count of flows takes: the first [`FLOWS_MEASURES`] for any flows
/// subject, the rest (consistency) only for subjects with an interval.
const INTERVAL_MEASURES: [&str; 9] = [
    "share",
    "tolerance",
    "share_at_least",
    "share_at_most",
    "flows",
    "flows_at_least",
    "flows_at_most",
    "consistent_with",
    "significance",
];

/// How many of [`INTERVAL_MEASURES`] every flows subject takes.
const FLOWS_MEASURES: usize = 7;

/// The measures of `seen_from`: those of any flows subject, and `at_target`.
const SEEN_FROM_MEASURES: [&str; 8] = [
    "share",
    "tolerance",
    "share_at_least",
    "share_at_most",
    "flows",
    "flows_at_least",
    "flows_at_most",
    "at_target",
];

/// True if the raw block gives subject `s`.
fn subject_given(raw: &RawExpect, s: &str) -> bool {
    match s {
        "target" => raw.target.is_some(),
        "subnet" => raw.subnet.is_some(),
        "az" => raw.az.is_some(),
        "failed" => raw.failed.is_some(),
        "answered" => raw.answered.is_some(),
        "seen_from" => raw.seen_from.is_some(),
        "cross_az" => raw.cross_az.is_some(),
        "ended" => raw.ended.is_some(),
        "cost" => raw.cost.is_some(),
        "health" => raw.health.is_some(),
        "new_connections" => raw.new_connections.is_some(),
        "validation_error" => raw.validation_error.is_some(),
        _ => false,
    }
}

/// The measure keys the block gives.
fn measures_given(raw: &RawExpect) -> Vec<&'static str> {
    let keys: [(&str, bool); 19] = [
        ("share", raw.share.is_some()),
        ("usd", raw.usd.is_some()),
        ("usd_at_least", raw.usd_at_least.is_some()),
        ("usd_at_most", raw.usd_at_most.is_some()),
        ("per_month", raw.per_month.is_some()),
        ("tolerance", raw.tolerance.is_some()),
        ("share_at_least", raw.share_at_least.is_some()),
        ("share_at_most", raw.share_at_most.is_some()),
        ("flows", raw.flows.is_some()),
        ("flows_at_least", raw.flows_at_least.is_some()),
        ("flows_at_most", raw.flows_at_most.is_some()),
        ("consistent_with", raw.consistent_with.is_some()),
        ("significance", raw.significance.is_some()),
        ("at_target", raw.at_target.is_some()),
        ("becomes", raw.becomes.is_some()),
        ("after", raw.after.is_some()),
        ("before", raw.before.is_some()),
        ("within", raw.within.is_some()),
        ("never", raw.never.is_some()),
    ];
    keys.into_iter()
        .filter(|(_, g)| *g)
        .map(|(k, _)| k)
        .collect()
}

/// A share in [0, 1], or an issue at `key`.
fn share_value(x: f64, at: &KeyPath, key: &str, issues: &mut Vec<Issue>) -> Option<f64> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Some(x)
    } else {
        issues.push(Issue {
            path: at.key(key),
            value: Some(super::number(x)),
            message: "a share of the variant's flows, from 0 to 1 (0.25 is 25 %)".into(),
        });
        None
    }
}

/// The share or count test of a flows subject.
fn share_or_count(
    raw: &RawExpect,
    subject: Subject,
    at: &KeyPath,
    issues: &mut Vec<Issue>,
) -> Option<Check> {
    let share_keys = raw.share.is_some() as u8
        + (raw.share_at_least.is_some() || raw.share_at_most.is_some()) as u8
        + raw.consistent_with.is_some() as u8;
    let count_keys =
        (raw.flows.is_some() || raw.flows_at_least.is_some() || raw.flows_at_most.is_some()) as u8;
    if share_keys + count_keys != 1 {
        issues.push(Issue {
            path: at.clone(),
            value: None,
            message: "give one test: `share` (with `tolerance`), `share_at_least` / `share_at_most`, `consistent_with` (with `significance`), or `flows` / `flows_at_least` / `flows_at_most`".into(),
        });
        return None;
    }
    if raw.tolerance.is_some() && raw.share.is_none() {
        issues.push(Issue {
            path: at.key("tolerance"),
            value: None,
            message: "`tolerance` goes with `share`".into(),
        });
        return None;
    }
    if raw.significance.is_some() && raw.consistent_with.is_none() {
        issues.push(Issue {
            path: at.key("significance"),
            value: None,
            message: "`significance` goes with `consistent_with`".into(),
        });
        return None;
    }
    if count_keys == 1 {
        let (at_least, at_most) = counts(raw, at, issues)?;
        return Some(Check::Flows {
            subject,
            at_least,
            at_most,
        });
    }
    let test = if let Some(x) = raw.share {
        let value = share_value(x, at, "share", issues)?;
        let tolerance = raw.tolerance.unwrap_or(0.0);
        if !(tolerance.is_finite() && (0.0..=1.0).contains(&tolerance)) {
            issues.push(Issue {
                path: at.key("tolerance"),
                value: Some(super::number(tolerance)),
                message: "an absolute difference of shares, from 0 to 1 (0.01 is 1 point)".into(),
            });
            return None;
        }
        ShareTest::Near { value, tolerance }
    } else if let Some(x) = raw.consistent_with {
        let value = share_value(x, at, "consistent_with", issues)?;
        let significance = raw.significance.unwrap_or(DEFAULT_SIGNIFICANCE);
        if !(significance > 0.0 && significance < 1.0) {
            issues.push(Issue {
                path: at.key("significance"),
                value: Some(super::number(significance)),
                message: "a significance level above 0 and below 1 (0.01 when omitted)".into(),
            });
            return None;
        }
        ShareTest::Consistent {
            value,
            significance,
        }
    } else {
        let at_least = match raw.share_at_least {
            Some(x) => share_value(x, at, "share_at_least", issues)?,
            None => 0.0,
        };
        let at_most = match raw.share_at_most {
            Some(x) => share_value(x, at, "share_at_most", issues)?,
            None => 1.0,
        };
        if at_least > at_most {
            issues.push(Issue {
                path: at.key("share_at_least"),
                value: Some(super::number(at_least)),
                message: format!(
                    "above share_at_most = {}: no share passes",
                    super::number(at_most)
                ),
            });
            return None;
        }
        ShareTest::Between { at_least, at_most }
    };
    Some(Check::Share { subject, test })
}

/// `flows` or `flows_at_least` / `flows_at_most` as a range.
fn counts(raw: &RawExpect, at: &KeyPath, issues: &mut Vec<Issue>) -> Option<(u64, u64)> {
    let (lo, hi) = (raw.flows_at_least, raw.flows_at_most);
    match raw.flows {
        Some(n) if lo.is_none() && hi.is_none() => Some((n, n)),
        Some(_) => {
            issues.push(Issue {
                path: at.key("flows"),
                value: None,
                message: "give `flows` alone, or `flows_at_least` / `flows_at_most`".into(),
            });
            None
        }
        None if lo.is_none() && hi.is_none() => {
            issues.push(Issue {
                path: at.clone(),
                value: None,
                message: "give `flows`, or `flows_at_least` / `flows_at_most`".into(),
            });
            None
        }
        None => {
            let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(u64::MAX));
            if lo > hi {
                issues.push(Issue {
                    path: at.key("flows_at_least"),
                    value: Some(lo.to_string()),
                    message: format!("above flows_at_most = {hi}: no count passes"),
                });
                return None;
            }
            Some((lo, hi))
        }
    }
}

/// A `cost` expectation: a line key or a sum, and one test in USD.
fn cost(raw: &RawExpect, at: &KeyPath, issues: &mut Vec<Issue>) -> Option<Check> {
    let line = raw.cost.as_deref().expect("given");
    let sums = ["total", "consumer", "provider"];
    if !sums.contains(&line) && !crate::cost::LINE_KEYS.contains(&line) {
        issues.push(Issue {
            path: at.key("cost"),
            value: Some(quoted(line)),
            message: format!(
                "not a line of the cost section: one of {}, {} (docs/model.md COST-1 to COST-4)",
                sums.join(", "),
                crate::cost::LINE_KEYS.join(", ")
            ),
        });
        return None;
    }
    let usd_ok = |x: f64| x.is_finite() && x >= 0.0;
    for (key, value) in [
        ("usd", raw.usd),
        ("tolerance", raw.tolerance),
        ("usd_at_least", raw.usd_at_least),
        ("usd_at_most", raw.usd_at_most),
    ] {
        if let Some(x) = value.filter(|x| !usd_ok(*x)) {
            issues.push(Issue {
                path: at.key(key),
                value: Some(super::number(x)),
                message: "USD: a finite amount, 0 or more".into(),
            });
            return None;
        }
    }
    let (at_least, at_most) = match (raw.usd, raw.usd_at_least, raw.usd_at_most) {
        (Some(x), None, None) => {
            let t = raw.tolerance.unwrap_or(0.0);
            ((x - t).max(0.0), x + t)
        }
        (None, lo, hi) if lo.is_some() || hi.is_some() => {
            if raw.tolerance.is_some() {
                issues.push(Issue {
                    path: at.key("tolerance"),
                    value: None,
                    message: "`tolerance` goes with `usd`".into(),
                });
                return None;
            }
            (lo.unwrap_or(0.0), hi.unwrap_or(f64::INFINITY))
        }
        _ => {
            issues.push(Issue {
                path: at.clone(),
                value: None,
                message:
                    "give one test: `usd` (with `tolerance`), or `usd_at_least` / `usd_at_most`"
                        .into(),
            });
            return None;
        }
    };
    if at_least > at_most {
        issues.push(Issue {
            path: at.key("usd_at_least"),
            value: Some(super::number(at_least)),
            message: format!(
                "above usd_at_most = {}: no cost passes",
                super::number(at_most)
            ),
        });
        return None;
    }
    Some(Check::Cost {
        line: line.to_string(),
        per_month: raw.per_month.unwrap_or(false),
        at_least,
        at_most,
    })
}

/// A `health` expectation.
fn health(raw: &RawExpect, target: &str, at: &KeyPath, issues: &mut Vec<Issue>) -> Option<Check> {
    let states = TargetHealth::STATE_NAMES;
    let Some(becomes) = raw.becomes.as_deref() else {
        issues.push(Issue {
            path: at.key("becomes"),
            value: None,
            message: format!(
                "a `health` expectation needs `becomes`: one of {}",
                states.join(", ")
            ),
        });
        return None;
    };
    if !states.contains(&becomes) {
        issues.push(Issue {
            path: at.key("becomes"),
            value: Some(quoted(becomes)),
            message: format!("a target health state: one of {}", states.join(", ")),
        });
        return None;
    }
    let never = raw.never.unwrap_or(false);
    if never && raw.within.is_some() {
        issues.push(Issue {
            path: at.key("within"),
            value: None,
            message: "`within` and `never = true` contradict each other".into(),
        });
        return None;
    }
    Some(Check::Health {
        target: target.to_string(),
        becomes: becomes.to_string(),
        after: raw.after.map_or(Span(0), |d| d.0),
        within: raw.within.map(|d| d.0),
        never,
    })
}

/// `proves` / `refutes` of one block, against the quiz.
fn quiz_links(raw: &RawExpect, at: &KeyPath, quiz: Option<&Quiz>, issues: &mut Vec<Issue>) {
    if raw.proves.is_none() && raw.refutes.is_empty() {
        return;
    }
    let Some(q) = quiz else {
        let key = if raw.proves.is_some() {
            "proves"
        } else {
            "refutes"
        };
        issues.push(Issue {
            path: at.key(key),
            value: None,
            message: "names a quiz choice, but the scenario has no [quiz]".into(),
        });
        return;
    };
    let letters: Vec<String> = q.choices.iter().map(|(l, _)| l.clone()).collect();
    if let Some(p) = &raw.proves {
        if p != &q.answer {
            issues.push(Issue {
                path: at.key("proves"),
                value: Some(quoted(p)),
                message: format!(
                    "an expectation proves the answer, {}; wrong choices are refuted (`refutes`)",
                    quoted(&q.answer)
                ),
            });
        }
    }
    for (j, r) in raw.refutes.iter().enumerate() {
        if !letters.contains(r) {
            issues.push(Issue {
                path: at.key("refutes").index(j),
                value: Some(quoted(r)),
                message: format!("not a choice of [quiz] (choices: {})", names(&letters)),
            });
        } else if r == &q.answer {
            issues.push(Issue {
                path: at.key("refutes").index(j),
                value: Some(quoted(r)),
                message: "this is the quiz's answer: prove it (`proves`), do not refute it".into(),
            });
        }
    }
}

/// `[quiz]`, checked.
fn quiz(
    raw: &RawQuiz,
    question: Option<&str>,
    expects: &[RawExpect],
    variants: &[String],
    issues: &mut Vec<Issue>,
) -> Option<Quiz> {
    let at = KeyPath::root().key("quiz");
    let before = issues.len();
    // The traced variant: as given, or the one the answer's first expectation names.
    let traced = raw
        .trace
        .as_ref()
        .and_then(|t| t.variant.clone())
        .or_else(|| {
            expects
                .iter()
                .filter(|e| e.proves.as_ref() == Some(&raw.answer) && e.validation_error.is_none())
                .find_map(|e| e.variant.clone())
        })
        .unwrap_or_else(|| variants[0].clone());
    let refused = expects
        .iter()
        .any(|e| e.validation_error.is_some() && e.variant.as_ref() == Some(&traced));
    if refused {
        issues.push(Issue {
            path: at.key("trace").key("variant"),
            value: Some(quoted(&traced)),
            message: "validation refuses this variant (an [[expect]] says so): trace one that runs"
                .into(),
        });
    } else if !variants.contains(&traced) {
        issues.push(Issue {
            path: at.key("trace").key("variant"),
            value: Some(quoted(&traced)),
            message: format!(
                "no variant has this name (the scenario's variants: {})",
                names(variants)
            ),
        });
    }
    if question.is_none_or(|q| q.trim().is_empty()) {
        issues.push(Issue {
            path: at.clone(),
            value: None,
            message: "a quiz asks the scenario's `question`: write it at the top of the file"
                .into(),
        });
    }
    let choices: Vec<(String, String)> = raw
        .choices
        .iter()
        .map(|(l, text)| (l.to_string(), text.clone()))
        .collect();
    for (letter, text) in &choices {
        let single = letter.len() == 1 && letter.chars().all(|c| c.is_ascii_uppercase());
        if !single {
            issues.push(Issue {
                path: at.key("choices").key(letter),
                value: None,
                message: "a choice is named by one capital letter (A, B, C, D)".into(),
            });
        }
        if text.trim().is_empty() {
            issues.push(Issue {
                path: at.key("choices").key(letter),
                value: None,
                message: "an empty choice".into(),
            });
        }
    }
    if choices.len() < 2 {
        issues.push(Issue {
            path: at.key("choices"),
            value: None,
            message: format!(
                "a quiz offers at least two choices (an exam question four); this one has {}",
                choices.len()
            ),
        });
    }
    if !choices.iter().any(|(l, _)| l == &raw.answer) {
        let letters: Vec<String> = choices.iter().map(|(l, _)| l.clone()).collect();
        issues.push(Issue {
            path: at.key("answer"),
            value: Some(quoted(&raw.answer)),
            message: format!("not one of the choices ({})", names(&letters)),
        });
    }
    if raw.explanation.trim().is_empty() {
        issues.push(Issue {
            path: at.key("explanation"),
            value: None,
            message: "say why the answer is right, citing docs/model.md rules".into(),
        });
    }
    for (j, rule) in raw.rules.iter().enumerate() {
        if crate::rules::catalog::rule(rule).is_none() {
            issues.push(Issue {
                path: at.key("rules").index(j),
                value: Some(quoted(rule)),
                message: "not a rule of docs/model.md (its ids: AZ-1, PL-3, NLB-7, ...)".into(),
            });
        }
    }
    for (j, url) in raw.sources.iter().enumerate() {
        if !url.starts_with("https://") {
            issues.push(Issue {
                path: at.key("sources").index(j),
                value: Some(quoted(url)),
                message: "an https:// address of the page".into(),
            });
        }
    }
    for (j, topic) in raw.topics.iter().enumerate() {
        let ok = !topic.is_empty()
            && topic
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            issues.push(Issue {
                path: at.key("topics").index(j),
                value: Some(quoted(topic)),
                message: "a topic is lower-case words joined by `-` (\"cross-zone\")".into(),
            });
        }
    }
    (issues.len() == before).then(|| Quiz {
        topics: raw.topics.clone(),
        choices,
        answer: raw.answer.clone(),
        explanation: raw.explanation.clone(),
        rules: raw.rules.clone(),
        sources: raw.sources.clone(),
        trace: (traced, raw.trace.as_ref().map_or(0, |t| t.flow)),
    })
}
