"""The statistic bootstrap: `sc.bootstrap_statistic`, the scipy.stats.bootstrap use case
(docs/methods.md section 3).

Built-in statistics are streamed in the core (never a B x n matrix) with O(n) or O(n log n)
jackknives; Python callables (scalar- or vector-valued) are the fallback, evaluated on batches of the very
resamples the built-ins draw (the core exports their indices). `axis=` bootstraps a batch of independent
problems at once, sharing each replicate's indices across the batch. Intervals: percentile, basic or BCa
with scipy's exact BCa formula, two-sided or one-sided, computed for the whole batch in one core call.
Replicate i draws from a stream determined by (seed, i) only, so extending a result with
`bootstrap_result=` continues its streams: the extension equals one longer run. Dependent data (a series
in time order) are resampled in moving, circular or stationary blocks, with Politis & White's automatic
block length by default.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import _core
from . import intervals as iv
from ._chunks import check_map, statistic_distribution
from ._statistic_problem import Problem, prepare_samples
from ._validation import FloatArray, as_float_array, integer, real
from ._validation import n_threads as check_threads
from .errors import InvalidInputError, ScalecoreWarning

__all__ = [
    "ALTERNATIVES",
    "BLOCKS",
    "STATISTICS",
    "BatchInterval",
    "BootstrapStatisticResult",
    "DegenerateDataWarning",
    "bootstrap_statistic",
    "optimal_block_length",
]

# The built-in statistics and the kinds of block, owned by the core (`Statistic::parse`, `Resampling::parse`).
STATISTICS: tuple[str, ...] = tuple(_core.STATISTICS)
BLOCKS: tuple[str, ...] = tuple(_core.BLOCKS)
ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
_DEGENERATE = (
    "The BCa confidence interval cannot be calculated. This problem is known to occur when the distribution "
    "is degenerate or the statistic is np.min."
)


class DegenerateDataWarning(ScalecoreWarning, RuntimeWarning):
    """BCa is undefined for some problem (constant data, or a statistic such as the minimum): its interval is
    NaN (scipy.stats.bootstrap's DegenerateDataWarning, which scalecore.compat.bootstrap issues instead)."""


class BatchInterval(NamedTuple):
    """Interval ends of a batch of problems (or of a vector-valued statistic), one array per end."""

    low: FloatArray
    high: FloatArray


def optimal_block_length(x: Any) -> tuple[float, float]:
    """Politis & White's (2004; corrected by Patton, Politis & White 2009) automatic block lengths of a
    series in time order: (mean block length for the stationary bootstrap, block length for circular or
    moving blocks), each at least 1; 1 for a series without serial dependence."""
    # The shape is checked here; the length and finiteness by the core.
    return _core.optimal_block_length(as_float_array("x", x, finite=False))


def _block_length(samples: list[FloatArray], block: str, value: Any) -> float:
    """The block length to use: the user's, or the median over every sample and problem of Politis &
    White's length for this kind of block (fixed blocks need a whole number: rounded up)."""
    if value is not None:
        return real("block_length", value)
    rows = [row for s in samples for row in np.asarray(s, dtype=np.float64).reshape(-1, s.shape[-1])]
    try:
        lengths = [optimal_block_length(row)[0 if block == "stationary" else 1] for row in rows]
    except InvalidInputError as exc:
        raise InvalidInputError(f"block_length: cannot be chosen from the data ({exc}); pass one") from None
    length = float(np.median(lengths))
    return length if block == "stationary" else float(np.ceil(length))


def _check_method(method: str, block: str | None) -> None:
    if method == "bca" and block is not None:
        raise InvalidInputError(
            f"method: BCa's acceleration comes from a leave-one-out jackknife, which assumes independent "
            f"observations; with block={block!r} use method='percentile' or 'basic'"
        )


def _alternative(value: Any) -> str:
    name = value.lower() if isinstance(value, str) else value
    if name not in ALTERNATIVES:
        raise InvalidInputError(f"alternative: must be one of {list(ALTERNATIVES)}, got {value!r}")
    return str(name)


def _ends(
    distribution: FloatArray, estimate: FloatArray, jackknife: list[FloatArray], lv: float, m: str, alternative: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Interval ends and standard errors of every quantity (rows of `distribution`), warning once if BCa is
    undefined for any."""
    # A one-sided level below 0.5 is refused by the core (`batch::intervals`), the rule's one home.
    alpha = (1.0 - lv) / 2.0 if alternative == "two-sided" else 1.0 - lv
    low, high, degenerate, se = _core.bootstrap_interval_batch(
        distribution, estimate, jackknife if m == "bca" else [], alpha, m
    )
    if degenerate.any():
        warnings.warn(DegenerateDataWarning(_DEGENERATE), stacklevel=3)
    if alternative == "less":
        low = np.full_like(low, -np.inf)
    elif alternative == "greater":
        high = np.full_like(high, np.inf)
    return low, high, se


@dataclass(frozen=True)
class BootstrapStatisticResult:
    """A bootstrapped statistic: its value on the data, the interval, the standard error and the bootstrap
    distribution (and the jackknife values BCa used). One problem and a scalar statistic give floats; a batch
    (`axis=`) or a vector-valued statistic gives arrays of shape (statistic axes, batch axes), and the
    distribution has the replicates last."""

    statistic: str
    estimate: float | FloatArray
    ci: iv.ConfidenceInterval | BatchInterval
    se: float | FloatArray
    distribution: FloatArray = field(repr=False)
    method: str = "bca"
    level: float = 0.95
    n_resamples: int = 0
    seed: int = 0
    jackknife: tuple[FloatArray, ...] = field(default=(), repr=False)
    alternative: str = "two-sided"
    block: str | None = None
    block_length: float = 1.0
    # The data and statistic, kept to compute the jackknife on demand and to extend the result.
    problem: Problem | None = field(default=None, repr=False, compare=False)

    @property
    def confidence_interval(self) -> iv.ConfidenceInterval | BatchInterval:
        """scipy.stats.bootstrap's name for `ci`."""
        return self.ci

    @property
    def standard_error(self) -> float | FloatArray:
        return self.se

    @property
    def bootstrap_distribution(self) -> FloatArray:
        """scipy.stats.bootstrap's name for `distribution`."""
        return self.distribution

    def interval(
        self, level: float | None = None, method: str | None = None, alternative: str | None = None
    ) -> iv.ConfidenceInterval | BatchInterval:
        """The interval at another level, by another method or on another side, from the same distribution.
        BCa on a result computed without it evaluates the jackknife now (the data are kept)."""
        m = self.method if method is None else iv.method(method)
        _check_method(m, self.block)
        jack = list(self.jackknife)
        if m == "bca" and not jack:
            if self.problem is None:
                raise InvalidInputError("method: BCa needs the data's jackknife values, and this result has no data")
            jack = self.problem.jackknife()
        shape = np.shape(self.estimate)
        q = int(np.prod(shape, dtype=np.int64))
        low, high, _ = _ends(
            self.distribution.reshape(q, -1),
            np.reshape(self.estimate, q),
            [j.reshape(q, -1) for j in jack],
            self.level if level is None else iv.level(level),
            m,
            self.alternative if alternative is None else _alternative(alternative),
        )
        return _interval(low.reshape(shape), high.reshape(shape))


def _interval(low: FloatArray, high: FloatArray) -> iv.ConfidenceInterval | BatchInterval:
    if low.ndim == 0:
        return iv.ConfidenceInterval(float(low), float(high))
    return BatchInterval(low, high)


def _vectorized(value: Any, statistic: Any) -> bool:
    if value is None:
        return "axis" in inspect.signature(statistic).parameters
    if value is not True and value is not False:
        raise InvalidInputError(f"vectorized: must be True, False or None, got {value!r}")
    return bool(value)


def bootstrap_statistic(
    data: Any,
    statistic: str | Callable[..., Any] = "mean",
    *,
    n_resamples: int = 9999,
    method: str = "bca",
    level: float = 0.95,
    alternative: str = "two-sided",
    axis: int = 0,
    seed: Any = None,
    paired: bool = False,
    block: str | None = None,
    block_length: float | None = None,
    q: float = 0.5,
    ddof: float = 0.0,
    proportiontocut: float = 0.1,
    vectorized: bool | None = None,
    batch: int | None = None,
    bootstrap_result: BootstrapStatisticResult | None = None,
    n_threads: int | None = None,
    progress: Any = None,
    map: Callable[..., Iterable[Any]] | None = None,
    chunk_size: int = 1000,
) -> BootstrapStatisticResult:
    """Bootstrap interval of a statistic of one or more samples (scipy.stats.bootstrap done fast).

    data: one sample (array) or a sequence of samples (independent, or `paired` rows). Arrays with more
        than one dimension are batches of independent problems: `axis` holds the observations, the other
        axes (broadcast across samples) index the problems, each bootstrapped as if alone.
    statistic: "mean", "median", "std", "var" (with `ddof`), "quantile" (at `q`), "trimmed_mean"
        (cutting int(proportiontocut n) values from each end, as scipy.stats.trim_mean), "correlation"
        (Pearson, two paired samples), "mean_difference" (two samples), all streamed in Rust with an
        O(n) or O(n log n) jackknife; or a callable statistic(*samples), scalar- or vector-valued (with
        `axis` when vectorised: `vectorized=None` detects an `axis` parameter), evaluated on batches of
        `batch` resamples.
    method: "percentile", "basic" or "bca" (scipy's formula exactly); `alternative` "two-sided", "less"
        (interval (-inf, high]) or "greater". BCa undefined for a problem (constant data) gives that problem
        a NaN interval and a DegenerateDataWarning.
    block: None (observations resampled independently) or, for dependent data in time order along `axis`,
        "moving" (Kunsch 1989), "circular" (Politis & Romano 1992) or "stationary" (geometric block lengths,
        Politis & Romano 1994) blocks; `block_length` is the (mean) block length, by default Politis &
        White's automatic choice (the median over samples and problems). Blocks need method "percentile"
        or "basic": BCa's jackknife assumes independent observations.
    seed: None, an integer, a numpy Generator or RandomState.
    bootstrap_result: an earlier result for the same data and statistic: its distribution is kept and
        `n_resamples` more replicates are added (continuing its streams, so the result equals one longer
        run); `n_resamples=0` only recomputes the interval (another level, method or side).
    map: a map-like callable (builtins.map, an executor's map, `scalecore.distributed.dask_map(client)`) that
        runs chunks of `chunk_size` replicates of the problem prepared once here (a callable statistic must
        pickle); the result equals the local run bit for bit.
    """
    m = iv.method(method)
    lv = iv.level(level)
    alt = _alternative(alternative)
    threads = check_threads(n_threads)
    size = check_map(map, chunk_size)
    n_res = integer("n_resamples", n_resamples, 0 if bootstrap_result is not None else 1)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise InvalidInputError(f"axis: must be an integer, got {axis!r}")
    if batch is not None:
        batch = integer("batch", batch, 1)
    if isinstance(statistic, str):
        if statistic not in STATISTICS:
            raise InvalidInputError(f"statistic: must be one of {list(STATISTICS)} or a callable, got {statistic!r}")
        vec = True
    elif callable(statistic):
        vec = _vectorized(vectorized, statistic)
    else:
        raise InvalidInputError(f"statistic: must be one of {list(STATISTICS)} or a callable, got {statistic!r}")
    samples = prepare_samples(data, int(axis))
    own = isinstance(bootstrap_result, BootstrapStatisticResult)
    if own and bootstrap_result is not None:
        # A continued result keeps its own way of drawing replicates, as it keeps its streams.
        block, length = bootstrap_result.block, bootstrap_result.block_length
    elif block is not None and block not in BLOCKS:
        raise InvalidInputError(f"block: must be None or one of {list(BLOCKS)}, got {block!r}")
    elif block is None and block_length is not None:
        raise InvalidInputError(f"block_length: {block_length!r} given without block= (the kind of block)")
    else:
        length = 1.0 if block is None else _block_length(samples, block, block_length)
    _check_method(m, block)
    problem = Problem(
        samples,
        statistic,
        paired=bool(paired),
        vectorized=vec,
        batch=batch,
        options={
            "q": real("q", q),
            "ddof": real("ddof", ddof),
            "proportiontocut": real("proportiontocut", proportiontocut),
        },
        n_threads=threads,
        progress=progress,
        block=block,
        block_length=length,
    )
    estimate = problem.estimate()
    n_q = len(estimate)
    prior = np.empty((n_q, 0))
    if bootstrap_result is not None:
        old = np.asarray(getattr(bootstrap_result, "bootstrap_distribution", None), dtype=np.float64)
        if old.ndim == 0 or old.size % max(n_q, 1) != 0 or old.shape[:-1] != problem.out_shape:
            raise InvalidInputError(
                f"bootstrap_result: its distribution has shape {old.shape}, this problem needs "
                f"{(*problem.out_shape, 'B')}"
            )
        prior = old.reshape(n_q, -1)
    # An earlier scalecore result is continued on its own streams; anything else starts new ones.
    seed_ = bootstrap_result.seed if own and bootstrap_result is not None else iv.seed(seed)
    kept = own and bootstrap_result is not None and bootstrap_result.jackknife
    if not n_res:
        fresh = np.empty((n_q, 0))
    elif map is None:
        # A built-in statistic's jackknife comes with its distribution, from the same core call.
        fresh = problem.distribution(seed_, prior.shape[1], n_res, jackknife=m == "bca" and not kept)
    else:
        fresh = statistic_distribution(problem, seed_, prior.shape[1], n_res, map, size)
    # Concatenating copies the whole distribution: only done when an earlier one is continued.
    dist = np.concatenate([prior, fresh], axis=1) if prior.shape[1] else fresh
    if dist.shape[1] < 2:
        raise InvalidInputError(f"n_resamples: the distribution needs at least 2 replicates, has {dist.shape[1]}")
    jack: list[FloatArray] = []
    if m == "bca":
        jack = [j.reshape(n_q, -1) for j in bootstrap_result.jackknife] if kept else problem.jackknife()  # type: ignore[union-attr]
    low, high, se = _ends(dist, estimate, jack, lv, m, alt)
    shape = problem.out_shape
    scalar = shape == ()
    return BootstrapStatisticResult(
        statistic=problem.name,
        estimate=float(estimate[0]) if scalar else estimate.reshape(shape),
        ci=_interval(low.reshape(shape), high.reshape(shape)),
        se=float(se[0]) if scalar else se.reshape(shape),
        distribution=dist.reshape((*shape, -1)),
        method=m,
        level=lv,
        n_resamples=dist.shape[1],
        seed=seed_,
        jackknife=tuple(j.reshape((*shape, -1)) for j in jack),
        alternative=alt,
        block=block,
        block_length=length,
        problem=problem,
    )
