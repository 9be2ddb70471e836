//! The job file: a fixed header, then the shared atomics, at offsets computed from the header.
//!
//! ```text
//! 0      header (4096 bytes, written once before the file is published; read with read(2))
//! 4096   done: u32 (futex word: chunks published)   | own cache line
//! 4160   cursor: u64 (next never-claimed chunk)      | own cache line
//! 4224   participants: max_participants × 64 bytes   (a u64 `pid | start_time << 32`, 0 = free;
//!                                                     then a u64 lease: when the participant last
//!                                                     showed progress, monotonic ms; the rest of
//!                                                     each 64-byte line unused)
//! …      chunk states: chunks × u64                  (64-byte aligned)
//! …      results: chunks × 2 slots × partial_words × 8 bytes (64-byte aligned)
//! ```
//!
//! The header names the kernel the job runs (a name of at most [`NAME_CAP`] bytes, its parameters,
//! at most [`PARAMS_CAP`] bytes, and the size of its partial in 8-byte words): a participant runs
//! the kernel its registry has under that name for the data's element type, or refuses the job.
//!
//! All integers little-endian. The header is never read through the mapping: `attach` reads it
//! with `read(2)` into a local buffer and validates every field, so a process that scribbles on
//! the header later cannot change what the others believe about sizes and offsets.
//!
//! Liveness is the PID plus the process's start time (`liveness.rs`), not a heartbeat: a
//! participant that is alive but stuck keeps its chunks, and a heartbeat lease could not tell it
//! from a slow one either without recomputing chunks that are merely slow.

use crate::buffer::DType;
use crate::sched::{fnv1a, CHUNK_LEN, MAX_CHUNKS};

pub(crate) const MAGIC: [u8; 8] = *b"SHMKJOB\0";
/// 2: the header records the data file's identity ([`DataIdentity`]). 3: it names the kernel
/// (name, parameters, partial size) instead of a kind code.
pub(crate) const VERSION: u32 = 3;
pub(crate) const HEADER_LEN: usize = 4096;
/// Bytes of the data file's path the header can hold (the last 8 header bytes are a checksum).
pub(crate) const PATH_CAP: usize = HEADER_LEN - FIXED_LEN - 8;
/// Bytes of a kernel's name in the header.
pub(crate) const NAME_CAP: usize = 64;
/// Bytes of a kernel's parameters in the header.
pub(crate) const PARAMS_CAP: usize = 256;
/// The largest partial a job stores per chunk, in 8-byte words (4 KiB).
pub(crate) const MAX_PARTIAL_WORDS: u32 = 512;
/// Offsets of the kernel's name and parameters (after the 104 bytes of numeric fields and the two
/// lengths).
const NAME_OFFSET: usize = 112;
const PARAMS_OFFSET: usize = NAME_OFFSET + NAME_CAP;
/// Bytes of the header's fixed fields, before the data path.
const FIXED_LEN: usize = PARAMS_OFFSET + PARAMS_CAP;
/// Participants a job can have at once ([`Job::MAX_PARTICIPANTS`](super::Job::MAX_PARTICIPANTS)).
pub(crate) const MAX_PARTICIPANTS: u32 = 1024;
pub(crate) const PARTICIPANT_BYTES: usize = 64;
const DONE_OFFSET: usize = HEADER_LEN;
const CURSOR_OFFSET: usize = HEADER_LEN + 64;
const PARTICIPANTS_OFFSET: usize = HEADER_LEN + 128;

/// What a job computes.
///
/// # Examples
///
/// ```
/// use shmkern::job::{Job, JobKind};
/// use shmkern::{Pool, SharedBuffer};
/// use std::time::Duration;
///
/// # let dir = std::env::temp_dir().join(format!("shmkern-doc-job-kind-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let data = dir.join("data.npy");
/// # for f in ["stats.job", "sum.job"] { let _ = std::fs::remove_file(dir.join(f)); }
/// let values: Vec<i32> = (-50_000..50_000).collect();
/// SharedBuffer::<i32>::create_npy(&data, values.len())?.copy_from_slice(&values);
/// let pool = Pool::builder().threads(2).build()?;
/// // SAFETY: nothing modifies the data file while the jobs run.
/// let stats = unsafe { Job::create(dir.join("stats.job"), &data, None, JobKind::Stats)? };
/// // SAFETY: as above.
/// let sum = unsafe { Job::create(dir.join("sum.job"), &data, None, JobKind::Sum)? };
/// stats.work(&pool)?;
/// sum.work(&pool)?;
/// let t = Duration::from_secs(10);
/// assert_eq!(stats.wait_stats::<i32>(t)?.min(), Some(-50_000));
/// assert_eq!(sum.wait_sum_int::<i32>(t)?, -50_000);
/// # drop((stats, sum));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobKind {
    /// [`Stats`](crate::Stats) of the data.
    Stats,
    /// The sum of the data: for floats [`Accuracy::Fast`](crate::kernels::Accuracy::Fast) (the
    /// same bits as [`Pool::sum_float`](crate::Pool::sum_float)), for integers the exact wide sum
    /// of [`Pool::sum_int`](crate::Pool::sum_int).
    Sum,
}

