//! The string and bit command families, checked against a real
//! redis-server 7.0: every scripted sequence and a long seeded random run
//! are sent to both servers and the raw replies must be identical. Without
//! redis-server only our side runs, plus a few hard-coded expectations.
//!
//! Pseudo-commands in scripts: `#ENC key` compares the encoding shown by
//! DEBUG OBJECT; `#TTL key` compares TTL (skipped while our server lacks
//! TTL). Arguments written `hex:..` are sent as the decoded bytes.

// The shared helpers trip a lint newer than they are.
#[allow(clippy::collapsible_match)]
mod common;
use common::*;

use rand::rngs::StdRng;
use rand::SeedableRng;

#[path = "strings/random.rs"]
mod random;
#[path = "strings/scripts.rs"]
mod scripts;
use random::random_command;
use scripts::SCRIPTS;

/// Our server and, when installed, the reference, with one connection
/// each.
struct Pair {
    _ours: Server,
    oc: Conn,
    reference: Option<(Server, Conn)>,
    history: Vec<String>,
}

impl Pair {
    fn start(extra: &[&str]) -> Pair {
        let mut args = vec!["--enable-debug-command", "yes"];
        args.extend_from_slice(extra);
        let ours = Server::start(&args);
        let oc = ours.conn();
        let reference = Server::start_reference(&args).map(|s| {
            let c = s.conn();
            (s, c)
        });
        let mut p = Pair {
            _ours: ours,
            oc,
            reference,
            history: Vec::new(),
        };
        // Only lazy expiry, so expired_keys counts are deterministic.
        p.both_raw(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        p
    }

    fn describe(args: &[Vec<u8>]) -> String {
        args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ")
    }

    /// Sends `args` to both servers; panics if the replies differ.
    fn check(&mut self, args: &[Vec<u8>]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let ours = self.oc.cmd_bytes(&a);
        self.history.push(Self::describe(args));
        if let Some((_, rc)) = &mut self.reference {
            let theirs = rc.cmd_bytes(&a);
            if ours != theirs {
                let start = self.history.len().saturating_sub(15);
                panic!(
                    "reply mismatch for `{}`\n  ours:  {}\n  redis: {}\nrecent commands:\n  {}",
                    Self::describe(args),
                    show(&ours),
                    show(&theirs),
                    self.history[start..].join("\n  ")
                );
            }
        }
        ours
    }

    /// Sends `args` to both servers without comparing the replies.
    fn both_raw(&mut self, args: &[&str]) -> (Vec<u8>, Option<Vec<u8>>) {
        let ours = self.oc.cmd(args);
        let theirs = self.reference.as_mut().map(|(_, c)| c.cmd(args));
        (ours, theirs)
    }

    /// Compares the `encoding:` field of DEBUG OBJECT. A GET first makes
    /// both servers drop the key if it is logically expired (DEBUG OBJECT
    /// itself does not look at expiry in Redis).
    fn check_encoding(&mut self, key: &str) {
        self.check(&[b"GET".to_vec(), key.as_bytes().to_vec()]);
        let enc = |r: &[u8]| -> String {
            let s = String::from_utf8_lossy(r).into_owned();
            match s
                .split_whitespace()
                .find_map(|w| w.strip_prefix("encoding:"))
            {
                Some(e) => e.to_string(),
                None => s.trim_end().to_string(),
            }
        };
        let (ours, theirs) = self.both_raw(&["DEBUG", "OBJECT", key]);
        self.history.push(format!("#ENC {key}"));
        if let Some(t) = theirs {
            assert_eq!(
                enc(&ours),
                enc(&t),
                "encoding of {key} after:\n  {}",
                self.history.join("\n  ")
            );
        }
    }

    /// Compares TTL, if our server has it yet.
    fn check_ttl(&mut self, key: &str) {
        let (ours, theirs) = self.both_raw(&["TTL", key]);
        if ours.starts_with(b"-ERR unknown command") {
            // Mirror the lookup TTL made on the reference (a hit or a
            // miss) so the stats comparisons stay meaningful.
            self.oc.cmd(&["GET", key]);
            return;
        }
        if let Some(t) = theirs {
            assert_eq!(show(&ours), show(&t), "TTL {key}");
        }
    }

    /// Compares the counters commands affect: keyspace hits and misses,
    /// expired keys, and changes since the last save (`dirty`).
    fn check_stats(&mut self) {
        let (ours, theirs) = self.both_raw(&["INFO", "all"]);
        let Some(theirs) = theirs else { return };
        let field = |info: &[u8], name: &str| -> Option<String> {
            String::from_utf8_lossy(info).lines().find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_string())
            })
        };
        for name in [
            "keyspace_hits",
            "keyspace_misses",
            "expired_keys",
            "rdb_changes_since_last_save",
        ] {
            assert_eq!(
                field(&ours, name),
                field(&theirs, name),
                "INFO {name} after:\n  {}",
                self.history.join("\n  ")
            );
        }
    }

    fn run_script(&mut self, name: &str, script: &[&[&str]]) {
        self.history.clear();
        self.history.push(format!("== {name}"));
        for cmd in script {
            match cmd {
                ["#ENC", key] => self.check_encoding(key),
                ["#TTL", key] => self.check_ttl(key),
                _ => {
                    let args: Vec<Vec<u8>> = cmd.iter().map(|a| arg(a)).collect();
                    self.check(&args);
                }
            }
        }
    }
}

