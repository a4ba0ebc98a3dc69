//! Blocking list and sorted-set commands with several real client
//! connections. Each scenario runs on our server and, when installed, on
//! redis-server 7.0, and the replies every client saw must be identical; a few properties
//! (timing, other clients' traffic) are asserted on our server directly.

mod common;

use std::time::{Duration, Instant};

use common::{Conn, Server};

/// Waits until `n` clients are blocked (so later commands find them
/// queued in a known order).
fn wait_blocked(c: &mut Conn, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(&info).contains(&want) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never got {want}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send(c: &mut Conn, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send_raw(&Conn::encode(&a));
}

fn reply(c: &mut Conn) -> Vec<u8> {
    c.read_reply().expect("reply")
}

/// Runs `scenario` against our server and the reference; the transcripts
/// must match. Returns ours.
fn both(scenario: fn(u16) -> Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let ours = Server::start(&[]);
    let got = scenario(ours.port);
    if let Some(reference) = Server::start_reference(&[]) {
        let want = scenario(reference.port);
        let show = |v: &[Vec<u8>]| -> Vec<String> { v.iter().map(|r| common::show(r)).collect() };
        assert_eq!(show(&got), show(&want), "ours vs redis-server");
    }
    got
}

#[test]
fn clients_on_one_key_are_served_in_blocking_order() {
    let t = both(|port| {
        let (mut a, mut b, mut ctl) = (
            Conn::connect(port),
            Conn::connect(port),
            Conn::connect(port),
        );
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut ctl, 1);
        send(&mut b, &["BRPOP", "k", "other", "0"]);
        wait_blocked(&mut ctl, 2);
        let pushed = ctl.cmd(&["RPUSH", "k", "x", "y", "z"]);
        let ra = reply(&mut a);
        let rb = reply(&mut b);
        wait_blocked(&mut ctl, 0);
        vec![pushed, ra, rb, ctl.cmd(&["LRANGE", "k", "0", "-1"])]
    });
    assert_eq!(t[1], b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    assert_eq!(t[2], b"*2\r\n$1\r\nk\r\n$1\r\nz\r\n");
}

#[test]
fn several_keys_first_non_empty_now_or_the_one_that_gets_data() {
    let t = both(|port| {
        let (mut a, mut ctl) = (Conn::connect(port), Conn::connect(port));
        let mut out = vec![
            ctl.cmd(&["RPUSH", "k1", "a"]),
            ctl.cmd(&["RPUSH", "k2", "b"]),
        ];
        out.push(a.cmd(&["BLPOP", "k2", "k1", "0"]));
        out.push(a.cmd(&["BLPOP", "missing", "k1", "0"]));
        send(
            &mut a,
            &["BLMPOP", "0", "3", "x", "y", "z", "RIGHT", "COUNT", "5"],
        );
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["RPUSH", "y", "1", "2", "3"]));
        out.push(reply(&mut a));
        out
    });
    assert_eq!(t[2], b"*2\r\n$2\r\nk2\r\n$1\r\nb\r\n");
    assert_eq!(
        t[5],
        b"*2\r\n$1\r\ny\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
}

#[test]
fn served_by_lmove_rename_and_blmove_chains() {
    let t = both(|port| {
        let (mut a, mut b, mut ctl) = (
            Conn::connect(port),
            Conn::connect(port),
            Conn::connect(port),
        );
        let mut out = Vec::new();
        // a waits on d; b moves from d to e as soon as d has data.
        send(&mut a, &["BLPOP", "e", "0"]);
        wait_blocked(&mut ctl, 1);
        send(&mut b, &["BLMOVE", "d", "e", "LEFT", "RIGHT", "0"]);
        wait_blocked(&mut ctl, 2);
        out.push(ctl.cmd(&["RPUSH", "s", "x"]));
        out.push(ctl.cmd(&["LMOVE", "s", "d", "LEFT", "RIGHT"]));
        out.push(reply(&mut b));
        out.push(reply(&mut a));
        out.push(ctl.cmd(&["EXISTS", "d", "e"]));
        // Served by a RENAME of a list into the key.
        send(&mut a, &["BRPOPLPUSH", "r", "dst", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["RPUSH", "tmp", "v1", "v2"]));
        out.push(ctl.cmd(&["RENAME", "tmp", "r"]));
        out.push(reply(&mut a));
        out.push(ctl.cmd(&["LRANGE", "dst", "0", "-1"]));
        // A string under the key does not serve; a list later does.
        send(&mut a, &["BLPOP", "w", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["SET", "w", "str"]));
        out.push(ctl.cmd(&["DEL", "w"]));
        out.push(
            ctl.cmd(&["INFO", "clients"])
                .windows(17)
                .any(|w| w == b"blocked_clients:1")
                .to_string()
                .into_bytes(),
        );
        out.push(ctl.cmd(&["LPUSH", "w", "ok"]));
        out.push(reply(&mut a));
        out
    });
    assert_eq!(t[3], b"*2\r\n$1\r\ne\r\n$1\r\nx\r\n");
    assert_eq!(t[7], b"$2\r\nv2\r\n");
    assert_eq!(t[13], b"*2\r\n$1\r\nw\r\n$2\r\nok\r\n");
}

