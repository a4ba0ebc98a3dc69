//! Unit tests of the sketch code. The expected bytes and counts were
//! produced by redis-server 7.0 with the same commands.

use super::*;

/// `n` elements `e0`, `e1`, ... added one by one, as PFADD does, then
/// counted and cached, as PFCOUNT does.
fn built(n: usize, sparse_max: usize) -> Vec<u8> {
    let mut v = empty();
    {
        let mut ed = Editor::new(&mut v);
        for i in 0..n {
            if ed
                .add(format!("e{i}").as_bytes(), sparse_max)
                .expect("valid")
            {
                invalidate(ed.bytes_mut());
            }
        }
    }
    let card = count(&v).expect("valid");
    store_cached(&mut v, card);
    v
}

#[test]
fn empty_sketch_is_one_xzero() {
    let v = empty();
    assert_eq!(v, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert_eq!(check(&v), Some(Encoding::Sparse));
    assert_eq!(cached(&v), Some(0));
    assert_eq!(count(&v), Ok(0));
    assert_eq!(decode_sparse(&v), "Z:16384");
}

#[test]
fn three_elements_match_redis_bytes() {
    let mut v = empty();
    {
        let mut ed = Editor::new(&mut v);
        for e in ["a", "b", "c"] {
            assert_eq!(ed.add(e.as_bytes(), 3000), Ok(true));
        }
        invalidate(ed.bytes_mut());
    }
    assert_eq!(
        v,
        b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"
    );
    assert_eq!(cached(&v), None);
    assert_eq!(
        decode_sparse(&v),
        "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
    );
    assert_eq!(count(&v), Ok(3));
}

#[test]
fn counts_and_bytes_match_redis() {
    // (elements, PFCOUNT, encoding, length, MurmurHash64A of the bytes
    // with seed 0) after PFADD of e0..e<n-1> and a PFCOUNT.
    let cases = [
        (10, 10, Encoding::Sparse, 48, 0x30da_02e1_3153_94f7),
        (100, 100, Encoding::Sparse, 285, 0x8775_4322_2fca_0567),
        (1000, 1008, Encoding::Sparse, 1906, 0x4c9a_9f74_ec3c_e8ed),
        (2000, 2000, Encoding::Dense, 12304, 0x934d_1dd1_67e7_6afe),
        (5000, 4968, Encoding::Dense, 12304, 0x86d0_6b4d_e473_6ba4),
    ];
    for (n, card, enc, len, fp) in cases {
        let v = built(n, 3000);
        assert_eq!(cached(&v), Some(card), "{n}");
        assert_eq!(check(&v), Some(enc), "{n}");
        assert_eq!(v.len(), len, "{n}");
        assert_eq!(murmur64a(&v, 0), fp, "{n}");
    }
    for (n, card) in [(20_000, 19_901), (100_000, 100_853)] {
        assert_eq!(cached(&built(n, 3000)), Some(card), "{n}");
    }
}

#[test]
fn dense_registers_round_trip() {
    let mut regs = vec![0u8; DENSE_LEN - HEADER_LEN];
    let mut rng = 0x1234_5678_u64;
    let mut want = vec![0u8; REGISTERS];
    for (i, w) in want.iter_mut().enumerate() {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *w = (rng >> 58) as u8;
        dense_put(&mut regs, i, *w);
    }
    for (i, &w) in want.iter().enumerate() {
        assert_eq!(dense_get(&regs, i), w, "register {i}");
    }
    let mut seen = vec![0u8; REGISTERS];
    dense_each(&regs, |i, v| seen[i] = v);
    assert_eq!(seen, want);
}

#[test]
fn sparse_and_dense_agree() {
    let mut s = empty();
    let mut d = empty();
    {
        let mut ed = Editor::new(&mut d);
        ed.to_dense().expect("valid");
    }
    assert_eq!(check(&d), Some(Encoding::Dense));
    for i in 0..1500u32 {
        let e = i.to_le_bytes();
        Editor::new(&mut s).add(&e, usize::MAX).expect("valid");
        Editor::new(&mut d).add(&e, usize::MAX).expect("valid");
        if i % 97 == 0 {
            assert_eq!(count(&s), count(&d));
        }
    }
    assert_eq!(check(&s), Some(Encoding::Sparse));
    let mut a = [0u8; REGISTERS];
    let mut b = [0u8; REGISTERS];
    merge_into(&mut a, &s).expect("valid");
    merge_into(&mut b, &d).expect("valid");
    assert_eq!(a[..], b[..]);
    assert_eq!(count_registers(&a), count(&s).expect("valid"));
    Editor::new(&mut s).to_dense().expect("valid");
    assert_eq!(s[HEADER_LEN..], d[HEADER_LEN..]);
}

#[test]
fn sparse_turns_dense_past_the_limit_or_above_32() {
    let mut v = empty();
    let mut ed = Editor::new(&mut v);
    assert_eq!(ed.raise(100, 32, 3000), Ok(true));
    assert_eq!(ed.encoding(), Encoding::Sparse);
    assert_eq!(ed.raise(100, 32, 3000), Ok(false));
    assert_eq!(ed.raise(200, 33, 3000), Ok(true));
    assert_eq!(ed.encoding(), Encoding::Dense);
    drop(ed);
    let regs = dense_registers(&v);
    assert_eq!((regs[100], regs[200], regs[0]), (32, 33, 0));

    // A limit of 20 bytes allows the 18-byte empty sketch to grow by two.
    let mut v = empty();
    let mut ed = Editor::new(&mut v);
    assert_eq!(ed.raise(1000, 1, 20), Ok(true)); // XZERO VAL XZERO: 21 bytes
    assert_eq!(ed.encoding(), Encoding::Dense);
}

#[test]
fn adjacent_values_merge() {
    let mut v = empty();
    let mut ed = Editor::new(&mut v);
    for i in [10, 12, 11, 13, 14] {
        ed.raise(i, 3, 3000).expect("valid");
    }
    drop(ed);
    assert_eq!(decode_sparse(&v), "z:10 v:3,4 v:3,1 Z:16369");
}

#[test]
fn corrupt_bodies_are_detected() {
    let mut short = empty();
    short.truncate(HEADER_LEN + 1); // half an XZERO: reads 0 past the end
    assert_eq!(count(&short), Err(Corrupt));
    let mut max = [0u8; REGISTERS];
    assert_eq!(merge_into(&mut max, &short), Err(Corrupt));
    // Walking to a register the body does not cover fails (the half
    // XZERO covers 0x3f00 + 1 registers).
    assert_eq!(Editor::new(&mut short).raise(16129, 1, 3000), Err(Corrupt));
    // One it covers is set: the split's last byte falls past the end.
    let mut s2 = short.clone();
    assert_eq!(Editor::new(&mut s2).raise(16128, 1, 3000), Ok(true));
    assert_eq!(&s2[HEADER_LEN..], &[0x7e, 0xff]); // XZERO:16128 (VAL hidden)
    assert_eq!(Editor::new(&mut short).raise(0, 1, 3000), Ok(true));
    assert_eq!(&short[HEADER_LEN..], &[0x80, 0x7e]); // VAL:1 XZERO.. (its second byte hidden)
    let mut empty_body = empty();
    empty_body.truncate(HEADER_LEN);
    assert_eq!(Editor::new(&mut empty_body).raise(0, 1, 3000), Err(Corrupt));
    assert_eq!(Editor::new(&mut empty_body).to_dense(), Err(Corrupt));
    assert_eq!(empty_body.len(), HEADER_LEN);
    // Too many registers.
    let mut long = empty();
    long.push(0x00);
    assert_eq!(count(&long), Err(Corrupt));
}

#[test]
fn estimates_that_do_not_fit_come_out_as_two_to_the_63() {
    // All registers 63: the estimate is infinite; Redis replies i64::MIN.
    let mut v = empty();
    v[4] = 0;
    v.truncate(HEADER_LEN);
    v.resize(DENSE_LEN, 0xff);
    assert_eq!(count(&v), Ok(1 << 63));
    assert_eq!(to_card(f64::INFINITY), 1 << 63);
    assert_eq!(to_card(2.4), 2);
    assert_eq!(to_card(2.5), 3);
}

#[test]
fn header_checks() {
    assert_eq!(check(b"HYLL"), None);
    assert_eq!(check(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"), None);
    assert_eq!(check(b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\0"), None);
    assert_eq!(
        check(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0"),
        Some(Encoding::Sparse)
    );
    assert_eq!(check(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0"), None);
}

#[test]
fn alpha_is_redis_constant() {
    let parsed: f64 = "0.721347520444481703680".parse().expect("float");
    assert_eq!(parsed, 0.721_347_520_444_481_7);
    assert_eq!(parsed, 1.0 / (2.0 * std::f64::consts::LN_2));
}
