//! Pub/Sub with several connections: every scenario runs on our server and
//! on redis-server 7.0, and what each connection receives must be equal
//! byte for byte.
//!
//! Reading what a connection received is made deterministic with a
//! sentinel: after each step the driver sends `PING __sentinel__` on that
//! connection and collects every frame before the sentinel's answer. A
//! message published by another connection before the step is then
//! always part of the step's output, whatever the timing of the delivery.

mod common;
use common::*;

use std::time::{Duration, Instant};

const SENTINEL: &[u8] = b"__sentinel__";

struct Client {
    conn: Conn,
    multi: bool,
}

impl Client {
    fn new(port: u16) -> Client {
        Client {
            conn: Conn::connect(port),
            multi: false,
        }
    }

    fn frame(&mut self) -> Vec<u8> {
        self.conn.read_reply().expect("connection closed")
    }

    /// Every frame up to the sentinel's answer.
    fn until_sentinel(&mut self) -> Vec<Vec<u8>> {
        self.conn.send_raw(&Conn::encode(&[b"PING", SENTINEL]));
        let mut frames = Vec::new();
        loop {
            let f = self.frame();
            if f.windows(SENTINEL.len()).any(|w| w == SENTINEL) {
                return frames;
            }
            frames.push(f);
        }
    }

    /// Sends `line` and returns whatever arrives within 300 ms (for
    /// connections whose replies are off: the sentinel would get none).
    fn timed(&mut self, line: &str) -> Vec<u8> {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.conn.send_raw(&Conn::encode(&args));
        self.conn.set_read_timeout(Duration::from_millis(300));
        let (got, _) = self.conn.read_to_end();
        self.conn.set_read_timeout(Duration::from_secs(30));
        got
    }

    /// Sends `line` (space-separated; `-` sends nothing) and returns what
    /// arrived: the frames of its reply and any message around it.
    fn step(&mut self, line: &str) -> Vec<Vec<u8>> {
        if line == "-" {
            return self.until_sentinel();
        }
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.conn.send_raw(&Conn::encode(&args));
        let name = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if name == "QUIT" {
            let (b, _) = self.conn.read_to_end();
            return vec![b];
        }
        if self.multi && !matches!(name.as_str(), "EXEC" | "DISCARD" | "RESET") {
            // Queued: a PING would be queued too.
            return vec![self.frame()];
        }
        if name == "MULTI" {
            let f = self.frame();
            self.multi = f == b"+OK\r\n";
            return vec![f];
        }
        if matches!(name.as_str(), "EXEC" | "DISCARD" | "RESET") {
            self.multi = false;
        }
        self.until_sentinel()
    }
}

/// One step: which client, and the command. Special commands: `-` reads
/// what arrived; `sleep <ms>`; `close` drops the connection. A leading `~`
/// compares the frames (and array items) as unordered sets, for replies
/// whose order is a hash table's on both servers; a leading `!` collects
/// what arrives within 300 ms instead of using the sentinel.
type Step<'a> = (usize, &'a str);

fn render(frames: &[Vec<u8>], unordered: bool) -> String {
    let mut shown: Vec<String> = frames
        .iter()
        .map(|f| match array_items(f) {
            Some(mut items) if unordered => {
                items.sort();
                let head = String::from_utf8_lossy(
                    &f[..f.windows(2).position(|w| w == b"\r\n").unwrap_or(0)],
                )
                .into_owned();
                format!(
                    "{head} {}",
                    items.iter().map(|i| show(i)).collect::<Vec<_>>().join(" ")
                )
            }
            _ => show(f),
        })
        .collect();
    if unordered {
        shown.sort();
    }
    shown.join(" | ")
}

fn play(port: u16, clients: usize, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Option<Client>> = (0..clients).map(|_| Some(Client::new(port))).collect();
    let mut out = Vec::new();
    for (c, line) in steps {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("ms")));
            continue;
        }
        if *line == "close" {
            conns[*c] = None;
            continue;
        }
        if let Some(cmd) = line.strip_prefix('!') {
            let client = conns[*c].as_mut().expect("client closed");
            let got = client.timed(cmd);
            out.push(format!("[{c}] {cmd} -> {}", show(&got)));
            continue;
        }
        let (unordered, cmd) = match line.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, *line),
        };
        let client = conns[*c].as_mut().expect("client closed");
        let frames = client.step(cmd);
        let shown = if cmd.starts_with("HELLO") {
            "(not compared)".to_string()
        } else {
            render(&frames, unordered)
        };
        out.push(format!("[{c}] {cmd} -> {shown}"));
    }
    out
}

