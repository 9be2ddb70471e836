//! Keeping an async event loop responsive: heavy `stats` run inline blocks a tokio runtime, the
//! same call offloaded to the shmkern pool and `.await`ed does not.
//!
//! ```sh
//! cargo run --release --example async_offload
//! ```
//!
//! A single-threaded (current-thread) tokio runtime, like Node.js's event loop, runs a ticker task
//! that wakes every millisecond and records the longest gap between two of its ticks. Meanwhile
//! the main task computes `stats` over 96 Mi f64 values (768 MiB of shared memory) twice:
//!
//! 1. inline, on the runtime thread: nothing else on the loop runs until it returns;
//! 2. as a pool task, awaited (`Task<R>` is a `Future`): the loop is free while the pool computes.
//!
//! Checks (a panic, so a non-zero exit, on failure): both results are bit-identical, and the
//! ticker's worst gap while offloaded is less than half its worst gap while blocked.

use shmkern::{Pool, SharedBuffer, Stats};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::{interval, sleep, MissedTickBehavior};

/// Values in the data set: 96 Mi f64, 768 MiB.
const LEN: usize = 96 << 20;

/// Runs `work` on the current runtime while a 1 ms ticker runs beside it; returns the work's
/// result and the ticker's worst gap between two ticks.
async fn with_ticker<F: Future<Output = Stats<f64>>>(work: F) -> (Stats<f64>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut ticks = interval(Duration::from_millis(1));
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate
            let (mut last, mut worst) = (Instant::now(), Duration::ZERO);
            while !stop.load(Relaxed) {
                ticks.tick().await;
                let now = Instant::now();
                worst = worst.max(now - last);
                last = now;
            }
            worst
        }
    });
    // Let the ticker settle, do the work, and let it tick a while after.
    sleep(Duration::from_millis(20)).await;
    let result = work.await;
    sleep(Duration::from_millis(20)).await;
    stop.store(true, Relaxed);
    (result, ticker.await.expect("the ticker task failed"))
}

fn main() -> Result<(), shmkern::Error> {
    // A participant per core, but at least one worker thread: a pool without workers runs a
    // spawned task at once on the caller, which would block the loop too.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = Arc::new(Pool::builder().threads(cores.max(2)).build()?);
    let mut data = SharedBuffer::<f64>::anonymous(LEN)?;
    pool.for_each_chunk_mut(&mut data, shmkern::sched::CHUNK_LEN, |first, chunk| {
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = ((first + i) % 1000) as f64 * 0.001 - 0.25;
        }
    })?;
    let data = Arc::new(data);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let ((inline, blocked), (offloaded, free)) = runtime.block_on(async {
        let blocking = with_ticker(async { pool.stats(&data) }).await;
        let offloaded = with_ticker(async {
            let (pool2, data) = (pool.clone(), data.clone());
            let task = pool.spawn(move || pool2.stats(&data));
            task.await.expect("the stats task failed")
        })
        .await;
        (blocking, offloaded)
    });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "stats over {} Mi f64: mean {:.6}, variance {:.6}",
        LEN >> 20,
        inline.mean().expect("values"),
        inline.variance(1).expect("values")
    );
    println!(
        "worst gap between 1 ms ticks, stats inline on the loop:  {:7.1} ms",
        ms(blocked)
    );
    println!(
        "worst gap between 1 ms ticks, stats awaited on the pool: {:7.1} ms",
        ms(free)
    );

    assert_eq!(inline, offloaded, "inline and offloaded results differ");
    assert!(
        free < blocked / 2,
        "offloading did not keep the loop responsive: {free:?} vs {blocked:?} blocked"
    );
    println!("checked: same bits both ways; the loop stayed responsive while the pool computed");
    Ok(())
}
