//! [`Builder`]: a pool's settings and their defaults, and `build`, which starts the workers.

use super::call::CallSlot;
use super::metrics::Metrics;
use super::{worker, Inner, Pool, CALL_SLOTS};
use crate::error::{Error, ErrorKind};
#[cfg(not(shmkern_loom))]
use crate::kernels::{stream_bytes, Prefetch, VariantChoice};
use crate::sched::{WorkRanges, CHUNK_LEN};
use crate::sync::atomic::{AtomicU32, AtomicUsize};
use crate::sync::{thread, Arc, EventCount, Mutex};
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// Configures a [`Pool`]: threads, names, stack size, spin budget, inline cutoff, prefetch,
/// streaming threshold.
///
/// # Examples
///
/// ```
/// use shmkern::Pool;
/// use std::time::Duration;
///
/// let pool = Pool::builder()
///     .threads(3)
///     .thread_name(|i| format!("crunch-{i}"))
///     .stack_size(1 << 20)
///     .spin(Duration::from_micros(10))
///     .inline_below(1 << 20)
///     .build()
///     .unwrap();
/// assert_eq!(pool.threads(), 3);
/// ```
pub struct Builder {
    threads: Option<usize>,
    name: Box<dyn Fn(usize) -> String>,
    stack_size: Option<usize>,
    spin: Duration,
    inline_below: usize,
    #[cfg(not(shmkern_loom))]
    prefetch: Option<Prefetch>,
    #[cfg(not(shmkern_loom))]
    stream_bytes: Option<usize>,
    /// How many call slots the pool gets (loom builds only; elsewhere always `CALL_SLOTS`).
    #[cfg(shmkern_loom)]
    call_slots: usize,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Builder");
        d.field("threads", &self.threads)
            .field("stack_size", &self.stack_size)
            .field("spin", &self.spin)
            .field("inline_below", &self.inline_below);
        #[cfg(not(shmkern_loom))]
        d.field("prefetch", &self.prefetch)
            .field("stream_bytes", &self.stream_bytes);
        d.finish()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            threads: None,
            name: Box::new(|i| format!("shmkern-worker-{i}")),
            stack_size: None,
            spin: Builder::DEFAULT_SPIN,
            inline_below: Builder::DEFAULT_INLINE_BELOW,
            #[cfg(not(shmkern_loom))]
            prefetch: None,
            #[cfg(not(shmkern_loom))]
            stream_bytes: None,
            #[cfg(shmkern_loom)]
            call_slots: 1,
        }
    }
}

impl Builder {
    /// Default time an idle worker spins before it sleeps. A futex wake-up of a worker asleep on
    /// another CPU costs tens of microseconds, against about one for a hand-off to a CPU that is
    /// awake (docs/performance.md, "Futex" and "Pool"); 50 µs of spinning covers back-to-back calls
    /// (a loop of reductions) without holding a core for long after the last one.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{Builder, Pool};
    /// use std::time::Duration;
    ///
    /// assert!(Builder::DEFAULT_SPIN < Duration::from_millis(1));
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// // Idle past its spin budget, the worker goes to sleep on the futex.
    /// while pool.metrics()[1].sleeps == 0 {
    ///     std::thread::sleep(Builder::DEFAULT_SPIN);
    /// }
    /// ```
    pub const DEFAULT_SPIN: Duration = Duration::from_micros(50);

