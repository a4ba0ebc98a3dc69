//! The command table: one declaration per command.
//!
//! Each [`CommandDef`] holds everything known about a command: arity (`-N`
//! means at least N arguments, counting the name), flags, ACL categories,
//! the legacy first/last/step key positions, key specs, documentation
//! fields, subcommands, and the handler. `COMMAND` and its subcommands,
//! arity and unknown-command errors, ACL checks and key extraction (for
//! `COMMAND GETKEYS`, WATCH and tiering prefetch) are all derived from it.
//! The handler is part of the declaration, so a declared command cannot
//! lack one.
//!
//! Commands live by family, one file each: [`string`], [`keyspace`],
//! [`connection`], [`server`], [`bitops`], [`hyperloglog`], [`list`],
//! [`hash`], [`set`], [`pubsub`].

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;

use crate::exec::{CmdResult, Ctx};

pub mod access;
pub mod bitops;
pub mod config_cmd;
pub mod connection;
pub mod debug;
pub mod digest;
pub mod dump;
pub mod expire;
pub mod geo;
pub mod hash;
pub mod hyperloglog;
pub mod info;
pub mod keyspace;
pub mod keyspace_db;
pub mod list;
pub mod memory;
pub mod multi;
pub mod pubsub;
pub mod save;
pub mod scan_args;
pub mod server;
pub mod set;
pub mod sort;
pub mod string;
pub mod string_bitfield;
pub mod string_num;
pub mod string_range;
#[cfg(test)]
mod string_testkit;
pub mod tiering_cmd;
pub mod zset;
pub mod zset_algebra;
pub mod zset_pop;
pub mod zset_range;
pub mod zset_scan;

pub type Handler = fn(&mut Ctx, &[Bytes]) -> CmdResult;

/// A command's own key finder: (argument index, key-spec flags) per key.
pub type KeyFinder = fn(&[Bytes]) -> Vec<(usize, u32)>;

// Command flags, in the order `COMMAND INFO` lists them.
pub const WRITE: u32 = 1 << 0;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const MODULE: u32 = 1 << 3;
pub const ADMIN: u32 = 1 << 4;
pub const PUBSUB: u32 = 1 << 5;
pub const NOSCRIPT: u32 = 1 << 6;
pub const BLOCKING: u32 = 1 << 7;
pub const LOADING: u32 = 1 << 8;
pub const STALE: u32 = 1 << 9;
pub const SKIP_MONITOR: u32 = 1 << 10;
pub const SKIP_SLOWLOG: u32 = 1 << 11;
pub const ASKING: u32 = 1 << 12;
pub const FAST: u32 = 1 << 13;
pub const NO_AUTH: u32 = 1 << 14;
pub const MAY_REPLICATE: u32 = 1 << 15;
pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
pub const NO_ASYNC_LOADING: u32 = 1 << 17;
pub const NO_MULTI: u32 = 1 << 18;
pub const MOVABLEKEYS: u32 = 1 << 19;
pub const ALLOW_BUSY: u32 = 1 << 20;

