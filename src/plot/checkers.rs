//! The checker raster: each health checker's own status over time, one row per checker
//! grouped by region, the status Route 53 reports, and the share of healthy checkers
//! against the `healthy_fraction` line — the 18 % rule made visible. Checks without
//! checkers (calculated, CloudWatch) get their own panels below (check_kinds.rs).

use super::check_kinds;
use super::{CAPTION_PX, Chart, DrawResult, FAULT_SHADE, LABEL_PX, Mark, TICK_PX};
use super::{font, legend, minutes_label};
use crate::report::{CheckSettings, Report, Trace};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// Rows drawn per check; a check with more checkers shows its first rows and says so.
const ROWS_MAX: usize = 160;
const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 330;
const TITLE_HEIGHT: u32 = 56;
const SHARE_HEIGHT: u32 = 250;
const HEALTHY: RGBColor = RGBColor(170, 215, 160);
const UNHEALTHY: RGBColor = RGBColor(215, 48, 39);
const HEALTHY_REPORTED: RGBColor = RGBColor(60, 140, 60);
const UNHEALTHY_REPORTED: RGBColor = RGBColor(140, 20, 20);
const SHARE: RGBColor = RGBColor(30, 30, 30);

/// "21:05" (minutes:seconds) or "1:02:05" for a time in minutes.
fn clock_label(minutes: f64) -> String {
    let total = (minutes * 60.0).round() as i64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

pub struct Checkers<'a> {
    report: &'a Report,
    trace: &'a Trace,
    checks: Vec<&'a CheckSettings>,
    /// Calculated and CloudWatch checks, drawn after the checks with checkers.
    kinds: Vec<&'a CheckSettings>,
}

impl<'a> Checkers<'a> {
    /// None when no health check has checkers (none, or all disabled) and none is
    /// calculated or follows a CloudWatch metric.
    pub fn new(report: &'a Report, trace: &'a Trace) -> Option<Self> {
        let checks: Vec<&CheckSettings> = report.settings.health_checks.iter().filter(|h| h.checkers > 0).collect();
        let kinds: Vec<&CheckSettings> =
            report.settings.health_checks.iter().filter(|h| check_kinds::drawn_here(h)).collect();
        (!checks.is_empty() || !kinds.is_empty()).then_some(Checkers { report, trace, checks, kinds })
    }
}

/// Row 0 is the reported status, row 1 a gap, rows 2.. the checkers.
const FIRST_CHECKER_ROW: usize = 2;

fn rows(check: &CheckSettings) -> usize {
    (check.checkers as usize).min(ROWS_MAX) + FIRST_CHECKER_ROW
}

fn raster_height(check: &CheckSettings) -> u32 {
    (rows(check) as u32 * 14).clamp(140, 620) + 110
}

impl Chart for Checkers<'_> {
    fn name(&self) -> String {
        "checkers".into()
    }

    fn title(&self) -> String {
        format!("{}: health checkers", self.report.name)
    }

    fn size(&self) -> (u32, u32) {
        let panels: u32 = self
            .checks
            .iter()
            .map(|c| raster_height(c) + SHARE_HEIGHT + if self.first_wave(c).is_some() { raster_height(c) } else { 0 })
            .sum();
        let kinds: u32 = self.kinds.iter().map(|c| check_kinds::height(c)).sum();
        (WIDTH, TITLE_HEIGHT + panels + kinds)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut rest = super::header(
            root,
            TITLE_HEIGHT,
            format!("{} — each health checker's status, and the status Route 53 reports (run 1)", self.report.name),
            None,
        )?;
        let end_min = self.report.duration_s / 60.0;
        for check in &self.checks {
            let (raster, after) = rest.split_vertically(raster_height(check));
            let (share, mut after) = after.split_vertically(SHARE_HEIGHT);
            let caption = format!(
                "{}: {} checkers in {} regions probe {} every {}s, threshold {}",
                check.id,
                check.checkers,
                check.regions.len(),
                check.endpoint.as_deref().unwrap_or_default(),
                check.request_interval_s,
                check.failure_threshold
            );
            self.raster(
                &raster,
                check,
                (0.0, end_min),
                &caption,
                "time since the start of the run (minutes)",
                &minutes_label,
            )?;
            self.share(&share, check)?;
            if let Some((from_s, reported_s)) = self.first_wave(check) {
                let (zoom, next) = after.split_vertically(raster_height(check));
                let margin_s = ((reported_s - from_s) * 0.15).max(5.0);
                let window = ((from_s - margin_s) / 60.0, (reported_s + margin_s) / 60.0);
                let caption = format!(
                    "{}, zoomed: checkers flip one by one; the reported status follows once {} of {} have",
                    check.id,
                    check.checkers - check.healthy_checkers_min + 1,
                    check.checkers
                );
                self.raster(&zoom, check, window, &caption, "time since the start of the run (mm:ss)", &clock_label)?;
                after = next;
            }
            rest = after;
        }
        for check in &self.kinds {
            let (area, after) = rest.split_vertically(check_kinds::height(check));
            check_kinds::draw(&area, self.report, self.trace, check)?;
            rest = after;
        }
        Ok(())
    }
}

