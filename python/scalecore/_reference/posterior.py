"""Pure NumPy posterior pieces: the log posterior density with sigma integrated out, a Laplace
approximation by finite differences, and split R-hat / effective sample size as ArviZ computes them
(test oracles and the benchmark's emcee baseline; imported only by tests and benches)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .._validation import FloatArray
from .laws import value


def log_density(
    theta: Sequence[float] | FloatArray,
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> float:
    """-(n/2) ln SSR(theta) of the log residuals, -inf outside the flat prior's `bounds` (theta first, as
    emcee calls it)."""
    th = np.asarray(theta, dtype=np.float64)
    if bounds is not None and any(not lo <= t <= hi for t, (lo, hi) in zip(th, bounds, strict=True)):
        return -np.inf
    with np.errstate(all="ignore"):
        if law == "power":  # E + A x^-alpha, internal (ln E, ln A, alpha)
            pred = np.exp(th[0]) + np.exp(th[1]) * np.asarray(columns["x"]) ** -th[2]
        else:
            pred = value(law, th, columns)
        ssr = float(np.sum((np.log(pred) - np.log(loss)) ** 2))
    if not np.isfinite(ssr):
        return -np.inf
    return float(-0.5 * len(loss) * np.log(ssr))


def laplace_covariance(
    law: str, mode: FloatArray, columns: Mapping[str, FloatArray], loss: FloatArray, step: float = 1e-4
) -> FloatArray:
    """Inverse of the negative Hessian of `log_density` at `mode`, by central differences."""
    k = len(mode)
    h = np.zeros((k, k))

    def f(t: FloatArray) -> float:
        return log_density(t, law, columns, loss)

    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = (f(mode + ei + ej) - f(mode + ei - ej) - f(mode - ei + ej) + f(mode - ei - ej)) / (4 * step**2)
    return np.asarray(np.linalg.inv(-h))


def _split(chains: FloatArray) -> FloatArray:
    half = chains.shape[1] // 2
    return np.concatenate([chains[:, :half], chains[:, -half:]], axis=0)


def split_rhat(chains: FloatArray) -> float:
    """Split R-hat of (chains, draws)."""
    x = _split(np.asarray(chains, dtype=np.float64))
    n = x.shape[1]
    w = x.var(axis=1, ddof=1).mean()
    b = n * x.mean(axis=1).var(ddof=1)
    return float(np.sqrt((b / w + n - 1) / n))


def ess(chains: FloatArray) -> float:
    """Effective sample size of (chains, draws) on split chains, ArviZ's `_ess` (method "mean")."""
    x = _split(np.asarray(chains, dtype=np.float64))
    m, n = x.shape
    xc = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(xc, n=2 * n, axis=1)
    acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :n] / n
    mean_var = acov[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n + (x.mean(axis=1).var(ddof=1) if m > 1 else 0.0)
    rho = np.zeros(n)
    even, odd = 1.0, 1.0 - (mean_var - acov[:, 1].mean()) / var_plus
    rho[0], rho[1] = even, odd
    t = 1
    while t < n - 3 and even + odd > 0.0:
        even = 1.0 - (mean_var - acov[:, t + 1].mean()) / var_plus
        odd = 1.0 - (mean_var - acov[:, t + 2].mean()) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        rho[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * rho[: max_t + 1].sum() + rho[max_t + 1 : max_t + 2].sum()
    tau = max(tau, 1.0 / np.log10(m * n))
    return float(m * n / tau)
