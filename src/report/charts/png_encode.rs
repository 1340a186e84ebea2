//! PNG encoding of a chart's RGB pixels, in one pass: each row filtered with the filter that
//! leaves the least to compress (the adaptive heuristic of the PNG specification and of the
//! `png` crate: the smallest sum of the filtered bytes read as signed), then the whole image
//! deflated at once at [`LEVEL`]. Writing rows one by one through a streaming compressor cleared its 32 KB output
//! buffer twice per row, which cost more than the compression.

/// Deflate level: 1 (fastest) to 9 (smallest).
pub const LEVEL: u8 = 1;

/// The filter type byte of Paeth.
const PAETH: u8 = 4;

/// The PNG file of `rgb`, `w` × `h` pixels of three bytes each, row after row.
pub fn encode(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let row = w as usize * 3;
    debug_assert_eq!(rgb.len(), row * h as usize);
    let mut filtered = Vec::with_capacity((row + 1) * h as usize);
    let zero = vec![0u8; row];
    let mut candidates: [Vec<u8>; 4] = std::array::from_fn(|_| vec![0u8; row]);
    let mut prev: &[u8] = &zero;
    for line in rgb.chunks_exact(row) {
        if line == prev {
            // A copy of the row above (a third of a chart's rows): Paeth leaves only zeros,
            // and as the last filter with the least cost it is the one filter_row keeps.
            filtered.push(PAETH);
            filtered.resize(filtered.len() + row, 0);
            continue;
        }
        let best = filter_row(line, prev, &mut candidates);
        filtered.push(best as u8);
        filtered.extend_from_slice(&candidates[best - 1]);
        prev = line;
    }
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&filtered, LEVEL);
    let mut png = Vec::with_capacity(idat.len() + 64);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&w.to_be_bytes());
    ihdr[4..8].copy_from_slice(&h.to_be_bytes());
    // 8 bits per sample, RGB, deflate, adaptive filtering, no interlace.
    ihdr[8..].copy_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Fills `out` with `line` under the filters sub, up, average and Paeth (kinds 1 to 4; the
/// previous row `prev`, three bytes a pixel) and returns the kind to keep: the last of those
/// with the least cost, as the `png` crate's adaptive filter chooses.
fn filter_row(line: &[u8], prev: &[u8], out: &mut [Vec<u8>; 4]) -> usize {
    const BPP: usize = 3;
    let n = line.len();
    let [sub, up, avg, paeth] = out;
    // Simple loops over whole slices, so that the compiler vectorises them.
    for ((u, &x), &b) in up.iter_mut().zip(line).zip(prev) {
        *u = x.wrapping_sub(b);
    }
    let head = BPP.min(n);
    for i in 0..head {
        sub[i] = line[i];
        avg[i] = line[i].wrapping_sub(prev[i] / 2);
        paeth[i] = line[i].wrapping_sub(prev[i]);
    }
    // From the second pixel on: x the byte, a the one a pixel left, b the one above, c above a.
    let (x, a) = (&line[head..], &line[..n - head]);
    let (b, c) = (&prev[head..], &prev[..n - head]);
    for ((s, &x), &a) in sub[head..].iter_mut().zip(x).zip(a) {
        *s = x.wrapping_sub(a);
    }
    for (((v, &x), &a), &b) in avg[head..].iter_mut().zip(x).zip(a).zip(b) {
        *v = x.wrapping_sub(((a as u16 + b as u16) >> 1) as u8);
    }
    for ((((p, &x), &a), &b), &c) in paeth[head..].iter_mut().zip(x).zip(a).zip(b).zip(c) {
        *p = x.wrapping_sub(paeth_predictor(a, b, c));
    }
    let cost = |v: &Vec<u8>| -> u32 { v.iter().map(|&x| (x as i8).unsigned_abs() as u32).sum() };
    let mut best = 0;
    let mut best_cost = u32::MAX;
    for (f, v) in out.iter().enumerate() {
        let c = cost(v);
        if c <= best_cost {
            best = f;
            best_cost = c;
        }
    }
    best + 1
}

/// The PNG specification's Paeth predictor, without branches.
#[inline(always)]
fn paeth_predictor(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (a as i16, b as i16, c as i16);
    // p = a + b - c: p - a = b - c, p - b = a - c, p - c = a + b - 2c.
    let pa = (b16 - c16).abs();
    let pb = (a16 - c16).abs();
    let pc = (a16 + b16 - 2 * c16).abs();
    let b_or_c = if pb <= pc { b } else { c };
    if pa <= pb && pa <= pc {
        a
    } else {
        b_or_c
    }
}

/// Appends a chunk: length, type, data and the CRC of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture with flat areas, gradients, lines and noise, like a chart's.
    fn picture(w: u32, h: u32) -> Vec<u8> {
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        let mut state = 12345u32;
        for y in 0..h {
            for x in 0..w {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let px: [u8; 3] = if y % 17 == 0 || x % 29 == 0 {
                    [200, 200, 200]
                } else if x > w / 2 && y > h / 2 {
                    [(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]
                } else if (x + y) % 50 < 3 {
                    [(state >> 24) as u8, (state >> 16) as u8, (state >> 8) as u8]
                } else {
                    [255, 255, 255]
                };
                rgb.extend_from_slice(&px);
            }
        }
        rgb
    }

    #[test]
    fn decodes_to_the_same_pixels() {
        for (w, h) in [(1, 1), (2, 3), (97, 41), (640, 480)] {
            let rgb = picture(w, h);
            let png = encode(&rgb, w, h);
            let decoded = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
                .expect("a valid PNG")
                .to_rgb8();
            assert_eq!(decoded.dimensions(), (w, h));
            assert_eq!(decoded.into_raw(), rgb, "{w}x{h}");
        }
    }

    #[test]
    fn a_copied_row_is_filtered_as_the_full_choice_filters_it() {
        // The shortcut for a row equal to the one above must write what filter_row would.
        for (i, line) in [picture(50, 3), vec![0; 150], vec![255; 150]]
            .iter()
            .enumerate()
        {
            let line = &line[..150];
            let mut out: [Vec<u8>; 4] = std::array::from_fn(|_| vec![0u8; 150]);
            assert_eq!(filter_row(line, line, &mut out), PAETH as usize, "row {i}");
            assert!(out[PAETH as usize - 1].iter().all(|&b| b == 0), "row {i}");
        }
    }

    #[test]
    fn every_filter_is_chosen_where_it_pays_and_inverts() {
        // Rows that one filter each turns into zeros: flat (sub), a copy of the row above
        // (up), a ramp (average and Paeth also do well); the chosen one always decodes.
        let w = 64;
        let mut rgb = Vec::new();
        for y in 0..4u32 {
            for x in 0..w {
                let v = match y {
                    0 => 7,
                    1 => 7,
                    _ => (x * 3 + y) as u8,
                };
                rgb.extend_from_slice(&[v, v / 2, 255 - v]);
            }
        }
        let png = encode(&rgb, w, 4);
        let decoded = image::load_from_memory(&png).unwrap().to_rgb8().into_raw();
        assert_eq!(decoded, rgb);
        assert_eq!(paeth_predictor(10, 20, 15), 15);
        assert_eq!(paeth_predictor(10, 20, 10), 20);
        assert_eq!(paeth_predictor(10, 20, 20), 10);
    }
}
