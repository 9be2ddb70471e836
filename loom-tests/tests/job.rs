//! Models: the cross-process job's chunk table (`src/job/table.rs`), with threads standing in for
//! processes.
//!
//! - `job_zombie_cannot_publish`: participant slot 0's process claimed the chunk and was judged
//!   dead; a new process takes slot 0, reclaims the chunk and computes it, while the old process
//!   (a zombie, misjudged or slow) tries to finish its write. Exactly one result is published, it is
//!   the live generation's, and a waiter sleeping on the done count wakes.
//!
//! The twin reclaims without bumping the generation: the zombie's stale claim matches the new one
//! (ABA) and its result gets published. Loom must find that interleaving.
//!
//! - `job_partial_of_three_words_is_read_whole`: a table whose partials are 24 bytes (three
//!   words, as a user kernel's may be; the built-in kinds use ten): a participant publishes chunk
//!   0 while a reader polls the chunk's state (as the helping loop and `result` read it, without
//!   the done count) and, once it says done, reads the three words: it gets all three of the
//!   publisher's, never a mix with the slot's old contents. Twin: `Fault::PublishBeforeWords`
//!   (`publish` stores the words after its Release CAS): the reader can see `DONE` first.
#![cfg(shmkern_loom)]

use loom::sync::atomic::{AtomicU32, AtomicU64};
use loom::sync::Arc;
use loom::thread;
use loom_tests::expect_rejected;
use shmkern::job::table::{ChunkTable, Claim, SLOT_WORDS};
use shmkern::sync::faults::{inject, Fault};
use shmkern::sync::futex;
use std::sync::atomic::Ordering::Relaxed;

/// The shared state of a job with `chunks` chunks.
struct Shared {
    states: Vec<AtomicU64>,
    results: Vec<AtomicU64>,
    done: AtomicU32,
    cursor: AtomicU64,
}

impl Shared {
    fn new(chunks: usize) -> Arc<Shared> {
        Self::with_slot_words(chunks, SLOT_WORDS)
    }
    fn with_slot_words(chunks: usize, slot_words: usize) -> Arc<Shared> {
        Arc::new(Shared {
            states: (0..chunks).map(|_| AtomicU64::new(0)).collect(),
            results: (0..chunks * 2 * slot_words)
                .map(|_| AtomicU64::new(0))
                .collect(),
            done: AtomicU32::new(0),
            cursor: AtomicU64::new(0),
        })
    }
    fn table(&self) -> ChunkTable<'_> {
        ChunkTable {
            states: &self.states,
            results: &self.results,
            done: &self.done,
            cursor: &self.cursor,
            slot_words: self.results.len() / (2 * self.states.len()),
        }
    }
}

/// The result words participant `who` computes for chunk `k` (tagged, so a reader can tell whose
/// result was published).
fn words(k: usize, who: u64) -> [u64; SLOT_WORDS] {
    let mut w = [0u64; SLOT_WORDS];
    w[0] = k as u64;
    w[1] = who;
    w
}

/// Waits (futex, no timeout) until `n` chunks are published.
fn wait_done(s: &Shared, n: u32) {
    loop {
        let seen = s.table().done_count();
        if seen >= n {
            return;
        }
        futex::wait(&s.done, seen, None);
    }
}

fn zombie_model() {
    let s = Shared::new(1);
    // Participant 0 (the old process) claimed chunk 0 at generation 0, then was judged dead.
    let stale = s.table().try_claim(0, 0).unwrap();
    assert_eq!(
        stale,
        Claim {
            chunk: 0,
            generation: 0
        }
    );

    let zombie = {
        let s = s.clone();
        thread::spawn(move || {
            let t = s.table();
            if t.begin_write(stale, 0) {
                t.publish(stale, 0, &words(0, 666));
            }
        })
    };
    let newcomer = {
        let s = s.clone();
        thread::spawn(move || {
            let t = s.table();
            // The new process in slot 0 reclaims the dead owner's chunk (the join path), then
            // claims and computes it.
            t.reclaim(0, |o| o == 0);
            if let Some(c) = t.try_claim(0, 0) {
                // Nobody judges the newcomer dead, so its claim must hold.
                assert!(t.begin_write(c, 0), "a zombie stole the live claim");
                assert!(
                    t.publish(c, 0, &words(0, 1)),
                    "the live claim lost its publish"
                );
            }
        })
    };
    wait_done(&s, 1);
    zombie.join().unwrap();
    newcomer.join().unwrap();
    let t = s.table();
    assert_eq!(t.done_count(), 1, "published more than once");
    // Either the zombie finished before the reclaim (its result is valid) or the newcomer's is.
    let r = t.result(0).expect("chunk 0 done");
    assert!(r[1] == 1 || r[1] == 666);
}

#[test]
fn job_zombie_cannot_publish() {
    loom::model(zombie_model);
}

/// Twin: reclaim keeps the generation, so the zombie's `CLAIMED(0, 0)` comes back (ABA).
#[test]
fn twin_job_reclaim_without_generation_bump_is_rejected() {
    expect_rejected(
        "twin_job_reclaim_without_generation_bump_is_rejected",
        &[
            "a zombie stole the live claim",
            "the live claim lost its publish",
            "published more than once",
        ],
        || {
            let _bug = inject(Fault::ReclaimKeepsGeneration);
            loom::model(zombie_model);
        },
    );
}

/// A three-word partial published while a reader polls the chunk's state.
fn three_word_model() {
    const PARTIAL: [u64; 3] = [0x1111, 0x2222, 0x3333];
    let s = Shared::with_slot_words(1, 3);
    let writer = {
        let s = s.clone();
        thread::spawn(move || {
            let t = s.table();
            let c = t.try_claim(0, 0).expect("the only participant claims");
            assert!(t.begin_write(c, 0));
            assert!(t.publish(c, 0, &PARTIAL));
        })
    };
    let t = s.table();
    let got = loop {
        if let Some(r) = t.result(0) {
            break r;
        }
        thread::yield_now();
    };
    assert_eq!(
        got, PARTIAL,
        "a torn partial: some words are not the publisher's"
    );
    writer.join().unwrap();
    assert_eq!(t.done_count(), 1);
    assert_eq!(
        s.cursor.load(Relaxed),
        0,
        "try_claim does not move the cursor"
    );
}

#[test]
fn job_partial_of_three_words_is_read_whole() {
    loom::model(three_word_model);
}

/// Twin: the words are stored after the Release CAS that marks the chunk done.
#[test]
fn twin_job_publish_before_words_is_rejected() {
    expect_rejected(
        "twin_job_publish_before_words_is_rejected",
        &["a torn partial"],
        || {
            let _bug = inject(Fault::PublishBeforeWords);
            loom::model(three_word_model);
        },
    );
}
