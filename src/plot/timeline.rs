//! The failover timeline: share of requests going to each endpoint (stacked), failed
//! requests, fault windows shaded, and markers for detection, the first and last
//! name-server switch and the client failover p50/p99. The whole run on top, then one
//! panel per episode zoomed around its failover.

use super::{CAPTION_PX, Chart, DrawResult, FAILED, FAILOVER, LABEL_PX, Mark, TICK_PX};
use super::{DETECTION, DNS, color, font, legend, minutes_label, seconds_label};
use crate::report::{EpisodeResult, Report, Trace};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// Episodes shown in panels of their own; the whole-run panel shows them all.
const EPISODE_PANELS_MAX: usize = 4;
const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 330;
const TITLE_HEIGHT: u32 = 56;
const RUN_PANEL_HEIGHT: u32 = 430;
const EPISODE_PANEL_HEIGHT: u32 = 400;
/// The y axis reaches past 100 % to make room for the fault strip.
const STRIP_TOP: f64 = 108.0;

pub struct Timeline<'a> {
    report: &'a Report,
    trace: &'a Trace,
    episodes: &'a [EpisodeResult],
}

impl<'a> Timeline<'a> {
    pub fn new(report: &'a Report, trace: &'a Trace) -> Self {
        let episodes = report.run_results.first().map(|r| r.episodes.as_slice()).unwrap_or_default();
        Timeline { report, trace, episodes }
    }

    fn panels(&self) -> usize {
        self.episodes.len().min(EPISODE_PANELS_MAX)
    }
}

/// A vertical marker: scenario time in seconds, what it marks.
struct Marker {
    at_s: f64,
    color: RGBColor,
    dashed: bool,
}

fn markers(e: &EpisodeResult) -> Vec<Marker> {
    let mut out = Vec::new();
    let mut add = |offset: Option<f64>, color, dashed| {
        if let Some(s) = offset {
            out.push(Marker { at_s: e.start_s + s, color, dashed });
        }
    };
    // Drawn in this order: the detection line last and thinner, so that it stays visible
    // on top of a name-server line at the same instant (zero propagation delay).
    add(e.dns_switch_first_s, DNS, false);
    add(e.dns_switch_last_s, DNS, true);
    add(e.client_failover_s.p50, FAILOVER, false);
    add(e.client_failover_s.p99, FAILOVER, true);
    add(e.detection_s, DETECTION, false);
    out
}

/// The zoomed window of an episode, in seconds from its start: the failover and a margin.
fn window(e: &EpisodeResult, bucket_s: f64) -> (f64, f64) {
    let reach = [e.detection_s, e.dns_switch_last_s, e.client_failover_s.p99, e.client_failover_s.max]
        .iter()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let span = reach.max(60.0).max(10.0 * bucket_s);
    (-0.2 * span, 1.3 * span)
}

impl Chart for Timeline<'_> {
    fn name(&self) -> String {
        "timeline".into()
    }

    fn title(&self) -> String {
        format!("{}: where requests went", self.report.name)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + RUN_PANEL_HEIGHT + EPISODE_PANEL_HEIGHT * self.panels() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let rest = super::header(
            root,
            TITLE_HEIGHT,
            format!(
                "{} — share of requests to each endpoint over time (run 1, seed {})",
                self.report.name, self.report.seed
            ),
            None,
        )?;
        let (run_area, episode_areas) = rest.split_vertically(RUN_PANEL_HEIGHT);
        let duration_min = self.report.duration_s / 60.0;
        let all: Vec<&EpisodeResult> = self.episodes.iter().collect();
        self.panel(
            &run_area,
            "Whole run",
            (0.0, duration_min),
            &|s| s / 60.0,
            "time since the start of the run (minutes)",
            &minutes_label,
            &all,
            None,
        )?;
        let bucket_s = self.report.settings.timeline_bucket_s;
        for (k, area) in episode_areas.split_evenly((self.panels().max(1), 1)).iter().enumerate().take(self.panels()) {
            let e = &self.episodes[k];
            let (from, to) = window(e, bucket_s);
            let caption = format!("Episode {}: {} on {}, zoomed on its failover", k + 1, e.kind, e.endpoint);
            let start = e.start_s;
            self.panel(
                area,
                &caption,
                (from, to),
                &|s| s - start,
                "seconds since the fault started",
                &seconds_label,
                &all,
                Some(e),
            )?;
        }
        Ok(())
    }
}

