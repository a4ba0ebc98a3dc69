//! A pipelining RESP2 client connection: just enough to send batches of
//! commands and classify their replies (error, nil, other).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::workload::{encode, Expect};

/// Length of the complete reply at the start of `b`, if it is complete.
pub fn reply_len(b: &[u8]) -> Option<usize> {
    let end = b.windows(2).position(|w| w == b"\r\n")?;
    let line = &b[1..end];
    match b.first()? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' => Some(end + 2),
        b'$' => {
            let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
            if n < 0 {
                return Some(end + 2);
            }
            let total = end + 2 + n as usize + 2;
            (b.len() >= total).then_some(total)
        }
        b'*' => {
            let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
            let mut at = end + 2;
            for _ in 0..n.max(0) {
                at += reply_len(&b[at..])?;
            }
            Some(at)
        }
        _ => None,
    }
}

/// Whether `reply` says "nothing there" for a command counted as `e`.
pub fn is_miss(reply: &[u8], e: Expect) -> bool {
    match e {
        Expect::Other => false,
        Expect::Value => matches!(reply, b"$-1\r\n" | b"*-1\r\n" | b"_\r\n"),
        Expect::Member => reply == b":0\r\n",
    }
}

/// What a batch's replies held.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Round {
    pub errors: u64,
    pub misses: u64,
}

pub struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    /// The first error reply seen, for the load phase's summary.
    pub first_error: Option<String>,
}

impl Conn {
    pub async fn connect(host: &str, port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect((host, port)).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            s,
            buf: Vec::with_capacity(64 * 1024),
            first_error: None,
        })
    }

    /// Reads until a complete reply is buffered and returns its length.
    async fn next_reply(&mut self) -> std::io::Result<usize> {
        loop {
            if let Some(len) = reply_len(&self.buf) {
                return Ok(len);
            }
            let mut chunk = [0u8; 65536];
            let r = self.s.read(&mut chunk).await?;
            if r == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..r]);
        }
    }

    /// Sends `req` and reads one reply per entry of `expect`.
    pub async fn round(&mut self, req: &[u8], expect: &[Expect]) -> std::io::Result<Round> {
        self.s.write_all(req).await?;
        let mut out = Round::default();
        for &e in expect {
            let len = self.next_reply().await?;
            let reply = &self.buf[..len];
            if reply[0] == b'-' {
                out.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(String::from_utf8_lossy(reply).trim().to_string());
                }
            } else if is_miss(reply, e) {
                out.misses += 1;
            }
            self.buf.drain(..len);
        }
        Ok(out)
    }

    pub async fn cmd(&mut self, args: &[&[u8]]) -> std::io::Result<Vec<u8>> {
        let mut req = Vec::new();
        encode(&mut req, args);
        self.s.write_all(&req).await?;
        let len = self.next_reply().await?;
        Ok(self.buf.drain(..len).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_framed() {
        assert_eq!(reply_len(b"+OK\r\n"), Some(5));
        assert_eq!(reply_len(b"$3\r\nabc\r\n"), Some(9));
        assert_eq!(reply_len(b"$3\r\nab"), None);
        assert_eq!(reply_len(b"$-1\r\n"), Some(5));
        assert_eq!(reply_len(b"*2\r\n:1\r\n$1\r\na\r\n"), Some(15));
    }

    #[test]
    fn misses_are_nil_or_a_zero_membership() {
        assert!(is_miss(b"$-1\r\n", Expect::Value));
        assert!(!is_miss(b"$1\r\na\r\n", Expect::Value));
        assert!(is_miss(b":0\r\n", Expect::Member));
        assert!(!is_miss(b":1\r\n", Expect::Member));
        assert!(!is_miss(b"$-1\r\n", Expect::Other));
    }
}
