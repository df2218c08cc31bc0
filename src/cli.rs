//! The command line: the only module that knows clap. Parses, validates flags once, calls the
//! library, and returns what to print.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::output::render::{self, Format};
use crate::output::terminal::escape_controls;
use crate::run;
use crate::scenario::{self, Scenario};

/// sim: where each connection through an AWS PrivateLink interface endpoint and a Network Load
/// Balancer lands, and why. A discrete-event simulation of curl-like flows through DNS, the
/// endpoint's ENIs, the NLB's nodes (flow hashing, cross-zone on or off) and the targets.
#[derive(Debug, Parser)]
#[command(name = "sim", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every variant of a scenario and report the hit distribution per subnet, AZ and
    /// target beside the expected one. Prints a throughput line on stderr, then draws the
    /// distribution, the hits over time and the flow map as PNG and SVG under plots/ (see
    /// --plot-dir).
    Run {
        /// The scenario file (TOML), e.g. scenarios/crosszone.toml.
        scenario: PathBuf,
        /// Output format: aligned tables, the JSON contract of README.md, or CSV rows.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Flows to simulate per variant (overrides [run] flows of the scenario).
        #[arg(long, value_name = "N")]
        flows: Option<u64>,
        /// Master seed (overrides [run] seed). The same scenario and seed give the same report.
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Run only the named variant (repeat for several; default: all).
        #[arg(long, value_name = "NAME")]
        variant: Vec<String>,
        /// Worker threads (default: every core). The report is the same for any count.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// The engine: `bulk` counts flows path by path on every core; `events` runs the
        /// discrete-event loop one event at a time (the reference; same report, slower).
        #[arg(long, value_enum, default_value = "bulk")]
        engine: EngineKind,
        /// No progress bar, throughput line or plots line on stderr (errors still print).
        #[arg(long)]
        quiet: bool,
        /// Directory for the plots (created if missing): SCENARIO-NAME.png and .svg (hits per
        /// subnet), SCENARIO-NAME-timeseries.png and .svg (hits per target over time) and
        /// SCENARIO-NAME-flowmap.png and .svg (the architecture by AZ with the flows on each
        /// leg and where flows failed). No other file in it is touched.
        #[arg(
            long,
            value_name = "DIR",
            default_value = "plots",
            conflicts_with = "no_plot"
        )]
        plot_dir: PathBuf,
        /// Do not draw plots.
        #[arg(long)]
        no_plot: bool,
    },
    /// Explain one flow hop by hop: DNS answer, chosen address, security groups, the NLB node,
    /// the eligible targets and the flow hash, and the answer.
    Explain {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Index of the flow to trace (0 is the first flow of the run; below the run's flows).
        #[arg(long, value_name = "N", default_value_t = 0)]
        flow: u64,
        /// Flows in the run the flow belongs to (overrides [run] flows of the scenario; raise
        /// it to trace a later flow).
        #[arg(long, value_name = "N")]
        flows: Option<u64>,
        /// Variant to trace in (default: every variant, one after the other).
        #[arg(long, value_name = "NAME")]
        variant: Vec<String>,
        /// Master seed (overrides [run] seed).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// The engine: `bulk` reaches the flow with the arrival and DNS passes on every core
        /// and walks it alone; `events` replays every flow before it on the discrete-event loop
        /// (the reference; same trace, slower).
        #[arg(long, value_enum, default_value = "bulk")]
        engine: EngineKind,
    },
    /// Check the answers: run each scenario's variants that its `[[expect]]` blocks name (every
    /// variant for a block without one) and judge every expectation. Prints one verdict per
    /// expectation and variant; exits 3 naming each that failed, with what was observed (2 for a
    /// scenario that is not valid, 1 when output cannot be written).
    Test {
        /// Scenario files (TOML), or directories whose *.toml files are all tested.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Flows to simulate per variant (overrides each scenario's [run] flows).
        #[arg(long, value_name = "N")]
        flows: Option<u64>,
        /// Master seed (overrides each scenario's [run] seed).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Worker threads (default: every core). Verdicts are the same for any count.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Print only the expectations that fail, and the closing count.
        #[arg(long)]
        quiet: bool,
    },
    /// Study for the exam: ask the questions of the exam library (scenarios with a `[quiz]`) one
    /// by one, read your answer, simulate, and show the verdict with the evidence (the
    /// expectations that prove the answer and rule out your choice), the hits per target, the
    /// deciding hops of one flow, the explanation and its sources; keep a score.
    Quiz {
        /// A directory of scenarios (their *.toml files with a `[quiz]`, in name order) or one
        /// scenario file.
        #[arg(default_value = "scenarios/ans")]
        path: PathBuf,
        /// Only the questions with this topic (e.g. cross-zone, dns, health-checks).
        #[arg(long, value_name = "T")]
        topic: Option<String>,
        /// Answer every question with this letter instead of asking (for scripts).
        #[arg(long, value_name = "X")]
        answer: Option<String>,
        /// Flows to simulate per variant (overrides each scenario's [run] flows).
        #[arg(long, value_name = "N")]
        flows: Option<u64>,
        /// Master seed (overrides each scenario's [run] seed).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Worker threads (default: every core).
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Draw each question's plots into this directory (none by default).
        #[arg(long, value_name = "DIR")]
        plot_dir: Option<PathBuf>,
    },
    /// Validate a scenario and summarise what it contains, without simulating.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
    /// Run a scenario over a grid: every point of its `[sweep]` axes (and --set axes), every
    /// variant, every seed, with the bulk engine; one row per outcome and run, and the mean over
    /// the seeds with its 95 % interval. The row format is in the documentation of sim::sweep.
    Sweep {
        /// The scenario file (TOML), with or without a `[sweep]` table.
        scenario: PathBuf,
        /// Another axis, after the file's: KEY a key path a variant's `set` can set, VALUES a
        /// TOML array (e.g. `load_balancers.provider-nlb.enable_cross_zone_load_balancing=[false,true]`).
        /// Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUES")]
        set: Vec<String>,
        /// Seeds, comma-separated (overrides `[sweep]` seeds; default: `[run]` seed).
        #[arg(long, value_name = "S,S,...", value_delimiter = ',')]
        seeds: Option<Vec<u64>>,
        /// Flows per run (overrides [run] flows).
        #[arg(long, value_name = "N")]
        flows: Option<u64>,
        /// Worker threads (default: every core). The output is the same for any count.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Output format: CSV rows with a header, or one JSON object per line.
        #[arg(long, value_enum, default_value = "csv")]
        format: crate::sweep::rows::SweepFormat,
        /// Run only shard I of N (the runs whose index modulo N is I - 1) and write a part file
        /// for `sim merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Draw a heat map of the mean over the seeds of METRIC (`cross_az_share`,
        /// `failed_share`, `subnet:NAME` or `target:NAME`, a share) over the first two axes, one
        /// panel per value combination of the other axes: SCENARIO-sweep.png and .svg in
        /// --plot-dir. Not with --shard.
        #[arg(long, value_name = "METRIC", conflicts_with = "shard")]
        plot: Option<String>,
        /// Directory for the heat map (created if missing); no other file in it is touched.
        #[arg(long, value_name = "DIR", default_value = "plots")]
        plot_dir: PathBuf,
        /// No progress bar or plots line on stderr (errors still print).
        #[arg(long)]
        quiet: bool,
    },
    /// Turn Terraform into a scenario: the JSON of `terraform show -json` (a saved plan or a
    /// state) or a directory of .tf files. Writes the scenario TOML; every resource type,
    /// attribute or expression it could not map is named on stderr and as a `# dropped:` /
    /// `# TODO:` comment in the scenario.
    Import {
        /// A .json file (`terraform show -json plan.bin > plan.json`) or a directory of .tf files.
        path: PathBuf,
        /// Write the scenario to this file instead of stdout (an existing file only with --force).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite the -o file if it exists.
        #[arg(long)]
        force: bool,
        /// The AZ name -> AZ ID map of the accounts (replaces the input's), e.g.
        /// `us-east-1a=use1-az1,us-east-1b=use1-az2`; prefix a pair with a provider
        /// (`aws.consumer:us-east-1a=use1-az2`) for one provider configuration only.
        #[arg(long, value_name = "[PROVIDER:]NAME=ID,...")]
        az_ids: Option<String>,
        /// The workload's client instance (its scenario name or Terraform address; default:
        /// a guess, marked TODO).
        #[arg(long, value_name = "NAME")]
        client: Option<String>,
        /// The DNS name the client connects to (default: the first private hosted zone record).
        #[arg(long, value_name = "NAME")]
        host: Option<String>,
        /// Add two variants, "cross-zone off" and "cross-zone on", setting every NLB's
        /// enable_cross_zone_load_balancing.
        #[arg(long)]
        variant_cross_zone: bool,
    },
    /// Merge the part files of a sharded `sim sweep` (every shard 1..N once, all of the same
    /// sweep) into the output the unsharded sweep writes.
    Merge {
        /// The part files.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// The engines `sim run` and `sim explain` can use.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// Path-by-path counting on worker threads.
    Bulk,
    /// The discrete-event loop.
    Events,
}

/// Most worker threads `--threads` accepts.
const MAX_THREADS: usize = 1024;

/// Runs the parsed command line, writing results to `out` and notes (throughput, warnings) to
/// `err`. A note that cannot be written does not stop the command: its input's faults still
/// come first (exit 2), and only then does the lost note fail it (exit 1).
pub fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Error> {
    let mut notes = Notes {
        sink: err,
        lost: None,
    };
    execute_noting(cli, out, &mut notes)?;
    match notes.lost {
        None => Ok(()),
        Some(source) => Err(Error::Write {
            path: PathBuf::from("<stderr>"),
            source,
        }),
    }
}

/// The notes stream (stderr): written best effort, the first failure kept.
struct Notes<'a> {
    sink: &'a mut dyn Write,
    lost: Option<std::io::Error>,
}

