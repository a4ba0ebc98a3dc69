//! Sorted-set algebra: ZUNION, ZINTER, ZDIFF, their `*STORE` forms and
//! ZINTERCARD.
//!
//! Inputs may be sorted sets or plain sets (every member scoring 1), as in
//! Redis. The arithmetic follows Redis step by step, because floating-point
//! sums depend on their order:
//!
//! * Each input's score is multiplied by its weight; a NaN product (an
//!   infinite score or weight times 0) counts as 0 where Redis fixes it:
//!   for every member of a union, and for the first input of an
//!   intersection.
//! * Union and intersection visit the inputs from the smallest to the
//!   largest (a stable sort by cardinality, as glibc's merge-sort `qsort`
//!   leaves equal sizes in argument order). A union gives each member the
//!   weighted score of its first input and folds in the others in that
//!   order; an intersection walks the smallest input and folds in the
//!   member's score from each other input, stopping at the first input
//!   that lacks it.
//! * SUM turns a NaN total (inf + -inf) into 0; MIN and MAX keep the
//!   accumulated value unless the new one compares strictly lower/higher.
//! * A difference keeps the members of the first input found in no other
//!   input, with their scores from the first input.
//!
//! Results are built sorted and stored with [`ZSetValue::from_sorted`], so a
//! small result is a `listpack`, as Redis converts its results.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::zset::parse_score;
use super::zset_range::store;
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};
use tiering::{Value, ZSetValue};

const Z: u32 = C_SORTEDSET;

/// The inputs of the read-only forms: `numkeys key...` at argument 1.
const READ_SPECS: &[KeySpec] = &[KeySpec {
    flags: KS_RO | KS_ACCESS,
    begin: Begin::Index(1),
    find: Find::Keynum {
        numkeys: 0,
        first: 1,
        step: 1,
    },
}];

/// The destination at argument 1, then `numkeys key...` at argument 2.
const STORE_SPECS: &[KeySpec] = &[
    ks(KS_OW | KS_UPDATE, 1, 0, 1),
    KeySpec {
        flags: KS_RO | KS_ACCESS,
        begin: Begin::Index(2),
        find: Find::Keynum {
            numkeys: 0,
            first: 1,
            step: 1,
        },
    },
];

const fn read_cmd(
    name: &'static str,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        acl: Z,
        key_specs: READ_SPECS,
        group: "sorted-set",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

const fn store_cmd(
    name: &'static str,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity: -4,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: STORE_SPECS,
        group: "sorted-set",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

const UNION_O: &str = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.";
const INTER_O: &str = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_O: &str = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";

pub static COMMANDS: &[CommandDef] = &[
    read_cmd(
        "zunion",
        "6.2.0",
        "Returns the union of sorted sets.",
        UNION_O,
        zunion,
    ),
    store_cmd(
        "zunionstore",
        "2.0.0",
        "Stores the union of sorted sets in a key.",
        "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        zunionstore,
    ),
    read_cmd(
        "zinter",
        "6.2.0",
        "Returns the intersection of sorted sets.",
        INTER_O,
        zinter,
    ),
    store_cmd(
        "zinterstore",
        "2.0.0",
        "Stores the intersection of sorted sets in a key.",
        INTER_O,
        zinterstore,
    ),
    read_cmd(
        "zintercard",
        "7.0.0",
        "Counts the members of the intersection of sorted sets.",
        "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        zintercard,
    ),
    read_cmd(
        "zdiff",
        "6.2.0",
        "Returns the members of the first sorted set that are in none of the others.",
        DIFF_O,
        zdiff,
    ),
    store_cmd(
        "zdiffstore",
        "6.2.0",
        "Stores the difference of sorted sets in a key.",
        DIFF_O,
        zdiffstore,
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Folds `val` into `acc` as Redis's `zunionInterAggregate` does.
    fn fold(self, acc: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *acc += val;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => {
                if val < *acc {
                    *acc = val;
                }
            }
            Aggregate::Max => {
                if val > *acc {
                    *acc = val;
                }
            }
        }
    }
}

/// One input: a sorted set, a plain set (members as a lookup table, the
/// only form `set_members` gives them in), or a missing key.
enum Src<'a> {
    Missing,
    ZSet(&'a ZSetValue),
    Set(HashSet<Vec<u8>>),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::ZSet(z) => z.len(),
            Src::Set(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::ZSet(z) => z.score(member),
            Src::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Missing => {}
            Src::ZSet(z) => z.for_range(0, z.len(), f),
            Src::Set(s) => s.iter().for_each(|m| f(m, 1.0)),
        }
    }
}

/// What a call asks for, parsed from the arguments after the keys.
struct Opts {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: u64,
}

/// The shared core of the family. `dst` is the destination of a `*STORE`
/// form; `numkeys_at` the index of `numkeys`; `card` marks ZINTERCARD.
/// Checks run in Redis's order: numkeys, the input types, then options.
fn generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    dst: Option<&Bytes>,
    numkeys_at: usize,
    op: Op,
    card: bool,
) -> CmdResult {
    let numkeys = arg_i64(&args[numkeys_at])?;
    if numkeys < 1 {
        return Err(CmdError::msg(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        )));
    }
    let first = numkeys_at + 1;
    if numkeys as u64 > (args.len() - first) as u64 {
        return Err(CmdError::SYNTAX);
    }
    let keys = &args[first..first + numkeys as usize];
    let mut present = Vec::with_capacity(keys.len());
    for k in keys {
        let found = match ctx.read(k) {
            None => false,
            Some(e) if matches!(e.value, Value::ZSet(_) | Value::Set(_)) => true,
            Some(_) => return Err(CmdError::WRONGTYPE),
        };
        present.push(found);
    }
    let opts = parse_opts(
        &args[first + keys.len()..],
        keys.len(),
        op,
        dst.is_some(),
        card,
    )?;

    let result = {
        let db = ctx.st.ks.db(ctx.db);
        let mut srcs: Vec<(Src, f64)> = keys
            .iter()
            .zip(&present)
            .zip(&opts.weights)
            .map(|((k, &there), &w)| {
                let src = match db.loaded(k).filter(|_| there).map(|e| &e.value) {
                    Some(Value::ZSet(z)) => Src::ZSet(z),
                    Some(Value::Set(s)) => {
                        Src::Set(crate::values::set_members(s).into_iter().collect())
                    }
                    _ => Src::Missing,
                };
                (src, w)
            })
            .collect();
        if op != Op::Diff {
            srcs.sort_by_key(|(s, _)| s.len());
        }
        match op {
            Op::Union => union(&srcs, opts.aggregate),
            Op::Inter if card => {
                let n = inter(&srcs, opts.aggregate, opts.limit, |_, _| {});
                ctx.out.int(n as i64);
                return Ok(());
            }
            Op::Inter => {
                let mut v = Vec::new();
                inter(&srcs, opts.aggregate, 0, |m, s| v.push((m.to_vec(), s)));
                v
            }
            Op::Diff => diff(&srcs),
        }
    };
    let mut items = result;
    items.sort_by(|a, b| tiering::zset::cmp_entry(a.1, &a.0, b.1, &b.0));
    match dst {
        Some(dst) => {
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            store(ctx, dst, items, event, true);
        }
        None => super::zset::reply_pairs(ctx, &items, opts.withscores),
    }
    Ok(())
}

