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

/// Empty: every divergence found so far is fixed. An entry looks like
/// `Known { what: "SELECT <huge index>: ours '...', Redis '...'", matches:
/// |args, ours, redis| args[0].eq_ignore_ascii_case(b"select") && ... }`.
pub static KNOWN: &[Known] = &[];

/// Redis's SORT checks `errno == ERANGE` after `strtod` without clearing
/// errno first, so a value left there by an earlier command (or not, if a
/// socket read reset it in between) can fail a SORT whose weights are all
/// valid: "One or more scores can't be converted into double" depends on
/// the reference's I/O timing. Tolerated only for SORTs without STORE (they
/// change nothing), where our reply is a result.
fn redis_stale_errno_sort(args: &Args, ours: &[u8], redis: &[u8]) -> bool {
    let name = &args[0];
    (name.eq_ignore_ascii_case(b"sort") || name.eq_ignore_ascii_case(b"sort_ro"))
        && !args.iter().any(|a| a.eq_ignore_ascii_case(b"store"))
        && redis == b"-ERR One or more scores can't be converted into double\r\n"
        && (ours.starts_with(b"*") || ours.starts_with(b"~"))
}

/// The description of the known divergence this mismatch is, if any.
pub fn tolerated(args: &Args, ours: &[u8], redis: &[u8]) -> Option<&'static str> {
    if redis_stale_errno_sort(args, ours, redis) {
        return Some("SORT failed by redis-server's stale errno (ERANGE from an earlier command)");
    }
    if !ours.starts_with(b"-") || !redis.starts_with(b"-") {
        return None;
    }
    KNOWN
        .iter()
        .find(|k| (k.matches)(args, ours, redis))
        .map(|k| k.what)
}
