//! Sorted sets beyond the differential stream: representation changes
//! (also after CONFIG SET), big zsets, and lex ranges over mixed scores,
//! compared with redis-server 7.0 where it is installed.

mod common;

use common::*;

/// Runs `cmds` on our server and, if installed, on redis-server 7.0, and
/// checks that the replies are byte-identical.
fn same_as_redis(extra: &[&str], cmds: &[&[&str]]) -> Vec<Vec<u8>> {
    let ours = Server::start(extra);
    let mut c = ours.conn();
    let got: Vec<Vec<u8>> = cmds.iter().map(|a| c.cmd(a)).collect();
    if let Some(reference) = Server::start_reference(extra) {
        let mut r = reference.conn();
        for (a, g) in cmds.iter().zip(&got) {
            let want = r.cmd(a);
            assert_eq!(show(g), show(&want), "command {a:?}");
        }
    }
    got
}

#[test]
fn encoding_follows_the_limits() {
    let long = "x".repeat(65);
    let got = same_as_redis(
        &[],
        &[
            &["ZADD", "z", "1", "a", "2", "b"],
            &["OBJECT", "ENCODING", "z"],
            &["ZADD", "z", "3", &long],
            &["OBJECT", "ENCODING", "z"],
            // Removing members never converts back.
            &["ZREM", "z", &long],
            &["OBJECT", "ENCODING", "z"],
            // A small ZRANGESTORE result is compact again.
            &["ZRANGESTORE", "d", "z", "0", "-1"],
            &["OBJECT", "ENCODING", "d"],
            &["CONFIG", "SET", "zset-max-listpack-entries", "2"],
            &["ZADD", "s", "1", "a", "2", "b"],
            &["OBJECT", "ENCODING", "s"],
            &["ZADD", "s", "3", "c"],
            &["OBJECT", "ENCODING", "s"],
            &["ZRANGE", "s", "0", "-1", "WITHSCORES"],
            &["CONFIG", "SET", "zset-max-listpack-entries", "0"],
            &["ZADD", "t", "1", "a"],
            &["OBJECT", "ENCODING", "t"],
        ],
    );
    assert_eq!(got[1], b"$8\r\nlistpack\r\n");
    assert_eq!(got[3], b"$8\r\nskiplist\r\n");
    assert_eq!(got[5], b"$8\r\nskiplist\r\n");
    assert_eq!(got[7], b"$8\r\nlistpack\r\n");
    assert_eq!(got[12], b"$8\r\nskiplist\r\n");
    assert_eq!(got[16], b"$8\r\nskiplist\r\n");
}

#[test]
fn lex_ranges_over_mixed_scores_in_a_listpack() {
    // Redis answers these deterministically for a listpack: a scan from
    // the head (or the tail when reversed) while members stay in range.
    same_as_redis(
        &[],
        &[
            &[
                "ZADD", "z", "1", "b", "2", "z", "3", "a", "4", "c", "5", "y",
            ],
            &["ZRANGEBYLEX", "z", "-", "[c"],
            &["ZRANGEBYLEX", "z", "[b", "+"],
            &["ZREVRANGEBYLEX", "z", "[c", "-"],
            &["ZREVRANGEBYLEX", "z", "+", "[x"],
            &["ZLEXCOUNT", "z", "[a", "[c"],
            &["ZRANGE", "z", "(a", "[z", "BYLEX"],
            &["ZREMRANGEBYLEX", "z", "[a", "[b"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ],
    );
}

#[test]
fn big_zset_ranks_and_ranges() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    let n = 20_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
        for i in chunk {
            args.push((i / 2).to_string());
            args.push(format!("m{i:06}"));
        }
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert!(c.cmd(&refs).starts_with(b":1000"));
    }
    assert_eq!(c.cmd(&["ZCARD", "big"]), format!(":{n}\r\n").into_bytes());
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "big"]), b"$8\r\nskiplist\r\n");
    assert_eq!(c.cmd(&["ZRANK", "big", "m012345"]), b":12345\r\n");
    assert_eq!(
        c.cmd(&["ZREVRANK", "big", "m000000"]),
        format!(":{}\r\n", n - 1).into_bytes()
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "big", "(100", "101", "WITHSCORES"]),
        b"*4\r\n$7\r\nm000202\r\n$3\r\n101\r\n$7\r\nm000203\r\n$3\r\n101\r\n"
    );
    assert_eq!(c.cmd(&["ZCOUNT", "big", "-inf", "(5000"]), b":10000\r\n");
    assert_eq!(
        c.cmd(&["ZREMRANGEBYRANK", "big", "0", "9999"]),
        b":10000\r\n"
    );
    assert_eq!(
        c.cmd(&["ZPOPMIN", "big"]),
        b"*2\r\n$7\r\nm010000\r\n$4\r\n5000\r\n"
    );
}

/// ZRANK WITHSCORE is Redis 7.2 syntax. The command table answers as
/// redis 7.0 (arity 3), so the option is refused by arity like in 7.0.
#[test]
fn zrank_withscore_is_refused_like_7_0() {
    same_as_redis(
        &[],
        &[
            &["ZADD", "z", "1.5", "a"],
            &["ZRANK", "z", "a", "WITHSCORE"],
            &["ZRANK", "z", "a"],
        ],
    );
}
