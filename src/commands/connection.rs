//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, CLIENT.

use bytes::Bytes;

use super::*;
use crate::exec::{arg_i64, lower, CmdError, CmdResult, Ctx};
use crate::reply::Proto;
use crate::server::ReplyMode;

const CONN: u32 = C_CONNECTION;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "ping",
        arity: -1,
        flags: FAST,
        acl: CONN,
        group: "connection",
        summary: "Returns the server's liveliness response.",
        complexity: "O(1)",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        handler: Some(ping),
        ..BASE
    },
    CommandDef {
        name: "echo",
        arity: 2,
        flags: LOADING | STALE | FAST,
        acl: CONN,
        group: "connection",
        summary: "Returns the given string.",
        complexity: "O(1)",
        handler: Some(echo),
        ..BASE
    },
    CommandDef {
        name: "select",
        arity: 2,
        flags: LOADING | STALE | FAST,
        acl: CONN,
        group: "connection",
        since: "1.0.0",
        summary: "Changes the selected database.",
        complexity: "O(1)",
        handler: Some(select),
        ..BASE
    },
    CommandDef {
        name: "quit",
        arity: -1,
        flags: ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        acl: CONN,
        group: "connection",
        summary: "Closes the connection.",
        complexity: "O(1)",
        handler: Some(quit),
        ..BASE
    },
    CommandDef {
        name: "reset",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        acl: CONN,
        group: "connection",
        since: "6.2.0",
        summary: "Resets the connection.",
        complexity: "O(1)",
        handler: Some(reset),
        ..BASE
    },
    CommandDef {
        name: "auth",
        arity: -2,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        acl: CONN,
        group: "connection",
        summary: "Authenticates the connection.",
        complexity: "O(N) where N is the number of passwords defined for the user",
        handler: Some(auth),
        ..BASE
    },
    CommandDef {
        name: "hello",
        arity: -1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        acl: CONN,
        group: "connection",
        since: "6.0.0",
        summary: "Handshakes with the server: protocol version, authentication, client name.",
        complexity: "O(1)",
        handler: Some(hello),
        ..BASE
    },
    CommandDef {
        name: "client",
        arity: -2,
        group: "connection",
        since: "2.4.0",
        summary: "A container for client connection commands.",
        complexity: "Depends on subcommand.",
        subcommands: CLIENT_SUBCOMMANDS,
        ..BASE
    },
];

const fn client_sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    summary: &'static str,
    since: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        acl: CONN,
        group: "connection",
        since,
        summary,
        complexity: "O(1)",
        handler: Some(handler),
        ..BASE
    }
}

static CLIENT_SUBCOMMANDS: &[CommandDef] = &[
    client_sub(
        "id",
        2,
        NOSCRIPT | LOADING | STALE,
        "Returns the unique client ID of the connection.",
        "5.0.0",
        client_id,
    ),
    client_sub(
        "getname",
        2,
        NOSCRIPT | LOADING | STALE,
        "Returns the name of the connection.",
        "2.6.9",
        client_getname,
    ),
    client_sub(
        "setname",
        3,
        NOSCRIPT | LOADING | STALE,
        "Sets the connection name.",
        "2.6.9",
        client_setname,
    ),
    client_sub(
        "setinfo",
        4,
        NOSCRIPT | LOADING | STALE,
        "Sets information specific to the client or connection.",
        "7.2.0",
        client_setinfo,
    ),
    CommandDef {
        complexity: "O(N) where N is the number of client connections",
        tips: &["nondeterministic_output"],
        ..client_sub(
            "list",
            -2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "Lists open connections.",
            "2.4.0",
            client_list,
        )
    },
    CommandDef {
        tips: &["nondeterministic_output"],
        ..client_sub(
            "info",
            2,
            NOSCRIPT | LOADING | STALE,
            "Returns information about the connection.",
            "6.2.0",
            client_info,
        )
    },
    CommandDef {
        complexity: "O(N) where N is the number of client connections",
        ..client_sub(
            "kill",
            -3,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "Terminates open connections.",
            "2.4.0",
            client_kill,
        )
    },
    client_sub(
        "reply",
        3,
        NOSCRIPT | LOADING | STALE,
        "Instructs the server whether to reply to commands.",
        "3.2.0",
        client_reply,
    ),
    client_sub(
        "no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Sets the client eviction mode of the connection.",
        "7.0.0",
        client_no_evict,
    ),
    client_sub(
        "no-touch",
        3,
        NOSCRIPT | LOADING | STALE,
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        "7.2.0",
        client_no_touch,
    ),
    CommandDef {
        complexity: "O(log N) where N is the number of client connections",
        ..client_sub(
            "unblock",
            -3,
            ADMIN | NOSCRIPT | LOADING | STALE,
            "Unblocks a client blocked by a blocking command from a different connection.",
            "5.0.0",
            client_unblock,
        )
    },
    client_sub(
        "help",
        2,
        LOADING | STALE,
        "Returns helpful text about the different subcommands.",
        "5.0.0",
        client_help,
    ),
];

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let c = ctx.client();
    if c.resp == 2 && c.subs.active() && args.len() <= 2 {
        // In RESP2 Pub/Sub mode a reply must look like a message.
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(args.get(1).map_or(&b""[..], |a| &a[..]));
        return Ok(());
    }
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&args[1]),
        _ => {
            return Err(CmdError::msg(
                "ERR wrong number of arguments for 'ping' command",
            ))
        }
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // An `int` first (Redis's range error beyond 32 bits), then a database.
    ctx.db = super::keyspace::arg_db(ctx, &args[1])?;
    ctx.out.ok();
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.ok();
    ctx.client().close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.db = 0;
    ctx.client().multi = None;
    let id = ctx.id;
    super::multi::unwatch_all(ctx.st, id);
    crate::pubsub::forget(ctx.st, id);
    let needs_auth = !ctx.st.config.tun.requirepass.is_empty();
    let c = ctx.client();
    c.resp = 2;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    c.no_touch = false;
    if needs_auth {
        c.authenticated = false;
    }
    ctx.out.proto = Proto::Resp2;
    ctx.out.simple("RESET");
    Ok(())
}

