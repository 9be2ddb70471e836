//! `Piece::from_bytes`, the reader of the versioned piece format that partials from other
//! processes, machines or engines arrive in, on arbitrary bytes: no input may panic, and a piece
//! it accepts must write back to exactly the bytes it was read from (the format has one encoding
//! per piece, so nothing accepted was silently reinterpreted).
//!
//! Input: byte 0 holds flags, the rest is the record. Flag bit 0 set: the record's last 8 bytes are
//! replaced by the FNV-1a of the others, so mutations reach the checks behind the checksum. Bit 1
//! picks the partial type read (`[u64; 3]` or `u8`), bit 2 the kernel name asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmkern::sched::Piece;

/// FNV-1a, the format's checksum (`src/sched/wire.rs`), to fix up mutated records.
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn check<P: shmkern::bytemuck::Pod>(record: &[u8], name: &str) {
    if let Ok(piece) = Piece::<P>::from_bytes(record, name) {
        assert!(piece.chunks >= 1 && piece.first.checked_add(piece.chunks).is_some());
        let again = piece.to_bytes(name).expect("an accepted piece writes back");
        assert_eq!(again, record, "an accepted piece writes back to its own bytes");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, record)) = data.split_first() else {
        return;
    };
    let mut record = record.to_vec();
    if flags & 1 != 0 && record.len() >= 8 {
        let body = record.len() - 8;
        let sum = fnv1a(&record[..body]);
        record[body..].copy_from_slice(&sum.to_le_bytes());
    }
    let name = if flags & 4 == 0 { "triple" } else { "t" };
    if flags & 2 == 0 {
        check::<[u64; 3]>(&record, name);
    } else {
        check::<u8>(&record, name);
    }
});
