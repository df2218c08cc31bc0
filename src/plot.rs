//! Plots of a [`Report`], as PNG and SVG: the only module that knows plotters.
//!
//! It draws, from the report and nothing else:
//! - the **distribution chart**: share of flows per subnet (subnets grouped by AZ, labelled with
//!   the AZ name and ID), one bar per variant side by side, the expected share marked across each
//!   bar and the 95 % Wilson interval as an error bar;
//! - the **time series**: flows answered per target per bucket of simulated time, one panel per
//!   variant, one line per target.
//!
//! Variants and targets are told apart by lightness, hatching, dash pattern and marker as well as
//! hue, so the pictures survive greyscale printing. Text is drawn with DejaVu Sans, embedded in
//! the binary (`assets/fonts/`, Bitstream Vera licence) and registered with plotters' `ab_glyph`
//! support: no system font or image library is used. PNGs are encoded in memory with the pure
//! Rust `png` crate. The same report gives byte-identical files.
//!
//! It does not: simulate, read the scenario, plot AZs or failure reasons (the table has them),
//! or write any file but the four it names after the scenario ([`file_names`]); each is written
//! to a temporary file in the same directory and renamed over the old one, so a failure never
//! leaves half a picture.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Error;
use crate::report::{Report, Share, VariantReport};

/// Size of the distribution chart, pixels.
pub const DISTRIBUTION_SIZE: (u32, u32) = (1200, 700);

/// Width of the time series, pixels (its height grows with the variants: [`time_series_size`]).
pub const TIME_SERIES_WIDTH: u32 = 1200;

/// DejaVu Sans 2.37 (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// The family every text style here asks for; the embedded font is registered under it, and the
/// SVG names it, so a viewer without DejaVu Sans falls back to its own sans-serif.
const FAMILY: &str = "sans-serif";

const INK: RGBColor = RGBColor(34, 34, 34);
const GRID: RGBColor = RGBColor(221, 221, 221);

/// A drawing that could not be made (in practice only a font problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotError(pub String);

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        PlotError(format!("drawing failed: {error}"))
    }
}

impl From<png::EncodingError> for PlotError {
    fn from(error: png::EncodingError) -> Self {
        PlotError(format!("PNG encoding failed: {error}"))
    }
}

type Drawn = Result<(), PlotError>;

// ---- Files -------------------------------------------------------------------------------------

/// One picture, ready to write.
#[derive(Debug, Clone)]
pub struct PlotFile {
    /// File name (no directory), from [`file_names`].
    pub name: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// The four file names for scenario `scenario`: distribution PNG and SVG, then time series PNG
/// and SVG (`crosszone.png`, `crosszone.svg`, `crosszone-timeseries.png`, ...).
pub fn file_names(scenario: &str) -> [String; 4] {
    let stem = file_stem(scenario);
    [
        format!("{stem}.png"),
        format!("{stem}.svg"),
        format!("{stem}-timeseries.png"),
        format!("{stem}-timeseries.svg"),
    ]
}

/// A file name stem from a scenario name: letters, digits, `-`, `_` and `.` kept, anything else
/// (path separators included) becomes `-`; never empty, never hidden.
pub fn file_stem(scenario: &str) -> String {
    let kept: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = kept.trim_start_matches('.');
    if trimmed.is_empty() {
        "scenario".into()
    } else {
        trimmed.into()
    }
}

/// Renders the four pictures of `report` in memory.
pub fn render_all(report: &Report) -> Result<Vec<PlotFile>, PlotError> {
    let [dist_png, dist_svg, series_png, series_svg] = file_names(&report.scenario);
    Ok(vec![
        PlotFile {
            name: dist_png,
            bytes: distribution_png(report)?,
        },
        PlotFile {
            name: dist_svg,
            bytes: distribution_svg(report)?.into_bytes(),
        },
        PlotFile {
            name: series_png,
            bytes: time_series_png(report)?,
        },
        PlotFile {
            name: series_svg,
            bytes: time_series_svg(report)?.into_bytes(),
        },
    ])
}

/// Renders the pictures of `report` and writes them into `dir` (created if missing). Returns the
/// paths written, in [`file_names`] order.
pub fn write_plots(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let files = render_all(report).map_err(|e| Error::Write {
        path: dir.join(file_names(&report.scenario)[0].as_str()),
        source: std::io::Error::other(e.0),
    })?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    files
        .iter()
        .map(|file| replace_file(&dir.join(&file.name), &file.bytes))
        .collect()
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| {
            // Only the temporary file sim itself named is removed.
            let _ = std::fs::remove_file(&temporary);
            Error::Write {
                path: path.to_path_buf(),
                source,
            }
        })?;
    Ok(path.to_path_buf())
}

