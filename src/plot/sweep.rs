//! Sweep charts: for each chosen figure, a heatmap of its mean over two parameters (one
//! panel per value of a third), and line charts of the mean with its 95 % CI band over one
//! parameter, a line per value of another. Parameters beyond three are held at the best
//! point (with an objective) or at their first value.

use super::{CAPTION_PX, Chart, DrawResult, Figure, LABEL_PX, Mark, PlotError, TICK_PX};
use super::{color, font, legend, render};
use crate::sweep::output::{column_name, short};
use crate::sweep::run::{PointResult, SweepResults};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 300;
const TITLE_HEIGHT: u32 = 90;

/// Which parameter (index) is on which axis, and the values the others are held at.
struct Layout {
    x: usize,
    y: Option<usize>,
    facet: Option<usize>,
    held: Vec<usize>,
}

fn layout(results: &SweepResults) -> Layout {
    let find = |pointer: &Option<String>| {
        pointer.as_ref().and_then(|p| results.parameters.iter().position(|q| &q.pointer == p))
    };
    let (mut x, mut y, mut facet) = match &results.plot {
        Some(a) => (find(&Some(a.x.clone())), find(&a.y), find(&a.facet)),
        None => (None, None, None),
    };
    let chosen = [x, y, facet];
    let mut free = (0..results.parameters.len()).filter(|i| !chosen.contains(&Some(*i)));
    x = x.or_else(|| free.next());
    y = y.or_else(|| free.next());
    facet = facet.or_else(|| free.next());
    let best = results
        .objective
        .as_ref()
        .and_then(|o| crate::sweep::tune::recommend(results, o).groups.into_iter().find_map(|g| g.best))
        .map(|b| results.points[b.point].values.clone());
    let held = best.unwrap_or_else(|| vec![0; results.parameters.len()]);
    Layout { x: x.expect("a sweep has a parameter"), y, facet, held }
}

impl Layout {
    /// The point with these axis values and the held values elsewhere.
    fn point<'a>(
        &self,
        results: &'a SweepResults,
        x: usize,
        y: Option<usize>,
        facet: Option<usize>,
    ) -> Option<&'a PointResult> {
        results.points.iter().find(|p| {
            p.values.iter().enumerate().all(|(i, &v)| {
                if i == self.x {
                    v == x
                } else if Some(i) == self.y {
                    Some(v) == y
                } else if Some(i) == self.facet {
                    Some(v) == facet
                } else {
                    v == self.held[i]
                }
            })
        })
    }

    fn held_note(&self, results: &SweepResults) -> String {
        let held: Vec<String> = (0..results.parameters.len())
            .filter(|i| *i != self.x && Some(*i) != self.y && Some(*i) != self.facet)
            .map(|i| format!("{} = {}", results.parameters[i].name, results.parameters[i].labels[self.held[i]]))
            .collect();
        if held.is_empty() { String::new() } else { format!(" (held at {})", held.join(", ")) }
    }
}

pub fn all(results: &SweepResults) -> Result<Vec<Figure>, PlotError> {
    let layout = layout(results);
    let mut out = Vec::new();
    for metric in &results.metrics {
        if layout.y.is_some() {
            out.push(render(&Heatmap { results, layout: &layout, metric })?);
        }
        out.push(render(&Lines { results, layout: &layout, metric })?);
    }
    Ok(out)
}

fn mean(point: Option<&PointResult>, metric: &str) -> Option<f64> {
    point?.summary.iter().find(|r| r.metric == metric)?.mean
}

fn slug(metric: &str) -> String {
    column_name(metric).replace('.', "-")
}

/// Viridis, sampled at five stops and interpolated.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] =
        [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn facets(layout: &Layout, results: &SweepResults) -> Vec<Option<usize>> {
    match layout.facet {
        Some(f) => (0..results.parameters[f].values.len()).map(Some).collect(),
        None => vec![None],
    }
}

struct Heatmap<'a> {
    results: &'a SweepResults,
    layout: &'a Layout,
    metric: &'a str,
}

