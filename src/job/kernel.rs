//! Which kernels a job can run: [`JobKernel`] (a [`Kernel`] over one column of the job's element
//! type, with a name and parameters that the job file records) and the [`Registry`] a participant
//! looks the job's kernel up in. The job's code is the same for every kernel: `work` computes
//! `Kernel::chunk` of each claimed chunk and publishes the partial's bytes, the waits merge the
//! partials in the canonical tree and `finish` the root.

use super::Job;
use crate::buffer::{DType, Element};
use crate::error::Error;
use crate::kernels::{
    Describe, ExactMoments, ExactSum, Float, FloatSum, Int, IntSum, Kernel, MinMax, Moments, Norms,
    StatElement,
};
use crate::Pool;
use std::fmt;

/// A [`Kernel`] that cross-process jobs can run: it reads one column of the job's element type
/// (`Elem`), is known by a name, and is rebuilt in every participant from parameters the job file
/// records. Register it in the [`Registry`] of every process that works on such jobs
/// ([`Job::work_with`]); a participant whose registry does not know the job's kernel refuses the
/// job with an error naming it.
///
/// # Examples
///
/// A kernel of one's own, run as a job by two participants:
///
/// ```
/// use shmkern::job::{Job, JobKernel, Registry};
/// use shmkern::kernels::{ChunkAt, Kernel};
/// use shmkern::{Pool, SharedBuffer};
/// use std::time::Duration;
///
/// /// How many values are at least a threshold (its parameter).
/// struct AtLeast(i64);
/// impl Kernel for AtLeast {
///     type Input<'a> = &'a [i64];
///     type Partial = u64;
///     type Output = u64;
///     fn chunk(&self, _: ChunkAt, x: &[i64]) -> u64 { x.iter().filter(|&&v| v >= self.0).count() as u64 }
///     fn merge(&self, l: u64, r: u64) -> u64 { l + r }
///     fn finish(&self, n: u64) -> u64 { n }
/// }
/// impl JobKernel for AtLeast {
///     type Elem = i64;
///     const NAME: &'static str = "example.at-least";
///     fn params(&self) -> Vec<u8> { self.0.to_le_bytes().to_vec() }
///     fn from_params(p: &[u8], _: &[i64], _: &Pool) -> Result<Self, String> {
///         Ok(AtLeast(i64::from_le_bytes(p.try_into().map_err(|_| "8 bytes expected")?)))
///     }
/// }
///
/// # let dir = std::env::temp_dir().join(format!("shmkern-doc-jobkernel-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let (data, job_path) = (dir.join("data.npy"), dir.join("k.job"));
/// # let _ = std::fs::remove_file(&job_path);
/// let values: Vec<i64> = (0..200_000).collect();
/// SharedBuffer::<i64>::create_npy(&data, values.len())?.copy_from_slice(&values);
/// // SAFETY: nothing modifies the data file while the job runs.
/// let job = unsafe { Job::create_kernel(&job_path, &data, None, &AtLeast(150_000))? };
/// let mut registry = Registry::builtin();
/// registry.register::<AtLeast>();
/// // SAFETY: as above; a second participant, as another process would attach.
/// let other = unsafe { Job::attach(&job_path)? };
/// let pool = Pool::builder().threads(1).build()?;
/// std::thread::scope(|s| {
///     s.spawn(|| other.work_with(&pool, &registry).unwrap());
///     job.work_with(&pool, &registry).unwrap();
/// });
/// assert_eq!(job.wait_kernel(&AtLeast(150_000), Duration::from_secs(10))?, 50_000);
/// // The built-in registry does not know it: a clear error, nothing computed.
/// let err = job.work(&pool).unwrap_err();
/// assert!(err.to_string().contains("example.at-least"), "{err}");
/// # drop((job, other));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
pub trait JobKernel: for<'a> Kernel<Input<'a> = &'a [Self::Elem]> + Sized + 'static {
    /// The element type of the job's data.
    type Elem: Element + Sync;
    /// The name the job file records: 1 to 64 printable ASCII bytes, unique among the kernels a
    /// registry holds for one element type (prefix it with your crate's name).
    const NAME: &'static str;
    /// The parameters the job file records (at most 256 bytes), from which
    /// [`from_params`](JobKernel::from_params) rebuilds the kernel in every participant.
    fn params(&self) -> Vec<u8> {
        Vec::new()
    }
    /// The kernel a participant runs, from the job file's parameters. `data` is the job's whole
    /// input and `pool` the participant's pool, for a kernel that picks a faster variant by the
    /// input's size (never one with other bits). An `Err` (bad parameters) refuses the job.
    fn from_params(params: &[u8], data: &[Self::Elem], pool: &Pool) -> Result<Self, String>;
}

