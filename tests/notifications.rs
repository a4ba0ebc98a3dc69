//! Keyspace notifications (`notify-keyspace-events`) against redis-server
//! 7.0: the same command sequence runs on both servers while a second
//! connection on each is subscribed to every keyspace and keyevent
//! channel (`PSUBSCRIBE __key*__:*`), and the messages it receives after
//! each step must be equal, in order, byte for byte.
//!
//! A step's messages are collected with a sentinel: the subscriber sends
//! `PING <sentinel>` once the step's reply has arrived, and everything
//! before the answer belongs to the step (a server publishes an event
//! before it replies to the command that caused it).
//!
//! The random command streams of `tests/differential.rs`
//! (`events_against_redis`) compare the events of every command family
//! too; this file covers what a single random stream cannot: expiry by
//! time (lazy and active), eviction, blocked clients served by another
//! connection, subscribers that run commands themselves, and class
//! filtering.

mod common;
use common::*;

use std::time::{Duration, Instant};

const SENTINEL: &[u8] = b"__events_sentinel__";

/// One server with a command connection, a second client (for blocking
/// commands) and an event subscriber.
struct Side {
    /// Kept for its lifetime: the process stops when it drops.
    _server: Server,
    cmd: Conn,
    other: Conn,
    sub: Conn,
}

impl Side {
    /// Starts a server (ours, or redis-server if `reference`), sets
    /// `notify-keyspace-events` to `flags` and subscribes to every event.
    /// Active expiry is off unless `active_expiry`, so keys expire exactly
    /// when a command meets them. `None` if redis-server is not installed.
    fn start(reference: bool, flags: &str, active_expiry: bool) -> Option<Side> {
        let extra = ["--enable-debug-command", "yes"];
        let server = if reference {
            Server::start_reference(&extra)?
        } else {
            Server::start(&extra)
        };
        let mut cmd = server.conn();
        assert_eq!(
            cmd.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            b"+OK\r\n"
        );
        if !active_expiry {
            assert_eq!(cmd.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
        }
        let other = server.conn();
        let mut sub = server.conn();
        let r = sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        assert!(r.starts_with(b"*3"), "{}", show(&r));
        Some(Side {
            _server: server,
            cmd,
            other,
            sub,
        })
    }

    /// The messages received since the last call, as `channel <- message`.
    fn events(&mut self) -> Vec<String> {
        self.sub.send_raw(&Conn::encode(&[b"PING", SENTINEL]));
        let mut out = Vec::new();
        loop {
            let f = self.sub.read_reply().expect("subscriber connection closed");
            match Value::parse(&f).items() {
                [Value::Bulk(k), Value::Bulk(s)] if k == b"pong" && s == SENTINEL => return out,
                [Value::Bulk(k), _, Value::Bulk(ch), Value::Bulk(msg)] if k == b"pmessage" => {
                    out.push(format!("{} <- {}", show(ch), show(msg)));
                }
                _ => panic!("unexpected frame for the subscriber: {}", show(&f)),
            }
        }
    }

    /// Runs one step (see [`SCRIPT`]) and returns its reply and events.
    fn step(&mut self, line: &str) -> (String, Vec<String>) {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("ms")));
            return (String::new(), self.events());
        }
        if let Some(rest) = line.strip_prefix("@restore ") {
            // `@restore <src> <dst> [options]`: DUMP src, RESTORE dst 0.
            let words: Vec<&str> = rest.split(' ').collect();
            let payload = match Value::parse(&self.cmd.cmd(&["DUMP", words[0]])) {
                Value::Bulk(p) => p,
                other => panic!("DUMP {}: {other:?}", words[0]),
            };
            // The DUMP's own events (none for a live key) are the step's.
            let mut args: Vec<&[u8]> = vec![b"RESTORE", words[1].as_bytes(), b"0", &payload];
            args.extend(words[2..].iter().map(|w| w.as_bytes()));
            let r = self.cmd.cmd_bytes(&args);
            return (show(&r), self.events());
        }
        let args: Vec<&str> = line.split(' ').collect();
        let r = self.cmd.cmd(&args);
        (show(&r), self.events())
    }
}

