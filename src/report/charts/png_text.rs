//! Text in PNG charts, set where the font puts each glyph.
//!
//! plotters' bitmap backend draws text through its `ab_glyph` font code, which places every
//! glyph's bitmap at the pen position cut to a whole pixel and drops the glyph's left side
//! bearing (the bitmap's left edge, not the glyph's origin, goes to the pen). Letters then
//! stand up to two pixels left of where they belong, each by its own amount, so at the sizes
//! of legends and tick labels neighbours touch: "client" reads "dient". The SVG of the same
//! chart is right, since a browser lays the text out itself.
//!
//! [`PngBackend`] is the bitmap backend with text drawn here instead: each glyph at the font's
//! advance and kerning from the last, at its exact sub-pixel position (bearing included),
//! rasterised as coverage, the coverage of the whole text summed in a mask and blended once
//! into the image. Everything else it hands to the bitmap backend unchanged, and text is
//! measured as before (plotters' measure, which the SVG backend uses too), so the layout of a
//! chart does not move; where a text starts follows its anchor with its exact width, as a
//! browser's `text-anchor` does. The vertical placement is plotters' (baseline half the size
//! below a top anchor), so text sits where it did.

use ab_glyph::{point, Font, FontRef, GlyphId, OutlinedGlyph, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
};
use std::sync::OnceLock;

use super::draw::{FONT_BYTES, FONT_FAMILY};

/// The chart font for drawing, parsed once; `None` should the embedded font not parse (a broken
/// invariant: it is fixed, and [`super::draw::ensure_font`] reports it before any drawing).
fn chart_font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

/// The glyphs of `text` set on one line at `size` px (the font's ascent-to-descent height, as
/// plotters scales it), pen starting at x = 0: each glyph with its pen position, px, and the
/// text's advance width, px.
pub(super) fn set_line(font: &FontRef<'_>, size: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut glyphs = Vec::with_capacity(text.len());
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = prev {
            pen += scaled.kern(prev, id);
        }
        glyphs.push((id, pen));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    (glyphs, pen)
}

/// The coverage (0 to 1) of some text in a rectangle of whole pixels.
pub(super) struct Mask {
    /// Left and top of the rectangle, px, in the frame the text was placed in.
    pub(super) left: i32,
    pub(super) top: i32,
    pub(super) width: usize,
    pub(super) height: usize,
    /// Row by row.
    pub(super) coverage: Vec<f32>,
}

impl Mask {
    /// The coverage of `text` at `size` px with its pen starting at `origin` (x, baseline y),
    /// px, sub-pixel. The coverage of overlapping glyphs adds up, to at most 1.
    pub(super) fn of_text(font: &FontRef<'_>, size: f32, text: &str, origin: (f32, f32)) -> Mask {
        let scale = PxScale::from(size);
        let (glyphs, _) = set_line(font, size, text);
        let outlines: Vec<OutlinedGlyph> = glyphs
            .into_iter()
            .filter_map(|(id, pen)| {
                font.outline_glyph(
                    id.with_scale_and_position(scale, point(origin.0 + pen, origin.1)),
                )
            })
            .collect();
        let bounds = outlines.iter().map(OutlinedGlyph::px_bounds);
        let (mut left, mut top, mut right, mut bottom) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for b in bounds {
            left = left.min(b.min.x as i32);
            top = top.min(b.min.y as i32);
            right = right.max(b.max.x as i32);
            bottom = bottom.max(b.max.y as i32);
        }
        if outlines.is_empty() || right <= left || bottom <= top {
            return Mask {
                left: 0,
                top: 0,
                width: 0,
                height: 0,
                coverage: Vec::new(),
            };
        }
        let width = (right - left) as usize;
        let height = (bottom - top) as usize;
        let mut coverage = vec![0.0f32; width * height];
        for glyph in &outlines {
            let b = glyph.px_bounds();
            let (gx, gy) = (
                (b.min.x as i32 - left) as usize,
                (b.min.y as i32 - top) as usize,
            );
            glyph.draw(|x, y, c| {
                let (x, y) = (gx + x as usize, gy + y as usize);
                if x < width && y < height {
                    let cell = &mut coverage[y * width + x];
                    *cell = (*cell + c).min(1.0);
                }
            });
        }
        Mask {
            left,
            top,
            width,
            height,
            coverage,
        }
    }
}

/// plotters' bitmap backend, with text drawn as the module's documentation says.
pub(super) struct PngBackend<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> PngBackend<'a> {
    /// Draws on `buffer`, RGB rows of `size.0` × `size.1` pixels.
    pub(super) fn with_buffer(buffer: &'a mut [u8], size: (u32, u32)) -> Self {
        PngBackend {
            inner: BitMapBackend::with_buffer(buffer, size),
        }
    }
}

type BackendResult<E> = Result<(), DrawingErrorKind<E>>;

impl DrawingBackend for PngBackend<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> BackendResult<Self::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> BackendResult<Self::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> BackendResult<Self::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> BackendResult<Self::ErrorType> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> BackendResult<Self::ErrorType> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let font = match chart_font() {
            Some(font)
                if style.family().as_str() == FONT_FAMILY
                    && matches!(style.style(), FontStyle::Normal) =>
            {
                font
            }
            _ => return self.inner.draw_text(text, style, pos),
        };
        // The vertical anchor as plotters places it, from its measured box; the horizontal one
        // from the exact width.
        let ((_, min_y), (_, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let height = max_y - min_y;
        let size = style.size() as f32;
        let (_, advance) = set_line(font, size, text);
        let left = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Right => -advance,
            HPos::Center => -advance / 2.0,
        };
        let top = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        } - min_y;
        let mask = Mask::of_text(font, size, text, (left, top as f32 + size / 2.0));
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (i, &c) in mask.coverage.iter().enumerate() {
            if c <= 0.0 {
                continue;
            }
            let x = mask.left + (i % mask.width) as i32;
            let y = mask.top + (i / mask.width) as i32;
            let (x, y) = transform.transform(x, y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let pixel = BackendColor {
                    alpha: color.alpha * f64::from(c),
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), pixel)?;
            }
        }
        Ok(())
    }
}
