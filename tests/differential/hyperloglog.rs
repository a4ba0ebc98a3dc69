//! HyperLogLog commands.
//!
//! Sketches are strings, so the byte-for-byte comparison of `GET` (the
//! string family's generator, on the same key pool) checks the
//! representation after every kind of edit: sparse splits and merges,
//! promotion to dense, cached cardinalities. Keys of other types and
//! plain strings meet these commands through the shared pool.
//!
//! Most pool keys hold other strings most of the time, so three quarters
//! of the keys these generators use are three keys of their own (`hll:a`,
//! `hll:b`, `hll:c`), where sketches live long enough to grow dense; no
//! generator gives those a TTL, so the pool's expiry sync does not need
//! them.
//!
//! Beyond what PFADD can build, `SET` stores sketches made here: valid
//! sparse bodies with unusual opcode choices, dense bodies with register
//! values no real element produces (above 32 they force promotion in
//! PFMERGE), stale or valid caches, and corrupt ones (bodies that cover
//! too few or too many registers, broken headers) for the INVALIDOBJ and
//! WRONGTYPE paths. `CONFIG SET hll-sparse-max-bytes` moves the sparse to
//! dense threshold around.
//!
//! One corruption is never generated: a sparse body ending in the first
//! byte of a two-byte XZERO opcode. Redis reads the C string's terminator
//! as its second byte and may later write past the end of the string; we
//! cannot keep such a hidden byte (see `tiering::hll::Editor`).
//!
//! Nondeterminism: none (PFSELFTEST, which uses a random seed and takes
//! seconds, is left to the integration tests).

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("pfadd", 12, pfadd).requires(&["del"]),
        Spec::new("pfcount", 8, |g| {
            let mut a = cmd![g.case("pfcount")];
            let n = if g.chance(50) { 1 } else { 1 + g.below(4) };
            for _ in 0..n {
                a.push(hll_key(g));
            }
            a
        }),
        Spec::new("pfmerge", 5, |g| {
            let mut a = cmd![g.case("pfmerge"), hll_key(g)];
            for _ in 0..g.below(4) {
                a.push(hll_key(g));
            }
            a
        }),
        // The representation, byte for byte.
        Spec::new("get", 4, |g| cmd![g.case("get"), own_key(g)]),
        // Under Redis 7.0's names for list and set encodings, as the
        // keyspace family's OBJECT ENCODING: the mutator may swap the sketch
        // for any key (see `runner::encoding_as_7_0`).
        Spec::new("object|encoding", 1, |g| {
            cmd!["OBJECT", "ENCODING", own_key(g)]
        })
        .norm(Norm::Encoding),
        Spec::new("pfdebug", 4, pfdebug),
        Spec::new("set", 4, set_sketch).mutate(Mutate::Never),
        Spec::new("pfcount", 1, |g| {
            // APPEND to a sketch, then count: the tail is garbage to a
            // full walk of the sparse form, and breaks a dense one's length.
            let key = if g.chance(5) { own_key(g) } else { g.key() };
            let tail = random_body_bytes(g);
            let tail = complete_opcodes(g, tail);
            g.pre.push(cmd!["APPEND", key.clone(), tail]);
            cmd![g.case("pfcount"), key]
        })
        .requires(&["append"]),
        Spec::new("config|set", 1, |g| {
            let v = g.pick(&[
                "0", "1", "20", "25", "40", "60", "100", "200", "500", "3000", "3000", "3000",
                "20000", "1kb", "-1", "x",
            ]);
            cmd!["CONFIG", "SET", "hll-sparse-max-bytes", v]
        })
        .mutate(Mutate::Never),
    ]
}

const OWN_KEYS: &[&str] = &["hll:a", "hll:b", "hll:c"];

fn own_key(g: &mut G) -> Vec<u8> {
    g.pick(OWN_KEYS).as_bytes().to_vec()
}

/// A key for a HyperLogLog command: the family's own or the shared pool's.
fn hll_key(g: &mut G) -> Vec<u8> {
    if g.chance(75) {
        own_key(g)
    } else {
        g.key()
    }
}

