//! Sweep charts: for each chosen figure, a heatmap of its mean over two parameters (one
//! panel per value of a third), line charts of the mean with its 95 % CI band over one
//! parameter (a line per value of another), and, where the figure exists per client group,
//! a chart with a line per group. Parameters beyond those are held at the best point (with
//! an objective) or at their first value. `files` adds the sweep's `report.html`.
//!
//! Every label is measured (`raster::text_width`) and shrunk or shortened to fit its room;
//! each figure prints its numbers in one format (`sweep::numbers`); a heatmap's colour scale
//! is logarithmic when its positive values span two orders of magnitude, and zero has a
//! colour of its own.

use super::raster::text_width;
use super::{CAPTION_PX, Chart, DrawResult, Figure, LABEL_PX, Mark, PlotError, TICK_PX};
use super::{color, font, legend, render};
use crate::report::summary::escape as pointer_escape;
use crate::sweep::names;
use crate::sweep::numbers::Format;
use crate::sweep::output::column_name;
use crate::sweep::run::{PointResult, SweepResults};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::{BTreeMap, BTreeSet};

const WIDTH: u32 = 1400;
const LEGEND_WIDTH: u32 = 300;
const COLOUR_BAR_WIDTH: u32 = 190;
const TITLE_HEIGHT: u32 = 90;
/// The smallest text a label shrinks to before it is shortened.
const LABEL_PX_MIN: u32 = 11;
/// Labels are measured in the embedded font; a browser may draw the SVG's "sans-serif" a
/// little wider, so labels fit this much wider text.
const SVG_WIDER: f64 = 1.05;
/// A chart with a line per group, or per value of a second parameter, draws at most this
/// many panels across.
const PANELS_MAX: usize = 6;

/// `text` at the largest size from `px` down to `LABEL_PX_MIN` that fits `room` pixels,
/// shortened with "…" if even the smallest does not.
fn fit(text: &str, px: u32, room: f64) -> (String, u32) {
    let width = |t: &str, px: u32| text_width(t, f64::from(px)) * SVG_WIDER;
    let mut size = px;
    while size > LABEL_PX_MIN && width(text, size) > room {
        size -= 1;
    }
    if width(text, size) <= room {
        return (text.to_owned(), size);
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let short: String = chars[..keep].iter().collect::<String>().trim_end().to_owned() + "…";
        if width(&short, size) <= room {
            return (short, size);
        }
    }
    ("…".into(), size)
}

/// One size for a set of labels that share an axis: the largest at which each fits `room`;
/// labels that do not fit even at the smallest are shortened.
fn fit_all(texts: &[String], px: u32, room: f64) -> (Vec<String>, u32) {
    let size = texts.iter().map(|t| fit(t, px, room).1).min().unwrap_or(px);
    (texts.iter().map(|t| fit(t, size, room).0).collect(), size)
}

fn widest(texts: &[String], px: u32) -> f64 {
    texts.iter().map(|t| text_width(t, f64::from(px)) * SVG_WIDER).fold(0.0, f64::max)
}

/// Which parameter (index) is on which axis, and the values the others are held at.
#[derive(Clone)]
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

    fn facets(&self, results: &SweepResults) -> Vec<Option<usize>> {
        match self.facet {
            Some(f) => (0..results.parameters[f].values.len()).map(Some).collect(),
            None => vec![None],
        }
    }

    fn facet_caption(&self, results: &SweepResults, facet: Option<usize>) -> String {
        match (self.facet, facet) {
            (Some(f), Some(v)) => format!("{} = {}", results.parameters[f].name, results.parameters[f].labels[v]),
            _ => String::new(),
        }
    }
}

/// Every sweep chart: per figure a heatmap (with two parameters or more), a line chart, and
/// a chart by client group where the figure exists for two groups or more.
pub fn all(results: &SweepResults) -> Result<Vec<Figure>, PlotError> {
    let layout = layout(results);
    let names = names::figures(results);
    let mut out = Vec::new();
    let mut families_drawn = BTreeSet::new();
    for metric in &results.metrics {
        let name = names::figure(&names, metric);
        if layout.y.is_some() {
            out.push(render(&Heatmap { results, layout: &layout, metric, name: name.clone() })?);
        }
        out.push(render(&Lines { results, layout: &layout, metric, name })?);
        if let Some(family) = Family::of(results, metric)
            && families_drawn.insert((family.prefix.clone(), family.rest.clone()))
        {
            out.push(render(&GroupLines { results, layout: &layout, family })?);
        }
    }
    Ok(out)
}