fn same_as_redis(clients: usize, steps: &[Step]) {
    let ours = Server::start(&[]);
    let got = play(ours.port, clients, steps);
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let want = play(reference.port, clients, steps);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g,
            w,
            "\nours:\n{}\nredis:\n{}",
            got.join("\n"),
            want.join("\n")
        );
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn subscribe_publish_unsubscribe() {
    same_as_redis(
        3,
        &[
            // Nothing to unsubscribe from: a null name and a count of 0.
            (0, "UNSUBSCRIBE"),
            (0, "PUNSUBSCRIBE"),
            (0, "SUNSUBSCRIBE"),
            (0, "SUBSCRIBE news sport news"),
            (0, "PSUBSCRIBE n* s?ort [xy]z"),
            (1, "SUBSCRIBE news"),
            (1, "PSUBSCRIBE *"),
            (2, "PUBLISH news hello"),
            (0, "-"),
            (1, "-"),
            (2, "PUBLISH sport goal"),
            (2, "PUBLISH xz"),
            (2, "PUBLISH xz bin\x01ary"),
            (2, "PUBLISH nobody-listens x"),
            (2, "PUBLISH news "),
            (0, "-"),
            (1, "-"),
            (2, "PUBSUB NUMSUB news sport xz nothing"),
            (2, "PUBSUB NUMSUB"),
            (2, "PUBSUB NUMPAT"),
            (2, "~PUBSUB CHANNELS"),
            (2, "~PUBSUB CHANNELS n*"),
            (2, "PUBSUB CHANNELS x*"),
            (2, "PUBSUB CHANNELS a b"),
            (2, "PUBSUB channels a b"),
            (2, "PUBSUB NUMPAT x"),
            (2, "PUBSUB HELP"),
            (2, "PUBSUB nosuch"),
            (2, "PUBSUB"),
            (2, "PUBLISH x"),
            (2, "SUBSCRIBE"),
            (2, "PSUBSCRIBE"),
            // Subscribed RESP2 connections may only (un)subscribe, PING,
            // QUIT and RESET.
            (0, "GET x"),
            (0, "CLIENT INFO"),
            (0, "PUBLISH news x"),
            (0, "MULTI"),
            (0, "HELLO 3"),
            (0, "NOSUCHCOMMAND"),
            (0, "PING"),
            (0, "PING hi"),
            (0, "PING a b"),
            (0, "SUBSCRIBE"),
            (0, "UNSUBSCRIBE sport nothing"),
            (0, "PUNSUBSCRIBE nothing n*"),
            (2, "PUBLISH news after"),
            (0, "-"),
            (1, "-"),
            (0, "~PUNSUBSCRIBE"),
            (0, "~UNSUBSCRIBE"),
            // Out of Pub/Sub mode: commands run again.
            (0, "GET x"),
            (0, "PING"),
            (2, "PUBSUB NUMSUB news sport"),
            (2, "PUBSUB NUMPAT"),
            (1, "QUIT"),
            (2, "sleep 100"),
            (2, "PUBSUB NUMSUB news"),
            (2, "PUBSUB NUMPAT"),
            (2, "PUBLISH news gone"),
        ],
    );
}

#[test]
fn shard_channels() {
    same_as_redis(
        2,
        &[
            (0, "SSUBSCRIBE a b"),
            (0, "SUBSCRIBE a"),
            (1, "SPUBLISH a one"),
            (1, "PUBLISH a two"),
            (1, "SPUBLISH c three"),
            (0, "-"),
            (1, "PUBSUB SHARDNUMSUB a b c"),
            (1, "PUBSUB SHARDNUMSUB"),
            (1, "~PUBSUB SHARDCHANNELS"),
            (1, "PUBSUB SHARDCHANNELS b*"),
            (1, "PUBSUB SHARDCHANNELS a b"),
            (1, "PUBSUB NUMSUB a b"),
            // Shard subscriptions alone keep the connection in Pub/Sub
            // mode; their count is separate.
            (0, "UNSUBSCRIBE"),
            (0, "GET x"),
            (0, "SUNSUBSCRIBE b"),
            (0, "SUNSUBSCRIBE"),
            (0, "SUNSUBSCRIBE"),
            (0, "GET x"),
        ],
    );
}

