"""Reference IsoFLOP analysis in NumPy (docs/methods.md section 6): per budget a weighted `np.polyfit` of
loss against ln N on the runs nearest the lowest loss, its interior minimum from `np.roots`, and the
least-squares line ln N_opt = ln k + a ln C."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["budget_minimum", "exponent"]


def budget_minimum(
    x: FloatArray, y: FloatArray, w: FloatArray | None = None, degree: int = 2, near: int | None = 7
) -> tuple[float, float] | None:
    """(ln N_opt, loss at it), or None when the budget has no interior minimum (same rules as the core)."""
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    sizes = np.unique(x)
    if len(sizes) < max(3, degree + 1):
        return None
    order = np.lexsort((x, y))
    best = order[0]
    at = int(np.searchsorted(sizes, x[best]))
    if at == 0 or at == len(sizes) - 1:
        return None
    if near is None:
        lo, hi = sizes[0], sizes[-1]
    else:
        k = min(max(near, max(3, degree + 1)), len(sizes))
        left = min((k - 1) // 2, at)
        right = min(k - 1 - left, len(sizes) - 1 - at)
        left = min(k - 1 - right, at)
        lo, hi = sizes[at - left], sizes[at + right]
    sel = (x >= lo) & (x <= hi)
    coef = np.polyfit(x[sel] - x[best], y[sel], degree, w=np.sqrt(w[sel]))
    deriv = np.polyder(coef)
    second = np.polyder(deriv)
    roots = np.roots(deriv)
    roots = roots[np.isreal(roots)].real
    minima = [r for r in roots if np.polyval(second, r) > 0]
    if not minima:
        return None
    t = float(minima[0])
    x_opt = float(x[best]) + t
    if not (lo <= x_opt <= hi):
        return None
    return x_opt, float(np.polyval(coef, t))


def exponent(ln_c: FloatArray, ln_n_opt: FloatArray) -> tuple[float, float]:
    """(a, ln k) of ln N_opt = ln k + a ln C by least squares."""
    a, k = np.polyfit(ln_c, ln_n_opt, 1)
    return float(a), float(k)
