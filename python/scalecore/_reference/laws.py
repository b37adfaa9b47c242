"""Reference predictions and Jacobians of the law families in NumPy (docs/methods.md section 1).

``predict(law, theta, columns)`` returns the linear-space prediction and its Jacobian (rows x params)
with respect to the internal parameters (logarithms of the positive coefficients, exponents as they are),
written directly from the published formulas, independently of the Rust kernels they check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import expit

FloatArray = NDArray[np.float64]

__all__ = ["data_constrained_loss", "predict", "value"]


def _softplus(u: FloatArray) -> FloatArray:
    return np.asarray(np.logaddexp(0.0, u), dtype=np.float64)


def data_constrained_loss(params: Mapping[str, float], N: FloatArray, D: FloatArray, U: FloatArray) -> FloatArray:
    """Muennighoff et al.'s `scaling_law(N, D, U)` as printed in their README (U capped at D)."""
    E, A, B = params["E"], params["A"], params["B"]
    alpha, beta = params["alpha"], params["beta"]
    rn, rd = params["R_N_star"], params["R_D_star"]
    U = np.minimum(U, D)
    G = ((alpha * A) / (beta * B)) ** (1 / (alpha + beta))
    n_opt = (U * G) ** (beta / alpha) * G
    RD = np.maximum(D / U - 1, 0)
    UN = np.minimum(N, n_opt)
    RN = np.maximum(N / UN - 1, 0)
    n_eff = UN + UN * rn * (1 - np.exp(-RN / rn))
    d_eff = U + U * rd * (1 - np.exp(-RD / rd))
    return np.asarray(E + A / n_eff**alpha + B / d_eff**beta, dtype=np.float64)


def _kaplan(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    nc, dc, an, ad = th
    N, D = c["N"], c["D"]
    inner = (np.exp(nc) / N) ** (an / ad) + np.exp(dc) / D
    L = inner**ad
    t1 = (np.exp(nc) / N) ** (an / ad)
    t2 = np.exp(dc) / D
    # d L / d theta = L * d(ad ln inner)
    d_nc = ad * (an / ad) * t1 / inner
    d_dc = ad * t2 / inner
    d_an = ad * t1 * (nc - np.log(N)) / ad / inner
    d_ad = np.log(inner) + ad * t1 * (nc - np.log(N)) * (-an / ad**2) / inner
    return L, L[:, None] * np.stack([d_nc, d_dc, d_an, d_ad], axis=1)


def _overtrained(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    E, la, lb, eta = th
    C, M = c["C"], c["M"]
    t1 = np.exp(la) * M**eta * C**-eta
    t2 = np.exp(lb) * M**-eta * C**-eta
    jac = np.stack([np.ones_like(C), t1, t2, t1 * np.log(M / C) - t2 * np.log(M * C)], axis=1)
    return E + t1 + t2, jac


def _downstream(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    eps, lk, gamma = th
    x = c["x"]
    t = np.exp(lk) * np.exp(-gamma * x)
    return eps - t, np.stack([np.ones_like(x), -t, x * t], axis=1)


def _data_constrained(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    names = ("E", "A", "B", "alpha", "beta", "R_N_star", "R_D_star")
    log = (True, True, True, False, False, True, True)

    def at(t: FloatArray) -> FloatArray:
        p = {n: float(np.exp(v)) if lg else float(v) for n, lg, v in zip(names, log, t, strict=False)}
        return data_constrained_loss(p, c["N"], c["D"], c["U"])

    # Central differences in internal coordinates: the reference checks the Rust Jacobian's chain
    # rule through N_opt(U) against the plain formula, without re-deriving it.
    L = at(th)
    jac = np.empty((len(L), len(th)))
    for j in range(len(th)):
        h = 1e-6 * max(1.0, abs(th[j]))
        tp, tm = th.copy(), th.copy()
        tp[j] += h
        tm[j] -= h
        jac[:, j] = (at(tp) - at(tm)) / (2 * h)
    return L, jac


def _bnsl(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    x = c["x"]
    la, lb, c0 = th[:3]
    n_breaks = (len(th) - 3) // 3
    T = lb - c0 * np.log(x)
    for k in range(n_breaks):
        ck, ldk, fk = th[3 + 3 * k], th[4 + 3 * k], np.exp(th[5 + 3 * k])
        T = T - ck * fk * _softplus((np.log(x) - ldk) / fk)
    y = np.exp(la) + np.exp(T)
    et = np.exp(T)
    cols = [np.full_like(x, np.exp(la)), et, -np.log(x) * et]
    for k in range(n_breaks):
        ck, ldk, fk = th[3 + 3 * k], th[4 + 3 * k], np.exp(th[5 + 3 * k])
        u = (np.log(x) - ldk) / fk
        sp, sg = _softplus(u), expit(u)
        cols += [-fk * sp * et, ck * sg * et, fk * ck * (sg * u - sp) * et]
    return y, np.stack(cols, axis=1)


def _m4(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    eps_inf, eps_0, alpha, lb, cc = th
    x = c["x"]
    w = eps_0 - eps_inf
    # eps = eps_inf + w * expit(z) turns the law into ln s - alpha ln(1 - s) = q, increasing in z.
    q = lb + cc * np.log(x) + (alpha - 1) * np.log(w)
    z = np.empty_like(x)
    for i, qi in enumerate(q):

        def h(t: float, qi: float = float(qi)) -> float:
            return float(-np.logaddexp(0.0, -t) + alpha * np.logaddexp(0.0, t) - qi)

        z[i] = brentq(h, -1e4, 1e4, xtol=1e-14, rtol=1e-15, maxiter=1000)
    above, below = w * expit(z), w * expit(-z)
    eps = eps_inf + above
    f_eps = 1 / above + alpha / below
    f_theta = np.stack([-1 / above, -alpha / below, -np.log(below), -np.ones_like(x), -np.log(x)], axis=1)
    return eps, -f_theta / f_eps[:, None]


def _chinchilla(th: FloatArray, c: Mapping[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    e, a, b, alpha, beta = th
    N, D = c["N"], c["D"]
    tn, td = np.exp(a) * N**-alpha, np.exp(b) * D**-beta
    jac = np.stack([np.full_like(N, np.exp(e)), tn, td, -np.log(N) * tn, -np.log(D) * td], axis=1)
    return np.exp(e) + tn + td, jac


_LAWS = {
    "chinchilla": _chinchilla,
    "kaplan": _kaplan,
    "overtrained": _overtrained,
    "downstream": _downstream,
    "data_constrained": _data_constrained,
    "bnsl": _bnsl,
    "bnsl2": _bnsl,
    "m4": _m4,
}


def predict(
    law: str, theta: Sequence[float] | FloatArray, columns: Mapping[str, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Linear-space prediction and its Jacobian (rows x params) in internal coordinates."""
    th = np.asarray(theta, dtype=np.float64)
    cols = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
    return _LAWS[law](th, cols)


def value(law: str, theta: Sequence[float] | FloatArray, columns: Mapping[str, FloatArray]) -> FloatArray:
    """Linear-space prediction only (skips the Jacobian's cost)."""
    th = np.asarray(theta, dtype=np.float64)
    cols = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
    if law == "data_constrained":
        names = ("E", "A", "B", "alpha", "beta", "R_N_star", "R_D_star")
        log = (True, True, True, False, False, True, True)
        p = {n: float(np.exp(v)) if lg else float(v) for n, lg, v in zip(names, log, th, strict=False)}
        return data_constrained_loss(p, cols["N"], cols["D"], cols["U"])
    return _LAWS[law](th, cols)[0]
