//! What the append-only file logs for commands whose effect depends on
//! when or how they ran: each one is run against our server with
//! `appendonly yes` and the commands it added to the incremental file are
//! compared with what redis-server 7.0 logs for it (relative expiries as
//! absolute times, random picks as the members taken, float results as
//! the values stored, blocking commands as their non-blocking forms).
//! docs/aof-propagation.md lists the rewrites.
//!
//! The replay of whole random streams (our log into redis-server and
//! back) is in tests/aof_replay.rs.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{show, Conn, Server, Value};

/// Our server with the log on, and a cursor over what it logged.
struct Logged {
    srv: Server,
    c: Conn,
    /// Commands of the log already returned by [`Logged::since`].
    seen: usize,
}

impl Logged {
    fn start() -> Logged {
        let srv = Server::start(&["--appendonly", "yes", "--enable-debug-command", "yes"]);
        let c = srv.conn();
        Logged { srv, c, seen: 0 }
    }

    fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        self.c.cmd(args)
    }

    fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.c.cmd_bytes(args)
    }

    /// The incremental files, oldest first.
    fn incr_files(&self) -> Vec<PathBuf> {
        let dir = self.srv.dir.path().join("appendonlydir");
        let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
            .expect("appendonlydir")
            .filter_map(|e| {
                let p = e.ok()?.path();
                let name = p.file_name()?.to_str()?.to_string();
                let seq = name
                    .strip_suffix(".incr.aof")?
                    .rsplit('.')
                    .next()?
                    .parse()
                    .ok()?;
                Some((seq, p))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, p)| p).collect()
    }

    /// Every command of the log, `SELECT` left out, arguments joined by
    /// spaces.
    fn all(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.incr_files() {
            let data = std::fs::read(&f).expect("read incr file");
            for c in persistence::aof::Commands::new(&data) {
                let (_, args) = c.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                if args[0].eq_ignore_ascii_case(b"select") {
                    continue;
                }
                let words: Vec<String> = args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                out.push(words.join(" "));
            }
        }
        out
    }

    /// The commands logged since the last call. A reply is sent only
    /// once its command's bytes are written, so they are in the file.
    fn since(&mut self) -> Vec<String> {
        let all = self.all();
        let new = all[self.seen.min(all.len())..].to_vec();
        self.seen = all.len();
        new
    }

    /// Asserts what the commands since the last call logged.
    #[track_caller]
    fn expect(&mut self, what: &str, want: &[&str]) {
        let got = self.since();
        assert_eq!(got, want, "{what}: logged {got:#?}");
    }

    /// The key's absolute expiry in ms (`PEXPIRETIME`).
    fn pexpiretime(&mut self, key: &str) -> i64 {
        let r = self.cmd(&["PEXPIRETIME", key]);
        Value::parse(&r)
            .int()
            .unwrap_or_else(|| panic!("PEXPIRETIME {key}: {}", show(&r)))
    }
}

#[test]
fn set_with_an_expiry_logs_pxat() {
    let mut l = Logged::start();
    l.cmd(&["SET", "a", "1", "EX", "100"]);
    let t = l.pexpiretime("a");
    l.expect("SET EX", &[&format!("SET a 1 PXAT {t}")]);
    // GET, NX and XX go: only the store happened.
    l.cmd(&["SET", "a", "2", "XX", "PX", "100000", "GET"]);
    let t = l.pexpiretime("a");
    l.expect("SET XX PX GET", &[&format!("SET a 2 PXAT {t}")]);
    l.cmd(&["SET", "b", "1", "NX", "EXAT", "4102444800"]);
    l.expect("SET NX EXAT", &["SET b 1 PXAT 4102444800000"]);
    l.cmd(&["set", "c", "1", "pxat", "4102444800001"]);
    l.expect("SET PXAT", &["SET c 1 PXAT 4102444800001"]);
    // A past absolute time stores too (the key expires when next met).
    l.cmd(&["SET", "d", "1", "EXAT", "1"]);
    l.expect("SET EXAT past", &["SET d 1 PXAT 1000"]);
    l.cmd(&["SETEX", "e", "100", "v"]);
    let t = l.pexpiretime("e");
    l.expect("SETEX", &[&format!("SET e v PXAT {t}")]);
    l.cmd(&["PSETEX", "e", "100000", "w"]);
    let t = l.pexpiretime("e");
    l.expect("PSETEX", &[&format!("SET e w PXAT {t}")]);
    // Not set: nothing logged.
    l.cmd(&["SET", "e", "x", "NX", "EX", "100"]);
    l.expect("SET NX EX on an existing key", &[]);
}