/// An element: mostly from a small space (so PFADD often changes nothing),
/// sometimes any value, sometimes from a huge space (distinct elements).
fn element(g: &mut G) -> Vec<u8> {
    match g.below(10) {
        0..=5 => format!("e{}", g.below(3000)).into_bytes(),
        6 => g.value(),
        _ => g.rng.next_u64().to_string().into_bytes(),
    }
}

fn pfadd(g: &mut G) -> Args {
    let key = hll_key(g);
    if g.chance(if key.starts_with(b"hll:") { 5 } else { 25 }) {
        // Most pool keys hold other strings: make room for a new sketch.
        g.pre.push(cmd!["DEL", key.clone()]);
    }
    let mut a = cmd![g.case("pfadd"), key];
    let n = match g.below(100) {
        0..=9 => 0,
        10..=59 => 1 + g.below(5),
        60..=84 => 5 + g.below(50),
        85..=95 => 100 + g.below(600),
        // Enough distinct elements to pass 3000 sparse bytes in one go.
        _ => 1500 + g.below(1500),
    };
    for _ in 0..n {
        a.push(element(g));
    }
    a
}

fn pfdebug(g: &mut G) -> Args {
    let sub = match g.below(20) {
        0 => "GETREG",
        1..=6 => "DECODE",
        7..=11 => "ENCODING",
        12..=15 => "TODENSE",
        16 => "decode",
        17 => "Encoding",
        18 => "FOO",
        _ => "",
    };
    cmd![g.case("pfdebug"), sub, hll_key(g)]
}

const XZERO_MAX: usize = 16384;
const REGISTERS: usize = 16384;

fn push_zeros(out: &mut Vec<u8>, len: usize, long: bool) {
    if len > 64 || long {
        let l = len - 1;
        out.push(0x40 | (l >> 8) as u8);
        out.push(l as u8);
    } else {
        out.push(len as u8 - 1);
    }
}

fn push_val(out: &mut Vec<u8>, value: u8, len: usize) {
    out.push(0x80 | ((value - 1) << 2) | (len as u8 - 1));
}

/// A register value: small as real elements give, sometimes large.
fn reg_value(g: &mut G, max: u8) -> u8 {
    let v = match g.below(10) {
        0..=5 => 1 + g.below(3) as u8,
        6..=8 => 1 + g.below(12) as u8,
        _ => 1 + g.below(max as u64) as u8,
    };
    v.min(max)
}

/// A sparse body covering exactly `total` registers, with a random mix of
/// opcodes (including non-canonical ones: short XZEROs, adjacent equal
/// VALs).
fn sparse_body(g: &mut G, total: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = total;
    let values = 1 + g.below(60) as usize;
    let mut placed = 0;
    while left > 0 {
        let zeros_only = placed >= values;
        match g.below(10) {
            0..=4 if !zeros_only => {
                let len = 1 + g.below(left.min(4) as u64) as usize;
                let v = reg_value(g, 32);
                push_val(&mut out, v, len);
                left -= len;
                placed += 1;
            }
            5 | 6 => {
                let len = 1 + g.below(left.min(64) as u64) as usize;
                push_zeros(&mut out, len, g.chance(10));
                left -= len;
            }
            _ => {
                let cap = left.min(XZERO_MAX);
                let len = if g.chance(30) || zeros_only {
                    cap
                } else {
                    1 + g.below((cap as u64).min(1 + 16384 / values as u64)) as usize
                };
                push_zeros(&mut out, len, true);
                left -= len;
            }
        }
    }
    out
}

/// Dense registers, mostly zero and small, packed 6 bits each.
fn dense_body(g: &mut G) -> Vec<u8> {
    let mut regs = vec![0u8; REGISTERS * 6 / 8];
    let fill = g.pick(&[0u64, 1, 5, 30, 90]);
    let max = g.pick(&[20u8, 32, 40, 63]);
    for i in 0..REGISTERS {
        if g.below(100) >= fill {
            continue;
        }
        let v = reg_value(g, max) as u16;
        let bit = i * 6;
        let (byte, fb) = (bit / 8, bit % 8);
        regs[byte] |= (v << fb) as u8;
        if fb > 2 {
            regs[byte + 1] |= (v >> (8 - fb)) as u8;
        }
    }
    regs
}

