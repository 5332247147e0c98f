//! Where the failover time went: for each episode, one horizontal bar per client group,
//! its mean failover time stacked by stage (docs/model.md §7.2.7), means over every run.

use super::{CAPTION_PX, Chart, DrawResult, LABEL_PX, Mark, TICK_PX};
use super::{font, header, legend, seconds_label};
use crate::report::stages::{GroupStages, of_episode};
use crate::report::summary::Figures;
use crate::report::{FailoverStages, Report};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const PANELS_MAX: usize = 4;
const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 400;
const TITLE_HEIGHT: u32 = 56;
const BAR_PX: u32 = 46;
const PANEL_EXTRA_PX: u32 = 150;
/// One colour per stage, in `FailoverStages::NAMES` order: the DNS side in purples and
/// blues, the caches in oranges, the client in greens and grey.
const STAGE_COLORS: [RGBColor; 7] = [
    RGBColor(110, 40, 160),
    RGBColor(20, 110, 200),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(237, 201, 72),
    RGBColor(89, 161, 79),
    RGBColor(186, 176, 172),
];

pub struct Stages<'a> {
    report: &'a Report,
    /// Per episode shown: its caption and its groups' stages.
    panels: Vec<(String, Vec<GroupStages>)>,
}

impl<'a> Stages<'a> {
    /// None when no client failed over in any episode shown.
    pub fn new(report: &'a Report) -> Option<Self> {
        let fig = Figures::new(report);
        let episodes = report.run_results.iter().map(|r| r.episodes.len()).max().unwrap_or(0);
        let panels: Vec<(String, Vec<GroupStages>)> = (0..episodes.min(PANELS_MAX))
            .filter_map(|k| {
                let e = report.run_results.iter().find_map(|r| r.episodes.get(k))?;
                let groups = of_episode(report, &fig, k);
                (!groups.is_empty()).then(|| (format!("Episode {}: {} on {}", k + 1, e.kind, e.endpoint), groups))
            })
            .collect();
        (!panels.is_empty()).then_some(Stages { report, panels })
    }

    fn panel_height(groups: usize) -> u32 {
        PANEL_EXTRA_PX + BAR_PX * groups as u32
    }
}

impl Chart for Stages<'_> {
    fn name(&self) -> String {
        "failover-stages".into()
    }

    fn title(&self) -> String {
        format!("{}: where the failover time went", self.report.name)
    }

    fn size(&self) -> (u32, u32) {
        let panels: u32 = self.panels.iter().map(|(_, g)| Self::panel_height(g.len())).sum();
        (WIDTH, TITLE_HEIGHT + panels)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let runs = self.report.runs;
        let over = if runs == 1 { "run 1".to_owned() } else { format!("means over all {runs} runs") };
        let mut rest = header(
            root,
            TITLE_HEIGHT,
            format!("{} — where each group's mean failover time went ({over})", self.report.name),
            None,
        )?;
        for (caption, groups) in &self.panels {
            let (area, below) = rest.split_vertically(Self::panel_height(groups.len()));
            rest = below;
            let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
            let high = groups.iter().map(GroupStages::total_s).fold(1.0f64, f64::max) * 1.12;
            let n = groups.len() as f64;
            let mut chart = ChartBuilder::on(&plot_area)
                .caption(caption, font(CAPTION_PX))
                .margin(12)
                .x_label_area_size(52)
                .y_label_area_size(170)
                .build_cartesian_2d(0.0..high, 0.0..n)?;
            let name_of = |y: f64| {
                let i = (n - y - 0.5).round();
                if (n - y - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < groups.len() {
                    groups[i as usize].group.clone()
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .x_desc("mean seconds since the fault started")
                .axis_desc_style(font(LABEL_PX))
                .label_style(font(TICK_PX))
                .x_label_formatter(&|x| seconds_label(*x))
                .y_labels(groups.len() * 2 + 1)
                .y_label_formatter(&|y| name_of(*y))
                .disable_y_mesh()
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (i, g) in groups.iter().enumerate() {
                // The first group on top.
                let (y0, y1) = (n - i as f64 - 0.85, n - i as f64 - 0.15);
                let mut x = 0.0;
                for (s, &(_, _, mean_s)) in g.stages.iter().enumerate() {
                    if mean_s > 0.0 {
                        chart.draw_series(std::iter::once(Rectangle::new(
                            [(x, y0), (x + mean_s, y1)],
                            STAGE_COLORS[s].filled(),
                        )))?;
                    }
                    x += mean_s;
                }
                chart.draw_series(std::iter::once(Text::new(
                    format!(" {}", seconds_label(x)),
                    (x, (y0 + y1) / 2.0),
                    font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center)),
                )))?;
            }
            let entries: Vec<(String, Mark)> = FailoverStages::default()
                .each()
                .iter()
                .zip(STAGE_COLORS)
                .map(|(&(_, label, _), c)| (label.to_owned(), Mark::Fill(c, 1.0)))
                .collect();
            legend(&legend_area, "waiting for", &entries)?;
        }
        Ok(())
    }
}
