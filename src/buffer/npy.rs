//! NumPy `.npy` headers: a small parser and writer, so a `.npy` file maps with no copy.
//!
//! The format (NumPy's `numpy/lib/format.py`, versions 1.0, 2.0 and 3.0):
//!
//! ```text
//! "\x93NUMPY" major minor  header_len (u16 LE in 1.0, u32 LE in 2.0/3.0)  header  data…
//! ```
//!
//! `header` is a Python dict literal (ASCII; UTF-8 in 3.0) such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }`, padded with spaces and a `\n`
//! so that the data starts on a multiple of 64 bytes (16 in files from old NumPy versions). The
//! data follows in C order.
//!
//! Only what NumPy writes is accepted: exactly the keys `descr`, `fortran_order` and `shape`;
//! `descr` one of the ten little-endian types of [`DType`]; Fortran order only where it is the same
//! as C order (at most one dimension longer than 1). Everything else is an error that says what was
//! found. No external crate: the grammar is four productions, and the crates that parse it bring a
//! Python-literal parser and more dependencies than the rest of the library together.

use super::DType;
use crate::error::Error;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// What a `.npy` header says about the data after it.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{npy::NpyHeader, DType};
///
/// let bytes = NpyHeader::encode(DType::U8, 10);
/// let h = NpyHeader::parse(&bytes).unwrap();
/// // The data starts right after the header NumPy would write.
/// let want = NpyHeader { dtype: DType::U8, shape: vec![10], data_offset: bytes.len() as u64 };
/// assert_eq!(h, want);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// The element type.
    pub dtype: DType,
    /// The array's shape (read as flat: `count()` elements in C order).
    pub shape: Vec<u64>,
    /// Where the data starts: the length of magic, version, length field and header.
    pub data_offset: u64,
}

/// The longest header we read: NumPy's own limit for a header it will load without
/// `allow_pickle`-style overrides is far smaller; this bounds what a hostile file can make us read.
pub(crate) const MAX_HEADER_LEN: usize = 1 << 20;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Whether `prefix` (the first bytes of a file) starts with the `.npy` magic.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{npy::{has_magic, NpyHeader}, DType};
///
/// assert!(has_magic(&NpyHeader::encode(DType::F32, 1)));
/// assert!(!has_magic(b"PK\x03\x04")); // a zip file
/// assert!(!has_magic(b"\x93NUM")); // too short to tell
/// ```
pub fn has_magic(prefix: &[u8]) -> bool {
    prefix.starts_with(MAGIC)
}

/// Whether the file at `path` starts with the `.npy` magic string. Unlike a plain read of its
/// first bytes, this never blocks and never mistakes what cannot be mapped for a raw data file: the
/// file is opened without blocking and must be a regular file (not a directory, FIFO, socket,
/// device or pseudo-file), or the answer is an error naming the cause.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{npy::is_npy_file, DType};
/// use shmkern::SharedBuffer;
///
/// let dir = std::env::temp_dir().join(format!("shmkern-doc-is-npy-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// # let _ = std::fs::remove_file(dir.join("a.npy"));
/// SharedBuffer::<f64>::create_npy(dir.join("a.npy"), 3)?;
/// std::fs::write(dir.join("a.raw"), [0u8; 24]).unwrap();
/// assert!(is_npy_file(dir.join("a.npy"))?);
/// assert!(!is_npy_file(dir.join("a.raw"))?);
/// let missing = is_npy_file(dir.join("missing")).unwrap_err();
/// assert!(missing.to_string().contains("No such file"), "{missing}");
/// assert!(is_npy_file(&dir).unwrap_err().to_string().ends_with("is a directory, not a data file"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
pub fn is_npy_file(path: impl AsRef<Path>) -> Result<bool, Error> {
    let path = path.as_ref();
    let (mut file, _) = super::open_regular(path, false)?;
    let mut prefix = Vec::with_capacity(MAGIC.len());
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut prefix)
        .map_err(|e| Error::io(path, "read", &e))?;
    Ok(has_magic(&prefix))
}

impl NpyHeader {
    /// The number of elements: the product of the shape (1 for a 0-d array).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::{npy::NpyHeader, DType};
    ///
    /// let h = NpyHeader { dtype: DType::F64, shape: vec![2, 3, 4], data_offset: 128 };
    /// assert_eq!(h.count(), 24);
    /// assert_eq!(NpyHeader { shape: vec![], ..h }.count(), 1); // a 0-d array holds one element
    /// ```
    pub fn count(&self) -> u64 {
        self.shape.iter().product()
    }

