//! The rows of a sweep: one per outcome of a run, the per-seed means across a point's seeds,
//! and their CSV and JSON-lines forms (the format is described in [`crate::sweep`]).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::output::report::VariantReport;

/// One row of the output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Index of the run in the fixed order (point, variant, seed); of the last seed's run on a
    /// mean row.
    pub run: usize,
    /// Index of the point.
    pub point: usize,
    /// Index of the variant in the scenario.
    pub variant_index: usize,
    /// The point's name (`key=value, ...`).
    pub point_name: String,
    /// The variant's name.
    pub variant: String,
    /// The seed; `None` on a mean row.
    pub seed: Option<u64>,
    /// Each axis's value at the point, as TOML.
    pub values: Vec<String>,
    /// `subnet`, `az`, `target`, `failure` or `summary`.
    pub level: String,
    /// The subnet, AZ, instance, failure reason, or summary figure.
    pub name: String,
    /// Flows (none on mean rows and for `cross_az_cost_usd`).
    pub hits: Option<u64>,
    /// Share of the run's flows (USD for `cross_az_cost_usd`); the mean on mean rows.
    pub share: f64,
    /// What the rules predict (none for `cross_az_cost_usd`).
    pub expected_share: Option<f64>,
    /// The 95 % interval of the mean across seeds (mean rows only).
    pub ci95: Option<[f64; 2]>,
}

/// What identifies the run a row belongs to.
#[derive(Clone, Debug)]
pub struct RunKey<'a> {
    /// Index of the run.
    pub run: usize,
    /// Index of the point.
    pub point: usize,
    /// Index of the variant.
    pub variant_index: usize,
    /// The point's name.
    pub point_name: &'a str,
    /// Each axis's value at the point, as TOML.
    pub values: &'a [String],
    /// The seed.
    pub seed: u64,
}

/// The per-seed rows of one run's variant report `v`, of `flows` flows: subnets, AZs and
/// targets present in the variant, failure reasons, then the summary.
pub fn run_rows(key: &RunKey<'_>, v: &VariantReport, flows: u64) -> Vec<Row> {
    let row = |level: &str, name: &str, hits: Option<u64>, share: f64, expected: Option<f64>| Row {
        run: key.run,
        point: key.point,
        variant_index: key.variant_index,
        point_name: key.point_name.to_string(),
        variant: v.name.clone(),
        seed: Some(key.seed),
        values: key.values.to_vec(),
        level: level.to_string(),
        name: name.to_string(),
        hits,
        share,
        expected_share: expected,
        ci95: None,
    };
    let mut rows = Vec::new();
    for (level, shares) in [("subnet", &v.subnets), ("az", &v.azs)] {
        for s in shares {
            if let Some(c) = &s.counts {
                rows.push(row(
                    level,
                    &s.name,
                    Some(c.hits),
                    c.share,
                    Some(c.expected_share),
                ));
            }
        }
    }
    for t in &v.targets {
        if let Some(c) = &t.counts {
            rows.push(row(
                "target",
                &t.name,
                Some(c.hits),
                c.share,
                Some(c.expected_share),
            ));
        }
    }
    let mut failed = 0u64;
    let mut failed_expected = 0.0;
    for f in &v.failed {
        failed += f.flows;
        failed_expected += f.expected_share;
        rows.push(row(
            "failure",
            &f.reason,
            Some(f.flows),
            f.share,
            Some(f.expected_share),
        ));
    }
    let c = &v.cross_az;
    rows.push(row(
        "summary",
        "cross_az_share",
        Some(c.flows),
        c.share,
        Some(c.expected_share),
    ));
    rows.push(row("summary", "cross_az_cost_usd", None, c.cost_usd, None));
    let failed_share = if flows == 0 {
        0.0
    } else {
        failed as f64 / flows as f64
    };
    rows.push(row(
        "summary",
        "failed_share",
        Some(failed),
        failed_share,
        Some(failed_expected),
    ));
    rows
}

/// The per-seed rows `rows` (in run order, each (point, variant) with all its seeds) followed,
/// after each (point, variant)'s last seed, by its mean rows: the mean share and expected share
/// of each (level, name) over the seeds (a seed without the row counts 0: a failure reason
/// that did not occur), with the 95 % interval mean +/- 1.96 sd / sqrt(n) (sample sd; the mean
/// itself for one seed). `sim sweep` and `sim merge` both call this.
pub fn with_means(rows: Vec<Row>) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len() + rows.len() / 2);
    let mut group: Vec<Row> = Vec::new();
    for row in rows {
        if let Some(first) = group.first() {
            if (first.point, first.variant_index) != (row.point, row.variant_index) {
                let means = means(&group);
                out.append(&mut group);
                out.extend(means);
            }
        }
        group.push(row);
    }
    let means = means(&group);
    out.append(&mut group);
    out.extend(means);
    out
}

