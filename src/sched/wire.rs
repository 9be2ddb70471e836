//! A [`Piece`] as bytes: the versioned format in which a partial travels between processes,
//! machines and engines before [`merge_pieces`](super::merge_pieces) combines it.
//!
//! Layout, every integer little-endian:
//!
//! | offset | bytes | field |
//! |---:|---:|---|
//! | 0 | 8 | magic `SHMKPIEC` |
//! | 8 | 2 | format version, [`PIECE_FORMAT_VERSION`] |
//! | 10 | 1 | byte order of the partial's bytes: 0 little-endian, 1 big-endian |
//! | 11 | 1 | kernel name length `k`, 1 to 64 |
//! | 12 | 4 | the grid's chunk length ([`CHUNK_LEN`](super::CHUNK_LEN)) |
//! | 16 | 4 | first chunk |
//! | 20 | 4 | chunks covered |
//! | 24 | 4 | partial size `p` in bytes |
//! | 28 | `k` | kernel name, UTF-8 |
//! | 28 + k | `p` | the partial's bytes as the writer holds them in memory (`bytemuck::Pod`) |
//! | 28 + k + p | 8 | FNV-1a of every byte before it |
//!
//! The partial's own bytes are not converted: a partial is any `Pod` type, whose fields only its
//! kernel knows. A reader whose byte order differs from the writer's refuses the piece instead of
//! merging garbage (every target shmkern supports today, x86-64 and aarch64, is little-endian).
//! The chunk length, the kernel name and the partial size must match the reader's, so a piece
//! from another grid or another kernel is an error, never a wrong result.

use super::grid::CHUNK_LEN;
use super::tree::Piece;
use crate::error::{Error, ErrorKind};
use bytemuck::Pod;

/// The version of the byte format written by [`Piece::to_bytes`]. Readers refuse other versions.
pub const PIECE_FORMAT_VERSION: u16 = 1;

const MAGIC: [u8; 8] = *b"SHMKPIEC";
const FIXED: usize = 28;
const MAX_NAME: usize = 64;

/// The byte order of this target, as the format records it.
const NATIVE_ORDER: u8 = if cfg!(target_endian = "little") { 0 } else { 1 };

/// FNV-1a over `b`: catches a corrupted or truncated record (not an adversary, who can recompute
/// it; what it forges is then checked field by field, or spoils only its own result).
#[cfg_attr(shmkern_loom, allow(dead_code))]
pub(crate) fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn bad(problem: String) -> Error {
    Error::new(ErrorKind::PieceBytes(problem))
}

impl<P: Pod> Piece<P> {
    /// This piece in the byte format of this module, under `kernel`'s name (1 to 64 bytes of
    /// UTF-8; the name a reader must ask for).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{partial, FloatSum, Kernel};
    /// use shmkern::sched::{merge_pieces, Piece, CHUNK_LEN};
    ///
    /// let data: Vec<f64> = (0..3 * CHUNK_LEN).map(|i| (i as f64).sqrt()).collect();
    /// let sum = FloatSum::new();
    /// // Two workers, two pieces that are subtrees of the canonical tree: chunks 0–1 and 2.
    /// let (a, b) = data.split_at(2 * CHUNK_LEN);
    /// let wire = [
    ///     Piece { first: 0, chunks: 2, partial: partial(&sum, a, 0)? }.to_bytes("sum")?,
    ///     Piece { first: 2, chunks: 1, partial: partial(&sum, b, 2)? }.to_bytes("sum")?,
    /// ];
    /// // Elsewhere, later: read them back and merge in the canonical tree.
    /// let pieces = wire
    ///     .iter()
    ///     .map(|bytes| Piece::<f64>::from_bytes(bytes, "sum"))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let root = merge_pieces(3, pieces, |l, r| sum.merge(l, r))?;
    /// assert_eq!(sum.finish(root).to_bits(), shmkern::sum(&data).to_bits());
    ///
    /// // Another kernel's name, a damaged byte: errors, not results.
    /// assert!(Piece::<f64>::from_bytes(&wire[0], "stats").is_err());
    /// let mut damaged = wire[1].clone();
    /// damaged[30] ^= 1;
    /// assert!(Piece::<f64>::from_bytes(&damaged, "sum").is_err());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn to_bytes(&self, kernel: &str) -> Result<Vec<u8>, Error> {
        check_name(kernel)?;
        if self.chunks == 0 {
            return Err(bad("a piece covers at least one chunk".into()));
        }
        let partial = bytemuck::bytes_of(&self.partial);
        let size = u32::try_from(partial.len())
            .map_err(|_| bad(format!("a partial of {} bytes is too large", partial.len())))?;
        let mut b = Vec::with_capacity(FIXED + kernel.len() + partial.len() + 8);
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&PIECE_FORMAT_VERSION.to_le_bytes());
        b.push(NATIVE_ORDER);
        b.push(kernel.len() as u8);
        b.extend_from_slice(&(CHUNK_LEN as u32).to_le_bytes());
        b.extend_from_slice(&self.first.to_le_bytes());
        b.extend_from_slice(&self.chunks.to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(kernel.as_bytes());
        b.extend_from_slice(partial);
        let sum = fnv1a(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        Ok(b)
    }

    /// The piece that [`to_bytes`](Piece::to_bytes) wrote under the name `kernel`. Errors, each
    /// naming the field: not this format (magic), another version, a damaged or truncated record
    /// (checksum, lengths), another kernel, another chunk length, a partial of another size, the
    /// other byte order, a piece of no chunk or past the largest grid.
    pub fn from_bytes(bytes: &[u8], kernel: &str) -> Result<Self, Error> {
        check_name(kernel)?;
        if bytes.len() < FIXED + 8 || bytes[..8] != MAGIC {
            return Err(bad("the bytes are not a shmkern piece (magic)".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let u16_at = |o: usize| u16::from_le_bytes([body[o], body[o + 1]]);
        let u32_at = |o: usize| u32::from_le_bytes(body[o..o + 4].try_into().expect("4 bytes"));
        let version = u16_at(8);
        if version != PIECE_FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version}, this build reads version {PIECE_FORMAT_VERSION}"
            )));
        }
        if u64::from_le_bytes(sum.try_into().expect("8 bytes")) != fnv1a(body) {
            return Err(bad(
                "the checksum does not match: damaged or truncated".into()
            ));
        }
        let (order, name_len) = (body[10], usize::from(body[11]));
        let (chunk_len, first, chunks, size) = (u32_at(12), u32_at(16), u32_at(20), u32_at(24));
        let want = size_of::<P>();
        if body.len() != FIXED + name_len + size as usize {
            return Err(bad(format!(
                "{} bytes, where the header says {}",
                bytes.len(),
                FIXED + name_len + size as usize + 8
            )));
        }
        let name = &body[FIXED..FIXED + name_len];
        if name != kernel.as_bytes() {
            return Err(bad(format!(
                "a piece of kernel {:?}, not {kernel:?}",
                String::from_utf8_lossy(name)
            )));
        }
        if chunk_len as usize != CHUNK_LEN {
            return Err(bad(format!(
                "chunks of {chunk_len} elements, this build's grid has {CHUNK_LEN}"
            )));
        }
        if size as usize != want {
            return Err(bad(format!(
                "a partial of {size} bytes, {kernel:?} here has {want}"
            )));
        }
        if order != NATIVE_ORDER {
            return Err(bad(format!(
                "written on a {} machine; partials are read in the writer's byte order only",
                match order {
                    0 => "little-endian",
                    1 => "big-endian",
                    _ => "unknown-endian",
                }
            )));
        }
        if chunks == 0 || first.checked_add(chunks).is_none() {
            return Err(bad(format!(
                "chunks {first}..{first}+{chunks} are not a range of a grid"
            )));
        }
        let partial = bytemuck::pod_read_unaligned(&body[FIXED + name_len..]);
        Ok(Piece {
            first,
            chunks,
            partial,
        })
    }
}

