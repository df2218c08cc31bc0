//! `sim sweep` and `sim merge`: a scenario run over a grid of points and seeds, and the parts
//! of a sharded sweep put back together.
//!
//! # The grid
//! A scenario's `[sweep]` table names the seeds and the axes:
//!
//! ```toml
//! [sweep]
//! seeds = [1, 2, 3, 4, 5]            # default: [run] seed; --seeds 1,2,3 overrides
//! axes = [
//!   { key = "load_balancers.provider-nlb.enable_cross_zone_load_balancing", values = [false, true] },
//!   { key = "vpc_endpoints.provider-endpoint.subnet_ids", values = [["consumer-1"], ["consumer-1", "consumer-2"]] },
//! ]
//! ```
//!
//! `--set KEY=VALUES` (VALUES a TOML array) adds an axis after the file's. The points are the
//! product of the axes, the first axis slowest; a point's name lists each axis's last key
//! segment and value as TOML (`enable_cross_zone_load_balancing=false, subnet_ids=["consumer-1"]`).
//! A point is the scenario with each axis's value set at its key path exactly as a variant's
//! `set` would set it ([`crate::scenario::parse_with`]): a resource that does not exist is an
//! error at `sweep.axes[i].key` (or `--set[j]`). Every point is validated before any runs.
//! Each point runs every variant of the scenario, each with every seed, with the bulk engine.
//!
//! # Runs and shards
//! Runs are numbered in the fixed order (point, variant, seed), the seed fastest. `--shard I/N`
//! runs only the runs whose index satisfies `index % N == I - 1`. Runs are spread over the
//! threads (one run per thread when there are at least as many runs as threads, else one run
//! after the other on every thread); the output does not depend on the thread count.
//!
//! # Rows
//! CSV columns: `point,variant,seed,<one column per axis, headed by its key>,level,name,hits,
//! share,expected_share,ci95_low,ci95_high`. Per run (per seed), in order:
//! - `level` = `subnet`, `az`, `target`: each subnet, AZ and target the variant has, with its
//!   `hits` (flows answered there), `share` (of all flows) and `expected_share` (the rules);
//! - `failure`: each failure reason (flows, share, expected share);
//! - `summary`: `name` = `cross_az_share` (hits = answered flows whose NLB node -> target leg
//!   crossed AZs), `cross_az_cost_usd` (the `share` column holds their inter-AZ cost in USD; no
//!   hits, no expected share), `failed_share` (hits = failed flows).
//!
//! After the last seed of each (point, variant) come its mean rows, `seed` = `mean`: for each
//! (level, name), the mean share and mean expected share over the seeds (a seed without the
//! row, a failure reason that did not occur, counts 0), no hits, and `ci95_low`, `ci95_high` =
//! mean -/+ 1.96 sd / sqrt(n) (sample standard deviation over the n seeds; the mean itself for
//! one seed). These two columns are empty on per-seed rows. Numbers print as Rust prints an
//! `f64` (the shortest text that reads back exactly). `--format jsonl` writes the same rows as
//! JSON objects, one per line: `point`, `variant`, `seed` (a number or `"mean"`), `axes` (key ->
//! value), `level`, `name`, `hits`, `share`, `expected_share`, `ci95_low`, `ci95_high` (`null`
//! where the CSV is empty).
//!
//! # The heat map
//! `--plot METRIC` ([`heat`]) draws the mean rows' `share` of one (level, name):
//! `cross_az_share`, `failed_share` (summary), `subnet:NAME` or `target:NAME`, over the first
//! axis (x) and the second (y), one panel per combination of the other axes' values (and per
//! variant), at most 12, into `--plot-dir` (default `plots/`) as `SCENARIO-sweep.png` and `.svg`.

//! # Part files and the digest
//! With `--shard I/N` the output is a part file ([`part`]): a header line
//! `#sim-sweep-part {json}` carrying the digest, `I`, `N`, the total run count, the format and
//! the axis keys, then the per-seed rows of its runs as JSON lines (no mean rows: `sim merge`
//! computes them, with the same function as `sim sweep`, once every seed is back). The digest is
//! a 64-bit FNV-1a hash, in hex, of the scenario file's bytes, the axes (keys and values) and
//! seeds actually used, the flow count, and the binary's version: `CARGO_PKG_VERSION` plus the
//! git commit in `SIM_GIT_COMMIT` if that variable was set when sim was built (empty
//! otherwise; no build script sets it). `sim merge` refuses parts with different digests or
//! shard counts, missing or duplicate shards, and writes exactly what the unsharded `sim sweep`
//! would have written.

