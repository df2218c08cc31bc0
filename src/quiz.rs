//! `sim quiz`: the exam library (`scenarios/ans/`) as a quiz in the terminal. Each question is a
//! scenario with a `[quiz]`: the question and its choices are asked, the answer read, then the
//! scenario is simulated and the verdict shown with the evidence: the expectations that prove
//! the answer and refute the choice taken, the hits per target, the deciding hops of one flow
//! (`sim explain`), the explanation and its sources. A score is kept.
//!
//! Input is read line by line (a terminal, a pipe, or `--answer` for scripts); nothing here
//! depends on the terminal beyond that.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::expect::{self, Outcome, Verdict};
use crate::output::render::{self, Format};
use crate::run;
use crate::scenario::{self, Scenario};

/// How `sim quiz` runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only questions with this topic.
    pub topic: Option<String>,
    /// Answer every question with this letter instead of asking.
    pub answer: Option<String>,
    /// Flows per variant (the scenario's `[run]` when `None`).
    pub flows: Option<u64>,
    /// Seed (the scenario's `[run]` when `None`).
    pub seed: Option<u64>,
    /// Worker threads of the bulk engine.
    pub threads: usize,
    /// Where to draw each question's plots (none when `None`).
    pub plot_dir: Option<PathBuf>,
    /// Write each answer read after its prompt: input that is not a terminal is not echoed by
    /// one, and the transcript should read as the session did.
    pub echo: bool,
}

/// The score so far.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Questions answered.
    pub answered: usize,
    /// Answered right.
    pub right: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The questions under `path` (a scenario file, or a directory's `*.toml` files in name order)
/// that have a `[quiz]`, with `topic` when given. A scenario that is not valid is an error
/// (exit 2); so is a topic no question has (the message lists the topics there are).
pub fn questions(path: &Path, topic: Option<&str>) -> Result<Vec<Scenario>, Error> {
    let files = scenario::files(&[path.to_path_buf()])?;
    let mut all = Vec::new();
    for f in &files {
        let s = scenario::load(f)?;
        if s.quiz.is_some() {
            all.push(s);
        }
    }
    if all.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no scenario with a [quiz] (the exam library is scenarios/ans/)",
            path.display()
        )));
    }
    let Some(topic) = topic else {
        return Ok(all);
    };
    let mut topics: Vec<String> = all
        .iter()
        .flat_map(|s| {
            s.quiz
                .as_ref()
                .map(|q| q.topics.clone())
                .unwrap_or_default()
        })
        .collect();
    topics.sort();
    topics.dedup();
    all.retain(|s| {
        s.quiz
            .as_ref()
            .is_some_and(|q| q.topics.iter().any(|t| t == topic))
    });
    if all.is_empty() {
        return Err(Error::Usage(format!(
            "--topic {topic}: no question of {} has this topic (topics: {})",
            path.display(),
            topics.join(", ")
        )));
    }
    Ok(all)
}

/// What the player said.
enum Reply {
    /// A choice's letter.
    Choice(String),
    /// Skip this question.
    Skip,
    /// Stop (or the input ended).
    Quit,
}