fn parse_opts(
    rest: &[Bytes],
    numkeys: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Opts, CmdError> {
    let mut o = Opts {
        weights: vec![1.0; numkeys],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card;
    let mut i = 0;
    while i < rest.len() {
        let left = rest.len() - i;
        let word = &rest[i];
        if algebra && left > numkeys && word.eq_ignore_ascii_case(b"weights") {
            for (w, a) in o.weights.iter_mut().zip(&rest[i + 1..]) {
                *w = parse_score(a).ok_or(CmdError::msg("ERR weight value is not a float"))?;
            }
            i += 1 + numkeys;
        } else if algebra && left >= 2 && word.eq_ignore_ascii_case(b"aggregate") {
            let a = &rest[i + 1];
            o.aggregate = if a.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if a.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if a.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return Err(CmdError::SYNTAX);
            };
            i += 2;
        } else if !store && !card && word.eq_ignore_ascii_case(b"withscores") {
            o.withscores = true;
            i += 1;
        } else if card && left >= 2 && word.eq_ignore_ascii_case(b"limit") {
            let negative = || CmdError::msg("ERR LIMIT can't be negative");
            let l = arg_i64(&rest[i + 1]).map_err(|_| negative())?;
            o.limit = u64::try_from(l).map_err(|_| negative())?;
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    Ok(o)
}

/// Weighted score of a member of an input; NaN (inf * 0) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = weight * score;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(srcs: &[(Src, f64)], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let largest = srcs.last().map_or(0, |(s, _)| s.len());
    let mut acc: HashMap<Vec<u8>, f64, ahash::RandomState> =
        HashMap::with_capacity_and_hasher(largest, ahash::RandomState::new());
    for (src, w) in srcs {
        src.for_each(|m, s| {
            let v = weighted(s, *w);
            match acc.get_mut(m) {
                Some(cur) => agg.fold(cur, v),
                None => {
                    acc.insert(m.to_vec(), v);
                }
            }
        });
    }
    acc.into_iter().collect()
}

/// Calls `f` for each member of the intersection; returns how many there
/// were, stopping at `limit` (0: no limit).
fn inter(srcs: &[(Src, f64)], agg: Aggregate, limit: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
    let Some(((smallest, w0), others)) = srcs.split_first() else {
        return 0;
    };
    let mut n = 0u64;
    let mut done = false;
    smallest.for_each(|m, s| {
        if done {
            return;
        }
        let mut score = weighted(s, *w0);
        for (src, w) in others {
            match src.score(m) {
                // No NaN fix here, as in Redis: SUM repairs its own NaN
                // and MIN/MAX ignore a NaN operand.
                Some(v) => agg.fold(&mut score, v * w),
                None => return,
            }
        }
        n += 1;
        f(m, score);
        if limit != 0 && n >= limit {
            done = true;
        }
    });
    n
}

fn diff(srcs: &[(Src, f64)]) -> Vec<(Vec<u8>, f64)> {
    let Some(((first, _), others)) = srcs.split_first() else {
        return Vec::new();
    };
    let mut v = Vec::new();
    first.for_each(|m, s| {
        if others.iter().all(|(o, _)| o.score(m).is_none()) {
            v.push((m.to_vec(), s));
        }
    });
    v
}

fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Union, false)
}

fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, Some(&args[1]), 2, Op::Union, false)
}

fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Inter, false)
}

fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, Some(&args[1]), 2, Op::Inter, false)
}

fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Inter, true)
}

fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Diff, false)
}

fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, Some(&args[1]), 2, Op::Diff, false)
}
