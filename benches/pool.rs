//! Criterion benchmarks for `shmkern::Pool` next to rayon, every pool of 2 threads and called from
//! the main thread (outside the pool):
//!
//! - `pool/broadcast_empty`: an empty `Pool::broadcast` vs `rayon::ThreadPool::broadcast`, back to
//!   back (the workers are still spinning from the previous call);
//! - `pool/broadcast_empty_after_sleep`: the same, each call after a 1 ms sleep (the workers have
//!   gone to sleep, so the call pays for waking them). Only the call is timed; criterion sizes its
//!   runs by the timed part, so this group has a short measurement time to keep its wall time (the
//!   sleeps) to a few seconds;
//! - `pool/reduce_sum_f64/{1000,65536,1048576}`: a sum of `f64` — a sequential `iter().sum()`,
//!   `Pool::reduce` (map: a sequential sum of the chunk, merge: `+`), rayon `par_chunks(CHUNK_LEN)`
//!   and rayon `par_iter().sum()` (both through `ThreadPool::install`).
//!
//! Run with `cargo bench --bench pool`; `cargo bench --bench tables -- pool` prints the same
//! comparisons (and the spin-budget and inline-cutoff tables) as markdown (docs/performance.md).

use criterion::{criterion_group, criterion_main, Criterion};
use rayon::prelude::*;
use shmkern::{sched::CHUNK_LEN, Pool};
use std::hint::black_box;
use std::time::{Duration, Instant};

const THREADS: usize = 2;
const SIZES: [usize; 3] = [1_000, 65_536, 1_048_576];

fn pools() -> (Pool, rayon::ThreadPool) {
    let shm = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");
    (shm, ray)
}

fn broadcast_empty(c: &mut Criterion) {
    let (shm, ray) = pools();
    let mut g = c.benchmark_group("pool/broadcast_empty");
    g.bench_function("shmkern", |b| {
        b.iter(|| {
            shm.broadcast(|i| {
                black_box(i);
            })
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            ray.broadcast(|ctx| {
                black_box(ctx.index());
            })
        })
    });
    g.finish();
}

/// Times `call` once per iteration, after a 1 ms sleep.
fn after_sleep(iters: u64, mut call: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        std::thread::sleep(Duration::from_millis(1));
        let start = Instant::now();
        call();
        total += start.elapsed();
    }
    total
}

fn broadcast_empty_after_sleep(c: &mut Criterion) {
    let (shm, ray) = pools();
    let mut g = c.benchmark_group("pool/broadcast_empty_after_sleep");
    // ~50–100 µs timed per call plus 1 ms of sleep: 100 ms timed is ~1,500 calls, ~2 s of wall time.
    g.warm_up_time(Duration::from_millis(50))
        .measurement_time(Duration::from_millis(100));
    g.bench_function("shmkern", |b| {
        b.iter_custom(|iters| {
            after_sleep(iters, || {
                shm.broadcast(|i| {
                    black_box(i);
                })
            })
        })
    });
    g.bench_function("rayon", |b| {
        b.iter_custom(|iters| {
            after_sleep(iters, || {
                black_box(ray.broadcast(|ctx| {
                    black_box(ctx.index());
                }));
            })
        })
    });
    g.finish();
}

fn reduce_sum_f64(c: &mut Criterion) {
    let (shm, ray) = pools();
    for n in SIZES {
        let data: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.001).collect();
        let d = &data[..];
        let mut g = c.benchmark_group(format!("pool/reduce_sum_f64/{n}"));
        g.bench_function("sequential", |b| {
            b.iter(|| black_box(d).iter().sum::<f64>())
        });
        g.bench_function("shmkern", |b| {
            b.iter(|| shm.reduce(black_box(d), |c| c.iter().sum::<f64>(), |a, b| a + b))
        });
        g.bench_function("rayon_par_chunks", |b| {
            b.iter(|| {
                ray.install(|| {
                    black_box(d)
                        .par_chunks(CHUNK_LEN)
                        .map(|c| c.iter().sum::<f64>())
                        .sum::<f64>()
                })
            })
        });
        g.bench_function("rayon_par_iter", |b| {
            b.iter(|| ray.install(|| black_box(d).par_iter().sum::<f64>()))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = broadcast_empty, broadcast_empty_after_sleep, reduce_sum_f64
}
criterion_main!(benches);
