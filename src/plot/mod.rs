//! Charts: pure functions from a `Report` (with its trace) to SVG text and PNG bytes.
//!
//! Plots never run the engine, so everything can be redrawn from a saved run directory.
//! Text is drawn with the embedded DejaVu Sans (no system fonts): each chart is drawn
//! twice, once per backend, by one generic `draw`; PNG text goes through `raster.rs`.

mod cdf;
mod check_kinds;
mod checkers;
mod failback;
mod raster;
mod runs;
mod stages;
pub mod sweep;
mod timeline;

use crate::report::Report;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::error::Error;
use std::sync::Once;

/// One chart, in both formats.
pub struct Figure {
    /// File stem: `timeline` → `timeline.svg`, `timeline.png`.
    pub name: String,
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {chart} chart: {message}")]
pub struct PlotError {
    pub chart: String,
    pub message: String,
}

type DrawResult = Result<(), Box<dyn Error>>;

/// A chart that can draw itself on any backend.
trait Chart {
    fn name(&self) -> String;
    fn title(&self) -> String;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Every chart the report has data for: the timeline, checkers and client failover CDF
/// when the first run was traced; where the failover time went; the distributions across
/// runs when there are several; the failback of the first run's episodes that ended with
/// clients failed over.
pub fn all(report: &Report) -> Result<Vec<Figure>, PlotError> {
    let mut figures = Vec::new();
    if let Some(trace) = &report.trace {
        figures.push(render(&timeline::Timeline::new(report, trace))?);
        if let Some(chart) = checkers::Checkers::new(report, trace) {
            figures.push(render(&chart)?);
        }
        if let Some(chart) = cdf::Cdf::new(report, trace) {
            figures.push(render(&chart)?);
        }
    }
    if let Some(chart) = stages::Stages::new(report) {
        figures.push(render(&chart)?);
    }
    if let Some(chart) = runs::Runs::new(report) {
        figures.push(render(&chart)?);
    }
    if let Some(chart) = failback::FailbackChart::new(report) {
        figures.push(render(&chart)?);
    }
    Ok(figures)
}

/// The plot files of a report — `<chart>.svg`, `<chart>.png` — and `report.html` with the
/// charts inline: (file name, bytes), for the caller to write.
pub fn files(report: &Report) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    Ok(with_report_html(&all(report)?, |embedded| crate::report::html::render(report, embedded)))
}

/// Each figure's `.svg` and `.png`, then the `report.html` that `render` makes of them all.
pub fn with_report_html(
    figures: &[Figure],
    render: impl FnOnce(&[crate::report::html::Embedded]) -> String,
) -> Vec<(String, Vec<u8>)> {
    let embedded: Vec<crate::report::html::Embedded> =
        figures.iter().map(|f| crate::report::html::Embedded { title: &f.title, svg: &f.svg }).collect();
    let html = render(&embedded);
    let mut files = Vec::with_capacity(2 * figures.len() + 1);
    for f in figures {
        files.push((format!("{}.svg", f.name), f.svg.clone().into_bytes()));
        files.push((format!("{}.png", f.name), f.png.clone()));
    }
    files.push(("report.html".to_owned(), html.into_bytes()));
    files
}

fn render<C: Chart>(chart: &C) -> Result<Figure, PlotError> {
    register_font();
    let fail = |e: Box<dyn Error>| PlotError { chart: chart.name(), message: e.to_string() };
    let (width, height) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        chart.draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(Box::new(e)))?;
    }
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = raster::Raster(BitMapBackend::with_buffer(&mut rgb, (width, height))).into_drawing_area();
        chart.draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(Box::new(e)))?;
    }
    Ok(Figure { name: chart.name(), title: chart.title(), svg, png: encode_png(&rgb, width, height) })
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().expect("writing to memory cannot fail");
    writer.write_image_data(rgb).expect("the buffer has width × height pixels");
    writer.finish().expect("writing to memory cannot fail");
    out
}

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans font is invalid");
        }
    });
}

