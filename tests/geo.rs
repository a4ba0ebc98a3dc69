//! GEO commands against a real redis-server 7.0 on a dataset of about 2000
//! points: a few hundred random searches of every kind, compared reply by
//! reply in RESP2 and RESP3. Unsorted replies list members in the order the
//! search visits cells, and sorted ones with COUNT order ties with Redis's
//! partial quicksort, so both orders are checked here; clusters of
//! identical points make ties common. The random command stream with its
//! error cases is in `differential/geo.rs`.

mod common;
use common::*;

/// A small deterministic generator (the test must replay identically).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() as f64 / (1u64 << 53) as f64)
    }
}

struct Pair {
    _ours: Server,
    _reference: Server,
    conns: Vec<(Conn, Conn)>,
}

impl Pair {
    fn start() -> Option<Pair> {
        let reference = Server::start_reference(&[])?;
        let ours = Server::start(&[]);
        let mut conns = vec![(ours.conn(), reference.conn())];
        let (mut o3, mut r3) = (ours.conn(), reference.conn());
        o3.cmd(&["HELLO", "3"]);
        r3.cmd(&["HELLO", "3"]);
        conns.push((o3, r3));
        Some(Pair {
            _ours: ours,
            _reference: reference,
            conns,
        })
    }

    /// Sends `args` on every protocol; the replies must be identical.
    /// Returns the RESP2 reply.
    fn both(&mut self, args: &[String]) -> Vec<u8> {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut first = Vec::new();
        for (i, (o, r)) in self.conns.iter_mut().enumerate() {
            let (ro, rr) = (o.cmd(&a), r.cmd(&a));
            assert_eq!(
                show(&ro),
                show(&rr),
                "replies differ (RESP{}) for {}",
                i + 2,
                a.join(" ")
            );
            if i == 0 {
                first = ro;
            }
        }
        first
    }
}

fn s(x: impl ToString) -> String {
    x.to_string()
}

/// A point: usually uniform, sometimes at the limits or in a cluster.
fn point(g: &mut Lcg) -> (String, String) {
    match g.below(10) {
        0 => (
            s(["180", "-180", "179.99", "-179.99", "0"][g.below(5) as usize]),
            format!("{:.6}", g.uniform(-85.05112878, 85.05112878)),
        ),
        1 => (
            format!("{:.6}", g.uniform(-180.0, 180.0)),
            s(["85.05112878", "-85.05112878", "84.5", "-84.5", "0"][g.below(5) as usize]),
        ),
        2 => {
            // Clusters of identical points: ties at equal distances.
            let c = g.below(8) as f64;
            (format!("{:.6}", 10.0 + c), format!("{:.6}", 45.0 - c))
        }
        3 => (
            format!("{:.6}", g.uniform(2.0, 3.0)),
            format!("{:.6}", g.uniform(48.5, 49.0)),
        ),
        _ => (
            format!("{:.6}", g.uniform(-180.0, 180.0)),
            format!("{:.6}", g.uniform(-85.05112878, 85.05112878)),
        ),
    }
}

fn unit(g: &mut Lcg) -> String {
    s(["m", "km", "ft", "mi", "KM"][g.below(5) as usize])
}

fn distance(g: &mut Lcg) -> String {
    let d = [
        0.0,
        1.0,
        500.0,
        10_000.0,
        150_000.0,
        1_000_000.0,
        3_000_000.0,
        6_000_000.0,
        12_000_000.0,
        25_000_000.0,
    ][g.below(10) as usize];
    if g.below(2) == 0 {
        s(d)
    } else {
        format!("{:.3}", g.uniform(0.0, 2.0) * d)
    }
}

fn options(g: &mut Lcg, a: &mut Vec<String>) {
    if g.below(2) == 0 {
        a.push(s(["ASC", "DESC"][g.below(2) as usize]));
    }
    if g.below(3) == 0 {
        a.push(s("COUNT"));
        a.push(s([1, 2, 5, 20, 500][g.below(5) as usize]));
        if g.below(3) == 0 {
            a.push(s("ANY"));
        }
    }
    for o in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
        if g.below(3) == 0 {
            a.push(s(o));
        }
    }
}

