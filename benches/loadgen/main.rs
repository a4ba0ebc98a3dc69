//! `valkey-tiered-bench`: a load generator for any RESP server (ours,
//! Valkey, Redis), for sizing tiered deployments: key distributions that
//! look like real workloads (Zipf, uniform, hotspot), a load phase, a
//! measured phase with HDR latency histograms, and the server's own
//! tiering counters before and after.
//!
//! ```text
//! valkey-tiered-bench --port 6379 --keys 2000000 --value-size 1000 \
//!     --load --dist zipf:0.99 --reads 90 --connections 32 --pipeline 4 \
//!     --duration 30
//! ```
//!
//! Closed loop: each connection keeps `--pipeline` requests in flight and
//! sends the next batch when the last reply of the previous one arrives.
//! Latency is measured per request, from the send of its batch to its
//! reply. The result is printed as text and as one JSON line (`--json`).

mod report;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    value_size: usize,
    load: bool,
    dist: Dist,
    reads: u32,
    connections: usize,
    pipeline: usize,
    duration: f64,
    warmup: f64,
    json: bool,
    seed: u64,
    /// A second server to run the same workload against, after the first.
    compare: Option<(String, u16)>,
    /// Where to write every figure as CSV (one row per server).
    csv: Option<String>,
    /// `maxmemory` values to measure at, one run each (sizes or N%).
    sweep: Vec<String>,
    /// Directory for the report files (JSON, CSV, SVG, Markdown).
    out: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: valkey-tiered-bench [--host H] [--port P] [--keys N] [--value-size B] [--load]
       [--dist uniform|zipf:S|hotspot:KEYS%:OPS%|sequential] [--reads PCT]
       [--connections C] [--pipeline D] [--warmup SECS] [--duration SECS] [--json] [--seed N]
       [--compare HOST:PORT] [--csv FILE] [--sweep-maxmemory SIZE,SIZE,...] [--out DIR]"
    );
    std::process::exit(2)
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
        value_size: 100,
        load: false,
        dist: Dist::Uniform,
        reads: 90,
        connections: 16,
        pipeline: 1,
        duration: 10.0,
        warmup: 2.0,
        json: false,
        seed: 1,
        compare: None,
        csv: None,
        sweep: Vec::new(),
        out: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut val = || {
            i += 1;
            args.get(i).cloned().unwrap_or_else(|| usage())
        };
        match a {
            "--host" => o.host = val(),
            "--port" => o.port = val().parse().unwrap_or_else(|_| usage()),
            "--keys" => o.keys = val().parse().unwrap_or_else(|_| usage()),
            "--value-size" => o.value_size = val().parse().unwrap_or_else(|_| usage()),
            "--load" => o.load = true,
            "--dist" => o.dist = parse_dist(&val()).unwrap_or_else(|| usage()),
            "--reads" => o.reads = val().parse().unwrap_or_else(|_| usage()),
            "--connections" => o.connections = val().parse().unwrap_or_else(|_| usage()),
            "--pipeline" => o.pipeline = val().parse().unwrap_or_else(|_| usage()),
            "--duration" => o.duration = val().parse().unwrap_or_else(|_| usage()),
            "--warmup" => o.warmup = val().parse().unwrap_or_else(|_| usage()),
            "--json" => o.json = true,
            "--seed" => o.seed = val().parse().unwrap_or_else(|_| usage()),
            "--compare" => {
                let v = val();
                let (h, p) = v.rsplit_once(':').unwrap_or_else(|| usage());
                o.compare = Some((h.to_string(), p.parse().unwrap_or_else(|_| usage())));
            }
            "--csv" => o.csv = Some(val()),
            "--sweep-maxmemory" => {
                o.sweep = val().split(',').map(|x| x.trim().to_string()).collect();
                let dataset = 1;
                if o.sweep.iter().any(|x| parse_size(x, dataset).is_none()) {
                    usage();
                }
            }
            "--out" => o.out = Some(val()),
            _ => usage(),
        }
        i += 1;
    }
    if o.keys == 0 || o.connections == 0 || o.pipeline == 0 || o.reads > 100 {
        usage();
    }
    o
}

/// A `maxmemory` value of a sweep: `N%` of `dataset` bytes, or a size
/// as Redis writes them (`kb`/`mb`/`gb` powers of 1024, `k`/`m`/`g` of
/// 1000, or plain bytes).
fn parse_size(s: &str, dataset: u64) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    if let Some(p) = l.strip_suffix('%') {
        let p: f64 = p.parse().ok()?;
        return (p > 0.0).then(|| (dataset as f64 * p / 100.0) as u64);
    }
    let units = [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1_000),
        ("b", 1),
    ];
    for (u, m) in units {
        if let Some(n) = l.strip_suffix(u) {
            return n.parse::<u64>().ok()?.checked_mul(m);
        }
    }
    l.parse().ok()
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

