//! Criterion benchmarks for `shmkern::futex`, each for `Scope::Shared` and `Scope::Private`:
//!
//! - `wake_one_no_waiter`: an uncontended wake (one `FUTEX_WAKE` syscall that finds nobody);
//! - `wait_not_equal_precheck`: a `wait` whose value differs, through the public API (user-space
//!   pre-check, no syscall);
//! - `wait_not_equal_syscall`: the same through `__syscall_wait` (the kernel's `EAGAIN` path);
//! - `round_trip`: a wake-to-running ping-pong between two threads over two words, per round trip.
//!
//! Run with `cargo bench --bench futex`; `cargo bench --bench futex_table` prints the same numbers as
//! one markdown table (see `docs/performance.md`).

use criterion::{criterion_group, criterion_main, Criterion};
use shmkern::futex::{self, Scope};
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SCOPES: [(&str, Scope); 2] = [("shared", Scope::Shared), ("private", Scope::Private)];

/// Tells the peer thread of a [`PingPong`] to exit.
const STOP: u32 = u32::MAX;

/// Waits (futex wait loop, re-checking the value) until `word` differs from `old`; returns the new value.
fn wait_change(word: &AtomicU32, old: u32, scope: Scope) -> u32 {
    loop {
        let v = word.load(Ordering::Acquire);
        if v != old {
            return v;
        }
        scope.wait(word, old, None);
    }
}

struct Words {
    ping: AtomicU32,
    pong: AtomicU32,
}

/// A persistent peer thread that answers every new value of `ping` by storing it to `pong` and waking.
struct PingPong {
    words: Arc<Words>,
    scope: Scope,
    seq: u32,
    peer: Option<JoinHandle<()>>,
}

impl PingPong {
    fn new(scope: Scope) -> Self {
        let words = Arc::new(Words {
            ping: AtomicU32::new(0),
            pong: AtomicU32::new(0),
        });
        let w = Arc::clone(&words);
        let peer = std::thread::spawn(move || {
            let mut seen = 0;
            loop {
                let v = wait_change(&w.ping, seen, scope);
                if v == STOP {
                    break;
                }
                seen = v;
                w.pong.store(v, Ordering::Release);
                scope.wake_one(&w.pong);
            }
        });
        Self {
            words,
            scope,
            seq: 0,
            peer: Some(peer),
        }
    }

    /// One round trip: store a new value, wake the peer, wait for its reply.
    fn round_trip(&mut self) {
        self.seq = if self.seq + 1 >= STOP {
            1
        } else {
            self.seq + 1
        };
        let seq = self.seq;
        self.words.ping.store(seq, Ordering::Release);
        self.scope.wake_one(&self.words.ping);
        let mut seen = self.words.pong.load(Ordering::Acquire);
        while seen != seq {
            seen = wait_change(&self.words.pong, seen, self.scope);
        }
    }
}

impl Drop for PingPong {
    fn drop(&mut self) {
        self.words.ping.store(STOP, Ordering::Release);
        self.scope.wake_all(&self.words.ping);
        if let Some(peer) = self.peer.take() {
            peer.join().expect("ping-pong peer panicked");
        }
    }
}

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

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("futex/round_trip");
    for (name, scope) in SCOPES {
        let mut pp = PingPong::new(scope);
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
