"""Learning-rate schedules as training runs use them (constant, cosine, warmup-stable-decay), to simulate
training curves and to ask a fitted schedule-aware law (`sc.curves.tissue_law`) about a schedule never trained
(`sc.curves.predict_curve`)."""

from __future__ import annotations

import numpy as np

from ._validation import FloatArray, one_of, real
from .errors import InvalidInputError

__all__ = ["schedule"]


def schedule(
    kind: str,
    n_steps: int,
    *,
    peak: float,
    warmup: int = 0,
    final: float = 0.0,
    decay_steps: int | None = None,
) -> FloatArray:
    """A learning-rate schedule at steps 1..n_steps: "constant", "cosine" (from `peak` to `final` after
    the warm-up) or "wsd" (warmup-stable-decay: `peak` until the last `decay_steps`, then linear to
    `final`), each after a linear warm-up of `warmup` steps from 0."""
    one_of("kind", kind, ["constant", "cosine", "wsd"])
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise InvalidInputError(f"n_steps: must be a positive integer, got {n_steps!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or not 0 <= warmup < n_steps:
        raise InvalidInputError(f"warmup: must be an integer in [0, n_steps), got {warmup!r}")
    peak_v, final_v = real("peak", peak), real("final", final)
    if not (np.isfinite(peak_v) and peak_v > 0 and np.isfinite(final_v) and 0 <= final_v <= peak_v):
        raise InvalidInputError(f"peak, final: need 0 <= final <= peak, peak > 0, got {peak!r}, {final!r}")
    t = np.arange(1, n_steps + 1, dtype=np.float64)
    after = np.clip((t - warmup) / max(n_steps - warmup, 1), 0.0, 1.0)
    if kind == "constant":
        lr = np.full(n_steps, peak_v)
    elif kind == "cosine":
        lr = final_v + 0.5 * (peak_v - final_v) * (1 + np.cos(np.pi * after))
    else:
        k = (n_steps - warmup) // 5 if decay_steps is None else decay_steps
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 < k <= n_steps - warmup:
            raise InvalidInputError(f"decay_steps: must be an integer in [1, n_steps - warmup], got {decay_steps!r}")
        start = n_steps - k
        lr = np.where(t <= start, peak_v, peak_v + (final_v - peak_v) * (t - start) / k)
    if warmup:
        lr = np.where(t <= warmup, peak_v * (t / warmup), lr)
    out: FloatArray = lr
    return out
