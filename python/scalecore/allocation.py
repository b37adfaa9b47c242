"""Compute-optimal allocation (methods.md section 5). Closed form for the chinchilla law:
G = (alpha A / (beta B))^(1/(alpha+beta)), a = beta/(alpha+beta), b = alpha/(alpha+beta),
N_opt = G (C/f)^a, D_opt = G^-1 (C/f)^b with f FLOPs per parameter-token (6)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import FloatArray, as_float_array, positive_float
from .errors import ExtrapolationWarning, InvalidInputError

__all__ = ["Allocation", "allocate", "chinchilla_allocation"]


@dataclass(frozen=True)
class Allocation:
    """Compute-optimal model size N, tokens D and predicted loss per budget `compute`."""

    compute: FloatArray
    N: FloatArray
    D: FloatArray
    loss: FloatArray
    extrapolated: np.ndarray[Any, np.dtype[np.bool_]]

    @property
    def tokens_per_param(self) -> FloatArray:
        return self.D / self.N

    def __len__(self) -> int:
        return len(self.compute)

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: N={n:.4g}, D={d:.4g}, D/N={d / n:.3g}, loss={lo:.4f}{' (extrapolated)' if x else ''}"
            for c, n, d, lo, x in zip(self.compute, self.N, self.D, self.loss, self.extrapolated)
        ]
        return "Allocation(\n" + "\n".join(rows) + "\n)"

    def to_dict(self) -> dict[str, list[float]]:
        return {
            "compute": self.compute.tolist(),
            "N": self.N.tolist(),
            "D": self.D.tolist(),
            "loss": self.loss.tolist(),
            "tokens_per_param": self.tokens_per_param.tolist(),
        }


def chinchilla_allocation(
    params: Mapping[str, float], compute: Any, flops_per_param_token: float = 6.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(N_opt, D_opt, loss at the optimum) for each budget, closed form."""
    c = as_float_array("compute", compute, positive=True)
    f = positive_float("flops_per_param_token", flops_per_param_token)
    E, A, B = float(params["E"]), float(params["A"]), float(params["B"])
    alpha, beta = float(params["alpha"]), float(params["beta"])
    if not (alpha > 0 and beta > 0 and A > 0 and B > 0):
        raise InvalidInputError(
            f"params: the closed form needs positive A, B, alpha, beta; got A={A}, B={B}, alpha={alpha}, beta={beta}"
        )
    s = alpha + beta
    G = (alpha * A / (beta * B)) ** (1.0 / s)
    n = G * (c / f) ** (beta / s)
    d = (c / f) ** (alpha / s) / G
    loss = E + A / n**alpha + B / d**beta
    return n, d, loss


def allocate(source: Any, *, compute: Any, law: str | None = None, flops_per_param_token: float = 6.0) -> Allocation:
    """Compute-optimal allocation for budgets `compute` from a FitResult or a dict of parameters (with `law=`).

    Budgets whose optimal N or D falls outside the fitted data's range are flagged ``extrapolated`` and
    raise an ExtrapolationWarning.
    """
    from .fit import FitResult

    ranges: dict[str, tuple[float, float]] = {}
    if isinstance(source, FitResult):
        params, law_name, ranges = source.params, source.law, source.input_ranges
    elif isinstance(source, Mapping):
        params, law_name = dict(source), law or "chinchilla"
    else:
        raise InvalidInputError(f"source: expected a FitResult or a dict of parameters, got {type(source).__name__}")
    if law_name != "chinchilla":
        raise InvalidInputError(f"law: allocation is implemented for chinchilla so far, got {law_name!r}")
    c = as_float_array("compute", compute, positive=True)
    n, d, loss = chinchilla_allocation(params, c, flops_per_param_token)
    outside = np.zeros(len(c), dtype=bool)
    for name, v in (("N", n), ("D", d)):
        if name in ranges:
            lo, hi = ranges[name]
            outside |= (v < lo) | (v > hi)
    if outside.any():
        warnings.warn(
            f"{int(outside.sum())} of {len(c)} allocations lie outside the N or D range of the fitted runs",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return Allocation(compute=c, N=n, D=d, loss=loss, extrapolated=outside)
