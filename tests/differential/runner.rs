//! Sends generated command streams to two servers in pipelined batches and
//! compares the (normalised) replies byte for byte.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use super::gen::{Args, Norm, Spec, ABS_TIMES_S, G};
use crate::cmd;
use crate::common::{array_items, frame_len, show, Conn, Value};

/// How many preceding commands a mismatch report shows.
const HISTORY: usize = 20;
/// Largest pipelined batch (commands); batch sizes are random below it, so
/// replies and requests are split at varying points.
const MAX_BATCH: u64 = 400;
/// Percent of generated commands that go through the generic mutator.
const MUTATE_PERCENT: u64 = 3;

/// One connection, with a second handle to write while the first reads.
pub struct Side {
    pub label: &'static str,
    conn: Conn,
    writer: TcpStream,
    /// In the keyspace-events test: a second connection subscribed to
    /// every keyspace and keyevent channel.
    events: Option<Conn>,
    /// The connection itself (RESP3) subscribes to every event: its own
    /// events arrive as push frames among its replies.
    in_band: bool,
}

/// What the events subscriber sends after each run to find the end of
/// the run's events: its answer comes after every message published
/// before it.
const EVENTS_SENTINEL: &[u8] = b"__events_sentinel__";

impl Side {
    pub fn connect(label: &'static str, port: u16, resp3: bool) -> Side {
        let mut conn = Conn::connect(port);
        conn.set_read_timeout(Duration::from_secs(120));
        if resp3 {
            let r = conn.cmd(&["HELLO", "3"]);
            assert!(r.starts_with(b"%"), "{label}: HELLO 3 replied {}", show(&r));
        }
        let writer = conn.stream.try_clone().expect("clone stream");
        Side {
            label,
            conn,
            writer,
            events: None,
            in_band: false,
        }
    }

    /// Turns on every keyspace event class (`KEAmn`) and subscribes this
    /// (RESP3) connection itself to all of them.
    pub fn watch_events_in_band(&mut self) {
        let r = self
            .conn
            .cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAmn"]);
        assert!(r.starts_with(b"+OK"), "{}: {}", self.label, show(&r));
        let r = self.conn.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        assert!(r.starts_with(b">3"), "{}: {}", self.label, show(&r));
        self.in_band = true;
    }

    /// Turns on every keyspace event class (`KEAmn`) on the server and
    /// subscribes a second connection (RESP2) to all of them.
    pub fn watch_events(&mut self, port: u16) {
        let r = self
            .conn
            .cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAmn"]);
        assert!(r.starts_with(b"+OK"), "{}: {}", self.label, show(&r));
        let mut sub = Conn::connect(port);
        sub.set_read_timeout(Duration::from_secs(120));
        let r = sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        assert!(r.starts_with(b"*3"), "{}: {}", self.label, show(&r));
        self.events = Some(sub);
    }

    /// The keyspace events published since the last call, each as
    /// `channel <- payload`, in order.
    fn take_events(&mut self) -> Result<Vec<Vec<u8>>, String> {
        let Some(sub) = self.events.as_mut() else {
            return Ok(Vec::new());
        };
        sub.send_raw(&Conn::encode(&[b"PING", EVENTS_SENTINEL]));
        let mut out = Vec::new();
        loop {
            let f = sub.try_read_reply()?;
            match Value::parse(&f).items() {
                [Value::Bulk(kind), Value::Bulk(s)] if kind == b"pong" && s == EVENTS_SENTINEL => {
                    return Ok(out);
                }
                [Value::Bulk(kind), _, Value::Bulk(ch), Value::Bulk(msg)]
                    if kind == b"pmessage" =>
                {
                    let mut e = ch.clone();
                    e.extend_from_slice(b" <- ");
                    e.extend_from_slice(msg);
                    out.push(e);
                }
                _ => {
                    return Err(format!(
                        "unexpected frame on the events connection: {}",
                        show(&f)
                    ))
                }
            }
        }
    }

    fn abort(&self) {
        let _ = self.conn.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// A command of a batch.
struct Planned {
    args: Args,
    norm: Norm,
    /// The generator's name (for the per-command counts).
    name: String,
    mutated: bool,
}

pub struct StreamCfg<'a> {
    pub seed: u64,
    pub stream: usize,
    pub commands: usize,
    pub specs: &'a [&'a Spec],
    /// Printed in reports: how to replay this run.
    pub replay: String,
    /// Tolerate the divergences listed in `known.rs` (not in the
    /// self-check, where there are none).
    pub tolerate_known: bool,
}

#[derive(Default)]
pub struct Stats {
    /// Keyspace events compared (the events test).
    pub events: u64,
    pub counts: BTreeMap<String, u64>,
    pub mutated: u64,
    pub total: u64,
    /// Known divergences met (see `known.rs`).
    pub known: BTreeMap<&'static str, u64>,
    /// Error replies (from the reference) per generator.
    pub errors: BTreeMap<String, u64>,
}

impl Stats {
    pub fn merge(&mut self, o: &Stats) {
        for (k, v) in &o.counts {
            *self.counts.entry(k.clone()).or_default() += v;
        }
        self.mutated += o.mutated;
        self.total += o.total;
        self.events += o.events;
        for (k, v) in &o.known {
            *self.known.entry(k).or_default() += v;
        }
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }
}

/// Renders a command for reports: printable bytes as is, others escaped,
/// long arguments cut.
pub fn show_cmd(args: &Args) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        for &b in a.iter().take(120) {
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                0x20..=0x7e => out.push(b as char),
                b'\r' => out.push_str("\\r"),
                b'\n' => out.push_str("\\n"),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        if a.len() > 120 {
            out.push_str(&format!("...({} bytes)", a.len()));
        }
        out.push('"');
    }
    out
}

