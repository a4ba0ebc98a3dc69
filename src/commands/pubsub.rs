//! Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and the PUBSUB container.
//! The registry and the delivery of messages are [`crate::pubsub`]'s.

use bytes::Bytes;

use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::pubsub::{self, Kind};

const SUB_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
/// Shard channels are declared as (not-key) keys, for cluster routing.
const SHARD_SPEC: &[KeySpec] = &[ks(KS_NOT_KEY, 1, -1, 1)];

const fn sub_cmd(
    name: &'static str,
    arity: i32,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags: SUB_FLAGS,
        group: "pubsub",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

pub static COMMANDS: &[CommandDef] = &[
    sub_cmd(
        "subscribe",
        -2,
        "2.0.0",
        "Listen for messages published to the given channels",
        "O(N) where N is the number of channels to subscribe to.",
        subscribe,
    ),
    sub_cmd(
        "unsubscribe",
        -1,
        "2.0.0",
        "Stop listening for messages posted to the given channels",
        "O(N) where N is the number of clients already subscribed to a channel.",
        unsubscribe,
    ),
    sub_cmd(
        "psubscribe",
        -2,
        "2.0.0",
        "Listen for messages published to channels matching the given patterns",
        "O(N) where N is the number of patterns the client is already subscribed to.",
        psubscribe,
    ),
    sub_cmd(
        "punsubscribe",
        -1,
        "2.0.0",
        "Stop listening for messages posted to channels matching the given patterns",
        "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        punsubscribe,
    ),
    CommandDef {
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: SHARD_SPEC,
        ..sub_cmd(
            "ssubscribe",
            -2,
            "7.0.0",
            "Listen for messages published to the given shard channels",
            "O(N) where N is the number of shard channels to subscribe to.",
            ssubscribe,
        )
    },
    CommandDef {
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: SHARD_SPEC,
        ..sub_cmd(
            "sunsubscribe",
            -1,
            "7.0.0",
            "Stop listening for messages posted to the given shard channels",
            "O(N) where N is the number of clients already subscribed to a shard channel.",
            sunsubscribe,
        )
    },
    CommandDef {
        name: "publish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        group: "pubsub",
        since: "2.0.0",
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        handler: Some(publish),
        ..BASE
    },
    CommandDef {
        name: "spublish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_NOT_KEY, 1, 0, 1)],
        group: "pubsub",
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        handler: Some(spublish),
        ..BASE
    },
    CommandDef {
        name: "pubsub",
        arity: -2,
        group: "pubsub",
        since: "2.8.0",
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        subcommands: PUBSUB_SUBCOMMANDS,
        ..BASE
    },
];

const fn pubsub_sub(
    name: &'static str,
    arity: i32,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags: PUBSUB | LOADING | STALE,
        group: "pubsub",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

static PUBSUB_SUBCOMMANDS: &[CommandDef] = &[
    pubsub_sub(
        "channels",
        -2,
        "2.8.0",
        "List active channels",
        "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        pubsub_channels,
    ),
    pubsub_sub(
        "shardchannels",
        -2,
        "7.0.0",
        "List active shard channels",
        "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        pubsub_shardchannels,
    ),
    pubsub_sub(
        "numpat",
        2,
        "2.8.0",
        "Get the count of unique patterns pattern subscriptions",
        "O(1)",
        pubsub_numpat,
    ),
    pubsub_sub(
        "numsub",
        -2,
        "2.8.0",
        "Get the count of subscribers for channels",
        "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        pubsub_numsub,
    ),
    pubsub_sub(
        "shardnumsub",
        -2,
        "7.0.0",
        "Get the count of subscribers for shard channels",
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        pubsub_shardnumsub,
    ),
    CommandDef {
        flags: LOADING | STALE,
        ..pubsub_sub(
            "help",
            2,
            "6.2.0",
            "Show helpful text about the different subcommands",
            "O(1)",
            pubsub_help,
        )
    },
];

/// Writes one confirmation push frame (`subscribe ch 3`), recording it as
/// a push (sent even under `CLIENT REPLY OFF`). `name` is `None` for an
/// unsubscribe-all that found nothing (a null).
fn confirm(ctx: &mut Ctx, what: &[u8], name: Option<&[u8]>, count: usize) {
    let from = ctx.out.buf.len();
    ctx.out.push(3);
    ctx.out.bulk(what);
    match name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
    let to = ctx.out.buf.len();
    ctx.st.pubsub.push_marks.push((from, to));
}

fn count(ctx: &mut Ctx, kind: Kind) -> usize {
    kind.count(&ctx.client().subs)
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per argument, a
/// repeated name included (with an unchanged count).
fn add(ctx: &mut Ctx, args: &[Bytes], kind: Kind, what: &[u8]) -> CmdResult {
    for name in &args[1..] {
        pubsub::subscribe(ctx.st, ctx.id, kind, name);
        let n = count(ctx, kind);
        confirm(ctx, what, Some(name), n);
    }
    Ok(())
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named ones (subscribed
/// or not), or every subscription of the kind; with none at all, one
/// confirmation with a null name.
fn remove(ctx: &mut Ctx, args: &[Bytes], kind: Kind, what: &[u8]) -> CmdResult {
    let names = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        pubsub::subscriptions(ctx.st, ctx.id, kind)
    };
    if names.is_empty() {
        let n = count(ctx, kind);
        confirm(ctx, what, None, n);
        return Ok(());
    }
    for name in &names {
        pubsub::unsubscribe(ctx.st, ctx.id, kind, name);
        let n = count(ctx, kind);
        confirm(ctx, what, Some(name), n);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    add(ctx, args, Kind::Channel, b"subscribe")
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    add(ctx, args, Kind::Pattern, b"psubscribe")
}

fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    add(ctx, args, Kind::Shard, b"ssubscribe")
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove(ctx, args, Kind::Channel, b"unsubscribe")
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove(ctx, args, Kind::Pattern, b"punsubscribe")
}

fn sunsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove(ctx, args, Kind::Shard, b"sunsubscribe")
}

fn publish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = pubsub::publish(ctx.st, &args[1], &args[2]);
    ctx.out.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = pubsub::spublish(ctx.st, &args[1], &args[2]);
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBSUB CHANNELS / SHARDCHANNELS take at most one pattern.
fn channels(ctx: &mut Ctx, args: &[Bytes], shard: bool) -> CmdResult {
    if args.len() > 3 {
        let mut msg = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
        msg.extend_from_slice(&args[1]);
        msg.extend_from_slice(b"'. Try PUBSUB HELP.");
        return Err(CmdError::msg(String::from_utf8_lossy(&msg).into_owned()));
    }
    let list = pubsub::active(ctx.st, shard, args.get(2).map(|p| &p[..]));
    ctx.out.array(list.len());
    for ch in &list {
        ctx.out.bulk(ch);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    channels(ctx, args, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    channels(ctx, args, true)
}

fn numsub(ctx: &mut Ctx, args: &[Bytes], shard: bool) -> CmdResult {
    ctx.out.array(2 * (args.len() - 2));
    for ch in &args[2..] {
        let n = pubsub::num_subscribers(ctx.st, shard, ch);
        ctx.out.bulk(ch);
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    numsub(ctx, args, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    numsub(ctx, args, true)
}

fn pubsub_numpat(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.st.pubsub.num_patterns();
    ctx.out.int(n as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let lines = [
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
    ];
    ctx.out.array(lines.len() + 3);
    ctx.out
        .simple("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
    Ok(())
}