/// Runs `steps` on our server and on redis-server (both with `flags`) and
/// asserts that every step replies the same and publishes the same
/// messages. Returns the messages of each step (empty if redis-server is
/// missing).
fn same_events(flags: &str, steps: &[&str]) -> Vec<Vec<String>> {
    let Some(mut reference) = Side::start(true, flags, false) else {
        return Vec::new();
    };
    let mut ours = Side::start(false, flags, false).expect("our server");
    let mut all = Vec::new();
    let mut log = String::new();
    for line in steps {
        let (rw, ew) = reference.step(line);
        let (rg, eg) = ours.step(line);
        log.push_str(&format!("{line} -> {rw}\n"));
        for e in &ew {
            log.push_str(&format!("    {e}\n"));
        }
        assert_eq!(rg, rw, "flags {flags:?}: reply of {line}\n{log}");
        assert_eq!(
            eg, ew,
            "flags {flags:?}: events of {line}\n(ours first, redis second)\nso far:\n{log}"
        );
        all.push(ew);
    }
    all
}

/// Every family's writes, reads of missing keys, and lazy expiry.
const SCRIPT: &[&str] = &[
    // Strings.
    "SET s1 v",
    "SET s1 v2 XX",
    "SET s1 v3 NX",
    "SET s2 v EX 100",
    "SET s2 v KEEPTTL",
    "SET s3 v GET",
    "SET s3 w GET",
    "SET s3 v PXAT 1",
    "SETNX s4 v",
    "SETNX s4 v",
    "SETEX s5 100 v",
    "PSETEX s6 100000 v",
    "GETSET s1 x",
    "GETSET s7 x",
    "GETDEL s1",
    "GETDEL nokey",
    "GETEX s2",
    "GETEX s2 PERSIST",
    "GETEX s2 EX 100",
    "GETEX s5 PXAT 1",
    "GETEX nokey EX 100",
    "MSET m1 1 m2 2 m1 3",
    "MSETNX m3 1 m4 2",
    "MSETNX m3 1 m5 2",
    "APPEND a1 x",
    "APPEND a1 y",
    "APPEND a2 ",
    "SETRANGE r1 3 x",
    "SETRANGE r1 0 ",
    "SETRANGE r2 0 ",
    "SETRANGE r1 1 yz",
    "INCR n1",
    "INCRBY n1 5",
    "DECR n1",
    "DECRBY n1 2",
    "INCRBYFLOAT f1 1.5",
    "INCRBYFLOAT f1 1",
    "INCR s7",
    "SETBIT b1 7 1",
    "SETBIT b1 7 1",
    "SETBIT b1 100 0",
    "BITFIELD bf SET u8 0 200 INCRBY u8 0 100",
    "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 200",
    "BITFIELD bf GET u8 0",
    "BITFIELD nokey GET u8 0",
    "BITOP OR b2 b1 bf",
    "BITOP AND b2 nokey",
    "BITOP AND b3 nokey",
    "PFADD h1 a b",
    "PFADD h1 a",
    "PFADD h0",
    "PFMERGE h2 h1 nokey",
    "PFCOUNT h1 nokey",
    "GET nokey",
    "MGET nokey s2 nokey2",
    "STRLEN nokey",
    "GETRANGE nokey 0 1",
    "LCS nokey s2",
    // Generic.
    "DEL s2 nokey m2",
    "UNLINK m3 m4 nokey",
    "EXISTS nokey m1",
    "TYPE nokey",
    "TTL nokey",
    "PTTL m1",
    "EXPIRETIME nokey",
    "TOUCH m1 nokey",
    "OBJECT ENCODING nokey",
    "OBJECT ENCODING m1",
    "MEMORY USAGE nokey",
    "RENAME m1 g1",
    "RENAME g1 g1",
    "RENAME nokey g1",
    "RENAMENX g1 m5",
    "RENAMENX g1 g2",
    "COPY g2 g3",
    "COPY g2 g3",
    "COPY g2 g3 REPLACE",
    "COPY g2 g3 DB 1",
    "COPY nokey g3",
    "MOVE g3 1",
    "MOVE g3 2",
    "EXPIRE g2 100",
    "EXPIRE g2 50 LT",
    "EXPIRE g2 500 LT",
    "PEXPIRE g2 0",
    "EXPIRE nokey 10",
    "SET g4 x",
    "EXPIREAT g4 4102444800",
    "PERSIST g4",
    "PERSIST g4",
    "@restore g4 g5",
    "@restore g4 g5 REPLACE",
    "@restore g4 g5",
    "DUMP nokey",
    "SELECT 1",
    "SET d1 x",
    "DEL d1",
    "SELECT 0",
    "SWAPDB 0 1",
    "SWAPDB 0 1",
    // Meets the expired s3: `expired`, then `keymiss` from the type check.
    "SCAN 0 TYPE nosuchtype COUNT 100000",
    // Lists.
    "LPUSH l1 a b c",
    "RPUSH l1 d",
    "LPUSHX nokey a",
    "RPUSHX l1 e",
    "LINSERT l1 BEFORE a z",
    "LINSERT l1 BEFORE nope z",
    "LSET l1 0 q",
    "LREM l1 1 q",
    "LREM l1 1 nope",
    "LTRIM l1 0 3",
    "LTRIM l1 0 100",
    "LPOP l1",
    "RPOP l1 2",
    "LPOP l1 0",
    "LMOVE l1 l2 LEFT RIGHT",
    "RPUSH l2 x y",
    "LMOVE l2 l2 LEFT LEFT",
    "RPOPLPUSH l2 l3",
    "LMPOP 2 nokey l3 LEFT COUNT 5",
    "LMOVE nokey l3 LEFT LEFT",
    "LRANGE nokey 0 -1",
    "LINDEX nokey 0",
    "LLEN nokey",
    "LPOS nokey a",
    "BLPOP l2 0",
    "BLMOVE l2 l4 RIGHT LEFT 0",
    "BRPOP nokey 0.01",
    "RPUSH l5 a b",
    "LREM l5 0 a",
    "LREM l5 0 b",
    "RPUSH l5 a",
    "LTRIM l5 1 0",
    "LSET nokey 0 a",
    // Hashes.
    "HSET hh a 1 b 2",
    "HSET hh a 1",
    "HSETNX hh a 2",
    "HSETNX hh c 3",
    "HMSET hh d 4",
    "HINCRBY hh n 1",
    "HINCRBYFLOAT hh f 1.5",
    "HINCRBY hh a x",
    "HDEL hh nope",
    "HDEL hh a b c",
    "HDEL hh d n f",
    "HINCRBY hh2 x 1",
    "HGET nokey a",
    "HGETALL nokey",
    "HLEN nokey",
    // Sets.
    "SADD st a b c",
    "SADD st a",
    "SREM st nope",
    "SREM st a",
    "SADD sp x",
    "SPOP sp",
    "SPOP nokey",
    "SADD sp y",
    "SPOP sp 5",
    "SPOP sp 0",
    "SMOVE st st2 b",
    "SMOVE st st2 nope",
    "SMOVE st st2 c",
    "SMOVE st2 st2 b",
    "SINTERSTORE si st2 nokey",
    "SADD sa 1 2",
    "SADD sb 2 3",
    "SINTERSTORE si sa sb",
    "SINTERSTORE si sa sb",
    "SUNIONSTORE su sa sb",
    "SDIFFSTORE sd sa sb",
    "SDIFFSTORE sd sa sa",
    "SINTERSTORE si sa nokey",
    "SISMEMBER nokey a",
    "SMEMBERS nokey",
    "SINTERCARD 2 nokey sa",
    // Sorted sets.
    "ZADD z 1 a 2 b",
    "ZADD z 1 a",
    "ZADD z 3 a",
    "ZADD z INCR 1 a",
    "ZADD z INCR 0 a",
    "ZADD z NX 1 a",
    "ZADD z XX 5 q",
    "ZADD nokeyz XX 1 a",
    "ZADD z GT CH 9 b",
    "ZINCRBY z 1 c",
    "ZREM z nope",
    "ZREM z c",
    "ZADD z 5 c 6 d 7 e",
    "ZREMRANGEBYRANK z 0 0",
    "ZREMRANGEBYSCORE z 100 200",
    "ZREMRANGEBYSCORE z 5 5",
    "ZADD zl 0 a 0 b 0 c",
    "ZREMRANGEBYLEX zl [a [a",
    "ZREMRANGEBYLEX zl - +",
    "ZPOPMIN z",
    "ZPOPMAX z 0",
    "ZADD y 1 b 2 x",
    "ZUNIONSTORE zu 2 z y",
    "ZUNIONSTORE zu 2 z y",
    "ZINTERSTORE zi 2 z y",
    "ZINTERSTORE zi 2 z nokey",
    "ZDIFFSTORE zd 2 z y",
    "ZDIFFSTORE zd 2 z z",
    "ZRANGESTORE zr z 0 -1",
    "ZRANGESTORE zr z 5 6",
    "ZRANGESTORE zr nokey 0 -1",
    "ZMPOP 2 nokey z MIN",
    "ZPOPMAX z 10",
    "BZPOPMIN y 0",
    "BZMPOP 0 1 y MAX",
    "ZSCORE nokey a",
    "ZUNION 2 nokey y",
    // Geo (GEOADD reports `zadd`).
    "GEOADD g 13.361389 38.115556 a 15.087269 37.502669 b",
    "GEOADD g 13.361389 38.115556 a",
    "GEOADD g CH 1 1 a",
    "GEOADD g XX 1 1 zz",
    "GEORADIUS g 15 37 200 km STORE gs",
    "GEORADIUS g 15 37 200 km STOREDIST gs",
    "GEORADIUSBYMEMBER g b 1 km STORE gs",
    "GEOSEARCHSTORE gs g FROMMEMBER b BYRADIUS 500 km",
    "GEOSEARCHSTORE gs g FROMLONLAT 0 0 BYRADIUS 1 km",
    "GEORADIUS nokey 0 0 1 km STORE gs2",
    "GEOPOS nokey a",
    "GEODIST nokey a b",
    // SORT (`sortstore` is a list event).
    "RPUSH sl 3 1 2",
    "SORT sl STORE so",
    "SORT sl STORE so",
    "SORT nokey STORE so",
    "SORT sl BY nokey_* GET nokey_*",
    "SORT sl BY nosort GET # GET nokey_*",
    "SORT_RO nokey",
    // Transactions: the events of the queued commands, in order.
    "MULTI",
    "SET t1 1",
    "INCR t1",
    "RPUSH t2 a",
    "DEL t1 t2",
    "EXEC",
    // Lazy expiry: the `expired` event comes first, where the command
    // meets the key.
    "SET e1 v PX 30",
    "HSET e2 a 1",
    "PEXPIRE e2 30",
    "RPUSH e3 a",
    "PEXPIRE e3 30",
    "SADD e4 a",
    "PEXPIRE e4 30",
    "ZADD e5 1 a",
    "PEXPIRE e5 30",
    "SET e6 v PX 30",
    "SET e7 x PX 30",
    "SET e8 x PX 30",
    "SET e9 x PX 30",
    "SET e10 x PX 30",
    "SET e11 x PX 30",
    "SET e12 x PX 30",
    "SET e13 x PX 30",
    "sleep 80",
    "GET e1",
    "HSET e2 b 2",
    "LPUSH e3 b",
    "SCARD e4",
    "ZADD e5 1 a",
    "SET e6 v",
    "DEL e7",
    "EXISTS e8",
    "SCAN 0 MATCH e9 TYPE string COUNT 1000",
    "SINTERSTORE e10 sa sb",
    "SINTERSTORE e11 sa nokey",
    "@restore sa e12 REPLACE",
    "RENAME e13 e14",
    // No events for flushing.
    "FLUSHDB",
    "SET f 1",
    "FLUSHALL",
];

