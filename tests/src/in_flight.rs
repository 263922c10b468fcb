//! Invocations in flight at once, for the fixtures that show concurrency: each counts
//! itself in, and can wait until a number of them have overlapped.

use crate::PATIENCE;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Invocations in flight now, and the most there have been at once.
#[derive(Default)]
pub struct InFlight {
    counts: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, (usize, usize)> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts this invocation in until the guard drops (also on a panic).
    pub fn enter(&self) -> Entered<'_> {
        let mut counts = self.lock();
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        self.changed.notify_all();
        Entered(self)
    }

    /// Whether `count` invocations were in flight at once before [`PATIENCE`] ran out.
    pub fn wait_for(&self, count: usize) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let mut counts = self.lock();
        while counts.1 < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            counts = self
                .changed
                .wait_timeout(counts, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }
}

pub struct Entered<'a>(&'a InFlight);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.lock().0 -= 1;
    }
}