/// The chart files of a sweep — `<chart>.svg`, `<chart>.png` — and `report.html` with the
/// tables, the recommendation and the charts inline: (file name, bytes), for the caller to
/// write.
pub fn files(results: &SweepResults) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    Ok(super::with_report_html(&all(results)?, |embedded| crate::sweep::html::render(results, embedded)))
}

fn row<'a>(point: Option<&'a PointResult>, metric: &str) -> Option<&'a crate::report::summary::Row> {
    point?.summary.iter().find(|r| r.metric == metric)
}

fn mean(point: Option<&PointResult>, metric: &str) -> Option<f64> {
    row(point, metric)?.mean
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

/// Zero, when it has a colour of its own: a light grey no viridis shade comes near.
const ZERO: RGBColor = RGBColor(228, 228, 228);
/// A cell with no value ("never").
const MISSING: RGBColor = RGBColor(255, 255, 255);

/// How a heatmap's values map to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Linear {
        low: f64,
        high: f64,
    },
    /// Over positive values only.
    Log {
        low: f64,
        high: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourScale {
    pub scale: Scale,
    /// Zero is drawn in its own colour (`ZERO`), apart from the scale of the positive values.
    pub zero_apart: bool,
}

impl ColourScale {
    /// Logarithmic when the positive values span two orders of magnitude or more, linear
    /// otherwise; where there are zeros and positive values (and nothing negative), zero
    /// gets a colour of its own and the scale covers the positive values, so that 0.025
    /// and 0 never look alike.
    pub fn choose(values: &[f64]) -> ColourScale {
        let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        if values.is_empty() {
            return ColourScale { scale: Scale::Linear { low: 0.0, high: 1.0 }, zero_apart: false };
        }
        let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
        if low < 0.0 || positive.is_empty() {
            return ColourScale { scale: Scale::Linear { low, high }, zero_apart: false };
        }
        let zero_apart = low == 0.0;
        let low_positive = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let scale = if high / low_positive >= 100.0 {
            Scale::Log { low: low_positive, high }
        } else {
            Scale::Linear { low: if zero_apart { low_positive } else { low }, high }
        };
        ColourScale { scale, zero_apart }
    }

    /// Position on the colour bar, 0 to 1; None for a zero drawn apart.
    pub fn position(&self, v: f64) -> Option<f64> {
        if self.zero_apart && v == 0.0 {
            return None;
        }
        Some(match self.scale {
            Scale::Linear { low, high } if high > low => (v - low) / (high - low),
            Scale::Linear { .. } => 0.5,
            Scale::Log { low, high } => (v.max(low).ln() - low.ln()) / (high.ln() - low.ln()),
        })
    }

    fn colour(&self, v: f64) -> RGBColor {
        self.position(v).map_or(ZERO, viridis)
    }

    /// Values to label on the colour bar: the ends, and the powers of ten between them on a
    /// log scale (the middle on a linear one).
    fn ticks(&self) -> Vec<f64> {
        match self.scale {
            Scale::Linear { low, high } if high > low => vec![low, (low + high) / 2.0, high],
            Scale::Linear { low, .. } => vec![low],
            Scale::Log { low, high } => {
                let mut ticks = vec![low];
                let mut k = low.log10().floor() as i32 + 1;
                while 10f64.powi(k) < high {
                    let t = 10f64.powi(k);
                    // Keep labels apart: skip a power too close to an end.
                    let near = |a: f64| (t.ln() - a.ln()).abs() < 0.12 * (high.ln() - low.ln());
                    if !near(low) && !near(high) {
                        ticks.push(t);
                    }
                    k += 1;
                }
                ticks.push(high);
                ticks
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self.scale {
            Scale::Linear { .. } => "linear scale",
            Scale::Log { .. } => "log scale",
        }
    }
}

/// Black or white, whichever reads on `fill`.
fn ink(fill: RGBColor) -> RGBColor {
    let luminance = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
    if luminance > 140.0 { BLACK } else { WHITE }
}

struct Heatmap<'a> {
    results: &'a SweepResults,
    layout: &'a Layout,
    metric: &'a str,
    name: String,
}

impl Chart for Heatmap<'_> {
    fn name(&self) -> String {
        format!("heatmap-{}", slug(self.metric))
    }

    fn title(&self) -> String {
        format!("{} (mean over {} runs)", self.name, self.results.runs)
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.layout.y.map_or(1, |y| self.results.parameters[y].values.len()) as u32;
        (WIDTH, TITLE_HEIGHT + 150 + (rows * 56).clamp(160, 700))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let results = self.results;
        let values: Vec<f64> = results.points.iter().filter_map(|p| mean(Some(p), self.metric)).collect();
        let colours = ColourScale::choose(&values);
        let format = Format::of_metric(results, self.metric);
        let (title, title_px) =
            fit(&format!("{} — {}", results.name, self.name), super::TITLE_PX, f64::from(WIDTH) - 40.0);
        let body = root_with_header(
            root,
            (title, title_px),
            format!(
                "mean over {} runs per point, same seeds at every point; colour: {}{}",
                results.runs,
                colours.describe(),
                self.layout.held_note(results)
            ),
        )?;
        let (panels, scale) = body.split_horizontally(WIDTH - COLOUR_BAR_WIDTH);
        let (x, y) = (&results.parameters[self.layout.x], &results.parameters[self.layout.y.expect("heatmaps have y")]);
        let facet_values = self.layout.facets(results);
        let panel_width = f64::from(WIDTH - COLOUR_BAR_WIDTH) / facet_values.len() as f64;
        // The y labels take what they need, up to a third of a panel.
        let (y_labels, y_px) = fit_all(&y.labels, TICK_PX, panel_width / 3.0);
        let y_area = (widest(&y_labels, y_px) + f64::from(LABEL_PX) + 34.0).ceil() as u32;
        let (y_name, y_name_px) = fit(&y.name, LABEL_PX, f64::from(self.size().1 - TITLE_HEIGHT - 150));
        for (k, (panel, &facet)) in panels.split_evenly((1, facet_values.len())).iter().zip(&facet_values).enumerate() {
            let first = k == 0;
            let plot_width = panel_width - 24.0 - if first { f64::from(y_area) } else { 12.0 };
            let cell_width = plot_width / x.values.len() as f64;
            let (x_labels, x_px) = fit_all(&x.labels, TICK_PX, cell_width - 6.0);
            let (x_name, x_name_px) = fit(&x.name, LABEL_PX, plot_width);
            let (caption, caption_px) = fit(&self.layout.facet_caption(results, facet), CAPTION_PX, panel_width - 16.0);
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(caption_px))
                .margin(12)
                .x_label_area_size(64)
                .y_label_area_size(if first { y_area } else { 12 })
                .build_cartesian_2d(
                    (0..x.values.len() - 1).into_segmented(),
                    (0..y.values.len() - 1).into_segmented(),
                )?;
            let x_desc_style = font(x_name_px);
            let y_desc_style = font(y_name_px);
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(x_name)
                .y_desc(if first { y_name.as_str() } else { "" })
                .axis_desc_style(if first { y_desc_style } else { x_desc_style.clone() })
                .x_label_style(font(x_px))
                .y_label_style(font(y_px))
                .x_labels(x.values.len())
                .y_labels(y.values.len())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < x_labels.len() => x_labels[*i].clone(),
                    _ => String::new(),
                })
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < y_labels.len() && first => y_labels[*i].clone(),
                    _ => String::new(),
                })
                .draw()?;
            let cell_height =
                (panel.dim_in_pixel().1 as f64 - 64.0 - 24.0 - f64::from(CAPTION_PX)) / y.values.len() as f64;
            let texts: Vec<String> = (0..x.values.len())
                .flat_map(|xi| (0..y.values.len()).map(move |yi| (xi, yi)))
                .map(|(xi, yi)| {
                    mean(self.layout.point(results, xi, Some(yi), facet), self.metric)
                        .map_or("never".into(), |v| format.show(v))
                })
                .collect();
            let cell_px = texts
                .iter()
                .map(|t| fit(t, TICK_PX, cell_width - 6.0).1)
                .min()
                .unwrap_or(TICK_PX)
                .min((cell_height * 0.6) as u32);
            let show_values = texts.iter().all(|t| text_width(t, f64::from(cell_px)) * SVG_WIDER <= cell_width - 4.0);
            for xi in 0..x.values.len() {
                for yi in 0..y.values.len() {
                    let value = mean(self.layout.point(results, xi, Some(yi), facet), self.metric);
                    let fill = value.map_or(MISSING, |v| colours.colour(v));
                    let corners = [
                        (SegmentValue::Exact(xi), SegmentValue::Exact(yi)),
                        (SegmentValue::Exact(xi + 1), SegmentValue::Exact(yi + 1)),
                    ];
                    chart.draw_series(std::iter::once(Rectangle::new(corners.clone(), fill.filled())))?;
                    chart.draw_series(std::iter::once(Rectangle::new(corners, RGBColor(200, 200, 200))))?;
                    if show_values {
                        let text = value.map_or("never".into(), |v| format.show(v));
                        let colour = if value.is_none() { RGBColor(110, 110, 110) } else { ink(fill) };
                        chart.draw_series(std::iter::once(Text::new(
                            text,
                            (SegmentValue::CenterOf(xi), SegmentValue::CenterOf(yi)),
                            font(cell_px).color(&colour).pos(Pos::new(HPos::Center, VPos::Center)),
                        )))?;
                    }
                }
            }
        }
        colour_bar(&scale, &colours, format, values.contains(&0.0))
    }
}