fn check_name(kernel: &str) -> Result<(), Error> {
    if kernel.is_empty() || kernel.len() > MAX_NAME {
        return Err(bad(format!(
            "a kernel name has 1 to {MAX_NAME} bytes, {kernel:?} has {}",
            kernel.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece() -> Piece<[u64; 3]> {
        Piece {
            first: 4,
            chunks: 2,
            partial: [1, u64::MAX, 0x0102_0304_0506_0708],
        }
    }

    #[test]
    fn round_trip() {
        let b = piece().to_bytes("triple").unwrap();
        assert_eq!(b.len(), FIXED + 6 + 24 + 8);
        let back = Piece::<[u64; 3]>::from_bytes(&b, "triple").unwrap();
        assert_eq!(
            (back.first, back.chunks, back.partial),
            (4, 2, piece().partial)
        );
    }

    /// Every single-byte change and every truncation is refused with an error, never read back.
    #[test]
    fn every_damaged_byte_and_truncation_is_an_error() {
        let b = piece().to_bytes("triple").unwrap();
        for i in 0..b.len() {
            let mut d = b.clone();
            d[i] ^= 0x10;
            assert!(
                Piece::<[u64; 3]>::from_bytes(&d, "triple").is_err(),
                "byte {i}"
            );
        }
        for n in 0..b.len() {
            assert!(
                Piece::<[u64; 3]>::from_bytes(&b[..n], "triple").is_err(),
                "{n} bytes"
            );
        }
    }

    /// Fields that are consistent (checksum recomputed) but not this reader's are named.
    #[test]
    fn foreign_fields_are_named() {
        let forge = |at: usize, v: &[u8]| {
            let mut d = piece().to_bytes("triple").unwrap();
            let body = d.len() - 8;
            d[at..at + v.len()].copy_from_slice(v);
            let sum = fnv1a(&d[..body]);
            d[body..].copy_from_slice(&sum.to_le_bytes());
            Piece::<[u64; 3]>::from_bytes(&d, "triple")
                .unwrap_err()
                .to_string()
        };
        assert!(forge(8, &2u16.to_le_bytes()).contains("version 2"));
        assert!(forge(10, &[1 - NATIVE_ORDER]).contains("byte order"));
        assert!(forge(12, &1024u32.to_le_bytes()).contains("chunks of 1024"));
        assert!(forge(20, &0u32.to_le_bytes()).contains("not a range"));
        assert!(forge(16, &u32::MAX.to_le_bytes()).contains("not a range"));
        assert!(forge(28, b"T").contains("kernel \"Triple\""));
        let b = piece().to_bytes("triple").unwrap();
        let err = Piece::<[u64; 2]>::from_bytes(&b, "triple").unwrap_err();
        assert!(err.to_string().contains("24 bytes"), "{err}");
        assert!(Piece::<u8>::from_bytes(b"not a piece at all, not at all!!!!!", "x").is_err());
        assert!(piece().to_bytes("").is_err());
        assert!(piece().to_bytes(&"k".repeat(65)).is_err());
    }
}