impl JobKind {
    /// The name of the built-in kernel in the job file ([`JobKernel::NAME`](super::JobKernel)).
    pub(crate) fn name(self) -> &'static str {
        match self {
            JobKind::Stats => "stats",
            JobKind::Sum => "sum",
        }
    }
    pub(crate) fn from_name(name: &[u8]) -> Option<JobKind> {
        match name {
            b"stats" => Some(JobKind::Stats),
            b"sum" => Some(JobKind::Sum),
            _ => None,
        }
    }
}

/// The validated header of a job file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The kernel's name: 1 to [`NAME_CAP`] printable ASCII bytes.
    pub(crate) kernel: Vec<u8>,
    /// The kernel's parameters (at most [`PARAMS_CAP`] bytes), as `JobKernel::params` wrote them.
    pub(crate) params: Vec<u8>,
    /// The partial's size in 8-byte words: the chunk table's `slot_words`.
    pub(crate) partial_words: u32,
    pub(crate) dtype: DType,
    pub(crate) max_participants: u32,
    pub(crate) data_len: u64,
    pub(crate) data_offset: u64,
    pub(crate) data_file_len: u64,
    pub(crate) chunks: u64,
    pub(crate) identity: DataIdentity,
    pub(crate) data_path: Vec<u8>,
}

/// What identifies the data file a job was made for, beyond its path and length: the file system
/// and inode (another file renamed over the path has another inode) and the last modification
/// time (a write in place changes it). Checked when a participant attaches, before it publishes,
/// and by a waiter before it reports the result, so a job never reports a result computed over
/// another file, or over this one after it was written to, as its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DataIdentity {
    pub(crate) device: u64,
    pub(crate) inode: u64,
    pub(crate) mtime_sec: i64,
    pub(crate) mtime_nsec: i64,
}

impl DataIdentity {
    /// The identity of the file `meta` describes (all zero where the platform has no inodes).
    pub(crate) fn of(meta: &std::fs::Metadata) -> DataIdentity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            DataIdentity {
                device: meta.dev(),
                inode: meta.ino(),
                mtime_sec: meta.mtime(),
                mtime_nsec: meta.mtime_nsec(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            DataIdentity::default()
        }
    }

    /// How `now` differs from the identity recorded in the job, in words; `None` if it does not.
    pub(crate) fn differs(&self, now: &DataIdentity) -> Option<&'static str> {
        if (self.device, self.inode) != (now.device, now.inode) {
            Some("it is another file now (replaced, or renamed over)")
        } else if (self.mtime_sec, self.mtime_nsec) != (now.mtime_sec, now.mtime_nsec) {
            Some("it was written to (its modification time changed)")
        } else {
            None
        }
    }
}

/// Offsets of the shared regions, derived from a validated header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) done: usize,
    pub(crate) cursor: usize,
    pub(crate) participants: usize,
    pub(crate) states: usize,
    pub(crate) results: usize,
    pub(crate) file_len: usize,
}

fn align64(x: usize) -> Option<usize> {
    x.checked_add(63).map(|v| v & !63)
}

