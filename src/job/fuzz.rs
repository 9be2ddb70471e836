//! Fuzzing hook for the chunk table (cargo feature `internals`; `fuzz/fuzz_targets/chunk_table.rs`,
//! docs/fuzzing.md). Not part of the API.
//!
//! A participant that arrives at a job may find anything in the chunk table and the participant
//! slots: the job module's trust model ("Trust" in `mod.rs`) promises that such words can spoil
//! the job's result but never make a participant panic or hang. [`fuzz_chunk_table`] checks that promise, and more, on a real
//! job (files, mappings, `/proc`, futexes): it forges the shared words from the input, runs
//! [`Job::work`] and the typed wait, and asserts that both end, within a bound, with a result that
//! is the honest one or with an error.

use super::liveness;
use super::table::State;
use super::{Job, JobKind};
use crate::buffer::DType;
use crate::sched::CHUNK_LEN;
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use crate::sync::{thread, Arc};
use crate::{Error, Pool, Stats};
use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Chunks of each fuzzed job: four full ones and a short last one.
const CHUNKS: usize = 5;
const ELEMENTS: usize = (CHUNKS - 1) * CHUNK_LEN + 1000;
/// Participant slots whose words the input forges (of the 64 a job made by `create` has).
const FORGED_SLOTS: usize = 4;
/// The participants' lease: the shortest there is, so a forged claim of a live owner costs the
/// least time (a helper still notices its expiry only when its poll of `POLL` ends). Flag bit 5
/// asks for the default lease instead, under which nothing expires during an input: every forged
/// lease is then made expired for the whole input (one in the past older than the lease, one in
/// the future later than [`HANG`]: a lease from the future counts as expired only until its time
/// comes, and is fresh for a whole lease after it), and the death verdicts, not lease expiry, must
/// free every stale claim (the worker's own slot's included: its lease is renewed all along).
const LEASE: Duration = Duration::from_millis(1);
/// How long the wait after `work` waits for chunks `work` left undone.
const WAIT: Duration = Duration::from_millis(1);
/// What `work` and the wait must end within. The slowest honest end is about one `POLL` (50 ms):
/// a chunk claimed by a live owner whose lease is fresh waits for one poll of the helping loop,
/// after which the lease (1 ms) has expired; the bound leaves room for a loaded machine.
const BOUND: Duration = Duration::from_secs(1);
/// After how long one input aborts the process: `work` or the wait has not returned, so the bound
/// cannot be checked (libFuzzer's own timeout is 20 minutes; an abort is a crash it records with
/// the input). Longer than the default lease, so a claim held for a lease still ends in the
/// bound's assertion, which names what `work` returned.
const HANG: Duration = Duration::from_secs(20);

// Input layout (little-endian; bytes past the end of the input read as zero, so a short input
// leaves the rest of the table as a new job has it).
const FLAGS: usize = 0;
const CURSOR: usize = 1;
const DONE: usize = 9;
const SLOTS: usize = 13;
const SLOT_RECORD: usize = 13;
const STATES: usize = SLOTS + FORGED_SLOTS * SLOT_RECORD;
/// Bytes of input [`fuzz_chunk_table`] reads; more are ignored.
#[cfg(test)]
const INPUT_LEN: usize = STATES + CHUNKS * 8;

/// Fuzzing entry point, not API: forges the shared words of a real job from `input`, then runs
/// [`Job::work`] (one thread) and the job's typed wait in this process, and panics if either
/// fails to end within a second, if a result that is not the honest one's bits is returned as a
/// success, or if `work` says the job is complete when the wait cannot give its result. Returns
/// whether the wait gave the (honest) result.
///
/// The jobs are made once per thread over two small raw files (5 chunks of `f64` and of `i32`, in
/// a directory under the temporary directory, removed when the thread ends) and reused: before
/// each input every shared word is reset to zero, as in a new job file, and then forged.
///
/// Input, 105 bytes (missing bytes are zero; `Job::create` makes 64 participant slots):
///
/// - byte 0, flags: bits 0–1 the job (0 `Stats` over `f64`, 1 `Sum` over `f64`, 2 `Sum` over
///   `i32`, 3 `Stats` over `i32`); bit 2: forge the cursor; bit 3: forge the done count; bit 4:
///   every slot after the forged ones is held by a live process (PID 1); bit 5: the default lease
///   (10 s) instead of 1 ms, every forged lease then expired for the whole input.
/// - bytes 1..9: the cursor (u64); bytes 9..13: the done count (u32).
/// - bytes 13..65: participant slots 0–3, 13 bytes each: a kind byte (mod 8: 0 free, 1 this
///   process, 2 PID 1 with start time 0 (alive, whatever its start time), 3 PID 1 with its start
///   time, 4 this PID with another start time (a recycled PID: dead), 5 a PID that cannot exist,
///   6–7 the raw word that follows), an `i32` lease (0: never renewed; `d > 0`: renewed `d - 1` ms
///   ago; `d < 0`: `-d` ms in the future), a raw `u64` slot word for kinds 6 and 7.
/// - bytes 65..105: the five chunk state words, raw (`generation << 32 | owner << 2 | tag`).
///
/// The result slots and, unless bit 3 asks for it, the done count are not forged: a writer who
/// forges a chunk's completion (a `DONE` state and the count that counts it, or the result words)
/// decides the job's result, as the trust model allows. So a wrong result is accepted only when
/// the count was forged non-zero and some chunk's state was forged `DONE`; and without a forged
/// count, `work` and the wait must agree.
pub fn fuzz_chunk_table(input: &[u8]) -> bool {
    HARNESS.with(|h| h.borrow_mut().run(input))
}