fn key_name(i: u64) -> String {
    format!("key:{i:012}")
}

fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Length of the complete reply at the start of `b`, if it is complete.
fn reply_len(b: &[u8]) -> Option<usize> {
    let end = b.windows(2).position(|w| w == b"\r\n")?;
    let line = &b[1..end];
    match b.first()? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' => Some(end + 2),
        b'$' => {
            let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
            if n < 0 {
                return Some(end + 2);
            }
            let total = end + 2 + n as usize + 2;
            (b.len() >= total).then_some(total)
        }
        b'*' => {
            let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
            let mut at = end + 2;
            for _ in 0..n.max(0) {
                at += reply_len(&b[at..])?;
            }
            Some(at)
        }
        _ => None,
    }
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(o: &Opts) -> std::io::Result<Conn> {
        let s = TcpStream::connect((o.host.as_str(), o.port)).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            s,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Reads until a complete reply is buffered and returns its length.
    async fn next_reply(&mut self) -> std::io::Result<usize> {
        loop {
            if let Some(len) = reply_len(&self.buf) {
                return Ok(len);
            }
            let mut chunk = [0u8; 65536];
            let r = self.s.read(&mut chunk).await?;
            if r == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..r]);
        }
    }

    /// Sends `req` and reads `n` replies; returns how many were errors.
    async fn round(&mut self, req: &[u8], n: usize) -> std::io::Result<usize> {
        self.s.write_all(req).await?;
        let mut errors = 0;
        for _ in 0..n {
            let len = self.next_reply().await?;
            if self.buf[0] == b'-' {
                errors += 1;
            }
            self.buf.drain(..len);
        }
        Ok(errors)
    }

    async fn cmd(&mut self, args: &[&[u8]]) -> std::io::Result<Vec<u8>> {
        let mut req = Vec::new();
        encode(&mut req, args);
        self.s.write_all(&req).await?;
        let len = self.next_reply().await?;
        Ok(self.buf.drain(..len).collect())
    }
}

fn value_of(size: usize, i: u64) -> Vec<u8> {
    let mut v = format!("{i:012}:").into_bytes();
    let mut x = i | 1;
    while v.len() < size {
        // Text that compresses like typical cached payloads (not zeros).
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize]);
    }
    v.truncate(size.max(1));
    v
}

