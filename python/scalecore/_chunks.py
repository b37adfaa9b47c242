"""What `map=` ships to workers for the statistic bootstrap and KDE evaluation (docs/fleets.md): the work
prepared once on the caller's side (a `Problem` with its estimate, a KDE handle with its evaluation method
fixed), a module-level chunk function, and one small (start, count) or query block per chunk. The rule
for `map` and `chunk_size` and the per-task thread count have their one home here.

Every chunk is a pure function of what it receives, so the results equal the local run bit for bit for
any chunking: a bootstrap replicate i draws from the stream (seed, i) whatever chunk it is in, and a KDE
query's value depends on that query alone once the method (exact or binned) is fixed for the whole call.
"""

from __future__ import annotations

import contextvars
import copy
import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._validation import FloatArray
from .errors import InvalidInputError

# The Rust threads of one chunk when an adapter of scalecore.distributed runs it (None: the core's default).
# A context variable, so that each worker thread sees the value of the task it runs.
TASK_THREADS: contextvars.ContextVar[int | None] = contextvars.ContextVar("scalecore_task_threads", default=None)


def worker_threads(n_threads: int | None) -> int | None:
    """The thread count a chunk function passes to the core: the caller's `n_threads` when given, else the
    adapter's per-task count when the chunk runs under `dask_map` / `ray_map`, else None (core default)."""
    return n_threads if n_threads is not None else TASK_THREADS.get()


def check_map(map_: Any, chunk_size: Any) -> int:
    """`map` must be None or callable and `chunk_size` a positive integer; returns the chunk size."""
    if map_ is not None and not callable(map_):
        raise InvalidInputError(f"map: must be a map-like callable such as builtins.map, got {map_!r:.60}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size: must be a positive integer, got {chunk_size!r}")
    return int(chunk_size)


def spans(first: int, count: int, chunk_size: int) -> list[tuple[int, int]]:
    """(start, count) of the chunks covering first .. first + count."""
    return [(s, min(chunk_size, first + count - s)) for s in range(first, first + count, chunk_size)]


# --- the statistic bootstrap ---------------------------------------------------------------------------------


def statistic_chunk(problem: Any, seed: int, chunk: tuple[int, int]) -> FloatArray:
    """Replicates chunk[0] .. chunk[0] + chunk[1] of a prepared statistic bootstrap `Problem`, (Q, count)."""
    local = copy.copy(problem)
    local.n_threads, local.progress = worker_threads(problem.n_threads), False
    return np.asarray(local.distribution(seed, int(chunk[0]), int(chunk[1])), dtype=np.float64)


def statistic_distribution(
    problem: Any, seed: int, first: int, count: int, map_: Callable[..., Iterable[Any]], chunk_size: int
) -> FloatArray:
    """Replicates first .. first + count of `problem`, run in chunks on `map_`, (Q, count)."""
    problem.estimate()  # computed once here, shipped with the problem
    parts = list(map_(functools.partial(statistic_chunk, problem, seed), spans(first, count, chunk_size)))
    return np.concatenate(parts, axis=1) if parts else np.empty((len(problem.estimate()), 0))


# --- KDE evaluation ------------------------------------------------------------------------------------------


def density_chunk(handle: Any, log: bool, queries: FloatArray) -> FloatArray:
    """pdf (or logpdf) of a KDE handle at one block of queries."""
    return np.asarray(handle.density(queries, log, n_threads=worker_threads(handle.n_threads)))


def fixed_method(handle: Any, m: int) -> Any:
    """A copy of the KDE handle whose method is the one `auto` takes for m queries (exact or binned), so that
    every block of the queries is evaluated as the whole set would be; the handle itself when already fixed."""
    method = "binned" if handle.uses_binned(m) else "exact"
    if handle.method == method:
        return handle
    rebuild, args = handle.__reduce__()
    return rebuild(*args[:4], method, *args[5:])


def density(
    handle: Any, queries: FloatArray, log: bool, map_: Callable[..., Iterable[Any]], chunk_size: int
) -> FloatArray:
    """pdf (or logpdf) at every query, in blocks of `chunk_size` queries (rows when d > 1) on `map_`."""
    shipped = fixed_method(handle, len(queries))
    blocks = [queries[s : s + n] for s, n in spans(0, len(queries), chunk_size)]
    parts = list(map_(functools.partial(density_chunk, shipped, bool(log)), blocks))
    return np.concatenate(parts) if parts else np.empty(0)