#[test]
fn set_get_without_an_expiry_drops_get() {
    let mut l = Logged::start();
    l.cmd(&["SET", "k", "1", "GET"]);
    l.expect("SET GET", &["SET k 1"]);
    l.cmd(&["set", "k", "2", "xx", "get", "keepttl"]);
    l.expect("SET XX GET KEEPTTL", &["set k 2 xx keepttl"]);
    // The value may be the word GET.
    l.cmd(&["SET", "k", "GET", "GET"]);
    l.expect("SET k GET GET", &["SET k GET"]);
    l.cmd(&["SET", "k", "3", "NX"]);
    l.expect("SET NX on an existing key", &[]);
    l.cmd(&["SET", "k", "3", "NX", "GET"]);
    l.expect("SET NX GET on an existing key", &[]);
    l.cmd(&["SET", "k", "4"]);
    l.expect("plain SET", &["SET k 4"]);
}

#[test]
fn getex_logs_pexpireat_del_or_persist() {
    let mut l = Logged::start();
    l.cmd(&["SET", "k", "v"]);
    l.since();
    l.cmd(&["GETEX", "k", "EX", "100"]);
    let t = l.pexpiretime("k");
    l.expect("GETEX EX", &[&format!("PEXPIREAT k {t}")]);
    l.cmd(&["GETEX", "k", "PX", "200000"]);
    let t = l.pexpiretime("k");
    l.expect("GETEX PX", &[&format!("PEXPIREAT k {t}")]);
    l.cmd(&["GETEX", "k", "EXAT", "4102444800"]);
    l.expect("GETEX EXAT", &["PEXPIREAT k 4102444800000"]);
    l.cmd(&["GETEX", "k", "PXAT", "4102444800123"]);
    l.expect("GETEX PXAT", &["PEXPIREAT k 4102444800123"]);
    l.cmd(&["GETEX", "k", "PERSIST"]);
    l.expect("GETEX PERSIST", &["PERSIST k"]);
    l.cmd(&["GETEX", "k", "PERSIST"]);
    l.expect("GETEX PERSIST without a TTL", &[]);
    l.cmd(&["GETEX", "k"]);
    l.expect("GETEX alone", &[]);
    l.cmd(&["GETEX", "k", "EXAT", "1"]);
    l.expect("GETEX EXAT past", &["DEL k"]);
    l.cmd(&["SET", "k", "v"]);
    l.cmd(&["GETEX", "k", "PXAT", "1"]);
    l.expect("GETEX PXAT past", &["SET k v", "DEL k"]);
}

#[test]
fn expire_family_logs_pexpireat_or_del() {
    let mut l = Logged::start();
    l.cmd(&["SET", "k", "v"]);
    l.since();
    l.cmd(&["EXPIRE", "k", "100"]);
    let t = l.pexpiretime("k");
    l.expect("EXPIRE", &[&format!("PEXPIREAT k {t}")]);
    // Options stay, as Redis 7.0 keeps them.
    l.cmd(&["expire", "k", "200", "gt"]);
    let t = l.pexpiretime("k");
    l.expect("EXPIRE GT", &[&format!("PEXPIREAT k {t} gt")]);
    l.cmd(&["PEXPIRE", "k", "300000", "XX"]);
    let t = l.pexpiretime("k");
    l.expect("PEXPIRE XX", &[&format!("PEXPIREAT k {t} XX")]);
    l.cmd(&["EXPIRE", "k", "10", "NX"]);
    l.expect("EXPIRE NX not applied", &[]);
    l.cmd(&["EXPIREAT", "k", "4102444800"]);
    l.expect("EXPIREAT", &["PEXPIREAT k 4102444800000"]);
    l.cmd(&["pexpireat", "k", "4102444800001"]);
    l.expect("PEXPIREAT as sent", &["pexpireat k 4102444800001"]);
    l.cmd(&["EXPIRE", "nokey", "100"]);
    l.expect("EXPIRE on a missing key", &[]);
    l.cmd(&["EXPIRE", "k", "-1"]);
    l.expect("EXPIRE past", &["DEL k"]);
    for args in [
        &["PEXPIRE", "k", "0"][..],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "1", "LT"],
    ] {
        l.cmd(&["SET", "k", "v"]);
        l.since();
        l.cmd(args);
        l.expect(&args.join(" "), &["DEL k"]);
    }
}