thread_local! {
    static HARNESS: RefCell<Harness> = RefCell::new(Harness::new());
}

/// The jobs, their honest results and the pool that works on them.
struct Harness {
    dir: PathBuf,
    pool: Pool,
    watchdog: Watchdog,
    stats_f64: (Job, Stats<f64>),
    sum_f64: (Job, f64),
    sum_i32: (Job, i128),
    stats_i32: (Job, Stats<i32>),
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.watchdog.stop.store(true, Relaxed);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A thread that aborts the process when an input has run for longer than [`HANG`].
struct Watchdog {
    origin: Instant,
    /// When the running input started, in ms after `origin`, plus 1; 0 between inputs.
    started: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Watchdog {
    fn new() -> Watchdog {
        let dog = Watchdog {
            origin: Instant::now(),
            started: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (origin, started, stop) = (dog.origin, dog.started.clone(), dog.stop.clone());
        thread::Builder::new()
            .name("shmkern-fuzz-watchdog".into())
            .spawn(move || {
                while !stop.load(Relaxed) {
                    thread::sleep(Duration::from_millis(100));
                    let at = started.load(Relaxed);
                    let now = origin.elapsed().as_millis() as u64 + 1;
                    if at != 0 && now.saturating_sub(at) > HANG.as_millis() as u64 {
                        eprintln!("fuzz_chunk_table: an input has run for over {HANG:?}: hung");
                        std::process::abort();
                    }
                }
            })
            .expect("fuzz harness: start the watchdog");
        dog
    }

    /// Marks the start (`true`) or the end of an input.
    fn running(&self, yes: bool) {
        let at = if yes {
            self.origin.elapsed().as_millis() as u64 + 1
        } else {
            0
        };
        self.started.store(at, Relaxed);
    }
}

/// `N` bytes of `input` at `at`, zero past its end.
fn bytes<const N: usize>(input: &[u8], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    for (i, o) in b.iter_mut().enumerate() {
        *o = input.get(at + i).copied().unwrap_or(0);
    }
    b
}

impl Harness {
    fn new() -> Harness {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shmkern-fuzz-chunk-table-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fuzz harness: create its directory");
        // No NaN: a chunk's result missing from a sum must change the sum's bits.
        let floats: Vec<f64> = (0..ELEMENTS)
            .map(|i| ((i as f64) * 0.731).sin() * 1e6)
            .collect();
        let ints: Vec<i32> = (0..ELEMENTS)
            .map(|i| (i as i32).wrapping_mul(0x9E37_79B9_u32 as i32) >> 4)
            .collect();
        let (f, i) = (dir.join("f64.raw"), dir.join("i32.raw"));
        std::fs::write(&f, bytemuck::cast_slice(&floats)).expect("fuzz harness: write data");
        std::fs::write(&i, bytemuck::cast_slice(&ints)).expect("fuzz harness: write data");
        let job = |name: &str, data: &PathBuf, dtype, kind| {
            // SAFETY: the harness's own data files, which nothing modifies.
            let job = unsafe { Job::create(dir.join(name), data, Some(dtype), kind) }
                .expect("fuzz harness: create a job");
            assert_eq!(job.header.chunks, CHUNKS as u64);
            job
        };
        let pool = Pool::builder()
            .threads(1)
            .build()
            .expect("fuzz harness: build a pool");
        Harness {
            stats_f64: (
                job("stats-f64.job", &f, DType::F64, JobKind::Stats),
                pool.stats(&floats),
            ),
            sum_f64: (
                job("sum-f64.job", &f, DType::F64, JobKind::Sum),
                pool.sum_float(&floats),
            ),
            sum_i32: (
                job("sum-i32.job", &i, DType::I32, JobKind::Sum),
                pool.sum_int(&ints),
            ),
            stats_i32: (
                job("stats-i32.job", &i, DType::I32, JobKind::Stats),
                pool.stats(&ints),
            ),
            dir,
            pool,
            watchdog: Watchdog::new(),
        }
    }

    fn run(&mut self, input: &[u8]) -> bool {
        let flags = input.get(FLAGS).copied().unwrap_or(0);
        let job = match flags & 3 {
            0 => &mut self.stats_f64.0,
            1 => &mut self.sum_f64.0,
            2 => &mut self.sum_i32.0,
            _ => &mut self.stats_i32.0,
        };
        let long = flags & 32 != 0;
        job.set_lease(if long { Job::DEFAULT_LEASE } else { LEASE });
        let job = &*job;
        let forged = forge(job, input);
        self.watchdog.running(true);

        let t = Instant::now();
        let worked = job.work(&self.pool);
        let took = t.elapsed();
        assert!(took < BOUND, "work took {took:?}: {worked:?}");

        let t = Instant::now();
        // Ok(whether the result is the honest one's bits), or the wait's error.
        let waited: Result<bool, Error> = match flags & 3 {
            0 => {
                assert!(job.wait_sum_float::<f64>(WAIT).is_err(), "wrong kind");
                let honest = self.stats_f64.1;
                job.wait_stats::<f64>(WAIT).map(|s| s == honest)
            }
            1 => {
                assert!(job.wait_sum_float::<f32>(WAIT).is_err(), "wrong type");
                let honest = self.sum_f64.1;
                job.wait_sum_float::<f64>(WAIT)
                    .map(|s| s.to_bits() == honest.to_bits())
            }
            2 => {
                assert!(job.wait_sum_int::<u32>(WAIT).is_err(), "wrong type");
                let honest = self.sum_i32.1;
                job.wait_sum_int::<i32>(WAIT).map(|s| s == honest)
            }
            _ => {
                assert!(job.wait_stats::<f32>(WAIT).is_err(), "wrong type");
                let honest = self.stats_i32.1;
                job.wait_stats::<i32>(WAIT).map(|s| s == honest)
            }
        };
        let took = t.elapsed();
        self.watchdog.running(false);
        assert!(took < WAIT + BOUND, "the wait took {took:?}: {waited:?}");

        let forged_completion = forged.count && forged.done_state;
        if let Ok(right) = waited {
            assert!(
                right || forged_completion,
                "a wrong result returned as a success (work: {worked:?})"
            );
        }
        if worked.is_ok() {
            let table = job.table();
            for k in 0..table.chunks() {
                assert!(table.is_done(k), "work returned Ok with chunk {k} not done");
            }
            assert!(
                waited.is_ok(),
                "work returned Ok but the wait failed: {waited:?}"
            );
        }
        if !forged.count {
            assert_eq!(
                worked.is_ok(),
                waited.is_ok(),
                "work and the wait disagree: {worked:?}, {waited:?}"
            );
        }
        matches!(waited, Ok(true))
    }
}

/// What [`forge`] forged that a writer may use to decide the result.
struct Forged {
    /// The done count is not zero.
    count: bool,
    /// Some chunk's state is `DONE`.
    done_state: bool,
}

/// Resets every shared word of `job` to zero (a new job file), then writes the input's words.
fn forge(job: &Job, input: &[u8]) -> Forged {
    let l = job.layout;
    for w in job.atomics::<AtomicU64>(l.done, (l.file_len - l.done) / 8) {
        w.store(0, Relaxed);
    }
    let flags = input.get(FLAGS).copied().unwrap_or(0);
    let table = job.table();
    if flags & 4 != 0 {
        table
            .cursor
            .store(u64::from_le_bytes(bytes(input, CURSOR)), Relaxed);
    }
    let count = if flags & 8 != 0 {
        u32::from_le_bytes(bytes(input, DONE))
    } else {
        0
    };
    table.done.store(count, Relaxed);

    let pid = std::process::id();
    let start = |pid| liveness::start_time(pid).map_or(1, |s| (s as u32).max(1));
    let now = liveness::monotonic_ms();
    // Under a long lease (flag bit 5) every forged lease is expired for the whole input.
    let (older, later) = if job.lease > LEASE {
        (job.lease.as_millis() as u64 + 1, HANG.as_millis() as u64)
    } else {
        (0, 0)
    };
    for i in 0..FORGED_SLOTS {
        let at = SLOTS + i * SLOT_RECORD;
        let [kind] = bytes(input, at);
        let lease = i32::from_le_bytes(bytes(input, at + 1));
        let raw = u64::from_le_bytes(bytes(input, at + 5));
        let word = match kind % 8 {
            0 => 0,
            1 => Job::me(),
            2 => 1,
            3 => 1 | u64::from(start(1)) << 32,
            4 => u64::from(pid) | u64::from(start(pid).wrapping_add(1).max(1)) << 32,
            5 => u64::from(i32::MAX as u32) | 1 << 32,
            _ => raw,
        };
        let lease = match lease {
            0 => 0,
            d if d > 0 => now.saturating_sub(u64::from(d.unsigned_abs()) - 1 + older),
            d => now + u64::from(d.unsigned_abs()) + later,
        };
        job.participant(i as u32).store(word, Relaxed);
        job.lease_word(i as u32).store(lease, Relaxed);
    }
    if flags & 16 != 0 {
        for i in FORGED_SLOTS as u32..job.header.max_participants {
            job.participant(i).store(1, Relaxed);
        }
    }
    let mut done_state = false;
    for (k, state) in table.states.iter().enumerate() {
        let word = u64::from_le_bytes(bytes(input, STATES + k * 8));
        done_state |= matches!(State::decode(word), State::Done { .. });
        state.store(word, Relaxed);
    }
    Forged {
        count: count != 0,
        done_state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CLAIMED` by `owner` at generation `g`, and `DONE` likewise.
    fn claimed(owner: u64, g: u64) -> u64 {
        g << 32 | owner << 2 | 1
    }
    fn done(owner: u64) -> u64 {
        owner << 2 | 3
    }

    fn input(flags: u8, slots: &[(u8, i32)], states: &[u64]) -> Vec<u8> {
        let mut b = vec![0u8; INPUT_LEN];
        b[FLAGS] = flags;
        for (i, &(kind, lease)) in slots.iter().enumerate() {
            let at = SLOTS + i * SLOT_RECORD;
            b[at] = kind;
            b[at + 1..at + 5].copy_from_slice(&lease.to_le_bytes());
        }
        for (k, w) in states.iter().enumerate() {
            b[STATES + k * 8..STATES + k * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    #[test]
    #[cfg_attr(miri, ignore)] // files, mappings, /proc and futexes
    fn honest_and_forged_tables_end_with_the_result_or_an_error() {
        for job in 0..4 {
            // Nothing forged: every job completes with the honest result.
            assert!(fuzz_chunk_table(&[job]));
            assert!(fuzz_chunk_table(&input(job, &[], &[])));
            // Chunks claimed under slot 0 (the worker's own slot: stale) and by slots 1-3: this
            // process with a fresh lease, PID 1 (alive) with an expired one, a dead process.
            let slots = [(0, 0), (1, 1), (2, 1000), (5, 1)];
            let states = [
                claimed(0, 7),
                claimed(1, 0),
                claimed(2, u32::MAX.into()),
                0,
                3 << 2 | 2,
            ];
            assert!(fuzz_chunk_table(&input(job, &slots, &states)));
            // The same under the default lease: every forged lease is expired, the worker's own
            // is not, and its stale claim must be given back all the same.
            let t = Instant::now();
            assert!(fuzz_chunk_table(&input(job | 32, &slots, &states)));
            // A lease 1 ms in the future, of a live owner: from the future, so expired, until
            // its time comes; under the default lease the hook keeps it in the future.
            let slots = [(0, 0), (2, -1)];
            assert!(fuzz_chunk_table(&input(
                job | 32,
                &slots,
                &[claimed(1, 0); 5]
            )));
            assert!(
                t.elapsed() < Duration::from_millis(500),
                "{:?}",
                t.elapsed()
            );
            // A chunk marked done without the count: an error, not a result.
            assert!(!fuzz_chunk_table(&input(job, &[], &[0, done(9)])));
            // Every slot held by a live process: no slot to join.
            assert!(!fuzz_chunk_table(&input(job | 16, &[(2, 0); 4], &[])));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // as above
    fn a_forged_complete_count_is_an_error_not_a_complete_job() {
        // The count says all 5 chunks are done; chunk 0 is claimed by a dead owner (slot 63, free)
        // and the cursor is past the end. `work` computes nothing: it must not report the job
        // complete.
        let mut b = input(4 | 8, &[], &[claimed(63, 0)]);
        b[CURSOR..CURSOR + 8].copy_from_slice(&5u64.to_le_bytes());
        b[DONE..DONE + 4].copy_from_slice(&5u32.to_le_bytes());
        assert!(!fuzz_chunk_table(&b));
        // The same with the cursor left alone: chunks 1-4 are computed, chunk 0 never.
        b[FLAGS] = 8;
        assert!(!fuzz_chunk_table(&b));
    }

    #[test]
    #[cfg_attr(miri, ignore)] // as above
    fn a_forged_count_with_forged_done_chunks_may_decide_the_result() {
        // Chunk 1 forged done (its result slot all zero) and the count forged to count it: the
        // wait reports a result that is not the data's, as the trust model allows; the hook
        // accepts it for this input only.
        let mut b = input(8, &[], &[0, done(9)]);
        b[DONE..DONE + 4].copy_from_slice(&1u32.to_le_bytes());
        assert!(!fuzz_chunk_table(&b));
    }
}
