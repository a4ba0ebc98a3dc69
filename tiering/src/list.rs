//! List values: sequences with fast push/pop at both ends.
//!
//! Two representations, as in Redis 7.2 (`OBJECT ENCODING` reports them):
//!
//! * `listpack`: one [`Pack`], for small lists. One allocation, a byte or
//!   two of overhead per element.
//! * `quicklist`: a deque of packed nodes. Pushing or popping at either end
//!   touches only the end node (bounded in size), so it is O(1) amortised;
//!   reaching index `i` skips whole nodes, so it costs O(n / node size).
//!
//! Both the conversion points and the node boundaries follow Redis's rules,
//! measured in the bytes Redis's listpack encoding would take (see
//! [`lp_entry_size`]), because those decide what `OBJECT ENCODING` says:
//!
//! * `list-max-listpack-size` (`fill`) positive: at most `fill` entries per
//!   node (and never more than 8 KiB); negative: a node holds at most
//!   4/8/16/32/64 KiB (-1 ... -5).
//! * A listpack becomes a quicklist when a push would pass that limit; the
//!   whole listpack becomes the first node.
//! * A node accepts a push at its end if its size plus the new element plus
//!   8 bytes of estimated overhead stays within the limit; otherwise a new
//!   node starts. An element larger than a node's limit gets a node of its
//!   own ("plain" node) which never merges with others.
//! * An insertion into a full node in the middle splits it at the insertion
//!   point, then merges neighbours whose combined size fits.
//! * After an operation that removes elements, a quicklist that is down to
//!   one packed node within *half* the limit turns back into a listpack
//!   (the half keeps a list that hovers around the limit from converting
//!   back and forth).
//!
//! `list-compress-depth` (compression of interior nodes) is accepted but not
//! applied: nodes are never compressed.

use std::collections::VecDeque;

use crate::pack::Pack;
use crate::value::parse_strict_i64;

/// Node size classes of negative `list-max-listpack-size` values.
const SIZE_CLASSES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// The size no node holding more than one entry may pass, whatever `fill`.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's estimate of a new entry's encoding overhead when deciding
/// whether a node can take it.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Header and terminator of an encoded listpack.
const LP_EMPTY: usize = 7;
/// Largest positive fill a quicklist node honours.
const FILL_MAX: i64 = 32767;

/// Bytes an element takes inside an encoded listpack: integers in their
/// compact forms, strings with a 1/2/5-byte header, plus the back-length.
pub fn lp_entry_size(e: &[u8]) -> usize {
    let enc = match parse_strict_i64(e) {
        Some(v) => match v {
            0..=127 => 1,
            -4096..=4095 => 2,
            -32768..=32767 => 3,
            -8_388_608..=8_388_607 => 4,
            -2_147_483_648..=2_147_483_647 => 5,
            _ => 9,
        },
        None => {
            let l = e.len();
            if l < 64 {
                1 + l
            } else if l < 4096 {
                2 + l
            } else {
                5 + l
            }
        }
    };
    let back = match enc {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    enc + back
}

/// (size limit, count limit) of a node for `fill`.
fn node_limit(fill: i64) -> (usize, usize) {
    if fill >= 0 {
        (usize::MAX, fill.clamp(1, u32::MAX as i64) as usize)
    } else {
        let class = ((-(fill as i128)) - 1).min(4) as usize;
        (SIZE_CLASSES[class], usize::MAX)
    }
}

/// Would a node of `sz` bytes and `count` entries pass the limit?
fn exceeds(fill: i64, sz: usize, count: usize) -> bool {
    let (size_limit, count_limit) = node_limit(fill);
    if size_limit != usize::MAX {
        sz > size_limit
    } else {
        sz > SIZE_SAFETY_LIMIT || count > count_limit
    }
}

/// An element too large to share a node.
fn is_large(len: usize, fill: i64) -> bool {
    if fill >= 0 {
        len > SIZE_SAFETY_LIMIT
    } else {
        len > node_limit(fill).0
    }
}

fn pack_size(p: &Pack) -> usize {
    LP_EMPTY + p.iter().map(lp_entry_size).sum::<usize>()
}

/// One quicklist node: a pack and its encoded size.
#[derive(Clone, Debug)]
struct Node {
    pack: Pack,
    /// Bytes of the equivalent encoded listpack (the raw length for a
    /// plain node), the measure Redis's node limits use.
    sz: usize,
    /// Holds one element larger than the node limit.
    plain: bool,
}

impl Node {
    fn packed(pack: Pack) -> Node {
        Node {
            sz: pack_size(&pack),
            pack,
            plain: false,
        }
    }

    fn for_item(item: &[u8], fill: i64) -> Node {
        let pack = Pack::from_items([item]);
        if is_large(item.len(), fill) {
            Node {
                pack,
                sz: item.len(),
                plain: true,
            }
        } else {
            Node::packed(pack)
        }
    }

    fn len(&self) -> usize {
        self.pack.len()
    }

    /// Can this node take `item` at one of its ends?
    fn allows_insert(&self, item: &[u8], fill: i64) -> bool {
        !self.plain
            && !is_large(item.len(), fill)
            && !exceeds(
                fill,
                self.sz + item.len() + SIZE_ESTIMATE_OVERHEAD,
                self.len() + 1,
            )
    }

    fn allows_merge(&self, other: &Node, fill: i64) -> bool {
        !self.plain
            && !other.plain
            && !exceeds(
                fill,
                self.sz + other.sz - LP_EMPTY,
                self.len() + other.len(),
            )
    }

    fn refresh(&mut self) {
        if !self.plain {
            self.sz = pack_size(&self.pack);
        } else {
            self.sz = self.pack.get(0).map_or(0, |e| e.len());
        }
    }
}

/// The large representation: a deque of nodes.
#[derive(Clone, Debug, Default)]
pub struct Quick {
    nodes: VecDeque<Node>,
    len: usize,
}

/// A list.
#[derive(Clone, Debug)]
pub enum ListValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
    /// The large representation (`quicklist`).
    Quick(Quick),
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue::Pack(Pack::new())
    }
}