impl Notes<'_> {
    fn note(&mut self, text: &str) {
        if self.lost.is_some() {
            return;
        }
        let text = escape_controls(text);
        if let Err(e) = self
            .sink
            .write_all(text.as_bytes())
            .and_then(|()| self.sink.flush())
        {
            self.lost = Some(e);
        }
    }
}

fn execute_noting(cli: Cli, out: &mut dyn Write, notes: &mut Notes<'_>) -> Result<(), Error> {
    match cli.command {
        Command::Run {
            scenario,
            format,
            flows,
            seed,
            variant,
            threads,
            engine,
            quiet,
            plot_dir,
            no_plot,
        } => {
            if flows == Some(0) {
                return Err(Error::Usage("--flows must be at least 1".into()));
            }
            let threads = threads_flag(threads)?;
            let mut loaded = scenario::load(&scenario)?;
            select_variants(&mut loaded, &variant)?;
            check_clock(&loaded, flows)?;
            let first = &loaded.variants[0].topology;
            let total = flows
                .unwrap_or(first.run.flows)
                .saturating_mul(loaded.variants.len() as u64);
            let started = Instant::now();
            let bar = ProgressBar::new(total, started, !quiet && std::io::stderr().is_terminal());
            let progress = |done: u64| bar.show(done);
            let report = run::run_scenario(
                &loaded,
                flows,
                seed,
                run::Engine {
                    event_loop: engine == EngineKind::Events,
                    threads,
                    progress: Some(&progress),
                },
            );
            let wall = started.elapsed().as_secs_f64();
            bar.clear();
            let rendered = render::render(&report, format);
            match format {
                // CSV carries names byte for byte; JSON escapes control characters itself.
                Format::Csv | Format::Json | Format::MetricsJson | Format::MetricsCsv => {
                    write_to(out, &rendered)?
                }
                Format::Table => write_to(out, &escape_controls(&rendered))?,
            }
            if !quiet {
                notes.note(&throughput_line(&report, wall, engine, threads));
            }
            if no_plot {
                return Ok(());
            }
            let written = crate::output::plot::write_plots(&report, &plot_dir)?;
            if quiet {
                return Ok(());
            }
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            notes.note(&format!("plots: {}\n", names.join(", ")));
            Ok(())
        }
        Command::Explain {
            scenario,
            flow,
            flows,
            variant,
            seed,
            engine,
        } => {
            if flows == Some(0) {
                return Err(Error::Usage("--flows must be at least 1".into()));
            }
            let mut loaded = scenario::load(&scenario)?;
            select_variants(&mut loaded, &variant)?;
            check_clock(&loaded, flows)?;
            for warning in &loaded.warnings {
                notes.note(&format!("warning: {warning}\n"));
            }
            let engine = run::Engine {
                event_loop: engine == EngineKind::Events,
                ..run::Engine::default()
            };
            let traced = run::trace(&loaded, flow, flows, seed, engine).map_err(Error::Usage)?;
            let text = crate::output::explain::explain(&loaded, flow, &traced);
            write_to(out, &escape_controls(&text))
        }
        Command::Sweep {
            scenario,
            set,
            seeds,
            flows,
            threads,
            format,
            shard,
            output,
            plot,
            plot_dir,
            quiet,
        } => {
            if flows == Some(0) {
                return Err(Error::Usage("--flows must be at least 1".into()));
            }
            let threads = threads_flag(threads)?;
            let shard = shard.as_deref().map(parse_shard).transpose()?;
            let metric = plot
                .as_deref()
                .map(crate::sweep::heat::parse_metric)
                .transpose()?;
            if let Some(m) = &metric {
                crate::sweep::heat::check_metric(m, &scenario::read_text(&scenario)?)?;
            }
            let plan = crate::sweep::plan(
                &scenario,
                &crate::sweep::Overrides {
                    sets: set,
                    seeds,
                    flows,
                },
            )?;
            for point in &plan.points {
                check_clock(&point.scenario, Some(plan.flows))?;
            }
            let all = crate::sweep::runs(&plan).len();
            let selected: Vec<usize> = (0..all)
                .filter(|i| shard.is_none_or(|(i_, n)| i % n == i_ - 1))
                .collect();
            let started = Instant::now();
            let bar = ProgressBar::new(
                selected.len() as u64,
                started,
                !quiet && std::io::stderr().is_terminal(),
            )
            .with_unit("runs");
            let progress = |done: u64| bar.show(done);
            let rows =
                crate::sweep::execute_with_progress(&plan, &selected, threads, Some(&progress));
            bar.clear();
            let axes: Vec<String> = plan.axes.iter().map(|a| a.key.clone()).collect();
            let text = match shard {
                None => {
                    let rows = crate::sweep::rows::with_means(rows);
                    if let (Some(m), Some(text)) = (&metric, &plot) {
                        let map = crate::sweep::heat::heatmap(&plan, &rows, m, text);
                        let written = crate::output::plot::write_heatmap(
                            &map,
                            &plan.points[0].scenario.name,
                            &plot_dir,
                        )?;
                        if !quiet {
                            let names: Vec<String> =
                                written.iter().map(|p| p.display().to_string()).collect();
                            notes.note(&format!("plots: {}\n", names.join(", ")));
                        }
                    }
                    crate::sweep::rows::render(&rows, &axes, format)
                }
                Some((i, n)) => crate::sweep::part::write(
                    &crate::sweep::part::Header {
                        digest: format!("{:016x}", plan.digest),
                        shard: i,
                        shards: n,
                        runs: all,
                        format,
                        axes,
                    },
                    &rows,
                ),
            };
            write_output(out, output.as_deref(), &text)
        }
        Command::Merge { parts, output } => {
            let mut texts = Vec::with_capacity(parts.len());
            for p in &parts {
                let text = std::fs::read_to_string(p).map_err(|source| Error::Read {
                    path: p.clone(),
                    source,
                })?;
                texts.push((p.display().to_string(), text));
            }
            let text = crate::sweep::part::merge(&texts)?;
            write_output(out, output.as_deref(), &text)
        }
        Command::Test {
            scenarios,
            flows,
            seed,
            threads,
            quiet,
        } => {
            if flows == Some(0) {
                return Err(Error::Usage("--flows must be at least 1".into()));
            }
            let threads = threads_flag(threads)?;
            test_scenarios(&scenarios, flows, seed, threads, quiet, out)
        }
        Command::Quiz {
            path,
            topic,
            answer,
            flows,
            seed,
            threads,
            plot_dir,
        } => {
            if flows == Some(0) {
                return Err(Error::Usage("--flows must be at least 1".into()));
            }
            if let Some(a) = &answer {
                let letter = a.len() == 1 && a.chars().all(|c| c.is_ascii_alphabetic());
                if !letter {
                    return Err(Error::Usage(format!(
                        "--answer {a}: give one letter, a choice such as B"
                    )));
                }
            }
            let threads = threads_flag(threads)?;
            let questions = crate::quiz::questions(&path, topic.as_deref())?;
            for s in &questions {
                check_clock(s, flows)?;
            }
            let options = crate::quiz::Options {
                topic,
                answer,
                flows,
                seed,
                threads,
                plot_dir,
                echo: !std::io::stdin().is_terminal(),
            };
            let stdin = std::io::stdin();
            crate::quiz::play(&questions, &options, &mut stdin.lock(), out)?;
            Ok(())
        }
        Command::Import {
            path,
            output,
            force,
            az_ids,
            client,
            host,
            variant_cross_zone,
        } => {
            if let Some(out_path) = &output {
                if !force && out_path.exists() {
                    return Err(Error::Usage(format!(
                        "-o {}: the file exists; give --force to overwrite it",
                        out_path.display()
                    )));
                }
            }
            let mut model = if path.is_dir() {
                crate::import::hcl::read(&path)?
            } else {
                let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                crate::import::plan::parse(&path.display().to_string(), &text)?
            };
            if let Some(spec) = &az_ids {
                crate::import::set_az_ids(&mut model, spec)?;
            }
            let options = crate::import::emit::Options {
                client,
                host,
                variant_cross_zone,
                source: path.display().to_string(),
            };
            let emitted = crate::import::emit::emit(&model, &options)?;
            write_output(out, output.as_deref(), &emitted.text)?;
            for warning in &emitted.warnings {
                notes.note(&format!("warning: {warning}\n"));
            }
            Ok(())
        }
        Command::Check { scenario } => {
            let loaded = scenario::load(&scenario)?;
            let mut summary = crate::output::explain::summary(&loaded, None);
            summary.push_str(&expectations_summary(&loaded));
            write_to(out, &escape_controls(&summary))?;
            for warning in &loaded.warnings {
                notes.note(&format!("warning: {warning}\n"));
            }
            Ok(())
        }
    }
}

