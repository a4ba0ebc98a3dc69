//! `valkey-tiered-bench`: a load generator for any RESP server (ours,
//! Valkey, Redis), for sizing tiered deployments: key distributions that
//! look like real workloads (Zipf, uniform, hotspot), value sizes and data
//! types mixed as in production, a load phase, a measured phase with HDR
//! latency histograms, and the server's own tiering counters before and
//! after.
//!
//! ```text
//! valkey-tiered-bench --port 6379 --keys 2000000 --value-size hist:100:70,1000:25,10000:5 \
//!     --types string:80,hash:20 --load --dist zipf:0.99 --reads 90 --connections 32 \
//!     --pipeline 4 --duration 30
//! ```
//!
//! Closed loop by default: each connection keeps `--pipeline` requests in
//! flight and sends the next batch when the last reply of the previous one
//! arrives; latency is measured per request, from the send of its batch to
//! its reply. With `--rate` the loop is open (see pace.rs). What each key
//! holds and which commands touch it is in workload.rs.

mod advise;
mod conn;
mod pace;
mod report;
mod results;
mod sweep;
mod workload;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};

use conn::Conn;
use pace::Pacer;
use results::Report;
use workload::{parse_bytes, SizeDist, Ttl, TypeMix, Workload};

#[derive(Clone, Debug)]
enum Dist {
    Uniform,
    /// Zipf with exponent `s` over the key ranks; rank 1 is the hottest.
    Zipf(f64),
    /// `pct_keys`% of the keys get `pct_ops`% of the requests.
    Hotspot(f64, f64),
    Sequential,
}

#[derive(Clone, Debug)]
struct Opts {
    host: String,
    port: u16,
    keys: u64,
    load: bool,
    dist: Dist,
    reads: u32,
    connections: usize,
    pipeline: usize,
    duration: f64,
    warmup: f64,
    json: bool,
    seed: u64,
    /// Sizes, types and expiries of the keys (`--value-size`, `--types`,
    /// `--ttl`, `--field-size`; its seed is `--seed`).
    work: Workload,
    /// `--rate`: target commands per second over all connections (open
    /// loop); `None` runs closed loop.
    rate: Option<f64>,
    /// A second server to run the same workload against, after the first.
    compare: Option<(String, u16)>,
    /// Where to write every figure as CSV (one row per server).
    csv: Option<String>,
    /// `maxmemory` values to measure at, one run each (sizes or N%).
    sweep: Vec<String>,
    /// Dataset:RAM ratios to grow the dataset to, one run each.
    sweep_ratio: Vec<f64>,
    /// Directory for the report files (JSON, CSV, SVG, Markdown).
    out: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: valkey-tiered-bench [--host H] [--port P] [--keys N] [--load]
       [--value-size B|uniform:MIN:MAX|hist:SIZE:WEIGHT,...] [--field-size B]
       [--types string:W,hash:W,list:W,set:W,zset:W] [--ttl PCT:SECS]
       [--dist uniform|zipf:S|hotspot:KEYS%:OPS%|sequential] [--reads PCT] [--rate OPS]
       [--connections C] [--pipeline D] [--warmup SECS] [--duration SECS] [--json] [--seed N]
       [--compare HOST:PORT] [--csv FILE] [--sweep-maxmemory SIZE,SIZE,...]
       [--sweep-ratio R,R,...] [--out DIR]"
    );
    std::process::exit(2)
}

/// A bad option: says why, then the usage.
fn fail(why: &str) -> ! {
    eprintln!("valkey-tiered-bench: {why}");
    usage()
}

fn parse_dist(s: &str) -> Option<Dist> {
    let mut parts = s.split(':');
    match parts.next()? {
        "uniform" => Some(Dist::Uniform),
        "sequential" => Some(Dist::Sequential),
        "zipf" => Some(Dist::Zipf(parts.next()?.parse().ok()?)),
        "hotspot" => Some(Dist::Hotspot(
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        )),
        _ => None,
    }
}

