//! The figures of one measured run and how they are written: a text
//! summary, one JSON object, one CSV row. Every figure is one entry of
//! [`FIELDS`], which gives both its JSON/CSV name and its formatting, so
//! a new figure is one field in [`Report`] and one line in [`FIELDS`].

use crate::workload::Kind;

/// The figures of one measured run against one server.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub server: String,
    pub ops: u64,
    pub secs: f64,
    pub ops_s: f64,
    /// `--rate` (0: closed loop).
    pub target_rate: f64,
    pub errors: u64,
    /// Read commands sent, and those that found nothing (nil, or 0 from
    /// SISMEMBER): expired, evicted or never loaded.
    pub reads: u64,
    pub nils: u64,
    /// Operations per data type, indexed by [`Kind::index`].
    pub by_type: [u64; 5],
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub hit_ratio: f64,
    /// The hot-hit ratio the server's estimator (`TIERING ADVISE`)
    /// predicted for this run, if it has one, and its curve after the run.
    pub estimated: Option<f64>,
    pub curve: crate::advise::Curve,
    pub hot: f64,
    pub cold: f64,
    pub used: f64,
    /// `hot_keys + cold_keys` of INFO tiering (0 without tiering).
    pub tiered_keys: f64,
    /// `keys=` of db0 in INFO keyspace after the run.
    pub db_keys: u64,
    pub cold_keys: f64,
    pub disk: f64,
    /// Operations completed in each second of the measurement.
    pub series: Vec<u64>,
    /// (latency µs, fraction of commands at or under it), to p99.9.
    pub cdf: Vec<(f64, f64)>,
    /// The key space of the run and its exact logical size in bytes.
    pub keys: u64,
    pub dataset_bytes: u64,
    /// `maxmemory` during the run when a sweep knows it (0: unknown), and
    /// its share of the dataset.
    pub maxmemory: u64,
    pub ram_fraction: f64,
    /// Dataset over `maxmemory` (set by `--sweep-ratio`, else 0).
    pub dataset_ratio: f64,
}

/// One figure: its JSON/CSV name and its value.
pub struct Field {
    pub name: &'static str,
    /// A string in JSON (quoted), else a number.
    pub text: bool,
    pub value: fn(&Report) -> String,
}

const fn num(name: &'static str, value: fn(&Report) -> String) -> Field {
    Field {
        name,
        text: false,
        value,
    }
}

fn ops_of(r: &Report, k: Kind) -> String {
    r.by_type[k.index()].to_string()
}

/// Every figure, in CSV column and JSON field order. New figures go at
/// the end: scripts may read CSV columns by position.
pub const FIELDS: &[Field] = &[
    Field {
        name: "server",
        text: true,
        value: |r| r.server.clone(),
    },
    num("ops", |r| r.ops.to_string()),
    num("seconds", |r| format!("{:.3}", r.secs)),
    num("ops_per_sec", |r| format!("{:.1}", r.ops_s)),
    num("errors", |r| r.errors.to_string()),
    num("p50_us", |r| r.p50.to_string()),
    num("p90_us", |r| r.p90.to_string()),
    num("p99_us", |r| r.p99.to_string()),
    num("p999_us", |r| r.p999.to_string()),
    num("max_us", |r| r.max.to_string()),
    num("hot_hit_ratio", |r| format!("{:.4}", r.hit_ratio)),
    num("used_memory", |r| format!("{:.0}", r.used)),
    num("cold_keys", |r| r.cold_keys.to_string()),
    num("cold_bytes_on_disk", |r| r.disk.to_string()),
    num("maxmemory", |r| r.maxmemory.to_string()),
    num("ram_fraction", |r| format!("{:.4}", r.ram_fraction)),
    num("target_ops_per_sec", |r| format!("{:.1}", r.target_rate)),
    num("reads", |r| r.reads.to_string()),
    num("nil_replies", |r| r.nils.to_string()),
    num("ops_string", |r| ops_of(r, Kind::String)),
    num("ops_hash", |r| ops_of(r, Kind::Hash)),
    num("ops_list", |r| ops_of(r, Kind::List)),
    num("ops_set", |r| ops_of(r, Kind::Set)),
    num("ops_zset", |r| ops_of(r, Kind::Zset)),
    num("keys", |r| r.keys.to_string()),
    num("dataset_bytes", |r| r.dataset_bytes.to_string()),
    num("db_keys", |r| r.db_keys.to_string()),
    num("dataset_ratio", |r| format!("{:.4}", r.dataset_ratio)),
    num("ram_per_key", |r| format!("{:.1}", r.ram_per_key())),
    num("disk_per_cold_key", |r| {
        format!("{:.1}", r.disk_per_cold_key())
    }),
    num("estimated_hit_ratio", |r| {
        r.estimated
            .map_or_else(|| "null".to_string(), |e| format!("{e:.4}"))
    }),
];

