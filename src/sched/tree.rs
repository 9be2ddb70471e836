//! The canonical merge tree: the one order in which per-chunk partial results are combined
//! (`docs/numerics.md` §1). A range of `m > 1` chunks splits into the largest power of two below `m`
//! and the rest, so the tree's shape depends on the number of chunks alone — never on threads,
//! schedule, process count or where a partial was computed. Three ways to walk it, all giving the
//! same bits: [`merge_tree`] over every chunk's partial at once (the pool), [`TreeFold`] fed the
//! partials in chunk order with O(log n) memory (sequential runs, waiters), and [`merge_pieces`]
//! over partials that each cover a whole subtree (partials computed elsewhere: other processes,
//! other machines).

use crate::error::{Error, ErrorKind};
use std::collections::BTreeMap;

/// The size of the left subtree of a node over `m > 1` chunks: the largest power of two below `m`.
fn left_len(m: u32) -> u32 {
    debug_assert!(m > 1);
    1 << (u32::BITS - 1 - (m - 1).leading_zeros())
}

/// Merges `parts` (one per chunk, in chunk order, all `Some`) in the canonical tree.
///
/// # Panics
///
/// If `parts` is empty or holds a `None`.
pub(crate) fn merge_tree<R>(parts: &mut [Option<R>], merge: &impl Fn(R, R) -> R) -> R {
    let m = parts.len();
    if m == 1 {
        return parts[0].take().expect("every chunk produced a partial");
    }
    let left = left_len(u32::try_from(m).expect("at most MAX_CHUNKS chunks")) as usize;
    let (l, r) = parts.split_at_mut(left);
    let a = merge_tree(l, merge);
    let b = merge_tree(r, merge);
    merge(a, b)
}

/// Merges per-chunk partials pushed in chunk order into the canonical tree, holding at most one
/// partial per bit of the chunk count: complete subtrees of equal size merge as soon as both exist,
/// and [`finish`](TreeFold::finish) folds what is left from the right.
///
/// That is the canonical tree because its left subtrees are complete: over `m` chunks it is the
/// complete trees of the binary digits of `m`, largest first, each merged with everything to its
/// right.
///
/// # Examples
///
/// ```
/// use shmkern::sched::TreeFold;
///
/// let mut fold = TreeFold::new();
/// for k in 0..5 {
///     fold.push(k.to_string(), |a, b| format!("({a}+{b})"));
/// }
/// assert_eq!(fold.finish(|a, b| format!("({a}+{b})")).unwrap(), "(((0+1)+(2+3))+4)");
/// assert_eq!(TreeFold::<u8>::new().finish(|a, b| a + b), None);
/// ```
#[derive(Debug, Clone)]
pub struct TreeFold<P> {
    /// Complete subtrees (chunk count, partial), counts strictly decreasing from the bottom.
    stack: Vec<(u64, P)>,
}

impl<P> Default for TreeFold<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> TreeFold<P> {
    /// An empty fold.
    pub fn new() -> Self {
        Self { stack: Vec::new() }
    }

    /// How many partials have been pushed.
    pub fn chunks(&self) -> u64 {
        self.stack.iter().map(|&(n, _)| n).sum()
    }

    /// Adds the partial of the next chunk.
    pub fn push(&mut self, partial: P, merge: impl Fn(P, P) -> P) {
        let mut top = (1u64, partial);
        while let Some((n, _)) = self.stack.last() {
            if *n != top.0 {
                break;
            }
            let (n, left) = self.stack.pop().expect("just looked");
            top = (2 * n, merge(left, top.1));
        }
        self.stack.push(top);
    }

    /// The merge of every partial pushed, in the canonical tree; `None` if none was.
    pub fn finish(mut self, merge: impl Fn(P, P) -> P) -> Option<P> {
        let (_, mut acc) = self.stack.pop()?;
        while let Some((_, left)) = self.stack.pop() {
            acc = merge(left, acc);
        }
        Some(acc)
    }
}

/// A partial result covering chunks `first..first + chunks` of a grid, for [`merge_pieces`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece<P> {
    /// The first chunk the partial covers.
    pub first: u32,
    /// How many consecutive chunks it covers (at least 1).
    pub chunks: u32,
    /// The merge of those chunks' partials in the canonical tree (or one chunk's partial).
    pub partial: P,
}

