//! The checkers chart's panels for checks that send no probes (docs/model.md §3.12–§3.13):
//! a calculated check as its children's reported statuses, its own, and how many children
//! are healthy against its threshold; a CloudWatch check as its datapoints, period by
//! period, against its threshold, with the periods that had no data.
//!
//! Drawn from the trace alone, like the rest of the chart.

use super::{CAPTION_PX, DrawResult, FAULT_SHADE, LABEL_PX, Mark, TICK_PX};
use super::{font, legend, minutes_label};
use crate::report::{CheckSettings, DatapointRow, Report, Trace};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 330;
const PANEL_HEIGHT: u32 = 250;
const HEALTHY: RGBColor = RGBColor(60, 140, 60);
const UNHEALTHY: RGBColor = RGBColor(140, 20, 20);
const LINE: RGBColor = RGBColor(30, 30, 30);
const THRESHOLD: RGBColor = RGBColor(215, 48, 39);
const NO_DATA: RGBColor = RGBColor(150, 150, 150);

/// Whether the checkers chart draws this check here.
pub fn drawn_here(check: &CheckSettings) -> bool {
    check.calculated.is_some() || check.cloudwatch.is_some()
}

fn raster_height(rows: usize) -> u32 {
    (rows as u32 * 14).clamp(140, 620) + 110
}

/// The height of a check's panels.
pub fn height(check: &CheckSettings) -> u32 {
    match &check.calculated {
        Some(c) => raster_height(c.children.len() + 2) + PANEL_HEIGHT,
        None => PANEL_HEIGHT + 60,
    }
}

pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    trace: &Trace,
    check: &CheckSettings,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if check.calculated.is_some() {
        let (raster, count) = area.split_vertically(height(check) - PANEL_HEIGHT);
        calculated_raster(&raster, report, trace, check)?;
        calculated_count(&count, report, trace, check)
    } else {
        cloudwatch(area, report, trace, check)
    }
}

/// A check's status before any change: a disabled check is healthy, an inverted one
/// unhealthy; a calculated one follows its children's.
fn initial_healthy(report: &Report, check: &CheckSettings) -> bool {
    let own = |h: &CheckSettings| h.disabled || !h.inverted;
    match &check.calculated {
        Some(c) => {
            let healthy = c.children.iter().filter(|id| settings(report, id).is_none_or(own)).count();
            check.disabled || ((healthy as u32 >= c.health_threshold) != check.inverted)
        }
        None => own(check),
    }
}

fn settings<'a>(report: &'a Report, id: &str) -> Option<&'a CheckSettings> {
    report.settings.health_checks.iter().find(|h| h.id == id)
}

/// (time s, healthy) of a check's reported changes.
fn changes<'a>(trace: &'a Trace, id: &'a str) -> impl Iterator<Item = (f64, bool)> + 'a {
    trace.check_changes.iter().filter(move |c| c.1 == id).map(|c| (c.0, c.2))
}

/// Unhealthy intervals [from, to) in minutes, from the initial status and the changes
/// (time s, healthy) in time order.
pub(super) fn unhealthy_spans(
    initial: bool,
    changes: impl Iterator<Item = (f64, bool)>,
    end_min: f64,
) -> Vec<(f64, f64)> {
    let mut spans = Vec::new();
    let mut since = (!initial).then_some(0.0);
    for (t, healthy) in changes {
        match (healthy, since) {
            (false, None) => since = Some(t / 60.0),
            (true, Some(from)) => {
                spans.push((from, t / 60.0));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        spans.push((from, end_min));
    }
    spans
}

/// Rows: the calculated check's reported status, a gap, then each child's.
fn calculated_raster<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    trace: &Trace,
    check: &CheckSettings,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let c = check.calculated.as_ref().expect("a calculated check");
    let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    let end_min = report.duration_s / 60.0;
    let row_count = c.children.len() + 2;
    let label = |row: usize| match row {
        0 => check.id.clone(),
        1 => String::new(),
        r => c.children[r - 2].clone(),
    };
    let y = |row: usize| row_count - 1 - row;
    let caption = format!(
        "{}: calculated, healthy while at least {} of its {} children are (their changes arrive after {})",
        check.id,
        c.health_threshold,
        c.children.len(),
        c.update_delay
    );
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(caption, font(CAPTION_PX))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..end_min, (0..row_count - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time since the start of the run (minutes)")
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .x_label_formatter(&|x| minutes_label(*x))
        .y_labels(row_count)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) if *k < row_count => label(y(*k)),
            _ => String::new(),
        })
        .draw()?;
    let cell = |row: usize, a: f64, b: f64, color: RGBColor| {
        Rectangle::new([(a, SegmentValue::Exact(y(row))), (b, SegmentValue::Exact(y(row) + 1))], color.filled())
    };
    chart.draw_series((0..row_count).filter(|&r| r != 1).map(|row| cell(row, 0.0, end_min, HEALTHY)))?;
    let mut cells: Vec<(usize, f64, f64)> = Vec::new();
    let ids = std::iter::once((0, &check.id)).chain(c.children.iter().enumerate().map(|(i, id)| (i + 2, id)));
    for (row, id) in ids {
        let initial = if row == 0 {
            initial_healthy(report, check)
        } else {
            settings(report, id).is_none_or(|h| initial_healthy(report, h))
        };
        cells.extend(unhealthy_spans(initial, changes(trace, id), end_min).into_iter().map(|(a, b)| (row, a, b)));
    }
    let sliver = end_min / 1500.0;
    chart.draw_series(cells.into_iter().map(|(row, a, b)| cell(row, a, b.max(a + sliver).min(end_min), UNHEALTHY)))?;
    legend(
        &legend_area,
        "",
        &[
            ("reported healthy".into(), Mark::Fill(HEALTHY, 1.0)),
            ("reported unhealthy".into(), Mark::Fill(UNHEALTHY, 1.0)),
        ],
    )
}

