//! Checked answers: what a scenario's `[[expect]]` blocks say should happen, and the verdict of
//! each against a run's report (`sim test`, and beside `sim run`'s report) or against validation
//! (a variant refused with an error that cites a docs/model.md rule).
//!
//! An expectation reads only the report (or the validation errors of a refused variant), so
//! its observed value is a figure the report prints: a share of the variant's flows (per target,
//! subnet, AZ, failure reason, source address seen, or leg crossing AZs), a count of flows, a
//! target's health changes, or its new connections over time. Shares with an interval
//! (targets, subnets, AZs) can also be tested for consistency with a value: the clustered
//! standard deviation behind the report's 95 % interval (docs/model.md STAT-2) gives a
//! two-sided normal p-value.
//!
//! Not checked here: anything the report does not carry (a single flow's path: `sim explain`).

mod evaluate;

pub use evaluate::{Outcome, Verdict, evaluate};

use crate::time::Span;

/// One `[[expect]]` block, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// Its position in the file's `[[expect]]` array.
    pub index: usize,
    /// The variant it is about; every variant that runs when `None`.
    pub variant: Option<String>,
    /// What it says, in words (the file's `what`, or made from the keys).
    pub what: String,
    /// The quiz choice it proves (the answer).
    pub proves: Option<String>,
    /// The quiz choices it refutes.
    pub refutes: Vec<String>,
    /// What is measured and the test it must pass.
    pub check: Check,
}

/// What an expectation measures and how it is judged.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// The share of the variant's flows that `subject` covers.
    Share {
        /// Which flows.
        subject: Subject,
        /// The test.
        test: ShareTest,
    },
    /// The number of flows `subject` covers, in `[at_least, at_most]`.
    Flows {
        /// Which flows.
        subject: Subject,
        /// Lower bound.
        at_least: u64,
        /// Upper bound.
        at_most: u64,
    },
    /// A target's health: it becomes `becomes` at or after `after` (within `within` of it), or,
    /// with `never`, it does not.
    Health {
        /// Instance name.
        target: String,
        /// `healthy`, `unhealthy`, `draining`, `unused` or `initial`.
        becomes: String,
        /// From this time on.
        after: Span,
        /// At most this long after `after`.
        within: Option<Span>,
        /// It must not happen.
        never: bool,
    },
    /// New connections (flows picked for the target, answered or not) from `after` on (up to
    /// `before`), in `[at_least, at_most]`.
    NewConnections {
        /// Instance name.
        target: String,
        /// From this time on.
        after: Span,
        /// Up to this time (the end of the run when `None`).
        before: Option<Span>,
        /// Lower bound.
        at_least: u64,
        /// Upper bound.
        at_most: u64,
    },
    /// A line of the cost section (or a sum), in USD over the run or a month, in
    /// `[at_least, at_most]`.
    Cost {
        /// `total`, `consumer`, `provider` or a line key.
        line: String,
        /// Over a month instead of the run.
        per_month: bool,
        /// Lower bound.
        at_least: f64,
        /// Upper bound.
        at_most: f64,
    },
    /// The variant is refused by validation with an error that cites `rule`.
    Refused {
        /// A docs/model.md rule id (`PL-9`).
        rule: String,
    },
}

/// Which flows a share or count covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Answered by this target (an instance, over every group it is in).
    Target(String),
    /// Answered by a target in this subnet.
    Subnet(String),
    /// Answered by a target in this AZ (its name or ID, as written).
    Az(String),
    /// Failed with this reason code; every reason when `None`.
    Failed(Option<String>),
    /// Answered.
    Answered,
    /// Answered, with the target seeing this source: a client's own address (`Some(client)`)
    /// or an NLB node's (`None`); at one target only when `at_target` is given.
    SeenFrom {
        /// The client instance, or `None` for the load balancer's nodes.
        client: Option<String>,
        /// Only flows this target answered.
        at_target: Option<String>,
    },
    /// Crossing AZs on this leg.
    CrossAz(Leg),
    /// Connections that ended this way (`RESET_DEREGISTERED`, ...: docs/model.md CONN-1 to
    /// CONN-5), when connections live.
    Ended(String),
}

/// A leg of the path that may cross AZs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Leg {
    /// Client -> endpoint ENI or NLB node.
    ClientToEntry,
    /// NLB node -> target.
    NodeToTarget,
}

/// How a share is judged.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ShareTest {
    /// Within `tolerance` of `value`.
    Near {
        /// The share.
        value: f64,
        /// Allowed absolute difference.
        tolerance: f64,
    },
    /// In `[at_least, at_most]`.
    Between {
        /// Lower bound.
        at_least: f64,
        /// Upper bound.
        at_most: f64,
    },
    /// Consistent with `value`: the two-sided p-value of the observed share is at least
    /// `significance`.
    Consistent {
        /// The share.
        value: f64,
        /// The significance level.
        significance: f64,
    },
}

/// A scenario's `[quiz]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quiz {
    /// Topics, lower case.
    pub topics: Vec<String>,
    /// (letter, text), in file order.
    pub choices: Vec<(String, String)>,
    /// The right letter.
    pub answer: String,
    /// Why.
    pub explanation: String,
    /// docs/model.md rule ids.
    pub rules: Vec<String>,
    /// AWS pages.
    pub sources: Vec<String>,
    /// The variant and flow `sim quiz` traces.
    pub trace: (String, u64),
}

