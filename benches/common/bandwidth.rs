//! The two-thread read-bandwidth loop the kernel benches compare against (the physical limit of
//! this machine): each participant of a pool XOR-folds its contiguous share of the words, in a
//! loop compiled for the best ISA of the CPU, as the kernels are. Used by the `kernels`, `scaling`,
//! `anchors`, `suite` and `plot` tables (`benches/tables/`). Its two-stream form reads two
//! columns side by side, as a dot product does (`suite`).

use shmkern::kernels::Isa;
use shmkern::Pool;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// XOR of all words: a reduction the compiler vectorizes and unrolls (integer XOR is associative).
#[inline(always)]
fn xor_fold(x: &[u64]) -> u64 {
    x.iter().fold(0, |a, &b| a ^ b)
}

/// [`xor_fold`] compiled with AVX2.
///
/// # Safety
///
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn xor_fold_avx2(x: &[u64]) -> u64 {
    xor_fold(x)
}

/// [`xor_fold`] compiled with AVX-512F.
///
/// # Safety
///
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn xor_fold_avx512(x: &[u64]) -> u64 {
    xor_fold(x)
}

/// [`xor_fold`] compiled for `isa` (which the CPU supports: [`Isa::detect`]).
pub fn read_words(isa: Isa, x: &[u64]) -> u64 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` comes from `Isa::detect`, so the CPU has AVX2.
        Isa::Avx2 => unsafe { xor_fold_avx2(x) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` comes from `Isa::detect`, so the CPU has AVX-512F.
        Isa::Avx512 => unsafe { xor_fold_avx512(x) },
        _ => xor_fold(x),
    }
}

/// The read-bandwidth loop: each participant of `pool` XOR-folds its contiguous share of `words`.
pub fn bandwidth(pool: &Pool, isa: Isa, words: &[u64]) -> u64 {
    let n = words.len();
    let share = n.div_ceil(pool.threads());
    let acc = AtomicU64::new(0);
    pool.broadcast(|p| {
        let part = &words[(p * share).min(n)..((p + 1) * share).min(n)];
        acc.fetch_xor(read_words(isa, part), Relaxed);
    });
    acc.into_inner()
}

/// XOR of all words of two equally long columns, read side by side.
#[inline(always)]
fn xor_fold2(x: &[u64], y: &[u64]) -> u64 {
    x.iter().zip(y).fold(0, |a, (&b, &c)| a ^ b ^ c)
}

/// [`xor_fold2`] compiled with AVX2.
///
/// # Safety
///
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn xor_fold2_avx2(x: &[u64], y: &[u64]) -> u64 {
    xor_fold2(x, y)
}

/// [`xor_fold2`] compiled with AVX-512F.
///
/// # Safety
///
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn xor_fold2_avx512(x: &[u64], y: &[u64]) -> u64 {
    xor_fold2(x, y)
}

/// The two-stream read-bandwidth loop: each participant of `pool` XOR-folds its contiguous share
/// of `x` and the same rows of `y`, side by side.
pub fn bandwidth2(pool: &Pool, isa: Isa, x: &[u64], y: &[u64]) -> u64 {
    let n = x.len().min(y.len());
    let share = n.div_ceil(pool.threads());
    let acc = AtomicU64::new(0);
    pool.broadcast(|p| {
        let rows = (p * share).min(n)..((p + 1) * share).min(n);
        let (a, b) = (&x[rows.clone()], &y[rows]);
        let v = match isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `isa` comes from `Isa::detect`, so the CPU has AVX2.
            Isa::Avx2 => unsafe { xor_fold2_avx2(a, b) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `isa` comes from `Isa::detect`, so the CPU has AVX-512F.
            Isa::Avx512 => unsafe { xor_fold2_avx512(a, b) },
            _ => xor_fold2(a, b),
        };
        acc.fetch_xor(v, Relaxed);
    });
    acc.into_inner()
}
