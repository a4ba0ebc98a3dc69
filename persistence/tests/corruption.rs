//! Corruption tests for the RDB reader and DUMP payloads.
//!
//! Every input starts VALID — files written by [`RdbWriter`] holding every
//! type and encoding it produces, hand-built objects in the legacy
//! encodings only old Redis versions wrote (ziplists, zipmaps, text
//! doubles, ...), the legacy fixture files when they are present — and is
//! then damaged: cut at any offset, bits flipped, bytes spliced in or cut
//! out, huge length prefixes and random type bytes written over it. A
//! damaged input must give an error or a consistent value; it must never
//! panic, and never make the reader reserve memory out of proportion to
//! the input (a corrupt length of 2^60 must not become an allocation).
//!
//! The allocation check is real: this test binary runs under an allocator
//! that records the largest single request made on the current thread.
//!
//! `PROPTEST_CASES` sets the number of random cases per property (CI keeps
//! the default, a few seconds each).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use persistence::crc64::crc64;
use persistence::file::{read_rdb, Event, FileError, RdbWriter, MAX_VERSION, MIN_VERSION};
use persistence::object::{read_object, write_object, Form, Object};
use persistence::rdb::*;
use proptest::prelude::*;
use proptest::sample::Index;

mod legacy;
use legacy::legacy_objects;

// ---------------------------------------------------------------------------
// The largest allocation, per thread.

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the slot may be gone while a thread exits.
    let _ = LARGEST.try_with(|c| {
        if size > c.get() {
            c.set(size)
        }
    });
}

// SAFETY: every call forwards to the system allocator unchanged; the only
// addition is a thread-local counter that does not allocate.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(p, l, new_size) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

/// Runs `f` and returns the largest single allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|c| c.set(0));
    let out = f();
    (out, LARGEST.with(|c| c.get()))
}

/// What reading `n` bytes may reserve at once. Decoded data is legitimately
/// bigger than its encoding (an LZF back reference of 3 bytes expands to
/// 264, a 2-byte listpack entry becomes a 24-byte vector plus its bytes,
/// vectors double as they grow), so the bound is generous; what it
/// catches is an allocation sized by a length field rather than by data.
fn allocation_bound(n: usize) -> usize {
    256 * n + (1 << 20)
}

// ---------------------------------------------------------------------------
// Checking one input.

/// A value as the reader gives it back, order-insensitive where the format
/// does not keep order (sets).
fn canonical(o: &Object) -> Object {
    match o {
        Object::Set(m) => {
            let mut m = m.clone();
            m.sort();
            Object::Set(m)
        }
        Object::IntSet(v, _) => {
            let mut m: Vec<Vec<u8>> = v.iter().map(|i| i.to_string().into_bytes()).collect();
            m.sort();
            Object::Set(m)
        }
        // The compact form writes -0 as "0": compare scores as numbers.
        Object::ZSet(z) => {
            let mut z: Vec<(Vec<u8>, f64)> = z
                .iter()
                .map(|(m, s)| (m.clone(), if *s == 0.0 { 0.0 } else { *s }))
                .collect();
            z.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Object::ZSet(z)
        }
        other => other.clone(),
    }
}

/// The invariants every value the reader returns must hold: no duplicate
/// set members or hash fields, sorted sets ordered by score then member
/// and free of NaN; and the value must survive being written and read
/// again unchanged (in the form it came in, and the large one).
fn check_value(form: Form, o: &Object) {
    let unique = |v: Vec<&Vec<u8>>| {
        let set: BTreeSet<&Vec<u8>> = v.iter().copied().collect();
        assert_eq!(set.len(), v.len(), "duplicate in {o:?}");
    };
    match o {
        Object::Set(m) => unique(m.iter().collect()),
        Object::Hash(p) => unique(p.iter().map(|(f, _)| f).collect()),
        Object::ZSet(z) => {
            unique(z.iter().map(|(m, _)| m).collect());
            assert!(z.iter().all(|(_, s)| !s.is_nan()), "NaN in {o:?}");
            assert!(
                z.windows(2).all(|w| w[0]
                    .1
                    .total_cmp(&w[1].1)
                    .then_with(|| w[0].0.cmp(&w[1].0))
                    .is_lt()),
                "unsorted {o:?}"
            );
        }
        _ => {}
    }
    for form in [form, Form::Large] {
        let mut w = Writer::new(true);
        write_object(&mut w, o, form, -2);
        let mut r = Reader::new(&w.buf[1..]);
        let back = read_object(w.buf[0], &mut r).expect("a value read back writes readably");
        assert_eq!(r.remaining(), 0);
        assert_eq!(canonical(&back), canonical(o), "{form:?}");
    }
}

