//! The time series: flows answered per target per bucket of simulated time, one panel per
//! variant, one line per target (a last, partial bucket left out). At most [`MAX_SHOWN`] panels
//! (a grid of up to three columns) and target lines, on a canvas whose size depends only on the
//! panels drawn; the targets beyond the lines drawn are one "others" line, their mean; a note
//! names what is left out ([`super::select`]). The time axis is in the unit that suits the span:
//! milliseconds, seconds, hours, days or years. A variant with events also shows its failed flows
//! (a dashed red line), a labelled vertical line at each event, and a band per target whose
//! health changed, coloured by its state over time (EV-1 to EV-6).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::select::*;
use super::style::*;
use super::{Drawn, GRID, INK, PlotError};
use crate::output::report::{Report, VariantReport};
use crate::sim::tally::{DAY_NS, YEAR_NS};

/// The time series' title.
pub fn time_series_title(report: &Report) -> String {
    let live = report
        .variants
        .iter()
        .filter(|v| v.time_series.open.is_some())
        .count();
    let what = match live {
        0 => "hits",
        n if n == report.variants.len() => "open connections",
        _ => "hits (open connections where they live)",
    };
    format!(
        "{}: {what} per target over simulated time ({} flows per variant, seed {})",
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
    let count = series.lines().len();
    let last_start = count.saturating_sub(1) as f64 * series.bucket_seconds;
    let partial = variant.simulated_seconds - last_start < series.bucket_seconds * 0.999;
    if count > 1 && partial {
        count - 1
    } else {
        count
    }
}

/// Duration of a bucket in words for the y axis: `10 s`, `500 ms`, `6 h`, `5 d`, `2 yr`.
pub(super) fn bucket_words(seconds: f64) -> String {
    let (day, year) = (DAY_NS as f64 / 1e9, YEAR_NS as f64 / 1e9);
    if seconds >= year {
        format!("{} yr", round3(seconds / year))
    } else if seconds >= day {
        format!("{} d", round3(seconds / day))
    } else if seconds >= 3600.0 {
        format!("{} h", round3(seconds / 3600.0))
    } else if seconds >= 1.0 {
        format!("{seconds} s")
    } else {
        format!("{} ms", round3(seconds * 1e3))
    }
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// The unit of the time axis for a span of `seconds`: its name and its length in seconds.
pub(super) fn time_unit(seconds: f64) -> (&'static str, f64) {
    let (day, year) = (DAY_NS as f64 / 1e9, YEAR_NS as f64 / 1e9);
    if seconds < 1.0 {
        ("ms", 1e-3)
    } else if seconds < 7_200.0 {
        ("s", 1.0)
    } else if seconds < 2.0 * day {
        ("h", 3_600.0)
    } else if seconds < 2.0 * year {
        ("days", day)
    } else {
        ("years of 365.25 days", year)
    }
}

/// A tick label: whole numbers bare, others with up to two decimals.
pub(super) fn tick(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Panels in a grid, (rows, columns): one column up to three panels, two up to eight, then
/// three; never more than [`MAX_SHOWN`] panels.
pub fn panel_grid(panels: usize) -> (usize, usize) {
    let n = panels.clamp(1, MAX_SHOWN);
    let columns = match n {
        1..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    (n.div_ceil(columns), columns)
}

/// The lines a panel draws: the targets shown, then "others" when some are not.
pub(super) struct Lines<'a> {
    /// Targets drawn on their own, in report order.
    pub(super) targets: Vec<&'a str>,
    /// Targets drawn as one line, their mean.
    pub(super) others: Vec<&'a str>,
}

impl Lines<'_> {
    /// The legend's names: each target's, then the others' line.
    pub(super) fn legend(&self) -> Vec<String> {
        let mut names: Vec<String> = self.targets.iter().map(|t| t.to_string()).collect();
        if !self.others.is_empty() {
            names.push(format!("others (mean of {} targets)", self.others.len()));
        }
        names
    }
}

pub(super) fn draw_time_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Drawn {
    let body = titled(root, &time_series_title(report))?;
    let variants = shown_variants(report);
    let all_targets = series_targets(report);
    let shown = shown_targets(&all_targets, &variants.kept);
    let lines = Lines {
        targets: shown.kept,
        others: shown.left_out,
    };
    let body = with_notes(body, [variants_note(&variants), others_note(&lines.others)])?;
    let variants = variants.kept;
    let legend_names = lines
        .legend()
        .iter()
        .map(|name| fit_text(&body, name, &text(15.0), 320))
        .collect::<Result<Vec<String>, PlotError>>()?;
    let legend_height = series_legend_height(&body, &legend_names)?;
    let (legend, panels) = body.split_vertically(legend_height);
    draw_series_legend(&legend, &legend_names)?;
    // Variants may run for different times (a variant may set the arrival rate), each with
    // buckets of its own width: the axis spans the longest.
    let x_end = variants
        .iter()
        .map(|v| full_buckets(v).max(1) as f64 * v.time_series.bucket_seconds)
        .fold(bucket_seconds(report), f64::max);
    let mut peak: f64 = 1.0;
    for v in &variants {
        let columns = columns(v, &lines);
        for row in &v.time_series.lines()[..full_buckets(v)] {
            peak = line_values(row, &columns).into_iter().fold(peak, f64::max);
        }
        if v.changes.is_some() {
            for &failed in &v.time_series.failed[..full_buckets(v)] {
                peak = peak.max(failed as f64);
            }
        }
    }
    // Room above the lines for the health bands.
    let bands = variants
        .iter()
        .filter_map(|v| v.changes.as_ref())
        .map(|c| c.health.len().min(MAX_BANDS))
        .max()
        .unwrap_or(0);
    let y_end = peak * (1.12 + 0.07 * bands as f64);
    let (rows, columns) = panel_grid(variants.len());
    for (variant, panel) in variants
        .iter()
        .zip(panels.split_evenly((rows, columns)).iter())
    {
        draw_series_panel(root, panel, variant, &lines, (x_end, y_end))?;
    }
    Ok(())
}

/// Per line of `lines`, the columns of `variant`'s time series it averages (one for a target,
/// the others' for the last line; none where the variant lacks the target).
fn columns(variant: &VariantReport, lines: &Lines<'_>) -> Vec<Vec<usize>> {
    let series = &variant.time_series;
    let position: std::collections::BTreeMap<&str, usize> = series
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut columns: Vec<Vec<usize>> = lines
        .targets
        .iter()
        .map(|t| position.get(t).copied().into_iter().collect())
        .collect();
    if !lines.others.is_empty() {
        columns.push(
            lines
                .others
                .iter()
                .filter_map(|t| position.get(t).copied())
                .collect(),
        );
    }
    columns
}

/// The value of each line in one bucket: the mean of its columns (0 for none).
fn line_values(row: &[u64], columns: &[Vec<usize>]) -> Vec<f64> {
    columns
        .iter()
        .map(|cols| {
            let sum: u64 = cols.iter().map(|&c| row.get(c).copied().unwrap_or(0)).sum();
            sum as f64 / cols.len().max(1) as f64
        })
        .collect()
}

/// Legend entries laid out in rows: (row, x offset) per target, and the rows used.
pub(super) fn series_legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[String],
) -> Result<(Vec<(u32, i32)>, u32), PlotError> {
    const SAMPLE: i32 = 50;
    let style = text(15.0);
    // Entries start 90 px in (see draw_series_legend) and keep 20 px clear of the edge.
    let width = area.dim_in_pixel().0 as i32 - 110;
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
    targets: &[String],
) -> Result<u32, PlotError> {
    Ok(series_legend_layout(area, targets)?.1 * 26 + 10)
}

/// One row (or more) of line samples with their markers and target names.
pub(super) fn draw_series_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[String],
) -> Drawn {
    let (places, _) = series_legend_layout(area, targets)?;
    let style = anchored(15.0, HPos::Left, VPos::Center);
    for (k, (name, (row, x))) in targets.iter().zip(places).enumerate() {
        let (x, y) = (x + 90, row as i32 * 26 + 14);
        let look = look_of(k, targets.len(), name);
        draw_styled_line(area, &[(x, y), (x + 50, y)], look)?;
        draw_marker(area, (x + 25, y), look)?;
        area.draw(&Text::new(name.to_string(), (x + 58, y), style.clone()))?;
    }
    Ok(())
}

