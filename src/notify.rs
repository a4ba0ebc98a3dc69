//! Keyspace notifications (`notify-keyspace-events`): the event classes,
//! their parsing and canonical spelling, and the publishing of events.
//!
//! An event is a name (`set`, `lpush`, `expired`, ...) about one key of one
//! database, in one class (`$` strings, `l` lists, `g` generic, ...). When
//! its class is enabled it is published as Redis 7.0's
//! `notifyKeyspaceEvent` does: the event name on `__keyspace@<db>__:<key>`
//! if `K` is on, and the key on `__keyevent@<db>__:<event>` if `E` is on,
//! through the ordinary Pub/Sub delivery ([`crate::pubsub::publish`]), so
//! pattern subscribers and RESP3 push frames work as for PUBLISH.
//!
//! Commands fire their events where Redis fires them, with the same names
//! and order (see each command family). Three kinds come from elsewhere:
//!
//! * `expired`: the keyspace records every key that lazy or active expiry
//!   removes; [`crate::server::State::drain_expired`] publishes them. An
//!   event fired by a command first publishes the expiries recorded before
//!   it, so a command that meets an expired key reports `expired` before
//!   its own events, as Redis does.
//! * `keymiss` (class `m`): a read lookup of a missing key
//!   ([`crate::exec::Ctx::read`]), Redis's `lookupKeyRead` miss.
//! * `evicted`: `maxmemory` eviction with tiering off (`src/evict.rs`).
//!
//! With notifications off (the default), a command pays one flag test per
//! event it could fire: [`notify`] is inlined down to that test.

use crate::server::State;

pub const KEYSPACE: u32 = 1 << 0;
pub const KEYEVENT: u32 = 1 << 1;
pub const GENERIC: u32 = 1 << 2;
pub const STRING: u32 = 1 << 3;
pub const LIST: u32 = 1 << 4;
pub const SET: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const ZSET: u32 = 1 << 7;
pub const EXPIRED: u32 = 1 << 8;
pub const EVICTED: u32 = 1 << 9;
pub const STREAM: u32 = 1 << 10;
pub const KEY_MISS: u32 = 1 << 11;
pub const MODULE: u32 = 1 << 13;
pub const NEW: u32 = 1 << 14;
/// What `A` stands for.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

const CLASSES: &[(char, u32)] = &[
    ('g', GENERIC),
    ('$', STRING),
    ('l', LIST),
    ('s', SET),
    ('h', HASH),
    ('z', ZSET),
    ('x', EXPIRED),
    ('e', EVICTED),
    ('t', STREAM),
    ('d', MODULE),
];

/// Parses a `notify-keyspace-events` value; `None` for an unknown class
/// character.
pub fn parse_flags(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => ALL,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'm' => KEY_MISS,
            'n' => NEW,
            c => CLASSES.iter().find(|(k, _)| *k == c)?.1,
        };
    }
    Some(f)
}

/// The spelling the configuration stores. Redis 7.0 writes `A` for the
/// full set of classes, else the classes (`n` last among them), then `K`,
/// `E` and `m`; under `A` it drops `n`. We append it then, so the stored
/// value keeps the class; [`shown`] removes it again for CONFIG GET.
pub fn flags_to_string(f: u32) -> String {
    let mut s = String::new();
    let all = f & ALL == ALL;
    if all {
        s.push('A');
    } else {
        for (c, bit) in CLASSES.iter().chain(&[('n', NEW)]) {
            if f & bit != 0 {
                s.push(*c);
            }
        }
    }
    for (c, bit) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', KEY_MISS)] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    if all && f & NEW != 0 {
        s.push('n');
    }
    s
}

/// What `CONFIG GET notify-keyspace-events` shows for the stored `value`:
/// Redis 7.0's spelling, which has no `n` after `A` (the `new` class stays
/// in effect all the same, and CONFIG REWRITE keeps it).
pub fn shown(value: &str) -> String {
    if value.starts_with('A') {
        value.replace('n', "")
    } else {
        value.to_string()
    }
}

/// Fires event `event` of `class` for `key` of database `db`: publishes it
/// if the class is enabled. Inlined to a single flag test; the publishing
/// itself is out of line.
#[inline]
pub fn notify(st: &mut State, class: u32, event: &str, key: &[u8], db: usize) {
    if st.config.tun.notify_flags & class != 0 {
        fire(st, event, key, db);
    }
}

/// Publishes an event whose class is enabled, after the expiries recorded
/// before it.
#[inline(never)]
pub fn fire(st: &mut State, event: &str, key: &[u8], db: usize) {
    // Expiries recorded earlier in this command happened before this
    // event: they are published first, keeping Redis's order.
    st.drain_expired();
    publish(st, event.as_bytes(), key, db);
}

/// Publishes one event whose class is known to be enabled, on the
/// keyspace channel (`K`) and the keyevent channel (`E`).
pub fn publish(st: &mut State, event: &[u8], key: &[u8], db: usize) {
    use std::io::Write as _;
    let flags = st.config.tun.notify_flags;
    let mut channel = Vec::with_capacity(24 + key.len().max(event.len()));
    if flags & KEYSPACE != 0 {
        let _ = write!(channel, "__keyspace@{db}__:");
        channel.extend_from_slice(key);
        crate::pubsub::publish(st, &channel, event);
    }
    if flags & KEYEVENT != 0 {
        channel.clear();
        let _ = write!(channel, "__keyevent@{db}__:");
        channel.extend_from_slice(event);
        crate::pubsub::publish(st, &channel, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(flags_to_string(parse_flags("KEA").unwrap()), "AKE");
        assert_eq!(flags_to_string(parse_flags("Ex$g").unwrap()), "g$xE");
        // As Redis 7.0: `n` is kept but not shown, `m` is.
        let stored = flags_to_string(parse_flags("KEAmn").unwrap());
        assert_eq!(stored, "AKEmn");
        assert_eq!(shown(&stored), "AKEm");
        assert_ne!(parse_flags(&stored).unwrap() & NEW, 0);
        assert_eq!(flags_to_string(parse_flags("").unwrap()), "");
        for (given, stored, seen) in [
            ("n", "n", "n"),
            ("Kn", "nK", "nK"),
            ("mn", "nm", "nm"),
            ("gn$", "g$n", "g$n"),
            ("Agn", "An", "A"),
        ] {
            let s = flags_to_string(parse_flags(given).unwrap());
            assert_eq!(s, stored, "{given}");
            assert_eq!(shown(&s), seen, "{given}");
        }
        assert!(parse_flags("Q").is_none());
    }
}