fn arg(a: &str) -> Vec<u8> {
    match a.strip_prefix("hex:") {
        Some(h) => (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
            .collect(),
        None => a.as_bytes().to_vec(),
    }
}

#[test]
fn scripted_sequences_match_redis() {
    let mut p = Pair::start(&[]);
    for (name, script) in SCRIPTS {
        p.run_script(name, script);
        p.check_stats();
    }
}

#[test]
fn resp3_replies_match_redis() {
    let mut p = Pair::start(&[]);
    p.both_raw(&["HELLO", "3"]);
    p.run_script(
        "resp3",
        &[
            &["DEL", "a", "b", "k"],
            &["GET", "k"],
            &["MGET", "k", "a"],
            &["SET", "k", "v", "NX", "GET"],
            &["SET", "k", "v", "XX", "GET"],
            &["GETEX", "nokey"],
            &["GETDEL", "nokey"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["MSET", "a", "ohmytext", "b", "mynewtext"],
            &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
            &[
                "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7", "GET", "u2", "0",
            ],
            &["BITFIELD_RO", "k", "GET", "u2", "0"],
            &["DEL", "f"],
        ],
    );
}

#[test]
fn lower_proto_max_bulk_len_matches_redis() {
    let mut p = Pair::start(&["--proto-max-bulk-len", "1048576"]);
    p.run_script(
        "limits",
        &[
            &["DEL", "k", "n"],
            &["SET", "k", "abc"],
            &["SETRANGE", "k", "1048573", "abc"],
            &["SETRANGE", "k", "1048574", "abc"],
            &["STRLEN", "k"],
            &["APPEND", "k", "x"],
            &["SETRANGE", "n", "1048574", "abc"],
            &["SETBIT", "k", "8388607", "1"],
            &["SETBIT", "k", "8388608", "1"],
            &["GETBIT", "k", "8388608"],
            &["BITFIELD", "k", "GET", "i8", "8388600"],
            &["BITFIELD", "k", "GET", "i8", "8388608"],
            &["BITFIELD", "k", "SET", "u8", "#1048575", "1"],
            &["MSET", "a", "x", "b", "yy"],
            &["LCS", "a", "b"],
        ],
    );
    // LCS refuses tables larger than proto-max-bulk-len.
    let big = "x".repeat(600);
    let args: Vec<Vec<u8>> = [&b"MSET"[..], b"a", big.as_bytes(), b"b", big.as_bytes()]
        .iter()
        .map(|a| a.to_vec())
        .collect();
    p.check(&args);
    p.check(&[
        b"LCS".to_vec(),
        b"a".to_vec(),
        b"b".to_vec(),
        b"LEN".to_vec(),
    ]);
}

/// Hard-coded expectations that hold without a reference server.
#[test]
fn key_behaviours_without_reference() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut ok = |args: &[&str], want: &str| assert_eq!(show(&c.cmd(args)), want, "{args:?}");
    ok(&["INCRBYFLOAT", "f", "0.1"], "$3\\r\\n0.1\\r\\n");
    ok(&["INCRBYFLOAT", "f", "0.2"], "$3\\r\\n0.3\\r\\n");
    ok(
        &["INCRBYFLOAT", "f", "inf"],
        "-ERR increment would produce NaN or Infinity\\r\\n",
    );
    ok(&["SET", "k", "old"], "+OK\\r\\n");
    ok(&["SET", "k", "new", "NX", "GET"], "$3\\r\\nold\\r\\n");
    ok(&["SETRANGE", "k", "5", "x"], ":6\\r\\n");
    ok(
        &["GET", "k"],
        "$6\\r\\nold\\x00\\x00x\\r\\n"
            .replace("\\x00", "\0")
            .as_str(),
    );
    ok(&["SETBIT", "b", "9", "1"], ":0\\r\\n");
    ok(&["BITCOUNT", "b"], ":1\\r\\n");
    ok(&["BITPOS", "b", "1"], ":9\\r\\n");
    ok(
        &[
            "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "4",
        ],
        "*1\\r\\n$-1\\r\\n",
    );
    ok(&["MSET", "a", "ohmytext", "c", "mynewtext"], "+OK\\r\\n");
    ok(&["LCS", "a", "c", "LEN"], ":6\\r\\n");
    ok(
        &["SET", "k", "v", "EX", "0"],
        "-ERR invalid expire time in 'set' command\\r\\n",
    );
}

/// The declarations (COMMAND INFO, and since/group from COMMAND DOCS)
/// match the reference, apart from key-spec notes (prose the command
/// table does not carry).
#[test]
fn command_info_matches_redis() {
    let mut p = Pair::start(&[]);
    if p.reference.is_none() {
        return;
    }
    for name in [
        "get",
        "set",
        "setnx",
        "setex",
        "psetex",
        "getex",
        "getdel",
        "getset",
        "mget",
        "mset",
        "msetnx",
        "append",
        "strlen",
        "getrange",
        "substr",
        "setrange",
        "lcs",
        "incr",
        "decr",
        "incrby",
        "decrby",
        "incrbyfloat",
        "setbit",
        "getbit",
        "bitcount",
        "bitpos",
        "bitop",
        "bitfield",
        "bitfield_ro",
    ] {
        let (ours, theirs) = p.both_raw(&["COMMAND", "INFO", name]);
        let theirs = theirs.expect("reference");
        let ours = Resp::parse(&ours);
        let theirs = Resp::parse(&theirs).without_notes();
        assert_eq!(ours, theirs, "COMMAND INFO {name}");
        let (ours, theirs) = p.both_raw(&["COMMAND", "DOCS", name]);
        let (ours, theirs) = (Resp::parse(&ours), Resp::parse(&theirs.expect("reference")));
        for field in ["since", "group"] {
            assert_eq!(
                ours.doc_field(field),
                theirs.doc_field(field),
                "COMMAND DOCS {name} {field}"
            );
            assert!(ours.doc_field(field).is_some(), "{name} {field}");
        }
    }
}

/// A parsed RESP2 reply, for structural comparisons.
#[derive(Debug, PartialEq, Clone)]
enum Resp {
    Line(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<Resp>),
}

impl Resp {
    fn parse(b: &[u8]) -> Resp {
        let mut pos = 0;
        let r = Self::parse_at(b, &mut pos);
        assert_eq!(pos, b.len());
        r
    }

    fn parse_at(b: &[u8], pos: &mut usize) -> Resp {
        let t = b[*pos];
        let end = *pos
            + b[*pos..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("crlf");
        let line = &b[*pos + 1..end];
        *pos = end + 2;
        let n = || -> i64 {
            std::str::from_utf8(line)
                .expect("utf8")
                .parse()
                .expect("num")
        };
        match t {
            b':' => Resp::Int(n()),
            b'$' if n() < 0 => Resp::Bulk(None),
            b'$' => {
                let l = n() as usize;
                let v = b[*pos..*pos + l].to_vec();
                *pos += l + 2;
                Resp::Bulk(Some(v))
            }
            b'*' => Resp::Arr((0..n().max(0)).map(|_| Self::parse_at(b, pos)).collect()),
            _ => Resp::Line(b[end - line.len() - 1..end].to_vec()),
        }
    }

    /// Drops `notes` entries from every flat key/value array.
    fn without_notes(&self) -> Resp {
        match self {
            Resp::Arr(items) => {
                let mut out = Vec::new();
                let mut i = 0;
                while i < items.len() {
                    if items[i] == Resp::Bulk(Some(b"notes".to_vec())) && i % 2 == 0 {
                        i += 2;
                        continue;
                    }
                    out.push(items[i].without_notes());
                    i += 1;
                }
                Resp::Arr(out)
            }
            other => other.clone(),
        }
    }

    /// `since`/`group` from a COMMAND DOCS reply: [name, [k, v, ...]].
    fn doc_field(&self, field: &str) -> Option<Vec<u8>> {
        let Resp::Arr(top) = self else { return None };
        let Some(Resp::Arr(kv)) = top.get(1) else {
            return None;
        };
        kv.chunks(2).find_map(|p| match p {
            [Resp::Bulk(Some(k)), Resp::Bulk(Some(v))] if k == field.as_bytes() => Some(v.clone()),
            _ => None,
        })
    }
}

#[test]
fn random_sequences_match_redis() {
    let mut p = Pair::start(&[]);
    if p.reference.is_none() {
        return;
    }
    let seed: u64 = std::env::var("STRINGS_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0007);
    let n: usize = std::env::var("STRINGS_FUZZ_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6000);
    // Set to compare the stats after every command (slow, for hunting a
    // difference the final comparison found).
    let stats_every_op = std::env::var_os("STRINGS_FUZZ_STATS").is_some();
    let mut rng = StdRng::seed_from_u64(seed);
    p.history.push(format!("== random, seed {seed}"));
    for _ in 0..n {
        let cmd = random_command(&mut rng);
        if cmd[0] == "#ENC" {
            p.check_encoding(&cmd[1]);
            continue;
        }
        let args: Vec<Vec<u8>> = cmd.iter().map(|a| arg(a)).collect();
        p.check(&args);
        if stats_every_op {
            p.check_stats();
        }
    }
    p.check_stats();
}
