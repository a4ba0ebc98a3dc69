//! Reply encoding. Handlers write replies straight into the connection's
//! output buffer; the protocol version (RESP2 or RESP3) decides how maps,
//! sets, nulls, doubles and booleans are spelled.

use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Resp2,
    Resp3,
}

pub struct Reply {
    pub buf: Vec<u8>,
    pub proto: Proto,
}

impl Reply {
    pub fn new(proto: Proto) -> Reply {
        Reply {
            buf: Vec::with_capacity(1024),
            proto,
        }
    }

    pub fn is_resp3(&self) -> bool {
        self.proto == Proto::Resp3
    }

    fn header(&mut self, t: u8, n: i64) {
        self.buf.push(t);
        let mut b = itoa_buf(n);
        self.buf.extend_from_slice(b.as_bytes(&mut [0; 20]));
        self.buf.extend_from_slice(b"\r\n");
        let _ = &mut b;
    }

    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// An error reply; `msg` includes the code (`ERR ...`, `WRONGTYPE ...`).
    /// Newlines would break the protocol, so they become spaces.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// An error reply that may quote client bytes verbatim (Redis copies
    /// them raw; only CR and LF become spaces).
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.buf.push(b'-');
        self.buf.extend(
            msg.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, i: i64) {
        self.header(b':', i);
    }

    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    pub fn bulk_int(&mut self, i: i64) {
        self.bulk(i.to_string().as_bytes());
    }

    /// A null where a bulk string would be (`$-1` / `_`).
    pub fn null(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Proto::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// A null where an array would be (`*-1` / `_`).
    pub fn null_array(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Proto::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs (a flat array of 2n items in RESP2).
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', 2 * n as i64),
            Proto::Resp3 => self.header(b'%', n as i64),
        }
    }

    /// A set of `n` items (an array in RESP2).
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n as i64),
            Proto::Resp3 => self.header(b'~', n as i64),
        }
    }

    /// A push message (`>` in RESP3, an array in RESP2).
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n as i64),
            Proto::Resp3 => self.header(b'>', n as i64),
        }
    }

    pub fn bool(&mut self, v: bool) {
        match self.proto {
            Proto::Resp2 => self.int(v as i64),
            Proto::Resp3 => self
                .buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// A double, formatted as Redis 7.0 does (`%.17g`; `inf`/`-inf`), as a
    /// bulk string in RESP2 and a `,` double in RESP3.
    pub fn double(&mut self, d: f64) {
        let s = format_double(d);
        match self.proto {
            Proto::Resp2 => self.bulk(s.as_bytes()),
            Proto::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(s.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Text for humans (`=` verbatim string in RESP3, bulk in RESP2).
    pub fn verbatim(&mut self, text: &str) {
        match self.proto {
            Proto::Resp2 => self.bulk(text.as_bytes()),
            Proto::Resp3 => {
                let _ = write!(self.buf, "={}\r\ntxt:{}\r\n", text.len() + 4, text);
            }
        }
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

/// Minimal integer formatting into a stack buffer.
struct IntBuf(i64);

fn itoa_buf(n: i64) -> IntBuf {
    IntBuf(n)
}

impl IntBuf {
    fn as_bytes<'a>(&self, scratch: &'a mut [u8; 20]) -> &'a [u8] {
        let mut i = scratch.len();
        let neg = self.0 < 0;
        let mut v = self.0.unsigned_abs();
        loop {
            i -= 1;
            scratch[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if neg {
            i -= 1;
            scratch[i] = b'-';
        }
        &scratch[i..]
    }
}

/// `%.17g` as C's printf renders it.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d.is_nan() {
        return "nan".into();
    }
    format_g(d, 17)
}

pub use tiering::value::format_g;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_printf() {
        assert_eq!(format_g(1.1, 17), "1.1000000000000001");
        assert_eq!(format_g(1.5, 17), "1.5");
        assert_eq!(format_g(100.0, 17), "100");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(1.0e-5, 17), "1.0000000000000001e-05");
        assert_eq!(format_g(0.0001, 17), "0.0001");
        assert_eq!(format_g(-2.5, 17), "-2.5");
        assert_eq!(format_g(123456789012345678.0, 17), "1.2345678901234568e+17");
        assert_eq!(format_double(f64::INFINITY), "inf");
    }

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut r = Reply::new(Proto::Resp2);
        r.map(1);
        r.null();
        r.bool(true);
        r.int(-42);
        assert_eq!(r.buf, b"*2\r\n$-1\r\n:1\r\n:-42\r\n");
        let mut r = Reply::new(Proto::Resp3);
        r.map(1);
        r.null();
        r.bool(true);
        r.double(2.5);
        assert_eq!(r.buf, b"%1\r\n_\r\n#t\r\n,2.5\r\n");
    }
}
