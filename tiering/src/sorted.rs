//! The large sorted-set representation (`OBJECT ENCODING` says
//! `skiplist`): an order-statistic B+tree for order, plus a [`Dict`] for
//! member → score.
//!
//! # Layout
//!
//! Each member lives in **one** heap block, owned by the dict: the score
//! (8 bytes), the member's length (1 byte, or a 0xFF marker and 8 bytes for
//! members of 255 bytes and more) and the member's bytes. The dict's key
//! is a thin pointer to that block ([`Member`]), hashed and compared by the
//! member bytes, so a ZSCORE is one hash lookup plus one read in the block.
//! The tree holds, in order, (score, pointer) pairs ([`Key`]): the score is
//! copied next to the pointer so that descending the tree compares numbers
//! in contiguous arrays and only follows a pointer to break a tie between
//! equal scores.
//!
//! Per member, for a 13-byte member, that is a 24-byte block (the member
//! plus 9 bytes of header, rounded up by the allocator), a 16-byte dict
//! node, about 8 bytes of bucket array, and 16 bytes of leaf divided by the
//! leaves' fill (about 80% after random inserts, 100% after a bulk build).
//! Measured on one set of 1M such members: 54 bytes per member beyond the
//! member bytes (`used_memory`), against 97 for redis-server 7.0's
//! skiplist plus dict.
//!
//! # The tree
//!
//! A B+tree whose leaves hold up to [`LEAF_CAP`] keys in order (scores and
//! pointers in two parallel arrays) and whose inner nodes hold up to
//! [`INNER_CAP`] children. Each inner node records, per child, the number
//! of keys below it and the child's first key. So:
//!
//! * finding the child for a key is a binary search over the first keys;
//! * the rank of a key is the sum of the counts of the children left of the
//!   path, plus the position in the leaf;
//! * the key at a rank is found by subtracting counts on the way down;
//! * a range bound given as a predicate that holds for a prefix of the
//!   order (`score < x`, `member <= "m"`) is found like a key: the last
//!   child whose first key satisfies it holds the boundary.
//!
//! All of that is O(log n) with a base of about 40, i.e. three or four
//! levels for a million members. A range of k members is visited by one
//! descent to its start and an in-order walk (O(log n + k)), forwards or
//! backwards.
//!
//! Inserting into a full leaf first moves keys to a neighbouring leaf with
//! room; only when there is none does the leaf split in two halves, except
//! at the right edge of the tree, where the full node stays full and the
//! new key starts a new node: sets filled in ascending order (ZADD with
//! increasing timestamps) end up with full leaves. Removing rebalances a node that
//! falls below half full with a sibling: the two merge if they fit in one,
//! otherwise their keys are shared evenly. Building from sorted input
//! ([`Sorted::from_sorted`]) packs full leaves directly.
//!
//! First keys in inner nodes point to live members: every change on a path
//! refreshes the first keys along it, so no key ever outlives its member.
//!
//! # Why a B+tree and not a skiplist
//!
//! Measured on a million members (benches/zset.rs), the tree does inserts,
//! rank and range lookups in a few hundred nanoseconds, mostly spent on the
//! cache misses of three or four node visits, where a skiplist chases
//! about twenty pointers to separate heap nodes; and its nodes cost 16 to
//! 32 bytes per member where a skiplist node costs 40–64 plus allocator
//! rounding.

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::ptr::NonNull;

use crate::dict::Dict;

/// Keys per leaf: 63 (score, pointer) pairs plus the length fill a
/// 1016-byte leaf, which the allocator serves from its 1 KiB size class.
const LEAF_CAP: usize = 63;
/// Children per inner node.
const INNER_CAP: usize = 64;

// ---------------------------------------------------------------------------
// Member blocks

const SCORE_BYTES: usize = 8;
/// Length byte that announces an 8-byte length.
const LONG_LEN: u8 = 0xFF;

fn header_len(len: usize) -> usize {
    if len < LONG_LEN as usize {
        SCORE_BYTES + 1
    } else {
        SCORE_BYTES + 1 + 8
    }
}

fn block_layout(len: usize) -> Layout {
    Layout::from_size_align(header_len(len) + len, 8).expect("a member's size fits a layout")
}

/// A non-owning pointer to a member block.
///
/// Invariant of this module: every `Handle` in a [`Sorted`]'s tree points
/// to a block owned by a [`Member`] in the same `Sorted`'s dict, and a
/// member is removed from the tree before it leaves the dict. That is what
/// makes reading through a handle sound; blocks are written only under
/// `&mut Sorted`.
#[derive(Clone, Copy)]
struct Handle(NonNull<u8>);

impl Handle {
    /// Fills unused slots of a leaf; never read.
    const UNUSED: Handle = Handle(NonNull::dangling());

    #[inline]
    fn score(self) -> f64 {
        // SAFETY: the block is live (type invariant) and 8-aligned, and
        // starts with the score.
        unsafe { self.0.as_ptr().cast::<f64>().read() }
    }

    #[inline]
    fn bytes<'a>(self) -> &'a [u8] {
        let p = self.0.as_ptr();
        // SAFETY: the block is live (type invariant); its header says how
        // many member bytes follow, and they were all written by
        // `Member::new`. The returned lifetime is bounded in practice by
        // the `&Sorted` the caller holds.
        unsafe {
            let b = *p.add(SCORE_BYTES);
            if b < LONG_LEN {
                std::slice::from_raw_parts(p.add(SCORE_BYTES + 1), b as usize)
            } else {
                let len = p.add(SCORE_BYTES + 1).cast::<usize>().read_unaligned();
                std::slice::from_raw_parts(p.add(SCORE_BYTES + 9), len)
            }
        }
    }

    /// Changes the score kept in the block (the tree's copies are the
    /// caller's business).
    fn set_score(self, score: f64) {
        // SAFETY: live, aligned block (type invariant); called only under
        // `&mut Sorted`, so nobody reads the block meanwhile.
        unsafe { self.0.as_ptr().cast::<f64>().write(score) }
    }
}