/// `sim test`: every expectation of every scenario in `paths`, judged; the verdicts on `out`.
/// The first scenario that is not valid stops it (exit 2); otherwise every failed expectation is
/// named in the error (exit 3).
fn test_scenarios(
    paths: &[PathBuf],
    flows: Option<u64>,
    seed: Option<u64>,
    threads: usize,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let files = scenario::files(paths)?;
    let mut failed: Vec<String> = Vec::new();
    let (mut total, mut held, mut blocks) = (0usize, 0usize, 0usize);
    for file in &files {
        let loaded = crate::expect::only_needed(scenario::load(file)?);
        if !loaded.variants.is_empty() {
            check_clock(&loaded, flows)?;
        }
        let (_, verdicts) = run::judge(&loaded, flows, seed, threads);
        total += verdicts.len();
        blocks += loaded.expectations.len();
        held += verdicts
            .iter()
            .filter(|v| v.outcome == crate::expect::Outcome::Holds)
            .count();
        for v in verdicts
            .iter()
            .filter(|v| v.outcome != crate::expect::Outcome::Holds)
        {
            failed.push(format!(
                "{}: {} (variant \"{}\"): {}: expected {}, observed {}",
                loaded.file, v.key, v.variant, v.what, v.expected, v.observed
            ));
        }
        let shown: Vec<crate::expect::Verdict> = verdicts
            .iter()
            .filter(|v| !quiet || v.outcome != crate::expect::Outcome::Holds)
            .cloned()
            .collect();
        let text = if verdicts.is_empty() {
            format!("{}: no [[expect]] blocks\n", loaded.file)
        } else if quiet && shown.is_empty() {
            String::new()
        } else {
            format!(
                "{}\n{}",
                loaded.file,
                crate::output::verdicts::lines(&shown)
            )
        };
        write_to(out, &escape_controls(&text))?;
    }
    write_to(
        out,
        &format!(
            "{total} check{} of {blocks} expectation{} in {} file{}: {held} hold, {} fail\n",
            if total == 1 { "" } else { "s" },
            if blocks == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            failed.len()
        ),
    )?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Expectations(format!(
            "{}\n{} of {total} checks failed",
            failed.join("\n"),
            failed.len()
        )))
    }
}

