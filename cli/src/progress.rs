//! A progress bar on stderr, driven by the pool's progress counter (`ParOptions::progress`): shown
//! only when stderr is a terminal, `--quiet` is off and the work is still running after a moment.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Work shorter than this never shows a bar.
const SHOW_AFTER: Duration = Duration::from_millis(300);
const TICK: Duration = Duration::from_millis(50);

/// Counts done elements; shows a bar for long work. Dropping it (or `finish`) removes the bar.
pub struct Progress {
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// A counter for `total` elements of work, with a bar labelled `what` unless `quiet`.
    pub fn start(what: &str, total: u64, quiet: bool) -> Progress {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let show = !quiet && total > 0 && std::io::stderr().is_terminal();
        let thread = show.then(|| {
            let (done, stop, what) = (done.clone(), stop.clone(), what.to_owned());
            std::thread::spawn(move || draw(&what, total, &done, &stop))
        });
        Progress { done, stop, thread }
    }

    /// The counter to hand to `ParOptions::progress`.
    pub fn counter(&self) -> &AtomicU64 {
        &self.done
    }

    /// Removes the bar (if shown) and waits for its thread.
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        // Relaxed: the flag carries no data; the join below synchronizes with the thread's end.
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn draw(what: &str, total: u64, done: &AtomicU64, stop: &AtomicBool) {
    let start = Instant::now();
    while start.elapsed() < SHOW_AFTER {
        if stop.load(Relaxed) {
            return;
        }
        std::thread::sleep(TICK);
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    while !stop.load(Relaxed) {
        bar.set_position(done.load(Relaxed).min(total));
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}
