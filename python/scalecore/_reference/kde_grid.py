"""Reference kernel sums for the grid evaluation of `scalecore.KDE` (docs/methods.md section 4): the radial
kernels of d > 1 (KDEpy's Euclidean-norm kernels) by brute force, with their normalising constants found by
numerical quadrature rather than by formula, and densities on tensor grids. Test oracles only."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import quad
from scipy.linalg import solve_triangular

from .kde import _A, kernel_pdf

FloatArray = NDArray[np.float64]

# Each kernel's shape k(t) at t = |z| / a (t >= 0) and its scale a.
_SHAPES = {
    "gaussian": lambda t: np.exp(-0.5 * t * t),
    "laplace": lambda t: np.exp(-t),
    "epanechnikov": lambda t: 1 - t * t,
    "biweight": lambda t: (1 - t * t) ** 2,
    "triweight": lambda t: (1 - t * t) ** 3,
    "tophat": lambda t: np.ones_like(t),
    "cosine": lambda t: np.cos(math.pi / 2 * t),
    "tri": lambda t: 1 - t,
    "tricube": lambda t: (1 - t**3) ** 3,
}


def scale(kernel: str) -> float:
    return {"gaussian": 1.0, "laplace": 1 / math.sqrt(2)}.get(kernel) or _A[kernel]


def shape(kernel: str, t: FloatArray) -> FloatArray:
    t = np.asarray(t, dtype=np.float64)
    value = _SHAPES[kernel](t)
    if kernel not in ("gaussian", "laplace"):
        value = np.where(t <= 1, value, 0.0)
    return np.asarray(value, dtype=np.float64)


def radial_mass(kernel: str, d: int) -> float:
    """The integral of k(|u|) over R^d: the sphere's area times the radial integral, by quadrature."""
    sphere = 2 * math.pi ** (d / 2) / math.gamma(d / 2)
    upper = math.inf if kernel in ("gaussian", "laplace") else 1.0
    radial, _ = quad(lambda r: float(shape(kernel, np.array(r))) * r ** (d - 1), 0, upper, epsabs=0, epsrel=1e-13)
    return float(sphere * radial)


def pdf_radial(x: FloatArray, H: FloatArray, q: FloatArray, kernel: str, w: FloatArray | None = None) -> FloatArray:
    """sum_j w_j k(|L^-1 (q - x_j)| / a) / (a^d c_d det L), H = L L^T, rows are points."""
    n, d = x.shape
    ww = np.full(n, 1.0 / n) if w is None else np.asarray(w, dtype=np.float64) / np.sum(w)
    chol = np.linalg.cholesky(H)
    diff = (q[:, None, :] - x[None, :, :]).reshape(-1, d)
    z = solve_triangular(chol, diff.T, lower=True).T
    t = np.sqrt((z * z).sum(axis=1)).reshape(len(q), n) / scale(kernel)
    norm = scale(kernel) ** d * radial_mass(kernel, d) * np.prod(np.diag(chol))
    return np.asarray((shape(kernel, t) * ww).sum(axis=1) / norm)


def tensor_grid(
    x: FloatArray, bandwidth: float | FloatArray, axes: list[FloatArray], kernel: str, w: FloatArray | None = None
) -> FloatArray:
    """The density at the points of meshgrid(*axes, indexing="ij"), raveled; 1-D: `bandwidth` is h."""
    if len(axes) == 1:
        ww = np.full(len(x), 1.0 / len(x)) if w is None else np.asarray(w, dtype=np.float64) / np.sum(w)
        h = float(np.asarray(bandwidth))
        z = (axes[0][:, None] - np.asarray(x).ravel()[None, :]) / h
        return np.asarray((kernel_pdf(kernel, z) * ww).sum(axis=1) / h)
    mesh = np.meshgrid(*axes, indexing="ij")
    q = np.column_stack([m.ravel() for m in mesh])
    return pdf_radial(np.asarray(x), np.asarray(bandwidth, dtype=np.float64), q, kernel, w)
