//! The verdicts of a scenario's `[[expect]]` blocks as text: the "Checked answers" section of
//! `sim run`'s table and the lines `sim test` prints per file.

use std::fmt::Write;

use crate::expect::{Outcome, Verdict};

/// One line per verdict (`  holds  expect[0]  "variant"  what: observed ...`), then a count.
pub fn lines(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let width = verdicts.iter().map(|v| v.key.len()).max().unwrap_or(0);
    for v in verdicts {
        let word = match v.outcome {
            Outcome::Holds => "holds",
            Outcome::Fails => "FAILS",
            Outcome::NotRun => "n/run",
        };
        let mut quiz = String::new();
        if let Some(p) = &v.proves {
            let _ = write!(quiz, " [proves {p}]");
        }
        if !v.refutes.is_empty() {
            let _ = write!(quiz, " [refutes {}]", v.refutes.join(", "));
        }
        let _ = writeln!(
            out,
            "  {word}  {:<width$}  \"{}\": {}{quiz}\n           expected {}; observed {}",
            v.key, v.variant, v.what, v.expected, v.observed
        );
    }
    let _ = writeln!(out, "  {}", tally(verdicts));
    out
}

/// `5 hold, 1 fails, 2 not run`.
pub fn tally(verdicts: &[Verdict]) -> String {
    let n = |o: Outcome| verdicts.iter().filter(|v| v.outcome == o).count();
    let mut parts = vec![
        format!("{} hold", n(Outcome::Holds)),
        format!("{} fail", n(Outcome::Fails)),
    ];
    if n(Outcome::NotRun) > 0 {
        parts.push(format!("{} not run", n(Outcome::NotRun)));
    }
    parts.join(", ")
}
