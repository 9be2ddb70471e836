//! Shared by the futex benches: a persistent two-thread futex ping-pong over two words, and CPU
//! affinity helpers (the round trip's cost depends on where the two threads run).
#![allow(dead_code)] // each bench uses its own subset

use shmkern::sync::futex::Scope;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Tells the peer thread of a [`PingPong`] to exit.
pub const STOP: u32 = u32::MAX;

/// Waits (futex wait loop, re-checking the value) until `word` differs from `old`; returns the new value.
pub fn wait_change(word: &AtomicU32, old: u32, scope: Scope) -> u32 {
    loop {
        let v = word.load(Ordering::Acquire);
        if v != old {
            return v;
        }
        scope.wait(word, old, None);
    }
}

pub struct Words {
    ping: AtomicU32,
    pong: AtomicU32,
}

/// A persistent peer thread that answers every new value of `ping` by storing it to `pong` and waking.
pub struct PingPong {
    words: Arc<Words>,
    scope: Scope,
    seq: u32,
    peer: Option<JoinHandle<()>>,
}

impl PingPong {
    pub fn new(scope: Scope, peer_cpu: Option<usize>) -> Self {
        let words = Arc::new(Words {
            ping: AtomicU32::new(0),
            pong: AtomicU32::new(0),
        });
        let w = Arc::clone(&words);
        let peer = std::thread::spawn(move || {
            if let Some(cpu) = peer_cpu {
                pin_to(cpu);
            }
            let mut seen = 0;
            loop {
                let v = wait_change(&w.ping, seen, scope);
                if v == STOP {
                    break;
                }
                seen = v;
                w.pong.store(v, Ordering::Release);
                scope.wake_one(&w.pong);
            }
        });
        Self {
            words,
            scope,
            seq: 0,
            peer: Some(peer),
        }
    }

    /// One round trip: store a new value, wake the peer, wait for its reply.
    pub fn round_trip(&mut self) {
        // Values run 1..STOP and wrap back to 1; 0 is the initial value, STOP means exit.
        self.seq = if self.seq + 1 == STOP {
            1
        } else {
            self.seq + 1
        };
        let seq = self.seq;
        self.words.ping.store(seq, Ordering::Release);
        self.scope.wake_one(&self.words.ping);
        let mut seen = self.words.pong.load(Ordering::Acquire);
        while seen != seq {
            seen = wait_change(&self.words.pong, seen, self.scope);
        }
    }
}

impl Drop for PingPong {
    fn drop(&mut self) {
        self.words.ping.store(STOP, Ordering::Release);
        self.scope.wake_all(&self.words.ping);
        if let Some(peer) = self.peer.take() {
            peer.join().expect("ping-pong peer panicked");
        }
    }
}

/// The CPUs in the calling thread's affinity mask.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; all-zero is a valid (empty) set. sched_getaffinity writes at
    // most `size_of::<cpu_set_t>()` bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Restricts the calling thread to `cpus`.
pub fn set_affinity(cpus: &[usize]) {
    // SAFETY: as in `allowed_cpus`; sched_setaffinity only reads the set.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(
        rc,
        0,
        "sched_setaffinity: {}",
        std::io::Error::last_os_error()
    );
}

/// Pins the calling thread to one CPU.
pub fn pin_to(cpu: usize) {
    set_affinity(&[cpu]);
}
