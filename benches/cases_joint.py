"""Joint-fit benchmark: `sc.fit(runs, group=..., shared=["alpha", "beta"])` against the NumPy/SciPy reference
(`scalecore._reference.joint.fit_joint`: every group fitted alone by scipy's L-BFGS-B from a grid, then the
joint objective from those optima), the way a user writes a shared-exponent fit without scalecore
(docs/joint_fits.md).

Per-optimizer Chinchilla sweeps with shared exponents and per-group E, A, B. The reference starts each group
from every 45th Hoffmann grid start (100; the whole grid would take many minutes per group). The check: scalecore's
joint objective is at least as low as the reference's (to 1e-6 relative).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
from run import Case
from scalecore._reference import fit as ref_fit
from scalecore._reference import joint as ref


def _runs(n_groups: int, per_group: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(7.5, 9.5, n_groups * per_group)
    d = n * 10 ** rng.uniform(0.8, 2.2, n.size)
    code = np.repeat(np.arange(n_groups), per_group)
    e, a, b = rng.uniform(1.6, 2.0, n_groups), rng.uniform(300, 600, n_groups), rng.uniform(300, 600, n_groups)
    loss = (e[code] + a[code] / n**0.34 + b[code] / d**0.28) * np.exp(0.005 * rng.standard_normal(n.size))
    return {"N": n, "D": d, "loss": loss, "group": code}


def cases(quick: bool) -> list[Case]:
    n_groups, per_group = (3, 20) if quick else (6, 30)
    data = _runs(n_groups, per_group)
    step = 225 if quick else 45
    starts = ref_fit.hoffmann_grid()[::step]

    def ours() -> Any:
        return sc.fit(data, "chinchilla", group="group", shared=["alpha", "beta"], progress=False)

    def reference() -> Any:
        cols = {"N": data["N"], "D": data["D"]}
        return ref.fit_joint("chinchilla", cols, data["loss"], data["group"], [3, 4], starts)

    def check(joint: Any, theirs: dict[str, Any]) -> tuple[bool, str]:
        ok = joint.objective <= theirs["objective"] * (1 + 1e-6)
        return ok, (
            f"objective {joint.objective:.6g} vs reference {theirs['objective']:.6g}; alpha "
            f"{joint.shared_params['alpha']:.4f} vs {theirs['thetas'][0, 3]:.4f}; converged {joint.converged};"
        )

    return [
        Case(
            f"joint chinchilla fit, {n_groups} groups x {per_group} runs, shared alpha and beta",
            ours,
            [(f"scipy reference (grid / {step})", reference)],
            check,
            target="as good as the reference, faster",
        )
    ]
