//! The heat map of a sweep: one metric (a share, 0 to 1) over the first two axes, one panel per
//! combination of the other axes' values (and per variant), at most [`MAX_PANELS`] panels; each
//! cell coloured by its value on one scale from 0 to 100 % and labelled with it. A cell with no
//! value (the metric's subnet or target is not at that point) is grey and says "n/a".

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::*;
use super::{Drawn, INK};

/// Most panels a heat map draws; a note counts the rest.
pub const MAX_PANELS: usize = 12;

/// What a heat map shows.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatMap {
    /// The title.
    pub title: String,
    /// The x axis's label (the first axis's last key segment).
    pub x_label: String,
    /// The y axis's label.
    pub y_label: String,
    /// The first axis's values, left to right.
    pub x_values: Vec<String>,
    /// The second axis's values, bottom to top.
    pub y_values: Vec<String>,
    /// The panels, in order; only the first [`MAX_PANELS`] are drawn.
    pub panels: Vec<Panel>,
}

/// One panel: its title and its cells, row by row (`cells[y * x_values.len() + x]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// What the other axes (and the variant) are in this panel.
    pub title: String,
    /// The values, `None` where there is none.
    pub cells: Vec<Option<f64>>,
}

/// Rows and columns of the panel grid for `n` panels (at most [`MAX_PANELS`] counted).
pub fn panel_grid(n: usize) -> (usize, usize) {
    let n = n.clamp(1, MAX_PANELS);
    let columns = match n {
        1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    (n.div_ceil(columns), columns)
}

/// The canvas size: 560 px wide per column, 420 px high per row, plus the title, colour bar and
/// note bands.
pub fn heatmap_size(map: &HeatMap) -> (u32, u32) {
    let (rows, columns) = panel_grid(map.panels.len());
    (
        (560 * columns as u32).max(800),
        56 + 420 * rows as u32 + 70 + NOTE_LINE + 6,
    )
}

/// A colour for `v` in 0..=1: light yellow through green to dark blue (viridis-like, readable in
/// greyscale by lightness).
fn colour(v: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (0.0, (253.0, 231.0, 37.0)),
        (0.25, (94.0, 201.0, 98.0)),
        (0.5, (33.0, 145.0, 140.0)),
        (0.75, (59.0, 82.0, 139.0)),
        (1.0, (68.0, 1.0, 84.0)),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS.iter().position(|s| s.0 >= v).unwrap_or(4).max(1);
    let (a, ca) = STOPS[k - 1];
    let (b, cb) = STOPS[k];
    let t = (v - a) / (b - a);
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2))
}

/// A share as printed in a cell.
pub fn cell_text(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{:.1} %", v * 100.0),
        None => "n/a".into(),
    }
}