fn search(g: &mut Lcg, key: &str, members: u64) -> Vec<String> {
    let member = |g: &mut Lcg| format!("m{}", g.below(members));
    let mut a = match g.below(4) {
        0 => {
            let (x, y) = point(g);
            vec![s("GEORADIUS"), s(key), x, y, distance(g), unit(g)]
        }
        1 => vec![
            s("GEORADIUSBYMEMBER_RO"),
            s(key),
            member(g),
            distance(g),
            unit(g),
        ],
        _ => {
            let mut a = vec![s("GEOSEARCH"), s(key)];
            if g.below(2) == 0 {
                a.extend([s("FROMMEMBER"), member(g)]);
            } else {
                let (x, y) = point(g);
                a.extend([s("FROMLONLAT"), x, y]);
            }
            if g.below(2) == 0 {
                a.extend([s("BYRADIUS"), distance(g), unit(g)]);
            } else {
                a.extend([s("BYBOX"), distance(g), distance(g), unit(g)]);
            }
            a
        }
    };
    options(g, &mut a);
    a
}

fn load(p: &mut Pair, g: &mut Lcg, key: &str, n: u64) {
    let mut a = vec![s("GEOADD"), s(key)];
    for i in 0..n {
        let (x, y) = point(g);
        a.extend([x, y, format!("m{i}")]);
        if a.len() > 300 {
            p.both(&a);
            a.truncate(2);
        }
    }
    if a.len() > 2 {
        p.both(&a);
    }
}

#[test]
fn searches_match_redis() {
    let Some(mut p) = Pair::start() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut g = Lcg(0x05ee_d6e0);
    // A large index (the sorted representation) and a small one (listpack).
    load(&mut p, &mut g, "big", 2000);
    load(&mut p, &mut g, "small", 100);
    let mut non_empty = 0;
    for i in 0..400 {
        let key = if i % 4 == 3 { "small" } else { "big" };
        let n = if key == "big" { 2000 } else { 100 };
        let a = search(&mut g, key, n);
        let r = p.both(&a);
        if array_items(&r).is_some_and(|v| v.len() > 1) {
            non_empty += 1;
        }
    }
    // The searches must find things for the comparison to mean anything.
    assert!(non_empty > 150, "only {non_empty} searches found 2+ points");
}

#[test]
fn stores_match_redis() {
    let Some(mut p) = Pair::start() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut g = Lcg(77);
    load(&mut p, &mut g, "big", 2000);
    p.both(&[s("SET"), s("dst"), s("a string")]);
    for i in 0..60 {
        let mut a = search(&mut g, "big", 2000);
        a.retain(|x| !x.starts_with("WITH"));
        let store = if i % 2 == 0 { "STORE" } else { "STOREDIST" };
        if a[0] == "GEOSEARCH" {
            a[0] = s("GEOSEARCHSTORE");
            a.insert(1, s("dst"));
            if store == "STOREDIST" {
                a.push(s("STOREDIST"));
            }
        } else {
            a[0] = s(if a[0] == "GEORADIUS" {
                "GEORADIUS"
            } else {
                "GEORADIUSBYMEMBER"
            });
            a.extend([s(store), s("dst")]);
        }
        p.both(&a);
        p.both(&[s("ZRANGE"), s("dst"), s("0"), s("-1"), s("WITHSCORES")]);
        p.both(&[s("OBJECT"), s("ENCODING"), s("dst")]);
        p.both(&[s("TYPE"), s("dst")]);
    }
}

#[test]
fn point_queries_match_redis() {
    let Some(mut p) = Pair::start() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut g = Lcg(99);
    load(&mut p, &mut g, "big", 500);
    for _ in 0..200 {
        let (a, b) = (format!("m{}", g.below(520)), format!("m{}", g.below(520)));
        p.both(&[s("GEODIST"), s("big"), a.clone(), b.clone(), unit(&mut g)]);
        p.both(&[s("GEOPOS"), s("big"), a.clone(), b.clone()]);
        p.both(&[s("GEOHASH"), s("big"), a, b]);
    }
    p.both(&[s("ZRANGE"), s("big"), s("0"), s("-1"), s("WITHSCORES")]);
}