#[test]
fn restore_with_a_relative_ttl_logs_absttl() {
    let mut l = Logged::start();
    l.cmd(&["SET", "src", "hello"]);
    let payload = match Value::parse(&l.cmd(&["DUMP", "src"])) {
        Value::Bulk(b) => b,
        other => panic!("DUMP: {other:?}"),
    };
    l.since();
    let r = l.cmd_bytes(&[b"RESTORE", b"k", b"100000", &payload]);
    assert_eq!(r, b"+OK\r\n");
    let t = l.pexpiretime("k");
    let got = l.all();
    let cmds = persistence_commands(&l);
    let last = cmds.last().expect("logged");
    assert_eq!(
        last,
        &vec![
            b"RESTORE".to_vec(),
            b"k".to_vec(),
            t.to_string().into_bytes(),
            payload.clone(),
            b"ABSTTL".to_vec()
        ],
        "{got:?}"
    );
    l.since();
    // Options stay; an absolute TTL or none is logged as sent.
    let r = l.cmd_bytes(&[
        b"restore",
        b"k",
        b"5000",
        &payload,
        b"REPLACE",
        b"IDLETIME",
        b"5",
    ]);
    assert_eq!(r, b"+OK\r\n");
    let t = l.pexpiretime("k");
    let cmds = persistence_commands(&l);
    let last = cmds.last().expect("logged");
    let mut want: Vec<Vec<u8>> = [&b"restore"[..], b"k"].iter().map(|a| a.to_vec()).collect();
    want.push(t.to_string().into_bytes());
    want.push(payload.clone());
    for a in [&b"REPLACE"[..], b"IDLETIME", b"5", b"ABSTTL"] {
        want.push(a.to_vec());
    }
    assert_eq!(last, &want);
    let r = l.cmd_bytes(&[b"RESTORE", b"k", b"0", &payload, b"REPLACE"]);
    assert_eq!(r, b"+OK\r\n");
    let cmds = persistence_commands(&l);
    assert_eq!(cmds.last().map(|c| c[2].clone()), Some(b"0".to_vec()));
    assert_eq!(cmds.last().map(|c| c.len()), Some(5));
    // REPLACE with an absolute time already past: the key is deleted.
    l.since();
    let r = l.cmd_bytes(&[b"RESTORE", b"k", b"1", &payload, b"REPLACE", b"ABSTTL"]);
    assert_eq!(r, b"+OK\r\n");
    l.expect("RESTORE REPLACE ABSTTL past", &["DEL k"]);
}

/// Every command of the log as raw arguments (for binary payloads).
fn persistence_commands(l: &Logged) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for f in l.incr_files() {
        let data = std::fs::read(&f).expect("read incr file");
        for c in persistence::aof::Commands::new(&data) {
            let (_, args) = c.expect("well-formed log");
            out.push(args.iter().map(|a| a.to_vec()).collect());
        }
    }
    out
}

#[test]
fn float_increments_log_the_value_stored() {
    let mut l = Logged::start();
    l.cmd(&["SET", "f", "1.5"]);
    l.cmd(&["INCRBYFLOAT", "f", "1.1"]);
    l.expect("INCRBYFLOAT", &["SET f 1.5", "SET f 2.6 KEEPTTL"]);
    l.cmd(&["INCRBYFLOAT", "new", "3e2"]);
    l.expect("INCRBYFLOAT new key", &["SET new 300 KEEPTTL"]);
    l.cmd(&["HINCRBYFLOAT", "h", "fld", "2.25"]);
    l.cmd(&["HINCRBYFLOAT", "h", "fld", "0.5"]);
    l.expect("HINCRBYFLOAT", &["HSET h fld 2.25", "HSET h fld 2.75"]);
    l.cmd(&["HINCRBYFLOAT", "h", "fld", "x"]);
    l.cmd(&["INCRBYFLOAT", "h", "1"]);
    l.expect("failed increments", &[]);
}

