//! List behaviour the random differential stream cannot show: the
//! listpack/quicklist conversions of Redis 7.2 under different
//! `list-max-listpack-size` settings (the reference server is 7.0, which
//! has no listpack lists), and large lists spanning many nodes.

mod common;

use common::{Conn, Server};

fn encoding(c: &mut Conn, key: &str) -> String {
    let r = c.cmd(&["OBJECT", "ENCODING", key]);
    String::from_utf8_lossy(&r)
        .trim()
        .trim_start_matches('$')
        .to_string()
}

fn enc(c: &mut Conn, key: &str) -> &'static str {
    let e = encoding(c, key);
    if e.contains("quicklist") {
        "quicklist"
    } else if e.contains("listpack") {
        "listpack"
    } else {
        panic!("unexpected encoding reply {e:?}")
    }
}

fn push_n(c: &mut Conn, key: &str, n: usize, item: &str) {
    let mut args = vec!["RPUSH", key];
    args.extend(std::iter::repeat_n(item, n));
    let r = c.cmd(&args);
    assert!(r.starts_with(b":"), "{}", String::from_utf8_lossy(&r));
}

#[test]
fn count_limit_converts_and_shrinks_back_at_half() {
    let s = Server::start(&["--list-max-listpack-size", "8"]);
    let mut c = s.conn();
    push_n(&mut c, "l", 8, "x");
    assert_eq!(enc(&mut c, "l"), "listpack");
    push_n(&mut c, "l", 1, "x");
    assert_eq!(enc(&mut c, "l"), "quicklist");
    // Nodes [8][1]: popping the tail node leaves one node of 8 > 8/2.
    assert_eq!(c.cmd(&["RPOP", "l"]), b"$1\r\nx\r\n");
    assert_eq!(enc(&mut c, "l"), "quicklist");
    assert_eq!(c.cmd(&["LPOP", "l", "3"]).len(), b"*3\r\n".len() + 3 * 7);
    assert_eq!(enc(&mut c, "l"), "quicklist");
    c.cmd(&["LPOP", "l"]);
    assert_eq!(enc(&mut c, "l"), "listpack");
    assert_eq!(c.cmd(&["LLEN", "l"]), b":4\r\n");
}

#[test]
fn byte_limit_of_the_default_setting() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // -2: 8 KiB. 100-byte strings take 102 bytes each in a listpack.
    let v = "v".repeat(100);
    push_n(&mut c, "l", 70, &v);
    assert_eq!(enc(&mut c, "l"), "listpack");
    push_n(&mut c, "l", 20, &v);
    assert_eq!(enc(&mut c, "l"), "quicklist");
    // Trimmed to well under half of 8 KiB: one node, back to listpack.
    assert_eq!(c.cmd(&["LTRIM", "l", "0", "9"]), b"+OK\r\n");
    assert_eq!(enc(&mut c, "l"), "listpack");
    // One element above the limit makes a quicklist on its own.
    let big = "b".repeat(9000);
    push_n(&mut c, "big", 1, &big);
    assert_eq!(enc(&mut c, "big"), "quicklist");
    assert_eq!(c.cmd(&["LINDEX", "big", "0"]).len(), 9000 + 9);
}

#[test]
fn large_lists_index_and_range_across_nodes() {
    let s = Server::start(&["--list-max-listpack-size", "5"]);
    let mut c = s.conn();
    let items: Vec<String> = (0..1000).map(|i| format!("e{i}")).collect();
    let mut args = vec!["RPUSH", "l"];
    args.extend(items.iter().map(|s| s.as_str()));
    assert_eq!(c.cmd(&args), b":1000\r\n");
    assert_eq!(enc(&mut c, "l"), "quicklist");
    assert_eq!(c.cmd(&["LINDEX", "l", "-1"]), b"$4\r\ne999\r\n");
    assert_eq!(c.cmd(&["LINDEX", "l", "503"]), b"$4\r\ne503\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "498", "501"]),
        b"*4\r\n$4\r\ne498\r\n$4\r\ne499\r\n$4\r\ne500\r\n$4\r\ne501\r\n"
    );
    assert_eq!(
        c.cmd(&["LINSERT", "l", "BEFORE", "e500", "new"]),
        b":1001\r\n"
    );
    assert_eq!(c.cmd(&["LPOS", "l", "new"]), b":500\r\n");
    assert_eq!(c.cmd(&["LSET", "l", "500", "newer"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["LREM", "l", "0", "newer"]), b":1\r\n");
    assert_eq!(c.cmd(&["LTRIM", "l", "-3", "-1"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        b"*3\r\n$4\r\ne997\r\n$4\r\ne998\r\n$4\r\ne999\r\n"
    );
    // One node of 3 entries: more than half of 5, still a quicklist.
    assert_eq!(enc(&mut c, "l"), "quicklist");
    assert_eq!(c.cmd(&["LPOP", "l"]), b"$4\r\ne997\r\n");
    assert_eq!(enc(&mut c, "l"), "listpack");
    // Changing the setting applies to later operations.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "2"]),
        b"+OK\r\n"
    );
    push_n(&mut c, "l", 1, "x");
    assert_eq!(enc(&mut c, "l"), "quicklist");
}

#[test]
fn rotation_keeps_the_expiry() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    push_n(&mut c, "l", 1, "only");
    c.cmd(&["EXPIRE", "l", "1000"]);
    assert_eq!(
        c.cmd(&["LMOVE", "l", "l", "LEFT", "RIGHT"]),
        b"$4\r\nonly\r\n"
    );
    assert_eq!(c.cmd(&["TTL", "l"]), b":1000\r\n");
}
