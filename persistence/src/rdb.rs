//! RDB encoding primitives, shared by RDB files, DUMP/RESTORE payloads and
//! the AOF's RDB preamble. The byte layout is documented in
//! docs/formats.md; in short:
//!
//! - a length is 1, 2, 5 or 9 bytes: `00xxxxxx` (6 bits), `01xxxxxx
//!   xxxxxxxx` (14 bits, big-endian), `0x80` + 32-bit BE, `0x81` + 64-bit
//!   BE; `11xxxxxx` instead marks a specially encoded string;
//! - a string is a length and the bytes, or `0xC0` + i8, `0xC1` + i16 LE,
//!   `0xC2` + i32 LE (an integer written in decimal), or `0xC3` +
//!   compressed length + original length + LZF data;
//! - binary doubles are 8 bytes little-endian, times in ms 8 bytes LE.

use crate::crc64::crc64;
use crate::lzf;

/// The RDB version this server writes (Redis 7.0's): loadable by Redis
/// 7.0+ and Valkey.
pub const RDB_VERSION: u16 = 10;

// Object types.
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_SET_LISTPACK: u8 = 20;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

// Opcodes of an RDB file.
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Why RDB bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input ends in the middle of an item.
    Truncated,
    /// A length or count that cannot be right (larger than the input).
    BadLength(u64),
    /// An unknown special string encoding.
    BadEncoding(u8),
    /// LZF data that does not expand to the announced length.
    Lzf(lzf::LzfError),
    /// An unknown or unsupported object type.
    BadType(u8),
    /// An encoded collection (listpack, intset, ...) is malformed.
    Corrupt(&'static str),
    /// A DUMP payload's version is newer than ours or its checksum is wrong.
    BadFooter,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Truncated => write!(f, "unexpected end of data"),
            Error::BadLength(n) => write!(f, "impossible length {n}"),
            Error::BadEncoding(e) => write!(f, "unknown string encoding {e}"),
            Error::Lzf(e) => write!(f, "bad LZF data: {e:?}"),
            Error::BadType(t) => write!(f, "unknown object type {t}"),
            Error::Corrupt(what) => write!(f, "corrupt {what}"),
            Error::BadFooter => write!(f, "payload version or checksum are wrong"),
        }
    }
}

impl std::error::Error for Error {}

/// Appends RDB items to a byte buffer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes.
    pub compress: bool,
}

impl Writer {
    pub fn new(compress: bool) -> Writer {
        Writer {
            buf: Vec::new(),
            compress,
        }
    }

    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn length(&mut self, n: u64) {
        if n < 1 << 6 {
            self.buf.push(n as u8);
        } else if n < 1 << 14 {
            self.buf.push(0x40 | (n >> 8) as u8);
            self.buf.push(n as u8);
        } else if n <= u32::MAX as u64 {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.buf.push(0x81);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// An integer in the compact integer string encoding, if it fits in
    /// 32 bits; false otherwise (nothing written).
    fn int_encoded(&mut self, v: i64) -> bool {
        if let Ok(b) = i8::try_from(v) {
            self.buf.extend_from_slice(&[0xC0 | ENC_INT8, b as u8]);
        } else if let Ok(h) = i16::try_from(v) {
            self.buf.push(0xC0 | ENC_INT16);
            self.buf.extend_from_slice(&h.to_le_bytes());
        } else if let Ok(w) = i32::try_from(v) {
            self.buf.push(0xC0 | ENC_INT32);
            self.buf.extend_from_slice(&w.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    /// A string as Redis writes one: as an integer if it is the decimal
    /// form of one that fits in 32 bits, LZF-compressed if allowed, longer
    /// than 20 bytes and at least 4 bytes smaller, else verbatim.
    pub fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(v) = tiering::value::parse_strict_i64(s) {
                if self.int_encoded(v) {
                    return;
                }
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(c) = lzf::compress(s, s.len() - 4) {
                self.buf.push(0xC0 | ENC_LZF);
                self.length(c.len() as u64);
                self.length(s.len() as u64);
                self.buf.extend_from_slice(&c);
                return;
            }
        }
        self.length(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    /// An integer value as a string (`int`-encoded string objects).
    pub fn int_string(&mut self, v: i64) {
        if !self.int_encoded(v) {
            let s = v.to_string();
            self.length(s.len() as u64);
            self.buf.extend_from_slice(s.as_bytes());
        }
    }

    pub fn binary_double(&mut self, d: f64) {
        self.buf.extend_from_slice(&d.to_le_bytes());
    }

    pub fn millis(&mut self, ms: i64) {
        self.buf.extend_from_slice(&ms.to_le_bytes());
    }
}

/// Reads RDB items from a byte slice, never past its end.
pub struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

/// A length, or the marker of a specially encoded string.
#[derive(Debug, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::Truncated);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    pub fn len_or_encoding(&mut self) -> Result<Len, Error> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain((((b & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 => match b {
                0x80 => {
                    let v = self.bytes(4)?;
                    Len::Plain(u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as u64)
                }
                0x81 => {
                    let v = self.bytes(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(v);
                    Len::Plain(u64::from_be_bytes(a))
                }
                _ => return Err(Error::BadEncoding(b)),
            },
            _ => Len::Encoded(b & 0x3f),
        })
    }

    pub fn length(&mut self) -> Result<u64, Error> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(e) => Err(Error::BadEncoding(e)),
        }
    }

    /// A count of items that each take at least `min_item` bytes: refused
    /// if the input cannot hold that many (so a corrupt count cannot make
    /// us reserve huge amounts of memory).
    pub fn count(&mut self, min_item: usize) -> Result<usize, Error> {
        let n = self.length()?;
        if n.saturating_mul(min_item.max(1) as u64) > self.remaining() as u64 {
            return Err(Error::BadLength(n));
        }
        Ok(n as usize)
    }

