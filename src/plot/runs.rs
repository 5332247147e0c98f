//! Across replications (`--runs N`): the distribution of detection time and of client
//! failover p99, per episode, as histograms with the mean marked.

use super::{CAPTION_PX, Chart, DrawResult, LABEL_PX, TICK_PX};
use super::{color, font, seconds_label};
use crate::report::Report;
use plotters::coord::Shift;
use plotters::prelude::*;

const EPISODES_MAX: usize = 3;
const WIDTH: u32 = 1400;
const TITLE_HEIGHT: u32 = 56;
const ROW_HEIGHT: u32 = 400;
const MEAN: RGBColor = RGBColor(20, 20, 20);

pub struct Runs<'a> {
    report: &'a Report,
    episodes: usize,
}

impl<'a> Runs<'a> {
    /// None for a single run, or when no run had an episode.
    pub fn new(report: &'a Report) -> Option<Self> {
        let episodes = report.run_results.iter().map(|r| r.episodes.len()).max().unwrap_or(0).min(EPISODES_MAX);
        (report.runs > 1 && episodes > 0).then_some(Runs { report, episodes })
    }

    /// (values, runs where the figure is missing) of one figure of episode `k`.
    fn figure(&self, k: usize, pick: impl Fn(&crate::report::EpisodeResult) -> Option<f64>) -> (Vec<f64>, usize) {
        let mut values = Vec::new();
        let mut missing = 0;
        for run in &self.report.run_results {
            match run.episodes.get(k).and_then(&pick) {
                Some(v) => values.push(v),
                None => missing += 1,
            }
        }
        (values, missing)
    }
}

impl Chart for Runs<'_> {
    fn name(&self) -> String {
        "runs".into()
    }

    fn title(&self) -> String {
        format!("{}: across {} runs", self.report.name, self.report.runs)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + ROW_HEIGHT * self.episodes as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let rest = super::header(
            root,
            TITLE_HEIGHT,
            format!(
                "{} — how detection and the slowest clients vary across {} runs",
                self.report.name, self.report.runs
            ),
            None,
        )?;
        let cells = rest.split_evenly((self.episodes, 2));
        for k in 0..self.episodes {
            let endpoint =
                self.report.run_results.iter().find_map(|r| r.episodes.get(k)).map_or("", |e| e.endpoint.as_str());
            let (detection, never_detected) = self.figure(k, |e| e.detection_s);
            let (p99, never_p99) = self.figure(k, |e| e.client_failover_s.p99);
            histogram(
                &cells[2 * k],
                &format!("Episode {} ({endpoint}): detection", k + 1),
                &detection,
                never_detected,
                "detection time (s)",
                color(0),
            )?;
            histogram(
                &cells[2 * k + 1],
                &format!("Episode {} ({endpoint}): client failover p99", k + 1),
                &p99,
                never_p99,
                "client failover p99 (s)",
                color(2),
            )?;
        }
        Ok(())
    }
}

fn histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    values: &[f64],
    missing: usize,
    x_desc: &str,
    fill: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if values.is_empty() {
        area.draw(&Text::new(caption.to_owned(), (20, 30), font(CAPTION_PX)))?;
        area.draw(&Text::new(format!("never reached, in all {missing} runs"), (20, 70), font(LABEL_PX)))?;
        return Ok(());
    }
    let caption = if missing > 0 { format!("{caption} (never in {missing} runs)") } else { caption.to_owned() };
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = if high - low < 1e-9 { (low - 1.0, high + 1.0) } else { (low, high) };
    let bins = ((values.len() as f64).sqrt().round() as usize).clamp(5, 40);
    let width = (high - low) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in values {
        counts[(((v - low) / width) as usize).min(bins - 1)] += 1;
    }
    let count_max = f64::from(*counts.iter().max().expect("at least one bin"));
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(CAPTION_PX))
        .margin(14)
        .x_label_area_size(52)
        .y_label_area_size(70)
        .build_cartesian_2d(low..high, 0.0..count_max * 1.15)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("runs")
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .x_label_formatter(&|x| seconds_label(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(counts.iter().enumerate().map(|(i, &c)| {
        let a = low + (i as f64 + 0.04) * width;
        Rectangle::new([(a, 0.0), (a + 0.92 * width, f64::from(c))], fill.mix(0.85).filled())
    }))?;
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(mean, 0.0), (mean, count_max * 1.15)],
            MEAN.stroke_width(3),
        )))?
        .label(format!("mean {mean:.1} s over {} runs", values.len()))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], MEAN.stroke_width(3)));
    chart
        .configure_series_labels()
        .label_font(font(TICK_PX))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}
