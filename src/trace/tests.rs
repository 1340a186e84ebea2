use super::*;
use std::path::Path;

fn columns() -> CsvColumns {
    CsvColumns {
        time: "ts".into(),
        key: "key".into(),
        op: Some("op".into()),
        size: Some("bytes".into()),
        ttl: Some("ttl".into()),
        time_unit_ns: 1_000_000,
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn all(path: &Path, format: &Format) -> Result<Vec<Record>, TraceError> {
    let mut r = TraceReader::open(path, format)?;
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(rec);
    }
    Ok(out)
}

fn oracle(records: &[(u32, u64, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(t, id, size) in records {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(-1i64).to_le_bytes());
    }
    out
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

#[test]
fn times_parse_exactly_in_their_unit() {
    assert_eq!(parse_time_ns("12", 1_000_000_000), Some(12_000_000_000));
    assert_eq!(parse_time_ns("0.25", 1_000_000_000), Some(250_000_000));
    assert_eq!(parse_time_ns(" 1.5 ", 1_000_000), Some(1_500_000));
    assert_eq!(parse_time_ns(".000000001", 1_000_000_000), Some(1));
    for bad in ["", ".", "-1", "1e3", "abc", "1.2.3", "99999999999999999999"] {
        assert_eq!(parse_time_ns(bad, 1_000_000_000), None, "{bad}");
    }
}

#[test]
fn csv_columns_are_found_by_name_and_text_keys_numbered_by_first_appearance() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "ttl,op,key,ts,bytes\n60,get,alpha,1000,10\n0,SET,beta,1500.5,20\n,delete,alpha,2000,\n";
    let p = write(dir.path(), "t.csv", text.as_bytes());
    let got = all(&p, &Format::Csv(columns())).unwrap();
    let want = [
        (1_000_000_000, 0, Op::Get, 10, 60),
        (1_500_500_000, 1, Op::Set, 20, 0),
        (2_000_000_000, 0, Op::Delete, 0, 0),
    ];
    assert_eq!(got.len(), want.len());
    for (r, (t, k, op, size, ttl)) in got.iter().zip(want) {
        assert_eq!(
            (r.time_ns, r.key, r.op, r.size, r.ttl_s),
            (t, k, op, size, ttl)
        );
    }
}

#[test]
fn a_csv_without_an_op_column_is_all_reads() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t.csv", b"ts,key\n1,a\n2,b\n");
    let mut c = columns();
    (c.op, c.size, c.ttl) = (None, None, None);
    let got = all(&p, &Format::Csv(c)).unwrap();
    assert!(got.iter().all(|r| r.op == Op::Get));
    assert_eq!(got.len(), 2);
}

#[test]
fn twitter_records_keep_keys_with_commas_and_add_key_and_value_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "0,k1,10,100,7,get,0\n0,a,b,12,3,7,set,3600\n1,k1,10,100,7,gets,0\n2,k1,10,0,7,incr,0\n";
    let p = write(dir.path(), "t.csv", text.as_bytes());
    let got = all(&p, &Format::Twitter).unwrap();
    let keys: Vec<u64> = got.iter().map(|r| r.key).collect();
    assert_eq!(keys, [0, 1, 0, 0]);
    assert_eq!(got[1].size, 15);
    assert_eq!(got[1].ttl_s, 3600);
    assert_eq!(got[1].op, Op::Set);
    assert_eq!(got[2].op, Op::Get);
    assert_eq!(got[3].op, Op::Set);
}

#[test]
fn oracle_general_reads_plain_and_zstd_alike_over_several_frames() {
    let dir = tempfile::tempdir().unwrap();
    let first = oracle(&[(5, 900, 64), (6, 7, 32)]);
    let second = oracle(&[(7, 900, 64)]);
    let plain = [first.clone(), second.clone()].concat();
    let p = write(dir.path(), "t.oracleGeneral", &plain);
    let z = write(
        dir.path(),
        "t.oracleGeneral.zst",
        &[zstd(&first), zstd(&second)].concat(),
    );
    let a = all(&p, &Format::OracleGeneral).unwrap();
    let b = all(&z, &Format::OracleGeneral).unwrap();
    assert_eq!(a, b);
    let ids: Vec<(u64, u64)> = a
        .iter()
        .map(|r| (r.time_ns / 1_000_000_000, r.key))
        .collect();
    assert_eq!(ids, [(5, 900), (6, 7), (7, 900)]);
    assert_eq!(a[0].size, 64);
}

