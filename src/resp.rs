//! Request parsing: RESP multibulk frames and inline commands, with Redis's
//! limits and error texts.
//!
//! The parser keeps its position inside a frame between reads (how many
//! arguments are left, the length of the bulk being read), so a large
//! argument arriving in many small reads is scanned once, not once per
//! read. Arguments are split off the read buffer without copying.

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline command, or multibulk/bulk header, before a newline must
/// appear (Redis's `PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;
/// Before authentication, larger frames are refused (as Redis does).
const UNAUTH_MAX_ARGS: i64 = 10;
const UNAUTH_MAX_BULK: i64 = 16 * 1024;
/// Bulk arguments at least this big get an exact-size buffer reserved up
/// front (Redis's `PROTO_MBULK_BIG_ARG`).
const BIG_ARG: usize = 32 * 1024;

/// A protocol violation: the client gets `-ERR Protocol error: <msg>` and is
/// disconnected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(msg: &str) -> Self {
        ProtocolError(msg.to_string())
    }
}

/// Limits that depend on configuration and on the client's state.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bulk_len: i64,
    pub authenticated: bool,
}

#[derive(Default)]
pub struct RequestParser {
    /// Arguments still expected in the current multibulk frame (0: between
    /// frames).
    multibulk_left: i64,
    /// Length of the bulk being read, or -1 when its header is next.
    bulk_len: i64,
    args: Vec<Bytes>,
}

/// Parses an integer as Redis's `string2ll`.
fn parse_ll(s: &[u8]) -> Option<i64> {
    tiering::value::parse_strict_i64(s)
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    // Redis looks for '\r' and then requires '\n' to be buffered too.
    let pos = buf.iter().position(|&b| b == b'\r')?;
    if pos + 1 < buf.len() {
        Some(pos)
    } else {
        None
    }
}

impl RequestParser {
    pub fn new() -> Self {
        RequestParser {
            multibulk_left: 0,
            bulk_len: -1,
            args: Vec::new(),
        }
    }

    /// True when the parser is inside a frame (part of a command buffered).
    pub fn in_frame(&self) -> bool {
        self.multibulk_left > 0
    }

