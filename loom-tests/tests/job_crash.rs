//! Models: a cross-process job (`src/job/table.rs`, driven by `Job::join` and `Job::work`'s own
//! code in `src/job/members.rs`, and read the way `Job::wait_stats` in `src/job/mod.rs` reads it)
//! in which a participant crashes after claiming a chunk, with threads standing in for processes:
//!
//! - `job_crash_after_claim_survivor_takes_over`, `job_crash_mid_write_survivor_takes_over`: the
//!   **crasher** (participant slot 1) claims the chunk with `claim_next` and stops for good, right
//!   after the claim or halfway through its result's word stores (after `begin_write`); it never
//!   touches the job again. The **survivor** (slot 0) runs `Job::work`'s phases:
//!   `members::claim_runs` until the cursor has passed the end, then `members::help` (reclaim
//!   the chunks of dead owners, claim and compute what is unclaimed, wait on the done count with
//!   a timeout when that made no progress) until every chunk is published. The **waiter** (the model's main thread) runs `wait_stats`' loop,
//!   sleeping on the done count until it says every chunk is published, then reads every result.
//! - `job_crash_slot_reused`: after the crash (set up before the threads start) a **newcomer**
//!   process (a supervisor restarting the crashed one, say) joins as `Job::join` does — it gives
//!   back the dead process's chunks and takes over its slot 1 — and works, while the survivor's
//!   helping loop judges slot 1 dead and reclaims: the verdict and the takeover race.
//! - `job_lease_stopped_for_good`, `job_lease_expired_takeover`: a participant that is alive but
//!   stalled (SIGSTOP) holds the one chunk, and its lease has expired in the survivor's eyes
//!   (`Members::expired`, which `Job` answers from the slot's renewal time). Stopped for good, only
//!   the expiry lets the survivor reclaim and finish; resumed, its late write races with the
//!   takeover and the chunk is still published exactly once, with the chunk's words.
//!
//! Each model checks: every chunk is published exactly once (`DONE` is final, so every chunk done
//! plus a done count equal to the chunk count once everyone finished means once each); the result
//! read after the count says done carries the tag of the claim that published it (chunk, owner,
//! generation), never the crasher's partial words; a live participant never loses a claim (its
//! `begin_write` and `publish` succeed); and the waiter wakes — its futex wait has no timeout
//! here (stronger than `wait_stats`), so a lost wake-up is a loom deadlock.
//!
//! What is modelled, and how:
//!
//! - **Death.** The liveness verdict (`Members::owner_dead`) reads the slot's word and asks
//!   `Members::alive`; `Job`'s word is `pid | start time` and its `alive` asks `/proc` whether
//!   that process still exists. Here the slot word holds a model PID and `alive[pid]` is what
//!   `/proc` answers: only `Members::alive` is the model's own. The crasher's thread clears its
//!   flag (`Release`) as its very last step: a process is seen dead only once it is gone, and whoever
//!   sees it gone (`Acquire`) sees everything it did (its exit is ordered before a `/proc` lookup
//!   that misses it). Nothing else about the crash is announced: nobody wakes `done`.
//! - **The helping loop's timed wait** (`members::help`'s `futex::wait(done, seen, Some(POLL))`,
//!   the production loop itself). The survivor notices a crash only because that wait times out
//!   and it polls liveness again. loom cannot let time pass, so the futex runs in
//!   `Mode::TimeoutsExpire` (a timed wait whose value matches returns `TimedOut` at once), and the
//!   hook `help` calls before each sleep (where `Job` renews its lease) is
//!   `loom::thread::yield_now()`, loom's rule for polling loops: the poller runs again only after
//!   another thread made progress, which keeps the exploration finite. Ending the wait at once covers whatever a real
//!   timeout or wake-up can do (either just ends the sleep at some point, and the loop re-checks
//!   everything), so nothing is assumed about *when* the timeout fires.
//! - **State space.** One chunk (with the cursor, so `claim_next`'s race is in), two participant
//!   slots. Every model runs EXHAUSTIVELY (no preemption bound): about 10 s for the whole file in
//!   `--release` on a 2-core machine (after-claim 1 s, mid-write 4 s, slot reuse 5 s, the
//!   twins are rejected in well under a second). `job_crash_slot_reused` runs the newcomer on the
//!   main thread and has no separate sleeping waiter (the crash models check the wake-up): with
//!   that third spawned thread loom had not finished after 10 minutes.
//!
//! Broken twins (each must be rejected by loom, run through `expect_rejected`):
//!
//! - `twin_job_crash_reclaim_without_generation_bump_is_rejected`: `reclaim` keeps the
//!   generation. The newcomer's join gives the crasher's chunk back as `UNCLAIMED(0)` and claims it
//!   again as `CLAIMED(1, 0)` — the very word the crasher's claim had — so the survivor's reclaim,
//!   which loaded the crasher's `CLAIMED(1, 0)` and judged slot 1 dead before the takeover, now
//!   succeeds against the newcomer's live claim (ABA): a live participant loses its claim. With
//!   the bump the newcomer's claim is `CLAIMED(1, 1)` and the stale CAS fails.
//! - `twin_job_crash_join_keeps_dead_claims_is_rejected`: `Members::join` takes the dead slot
//!   without giving its chunks back (`Fault::JoinKeepsDeadClaims`). The crasher's `CLAIMED(1, 0)`
//!   then names the live newcomer: the survivor never judges it dead, nobody can claim it, and
//!   both helping loops poll forever — loom's branch limit (a livelock).
//! - `twin_job_lease_expiry_ignored_is_rejected`: `Members::owner_dead` ignores an expired lease
//!   (`Fault::LeaseExpiryIgnored`): the stalled participant's claim is never given back, and the
//!   survivor polls forever (a livelock).
//! - `twin_job_crash_helper_without_timeout_is_rejected`: the helping loop's wait has no timeout
//!   (`Fault::HelperWaitsUntimed`, in `members::help`). A survivor that went to sleep while the crasher was
//!   still alive is never woken — nobody publishes again — and loom reports the deadlock. This is
//!   why `Job::work` polls.
#![cfg(shmkern_loom)]