#[test]
fn every_family_fires_the_events_redis_fires() {
    let steps = same_events("KEAmn", SCRIPT);
    if steps.is_empty() {
        return;
    }
    // The comparison covers something: most steps publish.
    let publishing = steps.iter().filter(|e| !e.is_empty()).count();
    assert!(
        publishing > SCRIPT.len() / 2,
        "{publishing} steps published"
    );
    let all: Vec<&String> = steps.iter().flatten().collect();
    for event in [
        "new",
        "set",
        "del",
        "expired",
        "keymiss",
        "rename_to",
        "sortstore",
        "zincr",
    ] {
        let channel = format!("__keyevent@0__:{event} <- ");
        assert!(
            all.iter().any(|e| e.starts_with(&channel)),
            "no {event} event"
        );
    }
}

/// Class filtering: only the enabled classes, on the enabled channels.
#[test]
fn flag_subsets_filter_like_redis() {
    let script: Vec<&str> = SCRIPT
        .iter()
        .copied()
        .filter(|s| !s.starts_with("sleep"))
        .collect();
    for flags in [
        "", "K", "E", "A", "Kl", "Eg$", "KEA", "Em", "KEm", "Kn", "En", "Ex", "Elshz", "Kgx",
        "KEd", "KEt$",
    ] {
        let steps = same_events(flags, &script);
        if steps.is_empty() {
            return;
        }
        let all: Vec<&String> = steps.iter().flatten().collect();
        let classes = flags.trim_start_matches(['K', 'E']);
        let channels_on = flags.contains('K') || flags.contains('E');
        if !channels_on || classes.is_empty() || classes == "d" || classes == "t" {
            assert!(all.is_empty(), "flags {flags:?} published {all:?}");
            continue;
        }
        assert!(!all.is_empty(), "flags {flags:?} published nothing");
        if !flags.contains('E') {
            assert!(all.iter().all(|e| e.starts_with("__keyspace@")));
        }
        if !flags.contains('K') {
            assert!(all.iter().all(|e| e.starts_with("__keyevent@")));
        }
    }
}

