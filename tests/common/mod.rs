//! Shared helpers for integration tests: start the real `valkey-tiered`
//! binary (and, for differential tests, a real `redis-server`) on free
//! ports, and talk RESP to them byte for byte.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Our server's arguments for "every value cold": tiering on, every value
/// eligible, and every value demoted after each command.
#[allow(dead_code)]
pub const ALL_COLD: &[&str] = &[
    "--tiering",
    "yes",
    "--tiering-min-value-size",
    "0",
    "--tiering-force-cold",
    "yes",
];

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind :0")
        .local_addr()
        .expect("addr")
        .port()
}

/// A server process, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts our binary with `--port <free> --save '' --dir <tmp>` plus
    /// `extra` arguments, and waits until it answers PING.
    pub fn start(extra: &[&str]) -> Server {
        Self::launch("valkey-tiered", |port, dir| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_valkey-tiered"));
            cmd.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
            ])
            .arg(dir)
            .args(extra);
            cmd
        })
    }

    /// Starts a real `redis-server` (the reference), or returns `None` if it
    /// is not installed. Under CI (`CI` set) a missing redis-server fails.
    pub fn start_reference(extra: &[&str]) -> Option<Server> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is required under CI"
            );
            eprintln!("NOTICE: redis-server not installed; skipping the comparison with it");
            return None;
        }
        Some(Self::launch("redis-server", |port, dir| {
            let mut cmd = Command::new("redis-server");
            cmd.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(dir)
            .args(extra);
            cmd
        }))
    }

    /// Spawns the server on a free port until one start succeeds: the port
    /// can be taken between `free_port` and the server's bind (by another
    /// test's server or a client's ephemeral port), in which case the
    /// server exits, or someone else answers there; both are retried.
    fn launch(what: &str, make: impl Fn(u16, &std::path::Path) -> Command) -> Server {
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let child = make(port, dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
            let mut s = Server { child, port, dir };
            match s.wait_ready(what) {
                Ok(()) => return s,
                Err(e) => {
                    eprintln!("{what} on port {port}: {e}; retrying on another port");
                    last = e;
                }
            }
        }
        panic!("{what} did not start: {last}");
    }

    fn wait_ready(&mut self, what: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited at start ({status})"));
            }
            if let Ok(mut c) = Conn::try_connect(self.port) {
                c.send_raw(&Conn::encode(&[b"PING"]));
                match c.try_read_reply() {
                    Ok(r) if r.starts_with(b"-NOAUTH") => {
                        // Cannot ask who it is; it is ours if ours runs.
                        return match self.child.try_wait() {
                            Ok(None) => Ok(()),
                            _ => Err("exited at start".into()),
                        };
                    }
                    Ok(r) if r.starts_with(b"+PONG") => {
                        c.send_raw(&Conn::encode(&[b"INFO", b"server"]));
                        let info = c.try_read_reply().unwrap_or_default();
                        let pid = String::from_utf8_lossy(&info).lines().find_map(|l| {
                            l.strip_prefix("process_id:").map(|p| p.trim().to_string())
                        });
                        return match pid {
                            Some(p) if p != self.child.id().to_string() => {
                                Err(format!("another server (pid {p}) answers on the port"))
                            }
                            _ => Ok(()),
                        };
                    }
                    // Not ready (or not ours) yet: try again.
                    Ok(r) => eprintln!("{what} on port {}: PING answered {}", self.port, show(&r)),
                    Err(e) => eprintln!("{what} on port {}: PING while starting: {e}", self.port),
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("did not answer PING within 20 s".into())
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .expect("redis client")
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw RESP connection: send commands, read whole replies as bytes.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn try_connect(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    pub fn connect(port: u16) -> Conn {
        Self::try_connect(port).expect("connect")
    }

    pub fn encode(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends one command and returns its whole reply, as bytes.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.cmd_bytes(&a)
    }

    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&Self::encode(args));
        self.read_reply().expect("reply")
    }

    /// Reads one complete reply (any RESP2/RESP3 type). `None` on EOF.
    pub fn read_reply(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(n) = frame_len(&self.buf) {
                return Some(self.buf.drain(..n).collect());
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Reads one reply, or `Err` with a description if the server closed
    /// the connection or the read failed (for reports instead of panics).
    pub fn try_read_reply(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(n) = frame_len(&self.buf) {
                return Ok(self.buf.drain(..n).collect());
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(format!(
                    "connection closed by the server ({} bytes of a partial reply buffered: {})",
                    self.buf.len(),
                    show(&self.buf[..self.buf.len().min(200)])
                ))
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(format!("read error: {e}")),
            }
        }
    }

    /// Reads everything until the server closes the connection (or the
    /// read timeout passes). Returns the bytes, including any unparsed rest,
    /// and how the stream ended.
    pub fn read_to_end(&mut self) -> (Vec<u8>, End) {
        let mut out = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 65536];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return (out, End::Eof),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) => match e.kind() {
                    std::io::ErrorKind::Interrupted => continue,
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        return (out, End::Timeout)
                    }
                    _ => return (out, End::Reset),
                },
            }
        }
    }

    /// Closes our sending side: the server sees EOF after what was sent.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
    }

    pub fn set_read_timeout(&mut self, d: Duration) {
        self.stream.set_read_timeout(Some(d)).expect("set timeout");
    }

    /// True if the server closed the connection (after draining replies).
    pub fn is_closed(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// How a connection ended, seen from the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The server closed it (FIN).
    Eof,
    /// The server closed it with unread input (RST).
    Reset,
    /// Still open when the read timeout passed.
    Timeout,
}

