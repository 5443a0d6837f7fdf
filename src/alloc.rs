//! [`FastAlloc`]: mimalloc (its v2 series, whose malloc fast path is shorter than v3's and
//! whose workers stay smaller: 19 against 30 MiB resident over 300 `default` seeds) as the
//! global allocator, through its plain entry points whenever the alignment allows. A seed allocates and frees small records, strings and keys by the
//! million; the `mimalloc` crate's allocator sends every request through mimalloc's aligned
//! path, which costs several times the plain one. Allocation never reaches behaviour or the
//! trace.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// Every block mimalloc's plain entry points return is aligned to at least this (a pointer's
/// alignment on 64-bit targets).
const PLAIN_ALIGN: usize = 8;

/// mimalloc, plain when `align <= 8`, aligned otherwise. Use as `#[global_allocator]`.
pub struct FastAlloc;

// SAFETY: every method forwards to mimalloc with a size and (where needed) the alignment of
// the layout; blocks from the plain entry points are `PLAIN_ALIGN`-aligned, so they satisfy
// any layout whose alignment is at most that; mi_free and the realloc functions accept blocks
// from either entry point.
unsafe impl GlobalAlloc for FastAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match layout.align() <= PLAIN_ALIGN {
            true => mi_malloc(layout.size()) as *mut u8,
            false => mi_malloc_aligned(layout.size(), layout.align()) as *mut u8,
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match layout.align() <= PLAIN_ALIGN {
            true => mi_zalloc(layout.size()) as *mut u8,
            false => mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8,
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr as *mut c_void);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match layout.align() <= PLAIN_ALIGN {
            true => mi_realloc(ptr as *mut c_void, new_size) as *mut u8,
            false => mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_honour_their_layouts() {
        for (size, align) in [(1, 1), (24, 8), (64, 16), (100, 64), (4096, 4096)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            unsafe {
                let block = FastAlloc.alloc(layout);
                assert!(
                    !block.is_null() && (block as usize).is_multiple_of(align),
                    "{size}/{align}"
                );
                block.write_bytes(0xab, size);
                let grown = FastAlloc.realloc(block, layout, size * 2);
                assert!((grown as usize).is_multiple_of(align));
                assert_eq!(*grown.add(size - 1), 0xab, "realloc keeps the contents");
                FastAlloc.dealloc(grown, Layout::from_size_align(size * 2, align).unwrap());
                let zeroed = FastAlloc.alloc_zeroed(layout);
                assert!((0..size).all(|i| *zeroed.add(i) == 0));
                FastAlloc.dealloc(zeroed, layout);
            }
        }
    }
}
