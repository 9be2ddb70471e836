//! What every built-in partial is: plain old data of 8-byte words, compared bit for bit.
//! `plain_partial!` writes those impls once (`Zeroable`, `Pod`, `Clone`, `Copy`, bitwise
//! `PartialEq` and `Eq`) for a `#[repr(C)]` struct generic over its element type, and checks at
//! compile time that it is exactly the number of words its author counted (so no padding).

/// Implements the plain-data traits of a partial `$name<T: StatElement>` made of `$words` 8-byte
/// fields (`u64`, `i64`, `f64`, arrays of them) and a zero-sized `PhantomData<T>`, under
/// `#[repr(C)]`.
macro_rules! plain_partial {
    ($name:ident, $words:literal) => {
        const _: () = assert!(
            std::mem::size_of::<$name<f64>>() == 8 * $words
                && std::mem::align_of::<$name<f64>>() == 8,
            concat!(stringify!($name), " is not the 8-byte words it says")
        );
        // SAFETY: `#[repr(C)]` of 8-byte integer and float fields, as the size check above holds
        // it to (no padding), and a zero-sized `PhantomData`: every bit pattern is a valid value,
        // and the accessors assume no more than that.
        unsafe impl<T: StatElement> bytemuck::Zeroable for $name<T> {}
        // SAFETY: as above; the type is `Copy` and `'static`.
        unsafe impl<T: StatElement> bytemuck::Pod for $name<T> {}
        impl<T: StatElement> Clone for $name<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T: StatElement> Copy for $name<T> {}
        impl<T: StatElement> PartialEq for $name<T> {
            /// Bitwise equality (NaNs and signed zeros compare as their bits).
            fn eq(&self, other: &Self) -> bool {
                bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
            }
        }
        impl<T: StatElement> Eq for $name<T> {}
    };
}
pub(crate) use plain_partial;
