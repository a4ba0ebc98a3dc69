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