pub(super) fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &HeatMap,
) -> Drawn {
    let body = titled(root, &map.title)?;
    let (w, h) = body.dim_in_pixel();
    let (grid, rest) = body.split_vertically(h - 70 - NOTE_LINE - 6);
    let (bar, note) = rest.split_vertically(70);
    let (rows, columns) = panel_grid(map.panels.len());
    let areas = grid.split_evenly((rows, columns));
    for (panel, area) in map.panels.iter().take(MAX_PANELS).zip(&areas) {
        draw_panel(area, map, panel)?;
    }
    draw_colour_bar(&bar, w)?;
    if map.panels.len() > MAX_PANELS {
        let style = anchored(14.0, HPos::Left, VPos::Center);
        let line = format!(
            "+{} panels not shown (at most {MAX_PANELS})",
            map.panels.len() - MAX_PANELS
        );
        note.draw(&Text::new(line, (20, NOTE_LINE as i32 / 2), style))?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &HeatMap,
    panel: &Panel,
) -> Drawn {
    let (width, _) = area.dim_in_pixel();
    let (head, area) = area.split_vertically(30);
    let style = anchored(15.0, HPos::Center, VPos::Center);
    let title = fit_text(&head, &panel.title, &style, width.saturating_sub(20))?;
    head.draw(&Text::new(title, (width as i32 / 2, 18), style))?;
    let nx = map.x_values.len().max(1);
    let ny = map.y_values.len().max(1);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(8)
        .margin_right(14)
        .margin_top(4)
        .margin_bottom(6)
        .x_label_area_size(52)
        .y_label_area_size(130)
        .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_style(INK)
        .x_desc(map.x_label.as_str())
        .y_desc(map.y_label.as_str())
        .axis_desc_style(text(14.0))
        .draw()?;
    let plot = chart.plotting_area();
    // backend_coord is in the root's pixels; text is drawn on `area`.
    let (bx, by) = area.get_base_pixel();
    let to_pixel = |x: f64, y: f64| {
        let (px, py) = chart.backend_coord(&(x, y));
        (px - bx, py - by)
    };
    for y in 0..ny {
        for x in 0..nx {
            let value = panel.cells.get(y * nx + x).copied().flatten();
            let fill = value.map_or(RGBColor(200, 200, 200), colour);
            plot.draw(&Rectangle::new(
                [(x as f64, y as f64), (x as f64 + 1.0, y as f64 + 1.0)],
                fill.filled(),
            ))?;
            plot.draw(&Rectangle::new(
                [(x as f64, y as f64), (x as f64 + 1.0, y as f64 + 1.0)],
                WHITE.stroke_width(2),
            ))?;
            let dark = value.is_some_and(|v| v > 0.45);
            let ink = if dark { WHITE } else { INK };
            let style = text(14.0)
                .color(&ink)
                .pos(plotters::style::text_anchor::Pos::new(
                    HPos::Center,
                    VPos::Center,
                ));
            let (px, py) = to_pixel(x as f64 + 0.5, y as f64 + 0.5);
            area.draw(&Text::new(cell_text(value), (px, py), style))?;
        }
    }
    // Axis value labels, cut to the cell's width (x) or the label area (y).
    let (left, bottom) = to_pixel(0.0, 0.0);
    let (right, _) = to_pixel(nx as f64, 0.0);
    let cell_width = ((right - left) as u32 / nx as u32).saturating_sub(6);
    let label = anchored(12.0, HPos::Center, VPos::Top);
    for (x, v) in map.x_values.iter().enumerate() {
        let (px, _) = to_pixel(x as f64 + 0.5, 0.0);
        let t = fit_text(&area, v, &label, cell_width)?;
        area.draw(&Text::new(t, (px, bottom + 6), label.clone()))?;
    }
    let label = anchored(12.0, HPos::Right, VPos::Center);
    for (y, v) in map.y_values.iter().enumerate() {
        let (_, py) = to_pixel(0.0, y as f64 + 0.5);
        let t = fit_text(&area, v, &label, 100)?;
        area.draw(&Text::new(t, (left - 6, py), label.clone()))?;
    }
    Ok(())
}

/// The colour scale, 0 to 100 %, centred in `bar`.
fn draw_colour_bar<DB: DrawingBackend>(bar: &DrawingArea<DB, Shift>, width: u32) -> Drawn {
    let length = 400i32;
    let left = (width as i32 - length) / 2;
    let top = 14;
    for i in 0..length {
        let c = colour(f64::from(i) / f64::from(length - 1));
        bar.draw(&Rectangle::new(
            [(left + i, top), (left + i + 1, top + 18)],
            c.filled(),
        ))?;
    }
    bar.draw(&Rectangle::new(
        [(left, top), (left + length, top + 18)],
        INK.stroke_width(1),
    ))?;
    let style = anchored(13.0, HPos::Center, VPos::Top);
    for k in 0..=4 {
        let x = left + length * k / 4;
        bar.draw(&Text::new(
            format!("{} %", k * 25),
            (x, top + 22),
            style.clone(),
        ))?;
    }
    Ok(())
}
