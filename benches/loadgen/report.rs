//! Files a run leaves in `--out DIR`: the figures as JSON and CSV, SVG
//! charts (throughput, p99 and hot-hit ratio against what a sweep varies,
//! the RAM budget or the dataset:RAM ratio; latency CDF of every run) and
//! a Markdown report that links them.

use std::fmt::Write as _;

/// One measured run, as the files need it.
pub struct Point {
    pub label: String,
    /// The position on a sweep's x axis (see [`Axis`]).
    pub x: f64,
    /// The sweep's own columns of the Markdown table (see [`Axis::columns`]).
    pub cells: Vec<String>,
    pub ops_s: f64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub hit_ratio: f64,
    /// The server's estimate of the hit ratio (see `advise.rs`).
    pub estimated: Option<f64>,
    pub nils: u64,
    pub errors: u64,
    /// Operations per data type, in [`crate::workload::Kind::ALL`] order.
    pub by_type: [u64; 5],
    /// (latency µs, fraction of commands at or under it).
    pub cdf: Vec<(f64, f64)>,
    pub json: String,
    pub csv_row: String,
}

/// What a sweep varies: the x axis of its charts and the leading columns
/// of its table. The maxmemory sweep and the dataset:RAM sweep share all
/// the chart and table code and differ only here.
pub struct Axis {
    /// The x-axis label, e.g. `maxmemory (% of dataset)`.
    pub x_label: &'static str,
    /// What the charts are drawn against, for their titles (`RAM`).
    pub against: &'static str,
    /// A sentence on top of the table.
    pub intro: &'static str,
    /// Header cells of the sweep's own columns (each point's `cells`).
    pub columns: &'static [&'static str],
}

const COLORS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A tick label without needless digits.
fn tick(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A line chart: one polyline (with dots) per series, axes from 0 (y)
/// and from the smallest x, five ticks each, a legend.
pub fn line_chart(title: &str, xl: &str, yl: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let (w, h, ml, mr, mt, mb) = (720.0, 420.0, 80.0, 30.0, 40.0, 60.0);
    let pts = series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= 0.0 {
        y1 = 1.0;
    }
    y1 *= 1.1;
    let sx = |x: f64| ml + (x - x0) / (x1 - x0) * (w - ml - mr);
    let sy = |y: f64| h - mb - y / y1 * (h - mt - mb);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>
<line x1="{ml}" y1="{}" x2="{}" y2="{}" stroke="black"/>
<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">{}</text>
<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">{}</text>
"#,
        w / 2.0,
        esc(title),
        h - mb,
        w - mr,
        h - mb,
        h - mb,
        (ml + w - mr) / 2.0,
        h - 15.0,
        esc(xl),
        (mt + h - mb) / 2.0,
        (mt + h - mb) / 2.0,
        esc(yl)
    );
    for i in 0..=4 {
        let xv = x0 + (x1 - x0) * i as f64 / 4.0;
        let yv = y1 * i as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="black"/><text x="{0}" y="{3}" text-anchor="middle">{4}</text>"##,
            sx(xv),
            h - mb,
            h - mb + 5.0,
            h - mb + 20.0,
            tick(xv)
        );
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#ddd"/><text x="{3}" y="{4}" text-anchor="end">{5}</text>"##,
            ml,
            sy(yv),
            w - mr,
            ml - 6.0,
            sy(yv) + 4.0,
            tick(yv)
        );
    }
    for (i, (name, p)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let line: Vec<String> = p
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            line.join(" ")
        );
        if p.len() <= 50 {
            for &(x, y) in p {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#,
                    sx(x),
                    sy(y)
                );
            }
        }
        let ly = mt + 16.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            w - mr - 170.0,
            ly,
            w - mr - 152.0,
            ly + 10.0,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A sweep chart: file, title, y label, the figure drawn.
