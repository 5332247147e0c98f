//! One number format per figure: every value of a figure in a sweep's tables, tick labels,
//! heatmap cells and colour bar is printed with the same number of decimals, chosen from
//! the range of the values it must show (so "0.025" and "0" read apart, and "12.0" and
//! "8.0" line up).

use super::run::SweepResults;

/// Most decimals a figure is printed with.
pub const DECIMALS_MAX: usize = 6;

/// Fixed decimals for one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub decimals: usize,
}

impl Format {
    /// Three significant digits on the largest value, at least two on the smallest non-zero
    /// one, and a resolution of a hundredth of the spread; whole numbers for whole values
    /// (counts).
    pub fn for_values(values: impl IntoIterator<Item = f64>) -> Format {
        let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if values.is_empty() {
            return Format { decimals: 0 };
        }
        let whole = values.iter().all(|v| v.fract() == 0.0);
        let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let smallest = values.iter().map(|v| v.abs()).filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let spread = high - low;
        if whole && (spread >= 1.0 || spread == 0.0) {
            return Format { decimals: 0 };
        }
        // The tolerance keeps a spread of 0.0999… (96.8 − 96.7) at the resolution of 0.1.
        let need =
            |x: f64, digits: i32| -> i32 { if x > 0.0 { digits - 1 - (x.log10() + 1e-9).floor() as i32 } else { 0 } };
        let decimals = need(largest, 3).max(need(smallest, 2)).max(need(spread, 2));
        Format { decimals: decimals.clamp(0, DECIMALS_MAX as i32) as usize }
    }

    /// The format of a figure across a sweep, from its means at the base and every point
    /// (interval bounds and ticks are printed in it too).
    pub fn of_metric(results: &SweepResults, metric: &str) -> Format {
        let rows = std::iter::once(&results.base)
            .chain(&results.points)
            .filter_map(|p| p.summary.iter().find(|r| r.metric == metric));
        Format::for_values(rows.filter_map(|r| r.mean))
    }

    pub fn show(&self, x: f64) -> String {
        let text = format!("{x:.prec$}", prec = self.decimals);
        // "-0.00" is zero.
        if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
            text[1..].to_owned()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format_fits_the_range() {
        let f = Format::for_values([0.0, 0.025, 0.5, 12.0]);
        assert_eq!([f.show(0.0), f.show(0.025), f.show(12.0)], ["0.000", "0.025", "12.000"]);
        let f = Format::for_values([8.0, 12.0, 9.5]);
        assert_eq!([f.show(8.0), f.show(12.0)], ["8.0", "12.0"]);
        assert_eq!(Format::for_values([3.0, 40.0, 1200.0]).decimals, 0);
        let f = Format::for_values([0.99990, 0.99995]);
        assert_eq!([f.show(0.9999), f.show(0.99995)], ["0.999900", "0.999950"]);
        assert_eq!(Format::for_values([96.7, 96.8]).show(96.74712), "96.75");
        assert_eq!(Format { decimals: 2 }.show(-0.001), "0.00");
    }
}