fn show_reply(b: &[u8]) -> String {
    if b.len() > 1500 {
        format!("{}...({} bytes)", show(&b[..1500]), b.len())
    } else {
        show(b)
    }
}

/// Normalises a reply (see [`Norm`]).
pub fn normalise(reply: &[u8], norm: Norm) -> Vec<u8> {
    let int = || -> Option<i64> {
        if reply.first() != Some(&b':') {
            return None;
        }
        std::str::from_utf8(&reply[1..reply.len() - 2])
            .ok()?
            .parse()
            .ok()
    };
    match norm {
        Norm::Exact
        | Norm::ScanAll
        | Norm::HScanAll
        | Norm::SScanAll
        | Norm::RandField
        | Norm::RandMember
        | Norm::SRandMember
        | Norm::Encoding
        | Norm::Transaction => reply.to_vec(),
        Norm::Sorted => match array_items(reply) {
            Some(mut items) => {
                items.sort();
                let mut out = format!("{}{}\r\n", reply[0] as char, items.len()).into_bytes();
                for i in items {
                    out.extend_from_slice(&i);
                }
                out
            }
            None => reply.to_vec(),
        },
        Norm::SortedPairs => {
            let map = reply.first() == Some(&b'%');
            let body = if map {
                // Re-read "%N" as "*2N" to split it like an array.
                let e = reply.windows(2).position(|w| w == b"\r\n");
                e.and_then(|e| {
                    let n: usize = std::str::from_utf8(&reply[1..e]).ok()?.parse().ok()?;
                    let mut a = format!("*{}\r\n", 2 * n).into_bytes();
                    a.extend_from_slice(&reply[e + 2..]);
                    array_items(&a)
                })
            } else {
                array_items(reply)
            };
            match body {
                Some(items) if items.len() % 2 == 0 => {
                    let mut pairs: Vec<Vec<u8>> = items.chunks(2).map(|c| c.concat()).collect();
                    pairs.sort();
                    let mut out = if map {
                        format!("%{}\r\n", pairs.len())
                    } else {
                        format!("*{}\r\n", 2 * pairs.len())
                    }
                    .into_bytes();
                    for p in pairs {
                        out.extend_from_slice(&p);
                    }
                    out
                }
                _ => reply.to_vec(),
            }
        }
        Norm::NilOrNot => match reply {
            b"$-1\r\n" | b"*-1\r\n" | b"_\r\n" => b"<nil>".to_vec(),
            r if r.first() == Some(&b'-') => r.to_vec(),
            r => format!("<not nil: type {}>", r[0] as char).into_bytes(),
        },
        Norm::Ttl => match int() {
            Some(n) if n > 0 => b":<positive>".to_vec(),
            _ => reply.to_vec(),
        },
        Norm::AbsTime => match int() {
            Some(n) if n > 0 && !ABS_TIMES_S.iter().any(|&t| t == n || t * 1000 == n) => {
                b":<positive, not one of the generator's absolute times>".to_vec()
            }
            _ => reply.to_vec(),
        },
        Norm::AnyInt => match int() {
            Some(_) => b":<int>".to_vec(),
            None => reply.to_vec(),
        },
        Norm::Dump => dump_canonical(reply),
    }
}

/// A DUMP payload of a hash table (set or hash: element order is the
/// table's own) as its type and sorted contents, and of a list as its type
/// and elements (the split into nodes follows the list's history); any
/// other reply as is.
fn dump_canonical(reply: &[u8]) -> Vec<u8> {
    use persistence::object::{read_object, Object};
    let Value::Bulk(p) = Value::parse(reply) else {
        return reply.to_vec();
    };
    let Ok(body) = persistence::rdb::verify_payload(&p, true) else {
        return reply.to_vec();
    };
    let t = body[0];
    if t != persistence::rdb::TYPE_SET
        && t != persistence::rdb::TYPE_HASH
        && t != persistence::rdb::TYPE_LIST_QUICKLIST_2
    {
        return reply.to_vec();
    }
    match read_object(t, &mut persistence::rdb::Reader::new(&body[1..])) {
        Ok(Object::Set(mut m)) => {
            m.sort();
            format!("<set payload {m:?}>").into_bytes()
        }
        Ok(Object::Hash(mut h)) => {
            h.sort();
            format!("<hash payload {h:?}>").into_bytes()
        }
        // How a list is split into nodes depends on its history of edits;
        // the elements must be the same.
        Ok(Object::List(items)) => format!("<list payload {items:?}>").into_bytes(),
        _ => reply.to_vec(),
    }
}

/// Drives a whole SCAN iteration; returns the normalised result: the first
/// error exactly, or the sorted set of keys.
fn scan_all(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    scan_all_at(side, args, 1, false)
}

/// [`scan_all`] for HSCAN: the cursor is args[2], items are field/value
/// pairs (unless NOVALUES, which Redis 7.0 rejects).
fn hscan_all(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    let novalues = args.iter().any(|a| a.eq_ignore_ascii_case(b"novalues"));
    scan_all_at(side, args, 2, !novalues)
}

/// [`scan_all`] for SSCAN: the cursor is args[2], items are members.
fn sscan_all(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    scan_all_at(side, args, 2, false)
}