pub mod heat;
pub mod part;
pub mod rows;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, ScenarioError};
use crate::run;
use crate::scenario::path::{KeyPath, Seg};
use crate::scenario::raw::RawSweep;
use crate::scenario::{self, Override, Scenario};
use rows::{Row, RunKey};

/// Most points a sweep may have.
pub const MAX_POINTS: usize = 100_000;

/// One axis of the grid.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The key path as written.
    pub key: String,
    /// Its segments.
    pub path: Vec<String>,
    /// Its values.
    pub values: Vec<toml::Value>,
    /// Where it was given (`sweep.axes[0].key`, `--set[0]`).
    pub at: KeyPath,
}

/// One point of the grid: the scenario with each axis's value set.
#[derive(Clone, Debug)]
pub struct Point {
    /// `key=value, ...`.
    pub name: String,
    /// Each axis's value, as TOML.
    pub values: Vec<String>,
    /// The scenario at this point.
    pub scenario: Scenario,
}

/// A validated sweep: its points, seeds, flows and digest.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The axes, file's first.
    pub axes: Vec<Axis>,
    /// The points, first axis slowest.
    pub points: Vec<Point>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Flows per run.
    pub flows: u64,
    /// The digest of the inputs (module doc).
    pub digest: u64,
}

/// One run: indices of the point and variant, and the seed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunId {
    /// Index of the point.
    pub point: usize,
    /// Index of the variant.
    pub variant: usize,
    /// The seed.
    pub seed: u64,
}

/// The binary's version for the digest: the package version and `SIM_GIT_COMMIT` when set at
/// build time (empty otherwise).
pub fn version() -> String {
    format!(
        "{} {}",
        env!("CARGO_PKG_VERSION"),
        option_env!("SIM_GIT_COMMIT").unwrap_or("")
    )
}

/// 64-bit FNV-1a, fed field by field (each field prefixed by its length).
struct Digest(u64);

impl Digest {
    fn new() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Parses an axis key path (TOML dotted keys) into its segments.
fn key_segments(key: &str) -> Result<Vec<String>, String> {
    let bad = || {
        format!(
            "`{key}` is not a key path (TOML dotted keys, e.g. load_balancers.provider-nlb.enable_cross_zone_load_balancing)"
        )
    };
    if key.contains(['\n', '\r', '#', '=']) {
        return Err(bad());
    }
    let table: toml::Table = toml::from_str(&format!("{key} = 0")).map_err(|_| bad())?;
    let mut segs = Vec::new();
    let mut table = &table;
    loop {
        let mut entries = table.iter();
        let (Some((k, v)), None) = (entries.next(), entries.next()) else {
            return Err(bad());
        };
        segs.push(k.clone());
        match v {
            toml::Value::Table(t) => table = t,
            toml::Value::Integer(0) => return Ok(segs),
            _ => return Err(bad()),
        }
    }
}

/// The nested table setting `value` at `path`.
fn nested(path: &[String], value: &toml::Value) -> toml::Table {
    let mut v = value.clone();
    for seg in path.iter().rev() {
        let mut t = toml::Table::new();
        t.insert(seg.clone(), v);
        v = toml::Value::Table(t);
    }
    match v {
        toml::Value::Table(t) => t,
        _ => unreachable!("an axis key has at least one segment"),
    }
}

/// A TOML value as inline TOML text.
pub fn toml_text(value: &toml::Value) -> String {
    let mut t = toml::Table::new();
    t.insert("v".into(), value.clone());
    let text = toml::to_string(&t).unwrap_or_default();
    text.trim_end()
        .strip_prefix("v = ")
        .unwrap_or(text.trim_end())
        .to_string()
}

/// What the command line adds to the scenario's `[sweep]`.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--set KEY=VALUES`, as given.
    pub sets: Vec<String>,
    /// `--seeds`.
    pub seeds: Option<Vec<u64>>,
    /// `--flows`.
    pub flows: Option<u64>,
}

