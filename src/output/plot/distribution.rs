//! The distribution chart: share of flows per subnet, subnets grouped by AZ (labelled with the
//! AZ name and ID), one bar per variant side by side, the expected share across each bar and the
//! clustered 95 % interval as an error bar. A variant with no target in a subnet has no bar
//! there, and "n/a" where it would stand. At most [`MAX_SHOWN`] variants and subnets, on a
//! canvas of one size; a note names the rest ([`super::select`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::select::*;
use super::style::*;
use super::{DISTRIBUTION_SIZE, Drawn, GRID, INK};
use crate::output::report::{Report, Share, VariantReport};

/// The subnets on the x axis, one slot each: every variant's subnets (by name, the first row
/// seen standing for its name, AZ and AZ ID), grouped by AZ in order of first appearance.
pub(super) fn subnet_slots(report: &Report) -> Vec<&Share> {
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
pub(super) fn az_groups(slots: &[&Share]) -> Vec<(usize, usize)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        match groups.last_mut() {
            Some((first, count)) if slots[*first].az_id == slot.az_id => *count += 1,
            _ => groups.push((i, 1)),
        }
    }
    groups
}

pub(super) fn az_label(share: &Share) -> String {
    format!("{} ({})", share.az, share.az_id)
}

/// The chart's title.
pub fn distribution_title(report: &Report) -> String {
    format!(
        "{}: hits per subnet ({} flows per variant, seed {})",
        report.scenario, report.flows, report.seed
    )
}

pub(super) const LEGEND_WIDTH: u32 = 270;
/// Top of the share axis: room above 100 % for a bar's value, no tick beyond 100.
pub(super) const Y_TOP: f64 = 109.0;

pub(super) fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Drawn {
    let body = titled(root, &distribution_title(report))?;
    let variants = shown_variants(report);
    let all_slots = subnet_slots(report);
    let shown = shown_subnets(&all_slots, &variants.kept);
    let body = with_notes(body, [variants_note(&variants), subnets_note(&shown)])?;
    let (plot_area, legend_area) = body.split_horizontally(DISTRIBUTION_SIZE.0 - LEGEND_WIDTH);
    let slots = shown.kept;
    let variants = variants.kept;
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
    draw_bars(root, &variants, &slots, &to_pixel)?;
    draw_distribution_legend(&legend_area, &variants)?;
    Ok(())
}

/// Dashed light lines between AZ groups.
pub(super) fn draw_group_separators<DB: DrawingBackend>(
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
pub(super) fn draw_x_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    slots: &[&Share],
    to_pixel: &dyn Fn(f64, f64) -> (i32, i32),
) -> Drawn {
    let slot_width = (to_pixel(1.0, 0.0).0 - to_pixel(0.0, 0.0).0).max(1) as u32;
    let name_style = anchored(16.0, HPos::Center, VPos::Top);
    let az_style = anchored(14.0, HPos::Center, VPos::Top);
    // Narrow slots (many subnets) try a smaller size before cutting a name.
    let small_style = anchored(12.0, HPos::Center, VPos::Top);
    for (i, slot) in slots.iter().enumerate() {
        let (x, y) = to_pixel(i as f64 + 0.5, 0.0);
        let room = slot_width.saturating_sub(8);
        let style = if root.estimate_text_size(&slot.name, &name_style)?.0 <= room {
            &name_style
        } else {
            &small_style
        };
        let name = fit_text(root, &slot.name, style, room)?;
        root.draw(&Text::new(name, (x, y + 10), style.clone()))?;
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
pub(super) fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    variants: &[&VariantReport],
    slots: &[&Share],
    to_pixel: &dyn Fn(f64, f64) -> (i32, i32),
) -> Drawn {
    let width = 0.8 / variants.len().max(1) as f64;
    let value_style = anchored(14.0, HPos::Center, VPos::Bottom);
    for (i, slot) in slots.iter().enumerate() {
        for (v, variant) in variants.iter().enumerate() {
            let left = i as f64 + 0.1 + v as f64 * width;
            let Some(share) = variant
                .subnets
                .iter()
                .find(|s| s.name == slot.name)
                .and_then(|s| s.counts.as_ref())
            else {
                // The variant has no target in this subnet: say so where its bar would stand.
                let (x0, base) = to_pixel(left + 0.01, 0.0);
                let (x1, _) = to_pixel(left + width - 0.01, 0.0);
                root.draw(&Text::new(
                    "n/a",
                    ((x0 + x1) / 2, base - 6),
                    value_style.clone(),
                ))?;
                continue;
            };
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
pub(super) fn draw_distribution_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    variants: &[&VariantReport],
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
    for (v, variant) in variants.iter().enumerate() {
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
    area.draw(&Text::new(
        "95 % interval (clustered)",
        (58, y),
        label.clone(),
    ))?;
    Ok(())
}
