//! A packed sequence of byte strings: the compact representation of small
//! collections (what Redis calls a listpack and reports as `listpack`).
//!
//! Layout: one exact-size heap buffer holding the entries back to back, each
//! as a LEB128 length followed by the bytes. A small collection therefore
//! costs one allocation and one or two bytes of overhead per element,
//! against a pointer-rich structure's 30–60 bytes. Lookups are linear scans;
//! that is why collections convert to their large representation past the
//! `*-max-listpack-entries` / `*-max-listpack-value` limits, which keep the
//! scans short.
//!
//! Every change reallocates the buffer at its exact new size (as Redis's
//! listpack does): small collections are mostly read, and exact sizing is
//! what makes them small.

/// A packed sequence of byte strings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pack {
    buf: Box<[u8]>,
    count: u32,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| String::from_utf8_lossy(e).into_owned()))
            .finish()
    }
}

/// Reads the LEB128 length at `pos`: (length, bytes the length took).
#[inline]
fn read_len(buf: &[u8], pos: usize) -> (usize, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = pos;
    loop {
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (len, i - pos);
        }
        shift += 7;
    }
}

fn len_size(mut len: usize) -> usize {
    let mut n = 1;
    while len >= 0x80 {
        len >>= 7;
        n += 1;
    }
    n
}

fn write_len(out: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

impl Pack {
    pub fn new() -> Pack {
        Pack::default()
    }

    /// A pack holding `items` in order.
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Pack {
        let mut buf = Vec::new();
        let mut count = 0u32;
        for it in items {
            write_len(&mut buf, it.len());
            buf.extend_from_slice(it);
            count += 1;
        }
        Pack {
            buf: buf.into_boxed_slice(),
            count,
        }
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of heap the pack owns.
    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }

    /// The entries, first to last.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// Byte offset of entry `idx` (`idx == len()` gives the end).
    fn offset_of(&self, idx: usize) -> usize {
        let mut pos = 0;
        for _ in 0..idx {
            let (l, h) = read_len(&self.buf, pos);
            pos += h + l;
        }
        pos
    }

    /// The entry at `idx`, if any.
    pub fn get(&self, idx: usize) -> Option<&[u8]> {
        if idx >= self.len() {
            return None;
        }
        let pos = self.offset_of(idx);
        let (l, h) = read_len(&self.buf, pos);
        Some(&self.buf[pos + h..pos + h + l])
    }

    /// Index of the first entry equal to `item`, looking only at entries
    /// whose index is a multiple of `step` (2 for field/value packs, so a
    /// field never matches a value).
    pub fn position(&self, item: &[u8], step: usize) -> Option<usize> {
        self.iter()
            .enumerate()
            .step_by(step.max(1))
            .find(|(_, e)| *e == item)
            .map(|(i, _)| i)
    }

    /// Replaces the entries `idx..idx+remove` with `items`.
    pub fn splice(&mut self, idx: usize, remove: usize, items: &[&[u8]]) {
        let idx = idx.min(self.len());
        let remove = remove.min(self.len() - idx);
        // Appends (RPUSH, HSET of a new field) skip the walk to the end.
        let start = if idx == self.len() {
            self.buf.len()
        } else {
            self.offset_of(idx)
        };
        let mut end = start;
        for _ in 0..remove {
            let (l, h) = read_len(&self.buf, end);
            end += h + l;
        }
        let added: usize = items.iter().map(|i| len_size(i.len()) + i.len()).sum();
        let mut buf = Vec::with_capacity(self.buf.len() - (end - start) + added);
        buf.extend_from_slice(&self.buf[..start]);
        for it in items {
            write_len(&mut buf, it.len());
            buf.extend_from_slice(it);
        }
        buf.extend_from_slice(&self.buf[end..]);
        self.buf = buf.into_boxed_slice();
        self.count = self.count + items.len() as u32 - remove as u32;
    }

    pub fn push_back(&mut self, item: &[u8]) {
        self.splice(self.len(), 0, &[item]);
    }

    pub fn push_front(&mut self, item: &[u8]) {
        self.splice(0, 0, &[item]);
    }

    pub fn insert(&mut self, idx: usize, item: &[u8]) {
        self.splice(idx, 0, &[item]);
    }

    pub fn remove(&mut self, idx: usize) {
        self.splice(idx, 1, &[]);
    }

    pub fn replace(&mut self, idx: usize, item: &[u8]) {
        self.splice(idx, 1, &[item]);
    }

    /// Keeps only the entries for which `keep(index, entry)` is true, in one
    /// pass and one reallocation.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) {
        let mut buf = Vec::with_capacity(self.buf.len());
        let mut count = 0;
        for (i, e) in self.iter().enumerate() {
            if keep(i, e) {
                write_len(&mut buf, e.len());
                buf.extend_from_slice(e);
                count += 1;
            }
        }
        if count != self.count {
            self.buf = buf.into_boxed_slice();
            self.count = count;
        }
    }
}

/// Iterator over a [`Pack`]'s entries.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (l, h) = read_len(self.buf, self.pos);
        let s = self.pos + h;
        self.pos = s + l;
        Some(&self.buf[s..s + l])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(p: &Pack) -> Vec<Vec<u8>> {
        p.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn edits_keep_order_and_count() {
        let mut p = Pack::new();
        assert!(p.is_empty());
        p.push_back(b"b");
        p.push_front(b"a");
        p.push_back(&[b'x'; 300]);
        p.insert(2, b"");
        assert_eq!(p.len(), 4);
        assert_eq!(items(&p)[..3], [b"a".to_vec(), b"b".to_vec(), vec![]]);
        assert_eq!(p.get(3).map(|e| e.len()), Some(300));
        assert_eq!(p.get(4), None);
        p.replace(1, b"bb");
        p.remove(0);
        assert_eq!(p.get(0), Some(&b"bb"[..]));
        assert_eq!(p.len(), 3);
        // "bb", "" and the 300-byte entry: 1-byte lengths, 2 for the long one.
        assert_eq!(p.heap_size(), (1 + 2) + 1 + (2 + 300));
        p.splice(0, 10, &[b"z"]);
        assert_eq!(items(&p), vec![b"z".to_vec()]);
    }

    #[test]
    fn position_respects_step() {
        let p = Pack::from_items([&b"f1"[..], b"f2", b"f2", b"v2"]);
        assert_eq!(p.position(b"f2", 1), Some(1));
        assert_eq!(p.position(b"f2", 2), Some(2));
        assert_eq!(p.position(b"v2", 2), None);
        let mut q = p.clone();
        q.retain(|i, _| i % 2 == 0);
        assert_eq!(items(&q), vec![b"f1".to_vec(), b"f2".to_vec()]);
    }
}
