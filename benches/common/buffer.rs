//! The data the kernel tables read (`kernels`, `scaling` and `plot` of `benches/tables/`): one
//! 1 GiB anonymous mapping, page-aligned, written in full (every page touched) before any timing,
//! so no page fault is timed; smaller inputs read its prefix. And the values written into it:
//! `f64` in [-1, 1] and `i64` of both signs, neither periodic over a block.

use memmap2::MmapMut;

/// The buffer's size: 1 GiB (128 Mi `f64`).
pub const BYTES: usize = 1 << 30;

/// The 1 GiB buffer: an anonymous mapping, page-aligned.
pub struct Buffer {
    map: MmapMut,
}

impl Buffer {
    /// Maps [`BYTES`] (not yet written), advised onto transparent huge pages (`MADV_HUGEPAGE`)
    /// when `huge_pages` (otherwise the kernel's choice: under THP `madvise`, 4 KiB pages).
    pub fn new(huge_pages: bool) -> Buffer {
        let map = MmapMut::map_anon(BYTES).expect("a 1 GiB anonymous mapping");
        if huge_pages {
            map.advise(memmap2::Advice::HugePage)
                .expect("madvise(MADV_HUGEPAGE) on the buffer");
        }
        Buffer { map }
    }

    /// The whole buffer as `[T]`.
    pub fn view<T: bytemuck::Pod>(&self) -> &[T] {
        bytemuck::cast_slice(&self.map[..])
    }

    /// The whole buffer as `[T]`, to write.
    pub fn view_mut<T: bytemuck::Pod>(&mut self) -> &mut [T] {
        bytemuck::cast_slice_mut(&mut self.map[..])
    }

    /// Writes `value(i)` to every element of the buffer seen as `[T]`, on `threads` threads, each
    /// a contiguous share; touches every page.
    pub fn fill<T: bytemuck::Pod + Send>(
        &mut self,
        threads: usize,
        value: impl Fn(usize) -> T + Sync,
    ) {
        let all: &mut [T] = self.view_mut();
        let share = all.len().div_ceil(threads);
        std::thread::scope(|s| {
            for (k, part) in all.chunks_mut(share).enumerate() {
                let value = &value;
                s.spawn(move || {
                    for (i, w) in part.iter_mut().enumerate() {
                        *w = value(k * share + i);
                    }
                });
            }
        });
    }
}

/// `f64` test values in [-1, 1], not periodic over a block.
pub fn f64_value(i: usize) -> f64 {
    (i.wrapping_mul(2_654_435_761) % 2001) as f64 * 1e-3 - 1.0
}

/// `i64` test values: both signs, magnitudes up to 2^55.
pub fn i64_value(i: usize) -> i64 {
    (i as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64) >> 8
}
