//! The flow map picture: the scenario's architecture as people draw it on a whiteboard, one
//! panel per variant side by side, from each variant's [`FlowMap`]. One column per AZ (by AZ ID,
//! headed by its AZ name(s) and ID); a top band with the consumer side (clients, then the
//! endpoint ENIs in their subnets), a middle band with the NLB nodes (a row per load balancer)
//! and a bottom band with the targets in their subnets. Every leg that carried flows is a line
//! whose width is proportional to its share of the variant's flows ([`leg_width`]), dashed and
//! orange when it crosses AZs; a red cross marks an element where flows failed, and a red line
//! under its row (on a white tag, over the legs) names the reason and the share. A legend says
//! so.
//!
//! The picture is first laid out as a list of shapes ([`Picture`]), then painted; the layout is
//! what the tests read. Readability when crowded: at most [`MAX_PER_ROW`] boxes per row and
//! column (beyond that, the elements with the most flows and one "+N more" box that takes the
//! rest and their legs), labels cut to
//! their box (a name's last part after `-` or `_`, then an ellipsis, then nothing), at most
//! [`MAX_FAILURE_LINES`] failure lines per row and column (a last line counts the rest); AZ
//! headers and failure crosses are always drawn. No text is smaller than 12 units (9.7 px in
//! the SVG).

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::select::shown_variants;
use super::style::dash_segments;
use super::{Drawn, FAMILY, GRID, INK, PlotError};
use crate::output::flowmap::{Element, FailureMark, FlowMap, Kind, MapZone};
use crate::output::report::{Report, VariantReport};

/// A leg that stays in its AZ.
const SAME_AZ: RGBColor = RGBColor(27, 58, 107);
/// A leg that crosses AZs.
const CROSS_AZ: RGBColor = RGBColor(217, 95, 2);
/// Failure marks.
const FAILURE: RGBColor = RGBColor(196, 30, 30);
/// Band backgrounds: consumer, NLB, provider.
const BAND_FILL: [RGBColor; 3] = [
    RGBColor(235, 242, 250),
    RGBColor(244, 244, 244),
    RGBColor(237, 247, 237),
];
const BOX_FILL: RGBColor = RGBColor(255, 255, 255);
const IDLE: RGBColor = RGBColor(150, 150, 150);

/// Width of a leg that carries every flow of its variant, pixels.
pub const FULL_WIDTH: f64 = 24.0;

/// The most boxes drawn in one row of one column: beyond it, the elements with the most flows
/// and one "+N more" box for the rest.
pub const MAX_PER_ROW: usize = 12;

/// The most failure lines under one row of one column; a last line counts the rest.
pub const MAX_FAILURE_LINES: usize = 8;

const TITLE_SIZE: f64 = 24.0;
const PANEL_TITLE_SIZE: f64 = 17.0;
const HEADER_SIZE: f64 = 14.0;
const NAME_SIZE: f64 = 13.0;
const SMALL_SIZE: f64 = 12.0;

const MARGIN: i32 = 120;
const PANEL_GAP: i32 = 24;
const TITLE_BAND: i32 = 56;
const PANEL_TITLE: i32 = 28;
const HEADER_LINE: i32 = 18;
const BOX_HEIGHT: i32 = 40;
const ROW_GAP: i32 = 64;
const FAILURE_LINE: i32 = 16;
const LEGEND_LINE: i32 = 26;
const MIN_COLUMN: i32 = 230;
const MAX_COLUMN: i32 = 460;

/// Width of a leg with `share` of the variant's flows: proportional, [`FULL_WIDTH`] for all of
/// them, at least 1 pixel.
pub fn leg_width(share: f64) -> u32 {
    (share * FULL_WIDTH).round().max(1.0) as u32
}

