//! The job file's header validation (`Header::decode`, what `Job::attach` runs on the first 4096
//! bytes of a job file) on arbitrary bytes, through `shmkern::job::fuzz_decode_header`: no input
//! may panic, and an accepted header must keep every promise `attach` relies on (the hook asserts
//! them).
//!
//! Input: byte 0 holds flags, bytes 1..9 a file length (little-endian), the rest is the job file's
//! start. Flag bits 0–2 are the hook's fix-ups (checksum, chunk count, data file length), which
//! let mutations reach the checks behind those; flag bit 3 set: the file length is the one the
//! header implies, else bytes 1..9.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (flags, len, header) = (data[0], &data[1..9], &data[9..]);
    let file_len = (flags & 8 == 0).then(|| u64::from_le_bytes(len.try_into().unwrap()));
    shmkern::job::fuzz_decode_header(header, file_len, flags & 7);
});
