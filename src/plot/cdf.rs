//! Client failover CDF: for each episode, the share of active clients that had reached a
//! healthy endpoint by each time, one curve per client group. A curve that stays below 1
//! is a group with stranded clients. The time axis turns logarithmic when the tail is long.
//! With several runs the curves pool every run's active clients, so their percentiles are
//! those of all clients of all runs; past `csv::CLIENT_ROWS_MAX` they show run 1's, and
//! the title says so.

use super::{CAPTION_PX, Chart, DrawResult, LABEL_PX, Mark, TICK_PX};
use super::{color, font, legend, seconds_label};
use crate::report::{EpisodeResult, Report, Trace, csv};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::HashMap;

const PANELS_MAX: usize = 4;
const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 400;
const TITLE_HEIGHT: u32 = 56;
/// Added to the title's height for a subtitle.
const SUBTITLE_HEIGHT: u32 = 34;
const PANEL_HEIGHT: u32 = 440;
/// The axis turns logarithmic when the slowest client took this many times the median.
const LONG_TAIL_RATIO: f64 = 20.0;
const GUIDE: RGBColor = RGBColor(120, 120, 120);

pub struct Cdf<'a> {
    report: &'a Report,
    trace: &'a Trace,
    episodes: &'a [EpisodeResult],
}

impl<'a> Cdf<'a> {
    /// None when no episode had active clients.
    pub fn new(report: &'a Report, trace: &'a Trace) -> Option<Self> {
        let episodes = report.run_results.first().map(|r| r.episodes.as_slice()).unwrap_or_default();
        (!trace.clients.is_empty()).then_some(Cdf { report, trace, episodes })
    }

    fn panels(&self) -> usize {
        self.episodes.len().min(PANELS_MAX)
    }

    /// Which runs the curves show, for the title, and why not all of them when they do not.
    fn runs_shown(&self) -> (String, Option<String>) {
        let runs = self.report.runs;
        if runs <= 1 {
            ("run 1".into(), None)
        } else if self.trace.clients_pooled {
            (format!("all {runs} runs"), None)
        } else if csv::pools_every_run(self.report) {
            // Saved by a fosim that wrote run 1's clients only.
            (format!("run 1 of {runs}"), None)
        } else {
            let cap = crate::report::summary::thousands(csv::CLIENT_ROWS_MAX);
            (
                format!("run 1 of {runs}"),
                Some(format!(
                    "only run 1's clients: all {runs} runs would hold more than {cap} client times, the most fosim pools"
                )),
            )
        }
    }

    fn title_height(&self) -> u32 {
        TITLE_HEIGHT + if self.runs_shown().1.is_some() { SUBTITLE_HEIGHT } else { 0 }
    }
}

/// One group's curve in one episode: sorted failover times and the number of active clients.
struct Curve {
    group: usize,
    times: Vec<f64>,
    active: usize,
}

fn percentile(times: &[f64], active: usize, p: f64) -> Option<f64> {
    let rank = ((p * active as f64).ceil() as usize).clamp(1, active.max(1));
    times.get(rank - 1).copied()
}

