//! GEO commands. Deterministic: searches visit cells in a fixed order and
//! ties at equal distances are ordered by the same algorithms on both
//! sides, so no normalisation is needed.
//!
//! Points cluster near the limits (poles at ±85.05112878, the
//! antimeridian, the equator and Greenwich) and a few cities, so searches
//! of every size find something; out-of-range and junk coordinates test
//! the errors. Radii go from 0 to beyond the earth's circumference (where
//! neighbour cells repeat), in every unit and in mixed case. Two keys of
//! the family's own (`geo:a`, `geo:b`) keep indexes alive; the shared pool
//! brings other types (WRONGTYPE, STORE over them) and sorted sets with
//! scores GEOADD never writes (infinities, negatives), which decode as in
//! Redis.

use super::gen::{Args, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("geoadd", 14, geoadd),
        Spec::new("geopos", 4, |g| {
            let mut a = cmd![g.case("geopos"), key(g)];
            for _ in 0..g.below(4) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("geohash", 3, |g| {
            let mut a = cmd![g.case("geohash"), key(g)];
            for _ in 0..g.below(4) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("geodist", 4, |g| {
            let mut a = cmd![g.case("geodist"), key(g), member(g), member(g)];
            if g.chance(70) {
                a.push(unit(g).into_bytes());
            }
            if g.chance(5) {
                a.push(unit(g).into_bytes());
            }
            a
        }),
        Spec::new("georadius", 5, |g| radius_cmd(g, "georadius", true, true)),
        Spec::new("georadius_ro", 3, |g| {
            radius_cmd(g, "georadius_ro", true, false)
        }),
        Spec::new("georadiusbymember", 4, |g| {
            radius_cmd(g, "georadiusbymember", false, true)
        }),
        Spec::new("georadiusbymember_ro", 3, |g| {
            radius_cmd(g, "georadiusbymember_ro", false, false)
        }),
        Spec::new("geosearch", 8, |g| search_cmd(g, false)),
        Spec::new("geosearchstore", 5, |g| search_cmd(g, true)),
        Spec::new("zrange", 2, |g| {
            cmd!["ZRANGE", key(g), "0", "-1", "WITHSCORES"]
        }),
    ]
}

const OWN_KEYS: &[&str] = &["geo:a", "geo:b"];
const MEMBERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "np", "sp", "am", "-am", "zero", "",
];
const LONS: &[&str] = &[
    "0",
    "180",
    "-180",
    "179.9999",
    "-179.9999",
    "13.361389",
    "15.087269",
    "2.3522",
    "-73.9857",
    "139.6917",
    "90",
    "-90",
    "0.000001",
    "-0",
    "180.0000001",
    "-180.5",
    "x",
    "",
    "inf",
    "nan",
    "1e2",
    "0x10",
];
const LATS: &[&str] = &[
    "0",
    "85.05112878",
    "-85.05112878",
    "85",
    "-85",
    "84.9999",
    "-84.9999",
    "38.115556",
    "37.502669",
    "48.8566",
    "40.7484",
    "35.6895",
    "66.5",
    "-66.5",
    "80.1",
    "-80.1",
    "85.05112879",
    "-85.06",
    "90",
    "y",
    "-inf",
];
const RADII: &[&str] = &[
    "0", "1", "10", "100", "1000", "50000", "200000", "1000000", "5000000", "8000000", "20000000",
    "50000000", "-1", "x", "1e30", "0.5", "inf",
];
const UNITS: &[&str] = &["m", "km", "ft", "mi", "M", "KM", "Ft", "mI", "yd", ""];

fn key(g: &mut G) -> Vec<u8> {
    if g.chance(70) {
        g.pick(OWN_KEYS).as_bytes().to_vec()
    } else {
        g.key()
    }
}

fn member(g: &mut G) -> Vec<u8> {
    if g.chance(30) {
        format!("p{}", g.below(40)).into_bytes()
    } else {
        g.pick(MEMBERS).as_bytes().to_vec()
    }
}

/// A coordinate, usually valid: either from the edge lists or random.
fn lon(g: &mut G) -> String {
    if g.chance(40) {
        format!("{:.6}", g.range(-180_000_000, 180_000_001) as f64 / 1e6)
    } else {
        g.pick(LONS).to_string()
    }
}

fn lat(g: &mut G) -> String {
    if g.chance(40) {
        format!("{:.6}", g.range(-85_051_128, 85_051_129) as f64 / 1e6)
    } else {
        g.pick(LATS).to_string()
    }
}

fn unit(g: &mut G) -> String {
    g.pick(UNITS).to_string()
}

fn radius(g: &mut G) -> String {
    g.pick(RADII).to_string()
}

fn geoadd(g: &mut G) -> Args {
    let mut a = cmd![g.case("geoadd"), key(g)];
    for o in ["nx", "xx", "ch"] {
        if g.chance(10) {
            a.push(g.case(o));
        }
    }
    let n = if g.chance(3) { 60 } else { 1 + g.below(4) };
    for i in 0..n {
        a.push(lon(g).into_bytes());
        a.push(lat(g).into_bytes());
        if n > 4 {
            a.push(format!("p{i}").into_bytes());
        } else {
            a.push(member(g));
        }
    }
    if g.chance(4) {
        a.pop();
    }
    a
}

/// The options shared by every search; `store` adds STORE/STOREDIST.
fn options(g: &mut G, a: &mut Args, store: bool) {
    let n = g.below(5);
    for _ in 0..n {
        match g.below(12) {
            0 => a.push(g.case("withdist")),
            1 => a.push(g.case("withcoord")),
            2 => a.push(g.case("withhash")),
            3 => a.push(g.case("asc")),
            4 => a.push(g.case("desc")),
            5 | 6 => {
                a.push(g.case("count"));
                let c = match g.below(8) {
                    0 => "0".to_string(),
                    1 => "-1".to_string(),
                    2 => "x".to_string(),
                    3 => "9223372036854775807".to_string(),
                    _ => (1 + g.below(6)).to_string(),
                };
                a.push(c.into_bytes());
                if g.chance(40) {
                    a.push(g.case("any"));
                }
            }
            7 => a.push(g.case("any")),
            8 if store => {
                let o = if g.chance(50) { "store" } else { "storedist" };
                a.push(g.case(o));
                a.push(key(g));
            }
            _ => {}
        }
    }
}

fn radius_cmd(g: &mut G, name: &str, coords: bool, store: bool) -> Args {
    let mut a = cmd![g.case(name), key(g)];
    if coords {
        a.push(lon(g).into_bytes());
        a.push(lat(g).into_bytes());
    } else {
        a.push(member(g));
    }
    a.push(radius(g).into_bytes());
    a.push(unit(g).into_bytes());
    // The read-only ones get STORE now and then (a syntax error there).
    let store = store || g.chance(5);
    options(g, &mut a, store);
    a
}

fn search_cmd(g: &mut G, store: bool) -> Args {
    let mut a = if store {
        cmd![g.case("geosearchstore"), key(g), key(g)]
    } else {
        cmd![g.case("geosearch"), key(g)]
    };
    let from = |g: &mut G, a: &mut Args| {
        if g.chance(50) {
            a.push(g.case("frommember"));
            a.push(member(g));
        } else {
            a.push(g.case("fromlonlat"));
            a.push(lon(g).into_bytes());
            a.push(lat(g).into_bytes());
        }
    };
    let by = |g: &mut G, a: &mut Args| {
        if g.chance(50) {
            a.push(g.case("byradius"));
            a.push(radius(g).into_bytes());
        } else {
            a.push(g.case("bybox"));
            a.push(radius(g).into_bytes());
            a.push(radius(g).into_bytes());
        }
        a.push(unit(g).into_bytes());
    };
    match g.below(12) {
        0 => by(g, &mut a),
        1 => from(g, &mut a),
        2 => {
            from(g, &mut a);
            from(g, &mut a);
            by(g, &mut a);
        }
        3 => {
            by(g, &mut a);
            from(g, &mut a);
        }
        _ => {
            from(g, &mut a);
            by(g, &mut a);
        }
    }
    options(g, &mut a, false);
    if store && g.chance(30) {
        a.push(g.case("storedist"));
    }
    if !store && g.chance(3) {
        a.push(g.case("storedist"));
    }
    a
}