/// One thing to paint.
#[derive(Clone)]
pub enum Shape {
    /// A rectangle, filled, with an optional outline.
    Rect {
        /// Top left.
        from: (i32, i32),
        /// Bottom right.
        to: (i32, i32),
        /// Fill.
        fill: RGBColor,
        /// Outline.
        stroke: Option<(RGBColor, u32)>,
    },
    /// A leg (or a legend sample).
    Line {
        /// Its points.
        points: Vec<(i32, i32)>,
        /// Colour.
        colour: RGBColor,
        /// Width, pixels.
        width: u32,
        /// Dashed (a cross-AZ leg).
        dashed: bool,
        /// The elements it joins (ids; a folded box is `+N more:COLUMN:ROW`), none for a
        /// legend sample.
        leg: Option<(String, String)>,
    },
    /// A text.
    Text {
        /// The text.
        text: String,
        /// Anchor point.
        at: (i32, i32),
        /// Size (plotters' units).
        size: f64,
        /// Horizontal anchor.
        h: HPos,
        /// Vertical anchor.
        v: VPos,
        /// Colour.
        colour: RGBColor,
    },
    /// A failure cross centred at a point.
    Cross {
        /// Centre.
        at: (i32, i32),
    },
}

/// The laid-out picture.
#[derive(Clone)]
pub struct Picture {
    /// Canvas size.
    pub size: (u32, u32),
    /// Painted in order.
    pub shapes: Vec<Shape>,
}

/// The title.
pub fn flowmap_title(report: &Report) -> String {
    format!(
        "{}: flow map ({} flows per variant, seed {})",
        report.scenario, report.flows, report.seed
    )
}

/// Width of `text` at `size`, pixels, as the embedded font draws it.
fn width_of(text: &str, size: f64) -> i32 {
    let font = (FAMILY, size).into_font();
    match font.box_size(text) {
        Ok((w, _)) => w as i32,
        Err(_) => (text.chars().count() as f64 * size * 0.62) as i32,
    }
}

