//! Known divergences of our server from Redis that the harness tolerates,
//! so it stays useful (and green) while a reported bug waits for its fix in
//! a family it does not own. Each entry matches one precise signature
//! (command, our reply, Redis's reply), only where both replies are errors
//! (so the two datasets cannot drift apart), and is counted and printed in
//! the summary. Remove an entry once its fix is merged: a stale entry
//! simply stops matching.

use super::gen::Args;

pub struct Known {
    pub what: &'static str,
    pub matches: fn(&Args, &[u8], &[u8]) -> bool,
}

fn is(a: &[u8], name: &str) -> bool {
    a.eq_ignore_ascii_case(name.as_bytes())
}

pub static KNOWN: &[Known] = &[];

/// The description of the known divergence this mismatch is, if any.
pub fn tolerated(args: &Args, ours: &[u8], redis: &[u8]) -> Option<&'static str> {
    if !ours.starts_with(b"-") || !redis.starts_with(b"-") {
        return None;
    }
    KNOWN
        .iter()
        .find(|k| (k.matches)(args, ours, redis))
        .map(|k| k.what)
}