impl Header {
    pub(crate) fn layout(&self) -> Option<Layout> {
        let chunks = usize::try_from(self.chunks).ok()?;
        let parts = (self.max_participants as usize).checked_mul(PARTICIPANT_BYTES)?;
        let states = align64(PARTICIPANTS_OFFSET.checked_add(parts)?)?;
        let results = align64(states.checked_add(chunks.checked_mul(8)?)?)?;
        let slot_bytes = (self.partial_words as usize).checked_mul(2 * 8)?;
        let file_len = results.checked_add(chunks.checked_mul(slot_bytes)?)?;
        Some(Layout {
            done: DONE_OFFSET,
            cursor: CURSOR_OFFSET,
            participants: PARTICIPANTS_OFFSET,
            states,
            results,
            file_len,
        })
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&self.partial_words.to_le_bytes());
        let dtype = DType::ALL
            .iter()
            .position(|&t| t == self.dtype)
            .unwrap_or(0) as u32;
        b.extend_from_slice(&dtype.to_le_bytes());
        b.extend_from_slice(&self.max_participants.to_le_bytes());
        for v in [
            self.data_len,
            self.data_offset,
            self.data_file_len,
            CHUNK_LEN as u64,
            self.chunks,
            self.data_path.len() as u64,
            self.identity.device,
            self.identity.inode,
            self.identity.mtime_sec as u64,
            self.identity.mtime_nsec as u64,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&(self.kernel.len() as u32).to_le_bytes());
        b.extend_from_slice(&(self.params.len() as u32).to_le_bytes());
        debug_assert_eq!(b.len(), NAME_OFFSET);
        b.extend_from_slice(&self.kernel);
        b.resize(PARAMS_OFFSET, 0);
        b.extend_from_slice(&self.params);
        b.resize(FIXED_LEN, 0);
        debug_assert_eq!(b.len(), HEADER_LEN - 8 - PATH_CAP);
        b.extend_from_slice(&self.data_path);
        b.resize(HEADER_LEN - 8, 0);
        let sum = fnv1a(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    /// Parses and validates a header; `file_len` is the job file's length. Every field is checked
    /// against the others, so a corrupt or hostile file is an error here, never a bad offset later.
    pub(crate) fn decode(b: &[u8], file_len: u64) -> Result<Header, String> {
        if b.len() < HEADER_LEN {
            return Err(format!(
                "not a job file: {} bytes, shorter than the {HEADER_LEN}-byte header",
                b.len()
            ));
        }
        if b[..8] != MAGIC {
            return Err("not a job file (bad magic number)".into());
        }
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&b[HEADER_LEN - 8..HEADER_LEN]);
        if u64::from_le_bytes(sum) != fnv1a(&b[..HEADER_LEN - 8]) {
            return Err("the job file's header is corrupt (checksum mismatch)".into());
        }
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(a)
        };
        let version = u32_at(8);
        if version != VERSION {
            return Err(format!(
                "job file layout version {version}; this build reads version {VERSION}"
            ));
        }
        let partial_words = u32_at(12);
        if !(1..=MAX_PARTIAL_WORDS).contains(&partial_words) {
            return Err(format!(
                "a partial of {partial_words} words; 1 to {MAX_PARTIAL_WORDS} are supported"
            ));
        }
        let (name_len, params_len) = (u32_at(104) as usize, u32_at(108) as usize);
        if !(1..=NAME_CAP).contains(&name_len) || params_len > PARAMS_CAP {
            return Err(format!(
                "a kernel name of {name_len} bytes or parameters of {params_len} bytes; at most \
                 {NAME_CAP} and {PARAMS_CAP} are supported"
            ));
        }
        let kernel = b[NAME_OFFSET..NAME_OFFSET + name_len].to_vec();
        if !kernel.iter().all(u8::is_ascii_graphic) {
            return Err("the kernel's name is not printable ASCII".into());
        }
        let params = b[PARAMS_OFFSET..PARAMS_OFFSET + params_len].to_vec();
        let dtype = *DType::ALL
            .get(u32_at(16) as usize)
            .ok_or_else(|| format!("unknown element type code {}", u32_at(16)))?;
        let max_participants = u32_at(20);
        if !(1..=MAX_PARTICIPANTS).contains(&max_participants) {
            return Err(format!(
                "{max_participants} participant slots; 1 to {MAX_PARTICIPANTS} are supported"
            ));
        }
        let (data_len, data_offset, data_file_len) = (u64_at(24), u64_at(32), u64_at(40));
        let (chunk_len, chunks, path_len) = (u64_at(48), u64_at(56), u64_at(64));
        if chunk_len != CHUNK_LEN as u64 {
            return Err(format!(
                "chunk length {chunk_len}; jobs use the kernels' grid of {CHUNK_LEN}"
            ));
        }
        if chunks != data_len.div_ceil(chunk_len) || chunks > MAX_CHUNKS as u64 {
            return Err(format!(
                "{chunks} chunks do not match {data_len} elements in chunks of {chunk_len}"
            ));
        }
        let data_bytes = data_len
            .checked_mul(dtype.size() as u64)
            .and_then(|n| n.checked_add(data_offset));
        if data_bytes != Some(data_file_len) {
            return Err(format!(
                "{data_len} {dtype} elements at offset {data_offset} do not make a data file of \
                 {data_file_len} bytes"
            ));
        }
        if data_offset % dtype.size() as u64 != 0 {
            return Err(format!(
                "data offset {data_offset} is not aligned for {dtype}"
            ));
        }
        let path_len = usize::try_from(path_len)
            .ok()
            .filter(|&n| (1..=PATH_CAP).contains(&n))
            .ok_or_else(|| format!("data path length {path_len} is out of range"))?;
        let start = HEADER_LEN - 8 - PATH_CAP;
        let identity = DataIdentity {
            device: u64_at(72),
            inode: u64_at(80),
            mtime_sec: u64_at(88) as i64,
            mtime_nsec: u64_at(96) as i64,
        };
        let header = Header {
            kernel,
            params,
            partial_words,
            dtype,
            max_participants,
            data_len,
            data_offset,
            data_file_len,
            chunks,
            identity,
            data_path: b[start..start + path_len].to_vec(),
        };
        let layout = header
            .layout()
            .ok_or_else(|| "the job's regions overflow the address space".to_owned())?;
        if layout.file_len as u64 != file_len {
            return Err(format!(
                "the job file is {file_len} bytes; its header describes {} bytes",
                layout.file_len
            ));
        }
        Ok(header)
    }
}

