//! The compact collection blobs found inside RDB objects: listpack (Redis
//! 7), intset, and the legacy ziplist and zipmap (read only). Layouts are in
//! docs/formats.md. Writers produce Redis's exact bytes (so `DUMP` payloads
//! match); readers validate every offset and count, because the bytes come
//! from files and clients.

use crate::rdb::Error;

/// Field/value pairs.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn corrupt(what: &'static str) -> Error {
    Error::Corrupt(what)
}

/// A listpack entry's integer form, if the string is the canonical decimal
/// form of an `i64` (what Redis stores as an integer).
fn as_int(s: &[u8]) -> Option<i64> {
    tiering::value::parse_strict_i64(s)
}

fn push_backlen(out: &mut Vec<u8>, l: usize) {
    if l <= 127 {
        out.push(l as u8);
    } else if l < 16383 {
        out.push((l >> 7) as u8);
        out.push((l & 127) as u8 | 128);
    } else if l < 2_097_151 {
        out.push((l >> 14) as u8);
        out.push(((l >> 7) & 127) as u8 | 128);
        out.push((l & 127) as u8 | 128);
    } else if l < 268_435_455 {
        out.push((l >> 21) as u8);
        out.push(((l >> 14) & 127) as u8 | 128);
        out.push(((l >> 7) & 127) as u8 | 128);
        out.push((l & 127) as u8 | 128);
    } else {
        out.push((l >> 28) as u8);
        out.push(((l >> 21) & 127) as u8 | 128);
        out.push(((l >> 14) & 127) as u8 | 128);
        out.push(((l >> 7) & 127) as u8 | 128);
        out.push((l & 127) as u8 | 128);
    }
}

/// Appends one listpack entry (encoding, data, back length).
fn push_lp_entry(out: &mut Vec<u8>, s: &[u8]) {
    let start = out.len();
    match as_int(s) {
        Some(v) if (0..=127).contains(&v) => out.push(v as u8),
        Some(v) if (-4096..=4095).contains(&v) => {
            let u = if v < 0 { (1 << 13) + v } else { v } as u16;
            out.push(0xC0 | (u >> 8) as u8);
            out.push(u as u8);
        }
        Some(v) if (-32768..=32767).contains(&v) => {
            out.push(0xF1);
            out.extend_from_slice(&(v as i16).to_le_bytes());
        }
        Some(v) if (-8_388_608..=8_388_607).contains(&v) => {
            out.push(0xF2);
            out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        }
        Some(v) if i32::try_from(v).is_ok() => {
            out.push(0xF3);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        }
        Some(v) => {
            out.push(0xF4);
            out.extend_from_slice(&v.to_le_bytes());
        }
        None if s.len() < 64 => {
            out.push(0x80 | s.len() as u8);
            out.extend_from_slice(s);
        }
        None if s.len() < 4096 => {
            out.push(0xE0 | (s.len() >> 8) as u8);
            out.push(s.len() as u8);
            out.extend_from_slice(s);
        }
        None => {
            out.push(0xF0);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s);
        }
    }
    let l = out.len() - start;
    push_backlen(out, l);
}

/// A listpack of `items`, byte for byte as Redis builds it.
pub fn listpack<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![0u8; 6];
    let mut n = 0usize;
    for it in items {
        push_lp_entry(&mut out, it);
        n += 1;
    }
    out.push(0xFF);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    let count = if n < 65535 { n as u16 } else { 65535 };
    out[4..6].copy_from_slice(&count.to_le_bytes());
    out
}

