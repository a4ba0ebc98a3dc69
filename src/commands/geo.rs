//! GEO commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
//! GEOSEARCHSTORE and the legacy GEORADIUS family.
//!
//! A geo index is an ordinary sorted set whose scores are 52-bit geohashes
//! (see `tiering::geo`), so every sorted-set command works on it and the
//! scores equal Redis's. A search visits the cells Redis visits in the same
//! order, which makes even unsorted results come out in Redis's order.

use bytes::Bytes;

use super::access::read;
use super::zset::parse_score;
use super::zset_range::store;
use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::geo::{self, Search, Shape};
use tiering::zset::ZSetValue;

const GEO: u32 = C_GEO;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "geoadd",
        arity: -5,
        flags: WRITE | DENYOOM,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_UPDATE, 1, 0, 1)],
        group: "geo",
        since: "3.2.0",
        summary: "Adds points (longitude, latitude, name) to a geo index, a sorted set created if needed.",
        complexity: "O(log(N)) per point added, N being the size of the index.",
        handler: Some(geoadd),
        ..BASE
    },
    CommandDef {
        name: "geodist",
        arity: -4,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "3.2.0",
        summary: "The distance between two points of a geo index, in a chosen unit.",
        complexity: "O(1)",
        handler: Some(geodist),
        ..BASE
    },
    CommandDef {
        name: "geohash",
        arity: -2,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "3.2.0",
        summary: "Standard 11-character geohash strings of points of a geo index.",
        complexity: "O(1) per point.",
        handler: Some(geohash),
        ..BASE
    },
    CommandDef {
        name: "geopos",
        arity: -2,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "3.2.0",
        summary: "Longitude and latitude of points of a geo index.",
        complexity: "O(1) per point.",
        handler: Some(geopos),
        ..BASE
    },
    CommandDef {
        name: "georadius",
        arity: -6,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[
            ks(KS_RO | KS_ACCESS, 1, 0, 1),
            kw(KS_OW | KS_UPDATE, "STORE", 6),
            kw(KS_OW | KS_UPDATE, "STOREDIST", 6),
        ],
        group: "geo",
        since: "3.2.0",
        summary: "Points of a geo index within a radius of a position, optionally stored (superseded by GEOSEARCH).",
        complexity: "O(N+log(M)), N points in the cells around the circle, M the size of the index.",
        handler: Some(georadius),
        ..BASE
    },
    CommandDef {
        name: "georadius_ro",
        arity: -6,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "3.2.10",
        summary: "Points of a geo index within a radius of a position (read-only; superseded by GEOSEARCH).",
        complexity: "O(N+log(M)), N points in the cells around the circle, M the size of the index.",
        handler: Some(georadius_ro),
        ..BASE
    },
    CommandDef {
        name: "georadiusbymember",
        arity: -5,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[
            ks(KS_RO | KS_ACCESS, 1, 0, 1),
            kw(KS_OW | KS_UPDATE, "STORE", 5),
            kw(KS_OW | KS_UPDATE, "STOREDIST", 5),
        ],
        group: "geo",
        since: "3.2.0",
        summary: "Points of a geo index within a radius of one of its members, optionally stored (superseded by GEOSEARCH).",
        complexity: "O(N+log(M)), N points in the cells around the circle, M the size of the index.",
        handler: Some(georadiusbymember),
        ..BASE
    },
    CommandDef {
        name: "georadiusbymember_ro",
        arity: -5,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "3.2.10",
        summary: "Points of a geo index within a radius of one of its members (read-only; superseded by GEOSEARCH).",
        complexity: "O(N+log(M)), N points in the cells around the circle, M the size of the index.",
        handler: Some(georadiusbymember_ro),
        ..BASE
    },
    CommandDef {
        name: "geosearch",
        arity: -7,
        flags: READONLY,
        acl: GEO,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "geo",
        since: "6.2.0",
        summary: "Points of a geo index inside a circle or a box around a member or a position.",
        complexity: "O(N+log(M)), N points in the cells around the shape, M the size of the index.",
        handler: Some(geosearch),
        ..BASE
    },
    CommandDef {
        name: "geosearchstore",
        arity: -8,
        flags: WRITE | DENYOOM,
        acl: GEO,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[
            ks(KS_OW | KS_UPDATE, 1, 0, 1),
            ks(KS_RO | KS_ACCESS, 2, 0, 1),
        ],
        group: "geo",
        since: "6.2.0",
        summary: "Stores the points of a geo index inside a circle or a box as a sorted set (geohashes or distances).",
        complexity: "O(N+log(M)), N points in the cells around the shape, M the size of the index.",
        handler: Some(geosearchstore),
        ..BASE
    },
];