// ---- Backends ----------------------------------------------------------------------------------

fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError("the embedded font cannot be read".into()))
    }
}

/// Draws with `draw` on an SVG canvas of `size` and returns the document.
fn to_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Drawn,
) -> Result<String, PlotError> {
    register_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(text)
}

/// Draws with `draw` on an RGB canvas of `size` and returns it encoded as PNG.
fn to_png(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Drawn,
) -> Result<Vec<u8>, PlotError> {
    register_font()?;
    let (width, height) = size;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    encode_png(&rgb, size)
}

fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// The distribution chart as PNG.
pub fn distribution_png(report: &Report) -> Result<Vec<u8>, PlotError> {
    to_png(DISTRIBUTION_SIZE, |root| draw_distribution(root, report))
}

/// The distribution chart as SVG.
pub fn distribution_svg(report: &Report) -> Result<String, PlotError> {
    to_svg(DISTRIBUTION_SIZE, |root| draw_distribution(root, report))
}

/// The time series as PNG.
pub fn time_series_png(report: &Report) -> Result<Vec<u8>, PlotError> {
    to_png(time_series_size(report), |root| {
        draw_time_series(root, report)
    })
}

/// The time series as SVG.
pub fn time_series_svg(report: &Report) -> Result<String, PlotError> {
    to_svg(time_series_size(report), |root| {
        draw_time_series(root, report)
    })
}

/// Size of the time series: 1200 x 700 up to two variants, 300 px more per further variant.
pub fn time_series_size(report: &Report) -> (u32, u32) {
    let panels = report.variants.len().max(1) as u32;
    (TIME_SERIES_WIDTH, 700.max(100 + 300 * panels))
}

// ---- Styles ------------------------------------------------------------------------------------

fn text(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

fn anchored(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// How one variant's bars look: a fill from dark to light, and hatching on every other one.
#[derive(Clone, Copy)]
struct BarLook {
    fill: RGBColor,
    hatch: Option<RGBColor>,
}

fn bar_look(variant: usize) -> BarLook {
    const LOOKS: [BarLook; 4] = [
        BarLook {
            fill: RGBColor(27, 58, 107),
            hatch: None,
        },
        BarLook {
            fill: RGBColor(166, 200, 230),
            hatch: Some(RGBColor(27, 58, 107)),
        },
        BarLook {
            fill: RGBColor(91, 136, 184),
            hatch: None,
        },
        BarLook {
            fill: RGBColor(245, 245, 245),
            hatch: Some(RGBColor(60, 60, 60)),
        },
    ];
    LOOKS[variant % LOOKS.len()]
}

/// How one target's line looks: colour, dash (none, dashes, dots) and marker.
#[derive(Clone, Copy)]
struct LineLook {
    colour: RGBColor,
    dash: Option<(u32, u32)>,
    marker: Marker,
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

fn line_look(target: usize) -> LineLook {
    const LOOKS: [LineLook; 4] = [
        LineLook {
            colour: RGBColor(27, 58, 107),
            dash: None,
            marker: Marker::Circle,
        },
        LineLook {
            colour: RGBColor(217, 95, 2),
            dash: Some((10, 6)),
            marker: Marker::Triangle,
        },
        LineLook {
            colour: RGBColor(27, 158, 119),
            dash: Some((3, 4)),
            marker: Marker::Square,
        },
        LineLook {
            colour: RGBColor(117, 112, 179),
            dash: Some((14, 4)),
            marker: Marker::Cross,
        },
    ];
    LOOKS[target % LOOKS.len()]
}

/// Fills `root` white, centres `title` in a band at the top, and returns the area below it.
fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE)?;
    let (band, body) = root.split_vertically(56);
    let style = anchored(24.0, HPos::Center, VPos::Center);
    let width = band.dim_in_pixel().0;
    let title = fit_text(&band, title, &style, width - 20)?;
    band.draw(&Text::new(title, (width as i32 / 2, 30), style))?;
    Ok(body)
}

// ---- Shapes in pixels --------------------------------------------------------------------------

/// A bar: fill, optional 45-degree hatching, and an outline, in pixel coordinates.
fn draw_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    look: BarLook,
) -> Drawn {
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], look.fill.filled()))?;
    if let Some(colour) = look.hatch {
        for (from, to) in hatch_segments((x0, y0), (x1, y1), 8) {
            root.draw(&PathElement::new(vec![from, to], colour.stroke_width(1)))?;
        }
    }
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], INK.stroke_width(1)))?;
    Ok(())
}

