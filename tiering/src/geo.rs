//! Geohash maths for the GEO commands, bit-compatible with Redis.
//!
//! A GEO member is an ordinary sorted-set member whose score is a 52-bit
//! interleaved geohash: 26 bits of longitude (range -180..180) and 26 bits
//! of latitude (range -85.05112878..85.05112878, the Web Mercator limits),
//! longitude bits in the odd positions, latitude bits in the even ones.
//! Clients read these scores back with ZSCORE and tools such as RDB
//! readers compare them, so encoding must give exactly Redis's integers
//! and decoding exactly Redis's doubles (the cell centre, clamped).
//!
//! A search does not scan the whole set. It picks a geohash precision
//! ("step") whose cells are about as large as the radius, takes the cell
//! holding the centre plus its 8 neighbours, drops neighbours the bounding
//! box of the shape cannot reach, and scans each cell's contiguous score
//! range `[cell << shift, (cell + 1) << shift)`. Results are returned in
//! visit order when no sort is asked for, so the cells, the order of the
//! cells and the order of members within a cell all follow Redis.
//!
//! Distances use the haversine formula on a sphere of Redis's radius; the
//! trigonometric functions are the platform libm's, as Redis's are.

/// Highest precision: 26 bits per coordinate, 52 in all.
pub const STEP_MAX: u8 = 26;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Redis's earth radius in metres (the one its distances assume).
pub const EARTH_RADIUS: f64 = 6372797.560856;
/// Half the equator's length in Web Mercator metres: the size of a step-1
/// cell, from which the step for a radius is estimated.
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A geohash of `step` bits per coordinate. `step == 0 && bits == 0` is the
/// "no cell" marker used for excluded neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    const ZERO: Hash = Hash { bits: 0, step: 0 };

    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash shifted to 52 bits: the score of its lowest point.
    pub fn align52(&self) -> u64 {
        self.bits << (52 - 2 * u32::from(self.step))
    }
}

/// A coordinate interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The area of one cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

const MERC_LON: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const MERC_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
/// The ordinary geohash ranges, used for the GEOHASH strings.
const STD_LAT: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// Spreads the 32 bits of `v` to the even bit positions of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bit positions of `x` into 32 bits.
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Encodes a point at `step` bits per coordinate within the given ranges;
/// `None` when the point lies outside them.
pub fn encode_in(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if !(1..=32).contains(&step) {
        return None;
    }
    // Outside the Mercator limits there is no cell (the callers validate
    // first, so this only guards the arithmetic).
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    // A C cast of the offset to a 32-bit unsigned integer: truncation.
    let bits = spread(lat_off as u32) | (spread(lon_off as u32) << 1);
    Some(Hash { bits, step })
}

/// Encodes a point in Redis's (Mercator) ranges.
pub fn encode(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode_in(MERC_LON, MERC_LAT, lon, lat, step)
}

/// The 52-bit score of a point (already checked to be in range).
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(lon, lat, STEP_MAX).map(|h| h.align52())
}

/// The cell a hash stands for.
pub fn decode_in(lon_r: Range, lat_r: Range, h: Hash) -> Area {
    let lat_i = squash(h.bits);
    let lon_i = squash(h.bits >> 1);
    let scale = (1u64 << h.step) as f64;
    let lat_s = lat_r.max - lat_r.min;
    let lon_s = lon_r.max - lon_r.min;
    Area {
        lat: Range {
            min: lat_r.min + (f64::from(lat_i) / scale) * lat_s,
            max: lat_r.min + ((f64::from(lat_i) + 1.0) / scale) * lat_s,
        },
        lon: Range {
            min: lon_r.min + (f64::from(lon_i) / scale) * lon_s,
            max: lon_r.min + ((f64::from(lon_i) + 1.0) / scale) * lon_s,
        },
    }
}

