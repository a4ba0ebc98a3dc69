//! The append-only file: Redis 7's multi-part layout and its command log.
//!
//! ```text
//! <dir>/<appenddirname>/
//!   <appendfilename>.manifest          which files make the AOF, in order
//!   <appendfilename>.<seq>.base.rdb    the dataset when the last rewrite
//!                                      started (RDB; `.base.aof` holds
//!                                      commands when the preamble is off)
//!   <appendfilename>.<seq>.incr.aof    commands logged since, one file per
//!                                      rewrite started
//! ```
//!
//! The manifest is text, one line per file:
//! `file <name> seq <n> type <b|i|h>\n` (base, incremental, history — a
//! history file is left over from a rewrite and is deleted). A name with
//! spaces or unusual bytes is written quoted with C-style escapes, as
//! Redis does. Lines starting with `#` are comments.
//!
//! The command log is RESP: each command an array of bulk strings
//! (`*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per argument). Lines starting
//! with `#` (Redis's `aof-timestamp-enabled` annotations) are skipped.

use std::fmt::Write as _;

/// The kind of a file listed in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Base,
    Incr,
    History,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }
}

/// One file of the AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// The manifest: the base file, the incremental files in the order they
/// are replayed, and history files waiting to be deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub incrs: Vec<AofFile>,
    pub history: Vec<AofFile>,
}

/// The manifest's file name for `appendfilename`.
pub fn manifest_name(appendfilename: &str) -> String {
    format!("{appendfilename}.manifest")
}

/// A base file's name: `.rdb` when it is an RDB preamble, `.aof` when it
/// holds commands.
pub fn base_name(appendfilename: &str, seq: u64, rdb: bool) -> String {
    let ext = if rdb { "rdb" } else { "aof" };
    format!("{appendfilename}.{seq}.base.{ext}")
}

pub fn incr_name(appendfilename: &str, seq: u64) -> String {
    format!("{appendfilename}.{seq}.incr.aof")
}

impl Manifest {
    /// Parses a manifest. Errors name the line.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.iter().all(|b| b.is_ascii_whitespace()) || line.first() == Some(&b'#') {
                continue;
            }
            let bad = |why: &str| format!("invalid AOF manifest line {}: {why}", i + 1);
            let words = split_args(line).ok_or_else(|| bad("unbalanced quotes"))?;
            if words.len() % 2 != 0 {
                return Err(bad("a key without a value"));
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for kv in words.chunks_exact(2) {
                match kv[0].as_slice() {
                    b"file" => {
                        let n = String::from_utf8(kv[1].clone())
                            .map_err(|_| bad("the file name is not UTF-8"))?;
                        if n.contains('/') || n.is_empty() || n == "." || n == ".." {
                            return Err(bad("the file name is not a plain name"));
                        }
                        name = Some(n);
                    }
                    b"seq" => {
                        let s = std::str::from_utf8(&kv[1])
                            .ok()
                            .and_then(|s| s.parse::<u64>().ok())
                            .filter(|&s| s > 0)
                            .ok_or_else(|| bad("the sequence is not a positive number"))?;
                        seq = Some(s);
                    }
                    b"type" => {
                        kind = Some(match kv[1].as_slice() {
                            b"b" => FileKind::Base,
                            b"i" => FileKind::Incr,
                            b"h" => FileKind::History,
                            _ => return Err(bad("unknown file type")),
                        });
                    }
                    // Keys a later version may add are ignored, as Redis does.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(bad("file, seq and type are required"));
            };
            let f = AofFile { name, seq, kind };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err(bad("a second base file"));
                    }
                    m.base = Some(f);
                }
                FileKind::Incr => {
                    if m.incrs.last().is_some_and(|l| l.seq >= seq) {
                        return Err(bad("incremental files out of order"));
                    }
                    m.incrs.push(f);
                }
                FileKind::History => m.history.push(f),
            }
        }
        if m.base.is_none() && m.incrs.is_empty() {
            return Err("the AOF manifest lists no base and no incremental file".into());
        }
        Ok(m)
    }

    /// The manifest text: base, history, then incremental files in order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::new();
        let mut line = |f: &AofFile| {
            let _ = writeln!(
                s,
                "file {} seq {} type {}",
                quote_if_needed(&f.name),
                f.seq,
                f.kind.letter()
            );
        };
        if let Some(b) = &self.base {
            line(b);
        }
        for h in &self.history {
            line(h);
        }
        for i in &self.incrs {
            line(i);
        }
        s.into_bytes()
    }

    /// The files to replay, in order: the base, then every incremental.
    pub fn replay_order(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// The highest sequence used by a base (`Base`) or incremental
    /// (`Incr`) file, history files included by their names (0 if none):
    /// a new file takes the next one, so no name is ever reused.
    pub fn last_seq(&self, kind: FileKind) -> u64 {
        let named = |f: &&AofFile| match kind {
            FileKind::Base => f.kind == FileKind::Base || f.name.contains(".base."),
            _ => f.kind == FileKind::Incr || f.name.ends_with(".incr.aof"),
        };
        let all = self.base.iter().chain(&self.incrs).chain(&self.history);
        all.filter(named).map(|f| f.seq).max().unwrap_or(0)
    }
}

