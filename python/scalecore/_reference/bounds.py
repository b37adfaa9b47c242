"""Reference information-theoretic bounds and their compute-optimal allocation in NumPy/SciPy (docs/bounds.md).

Literal transcriptions of the formulas: SciPy's `lambertw` for the one-log shape, `digamma` for the
Dirichlet-process teacher, and per budget a coarse grid plus `minimize_scalar` for the numerical
allocation. The test oracle and the benchmark baseline of `scalecore.bounds`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import digamma, lambertw

FloatArray = NDArray[np.float64]
BoundFunction = Callable[[FloatArray, FloatArray], FloatArray]

# --- shapes ---------------------------------------------------------------------------------------


def inverse_linear(p: Any, T: Any, a: float, b: float) -> FloatArray:
    return np.asarray(a / np.asarray(p) + b / np.asarray(T), dtype=np.float64)


def inverse_log(p: Any, T: Any, a: float, b0: float, b1: float) -> FloatArray:
    p = np.asarray(p, dtype=np.float64)
    return np.asarray(a / p + (b0 + b1 * np.log(p)) / np.asarray(T), dtype=np.float64)


def power_law(p: Any, T: Any, E: float, A: float, B: float, alpha: float, beta: float) -> FloatArray:
    return np.asarray(E + A / np.asarray(p, dtype=np.float64) ** alpha + B / np.asarray(T, dtype=np.float64) ** beta)


def inverse_log_allocation(a: float, b0: float, b1: float, compute: Any) -> tuple[FloatArray, FloatArray]:
    """(p*, T*) from ln p* = W(z)/2 - (b0/b1 + 1), z = (2aC/b1) exp(2(b0/b1 + 1)), forming z directly."""
    c = np.asarray(compute, dtype=np.float64)
    k = b0 / b1 + 1.0
    z = (2.0 * a * c / b1) * np.exp(2.0 * k)
    p = np.exp(lambertw(z).real / 2.0 - k)
    return p, c / p


def power_law_allocation(A: float, B: float, alpha: float, beta: float, compute: Any) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(compute, dtype=np.float64)
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    p = G * c ** (beta / (alpha + beta))
    return p, c / p


# --- derived teacher instances (docs/bounds.md section 3) --------------------------------------------------


def distinct_units_finite(n: Any, N: float) -> FloatArray:
    return np.minimum(np.asarray(n, dtype=np.float64), N)


def distinct_units_dirichlet(n: Any, K: float) -> FloatArray:
    return np.asarray(K * (digamma(K + np.asarray(n, dtype=np.float64)) - digamma(K)))


def teacher_bound(
    p: Any, T: Any, d: float, B: float, kappa: Callable[[FloatArray], FloatArray]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(U, misspecification, estimation) with n = p/(d+1) and eta from eta (1 + eta) = 2 kappa d / (B^2 T)."""
    p = np.asarray(p, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    n = p / (d + 1.0)
    kap = kappa(n)
    c = 2.0 * kap * d / (B * B * T)
    eta = 2.0 * c / (1.0 + np.sqrt(1.0 + 4.0 * c))  # = (sqrt(1 + 4c) - 1)/2 without cancellation for tiny c
    misspecification = B * B / (8.0 * n) + B * B * eta / 4.0
    estimation = (kap * ((d / 2.0) * np.log1p(1.0 / eta) + np.log(2.0 * np.e * n)) + np.log(n)) / T
    return misspecification + estimation, misspecification, estimation


def finite_teacher(p: Any, T: Any, d: float, N: float, B: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    return teacher_bound(p, T, d, B, lambda n: distinct_units_finite(n, N))


def dirichlet_process_teacher(
    p: Any, T: Any, d: float, K: float, B: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return teacher_bound(p, T, d, B, lambda n: distinct_units_dirichlet(n, K))


# --- numerical allocation -----------------------------------------------------------------------------


def allocate_numerical(
    bound: BoundFunction, compute: Any, p_min: float, *, n_grid: int = 65, slope_step: float = 0.05
) -> dict[str, FloatArray]:
    """Minimise U(e^u, C e^-u) over u in [ln p_min, ln C - ln 2] for each budget: a grid (all budgets at
    once), then `minimize_scalar` on the bracket around the best grid point. The local exponent
    d ln p*/d ln C is a central difference of re-solved optima at C e^(+-slope_step)."""
    c = np.atleast_1d(np.asarray(compute, dtype=np.float64))

    def solve(budgets: FloatArray) -> FloatArray:
        lo = np.log(p_min)
        hi = np.log(budgets) - np.log(2.0)
        grid = lo + (hi - lo)[:, None] * np.linspace(0.0, 1.0, n_grid)[None, :]
        values = bound(np.exp(grid), budgets[:, None] / np.exp(grid))
        best = np.argmin(values, axis=1)
        u = np.empty(len(budgets))
        for i, (budget, j) in enumerate(zip(budgets, best, strict=True)):
            a, b = grid[i, max(j - 1, 0)], grid[i, min(j + 1, n_grid - 1)]

            def g(x: float, budget: float = budget) -> float:
                return float(bound(np.exp(np.array(x)), budget / np.exp(np.array(x))))

            res = minimize_scalar(g, bounds=(a, b), method="bounded", options={"xatol": 1e-12})
            u[i] = res.x
        return u

    u = solve(c)
    slope = (solve(c * np.exp(slope_step)) - solve(c * np.exp(-slope_step))) / (2.0 * slope_step)
    p = np.exp(u)
    T = c / p
    return {"p": p, "T": T, "value": np.asarray(bound(p, T), dtype=np.float64), "local_exponent": slope}


# --- framework (docs/bounds.md section 1) ------------------------------------------------------------------


def two_sided_bound(eps: Any, H: Any, T: Any) -> tuple[FloatArray, FloatArray]:
    """sup_eps min(H_eps/T, eps) and inf_eps (H_eps/T + eps) over the tabulated points, for each T."""
    eps = np.asarray(eps, dtype=np.float64)[None, :]
    H = np.asarray(H, dtype=np.float64)[None, :]
    T = np.atleast_1d(np.asarray(T, dtype=np.float64))[:, None]
    lower = np.maximum(np.max(np.minimum(H / T, eps), axis=1), 0.0)
    upper = np.min(H / T + eps, axis=1)
    return lower, upper


def sample_complexity(eps: Any, H: Any, target: Any) -> FloatArray:
    """ceil(2 H_{eps/2} / eps), H read at the largest tabulated eps not above eps/2."""
    eps = np.asarray(eps, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    target = np.atleast_1d(np.asarray(target, dtype=np.float64))
    k = np.searchsorted(eps, target / 2.0, side="right") - 1
    return np.asarray(np.ceil(2.0 * H[k] / target), dtype=np.float64)


# --- Gaussian linear regression (docs/bounds.md section 5) -------------------------------------------------


def linear_regression_information(
    d: int, T: int, s2: float, sigma2: float, n_mc: int, seed: int
) -> tuple[float, float, float]:
    """(Monte Carlo E[(1/2) ln det(I + (s2/sigma2) X^T X)], its standard error, the Jensen bound)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_mc, T, d))
    M = np.eye(d) + (s2 / sigma2) * np.einsum("rti,rtj->rij", X, X)
    values = 0.5 * np.linalg.slogdet(M)[1]
    return (
        float(values.mean()),
        float(values.std(ddof=1) / np.sqrt(n_mc)),
        0.5 * d * float(np.log1p(T * s2 / sigma2)),
    )


def linear_regression_kl_sum(d: int, T: int, s2: float, sigma2: float, n_mc: int, seed: int) -> tuple[float, float]:
    """(Monte Carlo mean, standard error) of sum_{t<T} KL(N(theta.x_t, sigma2) || Bayesian predictive at t):
    T L_T computed directly from the posterior, which the identity L_T = I(theta; H_T)/T equates to I."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n_mc, d)) * np.sqrt(s2)
    X = rng.standard_normal((n_mc, T, d))
    Y = np.einsum("rti,ri->rt", X, theta) + rng.standard_normal((n_mc, T)) * np.sqrt(sigma2)
    precision = np.broadcast_to(np.eye(d) / s2, (n_mc, d, d)).copy()
    moment = np.zeros((n_mc, d))
    total = np.zeros(n_mc)
    for t in range(T):
        x = X[:, t, :]
        cov_x = np.linalg.solve(precision, x[:, :, None])[:, :, 0]
        mean = np.linalg.solve(precision, moment[:, :, None])[:, :, 0]
        v = np.einsum("ri,ri->r", x, cov_x) + sigma2
        gap = np.einsum("ri,ri->r", x, theta - mean)
        total += 0.5 * (np.log(v / sigma2) + (sigma2 + gap**2) / v - 1.0)
        precision += np.einsum("ri,rj->rij", x, x) / sigma2
        moment += x * Y[:, t, None] / sigma2
    return float(total.mean()), float(total.std(ddof=1) / np.sqrt(n_mc))
