//! Random commands for the seeded differential run in `strings.rs`: a
//! few keys, values of every encoding, and arguments biased towards
//! edge cases.

use rand::rngs::StdRng;
use rand::Rng;

const KEYS: &[&str] = &["r0", "r1", "r2", "r3"];
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "12",
    "-5",
    "007",
    "abc",
    "foobar",
    "3.14",
    "1e3",
    "-0",
    "9223372036854775807",
    "-9223372036854775808",
    "hex:ff00ff",
    "hex:00",
    "hex:ffffffffffff",
    "hex:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
    "the quick brown fox jumps over the lazy dog!!",
    "0.1",
    "inf",
];

fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

fn num(rng: &mut StdRng, small: i64) -> String {
    match rng.gen_range(0..10) {
        0 => pick(
            rng,
            &[
                "9223372036854775807",
                "-9223372036854775808",
                "abc",
                "1.5",
                "",
                "+1",
                "01",
                "-0",
            ],
        )
        .to_string(),
        _ => rng.gen_range(-small..=small).to_string(),
    }
}

fn float_arg(rng: &mut StdRng) -> String {
    match rng.gen_range(0..8) {
        0 => pick(
            rng,
            &[
                "inf", "-inf", "nan", "abc", "1e5000", "1e-5000", "0x1p-2", " 1",
            ],
        )
        .into(),
        1 => format!("{}e{}", rng.gen_range(-99..99), rng.gen_range(-30..30)),
        2 => rng.gen_range(-1000..1000).to_string(),
        _ => format!(
            "{}.{}",
            rng.gen_range(-100..100),
            rng.gen_range(0..100_000_000u64)
        ),
    }
}

fn bf_type(rng: &mut StdRng) -> String {
    match rng.gen_range(0..12) {
        0 => pick(rng, &["u64", "i65", "i0", "x8", "U8"]).into(),
        1..=5 => format!("i{}", rng.gen_range(1..=64)),
        _ => format!("u{}", rng.gen_range(1..=63)),
    }
}

pub fn random_command(rng: &mut StdRng) -> Vec<String> {
    let k = pick(rng, KEYS).to_string();
    let k2 = pick(rng, KEYS).to_string();
    let v = pick(rng, VALUES).to_string();
    let s = |x: &str| x.to_string();
    let unit = |rng: &mut StdRng| pick(rng, &["BIT", "BYTE", "bit", "foo"]).to_string();
    match rng.gen_range(0..30) {
        0 => vec![s("GET"), k],
        1 => {
            let mut c = vec![s("SET"), k, v];
            for _ in 0..rng.gen_range(0..3) {
                match rng.gen_range(0..7) {
                    0 => c.push(s("NX")),
                    1 => c.push(s("XX")),
                    2 => c.push(s("GET")),
                    3 => c.push(s("KEEPTTL")),
                    4 => c.extend([s("EX"), s("1000")]),
                    5 => c.extend([s("PXAT"), s("1")]),
                    _ => c.extend([s("PX"), s(pick(rng, &["0", "-1", "abc", "100000"]))]),
                }
            }
            c
        }
        2 => vec![s("APPEND"), k, v],
        3 => vec![s("STRLEN"), k],
        4 => vec![s("SETRANGE"), k, num(rng, 40), v],
        5 => vec![
            s(pick(rng, &["GETRANGE", "SUBSTR"])),
            k,
            num(rng, 60),
            num(rng, 60),
        ],
        6 => vec![s(pick(rng, &["INCR", "DECR"])), k],
        7 => vec![s(pick(rng, &["INCRBY", "DECRBY"])), k, num(rng, 1000)],
        8 => vec![s("INCRBYFLOAT"), k, float_arg(rng)],
        9 => vec![
            s("SETBIT"),
            k,
            num(rng, 200),
            s(pick(rng, &["0", "1", "1", "2"])),
        ],
        10 => vec![s("GETBIT"), k, num(rng, 400)],
        11 => {
            let mut c = vec![s("BITCOUNT"), k];
            match rng.gen_range(0..4) {
                0 => {}
                1 => c.extend([num(rng, 60), num(rng, 60)]),
                2 => c.extend([num(rng, 300), num(rng, 300), unit(rng)]),
                _ => c.push(num(rng, 5)),
            }
            c
        }
        12 | 13 => {
            let mut c = vec![s("BITPOS"), k, s(pick(rng, &["0", "1", "1", "0", "2"]))];
            match rng.gen_range(0..5) {
                0 => {}
                1 => c.push(num(rng, 30)),
                2 => c.extend([num(rng, 30), num(rng, 30)]),
                _ => c.extend([num(rng, 300), num(rng, 300), unit(rng)]),
            }
            c
        }
        14 => {
            let op = pick(rng, &["AND", "OR", "XOR", "NOT", "or", "foo"]);
            let mut c = vec![s("BITOP"), s(op), k];
            for _ in 0..rng.gen_range(1..4) {
                c.push(pick(rng, KEYS).to_string());
            }
            c
        }
        15 | 16 => {
            let ro = rng.gen_range(0..4) == 0;
            let mut c = vec![s(if ro { "BITFIELD_RO" } else { "BITFIELD" }), k];
            for _ in 0..rng.gen_range(0..4) {
                match rng.gen_range(0..6) {
                    0 => c.extend([
                        s("OVERFLOW"),
                        s(pick(rng, &["WRAP", "SAT", "FAIL", "fail", "x"])),
                    ]),
                    1 | 2 => {
                        let off = if rng.gen_range(0..3) == 0 {
                            format!("#{}", rng.gen_range(0..10))
                        } else {
                            num(rng, 120)
                        };
                        c.extend([s("GET"), bf_type(rng), off]);
                    }
                    3 => c.extend([s("SET"), bf_type(rng), num(rng, 120), num(rng, 300)]),
                    _ => c.extend([s("INCRBY"), bf_type(rng), num(rng, 120), num(rng, 300)]),
                }
            }
            c
        }
        17 => vec![s("MGET"), k, k2, s("r9")],
        18 => vec![s("MSET"), k, v, k2, pick(rng, VALUES).to_string()],
        19 => vec![s("MSETNX"), k, v, k2, pick(rng, VALUES).to_string()],
        20 => vec![s("GETSET"), k, v],
        21 => vec![s("GETDEL"), k],
        22 => {
            let mut c = vec![s("GETEX"), k];
            match rng.gen_range(0..5) {
                0 => c.push(s("PERSIST")),
                1 => c.extend([s("EX"), num(rng, 1000)]),
                2 => c.extend([s("EXAT"), s("1")]),
                3 => c.push(s("KEEPTTL")),
                _ => {}
            }
            c
        }
        23 => vec![s("SETNX"), k, v],
        24 => {
            let mut c = vec![s("LCS"), k, k2];
            for _ in 0..rng.gen_range(0..3) {
                match rng.gen_range(0..5) {
                    0 => c.push(s("LEN")),
                    1 => c.push(s("IDX")),
                    2 => c.push(s("WITHMATCHLEN")),
                    3 => c.extend([s("MINMATCHLEN"), num(rng, 4)]),
                    _ => c.push(s("IDX")),
                }
            }
            c
        }
        25 => vec![s("SETEX"), k, num(rng, 1000), v],
        26 => vec![s("#ENC"), k],
        27 => vec![s("DEL"), k],
        _ => vec![s("GET"), k],
    }
}