fn header(g: &mut G, enc: u8) -> Vec<u8> {
    let mut h = b"HYLL".to_vec();
    h.push(enc);
    if g.chance(10) {
        h.extend(g.bytes(3));
    } else {
        h.extend([0, 0, 0]);
    }
    let card: u64 = match g.below(10) {
        0..=4 => (1 << 63) | (g.rng.next_u64() & 0xffff_ffff),
        5..=7 => g.below(100_000),
        8 => 0,
        _ => g.rng.next_u64(),
    };
    h.extend(card.to_le_bytes());
    h
}

/// Bytes parsed as sparse opcodes never end in half an XZERO (see the
/// module comment): a missing second byte is added.
fn complete_opcodes(g: &mut G, mut body: Vec<u8>) -> Vec<u8> {
    let mut p = 0;
    while p < body.len() {
        p += if body[p] & 0xc0 == 0x40 { 2 } else { 1 };
    }
    if p > body.len() {
        body.push(g.rng.next_u64() as u8);
    }
    body
}

fn random_body_bytes(g: &mut G) -> Vec<u8> {
    let n = 1 + g.below(6) as usize;
    (0..n)
        .map(|_| match g.below(3) {
            0 => g.below(0x40) as u8,
            1 => 0x80 | g.below(0x80) as u8,
            _ => g.rng.next_u64() as u8,
        })
        .collect()
}

/// SET of a sketch made here: valid, corrupt body, or broken header.
fn set_sketch(g: &mut G) -> Args {
    let kind = g.below(20);
    // Broken sketches go to the shared pool only, so the family's own keys
    // mostly hold sketches that keep working.
    let key = if kind <= 10 { hll_key(g) } else { g.key() };
    let value = match kind {
        // Valid sparse.
        0..=6 => {
            let mut v = header(g, 1);
            v.extend(sparse_body(g, REGISTERS));
            v
        }
        // Valid dense.
        7..=10 => {
            let mut v = header(g, 0);
            v.extend(dense_body(g));
            v
        }
        // Sparse covering too few or too many registers.
        11..=13 => {
            let total = if g.chance(50) {
                REGISTERS - 1 - g.below(300) as usize
            } else {
                REGISTERS + 1 + g.below(300) as usize
            };
            let mut v = header(g, 1);
            v.extend(sparse_body(g, total));
            v
        }
        // Sparse with bytes changed, dropped or added.
        14..=16 => {
            let mut body = sparse_body(g, REGISTERS);
            match g.below(3) {
                0 => {
                    let i = g.below(body.len() as u64) as usize;
                    body[i] = g.rng.next_u64() as u8;
                }
                1 => {
                    let n = 1 + g.below(3) as usize;
                    body.truncate(body.len().saturating_sub(n));
                }
                _ => body.extend(random_body_bytes(g)),
            }
            let mut v = header(g, 1);
            v.extend(complete_opcodes(g, body));
            v
        }
        // Header only (empty sparse body).
        17 => header(g, 1),
        // Not a sketch: broken magic, unknown encoding, dense of the
        // wrong length, too short.
        _ => {
            let enc = g.pick(&[0u8, 1, 2, 0xff]);
            let mut v = header(g, enc);
            match g.below(4) {
                0 => {
                    v[3] = b'X';
                    v.extend(sparse_body(g, REGISTERS));
                }
                1 => {
                    let body = dense_body(g)[..12287].to_vec();
                    let body = complete_opcodes(g, body);
                    v.extend(body);
                }
                2 => {
                    v[4] = 2;
                    v.extend(sparse_body(g, REGISTERS));
                }
                _ => v.truncate(5 + g.below(11) as usize),
            }
            v
        }
    };
    cmd!["SET", key, value]
}