    /// A string in any of its encodings (integers come back in decimal).
    pub fn string(&mut self) -> Result<Vec<u8>, Error> {
        match self.len_or_encoding()? {
            Len::Plain(n) => {
                if n > self.remaining() as u64 {
                    return Err(Error::BadLength(n));
                }
                Ok(self.bytes(n as usize)?.to_vec())
            }
            Len::Encoded(ENC_INT8) => Ok((self.byte()? as i8).to_string().into_bytes()),
            Len::Encoded(ENC_INT16) => {
                let v = self.bytes(2)?;
                Ok(i16::from_le_bytes([v[0], v[1]]).to_string().into_bytes())
            }
            Len::Encoded(ENC_INT32) => {
                let v = self.bytes(4)?;
                Ok(i32::from_le_bytes([v[0], v[1], v[2], v[3]])
                    .to_string()
                    .into_bytes())
            }
            Len::Encoded(ENC_LZF) => {
                let clen = self.length()?;
                let len = self.length()?;
                if clen > self.remaining() as u64 {
                    return Err(Error::BadLength(clen));
                }
                // LZF expands at most ~ 264/3 times per input byte.
                if len == 0 || len > clen.saturating_mul(100) {
                    return Err(Error::BadLength(len));
                }
                let c = self.bytes(clen as usize)?;
                lzf::decompress(c, len as usize).map_err(Error::Lzf)
            }
            Len::Encoded(e) => Err(Error::BadEncoding(e)),
        }
    }

    pub fn binary_double(&mut self) -> Result<f64, Error> {
        let v = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(v);
        Ok(f64::from_le_bytes(a))
    }

    pub fn millis(&mut self) -> Result<i64, Error> {
        let v = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(v);
        Ok(i64::from_le_bytes(a))
    }
}

/// Frames an object (type byte and body) as a DUMP payload: the RDB
/// version (LE16) and the CRC-64 (LE64) of everything before it.
pub fn dump_payload(mut object: Vec<u8>) -> Vec<u8> {
    object.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &object);
    object.extend_from_slice(&crc.to_le_bytes());
    object
}

/// Checks a DUMP payload's footer (version not newer than ours, CRC-64
/// right unless `check_crc` is off) and returns the object bytes.
pub fn verify_payload(p: &[u8], check_crc: bool) -> Result<&[u8], Error> {
    if p.len() < 10 {
        return Err(Error::BadFooter);
    }
    let body = p.len() - 10;
    let version = u16::from_le_bytes([p[body], p[body + 1]]);
    if version > RDB_VERSION {
        return Err(Error::BadFooter);
    }
    if check_crc {
        let mut want = [0u8; 8];
        want.copy_from_slice(&p[body + 2..]);
        if crc64(0, &p[..body + 2]) != u64::from_le_bytes(want) {
            return Err(Error::BadFooter);
        }
    }
    Ok(&p[..body])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_in_the_smallest_form() {
        for (n, size) in [
            (0u64, 1usize),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 5),
            (u32::MAX as u64, 5),
            (u32::MAX as u64 + 1, 9),
        ] {
            let mut w = Writer::default();
            w.length(n);
            assert_eq!(w.buf.len(), size, "{n}");
            let mut r = Reader::new(&w.buf);
            assert_eq!(r.length(), Ok(n));
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn strings_pick_redis_encodings() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"12", &[0xC0, 12]),
            (b"-129", &[0xC1, 0x7f, 0xff]),
            (b"100000", &[0xC2, 0xa0, 0x86, 0x01, 0x00]),
            (b"012", &[3, b'0', b'1', b'2']),
            (b"", &[0]),
        ];
        for (s, enc) in cases {
            let mut w = Writer::new(true);
            w.string(s);
            assert_eq!(&w.buf[..], *enc, "{:?}", s);
            assert_eq!(Reader::new(&w.buf).string().as_deref(), Ok(*s));
        }
        let long = vec![b'z'; 500];
        let mut w = Writer::new(true);
        w.string(&long);
        assert_eq!(w.buf[0], 0xC3);
        assert_eq!(Reader::new(&w.buf).string(), Ok(long.clone()));
        let mut w = Writer::new(false);
        w.string(&long);
        assert_eq!(w.buf.len(), 2 + 500);
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut w = Writer::new(true);
        w.string(&[b'q'; 300]);
        let good = w.buf.clone();
        for cut in 0..good.len() {
            assert!(Reader::new(&good[..cut]).string().is_err(), "cut {cut}");
        }
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                let _ = Reader::new(&bad).string();
            }
        }
        assert_eq!(
            Reader::new(&[0x80, 0xff, 0xff, 0xff, 0xff]).string(),
            Err(Error::BadLength(u32::MAX as u64))
        );
    }

    #[test]
    fn payload_footer() {
        let p = dump_payload(vec![TYPE_STRING, 1, b'x']);
        assert_eq!(verify_payload(&p, true), Ok(&[TYPE_STRING, 1, b'x'][..]));
        let mut bad = p.clone();
        bad[1] ^= 1;
        assert_eq!(verify_payload(&bad, true), Err(Error::BadFooter));
        assert!(verify_payload(&bad, false).is_ok());
        let mut newer = p.clone();
        let n = newer.len();
        newer[n - 10] = 99;
        assert_eq!(verify_payload(&newer, false), Err(Error::BadFooter));
        assert_eq!(verify_payload(&p[..9], true), Err(Error::BadFooter));
    }
}