/// The colour bar, its scale named above it, its ticks in the figure's format, and a swatch
/// for zero when zero is drawn apart.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    colours: &ColourScale,
    format: Format,
    zeros: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (_, bar) = area.split_horizontally(20);
    bar.draw(&Text::new(colours.describe(), (0, 14), font(TICK_PX)))?;
    let (top, bottom) = (48, bar.dim_in_pixel().1 as i32 - 70);
    let h = (bottom - top).max(1);
    for row in 0..h {
        let t = 1.0 - f64::from(row) / f64::from(h);
        // Two pixels high, overlapping the next row, so that no seam shows between rows
        // when a browser scales the SVG.
        bar.draw(&Rectangle::new([(0, top + row), (24, (top + row + 2).min(bottom))], viridis(t).filled()))?;
    }
    for tick in colours.ticks() {
        let t = colours.position(tick).unwrap_or(0.0);
        let y = top + ((1.0 - t) * f64::from(h - 1)).round() as i32;
        bar.draw(&PathElement::new(vec![(24, y), (30, y)], BLACK.stroke_width(1)))?;
        bar.draw(&Text::new(format.show(tick), (34, y), font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center))))?;
    }
    if colours.zero_apart && zeros {
        let y = bottom + 24;
        bar.draw(&Rectangle::new([(0, y), (24, y + 20)], ZERO.filled()))?;
        bar.draw(&Text::new(format.show(0.0), (34, y + 10), font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center))))?;
    }
    Ok(())
}