#[test]
fn a_truncated_oracle_record_is_named_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = oracle(&[(1, 1, 1), (2, 2, 2)]);
    bytes.truncate(ORACLE_RECORD_BYTES + 10);
    let p = write(dir.path(), "t.bin", &bytes);
    let e = all(&p, &Format::OracleGeneral).unwrap_err();
    assert_eq!(e.at, "record 2");
    assert!(e.message.contains("10 bytes into"), "{e}");
}

#[test]
fn records_slightly_out_of_order_are_sorted_and_far_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 0.4 s back is sorted; equal times keep file order.
    let p = write(
        dir.path(),
        "t.csv",
        b"ts,key\n1000,a\n1500,b\n1100,c\n1500,d\n3000,e\n",
    );
    let mut c = columns();
    (c.op, c.size, c.ttl) = (None, None, None);
    let got: Vec<u64> = all(&p, &Format::Csv(c.clone()))
        .unwrap()
        .iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(got, [0, 2, 1, 3, 4]);
    // 2 s back is refused, at its line.
    let p = write(dir.path(), "u.csv", b"ts,key\n1000,a\n5000,b\n3000,c\n");
    let e = all(&p, &Format::Csv(c)).unwrap_err();
    assert_eq!((e.at.as_str(), e.field.as_str()), ("line 4", "ts"));
    assert!(e.message.contains("out of order"), "{e}");
}

#[test]
fn bad_fields_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[u8], &str, &str); 4] = [
        (
            b"ts,key,op,bytes,ttl\n1,a,get,1,1\nsoon,b,get,1,1\n",
            "line 3",
            "ts",
        ),
        (b"ts,key,op,bytes,ttl\n1,a,fetch,1,1\n", "line 2", "op"),
        (b"ts,key,op,bytes,ttl\n1,a,get,-4,1\n", "line 2", "bytes"),
        (b"ts,key,op,bytes,ttl\n1,a,get,1,1\n2\n", "line 3", "key"),
    ];
    for (text, at, field) in cases {
        let p = write(dir.path(), "t.csv", text);
        let e = all(&p, &Format::Csv(columns())).unwrap_err();
        assert_eq!((e.at.as_str(), e.field.as_str()), (at, field), "{e}");
        assert!(e.to_string().contains("t.csv"), "{e}");
    }
    let p = write(dir.path(), "t.csv", b"0,k,1,1,7,get\n");
    let e = all(&p, &Format::Twitter).unwrap_err();
    assert_eq!(e.at, "line 1");
    assert!(e.message.contains("has 6 fields"), "{e}");
    let p = write(dir.path(), "t.csv", b"when,key\n");
    let e = all(&p, &Format::Csv(columns())).unwrap_err();
    assert_eq!((e.at.as_str(), e.field.as_str()), ("line 1", "ts"));
}

#[test]
fn an_empty_trace_or_window_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "e.bin", b"");
    let e = scan(&empty, &Format::OracleGeneral, Window::whole(100)).unwrap_err();
    assert!(e.message.contains("no record"), "{e}");
    let header = write(dir.path(), "h.csv", b"ts,key,op,bytes,ttl\n");
    assert!(scan(&header, &Format::Csv(columns()), Window::whole(100)).is_err());
    let one = write(dir.path(), "o.bin", &oracle(&[(1, 1, 1)]));
    let late = Window {
        start_ns: 5_000_000_000,
        ..Window::whole(100)
    };
    let e = scan(&one, &Format::OracleGeneral, late).unwrap_err();
    assert!(e.message.contains("window"), "{e}");
}

