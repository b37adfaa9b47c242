"""The fit bootstrap: `sc.bootstrap` and `BootstrapResult` (docs/methods.md section 3).

`sc.bootstrap` fits the law once (`sc.fit`), prepares the bootstrap once from that fit in the core
(its optimum is every refit's warm start, its other local optima guard the refits against other
basins, its Hessian whitens the refits' coordinates) and runs the replicates, in one call or in
chunks on `map=` workers that receive the prepared handle. Replicate i draws from a random stream
determined by (seed, i) only, so results are bit-identical for any `n_threads` and any chunking.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

import numpy as np

from . import _core
from . import intervals as iv
from ._checkpoint import Checkpoint
from ._chunks import worker_threads
from ._fit_spec import as_runs
from ._progress import progress_callback
from ._validation import FloatArray
from ._validation import n_threads as check_threads
from .bootstrap_result import DERIVED, BootstrapAllocation, BootstrapResult
from .errors import InvalidInputError
from .fit import fit
from .joint import JointBootstrap, JointFit
from .laws import Law

__all__ = ["DERIVED", "SCHEMES", "BootstrapAllocation", "BootstrapResult", "bootstrap"]

SCHEMES: tuple[str, ...] = tuple(_core.SCHEMES)


def fit_chunk(prepared: Any, n_threads: int | None, chunk: tuple[int, int]) -> tuple[FloatArray, Any]:
    """Refits of replicates chunk[0] .. chunk[0] + chunk[1] of a prepared bootstrap (module level, so that
    `map=` can ship it with the prepared handle; any worker runs it without preparing again)."""
    theta, failed = prepared.replicates(int(chunk[0]), int(chunk[1]), n_threads=worker_threads(n_threads))
    return np.asarray(theta), np.asarray(failed, dtype=bool)


@overload
def bootstrap(
    runs: JointFit,
    law: str | Law = ...,
    *,
    n_resamples: int = ...,
    seed: Any = ...,
    level: float = ...,
    n_threads: int | None = ...,
    progress: Any = ...,
) -> JointBootstrap: ...


@overload
def bootstrap(
    runs: Any,
    law: str | Law = ...,
    *,
    n_resamples: int = ...,
    seed: Any = ...,
    scheme: str = ...,
    robust: bool = ...,
    level: float = ...,
    wild_weights: str = ...,
    group: Any = ...,
    objective: str = ...,
    delta: float = ...,
    asymmetry: float = ...,
    init: Any = ...,
    fixed: Mapping[str, float] | None = ...,
    tie: Iterable[Sequence[str]] | None = ...,
    weights: Any = ...,
    max_iter: int = ...,
    ftol: float = ...,
    gtol: float = ...,
    n_threads: int | None = ...,
    progress: Any = ...,
    map: Callable[..., Iterable[Any]] | None = ...,
    chunk_size: int = ...,
    checkpoint: Any = ...,
) -> BootstrapResult: ...


def bootstrap(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    n_resamples: int = 1000,
    seed: Any = None,
    scheme: str = "pairs",
    robust: bool = False,
    level: float = 0.95,
    wild_weights: str = "rademacher",
    group: Any = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: Any = "auto",
    fixed: Mapping[str, float] | None = None,
    tie: Iterable[Sequence[str]] | None = None,
    weights: Any = None,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_threads: int | None = None,
    progress: Any = None,
    map: Callable[..., Iterable[Any]] | None = None,
    chunk_size: int = 250,
    checkpoint: Any = None,
) -> BootstrapResult | JointBootstrap:
    """Bootstrap a fit of `law` to `runs`: `n_resamples` full refits of resampled data.

    scheme: "pairs" (resample runs), "cluster" (resample whole groups: `group=` labels or the runs'
        group column; each group must hold two or more runs), "residual"
        (fitted values plus resampled residuals, in log space for the log objectives), "wild"
        (residuals times Rademacher or Webb weights, `wild_weights=`), "parametric" (normal noise of
        the residual scale).
    Each refit is warm-started from the full-data optimum (found as `sc.fit` finds it, with the same
    objective, init, fixed, tie and weights options) and guarded by the other local optima of the
    full-data multi-start; ``robust=True`` also polishes re-screened grid starts per replicate.
    Refits that do not converge are counted (``n_failed``), never silently dropped.
    progress: None (a tqdm bar after about a second in an interactive session), True, False, or a
    callable progress(done, total). map: a map-like callable (builtins.map, an executor's map, a Dask
    client's) that runs chunks of `chunk_size` replicates of the bootstrap prepared once here; results
    are identical to a local run.
    checkpoint: a file path (``"boot.npz"``): completed replicates are written there every `chunk_size`
    replicates, and a run given an existing checkpoint of the same bootstrap (same data, options and
    seed) resumes from it. An interrupted (Ctrl-C, crash, killed job) and resumed run gives exactly the
    result of an uninterrupted one; `n_resamples` may grow between runs.
    """
    if isinstance(runs, JointFit):
        # A joint fit is bootstrapped by group (stratified pairs), from its own handle.
        others = {"scheme": scheme != "pairs", "robust": robust is not False, "map": map is not None}
        for name in (k for k, given in {**others, "checkpoint": checkpoint is not None}.items() if given):
            raise InvalidInputError(f"{name}: not available for a joint fit (bootstrapped by group, in one call)")
        return runs.bootstrap(n_resamples, seed=seed, level=level, n_threads=n_threads, progress=progress)
    n_res = iv.n_resamples(n_resamples)
    seed_ = iv.seed(seed)
    if not isinstance(robust, bool):
        raise InvalidInputError(f"robust: must be True or False, got {robust!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size: must be a positive integer, got {chunk_size!r}")
    if map is not None and not callable(map):
        raise InvalidInputError(f"map: must be a map-like callable such as builtins.map, got {map!r:.60}")
    threads = check_threads(n_threads)
    r = as_runs(runs)
    labels = (r.group if group is None else np.asarray(group)) if scheme == "cluster" else None
    # Group codes 0..G; their rules (one per run, two or more runs per group) are the core's.
    codes = None if labels is None else np.unique(labels, return_inverse=True)[1].astype(np.float64).reshape(-1)
    full = fit(
        r,
        law,
        objective=objective,
        delta=delta,
        asymmetry=asymmetry,
        init=init,
        fixed=fixed,
        tie=tie,
        weights=weights,
        max_iter=max_iter,
        ftol=ftol,
        gtol=gtol,
        n_threads=threads,
    )
    prepared = _core.prepare_bootstrap(
        full.handle,
        scheme=str(scheme),
        wild_weights=str(wild_weights),
        group=codes,
        seed=seed_,
        robust=robust,
        level=level,
        n_threads=threads,
    )
    if checkpoint is not None:
        k = len(full.handle.theta)
        store = Checkpoint(checkpoint, pickle.dumps(prepared), k)
        theta, failed = _checkpointed(prepared, store, n_res, chunk_size, threads, progress, map)
    elif map is None:
        callback, bar = progress_callback(progress, "bootstrap")
        try:
            theta, failed = prepared.replicates(0, n_res, n_threads=threads, progress=callback)
        finally:
            if bar is not None:
                bar.close()
    else:
        chunks = [(s, min(chunk_size, n_res - s)) for s in range(0, n_res, chunk_size)]
        parts = list(map(functools.partial(fit_chunk, prepared, threads), chunks))
        theta = np.concatenate([p[0] for p in parts])
        failed = np.concatenate([p[1] for p in parts])
    return BootstrapResult(fit=full, prepared=prepared, theta=theta, failed=failed, level=prepared.level)


def _checkpointed(
    prepared: Any,
    store: Checkpoint,
    n_res: int,
    chunk_size: int,
    threads: int | None,
    progress: Any,
    map_: Callable[..., Iterable[Any]] | None,
) -> tuple[FloatArray, Any]:
    """Replicates 0..n_res, those in `store` read back, the rest run in chunks (on `map_` when given)
    and written to `store` after each chunk."""
    theta, failed = store.load()
    done = min(len(theta), n_res)
    thetas, fails = [theta[:done]], [failed[:done]]
    chunks = [(s, min(chunk_size, n_res - s)) for s in range(done, n_res, chunk_size)]
    callback, bar = progress_callback(progress, "bootstrap") if map_ is None else (None, None)

    def local(chunk: tuple[int, int]) -> tuple[FloatArray, Any]:
        start, count = chunk

        def offset(d: int, _total: int) -> Any:
            return callback(start + d, n_res) if callback is not None else None

        t, f = prepared.replicates(start, count, n_threads=threads, progress=offset if callback else None)
        return np.asarray(t), np.asarray(f, dtype=bool)

    results = (
        (local(c) for c in chunks) if map_ is None else map_(functools.partial(fit_chunk, prepared, threads), chunks)
    )
    try:
        # Only reached with replicates still to run, so the file never holds more than is saved here.
        for t, f in results:
            thetas.append(t)
            fails.append(f)
            store.save(np.concatenate(thetas), np.concatenate(fails))
    finally:
        if bar is not None:
            bar.close()
    return np.concatenate(thetas), np.concatenate(fails)