use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, DEADLOCK, LIVELOCK};
use shmkern::job::members::{self, Members};
use shmkern::job::table::{ChunkTable, Claim, State, SLOT_WORDS};
use shmkern::sync::faults::{inject, Fault};
use shmkern::sync::futex::{
    self,
    model::{set_mode, Mode},
};

/// `Job::work`'s run of chunks reserved at a time (the models have one chunk).
const RUN: usize = 16;

/// Participant slots: the survivor's and the crasher's (then the newcomer's).
const SURVIVOR_SLOT: u32 = 0;
const CRASHER_SLOT: u32 = 1;
const SLOTS: usize = 2;

/// Model PIDs (index into `Shared::alive`; 0 is "no process", as a 0 slot word means free).
const SURVIVOR_PID: u64 = 1;
const CRASHER_PID: u64 = 2;
const NEWCOMER_PID: u64 = 3;

/// Where the crasher stops.
#[derive(Clone, Copy)]
enum Crash {
    /// Right after its claim CAS succeeded: the chunk stays `CLAIMED(1, g)`.
    AfterClaim,
    /// After `begin_write`, halfway through its result's word stores: `WRITING(1, g)`, and half of
    /// slot `g % 2` holds its (tagged) words.
    MidWrite,
}

/// The job's shared state with `chunks` chunks, plus the participants table and what `/proc` says.
struct Shared {
    states: Vec<AtomicU64>,
    results: Vec<AtomicU64>,
    done: AtomicU32,
    cursor: AtomicU64,
    /// Participant slot `i`'s word: the PID of the process in it (0: free).
    slots: Vec<AtomicU64>,
    /// Whether PID `i` still exists (what `/proc` answers).
    alive: Vec<AtomicBool>,
    /// Whether slot `i`'s lease has expired in the survivor's eyes (`Job` compares the slot's
    /// renewal time with its clock; here the verdict is given).
    expired: Vec<AtomicBool>,
}

impl Shared {
    fn new(chunks: usize) -> Arc<Shared> {
        Arc::new(Shared {
            states: (0..chunks).map(|_| AtomicU64::new(0)).collect(),
            results: (0..chunks * 2 * SLOT_WORDS)
                .map(|_| AtomicU64::new(0))
                .collect(),
            done: AtomicU32::new(0),
            cursor: AtomicU64::new(0),
            slots: [SURVIVOR_PID, CRASHER_PID]
                .into_iter()
                .map(AtomicU64::new)
                .collect(),
            alive: (0..=NEWCOMER_PID)
                .map(|pid| AtomicBool::new(pid != 0))
                .collect(),
            expired: (0..SLOTS).map(|_| AtomicBool::new(false)).collect(),
        })
    }

