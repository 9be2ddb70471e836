//! How the extremes treat NaN values: one policy for [`Extremes`](super::Extremes) (with
//! positions) and [`Stats`](super::Stats) (without), so that numpy's `min`/`argmin` and
//! `nanmin`/`nanargmin`, and the orders of sorting libraries, can each be had from either.

/// How the extremes treat NaN values ([`Extremes::min_with`](super::Extremes::min_with),
/// [`Stats::min_with`](super::Stats::min_with) and their `max_with`).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::NanPolicy;
///
/// let s = shmkern::stats(&[2.0, f64::NAN, -1.0]);
/// assert_eq!(s.min_with(NanPolicy::Skip), Some(-1.0)); // numpy's nanmin
/// assert!(s.min_with(NanPolicy::Propagate).unwrap().is_nan()); // numpy's min
/// assert_eq!(s.min_with(NanPolicy::Greatest), Some(-1.0));
/// assert!(s.max_with(NanPolicy::Greatest).unwrap().is_nan());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NanPolicy {
    /// NaNs are skipped (numpy's `nanargmin`/`nanargmax`, `nanmin`/`nanmax`; pandas' default).
    Skip,
    /// The first NaN is both the minimum and the maximum (numpy's `argmin`/`argmax`, `min`/`max`).
    Propagate,
    /// NaN orders above every number: the maximum is the first NaN, the minimum skips NaNs.
    Greatest,
}