#[test]
fn a_replay_windows_scales_numbers_keys_and_drops_fills() {
    let dir = tempfile::tempdir().unwrap();
    // Trace seconds 10..16; the window starts 1 s in and lasts 4 s, replayed twice as fast.
    let text =
        "ts,key,op\n10,x,get\n11,a,get\n11.5,a,set\n12,b,set\n13,a,get\n14.5,a,set\n15,c,get\n";
    let p = write(dir.path(), "t.csv", text.as_bytes());
    let mut c = columns();
    (c.size, c.ttl, c.time_unit_ns) = (None, None, 1_000_000_000);
    let format = Format::Csv(c);
    let window = Window {
        start_ns: 1_000_000_000,
        length_ns: Some(4_000_000_000),
        speed: 2.0,
        fill_window_ns: Some(1_000_000_000),
        max_keys: 10,
        sample: None,
    };
    let mut r = Replay::open(&p, &format, window).unwrap();
    let mut got = Vec::new();
    while let Some(x) = r.next_record().unwrap() {
        got.push((x.at_ns, x.key, x.op));
    }
    // `a`'s set 0.5 s after its read is a fill; the one 1.5 s after is a write; `c` is past
    // the window.
    assert_eq!(
        got,
        [
            (0, 0, Op::Get),
            (500_000_000, 1, Op::Set),
            (1_000_000_000, 0, Op::Get),
            (1_750_000_000, 0, Op::Set),
        ]
    );
    let s = scan(&p, &format, window).unwrap();
    assert_eq!(
        (s.reads, s.writes, s.keys, s.last_ns),
        (2, 2, 2, 1_750_000_000)
    );
    // Without fill dropping every set is a write; with too few keys allowed, refused.
    let s = scan(&p, &format, Window::whole(10)).unwrap();
    assert_eq!((s.reads, s.writes, s.keys), (4, 3, 4));
    let e = scan(&p, &format, Window::whole(3)).unwrap_err();
    assert_eq!((e.at.as_str(), e.field.as_str()), ("line 8", "key"));
}