    /// Data-parallel calls over fewer elements than this run inline on the caller (no atomics, no
    /// wake-ups). One chunk ([`CHUNK_LEN`]) is the grid's unit, and a call with one chunk always
    /// runs inline; [`inline_below`](Builder::inline_below) can raise it.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::CHUNK_LEN;
    /// use shmkern::{Builder, ParOptions, Pool};
    ///
    /// assert_eq!(Builder::DEFAULT_INLINE_BELOW, CHUNK_LEN);
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data = vec![0u8; Builder::DEFAULT_INLINE_BELOW - 1];
    /// let opts = ParOptions { chunk_len: Some(1024), ..ParOptions::default() };
    /// let caller = std::thread::current().id();
    /// // 32 chunks, but too few elements to share: every chunk runs on the caller.
    /// let here = |_: &[u8]| std::thread::current().id() == caller;
    /// assert!(pool.reduce_with(&data, opts, here, |a, b| a && b).unwrap());
    /// ```
    pub const DEFAULT_INLINE_BELOW: usize = CHUNK_LEN;
    /// Participants, the calling thread included (so `threads - 1` workers are started); default
    /// `std::thread::available_parallelism()`. Between 1 and [`WorkRanges::MAX_PARTICIPANTS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// assert_eq!(Pool::builder().threads(3).build().unwrap().metrics().len(), 3);
    /// assert!(Pool::builder().threads(0).build().is_err());
    /// ```
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }
    /// Names worker `i` (1-based participant index); default `shmkern-worker-{i}`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder()
    ///     .threads(2)
    ///     .thread_name(|i| format!("crunch-{i}"))
    ///     .build()
    ///     .unwrap();
    /// let name = pool.spawn(|| std::thread::current().name().map(String::from)).join();
    /// assert_eq!(name, Ok(Some("crunch-1".to_string())));
    /// // A name that cannot be a thread name is an error of `build`, not a panic.
    /// let err = shmkern::Pool::builder().threads(2).thread_name(|_| "a\0b".into()).build();
    /// assert!(err.unwrap_err().to_string().contains("NUL"));
    /// ```
    pub fn thread_name(mut self, name: impl Fn(usize) -> String + 'static) -> Self {
        self.name = Box::new(name);
        self
    }
    /// Stack size of each worker, in bytes; default: std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).stack_size(16 << 20).build().unwrap();
    /// // 3 MiB on the stack: more than std's default 2 MiB thread stack holds.
    /// let sum = pool.spawn(|| {
    ///     let big = std::hint::black_box([1u8; 3 << 20]);
    ///     big.iter().map(|&b| u64::from(b)).sum::<u64>()
    /// });
    /// assert_eq!(sum.join(), Ok(3 << 20));
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }
    /// How long an idle worker spins before sleeping; default [`DEFAULT_SPIN`](Self::DEFAULT_SPIN). Zero sleeps at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    /// use std::time::Duration;
    ///
    /// let pool = Pool::builder().threads(2).spin(Duration::ZERO).build().unwrap();
    /// assert_eq!(pool.spawn(|| 6 * 7).join(), Ok(42));
    /// // No spinning: the idle worker sleeps as soon as it finds nothing to do.
    /// while pool.metrics()[1].sleeps == 0 {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn spin(mut self, budget: Duration) -> Self {
        self.spin = budget;
        self
    }
    /// Data-parallel calls over fewer elements run inline on the caller; default
    /// [`DEFAULT_INLINE_BELOW`](Self::DEFAULT_INLINE_BELOW). Results do not depend on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let inline = Pool::builder().threads(2).inline_below(usize::MAX).build().unwrap();
    /// let parallel = Pool::builder().threads(2).inline_below(0).build().unwrap();
    /// let data: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.1).collect();
    /// assert_eq!(inline.sum_float(&data).to_bits(), parallel.sum_float(&data).to_bits());
    /// let caller = std::thread::current().id();
    /// assert!(inline.reduce(&data, |_| std::thread::current().id() == caller, |a, b| a && b));
    /// ```
    pub fn inline_below(mut self, elements: usize) -> Self {
        self.inline_below = elements;
        self
    }

    /// Which kernels emit software prefetches on input that streams from memory; default
    /// [`Prefetch::detect`], the choice measured best for this CPU. Results do not depend on it:
    /// this is for measuring, or for a CPU whose prefetchers behave otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{kernels::Prefetch, Pool};
    ///
    /// let pool = Pool::builder().threads(2).prefetch(Prefetch::Off).build().unwrap();
    /// assert_eq!(pool.prefetch(), Prefetch::Off);
    /// let data: Vec<i64> = (0..1 << 20).collect();
    /// assert_eq!(pool.sum_int(&data), (1i128 << 39) - (1 << 19));
    /// ```
    #[cfg(not(shmkern_loom))]
    pub fn prefetch(mut self, prefetch: Prefetch) -> Self {
        self.prefetch = Some(prefetch);
        self
    }

    /// From which input size, in bytes, the kernels take their streaming variants (which read
    /// one block at a time and prefetch as [`prefetch`](Builder::prefetch) says); default
    /// [`kernels::stream_bytes`](crate::kernels::stream_bytes): 4 MiB, or more than the CPU's
    /// last-level cache. Smaller inputs take the cache-resident kernels. Results do not depend on
    /// it: this is for data known to come from memory or from a cache (0 streams everything,
    /// `usize::MAX` nothing), or for measuring.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let cold = Pool::builder().threads(2).stream_bytes(0).build().unwrap();
    /// let warm = Pool::builder().threads(2).stream_bytes(usize::MAX).build().unwrap();
    /// assert_eq!(cold.stream_bytes(), 0);
    /// let data: Vec<f64> = (0..100_000).map(|i| (i as f64).sqrt()).collect();
    /// assert_eq!(cold.sum_float(&data).to_bits(), warm.sum_float(&data).to_bits());
    /// ```
    #[cfg(not(shmkern_loom))]
    pub fn stream_bytes(mut self, bytes: usize) -> Self {
        self.stream_bytes = Some(bytes);
        self
    }

    /// How many data-parallel calls can run at once (loom builds only, for the models of several
    /// callers): `n` call slots, at most `CALL_SLOTS` (2 under loom), at least 1. One by default,
    /// which keeps every other model small.
    #[cfg(shmkern_loom)]
    #[doc(hidden)]
    pub fn call_slots(mut self, n: usize) -> Self {
        self.call_slots = n.clamp(1, CALL_SLOTS);
        self
    }

    /// How many call slots `build` makes.
    fn slots(&self) -> usize {
        #[cfg(shmkern_loom)]
        return self.call_slots;
        #[cfg(not(shmkern_loom))]
        CALL_SLOTS
    }

    /// Starts the workers. Fails on a thread count out of range or a thread that cannot be spawned
    /// (then the workers already started are stopped and joined).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let pool = Pool::builder().threads(3).build()?;
    /// assert_eq!(pool.metrics().len(), 3); // the calling thread and 2 workers
    /// let err = Pool::builder().threads(5000).build().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "5000 participants requested; between 1 and 1024 are supported"
    /// );
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn build(self) -> Result<Pool, Error> {
        let n = match self.threads {
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if !(1..=WorkRanges::MAX_PARTICIPANTS).contains(&n) {
            return Err(Error::new(ErrorKind::Participants {
                requested: n,
                max: WorkRanges::MAX_PARTICIPANTS,
            }));
        }
        let inner = Arc::new(Inner {
            participants: n,
            calls: (0..self.slots())
                .map(|_| CachePadded::new(CallSlot::new(n)))
                .collect(),
            sleep: EventCount::new(),
            shutdown: AtomicU32::new(0),
            tasks: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            metrics: Metrics::new(n),
            #[cfg(not(shmkern_loom))]
            caller_cpu: AtomicU32::new(u32::MAX),
            spin: self.spin,
            inline_below: self.inline_below,
            #[cfg(not(shmkern_loom))]
            variant_choice: VariantChoice {
                bytes: self.stream_bytes.unwrap_or_else(stream_bytes),
                prefetch: self.prefetch.unwrap_or_else(Prefetch::detect),
            },
        });
        let mut pool = Pool {
            inner,
            workers: Vec::with_capacity(n - 1),
        };
        for me in 1..n {
            let name = (self.name)(me);
            if name.contains('\0') {
                // std would panic in `spawn` (a thread name is a C string).
                return Err(Error::new(ErrorKind::Spawn(format!(
                    "the worker name {name:?} (from `thread_name`) contains a NUL byte"
                ))));
            }
            let mut b = thread::Builder::new().name(name);
            if let Some(s) = self.stack_size {
                b = b.stack_size(s);
            }
            let inner = pool.inner.clone();
            let spawned = b.spawn(move || worker::run(inner, me));
            match spawned {
                Ok(h) => pool.workers.push(h),
                // Dropping `pool` stops and joins the workers started so far.
                Err(e) => return Err(Error::new(ErrorKind::Spawn(e.to_string()))),
            }
        }
        Ok(pool)
    }
}