/// Reads a (possibly damaged) file: no panic, bounded allocations, and an
/// error within the input or a consistent result.
fn check_file(data: &[u8]) -> Result<usize, FileError> {
    let (res, peak) = largest_allocation(|| {
        let mut keys = 0usize;
        read_rdb(data, |e| {
            if let Event::Key(k) = e {
                keys += 1;
                check_value_cheap(&k.value);
            }
            Ok(())
        })
        .map(|l| (l, keys))
    });
    assert!(
        peak <= allocation_bound(data.len()),
        "{} bytes allocated at once for {} bytes of input",
        peak,
        data.len()
    );
    match res {
        Ok((loaded, keys)) => {
            assert!(loaded.length <= data.len());
            assert!((MIN_VERSION..=MAX_VERSION).contains(&loaded.version));
            // Consistent: the same bytes read again give the same keys,
            // and each value survives a write/read cycle.
            read_rdb(data, |e| {
                if let Event::Key(k) = e {
                    check_value(k.form, &k.value);
                }
                Ok(())
            })
            .expect("a file read once reads again");
            Ok(keys)
        }
        Err(e) => {
            assert!(e.offset <= data.len(), "offset {} past the end", e.offset);
            // The message names the offset (what the check tool prints).
            assert!(e.to_string().contains(&e.offset.to_string()));
            Err(e.error)
        }
    }
}

/// Checks that need no allocation of their own (run inside the measured
/// closure).
fn check_value_cheap(o: &Object) {
    if let Object::ZSet(z) = o {
        assert!(z.iter().all(|(_, s)| !s.is_nan()));
    }
}

/// Reads a (possibly damaged) DUMP payload the way RESTORE does: footer
/// check, then the object from everything after the type byte (footer
/// included, as Redis does).
fn check_payload(p: &[u8]) -> Option<Object> {
    verify_payload(p, true).ok()?;
    let (&t, rest) = p.split_first()?;
    let (res, peak) = largest_allocation(|| read_object(t, &mut Reader::new(rest)));
    assert!(
        peak <= allocation_bound(p.len()),
        "{} bytes allocated at once for a {} byte payload",
        peak,
        p.len()
    );
    let o = res.ok()?;
    check_value(persistence::object::stored_form(t), &o);
    Some(o)
}

// ---------------------------------------------------------------------------
// Valid inputs.

/// Elements that exercise every string encoding: small and large integers
/// (integer encodings, listpack/intset widths), short binary strings,
/// compressible runs (LZF), strings past the 63 and 4095 byte listpack
/// thresholds.
fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (-300i64..300).prop_map(|i| i.to_string().into_bytes()),
        2 => any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        2 => any::<i32>().prop_map(|i| i.to_string().into_bytes()),
        6 => prop::collection::vec(any::<u8>(), 0..24),
        2 => (any::<u8>(), 21usize..200).prop_map(|(b, n)| vec![b; n]),
        1 => (any::<u8>(), 64usize..5000).prop_map(|(b, n)| {
            (0..n).map(|i| b.wrapping_add((i % 7) as u8)).collect()
        }),
    ]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i64..1000).prop_map(|i| i as f64),
        any::<f64>().prop_filter("a score", |s| !s.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (-1e6f64..1e6),
    ]
}

