//! The one way heavy core work is run from Python: off the GIL, on a rayon pool of the requested
//! size, with Ctrl-C and progress handled from the calling thread.
//!
//! The work runs on a scoped worker thread inside the pool while the calling thread, GIL released,
//! waits on a channel in 100 ms slices; between slices it re-attaches to check Python's signals
//! (cancelling the work on Ctrl-C, which the core notices at its next check) and to report progress.

use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use scalecore_core::control::Control;

use crate::errors::{invalid, to_py};

const POLL: Duration = Duration::from_millis(100);

/// The pools this process keeps, by size (0: rayon's default size), most recently used last, and the
/// process that created them.
struct Pools {
    pid: u32,
    by_size: Vec<(usize, Arc<ThreadPool>)>,
}

/// Pools kept alive at once. A pool is cached so that repeated calls do not start threads again, but
/// one pool per distinct `n_threads` ever used grew a process to hundreds of idle threads; beyond
/// this many sizes the least recently used pool is dropped (its threads exit once no call uses it).
const MAX_POOLS: usize = 3;

/// A pool of `n_threads` workers (default: `RAYON_NUM_THREADS`, else one per CPU), owned by this
/// process. All work runs on such pools, never on rayon's global pool: a child forked after the parent
/// used a pool (the default start method of `multiprocessing` on Linux before Python 3.14) inherits the
/// pool without its threads, and its first parallel call would wait for them forever. So the pools are
/// rebuilt when the process id changes; the parent's are leaked in the child (dropping them would signal
/// threads that do not exist there).
fn pool(n_threads: Option<usize>) -> PyResult<Arc<ThreadPool>> {
    // The rule for `n_threads` (a positive integer, capped per core) has one home, the Python layer's
    // `_validation.n_threads`, which every public call passes through. None becomes 0, which rayon reads as
    // its default size: `RAYON_NUM_THREADS`, else one thread per CPU.
    let n = n_threads.unwrap_or(0);
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    let pid = std::process::id();
    let mut pools =
        POOLS.get_or_init(|| Mutex::new(Pools { pid, by_size: Vec::new() })).lock().unwrap_or_else(|e| e.into_inner());
    if pools.pid != pid {
        std::mem::forget(std::mem::take(&mut pools.by_size));
        pools.pid = pid;
    }
    if let Some(i) = pools.by_size.iter().position(|(size, _)| *size == n) {
        let entry = pools.by_size.remove(i);
        let p = entry.1.clone();
        pools.by_size.push(entry);
        return Ok(p);
    }
    let p = ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("scalecore-{i}"))
        .build()
        .map_err(|e| invalid("n_threads", format!("cannot start the thread pool ({n_threads:?} threads): {e}")))?;
    let p = Arc::new(p);
    if pools.by_size.len() == MAX_POOLS {
        pools.by_size.remove(0);
    }
    pools.by_size.push((n, p.clone()));
    Ok(p)
}

/// Light work that runs no parallel loop, on the calling thread with the GIL released: no hand-over to
/// a pool thread and back (the wait for a woken pool thread was most of a small call's time). Only for work
/// without rayon inside: a parallel loop started here, outside every pool, would start rayon's global
/// pool, which a forked child inherits without its threads (see `pool`); such work goes through
/// `detached` or `run`.
pub fn light<T, F>(py: Python<'_>, work: F) -> T
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    py.detach(work)
}

/// Light work that may run parallel loops, off the GIL on this process's default pool.
pub fn detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let pool = pool(None)?;
    crate::callable::clear();
    crate::callable::checked(Ok(py.detach(|| pool.install(work))))
}

/// Run `work` off the GIL. `progress`, if given, is called as `progress(done, total)` from the calling
/// thread about ten times a second while the work runs.
pub fn run<T, F>(py: Python<'_>, n_threads: Option<usize>, progress: Option<&Bound<'_, PyAny>>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Control) -> scalecore_core::error::Result<T> + Send,
{
    let pool = pool(n_threads)?;
    let control = Control::new();
    crate::callable::clear();
    let out = std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<()>();
        // A Mutex makes the receiver shareable with the GIL-free closure; only this thread locks it.
        let rx = Mutex::new(rx);
        let control = &control;
        let worker = scope.spawn(move || {
            let out = pool.install(|| work(control));
            let _ = tx.send(());
            out
        });
        loop {
            let finished = py.detach(|| match rx.lock().map(|r| r.recv_timeout(POLL)) {
                Err(_) => true,
                Ok(r) => match r {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => true,
                    Err(mpsc::RecvTimeoutError::Timeout) => false,
                },
            });
            if finished {
                break;
            }
            // A law given as a Python function raised: stop the work (`checked` reports why).
            if crate::callable::failed() {
                control.cancel();
            }
            let interrupted = py
                .check_signals()
                .err()
                .or_else(|| progress.and_then(|cb| cb.call1((control.done(), control.total())).err()));
            if let Some(err) = interrupted {
                control.cancel();
                py.detach(|| {
                    if let Ok(r) = rx.lock() {
                        let _ = r.recv();
                    }
                });
                let _ = worker.join();
                return Err(err);
            }
        }
        match worker.join() {
            Ok(result) => result.map_err(to_py),
            Err(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "internal error in scalecore's core (a bug: please report it with the input that caused it)",
            )),
        }
    });
    crate::callable::checked(out)
}
