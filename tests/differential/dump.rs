//! DUMP and RESTORE. Payloads for RESTORE are built with our RDB writer
//! (valid ones of every type and encoding, and damaged ones: bad checksum,
//! newer version, truncated or unknown bodies, empty collections,
//! duplicates), so both servers must accept and reject the same ones.

use persistence::object::{write_object, Form, Object};
use persistence::rdb::{dump_payload, Writer};

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("dump", 8, |g| cmd![g.case("dump"), g.key()]).norm(Norm::Dump),
        // One generator per type, each enabled once the type's commands
        // exist on both servers.
        Spec::new("restore", 4, |g| restore(g, Kind::Str)).mutate(Mutate::NoReplace),
        Spec::new("restore", 3, |g| restore(g, Kind::List))
            .mutate(Mutate::NoReplace)
            .requires(&["rpush"]),
        Spec::new("restore", 3, |g| restore(g, Kind::Set))
            .mutate(Mutate::NoReplace)
            .requires(&["sadd"]),
        Spec::new("restore", 3, |g| restore(g, Kind::ZSet))
            .mutate(Mutate::NoReplace)
            .requires(&["zadd"]),
        Spec::new("restore", 3, |g| restore(g, Kind::Hash))
            .mutate(Mutate::NoReplace)
            .requires(&["hset"]),
    ]
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    List,
    Set,
    ZSet,
    Hash,
}

fn element(g: &mut G) -> Vec<u8> {
    match g.below(4) {
        0 => g.range(-300, 300).to_string().into_bytes(),
        1 => g
            .pick(&["a", "b", "c", "dd", "", "70000", "-5000000000"])
            .as_bytes()
            .to_vec(),
        2 => {
            let n = g.below(80) as usize;
            vec![b'x'; n]
        }
        _ => g.value(),
    }
}

fn object(g: &mut G, kind: Kind) -> Object {
    let n = g.below(12) as usize + usize::from(g.chance(90));
    let big = if g.chance(10) { 200 } else { 0 };
    let mut elems: Vec<Vec<u8>> = (0..n + big).map(|_| element(g)).collect();
    match kind {
        Kind::Str => Object::Str(element(g)),
        Kind::List => Object::List(elems),
        Kind::Set => {
            if g.chance(5) {
                // Integers around set-max-intset-entries (512): an intset
                // blob over it is converted on load.
                let n = g.pick(&[511u64, 512, 513, 600]) as i64;
                let base = g.range(-1000, 1000);
                return Object::Set(
                    (0..n)
                        .map(|i| (base + i).to_string().into_bytes())
                        .collect(),
                );
            }
            elems.sort();
            if !g.chance(5) {
                elems.dedup();
            }
            Object::Set(elems)
        }
        Kind::ZSet => {
            elems.sort();
            elems.dedup();
            let mut z: Vec<(Vec<u8>, f64)> = elems
                .into_iter()
                .map(|m| {
                    let s = match g.below(6) {
                        0 => f64::INFINITY,
                        1 => -0.5,
                        _ => g.range(-5, 5) as f64,
                    };
                    (m, s)
                })
                .collect();
            z.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Object::ZSet(z)
        }
        Kind::Hash => {
            // Never duplicate fields: Redis 7.0 checks for them only with
            // sanitize-dump-payload on, and without it accepts them and
            // crashes when the hash is converted later.
            elems.sort();
            elems.dedup();
            let pairs = elems.into_iter().map(|f| (f, element(g))).collect();
            Object::Hash(pairs)
        }
    }
}

fn payload(g: &mut G, kind: Kind) -> Vec<u8> {
    let obj = object(g, kind);
    let form = if g.chance(50) {
        Form::Compact
    } else {
        Form::Large
    };
    let mut w = Writer::new(g.chance(70));
    write_object(&mut w, &obj, form, -2);
    let mut body = w.buf;
    match g.below(100) {
        // A body that is cut short, or an unknown type, with a valid footer.
        // Cut short only for strings: redis-server 7.0 reads on into the
        // footer, and a collection blob made of such bytes can pass its
        // shallow checks and crash it later (seen with a list node).
        0..=2 if matches!(kind, Kind::Str) => {
            let keep = 1 + g.below(body.len() as u64) as usize;
            body.truncate(keep.min(body.len()));
            dump_payload(body)
        }
        3 => {
            body[0] = 200;
            dump_payload(body)
        }
        // A damaged footer or a newer version.
        4..=6 => {
            let mut p = dump_payload(body);
            let i = g.below(p.len() as u64) as usize;
            p[i] ^= 0x20;
            p
        }
        7 => {
            let mut p = dump_payload(body);
            let n = p.len();
            p[n - 10] = 11;
            p
        }
        8 => b"garbage".to_vec(),
        _ => dump_payload(body),
    }
}

fn restore(g: &mut G, kind: Kind) -> Args {
    let ttl = match g.below(10) {
        0 => "-1".to_string(),
        1 => g.ttl_ms().to_string(),
        _ => "0".to_string(),
    };
    let mut a = cmd![g.case("restore"), g.key(), ttl, payload(g, kind)];
    if g.chance(50) {
        a.push(g.case("replace"));
    }
    match g.below(8) {
        0 => {
            a.push(g.case("absttl"));
            if a[2] == b"0" && g.chance(50) {
                // An absolute time in the past: restored and gone at once.
                a[2] = b"1000".to_vec();
            }
        }
        1 => {
            a.push(g.case("idletime"));
            a.push(g.pick(&["0", "100", "-1", "x"]).as_bytes().to_vec());
        }
        2 => {
            a.push(g.case("freq"));
            a.push(g.pick(&["0", "255", "256", "-1"]).as_bytes().to_vec());
        }
        3 => {
            a.push(g.case("idletime"));
            a.push(b"5".to_vec());
            a.push(g.case("freq"));
            a.push(b"5".to_vec());
        }
        _ => {}
    }
    a
}
