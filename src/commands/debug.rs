//! DEBUG: the subset that tests and tools rely on. Allowed only when
//! `enable-debug-command` is `yes`, or `local` for loopback clients.

use bytes::Bytes;

use super::*;
use crate::exec::{arg_f64, arg_i64, lower, CmdError, CmdResult, Ctx};
use tiering::lfu;

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "debug",
    arity: -2,
    flags: ADMIN | NOSCRIPT | LOADING | STALE,
    group: "server",
    summary: "A container for debugging commands.",
    complexity: "Depends on subcommand.",
    tips: &["nondeterministic_output"],
    handler: Some(debug),
    ..BASE
}];

fn debug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mode = ctx.st.config.tun.enable_debug_command.clone();
    let local = ctx.client().addr.ip().is_loopback();
    if !(mode == "yes" || (mode == "local" && local)) {
        return Err(CmdError::msg("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    let sub = lower(&args[1]);
    let n = args.len();
    match (sub.as_str(), n) {
        ("help", 2) => help(ctx),
        ("sleep", 3) => {
            let secs = arg_f64(&args[2]).unwrap_or(0.0);
            // Blocks the executor, as DEBUG SLEEP blocks Redis: that is its
            // purpose in tests.
            if secs > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
            }
            ctx.out.ok();
        }
        // Ours: every cold read takes at least this many microseconds more,
        // to show in tests that a slow read holds up only its own client.
        ("tiering-read-delay", 3) => {
            let us = arg_i64(&args[2])?;
            if us < 0 {
                return Err(CmdError::msg("ERR delay must be >= 0"));
            }
            tiering::cold::set_read_delay_us(us as u64);
            ctx.out.ok();
        }
        ("set-active-expire", 3) => {
            ctx.st.active_expire_enabled =
                tiering::value::parse_strict_i64(&args[2]).unwrap_or(0) != 0;
            ctx.out.ok();
        }
        ("reload", _) => {
            let (mut save, mut flush) = (true, true);
            for a in &args[2..] {
                match crate::exec::lower(a).as_str() {
                    "merge" => {}
                    "nosave" => save = false,
                    "noflush" => flush = false,
                    _ => {
                        return Err(CmdError::msg(
                            "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                        ))
                    }
                }
            }
            if save && crate::persist::save(ctx.st).is_err() {
                return Err(CmdError::msg("ERR Error trying to save the DB"));
            }
            if flush {
                ctx.st.ks.flush_all();
            }
            crate::persist::load(&mut crate::server::StateAccess::Held(ctx.st, ctx.shared))
                .map_err(|_| {
                    CmdError::msg("ERR Error trying to load the RDB dump, check server logs.")
                })?;
            ctx.out.ok();
        }
        ("loadaof", 2) => {
            // Syncs the log, empties the dataset and replays the log.
            // The replayed commands are not changes of this one: logged,
            // it would replay itself on every load.
            let changes = ctx.st.changes;
            let reloaded = crate::aof::reload(ctx.shared, ctx.st);
            ctx.st.changes = changes;
            reloaded.map_err(|e| {
                tracing::warn!("DEBUG LOADAOF failed: {e}");
                CmdError::msg("ERR Error loading the AOF, check server logs.")
            })?;
            ctx.st.dirty = 0;
            ctx.out.ok();
        }
        ("object", 3) => {
            // The serialized length needs the value itself.
            ctx.st.ks.promote_key(ctx.db, &args[2]);
            let now = ctx.now_ms;
            let lfu_policy = ctx.st.ks.lfu_policy;
            let db = ctx.db;
            let d = ctx.st.ks.db(db);
            let Some(e) = d.peek(&args[2]).filter(|e| !d.is_expired(&args[2], e, now)) else {
                return Err(CmdError::NO_SUCH_KEY);
            };
            let addr = &*e as *const tiering::Entry as usize;
            let idle = if lfu_policy {
                0
            } else {
                lfu::idle_ms(e.lru, now as u64) / 1000
            };
            let line = format!(
                "Value at:0x{:x} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                addr,
                e.value.encoding(),
                serialized_len(&e.value),
                e.lru,
                idle
            );
            ctx.out.simple(&line);
        }
        ("change-repl-id", 2) => {
            ctx.st.replid2 = std::mem::replace(&mut ctx.st.replid, crate::server::random_hex_id());
            ctx.out.ok();
        }
        ("log", 3) => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2]));
            ctx.out.ok();
        }
        ("htstats", 3) | ("htstats", 4) => {
            let db = arg_i64(&args[2])?;
            if db < 0 || db as usize >= ctx.st.ks.db_count() {
                return Err(CmdError::msg("ERR Out of range database"));
            }
            let d = ctx.st.ks.db(db as usize);
            let text = format!(
                "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: {}\n number of elements: {}\n[Expires HT]\nHash table 0 stats (main hash table):\n number of elements: {}\n",
                d.bucket_count(),
                d.len(),
                d.volatile_len()
            );
            ctx.out.verbatim(&text);
        }
        ("quicklist-packed-threshold", 3) => {
            let v = crate::config::parse_memory(&String::from_utf8_lossy(&args[2]));
            if v.is_none() {
                return Err(CmdError::msg("ERR argument must be a memory value"));
            }
            ctx.out.ok();
        }
        ("protocol", 3) => protocol(ctx, &args[2])?,
        ("digest", 2) => {
            let d = super::digest::dataset_digest(&mut ctx.st.ks)
                .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
            ctx.out.simple(&d);
        }
        ("digest-value", _) => {
            let mut digests = Vec::with_capacity(n - 2);
            for key in &args[2..] {
                let d = super::digest::value_digest(&mut ctx.st.ks, ctx.db, key)
                    .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
                digests.push(d);
            }
            ctx.out.array(digests.len());
            for d in &digests {
                ctx.out.simple(d);
            }
        }
        _ => {
            return Err(CmdError::msg(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(&args[1])
            )))
        }
    }
    Ok(())
}

