//! Files a run leaves in `--out DIR`: the figures as JSON and CSV, SVG
//! charts (throughput, p99 and hot-hit ratio against the RAM budget of a
//! sweep; latency CDF of every run) and a Markdown report that links them.

use std::fmt::Write as _;

/// One measured run, as the files need it.
pub struct Point {
    pub label: String,
    /// `maxmemory` of the run (0: not set by the sweep).
    pub maxmemory: u64,
    /// `maxmemory` over the logical dataset size (keys × value size).
    pub ram_fraction: f64,
    pub ops_s: f64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub hit_ratio: f64,
    pub errors: u64,
    /// (latency µs, fraction of commands at or under it).
    pub cdf: Vec<(f64, f64)>,
    pub json: String,
    pub csv_row: String,
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

/// Writes every file of the run into `dir`; returns the files written.
pub fn write_all(
    dir: &str,
    csv_header: &str,
    points: &[Point],
    sweep: bool,
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
    if sweep {
        let by_ram = |f: &dyn Fn(&Point) -> f64| -> Vec<(String, Vec<(f64, f64)>)> {
            vec![(
                "measured".into(),
                points
                    .iter()
                    .map(|p| (100.0 * p.ram_fraction, f(p)))
                    .collect(),
            )]
        };
        put(
            "throughput.svg",
            line_chart(
                "Throughput vs RAM",
                "maxmemory (% of dataset)",
                "ops/s",
                &by_ram(&|p| p.ops_s),
            ),
        )?;
        put(
            "p99.svg",
            line_chart(
                "p99 latency vs RAM",
                "maxmemory (% of dataset)",
                "p99 (µs)",
                &by_ram(&|p| p.p99 as f64),
            ),
        )?;
        put(
            "hit_ratio.svg",
            line_chart(
                "Hot-hit ratio vs RAM",
                "maxmemory (% of dataset)",
                "hot-hit ratio",
                &by_ram(&|p| p.hit_ratio),
            ),
        )?;
        md.push_str(
            "A sweep over `maxmemory`; the dataset's logical size is keys × value size.\n\n",
        );
        md.push_str("| maxmemory | % of dataset | ops/s | p50 µs | p99 µs | p99.9 µs | hot-hit ratio | errors |\n|---|---|---|---|---|---|---|---|\n");
        for p in points {
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.0} | {} | {} | {} | {:.3} | {} |",
                p.maxmemory,
                100.0 * p.ram_fraction,
                p.ops_s,
                p.p50,
                p.p99,
                p.p999,
                p.hit_ratio,
                p.errors
            );
        }
        md.push_str(
            "\n![throughput](throughput.svg)\n![p99](p99.svg)\n![hit ratio](hit_ratio.svg)\n",
        );
    } else {
        md.push_str("| server | ops/s | p50 µs | p99 µs | p99.9 µs | hot-hit ratio | errors |\n|---|---|---|---|---|---|---|\n");
        for p in points {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {} | {} | {} | {:.3} | {} |",
                p.label, p.ops_s, p.p50, p.p99, p.p999, p.hit_ratio, p.errors
            );
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
