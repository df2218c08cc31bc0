//! The runner: every variant of a scenario on the chosen engine, its expected distribution, and
//! the report built from them (the report does not depend on the engine or the thread count);
//! and one flow traced through every variant, for `sim explain` to render.

use crate::expected;
use crate::output::explain::TracedVariant;
use crate::output::report::{self, Report, VariantRun};
use crate::scenario::Scenario;
use crate::sim::bulk::{self, BulkOptions, Progress};
use crate::sim::events::{self, RunOptions};
use crate::state::State;
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
            let tally = if engine.event_loop {
                events::run(
                    t,
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
                bulk::run(
                    t,
                    &BulkOptions {
                        flows,
                        seed,
                        threads: engine.threads,
                    },
                    progress,
                )
            };
            let state = State::initial(t, seed);
            let expected = expected::expected(&Walker::new(t, seed), &state);
            (state, tally, expected)
        })
        .collect();
    let runs: Vec<VariantRun<'_>> = scenario
        .variants
        .iter()
        .zip(&results)
        .map(|(v, (state, tally, expected))| VariantRun {
            name: &v.name,
            description: v.description.as_deref(),
            topology: &v.topology,
            state,
            tally,
            expected,
        })
        .collect();
    report::report(scenario, &runs, flows, seed)
}

/// Flow `flow` of every variant of `scenario` under `seed` (the scenario's `[run]` when `None`),
/// traced by the event loop, which replays the flows before it (their DNS caches decide its
/// lookup). `Err` names the flag when `flow` is beyond what the clock can count.
pub fn trace(
    scenario: &Scenario,
    flow: u64,
    seed: Option<u64>,
) -> Result<Vec<TracedVariant<'_>>, String> {
    let flows = flow.checked_add(1).ok_or("--flow is too large")?;
    Ok(scenario
        .variants
        .iter()
        .map(|v| {
            let t = &v.topology;
            let seed = seed.unwrap_or(t.run.seed);
            let options = RunOptions {
                flows,
                seed,
                trace_flow: Some(flow),
            };
            TracedVariant {
                name: &v.name,
                topology: t,
                state: State::initial(t, seed),
                seed,
                traced: events::trace(t, &options).expect("the run reaches the traced flow"),
            }
        })
        .collect())
}
