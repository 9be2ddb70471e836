//! Shared by the kernel property tests: pools of 1..=8 participants and the lengths around the
//! summation tree's edges.

use proptest::prelude::*;
use shmkern::{sched::BLOCK_LEN, sched::CHUNK_LEN, Pool};
use std::sync::OnceLock;

/// Pools of 1..=8 participants, built once (building pools per case would dominate the runtime).
pub fn pools() -> &'static [Pool] {
    static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        (1..=8)
            .map(|t| Pool::builder().threads(t).build().unwrap())
            .collect()
    })
}

/// Lengths around the tree's edges: 0, 1, B−1, B, B+1, one chunk ± 1, several chunks + a tail.
///
/// Under Miri only lengths below 1000: one chunk takes seconds there, and the oracle on it minutes.
/// (The pool's multi-chunk path runs under Miri in `tests/pool.rs`, with short chunks.)
pub fn edge_len() -> impl Strategy<Value = usize> {
    if cfg!(miri) {
        return prop_oneof![
            Just(0usize),
            Just(1),
            Just(BLOCK_LEN - 1),
            Just(BLOCK_LEN),
            Just(BLOCK_LEN + 1),
            0usize..1000,
        ]
        .boxed();
    }
    prop_oneof![
        Just(0usize),
        Just(1),
        Just(BLOCK_LEN - 1),
        Just(BLOCK_LEN),
        Just(BLOCK_LEN + 1),
        Just(CHUNK_LEN - 1),
        Just(CHUNK_LEN),
        Just(CHUNK_LEN + 1),
        (2usize..5).prop_flat_map(|c| (0usize..CHUNK_LEN).prop_map(move |t| c * CHUNK_LEN + t)),
        0usize..3000,
    ]
    .boxed()
}