#[test]
fn timeouts_are_sub_second_and_answer_nil() {
    let t = both(|port| {
        let mut a = Conn::connect(port);
        let mut out = Vec::new();
        for cmd in [
            &["BLPOP", "nokey", "0.2"][..],
            &["BRPOPLPUSH", "nokey", "d", "0.05"],
            &["BLMPOP", "0.05", "1", "nokey", "LEFT"],
        ] {
            let t0 = Instant::now();
            out.push(a.cmd(cmd));
            let el = t0.elapsed();
            assert!(el >= Duration::from_millis(40), "{el:?}");
            assert!(el < Duration::from_millis(1500), "{el:?}");
        }
        out.push(a.cmd(&["HELLO", "3"]).is_empty().to_string().into_bytes());
        out.push(a.cmd(&["BLPOP", "nokey", "0.01"]));
        for bad in ["-1", "x", "inf", "1e30"] {
            out.push(a.cmd(&["BLPOP", "nokey", bad]));
        }
        out
    });
    assert_eq!(t[0], b"*-1\r\n");
    assert_eq!(t[4], b"_\r\n");
}

#[test]
fn client_unblock_timeout_and_error() {
    let t = both(|port| {
        let (mut a, mut ctl) = (Conn::connect(port), Conn::connect(port));
        let id = String::from_utf8(a.cmd(&["CLIENT", "ID"])).expect("utf8");
        let id = id.trim_start_matches(':').trim().to_string();
        let mut out = Vec::new();
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut ctl, 1);
        let list = ctl.cmd(&["CLIENT", "LIST", "ID", &id]);
        out.push(
            String::from_utf8_lossy(&list)
                .contains(" flags=b ")
                .to_string()
                .into_bytes(),
        );
        out.push(ctl.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]));
        out.push(reply(&mut a));
        send(&mut a, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]));
        out.push(reply(&mut a));
        out.push(ctl.cmd(&["CLIENT", "UNBLOCK", &id]));
        out.push(a.cmd(&["PING"]));
        out
    });
    assert_eq!(t[0], b"true");
    assert_eq!(t[1], b":1\r\n");
    assert_eq!(t[2], b"*-1\r\n");
    assert_eq!(t[4], b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert_eq!(t[5], b":0\r\n");
}

#[test]
fn a_client_that_disconnects_while_blocked_is_forgotten() {
    both(|port| {
        let mut ctl = Conn::connect(port);
        {
            let mut a = Conn::connect(port);
            send(&mut a, &["BLPOP", "k", "0"]);
            wait_blocked(&mut ctl, 1);
        }
        wait_blocked(&mut ctl, 0);
        vec![ctl.cmd(&["RPUSH", "k", "v"]), ctl.cmd(&["LLEN", "k"])]
    });
}

#[test]
fn others_keep_working_and_pipelined_commands_follow_the_served_one() {
    let t = both(|port| {
        let (mut a, mut ctl) = (Conn::connect(port), Conn::connect(port));
        let mut out = Vec::new();
        let mut pipe = Conn::encode(&[b"BLPOP", b"k", b"0"]);
        pipe.extend(Conn::encode(&[b"PING"]));
        pipe.extend(Conn::encode(&[b"LLEN", b"k"]));
        a.send_raw(&pipe);
        wait_blocked(&mut ctl, 1);
        // Other traffic goes on meanwhile.
        for _ in 0..50 {
            out.push(ctl.cmd(&["INCR", "counter"]));
        }
        out.push(ctl.cmd(&["RPUSH", "k", "a", "b"]));
        for _ in 0..3 {
            out.push(reply(&mut a));
        }
        out
    });
    let n = t.len();
    assert_eq!(t[n - 3], b"*2\r\n$1\r\nk\r\n$1\r\na\r\n");
    assert_eq!(t[n - 2], b"+PONG\r\n");
    assert_eq!(t[n - 1], b":1\r\n");
}