/// The entries of a listpack, validated (header size, every entry's bounds
/// and back length, the count when the header has it, the end marker).
pub fn listpack_entries(lp: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if lp.len() < 7 {
        return Err(corrupt("listpack header"));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err(corrupt("listpack size"));
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]) as usize;
    let mut out = Vec::new();
    let mut p = 6;
    let end = lp.len() - 1;
    if lp[end] != 0xFF {
        return Err(corrupt("listpack end"));
    }
    let get = |from: usize, n: usize| -> Result<&[u8], Error> {
        lp.get(from..from + n)
            .filter(|_| from + n <= end)
            .ok_or(corrupt("listpack entry"))
    };
    while p < end {
        let b = lp[p];
        let (value, size): (Vec<u8>, usize) = if b & 0x80 == 0 {
            ((b as i64).to_string().into_bytes(), 1)
        } else if b & 0xC0 == 0x80 {
            let n = (b & 0x3f) as usize;
            (get(p + 1, n)?.to_vec(), 1 + n)
        } else if b & 0xE0 == 0xC0 {
            let lo = get(p + 1, 1)?[0];
            let u = (((b & 0x1f) as i64) << 8) | lo as i64;
            let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
            (v.to_string().into_bytes(), 2)
        } else if b & 0xF0 == 0xE0 {
            let lo = get(p + 1, 1)?[0];
            let n = (((b & 0x0f) as usize) << 8) | lo as usize;
            (get(p + 2, n)?.to_vec(), 2 + n)
        } else {
            match b {
                0xF0 => {
                    let l = get(p + 1, 4)?;
                    let n = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                    if n > end {
                        return Err(corrupt("listpack entry"));
                    }
                    (get(p + 5, n)?.to_vec(), 5 + n)
                }
                0xF1 => {
                    let d = get(p + 1, 2)?;
                    (i16::from_le_bytes([d[0], d[1]]).to_string().into_bytes(), 3)
                }
                0xF2 => {
                    let d = get(p + 1, 3)?;
                    let v = i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8;
                    (v.to_string().into_bytes(), 4)
                }
                0xF3 => {
                    let d = get(p + 1, 4)?;
                    (
                        i32::from_le_bytes([d[0], d[1], d[2], d[3]])
                            .to_string()
                            .into_bytes(),
                        5,
                    )
                }
                0xF4 => {
                    let d = get(p + 1, 8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(d);
                    (i64::from_le_bytes(a).to_string().into_bytes(), 9)
                }
                _ => return Err(corrupt("listpack encoding")),
            }
        };
        // The back length must be the entry's size, in Redis's form.
        let mut want = Vec::with_capacity(5);
        push_backlen(&mut want, size);
        if get(p + size, want.len())? != want.as_slice() {
            return Err(corrupt("listpack back length"));
        }
        out.push(value);
        p += size + want.len();
    }
    if count != 65535 && count != out.len() {
        return Err(corrupt("listpack count"));
    }
    Ok(out)
}

/// An intset of `values` (sorted and deduplicated here), in the narrowest
/// width that holds them all, as Redis lays it out.
pub fn intset(values: &[i64]) -> Vec<u8> {
    intset_at(values, 2)
}

/// [`intset`] at least `min_width` bytes wide (2, 4 or 8): Redis widens an
/// intset for a wide member and never narrows it again, so a set that
/// once held one is written wider than its members need.
pub fn intset_at(values: &[i64], min_width: usize) -> Vec<u8> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    let need: usize = if v.iter().all(|&x| i16::try_from(x).is_ok()) {
        2
    } else if v.iter().all(|&x| i32::try_from(x).is_ok()) {
        4
    } else {
        8
    };
    let width = match need.max(min_width) {
        w if w <= 2 => 2,
        w if w <= 4 => 4,
        _ => 8,
    };
    let mut out = Vec::with_capacity(8 + width * v.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes()[..width]);
    }
    out
}

/// The members of an intset, validated (width, size, strictly ascending).
pub fn intset_values(b: &[u8]) -> Result<Vec<i64>, Error> {
    if b.len() < 8 {
        return Err(corrupt("intset header"));
    }
    let width = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let n = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) || (b.len() - 8) != n.saturating_mul(width) {
        return Err(corrupt("intset size"));
    }
    let mut out: Vec<i64> = Vec::with_capacity(n);
    for c in b[8..].chunks_exact(width) {
        let v = match width {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                i64::from_le_bytes(a)
            }
        };
        if out.last().is_some_and(|&last| last >= v) {
            return Err(corrupt("intset order"));
        }
        out.push(v);
    }
    Ok(out)
}

