"""The statistic bootstrap: `sc.bootstrap_statistic`, the scipy.stats.bootstrap use case
(docs/methods.md section 3).

Built-in statistics are streamed in the core (never a B x n matrix) with O(n) or O(n log n)
jackknives; Python callables are the fallback, evaluated on batches of the very resamples the
built-ins draw (the core exports their indices). Intervals: percentile, basic or BCa with scipy's
exact BCa formula. Replicate i draws from a stream determined by (seed, i) only.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._progress import progress_callback
from ._validation import FloatArray, as_float_array, real
from ._validation import n_threads as check_threads
from .errors import InvalidInputError

__all__ = ["STATISTICS", "BootstrapStatisticResult", "bootstrap_statistic"]

# The built-in statistics, owned by the core (`Statistic::parse`).
STATISTICS: tuple[str, ...] = tuple(_core.STATISTICS)


@dataclass(frozen=True)
class BootstrapStatisticResult:
    """A bootstrapped statistic: its value on the data, the interval, the standard error and the
    bootstrap distribution (and the jackknife values BCa used)."""

    statistic: str
    estimate: float
    ci: iv.ConfidenceInterval
    se: float
    distribution: FloatArray = field(repr=False)
    method: str = "bca"
    level: float = 0.95
    n_resamples: int = 0
    seed: int = 0
    jackknife: tuple[FloatArray, ...] = field(default=(), repr=False)

    @property
    def confidence_interval(self) -> iv.ConfidenceInterval:
        """scipy.stats.bootstrap's name for `ci`."""
        return self.ci

    @property
    def standard_error(self) -> float:
        return self.se

    def interval(self, level: float | None = None, method: str | None = None) -> iv.ConfidenceInterval:
        """The interval at another level or by another method, from the same distribution."""
        m = self.method if method is None else iv.method(method)
        if m == "bca" and not self.jackknife:
            raise InvalidInputError("method: BCa needs the jackknife values; rerun with method='bca'")
        return iv.interval(
            self.distribution, self.estimate, self.jackknife, self.level if level is None else iv.level(level), m
        )


def _samples(data: Any) -> list[FloatArray]:
    if isinstance(data, (tuple, list)) and len(data) > 0 and np.ndim(data[0]) >= 1:
        return [as_float_array(f"data[{i}]", d) for i, d in enumerate(data)]
    return [as_float_array("data", data)]


