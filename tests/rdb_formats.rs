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

/// Our DUMP payload of `obj` (compression on, Redis's default list fill).
fn our_payload(obj: &persistence::object::Object, form: persistence::object::Form) -> Vec<u8> {
    let mut w = persistence::rdb::Writer::new(true);
    persistence::object::write_object(&mut w, obj, form, -2);
    persistence::rdb::dump_payload(w.buf)
}

fn redis_dump(c: &mut Conn, key: &str) -> Vec<u8> {
    match Value::parse(&c.cmd(&["DUMP", key])) {
        Value::Bulk(p) => p,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

#[test]
fn objects_match_redis_dump_and_read_back() {
    use persistence::object::{read_object, Form, Object};
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let mut c = reference.conn();
    // Lists built by RPUSH: one node, several nodes, long and int elements.
    for (key, n, width) in [("l1", 5usize, 3usize), ("l2", 3000, 10), ("l3", 40, 900)] {
        let items: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    i.to_string().into_bytes()
                } else {
                    format!("{i:0width$}x").into_bytes()
                }
            })
            .collect();
        for chunk in items.chunks(500) {
            let mut args: Vec<&[u8]> = vec![b"RPUSH", key.as_bytes()];
            args.extend(chunk.iter().map(|v| v.as_slice()));
            c.cmd_bytes(&args);
        }
        let theirs = redis_dump(&mut c, key);
        assert_eq!(
            our_payload(&Object::List(items.clone()), Form::Large),
            theirs,
            "{key}"
        );
    }
    // Intset, small and large sorted sets and hashes: byte for byte where
    // Redis's order is deterministic, and every payload reads back.
    c.cmd(&["SADD", "si", "5", "-3", "100000", "7"]);
    assert_eq!(
        our_payload(
            &Object::Set(vec![
                b"5".to_vec(),
                b"-3".to_vec(),
                b"100000".to_vec(),
                b"7".to_vec()
            ]),
            Form::Compact
        ),
        redis_dump(&mut c, "si")
    );
    let mut zargs: Vec<String> = vec!["ZADD".into(), "zbig".into()];
    let mut zitems = Vec::new();
    for i in 0..300 {
        let s = (i as f64) * 1.25 - 40.0;
        zargs.push(format!("{s}"));
        zargs.push(format!("m{i:03}"));
        zitems.push((format!("m{i:03}").into_bytes(), s));
    }
    let refs: Vec<&str> = zargs.iter().map(|s| s.as_str()).collect();
    c.cmd(&refs);
    zitems.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(
        our_payload(&Object::ZSet(zitems.clone()), Form::Large),
        redis_dump(&mut c, "zbig")
    );
    c.cmd(&["SADD", "sbig", "a", "b", "c"]);
    c.cmd(&["HSET", "hbig", "f", &"v".repeat(100), "g", "1"]);
    for (key, want_len) in [("sbig", 3usize), ("hbig", 2), ("zbig", 300), ("l2", 3000)] {
        let p = redis_dump(&mut c, key);
        let body = persistence::rdb::verify_payload(&p, true).expect("payload");
        let mut r = persistence::rdb::Reader::new(&body[1..]);
        let obj = read_object(body[0], &mut r).expect("readable");
        let len = match &obj {
            Object::Set(v) | Object::List(v) => v.len(),
            Object::IntSet(v, _) => v.len(),
            Object::Hash(v) => v.len(),
            Object::ZSet(v) => v.len(),
            Object::Str(_) => 1,
        };
        assert_eq!(len, want_len, "{key}");
        assert_eq!(r.remaining(), 0, "{key}");
    }
}