    fn table(&self) -> ChunkTable<'_> {
        ChunkTable {
            states: &self.states,
            results: &self.results,
            done: &self.done,
            cursor: &self.cursor,
            slot_words: SLOT_WORDS,
        }
    }

    fn pid_alive(&self, pid: u64) -> bool {
        // Acquire: whoever sees a process gone sees everything it did (see the module docs).
        self.alive
            .get(pid as usize)
            .is_some_and(|a| a.load(Ordering::Acquire))
    }
}

/// The model's participant slots: `Job`'s protocol (`members.rs`, shared with `Job`) on model
/// PIDs, liveness what `alive` says.
impl Members for Shared {
    fn count(&self) -> u32 {
        SLOTS as u32
    }
    fn slot(&self, i: u32) -> &AtomicU64 {
        &self.slots[i as usize]
    }
    fn alive(&self, word: u64) -> bool {
        self.pid_alive(word)
    }
    fn expired(&self, i: u32) -> bool {
        self.expired[i as usize].load(Ordering::Relaxed)
    }
}

/// The result words process `pid` computes for claim `c` in slot `p`: tagged with the claim, so
/// a reader can tell whose result it got.
fn words(c: Claim, p: u32, pid: u64) -> [u64; SLOT_WORDS] {
    let mut w = [0u64; SLOT_WORDS];
    w[0] = c.chunk as u64;
    w[1] = pid;
    w[2] = u64::from(p);
    w[3] = u64::from(c.generation);
    w
}

/// `Job::compute` for a live participant: nobody may judge it dead, so its claim must hold.
fn compute(s: &Shared, c: Claim, p: u32, pid: u64) {
    let t = s.table();
    assert!(t.begin_write(c, p), "a live claim was stolen");
    assert!(
        t.publish(c, p, &words(c, p, pid)),
        "a live claim lost its publish"
    );
}

/// `Job::work` after the join, through the same functions (`members::claim_runs` on one thread,
/// then `members::help`, whose timed wait on the done count ends at once here: module docs).
fn work(s: &Shared, p: u32, pid: u64) {
    let t = s.table();
    let compute = |c| {
        compute(s, c, p, pid);
        true
    };
    members::claim_runs(&t, p, RUN, compute);
    members::help(&t, p, |o| s.owner_dead(o), compute, poll_yield);
}

/// What `members::help` calls before each sleep (where `Job` renews its lease): here loom's rule for
/// polling loops, `yield_now` — the poller runs again only after another thread made progress.
fn poll_yield() {
    thread::yield_now();
}

/// The crasher: claims one chunk, stops for good at `at`, and is gone.
fn crash(s: &Shared, at: Crash) {
    let t = s.table();
    if let Some(c) = t.claim_next(CRASHER_SLOT) {
        if let Crash::MidWrite = at {
            if t.begin_write(c, CRASHER_SLOT) {
                // `publish`'s word stores into slot `g % 2`, cut off halfway.
                let w = words(c, CRASHER_SLOT, CRASHER_PID);
                let start = (c.chunk * 2 + (c.generation % 2) as usize) * SLOT_WORDS;
                for (slot, &v) in s.results[start..].iter().zip(&w[..SLOT_WORDS / 2]) {
                    slot.store(v, Ordering::Relaxed);
                }
            }
        }
    }
    // The process is gone: from now on `/proc` says so.
    s.alive[CRASHER_PID as usize].store(false, Ordering::Release);
}

/// `wait_stats`' loop without the timeout, then its reads: every chunk done, each with the words of
/// the claim that published it.
fn wait_and_check(s: &Shared) {
    let t = s.table();
    loop {
        let seen = t.done_count();
        if seen as usize >= t.chunks() {
            break;
        }
        futex::wait(&s.done, seen, None);
    }
    for k in 0..t.chunks() {
        let State::Done { owner, generation } = State::decode(s.states[k].load(Ordering::Acquire))
        else {
            panic!("chunk {k} is not done although the count says so");
        };
        let r = t.result(k).expect("done");
        assert_ne!(r[1], CRASHER_PID, "the crashed process's words were read");
        assert_eq!(
            (r[0], r[2], r[3]),
            (k as u64, u64::from(owner), u64::from(generation)),
            "the result is not the publishing claim's"
        );
    }
}

