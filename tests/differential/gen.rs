//! The random command generator: a seeded PRNG, the shared key pool, value
//! and argument generators with edge cases, and the per-command [`Spec`]
//! that families declare.
//!
//! Everything here must be deterministic given the seed: the same seed
//! yields the same command stream on every machine (the PRNG is our own,
//! not `rand`'s, so it cannot change under us with a dependency update).

/// xoshiro256** seeded through splitmix64.
#[derive(Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// Converts the things generators put in a command into argument bytes.
pub trait IntoArg {
    fn into_arg(self) -> Vec<u8>;
}

impl IntoArg for &str {
    fn into_arg(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoArg for String {
    fn into_arg(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl IntoArg for &String {
    fn into_arg(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoArg for Vec<u8> {
    fn into_arg(self) -> Vec<u8> {
        self
    }
}
impl IntoArg for &[u8] {
    fn into_arg(self) -> Vec<u8> {
        self.to_vec()
    }
}
impl IntoArg for i64 {
    fn into_arg(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

/// Builds an argument vector: `cmd!["SET", key, value]`.
#[macro_export]
macro_rules! cmd {
    ($($x:expr),* $(,)?) => {
        vec![$($crate::diff::gen::IntoArg::into_arg($x)),*]
    };
}

pub type Args = Vec<Vec<u8>>;

/// How a reply is normalised before the byte comparison, for replies that
/// legitimately differ between two correct servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// Byte for byte.
    Exact,
    /// An array (or set) whose element order is unspecified: elements are
    /// sorted (KEYS, and set-typed replies once those families exist).
    Sorted,
    /// Only "nil" versus "something" is compared (RANDOMKEY).
    NilOrNot,
    /// A remaining time to live (TTL/PTTL): -2 and -1 exactly, any positive
    /// value as `<positive>` (the two servers run the command at different
    /// moments, so the exact remainder differs).
    Ttl,
    /// An absolute expiry time (EXPIRETIME/PEXPIRETIME): the absolute times
    /// the generator itself uses ([`ABS_TIMES_S`]) and -1/-2 exactly; other
    /// positive values (derived from a relative TTL and each server's
    /// clock) as `<positive>`.
    AbsTime,
    /// Any integer is `<int>` (OBJECT IDLETIME, OBJECT REFCOUNT: timing and
    /// implementation details); errors and other types exactly.
    AnyInt,
    /// A map (RESP3) or flat field/value array (RESP2) whose pair order is
    /// unspecified (HGETALL and the like, once those families exist): the
    /// pairs are sorted.
    SortedPairs,
    /// A SCAN: the runner drives the whole iteration on each server (args[1]
    /// is the cursor) and compares the sorted set of keys returned. An error
    /// reply to the first call is compared exactly.
    ScanAll,
    /// An HSCAN or ZSCAN (args[2] is the cursor): like [`Norm::ScanAll`],
    /// the whole iteration on each server, compared as the sorted set of
    /// (field, value) or (member, score) pairs returned.
    HScanAll,
    /// An SSCAN (args[2] is the cursor): like [`Norm::ScanAll`], the whole
    /// iteration on each server, compared as the sorted set of members
    /// returned.
    SScanAll,
    /// SRANDMEMBER, run alone and followed by `SMEMBERS key` on the same
    /// server: the random choice is replaced by what must hold whatever
    /// was chosen: the reply's type and length, every member belonging to
    /// the set, members distinct for a positive count, and the whole set
    /// (sorted) when a positive count covers it. Errors and nil are
    /// compared exactly.
    SRandMember,
    /// HRANDFIELD, run alone and followed by `HGETALL key` on the same
    /// server: the random choice is replaced by what must hold whatever was
    /// chosen: the reply's type and length, every field (and its value,
    /// WITHVALUES) belonging to the hash, fields distinct for a positive
    /// count, and the whole hash (sorted) when a positive count covers it.
    /// Errors and nil are compared exactly.
    RandField,
    /// ZRANDMEMBER, run alone and followed by `ZRANGE key 0 -1 WITHSCORES`
    /// on the same server: checked like [`Norm::RandField`], scores in
    /// place of values.
    RandMember,
    /// `OBJECT ENCODING key`, run alone: a `listpack` list or set (Redis
    /// 7.2 encodings) is compared under Redis 7.0's name for it (see
    /// `runner::encoding_as_7_0`).
    Encoding,
    /// Not a command but a transaction: the runner sends MULTI, a few
    /// exactly-compared commands of other generators, and EXEC.
    Transaction,
    /// A DUMP payload: exact, except that the members of a set or hash
    /// stored element by element (in hash-table order) are compared sorted,
    /// and a list by its elements (its split into nodes follows its
    /// history of edits).
    Dump,
}

/// Whether the generic mutator (wrong arity, junk arguments, edge values)
/// may touch a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutate {
    /// Truncate, append junk, replace an argument with an edge value.
    All,
    /// Truncate and append junk only: for commands with time arguments, an
    /// edge value such as `1` would become a short TTL whose expiry races
    /// with the following commands.
    NoReplace,
    /// Never (meta commands such as SCAN-all, or sync commands).
    Never,
}

/// One command generator. Families declare lists of these.
pub struct Spec {
    /// The name `COMMAND INFO` knows (`get`, `object|encoding`); generators
    /// whose command our server (or redis 7.0) does not know are skipped.
    /// Names in parentheses are pseudo-commands that are always enabled.
    pub name: &'static str,
    /// Relative frequency.
    pub weight: u32,
    pub norm: Norm,
    pub mutate: Mutate,
    /// Other commands the generator sends (as `G::pre` commands): it is
    /// enabled only if those are known too.
    pub requires: &'static [&'static str],
    pub gen: fn(&mut G) -> Args,
}

impl Spec {
    pub const fn new(name: &'static str, weight: u32, gen: fn(&mut G) -> Args) -> Spec {
        Spec {
            name,
            weight,
            norm: Norm::Exact,
            mutate: Mutate::All,
            requires: &[],
            gen,
        }
    }

    pub const fn requires(mut self, r: &'static [&'static str]) -> Spec {
        self.requires = r;
        self
    }

    pub const fn norm(mut self, n: Norm) -> Spec {
        self.norm = n;
        self
    }

    pub const fn mutate(mut self, m: Mutate) -> Spec {
        self.mutate = m;
        self
    }
}

/// The key pool: small, so commands keep colliding on the same keys. It
/// includes the empty key and binary keys. `EXISTS <whole pool>` touches
/// every key a generator can create in a database.
pub const KEYS: &[&[u8]] = &[
    b"k0",
    b"k1",
    b"k2",
    b"k3",
    b"k4",
    b"k5",
    b"k6",
    b"k7",
    b"",
    b"\x00bin\r\n\xff",
    b"{tag}a",
    b"{tag}b",
    b"key with spaces",
];

/// Databases the generators move between (SELECT, MOVE, SWAPDB, COPY DB).
pub const DBS: &[&str] = &["0", "1", "2", "3"];

/// Absolute times (seconds) used for EXPIREAT & co.: far past and far
/// future, so both servers see the same expiry decision.
pub const ABS_TIMES_S: &[i64] = &[
    1,
    1_000_000_000,
    4_102_444_800,
    4_200_000_000,
    32_503_680_000,
];

/// Integers that stress parsing and overflow handling. Deliberately no
/// values between 1001 and 2^32-1 (and none near 512 MB): as bit or byte
/// offsets those would be valid and allocate hundreds of megabytes.
pub const EDGE_INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "8",
    "9",
    "15",
    "16",
    "17",
    "63",
    "64",
    "100",
    "-100",
    "1000",
    "-1000",
    "4294967296",
    "-4294967296",
    "9223372036854775807",
    "9223372036854775806",
    "-9223372036854775808",
    "-9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "99999999999999999999999",
];

/// Strings that are almost numbers, or not at all.
pub const EDGE_NOT_INTS: &[&str] = &[
    "", " 1", "1 ", "+1", "-0", "00", "01", "1.5", "1e3", "0x10", "abc", "1a", "-", "+", "inf",
    "-inf", "nan", "\x001",
];

pub const EDGE_FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.1",
    "-0.1",
    "1.5",
    "3.0e3",
    "1e-10",
    "-1e-10",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1e308",
    "5e-324",
    "inf",
    "-inf",
    "+inf",
    "Infinity",
    "nan",
    "NaN",
    "",
    " 1",
    "1 ",
    "0x10",
    "1.5.5",
    "abc",
    "1e",
    ".5",
    "5.",
    "-0",
    "9223372036854775807",
    "123456789.123456789",
];

/// Arguments appended by the mutator: never numbers (an appended `EX` and
/// a number could make a short TTL).
pub const JUNK: &[&str] = &[
    "foo",
    "",
    "\x00",
    "--",
    "*",
    "NX",
    "XX",
    "GET",
    "KEEPTTL",
    "REPLACE",
    "LEN",
    "BYTE",
    "BIT",
    "ASYNC",
    "WITHSCORES",
];

/// The generator state handed to every [`Spec::gen`].
pub struct G {
    pub rng: Rng,
    /// Commands to send before the generated one (e.g. the `EXISTS <pool>`
    /// that makes DBSIZE deterministic). Counted and compared like others.
    pub pre: Vec<Args>,
    /// After this command: end the batch and wait this many milliseconds
    /// (a short TTL must have expired on both servers before anything else
    /// looks at the key).
    pub pause_after_ms: u64,
    /// Relative TTLs handed out so far (seconds). Every relative TTL is
    /// unique and at least 1000 s apart from the others, so GT/LT/NX/XX
    /// comparisons between two expiries never depend on how long the
    /// servers took between the two commands.
    used_ttls: std::collections::HashSet<i64>,
}

impl G {
    pub fn new(seed: u64) -> G {
        G {
            rng: Rng::new(seed),
            pre: Vec::new(),
            pause_after_ms: 0,
            used_ttls: Default::default(),
        }
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.rng.chance(percent)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo, hi)
    }

    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        self.rng.pick(xs).clone()
    }

