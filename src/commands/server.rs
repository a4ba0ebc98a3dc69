//! Server commands: COMMAND, TIME, SHUTDOWN (INFO, CONFIG and DEBUG have
//! files of their own).

use bytes::Bytes;

use super::*;
use crate::exec::{lower, CmdError, CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "time",
        arity: 1,
        flags: LOADING | STALE | FAST,
        group: "server",
        since: "2.6.0",
        summary: "Returns the server time.",
        complexity: "O(1)",
        tips: &["nondeterministic_output"],
        handler: Some(time),
        ..BASE
    },
    CommandDef {
        name: "shutdown",
        arity: -1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        group: "server",
        summary: "Synchronously saves the database(s) to disk and shuts down the server.",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        handler: Some(shutdown),
        ..BASE
    },
    CommandDef {
    name: "command",
    arity: -1,
    flags: LOADING | STALE,
    acl: C_CONNECTION,
    group: "server",
    since: "2.8.13",
    summary: "Returns detailed information about all commands.",
    complexity: "O(N) where N is the total number of commands",
    tips: &["nondeterministic_output_order"],
    handler: Some(command),
    subcommands: COMMAND_SUBCOMMANDS,
    ..BASE
}];

fn time(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let us = crate::server::now_us();
    ctx.out.array(2);
    ctx.out.bulk_int(us / 1_000_000);
    ctx.out.bulk_int(us % 1_000_000);
    Ok(())
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for a in &args[1..] {
        match lower(a).as_str() {
            "save" => save = true,
            "nosave" => nosave = true,
            "abort" => abort = true,
            "now" | "force" => {}
            _ => return Err(CmdError::SYNTAX),
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        return Err(CmdError::SYNTAX);
    }
    if abort {
        // Shutdown here is immediate: nothing is ever left pending to abort.
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    let save_points = crate::persist::has_save_points(ctx.st);
    crate::persist::abort_bgsave(ctx.st);
    if (save || save_points) && !nosave && crate::persist::save(ctx.st).is_err() {
        return Err(CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    ctx.st.shutdown_requested = true;
    Ok(())
}

const fn sub(
    name: &'static str,
    arity: i32,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags: LOADING | STALE,
        acl: C_CONNECTION,
        group: "server",
        since: "7.0.0",
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

static COMMAND_SUBCOMMANDS: &[CommandDef] = &[
    CommandDef {
        since: "2.8.13",
        ..sub(
            "count",
            2,
            "Returns a count of commands.",
            "O(1)",
            command_count,
        )
    },
    CommandDef {
        since: "2.8.13",
        tips: &["nondeterministic_output_order"],
        ..sub(
            "info",
            -2,
            "Returns information about one, multiple or all commands.",
            "O(N) where N is the number of commands to look up",
            command_info,
        )
    },
    CommandDef {
        tips: &["nondeterministic_output_order"],
        ..sub(
            "docs",
            -2,
            "Returns documentary information about one, multiple or all commands.",
            "O(N) where N is the number of commands to look up",
            command_docs,
        )
    },
    CommandDef {
        tips: &["nondeterministic_output_order"],
        ..sub(
            "list",
            -2,
            "Returns a list of command names.",
            "O(N) where N is the total number of commands",
            command_list,
        )
    },
    CommandDef {
        since: "2.8.13",
        ..sub(
            "getkeys",
            -4,
            "Extracts the key names from an arbitrary command.",
            "O(N) where N is the number of arguments to the command",
            command_getkeys,
        )
    },
    sub(
        "getkeysandflags",
        -4,
        "Extracts the key names and access flags for an arbitrary command.",
        "O(N) where N is the number of arguments to the command",
        command_getkeysandflags,
    ),
    CommandDef {
        since: "5.0.0",
        ..sub(
            "help",
            2,
            "Returns helpful text about the different subcommands.",
            "O(1)",
            command_help,
        )
    },
];

fn command(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 1 {
        // Unreachable through exec (subcommands resolve first), kept exact.
        return Err(CmdError::msg(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(&args[1])
        )));
    }
    let mut all: Vec<_> = TABLE.iter().collect();
    all.sort_by_key(|c| c.name);
    ctx.out.array(all.len());
    for c in all {
        reply_info(ctx.out, c, c.name);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(TABLE.len() as i64);
    Ok(())
}

/// Finds `name` or `parent|sub`.
fn lookup_full(name: &[u8]) -> Option<(&'static CommandDef, String)> {
    let s = String::from_utf8_lossy(name).to_ascii_lowercase();
    match s.split_once('|') {
        Some((p, sname)) => {
            let parent = TABLE.get(p.as_bytes())?;
            let c = parent.subcommand(sname.as_bytes())?;
            Some((c, format!("{}|{}", parent.name, c.name)))
        }
        None => TABLE.get(name).map(|c| (c, c.name.to_string())),
    }
}

fn command_info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return command(ctx, &args[..1]);
    }
    ctx.out.array(args.len() - 2);
    for a in &args[2..] {
        match lookup_full(a) {
            Some((c, full)) => reply_info(ctx.out, c, &full),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut found: Vec<(&CommandDef, String)> = Vec::new();
    if args.len() == 2 {
        let mut all: Vec<_> = TABLE.iter().collect();
        all.sort_by_key(|c| c.name);
        found = all.into_iter().map(|c| (c, c.name.to_string())).collect();
    } else {
        for a in &args[2..] {
            if let Some(x) = lookup_full(a) {
                found.push(x);
            }
        }
    }
    ctx.out.map(found.len());
    for (c, full) in found {
        reply_docs(ctx.out, c, &full);
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut names: Vec<String> = Vec::new();
    for c in TABLE.iter() {
        names.push(c.name.to_string());
        for s in c.subcommands {
            names.push(format!("{}|{}", c.name, s.name));
        }
    }
    if args.len() > 2 {
        if args.len() != 5 || lower(&args[2]) != "filterby" {
            return Err(CmdError::SYNTAX);
        }
        let what = lower(&args[3]);
        let v = &args[4];
        names.retain(|n| {
            let c = lookup_full(n.as_bytes()).map(|x| x.0);
            match (what.as_str(), c) {
                ("pattern", _) => tiering::glob::matches(v, n.as_bytes(), true),
                ("aclcat", Some(c)) => c
                    .category_names()
                    .iter()
                    .any(|cat| cat.as_bytes().eq_ignore_ascii_case(v)),
                ("module", _) => false,
                _ => false,
            }
        });
        if !matches!(what.as_str(), "pattern" | "aclcat" | "module") {
            return Err(CmdError::SYNTAX);
        }
    }
    names.sort();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk_str(&n);
    }
    Ok(())
}

fn getkeys_common(args: &[Bytes]) -> Result<Vec<(usize, u32)>, CmdError> {
    let target = &args[2..];
    let Some(c) = TABLE.resolve(target) else {
        return Err(CmdError::msg("ERR Invalid command specified"));
    };
    // As Redis: whether the command can have keys at all comes first,
    // then its arity, then whether this call names any.
    let can_have_keys = c.get_keys.is_some()
        || c.key_specs.iter().any(|s| s.flags & KS_NOT_KEY == 0)
        || (c.key_specs.is_empty() && c.first_key > 0);
    if !can_have_keys {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    if !c.arity_ok(target.len()) {
        return Err(CmdError::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = keys_with_flags(c, target);
    if keys.is_empty() && c.flags & NO_MANDATORY_KEYS == 0 {
        // A call that is a syntax error (numkeys beyond its arguments).
        return Err(CmdError::msg("ERR Invalid arguments specified for command"));
    }
    Ok(keys)
}

fn command_getkeys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let keys = getkeys_common(args)?;
    ctx.out.array(keys.len());
    for (k, _) in keys {
        ctx.out.bulk(&args[2 + k]);
    }
    Ok(())
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let keys = getkeys_common(args)?;
    ctx.out.array(keys.len());
    for (k, flags) in keys {
        ctx.out.array(2);
        ctx.out.bulk(&args[2 + k]);
        let names = key_spec_flag_names(flags & !(KS_VARIABLE_FLAGS | KS_INCOMPLETE));
        ctx.out.set(names.len());
        for n in names {
            ctx.out.simple(n);
        }
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::reply_help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the total number of commands in this server.",
            "LIST",
            "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full command.",
        ],
    );
    Ok(())
}
