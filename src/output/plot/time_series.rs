//! The time series: flows answered per target per bucket of simulated time, one panel per
//! variant, one line per target (a last, partial bucket left out).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::*;
use super::{Drawn, GRID, INK, PlotError};
use crate::output::report::{Report, VariantReport};

/// The time series' title.
pub fn time_series_title(report: &Report) -> String {
    format!(
        "{}: hits per target over simulated time ({} flows per variant, seed {})",
        report.scenario, report.flows, report.seed
    )
}

/// Target names over every variant, in order of first appearance.
pub(super) fn series_targets(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for name in report.variants.iter().flat_map(|v| &v.time_series.targets) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

pub(super) fn bucket_seconds(report: &Report) -> f64 {
    report
        .variants
        .first()
        .map_or(1.0, |v| v.time_series.bucket_seconds)
        .max(f64::MIN_POSITIVE)
}

/// Buckets to draw: all but a last one the run ended early in (its lower count would read as a
/// drop in traffic), unless it is the only one.
pub(super) fn full_buckets(variant: &VariantReport) -> usize {
    let series = &variant.time_series;
    let count = series.hits.len();
    let last_start = count.saturating_sub(1) as f64 * series.bucket_seconds;
    let partial = variant.simulated_seconds - last_start < series.bucket_seconds * 0.999;
    if count > 1 && partial {
        count - 1
    } else {
        count
    }
}

/// Duration of a bucket in words for the y axis: `10 s`, `500 ms`.
pub(super) fn bucket_words(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds} s")
    } else {
        format!("{} ms", (seconds * 1e3 * 1e3).round() / 1e3)
    }
}

pub(super) fn draw_time_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Drawn {
    let body = titled(root, &time_series_title(report))?;
    let targets = series_targets(report);
    let legend_height = series_legend_height(&body, &targets)?;
    let (legend, panels) = body.split_vertically(legend_height);
    draw_series_legend(&legend, &targets)?;
    let seconds = bucket_seconds(report);
    let buckets = report
        .variants
        .iter()
        .map(full_buckets)
        .max()
        .unwrap_or(0)
        .max(1);
    let peak = report
        .variants
        .iter()
        .flat_map(|v| v.time_series.hits[..full_buckets(v)].iter().flatten())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let x_end = buckets as f64 * seconds;
    let y_end = peak as f64 * 1.12;
    let count = report.variants.len().max(1);
    for (variant, panel) in report
        .variants
        .iter()
        .zip(panels.split_evenly((count, 1)).iter())
    {
        draw_series_panel(root, panel, variant, &targets, (x_end, y_end))?;
    }
    Ok(())
}

/// Legend entries laid out in rows: (row, x offset) per target, and the rows used.
pub(super) fn series_legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[&str],
) -> Result<(Vec<(u32, i32)>, u32), PlotError> {
    const SAMPLE: i32 = 50;
    let style = text(15.0);
    let width = area.dim_in_pixel().0 as i32 - 40;
    let mut places = Vec::new();
    let (mut row, mut x) = (0u32, 0i32);
    for name in targets {
        let item = SAMPLE + 8 + area.estimate_text_size(name, &style)?.0 as i32 + 28;
        if x > 0 && x + item > width {
            row += 1;
            x = 0;
        }
        places.push((row, x));
        x += item;
    }
    Ok((places, row + 1))
}

pub(super) fn series_legend_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[&str],
) -> Result<u32, PlotError> {
    Ok(series_legend_layout(area, targets)?.1 * 26 + 10)
}

/// One row (or more) of line samples with their markers and target names.
pub(super) fn draw_series_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[&str],
) -> Drawn {
    let (places, _) = series_legend_layout(area, targets)?;
    let style = anchored(15.0, HPos::Left, VPos::Center);
    for (k, (name, (row, x))) in targets.iter().zip(places).enumerate() {
        let (x, y) = (x + 90, row as i32 * 26 + 14);
        let look = line_look(k);
        draw_styled_line(area, &[(x, y), (x + 50, y)], look)?;
        draw_marker(area, (x + 25, y), look)?;
        area.draw(&Text::new(name.to_string(), (x + 58, y), style.clone()))?;
    }
    Ok(())
}

/// One variant's panel: a line per target, markers on a staggered subset of buckets.
pub(super) fn draw_series_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panel: &DrawingArea<DB, Shift>,
    variant: &VariantReport,
    targets: &[&str],
    (x_end, y_end): (f64, f64),
) -> Drawn {
    let series = &variant.time_series;
    let seconds = series.bucket_seconds.max(f64::MIN_POSITIVE);
    let mut chart = ChartBuilder::on(panel)
        .caption(format!("variant \"{}\"", variant.name), text(18.0))
        .margin_left(10)
        .margin_right(30)
        .margin_top(12)
        .margin_bottom(5)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_end, 0f64..y_end)?;
    let y_desc = format!("flows per {} bucket", bucket_words(seconds));
    let x_desc = if full_buckets(variant) < series.hits.len() {
        "simulated time (s), by flow start; the run's last, partial bucket is not drawn"
    } else {
        "simulated time (s), by flow start"
    };
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .x_labels(12)
        .y_labels(10)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(16.0))
        .label_style(text(14.0))
        .draw()?;
    let hits = &series.hits[..full_buckets(variant)];
    let every = (hits.len() / 12).max(1);
    for (k, name) in targets.iter().enumerate() {
        let Some(column) = series.targets.iter().position(|t| t == name) else {
            continue;
        };
        let points: Vec<(i32, i32)> = hits
            .iter()
            .enumerate()
            .map(|(b, row)| {
                let hits = row.get(column).copied().unwrap_or(0) as f64;
                chart.backend_coord(&((b as f64 + 0.5) * seconds, hits))
            })
            .collect();
        let look = line_look(k);
        draw_styled_line(root, &points, look)?;
        let offset = k * every / targets.len().max(1);
        for point in points.iter().skip(offset).step_by(every) {
            draw_marker(root, *point, look)?;
        }
    }
    Ok(())
}
