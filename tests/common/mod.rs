//! Helpers shared by the integration-test binaries: running the real `sim` binary, scratch
//! scenario files, the seed scenario with edits, and running the library's event loop.
//!
//! Each test binary uses some of them: the rest would be dead code there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sim::model::Topology;
use sim::scenario::{self, Scenario};
use sim::sim::events::{RunOptions, run};

pub const CROSSZONE: &str = include_str!("../../scenarios/crosszone.toml");

/// The seed scenario's system and variants, without its `[[expect]]` blocks and `[quiz]` (for
/// tests that rename its targets).
pub fn crosszone_system() -> &'static str {
    let end = CROSSZONE
        .find("# ---- What should happen")
        .expect("crosszone.toml has a section of expectations");
    &CROSSZONE[..end]
}

/// Runs the real binary in the repository's root. `sim run` gets `--no-plot` unless the test
/// asks about plots itself, so that no test writes into the repository's `plots/`.
pub fn sim(args: &[&str]) -> Output {
    let mut args = args.to_vec();
    if args.first() == Some(&"run") && !args.iter().any(|a| *a == "--plot-dir" || *a == "--no-plot")
    {
        args.push("--no-plot");
    }
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 output")
}

/// The scenario files (`*.toml`) directly in `dir` (relative to the repository), sorted.
pub fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Every scenario the repository ships: `scenarios/` and the exam library `scenarios/ans/`.
pub fn every_scenario() -> Vec<PathBuf> {
    let mut files = scenario_files("scenarios");
    files.extend(scenario_files("scenarios/ans"));
    files
}

/// Writes `text` as a scenario file in the test's scratch directory.
pub fn scratch(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("scratch directory is writable");
    path
}

/// Runs `sim run --format json` on scenario `text` with `flows` flows and parses the report.
pub fn run_json(name: &str, text: &str, flows: u64) -> serde_json::Value {
    let path = scratch(name, text);
    let flows = flows.to_string();
    let output = sim(&[
        "run",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--flows",
        &flows,
    ]);
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("the report is JSON")
}

pub fn crosszone_with(from: &str, to: &str) -> String {
    assert!(
        CROSSZONE.contains(from),
        "the fixture no longer contains {from:?}"
    );
    CROSSZONE.replacen(from, to, 1)
}

/// Shows where two texts first differ.
pub fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        expected.lines().count(),
        actual.lines().count()
    )
}

/// Parses scenario `text`, panicking with its errors.
pub fn load(text: &str) -> Scenario {
    scenario::parse("test.toml", "test", text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Runs `flows` flows of `t` under `seed` on the event loop, untraced.
pub fn simulate(t: &Topology, flows: u64, seed: u64) -> sim::sim::tally::Tally {
    run(
        t,
        &RunOptions {
            flows,
            seed,
            trace_flow: None,
        },
    )
}

/// The topology of the variant named `name`.
pub fn variant<'a>(s: &'a Scenario, name: &str) -> &'a Topology {
    &s.variants.iter().find(|v| v.name == name).unwrap().topology
}

/// The scenario with clients in three AZs.
pub const ENDPOINT_PER_AZ: &str = include_str!("../../scenarios/endpoint-per-az.toml");
/// The NLB on its own, direct clients in three AZs.
#[allow(dead_code)]
pub const NLB_DIRECT: &str = include_str!("../../scenarios/nlb-direct.toml");
/// Instance vs IP targets, client IP preservation and proxy protocol, direct and PrivateLink.
#[allow(dead_code)]
pub const CLIENT_IP: &str = include_str!("../../scenarios/client-ip.toml");
/// UDP through the NLB's name: one-shot datagrams and sessions that idle out.
#[allow(dead_code)]
pub const UDP: &str = include_str!("../../scenarios/udp.toml");

/// The seed with its listener as a weighted forward to `web` (web-1, web-2) and `green` (web-3).
pub const WEIGHTED_FORWARD: &str = include_str!("weighted-forward.toml");
