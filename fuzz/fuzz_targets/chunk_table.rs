//! The chunk table of a cross-process job (`src/job/table.rs`, `members.rs`) holding forged words
//! when a participant arrives, through `shmkern::job::fuzz_chunk_table`: a real job (files,
//! mappings, `/proc`, futexes) whose chunk states, participant slots, leases, cursor and done count
//! are the input's, then `Job::work` and the job's typed wait. Both must end within a second, with
//! the honest result's bits or an error: no panic, no hang, no wrong result returned as a success
//! (beyond what a forged count of forged `DONE` chunks decides; the hook asserts it all).
//!
//! Input: 105 bytes (missing ones are zero: an honest table): flags (the job, which words to
//! forge), the cursor, the done count, four participant slot records (a kind, a lease relative to
//! now, a raw word) and the five chunk state words; see the hook's documentation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shmkern::job::fuzz_chunk_table(data);
});
