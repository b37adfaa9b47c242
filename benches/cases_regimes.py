"""Scaling-regime benchmarks: intrinsic dimension of 20,000 and 100,000 points in 64 coordinates (a d-dimensional
Gaussian, d = 2, 5, 10, embedded by a random rotation) by TwoNN and Levina-Bickel, against the reference on
scipy.spatial.cKDTree.

Answers agree when both estimates lie within 10 % of the planted dimension. At 100,000 points and d = 5 or 10 the
reference is timed on a sample of its queries (every 100th or 500th point) and its time scaled up: cKDTree on the raw
64 coordinates would need about 9 minutes at d = 5 and two hours at d = 10 (measured on samples, under load)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
from run import Case  # type: ignore[import-not-found]
from scalecore._reference import regimes as ref


def _embedded(n: int, d: int, dim: int = 64) -> np.ndarray:
    rng = np.random.default_rng(d)
    q, _ = np.linalg.qr(rng.standard_normal((dim, d)))
    return rng.standard_normal((n, d)) @ q.T


def cases(quick: bool) -> list[Case]:
    out = []
    for n in (20_000,) if quick else (20_000, 100_000):
        for d in (2, 5, 10):
            pts = _embedded(n, d)
            for method in ("twonn", "mle"):

                def ours(pts: np.ndarray = pts, method: str = method) -> Any:
                    return sc.regimes.intrinsic_dimension(pts, method).d

                # The slow rows time the reference on every step-th query and scale its time by step.
                step = {5: 100, 10: 500}.get(d, 1) if n > 20_000 else 1

                def reference(pts: np.ndarray = pts, method: str = method, step: int = step) -> Any:
                    return ref.twonn(pts, step) if method == "twonn" else ref.levina_bickel(pts, 10, step)

                def check(o: Any, t: Any, d: int = d) -> tuple[bool, str]:
                    ok = abs(o / d - 1) <= 0.1 and abs(t / d - 1) <= 0.1
                    return ok, f"d ours {o:.3f} reference {t:.3f} (planted {d})"

                label = "reference cKDTree" if step == 1 else f"reference cKDTree (1/{step} of queries, x{step})"
                out.append(
                    Case(
                        name=f"intrinsic dimension {method}, n={n} in 64-D, d={d}",
                        ours=ours,
                        baselines=[(label, reference)],
                        check=check,
                        target="< 10 s on 2 cores" if n == 100_000 else "",
                        baseline_scale=float(step),
                    )
                )
    return out