fn scan_all_at(
    side: &mut Side,
    args: &Args,
    cursor_at: usize,
    pairs: bool,
) -> Result<Vec<u8>, String> {
    let mut cursor = b"0".to_vec();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for round in 0.. {
        if round > 100_000 {
            return Ok(b"<SCAN did not terminate after 100000 calls>".to_vec());
        }
        let mut a = args.clone();
        a[cursor_at] = cursor.clone();
        let refs: Vec<&[u8]> = a.iter().map(|x| x.as_slice()).collect();
        side.conn.send_raw(&Conn::encode(&refs));
        let r = side.conn.try_read_reply()?;
        if r.first() == Some(&b'-') || r.first() == Some(&b'!') {
            return Ok(if round == 0 {
                r
            } else {
                format!("<error in SCAN round {round}: {}>", show(&r)).into_bytes()
            });
        }
        // "*2\r\n", the cursor as a bulk string, the array of keys.
        let parsed = (|| {
            if !r.starts_with(b"*2\r\n") {
                return None;
            }
            let cur_len = frame_len(&r[4..])?;
            let Value::Bulk(c) = Value::parse(&r[4..4 + cur_len]) else {
                return None;
            };
            Some((c, array_items(&r[4 + cur_len..])?))
        })();
        let Some((c, items)) = parsed else {
            return Ok(format!("<malformed SCAN reply: {}>", show(&r)).into_bytes());
        };
        if pairs {
            if items.len() % 2 != 0 {
                return Ok(format!("<odd HSCAN item count: {}>", show(&r)).into_bytes());
            }
            keys.extend(items.chunks(2).map(|c| c.concat()));
        } else {
            keys.extend(items);
        }
        cursor = c;
        if cursor == b"0" {
            break;
        }
    }
    keys.sort();
    keys.dedup();
    let mut out = format!("<SCAN complete, {} distinct keys>", keys.len()).into_bytes();
    for k in keys {
        out.extend_from_slice(&k);
    }
    Ok(out)
}

/// `OBJECT ENCODING key`, with the answer translated to Redis 7.0's names:
/// since 7.2 small lists and sets of strings are `listpack`, where 7.0 says
/// `quicklist` and `hashtable`. The key's `TYPE` on the same server decides,
/// so a `listpack` hash or sorted set is still compared as it is. The
/// thresholds themselves are checked by the families' integration tests.
fn encoding_as_7_0(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    let refs: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
    side.conn.send_raw(&Conn::encode(&refs));
    let r = side.conn.try_read_reply()?;
    if args.len() != 3 || !matches!(Value::parse(&r), Value::Bulk(ref e) if e == b"listpack") {
        return Ok(r);
    }
    side.conn
        .send_raw(&Conn::encode(&[&b"TYPE"[..], &args[2][..]]));
    let t = side.conn.try_read_reply()?;
    let renamed: &[u8] = match &t[..] {
        b"+list\r\n" => b"$9\r\nquicklist\r\n",
        b"+set\r\n" => b"$9\r\nhashtable\r\n",
        _ => return Ok(r),
    };
    Ok(renamed.to_vec())
}

/// HRANDFIELD followed by `HGETALL key`; see [`Norm::RandField`].
fn randfield(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    random_pick(side, args, &[b"HGETALL"], &[])
}

/// ZRANDMEMBER followed by `ZRANGE key 0 -1 WITHSCORES`; see
/// [`Norm::RandMember`].
fn randmember(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    random_pick(side, args, &[b"ZRANGE"], &[b"0", b"-1", b"WITHSCORES"])
}

/// A pair list as HGETALL or ZRANGE WITHSCORES reply it (a map, nested
/// pairs, or a flat array), as member -> value.
fn pair_map(v: &Value) -> BTreeMap<Vec<u8>, Value> {
    let nested = v
        .items()
        .first()
        .is_some_and(|i| matches!(i, Value::Array(_)));
    let pairs: Vec<(Value, Value)> = if nested {
        v.items()
            .iter()
            .filter_map(|p| match p.items() {
                [a, b] => Some((a.clone(), b.clone())),
                _ => None,
            })
            .collect()
    } else {
        v.pairs()
    };
    pairs
        .into_iter()
        .filter_map(|(f, v)| match f {
            Value::Bulk(f) => Some((f, v)),
            _ => None,
        })
        .collect()
}

/// A random pick (HRANDFIELD, ZRANDMEMBER: `cmd key [count [WITH...]]`)
/// followed by `before key after`, which lists the whole collection on
/// the same server; the reply is replaced by what must hold whatever was
/// chosen (see [`Norm::RandField`]).
fn random_pick(
    side: &mut Side,
    args: &Args,
    before: &[&[u8]],
    after: &[&[u8]],
) -> Result<Vec<u8>, String> {
    let refs: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
    side.conn.send_raw(&Conn::encode(&refs));
    let r = side.conn.try_read_reply()?;
    if args.len() < 2 || matches!(r.first(), Some(b'-') | Some(b'!')) {
        return Ok(r);
    }
    let mut all_cmd: Vec<&[u8]> = before.to_vec();
    all_cmd.push(&args[1]);
    all_cmd.extend_from_slice(after);
    side.conn.send_raw(&Conn::encode(&all_cmd));
    let all = side.conn.try_read_reply()?;
    let whole: BTreeMap<Vec<u8>, Value> = match Value::parse(&all) {
        Value::Error(_) => BTreeMap::new(),
        v => pair_map(&v),
    };
    let reply = Value::parse(&r);
    let count: Option<i64> = args
        .get(2)
        .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok());
    let Some(count) = count else {
        // No count: nil, or one member of the collection.
        return Ok(match reply {
            Value::Bulk(f) if whole.contains_key(&f) => b"<a member of the collection>".to_vec(),
            Value::Bulk(f) => format!("<NOT a member: {}>", show(&f)).into_bytes(),
            _ => r,
        });
    };
    let with_values = args.len() == 4;
    let resp3_pairs = with_values && r.starts_with(b"*") && {
        // RESP3 WITHVALUES/WITHSCORES: an array of [member, value] arrays.
        reply
            .items()
            .first()
            .is_some_and(|i| matches!(i, Value::Array(_)))
    };
    let mut picked: Vec<(Vec<u8>, Option<Value>)> = Vec::new();
    let items = reply.items();
    if resp3_pairs {
        for it in items {
            match it.items() {
                [Value::Bulk(f), v] => picked.push((f.clone(), Some(v.clone()))),
                _ => return Ok(format!("<malformed pair in {}>", show(&r)).into_bytes()),
            }
        }
    } else if with_values {
        if items.len() % 2 != 0 {
            return Ok(format!("<odd length: {}>", show(&r)).into_bytes());
        }
        for c in items.chunks(2) {
            match c {
                [Value::Bulk(f), v] => picked.push((f.clone(), Some(v.clone()))),
                _ => return Ok(format!("<malformed: {}>", show(&r)).into_bytes()),
            }
        }
    } else {
        for it in items {
            match it {
                Value::Bulk(f) => picked.push((f.clone(), None)),
                _ => return Ok(format!("<malformed: {}>", show(&r)).into_bytes()),
            }
        }
    }
    let mut out = format!(
        "<{} items, type {}, nested {}>",
        picked.len(),
        r[0] as char,
        resp3_pairs
    )
    .into_bytes();
    for (f, v) in &picked {
        match (whole.get(f), v) {
            (None, _) => {
                out.extend_from_slice(format!("<NOT a member: {}>", show(f)).as_bytes());
            }
            (Some(hv), Some(v)) if hv != v => {
                out.extend_from_slice(
                    format!("<wrong value for {}: {v:?}, not {hv:?}>", show(f)).as_bytes(),
                );
            }
            _ => {}
        }
    }
    if count > 0 {
        let distinct: std::collections::BTreeSet<&Vec<u8>> =
            picked.iter().map(|(f, _)| f).collect();
        if distinct.len() != picked.len() {
            out.extend_from_slice(b"<repeated members for a positive count>");
        }
        if count as usize >= whole.len() {
            // The whole collection: compare it exactly (order aside).
            let mut all: Vec<&Vec<u8>> = distinct.into_iter().collect();
            all.sort();
            for f in all {
                out.extend_from_slice(f);
                out.push(b'|');
            }
        }
    }
    Ok(out)
}