impl PartialEq for ListValue {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl Quick {
    fn clamp_fill(fill: i64) -> i64 {
        fill.clamp(-5, FILL_MAX)
    }

    /// (node index, offset in node) of element `idx` (< len), walking from
    /// the nearer end.
    fn locate(&self, idx: usize) -> (usize, usize) {
        if idx < self.len / 2 {
            let mut rest = idx;
            for (i, n) in self.nodes.iter().enumerate() {
                if rest < n.len() {
                    return (i, rest);
                }
                rest -= n.len();
            }
        } else {
            let mut end = self.len;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                let start = end - n.len();
                if idx >= start {
                    return (i, idx - start);
                }
                end = start;
            }
        }
        unreachable!("index {idx} within a list of {}", self.len)
    }

    fn push(&mut self, end: End, item: &[u8], fill: i64) {
        let fill = Self::clamp_fill(fill);
        let node = match end {
            End::Head => self.nodes.front_mut(),
            End::Tail => self.nodes.back_mut(),
        };
        match node {
            Some(n) if n.allows_insert(item, fill) => {
                match end {
                    End::Head => n.pack.push_front(item),
                    End::Tail => n.pack.push_back(item),
                }
                n.sz += lp_entry_size(item);
            }
            _ => {
                let n = Node::for_item(item, fill);
                match end {
                    End::Head => self.nodes.push_front(n),
                    End::Tail => self.nodes.push_back(n),
                }
            }
        }
        self.len += 1;
    }

    fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let i = match end {
            End::Head => 0,
            End::Tail => self.nodes.len().checked_sub(1)?,
        };
        let n = &mut self.nodes[i];
        let off = match end {
            End::Head => 0,
            End::Tail => n.len() - 1,
        };
        let item = n.pack.get(off)?.to_vec();
        self.remove_in_node(i, off, &item);
        Some(item)
    }

    /// Removes entry `off` (whose bytes are `item`) of node `i`, dropping
    /// the node if it empties.
    fn remove_in_node(&mut self, i: usize, off: usize, item: &[u8]) {
        let n = &mut self.nodes[i];
        n.pack.remove(off);
        if n.pack.is_empty() {
            self.nodes.remove(i);
        } else if !n.plain {
            n.sz -= lp_entry_size(item);
        }
        self.len -= 1;
    }

    /// Inserts `item` next to the element at `idx` (after it if `after`),
    /// following Redis's quicklist insertion rules.
    fn insert_at(&mut self, idx: usize, item: &[u8], after: bool, fill: i64) {
        let fill = Self::clamp_fill(fill);
        let (i, off) = self.locate(idx);
        self.len += 1;
        let count = self.nodes[i].len();
        let at_tail = after && off == count - 1;
        let at_head = !after && off == 0;
        let large = is_large(item.len(), fill);
        let full = !self.nodes[i].allows_insert(item, fill);
        if !full {
            let n = &mut self.nodes[i];
            n.pack.insert(if after { off + 1 } else { off }, item);
            n.sz += lp_entry_size(item);
            return;
        }
        if !large
            && at_tail
            && i + 1 < self.nodes.len()
            && self.nodes[i + 1].allows_insert(item, fill)
        {
            let n = &mut self.nodes[i + 1];
            n.pack.push_front(item);
            n.sz += lp_entry_size(item);
            return;
        }
        if !large && at_head && i > 0 && self.nodes[i - 1].allows_insert(item, fill) {
            let n = &mut self.nodes[i - 1];
            n.pack.push_back(item);
            n.sz += lp_entry_size(item);
            return;
        }
        if at_tail || at_head {
            let n = Node::for_item(item, fill);
            self.nodes.insert(if after { i + 1 } else { i }, n);
            return;
        }
        // A full node, insertion in its middle: split it at the insertion
        // point, put the new element on the split side, merge neighbours.
        let node = &mut self.nodes[i];
        let items: Vec<Vec<u8>> = node.pack.iter().map(|e| e.to_vec()).collect();
        let cut = if after { off + 1 } else { off };
        let (left, right) = items.split_at(cut);
        if large {
            node.pack = Pack::from_items(left.iter().map(|e| &e[..]));
            node.refresh();
            let rest = Node::packed(Pack::from_items(right.iter().map(|e| &e[..])));
            self.nodes.insert(i + 1, Node::for_item(item, fill));
            self.nodes.insert(i + 2, rest);
            return;
        }
        let (keep, mut new): (&[Vec<u8>], Vec<&[u8]>) = if after {
            (left, right.iter().map(|e| &e[..]).collect())
        } else {
            (right, left.iter().map(|e| &e[..]).collect())
        };
        if after {
            new.insert(0, item);
        } else {
            new.push(item);
        }
        node.pack = Pack::from_items(keep.iter().map(|e| &e[..]));
        node.refresh();
        let new_node = Node::packed(Pack::from_items(new));
        let center = if after {
            self.nodes.insert(i + 1, new_node);
            i
        } else {
            self.nodes.insert(i, new_node);
            i + 1
        };
        self.merge_around(center, fill);
    }

    /// Merges `b` into `a` (adjacent, a before b).
    fn merge_pair(&mut self, a: usize) {
        let b = self.nodes.remove(a + 1).expect("merging adjacent nodes");
        let n = &mut self.nodes[a];
        let items: Vec<&[u8]> = n.pack.iter().chain(b.pack.iter()).collect();
        n.pack = Pack::from_items(items);
        n.sz = n.sz + b.sz - LP_EMPTY;
    }

    fn can_merge(&self, a: usize, fill: i64) -> bool {
        a + 1 < self.nodes.len() && self.nodes[a].allows_merge(&self.nodes[a + 1], fill)
    }

    /// Redis's merge pass after a split: the two nodes before `center`, the
    /// two after it, then `center` with its neighbours.
    fn merge_around(&mut self, mut center: usize, fill: i64) {
        if center >= 2 && self.can_merge(center - 2, fill) {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if self.can_merge(center + 1, fill) {
            self.merge_pair(center + 1);
        }
        if center >= 1 && self.can_merge(center - 1, fill) {
            self.merge_pair(center - 1);
            center -= 1;
        }
        if self.can_merge(center, fill) {
            self.merge_pair(center);
        }
    }

    /// Keeps the elements for which `keep(global index, element)` holds.
    fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) {
        let mut base = 0;
        let mut removed = 0;
        for n in self.nodes.iter_mut() {
            let before = n.len();
            n.pack.retain(|i, e| keep(base + i, e));
            base += before;
            if n.len() != before {
                removed += before - n.len();
                n.refresh();
            }
        }
        self.nodes.retain(|n| !n.pack.is_empty());
        self.len -= removed;
    }

    /// Can this quicklist become a listpack again (one packed node within
    /// the limit, halved when shrinking)?
    fn fits_listpack(&self, fill: i64) -> bool {
        if self.nodes.len() != 1 || self.nodes[0].plain {
            return false;
        }
        let (s, c) = node_limit(fill);
        self.nodes[0].sz <= s / 2 && self.len <= c / 2
    }
}