/// Asks every question of `questions` in turn, reading answers from `input` (unless
/// `options.answer` gives them), and writes everything to `out`; returns the score.
pub fn play(
    questions: &[Scenario],
    options: &Options,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Score, Error> {
    let mut score = Score::default();
    for (i, s) in questions.iter().enumerate() {
        let q = s.quiz.as_ref().expect("questions have a quiz");
        let mut text = format!(
            "Question {} of {}  ({}; topics: {})\n\n",
            i + 1,
            questions.len(),
            s.file,
            q.topics.join(", ")
        );
        text.push_str(&wrap(s.question.as_deref().unwrap_or_default(), 96, ""));
        text.push('\n');
        for (letter, choice) in &q.choices {
            text.push_str(&wrap(choice, 96, &format!("  {letter}) ")));
        }
        write(out, &text)?;
        let letters: Vec<&str> = q.choices.iter().map(|(l, _)| l.as_str()).collect();
        let reply = match &options.answer {
            Some(a) => {
                write(out, &format!("\nYour answer: {a} (--answer)\n"))?;
                Reply::Choice(a.to_ascii_uppercase())
            }
            None => ask(&letters, input, out, options.echo)?,
        };
        let chosen = match reply {
            Reply::Quit => break,
            Reply::Skip => {
                score.skipped += 1;
                write(out, &format!("Skipped. The answer is {}.\n\n", q.answer))?;
                continue;
            }
            Reply::Choice(c) => c,
        };
        score.answered += 1;
        let right = chosen == q.answer;
        if right {
            score.right += 1;
        }
        write(out, &feedback(s, &chosen, right, options)?)?;
        write(
            out,
            &format!(
                "Score: {} right of {} answered{}\n\n{}\n\n",
                score.right,
                score.answered,
                skipped(score, ", {} skipped"),
                "=".repeat(96)
            ),
        )?;
    }
    write(
        out,
        &format!(
            "Final score: {} of {} answered right{}.\n",
            score.right,
            score.answered,
            skipped(score, " ({} skipped)")
        ),
    )?;
    Ok(score)
}

/// `form` with the questions skipped in place of `{}`, or nothing when none was.
fn skipped(score: Score, form: &str) -> String {
    if score.skipped > 0 {
        form.replace("{}", &score.skipped.to_string())
    } else {
        String::new()
    }
}

/// Reads a reply: a choice's letter (any case), `s` or `q`; asks again otherwise.
fn ask(
    letters: &[&str],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    echo: bool,
) -> Result<Reply, Error> {
    let first = letters.first().copied().unwrap_or("A");
    let last = letters.last().copied().unwrap_or("D");
    loop {
        write(
            out,
            &format!("\nYour answer ({first}-{last}; s skips, q quits): "),
        )?;
        let mut line = String::new();
        let read = input.read_line(&mut line).map_err(|source| Error::Read {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
        if read == 0 {
            write(out, "\n")?;
            return Ok(Reply::Quit);
        }
        if echo {
            write(out, &format!("{}\n", line.trim_end()))?;
        }
        let word = line.trim().to_ascii_uppercase();
        match word.as_str() {
            "Q" | "QUIT" => return Ok(Reply::Quit),
            "S" | "SKIP" => return Ok(Reply::Skip),
            w if letters.contains(&w) => return Ok(Reply::Choice(word)),
            _ => write(
                out,
                &format!(
                    "Answer with one of {}, s to skip or q to quit.",
                    letters.join(", ")
                ),
            )?,
        }
    }
}

/// Everything shown after an answer: the verdict, the simulation's evidence, the deciding hops,
/// the explanation and the sources.
fn feedback(s: &Scenario, chosen: &str, right: bool, options: &Options) -> Result<String, Error> {
    let q = s.quiz.as_ref().expect("questions have a quiz");
    let mut out = String::new();
    if right {
        out.push_str(&format!("\nRight: {chosen}.\n"));
    } else if q.choices.iter().any(|(l, _)| l == chosen) {
        out.push_str(&format!(
            "\nNot quite: you chose {chosen}; the answer is {}.\n",
            q.answer
        ));
    } else {
        out.push_str(&format!(
            "\n{chosen} is not a choice; the answer is {}.\n",
            q.answer
        ));
    }

    // The simulation: the variants the expectations need.
    let needed = expect::only_needed(s.clone());
    let (report, verdicts) = run::judge(&needed, options.flows, options.seed, options.threads);
    let proving: Vec<Verdict> = verdicts
        .iter()
        .filter(|v| v.proves.as_deref() == Some(q.answer.as_str()))
        .cloned()
        .collect();
    out.push_str("\nWhat the simulation shows (sim test judges these):\n");
    out.push_str(&crate::output::verdicts::lines(&proving));
    if !right {
        let refuting: Vec<&Verdict> = verdicts
            .iter()
            .filter(|v| v.refutes.iter().any(|r| r == chosen))
            .collect();
        let shown: Vec<&str> = proving.iter().map(|v| v.key.as_str()).collect();
        let more: Vec<Verdict> = refuting
            .iter()
            .filter(|v| !shown.contains(&v.key.as_str()))
            .map(|v| (*v).clone())
            .collect();
        if !more.is_empty() {
            out.push_str(&format!("\nWhat rules out {chosen}:\n"));
            out.push_str(&crate::output::verdicts::lines(&more));
        } else if !refuting.is_empty() {
            let mut keys: Vec<&str> = refuting.iter().map(|v| v.key.as_str()).collect();
            keys.dedup();
            out.push_str(&format!(
                "\nThe same evidence rules out {chosen} ({}).\n",
                keys.join(", ")
            ));
        }
    }
    if verdicts.iter().any(|v| v.outcome == Outcome::Fails) {
        out.push_str(
            "\nNote: some expectations of this question did not hold in this run (see above).\n",
        );
    }
    if let Some(r) = &report {
        let table = render::render(r, Format::Table);
        for title in ["Hits per target", "Failed flows"] {
            if let Some(section) = table_section(&table, title) {
                out.push('\n');
                out.push_str(&section);
            }
        }
        if let Some(dir) = &options.plot_dir {
            let written = crate::output::plot::write_plots(r, dir)?;
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            out.push_str(&format!("\nplots: {}\n", names.join(", ")));
        }
    }

    // The deciding hops of the traced flow.
    let (variant, flow) = &q.trace;
    let mut traced_scenario = s.clone();
    traced_scenario.variants.retain(|v| &v.name == variant);
    if !traced_scenario.variants.is_empty() {
        let engine = run::Engine {
            threads: options.threads,
            ..run::Engine::default()
        };
        let flows = options.flows.map(|n| n.max(flow + 1));
        let flows = flows.or_else(|| {
            let run_flows = traced_scenario.variants[0].topology.run.flows;
            (*flow >= run_flows).then_some(flow + 1)
        });
        if let Ok(traced) = run::trace(&traced_scenario, *flow, flows, options.seed, engine) {
            out.push_str(&format!(
                "\nThe deciding hops (sim explain {} --variant \"{variant}\" --flow {flow}):\n",
                s.file
            ));
            for t in &traced {
                for line in crate::output::explain::trace_lines(t.topology, &t.timeline, &t.traced)
                {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
    }

    out.push_str("\nWhy:\n");
    out.push_str(&wrap(q.explanation.trim(), 96, "  "));
    if !q.rules.is_empty() || !q.sources.is_empty() {
        out.push_str("\nSources:\n");
        for id in &q.rules {
            // Validation admits only the catalogue's rules.
            let Some(rule) = crate::rules::catalog::rule(id) else {
                continue;
            };
            let mark = if rule.assumption { " (assumption)" } else { "" };
            out.push_str(&format!("  docs/model.md {id} {}{mark}\n", rule.title));
            for source in &rule.sources {
                out.push_str(&format!(
                    "      {}: {}\n",
                    source.publisher().label(),
                    source.text
                ));
            }
        }
        let cited = |url: &str| {
            q.rules.iter().any(|id| {
                crate::rules::catalog::rule(id)
                    .is_some_and(|r| r.sources.iter().any(|s| s.url() == Some(url)))
            })
        };
        for url in q.sources.iter().filter(|u| !cited(u)) {
            out.push_str(&format!("  {url}\n"));
        }
    }
    out.push('\n');
    Ok(out)
}

/// The section of a rendered table that starts with the line `title`, up to the blank line.
fn table_section(table: &str, title: &str) -> Option<String> {
    let start = table.find(&format!("\n{title}\n"))? + 1;
    let rest = &table[start..];
    let end = rest.find("\n\n").map_or(rest.len(), |e| e + 1);
    Some(rest[..end].to_string())
}

/// `text` wrapped at `width` columns, each paragraph's first line after `first` and the
/// others indented to match it; paragraphs (blank-line separated) kept.
fn wrap(text: &str, width: usize, first: &str) -> String {
    let indent = " ".repeat(first.chars().count());
    let mut out = String::new();
    for (p, paragraph) in text.split("\n\n").enumerate() {
        if p > 0 {
            out.push('\n');
        }
        let mut line = if p == 0 {
            first.to_string()
        } else {
            indent.clone()
        };
        let mut empty = true;
        for word in paragraph.split_whitespace() {
            if !empty && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line = indent.clone();
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn write(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_whole_and_indents_continuations() {
        let text = wrap("one two three four five", 10, "A) ");
        assert_eq!(text, "A) one two\n   three\n   four\n   five\n");
        assert_eq!(wrap("a\n\nb", 80, ""), "a\n\nb\n");
    }

    #[test]
    fn the_seed_question_is_asked_answered_and_scored() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/crosszone.toml");
        let questions = questions(&dir, Some("cross-zone")).unwrap();
        let options = Options {
            flows: Some(2000),
            threads: 1,
            echo: true,
            ..Options::default()
        };
        let mut out = Vec::new();
        // A wrong letter, then junk (asked again), then the answer.
        let score = play(&questions, &options, &mut "x\nB\n".as_bytes(), &mut out).unwrap();
        assert_eq!(
            score,
            Score {
                answered: 1,
                right: 1,
                skipped: 0
            }
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Answer with one of A, B, C, D"), "{text}");
        assert!(text.contains("Right: B."), "{text}");
        assert!(text.contains("Hits per target"), "{text}");
        assert!(text.contains("The deciding hops"), "{text}");
        assert!(
            text.contains("Final score: 1 of 1 answered right."),
            "{text}"
        );

        let mut out = Vec::new();
        let options = Options {
            answer: Some("c".into()),
            ..options
        };
        let score = play(&questions, &options, &mut "".as_bytes(), &mut out).unwrap();
        assert_eq!(score.right, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Not quite: you chose C; the answer is B."),
            "{text}"
        );
        assert!(
            text.contains("The same evidence rules out C (expect[2])"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_topic_lists_the_topics_there_are() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/crosszone.toml");
        let Err(Error::Usage(message)) = questions(&file, Some("knitting")) else {
            panic!("an unknown topic is refused");
        };
        assert!(
            message.contains("topics: cross-zone, eni-placement, privatelink"),
            "{message}"
        );
    }
}
