//! The load generator end to end, small: against our server and, with
//! `--compare`, redis-server in the same run; its JSON lines, CSV file
//! and ratio line are produced and consistent; the keys it loads have the
//! types, sizes and expiries asked for; `--rate` holds the rate down;
//! the sweeps leave their reports. Not a timing test: only shapes and
//! sanity (operations were done, no errors, upper bounds) are checked.

mod common;
use common::*;

use std::process::Command;

/// The value of numeric field `name` in a one-line JSON object.
fn json_num(line: &str, name: &str) -> f64 {
    let tag = format!("\"{name}\":");
    let at = line
        .find(&tag)
        .unwrap_or_else(|| panic!("{name} in {line}"))
        + tag.len();
    let rest = &line[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("{name} in {line}"))
}

#[test]
fn loadgen_reports_json_csv_and_ratios() {
    let ours = Server::start(&[]);
    let reference = Server::start_reference(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("run.csv");
    let port = ours.port.to_string();
    let mut args = vec![
        "--port",
        port.as_str(),
        "--keys",
        "2000",
        "--value-size",
        "64",
        "--load",
        "--dist",
        "zipf:0.99",
        "--reads",
        "80",
        "--connections",
        "4",
        "--warmup",
        "0",
        "--duration",
        "1.5",
        "--json",
        "--csv",
    ];
    let csv_path = csv.to_string_lossy().into_owned();
    args.push(&csv_path);
    let compare = reference.as_ref().map(|r| format!("127.0.0.1:{}", r.port));
    if let Some(c) = &compare {
        args.extend(["--compare", c.as_str()]);
    }
    let stdout = bench(&args);
    let servers = 1 + usize::from(compare.is_some());
    let json: Vec<&str> = stdout.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(json.len(), servers, "{stdout}");
    for line in &json {
        assert!(json_num(line, "ops") > 0.0, "{line}");
        assert_eq!(json_num(line, "errors"), 0.0, "{line}");
        let (p50, p99, max) = (
            json_num(line, "p50_us"),
            json_num(line, "p99_us"),
            json_num(line, "max_us"),
        );
        assert!(p50 <= p99 && p99 <= max, "{line}");
        // One whole second measured: one entry in the series.
        let series = line
            .split("\"ops_per_second_series\":[")
            .nth(1)
            .expect("series");
        assert_eq!(
            series.trim_end_matches("]}").split(',').count(),
            1,
            "{line}"
        );
    }
    assert!(json[0].contains(&format!("\"server\":\"127.0.0.1:{port}\"")));
    let text = std::fs::read_to_string(&csv).expect("CSV written");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + servers, "{text}");
    let width = rows[0].split(',').count();
    assert!(
        rows[0].starts_with("server,ops,seconds,ops_per_sec"),
        "{text}"
    );
    for r in &rows[1..] {
        assert_eq!(r.split(',').count(), width, "{text}");
    }
    // The loaded keys are there.
    let mut c = ours.conn();
    assert_eq!(show(&c.cmd(&["DBSIZE"])), ":2000\\r\\n");
    if compare.is_some() {
        assert!(stdout.lines().any(|l| l.starts_with("ratio ")), "{stdout}");
    }
}

