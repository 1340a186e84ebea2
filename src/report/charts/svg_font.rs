//! The embedded font inside SVG files, so an SVG looks like its PNG wherever it is opened.
//!
//! plotters' SVG backend writes text with `font-family="sans-serif"`: a viewer draws it in
//! whatever font that means on its machine, with other widths than the ones the layout was
//! measured with. [`embed_font`] adds a style sheet to the SVG with the chart font as a
//! `@font-face` (a `data:` URL) that every text element uses. Only the glyphs the file needs
//! are embedded (a subset of the TrueType font, its glyphs renumbered): about 15 kB for a
//! chart's texts rather than the whole font's 760 kB, with the font's kerning pairs among them
//! and its copyright and licence link (name records 0 to 6 and 14).
//!
//! The SVG backend writes a font size of `size / 1.24` where the PNG's rasteriser scales the
//! font so that its ascent-to-descent height is `size`; the `@font-face` rule's `size-adjust`
//! makes up the difference, so text is as large in both.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::*;

/// The family name the style sheet gives the embedded font.
pub(super) const EMBEDDED_FAMILY: &str = "cachestorm-DejaVuSans";

/// The SVG backend's font size is the text size divided by this.
const SVG_SIZE_DIVISOR: f64 = 1.24;

/// `svg` with the chart font embedded (see the module's documentation), or unchanged should the
/// font not be subset (a broken invariant: the embedded font is fixed).
pub(super) fn embed_font(svg: String) -> String {
    // Every character of the file: a superset of those of its texts (markup is ASCII, and a
    // character escaped in a text stands in the markup too).
    let Some(css) = style_sheet(&svg) else {
        return svg;
    };
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
    else {
        return svg;
    };
    let style = format!("{STYLE_OPEN}{css}{STYLE_CLOSE}");
    let mut out = String::with_capacity(svg.len() + style.len());
    out.push_str(&svg[..open_end]);
    out.push_str(&style);
    out.push_str(&svg[open_end..]);
    out
}

/// What opens and closes the style sheet [`embed_font`] adds.
const STYLE_OPEN: &str = "\n<defs><style>";
const STYLE_CLOSE: &str = "</style></defs>";

/// The style sheet that embeds the glyphs of every character of `text` and sets every SVG text
/// in them, or `None` should the font not be subset.
fn style_sheet(text: &str) -> Option<String> {
    let font = parsed_font()?;
    let chars: BTreeSet<char> = text.chars().filter(|c| !c.is_control()).collect();
    let subset = font.subset(&chars)?;
    Some(format!(
        "@font-face{{font-family:\"{EMBEDDED_FAMILY}\";\
         src:url(data:font/ttf;base64,{}) format(\"truetype\");size-adjust:{:.2}%}}\
         text{{font-family:\"{EMBEDDED_FAMILY}\",sans-serif}}",
        base64(&subset),
        font.size_adjust() * 100.0
    ))
}

/// For a page that inlines several SVGs of [`embed_font`]: each without its own style sheet,
/// and one style sheet (CSS) embedding the glyphs of all of them once.
pub(super) fn share_font(svgs: &[String]) -> (Vec<String>, Option<String>) {
    let stripped: Vec<String> = svgs
        .iter()
        .map(|svg| {
            let start = svg.find(&format!("{STYLE_OPEN}@font-face"));
            let end = start.and_then(|i| svg[i..].find(STYLE_CLOSE).map(|j| i + j));
            match (start, end) {
                (Some(i), Some(j)) => format!("{}{}", &svg[..i], &svg[j + STYLE_CLOSE.len()..]),
                _ => svg.clone(),
            }
        })
        .collect();
    if stripped.is_empty() {
        return (stripped, None);
    }
    let css = style_sheet(&stripped.concat());
    (stripped, css)
}

/// The chart font, parsed once.
fn parsed_font() -> Option<&'static Font<'static>> {
    static FONT: OnceLock<Option<Font<'static>>> = OnceLock::new();
    FONT.get_or_init(|| Font::parse(FONT_BYTES)).as_ref()
}

/// Standard base64 with padding.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// Reading a TrueType font

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn i16_at(data: &[u8], at: usize) -> Option<i16> {
    u16_at(data, at).map(|v| v as i16)
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The tables of a TrueType font that a subset needs.
pub(super) struct Font<'a> {
    tables: BTreeMap<[u8; 4], &'a [u8]>,
    glyphs: u16,
    long_loca: bool,
    /// (first char, last char, glyph of the first) of the Unicode cmap.
    cmap: Vec<(u32, u32, u32)>,
}