/// The cell's centre, clamped to the valid coordinates.
fn centre(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// A sorted-set score as the unsigned integer a C cast gives on x86-64
/// (scores of sets not written by GEOADD decode to something, as in
/// Redis, rather than failing).
pub fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if score.is_nan() {
        return 1 << 63;
    }
    if score < TWO63 {
        // Saturates at i64::MIN, the "indefinite" value of the hardware.
        score as i64 as u64
    } else {
        let rest = score - TWO63;
        if rest < TWO63 {
            (rest as i64 as u64) ^ (1 << 63)
        } else {
            0
        }
    }
}

/// The longitude and latitude of a member's score.
pub fn decode_score(score: f64) -> (f64, f64) {
    let h = Hash {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    centre(&decode_in(MERC_LON, MERC_LAT, h))
}

/// The 11-character standard geohash of a member's score (what GEOHASH
/// answers): the decoded point re-encoded with latitude range -90..90.
pub fn hash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode_in(MERC_LON, STD_LAT, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [0u8; 11];
    for (i, c) in out.iter_mut().enumerate() {
        // 52 bits fill 10 characters and 2 bits; the 11th is always '0'.
        let idx = if i == 10 {
            0
        } else {
            (bits >> (52 - (i + 1) * 5)) & 0x1f
        };
        *c = ALPHABET[idx as usize];
    }
    out
}

/// Moves a hash one cell east (`d > 0`) or west along longitude, wrapping.
fn move_x(h: &mut Hash, d: i8) {
    let shift = 64 - 2 * u32::from(h.step);
    let x = h.bits & 0xAAAA_AAAA_AAAA_AAAA;
    let y = h.bits & 0x5555_5555_5555_5555;
    // Filling the other coordinate's bits with ones makes the carry (or
    // borrow) run across them.
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if d > 0 {
        x.wrapping_add(zz + 1)
    } else {
        (x | zz).wrapping_sub(zz + 1)
    };
    h.bits = (x & (0xAAAA_AAAA_AAAA_AAAAu64 >> shift)) | y;
}

/// Moves a hash one cell north (`d > 0`) or south along latitude.
fn move_y(h: &mut Hash, d: i8) {
    let shift = 64 - 2 * u32::from(h.step);
    let x = h.bits & 0xAAAA_AAAA_AAAA_AAAA;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xAAAA_AAAA_AAAA_AAAAu64 >> shift;
    let y = if d > 0 {
        y.wrapping_add(zz + 1)
    } else {
        (y | zz).wrapping_sub(zz + 1)
    };
    h.bits = x | (y & (0x5555_5555_5555_5555u64 >> shift));
}

fn moved(h: Hash, dx: i8, dy: i8) -> Hash {
    let mut n = h;
    if dx != 0 {
        move_x(&mut n, dx);
    }
    if dy != 0 {
        move_y(&mut n, dy);
    }
    n
}

/// The 8 neighbours of a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Neighbours {
    north: Hash,
    south: Hash,
    east: Hash,
    west: Hash,
    north_east: Hash,
    north_west: Hash,
    south_east: Hash,
    south_west: Hash,
}

fn neighbours(h: Hash) -> Neighbours {
    Neighbours {
        east: moved(h, 1, 0),
        west: moved(h, -1, 0),
        south: moved(h, 0, -1),
        north: moved(h, 0, 1),
        north_west: moved(h, -1, 1),
        south_west: moved(h, -1, -1),
        north_east: moved(h, 1, 1),
        south_east: moved(h, 1, -1),
    }
}

/// The shape of a search, in metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Radius(f64),
    /// Width and height.
    Box(f64, f64),
}

/// A search: centre, shape in the request's unit, and that unit in metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    pub lon: f64,
    pub lat: f64,
    pub shape: Shape,
    pub to_metres: f64,
}

fn deg_rad(d: f64) -> f64 {
    d * D_R
}

fn rad_deg(r: f64) -> f64 {
    r / D_R
}

