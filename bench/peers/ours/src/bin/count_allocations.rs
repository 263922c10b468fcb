//! How many times the runtime allocates per invocation: a counting global allocator,
//! and a handler that allocates nothing itself (it skips the event unread and answers a
//! number) and answers how many allocations happened since it last ran, which is one
//! whole turn of the loop: post the previous answer, poll `/next`, read the context.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static AT_LAST_CALL: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[lambda_core::lambda]
fn handler(_: serde::de::IgnoredAny) -> u64 {
    let now = ALLOCATIONS.load(Ordering::Relaxed);
    now - AT_LAST_CALL.swap(now, Ordering::Relaxed)
}