/// One member's block, owned: the dict's key. Hashes, compares and borrows
/// as the member bytes.
struct Member(NonNull<u8>);

impl Member {
    fn new(bytes: &[u8], score: f64) -> Member {
        let layout = block_layout(bytes.len());
        // SAFETY: the layout has a non-zero size (at least the header).
        let raw = unsafe { alloc::alloc(layout) };
        let Some(p) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        let hdr = header_len(bytes.len());
        // SAFETY: the block is `hdr + bytes.len()` bytes, 8-aligned; each
        // write stays inside it.
        unsafe {
            p.as_ptr().cast::<f64>().write(score);
            if hdr == SCORE_BYTES + 1 {
                *p.as_ptr().add(SCORE_BYTES) = bytes.len() as u8;
            } else {
                *p.as_ptr().add(SCORE_BYTES) = LONG_LEN;
                p.as_ptr()
                    .add(SCORE_BYTES + 1)
                    .cast::<usize>()
                    .write_unaligned(bytes.len());
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr().add(hdr), bytes.len());
        }
        Member(p)
    }

    fn handle(&self) -> Handle {
        Handle(self.0)
    }

    fn bytes(&self) -> &[u8] {
        self.handle().bytes()
    }

    fn score(&self) -> f64 {
        self.handle().score()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let layout = block_layout(self.bytes().len());
        // SAFETY: allocated by `Member::new` with this very layout (the
        // length in the header never changes).
        unsafe { alloc::dealloc(self.0.as_ptr(), layout) }
    }
}

impl Hash for Member {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state)
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Member) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Member {}

impl Borrow<[u8]> for Member {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

// ---------------------------------------------------------------------------
// The tree

/// A position in the order: a score and the member it belongs to.
#[derive(Clone, Copy)]
struct Key {
    score: f64,
    h: Handle,
}

/// Order of a stored key against (score, member): scores numerically
/// (never NaN; -0 and 0 are equal), then member bytes — the same order as
/// [`crate::zset::cmp_entry`].
#[inline]
fn key_cmp(ks: f64, kh: Handle, s: f64, m: &[u8]) -> Ordering {
    if ks < s {
        Ordering::Less
    } else if ks > s {
        Ordering::Greater
    } else {
        kh.bytes().cmp(m)
    }
}

struct Leaf {
    len: usize,
    scores: [f64; LEAF_CAP],
    handles: [Handle; LEAF_CAP],
}

/// A subtree on its way in or out of an inner node.
struct Child {
    /// Keys in the subtree.
    count: usize,
    /// The subtree's first (smallest) key.
    first: Key,
    node: Node,
}

/// An inner node, its per-child data in parallel arrays: a descent binary
/// searches `scores` and sums a prefix of `counts`, each a few contiguous
/// cache lines, and touches one element of the others.
struct Inner {
    /// Keys below each child.
    counts: Vec<usize>,
    /// Each child's first key: score and member.
    scores: Vec<f64>,
    handles: Vec<Handle>,
    kids: Vec<Node>,
}

enum Node {
    Leaf(Box<Leaf>),
    Inner(Box<Inner>),
}

impl Leaf {
    fn new() -> Box<Leaf> {
        Box::new(Leaf {
            len: 0,
            scores: [0.0; LEAF_CAP],
            handles: [Handle::UNUSED; LEAF_CAP],
        })
    }

    fn key(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            h: self.handles[i],
        }
    }

    /// Number of keys below (score, member).
    fn lower_bound(&self, s: f64, m: &[u8]) -> usize {
        let (lo, hi) = score_run(&self.scores[..self.len], s);
        // Among equal scores, members decide.
        lo + self.handles[lo..hi].partition_point(|h| h.bytes() < m)
    }

    fn insert_at(&mut self, i: usize, k: Key) {
        debug_assert!(self.len < LEAF_CAP);
        self.scores.copy_within(i..self.len, i + 1);
        self.handles.copy_within(i..self.len, i + 1);
        self.scores[i] = k.score;
        self.handles[i] = k.h;
        self.len += 1;
    }

    fn remove_at(&mut self, i: usize) {
        self.scores.copy_within(i + 1..self.len, i);
        self.handles.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    /// Moves keys `at..` into a new leaf.
    fn split_off(&mut self, at: usize) -> Box<Leaf> {
        let mut r = Leaf::new();
        let n = self.len - at;
        r.scores[..n].copy_from_slice(&self.scores[at..self.len]);
        r.handles[..n].copy_from_slice(&self.handles[at..self.len]);
        r.len = n;
        self.len = at;
        r
    }

    /// Appends the first `n` keys of `other` (removing them there).
    fn take_front(&mut self, other: &mut Leaf, n: usize) {
        let l = self.len;
        self.scores[l..l + n].copy_from_slice(&other.scores[..n]);
        self.handles[l..l + n].copy_from_slice(&other.handles[..n]);
        self.len += n;
        other.scores.copy_within(n..other.len, 0);
        other.handles.copy_within(n..other.len, 0);
        other.len -= n;
    }

    /// Prepends the last `n` keys of `other` (removing them there).
    fn take_back(&mut self, other: &mut Leaf, n: usize) {
        self.scores.copy_within(0..self.len, n);
        self.handles.copy_within(0..self.len, n);
        let from = other.len - n;
        self.scores[..n].copy_from_slice(&other.scores[from..other.len]);
        self.handles[..n].copy_from_slice(&other.handles[from..other.len]);
        self.len += n;
        other.len = from;
    }
}

impl Inner {
    fn from_children(kids: impl IntoIterator<Item = Child>) -> Box<Inner> {
        let mut n = Box::new(Inner {
            counts: Vec::new(),
            scores: Vec::new(),
            handles: Vec::new(),
            kids: Vec::new(),
        });
        for c in kids {
            n.push(c);
        }
        n
    }

    fn len(&self) -> usize {
        self.kids.len()
    }

    fn first(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            h: self.handles[i],
        }
    }

