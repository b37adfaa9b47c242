"""Reference kernel density estimation in NumPy/SciPy (docs/methods.md section 4): brute-force sums, the
bandwidth formulas and Botev et al.'s ISJ, written for clarity. Test oracles for `scalecore.KDE`."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.fft import dct
from scipy.optimize import brentq
from scipy.special import erfc, logsumexp

FloatArray = NDArray[np.float64]

_A = {
    "epanechnikov": math.sqrt(5.0),
    "biweight": math.sqrt(7.0),
    "triweight": 3.0,
    "tophat": math.sqrt(3.0),
    "cosine": 1.0 / math.sqrt(1.0 - 8.0 / math.pi**2),
    "tri": math.sqrt(6.0),
    "tricube": math.sqrt(243.0 / 35.0),
}


def kernel_pdf(kernel: str, z: FloatArray) -> FloatArray:
    """Unit-variance kernel densities."""
    z = np.asarray(z, dtype=np.float64)
    if kernel == "gaussian":
        return np.asarray(np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi), dtype=np.float64)
    if kernel == "laplace":
        return np.exp(-math.sqrt(2.0) * np.abs(z)) / math.sqrt(2.0)
    a = _A[kernel]
    u = z / a
    inside = np.abs(u) <= 1
    base = {
        "epanechnikov": 0.75 * (1 - u**2),
        "biweight": 15 / 16 * (1 - u**2) ** 2,
        "triweight": 35 / 32 * (1 - u**2) ** 3,
        "tophat": np.full_like(u, 0.5),
        "cosine": math.pi / 4 * np.cos(math.pi / 2 * u),
        "tri": 1 - np.abs(u),
        "tricube": 70 / 81 * (1 - np.abs(u) ** 3) ** 3,
    }[kernel]
    return np.asarray(np.where(inside, base, 0.0) / a, dtype=np.float64)


def kernel_cdf(kernel: str, z: FloatArray) -> FloatArray:
    z = np.asarray(z, dtype=np.float64)
    if kernel == "gaussian":
        return np.asarray(0.5 * erfc(-z / math.sqrt(2.0)), dtype=np.float64)
    if kernel == "laplace":
        e = 0.5 * np.exp(-math.sqrt(2.0) * np.abs(z))
        return np.where(z <= 0, e, 1 - e)
    u = np.clip(z / _A[kernel], -1.0, 1.0)
    return {
        "epanechnikov": (2 + 3 * u - u**3) / 4,
        "biweight": (8 + 15 * u - 10 * u**3 + 3 * u**5) / 16,
        "triweight": (16 + 35 * u - 35 * u**3 + 21 * u**5 - 5 * u**7) / 32,
        "tophat": 0.5 * (1 + u),
        "cosine": 0.5 * (1 + np.sin(math.pi / 2 * u)),
        "tri": 0.5 + u - np.sign(u) * u**2 / 2,
        "tricube": 0.5
        + 70 / 81 * np.sign(u) * (np.abs(u) - 3 * np.abs(u) ** 4 / 4 + 3 * np.abs(u) ** 7 / 7 - np.abs(u) ** 10 / 10),
    }[kernel]


def _norm_weights(x: FloatArray, w: FloatArray | None) -> FloatArray:
    return np.full(len(x), 1.0 / len(x)) if w is None else np.asarray(w, dtype=np.float64) / np.sum(w)


def pdf(x: FloatArray, h: float, q: FloatArray, kernel: str = "gaussian", w: FloatArray | None = None) -> FloatArray:
    """Brute-force density sum_i w_i K((q - x_i) / h) / h."""
    ww = _norm_weights(x, w)
    z = (np.asarray(q)[:, None] - np.asarray(x)[None, :]) / h
    return np.asarray((kernel_pdf(kernel, z) * ww).sum(axis=1) / h)


def logpdf_gaussian(x: FloatArray, h: float, q: FloatArray, w: FloatArray | None = None) -> FloatArray:
    ww = _norm_weights(x, w)
    z = (np.asarray(q)[:, None] - np.asarray(x)[None, :]) / h
    return np.asarray(logsumexp(-0.5 * z * z, b=ww, axis=1) - math.log(h * math.sqrt(2 * math.pi)))


def cdf(x: FloatArray, h: float, q: FloatArray, kernel: str = "gaussian", w: FloatArray | None = None) -> FloatArray:
    ww = _norm_weights(x, w)
    z = (np.asarray(q)[:, None] - np.asarray(x)[None, :]) / h
    return np.asarray((kernel_cdf(kernel, z) * ww).sum(axis=1))


def pdf_nd(x: FloatArray, H: FloatArray, q: FloatArray, w: FloatArray | None = None) -> FloatArray:
    """Multivariate Gaussian KDE with bandwidth matrix H (rows are points)."""
    ww = _norm_weights(x, w)
    inv = np.linalg.inv(H)
    diff = q[:, None, :] - x[None, :, :]
    m = np.einsum("qnd,de,qne->qn", diff, inv, diff)
    norm = math.sqrt(np.linalg.det(2 * math.pi * H))
    return np.asarray((np.exp(-0.5 * m) * ww).sum(axis=1) / norm)


def loo_log_likelihood(x: FloatArray, h: float, w: FloatArray | None = None) -> float:
    """sum_i w_i log of the Gaussian estimate without point i (remaining weights renormalised)."""
    ww = _norm_weights(x, w)
    z = (x[:, None] - x[None, :]) / h
    logk = -0.5 * z * z
    np.fill_diagonal(logk, -np.inf)
    loo = logsumexp(logk, b=ww[None, :], axis=1) - np.log(1 - ww) - math.log(h * math.sqrt(2 * math.pi))
    return float(np.sum(ww * loo))


def rule_bandwidth(x: FloatArray, rule: str) -> float:
    """The 1-D rules of thumb by formula (unweighted)."""
    n = len(x)
    sigma = float(np.std(x, ddof=1))
    iqr = float(np.percentile(x, 75) - np.percentile(x, 25)) / 1.3489795003921634
    a = min(sigma, iqr) if iqr > 0 else sigma
    formulas: dict[str, float] = {
        "scott": sigma * n**-0.2,
        "normal_reference": (4 / (3 * n)) ** 0.2 * sigma,
        "normal_reference_robust": (4 / 3) ** 0.2 * a * n**-0.2,
        "scott_robust": a * n**-0.2,
        "rule_of_thumb": 0.9 * a * n**-0.2,
    }
    return formulas[rule]


def isj(x: FloatArray, n_grid: int = 1024) -> float:
    """Improved Sheather-Jones (Botev, Grotowski & Kroese 2010), as in Botev's MATLAB code: the grid spans the
    data range padded by half of it on each side, and the bandwidth is sqrt(t*) times the grid range."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    r = hi - lo
    g0, g1 = lo - r / 2, hi + r / 2
    edges = np.linspace(g0, g1, n_grid)
    # linear binning
    u = (x - g0) / (edges[1] - edges[0])
    j = np.minimum(np.floor(u).astype(int), n_grid - 2)
    frac = u - j
    counts = np.bincount(j, 1 - frac, n_grid) + np.bincount(j + 1, frac, n_grid)
    binned = np.asarray(counts, dtype=np.float64) / float(np.sum(counts))
    a = dct(binned, type=2)
    i_sq = np.arange(1, n_grid, dtype=np.float64) ** 2
    a2 = a[1:] ** 2
    n = len(np.unique(x))

    def fixed_point(t: float) -> float:
        ell = 7
        f = 0.5 * math.pi ** (2 * ell) * np.sum(i_sq**ell * a2 * np.exp(-i_sq * math.pi**2 * t))
        for s in range(ell - 1, 1, -1):
            k0 = np.prod(np.arange(1, 2 * s, 2, dtype=np.float64)) / math.sqrt(2 * math.pi)
            c = (1 + 0.5 ** (s + 0.5)) / 3
            time = (2 * c * k0 / (n * f)) ** (2 / (3 + 2 * s))
            f = 0.5 * math.pi ** (2 * s) * np.sum(i_sq**s * a2 * np.exp(-i_sq * math.pi**2 * time))
        return float(t - (2 * n * math.sqrt(math.pi) * f) ** -0.4)

    tol = 10e-12 + 0.01 * (max(min(1050, n), 50) - 50) / 1000
    while tol < 1:
        try:
            t = brentq(fixed_point, 0, tol)
            if t > 0:
                return float(math.sqrt(t) * (g1 - g0))
        except ValueError:
            pass
        tol *= 2
    raise ValueError("ISJ: no root")
