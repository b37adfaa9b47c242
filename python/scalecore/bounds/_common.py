"""Shared pieces of the bounds package: argument checks, broadcasting, and the result classes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._results_io import ResultIO
from .._shape import _ndim, broadcast
from .._validation import FloatArray, as_float_array
from ..errors import InvalidInputError

Progress = Callable[[int, int], Any]


def _constant(name: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False) -> float:
    """A finite float above `minimum` (or equal to it, when inclusive); the error names the argument."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}: must be a number, got {value!r}") from None
    ok = math.isfinite(v) and (v >= minimum if inclusive else v > minimum)
    if not ok:
        relation = "at least" if inclusive else "greater than"
        raise InvalidInputError(f"{name}: must be finite and {relation} {minimum:g}, got {value!r}")
    return v


def _broadcast(p: Any, T: Any) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Flat contiguous copies of p and T broadcast against each other, and the broadcast shape. Only read
    as numbers here: the rule for the points (finite, positive, above a bound's smallest p) is the core's
    (`bounds::check_points`)."""
    # T first: a shape mismatch is reported against T, the second argument.
    arrays, shape = broadcast({"T": T, "p": p}, finite=False, allow_empty=True)
    return np.ascontiguousarray(arrays["p"]), np.ascontiguousarray(arrays["T"]), shape


def _grid_axes(p: Any, T: Any) -> tuple[FloatArray, FloatArray, bool] | None:
    """(p values, T values, transposed) when p and T broadcast to an outer-product grid: p of shape
    (m, 1) against T of shape (n,) or (1, n) (result[i, j] = U(p_i, T_j)), or the transpose of that."""
    p_dims, t_dims = _ndim("p", p), _ndim("T", T)
    if not (p_dims in (1, 2) and t_dims in (1, 2)) or max(p_dims, t_dims) != 2:
        return None
    pa = as_float_array("p", p, ndim=p_dims, finite=False, allow_empty=True)
    ta = as_float_array("T", T, ndim=t_dims, finite=False, allow_empty=True)
    p2 = pa.reshape((1, *pa.shape)) if pa.ndim == 1 else pa
    t2 = ta.reshape((1, *ta.shape)) if ta.ndim == 1 else ta
    if p2.shape[1] == 1 and t2.shape[0] == 1:
        return np.ascontiguousarray(p2[:, 0]), np.ascontiguousarray(t2[0, :]), False
    if p2.shape[0] == 1 and t2.shape[1] == 1:
        return np.ascontiguousarray(p2[0, :]), np.ascontiguousarray(t2[:, 0]), True
    return None


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class BoundTerms:
    """A bound's value and its two terms at each (p, T): value = irreducible + misspecification + estimation."""

    value: FloatArray
    misspecification: FloatArray
    estimation: FloatArray


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class BoundAllocation(ResultIO):
    """Compute-optimal allocation under p T = C for each budget `compute`.

    ``p`` and ``T`` are the optimal parameters and tokens, ``value`` the bound there, ``misspecification``
    and ``estimation`` its two terms, ``local_exponent`` the local scaling exponent d ln p*/d ln C.
    """

    bound: str
    compute: FloatArray
    p: FloatArray
    T: FloatArray
    value: FloatArray
    misspecification: FloatArray
    estimation: FloatArray
    local_exponent: FloatArray

    @property
    def tokens_per_param(self) -> FloatArray:
        return self.T / self.p

    def _table(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k != "bound"}

    def __len__(self) -> int:
        return len(self.compute)

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: p*={p:.5g}, T*={t:.5g}, T*/p*={t / p:.5g}, U*={u:.5g} "
            f"(misspecification {m:.3g}, estimation {e:.3g}), d ln p*/d ln C={s:.4f}"
            for c, p, t, u, m, e, s in zip(
                self.compute,
                self.p,
                self.T,
                self.value,
                self.misspecification,
                self.estimation,
                self.local_exponent,
                strict=True,
            )
        ]
        return f"BoundAllocation({self.bound},\n" + "\n".join(rows) + "\n)"

    def to_dict(self) -> dict[str, list[float]]:
        return {
            "compute": self.compute.tolist(),
            "p": self.p.tolist(),
            "T": self.T.tolist(),
            "tokens_per_param": self.tokens_per_param.tolist(),
            "value": self.value.tolist(),
            "misspecification": self.misspecification.tolist(),
            "estimation": self.estimation.tolist(),
            "local_exponent": self.local_exponent.tolist(),
        }
