//! KEYS and SCAN: options, errors, full iterations compared with Redis,
//! and SCAN's guarantee while the table resizes.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use crate::support::*;

#[test]
fn scan_and_keys() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SCAN", "0"],
        &["SCAN", "5"],
        &["SCAN", "x"],
        &["SCAN", ""],
        &["SCAN", "-1"],
        &["SCAN", " 1"],
        &["SCAN", "1 "],
        &["SCAN", "0x1"],
        &["SCAN", "18446744073709551615"],
        &["SCAN", "18446744073709551616"],
        &["SCAN", "-18446744073709551616"],
        &["SCAN", "0", "COUNT", "0"],
        &["SCAN", "0", "COUNT", "-1"],
        &["SCAN", "0", "COUNT", "x"],
        &["SCAN", "x", "COUNT", "0"],
        &["SCAN", "0", "MATCH"],
        &["SCAN", "0", "COUNT"],
        &["SCAN", "0", "TYPE"],
        &["SCAN", "0", "foo", "bar"],
        &["SCAN", "0", "COUNT", "0", "MATCH"],
        &["SCAN"],
        &["KEYS", "*"],
        &["KEYS"],
        &["KEYS", "a", "b"],
    ]);
    p.each(|c| set_many(c, "user:", 0..300));
    p.each(|c| set_many(c, "item:", 0..200));
    p.run(&[&["SET", "a*b", "1"], &["SET", "x[1]", "1"]]);
    let all = p.same_full_scan(&[]);
    assert_eq!(all.len(), 502);
    for extra in [
        &["COUNT", "1"][..],
        &["COUNT", "7"],
        &["COUNT", "1000"],
        &["COUNT", "9223372036854775807"],
        &["MATCH", "user:1*"],
        &["MATCH", "*:1?"],
        &["MATCH", "item:[0-2]5"],
        &["MATCH", "a\\*b"],
        &["MATCH", "x\\[1\\]"],
        &["MATCH", "*", "COUNT", "50"],
        &["MATCH", "nomatch*"],
        &["TYPE", "string"],
        &["TYPE", "STRING", "MATCH", "item:1*"],
        &["TYPE", "list"],
        &["TYPE", "unknowntype"],
        &[
            "COUNT", "3", "COUNT", "20", "MATCH", "zzz", "MATCH", "user:2*",
        ],
    ] {
        p.same_full_scan(extra);
    }
    assert_eq!(p.same_full_scan(&["MATCH", "user:1?"]).len(), 10);
    assert!(p.same_full_scan(&["TYPE", "hash"]).is_empty());
    for pat in [
        "*",
        "user:*",
        "user:2?",
        "*:1[05]*",
        "item:[^1]*",
        "a*b",
        "a\\*b",
        "nomatch",
        "",
    ] {
        p.same_unordered(&["KEYS", pat]);
    }
    // The first call of a big iteration: a cursor and at most a few keys
    // more than COUNT (whole buckets are returned).
    let r = p.ours.cmd(&["SCAN", "0", "COUNT", "5"]);
    let R::Array(parts) = parse(&r) else {
        panic!("{}", show(&r))
    };
    let R::Array(keys) = &parts[1] else {
        panic!("{}", show(&r))
    };
    assert!((5..=15).contains(&keys.len()), "{}", keys.len());
    assert_ne!(parts[0], R::Bulk(b"0".to_vec()));
}

/// SCAN returns every key present for the whole iteration, while other
/// keys come and go in numbers that make the table grow and shrink.
#[test]
fn scan_guarantee_under_resizes() {
    let s = Server::start(OPTS);
    let mut c = s.conn();
    const STABLE: usize = 1000;
    const CHURN: usize = 12_000;
    set_many(&mut c, "stable:", 0..STABLE);
    let table_size = |c: &mut Conn| -> Option<usize> {
        let r = c.cmd(&["DEBUG", "HTSTATS", "0"]);
        let text = String::from_utf8_lossy(&r).into_owned();
        let at = text.find("table size: ")? + "table size: ".len();
        text[at..]
            .split(|ch: char| !ch.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let mut sizes: Vec<usize> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0usize;
    let mut churn_present = false;
    let mut churn_prefix = String::new();
    loop {
        let r = c.cmd(&["SCAN", &cursor, "COUNT", "20"]);
        let R::Array(parts) = parse(&r) else {
            panic!("{}", show(&r))
        };
        let [R::Bulk(next), R::Array(items)] = &parts[..] else {
            panic!("{}", show(&r))
        };
        for i in items {
            if let R::Bulk(k) = i {
                seen.insert(k.clone());
            }
        }
        cursor = String::from_utf8(next.clone()).expect("cursor");
        calls += 1;
        if cursor == "0" {
            break;
        }
        if calls % 3 == 0 {
            if churn_present {
                let mut del = vec!["DEL".to_string()];
                del.extend((0..CHURN).map(|i| format!("{churn_prefix}{i}")));
                pipeline(&mut c, &[del]);
                // Let the cron notice the sparse table and shrink it.
                std::thread::sleep(Duration::from_millis(250));
            } else {
                churn_prefix = format!("churn:{calls}:");
                set_many(&mut c, &churn_prefix, 0..CHURN);
            }
            churn_present = !churn_present;
        }
        if let Some(n) = table_size(&mut c) {
            if sizes.last() != Some(&n) {
                sizes.push(n);
            }
        }
        assert!(calls < 100_000, "SCAN does not terminate");
    }
    let missed: Vec<usize> = (0..STABLE)
        .filter(|i| !seen.contains(format!("stable:{i}").as_bytes()))
        .collect();
    assert!(
        missed.is_empty(),
        "SCAN missed {} keys: {missed:?}",
        missed.len()
    );
    if sizes.is_empty() {
        eprintln!("NOTICE: DEBUG HTSTATS gave no table size; resizes not verified");
    } else {
        // Grown and shrunk back at least twice each.
        let grew = sizes.windows(2).filter(|w| w[1] > w[0]).count();
        let shrank = sizes.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(grew >= 2 && shrank >= 2, "table sizes seen: {sizes:?}");
    }
    assert_eq!(
        int(&c.cmd(&["DBSIZE"])) as usize,
        STABLE + if churn_present { CHURN } else { 0 }
    );
}