/// An RDB file we write loads in redis-server with every value intact, and
/// an RDB redis-server saves loads in our reader.
#[test]
fn rdb_files_move_both_ways() {
    use persistence::file::{read_rdb, Event, RdbWriter};
    use persistence::object::{Form, Object};
    let big_list: Vec<Vec<u8>> = (0..2000).map(|i| format!("e{i}").into_bytes()).collect();
    let objects: Vec<(&str, Object, Form)> = vec![
        ("s", Object::Str(b"hello".to_vec()), Form::Compact),
        ("n", Object::Str(b"-12345".to_vec()), Form::Compact),
        ("l", Object::List(big_list.clone()), Form::Large),
        (
            "si",
            Object::Set(vec![b"1".to_vec(), b"70000".to_vec()]),
            Form::Compact,
        ),
        (
            "ss",
            Object::Set(vec![b"a".to_vec(), b"b".to_vec()]),
            Form::Compact,
        ),
        (
            "z",
            Object::ZSet(vec![(b"m1".to_vec(), -1.5), (b"m2".to_vec(), 2.0)]),
            Form::Compact,
        ),
        (
            "zl",
            Object::ZSet(vec![(b"x".to_vec(), 0.25), (b"y".to_vec(), 1e10)]),
            Form::Large,
        ),
        (
            "h",
            Object::Hash(vec![(b"f".to_vec(), b"v".to_vec())]),
            Form::Compact,
        ),
        (
            "hl",
            Object::Hash(vec![(b"g".to_vec(), b"w".to_vec())]),
            Form::Large,
        ),
    ];
    let mut w = RdbWriter::new(true, -2);
    w.aux("redis-ver", b"7.2.4");
    w.select_db(0, objects.len() as u64, 1);
    for (i, (k, o, f)) in objects.iter().enumerate() {
        let expire = (i == 0).then_some(4_102_444_800_000);
        w.entry(k.as_bytes(), o, *f, expire);
    }
    let file = w.finish(true);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ours.rdb"), &file).expect("write");
    let dirs = dir.path().to_string_lossy().into_owned();
    let Some(reference) = Server::start_reference(&["--dir", &dirs, "--dbfilename", "ours.rdb"])
    else {
        return;
    };
    let mut c = reference.conn();
    let t = |c: &mut Conn, args: &[&str]| show(&c.cmd(args));
    assert_eq!(t(&mut c, &["DBSIZE"]), format!(":{}\\r\\n", objects.len()));
    assert_eq!(t(&mut c, &["GET", "s"]), "$5\\r\\nhello\\r\\n");
    assert_eq!(t(&mut c, &["PEXPIRETIME", "s"]), ":4102444800000\\r\\n");
    assert_eq!(t(&mut c, &["LLEN", "l"]), ":2000\\r\\n");
    assert_eq!(t(&mut c, &["LINDEX", "l", "1999"]), "$5\\r\\ne1999\\r\\n");
    assert_eq!(t(&mut c, &["SISMEMBER", "si", "70000"]), ":1\\r\\n");
    assert_eq!(t(&mut c, &["SCARD", "ss"]), ":2\\r\\n");
    assert_eq!(t(&mut c, &["ZSCORE", "z", "m1"]), "$4\\r\\n-1.5\\r\\n");
    assert_eq!(
        t(&mut c, &["ZSCORE", "zl", "y"]),
        "$11\\r\\n10000000000\\r\\n"
    );
    assert_eq!(t(&mut c, &["HGET", "h", "f"]), "$1\\r\\nv\\r\\n");
    assert_eq!(t(&mut c, &["HGET", "hl", "g"]), "$1\\r\\nw\\r\\n");

    // Back: redis saves (adding more values), we read everything.
    c.cmd(&["HSET", "h2", "a", &"1".repeat(200)]);
    c.cmd(&["ZADD", "z2", "1", "a", "2", "b"]);
    assert_eq!(t(&mut c, &["SAVE"]), "+OK\\r\\n");
    let saved = std::fs::read(dir.path().join("ours.rdb")).expect("saved file");
    let mut found = std::collections::BTreeMap::new();
    read_rdb(&saved, |e| {
        if let Event::Key(k) = e {
            found.insert(String::from_utf8_lossy(&k.key).into_owned(), k.value);
        }
        Ok(())
    })
    .expect("redis's file loads");
    assert_eq!(found.len(), objects.len() + 2);
    assert_eq!(found["l"], Object::List(big_list));
    assert_eq!(
        found["z2"],
        Object::ZSet(vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)])
    );
}