/// Composite glyph flags.
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;

/// Tables copied as they are: they do not refer to glyphs by number.
const COPIED: [&[u8; 4]; 5] = [b"OS/2", b"cvt ", b"fpgm", b"prep", b"gasp"];

/// Name records kept: copyright, family, subfamily, unique id, full name, version, PostScript
/// name, and the licence's address.
const NAME_IDS: [u16; 8] = [0, 1, 2, 3, 4, 5, 6, 14];

impl<'a> Font<'a> {
    /// Reads `data`; `None` if it is not a TrueType font with the tables a subset needs.
    pub(super) fn parse(data: &'a [u8]) -> Option<Font<'a>> {
        let count = u16_at(data, 4)? as usize;
        let mut tables = BTreeMap::new();
        for i in 0..count {
            let record = 12 + 16 * i;
            let tag: [u8; 4] = data.get(record..record + 4)?.try_into().ok()?;
            let offset = u32_at(data, record + 8)? as usize;
            let length = u32_at(data, record + 12)? as usize;
            tables.insert(tag, data.get(offset..offset.checked_add(length)?)?);
        }
        for tag in [
            b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf", b"cmap", b"post",
        ] {
            tables.get(tag)?;
        }
        let glyphs = u16_at(tables[b"maxp"], 4)?;
        let long_loca = i16_at(tables[b"head"], 50)? == 1;
        let cmap = unicode_cmap(tables[b"cmap"])?;
        Some(Font {
            tables,
            glyphs,
            long_loca,
            cmap,
        })
    }

    /// How much larger the SVG's text must be drawn to be as large as the PNG's: the PNG's
    /// rasteriser takes a text size as the font's ascent-to-descent height, the SVG backend
    /// as 1.24 em.
    pub(super) fn size_adjust(&self) -> f64 {
        let head = self.tables[b"head"];
        let em = f64::from(u16_at(head, 18).unwrap_or(2048));
        let (mut ascent, mut descent) = (
            i16_at(self.tables[b"hhea"], 4).unwrap_or(0),
            i16_at(self.tables[b"hhea"], 6).unwrap_or(0),
        );
        if let Some(os2) = self.tables.get(b"OS/2") {
            // USE_TYPO_METRICS: the typographic ascent and descent instead.
            if u16_at(os2, 62).is_some_and(|f| f & 0x80 != 0) {
                ascent = i16_at(os2, 68).unwrap_or(ascent);
                descent = i16_at(os2, 70).unwrap_or(descent);
            }
        }
        let height = f64::from(ascent) - f64::from(descent);
        if height > 0.0 {
            SVG_SIZE_DIVISOR * em / height
        } else {
            1.0
        }
    }

    /// The glyph `c` maps to (0, the missing glyph, if none).
    pub(super) fn glyph(&self, c: char) -> u16 {
        let c = c as u32;
        let i = self.cmap.partition_point(|&(_, last, _)| last < c);
        match self.cmap.get(i) {
            Some(&(first, _, glyph)) if first <= c => {
                u16::try_from(glyph + (c - first)).unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn glyph_data(&self, glyph: u16) -> Option<&'a [u8]> {
        let loca = self.tables[b"loca"];
        let g = glyph as usize;
        let (start, end) = if self.long_loca {
            (
                u32_at(loca, 4 * g)? as usize,
                u32_at(loca, 4 * g + 4)? as usize,
            )
        } else {
            (
                2 * u16_at(loca, 2 * g)? as usize,
                2 * u16_at(loca, 2 * g + 2)? as usize,
            )
        };
        self.tables[b"glyf"].get(start..end)
    }

    /// Offsets, within a composite glyph's data, of its components' glyph numbers.
    fn component_offsets(data: &[u8]) -> Option<Vec<usize>> {
        let mut offsets = Vec::new();
        if data.len() < 10 || i16_at(data, 0)? >= 0 {
            return Some(offsets);
        }
        let mut at = 10;
        loop {
            let flags = u16_at(data, at)?;
            offsets.push(at + 2);
            at += 4 + if flags & ARG_1_AND_2_ARE_WORDS != 0 {
                4
            } else {
                2
            };
            at += if flags & WE_HAVE_A_SCALE != 0 {
                2
            } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
                4
            } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
                8
            } else {
                0
            };
            if flags & MORE_COMPONENTS == 0 {
                return Some(offsets);
            }
        }
    }

    /// A TrueType font with only the glyphs of `chars` (and the missing glyph, and the parts of
    /// composite glyphs), renumbered in their original order.
    pub(super) fn subset(&self, chars: &BTreeSet<char>) -> Option<Vec<u8>> {
        // The glyphs kept, components included.
        let mut kept: BTreeSet<u16> = BTreeSet::new();
        let mut todo: Vec<u16> = std::iter::once(0)
            .chain(chars.iter().map(|&c| self.glyph(c)))
            .collect();
        while let Some(g) = todo.pop() {
            if g >= self.glyphs || !kept.insert(g) {
                continue;
            }
            let data = self.glyph_data(g)?;
            for at in Self::component_offsets(data)? {
                todo.push(u16_at(data, at)?);
            }
        }
        let old: Vec<u16> = kept.into_iter().collect();
        let new_id = |g: u16| old.binary_search(&g).ok().map(|i| i as u16);
        let count = u16::try_from(old.len()).ok()?;

        let mut glyf = Vec::new();
        let mut loca = Vec::with_capacity(4 * (old.len() + 1));
        for &g in &old {
            loca.extend_from_slice(&u32::try_from(glyf.len()).ok()?.to_be_bytes());
            let mut data = self.glyph_data(g)?.to_vec();
            for at in Self::component_offsets(&data)? {
                let part = new_id(u16_at(&data, at)?)?;
                data[at..at + 2].copy_from_slice(&part.to_be_bytes());
            }
            glyf.extend_from_slice(&data);
            while glyf.len() % 4 != 0 {
                glyf.push(0);
            }
        }
        loca.extend_from_slice(&u32::try_from(glyf.len()).ok()?.to_be_bytes());

        let mut head = self.tables[b"head"].to_vec();
        head.get_mut(8..12)?.copy_from_slice(&[0; 4]);
        head.get_mut(50..52)?.copy_from_slice(&1i16.to_be_bytes());
        let mut hhea = self.tables[b"hhea"].to_vec();
        hhea.get_mut(34..36)?.copy_from_slice(&count.to_be_bytes());
        let mut maxp = self.tables[b"maxp"].to_vec();
        maxp.get_mut(4..6)?.copy_from_slice(&count.to_be_bytes());
        let mut post = self.tables[b"post"].get(..32)?.to_vec();
        post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

        let mapped: Vec<(u32, u16)> = chars
            .iter()
            .map(|&c| (c as u32, self.glyph(c)))
            .filter(|&(_, g)| g != 0)
            .map(|(c, g)| Some((c, new_id(g)?)))
            .collect::<Option<_>>()?;

        let mut tables: Vec<([u8; 4], Vec<u8>)> = vec![
            (*b"cmap", cmap_table(&mapped)?),
            (*b"glyf", glyf),
            (*b"head", head),
            (*b"hhea", hhea),
            (*b"hmtx", self.hmtx(&old)?),
            (*b"loca", loca),
            (*b"maxp", maxp),
            (*b"post", post),
        ];
        if let Some(name) = self.tables.get(b"name").and_then(|n| name_table(n)) {
            tables.push((*b"name", name));
        }
        if let Some(kern) = self.tables.get(b"kern").and_then(|k| kern_table(k, &old)) {
            tables.push((*b"kern", kern));
        }
        for tag in COPIED {
            if let Some(table) = self.tables.get(tag) {
                tables.push((*tag, table.to_vec()));
            }
        }
        tables.sort_by_key(|t| t.0);
        Some(font_file(tables))
    }

    /// Horizontal metrics of glyphs `old`, every one with its own advance.
    fn hmtx(&self, old: &[u16]) -> Option<Vec<u8>> {
        let hmtx = self.tables[b"hmtx"];
        let long = u16_at(self.tables[b"hhea"], 34)? as usize;
        let mut out = Vec::with_capacity(4 * old.len());
        for &g in old {
            let g = g as usize;
            let advance = u16_at(hmtx, 4 * g.min(long.checked_sub(1)?))?;
            let lsb = if g < long {
                u16_at(hmtx, 4 * g + 2)?
            } else {
                u16_at(hmtx, 4 * long + 2 * (g - long))?
            };
            out.extend_from_slice(&advance.to_be_bytes());
            out.extend_from_slice(&lsb.to_be_bytes());
        }
        Some(out)
    }
}

/// The Unicode ranges of a cmap table: its (3, 10) or (0, 4) format 12 subtable, else its
/// (3, 1) or (0, 3) format 4 one; (first char, last char, glyph of the first), in order.
fn unicode_cmap(cmap: &[u8]) -> Option<Vec<(u32, u32, u32)>> {
    let count = u16_at(cmap, 2)? as usize;
    let mut subtables = Vec::new();
    for i in 0..count {
        let (platform, encoding) = (u16_at(cmap, 4 + 8 * i)?, u16_at(cmap, 6 + 8 * i)?);
        let offset = u32_at(cmap, 8 + 8 * i)? as usize;
        let format = u16_at(cmap, offset)?;
        subtables.push(((platform, encoding, format), offset));
    }
    let find = |wanted: &[(u16, u16, u16)]| {
        wanted
            .iter()
            .find_map(|w| subtables.iter().find(|s| s.0 == *w).map(|s| s.1))
    };
    if let Some(at) = find(&[(3, 10, 12), (0, 4, 12)]) {
        let groups = u32_at(cmap, at + 12)? as usize;
        let mut ranges = Vec::with_capacity(groups);
        for i in 0..groups {
            let g = at + 16 + 12 * i;
            ranges.push((u32_at(cmap, g)?, u32_at(cmap, g + 4)?, u32_at(cmap, g + 8)?));
        }
        return Some(ranges);
    }
    let at = find(&[(3, 1, 4), (0, 3, 4)])?;
    let segments = u16_at(cmap, at + 6)? as usize / 2;
    let ends = at + 14;
    let starts = ends + 2 * segments + 2;
    let deltas = starts + 2 * segments;
    let range_offsets = deltas + 2 * segments;
    let mut ranges = Vec::new();
    for s in 0..segments {
        let (first, last) = (u16_at(cmap, starts + 2 * s)?, u16_at(cmap, ends + 2 * s)?);
        let delta = u16_at(cmap, deltas + 2 * s)?;
        let range_offset = u16_at(cmap, range_offsets + 2 * s)? as usize;
        for c in first..=last.min(0xFFFE) {
            let glyph = if range_offset == 0 {
                c.wrapping_add(delta)
            } else {
                let at = range_offsets + 2 * s + range_offset + 2 * (c - first) as usize;
                match u16_at(cmap, at)? {
                    0 => 0,
                    g => g.wrapping_add(delta),
                }
            };
            if glyph != 0 {
                ranges.push((u32::from(c), u32::from(c), u32::from(glyph)));
            }
        }
    }
    Some(ranges)
}

/// Runs of consecutive chars mapped to consecutive glyphs in `mapped` (char, glyph; in char
/// order): (first char, last char, glyph of the first); no run crosses from the Basic
/// Multilingual Plane beyond it.
fn merge_runs(mapped: &[(u32, u16)]) -> Vec<(u32, u32, u16)> {
    let mut runs: Vec<(u32, u32, u16)> = Vec::new();
    for &(c, g) in mapped {
        match runs.last_mut() {
            Some((first, last, glyph))
                if c == *last + 1
                    && c != 0x1_0000
                    && u32::from(g) == u32::from(*glyph) + (c - *first) =>
            {
                *last = c;
            }
            _ => runs.push((c, c, g)),
        }
    }
    runs
}

/// Binary search fields of a table of `count` entries of `unit` bytes: search range, entry
/// selector and range shift.
fn search_fields(count: usize, unit: usize) -> [u16; 3] {
    let log = (usize::BITS - 1).saturating_sub(count.max(1).leading_zeros());
    let range = unit << log;
    [
        range as u16,
        log as u16,
        (count * unit).saturating_sub(range) as u16,
    ]
}

fn push_u16s(out: &mut Vec<u8>, values: &[u16]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// A cmap table mapping `mapped` (char, glyph; in char order): a format 4 subtable for the
/// Basic Multilingual Plane, and a format 12 one for every char when some lie beyond it.
fn cmap_table(mapped: &[(u32, u16)]) -> Option<Vec<u8>> {
    let mapped: Vec<(u32, u16)> = mapped.iter().copied().filter(|m| m.0 != 0xFFFF).collect();
    let runs = merge_runs(&mapped);
    let bmp: Vec<(u32, u32, u16)> = runs.iter().copied().filter(|r| r.1 <= 0xFFFF).collect();

    // Format 4, closed by the segment 0xFFFF that maps to the missing glyph.
    let segments = bmp.len() + 1;
    let seg_x2 = u16::try_from(2 * segments).ok()?;
    let length = u16::try_from(16 + 8 * segments).ok()?;
    let [range, selector, shift] = search_fields(segments, 2);
    let mut format4 = Vec::with_capacity(length as usize);
    push_u16s(
        &mut format4,
        &[4, length, 0, seg_x2, range, selector, shift],
    );
    for &(_, last, _) in &bmp {
        push_u16s(&mut format4, &[last as u16]);
    }
    push_u16s(&mut format4, &[0xFFFF, 0]);
    for &(first, _, _) in &bmp {
        push_u16s(&mut format4, &[first as u16]);
    }
    push_u16s(&mut format4, &[0xFFFF]);
    for &(first, _, glyph) in &bmp {
        push_u16s(&mut format4, &[glyph.wrapping_sub(first as u16)]);
    }
    push_u16s(&mut format4, &[1]);
    format4.extend(std::iter::repeat_n(0u8, 2 * segments));

    let mut subtables: Vec<((u16, u16), Vec<u8>)> = vec![((3, 1), format4)];
    if runs.iter().any(|r| r.1 > 0xFFFF) {
        let mut format12 = Vec::with_capacity(16 + 12 * runs.len());
        push_u16s(&mut format12, &[12, 0]);
        format12.extend_from_slice(&u32::try_from(16 + 12 * runs.len()).ok()?.to_be_bytes());
        format12.extend_from_slice(&0u32.to_be_bytes());
        format12.extend_from_slice(&u32::try_from(runs.len()).ok()?.to_be_bytes());
        for &(first, last, glyph) in &runs {
            for v in [first, last, u32::from(glyph)] {
                format12.extend_from_slice(&v.to_be_bytes());
            }
        }
        subtables.push(((3, 10), format12));
    }
    let mut out = Vec::new();
    push_u16s(&mut out, &[0, subtables.len() as u16]);
    let mut offset = 4 + 8 * subtables.len();
    for ((platform, encoding), data) in &subtables {
        push_u16s(&mut out, &[*platform, *encoding]);
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        offset += data.len();
    }
    for (_, data) in subtables {
        out.extend_from_slice(&data);
    }
    Some(out)
}

/// The name table with only the Windows records of [`NAME_IDS`].
fn name_table(name: &[u8]) -> Option<Vec<u8>> {
    let count = u16_at(name, 2)? as usize;
    let strings = u16_at(name, 4)? as usize;
    let mut records: Vec<([u16; 4], &[u8])> = Vec::new();
    for i in 0..count {
        let r = 6 + 12 * i;
        let ids = [
            u16_at(name, r)?,
            u16_at(name, r + 2)?,
            u16_at(name, r + 4)?,
            u16_at(name, r + 6)?,
        ];
        let (length, offset) = (
            u16_at(name, r + 8)? as usize,
            u16_at(name, r + 10)? as usize,
        );
        if ids[0] == 3 && NAME_IDS.contains(&ids[3]) {
            let start = strings + offset;
            records.push((ids, name.get(start..start + length)?));
        }
    }
    if records.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let header = 6 + 12 * records.len();
    push_u16s(
        &mut out,
        &[0, records.len() as u16, u16::try_from(header).ok()?],
    );
    let mut offset = 0usize;
    for (ids, text) in &records {
        push_u16s(&mut out, ids);
        push_u16s(
            &mut out,
            &[u16::try_from(text.len()).ok()?, u16::try_from(offset).ok()?],
        );
        offset += text.len();
    }
    for (_, text) in records {
        out.extend_from_slice(text);
    }
    Some(out)
}

/// The kern table with the pairs of the first horizontal format 0 subtable whose glyphs are
/// both kept (`old`, renumbered by position); `None` without any.
fn kern_table(kern: &[u8], old: &[u16]) -> Option<Vec<u8>> {
    if u16_at(kern, 0)? != 0 {
        // Apple's kern table (version 1): not read by the PNG's rasteriser either.
        return None;
    }
    let count = u16_at(kern, 2)? as usize;
    let mut at = 4;
    let mut pairs: Vec<(u16, u16, u16)> = Vec::new();
    for _ in 0..count {
        let length = u16_at(kern, at + 2)? as usize;
        let coverage = u16_at(kern, at + 4)?;
        // Horizontal, format 0, neither minimum, cross-stream nor override.
        if coverage == 0x0001 {
            let n = u16_at(kern, at + 6)? as usize;
            for i in 0..n {
                let p = at + 14 + 6 * i;
                let (left, right) = (u16_at(kern, p)?, u16_at(kern, p + 2)?);
                let value = u16_at(kern, p + 4)?;
                if let (Ok(l), Ok(r)) = (old.binary_search(&left), old.binary_search(&right)) {
                    pairs.push((l as u16, r as u16, value));
                }
            }
            break;
        }
        at += length;
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_unstable();
    let length = u16::try_from(14 + 6 * pairs.len()).ok()?;
    let mut out = Vec::with_capacity(4 + length as usize);
    push_u16s(&mut out, &[0, 1, 0, length, 0x0001, pairs.len() as u16]);
    push_u16s(&mut out, &search_fields(pairs.len(), 6));
    for (l, r, v) in pairs {
        push_u16s(&mut out, &[l, r, v]);
    }
    Some(out)
}

/// The sum of `data` as big-endian 32-bit words, zero-padded.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// A TrueType file of `tables` (sorted by tag), with its checksums and the head table's
/// checksum adjustment.
fn font_file(tables: Vec<([u8; 4], Vec<u8>)>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    push_u16s(&mut out, &[tables.len() as u16]);
    push_u16s(&mut out, &search_fields(tables.len(), 16));
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = Some(offset);
        }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in &tables {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn svgs_embed_the_font_they_were_measured_with() {
        let charts = render_all(&sample(), ImageFormat::Svg).unwrap();
        for chart in &charts {
            let text = std::str::from_utf8(&chart.bytes).unwrap();
            assert!(
                text.contains(&format!("@font-face{{font-family:\"{EMBEDDED_FAMILY}\"")),
                "{}",
                chart.file_stem
            );
            assert!(text.contains(&format!(
                "text{{font-family:\"{EMBEDDED_FAMILY}\",sans-serif}}"
            )));
            roxmltree::Document::parse(text).unwrap();
        }
        let text = std::str::from_utf8(&charts[0].bytes).unwrap();
        let data = text
            .split("base64,")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap();
        let subset = decode_base64(data);
        assert!(subset.len() < 40_000, "a subset, not the whole font");
        // Every character of the chart's texts has its glyph.
        let font = Font::parse(&subset).unwrap();
        for c in "avalanche: p99 request latency fixed-ttl jittered-10 time (s)".chars() {
            assert_ne!(font.glyph(c), 0, "{c:?}");
        }
        assert_eq!(font.glyph('€'), 0, "not in the chart, not in the subset");

        // Drawn with the subset, text looks exactly as with the whole font (outlines, advances,
        // kerning), non-ASCII characters included.
        let words = "Wave AV To 1,234 q/s ≈ ±10% … Ω";
        let chars: std::collections::BTreeSet<char> = words.chars().collect();
        let subset = Font::parse(FONT_BYTES).unwrap().subset(&chars).unwrap();
        let subset: &'static [u8] = Box::leak(subset.into_boxed_slice());
        plotters::style::register_font("subset-test", plotters::style::FontStyle::Normal, subset)
            .map_err(|_| "the subset does not parse")
            .unwrap();
        ensure_font().unwrap();
        let draw = |family: &str| {
            let (w, h) = (400u32, 40u32);
            let mut buffer = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
                root.fill(&WHITE).unwrap();
                let style = TextStyle::from((family, 20.0).into_font()).color(&BLACK);
                root.draw(&Text::new(words, (5, 5), style)).unwrap();
            }
            buffer
        };
        let whole = draw(FONT_FAMILY);
        assert!(whole.iter().any(|&b| b < 128), "text was drawn");
        assert!(whole == draw("subset-test"));
    }

    #[test]
    fn base64_round_trips() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
            let text = base64(&bytes);
            assert_eq!(text.len() % 4, 0);
            assert_eq!(decode_base64(&text), bytes);
        }
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
    }
}
