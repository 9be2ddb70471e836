//! Criterion benchmarks of the f64 sum kernel (issue 4): `kernels/sum_f64/{1000,65536,1048576,
//! 134217728}`, each with `Throughput::Bytes` (criterion prints GB/s) for
//!
//! - `shmkern_sum_float`: `Pool::sum_float` on a 2-participant pool (the calling thread plus one
//!   worker);
//! - `sequential_16_lane`: `kernels::sequential_sum`, the same summation tree on the calling thread;
//! - `rayon_par_iter`: rayon `par_iter().sum()` on a 2-thread pool, through `ThreadPool::install`;
//! - `shmkern_sum_exact`: `Pool::sum_with(data, Accuracy::Exact)` on the same 2-participant pool
//!   (the exact sum, rounded once).
//!
//! The data is one 1 GiB `Vec<f64>` (128 Mi elements), written in full before any measurement;
//! smaller sizes use its prefix. The 1 GiB size has 10 flat samples and a short measurement time.
//! Run with `cargo bench --bench kernels`; `cargo bench --bench kernels_table` prints these
//! comparisons and more (a read-bandwidth loop, the per-ISA chunk kernel, integer sums) as markdown
//! (see `docs/performance.md`).

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rayon::prelude::*;
use shmkern::kernels::{sequential_sum, Accuracy};
use shmkern::Pool;
use std::hint::black_box;
use std::time::Duration;

const THREADS: usize = 2;
/// The largest size: 128 Mi `f64` = 1 GiB.
const BIG: usize = 1 << 27;
const SIZES: [usize; 4] = [1_000, 65_536, 1 << 20, BIG];

fn sum_f64(c: &mut Criterion) {
    let shm = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");
    let data: Vec<f64> = (0..BIG)
        .map(|i| (i.wrapping_mul(2_654_435_761) % 2001) as f64 * 1e-3 - 1.0)
        .collect();

    let mut g = c.benchmark_group("kernels/sum_f64");
    for n in SIZES {
        let d = &data[..n];
        g.throughput(Throughput::Bytes((n * 8) as u64));
        if n == BIG {
            // ~40–120 ms per call: 10 calls per variant, one per sample.
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
        } else {
            g.sample_size(50)
                .sampling_mode(SamplingMode::Auto)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
        }
        g.bench_with_input(BenchmarkId::new("shmkern_sum_float", n), d, |b, d| {
            b.iter(|| shm.sum_float(black_box(d)))
        });
        g.bench_with_input(BenchmarkId::new("sequential_16_lane", n), d, |b, d| {
            b.iter(|| sequential_sum(black_box(d)))
        });
        g.bench_with_input(BenchmarkId::new("rayon_par_iter", n), d, |b, d| {
            b.iter(|| ray.install(|| black_box(d).par_iter().sum::<f64>()))
        });
        g.bench_with_input(BenchmarkId::new("shmkern_sum_exact", n), d, |b, d| {
            b.iter(|| shm.sum_with(black_box(d), Accuracy::Exact))
        });
    }
    g.finish();
}

criterion_group!(benches, sum_f64);
criterion_main!(benches);