/// `text` cut with an ellipsis to fit `width` pixels at `size`; `None` when not even two
/// characters and the ellipsis fit.
fn fit(text: &str, size: f64, width: i32) -> Option<String> {
    if width_of(text, size) <= width {
        return Some(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (2..chars.len()).rev() {
        let cut: String = chars[..keep].iter().collect::<String>() + "…";
        if width_of(&cut, size) <= width {
            return Some(cut);
        }
    }
    None
}

/// A name as it fits `width`: whole, its last part after `-` or `_`, cut, or nothing.
fn fit_name(name: &str, size: f64, width: i32) -> Option<String> {
    if width_of(name, size) <= width {
        return Some(name.to_string());
    }
    if let Some(at) = name.rfind(['-', '_']) {
        let tail = &name[at + 1..];
        if !tail.is_empty() && width_of(tail, size) <= width {
            return Some(tail.to_string());
        }
    }
    fit(name, size, width)
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

/// A row of the picture: clients, ENIs, the nodes of one load balancer, or targets.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    kind: Kind,
    /// The load balancer, for a row of nodes.
    group: Option<String>,
    label: String,
}

/// The rows and columns every panel shares (variants have the same resources).
struct Grid {
    columns: Vec<MapZone>,
    rows: Vec<Row>,
    /// Lines of the tallest AZ header.
    header_lines: usize,
}

fn grid(maps: &[&FlowMap]) -> Grid {
    let mut columns: Vec<MapZone> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for map in maps {
        for zone in &map.zones {
            if !columns.iter().any(|c| c.az_id == zone.az_id) {
                columns.push(zone.clone());
            }
        }
        for e in &map.elements {
            let row = match e.kind {
                Kind::Client => Row {
                    kind: Kind::Client,
                    group: None,
                    label: "clients".into(),
                },
                Kind::Eni => Row {
                    kind: Kind::Eni,
                    group: None,
                    label: "endpoint ENIs".into(),
                },
                Kind::Node => Row {
                    kind: Kind::Node,
                    group: Some(e.group.clone()),
                    label: format!("NLB {}", e.group),
                },
                Kind::Target => Row {
                    kind: Kind::Target,
                    group: None,
                    label: "targets".into(),
                },
            };
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
    }
    columns.sort_by(|a, b| a.az_id.cmp(&b.az_id));
    rows.sort_by_key(|r| r.kind);
    let header_lines = maps
        .iter()
        .flat_map(|m| &m.zones)
        .map(|z| zone_header(z).len())
        .max()
        .unwrap_or(1);
    Grid {
        columns,
        rows,
        header_lines,
    }
}

fn row_of(rows: &[Row], e: &Element) -> usize {
    rows.iter()
        .position(|r| {
            r.kind == e.kind && (e.kind != Kind::Node || r.group.as_ref() == Some(&e.group))
        })
        .expect("every element has a row")
}

/// The boxes of one (row, column) of one variant: the elements shown, and those folded into
/// "+N more".
struct Cell<'a> {
    shown: Vec<&'a Element>,
    folded: Vec<&'a Element>,
    /// The failure marks of its elements, shown ones first.
    marks: Vec<(&'a Element, &'a FailureMark)>,
}

impl Cell<'_> {
    fn slots(&self) -> usize {
        self.shown.len() + usize::from(!self.folded.is_empty())
    }
}

fn cells<'a>(map: &'a FlowMap, g: &Grid) -> Vec<Vec<Cell<'a>>> {
    let mut cells: Vec<Vec<Cell<'a>>> = (0..g.rows.len())
        .map(|_| {
            (0..g.columns.len())
                .map(|_| Cell {
                    shown: Vec::new(),
                    folded: Vec::new(),
                    marks: Vec::new(),
                })
                .collect()
        })
        .collect();
    let mut all: Vec<Vec<Vec<&'a Element>>> = vec![vec![Vec::new(); g.columns.len()]; g.rows.len()];
    for e in &map.elements {
        let Some(c) = g.columns.iter().position(|z| z.az_id == e.az_id) else {
            continue;
        };
        all[row_of(&g.rows, e)][c].push(e);
    }
    // Each element's marks, looked up once (a scan per element would be quadratic).
    let mut marks_at: BTreeMap<&str, Vec<&'a FailureMark>> = BTreeMap::new();
    for mark in &map.failures {
        marks_at.entry(mark.at.as_str()).or_default().push(mark);
    }
    for (r, row) in all.into_iter().enumerate() {
        for (c, elements) in row.into_iter().enumerate() {
            if elements.len() <= MAX_PER_ROW {
                cells[r][c].shown = elements;
            } else {
                fold(&mut cells[r][c], elements);
            }
            let cell = &mut cells[r][c];
            for e in cell.shown.iter().chain(&cell.folded) {
                for mark in marks_at.get(e.id.as_str()).into_iter().flatten() {
                    cell.marks.push((e, mark));
                }
            }
        }
    }
    cells
}

/// Puts the [`MAX_PER_ROW`] - 1 elements with the most flows (ties: drawing order) in `cell`,
/// the rest folded, both in drawing order.
fn fold<'a>(cell: &mut Cell<'a>, elements: Vec<&'a Element>) {
    let mut by_flows: Vec<usize> = (0..elements.len()).collect();
    by_flows.sort_by(|&a, &b| elements[b].flows.cmp(&elements[a].flows).then(a.cmp(&b)));
    let mut keep = vec![false; elements.len()];
    for &i in &by_flows[..MAX_PER_ROW - 1] {
        keep[i] = true;
    }
    for (e, keep) in elements.into_iter().zip(keep) {
        if keep {
            cell.shown.push(e);
        } else {
            cell.folded.push(e);
        }
    }
}

/// A failure line's text.
fn failure_lines(cell: &Cell<'_>) -> Vec<String> {
    let named = cell.slots() > 1;
    let mut lines = Vec::new();
    let mut rest = (0usize, 0.0f64);
    for (e, mark) in &cell.marks {
        if lines.len() < MAX_FAILURE_LINES {
            let line = format!("{} {}", mark.reason, percent(mark.share));
            lines.push(if named {
                format!("{line} ({})", e.name)
            } else {
                line
            });
        } else {
            rest.0 += 1;
            rest.1 += mark.share;
        }
    }
    if rest.0 > 0 {
        lines.push(format!("+{} more failures, {}", rest.0, percent(rest.1)));
    }
    lines
}