impl Timeline<'_> {
    #[allow(clippy::too_many_arguments)]
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        (x_from, x_to): (f64, f64),
        to_x: &dyn Fn(f64) -> f64,
        x_desc: &str,
        x_label: &dyn Fn(f64) -> String,
        shaded: &[&EpisodeResult],
        detail: Option<&EpisodeResult>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(caption, font(CAPTION_PX))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(x_from..x_to, 0.0..STRIP_TOP)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("share of requests (%)")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_label_formatter(&|x| x_label(*x))
            .y_label_formatter(&|y| if *y <= 100.0 { format!("{y:.0}") } else { String::new() })
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let clip = |x: f64| x.clamp(x_from, x_to);
        let endpoints = &self.report.settings.endpoints;
        let index_of = |name: &str| endpoints.iter().position(|e| e == name).unwrap_or(0);
        // Fault windows: a strip above the stacked shares (which fill the plot below 100 %),
        // one band per endpoint, in a darker shade of the endpoint's colour.
        let band = (STRIP_TOP - 101.5) / endpoints.len() as f64;
        for e in shaded {
            let (a, b) = (clip(to_x(e.start_s)), clip(to_x(e.end_s)));
            let i = index_of(&e.endpoint);
            if b > a {
                let y = 101.5 + band * i as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(a, y), (b, y + band * 0.85)],
                    dark(color(i)).filled(),
                )))?;
            }
        }

        // Stacked shares: cumulative share below and above each endpoint, bucket by bucket.
        let bucket_s = self.report.settings.timeline_bucket_s;
        let rows: Vec<_> = self
            .trace
            .timeline
            .iter()
            .filter(|r| to_x(r.start_s + bucket_s) > x_from && to_x(r.start_s) < x_to)
            .collect();
        let mut below = vec![0.0; rows.len()];
        for (e, _) in endpoints.iter().enumerate() {
            let above: Vec<f64> = rows
                .iter()
                .zip(&below)
                .map(|(r, b)| {
                    let total: u64 = r.requests.iter().sum();
                    if total == 0 { *b } else { b + 100.0 * r.requests[e] as f64 / total as f64 }
                })
                .collect();
            let mut outline: Vec<(f64, f64)> = Vec::with_capacity(4 * rows.len());
            for (r, y) in rows.iter().zip(&above) {
                outline.push((clip(to_x(r.start_s)), *y));
                outline.push((clip(to_x(r.start_s + bucket_s)), *y));
            }
            for (r, y) in rows.iter().zip(&below).rev() {
                outline.push((clip(to_x(r.start_s + bucket_s)), *y));
                outline.push((clip(to_x(r.start_s)), *y));
            }
            if !outline.is_empty() {
                chart.draw_series(std::iter::once(Polygon::new(outline, color(e).mix(0.75).filled())))?;
            }
            below = above;
        }
        let failed: Vec<(f64, f64)> = rows
            .iter()
            .flat_map(|r| {
                let total: u64 = r.requests.iter().sum();
                let failed: u64 = r.requests_failed.iter().sum();
                let share = if total == 0 { 0.0 } else { 100.0 * failed as f64 / total as f64 };
                [(clip(to_x(r.start_s)), share), (clip(to_x(r.start_s + bucket_s)), share)]
            })
            .collect();
        chart.draw_series(LineSeries::new(failed, FAILED.stroke_width(3)))?;

        let marked: Vec<&EpisodeResult> = match detail {
            Some(e) => vec![e],
            None => shaded.to_vec(),
        };
        for e in marked {
            for m in markers(e) {
                let x = to_x(m.at_s);
                if x < x_from || x > x_to {
                    continue;
                }
                let points = vec![(x, 0.0), (x, STRIP_TOP)];
                let width = if m.color == DNS { 6 } else { 3 };
                if m.dashed {
                    chart.draw_series(std::iter::once(DashedPathElement::new(
                        points,
                        8,
                        5,
                        m.color.stroke_width(width),
                    )))?;
                } else {
                    chart.draw_series(std::iter::once(PathElement::new(points, m.color.stroke_width(width))))?;
                }
            }
        }

        let fmt = |v: Option<f64>| v.map_or("never".to_owned(), seconds_label_precise);
        let mut entries: Vec<(String, Mark)> =
            endpoints.iter().enumerate().map(|(i, e)| (format!("to {e}"), Mark::Fill(color(i), 0.75))).collect();
        entries.push(("failed requests".into(), Mark::Line(FAILED, 3)));
        for (i, e) in endpoints.iter().enumerate() {
            if shaded.iter().any(|s| &s.endpoint == e) {
                entries.push((format!("{e} under fault (top bar)"), Mark::Fill(dark(color(i)), 1.0)));
            }
        }
        match detail {
            Some(e) => {
                entries.push((format!("detection {}", fmt(e.detection_s)), Mark::Line(DETECTION, 3)));
                entries.push((format!("first name server {}", fmt(e.dns_switch_first_s)), Mark::Line(DNS, 3)));
                entries.push((format!("last name server {}", fmt(e.dns_switch_last_s)), Mark::Dashed(DNS)));
                entries.push((format!("clients p50 {}", fmt(e.client_failover_s.p50)), Mark::Line(FAILOVER, 3)));
                entries.push((format!("clients p99 {}", fmt(e.client_failover_s.p99)), Mark::Dashed(FAILOVER)));
            }
            None => {
                entries.push(("health check unhealthy".into(), Mark::Line(DETECTION, 3)));
                entries.push(("first / last name server".into(), Mark::Line(DNS, 3)));
                entries.push(("clients failed over p50 / p99".into(), Mark::Line(FAILOVER, 3)));
            }
        }
        legend(&legend_area, if detail.is_some() { "since the fault started:" } else { "" }, &entries)
    }
}

fn dark(c: RGBColor) -> RGBColor {
    RGBColor((f64::from(c.0) * 0.6) as u8, (f64::from(c.1) * 0.6) as u8, (f64::from(c.2) * 0.6) as u8)
}

fn seconds_label_precise(s: f64) -> String {
    format!("{s:.1} s")
}
