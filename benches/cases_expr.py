"""Laws defined by expressions against the hand-written built-in law: the Chinchilla law written as an
expression, fitted with the Hoffmann grid and bootstrapped with 4000 pairs resamples on the Epoch runs
(target: at most 2x the built-in law's time, same optimum), and scipy's curve_fit-style route (one
scipy L-BFGS-B run from each start with a NumPy closure) as the peer a user would otherwise take."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scalecore as sc
from cases_fit import chinchilla_runs
from run import Case

EXPR = "E + A * N^-alpha + B * D^-beta"
HOFFMANN = {
    "E": np.exp([-1.0, -0.5, 0.0, 0.5, 1.0]),
    "A": np.exp([0.0, 5.0, 10.0, 15.0, 20.0, 25.0]),
    "B": np.exp([0.0, 5.0, 10.0, 15.0, 20.0, 25.0]),
    "alpha": [0.0, 0.5, 1.0, 1.5, 2.0],
    "beta": [0.0, 0.5, 1.0, 1.5, 2.0],
}


def _quiet(fn: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.IdentifiabilityWarning)
        return fn()


def cases(quick: bool) -> list[Case]:
    label, runs = chinchilla_runs()
    law = sc.laws.define(
        "chinchilla_expr", EXPR, params=["E", "A", "B", "alpha", "beta"], positive=["E", "A", "B"], grid=HOFFMANN
    )
    n_boot = 400 if quick else 4000

    def same_fit(ours: sc.FitResult, theirs: sc.FitResult) -> tuple[bool, str]:
        rel = (ours.objective - theirs.objective) / theirs.objective
        return abs(rel) <= 1e-9, f"objective rel. diff {rel:+.2e} (expression minus built-in)"

    def same_boot(ours: Any, theirs: Any) -> tuple[bool, str]:
        a, b = ours.ci("alpha"), theirs.ci("alpha")
        gap = max(abs(a[0] - b[0]), abs(a[1] - b[1]))
        return gap <= 1e-3, f"alpha 95% CI {a[0]:.4f}..{a[1]:.4f} vs built-in {b[0]:.4f}..{b[1]:.4f}"

    return [
        Case(
            name=f"expression law fit, hoffmann grid (4500 starts), {label}",
            ours=lambda: _quiet(lambda: sc.fit(runs, law, init="hoffmann")),
            baselines=[
                ("built-in chinchilla law", lambda: _quiet(lambda: sc.fit(runs, "chinchilla", init="hoffmann")))
            ],
            check=same_fit,
            target="target: <= 2x built-in",
            repeat=3,
        ),
        Case(
            name=f"expression law fit, init=auto, {label}",
            ours=lambda: _quiet(lambda: sc.fit(runs, law)),
            baselines=[("built-in chinchilla law", lambda: _quiet(lambda: sc.fit(runs, "chinchilla")))],
            check=lambda ours, theirs: (
                ours.objective <= theirs.objective * (1 + 1e-9),
                f"objective {ours.objective:.10g} vs built-in {theirs.objective:.10g}",
            ),
            target="target: <= 2x built-in",
            repeat=3,
        ),
        Case(
            name=f"expression law pairs bootstrap, {n_boot} resamples, {label}",
            ours=lambda: _quiet(lambda: sc.bootstrap(runs, law, n_resamples=n_boot, seed=0, progress=False)),
            baselines=[
                (
                    "built-in chinchilla law",
                    lambda: _quiet(
                        lambda: sc.bootstrap(runs, "chinchilla", n_resamples=n_boot, seed=0, progress=False)
                    ),
                )
            ],
            check=same_boot,
            target="target: <= 2x built-in",
        ),
    ]
