//! The sweeps (`--sweep-maxmemory`, `--sweep-ratio`): one measured run
//! per point, and the report files of any set of runs.

use crate::conn::Conn;
use crate::results::{csv_header, Report};
use crate::workload::Workload;
use crate::{load, measure, parse_size, report, show, Opts};

/// What the runs of a report vary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    None,
    Maxmemory,
    Ratio,
}

const MAXMEMORY_AXIS: report::Axis = report::Axis {
    x_label: "maxmemory (% of dataset)",
    against: "RAM",
    intro:
        "A sweep over `maxmemory`; the dataset's logical size is the sum of the keys' value sizes.",
    columns: &["maxmemory", "% of dataset"],
};

const RATIO_AXIS: report::Axis = report::Axis {
    x_label: "dataset : maxmemory",
    against: "dataset:RAM ratio",
    intro: "A sweep over the dataset:RAM ratio: `maxmemory` stays, the dataset grows (logical size: the sum of the keys' value sizes).",
    columns: &["dataset:RAM", "keys", "dataset bytes", "maxmemory"],
};

/// `--csv` and `--out` for the runs of `reports`.
pub fn finish(o: &Opts, reports: &[Report], sweep: Sweep) {
    if let Some(dir) = &o.out {
        let points: Vec<report::Point> = reports
            .iter()
            .map(|r| {
                let (label, x, cells) = match sweep {
                    Sweep::None => (r.server.clone(), 0.0, Vec::new()),
                    Sweep::Maxmemory => (
                        format!("maxmemory {}", r.maxmemory),
                        100.0 * r.ram_fraction,
                        vec![
                            r.maxmemory.to_string(),
                            format!("{:.1}", 100.0 * r.ram_fraction),
                        ],
                    ),
                    Sweep::Ratio => (
                        format!("ratio {:.2}", r.dataset_ratio),
                        r.dataset_ratio,
                        vec![
                            format!("{:.2}", r.dataset_ratio),
                            r.keys.to_string(),
                            r.dataset_bytes.to_string(),
                            r.maxmemory.to_string(),
                        ],
                    ),
                };
                report::Point {
                    label,
                    x,
                    cells,
                    ops_s: r.ops_s,
                    p50: r.p50,
                    p99: r.p99,
                    p999: r.p999,
                    hit_ratio: r.hit_ratio,
                    estimated: r.estimated,
                    nils: r.nils,
                    errors: r.errors,
                    by_type: r.by_type,
                    cdf: r.cdf.clone(),
                    json: r.json(),
                    csv_row: r.csv_row(),
                }
            })
            .collect();
        let axis = match sweep {
            Sweep::None => None,
            Sweep::Maxmemory => Some(&MAXMEMORY_AXIS),
            Sweep::Ratio => Some(&RATIO_AXIS),
        };
        match report::write_all(dir, &csv_header(), &points, axis) {
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

/// Runs `CONFIG` with `args` and returns the reply, or exits with a
/// message naming `what`.
async fn config(o: &Opts, args: &[&[u8]], what: &str) -> Vec<u8> {
    let r = async {
        let mut c = Conn::connect(&o.host, o.port).await?;
        c.cmd(args).await
    };
    match r.await {
        Ok(r) if !r.starts_with(b"-") => r,
        Ok(r) => {
            eprintln!("{what}: {}", String::from_utf8_lossy(&r).trim());
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{what}: {e}");
            std::process::exit(1);
        }
    }
}

/// `--sweep-maxmemory`: loads (if asked) once, then for each size sets
/// `maxmemory` with CONFIG SET and measures (warm-up included). Meant for
/// our server with tiering on, where a smaller `maxmemory` moves values to
/// the cold tier instead of evicting them; sizes from large to small need
/// no reload in between.
pub async fn maxmemory(o: &Opts) {
    if o.load {
        if let Err(e) = load(o, 0, o.keys).await {
            eprintln!("load failed: {e}");
            std::process::exit(1);
        }
    }
    let dataset = o.work.dataset_bytes(0, o.keys);
    let mut reports = Vec::new();
    for spec in &o.sweep {
        let Some(bytes) = parse_size(spec, dataset).filter(|&b| b > 0) else {
            // 0 would mean "no limit" to the server.
            eprintln!("--sweep-maxmemory {spec}: not a size above zero");
            std::process::exit(2);
        };
        let what = format!("CONFIG SET maxmemory {bytes}");
        let b = bytes.to_string();
        config(o, &[b"CONFIG", b"SET", b"maxmemory", b.as_bytes()], &what).await;
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
                show(o, &r);
                reports.push(r);
            }
            Err(e) => {
                eprintln!("maxmemory {bytes}: {e}");
                std::process::exit(1);
            }
        }
    }
    // One run's estimate, read at every size: the first run under memory
    // pressure (a server whose values all fit has no measured misses to
    // anchor its curve at), else the first.
    let source = reports
        .iter()
        .find(|r| !r.curve.is_empty() && r.hit_ratio < 0.99)
        .or(reports.first())
        .map(|r| r.curve.clone());
    if let Some(curve) = source {
        for r in &mut reports {
            r.estimated = crate::advise::at(&curve, r.maxmemory);
        }
    }
    finish(o, &reports, Sweep::Maxmemory);
}

/// The value of a `CONFIG GET` reply (`*2 name value`), as a number.
fn config_value(reply: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    // *2, $len, name, $len, value
    lines.get(4)?.parse().ok()
}

/// The number of keys, counting on from `keys` keys of `bytes` logical
/// bytes, at which the dataset first reaches `target` bytes (at least 1
/// key). Returns the new key count and dataset size.
fn grow_to(w: &Workload, mut keys: u64, mut bytes: u64, target: u64) -> (u64, u64) {
    while bytes < target || keys == 0 {
        bytes += w.size(keys) as u64;
        keys += 1;
    }
    (keys, bytes)
}

/// `--sweep-ratio`: keeps the server's `maxmemory` and grows the dataset
/// to each ratio of it in turn (smallest first), loading only the keys a
/// step adds, then warms up and measures over the whole key space so far.
/// For our server with tiering on this shows how throughput, latency and
/// the hot-hit ratio fall as the data outgrows RAM; against a server that
/// evicts, the nil replies show what the cache lost.
pub async fn ratio(o: &Opts) {
    let reply = config(
        o,
        &[b"CONFIG", b"GET", b"maxmemory"],
        "CONFIG GET maxmemory",
    )
    .await;
    let maxmemory = config_value(&reply).unwrap_or(0);
    if maxmemory == 0 {
        eprintln!(
            "--sweep-ratio: {}:{} has maxmemory 0 (no limit), so there is no RAM size to grow the \
             dataset against; set one first (CONFIG SET maxmemory 1gb, or --maxmemory at start)",
            o.host, o.port
        );
        std::process::exit(2);
    }
    let mut ratios = o.sweep_ratio.clone();
    ratios.sort_by(f64::total_cmp);
    ratios.dedup();
    let (mut keys, mut bytes) = (0u64, 0u64);
    let mut reports = Vec::new();
    for ratio in ratios {
        let target = (ratio * maxmemory as f64).ceil() as u64;
        let from = keys;
        (keys, bytes) = grow_to(&o.work, keys, bytes, target);
        eprintln!(
            "dataset:RAM {ratio}: keys {from}..{keys}, dataset {bytes} bytes, maxmemory {maxmemory}"
        );
        if keys > from {
            if let Err(e) = load(o, from, keys).await {
                eprintln!("load failed: {e}");
                std::process::exit(1);
            }
        }
        let mut run_opts = o.clone();
        run_opts.load = false;
        run_opts.keys = keys;
        match measure(&run_opts).await {
            Ok(mut r) => {
                r.maxmemory = maxmemory;
                r.ram_fraction = maxmemory as f64 / bytes as f64;
                r.dataset_ratio = bytes as f64 / maxmemory as f64;
                println!(
                    "dataset:RAM {:.2} ({keys} keys, {bytes} bytes, maxmemory {maxmemory}):",
                    r.dataset_ratio
                );
                show(o, &r);
                reports.push(r);
            }
            Err(e) => {
                eprintln!("dataset:RAM {ratio}: {e}");
                std::process::exit(1);
            }
        }
    }
    finish(o, &reports, Sweep::Ratio);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{SizeDist, TypeMix};

    #[test]
    fn config_get_replies_are_read() {
        assert_eq!(
            config_value(b"*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n"),
            Some(10_485_760)
        );
        assert_eq!(config_value(b"*0\r\n"), None);
    }

    #[test]
    fn the_dataset_grows_to_each_ratio_exactly() {
        let w = Workload {
            sizes: SizeDist::parse("hist:100:1,5000:1").expect("sizes"),
            types: TypeMix::default(),
            ttl: None,
            field_size: 100,
            seed: 3,
        };
        let (k1, b1) = grow_to(&w, 0, 0, 1_000_000);
        assert_eq!(b1, w.dataset_bytes(0, k1));
        assert!(b1 >= 1_000_000 && b1 - (w.size(k1 - 1) as u64) < 1_000_000);
        // The next step continues from there and only adds keys.
        let (k2, b2) = grow_to(&w, k1, b1, 2_000_000);
        assert!(k2 > k1 && b2 == w.dataset_bytes(0, k2) && b2 >= 2_000_000);
        assert_eq!(grow_to(&w, 0, 0, 0).0, 1, "never an empty key space");
    }
}