/// The crash itself: the crasher claims and stops at `at` while the survivor works and the waiter
/// waits. One chunk (and the cursor): whoever reaches it first claims it; if the survivor does, the
/// crasher stops with nothing claimed.
fn crash_model(at: Crash) {
    let s = Shared::new(1);
    let survivor = {
        let s = s.clone();
        thread::spawn(move || work(&s, SURVIVOR_SLOT, SURVIVOR_PID))
    };
    let crasher = {
        let s = s.clone();
        thread::spawn(move || crash(&s, at))
    };
    wait_and_check(&s);
    survivor.join().unwrap();
    crasher.join().unwrap();
    assert_eq!(s.table().done_count(), 1, "published more than once");
}

/// After the crash: the crasher claimed the one chunk and is gone (set up before the threads
/// start). The survivor works; a newcomer (the model's main thread) joins, taking over the dead
/// slot, works, and then reads the results as `wait_stats` would.
fn slot_reuse_model() {
    let s = Shared::new(1);
    let stale = s
        .table()
        .claim_next(CRASHER_SLOT)
        .expect("the crasher's claim");
    assert_eq!(stale.generation, 0);
    s.alive[CRASHER_PID as usize].store(false, Ordering::Release);
    let survivor = {
        let s = s.clone();
        thread::spawn(move || work(&s, SURVIVOR_SLOT, SURVIVOR_PID))
    };
    let p = s
        .join(&s.table(), NEWCOMER_PID)
        .expect("a slot for the newcomer");
    assert_eq!(p, CRASHER_SLOT, "the newcomer must take over the dead slot");
    work(&s, p, NEWCOMER_PID);
    // `work` returned: every chunk is published, so this does not sleep.
    wait_and_check(&s);
    survivor.join().unwrap();
    assert_eq!(s.table().done_count(), 1, "published more than once");
}

/// A lease expires while its holder is alive: the stalled process (slot 1, alive) claimed the one
/// chunk before the threads start, and in the survivor's eyes its lease has expired, so the
/// survivor's helping loop gives the chunk back and runs it. If `resumes`, the stalled process
/// comes back and its stalled thread tries to write its old claim, racing with the takeover. (A
/// second thread of the stalled process claiming the chunk again as well made the state space too
/// large to explore exhaustively.) Every writer of a
/// chunk writes the same words (the kernels are deterministic and the data file is checked), so
/// what is checked is that the chunk is published exactly once, with those words, and that the
/// job completes — with the stalled process gone for good too (`resumes` false), where only the
/// lease lets anyone finish.
fn lease_model(resumes: bool) {
    let s = Shared::new(1);
    s.expired[CRASHER_SLOT as usize].store(true, Ordering::Relaxed);
    let stale = s
        .table()
        .claim_next(CRASHER_SLOT)
        .expect("the stalled thread's claim");
    // The chunk's one true result, whoever computes it.
    let value = |c: Claim| words(Claim { generation: 0, ..c }, 0, 0);
    let stalled = resumes.then(|| {
        let s = s.clone();
        thread::spawn(move || {
            let t = s.table();
            if t.begin_write(stale, CRASHER_SLOT) {
                t.publish(stale, CRASHER_SLOT, &value(stale));
            }
        })
    });
    let survivor = {
        let s = s.clone();
        thread::spawn(move || {
            let t = s.table();
            let compute = |c: Claim| {
                assert!(t.begin_write(c, SURVIVOR_SLOT), "a live claim was stolen");
                assert!(
                    t.publish(c, SURVIVOR_SLOT, &value(c)),
                    "a live claim lost its publish"
                );
                true
            };
            members::claim_runs(&t, SURVIVOR_SLOT, RUN, compute);
            members::help(&t, SURVIVOR_SLOT, |o| s.owner_dead(o), compute, poll_yield);
        })
    };
    let t = s.table();
    if let Some(stalled) = stalled {
        stalled.join().unwrap();
    }
    survivor.join().unwrap();
    assert_eq!(t.done_count(), 1, "published more than once, or never");
    assert_eq!(
        t.result(0),
        Some(value(stale).to_vec()),
        "the result is not the chunk's"
    );
}