fn quote_if_needed(name: &str) -> String {
    if name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\')
    {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => s.push(b as char),
            b => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// Splits a line into words the way Redis's `sdssplitargs` does: spaces
/// separate, `"..."` with C escapes (`\n`, `\xHH`, ...) and `'...'` quote.
/// None for unbalanced quotes or a quote not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            return Some(out);
        }
        let mut word = Vec::new();
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    match *line.get(i)? {
                        b'\\'
                            if line.get(i + 1) == Some(&b'x')
                                && line.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                                && line.get(i + 3).is_some_and(u8::is_ascii_hexdigit) =>
                        {
                            let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok()?;
                            word.push(u8::from_str_radix(hex, 16).ok()?);
                            i += 4;
                        }
                        b'\\' => {
                            let c = *line.get(i + 1)?;
                            word.push(match c {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                other => other,
                            });
                            i += 2;
                        }
                        b'"' => {
                            i += 1;
                            if line.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
                                return None;
                            }
                            break;
                        }
                        b => {
                            word.push(b);
                            i += 1;
                        }
                    }
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    match *line.get(i)? {
                        b'\\' if line.get(i + 1) == Some(&b'\'') => {
                            word.push(b'\'');
                            i += 2;
                        }
                        b'\'' => {
                            i += 1;
                            if line.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
                                return None;
                            }
                            break;
                        }
                        b => {
                            word.push(b);
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    word.push(line[i]);
                    i += 1;
                }
            }
        }
        out.push(word);
    }
}

/// Appends one command to `out` in the log's RESP form.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.push(b'*');
    push_decimal(out, args.len());
    out.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.push(b'$');
        push_decimal(out, a.len());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(tiering::value::format_i64(n as i64, &mut buf));
}

/// What stopped reading the command log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The data ends inside the command that starts at `offset`: a torn
    /// last write (`aof-load-truncated` cuts it off).
    Truncated { offset: usize },
    /// Bytes at `offset` are not a command.
    Bad { offset: usize, what: &'static str },
}

impl ReadError {
    pub fn offset(&self) -> usize {
        match self {
            ReadError::Truncated { offset } | ReadError::Bad { offset, .. } => *offset,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Truncated { offset } => {
                write!(
                    f,
                    "unexpected end of file in the command at offset {offset}"
                )
            }
            ReadError::Bad { offset, what } => write!(f, "bad format at offset {offset}: {what}"),
        }
    }
}

/// Reads commands from the log, one at a time, with the offset where each
/// starts.
pub struct Commands<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

