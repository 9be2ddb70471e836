//! The element types a file can hold, named as the command line and NumPy name them.

use std::fmt;
use std::str::FromStr;

/// An element type of a raw or `.npy` file: the ten types the kernels accept.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::DType;
///
/// let t: DType = "f64".parse().unwrap();
/// assert_eq!(t, DType::F64);
/// assert_eq!((t.size(), t.name(), t.npy_descr()), (8, "f64", "<f8"));
/// assert!("f16".parse::<DType>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `f32`, NumPy `<f4`.
    F32,
    /// `f64`, NumPy `<f8`.
    F64,
    /// `i8`, NumPy `|i1`.
    I8,
    /// `i16`, NumPy `<i2`.
    I16,
    /// `i32`, NumPy `<i4`.
    I32,
    /// `i64`, NumPy `<i8`.
    I64,
    /// `u8`, NumPy `|u1`.
    U8,
    /// `u16`, NumPy `<u2`.
    U16,
    /// `u32`, NumPy `<u4`.
    U32,
    /// `u64`, NumPy `<u8`.
    U64,
}

impl DType {
    /// Every type, in the order the command line lists them.
    pub const ALL: [DType; 10] = [
        DType::F32,
        DType::F64,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
    ];

    /// The Rust name: `"f32"`, `"u16"`, ….
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::DType;
    ///
    /// assert_eq!(DType::U16.name(), "u16");
    /// assert_eq!(DType::U16.to_string(), DType::U16.name()); // `Display` prints the name
    /// assert!(DType::ALL.iter().all(|t| t.name().parse() == Ok(*t))); // and `parse` reads it back
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
        }
    }

    /// Bytes per element.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::DType;
    ///
    /// assert_eq!(DType::I16.size(), std::mem::size_of::<i16>());
    /// assert_eq!(DType::ALL.iter().map(|t| t.size()).sum::<usize>(), 42);
    /// ```
    pub fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 => 8,
        }
    }

    /// Whether the type is `f32` or `f64`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::DType;
    ///
    /// assert!(DType::F32.is_float() && !DType::I64.is_float());
    /// assert_eq!(DType::ALL.iter().filter(|t| t.is_float()).count(), 2);
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// The NumPy type string NumPy writes for it (little-endian; `|` for one byte).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::{npy::NpyHeader, DType};
    ///
    /// assert_eq!((DType::I32.npy_descr(), DType::U8.npy_descr()), ("<i4", "|u1"));
    /// // What a `.npy` header written for the type says.
    /// let header = NpyHeader::encode(DType::I32, 1);
    /// assert!(String::from_utf8_lossy(&header).contains("'descr': '<i4'"));
    /// ```
    pub fn npy_descr(self) -> &'static str {
        match self {
            DType::F32 => "<f4",
            DType::F64 => "<f8",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U8 => "|u1",
            DType::U16 => "<u2",
            DType::U32 => "<u4",
            DType::U64 => "<u8",
        }
    }

    /// The type a NumPy `descr` names, if it is one of ours in little-endian (or byte) order.
    /// `<`, `|` and `=` (native, which is little-endian on every platform this reads on) are
    /// accepted as the order mark for any size.
    pub(crate) fn from_npy_descr(descr: &str) -> Option<DType> {
        let rest = descr.strip_prefix(['<', '|', '='])?;
        DType::ALL.into_iter().find(|t| &t.npy_descr()[1..] == rest)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`DType`] from text: it names the text and the accepted names.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::DType;
///
/// let err = "f16".parse::<DType>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"unknown element type "f16"; expected one of f32 f64 i8 i16 i32 i64 u8 u16 u32 u64"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDTypeError(String);

impl fmt::Display for ParseDTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown element type {:?}; expected one of f32 f64 i8 i16 i32 i64 u8 u16 u32 u64",
            self.0
        )
    }
}

impl std::error::Error for ParseDTypeError {}

impl FromStr for DType {
    type Err = ParseDTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| ParseDTypeError(s.to_owned()))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type with a [`DType`]: the element type of a typed file view.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{DType, Element};
///
/// fn describe<T: Element>() -> (&'static str, usize) {
///     (T::DTYPE.name(), T::DTYPE.size())
/// }
/// assert_eq!(describe::<f32>(), ("f32", std::mem::size_of::<f32>()));
/// assert_eq!(<u16 as Element>::DTYPE, DType::U16);
/// ```
pub trait Element: bytemuck::Pod + sealed::Sealed {
    /// This type's [`DType`].
    const DTYPE: DType;
}

macro_rules! element {
    ($($t:ty => $d:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
        }
    )*};
}

element!(f32 => F32, f64 => F64, i8 => I8, i16 => I16, i32 => I32, i64 => I64,
         u8 => U8, u16 => U16, u32 => U32, u64 => U64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sizes_match_rust() {
        for t in DType::ALL {
            assert_eq!(t.name().parse::<DType>(), Ok(t));
            assert_eq!(DType::from_npy_descr(t.npy_descr()), Some(t));
        }
        assert_eq!(DType::F32.size(), std::mem::size_of::<f32>());
        assert_eq!(DType::U16.size(), std::mem::size_of::<u16>());
        assert_eq!(<i64 as Element>::DTYPE, DType::I64);
    }

    #[test]
    fn npy_descr_accepts_only_little_endian_types_we_have() {
        assert_eq!(DType::from_npy_descr("<i1"), Some(DType::I8));
        assert_eq!(DType::from_npy_descr("=f8"), Some(DType::F64));
        assert_eq!(DType::from_npy_descr(">f8"), None);
        assert_eq!(DType::from_npy_descr("<f2"), None);
        assert_eq!(DType::from_npy_descr("<c16"), None);
        assert_eq!(DType::from_npy_descr("f8"), None);
        assert_eq!(DType::from_npy_descr(""), None);
    }
}
