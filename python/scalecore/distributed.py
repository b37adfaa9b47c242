"""Running scalecore's `map=` hooks on a cluster: `dask_map(client)` and `ray_map()` turn a Dask client
or a Ray runtime into the map-like callable that `sc.bootstrap`, `sc.bootstrap_statistic`, `sc.fit_many`
and `sc.KDE.pdf` / `logpdf` accept as ``map=`` (docs/fleets.md).

Those hooks call ``map(functools.partial(chunk_function, prepared, ...), chunks)``: a module-level chunk
function, the work prepared once (a pickled core handle or a fleet's options) and one small description
per chunk. The adapters ship the prepared part to the workers once (a Dask task of its own, Ray ``put``)
instead of once per chunk, run the chunks with retries (a chunk lost with its worker is run again;
chunks are pure functions of their input, so a rerun gives the same bits), and return the results in
chunk order, or raise `ChunkLostError`: never a partial result. Dask and Ray are imported only when an
adapter is made (extras ``scalecore[dask]``, ``scalecore[ray]``).

Nested parallelism: a worker runs one task per worker thread, and each task would by default start
the core's own pool of one thread per CPU, so a 2-thread worker on 2 cores would run 4 busy threads.
The adapters therefore run every chunk with ``n_threads`` Rust threads (default 1, one per worker
thread) unless the call itself names ``n_threads``; ``n_threads=None`` gives the core's default back.
`sc.fit_many` also takes a Dask DataFrame: it is fitted partition by partition on Dask's workers, with
every group kept whole in one partition (`fit_many_dask`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from ._chunks import TASK_THREADS, worker_threads
from ._validation import n_threads as check_threads
from .errors import ChunkLostError, InvalidInputError

__all__ = ["ChunkLostError", "dask_map", "ray_map", "worker_threads"]

MapLike = Callable[[Callable[..., Any], Iterable[Any]], list[Any]]


def _split(fn: Callable[..., Any]) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
    """A partial's function, bound arguments (shipped once) and keywords; a plain function has none."""
    if isinstance(fn, functools.partial):
        return fn.func, tuple(fn.args), dict(fn.keywords)
    return fn, (), {}


def _identity(value: Any) -> Any:
    return value


def _apply(func: Callable[..., Any], threads: int | None, item: Any, *shared: Any, **keywords: Any) -> Any:
    token = TASK_THREADS.set(threads)
    try:
        return func(*shared, item, **keywords)
    finally:
        TASK_THREADS.reset(token)


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"retries: must be a non-negative integer, got {value!r}")
    return value


def _lost(index: int, total: int, how: str, exc: BaseException) -> ChunkLostError:
    return ChunkLostError(
        f"chunk {index} of {total} was lost: {how} ({type(exc).__name__}: {exc}); no partial result is returned, "
        "run the call again (the result does not depend on which worker runs a chunk)"
    )


def dask_map(client: Any, *, retries: int = 2, n_threads: int | None = 1) -> MapLike:
    """A map over a `distributed.Client`: the partial's bound arguments are sent once (one task each,
    fetched once per worker), and each chunk is a task. A chunk that raises is retried up to `retries`
    times; a chunk whose worker dies is rescheduled by Dask up to its
    ``distributed.scheduler.allowed-failures`` times (3 by default), then `ChunkLostError` is raised.
    `n_threads`: Rust threads per chunk (see the module)."""
    n_retries = _retries(retries)
    threads = check_threads(n_threads)

    def mapper(fn: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        from distributed import KilledWorker

        func, shared, keywords = _split(fn)
        # The shared part travels once, as a task of its own rather than scattered data: the scheduler keeps
        # it, so if every worker holding it dies it is rebuilt, where scattered data would be lost with them
        # (and every chunk with it). Each worker fetches it once, from a peer.
        futures_shared = [client.submit(_identity, a, pure=False) for a in shared]
        futures = [
            client.submit(_apply, func, threads, item, *futures_shared, retries=n_retries, pure=False, **keywords)
            for item in items
        ]
        try:
            return list(client.gather(futures))
        except BaseException as exc:
            # Nothing else is waited for: the chunks still running are cancelled, not left behind.
            client.cancel(futures)
            if isinstance(exc, KilledWorker):
                keys = [f.key for f in futures]
                index = keys.index(exc.task) if exc.task in keys else -1
                raise _lost(index, len(futures), "every worker that ran it died", exc) from exc
            raise

    return mapper


def ray_map(*, retries: int = 3, n_threads: int | None = 1) -> MapLike:
    """A map over the running Ray runtime (``ray.init()`` first): bound arguments put in the object
    store once, each chunk a task retried up to `retries` times (after an exception or a dead worker),
    then `ChunkLostError`. `n_threads`: Rust threads per chunk (see the module)."""
    import ray

    n_retries = _retries(retries)
    threads = check_threads(n_threads)
    remote = ray.remote(max_retries=n_retries, retry_exceptions=n_retries > 0)(_apply)

    def mapper(fn: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        from ray.exceptions import WorkerCrashedError

        func, shared, keywords = _split(fn)
        refs = [ray.put(a) for a in shared]
        tasks = [remote.remote(func, threads, item, *refs, **keywords) for item in items]
        try:
            # A chunk's own exception (after its retries) comes back as a RayTaskError that is also an
            # instance of the original class.
            return list(ray.get(tasks))
        except BaseException as exc:
            # Ctrl-C cancels the chunks still running. After a lost chunk they are left to finish and their
            # results dropped: in Ray (2.60 here) a cancel that crosses a task's completion aborts the driver
            # process (`Check failed: it != submissible_tasks_.end()`, ray-project/ray#54846), which ended a
            # test session with exit code 1, so the cancel is kept for the one case that needs it.
            if isinstance(exc, KeyboardInterrupt):
                for t in tasks:
                    ray.cancel(t)
            if isinstance(exc, WorkerCrashedError):
                raise _lost(-1, len(tasks), "its worker died on every try", exc) from exc
            raise

    return mapper