/// More arguments or a longer argument than any client could send (the
/// server's own limits are far below): rejected as corruption.
const MAX_ARGS: usize = 1 << 30;
const MAX_ARG_LEN: usize = 1 << 40;

impl<'a> Commands<'a> {
    pub fn new(data: &'a [u8]) -> Commands<'a> {
        Commands {
            data,
            pos: 0,
            failed: false,
        }
    }

    /// The offset just after the last complete command read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Reads a `<prefix><number>\r\n` line at `at`; returns the number
    /// and where the line ends.
    fn header(&self, at: usize, prefix: u8, start: usize) -> Result<(usize, usize), ReadError> {
        let d = self.data;
        if at >= d.len() {
            return Err(ReadError::Truncated { offset: start });
        }
        if d[at] != prefix {
            return Err(ReadError::Bad {
                offset: at,
                what: if prefix == b'*' {
                    "expected '*' (the start of a command)"
                } else {
                    "expected '$' (the start of an argument)"
                },
            });
        }
        let mut n: usize = 0;
        let mut i = at + 1;
        let digits_from = i;
        while i < d.len() && d[i].is_ascii_digit() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((d[i] - b'0') as usize))
                .ok_or(ReadError::Bad {
                    offset: at,
                    what: "a length out of range",
                })?;
            i += 1;
        }
        if i == d.len() || (i + 1 == d.len() && d[i] == b'\r') {
            return Err(ReadError::Truncated { offset: start });
        }
        if i == digits_from || d[i] != b'\r' || d[i + 1] != b'\n' {
            return Err(ReadError::Bad {
                offset: at,
                what: "a malformed length line",
            });
        }
        Ok((n, i + 2))
    }

    fn command(&mut self) -> Result<Vec<&'a [u8]>, ReadError> {
        let start = self.pos;
        let (argc, mut at) = self.header(start, b'*', start)?;
        if argc == 0 || argc > MAX_ARGS {
            return Err(ReadError::Bad {
                offset: start,
                what: "an invalid argument count",
            });
        }
        // Capacity bounded by what the data could hold (4 bytes at least
        // per argument), not by the count a corrupt file claims.
        let mut args = Vec::with_capacity(argc.min((self.data.len() - at) / 4 + 1));
        for _ in 0..argc {
            let (len, body) = self.header(at, b'$', start)?;
            if len > MAX_ARG_LEN {
                return Err(ReadError::Bad {
                    offset: at,
                    what: "an argument length out of range",
                });
            }
            let end = body.checked_add(len).ok_or(ReadError::Bad {
                offset: at,
                what: "an argument length out of range",
            })?;
            if end + 2 > self.data.len() {
                return Err(ReadError::Truncated { offset: start });
            }
            if &self.data[end..end + 2] != b"\r\n" {
                return Err(ReadError::Bad {
                    offset: end,
                    what: "an argument not followed by CRLF",
                });
            }
            args.push(&self.data[body..end]);
            at = end + 2;
        }
        self.pos = at;
        Ok(args)
    }
}