/// Reads the scenario at `path` and validates its sweep with the command line's `overrides`:
/// every point is parsed and validated before anything runs.
pub fn plan(path: &Path, overrides: &Overrides) -> Result<Plan, Error> {
    let text = scenario::read_text(path)?;
    let file = path.display().to_string();
    let stem = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let base = scenario::parse(&file, &stem, &text).map_err(Error::Scenario)?;
    let table: toml::Table = toml::from_str(&text).expect("the scenario parsed");
    let raw: RawSweep = match table.get("sweep") {
        None => RawSweep::default(),
        Some(v) => v.clone().try_into().expect("[sweep] was validated"),
    };
    let at_sweep = KeyPath::root().key("sweep");
    let mut errors: Vec<ScenarioError> = Vec::new();
    let mut axes: Vec<Axis> = Vec::new();
    for (i, a) in raw.axes.iter().enumerate() {
        let at = at_sweep.key("axes").index(i);
        match key_segments(&a.key) {
            Err(message) => errors.push(scenario::locate_in(&file, &text, &at.key("key"), message)),
            Ok(path) => {
                if a.values.is_empty() {
                    errors.push(scenario::locate_in(
                        &file,
                        &text,
                        &at.key("values"),
                        "an axis needs at least one value".into(),
                    ));
                }
                axes.push(Axis {
                    key: a.key.clone(),
                    path,
                    values: a.values.clone(),
                    at: at.key("key"),
                });
            }
        }
    }
    if let Some(seeds) = &raw.seeds {
        if let Some(message) = seeds_problem(seeds) {
            errors.push(scenario::locate_in(
                &file,
                &text,
                &at_sweep.key("seeds"),
                message,
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Scenario(errors));
    }
    for (j, set) in overrides.sets.iter().enumerate() {
        axes.push(cli_axis(j, set)?);
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            return Err(axis_error(
                &file,
                &text,
                a,
                format!("`{}` is already an axis", a.key),
            ));
        }
    }
    let seeds = match (&overrides.seeds, raw.seeds) {
        (Some(s), _) => {
            if let Some(message) = seeds_problem(s) {
                return Err(Error::Usage(format!("--seeds: {message}")));
            }
            s.clone()
        }
        (None, Some(s)) => s,
        (None, None) => vec![base.variants[0].topology.run.seed],
    };
    let flows = overrides
        .flows
        .unwrap_or(base.variants[0].topology.run.flows);
    let count = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| Error::Usage(format!("the sweep has more than {MAX_POINTS} points")))?;
    let mut points = Vec::with_capacity(count);
    let mut seen: Vec<ScenarioError> = Vec::new();
    for p in 0..count {
        let mut index = p;
        let mut picks = vec![0; axes.len()];
        for (k, a) in axes.iter().enumerate().rev() {
            picks[k] = index % a.values.len();
            index /= a.values.len();
        }
        let values: Vec<String> = axes
            .iter()
            .zip(&picks)
            .map(|(a, &k)| toml_text(&a.values[k]))
            .collect();
        let name = axes
            .iter()
            .zip(&values)
            .map(|(a, v)| format!("{}={v}", a.path.last().expect("a key has a segment")))
            .collect::<Vec<_>>()
            .join(", ");
        let sets: Vec<Override> = axes
            .iter()
            .zip(&picks)
            .map(|(a, &k)| Override {
                set: nested(&a.path, &a.values[k]),
                at: a.at.clone(),
            })
            .collect();
        match scenario::parse_with(&file, &stem, &text, &sets) {
            Ok(scenario) => points.push(Point {
                name,
                values,
                scenario,
            }),
            Err(found) => {
                for mut e in found {
                    if e.key_path.starts_with("--set") {
                        return Err(Error::Usage(format!("{}: {}", e.key_path, e.message)));
                    }
                    if !axes.iter().any(|a| a.at.to_string() == e.key_path) {
                        e.message = format!("{} (at sweep point {name})", e.message);
                    }
                    if !seen
                        .iter()
                        .any(|s| s.key_path == e.key_path && s.line == e.line)
                    {
                        seen.push(e.clone());
                        errors.push(e);
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Scenario(errors));
    }
    let mut d = Digest::new();
    d.bytes(b"sim sweep");
    d.bytes(text.as_bytes());
    d.bytes(&(axes.len() as u64).to_le_bytes());
    for a in &axes {
        d.bytes(a.key.as_bytes());
        d.bytes(&(a.values.len() as u64).to_le_bytes());
        for v in &a.values {
            d.bytes(toml_text(v).as_bytes());
        }
    }
    d.bytes(&(seeds.len() as u64).to_le_bytes());
    for s in &seeds {
        d.bytes(&s.to_le_bytes());
    }
    d.bytes(&flows.to_le_bytes());
    d.bytes(version().as_bytes());
    Ok(Plan {
        axes,
        points,
        seeds,
        flows,
        digest: d.0,
    })
}

fn seeds_problem(seeds: &[u64]) -> Option<String> {
    if seeds.is_empty() {
        return Some("give at least one seed".into());
    }
    seeds
        .iter()
        .enumerate()
        .find(|(i, s)| seeds[..*i].contains(s))
        .map(|(_, s)| format!("seed {s} is listed twice"))
}

fn axis_error(file: &str, text: &str, a: &Axis, message: String) -> Error {
    match a.at.0.first() {
        Some(Seg::Key(k)) if k == "sweep" => {
            Error::Scenario(vec![scenario::locate_in(file, text, &a.at, message)])
        }
        _ => Error::Usage(format!("{}: {message}", a.at)),
    }
}

/// `--set KEY=VALUES` number `j`.
fn cli_axis(j: usize, set: &str) -> Result<Axis, Error> {
    let usage = |message: String| Error::Usage(format!("--set {set}: {message}"));
    let Some((key, values)) = set.split_once('=') else {
        return Err(usage(
            "give KEY=VALUES, VALUES a TOML array (e.g. --set 'load_balancers.provider-nlb.enable_cross_zone_load_balancing=[false,true]')".into(),
        ));
    };
    let key = key.trim();
    let path = key_segments(key).map_err(usage)?;
    let values = toml::from_str::<toml::Table>(&format!("v = {values}"))
        .ok()
        .and_then(|mut t| t.remove("v"));
    let Some(toml::Value::Array(values)) = values else {
        return Err(usage(
            "VALUES is not a TOML array (e.g. [false, true] or [\"a\", \"b\"])".into(),
        ));
    };
    if values.is_empty() {
        return Err(usage("an axis needs at least one value".into()));
    }
    Ok(Axis {
        key: key.to_string(),
        path,
        values,
        at: KeyPath::root().key("--set").index(j),
    })
}

/// Every run of `plan`, in order (point, variant, seed).
pub fn runs(plan: &Plan) -> Vec<RunId> {
    let mut out = Vec::new();
    for (p, point) in plan.points.iter().enumerate() {
        for v in 0..point.scenario.variants.len() {
            for &seed in &plan.seeds {
                out.push(RunId {
                    point: p,
                    variant: v,
                    seed,
                });
            }
        }
    }
    out
}

/// The per-seed rows of the runs whose indices are `selected` (ascending), on `threads` threads,
/// in run order.
pub fn execute(plan: &Plan, selected: &[usize], threads: usize) -> Vec<Row> {
    execute_with_progress(plan, selected, threads, None)
}

/// [`execute`], calling `progress` with the count of runs done after each run.
pub fn execute_with_progress(
    plan: &Plan,
    selected: &[usize],
    threads: usize,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Vec<Row> {
    let all = runs(plan);
    let finished = AtomicUsize::new(0);
    let tick = || {
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(n as u64);
        }
    };
    let one = |index: usize, threads: usize| -> Vec<Row> {
        let id = all[index];
        let point = &plan.points[id.point];
        let s = &point.scenario;
        let single = Scenario {
            file: s.file.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            question: s.question.clone(),
            variants: vec![s.variants[id.variant].clone()],
            warnings: Vec::new(),
            expectations: Vec::new(),
            quiz: None,
            refused: Vec::new(),
        };
        let report = run::run_scenario(
            &single,
            Some(plan.flows),
            Some(id.seed),
            run::Engine {
                event_loop: false,
                threads,
                progress: None,
            },
        );
        let key = RunKey {
            run: index,
            point: id.point,
            variant_index: id.variant,
            point_name: &point.name,
            values: &point.values,
            seed: id.seed,
        };
        let mut rows = rows::run_rows(&key, &report.variants[0], plan.flows);
        for r in &mut rows {
            r.variant.clone_from(&s.variants[id.variant].name);
        }
        tick();
        rows
    };
    let threads = threads.max(1);
    if threads == 1 || selected.len() < threads {
        return selected.iter().flat_map(|&i| one(i, threads)).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Vec<Row>>>> = Mutex::new(vec![None; selected.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= selected.len() {
                        break;
                    }
                    let rows = one(selected[k], 1);
                    done.lock().expect("no worker panicked")[k] = Some(rows);
                }
            });
        }
    });
    done.into_inner()
        .expect("no worker panicked")
        .into_iter()
        .flat_map(|r| r.expect("every run ran"))
        .collect()
}
