//! `open(path)`: a `.npy` or raw file mapped into memory and handed to JavaScript as a typed
//! array over the mapping — no copy into the JS heap; pages are read from the file as they are
//! touched.
//!
//! The mapping is private and copy-on-write: JavaScript may write to the array (a write changes
//! this process's copy of that page only, never the file), and a read-only mapping would crash
//! the process on such a write. The typed array's `ArrayBuffer` is an external one whose
//! finalizer unmaps the file when the garbage collector frees it. Node-API has no external
//! `SharedArrayBuffer`, so the mapping cannot be shared with worker threads as one: a worker that
//! needs it opens the file itself (the pages are shared through the page cache).

use crate::error::{range_error, type_error};
use napi::bindgen_prelude::*;
use shmkern::buffer::DType;

/// The file at `path` as a typed array of its element type: a `.npy` file's own, or `dtype`
/// ("f64", "f32", "i8" … "u64") for a raw little-endian file.
pub(crate) fn open<'env>(
    env: &'env Env,
    path: String,
    dtype: Option<String>,
) -> Result<Unknown<'env>> {
    let io = |e: std::io::Error| Error::from_reason(format!("{path}: {e}"));
    let err = |e: shmkern::Error| Error::from_reason(e.to_string()); // names the path already
    let (dtype, offset, count) = if shmkern::buffer::npy::is_npy_file(&path).map_err(err)? {
        let h = shmkern::buffer::npy::read_header(&path).map_err(err)?;
        if let Some(d) = &dtype {
            if d.parse::<DType>().ok() != Some(h.dtype) {
                return Err(type_error(format!(
                    "{path}: the file holds {}, not {d}",
                    h.dtype.name()
                )));
            }
        }
        (h.dtype, h.data_offset, h.count())
    } else {
        let d = dtype.ok_or_else(|| {
            type_error(format!(
                "{path}: not a .npy file; give its element type (dtype: 'f64', 'f32', 'i32', …)"
            ))
        })?;
        let d: DType = d.parse().map_err(|e| type_error(format!("dtype: {e}")))?;
        let len = std::fs::metadata(&path).map_err(io)?.len();
        let size = d.size() as u64;
        if len % size != 0 {
            return Err(range_error(format!(
                "{path}: {len} bytes is not a whole number of {}-byte elements",
                size
            )));
        }
        (d, 0, len / size)
    };
    let size = dtype.size();
    let bytes = usize::try_from(count * size as u64)
        .map_err(|_| range_error(format!("{path}: too large for this machine")))?;
    let file = std::fs::File::open(&path).map_err(io)?;
    let map = if bytes == 0 {
        None
    } else {
        // SAFETY: a private copy-on-write mapping: writes by other processes to the file while it
        // is mapped may or may not show (the same caveat as reading a file that changes, stated
        // in the README); JavaScript's writes go to private pages.
        Some(unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(bytes)
                .map_copy(&file)
                .map_err(io)?
        })
    };
    macro_rules! array {
        ($slice:ty, $array:ty, $t:ty) => {
            match map {
                None => <$array>::new(Vec::new()).into_unknown(env)?,
                Some(mut map) => {
                    let ptr = map.as_mut_ptr().cast::<$t>();
                    // SAFETY: `ptr` is the start of a mapping of `count` elements of $t (the
                    // mapping starts at a page boundary plus the .npy data offset, a multiple of
                    // 16, so it is aligned for $t); the mapping moves into the finalizer and
                    // lives until the ArrayBuffer is collected; nothing else uses it.
                    unsafe {
                        <$slice>::from_external(env, ptr, count as usize, map, |_, map| drop(map))?
                    }
                    .into_unknown(env)?
                }
            }
        };
    }
    Ok(match dtype {
        DType::F64 => array!(Float64ArraySlice, Float64Array, f64),
        DType::F32 => array!(Float32ArraySlice, Float32Array, f32),
        DType::I8 => array!(Int8ArraySlice, Int8Array, i8),
        DType::I16 => array!(Int16ArraySlice, Int16Array, i16),
        DType::I32 => array!(Int32ArraySlice, Int32Array, i32),
        DType::I64 => array!(BigInt64ArraySlice, BigInt64Array, i64),
        DType::U8 => array!(Uint8ArraySlice, Uint8Array, u8),
        DType::U16 => array!(Uint16ArraySlice, Uint16Array, u16),
        DType::U32 => array!(Uint32ArraySlice, Uint32Array, u32),
        DType::U64 => array!(BigUint64ArraySlice, BigUint64Array, u64),
    })
}
