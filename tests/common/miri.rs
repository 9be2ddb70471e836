//! Proptest settings for the property tests that `.ci/test` also runs under Miri.

use proptest::test_runner::Config;

/// Cases per property under Miri, where a case runs roughly a thousand times slower than natively.
pub const MIRI_CASES: u32 = 4;

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
