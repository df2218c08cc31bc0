//! What a picture shows when the report holds more than it can draw readably: at most
//! [`MAX_SHOWN`] variants (panels, bars per group), subnets (bar groups) and target lines per
//! panel, the largest by hits (ties by report order, so the choice is deterministic), and a note
//! naming what was left out. The canvas stays the same size whatever the counts; the table,
//! JSON and CSV keep everything.

use crate::output::report::{Report, Share, VariantReport};

/// The most variants, subnets or target lines one picture draws.
pub const MAX_SHOWN: usize = 12;

/// The items kept (in report order) and the ones left out (in report order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown<T> {
    /// Drawn.
    pub kept: Vec<T>,
    /// Not drawn (or, for target lines, drawn together as "others").
    pub left_out: Vec<T>,
}

/// The [`MAX_SHOWN`] items of largest `weight` (ties: the earlier one), both lists in the
/// items' own order.
pub fn largest<T: Copy>(items: &[T], weight: impl Fn(T) -> u64) -> Shown<T> {
    if items.len() <= MAX_SHOWN {
        return Shown {
            kept: items.to_vec(),
            left_out: Vec::new(),
        };
    }
    let mut order: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (weight(*item), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep = vec![false; items.len()];
    for &(_, i) in &order[..MAX_SHOWN] {
        keep[i] = true;
    }
    let (mut kept, mut left_out) = (Vec::new(), Vec::new());
    for (item, keep) in items.iter().zip(keep) {
        if keep {
            kept.push(*item);
        } else {
            left_out.push(*item);
        }
    }
    Shown { kept, left_out }
}

/// The variants a picture draws: those with the most answered flows.
pub fn shown_variants(report: &Report) -> Shown<&VariantReport> {
    let all: Vec<&VariantReport> = report.variants.iter().collect();
    largest(&all, |v| v.completion.answered)
}

/// Of the subnet slots (already in drawing order), those with the most hits over `variants`.
pub fn shown_subnets<'a>(slots: &[&'a Share], variants: &[&VariantReport]) -> Shown<&'a Share> {
    largest(slots, |slot| {
        variants
            .iter()
            .filter_map(|v| v.subnets.iter().find(|s| s.name == slot.name))
            .filter_map(|s| s.counts.as_ref())
            .map(|c| c.hits)
            .sum()
    })
}

/// Of the time series' target names, those with the most hits over `variants`' buckets.
pub fn shown_targets<'a>(names: &[&'a str], variants: &[&VariantReport]) -> Shown<&'a str> {
    if names.len() <= MAX_SHOWN {
        return largest(names, |_| 0);
    }
    let mut totals: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for v in variants {
        let series = &v.time_series;
        for (column, name) in series.targets.iter().enumerate() {
            let hits: u64 = series
                .hits
                .iter()
                .map(|row| row.get(column).copied().unwrap_or(0))
                .sum();
            *totals.entry(name.as_str()).or_insert(0) += hits;
        }
    }
    largest(names, |name| totals.get(name).copied().unwrap_or(0))
}

/// A note about what a picture leaves out: the words before the names, and the names.
pub struct Note<'a> {
    /// `+988 variants not shown (...):`.
    pub words: String,
    /// The names left out, in report order.
    pub names: Vec<&'a str>,
}

/// The note about variants not drawn, if any.
pub fn variants_note<'a>(variants: &Shown<&'a VariantReport>) -> Option<Note<'a>> {
    (!variants.left_out.is_empty()).then(|| Note {
        words: format!(
            "+{} variants not shown (the {MAX_SHOWN} drawn answered most flows; ties in file order):",
            variants.left_out.len()
        ),
        names: variants.left_out.iter().map(|v| v.name.as_str()).collect(),
    })
}

/// The note about subnets not drawn, if any.
pub fn subnets_note<'a>(subnets: &Shown<&'a Share>) -> Option<Note<'a>> {
    (!subnets.left_out.is_empty()).then(|| Note {
        words: format!(
            "+{} subnets not shown (fewer hits):",
            subnets.left_out.len()
        ),
        names: subnets.left_out.iter().map(|s| s.name.as_str()).collect(),
    })
}

/// The note about targets drawn only within the "others" line, if any.
pub fn others_note<'a>(others: &[&'a str]) -> Option<Note<'a>> {
    (!others.is_empty()).then(|| Note {
        words: format!(
            "+{} targets with fewer hits drawn as their mean, \"others\":",
            others.len()
        ),
        names: others.to_vec(),
    })
}
