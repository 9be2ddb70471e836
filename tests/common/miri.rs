//! Proptest settings for the property tests that `.ci/test` also runs under Miri.

use proptest::test_runner::Config;

/// Cases per property under Miri, where a case runs roughly a thousand times slower than natively.
/// Two: what Miri adds is the check of every unsafe path a case reaches (the fixed edge lengths
/// reach them all); the values are the native run's business, with its hundreds of cases. The
/// Miri step is the longest of CI's, and four cases a property made it half again as long.
pub const MIRI_CASES: u32 = 2;

/// `native` unchanged, except under Miri: at most [`MIRI_CASES`] cases, and no regression file.
/// Proptest reads `proptest-regressions/<test>.txt` before the first case, and Miri's isolation
/// refuses host file access; native runs still read and write the file.
pub fn config(native: Config) -> Config {
    if cfg!(miri) {
        Config {
            cases: native.cases.min(MIRI_CASES),
            failure_persistence: None,
            ..native
        }
    } else {
        native
    }
}
