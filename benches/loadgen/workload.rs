//! What the generator stores under each key and which commands touch it.
//!
//! Every property of key `i` is a pure function of `i` and `--seed`: its
//! value size (`--value-size`), its data type (`--types`, which also names
//! the key: `key:…` for strings, `hash:…`, `list:…`, `set:…`, `zset:…`, so
//! a command never meets WRONGTYPE) and whether it expires (`--ttl`). The
//! load phase, every later write and the dataset size computed for sweeps
//! therefore agree without any shared state.
//!
//! The *logical size* of a key is the size drawn for it: the length of a
//! string value; for a collection, the summed lengths of its hash field
//! values, list elements, set members or sorted-set members (hash field
//! names `f0`, `f1`, … and scores are not counted). A collection of
//! logical size `S` has `n = ceil(S / field_size)` elements whose lengths
//! are `S / n` or one more, so they add up to `S` exactly and each is
//! close to `--field-size`.

use rand::rngs::SmallRng;
use rand::Rng;

/// The splitmix64 finaliser: a bijective 64-bit mix whose outputs for
/// consecutive inputs look independent. Every per-key draw goes through it.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The per-key draws are kept independent of each other by salting.
const SALT_SIZE: u64 = 1;
const SALT_TYPE: u64 = 2;
const SALT_TTL: u64 = 3;

fn draw(seed: u64, salt: u64, i: u64) -> u64 {
    mix(mix(seed.wrapping_mul(8).wrapping_add(salt)) ^ i)
}

/// A byte count: plain bytes or with Redis's units (`kb`/`mb`/`gb`
/// powers of 1024, `k`/`m`/`g` of 1000).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let l = s.trim().to_ascii_lowercase();
    let units = [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1_000),
        ("b", 1),
    ];
    for (u, m) in units {
        if let Some(n) = l.strip_suffix(u) {
            return n.parse::<u64>().ok()?.checked_mul(m);
        }
    }
    l.parse().ok()
}

/// `--value-size`: how the logical size of each key is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeDist {
    Fixed(usize),
    /// Uniform over `min..=max`.
    Uniform(usize, usize),
    /// `(size, weight)`: each size with probability weight / total.
    Hist(Vec<(usize, u64)>),
}

impl SizeDist {
    /// `B`, `uniform:MIN:MAX` or `hist:SIZE:WEIGHT,SIZE:WEIGHT,...`.
    pub fn parse(s: &str) -> Result<SizeDist, String> {
        let size = |x: &str| -> Result<usize, String> {
            match parse_bytes(x) {
                Some(n) if n > 0 => Ok(n as usize),
                _ => Err(format!("--value-size: {x:?} is not a size above zero")),
            }
        };
        if let Some(r) = s.strip_prefix("uniform:") {
            let (a, b) = r
                .split_once(':')
                .ok_or("--value-size uniform:MIN:MAX needs two sizes")?;
            let (a, b) = (size(a)?, size(b)?);
            if a > b {
                return Err(format!("--value-size {s}: MIN is above MAX"));
            }
            return Ok(SizeDist::Uniform(a, b));
        }
        if let Some(r) = s.strip_prefix("hist:") {
            let mut bins = Vec::new();
            for bin in r.split(',') {
                let (sz, w) = bin
                    .split_once(':')
                    .ok_or_else(|| format!("--value-size hist: {bin:?} is not SIZE:WEIGHT"))?;
                let w: u64 = w
                    .trim()
                    .parse()
                    .map_err(|_| format!("--value-size hist: weight {w:?} is not an integer"))?;
                if w > 0 {
                    bins.push((size(sz)?, w));
                }
            }
            if bins.is_empty() {
                return Err("--value-size hist: needs a bin with a weight above zero".into());
            }
            return Ok(SizeDist::Hist(bins));
        }
        size(s).map(SizeDist::Fixed)
    }

