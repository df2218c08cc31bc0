//! `sim sweep --plot METRIC`: the mean over the seeds of one share, laid out for the heat map
//! ([`crate::output::plot::heatmap`]): x the first axis, y the second, one panel per
//! combination of the other axes' values and per variant.

use crate::error::Error;
use crate::output::plot::heatmap::{HeatMap, Panel};
use crate::output::terminal::escape_controls;

use super::Plan;
use super::rows::Row;

/// The share a heat map shows: a mean row's (level, name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
    /// `summary`, `subnet` or `target`.
    pub level: String,
    /// `cross_az_share`, `failed_share`, or the subnet's or target's name.
    pub name: String,
}

/// Parses METRIC: `cross_az_share`, `failed_share`, `subnet:NAME` or `target:NAME`.
pub fn parse_metric(text: &str) -> Result<Metric, Error> {
    let usage = || {
        Error::Usage(format!(
            "--plot {text}: unknown metric; give cross_az_share, failed_share, subnet:NAME or target:NAME"
        ))
    };
    match text {
        "cross_az_share" | "failed_share" => Ok(Metric {
            level: "summary".into(),
            name: text.into(),
        }),
        _ => match text.split_once(':') {
            Some((level @ ("subnet" | "target"), name)) if !name.is_empty() => Ok(Metric {
                level: level.into(),
                name: name.into(),
            }),
            _ => Err(usage()),
        },
    }
}

/// Checks that `metric` names a subnet or target (an instance) of the scenario file `text`.
pub fn check_metric(metric: &Metric, text: &str) -> Result<(), Error> {
    let table = match metric.level.as_str() {
        "subnet" => "subnets",
        "target" => "instances",
        _ => return Ok(()),
    };
    let known = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get(table).and_then(|v| v.as_table()).cloned())
        .is_some_and(|t| t.contains_key(&metric.name));
    if known {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--plot {}:{}: the scenario has no {} of that name",
            metric.level,
            metric.name,
            if table == "subnets" {
                "subnet"
            } else {
                "instance"
            }
        )))
    }
}

fn last_segment(plan: &Plan, axis: usize) -> String {
    plan.axes
        .get(axis)
        .and_then(|a| a.path.last())
        .map_or_else(String::new, |s| escape_controls(s).into_owned())
}

/// The heat map of `metric` from the rows of `plan` with their means ([`super::rows::with_means`]).
pub fn heatmap(plan: &Plan, rows: &[Row], metric: &Metric, metric_text: &str) -> HeatMap {
    let sizes: Vec<usize> = plan.axes.iter().map(|a| a.values.len()).collect();
    let nx = sizes.first().copied().unwrap_or(1);
    let ny = sizes.get(1).copied().unwrap_or(1);
    let values = |axis: usize| -> Vec<String> {
        plan.axes.get(axis).map_or_else(
            || vec![String::new()],
            |a| {
                a.values
                    .iter()
                    .map(|v| escape_controls(&super::toml_text(v)).into_owned())
                    .collect()
            },
        )
    };
    let variants: Vec<String> = plan.points[0]
        .scenario
        .variants
        .iter()
        .map(|v| escape_controls(&v.name).into_owned())
        .collect();
    let rest: usize = sizes.iter().skip(2).product();
    let mut panels = Vec::new();
    for r in 0..rest {
        // The other axes' picks for panel r, the third axis slowest.
        let mut picks = vec![0; sizes.len().saturating_sub(2)];
        let mut index = r;
        for k in (0..picks.len()).rev() {
            picks[k] = index % sizes[k + 2];
            index /= sizes[k + 2];
        }
        let others: Vec<String> = picks
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                format!(
                    "{}={}",
                    last_segment(plan, k + 2),
                    escape_controls(&super::toml_text(&plan.axes[k + 2].values[p]))
                )
            })
            .collect();
        for (vi, variant) in variants.iter().enumerate() {
            let mut title = others.join(", ");
            if variants.len() > 1 {
                if !title.is_empty() {
                    title.push_str(", ");
                }
                title.push_str(&format!("variant {variant}"));
            }
            let mut cells = vec![None; nx * ny];
            for y in 0..ny {
                for x in 0..nx {
                    let point = (x * ny + y) * rest + r;
                    cells[y * nx + x] = rows
                        .iter()
                        .find(|row| {
                            row.seed.is_none()
                                && row.point == point
                                && row.variant_index == vi
                                && row.level == metric.level
                                && row.name == metric.name
                        })
                        .map(|row| row.share);
                }
            }
            panels.push(Panel { title, cells });
        }
    }
    let scenario = escape_controls(&plan.points[0].scenario.name).into_owned();
    HeatMap {
        title: format!(
            "{scenario}: {} (mean over {} seeds, {} flows per run)",
            escape_controls(metric_text),
            plan.seeds.len(),
            plan.flows
        ),
        x_label: last_segment(plan, 0),
        y_label: last_segment(plan, 1),
        x_values: values(0),
        y_values: values(1),
        panels,
    }
}
