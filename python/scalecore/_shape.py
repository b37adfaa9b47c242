"""NumPy's convention for query results: a scalar in gives a NumPy scalar out, arrays broadcast and the result
takes their broadcast shape. Queries cross to the core flat; these helpers flatten and restore."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import FloatArray, as_float_array
from .errors import InvalidInputError


def _ndim(name: str, value: Any) -> int:
    """The number of dimensions of `value`, refusing ragged nested lists by name."""
    try:
        return int(np.ndim(value))
    except ValueError:
        raise InvalidInputError(
            f"{name}: must be a number or a rectangular array of numbers, got {value!r:.80}"
        ) from None


def flat(name: str, value: Any, **checks: Any) -> tuple[FloatArray, tuple[int, ...]]:
    """`value` checked (as `as_float_array` checks) and flattened, with its shape."""
    arr = as_float_array(name, value, ndim=_ndim(name, value), **checks)
    return arr.reshape(-1), arr.shape


def broadcast(values: dict[str, Any], **checks: Any) -> tuple[dict[str, FloatArray], tuple[int, ...]]:
    """Several named inputs broadcast against each other and flattened, with the broadcast shape."""
    arrays = {k: as_float_array(k, v, ndim=_ndim(k, v), **checks) for k, v in values.items()}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise InvalidInputError(f"{next(iter(arrays))}: the input shapes do not broadcast ({shapes})") from None
    return {k: np.broadcast_to(a, shape).reshape(-1) for k, a in arrays.items()}, shape


def restore(value: Any, shape: tuple[int, ...]) -> Any:
    """A flat result (one row per query, optionally trailing axes such as an interval's two ends) in the
    queries' shape; a 0-d result becomes a NumPy scalar."""
    arr = np.asarray(value)
    out = arr.reshape(shape + arr.shape[1:])
    return out[()] if out.ndim == 0 else out
