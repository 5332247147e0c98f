//! The PNG backend: plotters' bitmap backend with text drawn here, a run of glyphs at once.
//!
//! plotters' `ab_glyph` text path draws each glyph at its advance truncated to whole pixels
//! and without its left side bearing, so PNG words had gaps inside them ("endpoin t",
//! "p5 0"). Here each glyph is positioned at its exact (fractional) pen position with
//! kerning, outlined at that position and blended by coverage, and the baseline sits where
//! the SVG backend puts it for each vertical anchor. Everything but text is the bitmap
//! backend's own.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};
use std::sync::OnceLock;

/// The embedded font, parsed once.
fn font() -> &'static FontRef<'static> {
    static PARSED: OnceLock<FontRef<'static>> = OnceLock::new();
    PARSED.get_or_init(|| FontRef::try_from_slice(super::FONT).expect("the embedded DejaVu Sans font is valid"))
}

/// The advance width of `text` at `size` pixels, with kerning: what the PNG draws, and what
/// charts measure to make labels fit.
pub(super) fn text_width(text: &str, size: f64) -> f64 {
    let scaled = font().as_scaled(PxScale::from(size as f32));
    let mut width = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    f64::from(width)
}

/// Where a glyph's coverage goes: (x, y, coverage) relative to the text's anchor, before
/// rotation. Pen positions are fractional; only pixels are whole.
pub(super) fn glyph_pixels(text: &str, size: f64, anchor: (HPos, VPos), mut plot: impl FnMut(i32, i32, f32)) {
    let font = font();
    let scale = PxScale::from(size as f32);
    let scaled = font.as_scaled(scale);
    let width = text_width(text, size) as f32;
    let x0 = match anchor.0 {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    // The SVG backend's baselines: 0.76 em below a top anchor, half an x-height below a
    // centre anchor and above a bottom one.
    let size = size as f32;
    let baseline = match anchor.1 {
        VPos::Top => 0.76 * size,
        VPos::Center => 0.27 * size,
        VPos::Bottom => -0.27 * size,
    };
    let mut pen = x0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, point(pen, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                plot(bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32, coverage);
            });
        }
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
}

/// `BitMapBackend` with its text drawn by `glyph_pixels`.
pub(super) struct Raster<'a>(pub BitMapBackend<'a>);

type Result<E> = std::result::Result<(), DrawingErrorKind<E>>;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<Self::ErrorType> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<Self::ErrorType> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<Self::ErrorType> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<Self::ErrorType> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Result<Self::ErrorType> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let anchor = style.anchor();
        let transform = style.transform();
        let mut result = Ok(());
        glyph_pixels(text, style.size(), (anchor.h_pos, anchor.v_pos), |x, y, coverage| {
            if coverage <= 0.0 || result.is_err() {
                return;
            }
            let (dx, dy) = transform.transform(x, y);
            let alpha = color.alpha * f64::from(coverage.min(1.0));
            result = self.0.draw_pixel((pos.0 + dx, pos.1 + dy), BackendColor { alpha, rgb: color.rgb });
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns with ink when `text` is drawn at `size`.
    fn inked_columns(text: &str, size: f64) -> Vec<i32> {
        let mut columns = std::collections::BTreeSet::new();
        glyph_pixels(text, size, (HPos::Left, VPos::Top), |x, _, coverage| {
            if coverage > 0.5 {
                columns.insert(x);
            }
        });
        columns.into_iter().collect()
    }

    /// The blank pixels between two glyphs by the font's metrics: the first's right side
    /// bearing, the kerning and the second's left side bearing.
    fn expected_gap(a: char, b: char, size: f64) -> f64 {
        let scaled = font().as_scaled(PxScale::from(size as f32));
        let (ga, gb) = (scaled.glyph_id(a), scaled.glyph_id(b));
        let bounds_a = scaled.glyph_bounds(&ga.with_scale(scaled.scale()));
        let outline_a = font().outline(ga).expect("a visible glyph");
        let outline_b = font().outline(gb).expect("a visible glyph");
        let unit = f64::from(scaled.h_scale_factor());
        let rsb = f64::from(bounds_a.max.x) - f64::from(outline_a.bounds.max.x) * unit;
        let lsb = f64::from(outline_b.bounds.min.x) * unit;
        rsb + f64::from(scaled.kern(ga, gb)) + lsb
    }

    /// The widest run of blank columns between the first and the last inked one.
    fn widest_gap(columns: &[i32]) -> i32 {
        columns.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap_or(0)
    }

    #[test]
    fn letters_sit_where_the_font_puts_them() {
        for word in ["endpoint", "p50", "failover", "threshold", "interval"] {
            let chars: Vec<char> = word.chars().collect();
            for size in [16.0, 19.0, 28.0] {
                for pair in chars.windows(2) {
                    let text: String = pair.iter().collect();
                    let found = f64::from(widest_gap(&inked_columns(&text, size)));
                    let expected = expected_gap(pair[0], pair[1], size);
                    assert!(
                        (found - expected).abs() <= 1.2,
                        "\"{text}\" at {size} px: gap {found} px, the font says {expected:.2}"
                    );
                }
            }
        }
    }
}