/// A key spec for the key that follows `keyword`, searched from `start`.
const fn kw(flags: u32, keyword: &'static str, start: i32) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Keyword { keyword, start },
        find: Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
    }
}

const BAD_MEMBER: &str = "ERR could not decode requested zset member";

/// A float argument, with Redis's generic or a command-specific error.
fn float(a: &[u8], msg: Option<&'static str>) -> Result<f64, CmdError> {
    parse_score(a).ok_or(match msg {
        Some(m) => CmdError::msg(m),
        None => CmdError::NOT_FLOAT,
    })
}

/// A longitude/latitude pair, range-checked.
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let x = float(lon, None)?;
    let y = float(lat, None)?;
    if !(geo::LONG_MIN..=geo::LONG_MAX).contains(&x) || !(geo::LAT_MIN..=geo::LAT_MAX).contains(&y)
    {
        return Err(CmdError::msg(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok((x, y))
}

/// Metres per unit.
fn unit(a: &[u8]) -> Result<f64, CmdError> {
    match a.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CmdError::msg(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A radius and its unit: (radius, metres per unit).
fn radius(r: &[u8], u: &[u8]) -> Result<(f64, f64), CmdError> {
    let d = float(r, Some("ERR need numeric radius"))?;
    if d < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((d, unit(u)?))
}

/// A box and its unit: (width, height, metres per unit).
fn box_size(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let w = float(w, Some("ERR need numeric width"))?;
    let h = float(h, Some("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::msg("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(u)?))
}

/// A coordinate as Redis prints it: bulk string in RESP2, double in RESP3,
/// the same text (`%.17Lf`, trailing zeros removed) in both.
fn reply_coord(ctx: &mut Ctx, d: f64) {
    let s = geo::human(d);
    if ctx.out.is_resp3() {
        ctx.out.raw(format!(",{s}\r\n").as_bytes());
    } else {
        ctx.out.bulk_str(&s);
    }
}

/// A distance: `%.4f` as a bulk string in both protocols.
fn reply_dist(ctx: &mut Ctx, d: f64) {
    ctx.out.bulk_str(&format!("{d:.4}"));
}

fn geoadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut nx, mut xx) = (false, false);
    let mut i = 2;
    while i < args.len() {
        match args[i].to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        i += 1;
    }
    if (args.len() - i) % 3 != 0 || (nx && xx) {
        return Err(CmdError::SYNTAX);
    }
    // GEOADD is ZADD with the coordinates turned into scores.
    let mut zargs: Vec<Bytes> = Vec::with_capacity(i + (args.len() - i) / 3 * 2);
    zargs.push(Bytes::from_static(b"zadd"));
    zargs.extend(args[1..i].iter().cloned());
    for t in args[i..].chunks(3) {
        let (x, y) = lon_lat(&t[0], &t[1])?;
        let score = geo::score_of(x, y).expect("coordinates checked");
        zargs.push(Bytes::from(score.to_string()));
        zargs.push(t[2].clone());
    }
    let zadd = TABLE
        .get(b"zadd")
        .and_then(|c| c.handler)
        .expect("ZADD is in the command table");
    zadd(ctx, &zargs)
}

fn geopos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let scores: Vec<Option<f64>> = match read::<ZSetValue>(ctx, &args[1])? {
        Some(z) => args[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => {
                let (x, y) = geo::decode_score(s);
                ctx.out.array(2);
                reply_coord(ctx, x);
                reply_coord(ctx, y);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

fn geohash(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let scores: Vec<Option<f64>> = match read::<ZSetValue>(ctx, &args[1])? {
        Some(z) => args[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.bulk(&geo::hash_string(s)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn geodist(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let to_metres = match args.len() {
        4 => 1.0,
        5 => unit(&args[4])?,
        _ => return Err(CmdError::SYNTAX),
    };
    let pair = match read::<ZSetValue>(ctx, &args[1])? {
        Some(z) => z.score(&args[2]).zip(z.score(&args[3])),
        None => None,
    };
    match pair {
        Some((a, b)) => {
            let (x1, y1) = geo::decode_score(a);
            let (x2, y2) = geo::decode_score(b);
            reply_dist(ctx, geo::distance(x1, y1, x2, y2) / to_metres);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// Which search command is running.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// GEORADIUS / GEORADIUS_RO: centre and radius are positional.
    RadiusCoords { store: bool },
    /// GEORADIUSBYMEMBER(_RO): member and radius are positional.
    RadiusMember { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: everything is an option.
    Search { store: bool },
}

fn georadius(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 1, Kind::RadiusCoords { store: true })
}

fn georadius_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 1, Kind::RadiusCoords { store: false })
}

fn georadiusbymember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 1, Kind::RadiusMember { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 1, Kind::RadiusMember { store: false })
}

fn geosearch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 1, Kind::Search { store: false })
}

fn geosearchstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    search_generic(ctx, args, 2, Kind::Search { store: true })
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One search hit.
struct Hit {
    member: Vec<u8>,
    dist: f64,
    score: f64,
    lon: f64,
    lat: f64,
}

/// The centre of a member, or Redis's error when it is not there.
fn member_centre(z: &ZSetValue, m: &[u8]) -> Result<(f64, f64), CmdError> {
    let s = z.score(m).ok_or(CmdError::msg(BAD_MEMBER))?;
    Ok(geo::decode_score(s))
}

/// Every search command. The checks run in Redis's order: type of the
/// source, positional centre and radius, then the options left to right
/// (each option's own errors as it is met), then the combinations.
fn search_generic(ctx: &mut Ctx, args: &[Bytes], src: usize, kind: Kind) -> CmdResult {
    // The source stays borrowed through parsing and collecting; the hits
    // are owned, so the keyspace is free again for the reply or STORE.
    let zset: Option<&ZSetValue> = read::<ZSetValue>(ctx, &args[src])?.map(|z| &*z);
    let mut centre: Option<(f64, f64)> = None;
    let mut shape: Option<Shape> = None;
    let mut to_metres = 1.0;
    let base;
    let mut storekey: Option<&Bytes> = None;
    match kind {
        Kind::RadiusCoords { .. } => {
            base = 6;
            centre = Some(lon_lat(&args[2], &args[3])?);
            let (r, u) = radius(&args[4], &args[5])?;
            shape = Some(Shape::Radius(r));
            to_metres = u;
        }
        Kind::RadiusMember { .. } => {
            base = 5;
            // Without a source Redis only parses the options, to pick the
            // reply (array or STORE count).
            if let Some(z) = zset {
                centre = Some(member_centre(z, &args[2])?);
                let (r, u) = radius(&args[3], &args[4])?;
                shape = Some(Shape::Radius(r));
                to_metres = u;
            }
        }
        Kind::Search { store } => {
            base = src + 1;
            if store {
                storekey = Some(&args[1]);
            }
        }
    }
    let is_search = matches!(kind, Kind::Search { .. });
    let search_store = kind == Kind::Search { store: true };
    let radius_store = matches!(
        kind,
        Kind::RadiusCoords { store: true } | Kind::RadiusMember { store: true }
    );
    let (mut withdist, mut withhash, mut withcoord) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut storedist = false;
    let mut count: i64 = 0;
    let rest = &args[base.min(args.len())..];
    let mut i = 0;
    while i < rest.len() {
        let left = rest.len() - i - 1;
        let opt = rest[i].to_ascii_lowercase();
        match opt.as_slice() {
            b"withdist" => withdist = true,
            b"withhash" => withhash = true,
            b"withcoord" => withcoord = true,
            b"any" => any = true,
            b"asc" => sort = Sort::Asc,
            b"desc" => sort = Sort::Desc,
            b"count" if left >= 1 => {
                count = crate::exec::arg_i64(&rest[i + 1])?;
                if count <= 0 {
                    return Err(CmdError::msg("ERR COUNT must be > 0"));
                }
                i += 1;
            }
            b"store" | b"storedist" if left >= 1 && radius_store => {
                storekey = Some(&rest[i + 1]);
                storedist = opt == b"storedist";
                i += 1;
            }
            b"storedist" if search_store => storedist = true,
            b"frommember" if left >= 1 && is_search && !fromloc => {
                if let Some(z) = zset {
                    centre = Some(member_centre(z, &rest[i + 1])?);
                }
                frommember = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && is_search && !frommember => {
                centre = Some(lon_lat(&rest[i + 1], &rest[i + 2])?);
                fromloc = true;
                i += 2;
            }
            b"byradius" if left >= 2 && is_search && !bybox => {
                let (r, u) = radius(&rest[i + 1], &rest[i + 2])?;
                shape = Some(Shape::Radius(r));
                to_metres = u;
                byradius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && is_search && !byradius => {
                let (w, h, u) = box_size(&rest[i + 1], &rest[i + 2], &rest[i + 3])?;
                shape = Some(Shape::Box(w, h));
                to_metres = u;
                bybox = true;
                i += 3;
            }
            _ => return Err(CmdError::SYNTAX),
        }
        i += 1;
    }
    let name = String::from_utf8_lossy(&args[0]);
    if storekey.is_some() && (withdist || withhash || withcoord) {
        return Err(CmdError::msg(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if search_store {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    if is_search && !(frommember || fromloc) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if is_search && !(byradius || bybox) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(CmdError::msg(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    let Some(z) = zset else {
        match storekey {
            Some(dst) => {
                let db = ctx.db;
                if ctx.st.ks.delete_any(db, dst).is_some() {
                    ctx.modified(dst);
                    ctx.notify(notify::GENERIC, "del", dst);
                    ctx.dirty(1);
                }
                ctx.out.int(0);
            }
            None => ctx.out.array(0),
        }
        return Ok(());
    };
    let ((lon, lat), shape) = match (centre, shape) {
        (Some(c), Some(s)) => (c, s),
        // With a source, the centre and shape were required above.
        _ => return Err(CmdError::SYNTAX),
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let search = Search {
        lon,
        lat,
        shape,
        to_metres,
    };
    let limit = if any { count as usize } else { 0 };
    let mut hits = collect(z, &search, limit);
    if hits.is_empty() && storekey.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    let returned = if count == 0 {
        hits.len()
    } else {
        hits.len().min(count as usize)
    };
    if sort != Sort::None {
        let cmp = |a: &Hit, b: &Hit| -> i32 {
            let c = if a.dist == b.dist {
                0
            } else if a.dist > b.dist {
                1
            } else {
                -1
            };
            if sort == Sort::Desc {
                -c
            } else {
                c
            }
        };
        if returned == hits.len() {
            // glibc's qsort (a merge sort) keeps ties in visit order, as
            // this stable sort does.
            hits.sort_by(|a, b| cmp(a, b).cmp(&0));
        } else {
            let n = hits.len();
            partial_sort(&mut hits, 0, n, &cmp, 0, returned - 1);
        }
    }
    hits.truncate(returned);
    match storekey {
        None => {
            let extra = usize::from(withdist) + usize::from(withhash) + usize::from(withcoord);
            ctx.out.array(hits.len());
            for h in &hits {
                if extra > 0 {
                    ctx.out.array(extra + 1);
                }
                ctx.out.bulk(&h.member);
                if withdist {
                    reply_dist(ctx, h.dist / to_metres);
                }
                if withhash {
                    ctx.out.int(c_long_long(h.score));
                }
                if withcoord {
                    ctx.out.array(2);
                    reply_coord(ctx, h.lon);
                    reply_coord(ctx, h.lat);
                }
            }
        }
        Some(dst) => {
            let n = hits.len();
            let items: Vec<(Vec<u8>, f64)> = hits
                .into_iter()
                .map(|h| {
                    let s = if storedist {
                        h.dist / to_metres
                    } else {
                        h.score
                    };
                    (h.member, s)
                })
                .collect();
            let event = if ctx.cmd.name == "geosearchstore" {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            // Replies with `n` after the events.
            store(ctx, dst, items, event, false);
            // Redis counts one change per stored member.
            if n > 1 {
                ctx.dirty(n as u64 - 1);
            }
        }
    }
    Ok(())
}

/// The members inside the search shape, cell by cell in Redis's visit
/// order and by score within a cell; with `limit > 0`, stops once that many
/// are found (COUNT ... ANY).
fn collect(z: &ZSetValue, s: &Search, limit: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    for cell in geo::cells(s) {
        if limit > 0 && hits.len() >= limit {
            break;
        }
        let (min, max) = geo::score_range(cell);
        let start = z.count_before(|sc, _| sc < min);
        let end = z.count_before(|sc, _| sc < max);
        z.for_range(start, end, |m, score| {
            if limit > 0 && hits.len() >= limit {
                return;
            }
            let (lon, lat) = geo::decode_score(score);
            if let Some(dist) = geo::distance_if_inside(s, lon, lat) {
                hits.push(Hit {
                    member: m.to_vec(),
                    dist,
                    score,
                    lon,
                    lat,
                });
            }
        });
    }
    hits
}

/// Redis's partial quicksort (Bentley-McIlroy with three-way partitioning,
/// recursing only into parts that overlap ranks `lo..=hi`), reproduced so
/// that hits at equal distances come out in Redis's order when COUNT keeps
/// fewer than all of them. `v[a..a + n]` is sorted as far as needed.
fn partial_sort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &dyn Fn(&T, &T) -> i32,
    lo: usize,
    hi: usize,
) {
    let med3 = |v: &[T], x: usize, y: usize, z: usize| -> usize {
        if cmp(&v[x], &v[y]) < 0 {
            if cmp(&v[y], &v[z]) < 0 {
                y
            } else if cmp(&v[x], &v[z]) < 0 {
                z
            } else {
                x
            }
        } else if cmp(&v[y], &v[z]) > 0 {
            y
        } else if cmp(&v[x], &v[z]) < 0 {
            x
        } else {
            z
        }
    };
    let overlaps = |s: usize, e: usize| !((lo < s && hi < s) || (lo > e && hi > e));
    loop {
        if n < 7 {
            // Insertion sort for small parts.
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(&v[l - 1], &v[l]) > 0 {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        // Pivot: the middle, or a median of three (of medians for n > 40).
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d);
                pm = med3(v, pm - d, pm, pm + d);
                pn = med3(v, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, pl, pm, pn);
        }
        v.swap(a, pm);
        // Partition: elements equal to the pivot gather at both ends
        // (`a+1..pa` and `pd+1..a+n`), then move to the middle.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c > 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c < 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        for i in 0..r {
            v.swap(a + i, pb - r + i);
        }
        let r = (pd - pc).min(pn - pd - 1);
        for i in 0..r {
            v.swap(pb + i, pn - r + i);
        }
        let r = pb - pa;
        if r > 1 && overlaps(a, a + r - 1) {
            partial_sort(v, a, r, cmp, lo, hi);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if overlaps(a, a + n - 1) {
                continue;
            }
        }
        return;
    }
}

/// A double converted as C's `(long long)` on x86-64: out-of-range values
/// (possible only for scores GEOADD never writes) give `i64::MIN`.
fn c_long_long(x: f64) -> i64 {
    let two63 = (1u64 << 63) as f64;
    if (-two63..two63).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}