/// The look of line `k` of `count`: a target's, or the others' for a last line so named.
fn look_of(k: usize, count: usize, name: &str) -> LineLook {
    if k + 1 == count && name.starts_with("others (mean of ") {
        others_look()
    } else {
        line_look(k)
    }
}

/// One variant's panel: a line per target (and the others' mean), markers on a staggered subset
/// of buckets.
pub(super) fn draw_series_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panel: &DrawingArea<DB, Shift>,
    variant: &VariantReport,
    lines: &Lines<'_>,
    (x_end, y_end): (f64, f64),
) -> Drawn {
    let series = &variant.time_series;
    let seconds = series.bucket_seconds.max(f64::MIN_POSITIVE);
    let (unit, unit_seconds) = time_unit(x_end);
    let caption = fit_text(
        panel,
        &format!("variant \"{}\"", variant.name),
        &text(18.0),
        panel.dim_in_pixel().0.saturating_sub(40),
    )?;
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, text(18.0))
        .margin_left(10)
        .margin_right(30)
        .margin_top(12)
        .margin_bottom(5)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_end / unit_seconds, 0f64..y_end)?;
    let y_desc = if series.open.is_some() {
        "connections open at each bucket's end".to_string()
    } else {
        format!("flows per {} bucket", bucket_words(seconds))
    };
    let by = if series.open.is_some() {
        "at each bucket's end"
    } else {
        "by flow start"
    };
    let x_desc = if full_buckets(variant) < series.lines().len() {
        format!("simulated time ({unit}), {by}; the run's last, partial bucket is not drawn")
    } else {
        format!("simulated time ({unit}), {by}")
    };

    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .x_labels(12)
        .y_labels(10)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(16.0))
        .label_style(text(14.0))
        .draw()?;
    let hits = &series.lines()[..full_buckets(variant)];
    let every = (hits.len() / 12).max(1);
    let names = lines.legend();
    for (k, cols) in columns(variant, lines).iter().enumerate() {
        if cols.is_empty() {
            continue;
        }
        let points: Vec<(i32, i32)> = hits
            .iter()
            .enumerate()
            .map(|(b, row)| {
                let value = line_values(row, std::slice::from_ref(cols))[0];
                chart.backend_coord(&((b as f64 + 0.5) * seconds / unit_seconds, value))
            })
            .collect();
        let look = look_of(k, names.len(), &names[k]);
        draw_styled_line(root, &points, look)?;
        let offset = k * every / names.len().max(1);
        for point in points.iter().skip(offset).step_by(every) {
            draw_marker(root, *point, look)?;
        }
    }
    let Some(changes) = &variant.changes else {
        return Ok(());
    };
    let failed: Vec<(i32, i32)> = series.failed[..hits.len()]
        .iter()
        .enumerate()
        .map(|(b, &n)| chart.backend_coord(&((b as f64 + 0.5) * seconds / unit_seconds, n as f64)))
        .collect();
    draw_styled_line(
        root,
        &failed,
        LineLook {
            colour: FAILED,
            dash: Some((6, 4)),
            marker: Marker::Cross,
        },
    )?;
    let at = |secs: f64, y: f64| {
        chart.backend_coord(&((secs / unit_seconds).min(x_end / unit_seconds), y))
    };
    let (left, top) = at(0.0, y_end);
    let (_, bottom) = at(x_end, 0.0);
    let label = text(12.0);
    root.draw(&Text::new(
        format!(
            "dashed red: failed flows{}; bands: green healthy, red unhealthy, amber initial, purple draining, grey unused",
            if series.open.is_some() { " and connections reset or lost" } else { "" }
        ),
        (left + 4, top + 4),
        label.clone(),
    ))?;
    // A band per target whose health changed: its state over time.
    for (i, line) in changes.health.iter().take(MAX_BANDS).enumerate() {
        let y0 = top + 22 + i as i32 * (BAND + 4);
        for (k, step) in line.changes.iter().enumerate() {
            let until = line
                .changes
                .get(k + 1)
                .map_or(x_end, |next| next.at_seconds);
            let (x0, _) = at(step.at_seconds, 0.0);
            let (x1, _) = at(until, 0.0);
            root.draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), y0 + BAND)],
                state_colour(&step.state).filled(),
            ))?;
        }
        root.draw(&Text::new(
            format!("{} health", line.target),
            (left + 4, y0 + 1),
            label.clone(),
        ))?;
    }
    // A labelled vertical line at each event.
    for (i, event) in changes.events.iter().enumerate() {
        if event.at_seconds > x_end {
            continue;
        }
        let (x, _) = at(event.at_seconds, 0.0);
        for (from, to) in dash_segments(&[(x, top), (x, bottom)], 5.0, 4.0) {
            root.draw(&PathElement::new(vec![from, to], INK.stroke_width(1)))?;
        }
        let y = bottom - 18 - (i % 3) as i32 * 16;
        root.draw(&Text::new(
            format!("{}: {}", event.key, event.label),
            (x + 4, y),
            label.clone(),
        ))?;
    }
    Ok(())
}

/// Health bands drawn per panel, at most.
const MAX_BANDS: usize = 6;

/// Height of a health band, pixels.
const BAND: i32 = 14;

/// The failed-flows line.
const FAILED: RGBColor = RGBColor(200, 30, 30);

/// The fill of a health state's band.
fn state_colour(state: &str) -> RGBColor {
    match state {
        "healthy" => RGBColor(170, 220, 170),
        "unhealthy" => RGBColor(235, 120, 110),
        "initial" => RGBColor(250, 200, 120),
        "draining" => RGBColor(190, 170, 220),
        _ => RGBColor(190, 190, 190),
    }
}
