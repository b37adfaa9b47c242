"""Politis & White's (2004) automatic block length for block bootstraps, with the correction of Patton,
Politis & White (2009) and the lag window cut where the authors' own program cuts it, written literally:
the test oracle of scalecore's core.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import FloatArray


def optimal_block_length(x: FloatArray) -> tuple[float, float]:
    """(stationary bootstrap mean length, circular block length), each clipped to [1, min(3 sqrt n, n/3)]."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    eps = x - x.mean()
    kn = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = min(math.ceil(math.sqrt(n)) + kn, n - 1)
    b_max = max(1.0, math.ceil(min(3 * math.sqrt(n), n / 3)))
    acv = np.array([np.dot(eps[k:], eps[: n - k]) / n for k in range(m_max + 1)])
    if acv[0] <= 0:
        return 1.0, 1.0
    rho = acv[1:] / acv[0]
    small = np.abs(rho) < 2 * math.sqrt(math.log10(n) / n)
    runs = [lag for lag in range(1, m_max - kn + 2) if small[lag - 1 : lag - 1 + kn].all()]
    if runs:
        m_hat = runs[0]
    else:
        significant = np.flatnonzero(~small)
        m_hat = int(significant[-1]) + 1 if significant.size else 0
    big_m = min(2 * max(m_hat, 1), m_max)
    k = np.arange(1, big_m + 1)
    t = k / big_m
    lam = np.where(t <= 0.5, 1.0, 2 * (1 - t))
    g = float(np.sum(2 * lam * k * acv[1 : big_m + 1]))
    sigma2 = float(acv[0] + np.sum(2 * lam * acv[1 : big_m + 1]))

    def length(d: float) -> float:
        b = (2 * g * g / d) ** (1 / 3) * n ** (1 / 3)
        return float(min(max(b, 1.0), b_max)) if math.isfinite(b) else 1.0

    return length(2 * sigma2**2), length(4 / 3 * sigma2**2)