/// The entries of a ziplist (the compact format before Redis 7),
/// validated.
pub fn ziplist_entries(z: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if z.len() < 11 {
        return Err(corrupt("ziplist header"));
    }
    let total = u32::from_le_bytes([z[0], z[1], z[2], z[3]]) as usize;
    // The offset of the last entry, which Redis keeps to append and pop
    // at the tail: a wrong one is corruption (Redis refuses it too).
    let tail = u32::from_le_bytes([z[4], z[5], z[6], z[7]]) as usize;
    let count = u16::from_le_bytes([z[8], z[9]]) as usize;
    if total != z.len() || z[total - 1] != 0xFF || tail > total - 1 {
        return Err(corrupt("ziplist size"));
    }
    let end = total - 1;
    let get = |from: usize, n: usize| -> Result<&[u8], Error> {
        if from + n > end {
            return Err(corrupt("ziplist entry"));
        }
        Ok(&z[from..from + n])
    };
    let mut out = Vec::new();
    let mut p = 10;
    let mut prev_size = 0usize;
    let mut last_start = None;
    while p < end {
        let start = p;
        last_start = Some(start);
        // The previous entry's length: 1 byte, or 0xFE and 4 bytes.
        let prevlen = if z[p] < 254 {
            p += 1;
            z[p - 1] as usize
        } else if z[p] == 254 {
            let d = get(p + 1, 4)?;
            p += 5;
            u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize
        } else {
            return Err(corrupt("ziplist prevlen"));
        };
        if prevlen != prev_size {
            return Err(corrupt("ziplist prevlen"));
        }
        let e = get(p, 1)?[0];
        let value: Vec<u8> = match e >> 6 {
            0 => {
                let n = (e & 0x3f) as usize;
                let v = get(p + 1, n)?.to_vec();
                p += 1 + n;
                v
            }
            1 => {
                let n = (((e & 0x3f) as usize) << 8) | get(p + 1, 1)?[0] as usize;
                let v = get(p + 2, n)?.to_vec();
                p += 2 + n;
                v
            }
            2 => {
                let l = get(p + 1, 4)?;
                let n = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                if n > end {
                    return Err(corrupt("ziplist entry"));
                }
                let v = get(p + 5, n)?.to_vec();
                p += 5 + n;
                v
            }
            _ => {
                let (v, n): (i64, usize) = match e {
                    0xC0 => {
                        let d = get(p + 1, 2)?;
                        (i16::from_le_bytes([d[0], d[1]]) as i64, 2)
                    }
                    0xD0 => {
                        let d = get(p + 1, 4)?;
                        (i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64, 4)
                    }
                    0xE0 => {
                        let d = get(p + 1, 8)?;
                        let mut a = [0u8; 8];
                        a.copy_from_slice(d);
                        (i64::from_le_bytes(a), 8)
                    }
                    0xF0 => {
                        let d = get(p + 1, 3)?;
                        ((i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64, 3)
                    }
                    0xFE => (get(p + 1, 1)?[0] as i8 as i64, 1),
                    0xF1..=0xFD => ((e & 0x0f) as i64 - 1, 0),
                    _ => return Err(corrupt("ziplist encoding")),
                };
                p += 1 + n;
                v.to_string().into_bytes()
            }
        };
        prev_size = p - start;
        out.push(value);
    }
    if count != 65535 && count != out.len() {
        return Err(corrupt("ziplist count"));
    }
    if last_start.is_some_and(|l| l != tail) {
        return Err(corrupt("ziplist tail offset"));
    }
    Ok(out)
}

/// The field/value pairs of a zipmap (the hash format of Redis before 2.6),
/// validated.
pub fn zipmap_pairs(z: &[u8]) -> Result<Pairs, Error> {
    let mut p = 1;
    let mut out = Vec::new();
    let len_at = |p: usize| -> Result<(usize, usize), Error> {
        match z.get(p) {
            Some(&b) if b < 254 => Ok((b as usize, 1)),
            Some(254) => {
                let d = z.get(p + 1..p + 5).ok_or(corrupt("zipmap length"))?;
                Ok((u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize, 5))
            }
            _ => Err(corrupt("zipmap length")),
        }
    };
    loop {
        match z.get(p) {
            None => return Err(corrupt("zipmap end")),
            Some(255) => break,
            Some(_) => {}
        }
        let (klen, h) = len_at(p)?;
        p += h;
        let key = z
            .get(p..p.saturating_add(klen))
            .ok_or(corrupt("zipmap key"))?;
        p += klen;
        let (vlen, h) = len_at(p)?;
        p += h;
        let free = *z.get(p).ok_or(corrupt("zipmap free"))? as usize;
        p += 1;
        let val = z
            .get(p..p.saturating_add(vlen))
            .ok_or(corrupt("zipmap value"))?;
        p += vlen + free;
        out.push((key.to_vec(), val.to_vec()));
    }
    if p + 1 != z.len() {
        return Err(corrupt("zipmap size"));
    }
    // The first byte counts the pairs, unless there are 254 or more.
    if z[0] < 254 && usize::from(z[0]) != out.len() {
        return Err(corrupt("zipmap count"));
    }
    Ok(out)
}

/// A sorted-set score as Redis stores it in a listpack: an integer in
/// decimal when the double is one (within ±(2^63-1)/2; so -0 is stored as `0`),
/// else `%.17g`.
pub fn score_text(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf" } else { "inf" }.into();
    }
    // Integral values within ±LLONG_MAX/2 are written as integers (Redis's
    // `double2ll`), which also turns -0 into 0.
    let half = (i64::MAX / 2) as f64;
    if (-half..=half).contains(&d) && d == (d as i64) as f64 {
        return (d as i64).to_string();
    }
    tiering::value::format_g(d, 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_round_trips_every_encoding() {
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"127",
            b"128",
            b"-1",
            b"-4096",
            b"4095",
            b"-4097",
            b"32767",
            b"-32769",
            b"8388607",
            b"-8388609",
            b"2147483647",
            b"2147483648",
            b"-9223372036854775808",
            b"",
            b"abc",
            b"012",
            &mid,
            &big,
        ];
        let lp = listpack(items.iter().copied());
        let back = listpack_entries(&lp).expect("valid");
        let want: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
        assert_eq!(back, want);
        // Redis's bytes for a tiny listpack: [ "a", 5 ].
        assert_eq!(
            listpack([&b"a"[..], b"5"]),
            vec![12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 5, 1, 0xFF]
        );
    }

    #[test]
    fn corrupt_listpacks_are_errors() {
        let lp = listpack([&b"hello"[..], b"1000", b"x"]);
        for cut in 0..lp.len() {
            assert!(listpack_entries(&lp[..cut]).is_err());
        }
        for i in 0..lp.len() {
            for bit in 0..8 {
                let mut bad = lp.clone();
                bad[i] ^= 1 << bit;
                let _ = listpack_entries(&bad);
            }
        }
    }

    #[test]
    fn intsets() {
        assert_eq!(intset_at(&[5], 8)[0], 8);
        assert_eq!(intset_values(&intset_at(&[5, -3], 4)), Ok(vec![-3, 5]));
        let b = intset(&[5, -3, 5, 100]);
        assert_eq!(&b[..8], &[2, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(intset_values(&b), Ok(vec![-3, 5, 100]));
        assert_eq!(intset(&[1 << 20])[0], 4);
        assert_eq!(intset(&[1 << 40])[0], 8);
        let mut bad = b.clone();
        bad.swap(8, 10);
        bad.swap(9, 11);
        assert!(intset_values(&bad).is_err());
        assert!(intset_values(&b[..9]).is_err());
    }

    #[test]
    fn ziplists() {
        // zlbytes, zltail, zllen; "ab" (prevlen 0), 7 (immediate), end.
        let z = vec![
            17, 0, 0, 0, 14, 0, 0, 0, 2, 0, 0, 0x02, b'a', b'b', 4, 0xF8, 0xFF,
        ];
        assert_eq!(ziplist_entries(&z), Ok(vec![b"ab".to_vec(), b"7".to_vec()]));
        for cut in 0..z.len() {
            assert!(ziplist_entries(&z[..cut]).is_err());
        }
        // A tail offset that is not the last entry's (found by the RESTORE
        // corruption test: accepted here, refused by Redis).
        for tail in [0u32, 10, 13, 15, 16, 17, 0x4000_000e] {
            let mut bad = z.clone();
            bad[4..8].copy_from_slice(&tail.to_le_bytes());
            let want = if tail > 16 {
                "ziplist size"
            } else {
                "ziplist tail offset"
            };
            assert_eq!(ziplist_entries(&bad), Err(Error::Corrupt(want)), "{tail}");
        }
        let empty = [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF];
        assert_eq!(ziplist_entries(&empty), Ok(vec![]));
    }

    #[test]
    fn zipmaps() {
        let z = vec![1, 1, b'f', 2, 0, b'v', b'1', 0xFF];
        assert_eq!(zipmap_pairs(&z), Ok(vec![(b"f".to_vec(), b"v1".to_vec())]));
        assert!(zipmap_pairs(&z[..6]).is_err());
        // A pair count that disagrees (found by the RESTORE corruption
        // test); 254 means "count them".
        let mut bad = z.clone();
        bad[0] = 0x83;
        assert_eq!(zipmap_pairs(&bad), Err(Error::Corrupt("zipmap count")));
        bad[0] = 254;
        assert!(zipmap_pairs(&bad).is_ok());
    }

    #[test]
    fn scores_as_redis_writes_them() {
        assert_eq!(score_text(1.0), "1");
        assert_eq!(score_text(-0.0), "0");
        assert_eq!(score_text(1.5), "1.5");
        assert_eq!(score_text(0.1), "0.10000000000000001");
        assert_eq!(score_text(1e20), "1e+20");
        assert_eq!(score_text(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(score_text(f64::INFINITY), "inf");
        assert_eq!(score_text(4503599627370496.0), "4503599627370496");
        assert_eq!(score_text(1.2345678901234568e17), "123456789012345680");
        assert_eq!(score_text(4.7e18), "4.7e+18");
    }
}
