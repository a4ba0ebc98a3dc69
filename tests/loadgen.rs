//! The load generator end to end, small: against our server and, with
//! `--compare`, redis-server in the same run; its JSON lines, CSV file
//! and ratio line are produced and consistent. Not a timing test: only
//! shapes and sanity (operations were done, no errors) are checked.

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
    let out = Command::new(env!("CARGO_BIN_EXE_valkey-tiered-bench"))
        .args(&args)
        .output()
        .expect("run the load generator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let run = Command::new(env!("CARGO_BIN_EXE_valkey-tiered-bench"))
        .args([
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
        ])
        .output()
        .expect("run the load generator");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
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
    for (row, size) in rows[1..].iter().zip(sizes) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), header.len(), "{csv}");
        assert_eq!(f[col], size.to_string(), "{csv}");
        assert_eq!(f[errors], "0", "{csv}");
    }
    for chart in ["throughput.svg", "p99.svg", "hit_ratio.svg"] {
        let svg = read(chart);
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart}"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "{chart}: one dot per size"
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