    /// The bytes of a version 1.0 header for a 1-D array of `len` elements of `dtype`, padded so
    /// that the data starts at a multiple of 64 bytes (what NumPy writes).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::{npy::NpyHeader, DType};
    ///
    /// let bytes = NpyHeader::encode(DType::F64, 3);
    /// assert_eq!(bytes.len() % 64, 0);
    /// let h = NpyHeader::parse(&bytes).unwrap();
    /// assert_eq!((h.dtype, h.shape, h.data_offset), (DType::F64, vec![3], 128));
    /// ```
    pub fn encode(dtype: DType, len: u64) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': ({len},), }}",
            dtype.npy_descr()
        );
        let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
        let total = unpadded.div_ceil(64) * 64;
        let header_len = total - (MAGIC.len() + 4);
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[1, 0]);
        // A 1-D dict is well under 64 KiB, so the 1.0 format's u16 length always suffices.
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        out
    }

    /// Parses a header from the start of a file. `prefix` must hold at least the whole header
    /// (`Err` says how many bytes are missing otherwise); data bytes after it are ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::buffer::npy::NpyHeader;
    ///
    /// let mut file = b"\x93NUMPY\x01\x00\x46\x00".to_vec();
    /// file.extend_from_slice(b"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }");
    /// file.resize(80 - 1, b' ');
    /// file.push(b'\n');
    /// let h = NpyHeader::parse(&file).unwrap();
    /// assert_eq!(h.count(), 6);
    ///
    /// let err = NpyHeader::parse(b"\x93NUMPY\x01\x00\x10\x00{'descr': '>f8'").unwrap_err();
    /// assert!(err.contains("shorter"), "{err}");
    /// ```
    pub fn parse(prefix: &[u8]) -> Result<NpyHeader, String> {
        let (header_len, start) = preamble(prefix)?;
        let end = start + header_len;
        if prefix.len() < end {
            return Err(format!(
                "the .npy header is cut off: the file is shorter than the {header_len} header bytes \
                 its length field announces"
            ));
        }
        let text = std::str::from_utf8(&prefix[start..end])
            .map_err(|_| "the .npy header is not valid UTF-8 text".to_owned())?;
        let mut header = parse_dict(text)?;
        header.data_offset = end as u64;
        Ok(header)
    }
}

/// Checks magic and version; returns the header's length and where it starts.
pub(crate) fn preamble(prefix: &[u8]) -> Result<(usize, usize), String> {
    if !has_magic(prefix) {
        return Err("not a .npy file (the magic string \\x93NUMPY is missing)".to_owned());
    }
    let field = |n: usize| {
        prefix
            .get(8..8 + n)
            .ok_or_else(|| "the .npy header is cut off before its length field".to_owned())
    };
    let (major, minor) = match prefix.get(6..8) {
        Some(v) => (v[0], v[1]),
        None => return Err("the .npy header is cut off before its version".to_owned()),
    };
    let (len, start) = match (major, minor) {
        (1, 0) => {
            let b = field(2)?;
            (usize::from(u16::from_le_bytes([b[0], b[1]])), 10)
        }
        (2, 0) | (3, 0) => {
            let b = field(4)?;
            let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
            (len, 12)
        }
        _ => {
            return Err(format!(
                "unsupported .npy version {major}.{minor} (1.0, 2.0 and 3.0 are supported)"
            ))
        }
    };
    if len > MAX_HEADER_LEN {
        return Err(format!(
            "the .npy header claims {len} bytes, more than the {MAX_HEADER_LEN} we read"
        ));
    }
    Ok((len, start))
}

/// Reads the `.npy` header of the file at `path` (and nothing after it).
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{npy, DType};
/// use shmkern::SharedBuffer;
///
/// let dir = std::env::temp_dir().join(format!("shmkern-doc-npy-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("x.npy");
/// # let _ = std::fs::remove_file(&path);
/// SharedBuffer::<i16>::create_npy(&path, 5)?.copy_from_slice(&[1, 2, 3, 4, 5]);
/// let header = npy::read_header(&path)?;
/// assert_eq!((header.dtype, header.count()), (DType::I16, 5));
/// // SAFETY: nothing else writes the file.
/// let data = unsafe { SharedBuffer::<i16, _>::open_npy(&path)? };
/// assert_eq!(shmkern::stats(&data[..]).sum(), 15);
/// assert!(unsafe { SharedBuffer::<i32, _>::open_npy(&path) }.is_err()); // wrong dtype
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
pub fn read_header(path: impl AsRef<Path>) -> Result<NpyHeader, Error> {
    read_header_from(path.as_ref()).map(|(h, _, _)| h)
}

