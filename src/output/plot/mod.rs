//! Plots of a [`Report`], as PNG and SVG: the only module that knows plotters. Here: the files,
//! the font and the backends; `distribution` and `time_series` draw the two charts with the
//! looks and primitives of `style`.
//!
//! It draws, from the report and nothing else:
//! - the **distribution chart**: share of flows per subnet (subnets grouped by AZ, labelled with
//!   the AZ name and ID), one bar per variant side by side, the expected share marked across each
//!   bar and the clustered 95 % interval as an error bar;
//! - the **time series**: flows answered per target per bucket of simulated time, one panel per
//!   variant, one line per target.
//! - the **flow map** ([`flowmap`]): the architecture as people draw it, one column per AZ,
//!   clients and endpoint ENIs on top, NLB nodes in the middle, targets below, each leg as wide
//!   as its share of flows (dashed when it crosses AZs), failures marked where flows ended, one
//!   panel per variant.
//! - the **heat map** of a sweep (`sim sweep --plot`, [`heatmap`]): one mean share over the first
//!   two axes, one panel per combination of the other axes.
//!
//! Each picture draws at most 12 variants, subnets and target lines, the largest by hits, on a
//! canvas whose size does not grow beyond them; a note names what is left out (`select`).
//!
//! Variants and targets are told apart by lightness, hatching, dash pattern and marker as well as
//! hue, so the pictures survive greyscale printing. Text is drawn with DejaVu Sans, embedded in
//! the binary (`assets/fonts/`, Bitstream Vera licence) and registered with plotters' `ab_glyph`
//! support: no system font or image library is used. PNGs are encoded in memory with the pure
//! Rust `png` crate. The same report gives byte-identical files.
//!
//! It does not: simulate, read the scenario, or write any file but the six it names after the scenario ([`file_names`]) and a sweep's two
//! (`SCENARIO-sweep.png` and `.svg`); each is written
//! to a temporary file in the same directory and renamed over the old one, so a failure never
//! leaves half a picture.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Error;
use crate::output::report::Report;
use crate::output::terminal::escape_controls;

mod distribution;
pub mod flowmap;
pub mod heatmap;
mod select;
mod style;
#[cfg(test)]
mod tests;
mod time_series;

use distribution::draw_distribution;
use heatmap::{HeatMap, draw_heatmap, heatmap_size};
use time_series::draw_time_series;

/// Size of the distribution chart, pixels.
pub const DISTRIBUTION_SIZE: (u32, u32) = (1200, 700);

/// Width of the time series in one column, pixels (its size follows the panels drawn:
/// [`time_series_size`]).
pub const TIME_SERIES_WIDTH: u32 = 1200;

/// DejaVu Sans 2.37 (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

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

/// The six file names for scenario `scenario`: distribution PNG and SVG, time series PNG and
/// SVG, then flow map PNG and SVG (`crosszone.png`, `crosszone.svg`, `crosszone-timeseries.png`,
/// ..., `crosszone-flowmap.svg`).
pub fn file_names(scenario: &str) -> [String; 6] {
    let stem = file_stem(scenario);
    [
        format!("{stem}.png"),
        format!("{stem}.svg"),
        format!("{stem}-timeseries.png"),
        format!("{stem}-timeseries.svg"),
        format!("{stem}-flowmap.png"),
        format!("{stem}-flowmap.svg"),
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

/// Renders the six pictures of `report` in memory.
pub fn render_all(report: &Report) -> Result<Vec<PlotFile>, PlotError> {
    let [dist_png, dist_svg, series_png, series_svg, map_png, map_svg] =
        file_names(&report.scenario);
    let pictured = pictured(report);
    let report = &pictured;
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
        PlotFile {
            name: map_png,
            bytes: flowmap_png(report)?,
        },
        PlotFile {
            name: map_svg,
            bytes: flowmap_svg(report)?.into_bytes(),
        },
    ])
}