/// Segments of the lines `x + y = c` (every `spacing` pixels) inside the rectangle.
fn hatch_segments(
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    spacing: i32,
) -> Vec<((i32, i32), (i32, i32))> {
    let (left, right) = (x0.min(x1), x0.max(x1));
    let (top, bottom) = (y0.min(y1), y0.max(y1));
    let mut segments = Vec::new();
    let mut c = left + top + spacing;
    while c < right + bottom {
        let from_x = left.max(c - bottom);
        let to_x = right.min(c - top);
        if from_x < to_x {
            segments.push(((from_x, c - from_x), (to_x, c - to_x)));
        }
        c += spacing;
    }
    segments
}

/// A horizontal line with a white halo, visible on dark and light fills alike.
fn draw_haloed_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    width: u32,
) -> Drawn {
    root.draw(&PathElement::new(
        vec![from, to],
        WHITE.stroke_width(width + 2),
    ))?;
    root.draw(&PathElement::new(vec![from, to], INK.stroke_width(width)))?;
    Ok(())
}

/// An error bar (vertical whisker with caps) at `x` from `top` to `bottom`, haloed.
fn draw_error_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    top: i32,
    bottom: i32,
) -> Drawn {
    const CAP: i32 = 6;
    for (width, colour) in [(5, WHITE), (2, INK)] {
        let style = colour.stroke_width(width);
        root.draw(&PathElement::new(vec![(x, top), (x, bottom)], style))?;
        root.draw(&PathElement::new(
            vec![(x - CAP, top), (x + CAP, top)],
            style,
        ))?;
        root.draw(&PathElement::new(
            vec![(x - CAP, bottom), (x + CAP, bottom)],
            style,
        ))?;
    }
    Ok(())
}

fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    look: LineLook,
) -> Drawn {
    let style = look.colour.filled();
    match look.marker {
        Marker::Circle => root.draw(&Circle::new((x, y), 4, style))?,
        Marker::Triangle => root.draw(&Polygon::new(
            vec![(x, y - 5), (x - 5, y + 4), (x + 5, y + 4)],
            style,
        ))?,
        Marker::Square => root.draw(&Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], style))?,
        Marker::Cross => {
            let stroke = look.colour.stroke_width(2);
            root.draw(&PathElement::new(
                vec![(x - 4, y - 4), (x + 4, y + 4)],
                stroke,
            ))?;
            root.draw(&PathElement::new(
                vec![(x - 4, y + 4), (x + 4, y - 4)],
                stroke,
            ))?;
        }
    }
    Ok(())
}

/// A polyline through `points` in `look`'s colour and dash pattern.
fn draw_styled_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[(i32, i32)],
    look: LineLook,
) -> Drawn {
    let style = look.colour.stroke_width(2);
    match look.dash {
        None => root.draw(&PathElement::new(points.to_vec(), style))?,
        Some((dash, gap)) => {
            for (from, to) in dash_segments(points, dash as f64, gap as f64) {
                root.draw(&PathElement::new(vec![from, to], style))?;
            }
        }
    }
    Ok(())
}