/// SRANDMEMBER followed by `SMEMBERS key`; see [`Norm::SRandMember`].
fn srandmember(side: &mut Side, args: &Args) -> Result<Vec<u8>, String> {
    let refs: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
    side.conn.send_raw(&Conn::encode(&refs));
    let r = side.conn.try_read_reply()?;
    if args.len() < 2 || matches!(r.first(), Some(b'-') | Some(b'!')) {
        return Ok(r);
    }
    side.conn
        .send_raw(&Conn::encode(&[&b"SMEMBERS"[..], &args[1][..]]));
    let all = side.conn.try_read_reply()?;
    let set: std::collections::BTreeSet<Vec<u8>> = match Value::parse(&all) {
        Value::Error(_) => Default::default(),
        v => v
            .items()
            .iter()
            .filter_map(|m| match m {
                Value::Bulk(m) => Some(m.clone()),
                _ => None,
            })
            .collect(),
    };
    let reply = Value::parse(&r);
    let count: Option<i64> = args
        .get(2)
        .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok());
    let Some(count) = count else {
        // No count: nil, or one member of the set.
        return Ok(match reply {
            Value::Bulk(m) if set.contains(&m) => b"<a member of the set>".to_vec(),
            Value::Bulk(m) => format!("<NOT a member: {}>", show(&m)).into_bytes(),
            _ => r,
        });
    };
    let mut picked: Vec<Vec<u8>> = Vec::new();
    for it in reply.items() {
        match it {
            Value::Bulk(m) => picked.push(m.clone()),
            _ => return Ok(format!("<malformed: {}>", show(&r)).into_bytes()),
        }
    }
    let mut out = format!("<{} items, type {}>", picked.len(), r[0] as char).into_bytes();
    for m in &picked {
        if !set.contains(m) {
            out.extend_from_slice(format!("<NOT a member: {}>", show(m)).as_bytes());
        }
    }
    if count > 0 {
        let distinct: std::collections::BTreeSet<&Vec<u8>> = picked.iter().collect();
        if distinct.len() != picked.len() {
            out.extend_from_slice(b"<repeated members for a positive count>");
        }
        if count as usize >= set.len() {
            // The whole set (a BTreeSet iterates sorted).
            for m in distinct {
                out.extend_from_slice(m);
                out.push(b'|');
            }
        }
    }
    Ok(out)
}

/// Commands that are not pipelined with others: the runner drives them
/// itself on each server.
fn solo(norm: Norm) -> bool {
    matches!(
        norm,
        Norm::ScanAll
            | Norm::HScanAll
            | Norm::SScanAll
            | Norm::RandField
            | Norm::RandMember
            | Norm::SRandMember
            | Norm::Encoding
    )
}

/// Commands sent in a run of their own: the solo ones, and, when keyspace
/// events are compared, those that may visit elements in their table's
/// order, which differs between servers: replies normalised as `Sorted`
/// (SPOP, SMEMBERS...) and SORT (the key misses of its BY lookups follow
/// the order of a set's members). The events of such a run are compared as
/// a set.
fn alone(p: &Planned, events: bool) -> bool {
    solo(p.norm) || (events && (p.norm == Norm::Sorted || p.name == "sort" || p.name == "sort_ro"))
}

/// `PEXPIRE key <1..3>` (the short-TTL generator) as `PEXPIRE key 0`,
/// when keyspace events are compared. Redis decides whether the new
/// expiry is already past on a second clock reading within the command,
/// so a TTL of a few milliseconds may delete the key at once (`del`) or
/// set it (`expire`, then `expired` when next touched), depending on how
/// much time passed in between; the reply is `1` either way, the events
/// are not. No TTL is long enough to rule that out on a loaded machine;
/// zero is always past, so both servers delete the key and fire `del`.
/// (`SET ... PX` with a short TTL, which has no such check, still covers
/// `expired`.)
fn unrace_short_pexpire(args: &mut Args) {
    if args.len() == 3
        && args[0].eq_ignore_ascii_case(b"pexpire")
        && matches!(&args[2][..], b"1" | b"2" | b"3")
    {
        args[2] = b"0".to_vec();
    }
}

