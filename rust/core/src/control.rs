//! Progress and cancellation shared between a long computation and whoever watches it.
//!
//! The binding layer runs the computation on worker threads and, from the calling thread, polls
//! `done()` to drive a progress bar and checks Python's signals; on Ctrl-C it calls `cancel()`, and the
//! computation notices at its next check (between starts, replicates or objective evaluations) and
//! returns `CoreError::Interrupted`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{CoreError, Result};

#[derive(Debug, Default)]
pub struct Control {
    cancelled: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Control {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
    /// `Err(Interrupted)` once cancelled, for `?` between units of work.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(CoreError::Interrupted)
        } else {
            Ok(())
        }
    }
    pub fn set_total(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
    pub fn advance(&self, units: usize) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
}