fn object() -> impl Strategy<Value = Object> {
    let n = 0usize..40;
    prop_oneof![
        element().prop_map(Object::Str),
        prop::collection::vec(element(), n.clone()).prop_map(Object::List),
        prop::collection::btree_set(element(), n.clone())
            .prop_map(|s| Object::Set(s.into_iter().collect())),
        (
            prop::collection::btree_set(any::<i64>(), 1..40),
            prop::sample::select(vec![2u8, 4, 8])
        )
            .prop_map(|(v, w)| Object::IntSet(v.into_iter().collect(), w)),
        prop::collection::btree_set(-40_000i64..40_000, 0..40)
            .prop_map(|v| Object::Set(v.into_iter().map(|i| i.to_string().into_bytes()).collect())),
        prop::collection::btree_map(element(), score(), n.clone()).prop_map(|m| {
            let mut v: Vec<(Vec<u8>, f64)> = m.into_iter().collect();
            v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Object::ZSet(v)
        }),
        prop::collection::btree_map(element(), element(), n)
            .prop_map(|m| Object::Hash(m.into_iter().collect())),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![Just(Form::Compact), Just(Form::Large)]
}

/// A file to write: writer settings, auxiliary fields, databases of keys.
#[derive(Debug, Clone)]
struct FileSpec {
    compress: bool,
    fill: i64,
    checksum: bool,
    aux: Vec<(String, Vec<u8>)>,
    dbs: BTreeMap<u64, Vec<(Object, Form, Option<i64>)>>,
}

fn file_spec() -> impl Strategy<Value = FileSpec> {
    (
        any::<bool>(),
        prop_oneof![-5i64..=-1, 1i64..20],
        any::<bool>(),
        prop::collection::vec(
            (
                prop::sample::select(&["redis-ver", "redis-bits", "ctime", "used-mem", "x"][..])
                    .prop_map(String::from),
                element(),
            ),
            0..4,
        ),
        prop::collection::btree_map(
            prop_oneof![0u64..4, Just(15), Just(70), Just(20_000)],
            prop::collection::vec(
                (
                    object(),
                    form(),
                    prop::option::of(prop_oneof![
                        Just(0i64),
                        Just(-1),
                        1_600_000_000_000i64..5_000_000_000_000
                    ]),
                ),
                0..6,
            ),
            0..3,
        ),
    )
        .prop_map(|(compress, fill, checksum, aux, dbs)| FileSpec {
            compress,
            fill,
            checksum,
            aux,
            dbs,
        })
}

fn key_name(db: u64, i: usize) -> Vec<u8> {
    format!("key:{db}:{i}").into_bytes()
}

fn write_file(spec: &FileSpec) -> Vec<u8> {
    let mut w = RdbWriter::new(spec.compress, spec.fill);
    for (k, v) in &spec.aux {
        w.aux(k, v);
    }
    let mut out = Vec::new();
    for (&db, keys) in &spec.dbs {
        let expires = keys.iter().filter(|k| k.2.is_some()).count() as u64;
        w.select_db(db, keys.len() as u64, expires);
        for (i, (o, f, exp)) in keys.iter().enumerate() {
            w.entry(&key_name(db, i), o, *f, *exp);
        }
        // Pieces handed out mid-file must join up seamlessly.
        out.extend(w.take());
    }
    out.extend(w.finish(spec.checksum));
    out
}

/// An RDB file (version 11) holding every legacy and modern object, with
/// every opcode the reader accepts: aux fields, SELECTDB, RESIZEDB, ms and
/// seconds expiries, idle time, LFU frequency, a function library.
fn kitchen_sink(checksum: bool) -> Vec<u8> {
    let mut w = Writer::new(true);
    w.buf.extend_from_slice(b"REDIS0011");
    w.byte(OP_AUX);
    w.string(b"redis-ver");
    w.string(b"7.2.4");
    w.byte(OP_AUX);
    w.string(b"ctime");
    w.string(b"1700000000");
    w.byte(OP_FUNCTION2);
    w.string(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    w.byte(OP_SELECTDB);
    w.length(0);
    w.byte(OP_RESIZEDB);
    w.length(20);
    w.length(2);
    for (i, o) in legacy_objects().iter().enumerate() {
        match i % 5 {
            1 => {
                w.byte(OP_EXPIRETIME_MS);
                w.millis(4_000_000_000_000);
            }
            2 => {
                w.byte(OP_EXPIRETIME);
                w.buf.extend_from_slice(&2_000_000_000u32.to_le_bytes());
            }
            3 => {
                w.byte(OP_IDLE);
                w.length(1000);
            }
            4 => {
                w.byte(OP_FREQ);
                w.byte(7);
            }
            _ => {}
        }
        w.byte(o[0]);
        w.string(format!("k{i}").as_bytes());
        w.buf.extend_from_slice(&o[1..]);
        if i == 12 {
            w.byte(OP_SELECTDB);
            w.length(9);
        }
    }
    w.byte(OP_EOF);
    let crc = if checksum { crc64(0, &w.buf) } else { 0 };
    w.buf.extend_from_slice(&crc.to_le_bytes());
    w.buf
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/rdb");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("NOTICE: {} is absent; no fixture seeds", dir.display());
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rdb" || x == "aof"))
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(&p).ok()?)))
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// Damage.

#[derive(Debug, Clone)]
enum Damage {
    Truncate(Index),
    FlipBit(Index, u8),
    Overwrite(Index, Vec<u8>),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// A length prefix that claims far more than the input holds.
    HugeLength(Index, usize),
    /// A type byte or opcode where something else was.
    TypeByte(Index, u8),
}

