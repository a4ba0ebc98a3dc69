//! HyperLogLog sketches, stored as plain strings in Redis's byte layout, so
//! that `GET`, `SET`, `DUMP`, replication and RDB files exchange them with
//! Redis unchanged.
//!
//! # Layout
//!
//! Every sketch starts with a 16-byte header:
//!
//! ```text
//! offset 0  "HYLL"       magic
//! offset 4  encoding     0 = dense, 1 = sparse
//! offset 5  3 bytes      unused (kept as found)
//! offset 8  8 bytes      cached cardinality, little endian; the top bit of
//!                        the last byte set means "stale, recompute"
//! ```
//!
//! The sketch has 16384 registers (the low 14 bits of a 64-bit hash pick
//! the register; the register keeps the longest run of zero bits seen in
//! the other 50 bits, plus one, so 1..=51). Two register encodings follow
//! the header:
//!
//! * **dense**: 16384 six-bit fields packed least significant bit first
//!   (register `i` starts at bit `6 i`), 12288 bytes;
//! * **sparse**: run-length opcodes, for sketches with few non-zero
//!   registers:
//!   - `00xxxxxx` ZERO: `x + 1` (1..=64) registers are zero;
//!   - `01xxxxxx yyyyyyyy` XZERO: `(x << 8 | y) + 1` (1..=16384) zeros;
//!   - `1vvvvvxx` VAL: `x + 1` (1..=4) registers hold `v + 1` (1..=32).
//!
//!   A new sketch is one XZERO covering every register. Setting a register
//!   splits the opcode that covers it into at most three (zeros, value,
//!   zeros), then merges the new VAL with equal neighbours; a sketch whose
//!   sparse form would outgrow `hll-sparse-max-bytes`, or that needs a
//!   value above 32, turns dense for good.
//!
//! Redis edits the sparse form in place with exactly these steps, and the
//! resulting bytes are visible to clients (`GET`), so the edit below
//! repeats them step for step, including the quirks of a C string: a read
//! one byte past the end sees the string's terminator (see [`Editor`]).
//!
//! # Estimator
//!
//! The cardinality comes from the histogram of register values with Otmar
//! Ertl's improved raw estimator ("New cardinality estimation algorithms
//! for HyperLogLog sketches", 2017), which needs no bias tables and no
//! switch to linear counting:
//!
//! ```text
//! z = m·τ(1 − C[q+1]/m);  for k = q down to 1: z = (z + C[k]) / 2
//! z += m·σ(C[0]/m);       E = α∞·m² / z,  α∞ = 1 / (2 ln 2)
//! ```
//!
//! with `m` = 16384 registers, `q` = 50 and the series σ and τ below. The
//! double-precision operations run in the same order as Redis's, so both
//! servers report the same integer.

/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Header length.
pub const HEADER_LEN: usize = 16;
/// Length of a dense sketch.
pub const DENSE_LEN: usize = HEADER_LEN + REGISTERS * BITS / 8;

/// Register-index bits of the hash.
const P: usize = 14;
/// Hash bits left for the zero-run count.
const Q: usize = 64 - P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const ENC_DENSE: u8 = 0;
const ENC_SPARSE: u8 = 1;
/// Redis's seed for MurmurHash64A.
const SEED: u64 = 0xadc8_3b19;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;

/// The bytes cannot be a sketch Redis would have written: a sparse body
/// that does not cover exactly [`REGISTERS`] registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// How a sketch stores its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