/// Restores the faithful futex mock when a test ends, even by panic.
struct ModeGuard;
impl Drop for ModeGuard {
    fn drop(&mut self) {
        set_mode(Mode::Faithful);
    }
}
fn timeouts_expire() -> ModeGuard {
    set_mode(Mode::TimeoutsExpire);
    ModeGuard
}

/// The crasher stops right after its claim; the survivor reclaims the `CLAIMED` chunk.
#[test]
fn job_crash_after_claim_survivor_takes_over() {
    let _m = timeouts_expire();
    loom::model(|| crash_model(Crash::AfterClaim));
}

/// The crasher dies halfway through writing its result; the survivor reclaims the `WRITING` chunk
/// and publishes into the other slot.
#[test]
fn job_crash_mid_write_survivor_takes_over() {
    let _m = timeouts_expire();
    loom::model(|| crash_model(Crash::MidWrite));
}

/// After the crash a newcomer takes over the crashed process's slot, racing with the survivor's
/// reclaim.
#[test]
fn job_crash_slot_reused() {
    let _m = timeouts_expire();
    loom::model(slot_reuse_model);
}

/// A participant whose lease expired while it was alive (stopped, then resumed) loses its claim
/// to the survivor's takeover; its late writes change nothing.
#[test]
fn job_lease_expired_takeover() {
    let _m = timeouts_expire();
    loom::model(|| lease_model(true));
}

/// A participant stopped for good while alive: only its lease's expiry lets the survivor finish.
#[test]
fn job_lease_stopped_for_good() {
    let _m = timeouts_expire();
    loom::model(|| lease_model(false));
}

/// Twin: the liveness verdict ignores expired leases (`Fault::LeaseExpiryIgnored`), so the claim
/// of a participant stopped for good is never given back: the survivor polls forever.
#[test]
fn twin_job_lease_expiry_ignored_is_rejected() {
    expect_rejected(
        "twin_job_lease_expiry_ignored_is_rejected",
        &[LIVELOCK],
        || {
            let _m = timeouts_expire();
            let _bug = inject(Fault::LeaseExpiryIgnored);
            loom::model(|| lease_model(false));
        },
    );
}

/// Twin: reclaim keeps the generation, so the survivor's stale reclaim of the crasher's
/// `CLAIMED(1, 0)` hits the newcomer's identical live claim (ABA).
#[test]
fn twin_job_crash_reclaim_without_generation_bump_is_rejected() {
    expect_rejected(
        "twin_job_crash_reclaim_without_generation_bump_is_rejected",
        &["a live claim was stolen", "a live claim lost its publish"],
        || {
            let _m = timeouts_expire();
            let _bug = inject(Fault::ReclaimKeepsGeneration);
            loom::model(slot_reuse_model);
        },
    );
}

/// Twin: the helping loop's wait has no timeout (`Fault::HelperWaitsUntimed` in
/// `members::help`), so a survivor asleep before the crash is never woken: nobody wakes the done
/// count when a process dies.
#[test]
fn twin_job_crash_helper_without_timeout_is_rejected() {
    expect_rejected(
        "twin_job_crash_helper_without_timeout_is_rejected",
        &[DEADLOCK],
        || {
            let _m = timeouts_expire();
            let _bug = inject(Fault::HelperWaitsUntimed);
            loom::model(|| crash_model(Crash::AfterClaim));
        },
    );
}

/// Twin: the newcomer takes the dead slot without giving its chunks back first, so the crasher's
/// `CLAIMED(1, 0)` now names a live participant: nobody reclaims it, nobody may claim it, and
/// the job never completes. Both helping loops poll on (the timed waits expire), so loom reports a
/// livelock rather than a deadlock.
#[test]
fn twin_job_crash_join_keeps_dead_claims_is_rejected() {
    expect_rejected(
        "twin_job_crash_join_keeps_dead_claims_is_rejected",
        &[LIVELOCK],
        || {
            let _m = timeouts_expire();
            let _bug = inject(Fault::JoinKeepsDeadClaims);
            loom::model(slot_reuse_model);
        },
    );
}
