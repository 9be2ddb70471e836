//! Criterion benchmarks for `shmkern::sync::futex`, each for `Scope::Shared` and `Scope::Private`:
//!
//! - `wake_one_no_waiter`: an uncontended wake (one `FUTEX_WAKE` syscall that finds nobody);
//! - `wait_not_equal_precheck`: a `wait` whose value differs, through the public API (user-space
//!   pre-check, no syscall);
//! - `wait_not_equal_syscall`: the same through `__syscall_wait` (the kernel's `EAGAIN` path);
//! - `round_trip_{unpinned,same_cpu,cross_cpu}`: a wake-to-running ping-pong between two threads over
//!   two words, per round trip, with the threads left to the scheduler, pinned to one CPU, or pinned
//!   to two CPUs.
//!
//! Run with `cargo bench --bench futex`; `cargo bench --bench tables -- futex` prints the same
//! numbers as one markdown table (docs/performance.md).

use criterion::{criterion_group, criterion_main, Criterion};
#[path = "common/pingpong.rs"]
mod pingpong;

use pingpong::{allowed_cpus, set_affinity, PingPong};
use shmkern::sync::futex::{self, Scope};
use std::hint::black_box;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

const SCOPES: [(&str, Scope); 2] = [("shared", Scope::Shared), ("private", Scope::Private)];

fn wake_one_no_waiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("futex/wake_one_no_waiter");
    for (name, scope) in SCOPES {
        let word = AtomicU32::new(0);
        g.bench_function(name, |b| b.iter(|| scope.wake_one(black_box(&word))));
    }
    g.finish();
}

fn wait_not_equal_precheck(c: &mut Criterion) {
    let mut g = c.benchmark_group("futex/wait_not_equal_precheck");
    for (name, scope) in SCOPES {
        let word = AtomicU32::new(1);
        g.bench_function(name, |b| {
            b.iter(|| scope.wait(black_box(&word), black_box(0), None))
        });
    }
    g.finish();
}

fn wait_not_equal_syscall(c: &mut Criterion) {
    let mut g = c.benchmark_group("futex/wait_not_equal_syscall");
    for (name, scope) in SCOPES {
        let word = AtomicU32::new(1);
        g.bench_function(name, |b| {
            b.iter(|| futex::__syscall_wait(black_box(&word), black_box(0), scope))
        });
    }
    g.finish();
}

/// Round trips with the threads left to the scheduler, pinned to one CPU, and pinned to two CPUs.
/// Unpinned results are bimodal on a small machine (they depend on where the scheduler puts the two
/// threads), so the pinned variants are the ones to compare scopes with.
fn round_trip(c: &mut Criterion) {
    let cpus = allowed_cpus();
    // (group, CPU for this thread, CPU for the peer)
    let mut placements = vec![("futex/round_trip_unpinned", None, None)];
    if let Some(&c0) = cpus.first() {
        placements.push(("futex/round_trip_same_cpu", Some(c0), Some(c0)));
    }
    if let [c0, c1, ..] = cpus[..] {
        placements.push(("futex/round_trip_cross_cpu", Some(c0), Some(c1)));
    }
    for (group, main_cpu, peer_cpu) in placements {
        if let Some(cpu) = main_cpu {
            set_affinity(&[cpu]);
        }
        let mut g = c.benchmark_group(group);
        for (name, scope) in SCOPES {
            let mut pp = PingPong::new(scope, peer_cpu);
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        pp.round_trip();
                    }
                    start.elapsed()
                })
            });
            drop(pp);
        }
        g.finish();
        if !cpus.is_empty() {
            set_affinity(&cpus);
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = wake_one_no_waiter, wait_not_equal_precheck, wait_not_equal_syscall, round_trip
}
criterion_main!(benches);
