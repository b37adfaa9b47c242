"""Training-curve benchmarks: the schedule areas (forward and annealing, Tissue et al. 2024) of a million
checkpoints (10,000 cosine curves of 100 checkpoints, one every 100 steps: 1e8 optimizer steps), against the
NumPy/SciPy reference curve by curve (timed on 100 curves and scaled).

Answers agree when S1 and S2 match the reference to 1e-9 relative on the curves the reference ran."""

from __future__ import annotations

from typing import Any

import numpy as np
from run import Case  # type: ignore[import-not-found]
from scalecore._reference.curves import schedule_areas as reference_areas
from scalecore.curves import Curves, schedule


def cases(quick: bool) -> list[Case]:
    n_curves, per_curve, every = (1_000, 100, 100) if quick else (10_000, 100, 100)
    n_steps = per_curve * every
    eta = schedule("cosine", n_steps, peak=3e-4, warmup=500, final=3e-5)
    at = np.arange(every - 1, n_steps, every)
    scale = 1.0 + 0.5 * np.random.default_rng(0).random(n_curves)  # a peak learning rate per curve
    curves = Curves(
        run=np.repeat(np.arange(n_curves), per_curve),
        step=np.tile(at + 1.0, n_curves),
        loss=np.ones(n_curves * per_curve),
        lr=np.outer(scale, eta[at]).ravel(),
    )
    sample = 100

    def ours() -> Any:
        return curves.areas()

    def reference() -> Any:
        return [
            reference_areas(curves.step[a:b], curves.lr[a:b], float(w), 0.999)  # type: ignore[index]
            for a, b, w in zip(curves.offsets[:sample], curves.offsets[1 : sample + 1], curves.warmup_end())
        ]

    def check(o: Any, t: Any) -> tuple[bool, str]:
        s1 = np.concatenate([r[0] for r in t])
        s2 = np.concatenate([r[1] for r in t])
        k = len(s1)
        e1 = float(np.max(np.abs(o[0][:k] / s1 - 1)))
        e2 = float(np.max(np.abs(o[1][:k] - s2)) / np.max(np.abs(s2)))
        return e1 < 1e-9 and e2 < 1e-9, f"largest relative difference S1 {e1:.1e}, S2 {e2:.1e}"

    return [
        Case(
            name=f"training curves: schedule areas, {n_curves * per_curve:,} checkpoints",
            ours=ours,
            baselines=[("reference NumPy/SciPy per curve", reference)],
            check=check,
            baseline_scale=n_curves / sample,
            target="< 1 s on 2 cores (quiet)",
        )
    ]
