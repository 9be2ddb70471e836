//! The crate's error type: opaque, with a private kind, so kinds can be added without breaking users.

use std::{fmt, io, path::Path};

/// An error from a shmkern constructor or operation. Its message names the problem and the values
/// involved.
///
/// # Examples
///
/// ```
/// use shmkern::sched::WorkRanges;
///
/// let err = WorkRanges::new(2000).unwrap_err();
/// assert_eq!(err.to_string(), "2000 participants requested; between 1 and 1024 are supported");
/// // A `std::error::Error`: `?` converts it into a boxed error.
/// let boxed: Box<dyn std::error::Error> = err.into();
/// assert!(boxed.to_string().starts_with("2000"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    ZeroChunkLen,
    TooManyChunks {
        len: usize,
        chunk_len: usize,
    },
    Participants {
        requested: usize,
        max: usize,
    },
    RoundAlreadyOpen {
        generation: u32,
    },
    NotTheOpenRound {
        expected: u32,
        found: u32,
    },
    Cancelled,
    /// A data-parallel call skipped chunks because its `ParOptions::deadline` had passed.
    DeadlinePassed,
    Spawn(String),
    /// `sched::merge_pieces` was given pieces that do not tile the grid by canonical subtrees.
    Pieces(String),
    /// `Pool::quantiles_given` was given statistics of other data.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    StatsMismatch {
        expected: u64,
        found: u64,
    },
    /// `Pool::histogram` was asked for no bin or a range it cannot draw.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    BadHistogram(String),
    /// A grouped call's key outside its groups, or too many groups.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    BadGroups(String),
    /// A quantile outside `[0, 1]`, or NaN.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    BadQuantile(String),
    /// `sched::Piece::from_bytes` was given bytes that are not a piece this reader can merge.
    PieceBytes(String),
    /// The columns of a kernel's input differ in length.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    ColumnLengths(Vec<usize>),
    #[cfg_attr(shmkern_loom, allow(dead_code))] // the kernels are not built under loom
    SumOverflow {
        sum: String,
        ty: &'static str,
    },
    /// An operating-system call on `path` failed.
    #[cfg_attr(shmkern_loom, allow(dead_code))] // buffers are not built under loom
    Io {
        path: String,
        action: &'static str,
        kind: io::ErrorKind,
        message: String,
    },
    /// `path` exists but cannot be used as asked (wrong length, a directory, a bad `.npy` header…).
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    File {
        path: String,
        problem: String,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self { kind }
    }

    /// `action` ("open", "map", …) on `path` failed with `e`.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    pub(crate) fn io(path: &Path, action: &'static str, e: &io::Error) -> Self {
        Self::new(ErrorKind::Io {
            path: path.display().to_string(),
            action,
            kind: e.kind(),
            message: e.to_string(),
        })
    }

    /// `path` cannot be used: `problem` says why.
    #[cfg_attr(shmkern_loom, allow(dead_code))]
    pub(crate) fn file(path: &Path, problem: impl Into<String>) -> Self {
        Self::new(ErrorKind::File {
            path: path.display().to_string(),
            problem: problem.into(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::ZeroChunkLen => f.write_str("chunk length must be at least 1"),
            ErrorKind::TooManyChunks { len, chunk_len } => write!(
                f,
                "{len} elements in chunks of {chunk_len} make {} chunks, more than the supported {}",
                len.div_ceil(*chunk_len),
                crate::sched::MAX_CHUNKS
            ),
            ErrorKind::Participants { requested, max } => write!(
                f,
                "{requested} participants requested; between 1 and {max} are supported"
            ),
            ErrorKind::RoundAlreadyOpen { generation } => write!(
                f,
                "round {generation} is still open: close it before opening the next"
            ),
            ErrorKind::NotTheOpenRound { expected, found } => write!(
                f,
                "round {expected} is not the open round (the generation word holds {found})"
            ),
            ErrorKind::Cancelled => f.write_str("the data-parallel call was cancelled"),
            ErrorKind::DeadlinePassed => f.write_str("the data-parallel call passed its deadline"),
            ErrorKind::Spawn(e) => write!(f, "could not start a worker thread: {e}"),
            ErrorKind::Pieces(problem) => write!(f, "cannot merge the pieces: {problem}"),
            ErrorKind::StatsMismatch { expected, found } => write!(
                f,
                "the statistics given count {expected} values in a range of the data, which holds \
                 {found}: they are not this data's"
            ),
            ErrorKind::BadHistogram(why) => write!(f, "cannot draw the histogram: {why}"),
            ErrorKind::BadGroups(why) => write!(f, "cannot group: {why}"),
            ErrorKind::BadQuantile(q) => write!(f, "the quantile {q} is not in [0, 1]"),
            ErrorKind::PieceBytes(problem) => write!(f, "cannot read the piece: {problem}"),
            ErrorKind::ColumnLengths(lengths) => write!(
                f,
                "the input columns differ in length ({}): a kernel reads equally long columns",
                lengths
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ErrorKind::SumOverflow { sum, ty } => {
                write!(f, "the exact sum {sum} does not fit in {ty}")
            }
            ErrorKind::Io {
                path,
                action,
                message,
                ..
            } => write!(f, "{path}: cannot {action}: {message}"),
            ErrorKind::File { path, problem } => write!(f, "{path}: {problem}"),
        }
    }
}

impl Error {
    /// Whether this error says a data-parallel call was cancelled through its
    /// [`CancelToken`](crate::CancelToken).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{CancelToken, sched::ChunkGrid, ParOptions, Pool};
    ///
    /// let pool = Pool::builder().threads(1).build().unwrap();
    /// let cancel = CancelToken::new();
    /// cancel.cancel();
    /// let opts = ParOptions { cancel: Some(&cancel), ..ParOptions::default() };
    /// let err = pool.reduce_with(&[1, 2, 3], opts, |c| c.len(), |a, b| a + b).unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert!(!ChunkGrid::with_chunk_len(1, 0).unwrap_err().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }

    /// Whether a data-parallel call skipped chunks because its
    /// [`ParOptions::deadline`](crate::ParOptions::deadline) had passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{ParOptions, Pool};
    /// use std::time::Instant;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let opts = ParOptions { deadline: Some(Instant::now()), ..ParOptions::default() };
    /// let err = pool.reduce_with(&[1, 2, 3], opts, |c| c.len(), |a, b| a + b).unwrap_err();
    /// assert!(err.is_timed_out() && !err.is_cancelled());
    /// ```
    pub fn is_timed_out(&self) -> bool {
        self.kind == ErrorKind::DeadlinePassed
    }

    /// The file the error is about, for errors from [`SharedBuffer`](crate::SharedBuffer)
    /// constructors.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = format!("shmkern-doc-path-{}.f64", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// std::fs::write(&path, [0u8; 3]).unwrap(); // not a whole f64
    /// // SAFETY: nothing else writes the file while it is mapped.
    /// let err = unsafe { shmkern::SharedBuffer::<f64, _>::open(&path) }.unwrap_err();
    /// assert_eq!(err.path(), Some(path.to_str().unwrap()));
    /// assert_eq!(err.io_kind(), None); // the OS could open it; it is wrong for f64
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn path(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Io { path, .. } | ErrorKind::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The operating system's error kind, when an OS call failed (a missing file is
    /// [`io::ErrorKind::NotFound`], a permission problem [`io::ErrorKind::PermissionDenied`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// let name = format!("shmkern-doc-none-{}.u8", std::process::id());
    /// let missing = std::env::temp_dir().join(name);
    /// // SAFETY: there is no file, so nothing can write it.
    /// let err = unsafe { shmkern::SharedBuffer::<u8, _>::open(&missing) }.unwrap_err();
    /// assert_eq!(err.io_kind(), Some(ErrorKind::NotFound));
    /// assert_eq!(shmkern::sched::ChunkGrid::with_chunk_len(1, 0).unwrap_err().io_kind(), None);
    /// ```
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match &self.kind {
            ErrorKind::Io { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl std::error::Error for Error {}