    /// The size that the 64-bit draw `h` stands for.
    pub fn pick(&self, h: u64) -> usize {
        match self {
            SizeDist::Fixed(n) => *n,
            SizeDist::Uniform(a, b) => a + (h % (b - a + 1) as u64) as usize,
            SizeDist::Hist(bins) => {
                let total: u64 = bins.iter().map(|b| b.1).sum();
                let mut r = h % total;
                for &(size, w) in bins {
                    if r < w {
                        return size;
                    }
                    r -= w;
                }
                bins.last().map_or(1, |b| b.0)
            }
        }
    }

    pub fn max(&self) -> usize {
        match self {
            SizeDist::Fixed(n) => *n,
            SizeDist::Uniform(_, b) => *b,
            SizeDist::Hist(bins) => bins.iter().map(|b| b.0).max().unwrap_or(1),
        }
    }

    /// The expected size (for the docs and the tests; reports use exact sums).
    pub fn mean(&self) -> f64 {
        match self {
            SizeDist::Fixed(n) => *n as f64,
            SizeDist::Uniform(a, b) => (a + b) as f64 / 2.0,
            SizeDist::Hist(bins) => {
                let total: u64 = bins.iter().map(|b| b.1).sum();
                bins.iter().map(|&(s, w)| s as f64 * w as f64).sum::<f64>() / total as f64
            }
        }
    }
}

/// The data type of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Hash,
    List,
    Set,
    Zset,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::String, Kind::Hash, Kind::List, Kind::Set, Kind::Zset];

    /// The name `TYPE` replies and `--types` uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Hash => "hash",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::Zset => "zset",
        }
    }

    /// The key-name prefix (`key` for strings, as before types existed).
    fn prefix(self) -> &'static str {
        match self {
            Kind::String => "key",
            k => k.name(),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// `--types`: the share of keys of each type, as weights.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeMix(Vec<(Kind, u64)>);

impl Default for TypeMix {
    fn default() -> TypeMix {
        TypeMix(vec![(Kind::String, 100)])
    }
}

impl TypeMix {
    /// `string:60,hash:10,...` (weights need not add up to 100).
    pub fn parse(s: &str) -> Result<TypeMix, String> {
        let mut mix: Vec<(Kind, u64)> = Vec::new();
        for part in s.split(',') {
            let (name, w) = part
                .split_once(':')
                .ok_or_else(|| format!("--types: {part:?} is not TYPE:WEIGHT"))?;
            let kind = Kind::ALL
                .into_iter()
                .find(|k| k.name() == name.trim())
                .ok_or_else(|| {
                    format!("--types: unknown type {name:?} (string, hash, list, set, zset)")
                })?;
            let w: u64 = w
                .trim()
                .parse()
                .map_err(|_| format!("--types: weight {w:?} is not an integer"))?;
            if mix.iter().any(|m| m.0 == kind) {
                return Err(format!("--types: {name} given twice"));
            }
            if w > 0 {
                mix.push((kind, w));
            }
        }
        if mix.is_empty() {
            return Err("--types: needs a type with a weight above zero".into());
        }
        Ok(TypeMix(mix))
    }

    fn pick(&self, h: u64) -> Kind {
        let total: u64 = self.0.iter().map(|m| m.1).sum();
        let mut r = h % total;
        for &(kind, w) in &self.0 {
            if r < w {
                return kind;
            }
            r -= w;
        }
        self.0[0].0
    }

    /// The share of keys of `kind`, 0 to 1.
    #[cfg(test)]
    pub fn share(&self, kind: Kind) -> f64 {
        let total: u64 = self.0.iter().map(|m| m.1).sum();
        self.0
            .iter()
            .filter(|m| m.0 == kind)
            .map(|m| m.1)
            .sum::<u64>() as f64
            / total as f64
    }
}

/// `--ttl PCT:SECS`: `pct`% of the keys expire `secs` seconds after each write.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ttl {
    pub pct: f64,
    pub secs: u64,
}