/// CONFIG GET shows what Redis 7.0 shows (`n` is never printed).
#[test]
fn config_get_spells_flags_like_redis() {
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let ours = Server::start(&[]);
    for flags in [
        "KEA",
        "Kx",
        "n",
        "KEAmn",
        "g$lshzxetd",
        "AK",
        "Em",
        "$gK",
        "KEn",
        "",
    ] {
        let run = |s: &Server| {
            let mut c = s.conn();
            let set = c.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]);
            (set, c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]))
        };
        let (g, w) = (run(&ours), run(&reference));
        assert_eq!(show(&g.0), show(&w.0), "CONFIG SET {flags:?}");
        assert_eq!(show(&g.1), show(&w.1), "CONFIG GET after {flags:?}");
    }
}

/// Waits until `side` has `n` blocked clients.
fn wait_blocked(side: &mut Side, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = String::from_utf8_lossy(&side.cmd.cmd(&["INFO", "clients"])).into_owned();
        if info.contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        assert!(Instant::now() < deadline, "client did not block: {info}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A blocked client served by another connection's write: the writer's
/// events, then the served pop's (and `del` when it empties the key).
#[test]
fn blocked_clients_served_fire_their_events() {
    let scenarios: &[(&[&str], &str)] = &[
        (&["BLPOP", "bl", "0"], "RPUSH bl a b"),
        (&["BLPOP", "bl2", "0"], "RPUSH bl2 a"),
        (&["BRPOP", "x", "bl3", "0"], "LPUSH bl3 a"),
        (
            &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"],
            "LPUSH src x",
        ),
        (&["BRPOPLPUSH", "src2", "dst", "0"], "LPUSH src2 x y"),
        (
            &["BLMPOP", "0", "2", "a1", "a2", "LEFT", "COUNT", "5"],
            "RPUSH a2 1 2",
        ),
        (&["BZPOPMIN", "bz", "0"], "ZADD bz 1 a"),
        (&["BZPOPMAX", "bz2", "0"], "ZADD bz2 1 a 2 b"),
        (
            &["BZMPOP", "0", "1", "bz3", "MIN", "COUNT", "9"],
            "ZADD bz3 1 a 2 b",
        ),
        // Served by a transaction and by a rename into the key.
        (&["BLPOP", "bl4", "0"], "MULTI|RPUSH bl4 a|RPUSH bl4 b|EXEC"),
        (&["BLPOP", "bl5", "0"], "RPUSH tmp a|RENAME tmp bl5"),
    ];
    let Some(mut reference) = Side::start(true, "KEAmn", false) else {
        return;
    };
    let mut ours = Side::start(false, "KEAmn", false).expect("our server");
    for (blocking, writes) in scenarios {
        let mut results = Vec::new();
        for side in [&mut reference, &mut ours] {
            let b: Vec<&[u8]> = blocking.iter().map(|a| a.as_bytes()).collect();
            side.other.send_raw(&Conn::encode(&b));
            wait_blocked(side, 1);
            let mut replies = Vec::new();
            for w in writes.split('|') {
                let args: Vec<&str> = w.split(' ').collect();
                replies.push(show(&side.cmd.cmd(&args)));
            }
            let served = side.other.read_reply().expect("served reply");
            replies.push(show(&served));
            results.push((replies, side.events()));
        }
        assert_eq!(results[1], results[0], "{blocking:?} served by {writes}");
        assert!(!results[0].1.is_empty());
    }
}

/// A client that subscribes and writes gets the events of its own
/// commands before their replies (RESP3 push frames).
#[test]
fn own_events_come_before_the_reply() {
    let run = |port: u16| -> Vec<String> {
        let mut c = Conn::connect(port);
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        c.cmd(&["HELLO", "3"]);
        let mut frames = vec![show(&c.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]))];
        for line in [
            "SET k v",
            "INCR n",
            "RPUSH l a",
            "LPOP l",
            "MULTI|SET k w|DEL k|EXEC",
            "RPUSH sl 2 1|SORT sl GET nokey_* GET #",
            "SORT sl BY nokey_* GET nokey_* STORE dst",
            "ZADD z 1 a 2 b 3 c|ZPOPMIN z|ZMPOP 1 z MAX|BZPOPMIN z 0",
            "SADD s a|SPOP s|SADD s a|SPOP s 5",
            "SET e x PX 1|DEL nokey e",
        ] {
            for cmd in line.split('|') {
                let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
                c.send_raw(&Conn::encode(&args));
            }
            c.send_raw(&Conn::encode(&[b"ECHO", SENTINEL]));
            let mut got = Vec::new();
            loop {
                let f = c.read_reply().expect("reply");
                if f.windows(SENTINEL.len()).any(|w| w == SENTINEL) {
                    break;
                }
                got.push(show(&f));
            }
            frames.push(format!("{line}: {}", got.join(" | ")));
        }
        frames
    };
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let ours = Server::start(&[]);
    let want = run(reference.port);
    assert_eq!(run(ours.port), want);
    assert!(want[1].starts_with("SET k v: >4"), "{}", want[1]);
}