#[test]
fn inside_multi_blocking_commands_time_out_at_once() {
    both(|port| {
        let mut a = Conn::connect(port);
        let mut out = vec![a.cmd(&["MULTI"])];
        out.push(a.cmd(&["BLPOP", "nokey", "0"]));
        out.push(a.cmd(&["BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"]));
        out.push(a.cmd(&["RPUSH", "k", "v"]));
        out.push(a.cmd(&["BLPOP", "k", "0"]));
        out.push(a.cmd(&["EXEC"]));
        out
    });
}

/// A blocking command counts one call in commandstats however it ends:
/// timed out, unblocked with an error (a failed call), or served.
#[test]
fn a_blocked_command_counts_once_in_commandstats() {
    both(|port| {
        let (mut a, mut ctl) = (Conn::connect(port), Conn::connect(port));
        ctl.cmd(&["CONFIG", "RESETSTAT"]);
        let mut t = vec![a.cmd(&["BLPOP", "k1", "0.05"])];
        let id = String::from_utf8_lossy(&a.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        send(&mut a, &["BLPOP", "k2", "0"]);
        wait_blocked(&mut ctl, 1);
        t.push(ctl.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]));
        t.push(reply(&mut a));
        send(&mut a, &["BLPOP", "k3", "0"]);
        wait_blocked(&mut ctl, 1);
        t.push(ctl.cmd(&["RPUSH", "k3", "x"]));
        t.push(reply(&mut a));
        let stats = String::from_utf8_lossy(&ctl.cmd(&["INFO", "commandstats"])).into_owned();
        let line = stats
            .lines()
            .find(|l| l.starts_with("cmdstat_blpop:"))
            .expect("blpop stats");
        // Durations differ between servers; the counts must not.
        let counts: Vec<&str> = line.split(',').filter(|f| !f.contains("usec")).collect();
        t.push(counts.join(",").into_bytes());
        t
    });
}

// Sorted sets: BZPOPMIN, BZPOPMAX and BZMPOP share the framework.