const FLAG_NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (MODULE, "module"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (ASKING, "asking"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (MAY_REPLICATE, "may_replicate"),
    (NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (NO_ASYNC_LOADING, "no_async_loading"),
    (NO_MULTI, "no_multi"),
    (MOVABLEKEYS, "movablekeys"),
    (ALLOW_BUSY, "allow_busy"),
];

// ACL categories, in the order `COMMAND INFO` lists them.
pub const C_KEYSPACE: u32 = 1 << 0;
pub const C_READ: u32 = 1 << 1;
pub const C_WRITE: u32 = 1 << 2;
pub const C_SET: u32 = 1 << 3;
pub const C_SORTEDSET: u32 = 1 << 4;
pub const C_LIST: u32 = 1 << 5;
pub const C_HASH: u32 = 1 << 6;
pub const C_STRING: u32 = 1 << 7;
pub const C_BITMAP: u32 = 1 << 8;
pub const C_HYPERLOGLOG: u32 = 1 << 9;
pub const C_GEO: u32 = 1 << 10;
pub const C_STREAM: u32 = 1 << 11;
pub const C_PUBSUB: u32 = 1 << 12;
pub const C_ADMIN: u32 = 1 << 13;
pub const C_FAST: u32 = 1 << 14;
pub const C_SLOW: u32 = 1 << 15;
pub const C_BLOCKING: u32 = 1 << 16;
pub const C_DANGEROUS: u32 = 1 << 17;
pub const C_CONNECTION: u32 = 1 << 18;
pub const C_TRANSACTION: u32 = 1 << 19;
pub const C_SCRIPTING: u32 = 1 << 20;

pub const CATEGORY_NAMES: &[(u32, &str)] = &[
    (C_KEYSPACE, "keyspace"),
    (C_READ, "read"),
    (C_WRITE, "write"),
    (C_SET, "set"),
    (C_SORTEDSET, "sortedset"),
    (C_LIST, "list"),
    (C_HASH, "hash"),
    (C_STRING, "string"),
    (C_BITMAP, "bitmap"),
    (C_HYPERLOGLOG, "hyperloglog"),
    (C_GEO, "geo"),
    (C_STREAM, "stream"),
    (C_PUBSUB, "pubsub"),
    (C_ADMIN, "admin"),
    (C_FAST, "fast"),
    (C_SLOW, "slow"),
    (C_BLOCKING, "blocking"),
    (C_DANGEROUS, "dangerous"),
    (C_CONNECTION, "connection"),
    (C_TRANSACTION, "transaction"),
    (C_SCRIPTING, "scripting"),
];

// Key-spec flags.
pub const KS_RO: u32 = 1 << 0;
pub const KS_RW: u32 = 1 << 1;
pub const KS_OW: u32 = 1 << 2;
pub const KS_RM: u32 = 1 << 3;
pub const KS_ACCESS: u32 = 1 << 4;
pub const KS_UPDATE: u32 = 1 << 5;
pub const KS_INSERT: u32 = 1 << 6;
pub const KS_DELETE: u32 = 1 << 7;
pub const KS_NOT_KEY: u32 = 1 << 8;
pub const KS_INCOMPLETE: u32 = 1 << 9;
pub const KS_VARIABLE_FLAGS: u32 = 1 << 10;

const KS_FLAG_NAMES: &[(u32, &str)] = &[
    (KS_RO, "RO"),
    (KS_RW, "RW"),
    (KS_OW, "OW"),
    (KS_RM, "RM"),
    (KS_ACCESS, "access"),
    (KS_UPDATE, "update"),
    (KS_INSERT, "insert"),
    (KS_DELETE, "delete"),
    (KS_NOT_KEY, "not_key"),
    (KS_INCOMPLETE, "incomplete"),
    (KS_VARIABLE_FLAGS, "variable_flags"),
];

/// Where the search for keys begins.
#[derive(Clone, Copy, Debug)]
pub enum Begin {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searching from `start` (negative: from the end).
    Keyword { keyword: &'static str, start: i32 },
    /// Not describable (SORT's BY/GET patterns, its STORE anywhere): the
    /// command's own key finder ([`CommandDef::get_keys`]) knows.
    Unknown,
}

/// How keys are found from the beginning.
#[derive(Clone, Copy, Debug)]
pub enum Find {
    /// Keys up to `last` (relative to the beginning; -1 is the last
    /// argument), every `step`; with `limit` > 1 only 1/limit of the rest.
    Range { last: i32, step: i32, limit: i32 },
    /// The number of keys is at `numkeys` (relative), keys start at `first`
    /// (relative), every `step`.
    Keynum { numkeys: i32, first: i32, step: i32 },
    /// See [`Begin::Unknown`].
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: Begin,
    pub find: Find,
}

/// A key spec for keys from argument `index` to `last` (relative), every
/// `step`.
pub const fn ks(flags: u32, index: i32, last: i32, step: i32) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Index(index),
        find: Find::Range {
            last,
            step,
            limit: 0,
        },
    }
}

pub struct CommandDef {
    /// Lower-case name (`get`, or `get` under `config` for `config|get`).
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    /// Categories beyond those implied by the flags.
    pub acl: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub key_step: i32,
    pub key_specs: &'static [KeySpec],
    pub tips: &'static [&'static str],
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub subcommands: &'static [CommandDef],
    /// `None` only for containers, whose subcommands are run instead.
    pub handler: Option<Handler>,
    /// For key specs marked `variable_flags`: the flags a given call
    /// really has (e.g. SET is `OW` unless it has `GET`).
    pub key_flags: Option<fn(&[Bytes]) -> u32>,
    /// For `movablekeys` commands whose key specs cannot say where all
    /// keys are (SORT): the key positions and flags of a given call.
    pub get_keys: Option<KeyFinder>,
}

