//! Models: work-stealing chunk ranges. Owners claim from the front of their ranges while thieves
//! steal back halves; every chunk must be claimed exactly once. One loom `UnsafeCell` per chunk, so a
//! double claim is a reported race (or, if the two claims are ordered, a count of 2).
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, RACE};
use shmkern::sched::WorkRanges;
use shmkern::sync::faults::{inject, Fault};

/// `slots` range slots over `chunks` chunks; `joiners` threads join slots `0..joiners` (slots past
/// that have no owner and are only stolen from).
fn exactly_once(slots: usize, joiners: usize, chunks: u32) {
    let ranges = Arc::new(WorkRanges::new(slots).unwrap());
    let hits: Arc<Vec<UnsafeCell<u32>>> =
        Arc::new((0..chunks).map(|_| UnsafeCell::new(0)).collect());
    let round = ranges.open(chunks).unwrap();
    let threads: Vec<_> = (0..joiners)
        .map(|me| {
            let (ranges, hits) = (ranges.clone(), hits.clone());
            thread::spawn(move || {
                let claimer = ranges.join(round, me).expect("a free slot");
                for k in claimer {
                    // SAFETY: `WorkRanges` hands chunk `k` to one claimer only — the claim under
                    // test; loom's cell tracking fails the model on an overlapping access
                    hits[k as usize].with_mut(|p| unsafe { *p += 1 });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    ranges.close(round).unwrap();
    for (k, h) in hits.iter().enumerate() {
        assert_eq!(
            // SAFETY: every claimer thread has been joined and the round closed: nothing else
            // accesses the cells
            h.with(|p| unsafe { *p }),
            1,
            "chunk {k} claimed a wrong number of times"
        );
    }
}

/// Two owners; the faster one steals from the other's range while it claims.
#[test]
fn ranges_owner_vs_thief() {
    loom::model(|| exactly_once(2, 2, 3));
}

/// Two thieves race for an unowned range.
#[test]
fn ranges_thief_vs_thief() {
    loom::model(|| exactly_once(3, 2, 3));
}

/// Twin: a steal that shrinks the victim with a plain store instead of a CAS double-claims.
#[test]
fn twin_steal_with_plain_store_is_rejected() {
    expect_rejected(
        "twin_steal_with_plain_store_is_rejected",
        &[RACE, "claimed a wrong number of times"],
        || {
            let _bug = inject(Fault::StealPlainStore);
            loom::model(|| exactly_once(2, 2, 3));
        },
    );
}
