//! Page-sized blocks of the extraction threads kept for the next page, instead of being
//! mapped and unmapped for every page.
//!
//! `ingest::tune_allocator` has glibc map every block from 64 KiB up on its own, which keeps
//! memory flat however many feeds are polled. But each page's large buffers (its decoded
//! body, its text, its parse tree, the extractor's arena) were then mapped, faulted in 4 KiB
//! at a time and unmapped again, each unmapping a TLB shoot-down on the other core: about
//! 200,000 page faults and a sixth of `warta fetch`'s CPU in the kernel on the side-by-side
//! benchmark. [`KeepLarge`] keeps a few of those blocks when an extraction thread frees
//! them and hands them to the next request of their size class, up to [`BUDGET`] bytes in
//! all.
//!
//! Only threads inside [`recycling`] keep or reuse blocks. Blocks held for long elsewhere
//! (a poll's feed, batches waiting for the writer) would otherwise get recycled blocks
//! whose every page is resident from an earlier use, where a fresh mapping of the same size
//! is resident only as far as it is written: tried process-wide, 8 MiB kept cost 45 MiB of
//! peak memory on 200 feeds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Blocks over this size are allocated in size classes (glibc's mapping threshold as
/// `tune_allocator` sets it).
const LARGE: usize = 64 * 1024;
/// Blocks over this are not kept: rare, and one would take much of the budget.
const MAX_KEPT: usize = 1 << 20;
/// Bytes kept at most over all classes: a few pages' buffers for each extraction thread.
pub const BUDGET: usize = 8 << 20;
/// A request may get a kept block up to this many classes larger (at most ~1.5 times its
/// size): page sizes vary, and an exact class was often empty.
const LARGER: usize = 2;
/// Blocks kept at most per class.
const SLOTS: usize = 8;
/// Four classes for each power of two from 64 KiB to [`MAX_KEPT`].
const CLASSES: usize = 16;
/// What glibc's malloc guarantees; blocks that need more go to the system allocator as
/// they are.
const MALLOC_ALIGN: usize = 16;