pub fn csv_header() -> String {
    FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(",")
}

impl Report {
    /// `used_memory` over every key (0 without tiering figures).
    pub fn ram_per_key(&self) -> f64 {
        if self.tiered_keys > 0.0 {
            self.used / self.tiered_keys
        } else {
            0.0
        }
    }

    /// Bytes on disk per cold key (0 with none).
    pub fn disk_per_cold_key(&self) -> f64 {
        if self.cold_keys > 0.0 {
            self.disk / self.cold_keys
        } else {
            0.0
        }
    }

    pub fn csv_row(&self) -> String {
        FIELDS
            .iter()
            .map(|f| (f.value)(self))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn json(&self) -> String {
        let mut out = String::from("{");
        for f in FIELDS {
            let v = (f.value)(self);
            if f.text {
                out.push_str(&format!("\"{}\":\"{v}\",", f.name));
            } else {
                out.push_str(&format!("\"{}\":{v},", f.name));
            }
        }
        let series: Vec<String> = self.series.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "\"ops_per_second_series\":[{}]}}",
            series.join(",")
        ));
        out
    }

    /// The operations per type, `string 120, hash 30` (types with none left out).
    pub fn type_summary(&self) -> String {
        Kind::ALL
            .iter()
            .filter(|k| self.by_type[k.index()] > 0)
            .map(|k| format!("{} {}", k.name(), self.by_type[k.index()]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn print(&self) {
        let r = self;
        let rate = if r.target_rate > 0.0 {
            format!(" (target {:.0})", r.target_rate)
        } else {
            String::new()
        };
        println!(
            "{}: {} ops in {:.1}s: {:.0} ops/s{rate}, errors {}; latency us p50 {} p90 {} p99 {} p99.9 {} max {}",
            r.server, r.ops, r.secs, r.ops_s, r.errors, r.p50, r.p90, r.p99, r.p999, r.max
        );
        println!(
            "ops by type: {}; reads {}, nil replies {}; {} keys, dataset {} bytes",
            r.type_summary(),
            r.reads,
            r.nils,
            r.keys,
            r.dataset_bytes
        );
        println!(
            "server: used_memory {:.0}, hot hit ratio {:.3} ({:.0} hot / {:.0} cold), cold_keys {}, cold_bytes_on_disk {}, ram/key {:.1}, disk/cold key {:.1}",
            r.used,
            r.hit_ratio,
            r.hot,
            r.cold,
            r.cold_keys,
            r.disk,
            r.ram_per_key(),
            r.disk_per_cold_key()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_csv_have_every_field_in_order() {
        let r = Report {
            server: "h:1".into(),
            by_type: [1, 2, 3, 4, 5],
            series: vec![7, 8],
            ..Default::default()
        };
        let row = r.csv_row();
        assert_eq!(row.split(',').count(), csv_header().split(',').count());
        let json = r.json();
        assert!(json.starts_with("{\"server\":\"h:1\",\"ops\":0,"), "{json}");
        assert!(json.contains("\"ops_zset\":5,"), "{json}");
        assert!(json.ends_with("\"ops_per_second_series\":[7,8]}"), "{json}");
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len(), "field names are unique");
    }
}
