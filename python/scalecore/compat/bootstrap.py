"""`bootstrap` with scipy.stats.bootstrap's signature, checks, error messages and result type, computed by
`sc.bootstrap_statistic` (docs/methods.md section 3).

NumPy's own mean, median, std and var passed as the statistic run as scalecore's built-in statistics (streamed
in Rust, O(n) jackknives); any other callable is evaluated on the same resamples. Deliberate differences from
scipy.stats.bootstrap:
- The resamples come from scalecore's per-(seed, i) streams, seeded by one draw from `rng` (or `random_state`):
  the same seed gives the same result for any batch size, thread count or vectorisation, but not scipy's
  numbers.
- Extending a result of this function (`bootstrap_result=` with `n_resamples > 0`) continues that result's
  streams, so the extension equals one longer run; a result from scipy itself is extended with new streams.
- Data are computed in float64 (scipy keeps float32 input in float32).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.stats

from ..statistic_bootstrap import BootstrapStatisticResult, DegenerateDataWarning, bootstrap_statistic

__all__ = ["BootstrapResult", "ConfidenceInterval", "bootstrap"]

# NumPy reductions that equal a built-in statistic when called with only `axis` (scipy's call).
_BUILTINS: dict[Any, str] = {np.mean: "mean", np.median: "median", np.std: "std", np.var: "var"}


class ConfidenceInterval(NamedTuple):
    low: Any
    high: Any


@dataclass
class BootstrapResult:
    """scipy.stats.bootstrap's result: the interval, the bootstrap distribution (replicates last) and the
    bootstrap standard error."""

    confidence_interval: ConfidenceInterval
    bootstrap_distribution: np.ndarray[Any, Any]
    standard_error: Any
    # scalecore's full result (seed, jackknife, data), so that a later call can continue its streams.
    result: BootstrapStatisticResult | None = field(default=None, repr=False, compare=False)


def _generator(rng: Any, random_state: Any) -> Any:
    """scipy's seeding: `rng` as np.random.default_rng takes it, the legacy `random_state` as
    check_random_state takes it (an integer seeds a RandomState)."""
    if rng is not None and random_state is not None:
        raise TypeError("bootstrap() got both `rng` and `random_state`; use `rng` only")
    if rng is not None:
        return rng if isinstance(rng, (np.random.Generator, np.random.RandomState)) else np.random.default_rng(rng)
    if random_state is None or isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    return np.random.RandomState(random_state)


def _checked(
    data: Any,
    vectorized: Any,
    paired: Any,
    axis: Any,
    n_resamples: Any,
    batch: Any,
    method: Any,
    alternative: Any,
    bootstrap_result: Any,
) -> tuple[list[np.ndarray[Any, Any]], int, int, str, str]:
    """scipy's input validation, with its messages (scipy's tests match them)."""
    if vectorized not in {True, False, None}:
        raise ValueError("`vectorized` must be `True`, `False`, or `None`.")
    axis_int = int(axis)
    if axis != axis_int:
        raise ValueError("`axis` must be an integer.")
    try:
        samples = [np.asarray(s) for s in data]
    except TypeError:
        raise ValueError("`data` must be a sequence of samples.") from None
    if not samples:
        raise ValueError("`data` must contain at least one sample.")
    if len({s.ndim for s in samples}) > 1:
        raise ValueError("Array shapes are incompatible for broadcasting.")
    for s in samples:
        if s.ndim == 0 or not -s.ndim <= axis_int < s.ndim or s.shape[axis_int] <= 1:
            raise ValueError("each sample in `data` must contain two or more observations along `axis`.")
    if paired not in {True, False}:
        raise ValueError("`paired` must be `True` or `False`.")
    if paired and len({s.shape[axis_int] for s in samples}) > 1:
        raise ValueError("When `paired is True`, all samples must have the same length along `axis`")
    alternatives = {"two-sided", "less", "greater"}
    if str(alternative).lower() not in alternatives:
        raise ValueError(f"`alternative` must be one of {alternatives}")
    n_res = int(n_resamples)
    if n_resamples != n_res or n_res < 0:
        raise ValueError("`n_resamples` must be a non-negative integer.")
    if batch is not None and (int(batch) != batch or int(batch) <= 0):
        raise ValueError("`batch` must be a positive integer or None.")
    methods = {"percentile", "basic", "bca"}
    if str(method).lower() not in methods:
        raise ValueError(f"`method` must be in {methods}")
    if bootstrap_result is not None and not hasattr(bootstrap_result, "bootstrap_distribution"):
        raise ValueError("`bootstrap_result` must have attribute `bootstrap_distribution'")
    if (bootstrap_result is None or not np.size(bootstrap_result.bootstrap_distribution)) and n_res == 0:
        raise ValueError("Either `bootstrap_result.bootstrap_distribution.size` or `n_resamples` must be positive.")
    return samples, axis_int, n_res, str(method).lower(), str(alternative).lower()


def _out(value: Any) -> Any:
    """scipy returns NumPy scalars, not 0-d arrays."""
    a = np.asarray(value, dtype=np.float64)
    return a[()] if a.ndim == 0 else a


def bootstrap(
    data: Any,
    statistic: Callable[..., Any],
    *,
    n_resamples: int = 9999,
    batch: int | None = None,
    vectorized: bool | None = None,
    paired: bool = False,
    axis: int = 0,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    method: str = "BCa",
    bootstrap_result: Any = None,
    rng: Any = None,
    random_state: Any = None,
) -> BootstrapResult:
    """scipy.stats.bootstrap, computed by scalecore: same arguments, same result type (see the module notes
    for the deliberate differences)."""
    samples, axis_int, n_res, m, alt = _checked(
        data, vectorized, paired, axis, n_resamples, batch, method, alternative, bootstrap_result
    )
    level = float(confidence_level)
    gen = _generator(rng, random_state)
    name = _BUILTINS.get(statistic) if vectorized is not False else None
    prior = bootstrap_result.result if isinstance(bootstrap_result, BootstrapResult) else bootstrap_result
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        res = bootstrap_statistic(
            samples,
            name if name is not None else statistic,
            n_resamples=n_res,
            method=m,
            level=level,
            alternative=alt,
            axis=axis_int,
            seed=gen,
            paired=bool(paired),
            vectorized=vectorized,
            batch=None if batch is None else int(batch),
            bootstrap_result=prior,
        )
    for w in caught:
        # scipy's own warning class, so that code filtering or expecting it keeps working.
        category = scipy.stats.DegenerateDataWarning if issubclass(w.category, DegenerateDataWarning) else w.category
        warnings.warn(category(str(w.message)), stacklevel=2)
    return BootstrapResult(
        confidence_interval=ConfidenceInterval(_out(res.ci.low), _out(res.ci.high)),
        bootstrap_distribution=np.asarray(res.distribution),
        standard_error=_out(res.se),
        result=res,
    )