/// Checks a username/password pair against the only user this server has
/// (`default`, with `requirepass`).
fn check_password(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> Result<(), CmdError> {
    let req = ctx.st.config.tun.requirepass.clone();
    if user == b"default" && (req.is_empty() || req.as_bytes() == pass) {
        ctx.client().authenticated = true;
        Ok(())
    } else {
        Err(CmdError::msg(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match args.len() {
        2 => {
            if ctx.st.config.tun.requirepass.is_empty() {
                return Err(CmdError::msg(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            check_password(ctx, b"default", &args[1])?;
        }
        3 => check_password(ctx, &args[1], &args[2])?,
        _ => return Err(CmdError::SYNTAX),
    }
    ctx.out.ok();
    Ok(())
}

fn hello(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut proto = None;
    let mut i = 1;
    if args.len() >= 2 {
        let v = match tiering::value::parse_strict_i64(&args[1]) {
            Some(v) => v,
            None => {
                return Err(CmdError::msg(
                    "ERR Protocol version is not an integer or out of range",
                ))
            }
        };
        if !(2..=3).contains(&v) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        proto = Some(v as u8);
        i = 2;
    }
    let mut setname = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = lower(&args[i]);
        if opt == "auth" && more >= 2 {
            check_password(ctx, &args[i + 1], &args[i + 2])?;
            i += 3;
        } else if opt == "setname" && more >= 1 {
            validate_name(&args[i + 1])?;
            setname = Some(args[i + 1].to_vec());
            i += 2;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[i])
            )));
        }
    }
    if !ctx.client().authenticated {
        return Err(CmdError::msg("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    let id = ctx.id;
    let c = ctx.client();
    if let Some(n) = setname {
        c.name = if n.is_empty() { None } else { Some(n) };
    }
    if let Some(p) = proto {
        c.resp = p;
    }
    let resp = c.resp;
    ctx.out.proto = if resp == 3 {
        Proto::Resp3
    } else {
        Proto::Resp2
    };
    let out = &mut ctx.out;
    out.map(7);
    out.bulk_str("server");
    out.bulk_str("redis");
    out.bulk_str("version");
    out.bulk_str(crate::REDIS_COMPAT_VERSION);
    out.bulk_str("proto");
    out.int(resp as i64);
    out.bulk_str("id");
    out.int(id as i64);
    out.bulk_str("mode");
    out.bulk_str("standalone");
    out.bulk_str("role");
    out.bulk_str("master");
    out.bulk_str("modules");
    out.array(0);
    Ok(())
}

fn validate_name(n: &[u8]) -> Result<(), CmdError> {
    if n.iter().any(|&b| b <= b' ' || b > b'~') {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn client_id(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let id = ctx.id as i64;
    ctx.out.int(id);
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    match ctx.client().name.clone() {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

fn client_setname(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    validate_name(&args[2])?;
    let n = args[2].to_vec();
    ctx.client().name = if n.is_empty() { None } else { Some(n) };
    ctx.out.ok();
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let attr = lower(&args[2]);
    let val = &args[3];
    if val.iter().any(|b| !(b'!'..=b'~').contains(b)) {
        return Err(CmdError::msg(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            attr
        )));
    }
    let v = if val.is_empty() {
        None
    } else {
        Some(val.to_vec())
    };
    match attr.as_str() {
        "lib-name" => ctx.client().lib_name = v,
        "lib-ver" => ctx.client().lib_ver = v,
        _ => {
            return Err(CmdError::msg(format!(
                "ERR Unrecognized option '{}'",
                String::from_utf8_lossy(&args[2])
            )))
        }
    }
    ctx.out.ok();
    Ok(())
}

fn client_line(ctx: &Ctx, c: &crate::server::ClientInfo) -> String {
    let age = c.created.elapsed().as_secs();
    let idle = c.last_interaction.elapsed().as_secs();
    let mut flags = String::new();
    if c.subs.active() {
        flags.push('P');
    }
    if ctx.st.blocking.is_blocked(c.id) {
        flags.push('b');
    }
    if c.no_evict {
        flags.push('e');
    }
    if c.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = c
        .name
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let lib_name = c
        .lib_name
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let lib_ver = c
        .lib_ver
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let db = if c.id == ctx.id { ctx.db } else { c.db };
    let omem = c.omem + c.outbox.pending();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi=-1 qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        name,
        age,
        idle,
        flags,
        db,
        c.subs.channels.len(),
        c.subs.patterns.len(),
        c.subs.shard.len(),
        c.qbuf,
        omem,
        c.qbuf + omem + 16384,
        c.last_cmd.map(|r| r.full_name()).unwrap_or_else(|| "NULL".into()),
        c.resp,
        lib_name,
        lib_ver
    )
}

/// The client classes CLIENT LIST/KILL TYPE select (replicas and masters
/// do not exist here).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    PubSub,
}

impl ClientType {
    fn of(c: &crate::server::ClientInfo) -> ClientType {
        if c.subs.active() {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }
}

fn client_list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut kind: Option<ClientType> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = lower(&args[i]);
        if opt == "type" && i + 1 < args.len() {
            let t = lower(&args[i + 1]);
            match t.as_str() {
                "normal" => kind = Some(ClientType::Normal),
                "pubsub" => kind = Some(ClientType::PubSub),
                "master" | "replica" | "slave" => ids = Some(Vec::new()),
                _ => {
                    return Err(CmdError::msg(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(&args[i + 1])
                    )))
                }
            }
            i += 2;
        } else if opt == "id" && i + 1 < args.len() {
            let mut v = Vec::new();
            for a in &args[i + 1..] {
                match tiering::value::parse_strict_i64(a) {
                    Some(n) if n > 0 => v.push(n as u64),
                    _ => return Err(CmdError::msg("ERR Invalid client ID")),
                }
            }
            ids = Some(v);
            i = args.len();
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    let mut text = String::new();
    for c in ctx.st.clients.values() {
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id))
            || kind.is_some_and(|k| k != ClientType::of(c))
        {
            continue;
        }
        text.push_str(&client_line(ctx, c));
    }
    ctx.out.verbatim(&text);
    Ok(())
}

fn client_info(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let c = ctx
        .st
        .clients
        .get(&ctx.id)
        .ok_or(CmdError::msg("ERR no client"))?;
    let line = client_line(ctx, c);
    ctx.out.verbatim(&line);
    Ok(())
}

fn client_kill(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Old form: CLIENT KILL addr:port.
    if args.len() == 3 {
        let addr = String::from_utf8_lossy(&args[2]).into_owned();
        let found = ctx
            .st
            .clients
            .values()
            .find(|c| c.addr.to_string() == addr)
            .map(|c| (c.id, c.kill.clone()));
        match found {
            Some((id, kill)) => {
                if id == ctx.id {
                    ctx.client().close_after_reply = true;
                } else {
                    kill.kill();
                }
                ctx.out.ok();
                return Ok(());
            }
            None => return Err(CmdError::msg("ERR No such client")),
        }
    }
    if args.len() % 2 != 0 {
        return Err(CmdError::SYNTAX);
    }
    let mut id_f: Option<u64> = None;
    let mut addr_f: Option<String> = None;
    let mut laddr_f: Option<String> = None;
    let mut skipme = true;
    let mut type_none = false;
    let mut type_f: Option<ClientType> = None;
    let mut user_f: Option<String> = None;
    let mut maxage: Option<u64> = None;
    for pair in args[2..].chunks(2) {
        let opt = lower(&pair[0]);
        let v = &pair[1];
        match opt.as_str() {
            "id" => match tiering::value::parse_strict_i64(v) {
                Some(n) if n > 0 => id_f = Some(n as u64),
                _ => return Err(CmdError::msg("ERR client-id should be greater than 0")),
            },
            "addr" => addr_f = Some(String::from_utf8_lossy(v).into_owned()),
            "laddr" => laddr_f = Some(String::from_utf8_lossy(v).into_owned()),
            "type" => match lower(v).as_str() {
                "normal" => type_f = Some(ClientType::Normal),
                "pubsub" => type_f = Some(ClientType::PubSub),
                "master" | "replica" | "slave" => type_none = true,
                _ => {
                    return Err(CmdError::msg(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(v)
                    )))
                }
            },
            "user" => user_f = Some(String::from_utf8_lossy(v).into_owned()),
            "skipme" => match lower(v).as_str() {
                "yes" => skipme = true,
                "no" => skipme = false,
                _ => return Err(CmdError::SYNTAX),
            },
            "maxage" => match tiering::value::parse_strict_i64(v) {
                Some(n) if n >= 0 => maxage = Some(n as u64),
                _ => return Err(CmdError::NOT_INTEGER),
            },
            _ => return Err(CmdError::SYNTAX),
        }
    }
    let mut killed = 0;
    let mut kill_self = false;
    if !type_none {
        let me = ctx.id;
        for c in ctx.st.clients.values() {
            if id_f.is_some_and(|i| i != c.id)
                || addr_f.as_ref().is_some_and(|a| *a != c.addr.to_string())
                || laddr_f.as_ref().is_some_and(|a| *a != c.laddr.to_string())
                || user_f.as_ref().is_some_and(|u| u != "default")
                || maxage.is_some_and(|m| c.created.elapsed().as_secs() < m)
                || type_f.is_some_and(|t| t != ClientType::of(c))
            {
                continue;
            }
            if c.id == me {
                if skipme {
                    continue;
                }
                kill_self = true;
            } else {
                c.kill.kill();
            }
            killed += 1;
        }
    }
    if kill_self {
        ctx.client().close_after_reply = true;
    }
    ctx.out.int(killed);
    Ok(())
}

fn client_reply(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let current = ctx.client().reply_mode;
    let mode = match lower(&args[2]).as_str() {
        "on" => ReplyMode::On,
        "off" => ReplyMode::Off,
        // OFF silences everything until ON, SKIP included.
        "skip" if current == ReplyMode::Off => ReplyMode::Off,
        "skip" => ReplyMode::SkipNext,
        _ => return Err(CmdError::SYNTAX),
    };
    ctx.client().reply_mode = mode;
    if mode == ReplyMode::On {
        ctx.out.ok();
    }
    Ok(())
}

fn on_off(a: &[u8]) -> Result<bool, CmdError> {
    match lower(a).as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(CmdError::SYNTAX),
    }
}

fn client_no_evict(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let v = on_off(&args[2])?;
    ctx.client().no_evict = v;
    ctx.out.ok();
    Ok(())
}

fn client_no_touch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let v = on_off(&args[2])?;
    ctx.client().no_touch = v;
    ctx.out.ok();
    Ok(())
}

fn client_unblock(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::SYNTAX);
    }
    let id = arg_i64(&args[2])?;
    let error = match args.get(3).map(|a| lower(a)) {
        None => false,
        Some(r) if r == "timeout" => false,
        Some(r) if r == "error" => true,
        Some(_) => {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let done = u64::try_from(id).is_ok_and(|id| crate::blocking::unblock(ctx.st, id, error));
    ctx.out.int(i64::from(done));
    Ok(())
}

pub fn reply_help(ctx: &mut Ctx, cmd: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        cmd
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Print this help.");
}

fn client_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    reply_help(
        ctx,
        "CLIENT",
        &[
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "GETNAME",
            "    Return the name of the current connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "NO-EVICT (ON|OFF)",
            "    Protect the current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Commands of this connection do not change the LRU/LFU of the keys they access.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Set client library name or version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
        ],
    );
    Ok(())
}