/// `super::header` with a measured title size.
fn root_with_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (title, title_px): (String, u32),
    subtitle: String,
) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (top, rest) = root.split_vertically(TITLE_HEIGHT);
    top.draw(&Text::new(title, (20, 14), font(title_px)))?;
    let (subtitle, px) = fit(&subtitle, LABEL_PX, f64::from(WIDTH) - 40.0);
    top.draw(&Text::new(subtitle, (20, 54), font(px)))?;
    Ok(rest)
}

/// Mean and 95 % CI per line and x value.
type Series = Vec<Vec<Option<(f64, f64, f64)>>>;

/// Draws panels of lines (one per series) over the x parameter, with the figure's format on
/// the y axis and a legend; shared by `Lines` and `GroupLines`.
#[allow(clippy::too_many_arguments)]
fn line_panels<DB: DrawingBackend>(
    results: &SweepResults,
    layout: &Layout,
    body: DrawingArea<DB, Shift>,
    y_name: &str,
    format: Format,
    panels: &[(String, Series)],
    entries: Vec<(String, Mark)>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (panel_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    let x = &results.parameters[layout.x];
    let all: Vec<f64> =
        panels.iter().flat_map(|(_, s)| s.iter().flatten().flatten().flat_map(|(m, lo, hi)| [*m, *lo, *hi])).collect();
    let (low, high) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (low, high) = if !low.is_finite() {
        (0.0, 1.0)
    } else if high - low < 1e-12 {
        let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
        (low - pad, high + pad)
    } else {
        (low, high)
    };
    let pad = 0.08 * (high - low);
    let (y_min, y_max) = (low - pad, high + pad);
    // No more ticks than the format can tell apart.
    let resolution = 10f64.powi(-(format.decimals as i32));
    let y_ticks = (((y_max - y_min) / resolution) as usize).clamp(2, 10);
    let tick_texts = [format.show(y_min), format.show(y_max), format.show(low), format.show(high)];
    let y_area = (widest(&tick_texts.map(|t| t.to_owned()), TICK_PX) + f64::from(LABEL_PX) + 34.0).ceil() as u32;
    let panel_width = f64::from(WIDTH - LEGEND_WIDTH) / panels.len() as f64;
    let plot_width = panel_width - f64::from(y_area) - 28.0;
    let (x_labels, x_px) = fit_all(&x.labels, TICK_PX, plot_width / x.values.len() as f64 - 6.0);
    let (x_name, x_name_px) = fit(&x.name, LABEL_PX, plot_width);
    let (y_name, y_name_px) = fit(y_name, LABEL_PX, 420.0);
    for (area, (caption, series)) in panel_area.split_evenly((1, panels.len())).iter().zip(panels) {
        let (caption, caption_px) = fit(caption, CAPTION_PX, panel_width - 16.0);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, font(caption_px))
            .margin(14)
            .x_label_area_size(60)
            .y_label_area_size(y_area)
            .build_cartesian_2d(-0.5..(x.values.len() as f64 - 0.5), y_min..y_max)?;
        chart
            .configure_mesh()
            .x_desc(x_name.clone())
            .y_desc(y_name.clone())
            .axis_desc_style(font(x_name_px.min(y_name_px)))
            .x_label_style(font(x_px))
            .y_label_style(font(TICK_PX))
            .x_labels(x.values.len().min(12))
            .y_labels(y_ticks)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 0.01 && i >= 0.0 && (i as usize) < x_labels.len() {
                    x_labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format.show(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (k, line) in series.iter().enumerate() {
            let c = color(k);
            let known: Vec<(f64, (f64, f64, f64))> =
                line.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
            if known.len() > 1 {
                let mut band: Vec<(f64, f64)> = known.iter().map(|(i, v)| (*i, v.2)).collect();
                band.extend(known.iter().rev().map(|(i, v)| (*i, v.1)));
                chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
            }
            chart.draw_series(LineSeries::new(known.iter().map(|(i, v)| (*i, v.0)), c.stroke_width(3)))?;
            chart.draw_series(known.iter().map(|(i, v)| Circle::new((*i, v.0), 5, c.filled())))?;
            for (i, v) in &known {
                chart.draw_series(std::iter::once(PathElement::new(vec![(*i, v.1), (*i, v.2)], c.stroke_width(2))))?;
            }
        }
    }
    let mut entries = entries;
    entries.push(("95 % CI".into(), Mark::Fill(color(0), 0.25)));
    let room = f64::from(LEGEND_WIDTH) - 56.0;
    let entries: Vec<(String, Mark)> =
        entries.into_iter().map(|(t, m)| (fit(&t, super::LEGEND_PX, room).0, m)).collect();
    legend(&legend_area, "", &entries)
}

fn series(
    results: &SweepResults,
    layout: &Layout,
    metric: &str,
    y: Option<usize>,
    facet: Option<usize>,
) -> Vec<Option<(f64, f64, f64)>> {
    (0..results.parameters[layout.x].values.len())
        .map(|xi| {
            let row = row(layout.point(results, xi, y, facet), metric)?;
            let m = row.mean?;
            Some((m, row.ci95_low.unwrap_or(m), row.ci95_high.unwrap_or(m)))
        })
        .collect()
}

struct Lines<'a> {
    results: &'a SweepResults,
    layout: &'a Layout,
    metric: &'a str,
    name: String,
}

impl Chart for Lines<'_> {
    fn name(&self) -> String {
        format!("lines-{}", slug(self.metric))
    }

    fn title(&self) -> String {
        format!("{} against {}", self.name, self.results.parameters[self.layout.x].name)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let results = self.results;
        let title = fit(&format!("{} — {}", results.name, self.name), super::TITLE_PX, f64::from(WIDTH) - 40.0);
        let body = root_with_header(
            root,
            title,
            format!(
                "mean with its 95 % confidence interval over {} runs{}",
                results.runs,
                self.layout.held_note(results)
            ),
        )?;
        let lines: Vec<Option<usize>> = match self.layout.y {
            Some(y) => (0..results.parameters[y].values.len()).map(Some).collect(),
            None => vec![None],
        };
        let panels: Vec<(String, Series)> = self
            .layout
            .facets(results)
            .into_iter()
            .map(|facet| {
                let s = lines.iter().map(|&line| series(results, self.layout, self.metric, line, facet)).collect();
                (self.layout.facet_caption(results, facet), s)
            })
            .collect();
        let entries: Vec<(String, Mark)> = match self.layout.y {
            Some(y) => {
                let p = &results.parameters[y];
                p.labels
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (format!("{} = {l}", p.name), Mark::Line(color(k), 3)))
                    .collect()
            }
            None => vec![("mean".into(), Mark::Line(color(0), 3))],
        };
        let format = Format::of_metric(results, self.metric);
        line_panels(results, self.layout, body, &self.name, format, &panels, entries)
    }
}