#[test]
fn long_numbers_parse_eight_digits_at_a_time_and_refuse_any_other_byte() {
    for n in [
        0u64,
        7,
        12_345_678,
        123_456_789,
        9_999_999_999_999_999,
        1_234_567_890_123_456_789,
        u64::MAX / 10,
    ] {
        assert_eq!(parse_count(n.to_string().as_bytes()), Some(n), "{n}");
        assert_eq!(parse_time_ns(&n.to_string(), 1), Some(n), "{n}");
    }
    assert_eq!(parse_count(b"0000000000000000042"), Some(42));
    // A byte that is not a digit anywhere in an eight-byte chunk: ':' and '/' sit beside the
    // digits, 0xB0 has the digits' low nibble.
    for bad in [
        &b"1234567:"[..],
        b"/2345678",
        b"12345678\xB09",
        b"1234 5678",
        b"12345678a",
    ] {
        assert_eq!(parse_count(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
    // Every length, read whole, in two overlapping words or digit by digit; a bad byte at any
    // place of any length refused.
    for digits in ["1234567890123456789", "9087654321098765432"] {
        for len in 1..=digits.len() {
            let text = &digits[..len];
            let want: u64 = text.parse().unwrap();
            assert_eq!(parse_count(text.as_bytes()), Some(want), "{text}");
            for at in 0..len {
                let mut bad = text.as_bytes().to_vec();
                bad[at] = b':';
                assert_eq!(parse_count(&bad), None, "{text} with ':' at {at}");
            }
        }
    }
    assert_eq!(parse_time_ns("12345678.5", 10), Some(123_456_785));
    assert_eq!(parse_count(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_count(b"18446744073709551616"), None);
}

/// A CSV trace of `n` records from `seed`: times rising by 0 to 0.4 s, some records moved back
/// (by less than 1 s, or, with `far`, by more), keys from a few, reads, sets and deletes, and
/// with `bad` one malformed time somewhere.
fn random_trace(seed: u64, n: usize, back: bool, far: bool, bad: bool) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let bad_at = bad.then(|| next(n as u64) as usize);
    let mut t: u64 = 5_000;
    let mut text = String::from("ts,key,op\n");
    for i in 0..n {
        t += next(400);
        let mut time = t;
        if back && next(10) == 0 {
            time = time.saturating_sub(next(if far { 3_000 } else { 999 }));
        }
        let op = ["get", "get", "get", "set", "delete"][next(5) as usize];
        let key = next(12);
        if bad_at == Some(i) {
            text.push_str(&format!("x{time},k{key},{op}\n"));
        } else {
            text.push_str(&format!("{time},k{key},{op}\n"));
        }
    }
    text
}

#[test]
fn a_scan_read_in_file_order_counts_and_refuses_as_a_sorting_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = columns();
    (c.size, c.ttl) = (None, None);
    let format = Format::Csv(c);
    let mut fast = 0;
    for seed in 0..240u64 {
        let (back, far, bad) = (seed % 3 == 1, seed % 9 == 4, seed % 5 == 2);
        let text = random_trace(seed, 60, back, far, bad);
        let p = write(dir.path(), &format!("t{seed}.csv"), text.as_bytes());
        // Windows that start late, end early (so that a replay reads past their end), drop
        // fills, sample keys.
        let window = Window {
            start_ns: [0, 2_000_000_000][(seed % 2) as usize],
            length_ns: [None, Some(4_000_000_000), Some(1)][(seed % 3) as usize],
            speed: 1.0,
            fill_window_ns: [None, Some(1_000_000_000)][(seed / 2 % 2) as usize],
            max_keys: [100, 5][(seed % 7 == 0) as usize],
            sample: (seed % 4 == 3).then(|| KeySample::for_run(0.5, 1, seed)),
        };
        let sorted = read::scan_as(&p, &format, window, false);
        let as_read = read::scan_as(&p, &format, window, true);
        let chosen = scan(&p, &format, window);
        match (&sorted, &as_read) {
            (Ok(s), Ok(r)) => {
                fast += 1;
                assert!(r.in_order && !s.in_order);
                assert_eq!(
                    Scan {
                        in_order: false,
                        ..*r
                    },
                    *s,
                    "seed {seed}"
                );
                assert_eq!(chosen.as_ref().unwrap(), r, "seed {seed}");
            }
            _ => assert_eq!(chosen, sorted, "seed {seed}"),
        }
        // A trace in order with no bad record is read as it comes.
        if !back && !bad && sorted.is_ok() {
            assert!(as_read.is_ok(), "seed {seed}: {as_read:?}");
            // And replayed as it comes, record for record as when sorted.
            let replay = |in_order: bool| {
                let mut r = Replay::open(&p, &format, window)
                    .unwrap()
                    .in_order(in_order);
                let mut out = Vec::new();
                while let Some(x) = r.next_record().unwrap() {
                    out.push(x);
                }
                out
            };
            assert_eq!(replay(true), replay(false), "seed {seed}");
        }
    }
    assert!(fast > 60, "{fast} traces read as they come");
}

#[test]
fn a_scan_in_file_order_reads_a_second_past_the_window_as_a_sorting_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = columns();
    (c.op, c.size, c.ttl) = (None, None, None);
    let format = Format::Csv(c);
    // The window is the first 2 s; the first record past it comes at 2 s, so a sorting replay
    // reads on until a record at 3 s or later.
    let window = Window {
        length_ns: Some(2_000_000_000),
        ..Window::whole(10)
    };
    let trace = |bad_ms: u64| {
        let mut text = String::from("ts,key\n");
        for ms in (0..6_000).step_by(250) {
            let t = if ms == bad_ms {
                "x".to_string()
            } else {
                ms.to_string()
            };
            text.push_str(&format!("{t},k{}\n", ms % 1_000));
        }
        text
    };
    // A malformed time 0.75 s past the window's end is read, and refused; 1.25 s past, not.
    let p = write(dir.path(), "near.csv", trace(2_750).as_bytes());
    let e = scan(&p, &format, window).unwrap_err();
    assert_eq!((e.at.as_str(), e.field.as_str()), ("line 13", "ts"));
    let p = write(dir.path(), "far.csv", trace(3_250).as_bytes());
    let s = scan(&p, &format, window).unwrap();
    assert!(s.in_order);
    // Eight records in the window; read up to the one at 3 s (line 14).
    assert_eq!((s.reads, s.keys, s.records), (8, 4, 14));
    assert_eq!(
        s,
        Scan {
            in_order: true,
            ..read::scan_as(&p, &format, window, false).unwrap()
        }
    );
}