/// The header lines of an AZ column: `NAME (ID)` when every account in it calls it the same,
/// else the ID and one `account: NAME` line per account.
fn zone_header(zone: &MapZone) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for n in &zone.names {
        if !names.contains(&n.name.as_str()) {
            names.push(&n.name);
        }
    }
    match names.as_slice() {
        [] => vec![zone.az_id.clone()],
        [one] => vec![format!("{one} ({})", zone.az_id)],
        _ => std::iter::once(zone.az_id.clone())
            .chain(
                zone.names
                    .iter()
                    .map(|n| format!("{}: {}", n.account, n.name)),
            )
            .collect(),
    }
}

/// Lays out the flow map of `report`.
pub fn picture(report: &Report) -> Result<Picture, PlotError> {
    super::register_font()?;
    let shown = shown_variants(report);
    let variants: Vec<&VariantReport> = shown.kept.clone();
    let maps: Vec<&FlowMap> = variants.iter().map(|v| &v.flow_map).collect();
    let g = grid(&maps);
    let all_cells: Vec<Vec<Vec<Cell<'_>>>> = maps.iter().map(|m| cells(m, &g)).collect();

    // Column width: room for the widest row of any variant.
    let min_slot = |kind: Kind| if kind == Kind::Target { 40 } else { 120 };
    let column = (0..g.columns.len())
        .map(|c| {
            (0..g.rows.len())
                .map(|r| {
                    let slots = all_cells.iter().map(|v| v[r][c].slots()).max().unwrap_or(0);
                    slots as i32 * min_slot(g.rows[r].kind) + 16
                })
                .max()
                .unwrap_or(0)
                .clamp(MIN_COLUMN, MAX_COLUMN)
        })
        .max()
        .unwrap_or(MIN_COLUMN);
    let panel_width = column * g.columns.len().max(1) as i32;
    let per_row = match panel_width {
        w if w > 1400 => 1,
        w if w > 800 => 2,
        _ => 3,
    }
    .min(variants.len().max(1));

    // Row heights: the box, then the failure lines of the row's fullest cell.
    let mut row_top = Vec::new();
    let mut y = PANEL_TITLE + HEADER_LINE * g.header_lines as i32 + 30;
    for r in 0..g.rows.len() {
        let lines = all_cells
            .iter()
            .flat_map(|v| v[r].iter().map(|cell| failure_lines(cell).len()))
            .max()
            .unwrap_or(0) as i32;
        let band_break = r + 1 < g.rows.len() && g.rows[r + 1].kind.band() != g.rows[r].kind.band();
        row_top.push(y);
        y += BOX_HEIGHT + 8 + lines * FAILURE_LINE + ROW_GAP + if band_break { 16 } else { 0 };
    }
    let panel_height = y - ROW_GAP + 12;
    let panel_rows = variants.len().div_ceil(per_row).max(1) as i32;
    let width = MARGIN + per_row as i32 * (panel_width + PANEL_GAP);
    let legend_top = TITLE_BAND + panel_rows * (panel_height + PANEL_GAP);

    let mut shapes = Vec::new();
    let title = fit(&flowmap_title(report), TITLE_SIZE, width - 20).unwrap_or_default();
    shapes.push(Shape::Text {
        text: title,
        at: (width / 2, 30),
        size: TITLE_SIZE,
        h: HPos::Center,
        v: VPos::Center,
        colour: INK,
    });

    for (i, (variant, map)) in variants.iter().zip(&maps).enumerate() {
        let x0 = MARGIN + (i % per_row) as i32 * (panel_width + PANEL_GAP);
        let y0 = TITLE_BAND + (i / per_row) as i32 * (panel_height + PANEL_GAP);
        if i % per_row == 0 {
            row_labels(&mut shapes, &g, &row_top, y0);
        }
        panel(
            &mut shapes,
            PanelAt {
                x0,
                y0,
                column,
                width: panel_width,
                height: panel_height,
            },
            variant,
            map,
            &g,
            &all_cells[i],
            &row_top,
        );
    }

    let legend_lines = legend(&mut shapes, legend_top, width);
    let mut height = legend_top + legend_lines * LEGEND_LINE + 8;
    if !shown.left_out.is_empty() {
        let names: Vec<&str> = shown.left_out.iter().map(|v| v.name.as_str()).collect();
        let text = format!(
            "+{} variants not shown (fewest answered flows): {}",
            names.len(),
            names.join(", ")
        );
        shapes.push(Shape::Text {
            text: fit(&text, SMALL_SIZE + 2.0, width - 40).unwrap_or_default(),
            at: (20, height + 10),
            size: SMALL_SIZE + 2.0,
            h: HPos::Left,
            v: VPos::Center,
            colour: INK,
        });
        height += LEGEND_LINE;
    }
    Ok(Picture {
        size: (width as u32, height as u32),
        shapes,
    })
}

