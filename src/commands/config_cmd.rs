//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP.

use bytes::Bytes;

use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "config",
    arity: -2,
    group: "server",
    since: "2.0.0",
    summary: "A container for server configuration commands.",
    complexity: "Depends on subcommand.",
    subcommands: SUBCOMMANDS,
    ..BASE
}];

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        group: "server",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

static SUBCOMMANDS: &[CommandDef] = &[
    sub(
        "get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "2.0.0",
        "Returns the effective values of configuration parameters.",
        "O(N) when N is the number of configuration parameters provided",
        config_get,
    ),
    CommandDef {
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..sub(
            "set",
            -4,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "2.0.0",
            "Sets configuration parameters in-flight.",
            "O(N) when N is the number of configuration parameters provided",
            config_set,
        )
    },
    CommandDef {
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..sub(
            "resetstat",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "2.0.0",
            "Resets the server's statistics.",
            "O(1)",
            config_resetstat,
        )
    },
    CommandDef {
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..sub(
            "rewrite",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "2.8.0",
            "Persists the effective configuration to file.",
            "O(1)",
            config_rewrite,
        )
    },
    sub(
        "help",
        2,
        LOADING | STALE,
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        "O(1)",
        config_help,
    ),
];

fn config_get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for pat in &args[2..] {
        for (name, value) in ctx.st.config.matching(pat) {
            if !pairs.iter().any(|(n, _)| *n == name) {
                // `dir` reports the absolute working directory, as Redis.
                let value = if name == "dir" {
                    std::env::current_dir()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| value.to_string())
                } else if name == "notify-keyspace-events" {
                    crate::notify::shown(value)
                } else {
                    value.to_string()
                };
                pairs.push((name, value));
            }
        }
    }
    ctx.out.map(pairs.len());
    for (n, v) in pairs {
        ctx.out.bulk_str(n);
        ctx.out.bulk_str(&v);
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 != 0 {
        return Err(CmdError::msg(
            "ERR wrong number of arguments for 'config|set' command",
        ));
    }
    // Validate everything first: CONFIG SET of several parameters is
    // all-or-nothing.
    let mut seen: Vec<&'static str> = Vec::new();
    let mut trial = ctx.st.config.clone();
    for pair in args[2..].chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let Some((_, d)) = crate::config::find(&name) else {
            return Err(CmdError::msg(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if seen.contains(&d.name) {
            return Err(CmdError::msg(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter")));
        }
        seen.push(d.name);
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        if let Err(e) = trial.set_runtime(&name, &value) {
            return Err(CmdError::msg(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {e}"
            )));
        }
        if d.name == "dir" {
            if let Err(e) = std::env::set_current_dir(&value) {
                return Err(CmdError::msg(format!(
                    "ERR CONFIG SET failed (possibly related to argument 'dir') - {e}"
                )));
            }
        }
    }
    // A new port or bind list takes effect now: bind first, and keep the
    // old listeners (and the old values) if that fails.
    let (old_port, old_bind) = (ctx.st.config.tun.port, ctx.st.config.tun.bind.clone());
    if trial.tun.port != old_port || trial.tun.bind != old_bind {
        let which = if trial.tun.port != old_port {
            "port"
        } else {
            "bind"
        };
        let bound = crate::net::bind_addrs(&trial.tun.bind, trial.tun.port);
        let arc = ctx.shared.me.upgrade();
        match (bound, arc) {
            (Ok(listeners), Some(arc)) => {
                if let Err(e) = crate::net::serve_listeners(&arc, ctx.st, listeners) {
                    return Err(CmdError::msg(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{which}') - {e}"
                    )));
                }
                tracing::info!(
                    "Listening again on port {} ({})",
                    trial.tun.port,
                    trial.tun.bind.join(" ")
                );
            }
            _ => {
                let why = if which == "port" {
                    "Unable to listen on this port"
                } else {
                    "Failed to bind to specified addresses."
                };
                return Err(CmdError::msg(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{which}') - {why}"
                )));
            }
        }
    }
    // The append-only file switched on or off, or its sync policy.
    let was_on = ctx.st.config.get("appendonly") == Some("yes");
    let on = trial.get("appendonly") == Some("yes");
    let fsync_changed = trial.get("appendfsync") != ctx.st.config.get("appendfsync");
    if on && !was_on {
        let old = std::mem::replace(&mut ctx.st.config, trial.clone());
        if let Err(e) = crate::aof::enable(ctx.shared, ctx.st) {
            ctx.st.config = old;
            return Err(CmdError::msg(format!(
                "ERR CONFIG SET failed (possibly related to argument 'appendonly') - {e}"
            )));
        }
    } else if was_on && !on {
        crate::aof::disable(ctx.st);
    }
    ctx.st.config = trial;
    if fsync_changed {
        crate::aof::set_policy(ctx.st);
    }
    ctx.st.config_changed();
    ctx.out.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.st.stats.reset();
    ctx.st.ks.stats = Default::default();
    ctx.st.ks.estimator.reset();
    ctx.shared
        .net_in
        .store(0, std::sync::atomic::Ordering::Relaxed);
    ctx.shared
        .net_out
        .store(0, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let Some(path) = ctx.st.config.file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    let original = std::fs::read_to_string(&path).unwrap_or_default();
    let text = ctx.st.config.rewrite_text(&original);
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let res = std::fs::write(&tmp, text.as_bytes())
        .and_then(|_| std::fs::File::open(&tmp).and_then(|f| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        tracing::warn!("CONFIG REWRITE failed: {e}");
        return Err(CmdError::msg(format!("ERR Rewriting config file: {e}")));
    }
    tracing::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::reply_help(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}
