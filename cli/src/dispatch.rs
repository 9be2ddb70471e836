//! One generic call per element type: `dispatch!(dtype, T => expr)` runs `expr` with `T` the Rust
//! type of `dtype`.

/// Expands to a `match` over every [`DType`](shmkern::buffer::DType), with `$t` the matching type.
macro_rules! dispatch {
    ($dtype:expr, $t:ident => $body:expr) => {{
        use shmkern::buffer::DType;
        match $dtype {
            DType::F32 => {
                type $t = f32;
                $body
            }
            DType::F64 => {
                type $t = f64;
                $body
            }
            DType::I8 => {
                type $t = i8;
                $body
            }
            DType::I16 => {
                type $t = i16;
                $body
            }
            DType::I32 => {
                type $t = i32;
                $body
            }
            DType::I64 => {
                type $t = i64;
                $body
            }
            DType::U8 => {
                type $t = u8;
                $body
            }
            DType::U16 => {
                type $t = u16;
                $body
            }
            DType::U32 => {
                type $t = u32;
                $body
            }
            DType::U64 => {
                type $t = u64;
                $body
            }
        }
    }};
}

pub(crate) use dispatch;
