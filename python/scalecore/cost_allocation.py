"""Compute-optimal allocation under a user's own cost function cost(N, D) -> FLOPs.

The built-in cost (C = f N D + 2 N D_inference) is solved in Rust; an arbitrary cost is a Python callable,
so this search runs in NumPy: for each budget, a grid over ln N (each N with the D that spends the budget,
found by bisection on ln D, vectorised over the grid), then golden-section search around the best grid
point. The cost must increase with D (more tokens never cost less).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._validation import FloatArray
from .errors import InvalidInputError
from .laws import Law

__all__ = ["allocate_with_cost"]

CostFunction = Callable[[FloatArray, FloatArray], Any]

_LN_D = (-10.0, 200.0)  # tokens searched: e^-10 .. e^200
_GRID = 121
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def _cost(cost: CostFunction, n: FloatArray, d: FloatArray) -> FloatArray:
    try:
        out = np.asarray(cost(n, d), dtype=np.float64)
    except Exception as exc:
        raise InvalidInputError(f"cost: raised {type(exc).__name__}: {exc}") from None
    if out.shape != n.shape:
        out = np.broadcast_to(out, n.shape)
    if not np.all(np.isfinite(out) | np.isposinf(out)):
        raise InvalidInputError("cost: returned NaN or -inf; it must return finite FLOPs for positive N and D")
    return out


def _tokens_for_budget(cost: CostFunction, ln_n: FloatArray, budget: float) -> FloatArray:
    """ln D with cost(N, D) = budget for each ln N (NaN where no D in range spends exactly the budget)."""
    n = np.exp(ln_n)
    lo, hi = np.full_like(ln_n, _LN_D[0]), np.full_like(ln_n, _LN_D[1])
    feasible = (_cost(cost, n, np.exp(lo)) <= budget) & (_cost(cost, n, np.exp(hi)) >= budget)
    for _ in range(80):  # 210 / 2^80: far below double precision in ln D
        mid = 0.5 * (lo + hi)
        over = _cost(cost, n, np.exp(mid)) > budget
        hi = np.where(over, mid, hi)
        lo = np.where(over, lo, mid)
    return np.where(feasible, 0.5 * (lo + hi), np.nan)


def _loss(law: Law, params: Mapping[str, float], ln_n: FloatArray, ln_d: FloatArray, u: float | None) -> FloatArray:
    out = np.full(ln_n.shape, np.inf)
    ok = np.isfinite(ln_d)
    if ok.any():
        n, d = np.exp(ln_n[ok]), np.exp(ln_d[ok])
        cols: dict[str, Any] = {"N": n, "D": d, "C": 6.0 * n * d, "M": d / n}
        if u is not None:
            cols["U"] = np.full(n.shape, u)
        out[ok] = law.predict(params, **{k: cols[k] for k in law.inputs})
    return out


def allocate_with_cost(
    law: Law,
    params: Mapping[str, float],
    compute: FloatArray,
    cost: CostFunction,
    unique: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(N, D, loss) minimising the law's loss subject to cost(N, D) = compute, per budget."""
    if not callable(cost):
        raise InvalidInputError(f"cost: must be a callable cost(N, D) -> FLOPs, got {type(cost).__name__}")
    out_n, out_d, out_l = (np.empty(len(compute)) for _ in range(3))
    for i, budget in enumerate(compute):
        u = None if unique is None else float(unique[i])
        grid = np.linspace(0.0, math.log(budget), _GRID)
        losses = _loss(law, params, grid, _tokens_for_budget(cost, grid, budget), u)
        best = int(np.argmin(losses))
        if not np.isfinite(losses[best]):
            raise InvalidInputError(f"cost: no N and D spend compute={budget:.6g} (is cost increasing in D?)")
        if best in (0, _GRID - 1):
            raise InvalidInputError(f"compute: no interior optimum for compute={budget:.6g} under this cost")
        a, b = grid[best - 1], grid[best + 1]
        for _ in range(60):
            x1, x2 = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
            probe = np.array([x1, x2])
            f1, f2 = _loss(law, params, probe, _tokens_for_budget(cost, probe, budget), u)
            if f1 <= f2:
                b = x2
            else:
                a = x1
        ln_n = np.array([0.5 * (a + b)])
        ln_d = _tokens_for_budget(cost, ln_n, budget)
        out_n[i], out_d[i] = math.exp(ln_n[0]), math.exp(ln_d[0])
        out_l[i] = _loss(law, params, ln_n, ln_d, u)[0]
    return out_n, out_d, out_l