type Chart = (&'static str, &'static str, &'static str, fn(&Point) -> f64);

/// Writes every file of the run into `dir`; returns the files written.
/// `sweep` is the axis of a sweep (charts against it), `None` for single
/// runs and comparisons.
pub fn write_all(
    dir: &str,
    csv_header: &str,
    points: &[Point],
    sweep: Option<&Axis>,
) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let path = |f: &str| format!("{}/{f}", dir.trim_end_matches('/'));
    let mut files = Vec::new();
    let mut put = |f: &str, text: String| -> std::io::Result<()> {
        std::fs::write(path(f), text)?;
        files.push(path(f));
        Ok(())
    };
    let json: Vec<&str> = points.iter().map(|p| p.json.as_str()).collect();
    put("results.json", format!("[\n{}\n]\n", json.join(",\n")))?;
    let mut csv = format!("{csv_header}\n");
    for p in points {
        csv.push_str(&p.csv_row);
        csv.push('\n');
    }
    put("results.csv", csv)?;
    let cdf: Vec<(String, Vec<(f64, f64)>)> = points
        .iter()
        .map(|p| (p.label.clone(), p.cdf.clone()))
        .collect();
    put(
        "latency_cdf.svg",
        line_chart(
            "Latency CDF (up to p99.9)",
            "latency (µs)",
            "fraction of commands",
            &cdf,
        ),
    )?;
    let mut md = String::from("# valkey-tiered-bench report\n\n");
    let figures =
        "ops/s | p50 µs | p99 µs | p99.9 µs | hot-hit ratio | estimated | nil replies | errors |";
    let row = |p: &Point| {
        let est = p.estimated.map_or("–".to_string(), |e| format!("{e:.3}"));
        format!(
            "{:.0} | {} | {} | {} | {:.3} | {est} | {} | {} |",
            p.ops_s, p.p50, p.p99, p.p999, p.hit_ratio, p.nils, p.errors
        )
    };
    if let Some(axis) = sweep {
        let charts: [Chart; 3] = [
            ("throughput.svg", "Throughput", "ops/s", |p| p.ops_s),
            ("p99.svg", "p99 latency", "p99 (µs)", |p| p.p99 as f64),
            ("hit_ratio.svg", "Hot-hit ratio", "hot-hit ratio", |p| {
                p.hit_ratio
            }),
        ];
        for (file, what, y_label, f) in charts {
            let mut line = vec![(
                "measured".to_string(),
                points.iter().map(|p| (p.x, f(p))).collect(),
            )];
            let estimates: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|p| p.estimated.map(|e| (p.x, e)))
                .collect();
            if file == "hit_ratio.svg" && !estimates.is_empty() {
                line.push(("estimated by the server".to_string(), estimates));
            }
            put(
                file,
                line_chart(
                    &format!("{what} vs {}", axis.against),
                    axis.x_label,
                    y_label,
                    &line,
                ),
            )?;
        }
        let _ = writeln!(md, "{}\n", axis.intro);
        let head = axis.columns.join(" | ");
        let rule = "---|".repeat(axis.columns.len() + 8);
        let _ = writeln!(md, "| {head} | {figures}\n|{rule}");
        for p in points {
            let _ = writeln!(md, "| {} | {}", p.cells.join(" | "), row(p));
        }
        md.push_str(
            "\n![throughput](throughput.svg)\n![p99](p99.svg)\n![hit ratio](hit_ratio.svg)\n",
        );
    } else {
        let _ = writeln!(md, "| server | {figures}\n|{}", "---|".repeat(9));
        for p in points {
            let _ = writeln!(md, "| {} | {}", p.label, row(p));
        }
        if let [a, b] = points {
            let _ = writeln!(
                md,
                "\n{} / {}: throughput {:.2}×, p99 {:.2}×.",
                a.label,
                b.label,
                a.ops_s / b.ops_s.max(1e-9),
                a.p99 as f64 / (b.p99 as f64).max(1e-9)
            );
        }
    }
    md.push_str("\nOperations per data type:\n\n| run |");
    for k in crate::workload::Kind::ALL {
        let _ = write!(md, " {} |", k.name());
    }
    let _ = writeln!(md, "\n|{}", "---|".repeat(6));
    for p in points {
        let counts: Vec<String> = p.by_type.iter().map(u64::to_string).collect();
        let _ = writeln!(md, "| {} | {} |", p.label, counts.join(" | "));
    }
    md.push_str("\n![latency CDF](latency_cdf.svg)\n");
    put("report.md", md)?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_every_point() {
        let s = line_chart(
            "t <1>",
            "x",
            "y",
            &[("a".into(), vec![(10.0, 1.0), (20.0, 2.0), (40.0, 0.5)])],
        );
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<circle").count(), 3);
        assert!(s.contains("t &lt;1&gt;"));
        // The highest point is inside the plot area (y grows downwards).
        assert!(!s.contains("NaN") && !s.contains("inf"));
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(2_500_000.0), "2.5M");
        assert_eq!(tick(45_000.0), "45k");
        assert_eq!(tick(12.0), "12");
        assert_eq!(tick(0.25), "0.25");
    }
}