    /// Refreshes child `i`'s first key from the child itself.
    fn refresh_first(&mut self, i: usize) {
        let k = self.kids[i].first();
        self.scores[i] = k.score;
        self.handles[i] = k.h;
    }

    fn push(&mut self, c: Child) {
        self.insert(self.len(), c);
    }

    fn insert(&mut self, i: usize, c: Child) {
        self.counts.insert(i, c.count);
        self.scores.insert(i, c.first.score);
        self.handles.insert(i, c.first.h);
        self.kids.insert(i, c.node);
    }

    /// Drops child `i` (empty, or merged into a sibling).
    fn remove(&mut self, i: usize) {
        self.counts.remove(i);
        self.scores.remove(i);
        self.handles.remove(i);
        self.kids.remove(i);
    }

    /// Moves children `at..` into a new node.
    fn split_off(&mut self, at: usize) -> Box<Inner> {
        Box::new(Inner {
            counts: self.counts.split_off(at),
            scores: self.scores.split_off(at),
            handles: self.handles.split_off(at),
            kids: self.kids.split_off(at),
        })
    }

    /// Appends the first `k` children of `other` (removing them there).
    fn take_front(&mut self, other: &mut Inner, k: usize) {
        self.counts.extend(other.counts.drain(..k));
        self.scores.extend(other.scores.drain(..k));
        self.handles.extend(other.handles.drain(..k));
        self.kids.extend(other.kids.drain(..k));
    }

    /// Prepends the last `k` children of `other` (removing them there).
    fn take_back(&mut self, other: &mut Inner, k: usize) {
        let from = other.len() - k;
        self.counts.splice(0..0, other.counts.drain(from..));
        self.scores.splice(0..0, other.scores.drain(from..));
        self.handles.splice(0..0, other.handles.drain(from..));
        self.kids.splice(0..0, other.kids.drain(from..));
    }

    /// Index of the child whose range holds (score, member): the last
    /// child whose first key is not above it (the first child if all are).
    fn child_for(&self, s: f64, m: &[u8]) -> usize {
        let (lo, hi) = score_run(&self.scores, s);
        (lo + self.handles[lo..hi].partition_point(|h| h.bytes() <= m)).saturating_sub(1)
    }

    fn count(&self) -> usize {
        self.counts.iter().sum()
    }

    fn count_before(&self, i: usize) -> usize {
        self.counts[..i].iter().sum()
    }

    fn heap_size(&self) -> usize {
        std::mem::size_of::<Inner>()
            + self.counts.capacity() * std::mem::size_of::<usize>()
            + self.scores.capacity() * std::mem::size_of::<f64>()
            + self.handles.capacity() * std::mem::size_of::<Handle>()
            + self.kids.capacity() * std::mem::size_of::<Node>()
    }
}

impl Node {
    /// The subtree's first key; the subtree must not be empty.
    fn first(&self) -> Key {
        match self {
            Node::Leaf(l) => l.key(0),
            Node::Inner(n) => n.first(0),
        }
    }

    fn count(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len,
            Node::Inner(n) => n.count(),
        }
    }

    fn underfull(&self) -> bool {
        match self {
            Node::Leaf(l) => l.len < LEAF_CAP / 2,
            Node::Inner(n) => n.len() < INNER_CAP / 2,
        }
    }

    fn child(self) -> Child {
        Child {
            count: self.count(),
            first: self.first(),
            node: self,
        }
    }
}

/// The run of `scores` (ascending) equal to `s`, as (first index, end).
///
/// Counting instead of binary searching: the comparisons are independent,
/// so all the cache lines of a node load at once and the loop vectorises,
/// where a binary search waits for one line after the other.
#[inline]
fn score_run(scores: &[f64], s: f64) -> (usize, usize) {
    let mut below = 0;
    let mut upto = 0;
    for &x in scores {
        below += (x < s) as usize;
        upto += (x <= s) as usize;
    }
    (below, upto)
}

/// Splits `n` items into groups of at most `cap`, all full but the last
/// two, which share their items evenly when the last would be under half
/// full.
fn group_sizes(n: usize, cap: usize) -> Vec<usize> {
    let mut sizes = vec![cap; n / cap];
    if n % cap != 0 {
        sizes.push(n % cap);
    }
    let k = sizes.len();
    if k >= 2 && sizes[k - 1] < cap / 2 {
        let both = sizes[k - 2] + sizes[k - 1];
        sizes[k - 2] = both - both / 2;
        sizes[k - 1] = both / 2;
    }
    sizes
}

