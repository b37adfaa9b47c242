"""Reference scaling-law objectives and the Hoffmann-grid fit in NumPy/SciPy (docs/methods.md section 2).

The chinchilla model in log space is log L = LSE(a - alpha ln N, b - beta ln D, e); the power law drops
the D term. Gradients are analytic (softmax weights of the LSE), as in Besiroglu et al.'s replication.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

FloatArray = NDArray[np.float64]


def hoffmann_grid() -> FloatArray:
    """The 4500 starts (e, a, b, alpha, beta) of Hoffmann et al."""
    e = [-1.0, -0.5, 0.0, 0.5, 1.0]
    ab = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    ex = [0.0, 0.5, 1.0, 1.5, 2.0]
    return np.array(list(itertools.product(e, ab, ab, ex, ex)), dtype=np.float64)


def power_grid() -> FloatArray:
    e = [-1.0, -0.5, 0.0, 0.5, 1.0]
    a = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    ex = [0.0, 0.5, 1.0, 1.5, 2.0]
    return np.array(list(itertools.product(e, a, ex)), dtype=np.float64)


def _log_prediction(law: str, theta: FloatArray, columns: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """log prediction and its Jacobian (n x k) in internal coordinates."""
    if law == "chinchilla":
        e, a, b, alpha, beta = theta
        ln_n, ln_d = np.log(columns["N"]), np.log(columns["D"])
        t = np.stack([a - alpha * ln_n, b - beta * ln_d, np.full_like(ln_n, e)])
        lse = logsumexp(t, axis=0)
        w = np.exp(t - lse)
        jac = np.stack([w[2], w[0], w[1], -ln_n * w[0], -ln_d * w[1]], axis=1)
        return lse, jac
    if law == "power":
        e, a, alpha = theta
        ln_x = np.log(columns["x"])
        t = np.stack([a - alpha * ln_x, np.full_like(ln_x, e)])
        lse = logsumexp(t, axis=0)
        w = np.exp(t - lse)
        return lse, np.stack([w[1], w[0], -ln_x * w[0]], axis=1)
    raise ValueError(f"reference has no law {law!r}")


def objective_and_grad(
    law: str,
    theta: Sequence[float] | FloatArray,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    weight: FloatArray | None = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
) -> tuple[float, FloatArray]:
    """Objective summed over runs and its gradient in internal coordinates."""
    th = np.asarray(theta, dtype=np.float64)
    log_pred, jac = _log_prediction(law, th, columns)
    if objective == "lsq":
        pred = np.exp(log_pred)
        r = pred - loss
        rho, drho = r**2, 2 * r
        jac = jac * pred[:, None]
    else:
        r = log_pred - np.log(loss)
        if objective == "lsq_log":
            rho, drho = r**2, 2 * r
        else:
            rho = huber(delta, r)
            drho = np.where(np.abs(r) <= delta, r, delta * np.sign(r))
            if objective == "asymmetric":
                scale = np.where(r > 0, asymmetry, 1.0)
                rho, drho = rho * scale, drho * scale
    w = np.ones_like(r) if weight is None else weight
    return float(np.sum(w * rho)), (w * drho) @ jac


def chinchilla_huber_log(N: FloatArray, D: FloatArray, loss: FloatArray, delta: float = 1e-3) -> Any:
    """The Hoffmann objective and its gradient as a competent NumPy user writes it for speed: logs
    precomputed once, the log-sum-exp shifted by hand, about twenty array operations per evaluation."""
    ln_n, ln_d, ln_l = np.log(N), np.log(D), np.log(loss)

    def fg(theta: FloatArray) -> tuple[float, FloatArray]:
        e, a, b, alpha, beta = theta
        t1 = a - alpha * ln_n
        t2 = b - beta * ln_d
        m = np.maximum(np.maximum(t1, t2), e)
        e1, e2, e3 = np.exp(t1 - m), np.exp(t2 - m), np.exp(e - m)
        s = e1 + e2 + e3
        r = m + np.log(s) - ln_l
        small = np.abs(r) <= delta
        rho = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
        w = np.where(small, r, delta * np.sign(r)) / s
        w1, w2 = w * e1, w * e2
        grad = np.array([w @ e3, w1.sum(), w2.sum(), -(w1 @ ln_n), -(w2 @ ln_d)])
        return float(rho.sum()), grad

    return fg


def fit_grid(
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    starts: FloatArray | None = None,
    **objective: Any,
) -> dict[str, Any]:
    """Minimise from every start with scipy's L-BFGS-B (default tolerances, analytic gradient); keep the best.

    With no objective options the chinchilla law uses the hand-tuned closure `chinchilla_huber_log` (the
    quickest plain NumPy baseline); any option (even the defaults, spelled out) selects the general
    `objective_and_grad`.
    """
    if starts is None:
        starts = hoffmann_grid() if law == "chinchilla" else power_grid()
    if law == "chinchilla" and not objective:
        fg = chinchilla_huber_log(columns["N"], columns["D"], loss, objective.get("delta", 1e-3))
    else:

        def fg(th: FloatArray) -> tuple[float, FloatArray]:
            return objective_and_grad(law, th, columns, loss, **objective)

    best: dict[str, Any] = {"objective": np.inf, "theta": None}
    finals = np.empty(len(starts))
    for i, x0 in enumerate(starts):
        res = minimize(fg, x0, jac=True, method="L-BFGS-B")
        finals[i] = res.fun
        if res.fun < best["objective"]:
            best = {"objective": float(res.fun), "theta": np.asarray(res.x)}
    best["start_objectives"] = finals
    return best
