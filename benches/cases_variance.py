"""Evaluation-variance benchmarks (issue 11): scalecore against scipy and the NumPy reference.

(a) Kendall's tau-b of 1e6 pairs with ties, against scipy.stats.kendalltau (target: under 0.5 s), tau and
    p-value compared.
(b) item bootstrap of 8 models' scores on 5,000 items, 2,000 resamples, against the NumPy reference
    (fancy indexing of the same resampled indices, drawn before its timer starts), intervals compared.
--quick shrinks the sizes for a smoke test.

Measured 2026-11-30 (`python benches/run.py variance`, release build, 2 cores shared with four other
helpers' builds, load average 8-10, so ratios are rough): (a) 0.24 s against scipy's 0.85 s (3.6x), tau
and p-value identical to the bit; (b) 0.21 s against the reference's 3.8 s (19x; 28x in an earlier run),
intervals identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
import scipy.stats
from run import Case
from scalecore import _core
from scalecore._reference import variance as ref


def _kendall_case(quick: bool) -> Case:
    n = 10_000 if quick else 1_000_000
    rng = np.random.default_rng(0)
    x = rng.integers(0, 1000, n).astype(float)  # many ties in x
    y = x + rng.normal(0, 300, n).round()  # and in y

    def ours() -> Any:
        return sc.variance.kendall_tau_b(x, y)

    def theirs() -> Any:
        return scipy.stats.kendalltau(x, y)

    def check(a: Any, b: Any) -> tuple[bool, str]:
        dt = abs(a.tau - b.statistic)
        dp = abs(a.pvalue - b.pvalue) / max(abs(b.pvalue), 1e-300)
        return dt <= 1e-12 and dp <= 1e-12, f"|dtau| {dt:.1e}, p rel {dp:.1e}"

    return Case(
        name=f"variance kendall tau-b, n={n:.0e} with ties",
        ours=ours,
        baselines=[("scipy.stats.kendalltau", theirs)],
        check=check,
        target="under 0.5 s" if not quick else "",
        repeat=3,
    )


def _bootstrap_case(quick: bool) -> Case:
    n_items, n_models, n_resamples = (500, 8, 200) if quick else (5000, 8, 2000)
    rng = np.random.default_rng(1)
    scores = (rng.random((n_items, n_models)) < np.linspace(0.3, 0.7, n_models)).astype(float)
    (indices,) = _core.bootstrap_indices([n_items], seed=3, count=n_resamples)

    def ours() -> Any:
        return _core.variance_item_bootstrap(scores, n_resamples=n_resamples, seed=3)

    def theirs() -> Any:
        return ref.item_bootstrap(scores, indices)

    def check(a: Any, b: Any) -> tuple[bool, str]:
        _, _, low, high, _, _ = a
        err = max(np.max(np.abs(low - b["low"])), np.max(np.abs(high - b["high"])))
        return bool(err <= 1e-12), f"max interval difference {err:.1e}"

    return Case(
        name=f"variance item bootstrap {n_items} items x {n_models} models, B={n_resamples}",
        ours=ours,
        baselines=[("numpy reference (same indices)", theirs)],
        check=check,
        repeat=3,
    )


def cases(quick: bool) -> list[Case]:
    return [_kendall_case(quick), _bootstrap_case(quick)]