/// Defaults for struct-update syntax in declarations.
pub const BASE: CommandDef = CommandDef {
    name: "",
    arity: 0,
    flags: 0,
    acl: 0,
    first_key: 0,
    last_key: 0,
    key_step: 0,
    key_specs: &[],
    tips: &[],
    group: "generic",
    since: "1.0.0",
    summary: "",
    complexity: "",
    subcommands: &[],
    handler: None,
    key_flags: None,
    get_keys: None,
};

impl CommandDef {
    /// Categories as `COMMAND INFO` reports them: declared plus implied.
    pub fn categories(&self) -> u32 {
        let mut c = self.acl;
        if self.flags & WRITE != 0 {
            c |= C_WRITE;
        }
        if self.flags & READONLY != 0 && c & C_SCRIPTING == 0 {
            c |= C_READ;
        }
        if self.flags & ADMIN != 0 {
            c |= C_ADMIN | C_DANGEROUS;
        }
        if self.flags & PUBSUB != 0 {
            c |= C_PUBSUB;
        }
        if self.flags & FAST != 0 {
            c |= C_FAST;
        }
        if self.flags & BLOCKING != 0 {
            c |= C_BLOCKING;
        }
        if c & C_FAST == 0 {
            c |= C_SLOW;
        }
        c
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        FLAG_NAMES
            .iter()
            .filter(|(b, _)| self.flags & b != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    pub fn category_names(&self) -> Vec<&'static str> {
        let c = self.categories();
        CATEGORY_NAMES
            .iter()
            .filter(|(b, _)| c & b != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    pub fn subcommand(&self, name: &[u8]) -> Option<&'static CommandDef> {
        let subs: &'static [CommandDef] = self.subcommands;
        subs.iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }
}

pub fn key_spec_flag_names(f: u32) -> Vec<&'static str> {
    KS_FLAG_NAMES
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// Every family's table.
/// Replies a subcommand's HELP text: one simple string per line.
pub(crate) fn help_reply(ctx: &mut crate::exec::Ctx, lines: &[&str]) -> crate::exec::CmdResult {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
    Ok(())
}

static ALL: &[&[CommandDef]] = &[
    connection::COMMANDS,
    server::COMMANDS,
    config_cmd::COMMANDS,
    info::COMMANDS,
    debug::COMMANDS,
    string::COMMANDS,
    string_num::COMMANDS,
    string_range::COMMANDS,
    bitops::COMMANDS,
    string_bitfield::COMMANDS,
    keyspace::COMMANDS,
    keyspace_db::COMMANDS,
    expire::COMMANDS,
    multi::COMMANDS,
    memory::COMMANDS,
    zset::COMMANDS,
    zset_algebra::COMMANDS,
    zset_pop::COMMANDS,
    zset_scan::COMMANDS,
    dump::COMMANDS,
    save::COMMANDS,
    hash::COMMANDS,
    hyperloglog::COMMANDS,
    geo::COMMANDS,
    sort::COMMANDS,
    list::COMMANDS,
    pubsub::COMMANDS,
    set::COMMANDS,
    tiering_cmd::COMMANDS,
];

pub struct Table {
    by_name: HashMap<&'static str, &'static CommandDef, ahash::RandomState>,
}

pub static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut by_name = HashMap::with_hasher(ahash::RandomState::new());
    for fam in ALL {
        for c in fam.iter() {
            let prev = by_name.insert(c.name, c);
            assert!(prev.is_none(), "command {} declared twice", c.name);
        }
    }
    Table { by_name }
});