impl Chart for Heatmap<'_> {
    fn name(&self) -> String {
        format!("heatmap-{}", slug(self.metric))
    }

    fn title(&self) -> String {
        format!("{}: {} (mean over {} runs)", self.results.name, self.metric, self.results.runs)
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.layout.y.map_or(1, |y| self.results.parameters[y].values.len()) as u32;
        (WIDTH, TITLE_HEIGHT + 140 + (rows * 56).clamp(160, 700))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let body = super::header(
            root,
            TITLE_HEIGHT,
            format!("{} — {}", self.results.name, self.metric),
            Some(format!(
                "mean over {} runs per point, same seeds at every point{}",
                self.results.runs,
                self.layout.held_note(self.results)
            )),
        )?;
        let (panels, scale) = body.split_horizontally(WIDTH - LEGEND_WIDTH / 2);
        let (x, y) = (
            &self.results.parameters[self.layout.x],
            &self.results.parameters[self.layout.y.expect("heatmaps have y")],
        );
        let facet_values = facets(self.layout, self.results);
        let values: Vec<f64> = self.results.points.iter().filter_map(|p| mean(Some(p), self.metric)).collect();
        let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let span = if high > low { high - low } else { 1.0 };
        for (panel, &facet) in panels.split_evenly((1, facet_values.len())).iter().zip(&facet_values) {
            let caption = match (self.layout.facet, facet) {
                (Some(f), Some(v)) => {
                    format!("{} = {}", self.results.parameters[f].name, self.results.parameters[f].labels[v])
                }
                _ => String::new(),
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(CAPTION_PX))
                .margin(12)
                .x_label_area_size(60)
                .y_label_area_size(if facet == facet_values[0] { 110 } else { 20 })
                .build_cartesian_2d(
                    (0..x.values.len() - 1).into_segmented(),
                    (0..y.values.len() - 1).into_segmented(),
                )?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(&x.name)
                .y_desc(if facet == facet_values[0] { y.name.as_str() } else { "" })
                .axis_desc_style(font(LABEL_PX))
                .label_style(font(TICK_PX))
                .x_labels(x.values.len())
                .y_labels(y.values.len())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < x.labels.len() => x.labels[*i].clone(),
                    _ => String::new(),
                })
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < y.labels.len() && facet == facet_values[0] => {
                        y.labels[*i].clone()
                    }
                    _ => String::new(),
                })
                .draw()?;
            for xi in 0..x.values.len() {
                for yi in 0..y.values.len() {
                    let value = mean(self.layout.point(self.results, xi, Some(yi), facet), self.metric);
                    let fill = value.map_or(RGBColor(220, 220, 220), |v| viridis((v - low) / span));
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(xi), SegmentValue::Exact(yi)),
                            (SegmentValue::Exact(xi + 1), SegmentValue::Exact(yi + 1)),
                        ],
                        fill.filled(),
                    )))?;
                    let ink = if value.is_some_and(|v| (v - low) / span > 0.6) { BLACK } else { WHITE };
                    let text = value.map_or("never".into(), short);
                    chart.draw_series(std::iter::once(Text::new(
                        text,
                        (SegmentValue::CenterOf(xi), SegmentValue::CenterOf(yi)),
                        font(TICK_PX).color(&ink).pos(Pos::new(HPos::Center, VPos::Center)),
                    )))?;
                }
            }
        }
        // Colour bar.
        let (_, bar) = scale.split_horizontally(20);
        let (bar_area, _) = bar.split_vertically(bar.dim_in_pixel().1 - 60);
        let h = bar_area.dim_in_pixel().1 as i32;
        for row in 0..h.max(1) {
            let t = 1.0 - f64::from(row) / f64::from(h.max(1));
            bar_area.draw(&Rectangle::new([(0, row), (24, row + 1)], viridis(t).filled()))?;
        }
        bar_area.draw(&Text::new(short(high), (30, 0), font(TICK_PX)))?;
        bar_area.draw(&Text::new(short(low), (30, h - 18), font(TICK_PX)))?;
        Ok(())
    }
}

struct Lines<'a> {
    results: &'a SweepResults,
    layout: &'a Layout,
    metric: &'a str,
}