fn parse_args() -> Opts {
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 6379,
        keys: 100_000,
        load: false,
        dist: Dist::Uniform,
        reads: 90,
        connections: 16,
        pipeline: 1,
        duration: 10.0,
        warmup: 2.0,
        json: false,
        seed: 1,
        work: Workload {
            sizes: SizeDist::Fixed(100),
            types: TypeMix::default(),
            ttl: None,
            field_size: 100,
            seed: 1,
        },
        rate: None,
        compare: None,
        csv: None,
        sweep: Vec::new(),
        sweep_ratio: Vec::new(),
        out: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut val = || {
            i += 1;
            args.get(i)
                .cloned()
                .unwrap_or_else(|| fail(&format!("{a} needs a value")))
        };
        fn num<T: std::str::FromStr>(a: &str, v: String) -> T {
            v.parse()
                .unwrap_or_else(|_| fail(&format!("{a}: {v:?} is not a number")))
        }
        match a {
            "--host" => o.host = val(),
            "--port" => o.port = num(a, val()),
            "--keys" => o.keys = num(a, val()),
            "--value-size" => o.work.sizes = SizeDist::parse(&val()).unwrap_or_else(|e| fail(&e)),
            "--field-size" => o.work.field_size = num(a, val()),
            "--types" => o.work.types = TypeMix::parse(&val()).unwrap_or_else(|e| fail(&e)),
            "--ttl" => o.work.ttl = Some(Ttl::parse(&val()).unwrap_or_else(|e| fail(&e))),
            "--load" => o.load = true,
            "--dist" => {
                let v = val();
                o.dist = parse_dist(&v).unwrap_or_else(|| fail(&format!("--dist {v}?")));
            }
            "--reads" => o.reads = num(a, val()),
            "--rate" => {
                let r: f64 = num(a, val());
                if !(r > 0.0 && r.is_finite()) {
                    fail("--rate must be above zero");
                }
                o.rate = Some(r);
            }
            "--connections" => o.connections = num(a, val()),
            "--pipeline" => o.pipeline = num(a, val()),
            "--duration" => o.duration = num(a, val()),
            "--warmup" => o.warmup = num(a, val()),
            "--json" => o.json = true,
            "--seed" => o.seed = num(a, val()),
            "--compare" => {
                let v = val();
                let (h, p) = v
                    .rsplit_once(':')
                    .unwrap_or_else(|| fail("--compare needs HOST:PORT"));
                o.compare = Some((h.to_string(), num(a, p.to_string())));
            }
            "--csv" => o.csv = Some(val()),
            "--sweep-maxmemory" => {
                o.sweep = val().split(',').map(|x| x.trim().to_string()).collect();
                if let Some(bad) = o.sweep.iter().find(|x| parse_size(x, 1).is_none()) {
                    fail(&format!("--sweep-maxmemory: {bad:?} is not a size"));
                }
            }
            "--sweep-ratio" => {
                o.sweep_ratio = val()
                    .split(',')
                    .map(|x| match x.trim().parse::<f64>() {
                        Ok(r) if r > 0.0 && r.is_finite() => r,
                        _ => fail(&format!("--sweep-ratio: {x:?} is not a ratio above zero")),
                    })
                    .collect();
            }
            "--out" => o.out = Some(val()),
            _ => fail(&format!("unknown option {a}")),
        }
        i += 1;
    }
    o.work.seed = o.seed;
    if o.keys == 0 || o.connections == 0 || o.pipeline == 0 || o.reads > 100 {
        fail("--keys, --connections and --pipeline are at least 1, --reads at most 100");
    }
    if let Err(e) = o.work.check() {
        fail(&e);
    }
    if !o.sweep.is_empty() && !o.sweep_ratio.is_empty() {
        fail("--sweep-maxmemory and --sweep-ratio are separate runs");
    }
    if o.compare.is_some() && (!o.sweep.is_empty() || !o.sweep_ratio.is_empty()) {
        fail("--compare does not combine with a sweep");
    }
    o
}

