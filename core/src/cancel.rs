//! [`CancelToken`]: a flag a caller sets to stop long work it started on
//! another thread, such as a generation whose client went away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How often work that waits looks at its token.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// Asks work to stop: clones share one flag, so the caller keeps one and
/// hands the other to the work, which ends with [`Error::Cancelled`] at its
/// next check (for a model call, within about 50 ms, also while waiting for
/// the service to answer).
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Asks the work to stop; later calls do nothing more.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether `cancel` was called on it or a clone of it.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// [`Error::Cancelled`] once cancelled.
    pub fn check(&self) -> Result<()> {
        match self.is_cancelled() {
            true => Err(Error::Cancelled),
            false => Ok(()),
        }
    }

    /// Sleeps `wait`, or less when cancelled meanwhile.
    pub(crate) fn sleep(&self, wait: Duration) -> Result<()> {
        let until = Instant::now() + wait;
        loop {
            self.check()?;
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}