/// The row labels in the left margin.
fn row_labels(shapes: &mut Vec<Shape>, g: &Grid, row_top: &[i32], y0: i32) {
    for (r, row) in g.rows.iter().enumerate() {
        if let Some(text) = fit_name(&row.label, NAME_SIZE, MARGIN - 16) {
            shapes.push(Shape::Text {
                text,
                at: (8, y0 + row_top[r] + BOX_HEIGHT / 2),
                size: NAME_SIZE,
                h: HPos::Left,
                v: VPos::Center,
                colour: INK,
            });
        }
    }
}

#[derive(Clone, Copy)]
struct PanelAt {
    x0: i32,
    y0: i32,
    column: i32,
    width: i32,
    height: i32,
}

/// Where an element (or a folded box) is drawn.
#[derive(Clone, Copy)]
struct Placed {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    column: usize,
}

/// A box on the canvas: left, top, right, bottom, column.
type BoxKey = (i32, i32, i32, i32, usize);

fn panel(
    shapes: &mut Vec<Shape>,
    at: PanelAt,
    variant: &VariantReport,
    map: &FlowMap,
    g: &Grid,
    cells: &[Vec<Cell<'_>>],
    row_top: &[i32],
) {
    let PanelAt {
        x0,
        y0,
        column,
        width,
        height,
    } = at;
    // Bands, behind everything.
    for (band, fill) in BAND_FILL.into_iter().enumerate() {
        let rows: Vec<usize> = (0..g.rows.len())
            .filter(|&r| g.rows[r].kind.band() == band)
            .collect();
        if let (Some(&first), Some(&last)) = (rows.first(), rows.last()) {
            let bottom = if last + 1 < row_top.len() {
                row_top[last + 1] - 14
            } else {
                height
            };
            shapes.push(Shape::Rect {
                from: (x0, y0 + row_top[first] - 12),
                to: (x0 + width, y0 + bottom),
                fill,
                stroke: None,
            });
        }
    }
    // Column separators and headers.
    for (c, zone) in g.columns.iter().enumerate() {
        let left = x0 + c as i32 * column;
        if c > 0 {
            shapes.push(Shape::Line {
                points: vec![(left, y0 + PANEL_TITLE), (left, y0 + height)],
                colour: GRID,
                width: 1,
                dashed: false,
                leg: None,
            });
        }
        // The names this variant's accounts give the zone.
        let zone = map
            .zones
            .iter()
            .find(|z| z.az_id == zone.az_id)
            .unwrap_or(zone);
        let centre = left + column / 2;
        for (k, line) in zone_header(zone).iter().enumerate() {
            // The AZ header is always drawn: cut, never dropped.
            let text = fit(line, HEADER_SIZE, column - 12).unwrap_or_else(|| zone.az_id.clone());
            shapes.push(Shape::Text {
                text,
                at: (centre, y0 + PANEL_TITLE + 10 + k as i32 * HEADER_LINE),
                size: HEADER_SIZE,
                h: HPos::Center,
                v: VPos::Center,
                colour: INK,
            });
        }
    }
    if let Some(title) = fit(&variant.name, PANEL_TITLE_SIZE, width - 8) {
        shapes.push(Shape::Text {
            text: title,
            at: (x0 + width / 2, y0 + PANEL_TITLE / 2),
            size: PANEL_TITLE_SIZE,
            h: HPos::Center,
            v: VPos::Center,
            colour: INK,
        });
    }

    // Boxes; a target's second line is its share of the variant's flows (its clients' flows).
    let total: u64 = map
        .elements
        .iter()
        .filter(|x| x.kind == Kind::Client)
        .map(|x| x.flows)
        .sum();
    let mut placed: BTreeMap<String, Placed> = BTreeMap::new();
    let mut boxes: Vec<Shape> = Vec::new();
    let mut texts: Vec<Shape> = Vec::new();
    for (r, row) in cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let left = x0 + c as i32 * column;
            let slots = cell.slots();
            if slots == 0 {
                continue;
            }
            let slot = (column - 8) / slots as i32;
            let box_width = (slot - 8).min(160);
            let top = y0 + row_top[r];
            let place = |k: usize| {
                let centre = left + 4 + slot * k as i32 + slot / 2;
                Placed {
                    left: centre - box_width / 2,
                    right: centre + box_width / 2,
                    top,
                    bottom: top + BOX_HEIGHT,
                    column: c,
                }
            };
            for (k, e) in cell.shown.iter().enumerate() {
                let p = place(k);
                placed.insert(e.id.clone(), p);
                element_box(&mut boxes, &mut texts, p, e, total);
            }
            if !cell.folded.is_empty() {
                let p = place(cell.shown.len());
                let id = format!("+more:{c}:{r}");
                for e in &cell.folded {
                    placed.insert(e.id.clone(), p);
                }
                let flows: u64 = cell.folded.iter().map(|e| e.flows).sum();
                let failed: u64 = cell.folded.iter().map(|e| e.failed).sum();
                let more = Element {
                    id: id.clone(),
                    kind: g.rows[r].kind,
                    name: format!("+{} more", cell.folded.len()),
                    group: String::new(),
                    ip: String::new(),
                    subnet: String::new(),
                    az_id: String::new(),
                    flows,
                    failed,
                };
                element_box(&mut boxes, &mut texts, p, &more, total);
            }
            // Failure lines under the row.
            // Under a lone element, centred on it; else from the column's left, named.
            let (x, h) = if slots == 1 {
                (left + column / 2, HPos::Center)
            } else {
                (left + 6, HPos::Left)
            };
            for (k, line) in failure_lines(cell).iter().enumerate() {
                if let Some(text) = fit(line, SMALL_SIZE, column - 12) {
                    let y = top + BOX_HEIGHT + 6 + k as i32 * FAILURE_LINE + FAILURE_LINE / 2;
                    // A white tag under the text, so that the legs passing there do not cross it.
                    let w = width_of(&text, SMALL_SIZE);
                    let start = if slots == 1 { x - w / 2 } else { x };
                    texts.push(Shape::Rect {
                        from: (start - 3, y - FAILURE_LINE / 2 + 1),
                        to: (start + w + 3, y + FAILURE_LINE / 2 - 1),
                        fill: BOX_FILL,
                        stroke: None,
                    });
                    texts.push(Shape::Text {
                        text,
                        at: (x, y),
                        size: SMALL_SIZE,
                        h,
                        v: VPos::Center,
                        colour: FAILURE,
                    });
                }
            }
        }
    }

    // Legs, merged per pair of boxes (folded elements share a box).
    let box_key = |id: &str| -> Option<BoxKey> {
        placed
            .get(id)
            .map(|p| (p.left, p.top, p.right, p.bottom, p.column))
    };
    let mut merged: BTreeMap<(BoxKey, BoxKey), (f64, bool, String, String)> = BTreeMap::new();
    for leg in &map.legs {
        let (Some(from), Some(to)) = (box_key(&leg.from), box_key(&leg.to)) else {
            continue;
        };
        let entry =
            merged
                .entry((from, to))
                .or_insert((0.0, false, leg.from.clone(), leg.to.clone()));
        entry.0 += leg.share;
        entry.1 |= leg.cross_az;
    }
    // Attachment points spread along each box's bottom (outgoing) and top (incoming) edges,
    // in the order of the other end.
    let mut outgoing: BTreeMap<BoxKey, Vec<i32>> = BTreeMap::new();
    let mut incoming: BTreeMap<BoxKey, Vec<i32>> = BTreeMap::new();
    for (from, to) in merged.keys() {
        outgoing.entry(*from).or_default().push(to.0 + to.2);
        incoming.entry(*to).or_default().push(from.0 + from.2);
    }
    for list in outgoing.values_mut().chain(incoming.values_mut()) {
        list.sort();
    }
    let attach = |list: &[i32], other: i32, (left, right): (i32, i32)| -> i32 {
        let k = list.iter().position(|&x| x == other).unwrap_or(0);
        let n = list.len() as i32;
        left + (right - left) * (2 * k as i32 + 1) / (2 * n)
    };
    let mut legs: Vec<(u32, Shape)> = merged
        .iter()
        .map(|((from, to), (share, cross, from_id, to_id))| {
            let x1 = attach(&outgoing[from], to.0 + to.2, (from.0, from.2));
            let x2 = attach(&incoming[to], from.0 + from.2, (to.0, to.2));
            let cross = *cross || from.4 != to.4;
            let width = leg_width(*share);
            (
                width,
                Shape::Line {
                    points: vec![(x1, from.3), (x2, to.1)],
                    colour: if cross { CROSS_AZ } else { SAME_AZ },
                    width,
                    dashed: cross,
                    leg: Some((from_id.clone(), to_id.clone())),
                },
            )
        })
        .collect();
    // Wide legs under narrow ones.
    legs.sort_by_key(|leg| std::cmp::Reverse(leg.0));
    shapes.extend(legs.into_iter().map(|(_, s)| s));
    shapes.extend(boxes);
    shapes.extend(texts);
}

