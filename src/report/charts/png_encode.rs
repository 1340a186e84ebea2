//! PNG encoding of a chart's RGB pixels, in one pass: each row filtered with up or sub,
//! whichever leaves more zero bytes, then the whole image deflated at once at [`LEVEL`].
//!
//! Writing rows one by one through a streaming compressor cleared its 32 KB output buffer twice
//! per row, which cost more than the compression. The adaptive heuristic of the PNG
//! specification (all four filters tried on every row, the smallest sum of the filtered bytes
//! read as signed kept) cost twice the deflating on a chart: on the 130 charts of the shipped
//! scenarios up-or-sub leaves files 0.5% larger than it (charts are flat colour, lines and
//! text: a row of white or a vertical line is zeros under up, a horizontal line under sub), and
//! up alone 4.5% larger. Paeth as a third candidate saves 1.4%, but costs seven times what up
//! does to compute, so it is not tried.

/// Deflate level: 1 (fastest) to 9 (smallest).
pub const LEVEL: u8 = 1;

/// The filter type byte of sub: each byte less the byte one pixel to its left.
const SUB: u8 = 1;
/// The filter type byte of up: each byte less the byte above it.
const UP: u8 = 2;
/// Bytes a pixel (RGB).
const BPP: usize = 3;

/// The PNG file of `rgb`, `w` × `h` pixels of three bytes each, row after row.
pub fn encode(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let row = w as usize * BPP;
    debug_assert_eq!(rgb.len(), row * h as usize);
    let mut filtered = Vec::with_capacity((row + 1) * h as usize);
    let zero = vec![0u8; row];
    let mut prev: &[u8] = &zero;
    for line in rgb.chunks_exact(row) {
        let kind = choose_filter(line, prev);
        filtered.push(kind);
        if kind == UP {
            filtered.extend(line.iter().zip(prev).map(|(&x, &b)| x.wrapping_sub(b)));
        } else {
            let head = BPP.min(row);
            filtered.extend_from_slice(&line[..head]);
            filtered.extend(
                line[head..]
                    .iter()
                    .zip(line)
                    .map(|(&x, &a)| x.wrapping_sub(a)),
            );
        }
        prev = line;
    }
    let idat = deflate(&filtered);
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

/// `data` as a zlib stream at [`LEVEL`]: the bytes of `miniz_oxide`'s `compress_to_vec_zlib`,
/// without first zero-filling an output buffer of half the input (1.3 MB for a 1200 × 700
/// chart, more than its compressed size).
fn deflate(data: &[u8]) -> Vec<u8> {
    use miniz_oxide::deflate::core::{
        compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
        TDEFLStatus,
    };
    // Window bits above 0 ask for the zlib header and checksum; strategy 0 is the default.
    let mut compressor =
        CompressorOxide::new(create_comp_flags_from_zip_params(LEVEL.into(), 1, 0));
    let mut out = Vec::with_capacity(data.len() / 16 + 64);
    let (status, _) = compress_to_output(&mut compressor, data, TDEFLFlush::Finish, |chunk| {
        out.extend_from_slice(chunk);
        true
    });
    assert_eq!(
        status,
        TDEFLStatus::Done,
        "deflating into a growing vector finishes in one call"
    );
    out
}

/// The filter for `line` below `prev` (three bytes a pixel): [`UP`] unless [`SUB`] leaves more
/// zero bytes. Counted without filtering: a byte is zero under up when it equals the one above,
/// under sub when it equals the one a pixel to its left (or is zero, in the first pixel).
fn choose_filter(line: &[u8], prev: &[u8]) -> u8 {
    if line == prev {
        // A copy of the row above (a third of a chart's rows): all zeros under up.
        return UP;
    }
    let head = BPP.min(line.len());
    let up = equal_bytes(line, prev);
    let sub = equal_bytes(&line[head..], &line[..line.len() - head])
        + line[..head].iter().filter(|&&x| x == 0).count();
    if sub > up {
        SUB
    } else {
        UP
    }
}

/// How many bytes of `a` equal the byte at the same place in `b` (as long as the shorter).
fn equal_bytes(a: &[u8], b: &[u8]) -> usize {
    // Counted in blocks of at most 255 into one byte each, so that the compiler compares and
    // adds 16 bytes at a time.
    const BLOCK: usize = 240;
    a.chunks(BLOCK)
        .zip(b.chunks(BLOCK))
        .map(|(a, b)| {
            a.iter()
                .zip(b)
                .fold(0u8, |n, (x, y)| n.wrapping_add((x == y) as u8)) as usize
        })
        .sum()
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

    /// The filter type bytes of `png`'s rows (its IDAT inflated).
    fn filter_types(png: &[u8], w: u32, h: u32) -> Vec<u8> {
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + len]).unwrap();
        let row = w as usize * 3 + 1;
        assert_eq!(raw.len(), row * h as usize);
        raw.chunks(row).map(|r| r[0]).collect()
    }

    #[test]
    fn each_row_takes_the_filter_that_leaves_more_zeros_and_decodes() {
        // Row 0: white (up from the zero row above leaves no zeros, sub all but the first
        // pixel's); 1: white again (a copy: up); 2: a grey line across (sub); 3: white with a
        // dark dot every 10 pixels (sub: the grey above equals nothing); 4: the same (a copy:
        // up); 5: the same dots and more between them, each of its own colour (up: only the
        // new dots differ from above, while sub leaves a change at both sides of every dot).
        let w = 300u32;
        let mut rgb = Vec::new();
        for y in 0..6u32 {
            for x in 0..w {
                let px = match y {
                    0 | 1 => [255, 255, 255],
                    2 => [128, 128, 128],
                    _ if x % 10 == 0 => [20, 30, 40],
                    5 if x % 10 == 5 => [x as u8, 100, 200],
                    _ => [255, 255, 255],
                };
                rgb.extend_from_slice(&px);
            }
        }
        let png = encode(&rgb, w, 6);
        assert_eq!(filter_types(&png, w, 6), [SUB, UP, SUB, SUB, UP, UP]);
        let decoded = image::load_from_memory(&png).unwrap().to_rgb8().into_raw();
        assert_eq!(decoded, rgb);
    }

    #[test]
    fn equal_bytes_counts_across_its_blocks() {
        // Lengths around the 240-byte block and a count past 255 in one call.
        for n in [0, 1, 239, 240, 241, 255, 256, 1000, 3600] {
            let a: Vec<u8> = (0..n).map(|i| (i % 7) as u8).collect();
            let b: Vec<u8> = (0..n)
                .map(|i| if i % 3 == 0 { 9 } else { (i % 7) as u8 })
                .collect();
            let expected = (0..n).filter(|i| i % 3 != 0).count();
            assert_eq!(equal_bytes(&a, &b), expected, "n = {n}");
            assert_eq!(equal_bytes(&a, &a), n, "n = {n}");
        }
    }

    #[test]
    fn deflate_writes_the_bytes_of_compress_to_vec_zlib() {
        for (w, h) in [(1, 1), (97, 41), (640, 480)] {
            let rgb = picture(w, h);
            assert_eq!(
                deflate(&rgb),
                miniz_oxide::deflate::compress_to_vec_zlib(&rgb, LEVEL),
                "{w}x{h}"
            );
        }
        assert_eq!(
            deflate(&[]),
            miniz_oxide::deflate::compress_to_vec_zlib(&[], LEVEL)
        );
    }
}