/// A copy of `report` with the names a picture shows (scenario, variants, subnets, AZs, targets,
/// target groups) passed through [`escape_controls`]: a control character is not allowed in an
/// SVG document at all (XML 1.0), and in a PNG it would be a box; the picture shows `\u{1b}` as
/// the terminal does. (A copy costs less than the parse before it: never the peak.)
fn pictured(report: &Report) -> Report {
    fn escape(text: &mut String) {
        if let Cow::Owned(escaped) = escape_controls(text) {
            *text = escaped;
        }
    }
    let mut copy = report.clone();
    escape(&mut copy.scenario);
    for v in &mut copy.variants {
        escape(&mut v.name);
        for row in v.subnets.iter_mut().chain(&mut v.azs) {
            for text in [&mut row.name, &mut row.az, &mut row.az_id] {
                escape(text);
            }
        }
        for t in &mut v.targets {
            let names = [&mut t.name, &mut t.target_group, &mut t.subnet, &mut t.az];
            for text in names.into_iter().chain([&mut t.az_id]) {
                escape(text);
            }
        }
        v.time_series.targets.iter_mut().for_each(escape);
        let map = &mut v.flow_map;
        for e in &mut map.elements {
            for text in [&mut e.id, &mut e.name, &mut e.group, &mut e.az_id] {
                escape(text);
            }
        }
        for leg in &mut map.legs {
            escape(&mut leg.from);
            escape(&mut leg.to);
        }
        map.failures.iter_mut().for_each(|f| escape(&mut f.at));
        for zone in &mut map.zones {
            escape(&mut zone.az_id);
            for n in &mut zone.names {
                escape(&mut n.account);
                escape(&mut n.name);
            }
        }
    }
    copy
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

/// Writes `bytes` to a new temporary file beside `path`, then renames it over `path`. The
/// temporary file gets a name no other file has (`create_new`: an existing file or symbolic link
/// of that name is never opened, followed or removed; another name is tried), so nothing but
/// `path` itself is ever replaced, and `path` is replaced as a directory entry: a symbolic link
/// there is replaced, not followed.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    let failed = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let (temporary, mut file) = create_temporary(path).map_err(failed)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temporary, path)
        });
    if let Err(source) = written {
        // The file removed is the one this call created (create_new above).
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(source));
    }
    Ok(path.to_path_buf())
}

/// Creates `.NAME.PID-N.tmp` beside `path` for the first N whose name is free.
fn create_temporary(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pid = std::process::id();
    for attempt in 0.. {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temporary = path.with_file_name(format!(".{name}.{pid}-{n}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            // A file (or a link) of that name: leave it alone and take the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {}
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns within 1000 attempts")
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

/// Size of the time series: its panels (12 at most) in a grid (`time_series::panel_grid`),
/// 1200 px wide in one column, 1800 in two, 2400 in three; 700 px high up to two rows, 300 px
/// more per further row. The same for any count of variants beyond the panels drawn.
pub fn time_series_size(report: &Report) -> (u32, u32) {
    let (rows, columns) = time_series::panel_grid(report.variants.len());
    let width = match columns {
        1 => TIME_SERIES_WIDTH,
        2 => 1800,
        _ => 2400,
    };
    (width, 700.max(100 + 300 * rows as u32))
}

/// The flow map as PNG.
pub fn flowmap_png(report: &Report) -> Result<Vec<u8>, PlotError> {
    let picture = flowmap::picture(report)?;
    to_png(picture.size, |root| flowmap::draw_flowmap(root, &picture))
}

/// The flow map as SVG.
pub fn flowmap_svg(report: &Report) -> Result<String, PlotError> {
    let picture = flowmap::picture(report)?;
    to_svg(picture.size, |root| flowmap::draw_flowmap(root, &picture))
}

/// The heat map of a sweep as PNG.
pub fn heatmap_png(map: &HeatMap) -> Result<Vec<u8>, PlotError> {
    to_png(heatmap_size(map), |root| draw_heatmap(root, map))
}

/// The heat map of a sweep as SVG.
pub fn heatmap_svg(map: &HeatMap) -> Result<String, PlotError> {
    to_svg(heatmap_size(map), |root| draw_heatmap(root, map))
}

/// Draws `map` and writes it into `dir` (created if missing) as `STEM-sweep.png` and `.svg`,
/// `STEM` the [`file_stem`] of `scenario`, the safe way (a temporary file renamed over the old one). Returns the paths.
pub fn write_heatmap(map: &HeatMap, scenario: &str, dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let stem = file_stem(scenario);
    let png_name = format!("{stem}-sweep.png");
    let failed = |e: PlotError| Error::Write {
        path: dir.join(&png_name),
        source: std::io::Error::other(e.0),
    };
    let png = heatmap_png(map).map_err(failed)?;
    let svg = heatmap_svg(map).map_err(failed)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(vec![
        replace_file(&dir.join(&png_name), &png)?,
        replace_file(&dir.join(format!("{stem}-sweep.svg")), svg.as_bytes())?,
    ])
}
