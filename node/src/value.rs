//! A kernel's result, built on the computing thread and turned into JavaScript values on the
//! event loop: numbers, BigInts (exact integer sums, 64-bit integer extremes), `null` where there
//! is no value (a mean of nothing), objects with named fields, arrays.

use napi::bindgen_prelude::*;
use std::ffi::CStr;

pub enum Value {
    Null,
    Number(f64),
    BigInt(BigInt),
    Record(Vec<(&'static CStr, Value)>),
    List(Vec<Value>),
}

/// A number, or `null` for none.
pub(crate) fn opt(x: Option<f64>) -> Value {
    x.map_or(Value::Null, Value::Number)
}

/// An element or a sum of one of the kernels' types as JavaScript gives it: a `number` where
/// every value of the type is one exactly, a `BigInt` for 64-bit integers and wider.
pub(crate) trait ToValue: Copy {
    fn to_value(self) -> Value;
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(self) -> Value {
                Value::Number(f64::from(self))
            }
        }
    )*};
}
number!(f64, f32, i8, i16, i32, u8, u16, u32);

macro_rules! bigint {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(self) -> Value {
                Value::BigInt(BigInt::from(self))
            }
        }
    )*};
}
bigint!(i64, u64, i128, u128);

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(self) -> Value {
        self.map_or(Value::Null, T::to_value)
    }
}

impl ToValue for usize {
    fn to_value(self) -> Value {
        // Positions and counts below 2^53 (every array JavaScript can make) are exact numbers.
        Value::Number(self as f64)
    }
}

/// A count: a number (exact below 2^53, which every count over a JavaScript array is).
pub(crate) fn count(n: u64) -> Value {
    Value::Number(n as f64)
}

impl TypeName for Value {
    fn type_name() -> &'static str {
        "shmkern result"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Value {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY (every call below): called by napi-rs on the JS thread with a live `env`; each
        // napi_value made here is used only inside this call's handle scope.
        unsafe {
            match val {
                Value::Null => Null::to_napi_value(env, Null),
                Value::Number(x) => f64::to_napi_value(env, x),
                Value::BigInt(b) => BigInt::to_napi_value(env, b),
                Value::List(items) => Vec::<Value>::to_napi_value(env, items),
                Value::Record(fields) => {
                    // One napi_define_properties for all fields: a property set per field costs
                    // several times more, which a 1,000-element call would notice.
                    let mut props = Vec::with_capacity(fields.len());
                    for (key, v) in fields {
                        props.push(sys::napi_property_descriptor {
                            utf8name: key.as_ptr(),
                            name: std::ptr::null_mut(),
                            method: None,
                            getter: None,
                            setter: None,
                            value: Value::to_napi_value(env, v)?,
                            attributes: sys::PropertyAttributes::writable
                                | sys::PropertyAttributes::enumerable
                                | sys::PropertyAttributes::configurable,
                            data: std::ptr::null_mut(),
                        });
                    }
                    let mut obj = std::ptr::null_mut();
                    check_status!(sys::napi_create_object(env, &mut obj))?;
                    check_status!(sys::napi_define_properties(
                        env,
                        obj,
                        props.len(),
                        props.as_ptr()
                    ))?;
                    Ok(obj)
                }
            }
        }
    }
}