/// A weighted random choice among `specs`.
fn pick<'a>(specs: &[&'a Spec], g: &mut G) -> &'a Spec {
    let total: u64 = specs.iter().map(|s| s.weight as u64).sum();
    let mut w = g.below(total);
    specs
        .iter()
        .find(|s| {
            if w < s.weight as u64 {
                true
            } else {
                w -= s.weight as u64;
                false
            }
        })
        .expect("weighted pick")
}

/// A command sent as is and compared exactly.
fn plain(args: Args) -> Planned {
    Planned {
        name: String::from_utf8_lossy(&args[0]).to_ascii_lowercase(),
        args,
        norm: Norm::Exact,
        mutated: false,
    }
}

/// Generates one command of `spec` (mutated now and then), preceded by
/// the commands its generator asks to send first.
fn plan(spec: &Spec, g: &mut G, batch: &mut Vec<Planned>) {
    let mut args = (spec.gen)(g);
    let mutated = g.chance(MUTATE_PERCENT) && spec.mutate != super::gen::Mutate::Never;
    if mutated {
        g.mutate(&mut args, spec.mutate);
    }
    for pre in std::mem::take(&mut g.pre) {
        batch.push(plain(pre));
    }
    batch.push(Planned {
        args,
        norm: spec.norm,
        name: spec.name.to_string(),
        mutated,
    });
}

/// Runs one stream against two servers. `Err` holds a complete report.
pub fn run_stream(cfg: &StreamCfg, a: &mut Side, b: &mut Side) -> Result<Stats, String> {
    let mut g = G::new(cfg.seed);
    let mut stats = Stats::default();
    let mut history: VecDeque<(u64, Args)> = VecDeque::new();
    assert!(
        cfg.specs.iter().any(|s| s.weight > 0),
        "no command generators enabled"
    );
    let mut index: u64 = 0;
    let mut generated = 0usize;
    while generated < cfg.commands {
        // Assemble a batch.
        let target = 1 + g.below(MAX_BATCH) as usize;
        let mut batch: Vec<Planned> = Vec::new();
        let mut pause = 0;
        while batch.len() < target && generated < cfg.commands {
            let spec = pick(cfg.specs, &mut g);
            let first = batch.len();
            if spec.norm == Norm::Transaction {
                // MULTI, a few ordinary commands (queued), EXEC: the EXEC
                // reply carries the queued commands' replies, compared
                // exactly, so only exactly-compared commands go inside.
                let inner: Vec<&Spec> = cfg
                    .specs
                    .iter()
                    .copied()
                    .filter(|s| s.norm == Norm::Exact)
                    // Events compared: SORT only runs alone (see `alone`).
                    .filter(|s| a.events.is_none() || !matches!(s.name, "sort" | "sort_ro"))
                    .collect();
                batch.push(plain(cmd![g.case("multi")]));
                for _ in 0..g.below(6) {
                    if !inner.is_empty() {
                        plan(pick(&inner, &mut g), &mut g, &mut batch);
                    }
                }
                batch.push(plain(cmd![g.case("exec")]));
            } else {
                plan(spec, &mut g, &mut batch);
            }
            if a.events.is_some() {
                // Inside MULTI too: EXEC runs the same check.
                for p in &mut batch[first..] {
                    unrace_short_pexpire(&mut p.args);
                }
            }
            generated += 1;
            if g.pause_after_ms > 0 {
                pause = std::mem::take(&mut g.pause_after_ms);
                break;
            }
        }
        if a.in_band {
            // The whole batch at once, compared as one byte stream: the
            // replies with the push frames of the events among them.
            match pipeline_in_band(a, b, &batch) {
                Ok((ra, rb)) if ra == rb => {}
                Ok((ra, rb)) => {
                    let labels = (a.label, b.label);
                    return Err(report_in_band(
                        cfg, index, &batch, labels, &ra, &rb, &history,
                    ));
                }
                Err(e) => return Err(format!("{}  {e}\n", header(cfg, index, &batch[0].args))),
            }
            for p in &batch {
                *stats.counts.entry(p.name.clone()).or_default() += 1;
                stats.total += 1;
                stats.mutated += u64::from(p.mutated);
                history.push_back((index, p.args.clone()));
                if history.len() > HISTORY {
                    history.pop_front();
                }
                index += 1;
            }
            if pause > 0 {
                std::thread::sleep(Duration::from_millis(pause));
            }
            continue;
        }
        // Send it: runs of ordinary commands pipelined, solo ones alone.
        let mut i = 0;
        while i < batch.len() {
            let events = a.events.is_some();
            let end = if alone(&batch[i], events) {
                i + 1
            } else {
                batch[i..]
                    .iter()
                    .position(|p| alone(p, events))
                    .map_or(batch.len(), |p| i + p)
            };
            let run = &batch[i..end];
            let replies: ReplyPairs = if solo(run[0].norm) {
                let drive = match run[0].norm {
                    Norm::ScanAll => scan_all,
                    Norm::HScanAll => hscan_all,
                    Norm::SScanAll => sscan_all,
                    Norm::RandField => randfield,
                    Norm::RandMember => randmember,
                    Norm::SRandMember => srandmember,
                    _ => encoding_as_7_0,
                };
                let ra = drive(a, &run[0].args);
                let rb = drive(b, &run[0].args);
                match (ra, rb) {
                    (Ok(x), Ok(y)) => vec![(x, y)],
                    (ra, rb) => {
                        return Err(report_io(cfg, index, &run[0].args, ra, rb, &history, a, b))
                    }
                }
            } else {
                match pipeline(a, b, run) {
                    Ok(r) => r,
                    Err((k, ra, rb)) => {
                        return Err(report_io(
                            cfg,
                            index + k as u64,
                            &run[k].args,
                            ra,
                            rb,
                            &history,
                            a,
                            b,
                        ))
                    }
                }
            };
            let run_start = index;
            let mut run_replies = Vec::with_capacity(run.len());
            // A tolerated divergence (see `known.rs`) makes the servers
            // do different things: the run's events are not compared.
            let mut diverged = false;
            for (p, (ra, rb)) in run.iter().zip(replies) {
                run_replies.push(show_reply(&rb));
                let (na, nb) = (normalise(&ra, p.norm), normalise(&rb, p.norm));
                let known = if na != nb && cfg.tolerate_known {
                    super::known::tolerated(&p.args, &ra, &rb)
                } else {
                    None
                };
                if let Some(what) = known {
                    *stats.known.entry(what).or_default() += 1;
                    diverged = true;
                } else if na != nb {
                    let mut r = header(cfg, index, &p.args);
                    if p.mutated {
                        r.push_str("  (this command was mutated by the generic mutator)\n");
                    }
                    r.push_str(&format!(
                        "  {:<10} {}\n  {:<10} {}\n",
                        format!("{}:", a.label),
                        show_reply(&ra),
                        format!("{}:", b.label),
                        show_reply(&rb)
                    ));
                    if p.norm != Norm::Exact {
                        r.push_str(&format!(
                            "  normalised ({:?}):\n  {:<10} {}\n  {:<10} {}\n",
                            p.norm,
                            format!("{}:", a.label),
                            show_reply(&na),
                            format!("{}:", b.label),
                            show_reply(&nb)
                        ));
                    }
                    r.push_str(&show_key_states(&p.args, a, b));
                    r.push_str(&show_history(&history));
                    return Err(r);
                }
                *stats.counts.entry(p.name.clone()).or_default() += 1;
                if rb.first() == Some(&b'-') {
                    *stats.errors.entry(p.name.clone()).or_default() += 1;
                }
                stats.total += 1;
                if p.mutated {
                    stats.mutated += 1;
                }
                history.push_back((index, p.args.clone()));
                if history.len() > HISTORY {
                    history.pop_front();
                }
                index += 1;
            }
            if a.events.is_some() {
                // The events of the run, in order; a command sent alone
                // may visit keys in its table's order (see `alone`), so
                // its events are compared as a set.
                let (ea, eb) = match (a.take_events(), b.take_events()) {
                    (Ok(x), Ok(y)) => (x, y),
                    (ea, eb) => {
                        let f = |x: Result<Vec<Vec<u8>>, String>| x.map(|v| v.len());
                        return Err(format!(
                            "{}  reading events: {}: {:?}, {}: {:?}\n",
                            header(cfg, run_start, &run[0].args),
                            a.label,
                            f(ea),
                            b.label,
                            f(eb)
                        ));
                    }
                };
                let (ea, eb) = if alone(&run[0], true) {
                    let (mut x, mut y) = (ea, eb);
                    x.sort();
                    y.sort();
                    (x, y)
                } else {
                    (ea, eb)
                };
                if ea != eb && !diverged {
                    let states = show_key_states(&run[0].args, a, b);
                    return Err(states
                        + &report_events(
                            cfg,
                            run_start,
                            run,
                            &run_replies,
                            &ea,
                            &eb,
                            a,
                            b,
                            &history,
                        ));
                }
                stats.events += ea.len() as u64;
            }
            i = end;
        }
        if pause > 0 {
            // A short TTL was just set: let it pass on both servers before
            // anything else can look at the key. Not a synchronisation
            // between threads: the servers compare against their clocks.
            std::thread::sleep(Duration::from_millis(pause));
        }
    }
    Ok(stats)
}