    /// Calls `f(command name, first argument, second argument, last
    /// argument)` for each of the next (up to `max`) complete multibulk
    /// commands buffered in `buf` that have a first argument, until `f`
    /// returns false, without consuming anything:
    /// the executor uses it to
    /// prefetch the keys of a pipelined batch. Stops at anything it does not
    /// recognise as a well-formed multibulk frame (inline commands, partial
    /// frames, frames of more than 1024 arguments); the real parse that
    /// follows decides what the bytes mean.
    pub fn peek_args<'a>(
        &self,
        buf: &'a [u8],
        max: usize,
        mut f: impl FnMut(&'a [u8], &'a [u8], Option<&'a [u8]>, &'a [u8]) -> bool,
    ) {
        if self.multibulk_left != 0 || self.bulk_len != -1 {
            return;
        }
        // `<prefix><digits>\r\n` at `pos`: (number, position after it).
        fn header(buf: &[u8], pos: usize, prefix: u8) -> Option<(usize, usize)> {
            if buf.get(pos) != Some(&prefix) {
                return None;
            }
            let rest = buf.get(pos + 1..)?;
            let end = rest.iter().take(12).position(|&b| b == b'\r')?;
            if rest.get(end + 1) != Some(&b'\n') || end == 0 {
                return None;
            }
            let mut n = 0usize;
            for &d in &rest[..end] {
                if !d.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + (d - b'0') as usize;
            }
            Some((n, pos + 1 + end + 2))
        }
        let mut pos = 0;
        for _ in 0..max {
            let Some((n, mut p)) = header(buf, pos, b'*') else {
                return;
            };
            if n > 1024 {
                return;
            }
            let (mut name, mut first, mut second, mut last): (&[u8], _, _, &[u8]) =
                (&[], None, None, &[]);
            for i in 0..n {
                let Some((len, start)) = header(buf, p, b'$') else {
                    return;
                };
                let end = start + len;
                if end + 2 > buf.len() {
                    return;
                }
                last = &buf[start..end];
                match i {
                    0 => name = last,
                    1 => first = Some(&buf[start..end]),
                    2 => second = Some(&buf[start..end]),
                    _ => {}
                }
                p = end + 2;
            }
            if let Some(a) = first {
                if !f(name, a, second, last) {
                    return;
                }
            }
            pos = p;
        }
    }

    /// Parses the next complete command from `buf`. Returns `Ok(None)` when
    /// more bytes are needed. An empty frame (`*0`, `*-1`, a blank inline
    /// line) yields `Some(vec![])`, which the caller skips.
    pub fn next(
        &mut self,
        buf: &mut BytesMut,
        lim: Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.multibulk_left == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return self.inline(buf);
            }
            let Some(nl) = find_crlf(buf) else {
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(None);
            };
            let count = parse_ll(&buf[1..nl]);
            let count = match count {
                Some(c) if c <= i32::MAX as i64 => c,
                _ => return Err(ProtocolError::new("invalid multibulk length")),
            };
            if count > UNAUTH_MAX_ARGS && !lim.authenticated {
                return Err(ProtocolError::new("unauthenticated multibulk length"));
            }
            buf.advance(nl + 2);
            if count <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.multibulk_left = count;
            self.bulk_len = -1;
            self.args = Vec::with_capacity(count.min(1024) as usize);
        }
        while self.multibulk_left > 0 {
            if self.bulk_len < 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                let Some(nl) = find_crlf(buf) else {
                    if buf.len() > INLINE_MAX {
                        return Err(ProtocolError::new("too big bulk count string"));
                    }
                    return Ok(None);
                };
                if buf[0] != b'$' {
                    return Err(ProtocolError(format!(
                        "expected '$', got '{}'",
                        buf[0] as char
                    )));
                }
                let len = match parse_ll(&buf[1..nl]) {
                    Some(l) if l >= 0 && l <= lim.max_bulk_len => l,
                    _ => return Err(ProtocolError::new("invalid bulk length")),
                };
                if len > UNAUTH_MAX_BULK && !lim.authenticated {
                    return Err(ProtocolError::new("unauthenticated bulk length"));
                }
                buf.advance(nl + 2);
                self.bulk_len = len;
                if len as usize >= BIG_ARG {
                    buf.reserve(len as usize + 2);
                }
            }
            let need = self.bulk_len as usize + 2;
            if buf.len() < need {
                return Ok(None);
            }
            let arg = buf.split_to(self.bulk_len as usize).freeze();
            buf.advance(2);
            self.args.push(arg);
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        Ok(Some(std::mem::take(&mut self.args)))
    }

    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            if buf.len() > INLINE_MAX {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(None);
        };
        let mut end = nl;
        if end > 0 && buf[end - 1] == b'\r' {
            end -= 1;
        }
        let line = buf.split_to(nl + 1);
        let args = split_args(&line[..end])
            .ok_or_else(|| ProtocolError::new("unbalanced quotes in request"))?;
        Ok(Some(args.into_iter().map(Bytes::from).collect()))
    }
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Splits a line into arguments the way redis-cli and inline commands do:
/// whitespace separated, with "double quotes" (supporting `\n`, `\xHH`...
/// escapes) and 'single quotes' (only `\'`). A closing quote must be
/// followed by whitespace or the end. `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn peeking_finds_the_arguments_of_complete_frames_only() {
        let p = RequestParser::new();
        let mut seen = Vec::new();
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\nbb\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$3\r\ncc";
        p.peek_args(buf, 32, |n, a, b, l| {
            seen.push((n.to_vec(), a.to_vec(), b.map(|b| b.to_vec()), l.to_vec()));
            true
        });
        assert_eq!(
            seen,
            vec![
                (b"GET".to_vec(), b"a".to_vec(), None, b"a".to_vec()),
                (
                    b"SET".to_vec(),
                    b"bb".to_vec(),
                    Some(b"v".to_vec()),
                    b"v".to_vec()
                )
            ],
            "partial last frame skipped"
        );
        seen.clear();
        p.peek_args(buf, 1, |n, a, b, l| {
            seen.push((n.to_vec(), a.to_vec(), b.map(|b| b.to_vec()), l.to_vec()));
            true
        });
        assert_eq!(
            seen,
            vec![(b"GET".to_vec(), b"a".to_vec(), None, b"a".to_vec())],
            "at most max frames"
        );
        for junk in [
            &b"GET a\r\n"[..],
            b"*x\r\n",
            b"*2\r\n$-1\r\n",
            b"*2\r\n$99999999999999\r\n",
            b"",
        ] {
            let mut n = 0;
            p.peek_args(junk, 32, |_, _, _, _| {
                n += 1;
                true
            });
            assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(junk));
        }
    }

    use super::*;

    const LIM: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(cmd) = p.next(&mut buf, LIM)? {
            out.push(cmd);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\r\n").unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(cmds[1], vec![Bytes::from("PING")]);
        assert_eq!(cmds[2][2], Bytes::from("b c"));
    }

    #[test]
    fn byte_at_a_time() {
        let input = b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$5\r\nhello\r\n";
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(c) = p.next(&mut buf, LIM).unwrap() {
                got = Some(c);
            }
        }
        let c = got.unwrap();
        assert_eq!(c[1], Bytes::new());
        assert_eq!(c[2], Bytes::from("hello"));
        assert!(buf.is_empty());
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(
            parse_all(b"*x\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n").unwrap_err().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n").unwrap_err().0,
            "expected '$', got 'f'"
        );
        assert_eq!(
            parse_all(b"*3000000000\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"set a \"b\r\n").unwrap_err().0,
            "unbalanced quotes in request"
        );
        assert!(parse_all(b"*-1\r\n").unwrap()[0].is_empty());
        let big = vec![b'a'; INLINE_MAX + 1];
        assert_eq!(parse_all(&big).unwrap_err().0, "too big inline request");
    }

    #[test]
    fn split_args_escapes() {
        assert_eq!(
            split_args(b"a \"\\x41\\n\" 'it\\'s'").unwrap(),
            vec![b"a".to_vec(), b"A\n".to_vec(), b"it's".to_vec()]
        );
        assert!(split_args(b"\"a\"b").is_none());
        assert_eq!(split_args(b"  ").unwrap().len(), 0);
    }

    /// Feeds `input` to a fresh parser in chunks chosen by `rng`; returns
    /// the commands parsed and whether a protocol error ended the stream.
    fn feed(input: &[u8], rng: &mut impl rand::Rng) -> (Vec<Vec<Bytes>>, bool) {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < input.len() {
            let n = rng.gen_range(1..=64).min(input.len() - pos);
            buf.extend_from_slice(&input[pos..pos + n]);
            pos += n;
            loop {
                match p.next(&mut buf, LIM) {
                    Ok(Some(c)) => out.push(c),
                    Ok(None) => break,
                    Err(_) => return (out, true),
                }
            }
        }
        (out, false)
    }

    #[test]
    fn random_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let alphabet = b"*$\r\n0123456789-+ \"'abcPING\\x";
        for _ in 0..3000 {
            let len = rng.gen_range(0..300);
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.gen_bool(0.8) {
                        alphabet[rng.gen_range(0..alphabet.len())]
                    } else {
                        rng.gen()
                    }
                })
                .collect();
            let _ = feed(&input, &mut rng);
        }
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let mut input = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..rng.gen_range(1..20) {
                let argc = rng.gen_range(1..6);
                let args: Vec<Vec<u8>> = (0..argc)
                    .map(|_| (0..rng.gen_range(0..40)).map(|_| rng.gen()).collect())
                    .collect();
                input.extend(format!("*{argc}\r\n").bytes());
                for a in &args {
                    input.extend(format!("${}\r\n", a.len()).bytes());
                    input.extend(a);
                    input.extend(b"\r\n");
                }
                expected.push(args.into_iter().map(Bytes::from).collect::<Vec<_>>());
            }
            let (got, err) = feed(&input, &mut rng);
            assert!(!err);
            assert_eq!(got, expected);
        }
    }
}
