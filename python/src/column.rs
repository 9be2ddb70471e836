//! A Python object's buffer as a typed Rust slice, without copying.
//!
//! Any object with the buffer protocol whose memory is one C-contiguous block is accepted: numpy
//! arrays (any number of dimensions, read as the flat array), `np.memmap`, `memoryview`, `mmap`,
//! `bytes`, `array.array`. Its element type comes from the buffer's struct format (`d` f64, `f`
//! f32, `b h i l q` signed and `B H I L Q` unsigned integers of the buffer's item size). A strided
//! view, a big-endian or unsupported element type, or misaligned memory is an error naming the
//! cause; nothing is ever copied to make it fit.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use shmkern::buffer::DType;
use shmkern_bindings::Column;

/// The element type's name, as numpy spells it.
pub(crate) fn numpy_name(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => "float64",
        DType::F32 => "float32",
        DType::I8 => "int8",
        DType::I16 => "int16",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::U8 => "uint8",
        DType::U16 => "uint16",
        DType::U32 => "uint32",
        DType::U64 => "uint64",
    }
}

/// A buffer held for the length of one call (released when dropped), and its element type.
pub(crate) struct Held {
    buf: PyUntypedBuffer,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Float,
    Signed,
    Unsigned,
}

impl Held {
    /// The buffer of `obj`, checked; `what` names the argument in errors.
    pub(crate) fn get(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Held> {
        let buf = PyUntypedBuffer::get(obj).map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}: expected an object with the buffer protocol (a numpy array, np.memmap, \
                 memoryview, mmap, bytes, array.array), got {}",
                type_name(obj)
            ))
        })?;
        if !buf.is_c_contiguous() {
            return Err(PyValueError::new_err(format!(
                "{what}: the buffer is not C-contiguous (a strided view?); shmkern reads memory \
                 in place and never copies: pass np.ascontiguousarray(...) to copy it yourself"
            )));
        }
        let format = buf.format().to_string_lossy().into_owned();
        let kind = element_kind(&format, buf.item_size()).map_err(|why| {
            PyTypeError::new_err(format!(
                "{what}: unsupported element type {format:?}: {why}"
            ))
        })?;
        let align = buf.item_size();
        if buf.item_count() > 0 && !(buf.buf_ptr() as usize).is_multiple_of(align) {
            return Err(PyValueError::new_err(format!(
                "{what}: the buffer's address is not a multiple of its {align}-byte element size"
            )));
        }
        Ok(Held { buf, kind })
    }

    /// The buffer as a slice of its element type.
    pub(crate) fn column(&self) -> Column<'_> {
        let n = self.buf.item_count();
        let ptr = self.buf.buf_ptr();
        macro_rules! slice {
            ($t:ty) => {
                if n == 0 {
                    &[]
                } else {
                    // SAFETY: `get` checked that the buffer is one C-contiguous block of `n` items
                    // of `item_size` bytes = size_of::<$t>() (element_kind maps the size to the
                    // type), aligned for $t; every bit pattern is a valid $t (plain numbers). The
                    // exporter keeps the memory alive and in place until the buffer is released,
                    // which happens when `self` drops, after the returned borrow of `self` ends.
                    // Writes by other Python threads during a call are the caller's to avoid, as
                    // for numpy's own loops that run without the GIL (README, "Threads").
                    unsafe { std::slice::from_raw_parts(ptr.cast::<$t>(), n) }
                }
            };
        }
        match (self.kind, self.buf.item_size()) {
            (Kind::Float, 8) => Column::F64(slice!(f64)),
            (Kind::Float, _) => Column::F32(slice!(f32)),
            (Kind::Signed, 1) => Column::I8(slice!(i8)),
            (Kind::Signed, 2) => Column::I16(slice!(i16)),
            (Kind::Signed, 4) => Column::I32(slice!(i32)),
            (Kind::Signed, _) => Column::I64(slice!(i64)),
            (Kind::Unsigned, 1) => Column::U8(slice!(u8)),
            (Kind::Unsigned, 2) => Column::U16(slice!(u16)),
            (Kind::Unsigned, 4) => Column::U32(slice!(u32)),
            (Kind::Unsigned, _) => Column::U64(slice!(u64)),
        }
    }
}

/// The element kind of a buffer format of one item (`"d"`, `"<f"`, `"=q"`, …) of `size` bytes.
fn element_kind(format: &str, size: usize) -> Result<Kind, &'static str> {
    let code = match format.as_bytes() {
        [c] => *c,
        [b'@' | b'=' | b'<', c] => *c,
        [b'>' | b'!', _] => return Err("big-endian data; convert with .astype('<...') first"),
        _ => return Err("not a single plain number per item"),
    };
    let kind = match code {
        b'f' | b'd' => Kind::Float,
        b'b' | b'h' | b'i' | b'l' | b'q' | b'n' => Kind::Signed,
        b'B' | b'H' | b'I' | b'L' | b'Q' | b'N' | b'c' => Kind::Unsigned,
        b'e' => return Err("float16 is not supported; use float32 or float64"),
        b'?' => return Err("booleans are not numbers here; use .view(np.uint8)"),
        _ => return Err("not a supported number type"),
    };
    match (kind, size) {
        (Kind::Float, 4 | 8) => Ok(kind),
        (Kind::Signed | Kind::Unsigned, 1 | 2 | 4 | 8) => Ok(kind),
        _ => Err("an item size shmkern has no type for"),
    }
}

/// `type(obj).__name__`, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}
