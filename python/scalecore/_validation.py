"""Input validation shared by the public API: every failure names the argument and the value."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInputError, ScalecoreWarning

FloatArray = NDArray[np.float64]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_float_array(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    finite: bool = True,
    ndim: int = 1,
    allow_empty: bool = False,
) -> FloatArray:
    """A fresh C-contiguous float64 copy of `value`, checked; the caller's object is never modified."""
    if value is None:
        raise InvalidInputError(f"{name}: a value is required, got None")
    try:
        if np.iscomplexobj(value):
            raise InvalidInputError(f"{name}: complex numbers are not accepted, got {_show(value)}")
        arr = np.array(value, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({exc}); got {_show(value)}") from None
    if ndim == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != ndim:
        raise InvalidInputError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise InvalidInputError(f"{name}: is empty")
    if finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = np.flatnonzero(bad.ravel())[0]
            raise InvalidInputError(f"{name}: must be finite, got {float(arr.ravel()[idx])!r} at position {idx}")
    if positive:
        bad = ~(arr > 0)
        if bad.any():
            idx = np.flatnonzero(bad.ravel())[0]
            raise InvalidInputError(f"{name}: must be positive, got {float(arr.ravel()[idx])!r} at position {idx}")
    if nonnegative:
        bad = ~(arr >= 0)
        if bad.any():
            idx = np.flatnonzero(bad.ravel())[0]
            raise InvalidInputError(f"{name}: must be non-negative, got {float(arr.ravel()[idx])!r} at position {idx}")
    return arr


def real(name: str, value: Any) -> float:
    """A real number (finite or not: the caller, or the core, checks its range), never a bool, string, None
    or complex."""
    if isinstance(value, (str, bytes, complex, bool, np.bool_)) or value is None:
        raise InvalidInputError(f"{name}: must be a number, got {_show(value)}")
    try:
        if np.iscomplexobj(value):
            raise TypeError("complex")
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"{name}: must be a number, got {_show(value)}") from None


# Counts cross into the core as 64-bit integers; larger ones would raise OverflowError there.
_MAX_COUNT = 2**63 - 1


def integer(name: str, value: Any, minimum: int = 1) -> int:
    """An integer count of at least `minimum` that the core can take (below 2**63)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= _MAX_COUNT:
        raise InvalidInputError(f"{name}: must be an integer in [{minimum}, 2**63), got {_show(value)}")
    return int(value)


def positive_float(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}: must be a positive number, got {_show(value)}") from None
    if not (np.isfinite(v) and v > 0):
        raise InvalidInputError(f"{name}: must be a positive number, got {_show(value)}")
    return v


def one_of(name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInputError(f"{name}: must be one of {list(choices)}, got {_show(value)}")
    return value


# More workers than this many per core only add scheduling and start-up cost (thousands of threads
# made `fit` take tens of seconds); requests above it are lowered to it, with a warning.
THREADS_PER_CORE = 4


def max_threads() -> int:
    """The largest worker count a call uses: `THREADS_PER_CORE` per core of this machine."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def n_threads(value: int | None) -> int | None:
    """None means the environment's SCALECORE_NUM_THREADS, else all cores; capped at `max_threads()`."""
    if value is None:
        env = os.environ.get("SCALECORE_NUM_THREADS")
        if env is None or env == "":
            return None
        value_any: Any = env
    else:
        value_any = value
    try:
        n = int(value_any)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"n_threads: must be a positive integer, got {_show(value_any)}") from None
    if isinstance(value_any, (float, bool)) or n < 1:
        raise InvalidInputError(f"n_threads: must be a positive integer, got {_show(value_any)}")
    cap = max_threads()
    if n > cap:
        warnings.warn(
            f"n_threads: {n} threads requested, using {cap} ({THREADS_PER_CORE} per core of this machine)",
            ScalecoreWarning,
            stacklevel=3,
        )
        return cap
    return n