/// Merges partials that together cover chunks `0..chunks` of a grid into the result of the whole
/// grid, with the same bits as one call over all of it — provided each piece covers a **subtree
/// of the canonical tree** (a single chunk always does) and was itself merged in that tree.
///
/// The subtrees of a grid of `m` chunks: the whole range; and, for a range of `n > 1` chunks
/// starting at `s`, the subtrees of its left part `s..s + p` and right part `s + p..s + n`, where
/// `p` is the largest power of two below `n`. So: aligned power-of-two blocks inside the complete
/// left parts, and the ragged right-hand spine. An outside engine that partitions on these
/// boundaries (or per chunk) and merges with this function gets the single call's bits; any other
/// split is refused, since a merge across a subtree boundary would round differently.
///
/// Errors, each naming the chunks involved: a grid of zero chunks, a piece of zero chunks or one
/// reaching past the grid, overlapping pieces, a gap, or a piece that is not a subtree.
///
/// # Examples
///
/// ```
/// use shmkern::sched::{merge_pieces, Piece};
///
/// let add = |a: String, b: String| format!("({a}+{b})");
/// let piece = |first, chunks, s: &str| Piece { first, chunks, partial: s.to_string() };
/// // 5 chunks: the canonical tree is ((0+1)+(2+3))+4.
/// let whole = merge_pieces(5, [piece(0, 4, "A"), piece(4, 1, "B")], add).unwrap();
/// assert_eq!(whole, "(A+B)");
/// let mixed = merge_pieces(5, [piece(2, 2, "C"), piece(0, 1, "x"), piece(1, 1, "y"), piece(4, 1, "z")], add);
/// assert_eq!(mixed.unwrap(), "(((x+y)+C)+z)");
/// // 1..3 straddles the split between chunks 1 and 2: not a subtree.
/// let err = merge_pieces(5, [piece(0, 1, "a"), piece(1, 2, "b"), piece(3, 2, "c")], add).unwrap_err();
/// assert!(err.to_string().contains("not a subtree"), "{err}");
/// ```
pub fn merge_pieces<P>(
    chunks: u32,
    pieces: impl IntoIterator<Item = Piece<P>>,
    merge: impl Fn(P, P) -> P,
) -> Result<P, Error> {
    let bad = |problem: String| Error::new(ErrorKind::Pieces(problem));
    if chunks == 0 {
        return Err(bad("a grid of 0 chunks has no pieces to merge".into()));
    }
    let mut by_first = BTreeMap::new();
    for p in pieces {
        let end = u64::from(p.first) + u64::from(p.chunks);
        if p.chunks == 0 || end > u64::from(chunks) {
            return Err(bad(format!(
                "the piece of {} chunks from chunk {} does not fit a grid of {chunks} chunks",
                p.chunks, p.first
            )));
        }
        if by_first.insert(p.first, (p.chunks, p.partial)).is_some() {
            return Err(bad(format!("two pieces start at chunk {}", p.first)));
        }
    }
    let mut next = 0u32;
    for (&first, &(n, _)) in &by_first {
        if first != next {
            return Err(bad(if first < next {
                format!("the piece from chunk {first} overlaps the one before it (which ends at chunk {next})")
            } else {
                format!("no piece covers chunks {next}..{first}")
            }));
        }
        next = first + n;
    }
    if next != chunks {
        return Err(bad(format!("no piece covers chunks {next}..{chunks}")));
    }
    node(0, chunks, &mut by_first, &merge).map_err(bad)
}

/// The partial of canonical subtree `lo..hi`, from `pieces` (a tiling of the grid).
fn node<P>(
    lo: u32,
    hi: u32,
    pieces: &mut BTreeMap<u32, (u32, P)>,
    merge: &impl Fn(P, P) -> P,
) -> Result<P, String> {
    if let Some(&(n, _)) = pieces.get(&lo) {
        if lo + n == hi {
            return Ok(pieces.remove(&lo).expect("just looked").1);
        }
        if lo + n > hi {
            return Err(format!(
                "the piece of chunks {lo}..{} is not a subtree of the canonical tree: it crosses \
                 the split at chunk {hi}",
                lo + n
            ));
        }
    }
    // lo..hi is not one piece, so it has more than one chunk (a tiling covers every chunk).
    let mid = lo + left_len(hi - lo);
    if let Some((&first, &(n, _))) = pieces.range(lo..mid).next_back() {
        if first + n > mid {
            return Err(format!(
                "the piece of chunks {first}..{} is not a subtree of the canonical tree: it crosses \
                 the split at chunk {mid}",
                first + n
            ));
        }
    }
    let a = node(lo, mid, pieces, merge)?;
    let b = node(mid, hi, pieces, merge)?;
    Ok(merge(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: String, b: String) -> String {
        format!("({a}+{b})")
    }

    fn by_tree(m: u32) -> String {
        let mut v: Vec<_> = (0..m).map(|k| Some(k.to_string())).collect();
        merge_tree(&mut v, &show)
    }

    #[test]
    fn shapes() {
        assert_eq!(by_tree(1), "0");
        assert_eq!(by_tree(3), "((0+1)+2)");
        assert_eq!(by_tree(4), "((0+1)+(2+3))");
        assert_eq!(by_tree(7), "(((0+1)+(2+3))+((4+5)+6))");
    }

    #[test]
    fn fold_is_the_tree() {
        // Under Miri (string formatting is slow there) up to 2^3 + 3 chunks: still every shape of
        // a partial subtree on the right.
        let most = if cfg!(miri) { 11 } else { 70 };
        for m in 1..=most {
            let mut f = TreeFold::new();
            for k in 0..m {
                f.push(k.to_string(), show);
            }
            assert_eq!(f.chunks(), u64::from(m));
            assert_eq!(f.finish(show).unwrap(), by_tree(m), "{m} chunks");
        }
    }

    #[test]
    fn single_chunk_pieces_are_the_tree() {
        let most = if cfg!(miri) { 11 } else { 40u32 };
        for m in 1..=most {
            let pieces = (0..m).rev().map(|k| Piece {
                first: k,
                chunks: 1,
                partial: k.to_string(),
            });
            assert_eq!(merge_pieces(m, pieces, show).unwrap(), by_tree(m));
        }
    }

    #[test]
    fn refused_splits() {
        let p = |first, chunks| Piece {
            first,
            chunks,
            partial: String::new(),
        };
        let err = |m, v: Vec<Piece<String>>| merge_pieces(m, v, show).unwrap_err().to_string();
        assert!(err(0, vec![]).contains("0 chunks"));
        assert!(err(3, vec![p(0, 1), p(1, 1)]).contains("no piece covers chunks 2..3"));
        assert!(err(3, vec![p(0, 2), p(1, 2)]).contains("overlaps"));
        assert!(err(3, vec![p(0, 1), p(0, 1), p(1, 2)]).contains("two pieces start"));
        assert!(err(3, vec![p(0, 1), p(1, 2)]).contains("not a subtree"));
        assert!(err(3, vec![p(0, 4)]).contains("does not fit"));
        assert!(err(3, vec![p(0, 0)]).contains("does not fit"));
    }
}