/// What `sim check` adds for `[[expect]]` and `[quiz]`: the refused variants with their errors,
/// and what the expectations and the quiz hold.
fn expectations_summary(s: &Scenario) -> String {
    let mut out = String::new();
    for r in &s.refused {
        out.push_str(&format!(
            "variant \"{}\": refused by validation, as [[expect]] says:\n",
            r.name
        ));
        for e in &r.errors {
            out.push_str(&format!("  {e}\n"));
        }
    }
    if !s.expectations.is_empty() {
        out.push_str(&format!(
            "expectations: {} [[expect]] block{} (`sim test` judges them)\n",
            s.expectations.len(),
            if s.expectations.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(q) = &s.quiz {
        out.push_str(&format!(
            "quiz: {} choices, topics {}\n",
            q.choices.len(),
            if q.topics.is_empty() {
                "none".to_string()
            } else {
                q.topics.join(", ")
            }
        ));
    }
    out
}

/// `--threads`, checked; every core by default.
fn threads_flag(threads: Option<usize>) -> Result<usize, Error> {
    match threads {
        None => Ok(run::Engine::default().threads),
        Some(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        Some(n) => Err(Error::Usage(format!(
            "--threads {n}: give 1 to {MAX_THREADS} worker threads"
        ))),
    }
}

/// `--shard I/N`, with 1 <= I <= N.
fn parse_shard(text: &str) -> Result<(usize, usize), Error> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if 1 <= i && i <= n => Ok((i, n)),
        _ => Err(Error::Usage(format!(
            "--shard {text}: give I/N with 1 <= I <= N, e.g. --shard 2/3"
        ))),
    }
}

/// Writes `text` to the file `path`, or to `out` without one.
fn write_output(
    out: &mut dyn Write,
    path: Option<&std::path::Path>,
    text: &str,
) -> Result<(), Error> {
    match path {
        None => write_to(out, text),
        Some(p) => std::fs::write(p, text).map_err(|source| Error::Write {
            path: p.to_path_buf(),
            source,
        }),
    }
}

/// Refuses a run whose arrivals might not fit in simulated time (64-bit nanoseconds).
fn check_clock(scenario: &Scenario, flows: Option<u64>) -> Result<(), Error> {
    for v in &scenario.variants {
        let t = &v.topology;
        let n = flows.unwrap_or(t.run.flows);
        if let Err(years) = crate::time::arrivals_fit(n, t.workload.arrival_rate) {
            let source = if flows.is_some() {
                "--flows"
            } else {
                "run.flows ="
            };
            return Err(Error::Usage(format!(
                "{}: {source} {n} at workload.arrival_rate = {} flows/s (variant \"{}\") is about {years:.3e} years of simulated time; \
                 sim's clock holds 584 years (64-bit nanoseconds): run fewer flows or raise arrival_rate",
                scenario.file, t.workload.arrival_rate, v.name
            )));
        }
    }
    Ok(())
}

/// `throughput: N flows (...) in S s wall = R flows/s (engine, threads)`.
fn throughput_line(
    report: &crate::output::report::Report,
    wall: f64,
    engine: EngineKind,
    threads: usize,
) -> String {
    let total = report.flows.saturating_mul(report.variants.len() as u64);
    let rate = if wall > 0.0 {
        total as f64 / wall
    } else {
        f64::INFINITY
    };
    format!(
        "throughput: {total} flows ({} variant{} x {}) in {wall:.3} s wall = {} flows/s ({}, {})\n",
        report.variants.len(),
        if report.variants.len() == 1 { "" } else { "s" },
        report.flows,
        human_rate(rate),
        match engine {
            EngineKind::Bulk => "bulk engine",
            EngineKind::Events => "event loop",
        },
        match (engine, threads) {
            (EngineKind::Events, _) | (_, 1) => "1 thread".to_string(),
            (_, n) => format!("{n} threads"),
        }
    )
}

fn select_variants(scenario: &mut Scenario, names: &[String]) -> Result<(), Error> {
    if names.is_empty() {
        return Ok(());
    }
    for name in names {
        if !scenario.variants.iter().any(|v| &v.name == name) {
            let known: Vec<String> = scenario
                .variants
                .iter()
                .map(|v| format!("\"{}\"", v.name))
                .collect();
            return Err(Error::Usage(format!(
                "--variant \"{name}\": {} has no such variant (it has {})",
                scenario.file,
                known.join(", ")
            )));
        }
    }
    scenario.variants.retain(|v| names.contains(&v.name));
    Ok(())
}

fn write_to(sink: &mut dyn Write, text: &str) -> Result<(), Error> {
    sink.write_all(text.as_bytes())
        .and_then(|()| sink.flush())
        .map_err(|source| Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })
}

/// `1.23 M`, `456.7 k`, `12`.
fn human_rate(rate: f64) -> String {
    if !rate.is_finite() {
        "more than can be timed".into()
    } else if rate >= 1e9 {
        format!("{:.2} G", rate / 1e9)
    } else if rate >= 1e6 {
        format!("{:.2} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// A progress bar on stderr for runs longer than a second, drawn only on a terminal.
struct ProgressBar {
    total: u64,
    unit: &'static str,
    started: Instant,
    enabled: bool,
    drawn: std::sync::atomic::AtomicBool,
}

impl ProgressBar {
    const WIDTH: u64 = 30;

    fn new(total: u64, started: Instant, enabled: bool) -> ProgressBar {
        ProgressBar {
            total,
            unit: "flows",
            started,
            enabled,
            drawn: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The same bar counting `unit` (`runs`) instead of flows.
    fn with_unit(self, unit: &'static str) -> ProgressBar {
        ProgressBar { unit, ..self }
    }

    /// Redraws the bar for `done` flows or runs (once the run has taken a second).
    fn show(&self, done: u64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if !self.enabled || elapsed < 1.0 || self.total == 0 {
            return;
        }
        self.drawn.store(true, std::sync::atomic::Ordering::Relaxed);
        let filled = (done.min(self.total) * Self::WIDTH / self.total) as usize;
        let rate = done as f64 / elapsed;
        let left = if rate > 0.0 {
            format!(
                "{:.0} s left",
                (self.total - done.min(self.total)) as f64 / rate
            )
        } else {
            "-".into()
        };
        // Best effort, like every note: a terminal that went away does not stop the run.
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {:>3}% {} / {} {unit}, {} {unit}/s, {left}\x1b[K",
            "#".repeat(filled),
            "-".repeat(Self::WIDTH as usize - filled),
            done.min(self.total) * 100 / self.total,
            done,
            self.total,
            human_rate(rate),
            unit = self.unit,
        );
    }

    /// Erases the bar, if it was drawn.
    fn clear(&self) {
        if self.drawn.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}
