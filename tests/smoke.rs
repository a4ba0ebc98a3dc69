//! Basic end-to-end checks: the real binary, real clients.

mod common;
use common::*;

#[test]
fn ping_set_get_with_redis_crate() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(b"v\x00\xff")
        .query(&mut c)
        .unwrap();
    let v: Vec<u8> = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, b"v\x00\xff");
}

#[test]
fn errors_are_exact() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        show(&c.cmd(&["foo", "a", "b"])),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \\r\\n"
    );
    assert_eq!(
        show(&c.cmd(&["get"])),
        "-ERR wrong number of arguments for 'get' command\\r\\n"
    );
    assert_eq!(
        show(&c.cmd(&["command", "foo"])),
        "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\\r\\n"
    );
}
