//! SAVE, BGSAVE, LASTSAVE (the RDB file itself: `crate::persist`) and
//! BGREWRITEAOF (the append-only file: `crate::aof`).

use bytes::Bytes;

use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "save",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        acl: C_SLOW,
        group: "server",
        summary: "Writes the dataset to the RDB file now, in the foreground.",
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: Some(save),
        ..BASE
    },
    CommandDef {
        name: "bgsave",
        arity: -1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        acl: C_SLOW,
        group: "server",
        summary: "Writes the dataset to the RDB file in the background, as of now.",
        complexity: "O(1)",
        handler: Some(bgsave),
        ..BASE
    },
    CommandDef {
        name: "bgrewriteaof",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        acl: C_SLOW,
        group: "server",
        summary: "Rewrites the append-only file in the background: a new base as of now.",
        complexity: "O(1)",
        handler: Some(bgrewriteaof),
        ..BASE
    },
    CommandDef {
        name: "lastsave",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: C_ADMIN | C_DANGEROUS,
        tips: &["nondeterministic_output"],
        group: "server",
        summary: "Returns the Unix time of the last successful save.",
        complexity: "O(1)",
        handler: Some(lastsave),
        ..BASE
    },
];

fn save(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.st.bgsave.as_ref().is_some_and(|b| b.is_rdb()) {
        return Err(CmdError::msg("ERR Background save already in progress"));
    }
    crate::persist::save(ctx.st).map_err(|_| CmdError::msg("ERR"))?;
    ctx.out.ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let schedule = match args.len() {
        1 => false,
        2 if args[1].eq_ignore_ascii_case(b"schedule") => true,
        _ => return Err(CmdError::SYNTAX),
    };
    if schedule && ctx.st.aof.rewrite.is_some() {
        // Started by the cron when the rewrite is done.
        ctx.st.persist.bgsave_scheduled = true;
        ctx.out.simple("Background saving scheduled");
        return Ok(());
    }
    crate::persist::start_bgsave(ctx.shared, ctx.st).map_err(CmdError::msg)?;
    ctx.out.simple("Background saving started");
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(ctx.st.last_save_unix);
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let started = crate::aof::start_rewrite(ctx.shared, ctx.st).map_err(CmdError::msg)?;
    ctx.out.simple(started);
    Ok(())
}
