//! Work run without the GIL on a worker thread while the calling thread
//! waits, hears Ctrl-C and keeps the first Python exception a callback raised.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;

use infrarag::{CancelToken, Error};

/// Calls the Python `progress(done, total, label)` from worker threads.
pub(crate) type Tick<'a> = dyn Fn(usize, usize, &str) -> ControlFlow<()> + Sync + 'a;

/// What work running off the GIL shares with the waiting thread: whether to
/// stop, and the first Python exception, raised once the work has ended.
pub(crate) struct Guard {
    stop: AtomicBool,
    raised: Mutex<Option<PyErr>>,
    /// Cancelled with `stop`, so core work that waits (a model call) stops
    /// waiting too.
    cancel: CancelToken,
}

impl Guard {
    fn keep(&self, e: PyErr) {
        if let Ok(mut slot) = self.raised.lock() {
            slot.get_or_insert(e);
        }
        self.stop.store(true, Ordering::Relaxed);
        self.cancel.cancel();
    }

    /// Calls into Python from a worker thread; an exception (or an earlier
    /// Ctrl-C) says stop, and the exception is raised when the call ends.
    pub(crate) fn call(&self, f: impl FnOnce(Python<'_>) -> PyResult<()>) -> ControlFlow<()> {
        if self.stop.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        match Python::attach(f) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.keep(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Runs core `work` without the GIL. A panic inside it is an
/// `InternalError`, not PyO3's `PanicException`, which `except Exception`
/// does not catch.
#[allow(clippy::disallowed_methods)] // This is the catching wrapper.
pub(crate) fn released<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> infrarag::Result<T> + Send,
) -> infrarag::Result<T> {
    py.detach(|| infrarag::catch_panic(work))
}

/// Runs `work` on a worker thread while this one waits without the GIL and
/// checks for Ctrl-C, which Python only delivers to the main thread. The
/// first exception `work` met through its [`Guard`], or Ctrl-C, is raised
/// here, ahead of the core's own result.
pub(crate) fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&Guard) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    detached_until(py, CancelToken::new(), work)
}

/// [`detached`] whose Ctrl-C or exception also cancels `cancel`, the token
/// the work was given.
#[allow(clippy::disallowed_methods)] // The worker thread catches panics.
pub(crate) fn detached_until<T: Send>(
    py: Python<'_>,
    cancel: CancelToken,
    work: impl FnOnce(&Guard) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    let guard = Guard {
        stop: AtomicBool::new(false),
        raised: Mutex::new(None),
        cancel,
    };
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel();
            let g = &guard;
            scope.spawn(move || {
                let _ = tx.send(infrarag::catch_panic(|| work(g)));
            });
            loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(result) => return result,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            guard.keep(e);
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(Error::Cancelled)
                    }
                }
            }
        })
    });
    match guard.raised.lock().ok().and_then(|mut e| e.take()) {
        Some(err) => Err(err),
        None => Ok(result),
    }
}

/// [`detached`] for work that reports progress: `work`'s tick calls
/// `progress(done, total, label)` and says stop after Ctrl-C or an
/// exception.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<&Py<PyAny>>,
    work: impl FnOnce(&Tick<'_>) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    detached(py, |guard| {
        let tick = |done: usize, total: usize, label: &str| {
            guard.call(|py| match progress {
                Some(cb) => cb.call1(py, (done, total, label)).map(|_| ()),
                None => Ok(()),
            })
        };
        work(&tick)
    })
}
