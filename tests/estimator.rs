//! The hit-ratio estimator (`INFO tiering` `hit_ratio_at_*`, `TIERING
//! ADVISE`) through real clients. Its accuracy against measured sweeps is
//! shown by `benches/estimator.sh`; these tests pin the shape of what it
//! reports and that it follows the workload.

mod common;
use common::*;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn tiering_info(c: &mut Conn) -> HashMap<String, String> {
    Value::parse(&c.cmd(&["INFO", "tiering"]))
        .text()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn num(info: &HashMap<String, String>, k: &str) -> f64 {
    info.get(k)
        .unwrap_or_else(|| panic!("INFO tiering has no {k}: {info:?}"))
        .parse()
        .expect("a number")
}

/// `TIERING ADVISE` (RESP2) as field -> reply.
fn advise(c: &mut Conn) -> HashMap<String, Value> {
    let v = Value::parse(&c.cmd(&["TIERING", "ADVISE"]));
    v.items()
        .chunks(2)
        .map(|kv| (kv[0].text(), kv[1].clone()))
        .collect()
}

/// A server with `n` values of 1000 bytes, about `share` of which fit in
/// `maxmemory`, then `reads` GETs of keys drawn by `pick`.
fn loaded(
    n: usize,
    share: f64,
    reads: usize,
    mut pick: impl FnMut(&mut SmallRng) -> usize,
) -> Server {
    let s = Server::start(&[
        "--tiering",
        "yes",
        "--tiering-min-value-size",
        "64",
        "--hz",
        "100",
    ]);
    let mut c = s.conn();
    let mut r = s.client();
    let value = "v".repeat(1000);
    let base = num(&tiering_info(&mut c), "hot_bytes") as u64;
    // Keys and headers take about 100 bytes each besides the values.
    let budget = base + (n as f64 * (100.0 + 1000.0 * share)) as u64;
    c.cmd(&["CONFIG", "SET", "maxmemory", &budget.to_string()]);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut p = redis::pipe();
        for &i in chunk {
            p.cmd("SET").arg(format!("key:{i}")).arg(&value).ignore();
        }
        let () = p.query(&mut r).expect("SET pipeline");
    }
    let mut rng = SmallRng::seed_from_u64(11);
    for chunk in (0..reads).collect::<Vec<_>>().chunks(1000) {
        let mut p = redis::pipe();
        for _ in chunk {
            p.cmd("GET").arg(format!("key:{}", pick(&mut rng))).ignore();
        }
        let () = p.query(&mut r).expect("GET pipeline");
    }
    s
}

