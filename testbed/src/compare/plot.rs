//! The per-configuration chart: measured vs predicted CDF of per-client failover times, with
//! the band in which 95 % of pseudo-measured CDFs (as many predicted episodes as there were
//! measured trials) fall at each time. SVG text, drawn with plotters and the embedded DejaVu
//! Sans, so the bytes depend only on the data.

use std::sync::Once;

use plotters::prelude::*;

use super::figures::DistributionCheck;

const SIZE: (u32, u32) = (900, 560);
const MEASURED: RGBColor = RGBColor(31, 100, 180);
const PREDICTED: RGBColor = RGBColor(220, 110, 20);
const BAND: RGBColor = RGBColor(200, 200, 200);
/// Most vertices of a predicted CDF line (the pool holds up to millions of values).
const LINE_POINTS_MAX: usize = 600;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans font is invalid");
        }
    });
}

/// The chart of configuration `name` as SVG text.
pub fn failover_cdf(name: &str, trials: usize, episodes: usize, d: &DistributionCheck) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, name, trials, episodes, d).map_err(|e| format!("cannot draw the chart of {name}: {e}"))?;
        root.present().map_err(|e| format!("cannot draw the chart of {name}: {e}"))?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw(
    root: &Area<'_>,
    name: &str,
    trials: usize,
    episodes: usize,
    d: &DistributionCheck,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let top = *d.grid.last().unwrap_or(&1.0);
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{name}: per-client failover time, measured vs fosim"), ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..top, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("seconds from the fault's start to the client's first request to the secondary")
        .y_desc("share of active clients switched")
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let upper = d.grid.iter().zip(&d.band).map(|(x, b)| (*x, b.1));
    let lower = d.grid.iter().zip(&d.band).rev().map(|(x, b)| (*x, b.0));
    chart
        .draw_series(std::iter::once(Polygon::new(upper.chain(lower).collect::<Vec<_>>(), BAND.mix(0.6).filled())))?
        .label(format!("95 % of pseudo-measured CDFs ({trials} predicted episodes each)"))
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], BAND.mix(0.6).filled()));
    chart
        .draw_series(LineSeries::new(steps(&d.predicted_sorted, top, LINE_POINTS_MAX), PREDICTED.stroke_width(2)))?
        .label(format!("fosim ({episodes} episodes, {} clients)", d.predicted_n))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], PREDICTED.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(steps(&d.measured_sorted, top, usize::MAX), MEASURED.stroke_width(2)))?
        .label(format!("measured ({trials} trials, {} clients)", d.measured_n))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MEASURED.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()?;
    Ok(())
}

/// The empirical CDF of sorted values as a step line from 0 to `top`, with at most
/// `points_max` steps (evenly spaced ranks); stranded clients (`+∞`) keep it below 1.
fn steps(sorted: &[f64], top: f64, points_max: usize) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let mut line = vec![(0.0, 0.0)];
    if n == 0 {
        return line;
    }
    let stride = n.div_ceil(points_max.min(n)).max(1);
    let mut last_y = 0.0;
    for i in (stride - 1..n).step_by(stride).chain(std::iter::once(n - 1)) {
        let x = sorted[i];
        if !x.is_finite() || x > top {
            break;
        }
        let y = (i + 1) as f64 / n as f64;
        line.push((x, last_y));
        line.push((x, y));
        last_y = y;
    }
    line.push((top, last_y));
    line.dedup();
    line
}