/// Active expiry publishes `expired` for keys nobody touches.
#[test]
fn active_expiry_fires_expired() {
    let collect = |side: &mut Side| -> Vec<String> {
        let keys: Vec<String> = (0..20).map(|i| format!("ax{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            match i % 4 {
                0 => side.cmd.cmd(&["SET", k, "v", "PX", "20"]),
                1 => side.cmd.cmd(&["RPUSH", k, "v"]),
                2 => side.cmd.cmd(&["HSET", k, "f", "v"]),
                _ => side.cmd.cmd(&["SADD", k, "v"]),
            };
            if i % 4 != 0 {
                side.cmd.cmd(&["PEXPIRE", k, "20"]);
            }
        }
        let mut got: Vec<String> = side
            .events()
            .into_iter()
            .filter(|e| e.contains("expired"))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < 2 * keys.len() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            got.extend(side.events());
        }
        // The cron visits keys in its table's order: compare as a set.
        got.sort();
        got
    };
    let Some(mut reference) = Side::start(true, "KEx", true) else {
        return;
    };
    let mut ours = Side::start(false, "KEx", true).expect("our server");
    let want = collect(&mut reference);
    assert_eq!(want.len(), 40, "{want:?}");
    assert_eq!(collect(&mut ours), want);
    let dbsize = |s: &mut Side| s.cmd.cmd(&["DBSIZE"]);
    assert_eq!(dbsize(&mut ours), b":0\r\n");
}