impl Table {
    /// Finds a command by name, case-insensitively.
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandDef> {
        if name.len() > 64 {
            return None;
        }
        let mut lower = [0u8; 64];
        let l = &mut lower[..name.len()];
        l.copy_from_slice(name);
        l.make_ascii_lowercase();
        let s = std::str::from_utf8(l).ok()?;
        self.by_name.get(s).copied()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static CommandDef> + '_ {
        self.by_name.values().copied()
    }

    /// Resolves `args` to the command (or subcommand) that would run.
    pub fn resolve(&self, args: &[Bytes]) -> Option<&'static CommandDef> {
        let c = self.get(args.first()?)?;
        if !c.subcommands.is_empty() && args.len() >= 2 {
            return c.subcommand(&args[1]);
        }
        Some(c)
    }
}

/// Positions of the keys of `args` for command `c`, from its key specs
/// (falls back to first/last/step if it has none).
pub fn key_positions(c: &CommandDef, args: &[Bytes]) -> Vec<usize> {
    keys_with_flags(c, args)
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

/// Like [`key_positions`], with the flags of the key spec that found each
/// key (for `COMMAND GETKEYSANDFLAGS`).
pub fn keys_with_flags(c: &CommandDef, args: &[Bytes]) -> Vec<(usize, u32)> {
    let argc = args.len() as i32;
    let mut out = Vec::new();
    let specs: Vec<KeySpec> = if c.key_specs.is_empty() && c.first_key > 0 {
        vec![ks(
            0,
            c.first_key,
            if c.last_key < 0 {
                c.last_key
            } else {
                c.last_key - c.first_key
            },
            c.key_step,
        )]
    } else {
        c.key_specs.to_vec()
    };
    if let Some(f) = c.get_keys {
        return f(args);
    }
    for spec in specs {
        if spec.flags & KS_NOT_KEY != 0 {
            continue;
        }
        let first = match spec.begin {
            Begin::Index(i) => i,
            Begin::Unknown => continue,
            Begin::Keyword { keyword, start } => {
                let (from, to, step): (i32, i32, i32) = if start >= 0 {
                    (start, argc, 1)
                } else {
                    (argc + start, 0, -1)
                };
                let mut i = from;
                let mut found = None;
                while (step > 0 && i < to) || (step < 0 && i > to) {
                    if args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += step;
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
        };
        if first <= 0 || first >= argc {
            continue;
        }
        let (last, step) = match spec.find {
            Find::Range { last, step, limit } => {
                let last = if last >= 0 {
                    first + last
                } else if limit <= 1 {
                    argc + last
                } else {
                    first + ((argc - first) / limit) + last
                };
                (last, step.max(1))
            }
            Find::Keynum {
                numkeys,
                first: kf,
                step,
            } => {
                let idx = (first + numkeys) as usize;
                let n = args
                    .get(idx)
                    .and_then(|a| std::str::from_utf8(a).ok())
                    .and_then(|s| s.parse::<i32>().ok())
                    .unwrap_or(0);
                let start = first + kf;
                // Re-anchor: keys begin at `start`.
                let step = step.max(1);
                // A count of keys the call does not have (or none) makes
                // the call a syntax error, which has no keys at all (not
                // even those of the other specs), as in Redis.
                let last = i64::from(start) + (i64::from(n) - 1) * i64::from(step);
                if n <= 0 || last >= i64::from(argc) {
                    return Vec::new();
                }
                let mut i = start;
                for _ in 0..n {
                    out.push((i as usize, call_flags(c, &spec, args)));
                    i += step;
                }
                continue;
            }
            Find::Unknown => continue,
        };
        let mut i = first;
        while i <= last.min(argc - 1) {
            out.push((i as usize, call_flags(c, &spec, args)));
            i += step;
        }
    }
    out
}

/// The flags of `spec` for this call: resolved by the command when the
/// spec says they vary.
fn call_flags(c: &CommandDef, spec: &KeySpec, args: &[Bytes]) -> u32 {
    match c.key_flags {
        Some(f) if spec.flags & KS_VARIABLE_FLAGS != 0 => f(args),
        _ => spec.flags,
    }
}

/// Writes the `COMMAND INFO` entry of `c` (the 10-element array).
pub fn reply_info(out: &mut crate::reply::Reply, c: &CommandDef, full_name: &str) {
    out.array(10);
    out.bulk_str(full_name);
    out.int(c.arity as i64);
    let flags = c.flag_names();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    out.int(c.first_key as i64);
    out.int(c.last_key as i64);
    out.int(c.key_step as i64);
    let cats = c.category_names();
    out.set(cats.len());
    for cat in cats {
        out.simple(&format!("@{cat}"));
    }
    out.array(c.tips.len());
    for t in c.tips {
        out.bulk_str(t);
    }
    out.array(c.key_specs.len());
    for s in c.key_specs {
        reply_key_spec(out, s);
    }
    out.array(c.subcommands.len());
    for s in c.subcommands {
        reply_info(out, s, &format!("{}|{}", full_name, s.name));
    }
}

fn reply_key_spec(out: &mut crate::reply::Reply, s: &KeySpec) {
    out.map(3);
    out.bulk_str("flags");
    let f = key_spec_flag_names(s.flags);
    out.set(f.len());
    for n in f {
        out.simple(n);
    }
    out.bulk_str("begin_search");
    out.map(2);
    out.bulk_str("type");
    match s.begin {
        Begin::Index(i) => {
            out.bulk_str("index");
            out.bulk_str("spec");
            out.map(1);
            out.bulk_str("index");
            out.int(i as i64);
        }
        Begin::Keyword { keyword, start } => {
            out.bulk_str("keyword");
            out.bulk_str("spec");
            out.map(2);
            out.bulk_str("keyword");
            out.bulk_str(keyword);
            out.bulk_str("startfrom");
            out.int(start as i64);
        }
        Begin::Unknown => {
            out.bulk_str("unknown");
            out.bulk_str("spec");
            out.map(0);
        }
    }
    out.bulk_str("find_keys");
    out.map(2);
    out.bulk_str("type");
    match s.find {
        Find::Range { last, step, limit } => {
            out.bulk_str("range");
            out.bulk_str("spec");
            out.map(3);
            out.bulk_str("lastkey");
            out.int(last as i64);
            out.bulk_str("keystep");
            out.int(step as i64);
            out.bulk_str("limit");
            out.int(limit as i64);
        }
        Find::Keynum {
            numkeys,
            first,
            step,
        } => {
            out.bulk_str("keynum");
            out.bulk_str("spec");
            out.map(3);
            out.bulk_str("keynumidx");
            out.int(numkeys as i64);
            out.bulk_str("firstkey");
            out.int(first as i64);
            out.bulk_str("keystep");
            out.int(step as i64);
        }
        Find::Unknown => {
            out.bulk_str("unknown");
            out.bulk_str("spec");
            out.map(0);
        }
    }
}

/// Writes the `COMMAND DOCS` entry of `c` (name, then a map).
pub fn reply_docs(out: &mut crate::reply::Reply, c: &CommandDef, full_name: &str) {
    out.bulk_str(full_name);
    let n = 4 + usize::from(!c.subcommands.is_empty());
    out.map(n);
    out.bulk_str("summary");
    out.bulk_str(c.summary);
    out.bulk_str("since");
    out.bulk_str(c.since);
    out.bulk_str("group");
    out.bulk_str(c.group);
    out.bulk_str("complexity");
    out.bulk_str(c.complexity);
    if !c.subcommands.is_empty() {
        out.bulk_str("subcommands");
        out.map(c.subcommands.len());
        for s in c.subcommands {
            reply_docs(out, s, &format!("{}|{}", full_name, s.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declaration_is_sane() {
        for c in TABLE.iter() {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(c.arity != 0, "{} arity", c.name);
            assert!(!c.summary.is_empty(), "{} summary", c.name);
            if c.subcommands.is_empty() {
                assert!(c.handler.is_some(), "{} has no handler", c.name);
            }
            for s in c.subcommands {
                assert!(s.handler.is_some(), "{}|{} has no handler", c.name, s.name);
                assert!(!s.summary.is_empty(), "{}|{} summary", c.name, s.name);
            }
        }
    }
}