/// An element's box, its labels and, when flows failed there, its cross; `total` is the
/// variant's flows.
fn element_box(boxes: &mut Vec<Shape>, texts: &mut Vec<Shape>, p: Placed, e: &Element, total: u64) {
    let failed = e.failed > 0;
    let idle = e.flows == 0;
    let outline = if failed {
        (FAILURE, 2)
    } else if idle {
        (IDLE, 1)
    } else {
        (INK, 1)
    };
    boxes.push(Shape::Rect {
        from: (p.left, p.top),
        to: (p.right, p.bottom),
        fill: BOX_FILL,
        stroke: Some(outline),
    });
    if failed {
        boxes.push(Shape::Cross {
            at: (p.right, p.top),
        });
    }
    let room = p.right - p.left - 8;
    let centre = (p.left + p.right) / 2;
    let name = match e.kind {
        Kind::Eni if !e.name.starts_with('+') => format!("ENI {}", e.name),
        _ => e.name.clone(),
    };
    let colour = if idle { IDLE } else { INK };
    let Some(name) =
        fit_name(&name, NAME_SIZE, room).or_else(|| fit_name(&e.name, NAME_SIZE, room))
    else {
        return;
    };
    texts.push(Shape::Text {
        text: name,
        at: (centre, p.top + 12),
        size: NAME_SIZE,
        h: HPos::Center,
        v: VPos::Center,
        colour,
    });
    // The second line: a target's answered share, the others' IP.
    let second = match e.kind {
        Kind::Target => {
            let answered = e.flows - e.failed;
            if total == 0 {
                String::new()
            } else {
                percent(answered as f64 / total as f64)
            }
        }
        _ => e.ip.clone(),
    };
    if second.is_empty() {
        return;
    }
    if width_of(&second, SMALL_SIZE) <= room {
        texts.push(Shape::Text {
            text: second,
            at: (centre, p.top + 29),
            size: SMALL_SIZE,
            h: HPos::Center,
            v: VPos::Center,
            colour,
        });
    }
}