struct Tree {
    root: Node,
    len: usize,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            root: Node::Leaf(Leaf::new()),
            len: 0,
        }
    }

    /// A tree of `keys`, which must be in strictly ascending order.
    fn build(keys: &[Key]) -> Tree {
        if keys.is_empty() {
            return Tree::new();
        }
        let mut level: Vec<Child> = Vec::new();
        let mut at = 0;
        for n in group_sizes(keys.len(), LEAF_CAP) {
            let mut l = Leaf::new();
            for (i, k) in keys[at..at + n].iter().enumerate() {
                l.scores[i] = k.score;
                l.handles[i] = k.h;
            }
            l.len = n;
            at += n;
            level.push(Node::Leaf(l).child());
        }
        while level.len() > 1 {
            let mut up = Vec::new();
            let mut rest = level.into_iter();
            for n in group_sizes(rest.len(), INNER_CAP) {
                up.push(Node::Inner(Inner::from_children(rest.by_ref().take(n))).child());
            }
            level = up;
        }
        let root = level.pop().expect("a non-empty input makes one root").node;
        Tree {
            root,
            len: keys.len(),
        }
    }

    fn insert(&mut self, k: Key) {
        if let Some(right) = Self::insert_in(&mut self.root, k, true) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Leaf::new()));
            self.root = Node::Inner(Inner::from_children([left.child(), right.child()]));
        }
        self.len += 1;
    }

    /// Inserts `k` (not present) under `node`; returns the new right
    /// sibling if `node` had to split. `rightmost`: `node` is on the right
    /// edge of the tree.
    fn insert_in(node: &mut Node, k: Key, rightmost: bool) -> Option<Node> {
        let m = k.h.bytes();
        match node {
            Node::Leaf(l) => {
                let pos = l.lower_bound(k.score, m);
                if l.len < LEAF_CAP {
                    l.insert_at(pos, k);
                    return None;
                }
                if rightmost && pos == l.len {
                    let mut r = Leaf::new();
                    r.insert_at(0, k);
                    return Some(Node::Leaf(r));
                }
                let mut r = l.split_off(LEAF_CAP.div_ceil(2));
                if pos <= l.len {
                    l.insert_at(pos, k);
                } else {
                    r.insert_at(pos - l.len, k);
                }
                Some(Node::Leaf(r))
            }
            Node::Inner(n) => {
                let mut i = n.child_for(k.score, m);
                if Self::lend_room(n, i) {
                    i = n.child_for(k.score, m);
                }
                let last = i + 1 == n.len();
                let split = Self::insert_in(&mut n.kids[i], k, rightmost && last);
                n.counts[i] += 1;
                n.refresh_first(i);
                let right = split?.child();
                n.counts[i] -= right.count;
                if n.len() < INNER_CAP {
                    n.insert(i + 1, right);
                    return None;
                }
                if rightmost && last {
                    return Some(Node::Inner(Inner::from_children([right])));
                }
                let mut r = n.split_off(INNER_CAP / 2);
                if i < n.len() {
                    n.insert(i + 1, right);
                } else {
                    r.insert(i + 1 - n.len(), right);
                }
                Some(Node::Inner(r))
            }
        }
    }

    /// Before an insert into child `i` of `n`: if it is a full leaf and a
    /// neighbouring leaf has room, moves half of that room's worth of keys
    /// over, so that both have room and nothing splits. True if keys
    /// moved (the child for the key must be looked up again).
    ///
    /// Splitting only when the neighbours are full too keeps leaves about
    /// 80% full under random inserts, against 69% for split-only; leaves
    /// are a third of the memory per member.
    fn lend_room(n: &mut Inner, i: usize) -> bool {
        if !matches!(&n.kids[i], Node::Leaf(l) if l.len == LEAF_CAP) {
            return false;
        }
        let room = |n: &Inner, j: usize| match &n.kids[j] {
            Node::Leaf(l) => LEAF_CAP - l.len,
            Node::Inner(_) => 0,
        };
        let (li, moved) = if i > 0 && room(n, i - 1) >= 2 {
            let k = room(n, i - 1) / 2;
            let (a, b) = n.kids.split_at_mut(i);
            if let (Node::Leaf(x), Node::Leaf(y)) = (&mut a[i - 1], &mut b[0]) {
                x.take_front(y, k);
            }
            (i - 1, k)
        } else if i + 1 < n.len() && room(n, i + 1) >= 2 {
            let k = room(n, i + 1) / 2;
            let (a, b) = n.kids.split_at_mut(i + 1);
            if let (Node::Leaf(x), Node::Leaf(y)) = (&mut a[i], &mut b[0]) {
                y.take_back(x, k);
            }
            (i, k)
        } else {
            return false;
        };
        let from_left = li == i;
        if from_left {
            n.counts[li] -= moved;
            n.counts[li + 1] += moved;
        } else {
            n.counts[li] += moved;
            n.counts[li + 1] -= moved;
        }
        n.refresh_first(li);
        n.refresh_first(li + 1);
        true
    }

    /// Removes the key (score, member); false if it is not there.
    fn remove(&mut self, s: f64, m: &[u8]) -> bool {
        if !Self::remove_in(&mut self.root, s, m) {
            return false;
        }
        self.len -= 1;
        // A root with one child is a level too many; a root with none is
        // an empty tree.
        loop {
            let next = match &mut self.root {
                Node::Inner(n) if n.len() <= 1 => match n.kids.pop() {
                    Some(c) => c,
                    None => Node::Leaf(Leaf::new()),
                },
                _ => break,
            };
            self.root = next;
        }
        true
    }

    fn remove_in(node: &mut Node, s: f64, m: &[u8]) -> bool {
        match node {
            Node::Leaf(l) => {
                let pos = l.lower_bound(s, m);
                if pos < l.len && key_cmp(l.scores[pos], l.handles[pos], s, m) == Ordering::Equal {
                    l.remove_at(pos);
                    true
                } else {
                    false
                }
            }
            Node::Inner(n) => {
                let i = n.child_for(s, m);
                if !Self::remove_in(&mut n.kids[i], s, m) {
                    return false;
                }
                n.counts[i] -= 1;
                if n.counts[i] == 0 {
                    // No empty node stays in the tree: its first key would
                    // point to a freed member. (Only a node on the right
                    // edge, split off with one key, can get here.)
                    n.remove(i);
                } else {
                    n.refresh_first(i);
                    if n.kids[i].underfull() {
                        Self::rebalance(n, i);
                    }
                }
                true
            }
        }
    }

    /// Merges the underfull child `i` of `n` with a sibling, or evens out
    /// their keys if both do not fit in one node.
    fn rebalance(n: &mut Inner, i: usize) {
        if n.len() < 2 {
            return;
        }
        let li = if i > 0 { i - 1 } else { i };
        let (a, b) = n.kids.split_at_mut(li + 1);
        let merged = match (&mut a[li], &mut b[0]) {
            (Node::Leaf(x), Node::Leaf(y)) => {
                let total = x.len + y.len;
                if total <= LEAF_CAP {
                    let all = y.len;
                    x.take_front(y, all);
                    true
                } else {
                    let want = total / 2;
                    if x.len < want {
                        let k = want - x.len;
                        x.take_front(y, k);
                    } else {
                        let k = x.len - want;
                        y.take_back(x, k);
                    }
                    false
                }
            }
            (Node::Inner(x), Node::Inner(y)) => {
                let total = x.len() + y.len();
                if total <= INNER_CAP {
                    let all = y.len();
                    x.take_front(y, all);
                    true
                } else {
                    let want = total / 2;
                    if x.len() < want {
                        let k = want - x.len();
                        x.take_front(y, k);
                    } else {
                        let k = x.len() - want;
                        y.take_back(x, k);
                    }
                    false
                }
            }
            _ => unreachable!("siblings are on the same level"),
        };
        if merged {
            n.counts[li] += n.counts[li + 1];
            n.remove(li + 1);
            n.refresh_first(li);
        } else {
            n.counts[li] = n.kids[li].count();
            n.counts[li + 1] = n.kids[li + 1].count();
            n.refresh_first(li);
            n.refresh_first(li + 1);
        }
    }

    /// Changes the score of the key (old, member) to `new` if that does
    /// not move it in the order, as for most small increments: it must
    /// stay strictly between its neighbours in its leaf, and not be a
    /// leaf's first key (whose score inner nodes copy). False otherwise
    /// (nothing changed).
    fn update_in_place(&mut self, old: f64, m: &[u8], new: f64) -> bool {
        let mut node = &mut self.root;
        loop {
            match node {
                Node::Inner(n) => {
                    let i = n.child_for(old, m);
                    node = &mut n.kids[i];
                }
                Node::Leaf(l) => {
                    let pos = l.lower_bound(old, m);
                    if pos == 0 || pos + 1 >= l.len {
                        return false;
                    }
                    let (p, q) = (l.key(pos - 1), l.key(pos + 1));
                    if key_cmp(p.score, p.h, new, m) != Ordering::Less
                        || key_cmp(q.score, q.h, new, m) != Ordering::Greater
                    {
                        return false;
                    }
                    l.scores[pos] = new;
                    return true;
                }
            }
        }
    }

    /// Number of keys below (score, member).
    fn rank(&self, s: f64, m: &[u8]) -> usize {
        let mut r = 0;
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => return r + l.lower_bound(s, m),
                Node::Inner(n) => {
                    let i = n.child_for(s, m);
                    r += n.count_before(i);
                    node = &n.kids[i];
                }
            }
        }
    }

    /// Number of keys for which `before` holds; it must hold for a prefix
    /// of the order.
    fn count_before(&self, before: &impl Fn(f64, &[u8]) -> bool) -> usize {
        // Binary search for the first of `0..len` where `before` fails.
        fn boundary(len: usize, before: impl Fn(usize) -> bool) -> usize {
            let (mut lo, mut hi) = (0, len);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if before(mid) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        }
        let mut r = 0;
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => {
                    return r + boundary(l.len, |i| before(l.scores[i], l.handles[i].bytes()));
                }
                Node::Inner(n) => {
                    let p = boundary(n.len(), |i| before(n.scores[i], n.handles[i].bytes()));
                    if p == 0 {
                        return r;
                    }
                    r += n.count_before(p - 1);
                    node = &n.kids[p - 1];
                }
            }
        }
    }

    /// The key at rank `i` (< len).
    fn at(&self, mut i: usize) -> Key {
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => return l.key(i),
                Node::Inner(n) => {
                    let mut c = 0;
                    while i >= n.counts[c] {
                        i -= n.counts[c];
                        c += 1;
                    }
                    node = &n.kids[c];
                }
            }
        }
    }

    /// Calls `f` on the keys of ranks `start..end` of the subtree `node`
    /// (which holds `count` keys), in order (`rev`: in reverse order).
    fn visit(
        node: &Node,
        count: usize,
        start: usize,
        end: usize,
        rev: bool,
        f: &mut impl FnMut(Key),
    ) {
        match node {
            Node::Leaf(l) => {
                if rev {
                    (start..end).rev().for_each(|i| f(l.key(i)));
                } else {
                    (start..end).for_each(|i| f(l.key(i)));
                }
            }
            Node::Inner(n) if !rev => {
                let mut lo = 0;
                for (c, &cnt) in n.kids.iter().zip(&n.counts) {
                    let hi = lo + cnt;
                    if lo >= end {
                        break;
                    }
                    if hi > start {
                        let (s, e) = (start.max(lo) - lo, end.min(hi) - lo);
                        Self::visit(c, cnt, s, e, rev, f);
                    }
                    lo = hi;
                }
            }
            Node::Inner(n) => {
                let mut hi = count;
                for (c, &cnt) in n.kids.iter().zip(&n.counts).rev() {
                    let lo = hi - cnt;
                    if hi <= start {
                        break;
                    }
                    if lo < end {
                        let (s, e) = (start.max(lo) - lo, end.min(hi) - lo);
                        Self::visit(c, cnt, s, e, rev, f);
                    }
                    hi = lo;
                }
            }
        }
    }

    fn for_range(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(Key)) {
        let end = end.min(self.len);
        if start < end {
            Self::visit(&self.root, self.len, start, end, rev, &mut f);
        }
    }

    /// Bytes of the nodes (not of the members).
    fn heap_size(&self) -> usize {
        fn walk(node: &Node) -> usize {
            match node {
                Node::Leaf(_) => std::mem::size_of::<Leaf>(),
                Node::Inner(n) => n.heap_size() + n.kids.iter().map(walk).sum::<usize>(),
            }
        }
        walk(&self.root)
    }

    #[cfg(test)]
    fn check(&self) {
        fn walk(node: &Node, depth: usize, leaf_depth: &mut Option<usize>, root: bool) -> usize {
            match node {
                Node::Leaf(l) => {
                    assert_eq!(
                        *leaf_depth.get_or_insert(depth),
                        depth,
                        "leaves on one level"
                    );
                    for i in 1..l.len {
                        let (a, b) = (l.key(i - 1), l.key(i));
                        assert_eq!(key_cmp(a.score, a.h, b.score, b.h.bytes()), Ordering::Less);
                    }
                    assert!(root || l.len > 0, "no empty leaf below the root");
                    l.len
                }
                Node::Inner(n) => {
                    assert!(n.len() >= if root { 2 } else { 1 });
                    assert!(n.len() <= INNER_CAP);
                    assert_eq!(n.counts.len(), n.len());
                    assert_eq!(n.scores.len(), n.len());
                    assert_eq!(n.handles.len(), n.len());
                    let mut total = 0;
                    for (i, c) in n.kids.iter().enumerate() {
                        let got = walk(c, depth + 1, leaf_depth, false);
                        assert_eq!(got, n.counts[i], "child count");
                        let (f, k) = (c.first(), n.first(i));
                        assert!(f.h.0 == k.h.0 && f.score.to_bits() == k.score.to_bits());
                        if i > 0 {
                            let p = n.first(i - 1);
                            assert_eq!(key_cmp(p.score, p.h, f.score, f.h.bytes()), Ordering::Less);
                        }
                        total += got;
                    }
                    total
                }
            }
        }
        assert_eq!(walk(&self.root, 0, &mut None, true), self.len);
    }
}