/// A `maxmemory` value of a sweep: `N%` of `dataset` bytes, or a size
/// as Redis writes them (`kb`/`mb`/`gb` powers of 1024, `k`/`m`/`g` of
/// 1000, or plain bytes).
fn parse_size(s: &str, dataset: u64) -> Option<u64> {
    if let Some(p) = s.trim().strip_suffix('%') {
        let p: f64 = p.parse().ok()?;
        return (p > 0.0).then(|| (dataset as f64 * p / 100.0) as u64);
    }
    parse_bytes(s)
}

/// Picks key indexes (0-based) following a distribution. Zipf ranks are
/// spread over the key space by a fixed permutation-like multiply, so the
/// hot keys are not all neighbours (which would favour any ordered store).
struct KeyPicker {
    dist: Dist,
    keys: u64,
    zipf: Option<Zipf<f64>>,
    next: u64,
}

impl KeyPicker {
    fn new(dist: Dist, keys: u64, start: u64) -> KeyPicker {
        let zipf = match dist {
            Dist::Zipf(s) => Some(Zipf::new(keys, s).unwrap_or_else(|_| usage())),
            _ => None,
        };
        KeyPicker {
            dist,
            keys,
            zipf,
            next: start,
        }
    }

    fn pick(&mut self, rng: &mut SmallRng) -> u64 {
        match self.dist {
            Dist::Uniform => rng.gen_range(0..self.keys),
            Dist::Sequential => {
                let k = self.next % self.keys;
                self.next += 1;
                k
            }
            Dist::Zipf(_) => {
                let rank = self.zipf.as_ref().map_or(1.0, |z| z.sample(rng)) as u64;
                scatter(rank.saturating_sub(1), self.keys)
            }
            Dist::Hotspot(kp, op) => {
                let hot = ((self.keys as f64 * kp / 100.0) as u64).clamp(1, self.keys);
                let k = if rng.gen_bool((op / 100.0).clamp(0.0, 1.0)) || hot == self.keys {
                    rng.gen_range(0..hot)
                } else {
                    rng.gen_range(hot..self.keys)
                };
                scatter(k, self.keys)
            }
        }
    }
}

/// A bijection of `0..n` (multiplication by an odd constant modulo the
/// next power of two, cycle-walking back into range).
fn scatter(i: u64, n: u64) -> u64 {
    let m = n.next_power_of_two();
    let mut x = i;
    loop {
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1) & (m - 1);
        if x < n {
            return x;
        }
    }
}

