//! Objects in every encoding the RDB reader accepts, including the legacy
//! ones only old Redis versions wrote (ziplists, zipmaps, text doubles,
//! quicklists of ziplists), built by hand: `RdbWriter` writes only what
//! Redis 7.0 writes. Shared by the persistence corruption tests and the
//! server's RESTORE corruption test (included with `#[path]`).

#![allow(dead_code)]

use persistence::encodings::listpack;
use persistence::object::{write_object, Form, Object};
use persistence::rdb::*;

/// A ziplist (Redis 2.6 to 6.2 compact lists, hashes and sorted sets).
pub fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10usize;
    for it in items {
        let start = body.len();
        tail = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(254);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match tiering::value::parse_strict_i64(it) {
            Some(v @ 0..=12) => body.push(0xF1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => body.extend_from_slice(&[0xFE, v as u8]),
            Some(v) if i16::try_from(v).is_ok() => {
                body.push(0xC0);
                body.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-(1 << 23)..1 << 23).contains(&v) => {
                body.push(0xF0);
                body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                body.push(0xD0);
                body.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                body.push(0xE0);
                body.extend_from_slice(&v.to_le_bytes());
            }
            None if it.len() < 64 => {
                body.push(it.len() as u8);
                body.extend_from_slice(it);
            }
            None if it.len() < 16384 => {
                body.push(0x40 | (it.len() >> 8) as u8);
                body.push(it.len() as u8);
                body.extend_from_slice(it);
            }
            None => {
                body.push(0x80);
                body.extend_from_slice(&(it.len() as u32).to_be_bytes());
                body.extend_from_slice(it);
            }
        }
        prev = body.len() - start;
    }
    let mut z = Vec::new();
    z.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
    z.extend_from_slice(&(tail as u32).to_le_bytes());
    z.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
    z.extend(body);
    z.push(0xFF);
    z
}

/// A zipmap (Redis 2.0 to 2.4 small hashes).
pub fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let len = |z: &mut Vec<u8>, n: usize| {
        if n < 254 {
            z.push(n as u8);
        } else {
            z.push(254);
            z.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    let mut z = vec![pairs.len().min(254) as u8];
    for (k, v) in pairs {
        len(&mut z, k.len());
        z.extend_from_slice(k);
        len(&mut z, v.len());
        z.push(0); // free bytes after the value
        z.extend_from_slice(v);
    }
    z.push(0xFF);
    z
}

/// One object in each legacy encoding, and in each encoding the writer
/// uses: (type byte + body).
pub fn legacy_objects() -> Vec<Vec<u8>> {
    let items: Vec<&[u8]> = vec![
        b"a",
        b"7",
        b"-100",
        b"300",
        b"-70000",
        b"5000000",
        b"2000000000",
        b"-9000000000",
        b"bcdefghijklmnopqrstuvwxyzbcdefghijklmnopqrstuvwxyzbcdefghijklmnopqrstuvwxyz",
    ];
    let mut out = Vec::new();
    let mut obj = |t: u8, f: &dyn Fn(&mut Writer)| {
        let mut w = Writer::new(true);
        w.byte(t);
        f(&mut w);
        out.push(w.buf);
    };
    obj(TYPE_LIST, &|w| {
        w.length(items.len() as u64);
        items.iter().for_each(|i| w.string(i));
    });
    obj(TYPE_ZSET, &|w| {
        w.length(4);
        for (m, s) in [("a", "1.5"), ("b", "-3"), ("c", "1e10"), ("d", "inf")] {
            w.string(m.as_bytes());
            w.byte(s.len() as u8);
            w.buf.extend_from_slice(s.as_bytes());
        }
        // text-double infinities by marker byte as well
    });
    obj(TYPE_ZSET, &|w| {
        w.length(2);
        w.string(b"x");
        w.byte(254);
        w.string(b"y");
        w.byte(255);
    });
    obj(TYPE_SET_LISTPACK, &|w| {
        w.string(&listpack(items.iter().copied()))
    });
    obj(TYPE_LIST_ZIPLIST, &|w| w.string(&ziplist(&items)));
    obj(TYPE_HASH_ZIPLIST, &|w| {
        w.string(&ziplist(&[b"f1", b"v1", b"f2", b"12", b"f3", b"x"]))
    });
    obj(TYPE_ZSET_ZIPLIST, &|w| {
        w.string(&ziplist(&[b"m3", b"-inf", b"m1", b"1", b"m2", b"2.5"]))
    });
    obj(TYPE_HASH_ZIPMAP, &|w| {
        let long = [b'v'; 300];
        w.string(&zipmap(&[(b"f", b"v"), (b"g", &long[..]), (b"", b"")]))
    });
    obj(TYPE_LIST_QUICKLIST, &|w| {
        w.length(2);
        w.string(&ziplist(&items));
        w.string(&ziplist(&[b"tail"]));
    });
    obj(TYPE_LIST_QUICKLIST_2, &|w| {
        // A plain node (one big element) and a packed one.
        w.length(2);
        w.length(1);
        w.string(&[b'p'; 100]);
        w.length(2);
        w.string(&listpack(items.iter().copied()));
    });
    obj(TYPE_SET_INTSET, &|w| {
        w.string(&persistence::encodings::intset_at(&[-5, 3, 1 << 40], 8))
    });
    // Everything the writer writes, both forms.
    let modern = [
        Object::Str(b"12345".to_vec()),
        Object::Str(vec![b'z'; 300]),
        Object::Str(b"plain text".to_vec()),
        Object::List(items.iter().map(|i| i.to_vec()).collect()),
        Object::Set(items.iter().map(|i| i.to_vec()).collect()),
        Object::Set(vec![b"1".to_vec(), b"-2".to_vec(), b"70000".to_vec()]),
        Object::IntSet(vec![1, 2, 3], 4),
        Object::ZSet(vec![
            (b"a".to_vec(), f64::NEG_INFINITY),
            (b"b".to_vec(), 0.25),
            (b"c".to_vec(), 1e300),
        ]),
        Object::Hash(vec![
            (b"f".to_vec(), b"1".to_vec()),
            (b"g".to_vec(), vec![b'q'; 70]),
        ]),
    ];
    for o in &modern {
        for form in [Form::Compact, Form::Large] {
            let mut w = Writer::new(true);
            write_object(&mut w, o, form, 3);
            out.push(w.buf);
        }
    }
    out
}