#[test]
fn zset_clients_on_one_key_are_served_in_blocking_order() {
    let t = both(|port| {
        let (mut a, mut b, mut c, mut ctl) = (
            Conn::connect(port),
            Conn::connect(port),
            Conn::connect(port),
            Conn::connect(port),
        );
        send(&mut a, &["BZPOPMIN", "z", "0"]);
        wait_blocked(&mut ctl, 1);
        send(&mut b, &["BZPOPMAX", "other", "z", "0"]);
        wait_blocked(&mut ctl, 2);
        send(
            &mut c,
            &["BZMPOP", "0", "2", "z", "other", "MIN", "COUNT", "5"],
        );
        wait_blocked(&mut ctl, 3);
        let added = ctl.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        let (ra, rb, rc) = (reply(&mut a), reply(&mut b), reply(&mut c));
        wait_blocked(&mut ctl, 0);
        vec![added, ra, rb, rc, ctl.cmd(&["EXISTS", "z"])]
    });
    assert_eq!(t[1], b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(t[2], b"*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n");
    assert_eq!(
        t[3],
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(t[4], b":0\r\n");
}

#[test]
fn zset_waiters_are_served_by_store_commands_and_rename() {
    let t = both(|port| {
        let (mut a, mut ctl) = (Conn::connect(port), Conn::connect(port));
        let mut out = vec![
            ctl.cmd(&["ZADD", "s1", "1", "x", "2", "y"]),
            ctl.cmd(&["ZADD", "s2", "5", "y", "7", "w"]),
        ];
        // Results stored into the key wake its waiters.
        send(&mut a, &["BZPOPMAX", "u", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["ZUNIONSTORE", "u", "2", "s1", "s2"]));
        out.push(reply(&mut a));
        send(&mut a, &["BZMPOP", "0", "1", "i", "MIN"]);
        wait_blocked(&mut ctl, 1);
        // An empty intersection creates nothing: still blocked.
        out.push(ctl.cmd(&["ZINTERSTORE", "i", "2", "s1", "nokey"]));
        out.push(ctl.cmd(&["ZINTERSTORE", "i", "2", "s1", "s2", "WEIGHTS", "1", "10"]));
        out.push(reply(&mut a));
        send(&mut a, &["BZPOPMIN", "d", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["ZDIFFSTORE", "d", "2", "s2", "s1"]));
        out.push(reply(&mut a));
        send(&mut a, &["BZPOPMIN", "r", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["ZRANGESTORE", "tmp", "s1", "0", "-1"]));
        out.push(ctl.cmd(&["RENAME", "tmp", "r"]));
        out.push(reply(&mut a));
        out.push(ctl.cmd(&["ZRANGE", "r", "0", "-1", "WITHSCORES"]));
        // ZINCRBY creating the key serves too.
        send(&mut a, &["BZPOPMIN", "n", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["ZINCRBY", "n", "2.5", "m"]));
        out.push(reply(&mut a));
        out
    });
    assert_eq!(t[3], b"*3\r\n$1\r\nu\r\n$1\r\ny\r\n$1\r\n7\r\n");
    assert_eq!(
        t[6],
        b"*2\r\n$1\r\ni\r\n*1\r\n*2\r\n$1\r\ny\r\n$2\r\n52\r\n"
    );
    assert_eq!(t[8], b"*3\r\n$1\r\nd\r\n$1\r\nw\r\n$1\r\n7\r\n");
    assert_eq!(t[11], b"*3\r\n$1\r\nr\r\n$1\r\nx\r\n$1\r\n1\r\n");
}

#[test]
fn zset_and_list_waiters_on_one_key_are_served_by_type() {
    let t = both(|port| {
        let (mut a, mut b, mut ctl) = (
            Conn::connect(port),
            Conn::connect(port),
            Conn::connect(port),
        );
        let mut out = Vec::new();
        // The list waiter came first; a sorted set serves the second one.
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut ctl, 1);
        send(&mut b, &["BZPOPMIN", "k", "0"]);
        wait_blocked(&mut ctl, 2);
        out.push(ctl.cmd(&["ZADD", "k", "1", "m"]));
        out.push(reply(&mut b));
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["RPUSH", "k", "v"]));
        out.push(reply(&mut a));
        // A string does not serve a sorted-set waiter.
        send(&mut b, &["BZPOPMAX", "w", "0"]);
        wait_blocked(&mut ctl, 1);
        out.push(ctl.cmd(&["SET", "w", "str"]));
        out.push(ctl.cmd(&["DEL", "w"]));
        out.push(ctl.cmd(&["ZADD", "w", "3", "ok"]));
        out.push(reply(&mut b));
        // Existing keys of another type are an error at once.
        out.push(ctl.cmd(&["RPUSH", "k", "l"]));
        out.push(b.cmd(&["BZPOPMIN", "nokey", "k", "0"]));
        out.push(ctl.cmd(&["SET", "str", "x"]));
        out.push(b.cmd(&["BZMPOP", "0", "2", "str", "nokey", "MAX"]));
        out
    });
    assert_eq!(t[1], b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n");
    assert_eq!(t[3], b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert_eq!(t[7], b"*3\r\n$1\r\nw\r\n$2\r\nok\r\n$1\r\n3\r\n");
}

#[test]
fn zset_pops_time_out_and_do_not_block_in_multi() {
    let t = both(|port| {
        let mut a = Conn::connect(port);
        let mut out = Vec::new();
        for cmd in [
            &["BZPOPMIN", "nokey", "0.05"][..],
            &["BZPOPMAX", "nokey", "other", "0.05"],
            &["BZMPOP", "0.05", "1", "nokey", "MIN", "COUNT", "3"],
        ] {
            let t0 = Instant::now();
            out.push(a.cmd(cmd));
            let el = t0.elapsed();
            assert!(el >= Duration::from_millis(40), "{el:?}");
            assert!(el < Duration::from_millis(1500), "{el:?}");
        }
        out.push(a.cmd(&["HELLO", "3"]).is_empty().to_string().into_bytes());
        out.push(a.cmd(&["BZPOPMIN", "nokey", "0.01"]));
        out.push(a.cmd(&["BZMPOP", "0.01", "1", "nokey", "MAX"]));
        for bad in ["-1", "x", "inf"] {
            out.push(a.cmd(&["BZPOPMAX", "nokey", bad]));
            out.push(a.cmd(&["BZMPOP", bad, "1", "nokey", "MAX"]));
        }
        // Pop arguments are checked before the timeout.
        out.push(a.cmd(&["BZMPOP", "x", "1", "nokey", "MIDDLE"]));
        out.push(a.cmd(&["MULTI"]));
        out.push(a.cmd(&["BZPOPMIN", "nokey", "0"]));
        out.push(a.cmd(&["BZMPOP", "0", "1", "nokey", "MIN"]));
        out.push(a.cmd(&["ZADD", "z", "1", "a", "2", "b"]));
        out.push(a.cmd(&["BZPOPMAX", "z", "0"]));
        out.push(a.cmd(&["BZMPOP", "0", "1", "z", "MIN"]));
        out.push(a.cmd(&["EXEC"]));
        out
    });
    assert_eq!(t[0], b"*-1\r\n");
    assert_eq!(t[2], b"*-1\r\n");
    assert_eq!(t[4], b"_\r\n");
    assert_eq!(t[5], b"_\r\n");
}
