//! DUMP and RESTORE: a value as Redis's serialized payload (an RDB object,
//! the RDB version and a CRC-64; see docs/formats.md) and back. Payloads
//! move between this server, Redis 7.0+ and Valkey in both directions.

use bytes::Bytes;
use persistence::object::{read_object, write_object};
use persistence::rdb::{dump_payload, verify_payload, Reader, Writer};
use tiering::{lfu, Entry, NO_EXPIRE};

use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::notify;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "dump",
        arity: 2,
        flags: READONLY,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        tips: &["nondeterministic_output"],
        group: "generic",
        since: "2.6.0",
        summary: "Serializes the value at a key in the RDB format.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        handler: Some(dump),
        ..BASE
    },
    CommandDef {
        name: "restore",
        arity: -4,
        flags: WRITE | DENYOOM,
        acl: C_KEYSPACE | C_DANGEROUS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_OW | KS_UPDATE, 1, 0, 1)],
        group: "generic",
        since: "2.6.0",
        summary: "Creates a key from a payload produced by DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        handler: Some(restore),
        ..BASE
    },
];

fn dump(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let compress = ctx.st.config.get("rdbcompression") != Some("no");
    let fill = ctx.st.config.tun.limits.list_max_listpack_size;
    let Some(e) = ctx.read(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let (obj, form) = crate::values::to_object(&e.value);
    let mut w = Writer::new(compress);
    write_object(&mut w, &obj, form, fill);
    ctx.out.bulk(&dump_payload(w.buf));
    Ok(())
}

fn restore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let more = args.len() - j - 1;
        let a = &args[j][..];
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && freq.is_none() {
            let v = arg_i64(&args[j + 1])?;
            if v < 0 {
                return Err(CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && idle.is_none() {
            let v = arg_i64(&args[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    let key = &args[1];
    if !replace && ctx.write(key).is_some() {
        return Err(CmdError::msg("BUSYKEY Target key name already exists."));
    }
    let ttl = arg_i64(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    verify_payload(&args[3], true)
        .map_err(|_| CmdError::msg("ERR DUMP payload version or checksum are wrong"))?;
    let bad = || CmdError::msg("ERR Bad data format");
    // As Redis, the object is read from the whole payload: a body cut short
    // reads on into the footer rather than failing.
    let (&t, rest) = args[3].split_first().ok_or_else(bad)?;
    let obj = read_object(t, &mut Reader::new(rest)).map_err(|_| bad())?;
    let limits = ctx.st.config.tun.limits;
    let form = persistence::object::stored_form(t);
    let value = crate::values::from_object(obj, form, &limits).ok_or_else(bad)?;
    let (db, now) = (ctx.db, ctx.now_ms);
    let deleted = replace && ctx.st.ks.delete_any(db, key).is_some();
    let expire = match ttl {
        0 => NO_EXPIRE,
        t if absttl => t,
        t => t.saturating_add(now),
    };
    if expire != NO_EXPIRE && expire <= now && !ctx.st.ks.expiry_paused() {
        // Already expired: nothing is created (a replaced key is gone).
        if deleted {
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "del", key);
            ctx.dirty(1);
            // Replayed later, the command would create the key: what
            // happened is the deletion (as Redis logs it).
            ctx.propagate_one(&[Prop::Word("DEL"), Prop::Arg(key)]);
        }
        ctx.out.ok();
        return Ok(());
    }
    let lfu_policy = ctx.st.ks.lfu_policy;
    let lru = lfu::restored(
        lfu_policy,
        freq.map(|f| f as u8),
        idle.map(|i| i as u64),
        now as u64,
    );
    ctx.st
        .ks
        .insert_entry(db, key[..].into(), Entry::new(value, lru), expire);
    ctx.modified(key);
    ctx.notify_new(key);
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.dirty(1);
    if ttl != 0 && !absttl && ctx.propagating() {
        // A relative TTL is logged as the absolute time it gave, as Redis
        // does: the same arguments with the time replaced and ABSTTL added.
        let mut logged = args.to_vec();
        logged[2] = Bytes::from(expire.to_string());
        logged.push(Bytes::from_static(b"ABSTTL"));
        ctx.propagate_as(vec![logged]);
    }
    ctx.out.ok();
    Ok(())
}