#[test]
fn resp3_push_frames_and_self_delivery() {
    same_as_redis(
        2,
        &[
            (0, "HELLO 3"),
            (0, "SUBSCRIBE ch"),
            (0, "PSUBSCRIBE c*"),
            (0, "SSUBSCRIBE ch"),
            // Any command runs in RESP3.
            (0, "SET k v"),
            (0, "GET k"),
            (0, "PING"),
            // Published to itself: the messages come before PUBLISH's reply.
            (0, "PUBLISH ch mine"),
            (0, "SPUBLISH ch shard"),
            (1, "PUBLISH ch theirs"),
            (1, "PUBLISH cx pattern-only"),
            (0, "GET k"),
            (0, "-"),
            (0, "UNSUBSCRIBE"),
            (0, "PUNSUBSCRIBE"),
            (0, "SUNSUBSCRIBE"),
            (0, "SUNSUBSCRIBE"),
            (0, "PUBLISH ch nobody"),
            // Back to RESP2 while subscribed: restricted again.
            (0, "SUBSCRIBE ch"),
            (0, "HELLO 2"),
            (0, "GET k"),
            (0, "PING"),
            (0, "HELLO 3"),
            (0, "RESET"),
            (0, "GET k"),
        ],
    );
}

#[test]
fn transactions_and_reset() {
    same_as_redis(
        2,
        &[
            (0, "MULTI"),
            (0, "SUBSCRIBE q"),
            (0, "PUBLISH q inside"),
            (0, "PUBSUB NUMSUB q"),
            (0, "EXEC"),
            (0, "GET x"),
            (1, "PUBLISH q outside"),
            (0, "-"),
            // RESET drops every subscription without confirmations.
            (0, "PSUBSCRIBE p*"),
            (0, "SSUBSCRIBE s"),
            (0, "RESET"),
            (0, "GET x"),
            (1, "PUBSUB NUMSUB q"),
            (1, "PUBSUB NUMPAT"),
            (1, "PUBSUB SHARDNUMSUB s"),
            (1, "PUBLISH q after-reset"),
            (0, "-"),
            // RESP3 inside a transaction: the message lands in EXEC's
            // reply, before PUBLISH's count.
            (0, "HELLO 3"),
            (0, "SUBSCRIBE r"),
            (0, "MULTI"),
            (0, "PUBLISH r m"),
            (0, "SUBSCRIBE r2"),
            (0, "EXEC"),
            (1, "MULTI"),
            (1, "PUBLISH r from-1"),
            (1, "PUBLISH r2 from-1"),
            (1, "EXEC"),
            (0, "-"),
            // Disconnecting drops the subscriptions.
            (0, "close"),
            (1, "sleep 100"),
            (1, "PUBSUB NUMSUB r r2"),
            (1, "PUBLISH r nobody"),
        ],
    );
}

#[test]
fn client_reply_off_keeps_push_frames() {
    // Redis 7.0 still sends confirmations and messages to a client whose
    // replies are off (nor does SKIP while OFF turn anything back on).
    same_as_redis(
        2,
        &[
            (0, "HELLO 3"),
            (0, "!CLIENT REPLY OFF"),
            (0, "!SUBSCRIBE ro"),
            (0, "!PUBLISH ro self"),
            (0, "!MULTI"),
            (0, "!PUBLISH ro in-multi"),
            (0, "!EXEC"),
            (1, "PUBLISH ro other"),
            (0, "!CLIENT REPLY SKIP"),
            (0, "!GET x"),
            (0, "!CLIENT REPLY ON"),
            (0, "UNSUBSCRIBE"),
            // SKIP silences one reply, not the pushes.
            (0, "SUBSCRIBE again"),
            (0, "!CLIENT REPLY SKIP"),
            (0, "!PUBLISH again skipped-reply"),
            (0, "GET x"),
        ],
    );
}