/// `used_memory` from INFO.
fn used_memory(c: &mut Conn) -> u64 {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "memory"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

/// A small `maxmemory` sweep against our server with tiering on leaves a
/// Markdown report, JSON, CSV and SVG charts, one point per size.
#[test]
fn loadgen_sweep_writes_a_report() {
    let ours = Server::start(&["--tiering", "yes"]);
    let mut c = ours.conn();
    let base = used_memory(&mut c);
    let sizes = [base + (8 << 20), base + (1 << 20)];
    let sweep = format!("{},{}", sizes[0], sizes[1]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let out_s = out.to_string_lossy().into_owned();
    let port = ours.port.to_string();
    bench(&[
        "--port",
        &port,
        "--keys",
        "3000",
        "--value-size",
        "1000",
        "--load",
        "--dist",
        "zipf:0.99",
        "--reads",
        "100",
        "--connections",
        "4",
        "--warmup",
        "0",
        "--duration",
        "1.2",
        "--sweep-maxmemory",
        &sweep,
        "--out",
        &out_s,
    ]);
    let read =
        |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let json = read("results.json");
    assert!(
        json.trim_start().starts_with('[') && json.trim_end().ends_with(']'),
        "{json}"
    );
    assert_eq!(json.matches("\"server\":").count(), 2, "{json}");
    let csv = read("results.csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "maxmemory")
        .expect("maxmemory column");
    let errors = header
        .iter()
        .position(|h| *h == "errors")
        .expect("errors column");
    let estimated = header
        .iter()
        .position(|h| *h == "estimated_hit_ratio")
        .expect("estimated_hit_ratio column");
    // The server's estimate, once it has one (a short run may end first).
    let mut estimates = 0;
    for (row, size) in rows[1..].iter().zip(sizes) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), header.len(), "{csv}");
        assert_eq!(f[col], size.to_string(), "{csv}");
        assert_eq!(f[errors], "0", "{csv}");
        if f[estimated] != "null" {
            let e: f64 = f[estimated].parse().expect("a ratio");
            assert!((0.0..=1.0).contains(&e), "{csv}");
            estimates += 1;
        }
    }
    for chart in ["throughput.svg", "p99.svg", "hit_ratio.svg"] {
        let svg = read(chart);
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart}"
        );
        let extra = if chart == "hit_ratio.svg" {
            estimates
        } else {
            0
        };
        assert_eq!(
            svg.matches("<circle").count(),
            2 + extra,
            "{chart}: one dot per size (and per estimate)"
        );
        assert!(!svg.contains("NaN"), "{chart}");
    }
    let cdf = read("latency_cdf.svg");
    assert_eq!(cdf.matches("<polyline").count(), 2, "one curve per size");
    let md = read("report.md");
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with(&format!("| {}", sizes[0]))
                || l.starts_with(&format!("| {}", sizes[1])))
            .count(),
        2,
        "{md}"
    );
    for link in [
        "throughput.svg",
        "p99.svg",
        "hit_ratio.svg",
        "latency_cdf.svg",
    ] {
        assert!(md.contains(link), "{md}");
    }
    // The last size was applied.
    let got = String::from_utf8_lossy(&c.cmd(&["CONFIG", "GET", "maxmemory"])).into_owned();
    assert!(got.contains(&sizes[1].to_string()), "{got}");
}

/// Runs the load generator with `args`; returns its stdout, or panics
/// with its output if it failed.
fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_valkey-tiered-bench"))
        .args(args)
        .output()
        .expect("run the load generator");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The one JSON line of a run.
fn json_line(stdout: &str) -> &str {
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    lines[0]
}

/// Every key of type `t`, by SCAN ... TYPE.
fn scan_type(c: &mut Conn, t: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let r = Value::parse(&c.cmd(&["SCAN", &cursor, "TYPE", t, "COUNT", "1000"]));
        let [next, batch] = r.items() else {
            panic!("SCAN: {r:?}")
        };
        keys.extend(batch.items().iter().map(Value::text));
        cursor = next.text();
        if cursor == "0" {
            return keys;
        }
    }
}

/// The logical size of `key` as the generator counts it: the string's
/// length, or the summed lengths of hash values, list elements, set or
/// sorted-set members.
fn logical_size(c: &mut Conn, t: &str, key: &str) -> usize {
    let sum = |v: Value| v.items().iter().map(|x| x.text().len()).sum();
    match t {
        "string" => Value::parse(&c.cmd(&["STRLEN", key]))
            .int()
            .expect("STRLEN") as usize,
        "hash" => sum(Value::parse(&c.cmd(&["HVALS", key]))),
        "list" => sum(Value::parse(&c.cmd(&["LRANGE", key, "0", "-1"]))),
        "set" => sum(Value::parse(&c.cmd(&["SMEMBERS", key]))),
        _ => sum(Value::parse(&c.cmd(&["ZRANGE", key, "0", "-1"]))),
    }
}

