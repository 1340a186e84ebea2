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

use super::font::{FONT_BYTES, FONT_FAMILY};

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
fn set_line(font: &FontRef<'_>, size: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
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
struct Mask {
    /// Left and top of the rectangle, px, in the frame the text was placed in.
    left: i32,
    top: i32,
    /// Its width, px (its height is the coverage's length over this).
    width: usize,
    /// Row by row.
    coverage: Vec<f32>,
}

impl Mask {
    /// The coverage of `glyphs` (set by [`set_line`]) at `size` px with the pen starting at
    /// `origin` (x, baseline y), px, sub-pixel. The coverage of overlapping glyphs adds up, to
    /// at most 1.
    fn of_line(
        font: &FontRef<'_>,
        size: f32,
        glyphs: &[(GlyphId, f32)],
        origin: (f32, f32),
    ) -> Mask {
        let scale = PxScale::from(size);
        let outlines: Vec<OutlinedGlyph> = glyphs
            .iter()
            .filter_map(|&(id, pen)| {
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
        let (glyphs, advance) = set_line(font, size, text);
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
        let mask = Mask::of_line(font, size, &glyphs, (left, top as f32 + size / 2.0));
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

#[cfg(test)]
mod tests {
    use ab_glyph::{point, Font as _, FontRef, GlyphId, PxScale};
    use plotters::coord::Shift;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    use super::PngBackend;
    use crate::report::charts::test_fixtures::*;

    /// Every size chart text is drawn at.
    const SIZES: [f64; 6] = [
        TITLE_FONT,
        DESC_FONT,
        TICK_FONT,
        LEGEND_FONT,
        LEGEND_MINOR_FONT,
        EVENT_FONT,
    ];
    /// Pairs whose letters read as another letter when they touch, and the legend that did.
    const TEXTS: [&str; 8] = [
        "cl",
        "rn",
        "il",
        "ll",
        "tt",
        "client timeout 1 s",
        "jittered-ttl: max 7.1 ms",
        "AVATAR Wave",
    ];
    const W: u32 = 320;
    const H: u32 = 48;
    /// Supersampling of the reference rendering, per axis.
    const SS: usize = 4;

    /// Draws `text` black on white at `pos` with `anchor` on `root`.
    fn draw_black<DB: DrawingBackend>(
        root: DrawingArea<DB, Shift>,
        text: &str,
        size: f64,
        pos: (i32, i32),
        anchor: Pos,
    ) {
        root.fill(&WHITE).unwrap();
        let style = font(size).color(&BLACK).pos(anchor);
        root.draw(&Text::new(text, pos, style)).unwrap();
        root.present().unwrap();
    }

    /// Ink per pixel, 0 (white) to 1 (black), of an RGB buffer drawn black on white.
    fn ink(buffer: &[u8]) -> Vec<f32> {
        buffer
            .chunks(3)
            .map(|p| 1.0 - f32::from(p[0]) / 255.0)
            .collect()
    }

    fn png_ink(text: &str, size: f64, pos: (i32, i32), anchor: Pos) -> Vec<f32> {
        let mut buffer = vec![0u8; (W * H * 3) as usize];
        let root = PngBackend::with_buffer(&mut buffer, (W, H)).into_drawing_area();
        draw_black(root, text, size, pos, anchor);
        ink(&buffer)
    }

    /// What a vector renderer draws: `text` set from the font's own metrics (advances and
    /// kerning in font units), each glyph rasterised at `SS` times the resolution and the
    /// result averaged down. The baseline is half the size below a top anchor, as plotters
    /// places it.
    fn reference_ink(text: &str, size: f64, pos: (i32, i32), h_pos: HPos) -> Vec<f32> {
        let font = FontRef::try_from_slice(FONT_BYTES).unwrap();
        let px_per_unit = size as f32 / font.height_unscaled();
        let ids: Vec<GlyphId> = text.chars().map(|c| font.glyph_id(c)).collect();
        let mut pens = Vec::with_capacity(ids.len());
        let mut pen = 0.0;
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                pen += font.kern_unscaled(ids[i - 1], id) * px_per_unit;
            }
            pens.push(pen);
            pen += font.h_advance_unscaled(id) * px_per_unit;
        }
        let left = pos.0 as f32
            - match h_pos {
                HPos::Left => 0.0,
                HPos::Center => pen / 2.0,
                HPos::Right => pen,
            };
        let baseline = pos.1 as f32 + size as f32 / 2.0;
        let (bw, bh) = (W as usize * SS, H as usize * SS);
        let mut fine = vec![0.0f32; bw * bh];
        let k = SS as f32;
        for (&id, &pen) in ids.iter().zip(&pens) {
            let glyph = id.with_scale_and_position(
                PxScale::from(size as f32 * k),
                point((left + pen) * k, baseline * k),
            );
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|x, y, c| {
                let (x, y) = (b.min.x as i64 + i64::from(x), b.min.y as i64 + i64::from(y));
                if (0..bw as i64).contains(&x) && (0..bh as i64).contains(&y) {
                    let cell = &mut fine[y as usize * bw + x as usize];
                    *cell = (*cell + c).min(1.0);
                }
            });
        }
        let mut coarse = vec![0.0f32; (W * H) as usize];
        for (i, cell) in coarse.iter_mut().enumerate() {
            let (x, y) = (i % W as usize, i / W as usize);
            let sum: f32 = (0..SS)
                .flat_map(|dy| (0..SS).map(move |dx| (dx, dy)))
                .map(|(dx, dy)| fine[(y * SS + dy) * bw + x * SS + dx])
                .sum();
            *cell = sum / (SS * SS) as f32;
        }
        coarse
    }

    /// The pixel where `drawn` differs most from `reference`: (x, y, drawn, reference).
    fn worst_pixel(drawn: &[f32], reference: &[f32]) -> (usize, usize, f32, f32) {
        let i = (0..drawn.len())
            .max_by(|&a, &b| {
                let da = (drawn[a] - reference[a]).abs();
                let db = (drawn[b] - reference[b]).abs();
                da.total_cmp(&db)
            })
            .unwrap();
        (i % W as usize, i / W as usize, drawn[i], reference[i])
    }

    /// How far `drawn` strays from the reference, at most, over every text, size and anchor;
    /// with the first case that strays more than `tolerance`.
    fn check(
        render: impl Fn(&str, f64, (i32, i32), Pos) -> Vec<f32>,
        tolerance: f32,
    ) -> Result<(), String> {
        ensure_font().unwrap();
        let mut sizes = SIZES.to_vec();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        for size in sizes {
            for text in TEXTS {
                let anchors = [
                    (HPos::Left, "left", 7),
                    (HPos::Center, "centre", 160),
                    (HPos::Right, "right", 313),
                ];
                for (h_pos, name, x) in anchors {
                    let (pos, anchor) = ((x, 6), Pos::new(h_pos, VPos::Top));
                    let drawn = render(text, size, pos, anchor);
                    assert!(drawn.iter().any(|&c| c > 0.5), "{text:?} was drawn");
                    let reference = reference_ink(text, size, pos, h_pos);
                    let (x, y, got, want) = worst_pixel(&drawn, &reference);
                    if (got - want).abs() > tolerance {
                        return Err(format!(
                            "{text:?} at {size} px, anchored {name}: pixel ({x}, {y}) has ink \
                             {got:.2} where the font puts {want:.2}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn letters_stand_where_the_font_puts_them_so_they_do_not_run_together() {
        // Exact area coverage at 1x is the mean of it at 4x: only rounding to 8-bit colour and
        // the flattening of curves into lines (coarser at 1x) differ, by up to 0.11 on the
        // edge of a curve. A glyph a pixel out of place differs by up to 1, and plotters' own
        // text by more than 0.5 for every pair but "tt" and "rn" at some sizes.
        check(png_ink, 0.15).unwrap();
    }

    #[test]
    fn the_check_catches_plotters_own_text_placement() {
        // plotters' bitmap text ("client" read "dient"): were it ever to pass, plotters would
        // place glyphs right and PngBackend's own text could go.
        let plotters_ink = |text: &str, size, pos, anchor| {
            let mut buffer = vec![0u8; (W * H * 3) as usize];
            let root = BitMapBackend::with_buffer(&mut buffer, (W, H)).into_drawing_area();
            draw_black(root, text, size, pos, anchor);
            ink(&buffer)
        };
        let failure = check(plotters_ink, 0.15).unwrap_err();
        assert!(failure.contains("where the font puts"), "{failure}");
    }

    #[test]
    fn turned_text_is_the_same_text_turned() {
        // The y axis' description, as the charts draw it: centred, turned a quarter left.
        ensure_font().unwrap();
        let text = "p99 latency (ms)";
        let anchor = Pos::new(HPos::Center, VPos::Center);
        let (w, h) = (200u32, 200u32);
        let draw = |transform: FontTransform| {
            let mut buffer = vec![0u8; (w * h * 3) as usize];
            {
                let root = PngBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
                root.fill(&WHITE).unwrap();
                let style = font(DESC_FONT)
                    .color(&BLACK)
                    .pos(anchor)
                    .transform(transform);
                root.draw(&Text::new(text, (100, 100), style)).unwrap();
                root.present().unwrap();
            }
            ink(&buffer)
        };
        let (flat, turned) = (draw(FontTransform::None), draw(FontTransform::Rotate270));
        assert!(flat.iter().filter(|&&c| c > 0.5).count() > 50);
        let at = |x: i32, y: i32| (y * w as i32 + x) as usize;
        for y in 0..h as i32 {
            for x in 0..w as i32 {
                // Rotate270 takes (dx, dy) from the anchor to (dy, -dx).
                let (tx, ty) = (100 + (y - 100), 100 - (x - 100));
                if (0..w as i32).contains(&tx) && (0..h as i32).contains(&ty) {
                    assert_eq!(flat[at(x, y)], turned[at(tx, ty)], "({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn everything_but_text_is_drawn_as_by_the_bitmap_backend() {
        let (w, h) = (120u32, 90u32);
        fn shapes<DB: DrawingBackend>(root: DrawingArea<DB, Shift>) {
            root.fill(&WHITE).unwrap();
            let blue = RGBColor(0, 114, 178);
            root.draw(&PathElement::new(
                vec![(3, 80), (40, 10), (70, 60), (115, 5)],
                blue.stroke_width(3),
            ))
            .unwrap();
            root.draw(&PathElement::new(
                vec![(0, 45), (119, 47)],
                BLACK.stroke_width(1),
            ))
            .unwrap();
            root.draw(&Rectangle::new([(10, 10), (50, 30)], RED.mix(0.3).filled()))
                .unwrap();
            root.draw(&Rectangle::new(
                [(60, 50), (110, 85)],
                BLACK.stroke_width(1),
            ))
            .unwrap();
            root.draw(&Circle::new((30, 60), 9, GREEN.filled()))
                .unwrap();
            root.draw(&Polygon::new(
                vec![(80, 20), (100, 40), (70, 40)],
                blue.mix(0.5).filled(),
            ))
            .unwrap();
            root.draw(&plotters::element::DashedPathElement::new(
                [(5, 85), (115, 85)],
                6,
                4,
                blue.stroke_width(2),
            ))
            .unwrap();
            root.present().unwrap();
        }
        let mut ours = vec![0u8; (w * h * 3) as usize];
        shapes(PngBackend::with_buffer(&mut ours, (w, h)).into_drawing_area());
        let mut theirs = vec![0u8; (w * h * 3) as usize];
        shapes(BitMapBackend::with_buffer(&mut theirs, (w, h)).into_drawing_area());
        assert!(ours.iter().any(|&b| b < 128), "shapes were drawn");
        assert!(ours == theirs);
    }
}