thread_local! {
    static RECYCLE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this thread keeping and reusing large blocks (see the module's notes).
pub fn recycling<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = RECYCLE.try_with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(RECYCLE.try_with(|r| r.replace(true)).unwrap_or(false));
    f()
}

fn recycles() -> bool {
    RECYCLE.try_with(Cell::get).unwrap_or(false)
}

/// The global allocator of the `warta` binary: the system's, with large blocks in size
/// classes and some of them kept (see the module's notes).
pub struct KeepLarge {
    slots: [[AtomicPtr<u8>; SLOTS]; CLASSES],
    kept: AtomicUsize,
}

impl KeepLarge {
    pub const fn new() -> KeepLarge {
        KeepLarge {
            slots: [const { [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS] }; CLASSES],
            kept: AtomicUsize::new(0),
        }
    }

    /// Bytes kept now.
    pub fn kept(&self) -> usize {
        self.kept.load(Ordering::Relaxed)
    }

    /// A kept block of `class` or of one of the next [`LARGER`] classes, or null.
    fn take(&self, class: usize) -> *mut u8 {
        if !recycles() {
            return ptr::null_mut();
        }
        for c in class..(class + 1 + LARGER).min(CLASSES) {
            let Some(row) = self.slots.get(c) else {
                break;
            };
            for slot in row {
                if slot.load(Ordering::Relaxed).is_null() {
                    continue;
                }
                let p = slot.swap(ptr::null_mut(), Ordering::Acquire);
                if !p.is_null() {
                    self.kept.fetch_sub(class_size(c), Ordering::Relaxed);
                    return p;
                }
            }
        }
        ptr::null_mut()
    }

    /// Keeps `p`, a malloc block, in the largest class it holds (by its real size, so a
    /// block handed to a smaller class is never counted smaller than it is); false when
    /// it is not kept (not a recycling thread, the class or the budget full).
    fn keep(&self, p: *mut u8) -> bool {
        if !recycles() {
            return false;
        }
        // SAFETY: p is a live malloc block.
        let usable = unsafe { libc::malloc_usable_size(p.cast()) };
        let Some(class) = class_held(usable) else {
            return false;
        };
        let Some(row) = self.slots.get(class) else {
            return false;
        };
        let size = class_size(class);
        if self.kept.fetch_add(size, Ordering::Relaxed) + size > BUDGET {
            self.kept.fetch_sub(size, Ordering::Relaxed);
            return false;
        }
        for slot in row {
            if slot
                .compare_exchange(ptr::null_mut(), p, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
        }
        self.kept.fetch_sub(size, Ordering::Relaxed);
        false
    }
}

impl Drop for KeepLarge {
    /// Frees what is kept (an allocator of its own, as in tests; the global one lives on).
    fn drop(&mut self) {
        for row in &self.slots {
            for slot in row {
                let p = slot.swap(ptr::null_mut(), Ordering::Acquire);
                if !p.is_null() {
                    // SAFETY: a kept block is a malloc block nobody else holds.
                    unsafe { libc::free(p.cast()) }
                }
            }
        }
    }
}

impl Default for KeepLarge {
    fn default() -> Self {
        KeepLarge::new()
    }
}

/// The class of a block of `size` bytes, when it is allocated by class.
fn class_of(size: usize) -> Option<usize> {
    if size <= LARGE || size > MAX_KEPT {
        return None;
    }
    let s = size - 1;
    // 2^k ≤ s < 2^(k+1), k ≥ 16; the class is the quarter of that octave s falls in.
    let k = (usize::BITS - 1 - s.leading_zeros()) as usize;
    let quarter = (s >> (k - 2)) - 4;
    Some((k - 16) * 4 + quarter)
}

/// The largest class a block of `usable` bytes can serve.
fn class_held(usable: usize) -> Option<usize> {
    let class = match class_of(usable) {
        Some(c) if class_size(c) == usable => c,
        Some(c) => c.checked_sub(1)?,
        None if usable > MAX_KEPT => CLASSES - 1,
        None => return None,
    };
    Some(class)
}

/// The bytes a block of `class` holds: the most of any size in the class.
fn class_size(class: usize) -> usize {
    let k = class / 4 + 16;
    (5 + class % 4) << (k - 2)
}

fn class_for(layout: &Layout) -> Option<usize> {
    if layout.align() > MALLOC_ALIGN {
        return None;
    }
    class_of(layout.size())
}

// SAFETY: a block is either the system allocator's, handled by it alone (small,
// over-aligned or over `MAX_KEPT`), or a malloc block of `class_size(class_for(layout))`
// bytes or more: allocated at that size on every thread, kept by the class its real size
// (`malloc_usable_size`) serves, handed out only to that class or smaller ones, and moved by
// `realloc` whenever the new size is of another class (glibc's realloc never sees it). So
// a block handed out holds the layout asked for, and every block is freed with `free`
// exactly once, or kept and reused.
unsafe impl GlobalAlloc for KeepLarge {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_for(&layout) else {
            // SAFETY: forwarded as received.
            return unsafe { System.alloc(layout) };
        };
        let p = self.take(class);
        if p.is_null() {
            // SAFETY: malloc of a nonzero size; 16-aligned, which the layout asks at most.
            unsafe { libc::malloc(class_size(class)).cast() }
        } else {
            p
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_for(&layout) else {
            // SAFETY: forwarded as received.
            return unsafe { System.alloc_zeroed(layout) };
        };
        let p = self.take(class);
        if p.is_null() {
            // SAFETY: as in `alloc`; a fresh mapping is zero already, so calloc writes nothing.
            unsafe { libc::calloc(1, class_size(class)).cast() }
        } else {
            // SAFETY: p holds class_size(class) ≥ layout.size() bytes.
            unsafe { ptr::write_bytes(p, 0, layout.size()) };
            p
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class_for(&layout) {
            Some(_) => {
                if !self.keep(p) {
                    // SAFETY: p came from malloc or calloc (see alloc).
                    unsafe { libc::free(p.cast()) }
                }
            }
            // SAFETY: forwarded as received.
            None => unsafe { System.dealloc(p, layout) },
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        match (class_for(&layout), class_for(&new_layout)) {
            // SAFETY: forwarded as received.
            (None, None) => unsafe { System.realloc(p, layout, new_size) },
            // The block already holds every size of its class.
            (Some(a), Some(b)) if a == b => p,
            _ => {
                // SAFETY: a block for the new layout, the common prefix copied into it, the
                // old block freed by the rules it was allocated by.
                unsafe {
                    let q = self.alloc(new_layout);
                    if !q.is_null() {
                        ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                    q
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_large_size_fits_the_smallest_class_that_holds_it() {
        let sizes = (LARGE + 1..=MAX_KEPT).step_by(997).chain([
            LARGE + 1,
            80 * 1024,
            80 * 1024 + 1,
            MAX_KEPT,
        ]);
        for size in sizes {
            let class = class_of(size).expect("a large size has a class");
            assert!(class < CLASSES, "{size}: class {class}");
            assert!(
                class_size(class) >= size,
                "{size} does not fit class {class}"
            );
            if class > 0 {
                assert!(
                    class_size(class - 1) < size,
                    "{size} fits class {} too",
                    class - 1
                );
            }
        }
        assert_eq!(class_of(LARGE), None);
        assert_eq!(class_of(MAX_KEPT + 1), None);
        for class in 0..CLASSES {
            let size = class_size(class);
            assert_eq!(class_held(size), Some(class));
            assert_eq!(class_held(size + 4080), Some(class));
            assert_eq!(class_held(size - 1), class.checked_sub(1));
        }
        assert_eq!(class_held(4 * MAX_KEPT), Some(CLASSES - 1));
        assert_eq!(class_size(0), 80 * 1024);
        assert_eq!(class_size(CLASSES - 1), MAX_KEPT);
    }

    fn filled(a: &KeepLarge, layout: Layout, byte: u8) -> *mut u8 {
        // SAFETY: a nonzero-sized layout; the block is written within its size.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            ptr::write_bytes(p, byte, layout.size());
            p
        }
    }

    #[test]
    fn an_extraction_thread_gets_back_the_block_it_freed_and_others_do_not() {
        let a = KeepLarge::new();
        let layout = Layout::from_size_align(300 * 1024, 8).unwrap();
        let same_class = Layout::from_size_align(290 * 1024, 8).unwrap();
        // Outside `recycling`: nothing kept.
        let p = filled(&a, layout, 1);
        // SAFETY: freed once, with its layout.
        unsafe { a.dealloc(p, layout) };
        assert_eq!(a.kept(), 0);
        recycling(|| {
            let p = filled(&a, layout, 2);
            // SAFETY: freed once, with its layout.
            unsafe { a.dealloc(p, layout) };
            assert_eq!(a.kept(), class_size(class_of(layout.size()).unwrap()));
            let q = filled(&a, same_class, 3);
            assert_eq!(q, p, "the kept block serves its class");
            assert_eq!(a.kept(), 0);
            // SAFETY: freed once, with its layout.
            unsafe { a.dealloc(q, same_class) };
        });
        // Kept blocks stay for the next extraction; a small request never gets one.
        let kept = a.kept();
        assert!(kept > 0);
        let small = Layout::from_size_align(4096, 8).unwrap();
        let s = recycling(|| filled(&a, small, 4));
        assert_eq!(a.kept(), kept);
        // SAFETY: freed once, with its layout.
        unsafe { a.dealloc(s, small) };
    }

    #[test]
    fn a_larger_kept_block_serves_a_smaller_class_and_is_kept_by_its_real_size() {
        let a = KeepLarge::new();
        let big = Layout::from_size_align(MAX_KEPT, 8).unwrap();
        let smaller = Layout::from_size_align(700 * 1024, 8).unwrap();
        recycling(|| {
            let p = filled(&a, big, 1);
            // SAFETY: each block freed once, with the layout it was handed out for.
            unsafe {
                a.dealloc(p, big);
                let q = a.alloc(smaller);
                assert_eq!(q, p);
                a.dealloc(q, smaller);
            }
            assert_eq!(a.kept(), MAX_KEPT);
        });
    }

    #[test]
    fn realloc_keeps_the_bytes_across_classes_and_back_to_small() {
        let a = KeepLarge::new();
        recycling(|| {
            let mut layout = Layout::from_size_align(1000, 8).unwrap();
            let mut p = filled(&a, layout, 7);
            // Small → large → larger (same class, then another) → huge → small.
            for size in [100 * 1024, 110 * 1024, 500 * 1024, 3 << 20, 2000] {
                // SAFETY: p is live with `layout`; the result replaces it.
                unsafe {
                    p = a.realloc(p, layout, size);
                    assert!(!p.is_null());
                    let old = layout.size().min(size);
                    let bytes = std::slice::from_raw_parts(p, old);
                    assert!(
                        bytes.iter().all(|&b| b == 7),
                        "bytes lost growing to {size}"
                    );
                    layout = Layout::from_size_align(size, 8).unwrap();
                    ptr::write_bytes(p, 7, size);
                }
            }
            // SAFETY: freed once, with its layout.
            unsafe { a.dealloc(p, layout) };
        });
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused() {
        let a = KeepLarge::new();
        let layout = Layout::from_size_align(200 * 1024, 8).unwrap();
        recycling(|| {
            let p = filled(&a, layout, 0xAB);
            // SAFETY: freed once; the zeroed block is read within its size, then freed.
            unsafe {
                a.dealloc(p, layout);
                let z = a.alloc_zeroed(layout);
                assert_eq!(z, p);
                assert!(
                    std::slice::from_raw_parts(z, layout.size())
                        .iter()
                        .all(|&b| b == 0)
                );
                a.dealloc(z, layout);
            }
        });
    }

    #[test]
    fn the_budget_bounds_what_is_kept() {
        let a = KeepLarge::new();
        let big = Layout::from_size_align(MAX_KEPT, 8).unwrap();
        let other = Layout::from_size_align(MAX_KEPT / 2, 8).unwrap();
        recycling(|| {
            let blocks: Vec<*mut u8> = (0..BUDGET / MAX_KEPT).map(|_| filled(&a, big, 1)).collect();
            let last = filled(&a, other, 1);
            for p in blocks {
                // SAFETY: each freed once, with its layout.
                unsafe { a.dealloc(p, big) };
            }
            assert_eq!(a.kept(), BUDGET);
            // SAFETY: freed once, with its layout; the budget is spent, so it is freed.
            unsafe { a.dealloc(last, other) };
        });
        assert_eq!(a.kept(), BUDGET);
    }
}