/// The mean rows of one (point, variant)'s per-seed rows.
fn means(group: &[Row]) -> Vec<Row> {
    let Some(last) = group.last() else {
        return Vec::new();
    };
    let mut seeds: Vec<u64> = Vec::new();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in group {
        let seed = r.seed.expect("per-seed rows only");
        if !seeds.contains(&seed) {
            seeds.push(seed);
        }
        let key = (r.level.as_str(), r.name.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let n = seeds.len() as f64;
    keys.iter()
        .map(|&(level, name)| {
            let mut shares = Vec::with_capacity(seeds.len());
            let mut expected = Vec::with_capacity(seeds.len());
            for &seed in &seeds {
                let found = group
                    .iter()
                    .find(|r| r.seed == Some(seed) && r.level == level && r.name == name);
                shares.push(found.map_or(0.0, |r| r.share));
                expected.push(found.and_then(|r| r.expected_share));
            }
            let mean = shares.iter().sum::<f64>() / n;
            let half = if seeds.len() < 2 {
                0.0
            } else {
                let ss: f64 = shares.iter().map(|s| (s - mean) * (s - mean)).sum();
                1.96 * (ss / (n - 1.0)).sqrt() / n.sqrt()
            };
            let expected_share = expected
                .iter()
                .any(Option::is_some)
                .then(|| expected.iter().map(|e| e.unwrap_or(0.0)).sum::<f64>() / n);
            Row {
                run: last.run,
                point: last.point,
                variant_index: last.variant_index,
                point_name: last.point_name.clone(),
                variant: last.variant.clone(),
                seed: None,
                values: last.values.clone(),
                level: level.to_string(),
                name: name.to_string(),
                hits: None,
                share: mean,
                expected_share,
                ci95: Some([mean - half, mean + half]),
            }
        })
        .collect()
}

/// Output formats of `sim sweep` and `sim merge`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SweepFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The rows in `format`; `axes` are the axis keys (the CSV columns after `seed`).
pub fn render(rows: &[Row], axes: &[String], format: SweepFormat) -> String {
    match format {
        SweepFormat::Csv => csv(rows, axes),
        SweepFormat::Jsonl => jsonl(rows, axes),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(rows: &[Row], axes: &[String]) -> String {
    let mut out = String::from("point,variant,seed");
    for key in axes {
        out.push(',');
        out.push_str(&csv_field(key));
    }
    out.push_str(",level,name,hits,share,expected_share,ci95_low,ci95_high\n");
    for r in rows {
        let _ = write!(
            out,
            "{},{},{}",
            csv_field(&r.point_name),
            csv_field(&r.variant),
            r.seed.map_or_else(|| "mean".to_string(), |s| s.to_string())
        );
        for value in &r.values {
            out.push(',');
            out.push_str(&csv_field(value));
        }
        let opt = |x: Option<f64>| x.map_or_else(String::new, |x| x.to_string());
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{}",
            r.level,
            csv_field(&r.name),
            r.hits.map_or_else(String::new, |h| h.to_string()),
            r.share,
            opt(r.expected_share),
            opt(r.ci95.map(|c| c[0])),
            opt(r.ci95.map(|c| c[1])),
        );
    }
    out
}

/// A TOML value's text as JSON (its text as a string if it does not parse back).
fn toml_to_json(text: &str) -> serde_json::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or_else(|| serde_json::Value::String(text.to_string()))
}

fn jsonl(rows: &[Row], axes: &[String]) -> String {
    #[derive(Serialize)]
    struct JsonRow<'a> {
        point: &'a str,
        variant: &'a str,
        seed: serde_json::Value,
        axes: serde_json::Map<String, serde_json::Value>,
        level: &'a str,
        name: &'a str,
        hits: Option<u64>,
        share: f64,
        expected_share: Option<f64>,
        ci95_low: Option<f64>,
        ci95_high: Option<f64>,
    }
    let mut out = String::new();
    for r in rows {
        let row = JsonRow {
            point: &r.point_name,
            variant: &r.variant,
            seed: r.seed.map_or_else(|| "mean".into(), Into::into),
            axes: axes
                .iter()
                .zip(&r.values)
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
            level: &r.level,
            name: &r.name,
            hits: r.hits,
            share: r.share,
            expected_share: r.expected_share,
            ci95_low: r.ci95.map(|c| c[0]),
            ci95_high: r.ci95.map(|c| c[1]),
        };
        out.push_str(&serde_json::to_string(&row).expect("rows serialize"));
        out.push('\n');
    }
    out
}
