//! Pub/Sub commands that are safe in a single-connection stream: PUBLISH,
//! SPUBLISH and the PUBSUB introspection subcommands. Nobody subscribes in
//! the stream (SUBSCRIBE would switch the connection to Pub/Sub mode), so
//! PUBLISH answers 0 and the listings are empty: what is compared is the
//! arity and syntax handling, the reply shapes in RESP2 and RESP3, and
//! that the commands run inside transactions. Subscribers are exercised by
//! tests/pubsub.rs, on several connections.
//!
//! Nondeterminism: none.

use super::gen::{Args, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("publish", 4, |g| {
            cmd![g.case("publish"), channel(g), g.value()]
        }),
        Spec::new("spublish", 2, |g| {
            cmd![g.case("spublish"), channel(g), g.value()]
        }),
        Spec::new("pubsub|channels", 2, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "channels")];
            patterns(g, &mut a);
            a
        }),
        Spec::new("pubsub|shardchannels", 1, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "shardchannels")];
            patterns(g, &mut a);
            a
        }),
        Spec::new("pubsub|numsub", 2, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "numsub")];
            for _ in 0..g.below(4) {
                a.push(channel(g));
            }
            a
        }),
        Spec::new("pubsub|shardnumsub", 1, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "shardnumsub")];
            for _ in 0..g.below(4) {
                a.push(channel(g));
            }
            a
        }),
        Spec::new("pubsub|numpat", 1, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "numpat")];
            if g.chance(10) {
                a.push(channel(g));
            }
            a
        }),
        Spec::new("pubsub|help", 1, |g| {
            let mut a = cmd![g.case("pubsub"), sub(g, "help")];
            if g.chance(10) {
                a.push(channel(g));
            }
            a
        }),
        // Unknown subcommands and the bare container.
        Spec::new("pubsub", 1, |g| {
            let mut a = cmd![g.case("pubsub")];
            if g.chance(70) {
                a.push(
                    g.pick(&[&b"nosuch"[..], b"", b"channel", b"numsubs", b"\xff"])
                        .to_vec(),
                );
            }
            a
        }),
    ]
}

/// A subcommand name in random capitalisation (the error texts quote it
/// as typed).
fn sub(g: &mut G, name: &str) -> Vec<u8> {
    g.case(name)
}

/// Zero, one (usually) or two patterns (too many is an error).
fn patterns(g: &mut G, a: &mut Args) {
    match g.below(10) {
        0..=2 => {}
        3..=8 => a.push(g.pattern()),
        _ => {
            a.push(g.pattern());
            a.push(g.pattern());
        }
    }
}

fn channel(g: &mut G) -> Vec<u8> {
    if g.chance(70) {
        g.key()
    } else {
        g.value()
    }
}