/// Writes keys `from..to` once (`--load`, and each step of
/// `--sweep-ratio`), pipelined over up to 16 connections, with a progress
/// line and an ETA on stderr every 2 seconds.
async fn load(o: &Opts, from: u64, to: u64) -> std::io::Result<()> {
    // Keys per batch: up to 256, fewer for large values (about 1 MB per
    // batch), so a batch of big collections does not sit in memory twice.
    let chunk = ((1 << 20) as f64 / o.work.sizes.mean()).clamp(1.0, 256.0) as u64;
    let next = Arc::new(AtomicU64::new(from));
    let done = Arc::new(AtomicU64::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.connections.min(16) {
        let o = o.clone();
        let (next, done, written) = (next.clone(), done.clone(), written.clone());
        let mut c = Conn::connect(&o.host, o.port).await?;
        tasks.push(tokio::spawn(async move {
            let (mut req, mut expect) = (Vec::new(), Vec::new());
            let mut errors = 0;
            loop {
                let lo = next.fetch_add(chunk, Ordering::Relaxed);
                if lo >= to {
                    return Ok::<_, std::io::Error>((errors, c.first_error));
                }
                let hi = (lo + chunk).min(to);
                req.clear();
                expect.clear();
                for i in lo..hi {
                    o.work.load(i, &mut req, &mut expect);
                }
                errors += c.round(&req, &expect).await?.errors;
                done.fetch_add(hi - lo, Ordering::Relaxed);
                written.fetch_add(o.work.dataset_bytes(lo, hi), Ordering::Relaxed);
            }
        }));
    }
    let total = to - from;
    let progress = {
        let (done, written) = (done.clone(), written.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let d = done.load(Ordering::Relaxed).min(total);
                let el = start.elapsed().as_secs_f64();
                let eta = if d > 0 {
                    el * (total - d) as f64 / d as f64
                } else {
                    0.0
                };
                eprintln!(
                    "load: {d}/{total} keys ({:.0}%), {:.1} MB, {:.0} keys/s, ETA {eta:.0}s",
                    100.0 * d as f64 / total as f64,
                    written.load(Ordering::Relaxed) as f64 / 1e6,
                    d as f64 / el.max(1e-9)
                );
                if d >= total {
                    break;
                }
            }
        })
    };
    let (mut errors, mut first) = (0, None);
    for t in tasks {
        let (e, f) = t.await.map_err(std::io::Error::other)??;
        errors += e;
        first = first.or(f);
    }
    progress.abort();
    eprintln!(
        "load: {total} keys ({:.1} MB) in {:.1}s",
        written.load(Ordering::Relaxed) as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    if errors > 0 {
        eprintln!(
            "load: {errors} commands failed, the first with {}",
            first.unwrap_or_default()
        );
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    ops: u64,
    errors: u64,
    reads: u64,
    misses: u64,
    by_type: [u64; 5],
    hist: Option<Histogram<u64>>,
}

/// Runs the mixed workload for `secs`, recording only while `measure` is
/// set. All connections are open before the clock starts.
async fn run(o: &Opts, secs: f64, measure: bool) -> std::io::Result<(Totals, f64, Vec<u64>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut conns = Vec::new();
    for _ in 0..o.connections {
        conns.push(Conn::connect(&o.host, o.port).await?);
    }
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for (c_idx, mut c) in conns.into_iter().enumerate() {
        let o = o.clone();
        let stop = stop.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                SmallRng::seed_from_u64(o.seed.wrapping_mul(1000).wrapping_add(c_idx as u64));
            let mut picker = KeyPicker::new(o.dist.clone(), o.keys, c_idx as u64 * 7919);
            let pacer = o
                .rate
                .map(|r| Pacer::new(r, o.connections, c_idx, o.pipeline));
            let mut t = Totals {
                hist: Some(
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                        .map_err(std::io::Error::other)?,
                ),
                ..Default::default()
            };
            let (mut req, mut expect) = (Vec::new(), Vec::new());
            let mut batch = 0u64;
            while !stop.load(Ordering::Relaxed) {
                req.clear();
                expect.clear();
                let (mut kinds, mut reads) = ([0u64; 5], 0);
                for _ in 0..o.pipeline {
                    let k = picker.pick(&mut rng);
                    let read = rng.gen_range(0..100) < o.reads;
                    let kind = o.work.op(k, read, &mut rng, &mut req, &mut expect);
                    kinds[kind.index()] += 1;
                    reads += u64::from(read);
                }
                // Open loop: the batch's scheduled time, however late it
                // is sent; closed loop: now.
                let intended = match &pacer {
                    Some(p) => {
                        let due = start + p.due(batch);
                        batch += 1;
                        if due >= end {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let r = c.round(&req, &expect).await?;
                let us = intended.elapsed().as_micros().max(1) as u64;
                if let Some(h) = t.hist.as_mut() {
                    let _ = h.record_n(us, o.pipeline as u64);
                }
                t.errors += r.errors;
                t.misses += r.misses;
                t.reads += reads;
                for (a, b) in t.by_type.iter_mut().zip(kinds) {
                    *a += b;
                }
                t.ops += o.pipeline as u64;
                done.fetch_add(o.pipeline as u64, Ordering::Relaxed);
            }
            Ok::<Totals, std::io::Error>(t)
        }));
    }
    // Operations completed in each whole second of the run.
    let mut series = Vec::new();
    let mut last = 0;
    let whole = secs.floor() as u64;
    for i in 1..=whole {
        let at = start + Duration::from_secs(i);
        tokio::time::sleep_until(at.into()).await;
        let now = done.load(Ordering::Relaxed);
        series.push(now - last);
        last = now;
    }
    tokio::time::sleep_until(end.into()).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let mut all = Totals::default();
    for t in tasks {
        let t = t.await.map_err(std::io::Error::other)??;
        all.ops += t.ops;
        all.errors += t.errors;
        all.reads += t.reads;
        all.misses += t.misses;
        for (a, b) in all.by_type.iter_mut().zip(t.by_type) {
            *a += b;
        }
        if measure {
            match (&mut all.hist, t.hist) {
                (Some(a), Some(b)) => {
                    let _ = a.add(&b);
                }
                (a @ None, b) => *a = b,
                _ => {}
            }
        }
    }
    Ok((all, elapsed, series))
}

/// `INFO` as field -> value (all sections).
async fn info(o: &Opts) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    if let Ok(mut c) = Conn::connect(&o.host, o.port).await {
        if let Ok(r) = c.cmd(&[b"INFO", b"everything"]).await {
            for l in String::from_utf8_lossy(&r).lines() {
                if let Some((k, v)) = l.split_once(':') {
                    out.insert(k.to_string(), v.trim().to_string());
                }
            }
        }
    }
    out
}

