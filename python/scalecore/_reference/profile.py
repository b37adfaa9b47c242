"""Pure NumPy/SciPy profile-likelihood intervals (the test oracle of `sc.profile`; imported only by tests).

Independent of the core's reparametrisation: each constrained minimum is SciPy's SLSQP on SSR(theta) with the
quantity as an equality constraint (a Lagrangian method), the deviance n ln(SSR_psi / SSR_min) is bracketed by
walking outward in steps of the Wald standard error, and each end is located by scipy.optimize.brentq.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from scipy import optimize, stats

from .._validation import FloatArray
from .posterior import laplace_covariance, log_density


def quantity_fn(name: str, param_names: tuple[str, ...], compute: float | None = None) -> Callable[[FloatArray], float]:
    """The quantity in internal units (ln for positive ones) as a function of the internal parameters."""
    if name == "a":
        return lambda t: float(t[4] / (t[3] + t[4]))
    if name == "N_opt":
        s = math.log(float(compute) / 6.0)  # type: ignore[arg-type]
        return lambda t: float((np.log(t[3]) + t[1] - np.log(t[4]) - t[2] + t[4] * s) / (t[3] + t[4]))
    j = param_names.index(name)
    return lambda t: float(t[j])


def profile_interval(
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    theta_hat: FloatArray,
    q: Callable[[FloatArray], float],
    level: float = 0.95,
    max_steps: int = 40,
    small_sample: bool = True,
) -> tuple[float, float, float]:
    """(estimate, lower, upper) in internal units; `theta_hat` the least-squares optimum in log space. The
    critical deviance is n ln(1 + F_{1,n-k}(level) / (n - k)) with `small_sample`, else chi2_1(level)."""
    n = len(loss)

    def ssr(t: FloatArray) -> float:
        v = log_density(t, law, columns, loss)
        return math.exp(-2.0 * v / n) if np.isfinite(v) else 1e300

    best = optimize.minimize(
        lambda t: math.log(ssr(t)),
        theta_hat,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000},
    )
    theta0 = best.x if ssr(best.x) < ssr(theta_hat) else np.asarray(theta_hat, dtype=float)
    s_min = ssr(theta0)
    dof = n - len(theta_hat)
    crit = float(n * math.log1p(stats.f.ppf(level, 1, dof) / dof) if small_sample else stats.chi2.ppf(level, 1))
    est = q(theta0)

    def deviance(psi: float, start: FloatArray) -> tuple[float, FloatArray]:
        res = optimize.minimize(
            lambda t: math.log(ssr(t) / s_min),
            start,
            method="SLSQP",
            constraints=[{"type": "eq", "fun": lambda t: q(t) - psi}],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        return max(n * math.log(ssr(res.x) / s_min), 0.0), res.x

    cov = laplace_covariance(law, theta0, columns, loss)
    h = 1e-6
    grad = np.array([(q(theta0 + h * e) - q(theta0 - h * e)) / (2 * h) for e in np.eye(len(theta0))])
    se = math.sqrt(max(float(grad @ cov @ grad), 1e-300))
    ends = []
    for sign in (-1.0, 1.0):
        prev, start, end = est, theta0, math.copysign(math.inf, sign)
        for step in range(max_steps):
            psi = est + sign * 0.5 * se * 1.3**step
            dev, x = deviance(psi, start)
            if dev > crit:
                end = optimize.brentq(lambda p, s0=start: deviance(p, s0)[0] - crit, prev, psi, xtol=1e-10)
                break
            prev, start = psi, x
        ends.append(end)
    return est, ends[0], ends[1]
