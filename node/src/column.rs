//! A JavaScript typed array held for one call, read as a Rust slice without copying.
//!
//! Any typed array is accepted, on an `ArrayBuffer` or a `SharedArrayBuffer`: `Float64Array`,
//! `Float32Array`, `Int8/16/32Array`, `Uint8/16/32Array`, `Uint8ClampedArray`, `BigInt64Array`,
//! `BigUint64Array`. An argument is first borrowed for the native call ([`Arg`]); a call that
//! computes off the event loop holds a reference to it ([`Held`]), so the memory stays alive
//! until the call ends. Anything else is a `TypeError` naming what was given.

use crate::error::type_error;
use napi::bindgen_prelude::*;
use napi::JsValue;
use shmkern::buffer::DType;
use shmkern_bindings::Column;

/// One typed array, referenced for the length of a call.
pub(crate) enum Held {
    F64(Float64Array),
    F32(Float32Array),
    I8(Int8Array),
    I16(Int16Array),
    I32(Int32Array),
    I64(BigInt64Array),
    U8(Uint8Array),
    U8Clamped(Uint8ClampedArray),
    U16(Uint16Array),
    U32(Uint32Array),
    U64(BigUint64Array),
}

/// A typed array argument, borrowed for the length of the native call: its element type and
/// bytes, checked.
pub(crate) struct Arg<'a> {
    raw: (sys::napi_env, sys::napi_value),
    pub(crate) column: Column<'a>,
}

impl<'a> Arg<'a> {
    /// The typed array `value`; `what` names the argument in errors.
    pub(crate) fn get(value: Unknown<'a>, what: &str) -> Result<Arg<'a>> {
        let v = value.value();
        let (env, raw) = (v.env, v.value);
        let mut is_typed_array = false;
        // SAFETY: `env` and `raw` come from a live argument of the current call on the JS thread.
        let status = unsafe { sys::napi_is_typedarray(env, raw, &mut is_typed_array) };
        if status != sys::Status::napi_ok || !is_typed_array {
            let kind = value
                .get_type()
                .map(|t| format!("{t:?}").to_lowercase())
                .unwrap_or_else(|_| "an unknown value".into());
            return Err(type_error(format!(
                "{what}: expected a typed array (Float64Array, Int32Array, ... on an ArrayBuffer \
                 or a SharedArrayBuffer), got {kind}"
            )));
        }
        let (mut kind, mut len, mut data) = (0, 0usize, std::ptr::null_mut());
        let (mut buffer, mut offset) = (std::ptr::null_mut(), 0usize);
        // SAFETY: `raw` is a typed array of the current call (checked above).
        check_status!(unsafe {
            sys::napi_get_typedarray_info(
                env,
                raw,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        })?;
        macro_rules! view {
            ($variant:ident, $t:ty) => {{
                if len > 0 && !(data as usize).is_multiple_of(std::mem::align_of::<$t>()) {
                    return Err(type_error(format!(
                        "{what}: the typed array's memory is not aligned for its elements"
                    )));
                }
                Column::$variant(if len == 0 {
                    &[]
                } else {
                    // SAFETY: Node-API gives the view's first element (its byte offset applied)
                    // and its element count; the memory stays alive while the argument does,
                    // that is for 'a (this native call). Alignment is checked above; every bit
                    // pattern is a valid $t. Writes by other threads (a SharedArrayBuffer
                    // shared with workers) during a call are the caller's to avoid (README).
                    unsafe { std::slice::from_raw_parts(data.cast::<$t>(), len) }
                })
            }};
        }
        use sys::TypedarrayType as T;
        let column = match kind {
            T::float64_array => view!(F64, f64),
            T::float32_array => view!(F32, f32),
            T::int8_array => view!(I8, i8),
            T::int16_array => view!(I16, i16),
            T::int32_array => view!(I32, i32),
            T::bigint64_array => view!(I64, i64),
            T::uint8_array | T::uint8_clamped_array => view!(U8, u8),
            T::uint16_array => view!(U16, u16),
            T::uint32_array => view!(U32, u32),
            T::biguint64_array => view!(U64, u64),
            _ => {
                return Err(type_error(format!(
                    "{what}: unsupported typed array (Float16Array?); use Float32Array or \
                     Float64Array"
                )))
            }
        };
        Ok(Arg {
            raw: (env, raw),
            column,
        })
    }

    /// The array referenced, to be read after this native call returns (off the event loop).
    pub(crate) fn hold(&self) -> Result<Held> {
        let (env, raw) = self.raw;
        // SAFETY (each from_napi_value): `raw` is the typed array `get` checked, in the same
        // native call; each conversion checks the element type again and takes a reference.
        macro_rules! own {
            ($variant:ident, $t:ty) => {
                Held::$variant(unsafe { <$t>::from_napi_value(env, raw)? })
            };
        }
        // SAFETY: as above.
        let info = unsafe { TypedArray::from_napi_value(env, raw)? };
        Ok(match info.typed_array_type {
            TypedArrayType::Float64 => own!(F64, Float64Array),
            TypedArrayType::Float32 => own!(F32, Float32Array),
            TypedArrayType::Int8 => own!(I8, Int8Array),
            TypedArrayType::Int16 => own!(I16, Int16Array),
            TypedArrayType::Int32 => own!(I32, Int32Array),
            TypedArrayType::BigInt64 => own!(I64, BigInt64Array),
            TypedArrayType::Uint8 => own!(U8, Uint8Array),
            TypedArrayType::Uint8Clamped => own!(U8Clamped, Uint8ClampedArray),
            TypedArrayType::Uint16 => own!(U16, Uint16Array),
            TypedArrayType::Uint32 => own!(U32, Uint32Array),
            TypedArrayType::BigUint64 => own!(U64, BigUint64Array),
            _ => unreachable!("get() refused the other types"),
        })
    }
}

impl Held {
    /// The held array as a slice.
    pub(crate) fn column(&self) -> Column<'_> {
        match self {
            Held::F64(a) => Column::F64(a),
            Held::F32(a) => Column::F32(a),
            Held::I8(a) => Column::I8(a),
            Held::I16(a) => Column::I16(a),
            Held::I32(a) => Column::I32(a),
            Held::I64(a) => Column::I64(a),
            Held::U8(a) => Column::U8(a),
            Held::U8Clamped(a) => Column::U8(a),
            Held::U16(a) => Column::U16(a),
            Held::U32(a) => Column::U32(a),
            Held::U64(a) => Column::U64(a),
        }
    }
}

/// The typed array type of an element type, for error messages.
pub(crate) fn js_name(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => "Float64Array",
        DType::F32 => "Float32Array",
        DType::I8 => "Int8Array",
        DType::I16 => "Int16Array",
        DType::I32 => "Int32Array",
        DType::I64 => "BigInt64Array",
        DType::U8 => "Uint8Array",
        DType::U16 => "Uint16Array",
        DType::U32 => "Uint32Array",
        DType::U64 => "BigUint64Array",
    }
}
