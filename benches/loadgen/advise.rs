//! The server's own estimate of the hot-hit ratio at other `maxmemory`
//! sizes (`TIERING ADVISE`, our server only), read after a run so a sweep
//! can put it next to what it measures.

use crate::conn::Conn;

/// The estimate's curve: (`maxmemory` bytes, hot-hit ratio) points.
pub type Curve = Vec<(u64, f64)>;

/// `TIERING ADVISE`'s curve, empty if the server has no such command or
/// no estimate yet.
pub async fn curve(host: &str, port: u16) -> Curve {
    let Ok(mut c) = Conn::connect(host, port).await else {
        return Vec::new();
    };
    match c.cmd(&[b"TIERING", b"ADVISE"]).await {
        Ok(r) => parse(&r),
        Err(_) => Vec::new(),
    }
}

/// The `curve` field of a RESP2 `TIERING ADVISE` reply: after the bulk
/// `curve`, an array of `[integer bytes, bulk ratio]` pairs. (None of the
/// reply's strings holds a CRLF, so the reply splits into lines.)
pub fn parse(reply: &[u8]) -> Curve {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let Some(at) = lines.iter().position(|l| *l == "curve") else {
        return Vec::new();
    };
    let n: usize = lines
        .get(at + 1)
        .and_then(|l| l.strip_prefix('*'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // "*2", ":bytes", "$len", "ratio"
        let base = at + 2 + 4 * i;
        let bytes = lines
            .get(base + 1)
            .and_then(|l| l.strip_prefix(':'))
            .and_then(|b| b.parse().ok());
        let ratio = lines.get(base + 3).and_then(|r| r.parse().ok());
        match (bytes, ratio) {
            (Some(b), Some(r)) => out.push((b, r)),
            _ => return Vec::new(),
        }
    }
    out
}

/// The curve's hit ratio at `maxmemory` (linear between points; 0 below
/// the first, the last beyond the last).
pub fn at(curve: &[(u64, f64)], maxmemory: u64) -> Option<f64> {
    let first = curve.first()?;
    if maxmemory <= first.0 {
        return Some(0.0);
    }
    for w in curve.windows(2) {
        let ((b0, h0), (b1, h1)) = (w[0], w[1]);
        if maxmemory <= b1 {
            let t = (maxmemory - b0) as f64 / (b1 - b0).max(1) as f64;
            return Some(h0 + t * (h1 - h0));
        }
    }
    curve.last().map(|p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_is_read_from_the_reply_and_interpolated() {
        let reply = b"*4\r\n$9\r\nmaxmemory\r\n:1000\r\n$5\r\ncurve\r\n*3\r\n\
*2\r\n:100\r\n$1\r\n0\r\n*2\r\n:200\r\n$3\r\n0.5\r\n*2\r\n:300\r\n$3\r\n0.9\r\n";
        let c = parse(reply);
        assert_eq!(c, vec![(100, 0.0), (200, 0.5), (300, 0.9)]);
        assert_eq!(at(&c, 50), Some(0.0));
        assert_eq!(at(&c, 150), Some(0.25));
        assert_eq!(at(&c, 1000), Some(0.9));
        assert_eq!(at(&[], 10), None);
        assert!(parse(b"-ERR unknown command 'TIERING'\r\n").is_empty());
    }
}