def _leave_one_out(n: int, start: int, stop: int) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Index rows start..stop of the leave-one-out design: row i is 0..n without i."""
    i = np.arange(start, stop)[:, None]
    j = np.arange(n - 1)[None, :]
    return np.asarray(j + (j >= i), dtype=np.intp)


def _call(statistic: Callable[..., Any], args: Sequence[FloatArray], vectorized: bool, rows: int) -> FloatArray:
    try:
        if vectorized:
            out = np.asarray(statistic(*args, axis=-1), dtype=np.float64)
        else:
            out = np.array([statistic(*(a[r] for a in args)) for r in range(rows)], dtype=np.float64)
    except InvalidInputError:
        raise
    except Exception as exc:
        raise InvalidInputError(f"statistic: the callable raised {type(exc).__name__}: {exc}") from exc
    if out.shape != (rows,):
        raise InvalidInputError(f"statistic: must return one number per resample, got shape {out.shape}")
    if not np.isfinite(out).all():
        raise InvalidInputError(f"statistic: returned a non-finite value {out[~np.isfinite(out)][0]!r}")
    return out


def _callable_statistic(
    statistic: Callable[..., Any],
    samples: list[FloatArray],
    paired: bool,
    vectorized: bool,
    seed: int,
    n_res: int,
    batch: int,
    want_jackknife: bool,
) -> tuple[float, FloatArray, list[FloatArray]]:
    sizes = [len(s) for s in samples]
    if paired and len(set(sizes)) != 1:
        raise InvalidInputError(f"data: paired samples must have equal lengths, got {sizes}")
    est = _call(statistic, [s[None, :] for s in samples], vectorized, 1)[0]
    dist = np.empty(n_res)
    for first in range(0, n_res, batch):
        count = min(batch, n_res - first)
        idx = _core.bootstrap_indices(sizes, paired=paired, seed=seed, first=first, count=count)
        args = [s[idx[0]] for s in samples] if paired else [s[i] for s, i in zip(samples, idx, strict=True)]
        dist[first : first + count] = _call(statistic, args, vectorized, count)
    jack: list[FloatArray] = []
    if want_jackknife:
        for j in range(1 if paired else len(samples)):
            n = sizes[j]
            vals = np.empty(n)
            step = max(1, 10_000_000 // n) if vectorized else n
            for start in range(0, n, step):
                stop = min(n, start + step)
                loo = _leave_one_out(n, start, stop)
                if paired:
                    args = [s[loo] for s in samples]
                else:
                    args = [
                        s[loo] if k == j else np.broadcast_to(s, (stop - start, len(s))) for k, s in enumerate(samples)
                    ]
                vals[start:stop] = _call(statistic, args, vectorized, stop - start)
            jack.append(vals)
    return float(est), dist, jack


def bootstrap_statistic(
    data: Any,
    statistic: str | Callable[..., Any] = "mean",
    *,
    n_resamples: int = 9999,
    method: str = "bca",
    level: float = 0.95,
    seed: Any = None,
    paired: bool = False,
    q: float = 0.5,
    ddof: float = 0.0,
    proportiontocut: float = 0.1,
    vectorized: bool | None = None,
    batch: int | None = None,
    n_threads: int | None = None,
    progress: Any = None,
) -> BootstrapStatisticResult:
    """Bootstrap interval of a statistic of one or more samples (scipy.stats.bootstrap done fast).

    data: one sample (array) or a sequence of samples (independent, or `paired` rows).
    statistic: "mean", "median", "std", "var" (with `ddof`), "quantile" (at `q`), "trimmed_mean"
        (cutting int(proportiontocut n) values from each end, as scipy.stats.trim_mean), "correlation"
        (Pearson, two paired samples), "mean_difference" (two samples), all streamed in Rust with an
        O(n) or O(n log n) jackknife; or a callable statistic(*samples) (with `axis` when vectorised:
        `vectorized=None` detects an `axis` parameter), evaluated on batches of `batch` resamples.
    method: "percentile", "basic" or "bca" (scipy's formula exactly). The result holds the interval,
    the standard error (ddof=1) and the bootstrap distribution.
    """
    n_res = iv.n_resamples(n_resamples)
    m = iv.method(method)
    lv = iv.level(level)
    seed_ = iv.seed(seed)
    threads = check_threads(n_threads)
    samples = _samples(data)
    for i, s in enumerate(samples):
        if len(s) < 2:
            raise InvalidInputError(f"data: each sample needs at least 2 values, sample {i} has {len(s)}")
    if isinstance(statistic, str):
        name = statistic
        callback, bar = progress_callback(progress, "bootstrap")
        try:
            out = _core.bootstrap_statistic(
                samples,
                name,
                q=real("q", q),
                ddof=real("ddof", ddof),
                proportiontocut=real("proportiontocut", proportiontocut),
                paired=bool(paired),
                seed=seed_,
                first=0,
                count=n_res,
                jackknife=m == "bca",
                n_threads=threads,
                progress=callback,
            )
        finally:
            if bar is not None:
                bar.close()
        est, dist, jack = (
            float(out["estimate"]),
            np.asarray(out["distribution"]),
            [np.asarray(j) for j in out["jackknife"]],
        )
        if not np.isfinite(dist).all() or not math.isfinite(est):
            raise InvalidInputError(f"statistic: {name} is not finite on some resamples (constant data?)")
    elif callable(statistic):
        name = getattr(statistic, "__name__", "callable")
        vec = "axis" in inspect.signature(statistic).parameters if vectorized is None else bool(vectorized)
        if batch is None:
            batch = max(1, min(n_res, 10_000_000 // max(sum(len(s) for s in samples), 1)))
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise InvalidInputError(f"batch: must be a positive integer, got {batch!r}")
        est, dist, jack = _callable_statistic(statistic, samples, bool(paired), vec, seed_, n_res, batch, m == "bca")
    else:
        raise InvalidInputError(f"statistic: must be one of {list(STATISTICS)} or a callable, got {statistic!r}")
    ci = iv.interval(dist, est, jack, lv, m)
    return BootstrapStatisticResult(
        statistic=name,
        estimate=est,
        ci=ci,
        se=float(np.std(dist, ddof=1)),
        distribution=dist,
        method=m,
        level=lv,
        n_resamples=n_res,
        seed=seed_,
        jackknife=tuple(jack),
    )