/// Length prefixes and headers with absurd sizes.
const HUGE: &[&[u8]] = &[
    &[0x80, 0xff, 0xff, 0xff, 0xff],
    &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0x7f, 0xff],
    &[
        0xC3, 0x80, 0x00, 0x00, 0x10, 0x00, 0x80, 0x7f, 0xff, 0xff, 0xff,
    ],
    &[
        0xC3, 0x01, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ],
    &[0xff, 0xff, 0xff, 0x7f, 0xff, 0xff],
    &[0xF0, 0xff, 0xff, 0xff, 0x7f],
    &[0xFE, 0xff, 0xff, 0xff, 0x7f],
    &[0x80, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x0f],
];

/// Type bytes and opcodes worth trying anywhere.
const TYPES: &[u8] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255,
];

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        1 => any::<Index>().prop_map(Damage::Truncate),
        4 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Damage::FlipBit(i, b)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(i, b)| Damage::Overwrite(i, b)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Damage::Remove(i, n)),
        2 => (any::<Index>(), 0..HUGE.len()).prop_map(|(i, h)| Damage::HugeLength(i, h)),
        2 => (any::<Index>(), prop::sample::select(TYPES)).prop_map(|(i, t)| Damage::TypeByte(i, t)),
    ]
}

/// Applies damage, sparing the first `keep` bytes (the RDB header, so that
/// the damage reaches the body rather than stopping at "bad header").
fn apply(data: &mut Vec<u8>, d: &Damage, keep: usize) {
    if data.len() <= keep {
        return;
    }
    let at = |i: &Index, len: usize| keep + i.index(len - keep);
    match d {
        Damage::Truncate(i) => {
            let n = at(i, data.len());
            data.truncate(n);
        }
        Damage::FlipBit(i, b) => {
            let n = at(i, data.len());
            data[n] ^= 1 << b;
        }
        Damage::Overwrite(i, bytes) => {
            let n = at(i, data.len());
            overwrite(data, n, bytes)
        }
        Damage::HugeLength(i, h) => {
            let n = at(i, data.len());
            overwrite(data, n, HUGE[*h])
        }
        Damage::TypeByte(i, t) => {
            let n = at(i, data.len());
            overwrite(data, n, &[*t])
        }
        Damage::Insert(i, bytes) => {
            let n = at(i, data.len() + 1).min(data.len());
            data.splice(n..n, bytes.iter().copied());
        }
        Damage::Remove(i, len) => {
            let n = at(i, data.len());
            let end = (n + len).min(data.len());
            data.drain(n..end);
        }
    }
}

/// Writes `bytes` over `data` from `at`, as far as `data` goes.
fn overwrite(data: &mut [u8], at: usize, bytes: &[u8]) {
    for (k, b) in bytes.iter().enumerate() {
        if let Some(slot) = data.get_mut(at + k) {
            *slot = *b;
        }
    }
}

/// Rewrites the footer of a damaged DUMP payload so that it passes the
/// checksum and reaches the object parser.
fn reseal(p: &[u8]) -> Vec<u8> {
    let body = p.len().saturating_sub(10);
    dump_payload(p[..body].to_vec())
}

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Shrinking of a failure stays short in CI.
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(cases(256))]

    /// Valid files read back exactly (the base every damage starts from).
    #[test]
    fn valid_files_read_back(spec in file_spec()) {
        let data = write_file(&spec);
        let mut got = Vec::new();
        let mut aux = Vec::new();
        let loaded = read_rdb(&data, |e| {
            match e {
                Event::Key(k) => got.push((k.db, k.key, canonical(&k.value), k.expire_ms)),
                Event::Aux(k, v) => aux.push((k, v)),
                _ => {}
            }
            Ok(())
        }).expect("a written file reads");
        prop_assert_eq!(loaded.length, data.len());
        prop_assert_eq!(loaded.version, RDB_VERSION);
        let want_aux: Vec<(Vec<u8>, Vec<u8>)> =
            spec.aux.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.clone())).collect();
        prop_assert_eq!(aux, want_aux);
        let want: Vec<_> = spec.dbs.iter().flat_map(|(&db, keys)| {
            keys.iter().enumerate().map(move |(i, (o, _, e))| (db, key_name(db, i), canonical(o), *e))
        }).collect();
        prop_assert_eq!(got, want);
    }

    /// Damaged files: an error or a consistent result, never a panic or a
    /// giant allocation.
    #[test]
    fn damaged_files_fail_cleanly(
        spec in file_spec(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut data = write_file(&spec);
        for d in &damages {
            apply(&mut data, d, 9);
        }
        let _ = check_file(&data);
    }

    /// Damaged legacy encodings, in a file with every opcode.
    #[test]
    fn damaged_legacy_files_fail_cleanly(
        checksum in any::<bool>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut data = kitchen_sink(checksum);
        for d in &damages {
            apply(&mut data, d, 9);
        }
        let _ = check_file(&data);
    }

    /// RESTORE's parser on damaged DUMP payloads, resealed so that they
    /// pass the checksum: an error or a consistent value. The same damage
    /// without resealing is refused by the footer check.
    #[test]
    fn damaged_payloads_fail_cleanly(
        obj in object(),
        form in form(),
        compress in any::<bool>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut w = Writer::new(compress);
        write_object(&mut w, &obj, form, -2);
        let good = dump_payload(w.buf);
        prop_assert_eq!(check_payload(&good).map(|o| canonical(&o)), Some(canonical(&obj)));
        let mut bad = good.clone();
        for d in &damages {
            // The type byte is fair game here: RESTORE takes it from the
            // client.
            apply(&mut bad, d, 0);
        }
        if bad != good {
            prop_assert!(verify_payload(&bad, true).is_err(), "damage passed the CRC");
        }
        let _ = check_payload(&reseal(&bad));
    }

    /// Damaged legacy objects as RESTORE payloads.
    #[test]
    fn damaged_legacy_payloads_fail_cleanly(
        which in any::<Index>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let objs = legacy_objects();
        let mut bad = dump_payload(objs[which.index(objs.len())].clone());
        for d in &damages {
            apply(&mut bad, d, 0);
        }
        let _ = check_payload(&reseal(&bad));
    }
}