impl Subject {
    /// The subject in words (`target web-1`, `flows failing TARGET_REFUSED`).
    pub fn words(&self) -> String {
        match self {
            Subject::Target(t) => format!("target {t}"),
            Subject::Subnet(s) => format!("subnet {s}"),
            Subject::Az(a) => format!("AZ {a}"),
            Subject::Failed(Some(r)) => format!("flows failing {r}"),
            Subject::Failed(None) => "failed flows".into(),
            Subject::Answered => "answered flows".into(),
            Subject::SeenFrom { client, at_target } => {
                let from = match client {
                    Some(c) => format!("client {c}'s own address"),
                    None => "an NLB node's address".into(),
                };
                match at_target {
                    Some(t) => format!("flows {t} saw from {from}"),
                    None => format!("flows the targets saw from {from}"),
                }
            }
            Subject::Ended(code) => format!("connections ending {code}"),
            Subject::CrossAz(Leg::ClientToEntry) => {
                "flows crossing AZs from the client to the ENI or node".into()
            }
            Subject::CrossAz(Leg::NodeToTarget) => {
                "flows crossing AZs from the NLB node to the target".into()
            }
        }
    }
}

impl Check {
    /// The check in words, for an expectation without `what`.
    pub fn words(&self) -> String {
        match self {
            Check::Share { subject, test } => {
                let test = match *test {
                    ShareTest::Near {
                        value,
                        tolerance: 0.0,
                    } => {
                        format!("share {}", percent(value))
                    }
                    ShareTest::Near { value, tolerance } => {
                        format!("share {} +/- {}", percent(value), percent(tolerance))
                    }
                    ShareTest::Between { at_least, at_most } => bounds(
                        at_least,
                        at_most,
                        0.0,
                        1.0,
                        |x| format!("share at least {}", percent(x)),
                        |x| format!("share at most {}", percent(x)),
                        |lo, hi| format!("share {} to {}", percent(lo), percent(hi)),
                    ),
                    ShareTest::Consistent {
                        value,
                        significance,
                    } => format!(
                        "share consistent with {} at significance {significance}",
                        percent(value)
                    ),
                };
                format!("{}: {test}", subject.words())
            }
            Check::Flows {
                subject,
                at_least,
                at_most,
            } => format!(
                "{}: {}",
                subject.words(),
                count_words(*at_least, *at_most, "flows")
            ),
            Check::Health {
                target,
                becomes,
                after,
                within,
                never,
            } => match (never, within) {
                (true, _) => format!("{target} never becomes {becomes} from {after}"),
                (false, Some(w)) => {
                    format!("{target} becomes {becomes} within {w} of {after}")
                }
                (false, None) => format!("{target} becomes {becomes} at or after {after}"),
            },
            Check::NewConnections {
                target,
                after,
                before,
                at_least,
                at_most,
            } => format!(
                "{target} gets {} {}",
                count_words(*at_least, *at_most, "new connections"),
                window(*after, *before)
            ),
            Check::Cost {
                line,
                per_month,
                at_least,
                at_most,
            } => {
                let usd = if at_least == at_most {
                    format!("${at_least}")
                } else {
                    bounds(
                        *at_least,
                        *at_most,
                        0.0,
                        f64::INFINITY,
                        |x| format!("at least ${x}"),
                        |x| format!("at most ${x}"),
                        |lo, hi| format!("${lo} to ${hi}"),
                    )
                };
                let over = if *per_month { "a month" } else { "the run" };
                format!("cost {line} over {over}: {usd}")
            }
            Check::Refused { rule } => format!("refused by validation citing {rule}"),
        }
    }
}

/// `scenario` with only the variants its expectations need run: those they name, or every
/// variant when one names none (refused variants are judged from validation, never run).
pub fn only_needed(mut scenario: crate::scenario::Scenario) -> crate::scenario::Scenario {
    let runs = |e: &&Expectation| !matches!(e.check, Check::Refused { .. });
    let all = scenario
        .expectations
        .iter()
        .filter(runs)
        .any(|e| e.variant.is_none());
    let expectations = &scenario.expectations;
    scenario.variants.retain(|v| {
        all || expectations
            .iter()
            .filter(runs)
            .any(|e| e.variant.as_ref() == Some(&v.name))
    });
    scenario
}

/// A `new_connections` window in words: `from 400s to 900s`, `from 400s on`.
pub fn window(after: Span, before: Option<Span>) -> String {
    match before {
        Some(b) => format!("from {after} to {b}"),
        None => format!("from {after} on"),
    }
}

/// `33.33%` (two decimals, trailing zeros kept short: `100%`, `0%`).
pub fn percent(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// Words for a range of counts: `0 flows`, `at least 1 flows`, `10 to 20 flows`.
fn count_words(at_least: u64, at_most: u64, unit: &str) -> String {
    if at_least == at_most {
        format!("{at_least} {unit}")
    } else if at_most == u64::MAX {
        format!("at least {at_least} {unit}")
    } else if at_least == 0 {
        format!("at most {at_most} {unit}")
    } else {
        format!("{at_least} to {at_most} {unit}")
    }
}

/// Words for `[lo, hi]` where `min` and `max` mean unbounded.
fn bounds(
    lo: f64,
    hi: f64,
    min: f64,
    max: f64,
    at_least: impl Fn(f64) -> String,
    at_most: impl Fn(f64) -> String,
    both: impl Fn(f64, f64) -> String,
) -> String {
    match (lo > min, hi < max) {
        (true, false) => at_least(lo),
        (false, true) => at_most(hi),
        _ => both(lo, hi),
    }
}