/// The number of children reporting healthy over time against the threshold, with the
/// calculated check's unhealthy spells shaded (they lag by the update delay).
fn calculated_count<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    trace: &Trace,
    check: &CheckSettings,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let c = check.calculated.as_ref().expect("a calculated check");
    let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    let end_min = report.duration_s / 60.0;
    let n = c.children.len() as f64;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..end_min, -0.2..(n + 0.5))?;
    chart
        .configure_mesh()
        .x_desc("time since the start of the run (minutes)")
        .y_desc("children healthy")
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .x_label_formatter(&|x| minutes_label(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let spans = unhealthy_spans(initial_healthy(report, check), changes(trace, &check.id), end_min);
    chart.draw_series(spans.into_iter().map(|(a, b)| {
        Rectangle::new([(a, -0.2), (b.max(a + end_min / 1500.0), n + 0.5)], FAULT_SHADE.mix(0.2).filled())
    }))?;
    // Every child's changes in time order, from their initial statuses.
    let mut events: Vec<(f64, bool)> =
        trace.check_changes.iter().filter(|ch| c.children.contains(&ch.1)).map(|ch| (ch.0, ch.2)).collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut healthy =
        c.children.iter().filter(|id| settings(report, id).is_none_or(|h| initial_healthy(report, h))).count() as f64;
    let mut points = vec![(0.0, healthy)];
    for (t, up) in events {
        points.push((t / 60.0, healthy));
        healthy += if up { 1.0 } else { -1.0 };
        points.push((t / 60.0, healthy));
    }
    points.push((end_min, healthy));
    chart.draw_series(LineSeries::new(points, LINE.stroke_width(2)))?;
    let threshold = f64::from(c.health_threshold);
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![(0.0, threshold), (end_min, threshold)],
        8,
        5,
        THRESHOLD.stroke_width(2),
    )))?;
    legend(
        &legend_area,
        "",
        &[
            ("children reporting healthy".into(), Mark::Line(LINE, 2)),
            (format!("threshold {}: healthy at or above", c.health_threshold), Mark::Dashed(THRESHOLD)),
            (format!("{} reported unhealthy", check.id), Mark::Fill(FAULT_SHADE, 0.3)),
        ],
    )
}

/// A CloudWatch panel's caption and its threshold's legend entry.
fn cloudwatch_texts(check: &CheckSettings) -> (String, String) {
    let w = check.cloudwatch.as_ref().expect("a CloudWatch check");
    let caption = format!(
        "{}: CloudWatch {} of {}, {} s periods, data after {}",
        check.id,
        w.metric,
        check.endpoint.as_deref().unwrap_or_default(),
        w.period_s,
        w.data_delay
    );
    let rule = match w.evaluation_periods {
        1 => format!("threshold: unhealthy when {} {}", w.comparison_symbol(), w.threshold),
        m => format!("threshold: unhealthy after {m} in a row {} {}", w.comparison_symbol(), w.threshold),
    };
    (caption, rule)
}

/// Each period's datapoint as a step at its value, periods without data shaded grey, the
/// threshold dashed and the check's unhealthy spells shaded.
fn cloudwatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    trace: &Trace,
    check: &CheckSettings,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let w = check.cloudwatch.as_ref().expect("a CloudWatch check");
    let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    let end_min = report.duration_s / 60.0;
    let points: Vec<&DatapointRow> = trace.datapoints.iter().filter(|d| d.health_check == check.id).collect();
    let top = points.iter().filter_map(|d| d.value).fold(w.threshold, f64::max).max(1e-9) * 1.15;
    let (caption, rule) = cloudwatch_texts(check);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(caption, font(CAPTION_PX))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..end_min, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("time since the start of the run (minutes)")
        .y_desc(w.metric.clone())
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .x_label_formatter(&|x| minutes_label(*x))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let spans = unhealthy_spans(initial_healthy(report, check), changes(trace, &check.id), end_min);
    chart.draw_series(
        spans.into_iter().map(|(a, b)| {
            Rectangle::new([(a, 0.0), (b.max(a + end_min / 1500.0), top)], FAULT_SHADE.mix(0.2).filled())
        }),
    )?;
    let minutes = |d: &DatapointRow| (d.period_start_s / 60.0, d.period_end_s / 60.0);
    chart.draw_series(points.iter().filter(|d| d.value.is_none()).map(|d| {
        let (a, b) = minutes(d);
        Rectangle::new([(a, 0.0), (b, top)], NO_DATA.mix(0.35).filled())
    }))?;
    chart.draw_series(points.iter().filter_map(|d| {
        let (a, b) = minutes(d);
        d.value.map(|v| PathElement::new(vec![(a, v), (b, v)], LINE.stroke_width(2)))
    }))?;
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![(0.0, w.threshold), (end_min, w.threshold)],
        8,
        5,
        THRESHOLD.stroke_width(2),
    )))?;
    legend(
        &legend_area,
        "",
        &[
            ("datapoint, over its period".into(), Mark::Line(LINE, 2)),
            (rule, Mark::Dashed(THRESHOLD)),
            ("period without data".into(), Mark::Fill(NO_DATA, 0.5)),
            ("reported unhealthy".into(), Mark::Fill(FAULT_SHADE, 0.3)),
        ],
    )
}