/// `flags`, `sub`, `psub` and `ssub` of each CLIENT LIST line, and INFO's
/// Pub/Sub counters.
fn introspection(port: u16) -> Vec<String> {
    let mut a = Client::new(port);
    let mut b = Client::new(port);
    let mut c = Conn::connect(port);
    a.step("SUBSCRIBE x y");
    a.step("PSUBSCRIBE p*");
    b.step("HELLO 3");
    b.step("SSUBSCRIBE s");
    let mut out = Vec::new();
    for args in [
        &["CLIENT", "LIST"][..],
        &["CLIENT", "LIST", "TYPE", "pubsub"],
        &["CLIENT", "LIST", "TYPE", "normal"],
    ] {
        let v = Value::parse(&c.cmd(args));
        let text = match v {
            Value::Bulk(b) | Value::Other(_, b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("CLIENT LIST: {other:?}"),
        };
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                l.split(' ')
                    .filter(|f| {
                        ["flags=", "sub=", "psub=", "ssub="]
                            .iter()
                            .any(|p| f.starts_with(p))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push(format!("{}: {}", args.join(" "), lines.join(" / ")));
    }
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "stats"])).into_owned();
    out.extend(
        info.lines()
            .filter(|l| l.starts_with("pubsub"))
            .map(String::from),
    );
    // CLIENT KILL TYPE pubsub closes the subscribers only.
    out.push(show(&c.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"])));
    out.push(show(&c.cmd(&["CLIENT", "KILL", "TYPE", "normal"])));
    out
}

#[test]
fn client_list_and_info() {
    let ours = Server::start(&[]);
    let got = introspection(ours.port);
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let want = introspection(reference.port);
    assert_eq!(got, want);
}

/// Subscribes one connection that never reads, publishes `count` messages
/// of `size` bytes from another, and reports whether the subscriber was
/// closed (seen through PUBSUB NUMSUB).
fn slow_subscriber(port: u16, size: usize, count: usize, pause: Duration) -> bool {
    let mut sub = Conn::connect(port);
    sub.cmd(&["SUBSCRIBE", "slow"]);
    let mut publisher = Conn::connect(port);
    let payload = vec![b'x'; size];
    for i in 0..count {
        let r = publisher.cmd_bytes(&[b"PUBLISH", b"slow", &payload]);
        if r == b":0\r\n" {
            return true;
        }
        if i == count / 2 {
            std::thread::sleep(pause);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if publisher
            .cmd(&["PUBSUB", "NUMSUB", "slow"])
            .ends_with(b":0\r\n")
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(sub);
    false
}

#[test]
fn slow_subscriber_hits_the_output_buffer_limit() {
    let hard = ["--client-output-buffer-limit", "pubsub 1mb 0 0"];
    let ours = Server::start(&hard);
    // Far more than the socket buffers hold.
    assert!(slow_subscriber(ours.port, 100_000, 400, Duration::ZERO));
    // Under the limit nothing happens (the client reads nothing, but
    // 200 KB fit in the socket buffers).
    let ours = Server::start(&hard);
    assert!(!slow_subscriber(ours.port, 1000, 200, Duration::ZERO));
    if let Some(reference) = Server::start_reference(&hard) {
        assert!(slow_subscriber(
            reference.port,
            100_000,
            400,
            Duration::ZERO
        ));
    }
    // The soft limit: over it for longer than its seconds.
    let soft = ["--client-output-buffer-limit", "pubsub 0 1mb 1"];
    let ours = Server::start(&soft);
    assert!(slow_subscriber(
        ours.port,
        100_000,
        400,
        Duration::from_millis(2100)
    ));
    // Over it briefly only: kept.
    let ours = Server::start(&soft);
    assert!(!slow_subscriber(ours.port, 100_000, 60, Duration::ZERO));
}

#[test]
fn many_subscribers_and_ordered_streams() {
    let s = Server::start(&[]);
    let mut subs: Vec<Conn> = (0..40).map(|_| s.conn()).collect();
    for (i, c) in subs.iter_mut().enumerate() {
        if i % 2 == 0 {
            c.cmd(&["SUBSCRIBE", "fan"]);
        } else {
            c.cmd(&["PSUBSCRIBE", "f*"]);
        }
    }
    let mut p = s.conn();
    // Pipelined: 500 messages, in order, to every subscriber.
    let mut batch = Vec::new();
    for i in 0..500 {
        batch.extend(Conn::encode(&[
            b"PUBLISH",
            b"fan",
            i.to_string().as_bytes(),
        ]));
    }
    p.send_raw(&batch);
    for _ in 0..500 {
        assert_eq!(p.read_reply().expect("reply"), b":40\r\n");
    }
    for (i, c) in subs.iter_mut().enumerate() {
        for n in 0..500 {
            let f = Value::parse(&c.read_reply().expect("message"));
            let items = f.items();
            let payload = items.last().expect("payload").text();
            assert_eq!(payload, n.to_string(), "subscriber {i}");
            let kind = if i % 2 == 0 { "message" } else { "pmessage" };
            assert_eq!(items[0].text(), kind);
        }
    }
}

#[test]
fn resp3_messages_never_split_replies() {
    // A RESP3 subscriber runs commands with big replies while another
    // connection publishes: every frame must parse, and every message
    // arrives.
    let s = Server::start(&[]);
    let mut sub = s.conn();
    sub.cmd(&["HELLO", "3"]);
    sub.cmd(&["SUBSCRIBE", "c"]);
    let big = "v".repeat(200_000);
    sub.cmd(&["SET", "big", &big]);
    let port = s.port;
    let publisher = std::thread::spawn(move || {
        let mut p = Conn::connect(port);
        for i in 0..300 {
            p.cmd(&["PUBLISH", "c", &i.to_string()]);
        }
    });
    let mut messages = 0;
    let mut replies = 0;
    for _ in 0..50 {
        sub.send_raw(&Conn::encode(&[b"GET", b"big"]));
        loop {
            let f = sub.read_reply().expect("frame");
            if f.starts_with(b">3\r\n$7\r\nmessage") {
                let v = Value::parse(&f);
                assert_eq!(v.items()[2].text(), messages.to_string());
                messages += 1;
            } else {
                assert_eq!(Value::parse(&f), Value::Bulk(big.clone().into_bytes()));
                replies += 1;
                break;
            }
        }
    }
    publisher.join().expect("publisher");
    sub.set_read_timeout(Duration::from_secs(5));
    while messages < 300 {
        let f = sub.read_reply().expect("message");
        let v = Value::parse(&f);
        assert_eq!(v.items()[2].text(), messages.to_string());
        messages += 1;
    }
    assert_eq!(replies, 50);
}

#[test]
fn redis_crate_pubsub_api() {
    let s = Server::start(&[]);
    let mut sub_conn = s.client();
    let mut publisher = s.client();
    let mut ps = sub_conn.as_pubsub();
    ps.subscribe("orders").expect("subscribe");
    ps.psubscribe("user.*").expect("psubscribe");
    ps.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n: i64 = redis::cmd("PUBLISH")
        .arg("orders")
        .arg("o-1")
        .query(&mut publisher)
        .expect("publish");
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("PUBLISH")
        .arg("user.42")
        .arg(&b"\x00bin"[..])
        .query(&mut publisher)
        .expect("publish");
    assert_eq!(n, 1);
    let m = ps.get_message().expect("message");
    assert_eq!(m.get_channel_name(), "orders");
    assert_eq!(m.get_payload::<String>().expect("payload"), "o-1");
    assert!(!m.from_pattern());
    let m = ps.get_message().expect("pmessage");
    assert_eq!(m.get_channel_name(), "user.42");
    assert_eq!(m.get_payload_bytes(), b"\x00bin");
    assert!(m.from_pattern());
    assert_eq!(m.get_pattern::<String>().expect("pattern"), "user.*");
    ps.unsubscribe("orders").expect("unsubscribe");
    ps.punsubscribe("user.*").expect("punsubscribe");
    drop(ps);
    // Out of Pub/Sub mode, the connection works normally again.
    let pong: String = redis::cmd("PING").query(&mut sub_conn).expect("ping");
    assert_eq!(pong, "PONG");
    let subs: Vec<(String, i64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("orders")
        .query(&mut publisher)
        .expect("numsub");
    assert_eq!(subs, vec![("orders".to_string(), 0)]);
}
