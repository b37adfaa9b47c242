"""The `bandwidth=` and `bounds=` arguments of `sc.KDE` as the core reads them (docs/kde.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._shape import _ndim
from ._validation import FloatArray, as_float_array
from .errors import InvalidInputError


def bandwidth_arg(bandwidth: Any) -> str | float | FloatArray | list[str | float]:
    if isinstance(bandwidth, str):
        return bandwidth
    if isinstance(bandwidth, (list, tuple)) and any(isinstance(b, str) for b in bandwidth):
        # per dimension, rule names and values mixed: each entry as it is (the core names a bad one)
        return [b if isinstance(b, str) else number(f"bandwidth[{j}]", b) for j, b in enumerate(bandwidth)]
    ndim = _ndim("bandwidth", bandwidth)
    if ndim == 2:
        return as_float_array("bandwidth", bandwidth, ndim=2, finite=False)
    if ndim == 1:
        return [float(b) for b in as_float_array("bandwidth", bandwidth, ndim=1, finite=False)]
    return number("bandwidth", bandwidth)


def bounds_arg(bounds: Any) -> tuple[float, float] | None:
    """(lo, hi) with None for an open end, as two floats (infinite where open)."""
    if bounds is None:
        return None
    if isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
        raise InvalidInputError(f"bounds: expected a pair (lo, hi), either may be None, got {bounds!r:.60}")
    lo, hi = bounds
    return (
        -np.inf if lo is None else number("bounds", lo),
        np.inf if hi is None else number("bounds", hi),
    )


def number(name: str, value: Any) -> float:
    if isinstance(value, (str, bytes, complex)):
        raise InvalidInputError(f"{name}: must be a real number, got {value!r:.60}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"{name}: must be a number, got {value!r:.60}") from None