/// A figure that exists per client group: `/groups/<g>/<rest>` or
/// `/episodes/<k>/groups/<g>/<rest>`, for every group the results have it for.
struct Family {
    /// "/groups/" or "/episodes/0/groups/".
    prefix: String,
    /// "requests_misrouted", "client_failover_s/p99".
    rest: String,
    groups: Vec<String>,
}

impl Family {
    /// The family of a shown figure: the figure itself if it is a group's, or its groups'
    /// version of an episode's or the totals' figure; None unless two groups or more have it.
    fn of(results: &SweepResults, metric: &str) -> Option<Family> {
        let segments: Vec<&str> = metric.trim_start_matches('/').split('/').collect();
        let (prefix, rest) = match segments.as_slice() {
            ["groups", _, rest @ ..] if !rest.is_empty() => ("/groups/".to_owned(), rest.join("/")),
            ["episodes", k, "groups", _, rest @ ..] if !rest.is_empty() => {
                (format!("/episodes/{k}/groups/"), rest.join("/"))
            }
            ["episodes", k, rest @ ..] if !rest.is_empty() && rest[0] != "record_sets" => {
                (format!("/episodes/{k}/groups/"), rest.join("/"))
            }
            ["totals", rest @ ..] if !rest.is_empty() => ("/groups/".to_owned(), rest.join("/")),
            _ => return None,
        };
        let suffix = format!("/{rest}");
        let mut groups = BTreeSet::new();
        for p in std::iter::once(&results.base).chain(&results.points) {
            for r in &p.summary {
                if let Some(g) = r.metric.strip_prefix(&prefix).and_then(|m| m.strip_suffix(&suffix))
                    && !g.contains('/')
                {
                    groups.insert(g.replace("~1", "/").replace("~0", "~"));
                }
            }
        }
        (groups.len() >= 2).then(|| Family { prefix, rest, groups: groups.into_iter().collect() })
    }