/// The step whose cells roughly cover `radius` metres at latitude `lat`.
pub fn steps_for_radius(radius: f64, lat: f64) -> u8 {
    if radius == 0.0 {
        return STEP_MAX;
    }
    let mut r = radius;
    let mut step: i32 = 1;
    while r < MERCATOR_MAX {
        r *= 2.0;
        step += 1;
    }
    // Two steps coarser, so the radius fits in most cases.
    step -= 2;
    // Meridians converge towards the poles: coarser cells there.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// The longitude/latitude bounding box of a search:
/// `[min_lon, min_lat, max_lon, max_lat]`.
pub fn bounding_box(s: &Search) -> [f64; 4] {
    let (height, width) = match s.shape {
        Shape::Radius(r) => (r * s.to_metres, r * s.to_metres),
        Shape::Box(w, h) => (h / 2.0 * s.to_metres, w / 2.0 * s.to_metres),
    };
    let lat_delta = rad_deg(height / EARTH_RADIUS);
    let lon_top = rad_deg(width / EARTH_RADIUS / deg_rad(s.lat + lat_delta).cos());
    let lon_bottom = rad_deg(width / EARTH_RADIUS / deg_rad(s.lat - lat_delta).cos());
    // The widest edge is the one nearer the pole.
    let lon_delta = if s.lat < 0.0 { lon_bottom } else { lon_top };
    [
        s.lon - lon_delta,
        s.lat - lat_delta,
        s.lon + lon_delta,
        s.lat + lat_delta,
    ]
}

/// The cells a search visits, in Redis's order (centre, N, S, E, W, NE,
/// NW, SE, SW), after dropping excluded neighbours and any cell equal to
/// the one visited just before it.
///
/// The step comes from the radius (a box uses its half-diagonal); if a
/// direct neighbour does not reach the bounding box's edge the step is made
/// one coarser. At step 2 or more, neighbours beyond an edge of the
/// bounding box that the centre cell already crosses are dropped.
pub fn cells(s: &Search) -> Vec<Hash> {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(s);
    let radius = match s.shape {
        Shape::Radius(r) => r,
        Shape::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * s.to_metres;
    let mut step = steps_for_radius(radius, s.lat);
    let Some(mut hash) = encode(s.lon, s.lat, step) else {
        return Vec::new();
    };
    let mut nb = neighbours(hash);
    let dec = |h: Hash| decode_in(MERC_LON, MERC_LAT, h);
    let decrease = dec(nb.north).lat.max < max_lat
        || dec(nb.south).lat.min > min_lat
        || dec(nb.east).lon.max < max_lon
        || dec(nb.west).lon.min > min_lon;
    if step > 1 && decrease {
        step -= 1;
        match encode(s.lon, s.lat, step) {
            Some(h) => hash = h,
            None => return Vec::new(),
        }
        nb = neighbours(hash);
    }
    let area = dec(hash);
    if step >= 2 {
        if area.lat.min < min_lat {
            nb.south = Hash::ZERO;
            nb.south_west = Hash::ZERO;
            nb.south_east = Hash::ZERO;
        }
        if area.lat.max > max_lat {
            nb.north = Hash::ZERO;
            nb.north_east = Hash::ZERO;
            nb.north_west = Hash::ZERO;
        }
        if area.lon.min < min_lon {
            nb.west = Hash::ZERO;
            nb.south_west = Hash::ZERO;
            nb.north_west = Hash::ZERO;
        }
        if area.lon.max > max_lon {
            nb.east = Hash::ZERO;
            nb.south_east = Hash::ZERO;
            nb.north_east = Hash::ZERO;
        }
    }
    let all = [
        hash,
        nb.north,
        nb.south,
        nb.east,
        nb.west,
        nb.north_east,
        nb.north_west,
        nb.south_east,
        nb.south_west,
    ];
    let mut out = Vec::with_capacity(9);
    // Index of the last visited cell; the centre (index 0) is never
    // compared against, exactly as in Redis.
    let mut last = 0usize;
    for (i, h) in all.iter().enumerate() {
        if h.is_zero() {
            continue;
        }
        if last != 0 && *h == all[last] {
            continue;
        }
        out.push(*h);
        last = i;
    }
    out
}

/// The score range `[min, max)` of a cell.
pub fn score_range(h: Hash) -> (f64, f64) {
    let min = h.align52();
    let max = Hash {
        bits: h.bits + 1,
        step: h.step,
    }
    .align52();
    (min as f64, max as f64)
}

/// Distance along a meridian, in metres.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Great-circle (haversine) distance in metres.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Same meridian: the cheaper formula (Redis takes it too, and its
    // result differs in the last bits).
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

/// The distance from the search centre to a point, if the point lies in
/// the shape.
pub fn distance_if_inside(s: &Search, lon: f64, lat: f64) -> Option<f64> {
    match s.shape {
        Shape::Radius(r) => {
            let d = distance(s.lon, s.lat, lon, lat);
            (d <= r * s.to_metres).then_some(d)
        }
        Shape::Box(w, h) => {
            let (w, h) = (w * s.to_metres, h * s.to_metres);
            if lat_distance(lat, s.lat) > h / 2.0 {
                return None;
            }
            if distance(lon, lat, s.lon, lat) > w / 2.0 {
                return None;
            }
            Some(distance(s.lon, s.lat, lon, lat))
        }
    }
}

/// Formats like C's `%.17Lf` of the value, with trailing zeros (and a bare
/// point) removed: how Redis prints coordinates.
pub fn human(d: f64) -> String {
    let mut s = format!("{d:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values come from redis-server 7.0.15.

    #[test]
    fn scores_match_redis() {
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(-180.0, -85.05112878), Some(0));
        // The upper limits overflow into bits 52 and 53, as in Redis.
        assert_eq!(score_of(180.0, 85.05112878), Some(13510798882111488));
        assert_eq!(score_of(0.0, 0.0), Some(3377699720527872));
        assert_eq!(score_of(180.1, 0.0), None);
    }

    #[test]
    fn positions_match_redis() {
        let (lon, lat) = decode_score(3479099956230698.0);
        assert_eq!(human(lon), "13.36138933897018433");
        assert_eq!(human(lat), "38.11555639549629859");
        let (lon, lat) = decode_score(0.0);
        assert_eq!(human(lon), "-179.99999731779098511");
        assert_eq!(human(lat), "-85.05112751263942528");
        let (lon, lat) = decode_score(13510798882111488.0);
        assert_eq!(human(lon), "180");
        assert_eq!(human(lat), "85.0511287799999991");
        let (lon, lat) = decode_score(3377699720527872.0);
        assert_eq!(human(lon), "0.00000268220901489");
        assert_eq!(human(lat), "0.00000126736058093");
    }

    #[test]
    fn distances_and_hashes_match_redis() {
        let (a, b) = (
            decode_score(3479099956230698.0),
            decode_score(3479447370796909.0),
        );
        assert_eq!(
            format!("{:.4}", distance(a.0, a.1, b.0, b.1)),
            "166274.1516"
        );
        assert_eq!(&hash_string(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&hash_string(3479447370796909.0), b"sqdtr74hyu0");
        assert_eq!(&hash_string(3377699720527872.0), b"s0000000000");
    }

    #[test]
    fn steps() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert_eq!(steps_for_radius(200_000.0, 0.0), 6);
        assert_eq!(steps_for_radius(200_000.0, 70.0), 5);
        assert_eq!(steps_for_radius(200_000.0, -85.0), 4);
        assert_eq!(steps_for_radius(1e12, 0.0), 1);
    }

    #[test]
    fn neighbours_wrap() {
        let h = encode(179.9, 0.0, 4).expect("in range");
        let e = neighbours(h).east;
        let a = decode_in(MERC_LON, MERC_LAT, e);
        assert_eq!(a.lon.min, -180.0);
        let w = neighbours(e).west;
        assert_eq!(w, h);
    }

    #[test]
    fn score_casts() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(1e30), 0);
        assert_eq!(score_bits(1.5), 1);
    }

    #[test]
    fn human_format() {
        assert_eq!(human(0.0), "0");
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(1.5), "1.5");
        assert_eq!(human(-2.0), "-2");
    }
}
