"""Reference evaluation-variance statistics in NumPy/SciPy (docs/methods.md section 7): test oracles and
benchmark baselines for `scalecore.variance`.

- `kendall_tau_b_pairs`: Kendall's tau-b by its definition over all K(K - 1)/2 pairs (O(K^2) memory-light
  loop over rows), independent of both scipy's and scalecore's merge-sort algorithms.
- `item_bootstrap`: column means of item resamples given as an index matrix (the indices scalecore's
  streams draw, exported by `scalecore._core.bootstrap_indices`), percentile intervals as numpy computes
  quantiles, the shift-method p-value of a zero mean.
- `seed_stats`, `item_analysis`: the formulas written out on an items x models x seeds array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

FloatArray = NDArray[np.float64]


def kendall_tau_b_pairs(x: Any, y: Any) -> float:
    """tau_b = sum_{i<j} sign(dx) sign(dy) / sqrt(#{dx != 0} #{dy != 0})."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    s = tx = ty = 0
    for i in range(len(x) - 1):
        sx, sy = np.sign(x[i + 1 :] - x[i]), np.sign(y[i + 1 :] - y[i])
        s += int(np.sum(sx * sy))
        tx += int(np.count_nonzero(sx))
        ty += int(np.count_nonzero(sy))
    return s / np.sqrt(float(tx) * float(ty)) if tx and ty else float("nan")


def item_bootstrap(
    columns: FloatArray, indices: NDArray[np.integer[Any]], level: float = 0.95
) -> dict[str, FloatArray]:
    """Per column of `columns` (items x columns), given resampled item indices (n_resamples x items)."""
    cols = np.asarray(columns, dtype=np.float64)
    dist = cols[np.asarray(indices)].mean(axis=1)  # n_resamples x columns
    estimate = cols.mean(axis=0)
    alpha = (1 - level) / 2
    low, high = np.quantile(dist, [alpha, 1 - alpha], axis=0)
    extreme = np.sum(np.abs(dist - estimate) >= np.abs(estimate), axis=0)
    return {
        "estimate": estimate,
        "distribution": dist,
        "low": low,
        "high": high,
        "se": dist.std(axis=0, ddof=1),
        "pvalue_zero": (1 + extreme) / (len(dist) + 1),
    }


def seed_stats(scores: FloatArray, level: float = 0.95) -> dict[str, FloatArray]:
    """Seed mean, std (ddof 1), SNR and the binomial interval of an items x models x seeds array."""
    s = np.asarray(scores, dtype=np.float64)
    per_seed = s.mean(axis=0)
    mean, std = per_seed.mean(axis=1), per_seed.std(axis=1, ddof=1)
    half = ndtri((1 + level) / 2) * np.sqrt(mean * (1 - mean) / s.shape[0])
    return {"mean": mean, "std": std, "snr": mean / std, "binomial_low": mean - half, "binomial_high": mean + half}


def item_analysis(scores: FloatArray) -> dict[str, FloatArray]:
    """Difficulty and point-biserial discrimination over the model x seed runs, item by item."""
    s = np.asarray(scores, dtype=np.float64)
    runs = s.reshape(s.shape[0], -1)
    total = runs.mean(axis=0)
    disc = np.array([np.corrcoef(row, total)[0, 1] if row.std() > 0 else np.nan for row in runs])
    return {"difficulty": runs.mean(axis=1), "discrimination": disc}