/// Waits until the estimate is there (its pass over the key space is
/// done) and returns `INFO tiering`.
fn with_estimate(c: &mut Conn) -> HashMap<String, String> {
    let start = Instant::now();
    loop {
        let info = tiering_info(c);
        if info.contains_key("hit_ratio_at_100pct") {
            return info;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no estimate: {info:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_uniform_workload_is_estimated_in_proportion_to_ram() {
    let n = 40_000;
    let s = loaded(n, 0.3, 200_000, |r| r.gen_range(0..n));
    let mut c = s.conn();
    let info = with_estimate(&mut c);
    let at = |p: u32| num(&info, &format!("hit_ratio_at_{p}pct"));
    let measured = num(&info, "estimator_measured_hit_ratio");
    assert!(measured > 0.1 && measured < 0.6, "measured {measured}");
    // Anchored at the measured point.
    assert!(
        (at(100) - measured).abs() < 0.05,
        "{} vs {measured}",
        at(100)
    );
    // More RAM, more hits; never above 1.
    let pcts = [25, 50, 75, 100, 150, 200, 400];
    for w in pcts.windows(2) {
        assert!(at(w[0]) <= at(w[1]), "{info:?}");
    }
    assert!(at(400) <= 1.0 && at(400) > at(100) + 0.3, "{info:?}");
    // Uniform: hits grow with the bytes of values the tier can hold.
    let a = advise(&mut c);
    let fixed = a["fixed_bytes"].int().expect("fixed_bytes") as f64;
    let total = n as f64 * 1000.0;
    let mut checked = 0;
    for p in a["curve"].items() {
        let point = p.items();
        let (m, h) = (point[0].int().expect("bytes") as f64, point[1].text());
        let h: f64 = h.parse().expect("ratio");
        let share = (m - fixed) / total;
        if share > 0.05 && share < 0.8 {
            assert!((h - share).abs() < 0.12, "at {share}: {h}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "{a:?}");
    // The RAM for a ratio is ordered by the ratio.
    let need = |p: u32| num(&info, &format!("ram_for_hit_ratio_{p}pct"));
    assert!(need(90) > 0.0 && need(90) <= need(95) && need(95) <= need(99));
    assert!(need(90) > num(&info, "estimator_fixed_bytes") + 0.8 * total);

    // Deleted keys leave the sample; RESETSTAT and FLUSHALL start over,
    // with the estimator still on.
    let before = num(&tiering_info(&mut c), "estimator_sample_keys");
    let mut r = s.client();
    let mut p = redis::pipe();
    for i in 0..n / 2 {
        p.cmd("DEL").arg(format!("key:{i}")).ignore();
    }
    let () = p.query(&mut r).expect("DEL pipeline");
    let after = num(&tiering_info(&mut c), "estimator_sample_keys");
    assert!(
        after < 0.75 * before && after > 0.25 * before,
        "{before} -> {after}"
    );
    c.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(num(&tiering_info(&mut c), "estimator_sample_keys"), 0.0);
    c.cmd(&["GET", "key:39999"]);
    c.cmd(&["FLUSHALL"]);
    let info = tiering_info(&mut c);
    assert_eq!(num(&info, "estimator_sample_keys"), 0.0);
    assert!(!info.contains_key("hit_ratio_at_100pct"), "{info:?}");
    assert!(advise(&mut c)["curve"].items().is_empty());
}

#[test]
fn a_skewed_workload_needs_less_ram_than_a_uniform_one() {
    let n = 40_000;
    // 90% of the reads on 5% of the keys.
    let skewed = loaded(n, 0.3, 200_000, |r| {
        if r.gen_bool(0.1) {
            r.gen_range(0..n)
        } else {
            r.gen_range(0..n / 20)
        }
    });
    let mut c = skewed.conn();
    let info = with_estimate(&mut c);
    assert!(num(&info, "hit_ratio_at_100pct") > 0.8, "{info:?}");
    let need = num(&info, "ram_for_hit_ratio_90pct");
    let fixed = num(&info, "estimator_fixed_bytes");
    // Well under all the values (the hot 5% and a share of the rest).
    assert!(
        need > fixed && need < fixed + 0.6 * n as f64 * 1000.0,
        "{info:?}"
    );
}

#[test]
fn tiering_advise_answers_only_with_tiering_and_the_estimator_on() {
    let plain = Server::start(&[]);
    let mut c = plain.conn();
    assert_eq!(
        show(&c.cmd(&["TIERING", "ADVISE"])),
        "-ERR tiering is off\\r\\n"
    );
    assert!(show(&c.cmd(&["TIERING", "HELP"])).contains("ADVISE"));
    assert!(show(&c.cmd(&["TIERING", "NOPE"])).starts_with("-ERR unknown subcommand 'NOPE'"));
    assert!(!Value::parse(&c.cmd(&["INFO", "tiering"]))
        .text()
        .contains("hit_ratio_at"));

    let s = Server::start(&["--tiering", "yes", "--tiering-estimator-samples", "0"]);
    let mut c = s.conn();
    assert!(show(&c.cmd(&["TIERING", "ADVISE"])).starts_with("-ERR the estimator is off"));
    assert_eq!(
        show(&c.cmd(&["CONFIG", "SET", "tiering-estimator-samples", "1000"])),
        "+OK\\r\\n"
    );
    // On, with nothing seen yet: the shape without a curve.
    let a = advise(&mut c);
    assert_eq!(a["sample_keys"].int(), Some(0));
    assert!(a["curve"].items().is_empty());
    assert_eq!(a["fixed_bytes"], Value::Nil);
}
