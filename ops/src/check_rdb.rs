//! `valkey-tiered-check-rdb`: walks a whole RDB file with the server's own
//! reader and reports what it holds, or where and why it is damaged.
//!
//! The walk is the server's load without a keyspace: every key is decoded
//! (so a corrupt listpack deep inside a value is found, not just a bad
//! frame), counted and dropped, so a file larger than memory can be
//! checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use persistence::file::{read_rdb, Event, FileError, LoadError};
use persistence::object::{Form, Object};

/// Keys of one database, by type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DbStats {
    pub keys: u64,
    pub expires: u64,
    /// Keys whose expiry has passed (a load skips them).
    pub expired: u64,
    /// Keys by type name (`string`, `list`, ...).
    pub types: BTreeMap<&'static str, u64>,
    /// Collections stored as a compact blob (listpack, ziplist, intset,
    /// zipmap).
    pub compact: u64,
    /// The sizes the file announced (RESIZEDB), if it did.
    pub announced: Option<(u64, u64)>,
}

/// Where the checksum stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Stored and equal to the computed one.
    Ok(u64),
    /// Stored as zero: the file was written with `rdbchecksum no`.
    NotComputed,
    /// RDB versions before 5 have none.
    Absent,
}

/// What a check found.
#[derive(Debug)]
pub struct Report {
    pub size: usize,
    pub version: Option<u16>,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub dbs: BTreeMap<u64, DbStats>,
    pub functions: u64,
    /// The RDB's length when it was read to the end (an AOF with an RDB
    /// preamble continues after it).
    pub length: Option<usize>,
    pub checksum: Option<Checksum>,
    /// The last key read whole: (db, key, how many keys were read).
    pub last_key: Option<(u64, Vec<u8>, u64)>,
    pub error: Option<LoadError>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn keys(&self) -> u64 {
        self.dbs.values().map(|d| d.keys).sum()
    }
}

fn type_name(o: &Object) -> &'static str {
    match o {
        Object::Str(_) => "string",
        Object::List(_) => "list",
        Object::Set(_) | Object::IntSet(..) => "set",
        Object::ZSet(_) => "zset",
        Object::Hash(_) => "hash",
    }
}

/// Checks RDB bytes; `now_ms` decides which expiries have passed.
pub fn check(data: &[u8], now_ms: i64) -> Report {
    let mut r = Report {
        size: data.len(),
        version: None,
        aux: Vec::new(),
        dbs: BTreeMap::new(),
        functions: 0,
        length: None,
        checksum: None,
        last_key: None,
        error: None,
    };
    if data.len() >= 9 && data.starts_with(b"REDIS") {
        r.version = std::str::from_utf8(&data[5..9])
            .ok()
            .and_then(|v| v.parse().ok());
    }
    let mut db = 0u64;
    let mut read = 0u64;
    let res = read_rdb(data, |e| {
        match e {
            Event::Aux(k, v) => r.aux.push((k, v)),
            Event::Db(n) => {
                db = n;
                r.dbs.entry(n).or_default();
            }
            Event::Resize { keys, expires } => {
                r.dbs.entry(db).or_default().announced = Some((keys, expires));
            }
            Event::Function(_) => r.functions += 1,
            Event::Key(k) => {
                let s = r.dbs.entry(k.db).or_default();
                s.keys += 1;
                if let Some(t) = k.expire_ms {
                    s.expires += 1;
                    if t <= now_ms {
                        s.expired += 1;
                    }
                }
                *s.types.entry(type_name(&k.value)).or_default() += 1;
                if k.form == Form::Compact {
                    s.compact += 1;
                }
                read += 1;
                r.last_key = Some((k.db, k.key, read));
            }
        }
        Ok(())
    });
    match res {
        Ok(loaded) => {
            r.version = Some(loaded.version);
            r.length = Some(loaded.length);
            r.checksum = Some(if loaded.version < 5 {
                Checksum::Absent
            } else {
                let b = &data[loaded.length - 8..loaded.length];
                let stored = u64::from_le_bytes(b.try_into().expect("8 bytes"));
                if stored == 0 {
                    Checksum::NotComputed
                } else {
                    Checksum::Ok(stored)
                }
            });
        }
        Err(e) => {
            if let FileError::Checksum { .. } = e.error {
                // Everything was read; only the sum disagrees.
                r.length = Some(e.offset + 8);
            }
            r.error = Some(e)
        }
    }
    r
}

fn show(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s
}

