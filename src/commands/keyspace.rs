//! Keyspace commands: commands on keys of any type.

use bytes::Bytes;

use super::*;
use crate::exec::{CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "del",
    arity: -2,
    flags: WRITE,
    acl: C_KEYSPACE,
    first_key: 1,
    last_key: -1,
    key_step: 1,
    key_specs: &[ks(KS_RM | KS_DELETE, 1, -1, 1)],
    group: "generic",
    summary: "Deletes one or more keys.",
    complexity: "O(N) where N is the number of keys that will be removed.",
    tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
    handler: Some(del),
    ..BASE
}];

fn del(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db, ctx.now_ms);
    let mut n = 0;
    for k in &args[1..] {
        if ctx.st.ks.delete(db, k, now).is_some() {
            n += 1;
        }
    }
    ctx.dirty(n);
    ctx.out.int(n as i64);
    Ok(())
}