/// `keys` and `expires` of db0 from INFO keyspace.
fn keyspace(c: &mut Conn) -> (u64, u64) {
    let info = Value::parse(&c.cmd(&["INFO", "keyspace"])).text();
    let db0 = info
        .lines()
        .find_map(|l| l.strip_prefix("db0:"))
        .unwrap_or_else(|| panic!("{info}"));
    let field = |name: &str| -> u64 {
        db0.split(',')
            .find_map(|f| f.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {db0}"))
    };
    (field("keys="), field("expires="))
}

/// A run with every data type, histogram value sizes and a TTL share
/// leaves keys of each type in about the shares asked for, each of one
/// of the histogram's sizes, about 30% with an expiry; reads found every
/// key (no expiry within the run) and nothing failed.
fn mixed_run_leaves_the_asked_dataset(server: &Server) {
    let port = server.port.to_string();
    // Sizes that are multiples of --field-size (or below it) give lists
    // of equal elements, so the rotating list writes keep sizes exact.
    let sizes = [40usize, 300, 1000];
    let shares = [
        ("string", 0.4),
        ("hash", 0.15),
        ("list", 0.15),
        ("set", 0.15),
        ("zset", 0.15),
    ];
    let keys = 2000;
    let stdout = bench(&[
        "--port",
        &port,
        "--keys",
        &keys.to_string(),
        "--value-size",
        "hist:40:2,300:1,1000:1",
        "--field-size",
        "100",
        "--types",
        "string:40,hash:15,list:15,set:15,zset:15",
        "--ttl",
        "30:3600",
        "--load",
        "--reads",
        "70",
        "--connections",
        "4",
        "--warmup",
        "0",
        "--duration",
        "1.2",
        "--json",
    ]);
    let line = json_line(&stdout);
    assert_eq!(json_num(line, "errors"), 0.0, "{line}");
    assert_eq!(json_num(line, "nil_replies"), 0.0, "{line}");
    assert_eq!(json_num(line, "keys"), keys as f64, "{line}");
    assert_eq!(json_num(line, "db_keys"), keys as f64, "{line}");
    let mut by_type = 0.0;
    for (t, _) in shares {
        let n = json_num(line, &format!("ops_{t}"));
        assert!(n > 0.0, "{t}: {line}");
        by_type += n;
    }
    assert_eq!(by_type, json_num(line, "ops"), "{line}");
    assert!(json_num(line, "reads") <= json_num(line, "ops"), "{line}");

    let mut c = server.conn();
    let mut total = 0;
    let mut seen_sizes = std::collections::BTreeSet::new();
    for (t, share) in shares {
        let found = scan_type(&mut c, t);
        total += found.len();
        let got = found.len() as f64 / keys as f64;
        assert!((got - share).abs() < 0.05, "{t}: {} keys", found.len());
        let prefix = if t == "string" { "key:" } else { t };
        for key in found.iter().take(25) {
            assert!(key.starts_with(prefix), "{t}: {key}");
            let size = logical_size(&mut c, t, key);
            assert!(sizes.contains(&size), "{t} {key}: {size} bytes");
            seen_sizes.insert(size);
            let ttl = Value::parse(&c.cmd(&["TTL", key])).int().expect("TTL");
            assert!(ttl == -1 || (0 < ttl && ttl <= 3600), "{key}: TTL {ttl}");
        }
    }
    assert_eq!(total, keys, "every key has one of the five types");
    assert!(seen_sizes.len() >= 2, "{seen_sizes:?}");
    let (n, expires) = keyspace(&mut c);
    assert_eq!(n, keys as u64);
    let share = expires as f64 / n as f64;
    assert!((share - 0.3).abs() < 0.06, "{expires} of {n} keys expire");
}

#[test]
fn loadgen_mixed_types_sizes_and_ttls() {
    mixed_run_leaves_the_asked_dataset(&Server::start(&[]));
}

/// The same run against redis-server: the generator speaks plain RESP.
#[test]
fn loadgen_mixed_types_against_redis() {
    if let Some(reference) = Server::start_reference(&[]) {
        mixed_run_leaves_the_asked_dataset(&reference);
    }
}

/// `--rate` holds the throughput at or under the target (it can fall
/// short on a busy machine: only the upper bound is checked), and reads of
/// keys that expired during the run come back as nil replies.
#[test]
fn loadgen_rate_is_a_ceiling_and_expired_reads_are_nil() {
    let ours = Server::start(&[]);
    let port = ours.port.to_string();
    let target = 400.0;
    let stdout = bench(&[
        "--port",
        &port,
        "--keys",
        "500",
        "--types",
        "string:50,hash:50",
        "--ttl",
        "100:1",
        "--load",
        "--reads",
        "100",
        "--rate",
        "400",
        "--connections",
        "4",
        "--warmup",
        "1.5",
        "--duration",
        "2",
        "--json",
    ]);
    let line = json_line(&stdout);
    let rate = json_num(line, "ops_per_sec");
    assert!(rate > 0.0 && rate <= 1.3 * target, "{line}");
    assert_eq!(json_num(line, "target_ops_per_sec"), target, "{line}");
    assert_eq!(json_num(line, "errors"), 0.0, "{line}");
    // Every key had a 1 s expiry and only reads followed: all nil.
    assert_eq!(
        json_num(line, "nil_replies"),
        json_num(line, "ops"),
        "{line}"
    );
}

/// `--sweep-ratio` keeps maxmemory, grows the dataset to each ratio of it
/// (the key count grows per step, every key loaded is there) and reports
/// against the ratio; it refuses a server without a maxmemory.
#[test]
fn loadgen_ratio_sweep_grows_the_dataset() {
    let ours = Server::start(&["--tiering", "yes"]);
    let port = ours.port.to_string();
    let mut c = ours.conn();
    // Without maxmemory there is nothing to grow against.
    let refused = Command::new(env!("CARGO_BIN_EXE_valkey-tiered-bench"))
        .args(["--port", &port, "--sweep-ratio", "1,2"])
        .output()
        .expect("run the load generator");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("maxmemory 0"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let maxmemory = used_memory(&mut c) + (2 << 20);
    assert_eq!(
        show(&c.cmd(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()])),
        "+OK\\r\\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let out_s = out.to_string_lossy().into_owned();
    bench(&[
        "--port",
        &port,
        "--value-size",
        "uniform:500:1500",
        "--types",
        "string:80,hash:20",
        "--dist",
        "zipf:0.99",
        "--connections",
        "4",
        "--warmup",
        "0",
        "--duration",
        "1.1",
        "--sweep-ratio",
        "2,0.5,1",
        "--out",
        &out_s,
    ]);
    let read =
        |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let csv = read("results.csv");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name} in {csv}"))
    };
    let num = |row: &[&str], name: &str| -> f64 { row[col(name)].parse().expect(name) };
    let mut last_keys = 0.0;
    for (row, ratio) in rows[1..].iter().zip([0.5, 1.0, 2.0]) {
        let keys = num(row, "keys");
        assert!(keys > last_keys, "the key count grows per step: {csv}");
        last_keys = keys;
        // Each step loaded all its keys (our server keeps them all).
        assert_eq!(num(row, "db_keys"), keys, "{csv}");
        assert_eq!(num(row, "maxmemory"), maxmemory as f64, "{csv}");
        // The dataset reaches the ratio, overshooting by under one value.
        let got = num(row, "dataset_ratio");
        assert!(got >= ratio && got < ratio + 0.01, "{csv}");
        assert!(
            num(row, "dataset_bytes") >= ratio * maxmemory as f64,
            "{csv}"
        );
        assert_eq!(num(row, "errors"), 0.0, "{csv}");
    }
    assert_eq!(
        show(&c.cmd(&["DBSIZE"])),
        format!(":{last_keys}\\r\\n"),
        "only the sweep's keys"
    );
    // The server's own estimate at each step, once it has one.
    let estimates = rows[1..]
        .iter()
        .filter(|r| r[col("estimated_hit_ratio")] != "null")
        .count();
    for chart in ["throughput.svg", "p99.svg", "hit_ratio.svg"] {
        let svg = read(chart);
        let extra = if chart == "hit_ratio.svg" {
            estimates
        } else {
            0
        };
        assert_eq!(svg.matches("<circle").count(), 3 + extra, "{chart}");
        assert!(svg.contains("dataset : maxmemory"), "{chart}");
        assert!(!svg.contains("NaN"), "{chart}");
    }
    let md = read("report.md");
    for ratio in ["| 0.50 |", "| 1.00 |", "| 2.00 |"] {
        assert!(md.contains(ratio), "{md}");
    }
    assert!(md.contains("| ratio 2.00 |"), "per-type table: {md}");
    assert_eq!(read("results.json").matches("\"server\":").count(), 3);
}