impl Ttl {
    pub fn parse(s: &str) -> Result<Ttl, String> {
        let (p, t) = s.split_once(':').ok_or("--ttl needs PCT:SECS")?;
        let pct: f64 = p
            .trim_end_matches('%')
            .parse()
            .map_err(|_| format!("--ttl: {p:?} is not a percentage"))?;
        let secs: u64 = t
            .parse()
            .map_err(|_| format!("--ttl: {t:?} is not a whole number of seconds"))?;
        if !(0.0..=100.0).contains(&pct) || secs == 0 {
            return Err("--ttl: PCT goes from 0 to 100 and SECS is at least 1".into());
        }
        Ok(Ttl { pct, secs })
    }
}

/// How a reply is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Only errors count.
    Other,
    /// A read: a nil reply means the key (or field, element) was missing.
    Value,
    /// SISMEMBER: `:0` means missing.
    Member,
}

/// The dataset and command shapes of a run (the options that must be the
/// same for the load phase and the runs that follow it).
#[derive(Clone, Debug)]
pub struct Workload {
    pub sizes: SizeDist,
    pub types: TypeMix,
    pub ttl: Option<Ttl>,
    /// Target length of one collection element (`--field-size`).
    pub field_size: usize,
    pub seed: u64,
}

/// The shortest `--field-size`: an element is at least half of it long,
/// and a set or sorted-set member starts with its index and `:`, so 8
/// bytes keep members of up to 10 million elements distinct.
pub const MIN_FIELD_SIZE: usize = 16;
pub const MAX_ELEMENTS: usize = 10_000_000;

impl Workload {
    /// Rejects sizes whose collections would need more elements than
    /// members can be told apart by (see [`MIN_FIELD_SIZE`]).
    pub fn check(&self) -> Result<(), String> {
        if self.field_size < MIN_FIELD_SIZE {
            return Err(format!("--field-size must be at least {MIN_FIELD_SIZE}"));
        }
        if self.sizes.max().div_ceil(self.field_size) > MAX_ELEMENTS {
            return Err(format!(
                "--value-size {} over --field-size {} makes collections of more than {MAX_ELEMENTS} elements",
                self.sizes.max(),
                self.field_size
            ));
        }
        Ok(())
    }

    pub fn size(&self, i: u64) -> usize {
        self.sizes.pick(draw(self.seed, SALT_SIZE, i))
    }

    pub fn kind(&self, i: u64) -> Kind {
        self.types.pick(draw(self.seed, SALT_TYPE, i))
    }

    /// The expiry of key `i` in seconds, if it has one.
    pub fn ttl(&self, i: u64) -> Option<u64> {
        let t = self.ttl?;
        let u = (draw(self.seed, SALT_TTL, i) >> 11) as f64 / (1u64 << 53) as f64;
        (u < t.pct / 100.0).then_some(t.secs)
    }

    pub fn key(&self, i: u64) -> String {
        format!("{}:{i:012}", self.kind(i).prefix())
    }

    /// The exact logical size of keys `from..to` (the sum of their sizes).
    pub fn dataset_bytes(&self, from: u64, to: u64) -> u64 {
        (from..to).map(|i| self.size(i) as u64).sum()
    }

    /// Number of elements of a collection of logical size `size`.
    pub fn elements(&self, size: usize) -> usize {
        size.div_ceil(self.field_size).max(1)
    }

    /// Length of element `j` of a collection of `size` bytes in `n`
    /// elements: `size / n`, one more for the first `size % n`.
    fn element_len(size: usize, n: usize, j: usize) -> usize {
        size / n + usize::from(j < size % n)
    }

    /// Element `j` of key `i`'s collection: its index, `:`, then filler.
    /// Distinct for distinct `j` as long as it is longer than the index's
    /// digits, which [`Workload::check`] guarantees.
    fn element(i: u64, j: usize, len: usize) -> Vec<u8> {
        let mut v = format!("{j}:").into_bytes();
        fill(&mut v, mix(i ^ ((j as u64) << 40)) | 1, len);
        v
    }