/// The report as the tool prints it.
pub fn render(name: &str, r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Checking RDB file {name} ({} bytes)", r.size);
    match r.version {
        Some(v) => {
            let _ = writeln!(o, "RDB version: {v}");
        }
        None => {
            let _ = writeln!(o, "RDB version: unknown");
        }
    }
    for (k, v) in &r.aux {
        let _ = writeln!(o, "aux {} = \"{}\"", show(k), show(v));
    }
    for (db, s) in &r.dbs {
        let mut types: Vec<String> = s.types.iter().map(|(t, n)| format!("{t} {n}")).collect();
        if types.is_empty() {
            types.push("no keys".into());
        }
        let _ = write!(
            o,
            "db {db}: {} ({}), {} with an expiry",
            plural(s.keys, "key"),
            types.join(", "),
            s.expires
        );
        if s.expired > 0 {
            let _ = write!(o, " ({} already expired)", s.expired);
        }
        if s.compact > 0 {
            let _ = write!(o, ", {} compact", s.compact);
        }
        if let Some((k, e)) = s.announced {
            if r.ok() && (k != s.keys || e != s.expires) {
                let _ = write!(o, "; the file announced {k} keys and {e} expiries");
            }
        }
        o.push('\n');
    }
    if r.functions > 0 {
        let _ = writeln!(
            o,
            "function libraries: {} (skipped by this server)",
            r.functions
        );
    }
    match (&r.error, r.checksum) {
        (None, Some(Checksum::Ok(c))) => {
            let _ = writeln!(o, "checksum: OK ({c:016x})");
        }
        (None, Some(Checksum::NotComputed)) => {
            let _ = writeln!(o, "checksum: not computed (written with rdbchecksum no)");
        }
        (None, Some(Checksum::Absent)) => {
            let _ = writeln!(o, "checksum: none (RDB version before 5)");
        }
        _ => {}
    }
    if let (None, Some(len)) = (&r.error, r.length) {
        if len < r.size {
            let _ = writeln!(
                o,
                "note: the RDB ends at offset {len}; {} more bytes follow \
                 (an AOF with an RDB preamble? check it with valkey-tiered-check-aof)",
                r.size - len
            );
        }
    }
    match &r.error {
        None => {
            let _ = writeln!(
                o,
                "RDB file is OK: {} in {}",
                plural(r.keys(), "key"),
                plural(r.dbs.len() as u64, "database")
            );
        }
        Some(e) => {
            let _ = writeln!(o, "error at offset {}: {}", e.offset, reason(e));
            if let Some((db, key, n)) = &r.last_key {
                let _ = writeln!(
                    o,
                    "the last key read whole was \"{}\" in db {db} (key number {n})",
                    show(key)
                );
            }
            let _ = writeln!(o, "RDB file is NOT valid");
        }
    }
    o
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The reason of an error, without the offset `LoadError`'s Display adds.
fn reason(e: &LoadError) -> String {
    let full = e.to_string();
    let suffix = format!(" at offset {}", e.offset);
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use persistence::file::RdbWriter;

    fn sample(checksum: bool) -> Vec<u8> {
        let mut w = RdbWriter::new(true, -2);
        w.aux("redis-ver", b"7.2.4");
        w.select_db(0, 3, 1);
        w.entry(b"s", &Object::Str(b"v".to_vec()), Form::Compact, None);
        w.entry(
            b"old",
            &Object::Str(b"v".to_vec()),
            Form::Compact,
            Some(1000),
        );
        w.entry(
            b"h",
            &Object::Hash(vec![(b"f".to_vec(), b"1".to_vec())]),
            Form::Compact,
            None,
        );
        w.select_db(5, 1, 0);
        w.entry(b"l", &Object::List(vec![b"a".to_vec()]), Form::Large, None);
        w.finish(checksum)
    }

    #[test]
    fn a_good_file_is_described() {
        let data = sample(true);
        let r = check(&data, 2000);
        assert!(r.ok());
        assert_eq!(r.keys(), 4);
        assert_eq!(r.dbs[&0].expired, 1);
        assert_eq!(r.dbs[&0].types["string"], 2);
        assert_eq!(r.dbs[&5].types["list"], 1);
        let text = render("x.rdb", &r);
        assert!(text.contains("RDB version: 10\n"), "{text}");
        assert!(text.contains("aux redis-ver = \"7.2.4\"\n"), "{text}");
        assert!(
            text.contains("db 0: 3 keys (hash 1, string 2), 1 with an expiry (1 already expired), 1 compact\n"),
            "{text}"
        );
        assert!(text.contains("checksum: OK ("), "{text}");
        assert!(
            text.ends_with("RDB file is OK: 4 keys in 2 databases\n"),
            "{text}"
        );
        let r = check(&sample(false), 0);
        assert_eq!(r.checksum, Some(Checksum::NotComputed));
    }

    #[test]
    fn damage_is_located() {
        let data = sample(true);
        let r = check(&data[..data.len() - 20], 0);
        let e = r.error.as_ref().expect("an error");
        let text = render("x.rdb", &r);
        assert!(
            text.contains(&format!("error at offset {}: ", e.offset)),
            "{text}"
        );
        assert!(text.ends_with("RDB file is NOT valid\n"), "{text}");
        let mut bad = data.clone();
        let n = bad.len();
        bad[n - 3] ^= 1;
        let r = check(&bad, 0);
        assert!(matches!(
            r.error.as_ref().map(|e| &e.error),
            Some(FileError::Checksum { .. })
        ));
        assert!(render("x", &r).contains("wrong checksum"));
        assert_eq!(
            check(b"hello", 0).error.map(|e| e.error),
            Some(FileError::BadHeader)
        );
    }
}
