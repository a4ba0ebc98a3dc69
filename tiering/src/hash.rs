//! Hash values: field → value maps.
//!
//! Two representations, as in Redis:
//!
//! * **`listpack`**: a [`Pack`] of `field, value, field, value, …` while the
//!   hash has at most `hash-max-listpack-entries` fields and no field or
//!   value longer than `hash-max-listpack-value` bytes. One allocation for
//!   the whole hash; lookups are linear scans, which the limits keep short.
//! * **`hashtable`**: a [`Dict`] once a limit is passed. The conversion
//!   happens once and is never undone (Redis does not convert back either,
//!   and `OBJECT ENCODING` is what tools read).
//!
//! The table stores each pair as **one** allocation, an [`Pair`] holding
//! the field's length, the field and the value back to back, with the
//! value type `()`: a node is then a fat pointer plus the chain link (24
//! bytes) and one heap block per pair, against two blocks (field and value)
//! plus 16 more node bytes for a `Dict<Box<[u8]>, Box<[u8]>>`. A pair hashes
//! and compares by its field only, and borrows as the field's bytes, so
//! lookups take a plain `&[u8]`. Changing a value replaces the pair (same
//! field, so the same bucket: a running HSCAN is not disturbed).
//!
//! The table is the keyspace's [`Dict`], so HSCAN gets the same guarantee
//! as SCAN: a field present for the whole iteration is returned at least
//! once, even across resizes.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use rand::Rng;

use crate::dict::Dict;
use crate::pack::Pack;
use crate::Limits;

/// A field and its value in one allocation: LEB128 field length, field,
/// value. Hashes, compares and borrows as the field alone.
pub struct Pair(Box<[u8]>);

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut buf = Vec::with_capacity(5 + field.len() + value.len());
        let mut len = field.len();
        while len >= 0x80 {
            buf.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        buf.push(len as u8);
        buf.extend_from_slice(field);
        buf.extend_from_slice(value);
        Pair(buf.into_boxed_slice())
    }

    /// (start of the field, end of the field).
    fn bounds(&self) -> (usize, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = 0;
        loop {
            let b = self.0[i];
            len |= ((b & 0x7f) as usize) << shift;
            i += 1;
            if b & 0x80 == 0 {
                return (i, i + len);
            }
            shift += 7;
        }
    }

    pub fn field(&self) -> &[u8] {
        let (s, e) = self.bounds();
        &self.0[s..e]
    }

    /// Replaces the value, keeping the field (and so the pair's hash and
    /// equality). Reuses the allocation when the size does not change.
    pub fn set_value(&mut self, value: &[u8]) {
        let (_, e) = self.bounds();
        if self.0.len() - e == value.len() {
            self.0[e..].copy_from_slice(value);
        } else {
            let mut buf = Vec::with_capacity(e + value.len());
            buf.extend_from_slice(&self.0[..e]);
            buf.extend_from_slice(value);
            self.0 = buf.into_boxed_slice();
        }
    }

    pub fn value(&self) -> &[u8] {
        let (_, e) = self.bounds();
        &self.0[e..]
    }

    fn heap_size(&self) -> usize {
        self.0.len()
    }
}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.field().hash(state)
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Pair) -> bool {
        self.field() == other.field()
    }
}

impl Eq for Pair {}

impl Borrow<[u8]> for Pair {
    fn borrow(&self) -> &[u8] {
        self.field()
    }
}

/// A hash value; see the module documentation.
pub enum HashValue {
    /// The compact representation (`listpack`): fields at even indexes,
    /// each followed by its value.
    Pack(Pack),
    /// The large representation (`hashtable`).
    Table(Box<Dict<Pair, ()>>),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Pack(Pack::new())
    }
}

impl Clone for HashValue {
    fn clone(&self) -> Self {
        match self {
            HashValue::Pack(p) => HashValue::Pack(p.clone()),
            HashValue::Table(t) => {
                let mut d = Dict::new();
                for (p, _) in t.iter() {
                    d.insert(Pair::new(p.field(), p.value()), ());
                }
                HashValue::Table(Box::new(d))
            }
        }
    }
}

impl std::fmt::Debug for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            m.entry(
                &String::from_utf8_lossy(k).into_owned(),
                &String::from_utf8_lossy(v).into_owned(),
            );
        }
        m.finish()
    }
}