/// The legend, at `top`, wrapped to `width`; returns its lines.
fn legend(shapes: &mut Vec<Shape>, top: i32, width: i32) -> i32 {
    enum Sample {
        Line(RGBColor, bool),
        Cross,
        None,
    }
    let items = [
        (Sample::Line(SAME_AZ, false), "leg in one AZ".to_string()),
        (Sample::Line(CROSS_AZ, true), "leg across AZs".to_string()),
        (
            Sample::Cross,
            "flows failed there (reason, share of the variant's flows)".to_string(),
        ),
        (
            Sample::None,
            format!(
                "line width: share of the variant's flows ({} px = 100 %); target boxes: share answered",
                FULL_WIDTH
            ),
        ),
    ];
    let (mut x, mut line) = (20, 0);
    for (sample, text) in items {
        let sample_width = match sample {
            Sample::None => 0,
            _ => 40,
        };
        let needed = sample_width + width_of(&text, SMALL_SIZE + 1.0) + 28;
        if x > 20 && x + needed > width - 10 {
            x = 20;
            line += 1;
        }
        let y = top + line * LEGEND_LINE + LEGEND_LINE / 2;
        match sample {
            Sample::Line(colour, dashed) => shapes.push(Shape::Line {
                points: vec![(x, y), (x + 32, y)],
                colour,
                width: 4,
                dashed,
                leg: None,
            }),
            Sample::Cross => shapes.push(Shape::Cross { at: (x + 16, y) }),
            Sample::None => {}
        }
        let text = fit(&text, SMALL_SIZE + 1.0, width - x - sample_width - 20).unwrap_or_default();
        shapes.push(Shape::Text {
            text,
            at: (x + sample_width, y),
            size: SMALL_SIZE + 1.0,
            h: HPos::Left,
            v: VPos::Center,
            colour: INK,
        });
        x += needed;
    }
    line + 1
}

