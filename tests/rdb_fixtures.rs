//! The RDB reader on files written by old Redis versions (the shared
//! fixtures beside the project: ../shared/fixtures/rdb). Skipped with a
//! notice when that folder is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use persistence::file::{read_rdb, Event, FileError};
use persistence::object::Object;

fn fixture(name: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/rdb");
    if !dir.is_dir() {
        eprintln!(
            "NOTICE: {} is absent; skipping the legacy RDB fixtures",
            dir.display()
        );
        return None;
    }
    Some(std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// Every key of a file: name -> value.
fn keys(data: &[u8]) -> BTreeMap<String, Object> {
    let mut out = BTreeMap::new();
    read_rdb(data, |e| {
        if let Event::Key(k) = e {
            out.insert(String::from_utf8_lossy(&k.key).into_owned(), k.value);
        }
        Ok(())
    })
    .expect("loads");
    out
}

fn strs(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.iter()
        .map(|(a, b)| (a.as_bytes().to_vec(), b.as_bytes().to_vec()))
        .collect()
}

#[test]
fn encodings_rdb_version_4() {
    let Some(data) = fixture("encodings.rdb") else {
        return;
    };
    let k = keys(&data);
    assert_eq!(k.len(), 13);
    assert_eq!(k["string"], Object::Str(b"Hello World".to_vec()));
    assert_eq!(k["number"], Object::Str(b"10".to_vec()));
    let Object::Str(c) = &k["compressible"] else {
        panic!("compressible")
    };
    assert!(c.len() > 100 && c.iter().all(|&b| b == b'a'));
    let list = strs(&["1", "2", "3", "a", "b", "c", "100000", "6000000000"]);
    assert_eq!(k["list_zipped"], Object::List(list.clone()));
    assert_eq!(
        k["list"],
        Object::List([list.clone(), list.clone(), list.clone()].concat())
    );
    let mut set = match &k["set"] {
        Object::Set(s) => s.clone(),
        other => panic!("set: {other:?}"),
    };
    set.sort();
    let mut want = strs(&["1", "100000", "2", "3", "6000000000", "a", "b", "c"]);
    want.sort();
    assert_eq!(set, want);
    assert_eq!(k["set_zipped_1"], Object::Set(strs(&["1", "2", "3", "4"])));
    assert_eq!(
        k["set_zipped_3"],
        Object::Set(strs(&[
            "1000000000",
            "2000000000",
            "3000000000",
            "4000000000",
            "5000000000",
            "6000000000"
        ]))
    );
    assert_eq!(
        k["hash_zipped"],
        Object::Hash(pairs(&[("a", "1"), ("b", "2"), ("c", "3")]))
    );
    let Object::Hash(h) = &k["hash"] else {
        panic!("hash")
    };
    let h: BTreeMap<_, _> = h.iter().cloned().collect();
    assert_eq!(h.len(), 11);
    assert_eq!(h[&b"eee"[..].to_vec()], b"5000000000".to_vec());
    let Object::ZSet(z) = &k["zset"] else {
        panic!("zset")
    };
    let names: Vec<&[u8]> = z.iter().map(|(m, _)| m.as_slice()).collect();
    assert_eq!(names.first(), Some(&&b"a"[..]));
    assert_eq!(z.last(), Some(&(b"bbbb".to_vec(), 5_000_000_000.0)));
    assert_eq!(
        k["zset_zipped"],
        Object::ZSet(vec![
            (b"a".to_vec(), 1.0),
            (b"b".to_vec(), 2.0),
            (b"c".to_vec(), 3.0)
        ])
    );
}

#[test]
fn zipmap_ziplist_and_quicklist_files() {
    let hash = Object::Hash(pairs(&[("f1", "v1"), ("f2", "v2")]));
    if let Some(d) = fixture("hash-zipmap.rdb") {
        assert_eq!(keys(&d)["hash"], hash);
    }
    if let Some(d) = fixture("hash-ziplist.rdb") {
        assert_eq!(keys(&d)["hash"], hash);
    }
    if let Some(d) = fixture("zset-ziplist.rdb") {
        assert_eq!(
            keys(&d)["zset"],
            Object::ZSet(vec![(b"one".to_vec(), 1.0), (b"two".to_vec(), 2.0)])
        );
    }
    if let Some(d) = fixture("list-quicklist.rdb") {
        let k = keys(&d);
        assert_eq!(k["list"], Object::List(strs(&["7"])));
        assert_eq!(k["x"], Object::Str(b"7".to_vec()));
    }
}

#[test]
fn script_aux_empty_keys_and_corruption() {
    if let Some(d) = fixture("scriptbackup.rdb") {
        let mut aux = Vec::new();
        read_rdb(&d, |e| {
            if let Event::Aux(k, _) = e {
                aux.push(String::from_utf8_lossy(&k).into_owned());
            }
            Ok(())
        })
        .expect("loads");
        assert!(aux.contains(&"lua".to_string()));
        assert!(keys(&d).is_empty());
    }
    if let Some(d) = fixture("corrupt_empty_keys.rdb") {
        let k = keys(&d);
        assert_eq!(k.len(), 9);
        for (name, v) in &k {
            let empty = match v {
                Object::List(x) | Object::Set(x) => x.is_empty(),
                Object::IntSet(x, _) => x.is_empty(),
                Object::Hash(x) => x.is_empty(),
                Object::ZSet(x) => x.is_empty(),
                Object::Str(_) => false,
            };
            assert!(empty, "{name} should be an empty collection");
        }
    }
    if let Some(d) = fixture("corrupt_ziplist.rdb") {
        let e = read_rdb(&d, |_| Ok(())).expect_err("must be refused");
        assert!(matches!(e.error, FileError::Format(_)), "{e}");
        assert!(e.to_string().contains("ziplist"), "{e}");
    }
    if let Some(d) = fixture("rdb-preamble.aof") {
        let loaded = read_rdb(&d, |_| Ok(())).expect("preamble loads");
        assert_eq!(loaded.version, 10);
        // RESP commands follow the preamble.
        assert_eq!(d.get(loaded.length), Some(&b'*'));
    }
}
