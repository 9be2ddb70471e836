//! Opening the command's input: a `.npy` file (which names its dtype) or a raw little-endian
//! file (which needs `--dtype`), mapped read-only with no copy.

use crate::Failure;
use shmkern::buffer::{npy, DType, Element, ReadOnly};
use shmkern::SharedBuffer;
use std::path::{Path, PathBuf};

/// The input file and what it holds.
pub struct Source {
    pub path: PathBuf,
    pub dtype: DType,
    npy: bool,
}

/// Whether `path` is to be read as a `.npy` file: by its name, or by its first bytes. An error when
/// it cannot be opened or is not a regular file (a FIFO or device is never opened for a blocking
/// read), so that the message names the real cause.
fn is_npy(path: &Path) -> Result<bool, Failure> {
    let by_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    Ok(npy::is_npy_file(path)? || by_name)
}

/// Works out the element type of `path` from its `.npy` header or from `--dtype`.
pub fn inspect(path: &Path, dtype: Option<DType>) -> Result<Source, Failure> {
    inspect_with(path, dtype, "--dtype")
}

/// [`inspect`], with `flag` the option that gives the element type (named in the errors).
pub fn inspect_with(path: &Path, dtype: Option<DType>, flag: &str) -> Result<Source, Failure> {
    let shown = path.display();
    if is_npy(path)? {
        let header = npy::read_header(path)?;
        if let Some(asked) = dtype.filter(|&t| t != header.dtype) {
            return Err(Failure::Other(format!(
                "{shown}: holds {} ('{}'), not {asked} as {flag} says",
                header.dtype,
                header.dtype.npy_descr()
            )));
        }
        return Ok(Source {
            path: path.to_owned(),
            dtype: header.dtype,
            npy: true,
        });
    }
    let dtype = dtype.ok_or_else(|| {
        Failure::Usage(format!(
            "{shown}: a raw file needs {flag} T (one of f32 f64 i8 i16 i32 i64 u8 u16 u32 u64); \
             .npy files carry their own"
        ))
    })?;
    Ok(Source {
        path: path.to_owned(),
        dtype,
        npy: false,
    })
}

/// Test hook: with `SHMKERN_TEST_DELAY_AFTER_MAP_MS` set, sleeps that long after mapping the input
/// or attaching to a job, so a test can truncate a file between the mapping and the reads; with
/// `SHMKERN_TEST_MAPPED_MARKER` set too, first creates that file, so the test knows when the
/// mapping exists (a fixed wait is too short on a loaded machine).
pub fn delay_after_map() {
    if let Some(ms) = std::env::var_os("SHMKERN_TEST_DELAY_AFTER_MAP_MS") {
        if let Some(marker) = std::env::var_os("SHMKERN_TEST_MAPPED_MARKER") {
            let _ = std::fs::write(marker, b"");
        }
        let ms = ms.to_str().and_then(|s| s.parse().ok()).unwrap_or(0);
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

impl Source {
    /// Maps the data read-only.
    pub fn map<T: Element>(&self) -> Result<SharedBuffer<T, ReadOnly>, Failure> {
        // SAFETY: the command's documented contract (README, `shmkern --help` of the library docs):
        // its input must not be written or truncated while the command runs — the contract of any
        // program that maps its input, and the reason the library's `open` is `unsafe`.
        let buf = unsafe {
            if self.npy {
                SharedBuffer::<T, ReadOnly>::open_npy(&self.path)
            } else {
                SharedBuffer::<T, ReadOnly>::open(&self.path)
            }
        }?;
        crate::sigbus::watch(buf.as_bytes(), &self.path);
        delay_after_map();
        Ok(buf)
    }
}
