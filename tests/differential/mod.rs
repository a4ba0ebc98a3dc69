//! The differential harness: command generators per family, reply
//! normalisation and the pipelined runner. See `tests/differential.rs`.
//!
//! Adding a family: write `tests/differential/<family>.rs` with a
//! `pub fn specs() -> Vec<Spec>` (see `string.rs`), and add it to
//! [`all_specs`]. Generators whose command our server does not know yet are
//! skipped automatically, so a family can be added before it is
//! implemented.

pub mod gen;
pub mod known;
pub mod runner;

/// A number from the environment (`DIFF_SEED=0x1f`, `AOF_COMMANDS=5000`):
/// decimal or `0x` hex; a value that is not a number stops the test.
pub fn env_num(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let n = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(n.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

mod connection;
mod dump;
mod geo;
mod hash;
mod hyperloglog;
mod keyspace;
mod list;
mod pubsub;
mod set;
mod sort;
mod string;
mod zset;
mod zset_cmds;

/// Every generator of every family.
pub fn all_specs() -> Vec<gen::Spec> {
    let mut v = Vec::new();
    v.extend(connection::specs());
    v.extend(string::specs());
    v.extend(keyspace::specs());
    v.extend(zset::specs());
    v.extend(zset_cmds::specs());
    v.extend(dump::specs());
    v.extend(hash::specs());
    v.extend(hyperloglog::specs());
    v.extend(geo::specs());
    v.extend(sort::specs());
    v.extend(list::specs());
    v.extend(pubsub::specs());
    v.extend(set::specs());
    v
}