    fn pointer(&self, group: &str) -> String {
        format!("{}{}/{}", self.prefix, pointer_escape(group), self.rest)
    }

    /// The figure without its group, named: "client failover p99 (s)".
    fn name(&self, results: &SweepResults) -> String {
        let whole = match self.prefix.strip_suffix("groups/") {
            Some("/") => format!("/totals/{}", self.rest),
            Some(episode) => format!("{episode}{}", self.rest),
            None => self.rest.clone(),
        };
        names::metric_name(&whole, names::several_episodes(results))
    }
}

struct GroupLines<'a> {
    results: &'a SweepResults,
    layout: &'a Layout,
    family: Family,
}

impl GroupLines<'_> {
    /// Lines over x, one per group; a panel per value of the second parameter when there
    /// are few enough, else it is held.
    fn panels_layout(&self) -> Layout {
        let facet = self.layout.y.filter(|&y| self.results.parameters[y].values.len() <= PANELS_MAX);
        Layout { x: self.layout.x, y: None, facet, held: self.layout.held.clone() }
    }
}

impl Chart for GroupLines<'_> {
    fn name(&self) -> String {
        format!("groups-{}", slug(&format!("{}{}", self.family.prefix, self.family.rest)))
    }

    fn title(&self) -> String {
        format!(
            "{} by client group, against {}",
            self.family.name(self.results),
            self.results.parameters[self.layout.x].name
        )
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_HEIGHT + 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let results = self.results;
        let layout = self.panels_layout();
        let name = self.family.name(results);
        let title =
            fit(&format!("{} — {name} by client group", results.name), super::TITLE_PX, f64::from(WIDTH) - 40.0);
        let body = root_with_header(
            root,
            title,
            format!("mean with its 95 % confidence interval over {} runs{}", results.runs, layout.held_note(results)),
        )?;
        let pointers: Vec<String> = self.family.groups.iter().map(|g| self.family.pointer(g)).collect();
        let panels: Vec<(String, Series)> = layout
            .facets(results)
            .into_iter()
            .map(|facet| {
                let s = pointers.iter().map(|m| series(results, &layout, m, None, facet)).collect();
                (layout.facet_caption(results, facet), s)
            })
            .collect();
        // One format for the chart: over every group's means and intervals.
        let format = Format::for_values(pointers.iter().flat_map(|m| {
            std::iter::once(&results.base)
                .chain(&results.points)
                .filter_map(move |p| row(Some(p), m))
                .flat_map(|r| [r.mean, r.ci95_low, r.ci95_high])
                .flatten()
        }));
        let entries =
            self.family.groups.iter().enumerate().map(|(k, g)| (g.clone(), Mark::Line(color(k), 3))).collect();
        line_panels(results, &layout, body, &name, format, &panels, entries)
    }
}

