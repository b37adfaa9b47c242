"""Reference compute-optimal allocation in NumPy/SciPy (docs/methods.md section 5): Hoffmann et al.'s closed
form, and for any law a per-budget scan plus `scipy.optimize.minimize_scalar` along the iso-cost curve
C = f N D + 2 N D_inference, in the variable ln D."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize_scalar

from .laws import value

FloatArray = NDArray[np.float64]

__all__ = ["allocate", "chinchilla_closed_form", "compute_for_loss"]


def chinchilla_closed_form(
    params: Mapping[str, float], compute: FloatArray, flops_per_param_token: float = 6.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    E, A, B, alpha, beta = (params[k] for k in ("E", "A", "B", "alpha", "beta"))
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    s = np.asarray(compute, dtype=np.float64) / flops_per_param_token
    n = G * s ** (beta / (alpha + beta))
    d = s ** (alpha / (alpha + beta)) / G
    return n, d, E + A / n**alpha + B / d**beta


def _columns(n: FloatArray, d: FloatArray, f: float, u: FloatArray | None) -> dict[str, FloatArray]:
    cols = {"N": n, "D": d, "C": f * n * d, "M": d / n}
    if u is not None:
        cols["U"] = u
    return cols


def allocate(
    law: str,
    theta: Sequence[float] | FloatArray,
    compute: FloatArray,
    flops_per_param_token: float = 6.0,
    inference_tokens: FloatArray | float = 0.0,
    unique_tokens: FloatArray | float | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(N, D, loss) per budget, one scipy minimisation per budget."""
    c = np.atleast_1d(np.asarray(compute, dtype=np.float64))
    g = np.broadcast_to(2.0 * np.asarray(inference_tokens, dtype=np.float64), c.shape)
    u = None if unique_tokens is None else np.broadcast_to(np.asarray(unique_tokens, dtype=np.float64), c.shape)
    f = float(flops_per_param_token)
    out = np.empty((3, len(c)))
    for i in range(len(c)):
        ui = None if u is None else u[i : i + 1]

        def losses(y: FloatArray, i: int = i, ui: FloatArray | None = ui) -> FloatArray:
            d = np.exp(y)
            n = c[i] / (f * d + g[i])
            uu = None if ui is None else np.broadcast_to(ui, d.shape)
            v = value(law, theta, _columns(n, d, f, uu))
            return np.where(np.isfinite(v), v, np.inf)

        grid = 0.5 * np.log(c[i] / f) + np.linspace(-20.7, 20.7, 97)
        k = int(np.clip(np.argmin(losses(grid)), 1, len(grid) - 2))
        res = minimize_scalar(
            lambda y: float(losses(np.array([y]))[0]),
            bounds=(grid[k - 1], grid[k + 1]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        d = float(np.exp(res.x))
        out[:, i] = (c[i] / (f * d + g[i]), d, res.fun)
    return out[0], out[1], out[2]


def compute_for_loss(
    law: str,
    theta: Sequence[float] | FloatArray,
    target: float,
    flops_per_param_token: float = 6.0,
    inference_tokens: float = 0.0,
    unique_tokens: float | None = None,
) -> float:
    """Least compute whose optimal loss equals `target` (brentq on ln C)."""

    def gap(ln_c: float) -> float:
        return float(
            allocate(law, theta, np.array([np.exp(ln_c)]), flops_per_param_token, inference_tokens, unique_tokens)[2][0]
            - target
        )

    return float(np.exp(brentq(gap, 0.0, 135.0, xtol=1e-12)))