// ---------------------------------------------------------------------------
// The representation

/// A large sorted set: see the module documentation.
pub struct Sorted {
    tree: Tree,
    /// Owns the member blocks the tree points to.
    dict: Dict<Member, ()>,
    /// Bytes of all member blocks.
    block_bytes: usize,
}

// SAFETY: a `Sorted` owns every block its pointers reach and never shares
// them outside itself; blocks are read under `&Sorted` and written only
// under `&mut Sorted`, exactly like data behind a `Box`.
unsafe impl Send for Sorted {}
// SAFETY: as above: no interior mutability.
unsafe impl Sync for Sorted {}

impl Default for Sorted {
    fn default() -> Self {
        Sorted::new()
    }
}

impl Sorted {
    pub fn new() -> Sorted {
        Sorted {
            tree: Tree::new(),
            dict: Dict::new(),
            block_bytes: 0,
        }
    }

    /// A set of `items`, which must be in ascending (score, member) order;
    /// a repeated member keeps its first score.
    pub fn from_sorted<'a>(items: impl IntoIterator<Item = (&'a [u8], f64)>) -> Sorted {
        let mut s = Sorted::new();
        let mut keys: Vec<Key> = Vec::new();
        let mut ordered = true;
        for (m, score) in items {
            if s.dict.contains_key(m) {
                continue;
            }
            let member = Member::new(m, score);
            let key = Key {
                score,
                h: member.handle(),
            };
            if let Some(prev) = keys.last() {
                ordered &= key_cmp(prev.score, prev.h, score, m) == Ordering::Less;
            }
            s.block_bytes += block_layout(m.len()).size();
            s.dict.insert_new(member, ());
            keys.push(key);
        }
        if !ordered {
            keys.sort_by(|a, b| key_cmp(a.score, a.h, b.score, b.h.bytes()));
        }
        s.tree = Tree::build(&keys);
        s
    }

    pub fn len(&self) -> usize {
        self.tree.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_size(&self) -> usize {
        // A dict node: the key's pointer and the chain link.
        let node = std::mem::size_of::<Member>() + std::mem::size_of::<usize>();
        self.block_bytes
            + self.dict.len() * node
            + self.dict.bucket_count() * std::mem::size_of::<usize>()
            + self.tree.heap_size()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get_key_value(member).map(|(m, _)| m.score())
    }

    /// The 0-based rank and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let s = self.score(member)?;
        Some((self.tree.rank(s, member), s))
    }

    /// Sets `member`'s score, adding it if new; true if it was added.
    pub fn set(&mut self, member: &[u8], score: f64) -> bool {
        if let Some((m, _)) = self.dict.get_key_value(member) {
            let h = m.handle();
            let old = h.score();
            if old.to_bits() != score.to_bits() {
                if !self.tree.update_in_place(old, member, score) {
                    self.tree.remove(old, member);
                    self.tree.insert(Key { score, h });
                }
                h.set_score(score);
            }
            return false;
        }
        let m = Member::new(member, score);
        let h = m.handle();
        self.block_bytes += block_layout(member.len()).size();
        self.dict.insert_new(m, ());
        self.tree.insert(Key { score, h });
        true
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        let Some((m, ())) = self.dict.remove_entry(member) else {
            return false;
        };
        self.tree.remove(m.score(), member);
        self.block_bytes -= block_layout(member.len()).size();
        // `m` (the block) goes only now, after the tree let go of it.
        drop(m);
        // A mostly emptied set gives its bucket array back, as Redis does
        // after each removal from a zset.
        self.dict.shrink_if_needed();
        true
    }

    fn drop_member(&mut self, member: &[u8]) {
        if self.dict.remove(member).is_some() {
            self.block_bytes -= block_layout(member.len()).size();
        }
    }

    /// Removes ranks `start..end` (clamped); returns how many went.
    ///
    /// A short range is removed key by key (O(k log n)); one covering a
    /// good part of the set rebuilds the tree from what is left (O(n)).
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        let k = end - start;
        let mut gone: Vec<Box<[u8]>> = Vec::with_capacity(k);
        if k * 16 < self.len() {
            for _ in 0..k {
                let key = self.tree.at(start);
                let m = key.h.bytes();
                self.tree.remove(key.score, m);
                gone.push(m.into());
            }
        } else {
            let mut keep = Vec::with_capacity(self.len() - k);
            let mut i = 0;
            self.tree.for_range(0, self.len(), false, |key| {
                if (start..end).contains(&i) {
                    gone.push(key.h.bytes().into());
                } else {
                    keep.push(key);
                }
                i += 1;
            });
            self.tree = Tree::build(&keep);
        }
        for m in gone {
            self.drop_member(&m);
        }
        self.dict.shrink_if_needed();
        k
    }

    /// Number of members for which `before(score, member)` holds; it must
    /// hold for a prefix of the order.
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.tree.count_before(&before)
    }

    /// Calls `f(member, score)` for ranks `start..end` (clamped), in order.
    pub fn for_range(&self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        self.tree
            .for_range(start, end, false, |k| f(k.h.bytes(), k.score));
    }

    /// Calls `f(member, score)` for ranks `start..end` (clamped), from the
    /// highest rank down.
    pub fn for_range_rev(&self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        self.tree
            .for_range(start, end, true, |k| f(k.h.bytes(), k.score));
    }

    /// All members and scores, in order.
    fn items(&self) -> Vec<(&[u8], f64)> {
        let mut v = Vec::with_capacity(self.len());
        self.tree
            .for_range(0, self.len(), false, |k| v.push((k.h.bytes(), k.score)));
        v
    }

    /// One step of a ZSCAN over the member dict: see [`Dict::scan`].
    /// Prefetches `members`' entries in the member table.
    pub fn prefetch(&self, members: &[&[u8]]) {
        self.dict
            .prefetch_keys(members, |m| Some(m.0.as_ptr().cast_const()));
    }

    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        self.dict.scan(cursor, |m, _| f(m.bytes(), m.score()))
    }
}