/// `Job::work` for one kernel type (`Job::work_kernel::<K>`).
pub(crate) type WorkFn = fn(&Job, &Pool) -> Result<(), Error>;

/// What the registry keeps of a kernel: its key and its `work`, instantiated for its type.
struct Entry {
    name: &'static str,
    dtype: DType,
    work: WorkFn,
}

/// The kernels a participant can run, by name and element type. [`Registry::builtin`] holds the
/// library's own (`stats` and `sum`, for every element type); [`Job::work`] uses it.
///
/// # Examples
///
/// ```
/// use shmkern::{buffer::DType, job::Registry};
///
/// let r = Registry::builtin();
/// assert!(r.knows("stats", DType::F32) && r.knows("sum", DType::U8));
/// assert!(!r.knows("example.at-least", DType::I64));
/// ```
pub struct Registry {
    entries: Vec<Entry>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (e.name, e.dtype)))
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// The library's kernels: `stats` ([`Describe`]), `sum` ([`FloatSum`] for floats, [`IntSum`]
    /// for integers), `sum_exact` ([`ExactSum`], floats), `moments_exact` ([`ExactMoments`],
    /// floats), `minmax` ([`MinMax`]), `moments` ([`Moments`]) and `norms` ([`Norms`]) over every
    /// element type.
    pub fn builtin() -> Self {
        let mut r = Self::new();
        r.register::<Describe<f32>>();
        r.register::<Describe<f64>>();
        r.register::<FloatSum<f32>>();
        r.register::<FloatSum<f64>>();
        r.register::<ExactSum<f32>>();
        r.register::<ExactSum<f64>>();
        r.register::<ExactMoments<f32>>();
        r.register::<ExactMoments<f64>>();
        r.register::<MinMax<f32>>();
        r.register::<MinMax<f64>>();
        r.register::<Moments<f32>>();
        r.register::<Moments<f64>>();
        r.register::<Norms<f32>>();
        r.register::<Norms<f64>>();
        macro_rules! ints {
            ($($t:ty),*) => {$(
                r.register::<Describe<$t>>();
                r.register::<IntSum<$t>>();
                r.register::<MinMax<$t>>();
                r.register::<Moments<$t>>();
                r.register::<Norms<$t>>();
            )*};
        }
        ints!(i8, i16, i32, i64, u8, u16, u32, u64);
        r
    }

    /// Adds `K` (replacing a kernel of the same name and element type).
    pub fn register<K: JobKernel>(&mut self) -> &mut Self {
        let dtype = K::Elem::DTYPE;
        self.entries
            .retain(|e| !(e.name == K::NAME && e.dtype == dtype));
        self.entries.push(Entry {
            name: K::NAME,
            dtype,
            work: Job::work_kernel::<K>,
        });
        self
    }

    /// Whether the registry has a kernel `name` over `dtype`.
    pub fn knows(&self, name: &str, dtype: DType) -> bool {
        self.find(name.as_bytes(), dtype).is_some()
    }

    pub(crate) fn find(&self, name: &[u8], dtype: DType) -> Option<WorkFn> {
        self.entries
            .iter()
            .find(|e| e.name.as_bytes() == name && e.dtype == dtype)
            .map(|e| e.work)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The partial size of built-in kind `kind` over `dtype`, in words (what [`Registry::builtin`]'s
/// kernel for them has).
pub(crate) fn builtin_partial_words(kind: super::JobKind, dtype: DType) -> u32 {
    use super::JobKind;
    let words = match (kind, dtype.is_float()) {
        (JobKind::Stats, _) => partial_words::<crate::Stats<f64>>(),
        (JobKind::Sum, true) => partial_words::<f64>(),
        (JobKind::Sum, false) => partial_words::<i128>(),
    };
    words as u32
}

/// Words (u64) a partial of type `P` takes in the chunk table.
pub(crate) fn partial_words<P>() -> usize {
    std::mem::size_of::<P>().div_ceil(8).max(1)
}

/// `p`'s bytes as table words (the last one zero-padded).
pub(crate) fn to_words<P: bytemuck::Pod>(p: &P) -> Vec<u64> {
    let mut words = vec![0u64; partial_words::<P>()];
    bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..std::mem::size_of::<P>()]
        .copy_from_slice(bytemuck::bytes_of(p));
    words
}

/// The partial whose bytes `words` hold.
pub(crate) fn from_words<P: bytemuck::Pod>(words: &[u64]) -> P {
    bytemuck::pod_read_unaligned(
        &bytemuck::cast_slice::<u64, u8>(words)[..std::mem::size_of::<P>()],
    )
}

impl<T: StatElement + Element> JobKernel for Describe<T> {
    type Elem = T;
    const NAME: &'static str = "stats";
    fn from_params(_: &[u8], data: &[T], pool: &Pool) -> Result<Self, String> {
        Ok(Describe::with_choice(data, pool.variant_choice()))
    }
}

impl<T: Float + Element> JobKernel for FloatSum<T> {
    type Elem = T;
    const NAME: &'static str = "sum";
    fn from_params(_: &[u8], data: &[T], pool: &Pool) -> Result<Self, String> {
        Ok(FloatSum::with_choice(data, pool.variant_choice()))
    }
}

impl<T: Int + Element> JobKernel for IntSum<T> {
    type Elem = T;
    const NAME: &'static str = "sum";
    fn from_params(_: &[u8], data: &[T], pool: &Pool) -> Result<Self, String> {
        Ok(IntSum::with_choice(data, pool.variant_choice()))
    }
}

impl<T: Float + Element> JobKernel for ExactSum<T> {
    type Elem = T;
    const NAME: &'static str = "sum_exact";
    fn from_params(_: &[u8], _: &[T], _: &Pool) -> Result<Self, String> {
        Ok(ExactSum::new())
    }
}

impl<T: Float + Element> JobKernel for ExactMoments<T> {
    type Elem = T;
    const NAME: &'static str = "moments_exact";
    fn from_params(_: &[u8], _: &[T], _: &Pool) -> Result<Self, String> {
        Ok(ExactMoments::new())
    }
}

impl<T: StatElement + Element> JobKernel for MinMax<T> {
    type Elem = T;
    const NAME: &'static str = "minmax";
    fn from_params(_: &[u8], _: &[T], _: &Pool) -> Result<Self, String> {
        Ok(MinMax::new())
    }
}

impl<T: StatElement + Element> JobKernel for Moments<T> {
    type Elem = T;
    const NAME: &'static str = "moments";
    fn from_params(_: &[u8], _: &[T], _: &Pool) -> Result<Self, String> {
        Ok(Moments::new())
    }
}

impl<T: StatElement + Element> JobKernel for Norms<T> {
    type Elem = T;
    const NAME: &'static str = "norms";
    fn from_params(_: &[u8], _: &[T], _: &Pool) -> Result<Self, String> {
        Ok(Norms::new())
    }
}