impl Checkers<'_> {
    /// The first time the reported status went unhealthy: (first checker flip of that
    /// wave, the reported change), in seconds. None if it never did after the start.
    fn first_wave(&self, check: &CheckSettings) -> Option<(f64, f64)> {
        let reported_s = self.trace.check_changes.iter().find(|c| c.1 == check.id && !c.2 && c.0 > 0.0).map(|c| c.0)?;
        let mut healthy = check.checkers;
        let mut wave_start = None;
        for f in self.trace.checker_flips.iter().filter(|f| f.1 == check.id && f.0 <= reported_s) {
            if f.4 {
                healthy += 1;
            } else {
                if healthy == check.checkers {
                    wave_start = Some(f.0);
                }
                healthy -= 1;
            }
        }
        Some((wave_start.unwrap_or(reported_s), reported_s))
    }

    #[allow(clippy::too_many_arguments)]
    fn raster<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        check: &CheckSettings,
        (from_min, to_min): (f64, f64),
        caption: &str,
        x_desc: &str,
        x_label: &dyn Fn(f64) -> String,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let end_min = self.report.duration_s / 60.0;
        let per_region = (check.checkers as usize / check.regions.len().max(1)).max(1);
        let row_count = rows(check);
        let caption = if (check.checkers as usize) > ROWS_MAX {
            format!("{caption} (first {ROWS_MAX} of {} checkers)", check.checkers)
        } else {
            caption.to_owned()
        };
        let label_of = |row: usize| -> String {
            if row == 0 {
                return "reported".into();
            }
            let Some(checker) = row.checked_sub(FIRST_CHECKER_ROW) else { return String::new() };
            if checker % per_region == 0 {
                check.regions.get(checker / per_region).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        // Rows count from the top: y segment `row_count - 1 - row`.
        let y = |row: usize| row_count - 1 - row;
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(caption, font(CAPTION_PX))
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(150)
            .build_cartesian_2d(from_min..to_min, (0..row_count - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_desc)
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_label_formatter(&|x| x_label(*x))
            .y_labels(row_count)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(k) if *k < row_count => label_of(y(*k)),
                _ => String::new(),
            })
            .draw()?;
        let cell = |row: usize, a: f64, b: f64, color: RGBColor| {
            Rectangle::new([(a, SegmentValue::Exact(y(row))), (b, SegmentValue::Exact(y(row) + 1))], color.filled())
        };
        chart.draw_series(
            (0..row_count)
                .filter(|&row| row != 1)
                .map(|row| cell(row, from_min, to_min, if row == 0 { HEALTHY_REPORTED } else { HEALTHY })),
        )?;
        let reported = self.trace.check_changes.iter().filter(|c| c.1 == check.id).map(|c| (c.0, c.2));
        let mut cells: Vec<(usize, f64, f64)> =
            check_kinds::unhealthy_spans(true, reported, end_min).into_iter().map(|(a, b)| (0, a, b)).collect();
        for (r, region) in check.regions.iter().enumerate() {
            for index in 0..per_region {
                let row = FIRST_CHECKER_ROW + r * per_region + index;
                if row >= row_count {
                    break;
                }
                let flips = self
                    .trace
                    .checker_flips
                    .iter()
                    .filter(|f| f.1 == check.id && &f.2 == region && f.3 as usize == index)
                    .map(|f| (f.0, f.4));
                cells.extend(check_kinds::unhealthy_spans(true, flips, end_min).into_iter().map(|(a, b)| (row, a, b)));
            }
        }
        // At least a pixel-wide sliver, so that a short unhealthy spell stays visible.
        let sliver = (to_min - from_min) / 1500.0;
        chart.draw_series(cells.into_iter().filter(|(_, a, b)| *b > from_min && *a < to_min).map(|(row, a, b)| {
            let color = if row == 0 { UNHEALTHY_REPORTED } else { UNHEALTHY };
            cell(row, a.max(from_min), b.max(a + sliver).min(to_min), color)
        }))?;
        legend(
            &legend_area,
            "",
            &[
                ("reported healthy".into(), Mark::Fill(HEALTHY_REPORTED, 1.0)),
                ("reported unhealthy".into(), Mark::Fill(UNHEALTHY_REPORTED, 1.0)),
                ("checker healthy".into(), Mark::Fill(HEALTHY, 1.0)),
                ("checker unhealthy".into(), Mark::Fill(UNHEALTHY, 1.0)),
            ],
        )
    }

    fn share<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, check: &CheckSettings) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let end_min = self.report.duration_s / 60.0;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..end_min, 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc("time since the start of the run (minutes)")
            .y_desc("checkers healthy (%)")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_label_formatter(&|x| minutes_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let reported = self.trace.check_changes.iter().filter(|c| c.1 == check.id).map(|c| (c.0, c.2));
        chart.draw_series(check_kinds::unhealthy_spans(true, reported, end_min).into_iter().map(|(a, b)| {
            Rectangle::new([(a, 0.0), (b.max(a + end_min / 1500.0), 100.0)], FAULT_SHADE.mix(0.2).filled())
        }))?;
        let total = f64::from(check.checkers);
        let mut healthy = total;
        let mut points = vec![(0.0, 100.0)];
        for f in self.trace.checker_flips.iter().filter(|f| f.1 == check.id) {
            points.push((f.0 / 60.0, 100.0 * healthy / total));
            healthy += if f.4 { 1.0 } else { -1.0 };
            points.push((f.0 / 60.0, 100.0 * healthy / total));
        }
        points.push((end_min, 100.0 * healthy / total));
        chart.draw_series(LineSeries::new(points, SHARE.stroke_width(2)))?;
        let threshold = 100.0 * check.healthy_fraction;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, threshold), (end_min, threshold)],
            8,
            5,
            UNHEALTHY.stroke_width(2),
        )))?;
        legend(
            &legend_area,
            "",
            &[
                ("share of checkers healthy".into(), Mark::Line(SHARE, 2)),
                (format!("{threshold:.0} % line: healthy only above"), Mark::Dashed(UNHEALTHY)),
                ("reported unhealthy".into(), Mark::Fill(FAULT_SHADE, 0.3)),
            ],
        )
    }
}
