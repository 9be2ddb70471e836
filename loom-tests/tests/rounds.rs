//! Model: round reuse. A participant holding round 1's ticket may arrive at any time — during round
//! 1, between rounds, or during round 2. It must never claim into round 2, and `close` must not return
//! while it is still working on round 1.
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, DEADLOCK, RACE};
use shmkern::sched::WorkRanges;
use shmkern::sync::faults::{inject, Fault};

const CHUNKS: u32 = 2;

fn reuse() {
    let ranges = Arc::new(WorkRanges::new(2).unwrap());
    // hits[r][k]: how often chunk k of round r+1 was processed, by whoever believed it was round r+1.
    let hits: Arc<[Vec<UnsafeCell<u32>>; 2]> =
        Arc::new([0, 1].map(|_| (0..CHUNKS).map(|_| UnsafeCell::new(0)).collect()));
    let work = |ranges: &WorkRanges, hits: &[Vec<UnsafeCell<u32>>; 2], r: usize, round, me| {
        if let Some(claimer) = ranges.join(round, me) {
            for k in claimer {
                // SAFETY: `WorkRanges` hands chunk `k` of a round to one claimer only, even to a
                // late participant of an old round — the claim under test; loom fails the model on
                // an overlapping access
                hits[r][k as usize].with_mut(|p| unsafe { *p += 1 });
            }
        }
    };
    let round1 = ranges.open(CHUNKS).unwrap();
    let late = {
        let (ranges, hits) = (ranges.clone(), hits.clone());
        thread::spawn(move || work(&ranges, &hits, 0, round1, 1))
    };
    // The owner drains round 1 itself (stealing from the late participant's slot), closes it,
    // and runs round 2 on the same counters.
    work(&ranges, &hits, 0, round1, 0);
    ranges.close(round1).unwrap();
    let round2 = ranges.open(CHUNKS).unwrap();
    work(&ranges, &hits, 1, round2, 0);
    ranges.close(round2).unwrap();
    late.join().unwrap();
    for (r, round) in hits.iter().enumerate() {
        for (k, h) in round.iter().enumerate() {
            assert_eq!(
                // SAFETY: every thread has been joined: nothing else accesses the cells
                h.with(|p| unsafe { *p }),
                1,
                "round {} chunk {k} processed a wrong number of times",
                r + 1
            );
        }
    }
}

#[test]
fn rounds_reuse_is_safe() {
    loom::model(reuse);
}

/// Twin: a join that skips the generation check lets the late participant claim round 2's chunks
/// as if they were round 1's.
#[test]
fn twin_join_without_generation_is_rejected() {
    expect_rejected(
        "twin_join_without_generation_is_rejected",
        &[RACE, "processed a wrong number of times"],
        || {
            let _bug = inject(Fault::JoinSkipsGeneration);
            loom::model(reuse);
        },
    );
}

/// Twin: the last participant to leave does not wake an owner asleep in `close` (it sees the
/// `CLOSER_ASLEEP` flag and ignores it): the owner sleeps forever.
#[test]
fn twin_leave_without_wake_is_rejected() {
    expect_rejected("twin_leave_without_wake_is_rejected", &[DEADLOCK], || {
        let _bug = inject(Fault::LeaveSkipsWake);
        loom::model(reuse);
    });
}