/// `maxmemory` eviction (tiering off) publishes `evicted` for every key it
/// removes.
#[test]
fn eviction_fires_evicted() {
    let collect = |side: &mut Side| -> Vec<String> {
        side.cmd
            .cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
        for i in 0..30 {
            side.cmd.cmd(&["SET", &format!("ev{i}"), "v"]);
            side.cmd.cmd(&["RPUSH", &format!("evl{i}"), "v"]);
        }
        assert!(side.events().is_empty(), "only `e` is on");
        // Nothing fits in one byte: every key goes, within a few rounds
        // (each round of eviction has a time budget).
        side.cmd.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < 60 && Instant::now() < deadline {
            side.cmd.cmd(&["PING"]);
            got.extend(side.events());
            std::thread::sleep(Duration::from_millis(5));
        }
        side.cmd.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        assert_eq!(side.cmd.cmd(&["DBSIZE"]), b":0\r\n");
        // Random victims: compare as a set.
        got.sort();
        got
    };
    let Some(mut reference) = Side::start(true, "Ee", false) else {
        return;
    };
    let mut ours = Side::start(false, "Ee", false).expect("our server");
    let want = collect(&mut reference);
    assert_eq!(want.len(), 60, "{want:?}");
    assert!(want
        .iter()
        .all(|e| e.starts_with("__keyevent@0__:evicted <- ")));
    assert_eq!(collect(&mut ours), want);
}

/// Events off (the default): nothing is published, whatever runs.
#[test]
fn nothing_is_published_by_default() {
    let ours = Server::start(&[]);
    let mut sub = ours.conn();
    sub.cmd(&["PSUBSCRIBE", "*"]);
    let mut c = ours.conn();
    for line in ["SET a 1", "DEL a", "GET a", "RPUSH l x", "SET e v PX 1"] {
        let args: Vec<&str> = line.split(' ').collect();
        c.cmd(&args);
    }
    std::thread::sleep(Duration::from_millis(50));
    c.cmd(&["GET", "e"]);
    sub.send_raw(&Conn::encode(&[b"PING", SENTINEL]));
    let f = sub.read_reply().expect("pong");
    assert!(
        f.windows(SENTINEL.len()).any(|w| w == SENTINEL),
        "{}",
        show(&f)
    );
}