    /// Appends the commands that (re)create key `i`, one [`Expect`] per
    /// command. Collections are deleted first so that loading twice gives
    /// the same collection, not a longer list.
    pub fn load(&self, i: u64, out: &mut Vec<u8>, expect: &mut Vec<Expect>) {
        let key = self.key(i);
        let size = self.size(i);
        let kind = self.kind(i);
        let ttl = self.ttl(i).map(|t| t.to_string());
        if kind == Kind::String {
            let v = value_of(size, i);
            let mut args: Vec<&[u8]> = vec![b"SET", key.as_bytes(), &v];
            if let Some(t) = &ttl {
                args.extend([b"EX".as_slice(), t.as_bytes()]);
            }
            encode(out, &args);
            expect.push(Expect::Other);
            return;
        }
        encode(out, &[b"DEL", key.as_bytes()]);
        let n = self.elements(size);
        let mut owned: Vec<Vec<u8>> = Vec::with_capacity(2 * n);
        let verb: &[u8] = match kind {
            Kind::Hash => b"HSET",
            Kind::List => b"RPUSH",
            Kind::Set => b"SADD",
            _ => b"ZADD",
        };
        for j in 0..n {
            match kind {
                Kind::Hash => owned.push(format!("f{j}").into_bytes()),
                Kind::Zset => owned.push(j.to_string().into_bytes()),
                _ => {}
            }
            owned.push(Self::element(i, j, Self::element_len(size, n, j)));
        }
        let mut args: Vec<&[u8]> = vec![verb, key.as_bytes()];
        args.extend(owned.iter().map(Vec::as_slice));
        encode(out, &args);
        expect.extend([Expect::Other, Expect::Other]);
        if let Some(t) = &ttl {
            encode(out, &[b"EXPIRE", key.as_bytes(), t.as_bytes()]);
            expect.push(Expect::Other);
        }
    }

    /// Appends one operation on key `i`, a read or a write of a random
    /// field, element or member `j` of it, one [`Expect`] per command:
    ///
    /// | type | read | write |
    /// |---|---|---|
    /// | string | GET | SET (EX t) |
    /// | hash | HGET f`j` | HSET f`j` (+ EXPIRE) |
    /// | list | LINDEX `j` | RPUSH, LTRIM to n elements (+ EXPIRE) |
    /// | set | SISMEMBER member `j` | SADD member `j` (+ EXPIRE) |
    /// | zset | ZSCORE member `j` | ZADD random score, member `j` (+ EXPIRE) |
    ///
    /// Writes put back what the load phase wrote (a list rotates by one),
    /// so collections keep their size; the EXPIRE keeps a key with a TTL
    /// expiring `t` seconds after its last write, as SET EX does.
    pub fn op(
        &self,
        i: u64,
        read: bool,
        rng: &mut SmallRng,
        out: &mut Vec<u8>,
        expect: &mut Vec<Expect>,
    ) -> Kind {
        let key = self.key(i);
        let k = key.as_bytes();
        let size = self.size(i);
        let kind = self.kind(i);
        let n = self.elements(size);
        let j = if kind == Kind::String {
            0
        } else {
            rng.gen_range(0..n)
        };
        let elem = || Self::element(i, j, Self::element_len(size, n, j));
        if read {
            match kind {
                Kind::String => encode(out, &[b"GET", k]),
                Kind::Hash => encode(out, &[b"HGET", k, format!("f{j}").as_bytes()]),
                Kind::List => encode(out, &[b"LINDEX", k, j.to_string().as_bytes()]),
                Kind::Set => encode(out, &[b"SISMEMBER", k, &elem()]),
                Kind::Zset => encode(out, &[b"ZSCORE", k, &elem()]),
            }
            expect.push(if kind == Kind::Set {
                Expect::Member
            } else {
                Expect::Value
            });
            return kind;
        }
        let ttl = self.ttl(i).map(|t| t.to_string());
        match kind {
            Kind::String => {
                let v = value_of(size, i);
                let mut args: Vec<&[u8]> = vec![b"SET", k, &v];
                if let Some(t) = &ttl {
                    args.extend([b"EX".as_slice(), t.as_bytes()]);
                }
                encode(out, &args);
                expect.push(Expect::Other);
                return kind;
            }
            Kind::Hash => encode(out, &[b"HSET", k, format!("f{j}").as_bytes(), &elem()]),
            Kind::List => {
                // Append one element and drop the oldest: the list keeps n.
                encode(out, &[b"RPUSH", k, &elem()]);
                encode(out, &[b"LTRIM", k, format!("-{n}").as_bytes(), b"-1"]);
                expect.push(Expect::Other);
            }
            Kind::Set => encode(out, &[b"SADD", k, &elem()]),
            Kind::Zset => {
                let score = rng.gen_range(0..1_000_000u32).to_string();
                encode(out, &[b"ZADD", k, score.as_bytes(), &elem()]);
            }
        }
        expect.push(Expect::Other);
        if let Some(t) = &ttl {
            encode(out, &[b"EXPIRE", k, t.as_bytes()]);
            expect.push(Expect::Other);
        }
        kind
    }
}

