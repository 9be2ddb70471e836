//! The sleeper list of the in-process fallback ([`super::parking`], which the loom model runs too): who
//! is asleep on which address, in FIFO order. Always used under its owner's mutex.

#[derive(Debug, Default)]
pub(super) struct SleepQueue {
    /// (address of the word, ticket) for every sleeper, oldest first.
    sleepers: Vec<(usize, u64)>,
    next_ticket: u64,
}

impl SleepQueue {
    pub(super) const fn new() -> Self {
        Self {
            sleepers: Vec::new(),
            next_ticket: 0,
        }
    }

    /// Registers a sleeper on `addr`; the ticket identifies it until it is woken or leaves.
    pub(super) fn enqueue(&mut self, addr: usize) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.sleepers.push((addr, ticket));
        ticket
    }

    /// Whether `ticket` is still asleep (not yet chosen by a wake).
    pub(super) fn is_queued(&self, ticket: u64) -> bool {
        self.sleepers.iter().any(|&(_, t)| t == ticket)
    }

    /// Removes `ticket` (a timed-out sleeper leaving); false if a wake already chose it.
    pub(super) fn leave(&mut self, ticket: u64) -> bool {
        let before = self.sleepers.len();
        self.sleepers.retain(|&(_, t)| t != ticket);
        self.sleepers.len() != before
    }

    /// Chooses up to `n` of the oldest sleepers on `addr`; returns how many.
    pub(super) fn wake(&mut self, addr: usize, n: usize) -> usize {
        let mut woken = 0;
        self.sleepers.retain(|&(a, _)| {
            if a == addr && woken < n {
                woken += 1;
                false
            } else {
                true
            }
        });
        woken
    }
}