/// The dashes of a polyline: `dash` pixels drawn, `gap` skipped, continuing across vertices.
fn dash_segments(points: &[(i32, i32)], dash: f64, gap: f64) -> Vec<((i32, i32), (i32, i32))> {
    let mut segments = Vec::new();
    let period = dash + gap;
    let mut phase = 0.0; // distance into the current period
    for pair in points.windows(2) {
        let (ax, ay) = (pair[0].0 as f64, pair[0].1 as f64);
        let (bx, by) = (pair[1].0 as f64, pair[1].1 as f64);
        let length = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt();
        let mut along = 0.0;
        while along < length {
            let in_dash = phase < dash;
            let step = if in_dash {
                dash - phase
            } else {
                period - phase
            }
            .min(length - along);
            if in_dash {
                let at = |d: f64| {
                    let t = d / length;
                    (
                        (ax + t * (bx - ax)).round() as i32,
                        (ay + t * (by - ay)).round() as i32,
                    )
                };
                segments.push((at(along), at(along + step)));
            }
            along += step;
            phase = (phase + step) % period;
        }
    }
    segments
}

/// `text` cut with an ellipsis so that it fits in `width` pixels.
fn fit_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: u32,
) -> Result<String, PlotError> {
    let fits =
        |s: &str| -> Result<bool, PlotError> { Ok(root.estimate_text_size(s, style)?.0 <= width) };
    if fits(text)? {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let cut: String = chars[..keep].iter().collect::<String>() + "…";
        if fits(&cut)? {
            return Ok(cut);
        }
    }
    Ok("…".into())
}

// ---- Distribution chart ------------------------------------------------------------------------

/// The subnets on the x axis, one slot each: every variant's subnets (by name, the first row
/// seen standing for its name, AZ and AZ ID), grouped by AZ in order of first appearance.
fn subnet_slots(report: &Report) -> Vec<&Share> {
    let mut slots: Vec<&Share> = Vec::new();
    for subnet in report.variants.iter().flat_map(|v| &v.subnets) {
        if !slots.iter().any(|s| s.name == subnet.name) {
            slots.push(subnet);
        }
    }
    let mut zones: Vec<&str> = Vec::new();
    for slot in &slots {
        if !zones.contains(&slot.az_id.as_str()) {
            zones.push(&slot.az_id);
        }
    }
    slots.sort_by_key(|s| zones.iter().position(|z| *z == s.az_id));
    slots
}

/// Runs of consecutive slots in one AZ: (first slot, slots).
fn az_groups(slots: &[&Share]) -> Vec<(usize, usize)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        match groups.last_mut() {
            Some((first, count)) if slots[*first].az_id == slot.az_id => *count += 1,
            _ => groups.push((i, 1)),
        }
    }
    groups
}

fn az_label(share: &Share) -> String {
    format!("{} ({})", share.az, share.az_id)
}

/// The chart's title.
pub fn distribution_title(report: &Report) -> String {
    format!(
        "{}: hits per subnet ({} flows per variant, seed {})",
        report.scenario, report.flows, report.seed
    )
}

const LEGEND_WIDTH: u32 = 270;
/// Top of the share axis: room above 100 % for a bar's value, no tick beyond 100.
const Y_TOP: f64 = 109.0;

fn draw_distribution<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn {
    let body = titled(root, &distribution_title(report))?;
    let (plot_area, legend_area) = body.split_horizontally(DISTRIBUTION_SIZE.0 - LEGEND_WIDTH);
    let slots = subnet_slots(report);
    let columns = slots.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(10)
        .margin_right(20)
        .margin_top(10)
        .margin_bottom(10)
        .x_label_area_size(80)
        .y_label_area_size(75)
        .build_cartesian_2d(0f64..columns, 0f64..Y_TOP)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(11)
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("share of flows (%)")
        .x_desc("subnet holding targets, grouped by AZ: AZ name (AZ ID)")
        .axis_desc_style(text(17.0))
        .label_style(text(15.0))
        .draw()?;
    let to_pixel = |x: f64, share: f64| chart.backend_coord(&(x, share * 100.0));
    draw_group_separators(root, &slots, &to_pixel)?;
    draw_x_labels(root, &slots, &to_pixel)?;
    draw_bars(root, report, &slots, &to_pixel)?;
    draw_distribution_legend(&legend_area, report)?;
    Ok(())
}