#[test]
fn getset_and_getdel_log_what_they_did() {
    let mut l = Logged::start();
    l.cmd(&["GETSET", "k", "1"]);
    l.cmd(&["getset", "k", "2"]);
    l.cmd(&["GETDEL", "k"]);
    l.cmd(&["GETDEL", "k"]);
    l.expect("GETSET, GETDEL", &["SET k 1", "SET k 2", "DEL k"]);
}

/// Members of a set, sorted.
fn members(l: &mut Logged, key: &str) -> Vec<String> {
    let r = l.cmd(&["SMEMBERS", key]);
    let mut v: Vec<String> = Value::parse(&r).items().iter().map(Value::text).collect();
    v.sort();
    v
}

#[test]
fn spop_logs_the_members_it_took() {
    let mut l = Logged::start();
    let all: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", "s"];
    sadd.extend(all.iter().map(String::as_str));
    l.cmd(&sadd);
    l.since();
    // No count: SREM of the member it returned.
    let m = Value::parse(&l.cmd(&["SPOP", "s"])).text();
    l.expect("SPOP", &[&format!("SREM s {m}")]);
    // A count below the size: one SREM of the members returned.
    let r = l.cmd(&["SPOP", "s", "4"]);
    let mut popped: Vec<String> = Value::parse(&r).items().iter().map(Value::text).collect();
    let got = l.since();
    assert_eq!(got.len(), 1, "{got:?}");
    let mut logged: Vec<String> = got[0].split(' ').map(String::from).collect();
    assert_eq!(&logged[..2], ["SREM", "s"], "{got:?}");
    let mut logged = logged.split_off(2);
    logged.sort();
    popped.sort();
    assert_eq!(logged, popped);
    // The rest is still there, and what remains matches the log.
    assert_eq!(members(&mut l, "s").len(), 5);
    l.cmd(&["SPOP", "s", "0"]);
    l.expect("SPOP 0", &[]);
    // The whole set: DEL.
    l.cmd(&["SPOP", "s", "5"]);
    l.expect("SPOP all", &["DEL s"]);
    l.cmd(&["SPOP", "s"]);
    l.cmd(&["SPOP", "s", "3"]);
    l.expect("SPOP on a missing key", &[]);
}

#[test]
fn spop_of_many_logs_srem_batches_in_one_transaction() {
    let mut l = Logged::start();
    let all: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", "s"];
    sadd.extend(all.iter().map(String::as_str));
    l.cmd(&sadd);
    l.since();
    l.cmd(&["SPOP", "s", "2500"]);
    let got = l.since();
    let sizes: Vec<usize> = got.iter().map(|c| c.split(' ').count()).collect();
    assert_eq!(sizes, [1, 1026, 1026, 454, 1], "MULTI, 3 SREMs, EXEC");
    assert_eq!((got[0].as_str(), got[4].as_str()), ("MULTI", "EXEC"));
    let mut removed: Vec<&str> = got[1..4]
        .iter()
        .flat_map(|c| c.split(' ').skip(2))
        .collect();
    removed.sort();
    removed.dedup();
    assert_eq!(removed.len(), 2500);
    let left = members(&mut l, "s");
    assert!(left
        .iter()
        .all(|m| removed.binary_search(&m.as_str()).is_err()));
}

