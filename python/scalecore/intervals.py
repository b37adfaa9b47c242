"""Bootstrap confidence intervals (docs/methods.md section 3) and the options every bootstrap shares.

Intervals are computed by the core, on one path for every caller (`bootstrap_intervals`): percentile,
basic (2 theta_hat - q) and BCa exactly as scipy.stats.bootstrap computes them (Efron & Tibshirani
1993, "An Introduction to the Bootstrap", 14.3 and 15.4). The method names are the core's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from . import _core
from ._options import seed as seed  # the one seed rule (re-exported for the bootstraps that read it here)
from ._validation import FloatArray, integer
from .errors import InvalidInputError

__all__ = ["METHODS", "ConfidenceInterval"]

METHODS: tuple[str, ...] = tuple(_core.INTERVAL_METHODS)


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


def n_resamples(value: Any) -> int:
    return integer("n_resamples", value)


def level(value: Any) -> float:
    """A confidence level, checked by the core's rule (strictly between 0 and 1), its one home."""
    return _core.check_level(value)


def method(value: Any) -> str:
    """The method's name as the core spells it (any letter case accepted, "BCa" as scipy writes it)."""
    name = value.lower() if isinstance(value, str) else value
    if name not in METHODS:
        raise InvalidInputError(f"method: must be one of {list(METHODS)}, got {value!r}")
    return str(name)


def interval(
    distribution: FloatArray, estimate: float, jackknife: Sequence[FloatArray], lv: float, m: str
) -> ConfidenceInterval:
    """Interval of one quantity; `jackknife` holds one array per independent sample (BCa only)."""
    out = _core.bootstrap_interval(distribution, float(estimate), list(jackknife), lv, m)
    return ConfidenceInterval(out.low, out.high)


def intervals(
    samples: FloatArray, estimates: FloatArray, jackknife: FloatArray | None, lv: float, m: str
) -> list[ConfidenceInterval]:
    """Intervals of several quantities in one call: column j of `samples` (and of `jackknife`, for BCa)
    around `estimates[j]`."""
    low, high = _core.bootstrap_intervals(samples, estimates, jackknife, lv, m)
    return [ConfidenceInterval(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]