/// Dashed light lines between AZ groups.
fn draw_group_separators<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    slots: &[&Share],
    to_pixel: &dyn Fn(f64, f64) -> (i32, i32),
) -> Drawn {
    for (first, _) in az_groups(slots).into_iter().skip(1) {
        let (x, bottom) = to_pixel(first as f64, 0.0);
        let (_, top) = to_pixel(first as f64, Y_TOP / 100.0);
        let points = [(x, bottom), (x, top)];
        for (from, to) in dash_segments(&points, 6.0, 5.0) {
            root.draw(&PathElement::new(vec![from, to], RGBColor(150, 150, 150)))?;
        }
    }
    Ok(())
}

/// Subnet names under each slot; each AZ's name and ID centred under its group.
fn draw_x_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    slots: &[&Share],
    to_pixel: &dyn Fn(f64, f64) -> (i32, i32),
) -> Drawn {
    let slot_width = (to_pixel(1.0, 0.0).0 - to_pixel(0.0, 0.0).0).max(1) as u32;
    let name_style = anchored(16.0, HPos::Center, VPos::Top);
    let az_style = anchored(14.0, HPos::Center, VPos::Top);
    for (i, slot) in slots.iter().enumerate() {
        let (x, y) = to_pixel(i as f64 + 0.5, 0.0);
        let name = fit_text(root, &slot.name, &name_style, slot_width - 8)?;
        root.draw(&Text::new(name, (x, y + 10), name_style.clone()))?;
    }
    for (first, count) in az_groups(slots) {
        let (x, y) = to_pixel(first as f64 + count as f64 / 2.0, 0.0);
        let width = slot_width * count as u32 - 8;
        let label = fit_text(root, &az_label(slots[first]), &az_style, width)?;
        root.draw(&Text::new(label, (x, y + 32), az_style.clone()))?;
    }
    Ok(())
}

/// One bar per variant and slot, with its expected-share marker, error bar and value.
fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    slots: &[&Share],
    to_pixel: &dyn Fn(f64, f64) -> (i32, i32),
) -> Drawn {
    let variants = report.variants.len().max(1) as f64;
    let width = 0.8 / variants;
    let value_style = anchored(14.0, HPos::Center, VPos::Bottom);
    for (i, slot) in slots.iter().enumerate() {
        for (v, variant) in report.variants.iter().enumerate() {
            let Some(share) = variant.subnets.iter().find(|s| s.name == slot.name) else {
                continue;
            };
            let left = i as f64 + 0.1 + v as f64 * width;
            let (x0, y0) = to_pixel(left + 0.01, share.share);
            let (x1, base) = to_pixel(left + width - 0.01, 0.0);
            let centre = (x0 + x1) / 2;
            if y0 < base {
                draw_bar(root, (x0, y0), (x1, base), bar_look(v))?;
            }
            let (_, expected) = to_pixel(0.0, share.expected_share);
            draw_haloed_line(root, (x0 - 3, expected), (x1 + 3, expected), 2)?;
            let (_, hi) = to_pixel(0.0, share.ci95[1]);
            let (_, lo) = to_pixel(0.0, share.ci95[0]);
            draw_error_bar(root, centre, hi, lo)?;
            let value = format!("{:.1}%", share.share * 100.0);
            if root.estimate_text_size(&value, &value_style)?.0 < (x1 - x0 + 8) as u32 {
                let top = y0.min(hi).min(expected) - 6;
                root.draw(&Text::new(value, (centre, top), value_style.clone()))?;
            }
        }
    }
    Ok(())
}

/// Variants' swatches, then what the marker and the whisker mean.
fn draw_distribution_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Drawn {
    let label = anchored(15.0, HPos::Left, VPos::Center);
    let text_width = LEGEND_WIDTH - 78;
    let mut y = 40;
    area.draw(&Text::new(
        "variants",
        (16, y),
        anchored(16.0, HPos::Left, VPos::Center),
    ))?;
    y += 30;
    for (v, variant) in report.variants.iter().enumerate() {
        draw_bar(area, (16, y - 10), (46, y + 10), bar_look(v))?;
        let name = fit_text(area, &variant.name, &label, text_width)?;
        area.draw(&Text::new(name, (58, y), label.clone()))?;
        y += 32;
    }
    y += 10;
    draw_haloed_line(area, (10, y), (52, y), 2)?;
    area.draw(&Text::new("expected share", (58, y), label.clone()))?;
    y += 32;
    draw_error_bar(area, 31, y - 11, y + 11)?;
    area.draw(&Text::new("95 % interval (Wilson)", (58, y), label.clone()))?;
    Ok(())
}

