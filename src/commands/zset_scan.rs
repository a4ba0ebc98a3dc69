//! Sorted-set commands that read members in no particular order:
//! ZRANDMEMBER and ZSCAN.

use std::collections::HashSet;

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::Rng;

use super::access::reading;
use super::scan_args::{self, Accept, ScanArgs};
use super::*;
use crate::exec::{CmdResult, Ctx};
use crate::reply::Reply;
use tiering::ZSetValue;

const Z: u32 = C_SORTEDSET;
const RDA: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, 0, 1)];

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "zrandmember",
        arity: -2,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: RDA,
        tips: &["nondeterministic_output"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Returns random members of a sorted set, with or without their scores.",
        complexity: "O(N) where N is the number of members returned",
        handler: Some(zrandmember),
        ..BASE
    },
    CommandDef {
        name: "zscan",
        arity: -3,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: RDA,
        tips: &["nondeterministic_output"],
        group: "sorted-set",
        since: "2.8.0",
        summary: "Iterates over the members and scores of a sorted set, a few at a time.",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of members of the sorted set.",
        handler: Some(zscan),
        ..BASE
    },
];

/// ZRANDMEMBER key [count [WITHSCORES]].
///
/// Without a count: one random member (nil for a missing key). A negative
/// count returns that many independent draws (repeats allowed). A positive
/// count returns distinct members: the whole zset (in order) when the
/// count covers it; otherwise, when the request is a large share (more
/// than a third), a partial shuffle of all members, and else draws of
/// random ranks until enough distinct ones were seen, which needs few
/// retries because most draws are new. Ranks are unique per member, so
/// distinct ranks are distinct members.
fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return reading::<ZSetValue, _>(ctx, &args[1], |z, out| {
            match z.and_then(|z| z.at(rand::thread_rng().gen_range(0..z.len().max(1)))) {
                Some((m, _)) => out.bulk(&m),
                None => out.null(),
            }
        });
    }
    let (count, withscores) = super::hash::random_count(args, b"withscores")?;
    reading::<ZSetValue, _>(ctx, &args[1], |z, out| {
        let z = match z {
            Some(z) if count != 0 => z,
            _ => {
                out.array(0);
                return;
            }
        };
        let resp3 = out.is_resp3();
        let emit = |out: &mut Reply, m: &[u8], s: f64| {
            if withscores && resp3 {
                out.array(2);
            }
            out.bulk(m);
            if withscores {
                out.double(s);
            }
        };
        let header = |out: &mut Reply, n: usize| {
            out.array(if withscores && !resp3 { 2 * n } else { n });
        };
        let mut rng = rand::thread_rng();
        let size = z.len();
        if count < 0 {
            let n = count.unsigned_abs() as usize;
            header(out, n);
            if matches!(z, ZSetValue::Pack(_)) {
                // Ranks in a listpack cost a walk each: list it once.
                let all = z.range(0, size);
                for _ in 0..n {
                    let (m, s) = &all[rng.gen_range(0..size)];
                    emit(out, m, *s);
                }
            } else {
                for _ in 0..n {
                    let (m, s) = z.at(rng.gen_range(0..size)).expect("rank below len");
                    emit(out, &m, s);
                }
            }
            return;
        }
        let n = count as usize;
        if n >= size {
            header(out, size);
            z.for_range(0, size, |m, s| emit(out, m, s));
            return;
        }
        header(out, n);
        if n.saturating_mul(3) > size || matches!(z, ZSetValue::Pack(_)) {
            let mut all = z.range(0, size);
            let (picked, _) = all.partial_shuffle(&mut rng, n);
            for (m, s) in picked.iter() {
                emit(out, m, *s);
            }
        } else {
            let mut seen: HashSet<usize> = HashSet::with_capacity(n);
            while seen.len() < n {
                let r = rng.gen_range(0..size);
                if seen.insert(r) {
                    let (m, s) = z.at(r).expect("rank below len");
                    emit(out, &m, s);
                }
            }
        }
    })
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count] [NOSCORES].
///
/// The cursor is checked first; a missing key answers an empty scan
/// without looking at the options. The members a step covers come from
/// [`ZSetValue::scan`]; the pattern filters them afterwards. Scores are
/// written as Redis keeps them: a `listpack` stores integral scores as
/// integers (see `persistence::encodings::score_text`), the large form
/// prints `%.17g`. NOSCORES (Valkey 8) returns members only.
fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan_args::cursor(&args[2])?;
    reading::<ZSetValue, _>(ctx, &args[1], |z, out| -> CmdResult {
        let Some(z) = z else {
            // Options are not even looked at for a missing key.
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return Ok(());
        };
        let opts = ScanArgs::parse(args, 3, Accept::NOSCORES)?;
        let packed = matches!(z, ZSetValue::Pack(_));
        // A listpack answers whole; the member table is walked with the
        // shared bounded walk, MATCH filtering afterwards.
        let mut raw: Vec<(Vec<u8>, f64)> = Vec::new();
        let next = if packed {
            z.scan(cursor, |m, s| raw.push((m.to_vec(), s)))
        } else {
            scan_args::walk(cursor, opts.count, |c| {
                let n = z.scan(c, |m, s| raw.push((m.to_vec(), s)));
                (n, raw.len())
            })
        };
        raw.retain(|(m, _)| opts.matches(m));
        out.array(2);
        out.bulk_int(next as i64);
        out.array(if opts.no_scores {
            raw.len()
        } else {
            2 * raw.len()
        });
        for (m, s) in &raw {
            out.bulk(m);
            if !opts.no_scores {
                let text = if packed {
                    persistence::encodings::score_text(*s)
                } else {
                    crate::reply::format_double(*s)
                };
                out.bulk(text.as_bytes());
            }
        }
        Ok(())
    })?
}