type PipeErr = (usize, Result<Vec<u8>, String>, Result<Vec<u8>, String>);
/// Each command's reply from both sides.
type ReplyPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Frames as received (replies and push frames, in order).
type Frames = Vec<Vec<u8>>;

/// Sends `run` and then `ECHO <sentinel>` to both servers and returns, for
/// each, every frame that came before the sentinel's answer.
fn pipeline_in_band(
    a: &mut Side,
    b: &mut Side,
    run: &[Planned],
) -> Result<(Frames, Frames), String> {
    let mut buf = Vec::new();
    for p in run {
        let refs: Vec<&[u8]> = p.args.iter().map(|x| x.as_slice()).collect();
        buf.extend_from_slice(&Conn::encode(&refs));
    }
    buf.extend_from_slice(&Conn::encode(&[b"ECHO", EVENTS_SENTINEL]));
    let sentinel = format!(
        "${}\r\n{}\r\n",
        EVENTS_SENTINEL.len(),
        String::from_utf8_lossy(EVENTS_SENTINEL)
    );
    std::thread::scope(|s| {
        let (wa, wb) = (&a.writer, &b.writer);
        let buf = &buf;
        let ta = s.spawn(move || (&*wa).write_all(buf));
        let tb = s.spawn(move || (&*wb).write_all(buf));
        let read = |conn: &mut Conn, label: &str| -> Result<Frames, String> {
            let mut frames = Vec::new();
            loop {
                let f = conn.try_read_reply().map_err(|e| format!("{label}: {e}"))?;
                if f == sentinel.as_bytes() {
                    return Ok(frames);
                }
                frames.push(f);
            }
        };
        let ra = read(&mut a.conn, a.label);
        let rb = if ra.is_ok() {
            read(&mut b.conn, b.label)
        } else {
            Ok(Vec::new())
        };
        if ra.is_err() || rb.is_err() {
            a.abort();
            b.abort();
        }
        let _ = ta.join();
        let _ = tb.join();
        Ok((ra?, rb?))
    })
}

