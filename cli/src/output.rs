//! How values are written: JSON (`--json`) and text. Floats use the shortest text that reads back
//! to the same `f64`; NaN and ±∞ are the JSON strings `"NaN"`, `"inf"`, `"-inf"`; integers stay
//! integers at any size (serde_json's `arbitrary_precision`); undefined values are `null`.

use serde_json::{Number, Value};
use std::io::Write;

/// A value the command prints: the element types and the sums' types.
pub trait Scalar: Copy {
    fn json(self) -> Value;
    fn text(self) -> String;
}

/// The shortest decimal text that reads back to `x` (finite `x`).
fn shortest(x: f64) -> String {
    match Number::from_f64(x) {
        Some(n) => n.to_string(),
        None => float_word(x).to_owned(),
    }
}

fn float_word(x: f64) -> &'static str {
    if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

impl Scalar for f64 {
    fn json(self) -> Value {
        match Number::from_f64(self) {
            Some(n) => Value::Number(n),
            None => Value::String(float_word(self).to_owned()),
        }
    }
    fn text(self) -> String {
        shortest(self)
    }
}

impl Scalar for f32 {
    fn json(self) -> Value {
        f64::from(self).json()
    }
    fn text(self) -> String {
        f64::from(self).text()
    }
}

macro_rules! integer_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn json(self) -> Value {
                // With `arbitrary_precision` a Number holds its decimal text: exact at any width.
                Value::Number(self.to_string().parse::<Number>().expect("an integer is a JSON number"))
            }
            fn text(self) -> String {
                self.to_string()
            }
        }
    )*};
}

integer_scalar!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128);

/// `Some(x)` as its JSON value, `None` as `null`.
pub fn json_opt<S: Scalar>(x: Option<S>) -> Value {
    x.map_or(Value::Null, Scalar::json)
}

/// `Some(x)` as text, `None` as "undefined".
pub fn text_opt<S: Scalar>(x: Option<S>) -> String {
    x.map_or_else(|| "undefined".to_owned(), Scalar::text)
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error worth a message.
pub fn print(text: &str) -> Result<(), crate::Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(crate::Failure::Other(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}

/// Rows of `name  value` text, aligned.
pub fn rows(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}

/// Bytes per second as "12.3 GB/s".
pub fn rate(bytes: u64, seconds: f64) -> String {
    if seconds > 0.0 {
        format!("{:.1} GB/s", bytes as f64 / seconds / 1e9)
    } else {
        "-".to_owned()
    }
}

/// A byte count as "1.00 GiB" / "64.0 MiB" / "512 B".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_shortest_and_special_values_are_words() {
        assert_eq!(0.1f64.json().to_string(), "0.1");
        assert_eq!(1e300f64.json().to_string(), "1e+300");
        assert_eq!((-0.0f64).json().to_string(), "-0.0");
        assert_eq!(0.1f32.json().to_string(), "0.10000000149011612");
        assert_eq!(f64::NAN.json(), Value::String("NaN".into()));
        assert_eq!(f64::INFINITY.json(), Value::String("inf".into()));
        assert_eq!(f32::NEG_INFINITY.json(), Value::String("-inf".into()));
        for x in [0.1, 1.0 / 3.0, 5e-324, f64::MAX, 123456.789] {
            assert_eq!(
                x.json().to_string().parse::<f64>().unwrap().to_bits(),
                x.to_bits()
            );
        }
    }

    #[test]
    fn integers_stay_exact_beyond_2_pow_53_and_64() {
        assert_eq!((i128::MAX).json().to_string(), i128::MAX.to_string());
        assert_eq!((u128::MAX).json().to_string(), u128::MAX.to_string());
        assert_eq!((i64::MIN).json().to_string(), "-9223372036854775808");
        assert_eq!(((1u64 << 53) + 1).json().to_string(), "9007199254740993");
        assert_eq!(json_opt::<f64>(None), Value::Null);
    }

    #[test]
    fn sizes_and_rates_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1 << 30), "1.00 GiB");
        assert_eq!(size(3 << 19), "1.50 MiB");
        assert_eq!(rate(2_000_000_000, 0.5), "4.0 GB/s");
    }
}
