"""Pure NumPy/SciPy oracles of the KDE integrals (tests only; docs/methods.md section 4): the box mass of a
Gaussian estimate with a diagonal bandwidth matrix as a product of normal interval masses, and the interval
mass of a 1-D Gaussian estimate, each from the tail where it is small."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr


def normal_mass(a: Any, b: Any) -> Any:
    """Phi(b) - Phi(a) computed in the tail where both ends lie (sign kept when a > b)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.where(a > 0.0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def box_probability_diagonal(x: Any, w: Any, sd: Any, low: Any, high: Any) -> float:
    """sum_i w_i prod_j [Phi((high_j - x_ij) / sd_j) - Phi((low_j - x_ij) / sd_j)], w normalised; x is (n, d)."""
    x, sd = np.asarray(x, dtype=float), np.asarray(sd, dtype=float)
    p = normal_mass((np.asarray(low) - x) / sd, (np.asarray(high) - x) / sd)
    w = np.asarray(w, dtype=float)
    return float(np.prod(p, axis=1) @ (w / w.sum()))


def interval_mass_1d(x: Any, w: Any, h: float, low: float, high: float) -> float:
    """The mass of [low, high] under the 1-D Gaussian estimate of bandwidth h."""
    w = np.asarray(w, dtype=float)
    return float(normal_mass((low - np.asarray(x)) / h, (high - np.asarray(x)) / h) @ (w / w.sum()))