impl Chart for Lines<'_> {
    fn name(&self) -> String {
        format!("lines-{}", slug(self.metric))
    }

    fn title(&self) -> String {
        format!("{}: {} against {}", self.results.name, self.metric, self.results.parameters[self.layout.x].name)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let body = super::header(
            root,
            TITLE_HEIGHT,
            format!("{} — {}", self.results.name, self.metric),
            Some(format!(
                "mean with its 95 % confidence interval over {} runs{}",
                self.results.runs,
                self.layout.held_note(self.results)
            )),
        )?;
        let (panels, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
        let x = &self.results.parameters[self.layout.x];
        let lines: Vec<Option<usize>> = match self.layout.y {
            Some(y) => (0..self.results.parameters[y].values.len()).map(Some).collect(),
            None => vec![None],
        };
        let facet_values = facets(self.layout, self.results);
        let rows = |facet| -> Vec<Vec<Option<(f64, f64, f64)>>> {
            lines
                .iter()
                .map(|&line| {
                    (0..x.values.len())
                        .map(|xi| {
                            let row = self
                                .layout
                                .point(self.results, xi, line, facet)?
                                .summary
                                .iter()
                                .find(|r| r.metric == self.metric)?;
                            let m = row.mean?;
                            Some((m, row.ci95_low.unwrap_or(m), row.ci95_high.unwrap_or(m)))
                        })
                        .collect()
                })
                .collect()
        };
        let all: Vec<f64> = facet_values
            .iter()
            .flat_map(|&f| rows(f))
            .flatten()
            .flatten()
            .flat_map(|(m, lo, hi)| [m, lo, hi])
            .collect();
        let (low, high) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let (low, high) = if !low.is_finite() {
            (0.0, 1.0)
        } else if high - low < 1e-12 {
            (low - 1.0, high + 1.0)
        } else {
            (low, high)
        };
        let pad = 0.08 * (high - low);
        for (panel, &facet) in panels.split_evenly((1, facet_values.len())).iter().zip(&facet_values) {
            let caption = match (self.layout.facet, facet) {
                (Some(f), Some(v)) => {
                    format!("{} = {}", self.results.parameters[f].name, self.results.parameters[f].labels[v])
                }
                _ => String::new(),
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(CAPTION_PX))
                .margin(14)
                .x_label_area_size(56)
                .y_label_area_size(90)
                .build_cartesian_2d(-0.5..(x.values.len() as f64 - 0.5), (low - pad)..(high + pad))?;
            chart
                .configure_mesh()
                .x_desc(&x.name)
                .y_desc(short_metric(self.metric))
                .axis_desc_style(font(LABEL_PX))
                .label_style(font(TICK_PX))
                .x_labels(x.values.len().min(12))
                .x_label_formatter(&|v| {
                    let i = v.round();
                    if (v - i).abs() < 0.01 && i >= 0.0 && (i as usize) < x.labels.len() {
                        x.labels[i as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|v| short(*v))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (k, series) in rows(facet).iter().enumerate() {
                let c = color(k);
                let known: Vec<(f64, (f64, f64, f64))> =
                    series.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
                if known.len() > 1 {
                    let mut band: Vec<(f64, f64)> = known.iter().map(|(i, v)| (*i, v.2)).collect();
                    band.extend(known.iter().rev().map(|(i, v)| (*i, v.1)));
                    chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
                }
                chart.draw_series(LineSeries::new(known.iter().map(|(i, v)| (*i, v.0)), c.stroke_width(3)))?;
                chart.draw_series(known.iter().map(|(i, v)| Circle::new((*i, v.0), 5, c.filled())))?;
                for (i, v) in &known {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(*i, v.1), (*i, v.2)],
                        c.stroke_width(2),
                    )))?;
                }
            }
        }
        let entries: Vec<(String, Mark)> = match self.layout.y {
            Some(y) => {
                let p = &self.results.parameters[y];
                p.labels
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (format!("{} = {l}", p.name), Mark::Line(color(k), 3)))
                    .collect()
            }
            None => vec![("mean".into(), Mark::Line(color(0), 3))],
        };
        let mut entries = entries;
        entries.push(("95 % CI".into(), Mark::Fill(color(0), 0.25)));
        legend(&legend_area, "", &entries)
    }
}

/// The last two segments of a figure's pointer, for an axis label.
fn short_metric(metric: &str) -> String {
    let parts: Vec<&str> = metric.trim_start_matches('/').split('/').collect();
    parts[parts.len().saturating_sub(2)..].join(" ").replace('_', " ")
}
