"""Reference intrinsic-dimension estimators and local exponents with NumPy/SciPy (docs/methods.md section 9): the
oracle for tests and the baseline for benches. Neighbours from scipy.spatial.cKDTree on the raw coordinates."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree


def neighbour_distances(points: Any, k: int, step: int = 1) -> NDArray[np.float64]:
    """Distances from each point (or from every `step`-th, which benches use to time a sample of a slow search) to its k
    nearest other points (n x k, ascending)."""
    pts = np.asarray(points, dtype=np.float64)
    dist, _ = cKDTree(pts).query(pts[::step], k=k + 1)
    return np.asarray(dist[:, 1:], dtype=np.float64)


def twonn(points: Any, step: int = 1) -> float:
    """Facco et al. 2017: d = N / sum log(r2 / r1), over points whose nearest neighbour is not a duplicate (every
    `step`-th point)."""
    d = neighbour_distances(points, 2, step)
    d = d[d[:, 0] > 0]
    return float(d.shape[0] / np.sum(np.log(d[:, 1] / d[:, 0])))


def levina_bickel(points: Any, k: int = 10, step: int = 1) -> float:
    """Levina & Bickel 2004 with k neighbours, the per-point inverse estimates pooled (MacKay & Ghahramani 2005) (every
    `step`-th point)."""
    d = neighbour_distances(points, k, step)
    d = d[d[:, 0] > 0]
    inv = np.mean(np.log(d[:, k - 1 : k] / d[:, : k - 1]), axis=1)
    return float(1.0 / np.mean(inv))


def local_exponents(x: Any, y: Any, window: int, floor: float = 0.0) -> NDArray[np.float64]:
    """-slope of log(y - floor) on log x by np.polyfit over each window of consecutive points (x sorted)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    order = np.argsort(xs, kind="stable")
    lx, ly = np.log(xs[order]), np.log(ys[order] - floor)
    return np.array([-np.polyfit(lx[i : i + window], ly[i : i + window], 1)[0] for i in range(xs.size - window + 1)])