/// The encoding of `b` if its header makes it a sketch, as Redis checks
/// before any HyperLogLog command: long enough for a header, the magic, a
/// known encoding, and exactly [`DENSE_LEN`] bytes if dense. The sparse
/// body is only checked when it is walked.
pub fn check(b: &[u8]) -> Option<Encoding> {
    if b.len() < HEADER_LEN || &b[..4] != b"HYLL" {
        return None;
    }
    match b[4] {
        ENC_DENSE if b.len() == DENSE_LEN => Some(Encoding::Dense),
        ENC_SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// An empty sketch: sparse, one XZERO opcode, cached cardinality 0.
pub fn empty() -> Vec<u8> {
    // Room for the first split (3 more bytes) and the editor's terminator.
    let mut v = Vec::with_capacity(HEADER_LEN + 2 + 4);
    v.extend_from_slice(b"HYLL");
    v.push(ENC_SPARSE);
    v.extend_from_slice(&[0; 11]);
    push_zeros(&mut v, XZERO_MAX_LEN);
    v
}

/// The cached cardinality, if it is current.
pub fn cached(b: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(b[8..16].try_into().expect("header is 16 bytes"));
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality (a value with the top bit set
/// stays marked stale, as in Redis).
pub fn store_cached(b: &mut [u8], card: u64) {
    b[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate(b: &mut [u8]) {
    b[15] |= 0x80;
}

/// MurmurHash2, 64-bit version (`MurmurHash64A`), reading words little
/// endian as Redis does on every platform.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes(w.try_into().expect("chunks of 8"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the value it offers there: one
/// plus the number of trailing zero bits of the hash above the index bits
/// (a sentinel bit caps it at `Q + 1`).
pub fn register_of(ele: &[u8]) -> (usize, u8) {
    let h = murmur64a(ele, SEED);
    let index = (h as usize) & (REGISTERS - 1);
    let rest = (h >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------
// Dense registers.

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let bit = i * BITS;
    let (byte, fb) = (bit / 8, bit % 8);
    let b0 = u16::from(regs[byte]);
    // The last register fits in its first byte; Redis reads the string
    // terminator there, which contributes nothing.
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) as u8) & REGISTER_MAX
}

fn dense_put(regs: &mut [u8], i: usize, v: u8) {
    let bit = i * BITS;
    let (byte, fb) = (bit / 8, bit % 8);
    let v = u16::from(v & REGISTER_MAX);
    regs[byte] &= !((u16::from(REGISTER_MAX) << fb) as u8);
    regs[byte] |= (v << fb) as u8;
    if fb > 8 - BITS {
        regs[byte + 1] &= !(u16::from(REGISTER_MAX) >> (8 - fb)) as u8;
        regs[byte + 1] |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `v`; true if it was lower.
fn dense_raise(regs: &mut [u8], i: usize, v: u8) -> bool {
    if v > dense_get(regs, i) {
        dense_put(regs, i, v);
        true
    } else {
        false
    }
}

/// Calls `f(register, value)` for every register, four at a time (four
/// registers fill three bytes exactly).
fn dense_each(regs: &[u8], mut f: impl FnMut(usize, u8)) {
    for (k, c) in regs.chunks_exact(3).enumerate() {
        let (b0, b1, b2) = (c[0], c[1], c[2]);
        f(4 * k, b0 & REGISTER_MAX);
        f(4 * k + 1, ((b0 >> 6) | (b1 << 2)) & REGISTER_MAX);
        f(4 * k + 2, ((b1 >> 4) | (b2 << 4)) & REGISTER_MAX);
        f(4 * k + 3, b2 >> 2);
    }
}

/// Adds the register values of a dense body to `h`. Three bytes hold
/// four registers; each goes to its own histogram so that consecutive
/// increments rarely hit the same counter (which would serialise them),
/// and the four are summed at the end.
fn dense_histogram(regs: &[u8], h: &mut [u32; 64]) {
    let mut lanes = [[0u32; 64]; 4];
    for c in regs.chunks_exact(3) {
        let w = u32::from(c[0]) | (u32::from(c[1]) << 8) | (u32::from(c[2]) << 16);
        lanes[0][(w & 63) as usize] += 1;
        lanes[1][((w >> 6) & 63) as usize] += 1;
        lanes[2][((w >> 12) & 63) as usize] += 1;
        lanes[3][((w >> 18) & 63) as usize] += 1;
    }
    for lane in &lanes {
        for (t, &n) in h.iter_mut().zip(lane) {
            *t += n;
        }
    }
}

// ---------------------------------------------------------------------------
// Sparse opcodes.

#[inline]
fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}

#[inline]
fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}

#[inline]
fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}

#[inline]
fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}

#[inline]
fn val_len(op: u8) -> usize {
    (op & 3) as usize + 1
}

#[inline]
fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

/// The opcode at `p` of `body`: (registers it covers, its length in
/// bytes). The second byte of an XZERO that is the last byte of the body
/// is `term` (what a C string holds past its end).
#[inline]
fn op_at(body: &[u8], p: usize, term: u8) -> (usize, usize) {
    let op = body[p];
    if is_zero(op) {
        ((op & 0x3f) as usize + 1, 1)
    } else if is_val(op) {
        (val_len(op), 1)
    } else {
        let lo = body.get(p + 1).copied().unwrap_or(term);
        (((((op & 0x3f) as usize) << 8) | lo as usize) + 1, 2)
    }
}

/// Appends a run of `len` zero registers (ZERO, or XZERO past 64).
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        out.push(0x40 | (l >> 8) as u8);
        out.push(l as u8);
    } else {
        out.push(len as u8 - 1);
    }
}

/// Walks a sparse body, calling `f(first register, run length, value)` for
/// each run (value 0 for ZERO/XZERO). Corrupt if the runs pass the last
/// register or do not reach it.
fn sparse_runs(body: &[u8], term: u8, mut f: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut idx = 0;
    let mut p = 0;
    while p < body.len() {
        let (run, oplen) = op_at(body, p, term);
        if idx + run > REGISTERS {
            return Err(Corrupt);
        }
        let op = body[p];
        f(idx, run, if is_val(op) { val_value(op) } else { 0 });
        idx += run;
        p += oplen;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

// ---------------------------------------------------------------------------
// Reading.

/// The register-value histogram of a sketch whose header passed [`check`].
fn histogram(b: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut h = [0u32; 64];
    match b[4] {
        ENC_DENSE => dense_histogram(&b[HEADER_LEN..], &mut h),
        _ => sparse_runs(&b[HEADER_LEN..], 0, |_, run, v| h[v as usize] += run as u32)?,
    }
    Ok(h)
}

/// The estimated cardinality of a sketch whose header passed [`check`]
/// (ignores the cache).
pub fn count(b: &[u8]) -> Result<u64, Corrupt> {
    Ok(estimate(&histogram(b)?))
}

/// Raises `max[i]` to register `i` of the sketch `b` (header checked),
/// for every register: the union of sketches.
pub fn merge_into(max: &mut [u8; REGISTERS], b: &[u8]) -> Result<(), Corrupt> {
    match b[4] {
        ENC_DENSE => {
            for (m, c) in max.chunks_exact_mut(4).zip(b[HEADER_LEN..].chunks_exact(3)) {
                let w = u32::from(c[0]) | (u32::from(c[1]) << 8) | (u32::from(c[2]) << 16);
                for (k, m) in m.iter_mut().enumerate() {
                    *m = (*m).max(((w >> (6 * k)) & 63) as u8);
                }
            }
        }
        _ => sparse_runs(&b[HEADER_LEN..], 0, |first, run, v| {
            if v > 0 {
                for m in &mut max[first..first + run] {
                    *m = (*m).max(v);
                }
            }
        })?,
    }
    Ok(())
}

/// The estimated cardinality of a union built by [`merge_into`].
pub fn count_registers(max: &[u8; REGISTERS]) -> u64 {
    // Four histograms, as in `dense_histogram`.
    let mut lanes = [[0u32; 64]; 4];
    for c in max.chunks_exact(4) {
        for (lane, &v) in lanes.iter_mut().zip(c) {
            lane[(v & 63) as usize] += 1;
        }
    }
    let mut h = [0u32; 64];
    for lane in &lanes {
        for (t, &n) in h.iter_mut().zip(lane) {
            *t += n;
        }
    }
    estimate(&h)
}

/// The registers of a dense sketch.
pub fn dense_registers(b: &[u8]) -> Vec<u8> {
    let mut out = vec![0; REGISTERS];
    dense_each(&b[HEADER_LEN..], |i, v| out[i] = v);
    out
}

/// The sparse opcodes of `b` in words (`PFDEBUG DECODE`): `z:<n>`,
/// `Z:<n>`, `v:<value>,<n>`, space separated. Does not validate.
pub fn decode_sparse(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let body = &b[HEADER_LEN..];
    let mut s = String::new();
    let mut p = 0;
    while p < body.len() {
        let op = body[p];
        let (run, oplen) = op_at(body, p, 0);
        if !s.is_empty() {
            s.push(' ');
        }
        let _ = if is_zero(op) {
            write!(s, "z:{run}")
        } else if is_xzero(op) {
            write!(s, "Z:{run}")
        } else {
            write!(s, "v:{},{run}", val_value(op))
        };
        p += oplen;
    }
    s
}

/// σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), summed until it stops changing.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

/// τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k) / 3, summed until it stops
/// changing.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// The estimator (see the module comment) on a register histogram.
fn estimate(h: &[u32; 64]) -> u64 {
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(h[Q + 1])) / m);
    for k in (1..=Q).rev() {
        z += f64::from(h[k]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(h[0]) / m);
    to_card(ALPHA_INF * m * m / z)
}

/// Redis rounds the estimate with `llroundl` and converts the result
/// through a double to an unsigned 64-bit integer. An estimate that does
/// not fit (infinite, from registers no real hash produces) rounds to
/// `i64::MIN` there, which comes out as 2^63: reproduced, since clients
/// see it.
fn to_card(e: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let r = e.round();
    let rounded = if r.is_nan() || !(-TWO_63..TWO_63).contains(&r) {
        i64::MIN
    } else {
        r as i64
    };
    let d = rounded as f64;
    if d < TWO_63 {
        d as i64 as u64
    } else {
        ((d - TWO_63) as i64 as u64) ^ (1 << 63)
    }
}

// ---------------------------------------------------------------------------
// Writing.

/// A sketch being modified by one command.
///
/// Redis keeps a sketch in a C string (`sds`), which always has one more
/// byte after its end, normally zero. A sparse body ending in the first
/// byte of an XZERO reads that byte as the opcode's second byte, and an
/// edit of that opcode can write into it. To give the same bytes as Redis,
/// the editor keeps that byte physically after the value while the command
/// runs (so `v.len()` is the string length plus one) and drops it when the
/// command is done. Redis would keep a non-zero byte there until the
/// string is next rewritten; that cannot be represented in a string value,
/// so it reads as zero in later commands.
pub struct Editor<'a> {
    v: &'a mut Vec<u8>,
}

impl<'a> Editor<'a> {
    /// Starts editing `v`, which must have passed [`check`].
    pub fn new(v: &'a mut Vec<u8>) -> Editor<'a> {
        // Exact: a dense sketch stored by SET must not double its
        // allocation for the one byte (sparse growth doubles as needed).
        v.reserve_exact(1);
        v.push(0);
        Editor { v }
    }

    fn len(&self) -> usize {
        self.v.len() - 1
    }

    /// The sketch's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.v[..self.len()]
    }

    /// The sketch's bytes, for header updates.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let n = self.len();
        &mut self.v[..n]
    }

    pub fn encoding(&self) -> Encoding {
        if self.v[4] == ENC_DENSE {
            Encoding::Dense
        } else {
            Encoding::Sparse
        }
    }

    /// Adds an element: true if a register changed (the cached
    /// cardinality is then stale; the caller marks it).
    pub fn add(&mut self, ele: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
        let (index, count) = register_of(ele);
        self.raise(index, count, sparse_max)
    }

    /// Raises register `index` to `count` (1..=63) if it is lower: true if
    /// it changed. A sparse sketch turns dense if the value or the grown
    /// body (past `sparse_max` bytes, header included) requires it.
    pub fn raise(&mut self, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
        match self.v[4] {
            ENC_DENSE => {
                let n = self.len();
                Ok(dense_raise(&mut self.v[HEADER_LEN..n], index, count))
            }
            ENC_SPARSE => self.sparse_raise(index, count, sparse_max),
            _ => Err(Corrupt),
        }
    }

    /// Converts a sparse sketch to dense: true if converted, false if it
    /// already was dense. The header (magic, unused bytes, cache) is kept.
    pub fn to_dense(&mut self) -> Result<bool, Corrupt> {
        if self.v[4] == ENC_DENSE {
            return Ok(false);
        }
        let len = self.len();
        let term = self.v[len];
        let mut d = vec![0u8; DENSE_LEN + 1];
        d[..HEADER_LEN].copy_from_slice(&self.v[..HEADER_LEN]);
        d[4] = ENC_DENSE;
        let regs = &mut d[HEADER_LEN..DENSE_LEN];
        sparse_runs(&self.v[HEADER_LEN..len], term, |first, run, v| {
            if v > 0 {
                for i in first..first + run {
                    dense_put(regs, i, v);
                }
            }
        })?;
        *self.v = d;
        Ok(true)
    }

    fn promote(&mut self, index: usize, count: u8) -> Result<bool, Corrupt> {
        self.to_dense()?;
        let n = self.len();
        dense_raise(&mut self.v[HEADER_LEN..n], index, count);
        Ok(true)
    }

    /// Redis's in-place sparse update (see the module comment): find the
    /// opcode covering `index`; nothing to do if it is a VAL at least
    /// `count`; replace a one-register VAL or ZERO in place; otherwise
    /// split the opcode into up to three, growing the body (or turning
    /// dense if it would pass `sparse_max`); then merge equal VALs around
    /// the change.
    fn sparse_raise(
        &mut self,
        index: usize,
        count: u8,
        sparse_max: usize,
    ) -> Result<bool, Corrupt> {
        if count > VAL_MAX_VALUE {
            return self.promote(index, count);
        }
        let len = self.len();
        let term = self.v[len];
        let body = &self.v[..len];
        let (mut p, mut first, mut prev, mut span, mut oplen) = (HEADER_LEN, 0, None, 0, 1);
        while p < len {
            (span, oplen) = op_at(body, p, term);
            if index < first + span {
                break;
            }
            prev = Some(p);
            p += oplen;
            first += span;
        }
        if span == 0 || p >= len {
            return Err(Corrupt);
        }
        let op = body[p];
        let next = (p + oplen < len).then_some(p + oplen);

        if is_val(op) {
            let old = val_value(op);
            if old >= count {
                return Ok(false);
            }
            if span == 1 {
                self.v[p] = val_op(count, 1);
                self.merged(prev.unwrap_or(HEADER_LEN), len);
                return Ok(true);
            }
        }
        if is_zero(op) && span == 1 {
            self.v[p] = val_op(count, 1);
            self.merged(prev.unwrap_or(HEADER_LEN), len);
            return Ok(true);
        }

        // Split: at most XZERO VAL XZERO, 5 bytes.
        let last = first + span - 1;
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        if is_val(op) {
            let cur = val_value(op);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        let grow = seq.len() as isize - oplen as isize;
        if grow > 0 && len + grow as usize > sparse_max {
            return self.promote(index, count);
        }
        let new_len = (len as isize + grow) as usize;
        if let (Some(nx), true) = (next, grow != 0) {
            if grow > 0 {
                self.v.resize(new_len + 1, 0);
            }
            let to = (nx as isize + grow) as usize;
            self.v.copy_within(nx..len, to);
        }
        self.v.resize(new_len + 1, 0);
        self.v[new_len] = 0;
        // With no opcode after it, the new sequence may end one byte past
        // the new end (an XZERO that had only its first byte): that byte
        // lands in the terminator, as in Redis.
        self.v[p..p + seq.len()].copy_from_slice(&seq);
        self.merged(prev.unwrap_or(HEADER_LEN), new_len);
        Ok(true)
    }

    /// Finishes a sparse update: merges adjacent VAL opcodes of equal value
    /// (up to a run of 4), looking at no more than five opcodes from `p`,
    /// and marks the cached cardinality stale, as Redis does after each
    /// sparse update (a dense update leaves that to the command).
    fn merged(&mut self, mut p: usize, mut end: usize) {
        self.v[15] |= 0x80;
        let mut budget = 5;
        while p < end && budget > 0 {
            budget -= 1;
            let op = self.v[p];
            if is_xzero(op) {
                p += 2;
                continue;
            }
            if is_zero(op) {
                p += 1;
                continue;
            }
            if p + 1 < end && is_val(self.v[p + 1]) {
                let nx = self.v[p + 1];
                let run = val_len(op) + val_len(nx);
                if val_value(op) == val_value(nx) && run <= VAL_MAX_LEN {
                    self.v[p + 1] = val_op(val_value(op), run);
                    // Shift left over the merged opcode, terminator slot
                    // included, then terminate the shorter string.
                    self.v.copy_within(p + 1..end + 1, p);
                    end -= 1;
                    self.v.truncate(end + 1);
                    self.v[end] = 0;
                    continue;
                }
            }
            p += 1;
        }
    }
}

impl Drop for Editor<'_> {
    fn drop(&mut self) {
        self.v.pop();
    }
}

#[cfg(test)]
mod tests;
