//! MULTI/EXEC/DISCARD and WATCH, with several clients: every scenario runs
//! on our server and on redis-server 7.0, and the replies must be equal
//! byte for byte.

mod common;
use common::*;

use std::time::Duration;

/// One step: which client sends it, and the command (`"sleep <ms>"` pauses
/// instead).
type Step<'a> = (usize, &'a str);

/// Runs `steps` with `clients` connections against one server; returns
/// each step's reply, labelled.
fn play(port: u16, clients: usize, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Conn> = (0..clients).map(|_| Conn::connect(port)).collect();
    let mut out = Vec::new();
    for (c, line) in steps {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("ms")));
            continue;
        }
        let args: Vec<&str> = line.split(' ').collect();
        let r = conns[*c].cmd(&args);
        // HELLO names the server and its version: not compared.
        let shown = if line.starts_with("HELLO") {
            "(not compared)".into()
        } else {
            show(&r)
        };
        out.push(format!("[{c}] {line} -> {shown}"));
    }
    out
}

/// Plays `steps` on both servers and compares.
fn same_as_redis(clients: usize, steps: &[Step]) {
    let ours = Server::start(&[]);
    let got = play(ours.port, clients, steps);
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let want = play(reference.port, clients, steps);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g,
            w,
            "\nours:\n{}\nredis:\n{}",
            got.join("\n"),
            want.join("\n")
        );
    }
}

#[test]
fn queueing_and_errors() {
    same_as_redis(
        1,
        &[
            (0, "EXEC"),
            (0, "DISCARD"),
            (0, "MULTI"),
            (0, "MULTI"),
            (0, "WATCH x"),
            (0, "SET a 1"),
            (0, "INCR a"),
            (0, "GET a"),
            (0, "EXEC"),
            // A runtime error does not stop the others.
            (0, "MULTI"),
            (0, "SET b x"),
            (0, "INCR b"),
            (0, "APPEND b y"),
            (0, "EXEC"),
            (0, "GET b"),
            // Errors while queueing abort the whole transaction.
            (0, "MULTI"),
            (0, "SET a 2"),
            (0, "SET a"),
            (0, "NOSUCHCOMMAND x"),
            (0, "EXEC"),
            (0, "GET a"),
            (0, "MULTI"),
            (0, "SET a 3"),
            (0, "DISCARD"),
            (0, "GET a"),
            (0, "MULTI"),
            (0, "EXEC"),
            // SELECT inside a transaction sticks.
            (0, "MULTI"),
            (0, "SELECT 1"),
            (0, "SET c 1"),
            (0, "EXEC"),
            (0, "GET c"),
            (0, "SELECT 0"),
            (0, "GET c"),
            // RESET leaves the transaction.
            (0, "MULTI"),
            (0, "SET d 1"),
            (0, "RESET"),
            (0, "EXEC"),
            (0, "GET d"),
        ],
    );
}

#[test]
fn watch_sees_other_clients_changes() {
    let mut steps: Vec<(usize, String)> = Vec::new();
    // Each change by client 1 to a watched key must fail client 0's EXEC.
    let changes = [
        "SET w 1",
        "DEL w",
        "EXPIRE w 1000",
        "PERSIST w",
        "INCR w",
        "APPEND w z",
        "SETRANGE w 0 q",
        "SETBIT w 3 1",
        "MSET w 9 other 1",
        "GETDEL w",
        "GETSET w 5",
        "RENAME w w2",
        "RENAME other w",
        "COPY other w REPLACE",
        "MOVE w 1",
        "FLUSHDB",
        "FLUSHALL",
        "SWAPDB 0 1",
        "BITOP NOT w other",
        "INCRBYFLOAT w 1.5",
        "SET w 1 KEEPTTL GET",
        "GETEX w PERSIST",
    ];
    for ch in changes {
        steps.push((1, "SET w 7".into()));
        steps.push((1, "EXPIRE w 100000".into()));
        steps.push((1, "SET other 1".into()));
        steps.push((0, "WATCH w".into()));
        steps.push((1, ch.into()));
        steps.push((0, "MULTI".into()));
        steps.push((0, "SET r done".into()));
        steps.push((0, "EXEC".into()));
        steps.push((0, "GET r".into()));
        steps.push((0, "DEL r".into()));
    }
    let steps: Vec<Step> = steps.iter().map(|(c, s)| (*c, s.as_str())).collect();
    same_as_redis(2, &steps);
}

#[test]
fn watch_ignores_what_does_not_change_the_key() {
    same_as_redis(
        2,
        &[
            // Untouched: runs.
            (0, "WATCH a b"),
            (1, "SET c 1"),
            (1, "DEL missing"),
            (1, "GET a"),
            (0, "MULTI"),
            (0, "SET r 1"),
            (0, "EXEC"),
            // EXEC forgets the watches.
            (1, "SET a 1"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            // Deleting a missing watched key, SET NX that does not set.
            (0, "WATCH nokey a"),
            (1, "DEL nokey"),
            (1, "SET a 5 NX"),
            (1, "PERSIST a"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            // UNWATCH and DISCARD forget them too.
            (0, "WATCH a"),
            (0, "UNWATCH"),
            (1, "SET a 2"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            (0, "WATCH a"),
            (0, "MULTI"),
            (0, "DISCARD"),
            (1, "SET a 3"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            // A change by the watcher itself counts.
            (0, "WATCH a"),
            (0, "SET a 4"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            // A flush of another database does not.
            (0, "WATCH a"),
            (1, "SELECT 1"),
            (1, "SET x 1"),
            (1, "FLUSHDB"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            // RESP3: the failed EXEC is a null.
            (0, "HELLO 3"),
            (0, "WATCH a"),
            (1, "SELECT 0"),
            (1, "SET a 6"),
            (0, "MULTI"),
            (0, "INCR r"),
            (0, "EXEC"),
            (0, "GET r"),
        ],
    );
}

#[test]
fn watched_key_expiring_fails_exec() {
    same_as_redis(
        2,
        &[
            (0, "SET e 1 PX 50"),
            (0, "WATCH e"),
            (0, "sleep 120"),
            (0, "MULTI"),
            (0, "SET r 1"),
            (0, "EXEC"),
            // Already expired when watched: its removal is not a change.
            (0, "SET f 1 PX 20"),
            (0, "sleep 60"),
            (0, "WATCH f"),
            (1, "GET f"),
            (0, "MULTI"),
            (0, "SET r 2"),
            (0, "EXEC"),
            (0, "GET r"),
        ],
    );
}
