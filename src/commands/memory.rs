//! MEMORY USAGE, PURGE and HELP.
//!
//! `MEMORY USAGE` reports what the key costs here: its hash-table node,
//! the key's heap bytes (keys up to 22 bytes live inside the node), the
//! expiry record if any, and the value's heap bytes. Those are this
//! server's own sizes, so the number differs from Redis's for the same
//! data (usually smaller). Collections are measured exactly rather than
//! sampled; `SAMPLES` is validated as Redis does and otherwise has no
//! effect.

use bytes::Bytes;

use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "memory",
    arity: -2,
    group: "server",
    since: "4.0.0",
    summary: "A container for memory diagnostics commands.",
    complexity: "Depends on subcommand.",
    subcommands: MEMORY_SUBCOMMANDS,
    ..BASE
}];

static MEMORY_SUBCOMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "usage",
        arity: -3,
        flags: READONLY,
        acl: C_SLOW,
        first_key: 2,
        last_key: 2,
        key_step: 1,
        key_specs: &[ks(KS_RO, 2, 0, 1)],
        group: "server",
        since: "4.0.0",
        summary: "Estimates the memory a key and its value take.",
        complexity: "O(N) where N is the number of samples.",
        handler: Some(usage),
        ..BASE
    },
    CommandDef {
        name: "purge",
        arity: 2,
        acl: C_SLOW,
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "4.0.0",
        summary: "Asks the allocator to return free memory to the system.",
        complexity: "Depends on how much memory is allocated, could be slow",
        handler: Some(purge),
        ..BASE
    },
    CommandDef {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: C_SLOW,
        group: "server",
        since: "4.0.0",
        summary: "Describes the MEMORY subcommands.",
        complexity: "O(1)",
        handler: Some(help),
        ..BASE
    },
];

/// The size of one hash-table node (key, entry, chain link).
pub(crate) const NODE_BYTES: usize = 64;
/// An entry of the volatile-keys table (node, key, expiry).
const EXPIRE_RECORD_BYTES: usize = 48;
/// Keys up to this length are stored inside the node.
const INLINE_KEY_MAX: usize = 22;

fn usage(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut j = 3;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"samples") && j + 1 < args.len() {
            if arg_i64(&args[j + 1])? < 0 {
                return Err(CmdError::SYNTAX);
            }
            j += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    let key = &args[2];
    // As Redis: the table as it is, without lazy expiry, so a logically
    // expired key not yet removed still has a size.
    let Some(e) = ctx.st.ks.db(ctx.db).peek(key) else {
        ctx.out.null();
        return Ok(());
    };
    let key_heap = if key.len() > INLINE_KEY_MAX {
        key.len()
    } else {
        0
    };
    let expire = if e.has_expire() {
        EXPIRE_RECORD_BYTES + key_heap
    } else {
        0
    };
    // A cold key at rest takes its record in the cold-key table instead
    // of a node.
    let entry = match e {
        tiering::EntryRef::Resting(_) => tiering::coldkeys::record_bytes(key.len()),
        tiering::EntryRef::Hot(_) => NODE_BYTES + key_heap,
    };
    let total = entry + expire + e.value.heap_size();
    ctx.out.int(total as i64);
    Ok(())
}

fn purge(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    // SAFETY: mi_collect only walks the allocator's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) };
    ctx.out.ok();
    Ok(())
}

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    help_reply(ctx, HELP)
}
