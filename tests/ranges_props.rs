//! Property tests of the scheduling types with real threads: every chunk of a [`WorkRanges`] round
//! is claimed exactly once, round after round, whoever joins; stale rounds are refused; and a
//! [`ChunkGrid`] covers its length exactly.
#![cfg(not(shmkern_loom))]

#[path = "common/miri.rs"]
mod miri;

use proptest::prelude::*;
use shmkern::{
    sched::ChunkGrid, sched::Round, sched::WorkRanges, sched::CHUNK_LEN, sched::MAX_CHUNKS,
};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};

/// Chunk counts of a round, and lengths of a grid, in the threaded properties stay below these: a
/// claimed chunk costs milliseconds under Miri.
const MAX_ROUND_CHUNKS: u32 = if cfg!(miri) { 100 } else { 2000 };
const MAX_GRID_LEN: usize = if cfg!(miri) { 200 } else { 4000 };

/// Runs one round of `chunks` chunks on `ranges`: one thread per entry of `prefs` joins with that
/// preferred slot and counts each index it claims in `hits`. A thread that finds every slot taken
/// gets `None` and does nothing. Returns how many threads joined and which slot each joiner got.
///
/// `stale`, if given, is an earlier round: one more thread tries to join it and must be refused.
fn run_round(
    ranges: &WorkRanges,
    chunks: u32,
    prefs: &[usize],
    stale: Option<Round>,
) -> (Round, Vec<AtomicU32>, Vec<Option<usize>>) {
    let round = ranges.open(chunks).expect("no round is open");
    assert_eq!(round.chunks(), chunks);
    assert_eq!(
        round.generation() % 2,
        1,
        "an open round's generation is odd"
    );
    assert!(ranges.open(chunks).is_err(), "a second open must fail");
    let hits: Vec<AtomicU32> = (0..chunks).map(|_| AtomicU32::new(0)).collect();
    let slots = std::thread::scope(|s| {
        if let Some(old) = stale {
            s.spawn(move || {
                assert!(
                    ranges.join(old, 0).is_none(),
                    "a joiner with a stale round got in"
                );
            });
        }
        let threads: Vec<_> = prefs
            .iter()
            .map(|&pref| {
                let hits = &hits;
                s.spawn(move || {
                    let claimer = ranges.join(round, pref)?;
                    let slot = claimer.slot();
                    assert!(slot < ranges.participants());
                    for k in claimer {
                        hits[k as usize].fetch_add(1, Relaxed);
                    }
                    Some(slot)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    ranges.close(round).expect("close the open round");
    (round, hits, slots)
}

/// Each index hit exactly once; the ranges are drained.
fn check_exactly_once(ranges: &WorkRanges, hits: &[AtomicU32]) -> Result<(), TestCaseError> {
    for (k, h) in hits.iter().enumerate() {
        prop_assert_eq!(
            h.load(Relaxed),
            1,
            "chunk {} claimed {} times",
            k,
            h.load(Relaxed)
        );
    }
    prop_assert_eq!(ranges.remaining(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(64)))]

    /// 1–3 consecutive rounds of one `WorkRanges`: every index once per round, whether or not every
    /// thread gets a slot; a joiner with the previous round's ticket is refused.
    #[test]
    fn every_chunk_once_per_round(
        participants in 1usize..=8,
        rounds in prop::collection::vec(
            (0u32..MAX_ROUND_CHUNKS, prop::collection::vec(0usize..16, 1..=8)),
            1..=3,
        ),
    ) {
        let ranges = WorkRanges::new(participants).unwrap();
        prop_assert_eq!(ranges.participants(), participants);
        let mut previous: Option<Round> = None;
        for (chunks, prefs) in &rounds {
            let (round, hits, slots) = run_round(&ranges, *chunks, prefs, previous);
            check_exactly_once(&ranges, &hits)?;
            prop_assert!(
                slots.iter().any(Option::is_some),
                "at least the first thread to arrive finds a free slot"
            );
            if let Some(old) = previous {
                prop_assert!(round.generation() != old.generation());
            }
            // After close: a late joiner holding this round is refused, and close cannot repeat.
            prop_assert!(ranges.join(round, 0).is_none());
            prop_assert!(ranges.close(round).is_err());
            previous = Some(round);
        }
    }

    /// Only some slots' owners ever join (each with its own slot as preferred, so each gets it); the
    /// absent owners' ranges are stolen, and every index is still claimed once.
    #[test]
    fn absent_owners_are_stolen_from(
        (participants, owners) in (1usize..=8).prop_flat_map(|p| {
            (Just(p), prop::sample::subsequence((0..p).collect::<Vec<_>>(), 1..=p))
        }),
        chunks in 0u32..MAX_ROUND_CHUNKS,
        rounds in 1usize..=3,
    ) {
        let ranges = WorkRanges::new(participants).unwrap();
        for _ in 0..rounds {
            let (_, hits, slots) = run_round(&ranges, chunks, &owners, None);
            check_exactly_once(&ranges, &hits)?;
            let expected: Vec<Option<usize>> = owners.iter().copied().map(Some).collect();
            prop_assert_eq!(slots, expected, "each owner gets its own free slot");
        }
    }

    /// The claimed chunks of a `ChunkGrid` cover every element exactly once.
    #[test]
    fn grid_chunks_claimed_cover_elements_once(
        len in 0usize..MAX_GRID_LEN,
        chunk_len in 1usize..=16,
        participants in 1usize..=8,
        threads in 1usize..=8,
    ) {
        let grid = ChunkGrid::with_chunk_len(len, chunk_len).unwrap();
        let ranges = WorkRanges::new(participants).unwrap();
        let elements: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
        let claimed = AtomicUsize::new(0);
        let round = ranges.open(grid.chunks()).unwrap();
        std::thread::scope(|s| {
            for t in 0..threads {
                let (ranges, grid, elements, claimed) = (&ranges, &grid, &elements, &claimed);
                s.spawn(move || {
                    if let Some(claimer) = ranges.join(round, t) {
                        for k in claimer {
                            claimed.fetch_add(1, Relaxed);
                            for e in grid.chunk(k) {
                                elements[e].fetch_add(1, Relaxed);
                            }
                        }
                    }
                });
            }
        });
        ranges.close(round).unwrap();
        prop_assert_eq!(claimed.into_inner(), grid.chunks() as usize);
        for (i, e) in elements.iter().enumerate() {
            prop_assert_eq!(e.load(Relaxed), 1, "element {}", i);
        }
    }
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::default()))]

    /// Chunks cover `0..len` exactly, in order; each has `chunk_len` elements except the last, which
    /// has 1 to `chunk_len`.
    #[test]
    fn grid_covers_len_in_order(len in 0usize..100_000, chunk_len in 1usize..5000) {
        let grid = ChunkGrid::with_chunk_len(len, chunk_len).unwrap();
        prop_assert_eq!(grid.len(), len);
        prop_assert_eq!(grid.is_empty(), len == 0);
        prop_assert_eq!(grid.chunk_len(), chunk_len);
        prop_assert_eq!(grid.chunks() as usize, len.div_ceil(chunk_len));
        let n = grid.chunks();
        let mut next = 0;
        for (k, r) in grid.iter().enumerate() {
            let k = k as u32;
            prop_assert_eq!(r.start, next, "chunk {} does not start where {} ended", k, k.wrapping_sub(1));
            if k + 1 < n {
                prop_assert_eq!(r.len(), chunk_len, "chunk {}", k);
            } else {
                prop_assert!((1..=chunk_len).contains(&r.len()), "last chunk {:?}", r);
            }
            prop_assert_eq!(grid.get(k), Some(r.clone()));
            prop_assert_eq!(grid.chunk(k), r.clone());
            next = r.end;
        }
        prop_assert_eq!(next, len);
        prop_assert_eq!(grid.iter().count(), n as usize);
        prop_assert_eq!(grid.get(n), None);
    }

    /// For any length and chunk length: the grid exists iff it has at most `MAX_CHUNKS` chunks, and
    /// then its first and last chunks bound `0..len` (checked without iterating), even for lengths
    /// within one chunk of `usize::MAX`.
    #[test]
    fn grid_bounds_for_any_size(
        len in prop_oneof![0usize..1 << 20, 0usize..1 << 48, any::<usize>()],
        chunk_len in prop_oneof![1usize..=4, 1usize..1 << 20, 1usize..=usize::MAX],
    ) {
        let expected = len.div_ceil(chunk_len);
        match ChunkGrid::with_chunk_len(len, chunk_len) {
            Ok(grid) => {
                prop_assert!(expected <= MAX_CHUNKS);
                prop_assert_eq!(grid.chunks() as usize, expected);
                if expected > 0 {
                    prop_assert_eq!(grid.chunk(0).start, 0);
                    let last = grid.chunk(grid.chunks() - 1);
                    prop_assert_eq!(last.end, len);
                    prop_assert!((1..=chunk_len).contains(&last.len()));
                }
                prop_assert_eq!(grid.get(grid.chunks()), None);
            }
            Err(e) => {
                prop_assert!(expected > MAX_CHUNKS, "{} / {}: {}", len, chunk_len, e);
            }
        }
    }

    /// The default grid uses `CHUNK_LEN` whatever the length.
    #[test]
    fn default_grid_uses_chunk_len(len in 0usize..8 * CHUNK_LEN) {
        let grid = ChunkGrid::new(len).unwrap();
        prop_assert_eq!(grid, ChunkGrid::with_chunk_len(len, CHUNK_LEN).unwrap());
        prop_assert_eq!(grid.chunks() as usize, len.div_ceil(CHUNK_LEN));
    }
}

/// Regression test: when `len > usize::MAX - chunk_len`, the last chunk's end `start + chunk_len`
/// used to overflow (a panic in debug builds, a wrapped range in release); it now saturates.
#[test]
fn grid_last_chunk_near_usize_max() {
    let chunk_len = usize::MAX / 2 + 1;
    let grid = ChunkGrid::with_chunk_len(usize::MAX, chunk_len).unwrap();
    assert_eq!(grid.chunks(), 2);
    assert_eq!(grid.chunk(0), 0..chunk_len);
    assert_eq!(grid.chunk(1), chunk_len..usize::MAX);
}