impl Chart for Cdf<'_> {
    fn name(&self) -> String {
        "failover-cdf".into()
    }

    fn title(&self) -> String {
        format!("{}: client failover times", self.report.name)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, self.title_height() + PANEL_HEIGHT * self.panels().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (runs, why) = self.runs_shown();
        let rest = super::header(
            root,
            self.title_height(),
            format!("{} — when each active client first reached a healthy endpoint ({runs})", self.report.name),
            why,
        )?;
        let groups = &self.report.settings.client_groups;
        let group_of: HashMap<&str, usize> = groups.iter().enumerate().map(|(g, s)| (s.id.as_str(), g)).collect();
        for (k, area) in rest.split_evenly((self.panels().max(1), 1)).iter().enumerate().take(self.panels()) {
            // One pass over the episode's rows, sorted into their groups' curves (a scan of
            // the rows per group was quadratic in groups).
            let mut by_group: Vec<Curve> =
                (0..groups.len()).map(|group| Curve { group, times: Vec::new(), active: 0 }).collect();
            for row in self.trace.clients.iter().filter(|c| c.episode as usize == k) {
                if let Some(&g) = group_of.get(row.group.as_str()) {
                    by_group[g].active += 1;
                    by_group[g].times.extend(row.failover_s);
                }
            }
            let curves: Vec<Curve> = by_group
                .into_iter()
                .filter(|c| c.active > 0)
                .map(|mut c| {
                    c.times.sort_by(f64::total_cmp);
                    c
                })
                .collect();
            let e = &self.episodes[k];
            let caption = format!("Episode {}: {} on {}", k + 1, e.kind, e.endpoint);
            let all: Vec<f64> = curves.iter().flat_map(|c| c.times.iter().copied()).collect();
            let high = all.iter().copied().fold(1.0f64, f64::max) * 1.08;
            let positive_min = all.iter().copied().filter(|&t| t > 0.0).fold(f64::INFINITY, f64::min);
            let median = {
                let mut sorted = all.clone();
                sorted.sort_by(f64::total_cmp);
                sorted.get(sorted.len() / 2).copied().unwrap_or(1.0)
            };
            let long_tail = median > 0.0 && high / median > LONG_TAIL_RATIO && positive_min.is_finite();
            if long_tail {
                let low = (positive_min * 0.8).max(0.01);
                self.panel(
                    area,
                    &caption,
                    (low..high).log_scale(),
                    low,
                    &curves,
                    "seconds since the fault started (log scale)",
                )?;
            } else {
                self.panel(area, &caption, 0.0..high, 0.0, &curves, "seconds since the fault started")?;
            }
        }
        Ok(())
    }
}

impl Cdf<'_> {
    fn panel<DB, X>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        x: X,
        x_low: f64,
        curves: &[Curve],
        x_desc: &str,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(caption, font(CAPTION_PX))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(x, 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("active clients failed over (%)")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_label_formatter(&|x| seconds_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let x_high = curves.iter().flat_map(|c| c.times.last().copied()).fold(1.0f64, f64::max) * 1.08;
        for (level, label) in [(50.0, "p50"), (99.0, "p99")] {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(x_low, level), (x_high, level)],
                6,
                4,
                GUIDE.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                label,
                (x_high, level + 4.5),
                font(TICK_PX).pos(Pos::new(HPos::Right, VPos::Bottom)),
            )))?;
        }
        let mut entries = Vec::new();
        for curve in curves {
            let n = curve.active as f64;
            let mut points = vec![(x_low, 0.0)];
            for (i, &t) in curve.times.iter().enumerate() {
                let t = t.max(x_low);
                points.push((t, 100.0 * i as f64 / n));
                points.push((t, 100.0 * (i + 1) as f64 / n));
            }
            points.push((x_high, 100.0 * curve.times.len() as f64 / n));
            let c = color(curve.group);
            chart.draw_series(LineSeries::new(points, c.stroke_width(3)))?;
            for (p, at) in [(0.5, 50.0), (0.99, 99.0)] {
                if let Some(t) = percentile(&curve.times, curve.active, p) {
                    chart.draw_series(std::iter::once(Circle::new((t.max(x_low), at), 6, c.filled())))?;
                }
            }
            let show = |p| percentile(&curve.times, curve.active, p).map_or("never".into(), |t| format!("{t:.1} s"));
            let stranded = curve.active - curve.times.len();
            let group = &self.report.settings.client_groups[curve.group].id;
            let label = if curve.times.is_empty() {
                format!("{group}: all {stranded} stranded")
            } else if stranded > 0 {
                format!("{group}: p50 {}, {stranded} stranded", show(0.5))
            } else {
                format!("{group}: p50 {}, p99 {}", show(0.5), show(0.99))
            };
            entries.push((label, Mark::Line(c, 3)));
        }
        legend(&legend_area, "client group (dots: p50, p99)", &entries)
    }
}
