//! RDB objects: a value in a neutral form ([`Object`]) to and from its RDB
//! type byte and body. The server converts its own value types to and from
//! [`Object`]; this module knows only the file format.
//!
//! Writing follows Redis 7.0 (RDB version 10), so files and DUMP payloads
//! load in Redis 7.0 and later: compact values go out as listpack/intset
//! blobs, large ones element by element; lists always as a quicklist of
//! listpack nodes. Reading accepts every object type Redis ever wrote
//! except streams and modules, which are refused with a clear error.

use std::collections::HashSet;

use crate::encodings::{
    intset, intset_at, intset_values, listpack, listpack_entries, score_text, ziplist_entries,
    zipmap_pairs, Pairs,
};
use crate::rdb::*;

/// A value, independent of how the server stores it.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Str(Vec<u8>),
    /// Elements, head to tail.
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    /// A set of integers as the server holds it (`intset`): its members and
    /// its width in bytes (2, 4 or 8), which Redis never narrows, so that a
    /// file or DUMP carries the blob Redis would write. Written only;
    /// reading an intset gives [`Object::Set`].
    IntSet(Vec<i64>, u8),
    /// Members with scores, by ascending score then member.
    ZSet(Vec<(Vec<u8>, f64)>),
    /// Field/value pairs.
    Hash(Pairs),
}

/// How the server holds a collection, which decides the RDB type written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// listpack (hash, sorted set, list, set of strings) or intset.
    Compact,
    /// hash table, skiplist, quicklist.
    Large,
}

/// Node size limit of the lists we write, as `list-max-listpack-size`:
/// positive = entries per node, negative = byte class (-2 = 8 KiB).
pub type ListFill = i64;

/// Writes `obj` as its type byte and body.
pub fn write_object(w: &mut Writer, obj: &Object, form: Form, fill: ListFill) {
    match obj {
        Object::Str(s) => {
            w.byte(TYPE_STRING);
            w.string(s);
        }
        Object::List(items) => {
            w.byte(TYPE_LIST_QUICKLIST_2);
            let nodes = list_nodes(items, fill);
            w.length(nodes.len() as u64);
            for n in nodes {
                // Container 2: a packed (listpack) node.
                w.length(2);
                w.string(&listpack(n.iter().map(|e| e.as_slice())));
            }
        }
        Object::Set(members) => {
            let ints: Option<Vec<i64>> = members
                .iter()
                .map(|m| tiering::value::parse_strict_i64(m))
                .collect();
            match (form, ints) {
                (Form::Compact, Some(v)) => {
                    w.byte(TYPE_SET_INTSET);
                    w.string(&intset(&v));
                }
                _ => {
                    // Also small sets of strings: Redis 7.0 has no listpack
                    // set, and this must load there.
                    w.byte(TYPE_SET);
                    w.length(members.len() as u64);
                    for m in members {
                        w.string(m);
                    }
                }
            }
        }
        Object::IntSet(values, width) => {
            w.byte(TYPE_SET_INTSET);
            w.string(&intset_at(values, usize::from(*width)));
        }
        Object::ZSet(items) => match form {
            Form::Compact => {
                w.byte(TYPE_ZSET_LISTPACK);
                let texts: Vec<(&[u8], String)> = items
                    .iter()
                    .map(|(m, s)| (m.as_slice(), score_text(*s)))
                    .collect();
                w.string(&listpack(
                    texts.iter().flat_map(|(m, s)| [*m, s.as_bytes()]),
                ));
            }
            Form::Large => {
                w.byte(TYPE_ZSET_2);
                w.length(items.len() as u64);
                // Highest score first, as Redis walks its skiplist.
                for (m, s) in items.iter().rev() {
                    w.string(m);
                    w.binary_double(*s);
                }
            }
        },
        Object::Hash(pairs) => match form {
            Form::Compact => {
                w.byte(TYPE_HASH_LISTPACK);
                w.string(&listpack(
                    pairs.iter().flat_map(|(f, v)| [f.as_slice(), v.as_slice()]),
                ));
            }
            Form::Large => {
                w.byte(TYPE_HASH);
                w.length(pairs.len() as u64);
                for (f, v) in pairs {
                    w.string(f);
                    w.string(v);
                }
            }
        },
    }
}

/// Splits a list into nodes as Redis fills them when elements are
/// appended one by one. A node takes another element if its listpack size
/// plus the element's length plus 8 (Redis's estimate of an entry's
/// overhead) stays within the size class of a negative `fill` (-1..-5:
/// 4..64 KiB); for a positive `fill`, if that estimate stays within 8 KiB
/// and the node has fewer than `fill` entries.
fn list_nodes(items: &[Vec<u8>], fill: ListFill) -> Vec<&[Vec<u8>]> {
    const SIZE_CLASSES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SAFETY_LIMIT: usize = 8192;
    const ESTIMATE_OVERHEAD: usize = 8;
    let mut nodes = Vec::new();
    let mut start = 0;
    let mut lp_bytes = 7; // listpack header and end byte
    for (i, e) in items.iter().enumerate() {
        let count = i - start;
        let estimate = lp_bytes + e.len() + ESTIMATE_OVERHEAD;
        let fits = count == 0
            || if fill < 0 {
                estimate <= SIZE_CLASSES[((-fill - 1) as usize).min(4)]
            } else {
                estimate <= SAFETY_LIMIT && count < fill as usize
            };
        if !fits {
            nodes.push(&items[start..i]);
            start = i;
            lp_bytes = 7;
        }
        lp_bytes += lp_entry_size(e);
    }
    if start < items.len() {
        nodes.push(&items[start..]);
    }
    nodes
}

