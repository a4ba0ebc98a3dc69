//! Our RDB building blocks against redis-server 7.0's output: LZF
//! compression and the CRC-64 of DUMP payloads, byte for byte.

mod common;
use common::*;

/// The DUMP payload of a string Redis stores LZF-compressed:
/// type 0, `0xC3`, compressed length, original length, data, RDB version
/// 10 (LE16), CRC-64 (LE64) of everything before.
fn lzf_string_payload(v: &[u8]) -> Vec<u8> {
    fn len(out: &mut Vec<u8>, n: usize) {
        if n < 64 {
            out.push(n as u8);
        } else if n < 16384 {
            out.push(0x40 | (n >> 8) as u8);
            out.push(n as u8);
        } else {
            out.push(0x80);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
    let c = persistence::lzf::compress(v, v.len() - 4).expect("compressible");
    let mut p = vec![0u8, 0xC3];
    len(&mut p, c.len());
    len(&mut p, v.len());
    p.extend_from_slice(&c);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = persistence::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn lzf_and_crc_match_redis_dump() {
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let mut c = reference.conn();
    let mut values: Vec<Vec<u8>> = vec![
        vec![b'a'; 100],
        b"abcabcabcabc".repeat(20),
        (0..3000u32).map(|i| ((i * i) >> 3) as u8).collect(),
        [b"hello world ".repeat(50), b"xyz".repeat(30)].concat(),
        (0..20000u32).map(|i| (i % 7 + i / 500) as u8).collect(),
        b"0123456789".repeat(7),
    ];
    // Text-like values with repeats at varied distances.
    let mut x = 12345u64;
    for n in [30usize, 200, 1000, 9000, 70000] {
        let words = ["alpha ", "beta ", "gamma ", "delta ", "x", "yy", "0", "1"];
        let mut v = Vec::new();
        while v.len() < n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            v.extend_from_slice(words[(x >> 60) as usize % words.len()].as_bytes());
        }
        values.push(v);
    }
    let mut compared = 0;
    for (i, v) in values.iter().enumerate() {
        let key = format!("lzf{i}");
        c.cmd_bytes(&[b"SET", key.as_bytes(), v]);
        let dump = Value::parse(&c.cmd(&["DUMP", &key]));
        let Value::Bulk(theirs) = dump else {
            panic!("DUMP {key}: {dump:?}");
        };
        if theirs.get(1) != Some(&0xC3) {
            // Redis stored it uncompressed: nothing to compare.
            continue;
        }
        assert_eq!(
            lzf_string_payload(v),
            theirs,
            "value {i} ({} bytes)",
            v.len()
        );
        compared += 1;
    }
    assert!(
        compared >= 8,
        "only {compared} compressed values to compare"
    );
}

/// The listpack inside a DUMP of a small hash or sorted set.
fn dumped_listpack(c: &mut Conn, key: &str, want_type: u8) -> Vec<u8> {
    let Value::Bulk(p) = Value::parse(&c.cmd(&["DUMP", key])) else {
        panic!("DUMP {key}");
    };
    let body = persistence::rdb::verify_payload(&p, true).expect("valid payload");
    assert_eq!(body[0], want_type, "{key}");
    let mut r = persistence::rdb::Reader::new(&body[1..]);
    r.string().expect("listpack string")
}

#[test]
fn listpacks_and_scores_match_redis_dump() {
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let mut c = reference.conn();
    let fields: Vec<String> = vec![
        "f".into(),
        "0".into(),
        "127".into(),
        "128".into(),
        "-1".into(),
        "-4096".into(),
        "4095".into(),
        "-40000".into(),
        "8388608".into(),
        "2147483648".into(),
        "-9223372036854775808".into(),
        "012".into(),
        "x".repeat(63),
        "y".repeat(64),
        "".into(),
    ];
    // A hash: field/value pairs in insertion order.
    let mut args: Vec<&str> = vec!["HSET", "h"];
    for (i, f) in fields.iter().enumerate() {
        args.push(f);
        args.push(&fields[(i + 3) % fields.len()]);
    }
    c.cmd(&args);
    let ours = persistence::encodings::listpack(args[2..].iter().map(|s| s.as_bytes()));
    assert_eq!(
        dumped_listpack(&mut c, "h", persistence::rdb::TYPE_HASH_LISTPACK),
        ours
    );
    // A sorted set: member, score text, ordered by score.
    let scores = [
        1.0,
        -0.0,
        1.5,
        0.1,
        1e20,
        1.5e-7,
        -2.5,
        3e15,
        123456789.125,
        -1e-300,
        7.0,
    ];
    let mut args: Vec<String> = vec!["ZADD".into(), "z".into()];
    for (i, s) in scores.iter().enumerate() {
        args.push(format!("{s:e}"));
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    c.cmd(&refs);
    let mut order: Vec<(f64, String)> = scores
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, format!("m{i}")))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let texts: Vec<(String, String)> = order
        .iter()
        .map(|(s, m)| (m.clone(), persistence::encodings::score_text(*s)))
        .collect();
    let ours = persistence::encodings::listpack(
        texts.iter().flat_map(|(m, s)| [m.as_bytes(), s.as_bytes()]),
    );
    assert_eq!(
        dumped_listpack(&mut c, "z", persistence::rdb::TYPE_ZSET_LISTPACK),
        ours
    );
}