    pub fn key(&mut self) -> Vec<u8> {
        self.pick(KEYS).to_vec()
    }

    /// 1..=max keys from the pool (duplicates allowed, as clients send).
    pub fn keys(&mut self, max: u64) -> Args {
        let n = 1 + self.below(max);
        (0..n).map(|_| self.key()).collect()
    }

    /// The whole pool, for sync commands.
    pub fn all_keys(&self) -> Args {
        KEYS.iter().map(|k| k.to_vec()).collect()
    }

    pub fn db(&mut self) -> String {
        if self.chance(3) {
            self.pick(&["16", "-1", "x", "1.5", "", "9999999999999999999"])
                .to_string()
        } else {
            self.pick(DBS).to_string()
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.next_u64() as u8).collect()
    }

    /// A string value: mostly short, sometimes numeric, binary or larger.
    pub fn value(&mut self) -> Vec<u8> {
        match self.below(100) {
            0..=24 => {
                let n = self.below(12) as usize;
                (0..n).map(|_| b'a' + self.below(26) as u8).collect()
            }
            25..=44 => self.range(-1000, 1000).to_string().into_bytes(),
            45..=54 => self.pick(EDGE_INTS).as_bytes().to_vec(),
            55..=59 => self.pick(EDGE_NOT_INTS).as_bytes().to_vec(),
            60..=66 => self.pick(EDGE_FLOATS).as_bytes().to_vec(),
            67..=71 => Vec::new(),
            72..=81 => {
                let n = self.below(40) as usize;
                self.bytes(n)
            }
            82..=89 => {
                // Bit patterns for the bit commands.
                let n = 1 + self.below(8) as usize;
                let pat = [0x00u8, 0xff, 0x0f, 0xf0, 0x55, 0xaa, 0x80, 0x01];
                (0..n).map(|_| *self.rng.pick(&pat)).collect()
            }
            90..=97 => {
                // 44/45 bytes: the embstr/raw boundary of OBJECT ENCODING.
                let n = self.pick(&[20usize, 21, 43, 44, 45, 46, 100, 300]);
                vec![b'x'; n]
            }
            _ => {
                let n = 1000 + self.below(4000) as usize;
                self.bytes(n)
            }
        }
    }

