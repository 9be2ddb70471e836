//! Criterion benchmarks of the f64 sum kernel and the anchors of the project brief:
//! `kernels/sum_f64/{1000,65536,1048576,134217728}`, each with `Throughput::Bytes` (criterion
//! prints GB/s), for
//!
//! - `shmkern_sum_float`: `Pool::sum_float` on a 2-participant pool (the calling thread plus one
//!   worker);
//! - `sequential_16_lane`: `kernels::sequential_sum`, the same summation tree on the calling thread;
//! - `shmkern_sum_exact`: `Pool::sum_float_at(data, Accuracy::Exact)` on the same 2-participant pool
//!   (the exact sum, rounded once);
//! - `rayon_par_iter`: rayon `par_iter().sum()` on a 2-thread pool, through `ThreadPool::install`;
//! - `paralight_par_iter`: paralight 0.0.12 `par_iter().sum()` on 2 threads (`RangeStrategy::Fixed`);
//! - `onetbb_deterministic_reduce`: oneTBB `parallel_deterministic_reduce` (grain `CHUNK_LEN`) on
//!   2 threads, in a child process that maps the same memory;
//! - `nodejs_worker_threads`: Node.js, 2 `worker_threads` over a `SharedArrayBuffer` copy of it,
//!   woken and awaited with `Atomics.wait/notify`.
//!
//! The children (see `benches/common/anchors.rs`) time their own loops, which criterion takes
//! through `iter_custom`; where g++ and oneTBB (`apt install libtbb-dev`) or Node.js are missing,
//! their benchmarks are left out, with the reason printed. The data is one 1 GiB anonymous
//! `SharedBuffer` (128 Mi elements), written in full before any measurement; smaller sizes use its
//! prefix. The 1 GiB size has 10 flat samples and a short measurement time. Run with
//! `cargo bench --bench kernels`; `cargo bench --bench tables -- kernels` and `-- anchors` print
//! these comparisons and more as markdown, interleaved (docs/performance.md).

#[path = "common/anchors.rs"]
mod anchors;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rayon::prelude::*;
use shmkern::kernels::{sequential_sum, Accuracy};
use shmkern::{Pool, SharedBuffer};
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
    let mut para = anchors::para::pool(THREADS);
    let mut buf = SharedBuffer::<f64>::anonymous(BIG).expect("1 GiB of shared memory");
    shm.for_each_chunk_mut(&mut buf, 1 << 20, |start, chunk: &mut [f64]| {
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = ((start + i).wrapping_mul(2_654_435_761) % 2001) as f64 * 1e-3 - 1.0;
        }
    })
    .expect("fill");
    let path = anchors::data_path(&buf).expect("the buffer's memfd");
    let started = |name: &str, a: Result<anchors::Anchor, String>| match a {
        Ok(a) => Some(a),
        Err(why) => {
            eprintln!("{name} left out: {why}");
            None
        }
    };
    let mut tbb = started("oneTBB", anchors::start_tbb(&path, BIG, THREADS));
    let mut node = started("Node.js", anchors::start_node(&path, BIG, THREADS));

    let mut g = c.benchmark_group("kernels/sum_f64");
    for n in SIZES {
        let d = &buf[..n];
        g.throughput(Throughput::Bytes((n * 8) as u64));
        if n == BIG {
            // ~15–120 ms per call: 10 calls per variant, one per sample.
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
        g.bench_with_input(BenchmarkId::new("shmkern_sum_exact", n), d, |b, d| {
            b.iter(|| shm.sum_float_at(black_box(d), Accuracy::Exact))
        });
        g.bench_with_input(BenchmarkId::new("rayon_par_iter", n), d, |b, d| {
            b.iter(|| ray.install(|| black_box(d).par_iter().sum::<f64>()))
        });
        g.bench_with_input(BenchmarkId::new("paralight_par_iter", n), d, |b, d| {
            b.iter(|| anchors::para::sum(&mut para, black_box(d)))
        });
        if let Some(tbb) = &mut tbb {
            g.bench_function(BenchmarkId::new("onetbb_deterministic_reduce", n), |b| {
                b.iter_custom(|iters| tbb.sum(THREADS, n, iters).0)
            });
        }
        if let Some(node) = &mut node {
            g.bench_function(BenchmarkId::new("nodejs_worker_threads", n), |b| {
                b.iter_custom(|iters| node.sum(THREADS, n, iters).0)
            });
        }
    }
    g.finish();
}

criterion_group!(benches, sum_f64);
criterion_main!(benches);