impl End {
    pub fn closed(self) -> bool {
        self != End::Timeout
    }
}

/// Length of the first complete RESP frame in `b`, if complete.
pub fn frame_len(b: &[u8]) -> Option<usize> {
    let line_end = |from: usize| -> Option<usize> {
        b[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    };
    let mut pos = 0usize;
    let mut pending: i64 = 1;
    while pending > 0 {
        if pos >= b.len() {
            return None;
        }
        let t = b[pos];
        let e = line_end(pos)?;
        let n: i64 = std::str::from_utf8(&b[pos + 1..e])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        pos = e + 2;
        pending -= 1;
        match t {
            b'$' | b'=' | b'!' if n >= 0 => {
                let end = pos + n as usize + 2;
                if end > b.len() {
                    return None;
                }
                pos = end;
            }
            b'*' | b'~' | b'>' if n > 0 => pending += n,
            b'%' | b'|' if n > 0 => pending += 2 * n,
            _ => {}
        }
    }
    Some(pos)
}

/// Splits one array reply into its element frames (for order-insensitive
/// comparison of set-like replies).
pub fn array_items(reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    if reply.first() != Some(&b'*') && reply.first() != Some(&b'~') {
        return None;
    }
    let e = reply.windows(2).position(|w| w == b"\r\n")?;
    let n: i64 = std::str::from_utf8(&reply[1..e]).ok()?.parse().ok()?;
    let mut items = Vec::new();
    let mut rest = &reply[e + 2..];
    for _ in 0..n.max(0) {
        let l = frame_len(rest)?;
        items.push(rest[..l].to_vec());
        rest = &rest[l..];
    }
    Some(items)
}

/// Renders a reply for assertion messages.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace("\r\n", "\\r\\n")
}

/// A parsed RESP2/RESP3 reply, for tests that look inside replies.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// `$-1`, `*-1` or RESP3 `_`.
    Nil,
    Array(Vec<Value>),
    Set(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Double(String),
    Bool(bool),
    Other(u8, Vec<u8>),
}

impl Value {
    /// Parses one complete reply (panics on malformed input: test helper).
    pub fn parse(b: &[u8]) -> Value {
        let (v, n) = Self::parse_at(b).unwrap_or_else(|| panic!("bad reply: {}", show(b)));
        assert_eq!(n, b.len(), "trailing bytes after reply: {}", show(b));
        v
    }

    /// Parses the reply at the start of `b`: the value and its length.
    pub fn parse_at(b: &[u8]) -> Option<(Value, usize)> {
        let e = b.windows(2).position(|w| w == b"\r\n")?;
        let line = &b[1..e];
        let text = || String::from_utf8_lossy(line).into_owned();
        let num = || -> Option<i64> { std::str::from_utf8(line).ok()?.parse().ok() };
        let mut pos = e + 2;
        let items = |n: i64, pos: &mut usize| -> Option<Vec<Value>> {
            let mut v = Vec::new();
            for _ in 0..n.max(0) {
                let (x, l) = Self::parse_at(&b[*pos..])?;
                *pos += l;
                v.push(x);
            }
            Some(v)
        };
        let v = match b[0] {
            b'+' => Value::Simple(text()),
            b'-' => Value::Error(text()),
            b':' => Value::Int(num()?),
            b'_' => Value::Nil,
            b',' => Value::Double(text()),
            b'#' => Value::Bool(line == b"t"),
            b'(' => Value::Other(b'(', line.to_vec()),
            b'$' | b'=' | b'!' => {
                let n = num()?;
                if n < 0 {
                    Value::Nil
                } else {
                    let n = n as usize;
                    let body = b.get(pos..pos + n)?.to_vec();
                    pos += n + 2;
                    match b[0] {
                        b'$' => Value::Bulk(body),
                        b'!' => Value::Error(String::from_utf8_lossy(&body).into_owned()),
                        t => Value::Other(t, body),
                    }
                }
            }
            b'*' | b'~' | b'>' => {
                let n = num()?;
                if n < 0 {
                    Value::Nil
                } else {
                    let v = items(n, &mut pos)?;
                    if b[0] == b'~' {
                        Value::Set(v)
                    } else {
                        Value::Array(v)
                    }
                }
            }
            b'%' | b'|' => {
                let n = num()?;
                let flat = items(2 * n, &mut pos)?;
                let mut m = Vec::new();
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    m.push((k, v));
                }
                Value::Map(m)
            }
            _ => return None,
        };
        Some((v, pos))
    }

    /// The elements of an array or set (RESP2 and RESP3 alike).
    pub fn items(&self) -> &[Value] {
        match self {
            Value::Array(v) | Value::Set(v) => v,
            _ => &[],
        }
    }

    /// The text of a simple string, bulk string or error.
    pub fn text(&self) -> String {
        match self {
            Value::Simple(s) | Value::Error(s) | Value::Double(s) => s.clone(),
            Value::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A map (RESP3) or a flat key/value array (RESP2) as pairs.
    pub fn pairs(&self) -> Vec<(Value, Value)> {
        match self {
            Value::Map(m) => m.clone(),
            Value::Array(v) => v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect(),
            _ => Vec::new(),
        }
    }
}