/// Fuzzing entry point, not API (`fuzz/fuzz_targets/job_header.rs`; see docs/fuzzing.md): runs
/// [`Header::decode`] on `bytes` and, when it accepts them, asserts what `attach` and the job's
/// accessors rely on: every field within its range and consistent with the others, and every
/// shared region aligned, after the header, disjoint from the others and inside the file. Returns
/// whether the header was accepted; panics if an accepted header breaks one of those promises.
///
/// A mutated header almost never passes the checks that tie fields together, so `fix` first makes
/// them hold, in this order (for `bytes` at least a header long): bit 1 (2) sets the chunk count
/// from the element count; bit 2 (4) sets the data file's length from the element count, type and
/// offset (wrapping; when the type code is valid); bit 0 (1) sets the right checksum. `file_len:
/// None` is the length that the header's participant and chunk counts imply.
#[cfg(any(test, feature = "internals"))]
pub fn fuzz_decode_header(bytes: &[u8], file_len: Option<u64>, fix: u8) -> bool {
    let mut b = bytes.to_vec();
    let mut implied = 0;
    if b.len() >= HEADER_LEN {
        let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let data_len = u64_at(&b, 24);
        if fix & 2 != 0 {
            let chunks = data_len.div_ceil(CHUNK_LEN as u64);
            b[56..64].copy_from_slice(&chunks.to_le_bytes());
        }
        if let Some(t) = DType::ALL
            .get(u32_at(&b, 16) as usize)
            .filter(|_| fix & 4 != 0)
        {
            let n = data_len.wrapping_mul(t.size() as u64);
            let n = n.wrapping_add(u64_at(&b, 32));
            b[40..48].copy_from_slice(&n.to_le_bytes());
        }
        if fix & 1 != 0 {
            let sum = fnv1a(&b[..HEADER_LEN - 8]);
            b[HEADER_LEN - 8..HEADER_LEN].copy_from_slice(&sum.to_le_bytes());
        }
        let counts = Header {
            kernel: b"stats".to_vec(),
            params: Vec::new(),
            partial_words: u32_at(&b, 12),
            dtype: DType::U8,
            max_participants: u32_at(&b, 20),
            data_len: 0,
            data_offset: 0,
            data_file_len: 0,
            chunks: u64_at(&b, 56),
            identity: DataIdentity::default(),
            data_path: Vec::new(),
        };
        implied = counts.layout().map_or(0, |l| l.file_len as u64);
    }
    let file_len = file_len.unwrap_or(implied);
    let Ok(h) = Header::decode(&b, file_len) else {
        return false;
    };
    let size = h.dtype.size() as u64;
    assert!((1..=MAX_PARTICIPANTS).contains(&h.max_participants));
    assert_eq!(h.chunks, h.data_len.div_ceil(CHUNK_LEN as u64));
    assert!(h.chunks <= MAX_CHUNKS as u64);
    let data_end = h.data_len.checked_mul(size);
    assert_eq!(
        data_end.and_then(|n| n.checked_add(h.data_offset)),
        Some(h.data_file_len)
    );
    assert_eq!(h.data_offset % size, 0);
    assert!((1..=PATH_CAP).contains(&h.data_path.len()));
    assert!((1..=MAX_PARTIAL_WORDS).contains(&h.partial_words));
    assert!((1..=NAME_CAP).contains(&h.kernel.len()) && h.params.len() <= PARAMS_CAP);
    let l = h.layout().expect("an accepted header has a layout");
    assert_eq!(l.file_len as u64, file_len);
    let chunks = usize::try_from(h.chunks).unwrap();
    // (offset, bytes, alignment) of each shared region, in file order.
    let regions = [
        (l.done, 4, 4),
        (l.cursor, 8, 8),
        (
            l.participants,
            h.max_participants as usize * PARTICIPANT_BYTES,
            64,
        ),
        (l.states, chunks * 8, 64),
        (l.results, chunks * 2 * h.partial_words as usize * 8, 64),
    ];
    let mut end = HEADER_LEN;
    for (offset, bytes, align) in regions {
        assert!(
            offset >= end,
            "region at {offset} overlaps what ends at {end}"
        );
        assert_eq!(offset % align, 0, "region at {offset} misaligned");
        end = offset.checked_add(bytes).unwrap();
    }
    assert_eq!(end, l.file_len, "the regions do not end at the file's end");
    assert_eq!(Header::decode(&h.encode(), file_len).as_ref(), Ok(&h));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            kernel: b"stats".to_vec(),
            params: vec![1, 2, 3],
            partial_words: 10,
            dtype: DType::F64,
            max_participants: 8,
            data_len: 100_000,
            data_offset: 128,
            data_file_len: 128 + 800_000,
            chunks: 4,
            identity: DataIdentity {
                device: 2049,
                inode: 1234,
                mtime_sec: 1_700_000_000,
                mtime_nsec: 5,
            },
            data_path: b"/data/x.npy".to_vec(),
        }
    }

    #[test]
    fn encode_decode_round_trips() {
        let h = header();
        let len = h.layout().unwrap().file_len as u64;
        assert_eq!(Header::decode(&h.encode(), len), Ok(h));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "safe parsing, no unsafe code: checked natively and by the fuzz targets"
    )]
    fn the_fuzzing_hook_accepts_good_headers_and_its_fix_ups_work() {
        let h = header();
        let (good, len) = (h.encode(), h.layout().unwrap().file_len as u64);
        for fix in 0..8 {
            assert!(fuzz_decode_header(&good, Some(len), fix));
            assert!(fuzz_decode_header(&good, None, fix));
        }
        assert!(!fuzz_decode_header(&good, Some(len + 1), 0b111));
        let mut b = good.clone();
        b[32] ^= 1; // data offset 129: not aligned for f64, whatever the fix-ups
        assert!(!fuzz_decode_header(&b, None, 0b111));
        b[32] ^= 1 ^ 8; // data offset 136: the data file's length no longer matches...
        assert!(!fuzz_decode_header(&b, None, 0b001));
        assert!(fuzz_decode_header(&b, None, 0b101)); // ...unless fixed up
        b[26] ^= 0x10; // 1,148,576 elements: the chunk count is wrong unless fixed up too
        assert!(!fuzz_decode_header(&b, None, 0b101));
        assert!(fuzz_decode_header(&b, None, 0b111));
    }

    #[test]
    fn kernel_fields_are_checked() {
        let h = header();
        let len = h.layout().unwrap().file_len as u64;
        for bad in [
            Header {
                partial_words: 0,
                ..header()
            },
            Header {
                partial_words: MAX_PARTIAL_WORDS + 1,
                ..header()
            },
            Header {
                kernel: Vec::new(),
                ..header()
            },
            Header {
                kernel: b"has space".to_vec(),
                ..header()
            },
        ] {
            assert!(Header::decode(&bad.encode(), len).is_err(), "{bad:?}");
        }
        // Another partial size is another file length.
        let words3 = Header {
            partial_words: 3,
            ..header()
        };
        let len3 = words3.layout().unwrap().file_len as u64;
        assert!(len3 < len);
        assert_eq!(Header::decode(&words3.encode(), len3), Ok(words3));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "safe parsing, no unsafe code: checked natively and by the fuzz targets"
    )]
    fn every_corrupted_field_is_an_error() {
        let h = header();
        let len = h.layout().unwrap().file_len as u64;
        let good = h.encode();
        assert!(Header::decode(&good, len + 1).is_err());
        assert!(Header::decode(&good[..100], len).is_err());
        // Flip each header byte: every one must be rejected.
        let step = if cfg!(miri) { 61 } else { 1 };
        for i in (0..HEADER_LEN).step_by(step) {
            let mut b = good.clone();
            b[i] ^= 0x5a;
            assert!(
                Header::decode(&b, len).is_err(),
                "byte {i} corrupted was accepted"
            );
        }
    }
}