/// A report of a batch whose replies and in-band events differ.
fn report_in_band(
    cfg: &StreamCfg,
    index: u64,
    batch: &[Planned],
    (la, lb): (&str, &str),
    ra: &[Vec<u8>],
    rb: &[Vec<u8>],
    history: &VecDeque<(u64, Args)>,
) -> String {
    let mut r = format!(
        "\nIN-BAND EVENTS MISMATCH in stream {} (stream seed {:#x})\n  replay: {}\n  in the batch of {} commands starting at #{index}:\n",
        cfg.stream,
        cfg.seed,
        cfg.replay,
        batch.len()
    );
    for (i, p) in batch.iter().enumerate() {
        r.push_str(&format!(
            "    #{}: {}\n",
            index + i as u64,
            show_cmd(&p.args)
        ));
    }
    let first = ra
        .iter()
        .zip(rb)
        .position(|(x, y)| x != y)
        .unwrap_or(ra.len().min(rb.len()));
    r.push_str(&format!(
        "  frames differ at #{first} ({} vs {} frames):\n",
        ra.len(),
        rb.len()
    ));
    for (side, fr) in [(la, ra), (lb, rb)] {
        r.push_str(&format!("  {side}:\n"));
        for (i, f) in fr.iter().enumerate().skip(first.saturating_sub(8)).take(24) {
            let mark = if i == first { ">" } else { " " };
            r.push_str(&format!("   {mark}{i}: {}\n", show_reply(f)));
        }
    }
    r.push_str(&show_history(history));
    r
}

/// Writes `run` to both servers (from helper threads, so a large batch
/// cannot deadlock against replies we are not reading yet) and reads all
/// replies from each.
fn pipeline(a: &mut Side, b: &mut Side, run: &[Planned]) -> Result<ReplyPairs, PipeErr> {
    let mut buf = Vec::new();
    for p in run {
        let refs: Vec<&[u8]> = p.args.iter().map(|x| x.as_slice()).collect();
        buf.extend_from_slice(&Conn::encode(&refs));
    }
    std::thread::scope(|s| {
        let (wa, wb) = (&a.writer, &b.writer);
        let buf = &buf;
        let ta = s.spawn(move || (&*wa).write_all(buf));
        let tb = s.spawn(move || (&*wb).write_all(buf));
        let mut ra = Vec::with_capacity(run.len());
        let mut rb = Vec::with_capacity(run.len());
        let mut failed = None;
        for k in 0..run.len() {
            match a.conn.try_read_reply() {
                Ok(r) => ra.push(r),
                Err(e) => {
                    failed = Some((k, Err(e), Ok(Vec::new())));
                    break;
                }
            }
        }
        if failed.is_none() {
            for (k, mine) in ra.iter().enumerate() {
                match b.conn.try_read_reply() {
                    Ok(r) => rb.push(r),
                    Err(e) => {
                        failed = Some((k, Ok(mine.clone()), Err(e)));
                        break;
                    }
                }
            }
        }
        if failed.is_some() {
            a.abort();
            b.abort();
        }
        let _ = ta.join();
        let _ = tb.join();
        match failed {
            Some(f) => Err(f),
            None => Ok(ra.into_iter().zip(rb).collect()),
        }
    })
}

fn header(cfg: &StreamCfg, index: u64, args: &Args) -> String {
    format!(
        "\nDIFFERENTIAL MISMATCH in stream {} (stream seed {:#x})\n  replay: {}\n  command #{index}: {}\n",
        cfg.stream,
        cfg.seed,
        cfg.replay,
        show_cmd(args)
    )
}

/// The type and contents of the command's first key on both servers, to
/// see what the mismatching command worked on.
fn show_key_states(args: &Args, a: &mut Side, b: &mut Side) -> String {
    let Some(key) = args.get(1) else {
        return String::new();
    };
    let mut out = format!("  the key {} now:\n", show(key));
    for side in [a, b] {
        let mut ask = |cmd: &[&[u8]]| -> String {
            side.conn.send_raw(&Conn::encode(cmd));
            match side.conn.try_read_reply() {
                Ok(r) => show_reply(&r),
                Err(e) => format!("<{e}>"),
            }
        };
        let t = ask(&[b"TYPE", key]);
        let content = if t.contains("list") {
            ask(&[b"LRANGE", key, b"0", b"-1"])
        } else if t.contains("zset") {
            ask(&[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])
        } else if t.contains("hash") {
            ask(&[b"HGETALL", key])
        } else if t.contains("set") {
            ask(&[b"SMEMBERS", key])
        } else if t.contains("string") {
            ask(&[b"GET", key])
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {:<10} {t} {content}\n",
            format!("{}:", side.label)
        ));
    }
    out
}

/// A report of differing keyspace events after a run of commands: the
/// run, then both event lists from the first difference on.
#[allow(clippy::too_many_arguments)]
fn report_events(
    cfg: &StreamCfg,
    index: u64,
    run: &[Planned],
    replies: &[String],
    ea: &[Vec<u8>],
    eb: &[Vec<u8>],
    a: &Side,
    b: &Side,
    history: &VecDeque<(u64, Args)>,
) -> String {
    let mut r = format!(
        "\nKEYSPACE EVENTS MISMATCH in stream {} (stream seed {:#x})\n  replay: {}\n  after the run of {} commands starting at #{index}:\n",
        cfg.stream,
        cfg.seed,
        cfg.replay,
        run.len()
    );
    for (i, p) in run.iter().enumerate() {
        r.push_str(&format!(
            "    #{}: {}\n        -> {}\n",
            index + i as u64,
            show_cmd(&p.args),
            replies.get(i).map_or("", String::as_str)
        ));
    }
    let first = ea
        .iter()
        .zip(eb)
        .position(|(x, y)| x != y)
        .unwrap_or(ea.len().min(eb.len()));
    let from = first.saturating_sub(6);
    r.push_str(&format!(
        "  events differ at #{first} ({} vs {} events in the run):\n",
        ea.len(),
        eb.len()
    ));
    for (side, ev) in [(a.label, ea), (b.label, eb)] {
        r.push_str(&format!("  {side}:\n"));
        for (i, e) in ev.iter().enumerate().skip(from).take(30) {
            let mark = if i == first { ">" } else { " " };
            r.push_str(&format!("   {mark}{i}: {}\n", show(e)));
        }
    }
    r.push_str(&show_history(history));
    r
}

