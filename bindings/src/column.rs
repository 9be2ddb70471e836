//! A borrowed slice of any element type the kernels read, and macros that run one body for each.

use shmkern::buffer::DType;

/// One column of one of the element types the kernels read.
#[derive(Clone, Copy, Debug)]
pub enum Column<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

/// Runs `$body` with `$x` bound to the slice, whatever its element type.
#[macro_export]
macro_rules! each_type {
    ($col:expr, $x:ident => $body:expr) => {
        match $col {
            $crate::Column::F64($x) => $body,
            $crate::Column::F32($x) => $body,
            $crate::Column::I8($x) => $body,
            $crate::Column::I16($x) => $body,
            $crate::Column::I32($x) => $body,
            $crate::Column::I64($x) => $body,
            $crate::Column::U8($x) => $body,
            $crate::Column::U16($x) => $body,
            $crate::Column::U32($x) => $body,
            $crate::Column::U64($x) => $body,
        }
    };
}

/// Runs `$body` with `$x` bound to the slice if the column holds integers (the key types of
/// grouped kernels); evaluates `$other` with `$o` bound to the column otherwise.
#[macro_export]
macro_rules! each_int {
    ($col:expr, $x:ident => $body:expr, $o:ident => $other:expr) => {
        match $col {
            $crate::Column::I8($x) => $body,
            $crate::Column::I16($x) => $body,
            $crate::Column::I32($x) => $body,
            $crate::Column::I64($x) => $body,
            $crate::Column::U8($x) => $body,
            $crate::Column::U16($x) => $body,
            $crate::Column::U32($x) => $body,
            $crate::Column::U64($x) => $body,
            $o => $other,
        }
    };
}

/// Runs `$body` with `$x` and `$y` bound to two columns of one element type; evaluates `$other`
/// when their types differ.
#[macro_export]
macro_rules! each_pair {
    ($a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr, $other:expr) => {
        match ($a, $b) {
            ($crate::Column::F64($x), $crate::Column::F64($y)) => $body,
            ($crate::Column::F32($x), $crate::Column::F32($y)) => $body,
            ($crate::Column::I8($x), $crate::Column::I8($y)) => $body,
            ($crate::Column::I16($x), $crate::Column::I16($y)) => $body,
            ($crate::Column::I32($x), $crate::Column::I32($y)) => $body,
            ($crate::Column::I64($x), $crate::Column::I64($y)) => $body,
            ($crate::Column::U8($x), $crate::Column::U8($y)) => $body,
            ($crate::Column::U16($x), $crate::Column::U16($y)) => $body,
            ($crate::Column::U32($x), $crate::Column::U32($y)) => $body,
            ($crate::Column::U64($x), $crate::Column::U64($y)) => $body,
            _ => $other,
        }
    };
}

impl Column<'_> {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Column::F64(_) => DType::F64,
            Column::F32(_) => DType::F32,
            Column::I8(_) => DType::I8,
            Column::I16(_) => DType::I16,
            Column::I32(_) => DType::I32,
            Column::I64(_) => DType::I64,
            Column::U8(_) => DType::U8,
            Column::U16(_) => DType::U16,
            Column::U32(_) => DType::U32,
            Column::U64(_) => DType::U64,
        }
    }

    /// Bytes a kernel reads from this column.
    pub fn bytes(&self) -> usize {
        each_type!(*self, x => std::mem::size_of_val(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_and_bytes() {
        let x = [1.0f32, 2.0, 3.0];
        let c = Column::F32(&x);
        assert_eq!((c.dtype(), c.bytes()), (DType::F32, 12));
        let k = [1u16, 2];
        assert_eq!(each_int!(Column::U16(&k), v => v.len(), _o => 0), 2);
        assert_eq!(each_int!(c, v => v.len(), _o => 0), 0);
        assert_eq!(each_pair!(c, c, (a, b) => a.len() + b.len(), 0), 6);
        assert_eq!(
            each_pair!(c, Column::U16(&k), (a, b) => a.len() + b.len(), 0),
            0
        );
    }
}