fn num(m: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    m.get(k).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// `keys=` of INFO keyspace's `db0:keys=N,expires=M,avg_ttl=T` (0 if empty).
fn db_keys(m: &std::collections::HashMap<String, String>) -> u64 {
    m.get("db0")
        .and_then(|v| v.split(',').find_map(|f| f.strip_prefix("keys=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Load (if asked), warm-up and measurement against the server of `o`.
async fn measure(o: &Opts) -> Result<Report, String> {
    if o.load {
        load(o, 0, o.keys)
            .await
            .map_err(|e| format!("load failed: {e}"))?;
    }
    if o.warmup > 0.0 {
        run(o, o.warmup, false)
            .await
            .map_err(|e| format!("warm-up failed: {e}"))?;
    }
    let before = info(o).await;
    let (t, secs, series) = run(o, o.duration, true)
        .await
        .map_err(|e| format!("run failed: {e}"))?;
    let after = info(o).await;
    let curve = advise::curve(&o.host, o.port).await;
    let d = |k: &str| num(&after, k) - num(&before, k);
    let hot = d("hot_hits");
    let cold = d("cold_hits");
    let hit_ratio = if hot + cold > 0.0 {
        hot / (hot + cold)
    } else {
        1.0
    };
    let h = t
        .hist
        .unwrap_or_else(|| Histogram::new(3).expect("histogram"));
    let q = |p: f64| h.value_at_quantile(p);
    let cdf = latency_cdf(&h);
    Ok(Report {
        server: format!("{}:{}", o.host, o.port),
        ops: t.ops,
        secs,
        ops_s: t.ops as f64 / secs,
        target_rate: o.rate.unwrap_or(0.0),
        errors: t.errors,
        reads: t.reads,
        nils: t.misses,
        by_type: t.by_type,
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        max: h.max(),
        hit_ratio,
        // The server's estimate at its own size; a maxmemory sweep
        // replaces it with the first run's curve at this run's size.
        estimated: advise::at(&curve, num(&after, "maxmemory") as u64)
            .filter(|_| num(&after, "maxmemory") > 0.0),
        curve,
        hot,
        cold,
        used: num(&after, "used_memory"),
        tiered_keys: num(&after, "hot_keys") + num(&after, "cold_keys"),
        db_keys: db_keys(&after),
        cold_keys: num(&after, "cold_keys"),
        disk: num(&after, "cold_bytes_on_disk"),
        series,
        cdf,
        keys: o.keys,
        dataset_bytes: o.work.dataset_bytes(0, o.keys),
        ..Default::default()
    })
}

/// Prints a run's figures (text, and JSON with `--json`).
/// The latency CDF of `h` up to p99.9: (latency µs, fraction of
/// commands at or under it), one point per percent and at p99, p99.5 and
/// p99.9, latencies non-decreasing.
fn latency_cdf(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let mut cdf: Vec<(f64, f64)> = (0..=98)
        .map(|i| i as f64 / 100.0)
        .chain([0.99, 0.995, 0.999])
        .map(|f| (h.value_at_quantile(f) as f64, f))
        .collect();
    // Equal latencies at neighbouring fractions: keep the highest fraction.
    cdf.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = later.1;
        }
        same
    });
    cdf
}

fn show(o: &Opts, r: &Report) {
    r.print();
    if o.json {
        println!("{}", r.json());
    }
}

#[tokio::main]
async fn main() {
    let o = parse_args();
    if !o.sweep.is_empty() {
        sweep::maxmemory(&o).await;
        return;
    }
    if !o.sweep_ratio.is_empty() {
        sweep::ratio(&o).await;
        return;
    }
    let mut reports = Vec::new();
    let mut targets = vec![o.clone()];
    if let Some((host, port)) = &o.compare {
        let mut other = o.clone();
        other.host = host.clone();
        other.port = *port;
        targets.push(other);
    }
    for t in &targets {
        match measure(t).await {
            Ok(r) => {
                show(&o, &r);
                reports.push(r);
            }
            Err(e) => {
                eprintln!("{}:{}: {e}", t.host, t.port);
                std::process::exit(1);
            }
        }
    }
    if let [a, b] = &reports[..] {
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
        println!(
            "ratio {} / {}: ops/s {:.2}, p50 {:.2}, p99 {:.2}",
            a.server,
            b.server,
            ratio(a.ops_s, b.ops_s),
            ratio(a.p50 as f64, b.p50 as f64),
            ratio(a.p99 as f64, b.p99 as f64)
        );
    }
    sweep::finish(&o, &reports, sweep::Sweep::None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_percentiles_and_cdf_follow_the_recorded_values() {
        // 1..=10000 µs once each: the p-quantile is about p * 10000.
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for v in 1..=10_000u64 {
            h.record(v).expect("record");
        }
        for p in [0.5, 0.9, 0.99, 0.999] {
            let got = h.value_at_quantile(p) as f64;
            let want = p * 10_000.0;
            // Three significant digits: within 0.1%, plus one step.
            assert!((got - want).abs() <= want * 0.001 + 1.0, "p{p}: {got}");
        }
        let cdf = latency_cdf(&h);
        assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        assert_eq!(cdf.last().map(|p| p.1), Some(0.999));
        for &(lat, f) in &cdf {
            assert!((lat / 10_000.0 - f).abs() < 0.002, "{lat} at {f}");
        }
        // One latency only: one point, at the highest fraction.
        let mut one = Histogram::<u64>::new(3).expect("histogram");
        one.record_n(250, 100).expect("record");
        assert_eq!(latency_cdf(&one), vec![(250.0, 0.999)]);
    }

    #[test]
    fn scatter_is_a_bijection() {
        for n in [1u64, 2, 7, 100, 1000] {
            let mut seen: Vec<u64> = (0..n).map(|i| scatter(i, n)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn zipf_frequencies_follow_theory() {
        // P(rank k) = k^-s / H(n, s).
        let (n, s) = (1000u64, 0.99);
        let mut p = KeyPicker::new(Dist::Zipf(s), n, 0);
        let mut rng = SmallRng::seed_from_u64(3);
        let draws = 400_000;
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            counts[p.pick(&mut rng) as usize] += 1;
        }
        let h: f64 = (1..=n).map(|k| (k as f64).powf(-s)).sum();
        for rank in [1u64, 2, 10, 100] {
            let want = draws as f64 * (rank as f64).powf(-s) / h;
            let got = counts[scatter(rank - 1, n) as usize] as f64;
            assert!(
                (got - want).abs() / want < 0.1,
                "rank {rank}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn sizes_parse_as_redis_writes_them() {
        assert_eq!(parse_size("64mb", 0), Some(64 << 20));
        assert_eq!(parse_size("2k", 0), Some(2000));
        assert_eq!(parse_size("1GB", 0), Some(1 << 30));
        assert_eq!(parse_size("12345", 0), Some(12345));
        assert_eq!(parse_size("25%", 1000), Some(250));
        assert_eq!(parse_size("x", 0), None);
        assert_eq!(parse_size("-5%", 10), None);
    }
}
