//! Server and connection commands, the config file and the command line,
//! driven through the real binary.

mod common;
use common::*;

use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_valkey-tiered")
}

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(&format!("{name}:"))
            .map(|v| v.trim().to_string())
    })
}

#[test]
fn version_and_help() {
    let out = Command::new(bin()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valkey-tiered v="));
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: valkey-tiered"));
}

#[test]
fn bad_config_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "# ok\nport 7777\nnot-a-directive 1\n").unwrap();
    let out = Command::new(bin()).arg(&conf).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.conf, at line 3"), "{err}");
    assert!(err.contains(">>> 'not-a-directive 1'"), "{err}");
    std::fs::write(&conf, "maxmemory lots\n").unwrap();
    let out = Command::new(bin()).arg(&conf).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("argument must be a memory value"));
    let out = Command::new(bin()).args(["--hz", "x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("(command line)"));
}

#[test]
fn config_file_include_and_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "hz 20\n").unwrap();
    let conf = dir.path().join("main.conf");
    std::fs::write(
        &conf,
        format!("# my comment\ninclude {}\nmaxmemory 10mb\n", inc.display()),
    )
    .unwrap();
    let port = free_port();
    let mut child = Command::new(bin())
        .arg(&conf)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(c) = Conn::try_connect(port) {
            break c;
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        show(&c.cmd(&["CONFIG", "GET", "hz"])),
        "*2\\r\\n$2\\r\\nhz\\r\\n$2\\r\\n20\\r\\n"
    );
    assert_eq!(
        show(&c.cmd(&["CONFIG", "GET", "maxmemory"])),
        "*2\\r\\n$9\\r\\nmaxmemory\\r\\n$8\\r\\n10485760\\r\\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "20mb", "lfu-log-factor", "3"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("# my comment"), "{text}");
    assert!(text.contains("maxmemory 20971520"), "{text}");
    assert!(text.contains("lfu-log-factor 3"), "{text}");
    assert!(text.contains("include "), "{text}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn config_get_set_errors_match_redis() {
    let ours = Server::start(&[]);
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.conn(), reference.conn());
    let cases: &[&[&str]] = &[
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "GET", "hash-max-ziplist-entries"],
        &["CONFIG", "SET", "hz", "abc"],
        &["CONFIG", "SET", "maxmemory", "1xb"],
        &["CONFIG", "SET", "maxmemory", "-1"],
        &["CONFIG", "SET", "appendfsync", "bad"],
        &["CONFIG", "SET", "port", "99999999"],
        &["CONFIG", "SET", "databases", "4"],
        &["CONFIG", "SET", "foo", "bar"],
        &["CONFIG", "SET", "hz", "5", "hz", "6"],
        &["CONFIG", "SET", "hz"],
        &["CONFIG", "SET", "save", "x"],
        &["CONFIG", "SET", "maxmemory", "1gb", "hz", "x"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU"],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        &["CONFIG", "GET", "notify-keyspace-events"],
        &["CONFIG", "SET", "notify-keyspace-events", "Q"],
        &["CONFIG", "SET", "save", "100 10 20 5"],
        &["CONFIG", "GET", "save"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 2mb 3",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &["CONFIG", "GET"],
        &["CONFIG", "FOO"],
        &["CONFIG", "RESETSTAT", "x"],
        &["CONFIG", "REWRITE"],
        &["TIME", "x"],
        &["SELECT", "99"],
        &["SELECT", "x"],
        &["ECHO", "hi"],
        &["PING", "a", "b"],
        &["PING", "hello"],
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["HELLO", "3", "AUTH", "a", "b"],
        &["AUTH", "x"],
        &["CLIENT", "SETNAME", "a b"],
        &["CLIENT", "SETNAME", "good"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "REPLY", "x"],
        &["CLIENT", "NO-EVICT", "x"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "ID", "x"],
        &["CLIENT", "KILL", "ID", "999999"],
        &["CLIENT", "KILL", "FOO", "bar"],
        &["CLIENT", "LIST", "TYPE", "foo"],
        &["CLIENT", "LIST", "TYPE", "pubsub"],
        &["CLIENT", "FOO"],
        &["SHUTDOWN", "ABORT"],
        &["SHUTDOWN", "NOSAVE", "SAVE"],
        &["SHUTDOWN", "FOO"],
        &["DEBUG", "SLEEP", "0"],
        &["COMMAND", "GETKEYS", "get"],
        &["COMMAND", "GETKEYS", "set", "a", "b"],
        &["COMMAND", "GETKEYS", "foo", "a"],
        &["COMMAND", "GETKEYS", "ping", "x"],
        &["COMMAND", "INFO", "nosuchcommand"],
    ];
    for cmd in cases {
        let (x, y) = (a.cmd(cmd), b.cmd(cmd));
        assert_eq!(show(&x), show(&y), "{cmd:?}");
    }
}

#[test]
fn info_sections_have_real_values() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2", "EX", "1000"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "c", "3"]);
    c.cmd(&["GET", "c"]);
    c.cmd(&["GET", "missing"]);
    c.cmd(&["NOSUCH"]);
    let r = c.cmd(&["INFO"]);
    let info = String::from_utf8_lossy(&r).to_string();
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Errorstats",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "missing {section}");
    }
    assert_eq!(info_field(&info, "tcp_port"), Some(s.port.to_string()));
    assert_eq!(info_field(&info, "connected_clients").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "errorstat_ERR").as_deref(),
        Some("count=1")
    );
    assert!(info_field(&info, "db0")
        .unwrap()
        .starts_with("keys=2,expires=1,avg_ttl="));
    assert!(info_field(&info, "db3")
        .unwrap()
        .starts_with("keys=1,expires=0,"));
    assert!(
        info_field(&info, "used_memory")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(
        info_field(&info, "used_memory_rss")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let r = c.cmd(&["INFO", "commandstats"]);
    let cs = String::from_utf8_lossy(&r).to_string();
    assert!(cs.contains("cmdstat_set:calls=3,"), "{cs}");
    assert!(cs.contains("cmdstat_select:calls=1,"), "{cs}");
    let r = c.cmd(&["INFO", "server", "clients"]);
    let two = String::from_utf8_lossy(&r).to_string();
    assert!(two.contains("# Server") && two.contains("# Clients") && !two.contains("# Memory"));
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    let r = c.cmd(&["INFO", "stats"]);
    assert_eq!(
        info_field(&String::from_utf8_lossy(&r), "keyspace_hits").as_deref(),
        Some("0")
    );
}

#[test]
fn hello_auth_and_resp3() {
    let s = Server::start(&["--requirepass", "secret"]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["GET", "x"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    let r = c.cmd(&["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"]);
    assert!(r.starts_with(b"%7\r\n$6\r\nserver\r\n"), "{}", show(&r));
    assert_eq!(c.cmd(&["GET", "x"]), b"_\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$2\r\nme\r\n");
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(
        c.cmd(&["GET", "x"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    // Before AUTH, frames larger than Redis's unauthenticated limits close
    // the connection.
    let mut c2 = s.conn();
    c2.send_raw(b"*20\r\n");
    assert_eq!(
        c2.read_reply().unwrap(),
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(c2.is_closed());
}

#[test]
fn client_reply_kill_and_list() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    a.cmd(&["CLIENT", "SETNAME", "alpha"]);
    let id_b = String::from_utf8_lossy(&b.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim()
        .to_string();
    let list = String::from_utf8_lossy(&a.cmd(&["CLIENT", "LIST"])).to_string();
    assert!(
        list.contains("name=alpha") && list.contains("cmd=client|list"),
        "{list}"
    );
    // (The start-up probe's connection may still be listed, so look for
    // the two clients by id rather than counting.)
    assert!(list.contains(&format!("id={id_b} ")), "{list}");
    // CLIENT REPLY OFF: no replies until ON.
    a.send_raw(&Conn::encode(&[b"CLIENT", b"REPLY", b"OFF"]));
    a.send_raw(&Conn::encode(&[b"SET", b"k", b"v"]));
    a.send_raw(&Conn::encode(&[b"CLIENT", b"REPLY", b"SKIP"]));
    a.send_raw(&Conn::encode(&[b"PING"]));
    assert_eq!(a.cmd(&["CLIENT", "REPLY", "ON"]), b"+OK\r\n");
    assert_eq!(a.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    // SKIP drops exactly the next reply.
    a.send_raw(&Conn::encode(&[b"CLIENT", b"REPLY", b"SKIP"]));
    a.send_raw(&Conn::encode(&[b"PING", b"skipped"]));
    assert_eq!(a.cmd(&["PING", "seen"]), b"$4\r\nseen\r\n");
    assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &id_b]), b":1\r\n");
    assert!(b.is_closed());
    assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &id_b]), b":0\r\n");
}

#[test]
fn quit_closes_after_reply() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.send_raw(&[Conn::encode(&[b"QUIT"]), Conn::encode(&[b"PING"])].concat());
    assert_eq!(c.read_reply().unwrap(), b"+OK\r\n");
    assert!(c.is_closed());
}

#[test]
fn maxclients_and_idle_timeout() {
    let s = Server::start(&["--maxclients", "2", "--timeout", "1", "--hz", "50"]);
    let mut a = s.conn();
    let _b = s.conn();
    // Wait until both are registered, then a third is refused.
    assert_eq!(a.cmd(&["PING"]), b"+PONG\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = s.conn();
        match c.read_reply() {
            Some(r) if r == b"-ERR max number of clients reached\r\n" => break,
            _ => assert!(Instant::now() < deadline, "third client was not refused"),
        }
    }
    // Idle clients are closed after `timeout` seconds.
    assert!(a.is_closed());
}

#[test]
fn debug_is_gated_and_shutdown_exits() {
    let mut s = Server::start(&[]);
    let mut c = s.conn();
    let r = c.cmd(&["DEBUG", "SLEEP", "0"]);
    assert!(
        r.starts_with(b"-ERR DEBUG command not allowed."),
        "{}",
        show(&r)
    );
    drop(c);
    let mut s2 = Server::start(&["--enable-debug-command", "yes"]);
    let mut c2 = s2.conn();
    assert_eq!(c2.cmd(&["DEBUG", "SLEEP", "0"]), b"+OK\r\n");
    c2.cmd(&["SET", "k", "12"]);
    let r = c2.cmd(&["DEBUG", "OBJECT", "k"]);
    assert!(
        show(&r).contains("encoding:int serializedlength:2"),
        "{}",
        show(&r)
    );
    assert_eq!(
        c2.cmd(&["DEBUG", "OBJECT", "nokey"]),
        b"-ERR no such key\r\n"
    );
    c2.send_raw(&Conn::encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert!(c2.is_closed());
    let status = s2.child.wait().unwrap();
    assert!(status.success());
    let mut c = s.conn();
    c.send_raw(&Conn::encode(&[b"SHUTDOWN"]));
    assert!(c.is_closed());
    assert!(s.child.wait().unwrap().success());
}

#[test]
fn config_set_port_rebinds() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let new_port = free_port();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]),
        b"+OK\r\n"
    );
    // The existing connection keeps working; new ones go to the new port.
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    let mut c2 = Conn::connect(new_port);
    assert_eq!(c2.cmd(&["PING"]), b"+PONG\r\n");
    assert!(
        Conn::try_connect(s.port).is_err(),
        "old port still accepting"
    );
    // A port that cannot be bound leaves everything as it was.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = blocker.local_addr().unwrap().port().to_string();
    let r = c2.cmd(&["CONFIG", "SET", "port", &taken]);
    assert_eq!(show(&r), "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port\\r\\n");
    let r = c2.cmd(&["CONFIG", "GET", "port"]);
    assert!(
        show(&r).ends_with(&format!(
            "${}\\r\\n{}\\r\\n",
            new_port.to_string().len(),
            new_port
        )),
        "{}",
        show(&r)
    );
    assert_eq!(Conn::connect(new_port).cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn memory_usage_counts_key_value_and_expiry() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let usage = |c: &mut Conn, key: &str| Value::parse(&c.cmd(&["MEMORY", "USAGE", key])).int();
    assert_eq!(show(&c.cmd(&["MEMORY", "USAGE", "missing"])), "$-1\\r\\n");
    c.cmd(&["SET", "small", "1"]);
    c.cmd(&["SET", "big", &"x".repeat(1000)]);
    let long_key = "k".repeat(100);
    c.cmd(&["SET", &long_key, "1"]);
    let small = usage(&mut c, "small").expect("int");
    let big = usage(&mut c, "big").expect("int");
    assert!(big >= small + 1000, "{small} {big}");
    // A long key is stored outside the node and counted.
    assert!(usage(&mut c, &long_key).expect("int") >= small + 100);
    c.cmd(&["EXPIRE", "small", "100"]);
    assert!(usage(&mut c, "small").expect("int") > small);
    assert_eq!(
        show(&c.cmd(&["MEMORY", "USAGE", "small", "SAMPLES", "-1"])),
        "-ERR syntax error\\r\\n"
    );
    assert_eq!(show(&c.cmd(&["MEMORY", "PURGE"])), "+OK\\r\\n");
}
