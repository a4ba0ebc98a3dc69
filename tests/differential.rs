//! Differential testing against a real redis-server: seeded random command
//! streams (string, keyspace and connection commands so far, over a small
//! key pool, with edge-case arguments, wrong arity, unknown options and
//! expiry) are pipelined to our server and to redis-server 7.0, and the
//! replies compared byte for byte (after normalising the few that
//! legitimately differ: see `differential/keyspace.rs`).
//!
//! Environment:
//! - `DIFF_SEED=<n>` replays a run (the seed is printed on failure; decimal
//!   or 0x-hex).
//! - `DIFF_COMMANDS=<n>` sets the number of generated commands per test
//!   (default 100000 for each test).
//! - `DIFF_STREAMS=<n>` sets the number of parallel streams per test
//!   (default 2); each stream has its own pair of servers, so commands that
//!   touch every database (FLUSHALL, SWAPDB, MOVE) stay deterministic.
//!
//! A generator is enabled only if `COMMAND INFO <name>` knows the command on
//! both servers: families not merged yet are skipped with a notice, and
//! start being compared as soon as they exist. The per-command counts are
//! printed and written to `target/tmp/differential-<test>.txt`.

mod common;
#[path = "differential/mod.rs"]
mod diff;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use common::{Conn, Server, Value, ALL_COLD};
use diff::env_num;
use diff::gen::{Norm, Spec};
use diff::runner::{run_stream, Side, Stats, StreamCfg};

/// The run's seed: `DIFF_SEED`, or one random seed shared by every test of
/// this process, so the RESP2 and RESP3 tests send the same stream.
fn base_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        env_num("DIFF_SEED").unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos() as u64;
            t ^ ((std::process::id() as u64) << 32)
        })
    })
}

/// True if `COMMAND INFO <name>` describes the command.
fn knows(port: u16, name: &str) -> bool {
    let mut c = Conn::connect(port);
    let r = c.cmd(&["COMMAND", "INFO", name]);
    matches!(Value::parse(&r).items(), [Value::Array(_)])
}

/// The generators whose commands both servers know; prints the others.
fn enabled_specs(specs: &[Spec], ours: u16, reference: u16, out: &mut String) -> Vec<usize> {
    let names: BTreeSet<&str> = specs
        .iter()
        .flat_map(|s| std::iter::once(s.name).chain(s.requires.iter().copied()))
        .collect();
    let mut skip = BTreeSet::new();
    let (mut not_ours, mut not_ref) = (Vec::new(), Vec::new());
    for n in names {
        if n.starts_with('(') {
            continue;
        }
        if !knows(ours, n) {
            not_ours.push(n);
            skip.insert(n);
        } else if !knows(reference, n) {
            not_ref.push(n);
            skip.insert(n);
        }
    }
    if !not_ours.is_empty() {
        let _ = writeln!(
            out,
            "NOTICE: generators skipped, our server does not know: {}",
            not_ours.join(" ")
        );
    }
    if !not_ref.is_empty() {
        let _ = writeln!(
            out,
            "NOTICE: generators skipped, redis-server does not know: {}",
            not_ref.join(" ")
        );
    }
    (0..specs.len())
        .filter(|&i| {
            !skip.contains(specs[i].name) && !specs[i].requires.iter().any(|r| skip.contains(r))
        })
        .collect()
}

enum Target {
    /// Our server against redis-server.
    Ours,
    /// Our server with tiering forced hard (every value demoted to the
    /// cold tier before each command, `tiering-min-value-size 0`) against
    /// redis-server: DESIGN §4 invariant 1, transparency.
    OursTiered,
    /// The same, but every other command runs while the demotions before
    /// it are still being written (values in flight, which it may change).
    OursTieredInflight,
    /// redis-server against redis-server: proves the generator and the
    /// normalisation deterministic, for every family including those our
    /// server does not implement yet.
    SelfCheck,
}

/// How our server is started for `target`.
fn ours_args(target: &Target) -> Vec<&'static str> {
    match target {
        Target::OursTiered => ALL_COLD.to_vec(),
        Target::OursTieredInflight => {
            [ALL_COLD, &["--tiering-force-cold-inflight", "yes"]].concat()
        }
        _ => Vec::new(),
    }
}

/// How the reference is started for `target`: with tiering on, our LFU
/// counters are kept as under an LFU policy (`OBJECT FREQ` answers,
/// `OBJECT IDLETIME` refuses), so the reference gets one too; without
/// `maxmemory` it never evicts.
fn reference_args(target: &Target) -> &'static [&'static str] {
    match target {
        Target::OursTiered | Target::OursTieredInflight => &["--maxmemory-policy", "allkeys-lfu"],
        _ => &[],
    }
}