/// Writes every key once (`--load`), pipelined, with a progress line.
async fn load(o: &Opts) -> std::io::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.connections.min(16) {
        let o = o.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(&o).await?;
            let mut req = Vec::new();
            loop {
                let from = next.fetch_add(256, Ordering::Relaxed);
                if from >= o.keys {
                    return Ok::<(), std::io::Error>(());
                }
                let to = (from + 256).min(o.keys);
                req.clear();
                for i in from..to {
                    encode(
                        &mut req,
                        &[b"SET", key_name(i).as_bytes(), &value_of(o.value_size, i)],
                    );
                }
                c.round(&req, (to - from) as usize).await?;
            }
        }));
    }
    let total = o.keys;
    let progress = {
        let next = next.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let done = next.load(Ordering::Relaxed).min(total);
                let el = start.elapsed().as_secs_f64();
                let eta = if done > 0 {
                    el * (total - done) as f64 / done as f64
                } else {
                    0.0
                };
                eprintln!(
                    "load: {done}/{total} keys ({:.0}%), {:.0} keys/s, ETA {eta:.0}s",
                    100.0 * done as f64 / total as f64,
                    done as f64 / el.max(1e-9)
                );
                if done >= total {
                    break;
                }
            }
        })
    };
    for t in tasks {
        t.await.map_err(std::io::Error::other)??;
    }
    progress.abort();
    eprintln!(
        "load: {total} keys in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Default)]
struct Totals {
    ops: u64,
    errors: u64,
    hist: Option<Histogram<u64>>,
}

/// Runs the mixed workload for `secs`, recording only while `measure` is
/// set.
async fn run(o: &Opts, secs: f64, measure: bool) -> std::io::Result<(Totals, f64, Vec<u64>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c_idx in 0..o.connections {
        let o = o.clone();
        let stop = stop.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                SmallRng::seed_from_u64(o.seed.wrapping_mul(1000).wrapping_add(c_idx as u64));
            let mut picker = KeyPicker::new(o.dist.clone(), o.keys, c_idx as u64 * 7919);
            let mut c = Conn::connect(&o).await?;
            let mut t = Totals {
                hist: Some(
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                        .map_err(std::io::Error::other)?,
                ),
                ..Default::default()
            };
            let mut req = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                req.clear();
                for _ in 0..o.pipeline {
                    let k = picker.pick(&mut rng);
                    let key = key_name(k);
                    if rng.gen_range(0..100) < o.reads {
                        encode(&mut req, &[b"GET", key.as_bytes()]);
                    } else {
                        encode(
                            &mut req,
                            &[b"SET", key.as_bytes(), &value_of(o.value_size, k)],
                        );
                    }
                }
                let sent = Instant::now();
                t.errors += c.round(&req, o.pipeline).await? as u64;
                let us = sent.elapsed().as_micros().max(1) as u64;
                if let Some(h) = t.hist.as_mut() {
                    let _ = h.record_n(us, o.pipeline as u64);
                }
                t.ops += o.pipeline as u64;
                done.fetch_add(o.pipeline as u64, Ordering::Relaxed);
            }
            Ok::<Totals, std::io::Error>(t)
        }));
    }
    let start = Instant::now();
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
    tokio::time::sleep_until((start + Duration::from_secs_f64(secs)).into()).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let mut all = Totals::default();
    for t in tasks {
        let t = t.await.map_err(std::io::Error::other)??;
        all.ops += t.ops;
        all.errors += t.errors;
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
    if let Ok(mut c) = Conn::connect(o).await {
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

/// The figures of one measured run against one server.
struct Report {
    server: String,
    ops: u64,
    secs: f64,
    ops_s: f64,
    errors: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    max: u64,
    hit_ratio: f64,
    hot: f64,
    cold: f64,
    used: f64,
    keys: f64,
    cold_keys: f64,
    disk: f64,
    /// Operations completed in each second of the measurement.
    series: Vec<u64>,
    /// (latency µs, fraction of commands at or under it), to p99.9.
    cdf: Vec<(f64, f64)>,
    /// `maxmemory` set for this run by a sweep (0: none), and its share of
    /// the logical dataset (keys × value size).
    maxmemory: u64,
    ram_fraction: f64,
}

/// The figures of a report, in CSV column and JSON field order.
const FIELDS: [&str; 16] = [
    "server",
    "ops",
    "seconds",
    "ops_per_sec",
    "errors",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "hot_hit_ratio",
    "used_memory",
    "cold_keys",
    "cold_bytes_on_disk",
    "maxmemory",
    "ram_fraction",
];

fn csv_header() -> String {
    FIELDS.join(",")
}

impl Report {
    /// The values of [`FIELDS`], formatted.
    fn values(&self) -> [String; 16] {
        [
            self.server.clone(),
            self.ops.to_string(),
            format!("{:.3}", self.secs),
            format!("{:.1}", self.ops_s),
            self.errors.to_string(),
            self.p50.to_string(),
            self.p90.to_string(),
            self.p99.to_string(),
            self.p999.to_string(),
            self.max.to_string(),
            format!("{:.4}", self.hit_ratio),
            format!("{:.0}", self.used),
            self.cold_keys.to_string(),
            self.disk.to_string(),
            self.maxmemory.to_string(),
            format!("{:.4}", self.ram_fraction),
        ]
    }

    fn csv_row(&self) -> String {
        self.values().join(",")
    }

    fn json(&self) -> String {
        let mut out = String::from("{");
        for (name, v) in FIELDS.iter().zip(self.values()) {
            if *name == "server" {
                out.push_str(&format!("\"{name}\":\"{v}\","));
            } else {
                out.push_str(&format!("\"{name}\":{v},"));
            }
        }
        let series: Vec<String> = self.series.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "\"ops_per_second_series\":[{}]}}",
            series.join(",")
        ));
        out
    }

    fn print(&self) {
        let r = self;
        println!(
            "{}: {} ops in {:.1}s: {:.0} ops/s, errors {}; latency us p50 {} p90 {} p99 {} p99.9 {} max {}",
            r.server, r.ops, r.secs, r.ops_s, r.errors, r.p50, r.p90, r.p99, r.p999, r.max
        );
        println!(
            "server: used_memory {:.0}, hot hit ratio {:.3} ({:.0} hot / {:.0} cold), cold_keys {}, cold_bytes_on_disk {}, ram/key {:.1}",
            r.used,
            r.hit_ratio,
            r.hot,
            r.cold,
            r.cold_keys,
            r.disk,
            if r.keys > 0.0 { r.used / r.keys } else { 0.0 }
        );
    }
}