/// Length of the value in RDB string encoding without compression (what
/// `serializedlength` approximates). Collections report their packed
/// payload size until the RDB object encoder exists.
fn serialized_len(v: &tiering::Value) -> usize {
    match v {
        tiering::Value::List(_)
        | tiering::Value::Hash(_)
        | tiering::Value::Set(_)
        | tiering::Value::ZSet(_) => v.heap_size(),
        // Loaded before this is asked (DEBUG OBJECT promotes first).
        tiering::Value::Cold(r) => r.size as usize,
        tiering::Value::Str(s) => match s {
            tiering::StrValue::Int(i) => match *i {
                -128..=127 => 2,
                -32768..=32767 => 3,
                -2147483648..=2147483647 => 5,
                _ => rdb_len_size(s.len()) + s.len(),
            },
            _ => rdb_len_size(s.len()) + s.len(),
        },
    }
}

fn rdb_len_size(n: usize) -> usize {
    if n < 64 {
        1
    } else if n < 16384 {
        2
    } else if n <= u32::MAX as usize {
        5
    } else {
        9
    }
}

fn protocol(ctx: &mut Ctx, what: &[u8]) -> CmdResult {
    let out = &mut ctx.out;
    match lower(what).as_str() {
        "string" => out.bulk_str("Hello World"),
        "integer" => out.int(12345),
        #[allow(clippy::approx_constant)]
        "double" => out.double(3.141),
        "bignum" => {
            if out.is_resp3() {
                out.raw(b"(1234567999999999999999999999999999999\r\n");
            } else {
                out.bulk_str("1234567999999999999999999999999999999");
            }
        }
        "null" => out.null(),
        "array" => {
            out.array(3);
            for i in 0..3 {
                out.int(i);
            }
        }
        "set" => {
            out.set(3);
            for i in 0..3 {
                out.int(i);
            }
        }
        "map" => {
            out.map(3);
            for i in 0..3 {
                out.int(i);
                out.bool(i == 1);
            }
        }
        "attrib" => {
            if out.is_resp3() {
                out.raw(b"|1\r\n");
                out.bulk_str("key-popularity");
                out.array(2);
                out.bulk_str("key:123");
                out.int(90);
            }
            out.bulk_str("Some real reply following the attribute");
        }
        "push" => {
            if !out.is_resp3() {
                return Err(CmdError::msg("ERR RESP2 is not supported by this command"));
            }
            out.push(2);
            out.bulk_str("server-cpu-usage");
            out.int(42);
            out.bulk_str("Some real reply following the push reply");
        }
        "true" => out.bool(true),
        "false" => out.bool(false),
        "verbatim" => out.verbatim("This is a verbatim\nstring"),
        _ => {
            return Err(CmdError::msg(
                "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

fn help(ctx: &mut Ctx) {
    super::connection::reply_help(
        ctx,
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "HTSTATS <dbid>",
            "    Return hash table statistics of the specified database.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Accepted for compatibility with test suites.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    );
}