/// The size of one listpack entry holding `e` (encoding, data, back length).
fn lp_entry_size(e: &[u8]) -> usize {
    // The last entry of a listpack of one, minus header and end byte.
    listpack([e]).len() - 7
}

/// Whether an object of RDB type `t` arrives as a compact blob (listpack,
/// ziplist, zipmap, intset). Redis keeps such a value compact when it
/// loads it unless it has more elements than the `*-max-*-entries` limit,
/// even if an element is longer than the `*-max-*-value` limit.
pub fn stored_form(t: u8) -> Form {
    match t {
        TYPE_HASH_ZIPMAP | TYPE_LIST_ZIPLIST | TYPE_SET_INTSET | TYPE_ZSET_ZIPLIST
        | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK | TYPE_ZSET_LISTPACK | TYPE_SET_LISTPACK => {
            Form::Compact
        }
        _ => Form::Large,
    }
}

/// Reads an object body of type `t`. A collection may come back empty
/// (files from some Redis versions hold such keys): loaders skip them, as
/// Redis does.
pub fn read_object(t: u8, r: &mut Reader) -> Result<Object, Error> {
    match t {
        TYPE_STRING => Ok(Object::Str(r.string()?)),
        TYPE_LIST => {
            let n = r.count(1)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.string()?);
            }
            Ok(Object::List(v))
        }
        TYPE_SET => {
            let n = r.count(1)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.string()?);
            }
            unique(&v, "set members")?;
            Ok(Object::Set(v))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count(2)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.string()?;
                let s = if t == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    text_double(r)?
                };
                if s.is_nan() {
                    return Err(Error::Corrupt("sorted set score"));
                }
                v.push((m, s));
            }
            zset_from(v)
        }
        TYPE_HASH => {
            let n = r.count(2)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let f = r.string()?;
                let val = r.string()?;
                v.push((f, val));
            }
            hash_from(v)
        }
        TYPE_HASH_ZIPMAP => hash_from(zipmap_pairs(&r.string()?)?),
        TYPE_LIST_ZIPLIST => Ok(Object::List(ziplist_entries(&r.string()?)?)),
        TYPE_SET_INTSET => {
            let v = intset_values(&r.string()?)?;
            Ok(Object::Set(
                v.iter().map(|i| i.to_string().into_bytes()).collect(),
            ))
        }
        TYPE_SET_LISTPACK => {
            let v = listpack_entries(&r.string()?)?;
            unique(&v, "set members")?;
            Ok(Object::Set(v))
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let e = if t == TYPE_ZSET_ZIPLIST {
                ziplist_entries(&blob)?
            } else {
                listpack_entries(&blob)?
            };
            if e.len() % 2 != 0 {
                return Err(Error::Corrupt("sorted set entries"));
            }
            let mut v = Vec::with_capacity(e.len() / 2);
            for pair in e.chunks_exact(2) {
                let s = parse_score(&pair[1]).ok_or(Error::Corrupt("sorted set score"))?;
                v.push((pair[0].clone(), s));
            }
            zset_from(v)
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let e = if t == TYPE_HASH_ZIPLIST {
                ziplist_entries(&blob)?
            } else {
                listpack_entries(&blob)?
            };
            if e.len() % 2 != 0 {
                return Err(Error::Corrupt("hash entries"));
            }
            let mut it = e.into_iter();
            let mut v = Vec::new();
            while let (Some(f), Some(val)) = (it.next(), it.next()) {
                v.push((f, val));
            }
            hash_from(v)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count(2)?;
            let mut v = Vec::new();
            for _ in 0..nodes {
                let container = if t == TYPE_LIST_QUICKLIST_2 {
                    r.length()?
                } else {
                    2
                };
                let blob = r.string()?;
                match container {
                    // A plain node: one element.
                    1 => v.push(blob),
                    2 => {
                        let e = if t == TYPE_LIST_QUICKLIST {
                            ziplist_entries(&blob)?
                        } else {
                            listpack_entries(&blob)?
                        };
                        // An empty node is skipped, as Redis does (a list
                        // left empty is the loader's to drop).
                        v.extend(e);
                    }
                    _ => return Err(Error::Corrupt("list node container")),
                }
            }
            Ok(Object::List(v))
        }
        other => Err(Error::BadType(other)),
    }
}

/// The legacy text double: a length byte (253 NaN, 254 +inf, 255 -inf),
/// then that many ASCII bytes.
fn text_double(r: &mut Reader) -> Result<f64, Error> {
    let n = r.byte()?;
    match n {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        _ => {
            let b = r.bytes(n as usize)?;
            parse_score(b).ok_or(Error::Corrupt("sorted set score"))
        }
    }
}