impl<'a> Iterator for Commands<'a> {
    type Item = Result<(usize, Vec<&'a [u8]>), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        // Annotations: whole lines starting with '#'.
        while self.data.get(self.pos) == Some(&b'#') {
            match self.data[self.pos..].iter().position(|&b| b == b'\n') {
                Some(nl) => self.pos += nl + 1,
                None => {
                    self.failed = true;
                    return Some(Err(ReadError::Truncated { offset: self.pos }));
                }
            }
        }
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        match self.command() {
            Ok(args) => Some(Ok((start, args))),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Elements per command when a collection is written as commands (as
/// Redis's rewrite: long collections take several commands).
pub const ITEMS_PER_COMMAND: usize = 64;

/// Appends the commands that recreate `key` holding `obj` (and its
/// expiry, absolute ms) to `out`: the body of a base written as commands
/// (`aof-use-rdb-preamble no`).
pub fn object_commands(
    out: &mut Vec<u8>,
    key: &[u8],
    obj: &crate::object::Object,
    expire_ms: Option<i64>,
) {
    use crate::object::Object;
    fn batched(out: &mut Vec<u8>, cmd: &[u8], key: &[u8], items: &[&[u8]], per: usize) {
        for chunk in items.chunks(ITEMS_PER_COMMAND * per) {
            let mut args: Vec<&[u8]> = Vec::with_capacity(chunk.len() + 2);
            args.push(cmd);
            args.push(key);
            args.extend_from_slice(chunk);
            encode_command(out, &args);
        }
    }
    match obj {
        Object::Str(v) => encode_command(out, &[b"SET".as_slice(), key, v]),
        Object::List(items) => {
            let items: Vec<&[u8]> = items.iter().map(|i| i.as_slice()).collect();
            batched(out, b"RPUSH", key, &items, 1);
        }
        Object::Set(items) => {
            let items: Vec<&[u8]> = items.iter().map(|i| i.as_slice()).collect();
            batched(out, b"SADD", key, &items, 1);
        }
        Object::IntSet(ints, _) => {
            let text: Vec<Vec<u8>> = ints.iter().map(|i| i.to_string().into_bytes()).collect();
            let items: Vec<&[u8]> = text.iter().map(|i| i.as_slice()).collect();
            batched(out, b"SADD", key, &items, 1);
        }
        Object::Hash(pairs) => {
            let items: Vec<&[u8]> = pairs
                .iter()
                .flat_map(|(f, v)| [f.as_slice(), v.as_slice()])
                .collect();
            batched(out, b"HMSET", key, &items, 2);
        }
        Object::ZSet(members) => {
            // Shortest text that reads back as the same double (Redis
            // writes %.17g; both parse to the same score).
            let text: Vec<(Vec<u8>, &[u8])> = members
                .iter()
                .map(|(m, s)| (format_score(*s).into_bytes(), m.as_slice()))
                .collect();
            let items: Vec<&[u8]> = text.iter().flat_map(|(s, m)| [s.as_slice(), *m]).collect();
            batched(out, b"ZADD", key, &items, 2);
        }
    }
    if let Some(ms) = expire_ms {
        encode_command(
            out,
            &[b"PEXPIREAT".as_slice(), key, ms.to_string().as_bytes()],
        );
    }
}

fn format_score(s: f64) -> String {
    if s == f64::INFINITY {
        "inf".into()
    } else if s == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{s}")
    }
}

/// True if a base file holds an RDB (the preamble) rather than commands.
pub fn is_rdb(data: &[u8]) -> bool {
    data.starts_with(b"REDIS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_become_commands_in_batches() {
        use crate::object::Object;
        let mut out = Vec::new();
        let list: Vec<Vec<u8>> = (0..130).map(|i| i.to_string().into_bytes()).collect();
        object_commands(&mut out, b"l", &Object::List(list), Some(123));
        object_commands(
            &mut out,
            b"z",
            &Object::ZSet(vec![
                (b"a".to_vec(), f64::NEG_INFINITY),
                (b"b".to_vec(), 0.1),
            ]),
            None,
        );
        object_commands(&mut out, b"s", &Object::IntSet(vec![1, -2], 2), None);
        let cmds: Vec<Vec<Vec<u8>>> = Commands::new(&out)
            .map(|c| c.expect("valid").1.iter().map(|a| a.to_vec()).collect())
            .collect();
        assert_eq!(cmds.len(), 6);
        assert_eq!(cmds[0].len(), 2 + 64);
        assert_eq!(cmds[2].len(), 2 + 2);
        assert_eq!(
            cmds[3],
            [b"PEXPIREAT".to_vec(), b"l".to_vec(), b"123".to_vec()]
        );
        assert_eq!(
            cmds[4],
            [
                b"ZADD".to_vec(),
                b"z".to_vec(),
                b"-inf".to_vec(),
                b"a".to_vec(),
                b"0.1".to_vec(),
                b"b".to_vec()
            ]
        );
        assert_eq!(
            cmds[5],
            [
                b"SADD".to_vec(),
                b"s".to_vec(),
                b"1".to_vec(),
                b"-2".to_vec()
            ]
        );
    }

    #[test]
    fn manifest_round_trip() {
        let text = b"file appendonly.aof.1.base.rdb seq 1 type b\n\
                     file appendonly.aof.1.incr.aof seq 1 type h\n\
                     file appendonly.aof.2.incr.aof seq 2 type i\n\
                     file appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).expect("valid");
        assert_eq!(m.base.as_ref().map(|b| b.seq), Some(1));
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.to_bytes(), text.to_vec());
        assert_eq!(m.last_seq(FileKind::Incr), 3);
        assert_eq!(m.last_seq(FileKind::Base), 1);
        let order: Vec<_> = m.replay_order().map(|f| f.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "appendonly.aof.1.base.rdb",
                "appendonly.aof.2.incr.aof",
                "appendonly.aof.3.incr.aof"
            ]
        );
    }

    #[test]
    fn manifest_quoting_and_errors() {
        let m = Manifest {
            base: Some(AofFile {
                name: "my aof\x01.1.base.rdb".into(),
                seq: 1,
                kind: FileKind::Base,
            }),
            ..Default::default()
        };
        let text = m.to_bytes();
        assert_eq!(
            text,
            b"file \"my aof\\x01.1.base.rdb\" seq 1 type b\n".to_vec()
        );
        assert_eq!(Manifest::parse(&text), Ok(m));
        for bad in [
            &b"file a seq 1\n"[..],
            b"file a seq x type b\n",
            b"file a seq 1 type z\n",
            b"file \"a seq 1 type b\n",
            b"file ../a seq 1 type b\n",
            b"file a seq 2 type i\nfile b seq 1 type i\n",
            b"",
        ] {
            assert!(Manifest::parse(bad).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn commands_read_back_with_offsets() {
        let mut log = Vec::new();
        encode_command(&mut log, &["SET", "k", "v"]);
        log.extend_from_slice(b"#TS:1700000000\r\n");
        let second = log.len();
        encode_command(&mut log, &[&b"DEL"[..], b"a\r\nb", b""]);
        let all: Vec<_> = Commands::new(&log)
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(all[0], (0, vec![&b"SET"[..], b"k", b"v"]));
        assert_eq!(all[1], (second, vec![&b"DEL"[..], b"a\r\nb", b""]));
    }

    #[test]
    fn a_torn_tail_is_truncation_and_garbage_is_not() {
        let mut log = Vec::new();
        encode_command(&mut log, &["SET", "k", "v"]);
        let first = log.len();
        encode_command(&mut log, &["SET", "key", "value"]);
        // Every cut inside the second command is a truncation at its start.
        for cut in first + 1..log.len() {
            let mut r = Commands::new(&log[..cut]);
            assert!(r.next().expect("first").is_ok());
            assert_eq!(
                r.next(),
                Some(Err(ReadError::Truncated { offset: first })),
                "cut at {cut}"
            );
            assert_eq!(r.position(), first);
            assert_eq!(r.next(), None);
        }
        let mut bad = log.clone();
        bad[first + 5] = b'x';
        let r: Vec<_> = Commands::new(&bad).collect();
        assert!(matches!(r[1], Err(ReadError::Bad { .. })), "{r:?}");
        assert!(matches!(
            Commands::new(b"*0\r\n").next(),
            Some(Err(ReadError::Bad { offset: 0, .. }))
        ));
        assert!(matches!(
            Commands::new(b"*99999999999999999999999\r\n").next(),
            Some(Err(ReadError::Bad { .. }))
        ));
        // A huge count with little data does not allocate for the count.
        assert_eq!(
            Commands::new(b"*1000000000\r\n$1\r\na\r\n").next(),
            Some(Err(ReadError::Truncated { offset: 0 }))
        );
    }
}