/// Appends text filler to `v` up to `len` bytes (xorshift over an
/// alphabet: compresses like typical cached payloads, unlike zeros).
fn fill(v: &mut Vec<u8>, mut x: u64, len: usize) {
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize]);
    }
    v.truncate(len.max(1));
}

/// The string value of key `i`: its index, `:`, then filler.
pub fn value_of(size: usize, i: u64) -> Vec<u8> {
    let mut v = format!("{i:012}:").into_bytes();
    fill(&mut v, i | 1, size);
    v
}

/// Appends `args` as a RESP array of bulk strings.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn workload(sizes: &str, types: &str) -> Workload {
        Workload {
            sizes: SizeDist::parse(sizes).expect("sizes"),
            types: TypeMix::parse(types).expect("types"),
            ttl: None,
            field_size: 100,
            seed: 7,
        }
    }

    #[test]
    fn value_sizes_parse() {
        assert_eq!(SizeDist::parse("100"), Ok(SizeDist::Fixed(100)));
        assert_eq!(SizeDist::parse("2k"), Ok(SizeDist::Fixed(2000)));
        assert_eq!(
            SizeDist::parse("uniform:10:20"),
            Ok(SizeDist::Uniform(10, 20))
        );
        assert_eq!(
            SizeDist::parse("hist:100:3,1kb:1,5:0"),
            Ok(SizeDist::Hist(vec![(100, 3), (1024, 1)]))
        );
        for bad in [
            "0",
            "x",
            "uniform:20:10",
            "uniform:5",
            "hist:",
            "hist:5:0",
            "hist:5:x",
        ] {
            assert!(SizeDist::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn histogram_weights_are_followed() {
        let w = workload("hist:100:50,1000:30,10000:20", "string:1");
        let n = 200_000u64;
        let mut counts = [0u64; 3];
        for i in 0..n {
            match w.size(i) {
                100 => counts[0] += 1,
                1000 => counts[1] += 1,
                10000 => counts[2] += 1,
                s => panic!("size {s} is not a bin"),
            }
        }
        for (c, want) in counts.iter().zip([0.5, 0.3, 0.2]) {
            let got = *c as f64 / n as f64;
            assert!((got - want).abs() < 0.01, "{counts:?}");
        }
        // The exact sum is what the mean predicts, within the sampling error.
        let mean = w.dataset_bytes(0, n) as f64 / n as f64;
        assert!(
            (mean - w.sizes.mean()).abs() / w.sizes.mean() < 0.02,
            "{mean}"
        );
    }

    #[test]
    fn uniform_sizes_stay_in_bounds_with_the_right_mean() {
        let w = workload("uniform:200:1800", "string:1");
        let n = 100_000u64;
        let (mut lo, mut hi) = (usize::MAX, 0);
        for i in 0..n {
            let s = w.size(i);
            lo = lo.min(s);
            hi = hi.max(s);
        }
        assert!(lo >= 200 && hi <= 1800, "{lo}..{hi}");
        // Both ends are reached.
        assert!(lo < 210 && hi > 1790, "{lo}..{hi}");
        let mean = w.dataset_bytes(0, n) as f64 / n as f64;
        assert!((mean - 1000.0).abs() < 10.0, "{mean}");
    }

    #[test]
    fn sizes_are_a_function_of_the_key_and_the_seed() {
        let a = workload("uniform:1:100000", "string:1,hash:1");
        let mut b = a.clone();
        assert!((0..100).all(|i| a.size(i) == b.size(i) && a.kind(i) == b.kind(i)));
        b.seed = 8;
        assert!((0..100).any(|i| a.size(i) != b.size(i)));
    }

    #[test]
    fn type_mix_shares_are_followed() {
        let w = workload("100", "string:60,hash:10,list:10,set:10,zset:10");
        let n = 100_000u64;
        let mut counts = [0u64; 5];
        for i in 0..n {
            let k = w.kind(i);
            counts[k.index()] += 1;
            assert!(w.key(i).starts_with(k.prefix()));
        }
        for k in Kind::ALL {
            let got = counts[k.index()] as f64 / n as f64;
            assert!((got - w.types.share(k)).abs() < 0.01, "{k:?}: {counts:?}");
        }
        assert!(TypeMix::parse("string:1,string:2").is_err());
        assert!(TypeMix::parse("blob:1").is_err());
        assert!(TypeMix::parse("hash:0").is_err());
    }

    #[test]
    fn ttl_share_is_followed() {
        let mut w = workload("100", "string:1");
        assert_eq!(w.ttl(0), None);
        w.ttl = Some(Ttl::parse("25:60").expect("ttl"));
        let n = 100_000u64;
        let with = (0..n).filter(|&i| w.ttl(i) == Some(60)).count() as f64 / n as f64;
        assert!((with - 0.25).abs() < 0.01, "{with}");
        assert!(Ttl::parse("101:5").is_err() && Ttl::parse("5:0").is_err());
    }

    #[test]
    fn collections_add_up_to_the_size_with_distinct_members() {
        let w = workload("100", "set:1");
        for size in [1usize, 99, 100, 101, 250, 1000, 12345] {
            let n = w.elements(size);
            let lens: Vec<usize> = (0..n).map(|j| Workload::element_len(size, n, j)).collect();
            assert_eq!(lens.iter().sum::<usize>(), size);
            assert!(
                lens.iter().all(|&l| l <= 100 && (n == 1 || l >= 50)),
                "{lens:?}"
            );
            let mut members: Vec<Vec<u8>> =
                (0..n).map(|j| Workload::element(3, j, lens[j])).collect();
            assert!(members.iter().zip(&lens).all(|(m, &l)| m.len() == l));
            members.sort();
            members.dedup();
            assert_eq!(members.len(), n, "size {size}");
        }
        let bad = Workload {
            field_size: 8,
            ..w.clone()
        };
        assert!(bad.check().is_err());
        assert!(w.check().is_ok());
    }

    #[test]
    fn writes_keep_the_type_and_add_expiries() {
        let mut w = workload("300", "string:1,hash:1,list:1,set:1,zset:1");
        w.ttl = Some(Ttl {
            pct: 100.0,
            secs: 9,
        });
        let mut rng = SmallRng::seed_from_u64(1);
        for i in 0..50 {
            let (mut out, mut expect) = (Vec::new(), Vec::new());
            let kind = w.op(i, false, &mut rng, &mut out, &mut expect);
            let text = String::from_utf8_lossy(&out).into_owned();
            let commands = text.matches("\r\n*").count() + 1;
            assert_eq!(commands, expect.len(), "{text}");
            assert!(text.contains(&w.key(i)));
            match kind {
                Kind::String => assert!(text.contains("$2\r\nEX\r\n$1\r\n9\r\n")),
                _ => assert!(text.contains("EXPIRE"), "{text}"),
            }
            let (mut out, mut expect) = (Vec::new(), Vec::new());
            w.op(i, true, &mut rng, &mut out, &mut expect);
            assert_eq!(expect.len(), 1);
            let (mut out2, mut expect2) = (Vec::new(), Vec::new());
            w.load(i, &mut out2, &mut expect2);
            let commands = String::from_utf8_lossy(&out2).matches("\r\n*").count() + 1;
            assert_eq!(commands, expect2.len());
        }
    }
}