// ---------------------------------------------------------------------------
// Exhaustive single-point damage of the kitchen-sink file and the fixtures.

/// Every cut, and damage at every offset.
fn exhaustive(data: &[u8], what: &str) {
    // What follows the RDB (an AOF tail after an RDB preamble) may be cut
    // without the RDB noticing.
    let mut rdb_len = data.len();
    if let Ok(l) = read_rdb(data, |_| Ok(())) {
        rdb_len = l.length;
    }
    for cut in 9..rdb_len {
        let r = check_file(&data[..cut]);
        assert!(r.is_err(), "{what}: cut at {cut} read as complete");
    }
    // Each offset gets a few flips and one absurd length (rotating through
    // them), which keeps the walk to a second or two.
    let mut bad = data.to_vec();
    for i in 9..data.len() {
        for flip in [1u8 << (i % 8), 0x80, 0xff] {
            bad[i] ^= flip;
            let _ = check_file(&bad);
            bad[i] ^= flip;
        }
        let h = HUGE[i % HUGE.len()];
        let end = (i + h.len()).min(bad.len());
        bad[i..end].copy_from_slice(&h[..end - i]);
        let _ = check_file(&bad);
        bad[i..end].copy_from_slice(&data[i..end]);
    }
}

#[test]
fn kitchen_sink_reads_and_every_single_damage_fails_cleanly() {
    for checksum in [true, false] {
        let data = kitchen_sink(checksum);
        let keys = check_file(&data).expect("the kitchen sink reads");
        assert_eq!(keys, legacy_objects().len());
        exhaustive(&data, "kitchen sink");
    }
}

#[test]
fn fixtures_survive_every_single_damage() {
    for (name, data) in fixtures() {
        // Some fixtures are corrupt on purpose, one is an AOF: whatever
        // they give, damaging them must fail cleanly.
        let _ = check_file(&data);
        // Large fixtures: every cut, and flips at a stride.
        if data.len() <= 4096 {
            exhaustive(&data, &name);
        } else {
            for cut in (9..data.len()).step_by(7) {
                let _ = check_file(&data[..cut]);
            }
        }
    }
}

#[test]
fn every_single_damage_of_every_legacy_payload_fails_cleanly() {
    for o in legacy_objects() {
        let good = dump_payload(o.clone());
        assert!(check_payload(&good).is_some(), "type {}", o[0]);
        for i in 0..good.len() - 10 {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                assert!(verify_payload(&bad, true).is_err());
                let _ = check_payload(&reseal(&bad));
            }
            for h in HUGE {
                let mut bad = good[..good.len() - 10].to_vec();
                for (k, b) in h.iter().enumerate() {
                    if let Some(s) = bad.get_mut(i + k) {
                        *s = *b;
                    }
                }
                let _ = check_payload(&dump_payload(bad));
            }
        }
        for cut in 0..good.len() - 10 {
            let _ = check_payload(&dump_payload(good[..cut].to_vec()));
        }
    }
}
