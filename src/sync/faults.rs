//! Deliberate bugs for the loom models' broken twins (loom builds only).
//!
//! A model that passes proves little unless the same model *fails* on a protocol with the bug it is
//! about. Each twin in `loom-tests/` switches one fault on with [`inject`], runs the same model over
//! the real protocol code with that one mutation, and expects loom to report it.
//!
//! The flags are thread-local: loom runs every modelled thread as a coroutine on the OS thread that
//! called `loom::model`, so a flag set around one `loom::model` call is seen by all its threads and by
//! no other test.

use super::fault_id::FaultId;
use std::cell::Cell;

/// A fault that a broken twin can switch on.
pub use super::fault_id::FaultId as Fault;

std::thread_local! {
    static ACTIVE: Cell<u32> = const { Cell::new(0) };
}

fn bit(f: FaultId) -> u32 {
    1 << (f as u32)
}

pub(crate) fn is_active(f: FaultId) -> bool {
    ACTIVE.with(|a| a.get() & bit(f) != 0)
}

/// Switches `f` on for this OS thread until the returned guard is dropped.
pub fn inject(f: Fault) -> Injected {
    ACTIVE.with(|a| a.set(a.get() | bit(f)));
    Injected(f)
}

/// Guard returned by [`inject`]; switches its fault off again when dropped.
#[derive(Debug)]
pub struct Injected(Fault);

impl Drop for Injected {
    fn drop(&mut self) {
        let b = bit(self.0);
        ACTIVE.with(|a| a.set(a.get() & !b));
    }
}
