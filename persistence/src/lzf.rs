//! LZF, the compression of RDB strings (`rdbcompression yes`).
//!
//! The format is a sequence of runs, each starting with a control byte:
//! - `000LLLLL`: a literal run of `L + 1` bytes (1..=32) follows;
//! - `LLLooooo oooooooo`: a back reference of `L + 2` bytes (3..=8) at
//!   distance `o + 1` (1..=8192) behind the output position;
//! - `111ooooo LLLLLLLL oooooooo`: the same with length `L + 9` (up to 264).
//!
//! The compressor finds matches with a hash table of the positions of
//! 3-byte sequences, exactly as the reference implementation configured the
//! way Redis builds it (a 2^16-slot table, the "very fast" hash and
//! re-hashing of only the last two positions of a match), so that our
//! output equals Redis's byte for byte and `DUMP` payloads are identical.
//! Unlike Redis, the table starts empty on every call (Redis reuses stale
//! stack memory, which can occasionally change its output).

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn first(p: &[u8], i: usize) -> u32 {
    ((p[i] as u32) << 8) | p[i + 1] as u32
}

#[inline]
fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | p[i + 2] as u32
}

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Adds one byte to the current literal run, closing the run (and opening
/// the next) when it reaches its maximum length.
#[inline]
fn push_literal(out: &mut Vec<u8>, lit: &mut usize, b: u8) {
    *lit += 1;
    out.push(b);
    if *lit == MAX_LIT {
        let run_start = out.len() - *lit - 1;
        out[run_start] = (*lit - 1) as u8;
        *lit = 0;
        out.push(0);
    }
}

/// The hash table of one thread, reused from call to call: an entry is
/// the call's generation (high half) and the position + 1 (low half); an
/// entry of another generation reads as empty. Zeroing a fresh 2^16-slot
/// table per call cost more than compressing a short string (56% of a
/// SAVE's time was that memset).
struct Table {
    slots: Vec<u64>,
    gen: u32,
}

impl Table {
    #[inline]
    fn get(&self, slot: usize) -> u32 {
        let e = self.slots[slot];
        if (e >> 32) as u32 == self.gen {
            e as u32
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, slot: usize, pos1: u32) {
        self.slots[slot] = ((self.gen as u64) << 32) | pos1 as u64;
    }
}

thread_local! {
    static TABLE: std::cell::RefCell<Table> = const {
        std::cell::RefCell::new(Table { slots: Vec::new(), gen: 0 })
    };
}

/// Compresses `input` into at most `max_out` bytes; `None` if it does not
/// fit (Redis asks for at least 4 bytes of gain and otherwise stores the
/// string uncompressed).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    if input.is_empty() || max_out == 0 {
        return None;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if t.slots.is_empty() {
            t.slots = vec![0; HSIZE];
        }
        // A new generation empties the table; at the wrap, really.
        t.gen = t.gen.wrapping_add(1);
        if t.gen == 0 {
            t.slots.iter_mut().for_each(|e| *e = 0);
            t.gen = 1;
        }
        compress_with(input, max_out, &mut t)
    })
}

fn compress_with(input: &[u8], max_out: usize, htab: &mut Table) -> Option<Vec<u8>> {
    let in_len = input.len();
    // Positions are stored +1 so that 0 means "empty slot".
    let mut out: Vec<u8> = Vec::with_capacity(max_out.min(in_len + in_len / 16 + 64));
    let mut lit: usize = 0;
    // The control byte of the current literal run, filled in when it ends.
    out.push(0);
    let mut ip = 0usize;
    let mut hval = if in_len >= 2 { first(input, 0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab.get(slot) as usize;
        htab.set(slot, ip as u32 + 1);
        let matched = r > 1 && {
            let rf = r - 1;
            let off = ip - rf - 1;
            off < MAX_OFF
                && input[rf + 2] == input[ip + 2]
                && input[rf..rf + 2] == input[ip..ip + 2]
        };
        if matched {
            let rf = r - 1;
            let off = ip - rf - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            // The worst case of this reference and the next run's control.
            let op = out.len();
            if op + 3 + 1 >= max_out && op - usize::from(lit == 0) + 3 + 1 >= max_out {
                return None;
            }
            let run_start = op - lit - 1;
            out[run_start] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                out.pop();
            }
            // As the reference: sixteen unbounded steps when the match may
            // be long (the input is long enough for them), then bounded
            // ones, so a match can end a little past `maxlen` near the end
            // of the input, exactly as there.
            'extend: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[rf + len] != input[ip + len] {
                            break 'extend;
                        }
                    }
                }
                loop {
                    len += 1;
                    if len >= maxlen || input[rf + len] != input[ip + len] {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out.push(((off >> 8) + (len << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((len - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            out.push(0);
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            // Hash the last two positions of the match.
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip as u32 + 1);
            ip += 1;
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip as u32 + 1);
            ip += 1;
        } else {
            if out.len() >= max_out {
                return None;
            }
            push_literal(&mut out, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if out.len() + 3 > max_out {
        return None;
    }
    while ip < in_len {
        push_literal(&mut out, &mut lit, input[ip]);
        ip += 1;
    }
    let run_start = out.len() - lit - 1;
    out[run_start] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        out.pop();
    }
    Some(out)
}

/// Why a compressed block could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// A run or reference reads past the input or writes past `out_len`.
    Overrun,
    /// A reference points before the start of the output.
    BadReference,
    /// The output is shorter than announced.
    ShortOutput,
}

/// Expands `input` into exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            if ip + n > input.len() || out.len() + n > out_len {
                return Err(LzfError::Overrun);
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Overrun)? as usize;
                ip += 1;
            }
            let lo = *input.get(ip).ok_or(LzfError::Overrun)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + lo + 1;
            let n = len + 2;
            if back > out.len() {
                return Err(LzfError::BadReference);
            }
            if out.len() + n > out_len {
                return Err(LzfError::Overrun);
            }
            let from = out.len() - back;
            // Byte by byte: the source may overlap what is being written.
            for k in 0..n {
                let b = out[from + k];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::ShortOutput);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".to_vec(),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
            (0..3000u32).map(|i| ((i * i) >> 3) as u8).collect(),
        ];
        inputs.push(inputs[2].repeat(3));
        for inp in &inputs {
            let c = compress(inp, inp.len()).expect("compressible");
            assert!(c.len() < inp.len());
            assert_eq!(decompress(&c, inp.len()).expect("valid"), *inp);
        }
    }

    #[test]
    fn incompressible_is_refused() {
        let noise: Vec<u8> = (0..64u64)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
            .collect();
        assert_eq!(compress(&noise, noise.len()), None);
        assert_eq!(compress(b"", 10), None);
    }

    #[test]
    fn corrupt_input_is_an_error() {
        let c = compress(&[b'x'; 100], 100).expect("compressible");
        assert_eq!(decompress(&c, 99), Err(LzfError::Overrun));
        assert_eq!(decompress(&c, 101), Err(LzfError::ShortOutput));
        assert_eq!(decompress(&[0x20, 0x05], 10), Err(LzfError::BadReference));
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Overrun));
        assert_eq!(decompress(&[0xe0], 10), Err(LzfError::Overrun));
    }
}