    /// An integer argument: small, or an edge case, or not an integer.
    pub fn int(&mut self) -> String {
        match self.below(100) {
            0..=69 => self.range(-20, 20).to_string(),
            70..=89 => self.pick(EDGE_INTS).to_string(),
            _ => self.pick(EDGE_NOT_INTS).to_string(),
        }
    }

    /// A float argument.
    pub fn float(&mut self) -> String {
        match self.below(100) {
            0..=34 => self.range(-100, 100).to_string(),
            35..=54 => format!("{}.{}", self.range(-100, 100), self.below(1000)),
            55..=64 => {
                // Many significant digits and an exponent: formatting and
                // precision (Redis computes in long double).
                let m = self.rng.next_u64() % 10_000_000_000_000_000;
                let e = self.range(-30, 30);
                let sign = if self.chance(50) { "-" } else { "" };
                format!("{sign}{}.{:016}e{e}", m % 10, m)
            }
            65..=89 => self.pick(EDGE_FLOATS).to_string(),
            _ => self.pick(EDGE_INTS).to_string(),
        }
    }

    /// A byte offset/index: small, around typical value sizes, negative, or
    /// an edge. Never a valid offset that would allocate a lot.
    pub fn offset(&mut self) -> String {
        match self.below(100) {
            0..=49 => self.range(0, 30).to_string(),
            50..=64 => self.range(-30, -1).to_string(),
            65..=74 => self.range(30, 300).to_string(),
            75..=77 => self.pick(&["1023", "1024", "4096", "5000"]).to_string(),
            78..=94 => self.pick(EDGE_INTS).to_string(),
            _ => self.pick(EDGE_NOT_INTS).to_string(),
        }
    }