/// Whether the keyspace events of the streams are compared too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Events {
    Off,
    /// Every class on (`KEAmn`), active expiry off on both servers (so a
    /// key expires when a command meets it, at the same point of the
    /// stream on both), and RANDOMKEY left out (the keys it meets, and
    /// expires, are random).
    Compared,
    /// As `Compared`, but the command connection itself (RESP3) subscribes
    /// to the events, so they arrive as push frames among its replies, and
    /// each batch's byte stream is compared whole: this checks where a
    /// command's own events fall relative to its reply. Only commands
    /// compared exactly take part.
    InBand,
}

/// Extra arguments for both servers when events are compared: active
/// expiry is switched off with DEBUG.
fn events_args(events: Events) -> &'static [&'static str] {
    match events {
        Events::Off => &[],
        Events::Compared | Events::InBand => &["--enable-debug-command", "yes"],
    }
}

fn run(test: &str, target: Target, resp3: bool, default_commands: u64) {
    run_with(test, target, resp3, default_commands, Events::Off)
}

fn run_with(test: &str, target: Target, resp3: bool, default_commands: u64, events: Events) {
    let Some(probe_ref) = Server::start_reference(reference_args(&target)) else {
        return;
    };
    let seed = base_seed();
    let commands = env_num("DIFF_COMMANDS").unwrap_or(default_commands) as usize;
    let streams = env_num("DIFF_STREAMS").unwrap_or(2).max(1) as usize;
    let replay = format!(
        "DIFF_SEED={seed:#x} DIFF_COMMANDS={commands} DIFF_STREAMS={streams} cargo test --test differential {test}"
    );
    let mut summary = format!(
        "{test}: seed {seed:#x}, {commands} commands, {streams} streams\n  replay: {replay}\n"
    );
    let specs = diff::all_specs();
    let enabled = match target {
        Target::Ours | Target::OursTiered | Target::OursTieredInflight => {
            let ours = Server::start(&ours_args(&target));
            enabled_specs(&specs, ours.port, probe_ref.port, &mut summary)
        }
        Target::SelfCheck => enabled_specs(&specs, probe_ref.port, probe_ref.port, &mut summary),
    };
    drop(probe_ref);
    let enabled: Vec<&Spec> = enabled
        .iter()
        .map(|&i| &specs[i])
        .filter(|s| events == Events::Off || s.name != "randomkey")
        .filter(|s| {
            // SORT reads a set's or sorted set's members (and looks up
            // their BY keys) in hash-table order, which differs between
            // servers: its events are compared by the other modes.
            events != Events::InBand
                || (matches!(s.norm, Norm::Exact | Norm::Transaction)
                    && !matches!(s.name, "sort" | "sort_ro"))
        })
        .collect();
    eprint!("{summary}");
    let head = std::mem::take(&mut summary);

    let results: Vec<Result<Stats, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..streams)
            .map(|k| {
                let enabled = &enabled;
                let replay = &replay;
                let target = &target;
                s.spawn(move || {
                    let with = |a: &[&'static str]| [a, events_args(events)].concat();
                    let reference = Server::start_reference(&with(reference_args(target)))
                        .expect("redis-server");
                    let (other, label) = match target {
                        Target::Ours => (Server::start(&with(&[])), "ours"),
                        Target::OursTiered | Target::OursTieredInflight => {
                            (Server::start(&with(&ours_args(target))), "ours-tiered")
                        }
                        Target::SelfCheck => (
                            Server::start_reference(&with(&[])).expect("redis-server"),
                            "redis#2",
                        ),
                    };
                    if events != Events::Off {
                        for port in [other.port, reference.port] {
                            let r = Conn::connect(port).cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
                            assert_eq!(r, b"+OK\r\n", "DEBUG SET-ACTIVE-EXPIRE 0");
                        }
                    }
                    let mut a = Side::connect(label, other.port, resp3);
                    let mut b = Side::connect("redis", reference.port, resp3);
                    match events {
                        Events::Off => {}
                        Events::Compared => {
                            a.watch_events(other.port);
                            b.watch_events(reference.port);
                        }
                        Events::InBand => {
                            a.watch_events_in_band();
                            b.watch_events_in_band();
                        }
                    }
                    let n = commands / streams + usize::from(k < commands % streams);
                    let cfg = StreamCfg {
                        seed: seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        stream: k,
                        commands: n,
                        specs: enabled,
                        replay: replay.clone(),
                        tolerate_known: matches!(
                            target,
                            Target::Ours | Target::OursTiered | Target::OursTieredInflight
                        ),
                    };
                    run_stream(&cfg, &mut a, &mut b)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("stream thread panicked".into()))
            })
            .collect()
    });

    let mut stats = Stats::default();
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(s) => stats.merge(&s),
            Err(e) => failures.push(e),
        }
    }
    let _ = writeln!(
        summary,
        "compared {} replies ({} generated commands, {} of them mutated); per command:",
        stats.total, commands, stats.mutated
    );
    if events == Events::Compared {
        let _ = writeln!(summary, "compared {} keyspace event messages", stats.events);
    }
    for (name, n) in &stats.counts {
        let e = stats.errors.get(name).copied().unwrap_or(0);
        let _ = writeln!(summary, "  {name:<18} {n:>7}  ({e} error replies)");
    }
    for (what, n) in &stats.known {
        let _ = writeln!(summary, "KNOWN DIVERGENCE tolerated {n} times: {what}");
    }
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("differential-{test}.txt"));
    let _ = std::fs::write(&path, format!("{head}{summary}"));
    eprintln!("{summary}");
    assert!(
        failures.is_empty(),
        "{}\n(seed {seed:#x}; replay with: {replay})",
        failures.join("\n")
    );
    assert!(
        stats.total >= commands as u64,
        "fewer replies compared than generated"
    );
}