#[test]
fn pops_of_the_multi_key_forms_log_single_key_pops() {
    let mut l = Logged::start();
    l.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
    l.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    l.since();
    l.cmd(&["LMPOP", "2", "nol", "l", "RIGHT"]);
    l.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", "2"]);
    l.cmd(&["BLMPOP", "0", "2", "nol", "l", "LEFT", "COUNT", "10"]);
    l.cmd(&["LMPOP", "1", "l", "LEFT"]);
    l.expect("LMPOP, BLMPOP", &["RPOP l 1", "LPOP l 2", "LPOP l 2"]);
    l.cmd(&["ZMPOP", "2", "noz", "z", "MIN"]);
    l.cmd(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"]);
    l.cmd(&["ZMPOP", "1", "z", "MIN"]);
    l.expect("ZMPOP, BZMPOP", &["ZPOPMIN z 1", "ZPOPMAX z 3"]);
}

#[test]
fn blocking_commands_served_at_once_log_their_plain_forms() {
    let mut l = Logged::start();
    l.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e", "f"]);
    l.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    l.since();
    l.cmd(&["BLPOP", "nol", "l", "0"]);
    l.cmd(&["BRPOP", "l", "0"]);
    l.cmd(&["BLMOVE", "l", "dst", "Left", "RIGHT", "0"]);
    l.cmd(&["BRPOPLPUSH", "l", "dst", "0"]);
    l.cmd(&["BZPOPMIN", "noz", "z", "0"]);
    l.cmd(&["BZPOPMAX", "z", "0"]);
    l.expect(
        "blocking commands served at once",
        &[
            "LPOP l",
            "RPOP l",
            "LMOVE l dst Left RIGHT",
            "RPOPLPUSH l dst",
            "ZPOPMIN z",
            "ZPOPMAX z",
        ],
    );
    // Timed out: nothing.
    l.cmd(&["BLPOP", "nol", "0.01"]);
    l.cmd(&["BZPOPMIN", "noz", "0.01"]);
    l.cmd(&["BLMOVE", "nol", "dst", "LEFT", "LEFT", "0.01"]);
    l.expect("timed out", &[]);
}

#[test]
fn blocking_commands_served_later_log_their_plain_forms_after_the_push() {
    let mut l = Logged::start();
    let waiters: &[&[&str]] = &[
        &["BLPOP", "wl", "0"],
        &["BRPOP", "other", "wl", "0"],
        &["BLMOVE", "wm", "dst", "RIGHT", "LEFT", "0"],
        &["BRPOPLPUSH", "wm", "dst", "0"],
        &["BLMPOP", "0", "1", "wmp", "RIGHT", "COUNT", "5"],
        &["BZPOPMIN", "wz", "0"],
        &["BZPOPMAX", "wz", "0"],
        &["BZMPOP", "0", "2", "nokey", "wzm", "MAX", "COUNT", "2"],
    ];
    let mut clients: Vec<Conn> = Vec::new();
    for w in waiters {
        let mut c = l.srv.conn();
        let a: Vec<&[u8]> = w.iter().map(|s| s.as_bytes()).collect();
        c.send_raw(&Conn::encode(&a));
        clients.push(c);
    }
    // All blocked before anything is pushed.
    for _ in 0..200 {
        let info = String::from_utf8_lossy(&l.cmd(&["INFO", "clients"])).into_owned();
        if info.contains(&format!("blocked_clients:{}", waiters.len())) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    l.cmd(&["RPUSH", "wl", "1", "2", "3"]);
    l.cmd(&["RPUSH", "wm", "x", "y"]);
    l.cmd(&["RPUSH", "wmp", "1", "2", "3"]);
    l.cmd(&["ZADD", "wz", "1", "a", "2", "b", "3", "c"]);
    l.cmd(&["ZADD", "wzm", "1", "a", "2", "b", "3", "c"]);
    for c in &mut clients {
        c.read_reply().expect("served");
    }
    // Each served client is its own unit after the push, in the order
    // they blocked; a served BLMOVE names its sides in lower case.
    l.expect(
        "served later",
        &[
            "RPUSH wl 1 2 3",
            "LPOP wl",
            "RPOP wl",
            "RPUSH wm x y",
            "LMOVE wm dst right left",
            "RPOPLPUSH wm dst",
            "RPUSH wmp 1 2 3",
            "RPOP wmp 3",
            "ZADD wz 1 a 2 b 3 c",
            "ZPOPMIN wz",
            "ZPOPMAX wz",
            "ZADD wzm 1 a 2 b 3 c",
            "ZPOPMAX wzm 2",
        ],
    );
    // Served by a transaction: the transaction, then the pop.
    let mut c = l.srv.conn();
    c.send_raw(&Conn::encode(&[b"BLPOP", b"q", b"0"]));
    for _ in 0..200 {
        let info = String::from_utf8_lossy(&l.cmd(&["INFO", "clients"])).into_owned();
        if info.contains("blocked_clients:1") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    l.cmd(&["MULTI"]);
    l.cmd(&["RPUSH", "q", "a"]);
    l.cmd(&["SET", "x", "1"]);
    l.cmd(&["EXEC"]);
    c.read_reply().expect("served");
    l.expect(
        "served by a transaction",
        &["MULTI", "RPUSH q a", "SET x 1", "EXEC", "LPOP q"],
    );
}

#[test]
fn the_rewritten_log_replays_to_the_same_dataset() {
    let mut l = Logged::start();
    for args in [
        &["SET", "a", "1", "EX", "1000"][..],
        &["SET", "b", "x", "GET"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "0.2"],
        &["HINCRBYFLOAT", "h", "x", "1e-3"],
        &["SADD", "s", "1", "2", "3", "4", "5", "6", "7"],
        &["SPOP", "s"],
        &["SPOP", "s", "3"],
        &["EXPIRE", "s", "5000"],
        &["RPUSH", "l", "1", "2", "3"],
        &["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2"],
        &["GETEX", "a", "PX", "123456"],
    ] {
        l.cmd(args);
    }
    let before = l.cmd(&["DEBUG", "DIGEST"]);
    assert_eq!(l.cmd(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(show(&l.cmd(&["DEBUG", "DIGEST"])), show(&before));
}

/// Commands that reset the change counter (SAVE, DEBUG LOADAOF) are not
/// changes: logged, DEBUG LOADAOF would replay itself over and over (a
/// redis-server loading our log looped on it). FLUSHALL, which saves the
/// emptied dataset when there are save points, still is.
#[test]
fn resetting_the_change_counter_is_not_a_change() {
    let mut l = Logged::start();
    l.cmd(&["SET", "k", "v"]);
    assert_eq!(l.cmd(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    l.cmd(&["SET", "k", "w"]);
    assert_eq!(l.cmd(&["SAVE"]), b"+OK\r\n");
    l.expect("DEBUG LOADAOF, SAVE", &["SET k v", "SET k w"]);
    assert_eq!(l.cmd(&["CONFIG", "SET", "save", "3600 1"]), b"+OK\r\n");
    l.cmd(&["SET", "k", "x"]);
    l.cmd(&["FLUSHALL"]);
    l.expect("FLUSHALL with save points", &["SET k x", "FLUSHALL"]);
}

/// `SORT set BY pattern ALPHA STORE` with equal (here missing) weights:
/// the stored list would follow the set's own order, which differs after
/// a reload or in another server, so the replayed log would build another
/// list. Ties in a stored sort of a set are ordered by the elements, and
/// the result is logged as the list stored.
#[test]
fn stored_sort_of_a_set_does_not_depend_on_its_order() {
    let mut l = Logged::start();
    let mut all: Vec<String> = (0..300)
        .map(|i| format!("m{}", (i * 7919) % 1000))
        .collect();
    let mut sadd = vec!["SADD", "s"];
    sadd.extend(all.iter().map(String::as_str));
    l.cmd(&sadd);
    all.sort();
    for args in [
        &["SORT", "s", "BY", "nosuch_*", "ALPHA", "STORE", "dst"][..],
        &["SORT", "s", "BY", "nosuch_*->f", "ALPHA", "STORE", "dst"],
    ] {
        l.cmd(args);
        let r = l.cmd(&["LRANGE", "dst", "0", "-1"]);
        let got: Vec<String> = Value::parse(&r).items().iter().map(Value::text).collect();
        assert_eq!(got, all, "{}", args.join(" "));
    }
    let r = l.cmd(&[
        "SORT", "s", "BY", "nosuch_*", "ALPHA", "DESC", "STORE", "dst",
    ]);
    assert_eq!(Value::parse(&r).int(), Some(300));
    let r = l.cmd(&["LRANGE", "dst", "0", "-1"]);
    let got: Vec<String> = Value::parse(&r).items().iter().map(Value::text).collect();
    all.reverse();
    assert_eq!(got, all, "DESC");
    // Logged as the list it stored: replayed by redis-server, the SORT
    // itself would order the ties by its own hash table.
    l.since();
    l.cmd(&["SADD", "t", "b", "c", "a"]);
    l.cmd(&["SORT", "t", "BY", "w_*", "ALPHA", "STORE", "dst"]);
    l.cmd(&[
        "SORT", "t", "BY", "w_*", "ALPHA", "LIMIT", "5", "1", "STORE", "dst",
    ]);
    // Other stored sorts of a set are deterministic and logged as sent.
    l.cmd(&["SORT", "t", "ALPHA", "STORE", "dst"]);
    l.cmd(&["SORT", "t", "BY", "nosort", "STORE", "dst"]);
    l.expect(
        "stored sorts",
        &[
            "SADD t b c a",
            "MULTI",
            "DEL dst",
            "RPUSH dst a b c",
            "EXEC",
            "SORT t BY w_* ALPHA LIMIT 5 1 STORE dst",
            "SORT t ALPHA STORE dst",
            "SORT t BY nosort STORE dst",
        ],
    );
}