/// Paints `picture` on `root`.
pub(super) fn draw_flowmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    picture: &Picture,
) -> Drawn {
    root.fill(&WHITE)?;
    for shape in &picture.shapes {
        match shape {
            Shape::Rect {
                from,
                to,
                fill,
                stroke,
            } => {
                root.draw(&Rectangle::new([*from, *to], fill.filled()))?;
                if let Some((colour, width)) = stroke {
                    root.draw(&Rectangle::new([*from, *to], colour.stroke_width(*width)))?;
                }
            }
            Shape::Line {
                points,
                colour,
                width,
                dashed,
                ..
            } => {
                let style = colour.stroke_width(*width);
                if *dashed {
                    let dash = (2 * *width).max(8) as f64;
                    let gap = (*width).max(5) as f64;
                    for (a, b) in dash_segments(points, dash, gap) {
                        root.draw(&PathElement::new(vec![a, b], style))?;
                    }
                } else {
                    root.draw(&PathElement::new(points.clone(), style))?;
                }
            }
            Shape::Text {
                text,
                at,
                size,
                h,
                v,
                colour,
            } => {
                let style = (FAMILY, *size)
                    .into_font()
                    .color(colour)
                    .pos(Pos::new(*h, *v));
                root.draw(&Text::new(text.clone(), *at, style))?;
            }
            Shape::Cross { at: (x, y) } => {
                root.draw(&Circle::new((*x, *y), 8, WHITE.filled()))?;
                root.draw(&Circle::new((*x, *y), 8, FAILURE.stroke_width(2)))?;
                let stroke = FAILURE.stroke_width(2);
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
    }
    Ok(())
}