impl ListValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            ListValue::Pack(_) => "listpack",
            ListValue::Quick(_) => "quicklist",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ListValue::Pack(p) => p.heap_size(),
            ListValue::Quick(q) => {
                q.nodes.capacity() * std::mem::size_of::<Node>()
                    + q.nodes.iter().map(|n| n.pack.heap_size()).sum::<usize>()
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ListValue::Pack(p) => p.len(),
            ListValue::Quick(q) => q.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A list holding `items` in order, in the representation their size
    /// calls for.
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>, fill: i64) -> ListValue {
        let mut l = ListValue::default();
        for it in items {
            l.push(End::Tail, &[it], fill);
        }
        l
    }

    /// A quicklist holding `items` in order, however few they are: a list
    /// that leaves RAM comes back in the representation it left in.
    pub fn quick_from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>, fill: i64) -> ListValue {
        let mut l = ListValue::Quick(Quick::default());
        for it in items {
            l.push(End::Tail, &[it], fill);
        }
        l
    }

    /// Converts to a quicklist if adding `items` would pass the listpack
    /// limit (Redis counts the new elements' raw lengths).
    fn grow_check(&mut self, items: &[&[u8]], fill: i64) {
        if let ListValue::Pack(p) = self {
            let add: usize = items.iter().map(|i| i.len()).sum();
            if exceeds(fill, pack_size(p) + add, p.len() + items.len()) {
                let pack = std::mem::take(p);
                let mut q = Quick {
                    len: pack.len(),
                    nodes: VecDeque::new(),
                };
                if !pack.is_empty() {
                    q.nodes.push_back(Node::packed(pack));
                }
                *self = ListValue::Quick(q);
            }
        }
    }

    /// Turns a quicklist that shrank to half a node back into a listpack.
    fn shrink_check(&mut self, fill: i64) {
        if let ListValue::Quick(q) = self {
            if q.fits_listpack(fill) {
                let node = q.nodes.pop_front().expect("one node");
                *self = ListValue::Pack(node.pack);
            }
        }
    }

    /// Pushes `items` one by one at `end` (so LPUSH a b c leaves c first).
    pub fn push(&mut self, end: End, items: &[&[u8]], fill: i64) {
        self.grow_check(items, fill);
        match self {
            ListValue::Pack(p) => match end {
                End::Tail => p.splice(p.len(), 0, items),
                End::Head => {
                    let rev: Vec<&[u8]> = items.iter().rev().copied().collect();
                    p.splice(0, 0, &rev);
                }
            },
            ListValue::Quick(q) => {
                for it in items {
                    q.push(end, it, fill);
                }
            }
        }
    }

    /// Pops up to `count` elements from `end`, in pop order.
    pub fn pop(&mut self, end: End, count: usize, fill: i64) -> Vec<Vec<u8>> {
        let n = count.min(self.len());
        let out = match self {
            ListValue::Pack(p) => {
                let start = match end {
                    End::Head => 0,
                    End::Tail => p.len() - n,
                };
                let mut v: Vec<Vec<u8>> =
                    p.iter().skip(start).take(n).map(|e| e.to_vec()).collect();
                if end == End::Tail {
                    v.reverse();
                }
                p.splice(start, n, &[]);
                v
            }
            ListValue::Quick(q) => (0..n).filter_map(|_| q.pop(end)).collect(),
        };
        self.shrink_check(fill);
        out
    }

    /// The element at `idx` (0-based from the head).
    pub fn get(&self, idx: usize) -> Option<&[u8]> {
        match self {
            ListValue::Pack(p) => p.get(idx),
            ListValue::Quick(q) => {
                if idx >= q.len {
                    return None;
                }
                let (i, off) = q.locate(idx);
                q.nodes[i].pack.get(off)
            }
        }
    }

    /// The elements, head to tail.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        self.iter_from(0)
    }

    /// The elements from index `start` on, skipping whole nodes to get
    /// there.
    pub fn iter_from(&self, start: usize) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            ListValue::Pack(p) => Box::new(p.iter().skip(start)),
            ListValue::Quick(q) => {
                if start >= q.len {
                    return Box::new(std::iter::empty());
                }
                let (i, off) = q.locate(start);
                Box::new(
                    q.nodes
                        .range(i..)
                        .enumerate()
                        .flat_map(move |(k, n)| n.pack.iter().skip(if k == 0 { off } else { 0 })),
                )
            }
        }
    }

    /// The elements, tail to head, with their indexes.
    pub fn iter_rev(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let nodes: Vec<&Pack> = match self {
            ListValue::Pack(p) => vec![p],
            ListValue::Quick(q) => q.nodes.iter().map(|n| &n.pack).collect(),
        };
        let mut idx = self.len();
        nodes.into_iter().rev().flat_map(move |p| {
            let items: Vec<&[u8]> = p.iter().collect();
            let base = idx - items.len();
            idx = base;
            items
                .into_iter()
                .enumerate()
                .rev()
                .map(move |(i, e)| (base + i, e))
        })
    }

    /// Replaces the element at `idx` (< len).
    pub fn set(&mut self, idx: usize, item: &[u8], fill: i64) {
        self.grow_check(&[item], fill);
        match self {
            ListValue::Pack(p) => p.replace(idx, item),
            ListValue::Quick(q) => {
                let (i, off) = q.locate(idx);
                let qf = Quick::clamp_fill(fill);
                let n = &q.nodes[i];
                let old = n.pack.get(off).expect("located").to_vec();
                let new_sz = (n.sz + lp_entry_size(item)).saturating_sub(lp_entry_size(&old));
                if !n.plain && !is_large(item.len(), qf) && !exceeds(qf, new_sz, n.len()) {
                    let n = &mut q.nodes[i];
                    n.pack.replace(off, item);
                    n.sz = new_sz;
                } else if n.plain && is_large(item.len(), qf) {
                    let n = &mut q.nodes[i];
                    n.pack.replace(off, item);
                    n.sz = item.len();
                } else {
                    // Does not fit where it is: insert the new element next
                    // to the old one, then remove the old one.
                    q.insert_at(idx, item, true, fill);
                    let (i, off) = q.locate(idx);
                    q.remove_in_node(i, off, &old);
                }
            }
        }
        self.shrink_check(fill);
    }

    /// Inserts `item` before (or after, if `after`) the element at `idx`.
    pub fn insert(&mut self, idx: usize, item: &[u8], after: bool, fill: i64) {
        self.grow_check(&[item], fill);
        match self {
            ListValue::Pack(p) => p.insert(if after { idx + 1 } else { idx }, item),
            ListValue::Quick(q) => q.insert_at(idx, item, after, fill),
        }
    }

    /// Keeps the elements for which `keep(index, element)` holds.
    pub fn retain(&mut self, keep: impl FnMut(usize, &[u8]) -> bool, fill: i64) {
        match self {
            ListValue::Pack(p) => p.retain(keep),
            ListValue::Quick(q) => q.retain(keep),
        }
        self.shrink_check(fill);
    }

    /// Keeps only the elements `start..=end` (already clamped, start <= end
    /// < len), as LTRIM.
    pub fn trim(&mut self, start: usize, end: usize, fill: i64) {
        if let ListValue::Quick(q) = self {
            // Drop whole nodes outside the range first: the common
            // "keep the last N" case never touches the kept nodes.
            let mut head = start;
            while let Some(n) = q.nodes.front() {
                if n.len() > head {
                    break;
                }
                head -= n.len();
                q.len -= n.len();
                q.nodes.pop_front();
            }
            let keep = end - start + 1;
            let mut total = 0;
            let mut cut = q.nodes.len();
            for (i, n) in q.nodes.iter().enumerate() {
                total += n.len();
                if total - head >= keep {
                    cut = i + 1;
                    break;
                }
            }
            for n in q.nodes.drain(cut..) {
                q.len -= n.len();
            }
            let (lo, hi) = (head, head + keep);
            q.retain(|i, _| i >= lo && i < hi);
            self.shrink_check(fill);
            return;
        }
        self.retain(|i, _| i >= start && i <= end, fill);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &ListValue) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    fn check(l: &ListValue, model: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), model.len());
        assert_eq!(items(l), model.iter().cloned().collect::<Vec<_>>());
        if let ListValue::Quick(q) = l {
            assert_eq!(q.nodes.iter().map(|n| n.len()).sum::<usize>(), q.len);
            for n in &q.nodes {
                assert!(!n.pack.is_empty());
                if !n.plain {
                    assert_eq!(n.sz, pack_size(&n.pack));
                }
            }
        }
        for (i, e) in model.iter().enumerate() {
            assert_eq!(l.get(i), Some(&e[..]));
        }
        let rev: Vec<(usize, Vec<u8>)> = l.iter_rev().map(|(i, e)| (i, e.to_vec())).collect();
        let want: Vec<(usize, Vec<u8>)> = model.iter().cloned().enumerate().rev().collect();
        assert_eq!(rev, want);
    }

    #[test]
    fn entry_sizes_follow_listpack_encoding() {
        assert_eq!(lp_entry_size(b"1"), 2);
        assert_eq!(lp_entry_size(b"-1"), 3);
        assert_eq!(lp_entry_size(b"100000"), 5);
        assert_eq!(lp_entry_size(b"01"), 4);
        assert_eq!(lp_entry_size(b"hello"), 7);
        assert_eq!(lp_entry_size(&[b'x'; 100]), 102 + 1);
        assert_eq!(lp_entry_size(&[b'x'; 200]), 202 + 2);
    }

    #[test]
    fn converts_at_the_limit_and_back_at_half() {
        let fill = 4;
        let mut l = ListValue::default();
        l.push(End::Tail, &[b"a", b"b", b"c", b"d"], fill);
        assert_eq!(l.encoding(), "listpack");
        l.push(End::Tail, &[b"e"], fill);
        assert_eq!(l.encoding(), "quicklist");
        // Nodes [a b c d] [e]: popping e leaves one node of 4 > 2.
        l.pop(End::Tail, 1, fill);
        assert_eq!(l.encoding(), "quicklist");
        l.pop(End::Head, 1, fill);
        assert_eq!(l.encoding(), "quicklist");
        l.pop(End::Head, 1, fill);
        assert_eq!(l.encoding(), "listpack");
        assert_eq!(items(&l), vec![b"c".to_vec(), b"d".to_vec()]);
        // Byte classes: -1 is 4 KiB.
        let mut l = ListValue::default();
        let big = [b'x'; 1000];
        for _ in 0..4 {
            l.push(End::Head, &[&big], -1);
        }
        assert_eq!(l.encoding(), "listpack");
        l.push(End::Head, &[&big], -1);
        assert_eq!(l.encoding(), "quicklist");
    }

    #[test]
    fn random_operations_match_a_model() {
        let mut seed = 7u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        for fill in [2i64, 5, -1, -2] {
            let mut l = ListValue::default();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..3000 {
                let v: Vec<u8> = match rnd(10) {
                    0 => vec![b'y'; 5000],
                    1 => rnd(1000).to_string().into_bytes(),
                    _ => vec![b'a' + rnd(26) as u8; rnd(300) as usize],
                };
                match rnd(9) {
                    0 | 1 => {
                        l.push(End::Head, &[&v], fill);
                        m.push_front(v);
                    }
                    2 | 3 => {
                        l.push(End::Tail, &[&v], fill);
                        m.push_back(v);
                    }
                    4 => {
                        let c = rnd(3) as usize;
                        let got = l.pop(End::Head, c, fill);
                        let want: Vec<_> =
                            (0..c.min(m.len())).filter_map(|_| m.pop_front()).collect();
                        assert_eq!(got, want);
                    }
                    5 => {
                        let got = l.pop(End::Tail, 1, fill);
                        let want: Vec<_> = m.pop_back().into_iter().collect();
                        assert_eq!(got, want);
                    }
                    6 if !m.is_empty() => {
                        let i = rnd(m.len() as u64) as usize;
                        let after = rnd(2) == 1;
                        l.insert(i, &v, after, fill);
                        m.insert(if after { i + 1 } else { i }, v);
                    }
                    7 if !m.is_empty() => {
                        let i = rnd(m.len() as u64) as usize;
                        l.set(i, &v, fill);
                        m[i] = v;
                    }
                    8 if !m.is_empty() => {
                        if rnd(2) == 0 {
                            let b = rnd(7);
                            l.retain(|_, e| e.len() as u64 % 7 != b, fill);
                            m.retain(|e| e.len() as u64 % 7 != b);
                        } else {
                            let s = rnd(m.len() as u64) as usize;
                            let e = s + rnd((m.len() - s) as u64) as usize;
                            l.trim(s, e, fill);
                            m = m.iter().skip(s).take(e - s + 1).cloned().collect();
                        }
                    }
                    _ => {}
                }
                if step % 7 == 0 {
                    check(&l, &m);
                }
                if let Some(s) = (m.len() > 20).then(|| rnd(m.len() as u64) as usize) {
                    let got: Vec<_> = l.iter_from(s).map(|e| e.to_vec()).collect();
                    let want: Vec<_> = m.iter().skip(s).cloned().collect();
                    assert_eq!(got, want);
                }
            }
            check(&l, &m);
        }
    }
}