/// Opens `path`, reads and checks its `.npy` header; returns it with the open file and the file's
/// length in bytes.
pub(crate) fn read_header_from(path: &Path) -> Result<(NpyHeader, File, u64), Error> {
    let (mut file, bytes) = super::open_regular(path, false)?;
    let mut prefix = Vec::new();
    let mut read_to = |prefix: &mut Vec<u8>, len: usize| {
        let missing = len.saturating_sub(prefix.len()) as u64;
        (&mut file)
            .take(missing)
            .read_to_end(prefix)
            .map_err(|e| Error::io(path, "read", &e))
    };
    // Magic, version and the longest length field; then the header the length field announces.
    read_to(&mut prefix, 12)?;
    let (header_len, start) = preamble(&prefix).map_err(|p| Error::file(path, p))?;
    read_to(&mut prefix, start + header_len)?;
    let header = NpyHeader::parse(&prefix).map_err(|p| Error::file(path, p))?;
    Ok((header, file, bytes))
}

/// A cursor over the header text.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
}

impl<'a> Lexer<'a> {
    fn ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{c}'")))
        }
    }
    fn unexpected(&self, wanted: &str) -> String {
        let found: String = self.s[self.pos..].chars().take(12).collect();
        if found.is_empty() {
            format!("malformed .npy header: expected {wanted}, found the end of the header")
        } else {
            format!(
                "malformed .npy header: expected {wanted} at byte {}, found {found:?}",
                self.pos
            )
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(self.unexpected("a quoted string")),
        };
        let body = &self.s[self.pos + 1..];
        match body.find(quote) {
            Some(n) if !body[..n].contains('\\') => {
                self.pos += n + 2;
                Ok(body[..n].to_owned())
            }
            Some(_) => Err("malformed .npy header: escapes in strings are not supported".into()),
            None => Err("malformed .npy header: a string is not terminated".into()),
        }
    }
    fn int(&mut self) -> Result<u64, String> {
        self.ws();
        let digits = self.s[self.pos..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.s.len() - self.pos);
        if digits == 0 {
            return Err(self.unexpected("a dimension (a non-negative integer)"));
        }
        let text = &self.s[self.pos..self.pos + digits];
        self.pos += digits;
        // Python 2 era NumPy wrote long integers as `10L`.
        if self.peek() == Some('L') {
            self.pos += 1;
        }
        text.parse::<u64>()
            .map_err(|_| format!("malformed .npy header: dimension {text} is too large"))
    }
    /// The value of `key`: a string, a bool or a tuple of dimensions.
    fn value(&mut self, key: &str) -> Result<Value, String> {
        self.ws();
        let rest = &self.s[self.pos..];
        if rest.starts_with('\'') || rest.starts_with('"') {
            return self.string().map(Value::Str);
        }
        for (word, b) in [("True", true), ("False", false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Value::Bool(b));
            }
        }
        if rest.starts_with('[') {
            // A list is a structured dtype's field list under 'descr'; anywhere else it is a
            // malformed header (NumPy writes the shape as a tuple).
            return Err(if key == "descr" {
                "unsupported .npy dtype: structured (record) arrays are not supported".into()
            } else {
                format!(
                    "malformed .npy header: '{key}' is a list; NumPy writes a tuple, such as (10,)"
                )
            });
        }
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(')') {
                return Ok(Value::Tuple(dims));
            }
            dims.push(self.int()?);
            if !self.eat(',') {
                self.expect(')')?;
                return Ok(Value::Tuple(dims));
            }
        }
    }
}

