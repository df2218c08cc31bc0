//! Part files of a sharded sweep (`sim sweep --shard I/N`) and `sim merge`.
//!
//! A part file is a header line `#sim-sweep-part ` followed by a JSON object (digest, shard,
//! shards, runs, format, axes), then one per-seed [`Row`] per line as JSON. Floats read back
//! exactly (serde_json's `float_roundtrip`), so the merged mean rows equal the unsharded ones.

use serde::{Deserialize, Serialize};

use super::rows::{self, Row, SweepFormat};
use crate::error::Error;

/// The first line's prefix.
pub const MAGIC: &str = "#sim-sweep-part ";

/// What a part file's header carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The digest of the inputs, 16 hex digits.
    pub digest: String,
    /// This part's shard, 1 to `shards`.
    pub shard: usize,
    /// How many shards the sweep was cut into.
    pub shards: usize,
    /// Runs of the whole sweep.
    pub runs: usize,
    /// The output format the merged sweep is written in.
    pub format: SweepFormat,
    /// The axis keys (the CSV's columns).
    pub axes: Vec<String>,
}

/// The part file: `header`, then `rows` (per-seed rows of the shard's runs).
pub fn write(header: &Header, rows: &[Row]) -> String {
    let mut out = String::from(MAGIC);
    out.push_str(&serde_json::to_string(header).expect("the header serializes"));
    out.push('\n');
    for r in rows {
        out.push_str(&serde_json::to_string(r).expect("rows serialize"));
        out.push('\n');
    }
    out
}

/// Reads part file `name`'s text.
fn read(name: &str, text: &str) -> Result<(Header, Vec<Row>), Error> {
    let bad = |what: String| Error::Usage(format!("{name}: not a sim sweep part file: {what}"));
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix(MAGIC))
        .ok_or_else(|| bad(format!("it does not start with `{}`", MAGIC.trim())))?;
    let header: Header = serde_json::from_str(header).map_err(|e| bad(format!("header: {e}")))?;
    let rows = lines
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str::<Row>(l).map_err(|e| bad(format!("line {}: {e}", i + 2)))
        })
        .collect::<Result<Vec<Row>, Error>>()?;
    Ok((header, rows))
}

/// Merges the part files `parts` (name, text): checks that they are the shards 1 to N of one
/// sweep, each once, and returns the merged output (what the unsharded `sim sweep` writes).
pub fn merge(parts: &[(String, String)]) -> Result<String, Error> {
    let mut read_parts = Vec::with_capacity(parts.len());
    for (name, text) in parts {
        read_parts.push((name.as_str(), read(name, text)?));
    }
    let Some((first_name, (first, _))) = read_parts.first() else {
        return Err(Error::Usage("give the part files to merge".into()));
    };
    for (name, (h, _)) in &read_parts {
        let same = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
            Error::Usage(format!(
                "{name} is not a part of the same sweep as {first_name}: its {what} is {b}, not {a} \
                 (parts must come from the same scenario file, axes, seeds, flow count and sim version)"
            ))
        };
        if h.digest != first.digest {
            return Err(same("digest", &first.digest, &h.digest));
        }
        if h.shards != first.shards {
            return Err(same("shard count", &first.shards, &h.shards));
        }
        if h.runs != first.runs || h.axes != first.axes {
            return Err(same("run count", &first.runs, &h.runs));
        }
        if h.format != first.format {
            return Err(same(
                "format",
                &format_name(first.format),
                &format_name(h.format),
            ));
        }
        if h.shard == 0 || h.shard > h.shards {
            return Err(Error::Usage(format!(
                "{name}: shard {}/{} is out of range",
                h.shard, h.shards
            )));
        }
    }
    let n = first.shards;
    let mut holder: Vec<Option<&str>> = vec![None; n];
    for (name, (h, _)) in &read_parts {
        if let Some(other) = holder[h.shard - 1] {
            return Err(Error::Usage(format!(
                "shard {}/{n} is given twice: {other} and {name}",
                h.shard
            )));
        }
        holder[h.shard - 1] = Some(name);
    }
    let missing: Vec<String> = holder
        .iter()
        .enumerate()
        .filter(|(_, h)| h.is_none())
        .map(|(i, _)| format!("{}/{n}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "missing shard{} {} of the sweep",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    let runs = first.runs;
    let (format, axes) = (first.format, first.axes.clone());
    let mut all: Vec<Row> = Vec::new();
    let mut seen = vec![false; runs];
    for (name, (h, rows)) in read_parts {
        for r in &rows {
            if r.run >= runs || r.run % n != h.shard - 1 || r.seed.is_none() {
                return Err(Error::Usage(format!(
                    "{name}: a row of run {} does not belong to shard {}/{n}",
                    r.run, h.shard
                )));
            }
            seen[r.run] = true;
        }
        all.extend(rows);
    }
    if let Some(run) = seen.iter().position(|s| !s) {
        return Err(Error::Usage(format!(
            "run {run} is missing from shard {}/{n} (a truncated part file?)",
            run % n + 1
        )));
    }
    all.sort_by_key(|r| r.run);
    Ok(rows::render(&rows::with_means(all), &axes, format))
}

fn format_name(f: SweepFormat) -> &'static str {
    match f {
        SweepFormat::Csv => "csv",
        SweepFormat::Jsonl => "jsonl",
    }
}
