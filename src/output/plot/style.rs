//! The looks and drawing primitives of the plots: text styles, bar fills and hatching, line
//! dashes and markers that tell variants and targets apart in greyscale too, error bars, haloed
//! lines and text fitted to a width. Only [`super`]'s charts use them.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::select::Note;
use super::{Drawn, FAMILY, INK, PlotError};

pub(super) fn text(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

pub(super) fn anchored(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// How one variant's bars look: a fill from dark to light, and hatching on every other one.
#[derive(Clone, Copy)]
pub(super) struct BarLook {
    fill: RGBColor,
    hatch: Option<RGBColor>,
}

pub(super) fn bar_look(variant: usize) -> BarLook {
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
pub(super) struct LineLook {
    pub(super) colour: RGBColor,
    pub(super) dash: Option<(u32, u32)>,
    pub(super) marker: Marker,
}

#[derive(Clone, Copy)]
pub(super) enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

pub(super) fn line_look(target: usize) -> LineLook {
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

/// How the "others" line of a time series looks (the mean of the targets not drawn on their
/// own): grey, finely dotted, with crosses.
pub(super) fn others_look() -> LineLook {
    LineLook {
        colour: RGBColor(120, 120, 120),
        dash: Some((2, 3)),
        marker: Marker::Cross,
    }
}

/// Fills `root` white, centres `title` in a band at the top, and returns the area below it.
pub(super) fn titled<DB: DrawingBackend>(
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
pub(super) fn draw_bar<DB: DrawingBackend>(
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
pub(super) fn hatch_segments(
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
pub(super) fn draw_haloed_line<DB: DrawingBackend>(
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
pub(super) fn draw_error_bar<DB: DrawingBackend>(
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

pub(super) fn draw_marker<DB: DrawingBackend>(
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
pub(super) fn draw_styled_line<DB: DrawingBackend>(
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
pub(super) fn dash_segments(
    points: &[(i32, i32)],
    dash: f64,
    gap: f64,
) -> Vec<((i32, i32), (i32, i32))> {
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
pub(super) fn fit_text<DB: DrawingBackend>(
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

/// `prefix` followed by as many of `names` as fit in `width` pixels, separated by commas, and
/// an ellipsis when some do not: `+988 variants not shown: v-12, v-13, …`. Measures at most as
/// many names as fit, however many there are.
pub(super) fn fit_listing<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    prefix: &str,
    names: &[&str],
    style: &TextStyle,
    width: u32,
) -> Result<String, PlotError> {
    let mut line = prefix.trim_end().to_string();
    for (i, name) in names.iter().enumerate() {
        let separator = if i == 0 { " " } else { ", " };
        let more = if i + 1 < names.len() { ", …" } else { "" };
        let candidate = format!("{line}{separator}{name}");
        if root
            .estimate_text_size(&format!("{candidate}{more}"), style)?
            .0
            > width
        {
            let cut = if i == 0 { " …" } else { ", …" };
            return fit_text(root, &format!("{line}{cut}"), style, width);
        }
        line = candidate;
    }
    Ok(line)
}

/// Height of one note line, pixels.
pub(super) const NOTE_LINE: u32 = 24;

/// Draws `notes` (those that are there, one line each) in a band split off the bottom of
/// `body`, and returns the rest of `body` (all of it without notes, so a picture that leaves
/// nothing out is unchanged).
pub(super) fn with_notes<'n, DB: DrawingBackend>(
    body: DrawingArea<DB, Shift>,
    notes: impl IntoIterator<Item = Option<Note<'n>>>,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let notes: Vec<Note<'n>> = notes.into_iter().flatten().collect();
    if notes.is_empty() {
        return Ok(body);
    }
    let height = body.dim_in_pixel().1;
    let band = NOTE_LINE * notes.len() as u32 + 6;
    let (rest, band) = body.split_vertically(height.saturating_sub(band));
    draw_notes(&band, &notes)?;
    Ok(rest)
}

/// One line per note, left-aligned, cut to the band's width.
fn draw_notes<DB: DrawingBackend>(band: &DrawingArea<DB, Shift>, notes: &[Note<'_>]) -> Drawn {
    let style = anchored(14.0, HPos::Left, VPos::Center);
    let width = band.dim_in_pixel().0.saturating_sub(40);
    for (i, note) in notes.iter().enumerate() {
        let line = fit_listing(band, &note.words, &note.names, &style, width)?;
        let y = (NOTE_LINE * i as u32 + NOTE_LINE / 2) as i32;
        band.draw(&Text::new(line, (20, y), style.clone()))?;
    }
    Ok(())
}