fn parse_dict(text: &str) -> Result<NpyHeader, String> {
    let mut lx = Lexer { s: text, pos: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    lx.expect('{')?;
    loop {
        if lx.eat('}') {
            break;
        }
        let key = lx.string()?;
        if !matches!(key.as_str(), "descr" | "fortran_order" | "shape") {
            return Err(format!("malformed .npy header: unexpected key '{key}'"));
        }
        lx.expect(':')?;
        let value = lx.value(&key)?;
        let slot_taken = match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr.replace(s).is_some(),
            ("fortran_order", Value::Bool(b)) => fortran.replace(b).is_some(),
            ("shape", Value::Tuple(t)) => shape.replace(t).is_some(),
            _ => {
                return Err(format!(
                    "malformed .npy header: '{key}' has the wrong kind of value"
                ))
            }
        };
        if slot_taken {
            return Err(format!("malformed .npy header: key '{key}' appears twice"));
        }
        if !lx.eat(',') {
            lx.expect('}')?;
            break;
        }
    }
    lx.ws();
    if lx.pos != text.len() {
        return Err(lx.unexpected("only padding after the header's dict"));
    }
    let missing = |k: &str| format!("malformed .npy header: the key '{k}' is missing");
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    let dtype = DType::from_npy_descr(&descr).ok_or_else(|| {
        format!(
            "unsupported .npy dtype '{descr}': expected little-endian <f4 <f8 <i1..<i8 <u1..<u8"
        )
    })?;
    if fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
        return Err("unsupported .npy layout: Fortran-order arrays are not supported".into());
    }
    if shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .is_none()
    {
        return Err(format!("malformed .npy header: shape {shape:?} overflows"));
    }
    Ok(NpyHeader {
        dtype,
        shape,
        data_offset: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(version: (u8, u8), dict: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[version.0, version.1]);
        if version.0 == 1 {
            v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        } else {
            v.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        }
        v.extend_from_slice(dict.as_bytes());
        v
    }

    #[test]
    fn encode_parses_back_for_every_type() {
        for t in DType::ALL {
            for len in [0u64, 1, 1000, u64::MAX / 8] {
                let b = NpyHeader::encode(t, len);
                assert_eq!(b.len() % 64, 0);
                assert_eq!(*b.last().unwrap(), b'\n');
                let h = NpyHeader::parse(&b).unwrap();
                assert_eq!(
                    (h.dtype, h.count(), h.data_offset),
                    (t, len, b.len() as u64)
                );
            }
        }
    }

    #[test]
    fn accepts_what_numpy_writes_in_every_version() {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n";
        for v in [(1, 0), (2, 0), (3, 0)] {
            let h = NpyHeader::parse(&file(v, dict)).unwrap();
            assert_eq!((h.dtype, h.count()), (DType::F32, 12));
        }
        // 0-d arrays hold one element; an empty dimension makes an empty array.
        let h = NpyHeader::parse(&file(
            (1, 0),
            "{'descr':'|u1','fortran_order':False,'shape':()}",
        ));
        assert_eq!(h.unwrap().count(), 1);
        let h = NpyHeader::parse(&file(
            (1, 0),
            "{\"shape\": (5, 0), \"descr\": \"<i8\", \"fortran_order\": False}",
        ));
        assert_eq!(h.unwrap().count(), 0);
        // Python 2 long integers, and a 1-D Fortran-order array (same layout as C order).
        let h = NpyHeader::parse(&file(
            (1, 0),
            "{'descr': '<u2', 'fortran_order': True, 'shape': (7L,), }",
        ));
        assert_eq!(h.unwrap().count(), 7);
    }

    #[test]
    fn rejects_with_a_message_that_names_the_problem() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "magic"),
            (b"\x93NUMP", "magic"),
            (b"\x93NUMPY", "version"),
            (b"\x93NUMPY\x04\x00\x10\x00", "version 4.0"),
            (b"\x93NUMPY\x01\x00\x10", "length field"),
            (b"\x93NUMPY\x02\x00\xff\xff\xff\xff", "more than"),
        ];
        for (bytes, want) in cases {
            let e = NpyHeader::parse(bytes).unwrap_err();
            assert!(e.contains(want), "{e:?} should mention {want:?}");
        }
        let dicts = [
            (
                "{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }",
                "'>f8'",
            ),
            (
                "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }",
                "'<c16'",
            ),
            (
                "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }",
                "structured",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': [10], }",
                "'shape' is a list; NumPy writes a tuple",
            ),
            (
                "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }",
                "Fortran",
            ),
            (
                "{'descr': '<f8', 'shape': (3,), }",
                "'fortran_order' is missing",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}",
                "unexpected key",
            ),
            (
                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
                "twice",
            ),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}",
                "expected '('",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': 3}",
                "expected '('",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}",
                "dimension",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                "too large",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
                "overflows",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} junk",
                "padding",
            ),
            ("{'descr': '<f8, 'fortran_order': False}", "expected '}'"),
            ("{'descr': '<f8", "not terminated"),
            ("{'descr'", "expected ':'"),
            ("", "expected '{'"),
        ];
        for (dict, want) in dicts {
            let e = NpyHeader::parse(&file((1, 0), dict)).unwrap_err();
            assert!(e.contains(want), "{dict}: {e:?} should mention {want:?}");
        }
        let mut cut = file(
            (1, 0),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
        );
        cut.truncate(cut.len() - 5);
        assert!(NpyHeader::parse(&cut).unwrap_err().contains("cut off"));
        assert!(NpyHeader::parse(&file((3, 0), "{'descr': '\u{fffd}\u{0}'")).is_err());
        let mut bad_utf8 = file((1, 0), "{'descr': 'x'}");
        bad_utf8[12] = 0xff;
        assert!(NpyHeader::parse(&bad_utf8).unwrap_err().contains("UTF-8"));
    }
}