impl Clone for Sorted {
    fn clone(&self) -> Sorted {
        Sorted::from_sorted(self.items())
    }
}

impl PartialEq for Sorted {
    fn eq(&self, other: &Sorted) -> bool {
        self.len() == other.len() && self.items() == other.items()
    }
}

impl std::fmt::Debug for Sorted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        self.for_range(0, self.len(), |m, s| {
            l.entry(&(String::from_utf8_lossy(m), s));
        });
        l.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zset::cmp_entry;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    /// Total-order wrapper so a BTreeMap can model the set's order.
    #[derive(Clone, Debug, PartialEq)]
    struct Ord2(f64, Vec<u8>);
    impl Eq for Ord2 {}
    impl PartialOrd for Ord2 {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Ord2 {
        fn cmp(&self, o: &Self) -> Ordering {
            cmp_entry(self.0, &self.1, o.0, &o.1)
        }
    }

    struct Model {
        order: BTreeMap<Ord2, ()>,
        score: std::collections::HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn items(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.keys().map(|k| (k.1.clone(), k.0)).collect()
        }
        fn set(&mut self, m: &[u8], s: f64) -> bool {
            let old = self.score.insert(m.to_vec(), s);
            if let Some(o) = old {
                self.order.remove(&Ord2(o, m.to_vec()));
            }
            self.order.insert(Ord2(s, m.to_vec()), ());
            old.is_none()
        }
        fn remove(&mut self, m: &[u8]) -> bool {
            match self.score.remove(m) {
                Some(o) => {
                    self.order.remove(&Ord2(o, m.to_vec()));
                    true
                }
                None => false,
            }
        }
    }

    fn all(s: &Sorted) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::new();
        s.for_range(0, s.len(), |m, sc| v.push((m.to_vec(), sc)));
        v
    }

    fn same_items(a: &[(Vec<u8>, f64)], b: &[(Vec<u8>, f64)]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.0, y.0);
            assert_eq!(x.1.to_bits(), y.1.to_bits(), "score of {:?}", x.0);
        }
    }

    const SCORES: [f64; 8] = [
        0.0,
        -0.0,
        1.5,
        -3.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1e-300,
    ];

    fn random_score(rng: &mut SmallRng) -> f64 {
        match rng.gen_range(0..4) {
            0 => SCORES[rng.gen_range(0..SCORES.len())],
            // Few distinct scores: many ties, ordered by member.
            1 => rng.gen_range(0..5) as f64,
            _ => rng.gen_range(-1000.0..1000.0),
        }
    }

    fn random_member(rng: &mut SmallRng, space: usize) -> Vec<u8> {
        let i = rng.gen_range(0..space);
        if i % 97 == 0 {
            // Long members exercise the 8-byte length header.
            let mut v = format!("long:{i}:").into_bytes();
            v.resize(300 + i % 7, b'x');
            v
        } else {
            format!("m{i}").into_bytes()
        }
    }

    fn run_random(seed: u64, space: usize, steps: usize) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut s = Sorted::new();
        let mut model = Model {
            order: BTreeMap::new(),
            score: Default::default(),
        };
        for step in 0..steps {
            match rng.gen_range(0..20) {
                0..=9 => {
                    let m = random_member(&mut rng, space);
                    let sc = random_score(&mut rng);
                    assert_eq!(s.set(&m, sc), model.set(&m, sc));
                }
                10..=13 => {
                    let m = random_member(&mut rng, space);
                    assert_eq!(s.remove(&m), model.remove(&m));
                }
                14 => {
                    let n = s.len();
                    let a = rng.gen_range(0..=n + 2);
                    let b = a + rng.gen_range(0..=(n / 4).max(3));
                    let want: Vec<_> = model.items();
                    let removed = s.remove_range(a, b);
                    let end = b.min(n);
                    assert_eq!(removed, end.saturating_sub(a));
                    if a < end {
                        for (m, _) in &want[a..end] {
                            model.remove(m);
                        }
                    }
                }
                15 => {
                    let m = random_member(&mut rng, space);
                    let want = model
                        .score
                        .get(&m)
                        .map(|&sc| (model.order.range(..Ord2(sc, m.clone())).count(), sc));
                    let got = s.rank(&m);
                    assert_eq!(got.map(|x| x.0), want.map(|x| x.0));
                    assert_eq!(got.map(|x| x.1.to_bits()), want.map(|x| x.1.to_bits()));
                }
                16 => {
                    let x = random_score(&mut rng);
                    let want = model.order.keys().filter(|k| k.0 < x).count();
                    assert_eq!(s.count_before(|sc, _| sc < x), want);
                    let want = model.order.keys().filter(|k| k.0 <= x).count();
                    assert_eq!(s.count_before(|sc, _| sc <= x), want);
                    // A lex bound, meaningful where all scores are equal;
                    // here within the ties of the score `x`.
                    let m = random_member(&mut rng, space);
                    let want = model
                        .order
                        .keys()
                        .filter(|k| k.0 < x || (k.0 == x && k.1 < m))
                        .count();
                    assert_eq!(
                        s.count_before(|sc, mm| sc < x || (sc == x && mm < &m[..])),
                        want
                    );
                }
                17 => {
                    let n = s.len();
                    let a = rng.gen_range(0..=n + 1);
                    let b = a + rng.gen_range(0..80);
                    let items = model.items();
                    let end = b.min(n);
                    let want: &[_] = if a < end { &items[a..end] } else { &[] };
                    let mut got = Vec::new();
                    s.for_range(a, b, |m, sc| got.push((m.to_vec(), sc)));
                    same_items(&got, want);
                    let mut got = Vec::new();
                    s.for_range_rev(a, b, |m, sc| got.push((m.to_vec(), sc)));
                    got.reverse();
                    same_items(&got, want);
                }
                18 => {
                    let m = random_member(&mut rng, space);
                    assert_eq!(
                        s.score(&m).map(f64::to_bits),
                        model.score.get(&m).map(|x| x.to_bits())
                    );
                }
                _ => {
                    let c = s.clone();
                    c.tree.check();
                    assert!(c == s);
                }
            }
            if step % 64 == 0 {
                s.tree.check();
                same_items(&all(&s), &model.items());
            }
        }
        s.tree.check();
        same_items(&all(&s), &model.items());
        // Scanning returns every member with its score.
        let mut seen = std::collections::HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, |m, sc| {
                seen.insert(m.to_vec(), sc.to_bits());
            });
            if cursor == 0 {
                break;
            }
        }
        let want: std::collections::HashMap<_, _> = model
            .score
            .iter()
            .map(|(m, s)| (m.clone(), s.to_bits()))
            .collect();
        assert_eq!(seen, want);
        // Empties completely.
        let n = s.len();
        assert_eq!(s.remove_range(0, n), n);
        assert!(s.is_empty());
        s.tree.check();
    }

    #[test]
    fn random_against_model_small() {
        for seed in 0..20 {
            run_random(seed, 300, 3000);
        }
    }

    #[test]
    fn random_against_model_large() {
        run_random(99, 20_000, 120_000);
    }

    #[test]
    fn ascending_and_descending_fill() {
        let mut s = Sorted::new();
        for i in 0..10_000u32 {
            s.set(format!("{i:08}").as_bytes(), i as f64);
        }
        s.tree.check();
        // Ascending inserts leave the leaves full.
        assert!(s.tree.heap_size() < 10_000 / LEAF_CAP * 1100 + 4096);
        assert_eq!(s.rank(b"00005000"), Some((5000, 5000.0)));
        for i in (0..10_000u32).rev() {
            assert!(s.remove(format!("{i:08}").as_bytes()));
            if i % 1000 == 0 {
                s.tree.check();
            }
        }
        assert!(s.is_empty());
        for i in (0..5_000u32).rev() {
            s.set(format!("{i:08}").as_bytes(), -(i as f64));
        }
        s.tree.check();
        let mut first = None;
        s.for_range(0, 1, |m, sc| first = Some((m.to_vec(), sc)));
        assert_eq!(first, Some((b"00004999".to_vec(), -4999.0)));
    }

    #[test]
    fn small_increments_update_in_place() {
        let mut s = Sorted::new();
        for i in 0..1000u32 {
            s.set(format!("m{i}").as_bytes(), f64::from(i) * 10.0);
        }
        for i in 0..1000u32 {
            let m = format!("m{i}");
            // Most stay between their neighbours; leaf edges move.
            assert!(!s
                .tree
                .update_in_place(f64::from(i) * 10.0, m.as_bytes(), -1.0));
            assert!(!s.set(m.as_bytes(), f64::from(i) * 10.0 + 1.0));
        }
        s.tree.check();
        assert_eq!(s.score(b"m500"), Some(5001.0));
        assert_eq!(s.rank(b"m500"), Some((500, 5001.0)));
        // A change that crosses a neighbour moves the member.
        assert!(!s.set(b"m500", 5025.0));
        assert_eq!(s.rank(b"m500"), Some((502, 5025.0)));
        s.tree.check();
        same_items(
            &all(&s)[501..503],
            &[(b"m502".to_vec(), 5021.0), (b"m500".to_vec(), 5025.0)],
        );
    }

    #[test]
    fn zero_scores_keep_their_sign_and_tie() {
        let mut s = Sorted::new();
        s.set(b"b", -0.0);
        s.set(b"a", 0.0);
        s.set(b"c", -0.0);
        // -0 and 0 are equal for order: members decide.
        let items = all(&s);
        assert_eq!(
            items.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
            [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        assert!(s.score(b"b").expect("present").is_sign_negative());
        // Changing -0 to 0 is a change of score.
        assert!(!s.set(b"b", 0.0));
        assert!(s.score(b"b").expect("present").is_sign_positive());
        assert_eq!(s.rank(b"c"), Some((2, -0.0)));
        assert_eq!(s.count_before(|x, _| x < 0.0), 0);
        assert_eq!(s.count_before(|x, _| x <= 0.0), 3);
    }

    #[test]
    fn bulk_build_is_balanced() {
        for n in [0usize, 1, 31, 62, 63, 64, 94, 95, 200, 4033, 4096, 100_000] {
            let names: Vec<Vec<u8>> = (0..n).map(|i| format!("{i:09}").into_bytes()).collect();
            let s = Sorted::from_sorted(names.iter().map(|m| (&m[..], 1.0)));
            s.tree.check();
            assert_eq!(s.len(), n);
            if n > 0 {
                assert_eq!(s.rank(&names[n - 1]), Some((n - 1, 1.0)));
                assert_eq!(s.tree.at(n / 2).h.bytes(), &names[n / 2][..]);
            }
        }
        // Unsorted or repeated input still makes a valid set.
        let s = Sorted::from_sorted([(&b"b"[..], 2.0), (b"a", 1.0), (b"b", 0.0)]);
        s.tree.check();
        same_items(&all(&s), &[(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)]);
    }
}
