//! TIERING ADVISE and HELP: the online estimate of the hot-hit ratio at
//! other `maxmemory` sizes (docs/capacity-planning.md explains how to read
//! it; `tiering/src/estimate.rs` how it is made).

use bytes::Bytes;

use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::server::State;
use tiering::estimate::{Estimator, Point};

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "tiering",
    arity: -2,
    group: "server",
    since: "8.0.0",
    summary: "A container for tiering diagnostics commands.",
    complexity: "Depends on subcommand.",
    subcommands: SUBCOMMANDS,
    ..BASE
}];

static SUBCOMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "advise",
        arity: 2,
        flags: LOADING | STALE,
        acl: C_SLOW,
        tips: &["nondeterministic_output"],
        group: "server",
        since: "8.0.0",
        summary: "Estimates the hot-hit ratio at other maxmemory sizes.",
        complexity: "O(1)",
        handler: Some(advise),
        ..BASE
    },
    CommandDef {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: C_SLOW,
        group: "server",
        since: "8.0.0",
        summary: "Describes the TIERING subcommands.",
        complexity: "O(1)",
        handler: Some(help),
        ..BASE
    },
];

/// The hit ratios `INFO tiering` gives at shares of the current
/// `maxmemory`, in percent.
pub const AT_PERCENT: [u32; 7] = [25, 50, 75, 100, 150, 200, 400];

/// The hit ratios `INFO tiering` gives the RAM needed for, in percent.
pub const FOR_PERCENT: [u32; 3] = [90, 95, 99];

/// The estimate in `maxmemory` terms.
pub struct Advice {
    /// RAM that stays whatever `maxmemory` is: keys, headers, values too
    /// small to demote, buffers (`used_memory` minus the hot values that
    /// may leave).
    pub fixed: u64,
    pub hot_value_bytes: u64,
    /// The factor the measured point scaled the miss ratios by.
    pub factor: f64,
    /// The estimator's curve, in bytes of values.
    values: Vec<Point>,
}

impl Advice {
    /// The curve in `maxmemory` terms: (`maxmemory`, estimated hot-hit
    /// ratio) points, from `fixed` up.
    pub fn curve(&self) -> impl ExactSizeIterator<Item = (u64, f64)> + '_ {
        self.values.iter().map(|p| {
            (
                self.fixed.saturating_add(p.value_bytes.round() as u64),
                p.hit_ratio,
            )
        })
    }

    /// The hit ratio estimated at a `maxmemory` of `bytes`.
    pub fn hit_ratio_at(&self, bytes: u64) -> Option<f64> {
        Estimator::hit_ratio_at(&self.values, bytes as f64 - self.fixed as f64)
    }

    /// The `maxmemory` the curve says reaches `ratio`, if it does.
    pub fn ram_for(&self, ratio: f64) -> Option<u64> {
        Estimator::bytes_for(&self.values, ratio)
            .map(|b| self.fixed.saturating_add(b.ceil() as u64))
    }
}

/// The estimate, once tiering is on, the estimator has seen accesses and
/// its first pass over the key space is done.
pub fn advice(st: &State) -> Option<Advice> {
    st.ks.cold()?;
    let est = &st.ks.estimator;
    let hot = est.hot_value_bytes?;
    let (values, factor) = est.curve(hot as f64);
    if values.is_empty() {
        return None;
    }
    let used = tiering::memory::used_memory() as u64;
    Some(Advice {
        fixed: used.saturating_sub(hot),
        hot_value_bytes: hot,
        factor,
        values,
    })
}

fn advise(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.st.ks.cold().is_none() {
        return Err(CmdError::msg("ERR tiering is off"));
    }
    let est = &ctx.st.ks.estimator;
    if !est.enabled() {
        return Err(CmdError::msg(
            "ERR the estimator is off (tiering-estimator-samples is 0)",
        ));
    }
    let (keys, rate, measured) = (est.sample_len(), est.rate(), est.measured());
    let maxmemory = ctx.st.config.tun.maxmemory;
    let a = advice(ctx.st);
    let out = &mut ctx.out;
    out.map(9 + FOR_PERCENT.len());
    out.bulk_str("maxmemory");
    out.int(maxmemory as i64);
    out.bulk_str("sample_keys");
    out.int(keys as i64);
    out.bulk_str("sample_rate");
    out.double(rate);
    out.bulk_str("fixed_bytes");
    match &a {
        Some(a) => out.int(a.fixed as i64),
        None => out.null(),
    }
    out.bulk_str("hot_value_bytes");
    match &a {
        Some(a) => out.int(a.hot_value_bytes as i64),
        None => out.null(),
    }
    out.bulk_str("measured_hit_ratio");
    match measured {
        Some(m) => out.double(m),
        None => out.null(),
    }
    out.bulk_str("factor");
    out.double(a.as_ref().map_or(1.0, |a| a.factor));
    out.bulk_str("hit_ratio_now");
    match a.as_ref().and_then(|a| a.hit_ratio_at(maxmemory)) {
        Some(h) if maxmemory > 0 => out.double(h),
        _ => out.null(),
    }
    out.bulk_str("curve");
    let curve: Vec<(u64, f64)> = a.as_ref().map_or_else(Vec::new, |a| a.curve().collect());
    out.array(curve.len());
    for (bytes, ratio) in curve {
        out.array(2);
        out.int(bytes as i64);
        out.double(ratio);
    }
    for p in FOR_PERCENT {
        out.bulk_str(&format!("ram_for_hit_ratio_{p}pct"));
        match a.as_ref().and_then(|a| a.ram_for(p as f64 / 100.0)) {
            Some(b) => out.int(b as i64),
            None => out.null(),
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "TIERING <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADVISE",
    "    Return the estimated hot-hit ratio at other maxmemory sizes: the curve",
    "    of (maxmemory, hit ratio) points and the maxmemory needed for 90%, 95%",
    "    and 99% hot hits, from a sample of the current workload.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    help_reply(ctx, HELP)
}