// ---- Time series -------------------------------------------------------------------------------

/// The time series' title.
pub fn time_series_title(report: &Report) -> String {
    format!(
        "{}: hits per target over simulated time ({} flows per variant, seed {})",
        report.scenario, report.flows, report.seed
    )
}

/// Target names over every variant, in order of first appearance.
fn series_targets(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for name in report.variants.iter().flat_map(|v| &v.time_series.targets) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

fn bucket_seconds(report: &Report) -> f64 {
    report
        .variants
        .first()
        .map_or(1.0, |v| v.time_series.bucket_seconds)
        .max(f64::MIN_POSITIVE)
}

/// Buckets to draw: all but a last one the run ended early in (its lower count would read as a
/// drop in traffic), unless it is the only one.
fn full_buckets(variant: &VariantReport) -> usize {
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
fn bucket_words(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds} s")
    } else {
        format!("{} ms", (seconds * 1e3 * 1e3).round() / 1e3)
    }
}

fn draw_time_series<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn {
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
fn series_legend_layout<DB: DrawingBackend>(
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

fn series_legend_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    targets: &[&str],
) -> Result<u32, PlotError> {
    Ok(series_legend_layout(area, targets)?.1 * 26 + 10)
}

/// One row (or more) of line samples with their markers and target names.
fn draw_series_legend<DB: DrawingBackend>(
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
fn draw_series_panel<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Completion, CrossAz, Hashing, TimeSeries, WorkloadSummary};

    fn share(name: &str, az: &str, az_id: &str, hits: u64, expected: f64) -> Share {
        let s = hits as f64 / 1000.0;
        Share {
            name: name.into(),
            az: az.into(),
            az_id: az_id.into(),
            hits,
            share: s,
            expected_share: expected,
            ci95: [(s - 0.03).max(0.0), (s + 0.03).min(1.0)],
        }
    }

    fn variant(name: &str, hits: [u64; 3], expected: [f64; 3]) -> VariantReport {
        VariantReport {
            name: name.into(),
            description: None,
            cross_zone: Vec::new(),
            subnets: vec![
                share("app-a", "eu-west-1a", "euw1-az3", hits[0], expected[0]),
                share("app-b", "eu-west-1b", "euw1-az1", hits[1], expected[1]),
                share("app-c", "eu-west-1a", "euw1-az3", hits[2], expected[2]),
            ],
            azs: Vec::new(),
            targets: Vec::new(),
            failed: Vec::new(),
            fit: None,
            cross_az: CrossAz {
                flows: 0,
                share: 0.0,
                expected_share: 0.0,
                bytes: 0,
                cost_usd: 0.0,
                client_leg_flows: 0,
            },
            completion: Completion {
                answered: 1000,
                mean_us: 0.0,
                p50_us: 0.0,
                p99_us: 0.0,
            },
            dns_queries: 0,
            dns_cache_hits: 0,
            simulated_seconds: 10.0,
            events: 0,
            hashing: Hashing {
                strategy: "uniform".into(),
                targets: 3,
                remapped_share: None,
                optimum_share: None,
            },
            time_series: TimeSeries {
                bucket_seconds: 0.5,
                targets: vec!["srv-one".into(), "srv-two".into(), "srv-three".into()],
                hits: (0..20)
                    .map(|b| hits.iter().map(|h| h / 20 + b % 3).collect())
                    .collect(),
            },
        }
    }

    /// A hand-built report: three subnets over two AZs (one AZ holds two, listed apart), two
    /// variants.
    fn report() -> Report {
        Report {
            scenario: "hand/built & <odd>".into(),
            file: "hand.toml".into(),
            description: None,
            question: None,
            seed: 7,
            flows: 1000,
            workload: WorkloadSummary {
                clients: vec!["client".into()],
                host: "svc.example".into(),
                port: 80,
                arrival_rate: 100.0,
            },
            variants: vec![
                variant("spread off", [1000, 0, 0], [1.0, 0.0, 0.0]),
                variant("spread on", [340, 330, 330], [1.0 / 3.0; 3]),
            ],
            warnings: Vec::new(),
        }
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR", "IHDR comes first");
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }

    fn texts(svg: &str) -> Vec<String> {
        let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
        assert_eq!(document.root_element().tag_name().name(), "svg");
        document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect()
    }

    #[test]
    fn the_distribution_png_has_the_png_header_and_size() {
        let bytes = distribution_png(&report()).unwrap();
        assert_eq!(png_size(&bytes), DISTRIBUTION_SIZE);
    }

    #[test]
    fn the_distribution_svg_parses_and_names_every_subnet_az_and_variant() {
        let texts = texts(&distribution_svg(&report()).unwrap());
        for wanted in [
            "app-a",
            "app-b",
            "app-c",
            "eu-west-1a (euw1-az3)",
            "eu-west-1b (euw1-az1)",
            "spread off",
            "spread on",
            "share of flows (%)",
            "expected share",
            "95 % interval (Wilson)",
            "hand/built & <odd>: hits per subnet (1000 flows per variant, seed 7)",
        ] {
            assert!(
                texts.iter().any(|t| t == wanted),
                "no {wanted:?} in {texts:?}"
            );
        }
    }

    #[test]
    fn subnets_are_grouped_by_az_and_each_az_is_labelled_once() {
        let report = report();
        let slots = subnet_slots(&report);
        let names: Vec<&str> = slots.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["app-a", "app-c", "app-b"]);
        assert_eq!(az_groups(&slots), [(0, 2), (2, 1)]);
        let texts = texts(&distribution_svg(&report).unwrap());
        let count = texts
            .iter()
            .filter(|t| *t == "eu-west-1a (euw1-az3)")
            .count();
        assert_eq!(count, 1);
    }

    #[test]
    fn the_time_series_names_every_target_and_has_a_panel_per_variant() {
        let report = report();
        let bytes = time_series_png(&report).unwrap();
        assert_eq!(png_size(&bytes), time_series_size(&report));
        let texts = texts(&time_series_svg(&report).unwrap());
        for wanted in [
            "srv-one",
            "srv-two",
            "srv-three",
            "variant \"spread off\"",
            "variant \"spread on\"",
            "simulated time (s), by flow start",
            "flows per 500 ms bucket",
        ] {
            assert!(
                texts.iter().any(|t| t == wanted),
                "no {wanted:?} in {texts:?}"
            );
        }
    }

    #[test]
    fn the_same_report_gives_byte_identical_files() {
        let first = render_all(&report()).unwrap();
        let second = render_all(&report()).unwrap();
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.name, b.name);
            assert!(a.bytes == b.bytes, "{} differs between two renders", a.name);
        }
    }

    #[test]
    fn an_empty_report_still_draws() {
        let mut empty = report();
        empty.variants.clear();
        let files = render_all(&empty).unwrap();
        assert_eq!(files.len(), 4);
        let mut silent = report();
        for v in &mut silent.variants {
            v.time_series.hits.clear();
            v.subnets.clear();
        }
        assert_eq!(render_all(&silent).unwrap().len(), 4);
    }

    #[test]
    fn file_names_come_from_the_scenario_name_made_safe() {
        assert_eq!(
            file_names("crosszone"),
            [
                "crosszone.png",
                "crosszone.svg",
                "crosszone-timeseries.png",
                "crosszone-timeseries.svg"
            ]
        );
        assert_eq!(file_stem("hand/built & <odd>"), "hand-built----odd-");
        assert_eq!(file_stem("../up"), "-up");
        assert_eq!(file_stem(".."), "scenario");
        assert_eq!(file_stem(""), "scenario");
    }

    #[test]
    fn hatching_and_dashes_stay_inside_their_shapes() {
        for ((x0, y0), (x1, y1)) in hatch_segments((10, 20), (40, 90), 8) {
            for (x, y) in [(x0, y0), (x1, y1)] {
                assert!((10..=40).contains(&x) && (20..=90).contains(&y));
            }
        }
        let dashes = dash_segments(&[(0, 0), (100, 0)], 10.0, 5.0);
        assert_eq!(dashes.len(), 7);
        assert_eq!(dashes[0], ((0, 0), (10, 0)));
        assert_eq!(dashes[6], ((90, 0), (100, 0)));
    }
}
