//! `shmkern gen`: random data written in parallel straight into a new file's mapping.
//!
//! Chunk `k` of [`GEN_CHUNK`] values is drawn from ChaCha8 seeded with `--seed` on stream `k`, so
//! the file depends on the seed alone — never on the thread count or the schedule.

use crate::dispatch::dispatch;
use crate::output::{print, rate, size};
use crate::progress::Progress;
use crate::run::pool;
use crate::{Dist, Failure, GenArgs};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use shmkern::buffer::Element;
use shmkern::{ParOptions, Pool, SharedBuffer};
use std::path::Path;
use std::time::Instant;

/// Values per independently seeded chunk (fixed: part of what a seed means).
pub const GEN_CHUNK: usize = 1 << 16;

/// How one element type draws each distribution.
pub trait Sample: Element + Send {
    /// `None`: the distribution does not apply to this type.
    fn draw(dist: Dist, rng: &mut ChaCha8Rng) -> Option<Self>;
}

macro_rules! float_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn draw(dist: Dist, rng: &mut ChaCha8Rng) -> Option<Self> {
                Some(match dist {
                    Dist::Uniform => rng.gen::<$t>(),
                    Dist::Normal => rng.sample::<f64, _>(StandardNormal) as $t,
                    Dist::Ints => rng.gen_range(-1000i32..=1000) as $t,
                })
            }
        }
    )*};
}

macro_rules! int_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn draw(dist: Dist, rng: &mut ChaCha8Rng) -> Option<Self> {
                match dist {
                    Dist::Uniform => Some(rng.gen::<$t>()),
                    Dist::Normal => None,
                    Dist::Ints => {
                        let lo = (<$t>::MIN as i128).max(-1000) as $t;
                        let hi = (<$t>::MAX as i128).min(1000) as $t;
                        Some(rng.gen_range(lo..=hi))
                    }
                }
            }
        }
    )*};
}

float_sample!(f32, f64);
int_sample!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Fills `data` with `dist` from `seed` on `pool`, counting done values in `progress`.
pub fn fill<T: Sample>(
    pool: &Pool,
    data: &mut [T],
    dist: Dist,
    seed: u64,
    progress: &Progress,
) -> Result<(), Failure> {
    if T::draw(dist, &mut ChaCha8Rng::seed_from_u64(seed)).is_none() {
        return Err(Failure::Usage(format!(
            "--dist {} needs a float --dtype (f32 or f64), not {}",
            format!("{dist:?}").to_lowercase(),
            T::DTYPE
        )));
    }
    let opts = ParOptions {
        chunk_len: Some(GEN_CHUNK),
        progress: Some(progress.counter()),
        ..ParOptions::default()
    };
    pool.for_each_chunk_mut_with(data, opts, |k, chunk| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(k as u64);
        for x in chunk {
            // `draw` returned Some above for this (type, distribution) pair; it always does.
            *x = T::draw(dist, &mut rng).unwrap_or_else(T::zeroed);
        }
    })?;
    Ok(())
}

pub fn run(args: GenArgs) -> Result<(), Failure> {
    let pool = pool(args.threads)?;
    dispatch!(args.dtype, T => gen_file::<T>(&args, &pool))
}

fn gen_file<T: Sample>(args: &GenArgs, pool: &Pool) -> Result<(), Failure> {
    let path = &args.file;
    let len = usize::try_from(args.count).map_err(|_| {
        Failure::Other(format!(
            "{}: {} values do not fit in memory",
            path.display(),
            args.count
        ))
    })?;
    if args.force && path.is_file() {
        std::fs::remove_file(path)
            .map_err(|e| Failure::Other(format!("{}: cannot replace: {e}", path.display())))?;
    }
    let start = Instant::now();
    let mut buf = if is_npy(path) {
        SharedBuffer::<T>::create_npy(path, len)?
    } else {
        SharedBuffer::<T>::create(path, len)?
    };
    let progress = Progress::start("gen", len as u64, args.quiet);
    let filled = fill(pool, &mut buf, args.dist, args.seed, &progress);
    progress.finish();
    if let Err(e) = filled {
        drop(buf);
        // Leave nothing half-written behind.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    let bytes = buf.as_bytes().len() as u64;
    drop(buf);
    let seconds = start.elapsed().as_secs_f64();
    if args.quiet {
        return Ok(());
    }
    print(&format!(
        "wrote {len} {} values ({}) to {} in {seconds:.3} s ({})\n",
        T::DTYPE,
        size(bytes),
        path.display(),
        rate(bytes, seconds)
    ))
}

fn is_npy(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}
