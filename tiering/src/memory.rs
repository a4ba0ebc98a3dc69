//! Memory accounting: a global allocator wrapper that counts live heap
//! bytes, the `used_memory` that INFO reports and that the RAM budget
//! (`maxmemory`) is checked against.
//!
//! The count is kept in a few cache-line-padded shards picked by thread, so
//! allocations on different I/O threads do not fight over one counter; a
//! reading sums the shards.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

const SHARDS: usize = 16;

#[repr(align(64))]
struct Shard(AtomicIsize);

static COUNTERS: [Shard; SHARDS] = [const { Shard(AtomicIsize::new(0)) }; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn shard() -> &'static AtomicIsize {
    let i = SHARD
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                s.set(i);
            }
            i
        })
        .unwrap_or(0);
    &COUNTERS[i].0
}

/// Wraps an allocator (the system one by default), counting bytes in use.
pub struct CountingAlloc<A = System>(pub A);

// SAFETY: forwards every call to the inner allocator unchanged; only adds
// counting.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            shard().fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { self.0.dealloc(ptr, layout) };
        shard().fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            shard().fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shard().fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

/// Heap bytes currently allocated through [`CountingAlloc`] (0 if the
/// binary does not install it).
pub fn used_memory() -> usize {
    let total: isize = COUNTERS.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    total.max(0) as usize
}