/// Load (if asked), warm-up and measurement against the server of `o`.
async fn measure(o: &Opts) -> Result<Report, String> {
    if o.load {
        load(o).await.map_err(|e| format!("load failed: {e}"))?;
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
    let mut cdf: Vec<(f64, f64)> = (0..=98)
        .map(|i| i as f64 / 100.0)
        .collect::<Vec<_>>()
        .into_iter()
        .chain([0.99, 0.995, 0.999])
        .map(|f| (q(f) as f64, f))
        .collect();
    // Equal latencies at neighbouring fractions: keep the highest fraction.
    cdf.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = later.1;
        }
        same
    });
    Ok(Report {
        server: format!("{}:{}", o.host, o.port),
        ops: t.ops,
        secs,
        ops_s: t.ops as f64 / secs,
        errors: t.errors,
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        max: h.max(),
        hit_ratio,
        hot,
        cold,
        used: num(&after, "used_memory"),
        keys: num(&after, "hot_keys") + num(&after, "cold_keys"),
        cold_keys: num(&after, "cold_keys"),
        disk: num(&after, "cold_bytes_on_disk"),
        series,
        cdf,
        maxmemory: 0,
        ram_fraction: 0.0,
    })
}

#[tokio::main]
async fn main() {
    let o = parse_args();
    if !o.sweep.is_empty() {
        sweep(&o).await;
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
                r.print();
                if o.json {
                    println!("{}", r.json());
                }
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
    finish(&o, &reports, false);
}

/// `--csv` and `--out` for the runs of `reports`.
fn finish(o: &Opts, reports: &[Report], sweep: bool) {
    if let Some(dir) = &o.out {
        let points: Vec<report::Point> = reports
            .iter()
            .map(|r| report::Point {
                label: if sweep {
                    format!("maxmemory {}", r.maxmemory)
                } else {
                    r.server.clone()
                },
                maxmemory: r.maxmemory,
                ram_fraction: r.ram_fraction,
                ops_s: r.ops_s,
                p50: r.p50,
                p99: r.p99,
                p999: r.p999,
                hit_ratio: r.hit_ratio,
                errors: r.errors,
                cdf: r.cdf.clone(),
                json: r.json(),
                csv_row: r.csv_row(),
            })
            .collect();
        match report::write_all(dir, &csv_header(), &points, sweep) {
            Ok(files) => eprintln!("wrote {}", files.join(", ")),
            Err(e) => {
                eprintln!("cannot write the report to {dir}: {e}");
                std::process::exit(1);
            }
        }
    }
    if let Some(path) = &o.csv {
        let mut text = csv_header();
        text.push('\n');
        for r in reports {
            text.push_str(&r.csv_row());
            text.push('\n');
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}

/// `--sweep-maxmemory`: loads (if asked) once, then for each size sets
/// `maxmemory` with CONFIG SET and measures (warm-up included). Meant for
/// our server with tiering on, where a smaller `maxmemory` moves values to
/// the cold tier instead of evicting them; sizes from large to small need
/// no reload in between.
async fn sweep(o: &Opts) {
    if o.load {
        if let Err(e) = load(o).await {
            eprintln!("load failed: {e}");
            std::process::exit(1);
        }
    }
    let dataset = o.keys * o.value_size as u64;
    let mut reports = Vec::new();
    for spec in &o.sweep {
        let Some(bytes) = parse_size(spec, dataset).filter(|&b| b > 0) else {
            // 0 would mean "no limit" to the server.
            eprintln!("--sweep-maxmemory {spec}: not a size above zero");
            std::process::exit(2);
        };
        let set = async {
            let mut c = Conn::connect(o).await?;
            c.cmd(&[
                b"CONFIG",
                b"SET",
                b"maxmemory",
                bytes.to_string().as_bytes(),
            ])
            .await
        };
        match set.await {
            Ok(r) if r.starts_with(b"+OK") => {}
            Ok(r) => {
                eprintln!(
                    "CONFIG SET maxmemory {bytes}: {}",
                    String::from_utf8_lossy(&r).trim()
                );
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("CONFIG SET maxmemory {bytes}: {e}");
                std::process::exit(1);
            }
        }
        let mut run_opts = o.clone();
        run_opts.load = false;
        match measure(&run_opts).await {
            Ok(mut r) => {
                r.maxmemory = bytes;
                r.ram_fraction = bytes as f64 / dataset.max(1) as f64;
                println!(
                    "maxmemory {bytes} ({:.1}% of the dataset):",
                    100.0 * r.ram_fraction
                );
                r.print();
                if o.json {
                    println!("{}", r.json());
                }
                reports.push(r);
            }
            Err(e) => {
                eprintln!("maxmemory {bytes}: {e}");
                std::process::exit(1);
            }
        }
    }
    finish(o, &reports, true);
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn replies_are_framed() {
        assert_eq!(reply_len(b"+OK\r\n"), Some(5));
        assert_eq!(reply_len(b"$3\r\nabc\r\n"), Some(9));
        assert_eq!(reply_len(b"$3\r\nab"), None);
        assert_eq!(reply_len(b"$-1\r\n"), Some(5));
        assert_eq!(reply_len(b"*2\r\n:1\r\n$1\r\na\r\n"), Some(15));
    }
}