// Text sizes (pixels) chosen to read at the default image size.
const TITLE_PX: u32 = 28;
const CAPTION_PX: u32 = 22;
const LABEL_PX: u32 = 19;
const TICK_PX: u32 = 16;
const LEGEND_PX: u32 = 17;

/// Tableau 10: distinct, colour-blind-friendly, readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(89, 161, 79),
    RGBColor(242, 142, 43),
    RGBColor(176, 122, 161),
    RGBColor(118, 183, 178),
    RGBColor(237, 201, 72),
    RGBColor(156, 117, 95),
    RGBColor(255, 157, 167),
    RGBColor(186, 176, 172),
    RGBColor(225, 87, 89),
];
const FAILED: RGBColor = RGBColor(200, 30, 30);
const FAULT_SHADE: RGBColor = RGBColor(225, 87, 89);
const DETECTION: RGBColor = RGBColor(110, 40, 160);
const DNS: RGBColor = RGBColor(20, 110, 200);
const FAILOVER: RGBColor = RGBColor(20, 20, 20);

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn font(px: u32) -> TextStyle<'static> {
    ("sans-serif", px).into_font().color(&BLACK)
}

// Note: plotters' integer ranges include their end, so n segments are `(0..n - 1)`.

/// How a legend entry is drawn.
#[derive(Clone)]
enum Mark {
    Fill(RGBColor, f64),
    Line(RGBColor, u32),
    Dashed(RGBColor),
}

/// Fills the chart white and draws its title, and a subtitle under it, in the top `height`
/// pixels; returns the area below.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    height: u32,
    title: String,
    subtitle: Option<String>,
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (top, rest) = root.split_vertically(height);
    top.draw(&Text::new(title, (20, 14), font(TITLE_PX)))?;
    if let Some(subtitle) = subtitle {
        top.draw(&Text::new(subtitle, (20, 54), font(LABEL_PX)))?;
    }
    Ok(rest)
}

/// Draws a legend in its own area, one entry per line, so that it never hides data.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, heading: &str, entries: &[(String, Mark)]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let line_px = LEGEND_PX as i32 + 10;
    let mut y = 24;
    if !heading.is_empty() {
        area.draw(&Text::new(heading.to_owned(), (8, y), font(LEGEND_PX)))?;
        y += line_px;
    }
    for (label, mark) in entries {
        let (x0, x1, yc) = (10, 38, y + LEGEND_PX as i32 / 2);
        match mark {
            Mark::Fill(c, alpha) => area.draw(&Rectangle::new([(x0, yc - 7), (x1, yc + 7)], c.mix(*alpha).filled()))?,
            Mark::Line(c, width) => area.draw(&PathElement::new(vec![(x0, yc), (x1, yc)], c.stroke_width(*width)))?,
            Mark::Dashed(c) => area.draw(&DashedPathElement::new(vec![(x0, yc), (x1, yc)], 5, 3, c.stroke_width(2)))?,
        }
        area.draw(&Text::new(label.clone(), (x1 + 8, y), font(LEGEND_PX)))?;
        y += line_px;
    }
    Ok(())
}

/// Tick labels for seconds: "0", "2.5s", "120s".
fn seconds_label(s: f64) -> String {
    if s.abs() < 1e-9 {
        return "0".into();
    }
    let text = if s.abs() >= 10.0 { format!("{s:.1}") } else { format!("{s:.2}") };
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text };
    text + "s"
}

fn minutes_label(m: f64) -> String {
    if m >= 120.0 && (m / 60.0).fract().abs() < 1e-9 { format!("{}h", (m / 60.0).round()) } else { format!("{m}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_read_well() {
        assert_eq!(seconds_label(0.0), "0");
        assert_eq!(seconds_label(30.0), "30s");
        assert_eq!(seconds_label(2.5), "2.5s");
        assert_eq!(seconds_label(180.0), "180s");
        assert_eq!(seconds_label(0.05), "0.05s");
        assert_eq!(minutes_label(120.0), "2h");
        assert_eq!(minutes_label(30.0), "30");
    }
}