fn parse_score(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    let v = match s {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

fn unique(v: &[Vec<u8>], what: &'static str) -> Result<(), Error> {
    let mut seen = HashSet::with_capacity(v.len());
    if v.iter().all(|m| seen.insert(m.as_slice())) {
        Ok(())
    } else {
        Err(Error::Corrupt(what))
    }
}

fn zset_from(mut v: Vec<(Vec<u8>, f64)>) -> Result<Object, Error> {
    let members: Vec<Vec<u8>> = v.iter().map(|(m, _)| m.clone()).collect();
    unique(&members, "sorted set members")?;
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Object::ZSet(v))
}

fn hash_from(v: Pairs) -> Result<Object, Error> {
    let fields: Vec<Vec<u8>> = v.iter().map(|(f, _)| f.clone()).collect();
    unique(&fields, "hash fields")?;
    Ok(Object::Hash(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(obj: &Object, form: Form) -> Object {
        let mut w = Writer::new(true);
        write_object(&mut w, obj, form, -2);
        let mut r = Reader::new(&w.buf[1..]);
        let back = read_object(w.buf[0], &mut r).expect("readable");
        assert_eq!(r.remaining(), 0);
        back
    }

    #[test]
    fn every_type_round_trips() {
        let strs = |n: usize| -> Vec<Vec<u8>> {
            (0..n).map(|i| format!("member:{i}").into_bytes()).collect()
        };
        for form in [Form::Compact, Form::Large] {
            let s = Object::Str(b"hello".to_vec());
            assert_eq!(round_trip(&s, form), s);
            let l = Object::List(strs(5000));
            assert_eq!(round_trip(&l, form), l);
            let ints = Object::Set(vec![b"3".to_vec(), b"-7".to_vec(), b"100000".to_vec()]);
            let Object::Set(mut got) = round_trip(&ints, form) else {
                panic!("set")
            };
            got.sort();
            let mut want = vec![b"-7".to_vec(), b"100000".to_vec(), b"3".to_vec()];
            want.sort();
            assert_eq!(got, want);
            let set = Object::Set(strs(10));
            assert_eq!(round_trip(&set, form), set);
            let z = Object::ZSet(vec![
                (b"a".to_vec(), f64::NEG_INFINITY),
                (b"b".to_vec(), -1.5),
                (b"c".to_vec(), 0.1),
                (b"d".to_vec(), 3.0),
                (b"e".to_vec(), f64::INFINITY),
            ]);
            assert_eq!(round_trip(&z, form), z);
            let h = Object::Hash(vec![
                (b"f".to_vec(), b"1".to_vec()),
                (b"g".to_vec(), vec![b'x'; 100]),
            ]);
            assert_eq!(round_trip(&h, form), h);
        }
    }

    #[test]
    fn lists_split_into_nodes_like_redis() {
        let items: Vec<Vec<u8>> = (0..100).map(|_| vec![b'x'; 1000]).collect();
        // 8 KiB class: 7 + 8 * 1003 + 1000 + 8 > 8192, so 8 per node.
        let nodes = list_nodes(&items, -2);
        assert_eq!(nodes[0].len(), 8);
        assert_eq!(nodes.iter().map(|n| n.len()).sum::<usize>(), 100);
        let nodes = list_nodes(&items, 10);
        assert!(nodes.iter().all(|n| n.len() <= 8));
        let small: Vec<Vec<u8>> = (0..25).map(|i| vec![b'a' + i as u8]).collect();
        assert_eq!(list_nodes(&small, 10).len(), 3);
    }

    #[test]
    fn bad_objects_are_errors() {
        // Duplicate set members.
        let mut w = Writer::new(false);
        w.length(2);
        w.string(b"a");
        w.string(b"a");
        assert!(read_object(TYPE_SET, &mut Reader::new(&w.buf)).is_err());
        // A count larger than the input.
        let mut w = Writer::new(false);
        w.length(1_000_000);
        assert!(read_object(TYPE_LIST, &mut Reader::new(&w.buf)).is_err());
        // Streams and modules are not supported.
        assert_eq!(
            read_object(TYPE_STREAM_LISTPACKS, &mut Reader::new(&[])),
            Err(Error::BadType(TYPE_STREAM_LISTPACKS))
        );
        // Every truncation of every type fails cleanly.
        let objs = [
            Object::List((0..50).map(|i| vec![i as u8; 30]).collect()),
            Object::ZSet(vec![(b"m".to_vec(), 1.5), (b"n".to_vec(), 2.5)]),
            Object::Hash(vec![(b"f".to_vec(), b"v".to_vec())]),
        ];
        for o in &objs {
            for form in [Form::Compact, Form::Large] {
                let mut w = Writer::new(true);
                write_object(&mut w, o, form, -2);
                for cut in 1..w.buf.len() {
                    assert!(
                        read_object(w.buf[0], &mut Reader::new(&w.buf[1..cut])).is_err(),
                        "{o:?} cut at {cut}"
                    );
                }
            }
        }
    }
}