/// Equal contents, whatever the representations.
impl PartialEq for HashValue {
    fn eq(&self, other: &HashValue) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

/// Iterator over `(field, value)` pairs.
pub enum Iter<'a> {
    Pack(crate::pack::Iter<'a>),
    Table(crate::dict::Iter<'a, Pair, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(it) => {
                let f = it.next()?;
                let v = it.next().unwrap_or(&[]);
                Some((f, v))
            }
            Iter::Table(it) => it.next().map(|(p, _)| (p.field(), p.value())),
        }
    }
}

impl HashValue {
    /// Prefetches `fields`' table entries (see
    /// [`Dict::prefetch_keys`](crate::dict::Dict::prefetch_keys)); nothing
    /// to do for the packed form.
    pub fn prefetch(&self, fields: &[&[u8]]) {
        if let HashValue::Table(t) = self {
            t.prefetch_keys(fields, |p| Some(p.0.as_ptr()));
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Pack(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            HashValue::Pack(p) => p.heap_size(),
            HashValue::Table(t) => {
                let node = std::mem::size_of::<Pair>() + std::mem::size_of::<usize>();
                std::mem::size_of::<Dict<Pair, ()>>()
                    + t.bucket_count() * std::mem::size_of::<usize>()
                    + t.iter().map(|(p, _)| node + p.heap_size()).sum::<usize>()
            }
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            HashValue::Pack(p) => p.len() / 2,
            HashValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        match self {
            HashValue::Pack(p) => Iter::Pack(p.iter()),
            HashValue::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Pack(p) => {
                let mut it = p.iter();
                while let Some(f) = it.next() {
                    let v = it.next().unwrap_or(&[]);
                    if f == field {
                        return Some(v);
                    }
                }
                None
            }
            HashValue::Table(t) => t.get_key_value(field).map(|(p, _)| p.value()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to the table representation (once a limit is passed).
    pub fn convert_to_table(&mut self) {
        if let HashValue::Pack(p) = self {
            let mut d = Dict::new();
            let mut it = p.iter();
            while let Some(f) = it.next() {
                let v = it.next().unwrap_or(&[]);
                d.insert(Pair::new(f, v), ());
            }
            *self = HashValue::Table(Box::new(d));
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to the
    /// table first if the field or the value is longer than the limit, and
    /// after inserting if the hash now has more fields than the limit
    /// (Redis's `hashTypeSet`).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        if matches!(self, HashValue::Pack(_))
            && (field.len() > limits.hash_max_listpack_value
                || value.len() > limits.hash_max_listpack_value)
        {
            self.convert_to_table();
        }
        match self {
            HashValue::Pack(p) => {
                let new = match p.position(field, 2) {
                    Some(i) => {
                        p.replace(i + 1, value);
                        false
                    }
                    None => {
                        p.splice(p.len(), 0, &[field, value]);
                        true
                    }
                };
                if p.len() / 2 > limits.hash_max_listpack_entries {
                    self.convert_to_table();
                }
                new
            }
            HashValue::Table(t) => match t.get_key_value_mut(field) {
                // An existing field is rewritten where it is: one lookup,
                // and the node stays (Redis's dictFind + value swap).
                Some((pair, ())) => {
                    pair.set_value(value);
                    false
                }
                None => {
                    t.insert_new(Pair::new(field, value), ());
                    true
                }
            },
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Pack(p) => match p.position(field, 2) {
                Some(i) => {
                    p.splice(i, 2, &[]);
                    true
                }
                None => false,
            },
            HashValue::Table(t) => {
                let removed = t.remove_entry(field).is_some();
                // As Redis's hashTypeDelete: a table that deletes left
                // mostly empty shrinks (HSCAN's cursor survives resizes).
                if removed {
                    t.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// A random `(field, value)` (uniform for packs, near-uniform for
    /// tables).
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], &[u8])> {
        match self {
            HashValue::Pack(p) => {
                if p.is_empty() {
                    return None;
                }
                let i = rng.gen_range(0..p.len() / 2);
                Some((p.get(2 * i)?, p.get(2 * i + 1)?))
            }
            HashValue::Table(t) => t.random_entry(rng).map(|(p, _)| (p.field(), p.value())),
        }
    }

    /// One step of HSCAN over a table: calls `f` on each pair of the
    /// bucket(s) `cursor` names and returns the next cursor (0: done). A
    /// pack has no cursor: it is returned whole, with next cursor 0.
    pub fn scan<'a>(&'a self, cursor: u64, mut f: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        match self {
            HashValue::Pack(_) => {
                for (k, v) in self.iter() {
                    f(k, v);
                }
                0
            }
            HashValue::Table(t) => t.scan(cursor, |p, _| f(p.field(), p.value())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(entries: usize, value: usize) -> Limits {
        Limits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
            ..Limits::default()
        }
    }

    #[test]
    fn pair_round_trip() {
        for flen in [0usize, 1, 127, 128, 20_000] {
            let f = vec![b'f'; flen];
            let p = Pair::new(&f, b"value");
            assert_eq!(p.field(), &f[..]);
            assert_eq!(p.value(), b"value");
        }
        assert!(Pair::new(b"a", b"1") == Pair::new(b"a", b"2"));
    }

    #[test]
    fn table_set_rewrites_existing_fields_in_place() {
        let l = limits(0, 64);
        let mut h = HashValue::default();
        for i in 0..200 {
            assert!(h.set(format!("f{i}").as_bytes(), b"v", &l));
        }
        // Same size (bytes overwritten), longer, shorter, empty.
        for v in [&b"w"[..], b"a longer value", b"xy", b""] {
            for i in (0..200).step_by(7) {
                assert!(!h.set(format!("f{i}").as_bytes(), v, &l));
                assert_eq!(h.get(format!("f{i}").as_bytes()), Some(v));
            }
        }
        assert_eq!(h.len(), 200);
        assert_eq!(h.get(b"f1"), Some(&b"v"[..]));
    }

    #[test]
    fn table_shrinks_after_deletes() {
        let l = limits(0, 64);
        let mut h = HashValue::default();
        for i in 0..5000 {
            h.set(format!("f{i}").as_bytes(), b"v", &l);
        }
        let HashValue::Table(t) = &h else {
            panic!("expected a table")
        };
        let big = t.bucket_count();
        for i in 10..5000 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        let HashValue::Table(t) = &mut h else {
            panic!("expected a table")
        };
        while t.rehash(100) {}
        // Deletes during a shrink's rehash do not start another; the next
        // check finishes the job.
        t.shrink_if_needed();
        while t.rehash(100) {}
        assert!(t.bucket_count() <= 128, "{} of {big}", t.bucket_count());
        for i in 0..10 {
            assert_eq!(h.get(format!("f{i}").as_bytes()), Some(&b"v"[..]));
        }
    }

    #[test]
    fn converts_on_entries_and_value_limits() {
        let l = limits(3, 8);
        let mut h = HashValue::default();
        assert!(h.set(b"a", b"1", &l));
        assert!(!h.set(b"a", b"2", &l));
        h.set(b"b", b"2", &l);
        h.set(b"c", b"3", &l);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"d", b"4", &l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 4);
        assert_eq!(h.get(b"a"), Some(&b"2"[..]));
        // Never back, even when small again.
        for f in [b"a", b"b", b"c"] {
            assert!(h.remove(f));
        }
        assert_eq!(h.encoding(), "hashtable");

        let mut h = HashValue::default();
        h.set(b"f", b"123456789", &l);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::default();
        h.set(b"123456789", b"v", &l);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::default();
        h.set(b"12345678", b"12345678", &l);
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn equality_ignores_representation() {
        let l = limits(2, 64);
        let mut a = HashValue::default();
        let mut b = HashValue::default();
        for i in 0..5 {
            a.set(format!("f{i}").as_bytes(), b"v", &l);
        }
        let big = limits(100, 64);
        for i in (0..5).rev() {
            b.set(format!("f{i}").as_bytes(), b"v", &big);
        }
        assert_eq!(a.encoding(), "hashtable");
        assert_eq!(b.encoding(), "listpack");
        assert_eq!(a, b);
        assert_eq!(a.clone(), a);
        b.set(b"f0", b"other", &big);
        assert_ne!(a, b);
    }

    #[test]
    fn scan_covers_table() {
        let l = limits(0, 64);
        let mut h = HashValue::default();
        for i in 0..1000 {
            h.set(format!("f{i}").as_bytes(), b"v", &l);
        }
        let mut seen = std::collections::HashSet::new();
        let mut c = 0;
        loop {
            c = h.scan(c, |f, _| {
                seen.insert(f.to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        let mut rng = rand::thread_rng();
        let (f, v) = h.random(&mut rng).expect("not empty");
        assert_eq!(h.get(f), Some(v));
    }
}
