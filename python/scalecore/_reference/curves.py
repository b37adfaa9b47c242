"""Reference schedule areas of Tissue, Wang & Wang 2024 in NumPy/SciPy: the learning rate expanded to every
step (linear between checkpoints, the first checkpoint's value before it), S1 as its cumulative sum and the
momentum m_t = decay m_(t-1) + (lr_(t-1) - lr_t) after the warm-up end as a first-order recursive filter."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]

__all__ = ["schedule_areas"]


def schedule_areas(step: FloatArray, lr: FloatArray, anneal_from: float, decay: float) -> tuple[FloatArray, FloatArray]:
    """(S1, S2) at the checkpoints of one curve (steps increasing whole numbers, lr per checkpoint)."""
    step = np.asarray(step, dtype=np.float64)
    lr = np.asarray(lr, dtype=np.float64)
    last = int(step[-1])
    t = np.arange(0, last + 1, dtype=np.float64)
    # lr at every step 0..last; at step 0 (before any update) the first checkpoint's value.
    dense = np.interp(t, np.r_[0.0, step] if step[0] > 0 else step, np.r_[lr[0], lr] if step[0] > 0 else lr)
    s1 = np.cumsum(np.r_[0.0, dense[1:]])
    drop = np.r_[0.0, dense[:-1] - dense[1:]]
    drop[t <= anneal_from] = 0.0
    m = lfilter([1.0], [1.0, -decay], drop)
    m[t <= anneal_from] = 0.0
    s2 = np.cumsum(m)
    at = step.astype(np.int64)
    return s1[at], s2[at]