#[test]
fn resp2_against_redis() {
    run("resp2_against_redis", Target::Ours, false, 100_000);
}

#[test]
fn resp3_against_redis() {
    run("resp3_against_redis", Target::Ours, true, 100_000);
}

/// The same stream with every value cold before each command: replies
/// must not change (tiering is invisible to clients).
#[test]
fn resp2_tiering_against_redis() {
    run(
        "resp2_tiering_against_redis",
        Target::OursTiered,
        false,
        100_000,
    );
}

/// RESP3, with every other command meeting its values while they are
/// being written to the cold tier.
#[test]
fn resp3_tiering_against_redis() {
    run(
        "resp3_tiering_against_redis",
        Target::OursTieredInflight,
        true,
        50_000,
    );
}

/// The keyspace events (`notify-keyspace-events KEAmn`) every command of
/// the stream fires, compared message by message with redis-server's,
/// besides the replies.
#[test]
fn events_against_redis() {
    run_with(
        "events_against_redis",
        Target::Ours,
        false,
        100_000,
        Events::Compared,
    );
}

/// The events of every command as push frames among its replies (a RESP3
/// connection subscribed to the events of its own commands), compared
/// byte for byte with redis-server's: each event falls before, after or
/// inside the reply exactly where Redis puts it.
#[test]
fn events_in_band_against_redis() {
    run_with(
        "events_in_band_against_redis",
        Target::Ours,
        true,
        50_000,
        Events::InBand,
    );
}

/// The events with every value cold before each command: demotion and
/// promotion are not changes, so they publish nothing (DESIGN §4,
/// invariant 8), and a cold key fires what a hot one does.
#[test]
fn events_tiering_against_redis() {
    run_with(
        "events_tiering_against_redis",
        Target::OursTiered,
        false,
        30_000,
        Events::Compared,
    );
}

/// The events comparison between two redis-servers: proves that the
/// event streams are deterministic under the harness's rules.
#[test]
fn events_reference_self_check() {
    run_with(
        "events_reference_self_check",
        Target::SelfCheck,
        false,
        30_000,
        Events::Compared,
    );
}

/// Two redis-servers against each other, every generator enabled: if this
/// fails, the harness (not our server) is nondeterministic.
#[test]
fn reference_self_check() {
    run("reference_self_check", Target::SelfCheck, false, 100_000);
}

/// SELECT with an index that does not fit in 32 bits: Redis parses the
/// index as an int first (`value is out of range, value must between
/// -2147483648 and 2147483647`) before checking the database range.
#[test]
fn select_index_outside_32_bits() {
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let ours = Server::start(&[]);
    for idx in ["4294967296", "-4294967296", "9223372036854775807"] {
        let args = ["SELECT", idx];
        assert_eq!(
            common::show(&ours.conn().cmd(&args)),
            common::show(&reference.conn().cmd(&args)),
            "SELECT {idx}"
        );
    }
}
