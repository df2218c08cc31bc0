//! The runner: every variant of a scenario on the chosen engine, its expected distribution, and
//! the report built from them (the report does not depend on the engine or the thread count);
//! a scenario's expectations judged from such a run;
//! and one flow traced through every variant, for `sim explain` to render.

use crate::expected::{self, Expected};
use crate::output::explain::TracedVariant;
use crate::output::report::{self, Report, VariantRun};
use crate::scenario::Scenario;
use crate::sim::bulk::{self, BulkOptions, Progress};
use crate::sim::events::{self, RunOptions};
use crate::timeline::{self, Timeline};
use crate::walk::Walker;

/// Which engine runs the flows, and how.
#[derive(Copy, Clone)]
pub struct Engine<'a> {
    /// `true`: the discrete-event loop ([`events`]), one event at a time, on one thread;
    /// `false`: the bulk engine ([`bulk`]), the same tally on `threads` threads.
    pub event_loop: bool,
    /// Worker threads of the bulk engine.
    pub threads: usize,
    /// Told the flows done so far, over all variants, now and then (bulk engine only).
    pub progress: Option<Progress<'a>>,
}

impl Default for Engine<'_> {
    /// The bulk engine on every core, without progress reports.
    fn default() -> Self {
        Engine {
            event_loop: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: None,
        }
    }
}

/// Runs every variant of `scenario` with `flows` flows and `seed` (the scenario's `[run]` when
/// `None`) on `engine`, and builds the report.
pub fn run_scenario(
    scenario: &Scenario,
    flows: Option<u64>,
    seed: Option<u64>,
    engine: Engine<'_>,
) -> Report {
    let first = &scenario.variants[0].topology;
    let flows = flows.unwrap_or(first.run.flows);
    let seed = seed.unwrap_or(first.run.seed);
    let results: Vec<_> = scenario
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let t = &v.topology;
            let timeline = Timeline::new(t, seed, timeline::horizon(t, flows));
            let tally = if engine.event_loop {
                events::run_on(
                    t,
                    &timeline,
                    &RunOptions {
                        flows,
                        seed,
                        trace_flow: None,
                    },
                )
            } else {
                let before = flows.saturating_mul(i as u64);
                let progress = engine
                    .progress
                    .map(|report| move |done: u64| report(before.saturating_add(done)));
                let progress = progress.as_ref().map(|p| p as Progress<'_>);
                bulk::run_on(
                    t,
                    &timeline,
                    &BulkOptions {
                        flows,
                        seed,
                        threads: engine.threads,
                    },
                    progress,
                )
            };
            let walker = Walker::new(t, seed);
            let per_state: Vec<Expected> = timeline
                .states
                .iter()
                .map(|state| expected::expected(&walker, state))
                .collect();
            let weights = tally.state_flows();
            let expected = if weights.iter().any(|&w| w > 0) {
                let parts: Vec<(f64, &Expected)> =
                    weights.iter().map(|&w| w as f64).zip(&per_state).collect();
                expected::mixture(&parts)
            } else {
                per_state[0].clone()
            };
            (timeline, per_state, tally, expected)
        })
        .collect();
    let runs: Vec<VariantRun<'_>> = scenario
        .variants
        .iter()
        .zip(&results)
        .map(|(v, (timeline, per_state, tally, expected))| VariantRun {
            name: &v.name,
            description: v.description.as_deref(),
            topology: &v.topology,
            state: &timeline.states[0],
            timeline,
            per_state,
            tally,
            expected,
        })
        .collect();
    report::report(scenario, &runs, flows, seed)
}

/// Every expectation of `scenario` judged (`sim test`, `sim quiz`): its variants run on the
/// bulk engine with `threads` (pass [`crate::expect::only_needed`]'s scenario to run only those
/// the expectations need), then the verdicts; no report when no variant is left to run (every
/// expectation is about a refused variant).
pub fn judge(
    scenario: &Scenario,
    flows: Option<u64>,
    seed: Option<u64>,
    threads: usize,
) -> (Option<Report>, Vec<crate::expect::Verdict>) {
    if scenario.variants.is_empty() {
        return (None, crate::expect::evaluate(scenario, None));
    }
    let engine = Engine {
        event_loop: false,
        threads,
        progress: None,
    };
    let report = run_scenario(scenario, flows, seed, engine);
    let verdicts = report.expectations.clone();
    (Some(report), verdicts)
}

/// Flow `flow` of every variant of `scenario` under `seed` (the scenario's `[run]` when `None`),
/// in a run of `flows` flows (`[run] flows` when `None`), traced hop by hop. The bulk engine
/// reaches the flow with its arrival and DNS passes and walks it alone
/// ([`bulk::trace::trace`], on `engine.threads` threads); `engine.event_loop` replays every
/// flow before it on the event loop instead (the reference: the same trace, slower). `Err` names
/// the flag when `flow` is not a flow of the run.
pub fn trace<'s>(
    scenario: &'s Scenario,
    flow: u64,
    flows: Option<u64>,
    seed: Option<u64>,
    engine: Engine<'_>,
) -> Result<Vec<TracedVariant<'s>>, String> {
    let run_flows = scenario.variants[0].topology.run.flows;
    let n = flows.unwrap_or(run_flows);
    if flow >= n {
        let runs = match flows {
            Some(n) => format!(
                "the run has --flows {n} flows, numbered 0 to {} ({} sets run.flows = {run_flows})",
                n - 1,
                scenario.file
            ),
            None => format!(
                "{} sets run.flows = {n}, so its flows are numbered 0 to {}",
                scenario.file,
                n - 1
            ),
        };
        let beyond_clock = scenario.variants.iter().find_map(|v| {
            let rate = v.topology.workload.arrival_rate;
            crate::time::arrivals_fit(flow.saturating_add(1), rate)
                .err()
                .map(|years| (rate, years))
        });
        let raise = match beyond_clock {
            None => format!(
                "to trace flow {flow}, give --flows {} or more",
                flow.saturating_add(1)
            ),
            Some((rate, years)) => format!(
                "no run reaches flow {flow}: at workload.arrival_rate = {rate} flows/s its arrival is about {years:.3e} years of simulated time, and sim's clock holds 584 years"
            ),
        };
        return Err(format!("--flow {flow}: {runs}; {raise}"));
    }
    let variants: Vec<_> = scenario
        .variants
        .iter()
        .map(|v| (&v.topology, seed.unwrap_or(v.topology.run.seed)))
        .collect();
    let traced = if engine.event_loop {
        variants
            .iter()
            .map(|&(t, seed)| {
                let options = RunOptions {
                    flows: flow + 1,
                    seed,
                    trace_flow: Some(flow),
                };
                events::trace(t, &options).expect("the run reaches the traced flow")
            })
            .collect()
    } else {
        bulk::trace::trace_all(&variants, flow, engine.threads)
    };
    Ok(scenario
        .variants
        .iter()
        .zip(variants)
        .zip(traced)
        .map(|((v, (t, seed)), traced)| TracedVariant {
            name: &v.name,
            topology: t,
            timeline: Timeline::new(t, seed, timeline::horizon(t, n)),
            seed,
            traced,
        })
        .collect())
}
