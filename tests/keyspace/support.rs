//! Helpers of the keyspace tests: a pair of servers (ours and the
//! reference) driven in lockstep, and a small RESP parser for replies that
//! need normalising before comparison.

use std::collections::BTreeSet;

use crate::common::*;

pub const OPTS: &[&str] = &["--enable-debug-command", "yes"];

/// A RESP value, for replies that need normalising before comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum R {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<R>),
}

pub fn parse(b: &[u8]) -> R {
    pub fn one(b: &[u8], pos: &mut usize) -> R {
        let end = *pos
            + b[*pos..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("line end");
        let t = b[*pos];
        let line = b[*pos + 1..end].to_vec();
        *pos = end + 2;
        let n = || -> i64 {
            std::str::from_utf8(&line)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        };
        match t {
            b'+' => R::Simple(line),
            b'-' => R::Error(line),
            b':' => R::Int(n()),
            b'#' => R::Int((line == b"t") as i64),
            b'_' => R::Null,
            b'$' | b'=' if n() < 0 => R::Null,
            b'$' | b'=' => {
                let l = n() as usize;
                let v = b[*pos..*pos + l].to_vec();
                *pos += l + 2;
                R::Bulk(v)
            }
            b'*' | b'~' | b'>' | b'%' if n() < 0 => R::Null,
            b'*' | b'~' | b'>' | b'%' => {
                let items = if t == b'%' { 2 * n() } else { n() };
                R::Array((0..items).map(|_| one(b, pos)).collect())
            }
            _ => panic!("unexpected RESP type {}", t as char),
        }
    }
    let mut pos = 0;
    one(b, &mut pos)
}

/// Our server and, if installed, the reference, each with a connection.
pub struct Pair {
    pub ours: Conn,
    pub reference: Option<Conn>,
    _servers: (Server, Option<Server>),
}

impl Pair {
    pub fn start(extra: &[&str]) -> Pair {
        let mut args = OPTS.to_vec();
        args.extend_from_slice(extra);
        let s = Server::start(&args);
        let r = Server::start_reference(&args);
        Pair {
            ours: s.conn(),
            reference: r.as_ref().map(|r| r.conn()),
            _servers: (s, r),
        }
    }

    /// Sends `args` to both servers and returns both replies.
    pub fn both(&mut self, args: &[&str]) -> (Vec<u8>, Option<Vec<u8>>) {
        let a = self.ours.cmd(args);
        let b = self.reference.as_mut().map(|r| r.cmd(args));
        (a, b)
    }

    /// Sends `args` to both; the raw replies must be identical.
    pub fn same(&mut self, args: &[&str]) -> Vec<u8> {
        let (a, b) = self.both(args);
        if let Some(b) = b {
            // A remaining TTL read on two servers a moment apart may differ
            // by one unit of rounding when the machine is busy; errors and
            // -1/-2 must still match exactly.
            let cmd = args[0].to_ascii_uppercase();
            if cmd == "TTL" || cmd == "PTTL" {
                let int = |r: &[u8]| -> Option<i64> {
                    std::str::from_utf8(r.strip_prefix(b":")?)
                        .ok()?
                        .trim()
                        .parse()
                        .ok()
                };
                if let (Some(x), Some(y)) = (int(&a), int(&b)) {
                    let slack = if cmd == "TTL" { 1 } else { 1000 };
                    assert!(
                        x >= 0 && y >= 0 && (x - y).abs() <= slack || x == y,
                        "reply to {args:?}: ours {x}, redis {y}"
                    );
                    return a;
                }
            }
            assert_eq!(
                show(&a),
                show(&b),
                "reply to {args:?} (left: ours, right: redis)"
            );
        }
        a
    }

    /// Like [`same`](Self::same), and our reply must also be `want`.
    pub fn expect(&mut self, args: &[&str], want: &str) {
        let a = self.same(args);
        assert_eq!(show(&a), want, "reply to {args:?}");
    }

    pub fn run(&mut self, script: &[&[&str]]) {
        for c in script {
            self.same(c);
        }
    }

    /// Sends `args` to both; the replies must be equal once every array in
    /// them is sorted.
    pub fn same_unordered(&mut self, args: &[&str]) -> R {
        let (a, b) = self.both(args);
        let a = sorted(parse(&a));
        if let Some(b) = b {
            assert_eq!(a, sorted(parse(&b)), "reply to {args:?} (left: ours)");
        }
        a
    }

    /// Runs a whole SCAN iteration on both; the sets of keys must match.
    pub fn same_full_scan(&mut self, extra: &[&str]) -> BTreeSet<Vec<u8>> {
        let a = full_scan(&mut self.ours, extra);
        if let Some(r) = self.reference.as_mut() {
            assert_eq!(a, full_scan(r, extra), "SCAN {extra:?}");
        }
        a
    }

    /// Runs `f` on each connection (for steps that are not comparisons).
    pub fn each(&mut self, mut f: impl FnMut(&mut Conn)) {
        f(&mut self.ours);
        if let Some(r) = self.reference.as_mut() {
            f(r);
        }
    }
}

pub fn sorted(r: R) -> R {
    match r {
        R::Array(v) => {
            let mut v: Vec<R> = v.into_iter().map(sorted).collect();
            v.sort();
            R::Array(v)
        }
        r => r,
    }
}

pub fn int(b: &[u8]) -> i64 {
    match parse(b) {
        R::Int(i) => i,
        r => panic!("not an integer reply: {r:?}"),
    }
}

/// One whole SCAN iteration: every key it returned.
pub fn full_scan(c: &mut Conn, extra: &[&str]) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..1_000_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = c.cmd(&args);
        let R::Array(parts) = parse(&reply) else {
            panic!("SCAN reply {}", show(&reply));
        };
        let [R::Bulk(next), R::Array(items)] = &parts[..] else {
            panic!("SCAN reply {}", show(&reply));
        };
        for i in items {
            let R::Bulk(k) = i else { panic!("key {i:?}") };
            keys.insert(k.clone());
        }
        cursor = String::from_utf8(next.clone()).expect("cursor");
        if cursor == "0" {
            return keys;
        }
    }
    panic!("SCAN did not terminate");
}

/// Sends many commands at once and reads all the replies.
pub fn pipeline(c: &mut Conn, cmds: &[Vec<String>]) {
    let mut buf = Vec::new();
    for cmd in cmds {
        let a: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
        buf.extend_from_slice(&Conn::encode(&a));
    }
    c.send_raw(&buf);
    for _ in cmds {
        c.read_reply().expect("reply");
    }
}

pub fn set_many(c: &mut Conn, prefix: &str, range: std::ops::Range<usize>) {
    let cmds: Vec<Vec<String>> = range
        .map(|i| vec!["SET".into(), format!("{prefix}{i}"), format!("v{i}")])
        .collect();
    for chunk in cmds.chunks(5000) {
        pipeline(c, chunk);
    }
}

// A fixed future time (2096) so that expiry times compare exactly.
pub const FAR: &str = "4000000000";
pub const FAR_MS: &str = "4000000000123";
