//! In-process test harness for the string and bit command unit tests: runs
//! handlers against a fresh server state and renders replies compactly, so
//! tests can also look at what a client cannot see directly (encodings,
//! TTLs).

use std::sync::Arc;

use bytes::Bytes;

use super::TABLE;
use crate::config::Config;
use crate::exec::Ctx;
use crate::reply::{Proto, Reply};
use crate::server::Shared;

pub struct Harness {
    shared: Arc<Shared>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            shared: Shared::new(Config::new()),
        }
    }

    /// Runs one command and renders its reply: `+OK`, `-ERR ...`, `:1`,
    /// `$value` / `$nil`, arrays as `*N item item...`.
    pub fn run(&mut self, args: &[&str]) -> String {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.run_bytes(&a)
    }

    pub fn run_bytes(&mut self, args: &[&[u8]]) -> String {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let cmd = TABLE.resolve(&args).expect("known command");
        let mut out = Reply::new(Proto::Resp2);
        if !cmd.arity_ok(args.len()) {
            return format!("-ERR wrong number of arguments for '{}' command", cmd.name);
        }
        let handler = cmd.handler.expect("handler");
        let shared = self.shared.clone();
        let mut st = shared.state.lock();
        let mut ctx = Ctx {
            st: &mut st,
            shared: &shared,
            id: 0,
            db: 0,
            no_touch: false,
            out: &mut out,
            now_ms: crate::server::now_ms(),
            cmd,
        };
        if let Err(e) = handler(&mut ctx, &args) {
            out.buf.clear();
            out.error(&e.0);
        }
        let mut pos = 0;
        let r = render(&out.buf, &mut pos);
        assert_eq!(pos, out.buf.len(), "one reply");
        r
    }

    /// `OBJECT ENCODING` of `key`.
    pub fn encoding(&self, key: &str) -> &'static str {
        let st = self.shared.state.lock();
        st.ks
            .db(0)
            .peek(key.as_bytes())
            .map(|e| e.value.encoding())
            .unwrap_or("none")
    }

    /// Milliseconds to live: -2 missing, -1 no expiry.
    pub fn ttl_ms(&self, key: &str) -> i64 {
        let st = self.shared.state.lock();
        match st.ks.db(0).peek(key.as_bytes()) {
            None => -2,
            Some(e) if !e.has_expire() => -1,
            Some(_) => st.ks.get_expire(0, key.as_bytes()) - crate::server::now_ms(),
        }
    }

    /// Sets `proto-max-bulk-len`.
    pub fn set_max_bulk(&self, n: i64) {
        self.shared.state.lock().config.tun.proto_max_bulk_len = n;
    }
}

fn line(b: &[u8], pos: &mut usize) -> String {
    let start = *pos;
    let end = start
        + b[start..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF");
    *pos = end + 2;
    String::from_utf8_lossy(&b[start..end]).into_owned()
}

fn render(b: &[u8], pos: &mut usize) -> String {
    let t = b[*pos];
    *pos += 1;
    let l = line(b, pos);
    match t {
        b'$' => {
            let n: i64 = l.parse().expect("length");
            if n < 0 {
                return "$nil".into();
            }
            let s = String::from_utf8_lossy(&b[*pos..*pos + n as usize]).into_owned();
            *pos += n as usize + 2;
            format!("${s}")
        }
        b'*' => {
            let n: i64 = l.parse().expect("length");
            if n < 0 {
                return "*nil".into();
            }
            let mut s = format!("*{n}");
            for _ in 0..n {
                s.push(' ');
                s.push_str(&render(b, pos));
            }
            s
        }
        _ => format!("{}{l}", t as char),
    }
}
