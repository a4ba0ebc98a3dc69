//! Whole-database keyspace commands: KEYS, SCAN, RANDOMKEY, DBSIZE,
//! FLUSHDB, FLUSHALL, SWAPDB.

use bytes::Bytes;

use super::keyspace::{arg_int, db_index};
use super::scan_args::{self, Accept, ScanArgs};
use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use tiering::keyspace::lazy_free;
use tiering::{glob, Key};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "keys",
        arity: 2,
        flags: READONLY,
        acl: C_KEYSPACE | C_DANGEROUS,
        group: "generic",
        summary: "Lists every key whose name matches a glob-style pattern.",
        complexity: "O(N) where N is the number of keys in the database.",
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        handler: Some(keys),
        ..BASE
    },
    CommandDef {
        name: "scan",
        arity: -2,
        flags: READONLY,
        acl: C_KEYSPACE,
        group: "generic",
        since: "2.8.0",
        summary: "Walks the keys of the database a few at a time, from a cursor.",
        complexity: "O(1) per call; O(N) for a whole iteration, N being the number of keys.",
        tips: &["nondeterministic_output", "request_policy:special"],
        handler: Some(scan),
        ..BASE
    },
    CommandDef {
        name: "randomkey",
        arity: 1,
        flags: READONLY,
        acl: C_KEYSPACE,
        group: "generic",
        summary: "Returns the name of a random key of the database.",
        complexity: "O(1)",
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        handler: Some(randomkey),
        ..BASE
    },
    CommandDef {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        acl: C_KEYSPACE,
        group: "server",
        summary: "Returns how many keys the selected database holds.",
        complexity: "O(1)",
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        handler: Some(dbsize),
        ..BASE
    },
    CommandDef {
        name: "flushdb",
        arity: -1,
        flags: WRITE,
        acl: C_KEYSPACE | C_DANGEROUS,
        group: "server",
        summary: "Deletes every key of the selected database, optionally freeing memory in the background.",
        complexity: "O(N) where N is the number of keys in the selected database.",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        handler: Some(flushdb),
        ..BASE
    },
    CommandDef {
        name: "flushall",
        arity: -1,
        flags: WRITE,
        acl: C_KEYSPACE | C_DANGEROUS,
        group: "server",
        summary: "Deletes every key of every database, optionally freeing memory in the background.",
        complexity: "O(N) where N is the number of keys in all databases.",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        handler: Some(flushall),
        ..BASE
    },
    CommandDef {
        name: "swapdb",
        arity: 3,
        flags: WRITE | FAST,
        acl: C_KEYSPACE | C_DANGEROUS,
        group: "server",
        since: "4.0.0",
        summary: "Exchanges the contents of two databases.",
        complexity: "O(N) where N is the number of clients watching or blocked on keys of either database.",
        handler: Some(swapdb),
        ..BASE
    },
];

fn keys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let pattern = &args[1][..];
    let all = pattern == b"*";
    let now = ctx.now_ms;
    // Expired keys are skipped, not deleted, as in Redis.
    let d = ctx.st.ks.db(ctx.db);
    let mut found: Vec<Key> = Vec::new();
    d.for_each(|k, e| {
        if (all || glob::matches(pattern, k, false)) && !d.is_expired(k, e, now) {
            found.push(k.clone());
        }
    });
    ctx.out.array(found.len());
    for k in &found {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
fn scan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan_args::cursor(&args[1])?;
    let opts = ScanArgs::parse(args, 2, Accept::TYPE)?;
    let (pattern, type_name, count) = (opts.pattern, opts.type_name, opts.count);
    let (db, now) = (ctx.db, ctx.now_ms);
    let (next, batch) = ctx.st.ks.db(db).scan_keys(cursor, count);
    // Filter after collecting, in Redis's order: pattern, type, expiry.
    let mut keys = Vec::with_capacity(batch.len());
    for k in batch {
        if let Some(p) = pattern {
            if !glob::matches(p, &k, false) {
                continue;
            }
        }
        if let Some(want) = type_name {
            // As in Redis 7.0 this lookup expires the key if needed, and a
            // key it removed reads as type "none" (and is then no longer
            // "expired" for the check below).
            let want = want.split(|&b| b == 0).next().unwrap_or(&[]);
            let t = if ctx.inspect(&k, false) {
                ctx.st
                    .ks
                    .db(db)
                    .peek(&k)
                    .map_or("none", |e| e.value.type_name())
            } else {
                "none"
            };
            if !t.as_bytes().eq_ignore_ascii_case(want) {
                continue;
            }
        }
        if ctx.st.ks.expire_if_needed(db, &k, now) {
            continue;
        }
        keys.push(k);
    }
    ctx.out.array(2);
    // Redis replies with the cursor as a signed 64-bit integer.
    ctx.out.bulk_int(next as i64);
    ctx.out.array(keys.len());
    for k in keys {
        ctx.out.bulk(&k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db, ctx.now_ms);
    match ctx.st.ks.random_key(db, now) {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
    Ok(())
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.st.ks.db(ctx.db).len();
    ctx.out.int(n as i64);
    Ok(())
}

/// The `[ASYNC|SYNC]` argument of FLUSHDB and FLUSHALL: true to free in
/// the background. Without it, `lazyfree-lazy-user-flush` decides.
fn flush_async(ctx: &Ctx, args: &[Bytes]) -> Result<bool, CmdError> {
    match args {
        [_] => Ok(ctx.st.config.get("lazyfree-lazy-user-flush") == Some("yes")),
        [_, mode] if mode.eq_ignore_ascii_case(b"sync") => Ok(false),
        [_, mode] if mode.eq_ignore_ascii_case(b"async") => Ok(true),
        _ => Err(CmdError::SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let background = flush_async(ctx, args)?;
    ctx.st.signal_flushed(Some(ctx.db));
    let old = ctx.st.ks.detach_db(ctx.db);
    let n = old.len();
    if background && n > 0 {
        lazy_free(old);
    } else {
        drop(old);
    }
    ctx.dirty(n as u64);
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let background = flush_async(ctx, args)?;
    ctx.st.signal_flushed(None);
    // A background save of the data being removed would overwrite the
    // dump with it later: abandoned, as Redis kills its child.
    crate::persist::abort_bgsave(ctx.st);
    let mut n = 0;
    let mut old = Vec::new();
    for db in 0..ctx.st.ks.db_count() {
        if !ctx.st.ks.db(db).is_empty() {
            let d = ctx.st.ks.detach_db(db);
            n += d.len();
            old.push(d);
        }
    }
    if background && !old.is_empty() {
        lazy_free(old);
    } else {
        drop(old);
    }
    // Redis counts the removed keys plus one for the flush itself; with
    // save points it saves the now empty dataset at once.
    ctx.dirty(n as u64);
    if crate::persist::has_save_points(ctx.st) {
        let _ = crate::persist::save(ctx.st);
    }
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Both indexes must parse before either is range-checked.
    let a = arg_int(&args[1], Some("ERR invalid first DB index"))?;
    let b = arg_int(&args[2], Some("ERR invalid second DB index"))?;
    let (a, b) = (db_index(ctx, a)?, db_index(ctx, b)?);
    if a != b {
        ctx.st.signal_swapped(a, b);
        ctx.st.ks.swap_db(a, b);
    }
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}