    /// A unique relative TTL in seconds (see `used_ttls`), between ~1 day
    /// and ~30 years: nothing expires during a run.
    pub fn ttl_s(&mut self) -> i64 {
        loop {
            let t = 100_000 + 1000 * self.below(1_000_000) as i64;
            if self.used_ttls.insert(t) {
                return t;
            }
        }
    }

    /// A unique relative TTL in milliseconds.
    pub fn ttl_ms(&mut self) -> i64 {
        self.ttl_s() * 1000
    }

    /// An absolute Unix time in seconds from [`ABS_TIMES_S`].
    pub fn abs_s(&mut self) -> i64 {
        self.pick(ABS_TIMES_S)
    }

    /// A relative time argument for EX/EXPIRE-like options: usually a valid
    /// long TTL, sometimes invalid (0, negative, overflowing, not a number).
    /// Negative and zero values are errors for SET/GETEX and "delete now"
    /// for EXPIRE: both deterministic.
    pub fn rel_time(&mut self, ms: bool) -> String {
        match self.below(100) {
            0..=84 => {
                if ms {
                    self.ttl_ms().to_string()
                } else {
                    self.ttl_s().to_string()
                }
            }
            85..=94 => self
                .pick(&[
                    "0",
                    "-1",
                    "-100000",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "9223372036854775",
                    "9223372036854776",
                    "9223372036854775808",
                ])
                .to_string(),
            _ => self.pick(EDGE_NOT_INTS).to_string(),
        }
    }

    /// An absolute time argument for EXAT/EXPIREAT-like options.
    pub fn abs_time(&mut self, ms: bool) -> String {
        match self.below(100) {
            0..=84 => {
                let t = self.abs_s();
                if ms {
                    (t * 1000).to_string()
                } else {
                    t.to_string()
                }
            }
            85..=94 => self
                .pick(&[
                    "0",
                    "-1",
                    "9223372036854775807",
                    "9223372036854775",
                    "9223372036854776",
                ])
                .to_string(),
            _ => self.pick(EDGE_NOT_INTS).to_string(),
        }
    }

    /// A glob pattern, including malformed ones.
    pub fn pattern(&mut self) -> Vec<u8> {
        self.pick(&[
            &b"*"[..],
            b"k*",
            b"k?",
            b"k[0-3]",
            b"k[^0-3]",
            b"k[!1]",
            b"*a",
            b"{tag}*",
            b"\\{tag\\}*",
            b"k[",
            b"[",
            b"\\",
            b"*\\",
            b"k[3-0]",
            b"k[a-]",
            b"",
            b"\x00*",
            b"*e*y*",
            b"??",
            b"k\\*",
            b"*[",
            b"K*",
        ])
        .to_vec()
    }

    /// A command name's random capitalisation (commands are
    /// case-insensitive).
    pub fn case(&mut self, name: &str) -> Vec<u8> {
        if !self.chance(10) {
            return name.as_bytes().to_vec();
        }
        name.bytes()
            .map(|b| {
                if self.rng.next_u64() & 1 == 1 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    }

    /// Queues the `EXISTS <whole pool>` sync command: it makes both servers
    /// delete every logically expired key of the current database, so the
    /// next command's reply cannot depend on whether active expiry already
    /// ran (DBSIZE counts expired keys that are not yet deleted).
    pub fn sync_expired(&mut self) {
        let mut a = vec![b"EXISTS".to_vec()];
        a.extend(self.all_keys());
        self.pre.push(a);
    }

    /// Applies the generic mutation to `args` (called by the runner for a
    /// few percent of commands).
    pub fn mutate(&mut self, args: &mut Args, m: Mutate) {
        if m == Mutate::Never || args.is_empty() {
            return;
        }
        let choice = if m == Mutate::All {
            self.below(3)
        } else {
            self.below(2)
        };
        match choice {
            0 => {
                // Wrong arity, usually.
                let n = 1 + self.below(args.len() as u64) as usize;
                args.truncate(n);
            }
            1 => {
                for _ in 0..1 + self.below(3) {
                    let j = self.pick(JUNK);
                    args.push(j.as_bytes().to_vec());
                }
            }
            _ => {
                if args.len() > 1 {
                    let i = 1 + self.below(args.len() as u64 - 1) as usize;
                    args[i] = if self.chance(70) {
                        self.pick(EDGE_INTS).as_bytes().to_vec()
                    } else {
                        self.pick(EDGE_NOT_INTS).as_bytes().to_vec()
                    };
                }
            }
        }
    }
}
