//! The `.npy` header parser (`NpyHeader::parse`, what `SharedBuffer::open_npy`, `npy::read_header`
//! and `Job::create` run on a file's first bytes) on arbitrary bytes: no input may panic, and an
//! accepted header must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmkern::buffer::npy::NpyHeader;

fuzz_target!(|data: &[u8]| {
    let Ok(h) = NpyHeader::parse(data) else {
        return;
    };
    // The header ends inside the input, after the magic, the version and the length field.
    let end = usize::try_from(h.data_offset).unwrap();
    assert!((10..=data.len()).contains(&end), "data offset {end}");
    // Only the header's bytes decide the result: the data after it does not.
    assert_eq!(NpyHeader::parse(&data[..end]).as_ref(), Ok(&h));
    // The element count cannot overflow (the parser rejects shapes whose product does).
    let count = h.count();
    // What the writer makes of (dtype, count) parses back to the same.
    let again = NpyHeader::parse(&NpyHeader::encode(h.dtype, count)).unwrap();
    assert_eq!((again.dtype, again.count()), (h.dtype, count));
});