fn show_history(h: &VecDeque<(u64, Args)>) -> String {
    let mut s = format!("  the {} preceding commands:\n", h.len());
    for (i, a) in h {
        s.push_str(&format!("    #{i}: {}\n", show_cmd(a)));
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn report_io(
    cfg: &StreamCfg,
    index: u64,
    args: &Args,
    ra: Result<Vec<u8>, String>,
    rb: Result<Vec<u8>, String>,
    history: &VecDeque<(u64, Args)>,
    a: &Side,
    b: &Side,
) -> String {
    let mut r = header(cfg, index, args);
    let f = |x: Result<Vec<u8>, String>| match x {
        Ok(v) => show_reply(&v),
        Err(e) => format!("<{e}>"),
    };
    r.push_str(&format!(
        "  {}: {}\n  {}: {}\n",
        a.label,
        f(ra),
        b.label,
        f(rb)
    ));
    r.push_str(&show_history(history));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(r: &str, norm: Norm) -> String {
        String::from_utf8(normalise(r.as_bytes(), norm)).expect("utf8")
    }

    #[test]
    fn normalisations() {
        assert_eq!(
            n("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n", Norm::Sorted),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(n("~1\r\n:1\r\n", Norm::Sorted), "~1\r\n:1\r\n");
        assert_eq!(n("-ERR x\r\n", Norm::Sorted), "-ERR x\r\n");
        assert_eq!(n(":99\r\n", Norm::Ttl), ":<positive>");
        assert_eq!(n(":-2\r\n", Norm::Ttl), ":-2\r\n");
        assert_eq!(n(":4102444800\r\n", Norm::AbsTime), ":4102444800\r\n");
        assert_eq!(n(":4102444800000\r\n", Norm::AbsTime), ":4102444800000\r\n");
        assert_ne!(n(":1800000000\r\n", Norm::AbsTime), ":1800000000\r\n");
        assert_eq!(n("$-1\r\n", Norm::NilOrNot), n("_\r\n", Norm::NilOrNot));
        assert_eq!(
            n("$1\r\na\r\n", Norm::NilOrNot),
            n("$1\r\nb\r\n", Norm::NilOrNot)
        );
        assert_eq!(n(":5\r\n", Norm::AnyInt), n(":7\r\n", Norm::AnyInt));
        let a = "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n";
        let b = "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n";
        assert_eq!(n(a, Norm::SortedPairs), b);
        let m = "%2\r\n$1\r\nb\r\n:2\r\n$1\r\na\r\n:1\r\n";
        assert_eq!(
            n(m, Norm::SortedPairs),
            "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n"
        );
    }

    /// The generator must never produce an expiry that could pass while the
    /// stream runs (a relative TTL under ~1 day, an absolute time near now),
    /// except the short-TTL generators, which end their batch and wait.
    #[test]
    fn generator_never_makes_racy_ttls() {
        let specs = super::super::all_specs();
        let mut g = G::new(12345);
        let now_s = 1_700_000_000i64;
        let racy_rel = |v: i64, ms: bool| {
            let s = if ms { v / 1000 } else { v };
            v > 0 && s < 100_000
        };
        let racy_abs = |v: i64, ms: bool| {
            let s = if ms { v / 1000 } else { v };
            s > 1_000_000_000 && s < 2 * now_s
        };
        // As Redis's string2ll: no '+', no leading zeros, no "-0" (those
        // are errors there, so they are not short TTLs).
        let num = |a: &[u8]| {
            let t = std::str::from_utf8(a).ok()?;
            let digits = t.strip_prefix('-').unwrap_or(t);
            if t.starts_with('+') || t == "-0" || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            t.parse::<i64>().ok()
        };
        for i in 0..200_000u64 {
            let spec = &specs[(i % specs.len() as u64) as usize];
            let mut args = (spec.gen)(&mut g);
            if g.chance(MUTATE_PERCENT) {
                g.mutate(&mut args, spec.mutate);
            }
            g.pre.clear();
            if std::mem::take(&mut g.pause_after_ms) > 0 {
                continue;
            }
            let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
            let at = |k: usize| args.get(k).and_then(|a| num(a));
            let mut bad = false;
            match name.as_str() {
                "setex" => bad = at(2).is_some_and(|v| racy_rel(v, false)),
                "psetex" => bad = at(2).is_some_and(|v| racy_rel(v, true)),
                "expire" => bad = at(2).is_some_and(|v| racy_rel(v, false)),
                "pexpire" => bad = at(2).is_some_and(|v| racy_rel(v, true)),
                "expireat" => bad = at(2).is_some_and(|v| racy_abs(v, false)),
                "pexpireat" => bad = at(2).is_some_and(|v| racy_abs(v, true)),
                "set" | "getex" => {
                    for w in args.windows(2) {
                        let opt = String::from_utf8_lossy(&w[0]).to_ascii_uppercase();
                        let Some(v) = num(&w[1]) else { continue };
                        bad |= match opt.as_str() {
                            "EX" => racy_rel(v, false),
                            "PX" => racy_rel(v, true),
                            "EXAT" => racy_abs(v, false),
                            "PXAT" => racy_abs(v, true),
                            _ => false,
                        };
                    }
                }
                _ => {}
            }
            assert!(!bad, "racy expiry generated: {}", show_cmd(&args));
        }
    }
}
