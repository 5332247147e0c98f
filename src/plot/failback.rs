//! Failback: for each episode that ended before the run did, when the clients that had
//! failed over were back on its endpoint (docs/model.md §7.2.8), one row per client group:
//! a bar from the p50 to the p99 of the time back, a cross at the slowest, and the clients
//! still away at the end in the legend. Drawn from the first run's figures in report.json.

use super::{CAPTION_PX, Chart, DrawResult, LABEL_PX, Mark, TICK_PX};
use super::{color, font, legend, seconds_label};
use crate::report::{EpisodeResult, Failback, Report};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const PANELS_MAX: usize = 4;
const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 560;
const TITLE_HEIGHT: u32 = 56;
const PANEL_BASE: u32 = 150;
const ROW_HEIGHT: u32 = 56;

pub struct FailbackChart<'a> {
    report: &'a Report,
    /// (episode index, episode) of the first run's episodes with a failback, at most
    /// `PANELS_MAX`.
    episodes: Vec<(usize, &'a EpisodeResult)>,
}

impl<'a> FailbackChart<'a> {
    /// None when no episode of the first run had clients that failed over and then had time
    /// to come back.
    pub fn new(report: &'a Report) -> Option<Self> {
        let run = report.run_results.first()?;
        let episodes: Vec<(usize, &EpisodeResult)> = run
            .episodes
            .iter()
            .enumerate()
            .filter(|(_, e)| e.failback.as_ref().is_some_and(|f| f.clients_failed_over > 0))
            .take(PANELS_MAX)
            .collect();
        (!episodes.is_empty()).then_some(FailbackChart { report, episodes })
    }

    /// The groups of an episode with clients that failed over: (index in the settings, id,
    /// figures).
    fn rows(&self, e: &'a EpisodeResult) -> Vec<(usize, &'a str, &'a Failback)> {
        let groups = &self.report.settings.client_groups;
        groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let f = e.groups.get(&g.id)?.failback.as_ref()?;
                (f.clients_failed_over > 0).then_some((i, g.id.as_str(), f))
            })
            .collect()
    }

    fn panel_height(&self, e: &'a EpisodeResult) -> u32 {
        PANEL_BASE + ROW_HEIGHT * self.rows(e).len() as u32
    }
}

impl Chart for FailbackChart<'_> {
    fn name(&self) -> String {
        "failback".into()
    }

    fn title(&self) -> String {
        format!("{}: failback", self.report.name)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + self.episodes.iter().map(|(_, e)| self.panel_height(e)).sum::<u32>())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut rest = super::header(
            root,
            TITLE_HEIGHT,
            format!(
                "{} — after the fault, when clients that had failed over were back on its endpoint (run 1)",
                self.report.name
            ),
            None,
        )?;
        for &(k, e) in &self.episodes {
            let (area, below) = rest.split_vertically(self.panel_height(e));
            self.panel(&area, k, e)?;
            rest = below;
        }
        Ok(())
    }
}

impl<'a> FailbackChart<'a> {
    fn panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, k: usize, e: &'a EpisodeResult) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let rows = self.rows(e);
        let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let high = rows
            .iter()
            .flat_map(|(_, _, f)| [f.back_s.p50, f.back_s.p99, f.back_s.max])
            .flatten()
            .fold(1.0f64, f64::max)
            * 1.1;
        let n = rows.len() as f64;
        let caption = format!("Episode {}: {} on {}, back on {} after the end", k + 1, e.kind, e.endpoint, e.endpoint);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(caption, font(CAPTION_PX))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(20)
            .build_cartesian_2d(0.0..high, -0.6..n - 0.4)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the fault ended")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_label_formatter(&|x| seconds_label(*x))
            .y_labels(0)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let mut entries = Vec::new();
        for (row, &(g, id, f)) in rows.iter().enumerate() {
            // The first group at the top.
            let y = n - 1.0 - row as f64;
            let c = color(g);
            let b = &f.back_s;
            let away = f.clients_away_at_end + f.clients_away_at_next_fault;
            if let Some(p50) = b.p50 {
                // Up to the p99, or to the right edge when the p99 never came.
                let to = b.p99.unwrap_or(high);
                chart.draw_series(std::iter::once(Rectangle::new([(p50, y - 0.18), (to, y + 0.18)], c.filled())))?;
                chart.draw_series(std::iter::once(Circle::new((p50, y), 7, BLACK.filled())))?;
                if let Some(max) = b.max {
                    chart.draw_series(std::iter::once(Cross::new((max, y), 8, BLACK.stroke_width(3))))?;
                }
            }
            let label_style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Bottom));
            let name = if b.p50.is_none() { format!("{id}: never back") } else { id.to_owned() };
            chart.draw_series(std::iter::once(Text::new(name, (high * 0.005, y + 0.22), label_style)))?;
            let show = |v: Option<f64>| v.map_or("never".to_owned(), |t| format!("{t:.1} s"));
            let mut label = format!("{id}: p50 {}, p99 {}", show(b.p50), show(b.p99));
            if away > 0 {
                label += &format!(", {away} of {} still away", f.clients_failed_over);
            }
            entries.push((label, Mark::Fill(c, 1.0)));
        }
        legend(&legend_area, "client group (bar: p50 to p99 · dot: p50 · cross: max)", &entries)
    }
}
