//! The embedded font: its bytes and the family it is registered under. A leaf, shared by the
//! drawing ([`super::draw`]), the PNG text ([`super::png_text`]) and the SVG glyphs
//! ([`super::svg_font`]).

/// Name the embedded font is registered under; also the family written into SVG files.
pub(super) const FONT_FAMILY: &str = "sans-serif";

/// The embedded font (DejaVu Sans), as its TrueType file.
pub(super) static FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));