/// The heatmap colour scales of a sweep's figures, by figure: what `report.html` and tests
/// can check without reading pixels.
pub fn colour_scales(results: &SweepResults) -> BTreeMap<String, ColourScale> {
    results
        .metrics
        .iter()
        .map(|m| {
            let values: Vec<f64> = results.points.iter().filter_map(|p| mean(Some(p), m)).collect();
            (m.clone(), ColourScale::choose(&values))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_scale_suits_the_range() {
        let c = ColourScale::choose(&[0.0, 0.025, 0.5, 12.0]);
        assert_eq!(c.scale, Scale::Log { low: 0.025, high: 12.0 });
        assert!(c.zero_apart && c.position(0.0).is_none() && c.position(0.025) == Some(0.0));
        let c = ColourScale::choose(&[8.0, 9.0, 12.0]);
        assert_eq!(c.scale, Scale::Linear { low: 8.0, high: 12.0 });
        assert!(!c.zero_apart);
        let c = ColourScale::choose(&[0.0, 0.5, 0.9]);
        assert_eq!(c.scale, Scale::Linear { low: 0.5, high: 0.9 });
        assert!(c.zero_apart);
        assert_eq!(ColourScale::choose(&[-1.0, 0.0, 5.0]).scale, Scale::Linear { low: -1.0, high: 5.0 });
    }

    #[test]
    fn labels_fit_their_room() {
        let (text, px) = fit("hc-primary failure threshold", TICK_PX, 400.0);
        assert_eq!((text.as_str(), px), ("hc-primary failure threshold", TICK_PX));
        let (text, px) = fit("hc-primary failure threshold", TICK_PX, 60.0);
        assert!(text.ends_with('…') && px == LABEL_PX_MIN, "{text} {px}");
        assert!(text_width(&text, f64::from(px)) * SVG_WIDER <= 60.0);
    }
}
