"""Pure-NumPy/SciPy oracle of the two-dimensional improved Sheather-Jones bandwidth (tests and benches only).

Botev, Grotowski & Kroese (2010, "Kernel density estimation via diffusion", section 5), transcribed step for
step from their published kde2d program: the data are padded by half their range on each side, scaled to the
unit square and histogrammed on a 2^8 x 2^8 grid; the squared 2-D cosine coefficients give the functionals
psi_(s1, s2) of the density, each estimated at the diffusion time the next higher order implies (down from
order 5); the root t* of t - (t - tau(t)) / tau(t), with tau(t) = (2 pi N (psi_02 + psi_20 + 2 psi_11))^(-1/3),
is searched in [0, tol] with tol doubling from an N-dependent start; the two diagonal diffusion times follow
from psi_20, psi_02 and psi_11 at t*. The bandwidth per axis is sqrt(t) times that axis's grid range.

Two departures, both shared with the core: Brent's method as scipy's brentq stands in for MATLAB's fzero
(brackets and sign tests are the program's), and where no bracket below 0.1 holds a root, the program's last
resort (minimising |t - ...| over [0, 0.1], a point that is not a fixed point) is replaced by `NoRootError`, which
the estimator turns into a fallback with a warning. With weights, each point adds its normalised weight to its
bin (the program adds 1/N) and N is the effective sample size 1 / sum w^2.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import dctn
from scipy.optimize import brentq

from .kde import FloatArray

GRID = 256


class NoRootError(ValueError):
    """The fixed-point equation has no root in any bracket the program tries."""


def _power(base: float, exponent: float) -> float:
    """base ** exponent for a real result; NaN for a negative base (MATLAB returns a complex number there,
    which makes fzero refuse the bracket)."""
    return float(base**exponent) if base >= 0 else math.nan


def _k(s: int) -> float:
    """(-1)^s (2s - 1)!! / sqrt(2 pi), the program's K(s)."""
    return float((-1) ** s * np.prod(np.arange(1, 2 * s, 2, dtype=np.float64)) / math.sqrt(2 * math.pi))


def isj_2d(x: FloatArray, weights: FloatArray | None = None, grid: int = GRID) -> tuple[float, float]:
    """(h_x, h_y): the standard deviations of the diagonal Gaussian kernel Botev's kde2d selects."""
    x = np.asarray(x, dtype=np.float64)
    if weights is None:
        mass = np.full(len(x), 1.0 / len(x))
        n = float(len(x))
    else:
        w = np.asarray(weights, dtype=np.float64)
        w = w / np.sum(w)
        keep = w > 0
        x, mass = x[keep], w[keep]
        n = 1.0 / float(np.sum(mass * mass))
    lo, hi = x.min(axis=0), x.max(axis=0)
    spread = hi - lo
    min_xy, max_xy = lo - spread / 2, hi + spread / 2
    scaling = max_xy - min_xy
    bins = np.minimum(np.floor((x - min_xy) / scaling * grid).astype(np.int64), grid - 1)
    binned = np.zeros((grid, grid))
    np.add.at(binned, (bins[:, 0], bins[:, 1]), mass)
    # The program's DCT weighs the zero frequency by 1 and the others by 2; scipy's by 2 throughout.
    a = dctn(binned, type=2)
    a[0, :] /= 2
    a[:, 0] /= 2
    k2 = np.arange(grid, dtype=np.float64) ** 2
    a2 = a**2
    half = np.full(grid, 0.5)
    half[0] = 1.0

    def psi(s1: int, s2: int, time: float) -> float:
        w = np.exp(-k2 * math.pi**2 * time) * half
        wx, wy = w * k2**s1, w * k2**s2
        return float((-1) ** (s1 + s2) * (wy @ a2 @ wx) * math.pi ** (2 * (s1 + s2)))

    def func(s1: int, s2: int, t: float) -> float:
        if s1 + s2 <= 4:
            total = func(s1 + 1, s2, t) + func(s1, s2 + 1, t)
            const = (1 + 1 / 2 ** (s1 + s2 + 1)) / 3
            time = _power(-2 * const * _k(s1) * _k(s2) / n / total, 1 / (2 + s1 + s2))
            return psi(s1, s2, time)
        return psi(s1, s2, t)

    def gap(t: float) -> float:
        total = func(0, 2, t) + func(2, 0, t) + 2 * func(1, 1, t)
        time = _power(2 * math.pi * n * total, -1 / 3)
        return t - (t - time) / time

    # The program's bracket: [0, tol], tol from N clamped to [50, 1050], doubled up to 0.1.
    tol = 1e-12 + 0.01 * (min(max(n, 50.0), 1050.0) - 50) / 1000
    t_star = math.nan
    while True:
        with np.errstate(all="ignore"):
            f0, f1 = gap(0.0), gap(tol)
        if math.isfinite(f0) and math.isfinite(f1) and f0 * f1 <= 0:
            try:
                with np.errstate(all="ignore"):
                    t_star = brentq(gap, 0.0, tol, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=100)
            except RuntimeError:  # no convergence within the iterations, as the core's budget
                raise NoRootError("the two-dimensional ISJ fixed-point equation has no root") from None
            break
        tol = min(2 * tol, 0.1)
        if tol == 0.1:
            raise NoRootError("the two-dimensional ISJ fixed-point equation has no root")
    p02, p20, p11 = func(0, 2, t_star), func(2, 0, t_star), func(1, 1, t_star)
    cross = 4 * math.pi * n * (p11 + math.sqrt(p20 * p02))
    t_y = _power(p02**0.75 / (cross * p20**0.75), 1 / 3)
    t_x = _power(p20**0.75 / (cross * p02**0.75), 1 / 3)
    if not (t_x > 0 and t_y > 0 and math.isfinite(t_x) and math.isfinite(t_y)):
        raise NoRootError("the two-dimensional ISJ functionals are not positive at the root")
    return float(math.sqrt(t_x) * scaling[0]), float(math.sqrt(t_y) * scaling[1])
