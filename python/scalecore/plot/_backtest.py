"""The figure of a backtest (`backtest`): did the law fitted on the small runs predict the large ones?

Loss against the quantity the runs were split along (compute by default), for the last (largest) fold: the
fit region shaded, the runs fitted on, the held-out runs and the law's prediction of each, joined to its
observation by a line so the error reads off directly; with a bootstrapped backtest (``n_resamples``) each
prediction carries its pointwise percentile band over the refits. A law of one input also shows its fitted
curve, solid over the fit region and dashed where it extrapolates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import BacktestResult, InvalidInputError
from ..laws import get as get_law
from ._common import BLACK, BLUE, GREY, LABELS, VERMILLION, as_runs, log_if_wide, single_axes, style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_AXES = ("C", "N", "D", "M", "x")


def _axis(result: BacktestResult, r: Any, x: str | None) -> str:
    if x is not None:
        if x not in _AXES or not r.has(x):
            have = [a for a in _AXES if r.has(a)]
            raise InvalidInputError(f"x: must be a column of the runs among {have}, got {x!r}")
        return x
    # The split column when the backtest cut along one ("C <= cut", "rolling along x"), else C, N or x.
    word = result.split.split()[-1] if result.split.startswith("rolling") else result.split.split()[0]
    word = "C" if word == "compute" else word
    return word if word in _AXES and r.has(word) else next(a for a in _AXES if r.has(a))


def backtest(result: Any, runs: Any, *, x: str | None = None, ax: Any = None) -> Figure:
    """Loss against the split quantity (or `x`: "C", "N", "D", "M", "x") for the last fold of `result`.

    result: a BacktestResult (from sc.backtest). runs: the runs it was computed on (scalecore.Runs or a
    mapping of columns), in the same order. ax: a matplotlib Axes to draw into (default: a new figure).
    Returns the Figure.
    """
    if not isinstance(result, BacktestResult):
        raise InvalidInputError(
            f"result: expected a scalecore.BacktestResult (from sc.backtest), got {type(result).__name__}"
        )
    r = as_runs(runs)
    if len(r) != result.n_runs:
        raise InvalidInputError(f"runs: the backtest was computed on {result.n_runs} runs, got {len(r)}")
    X = _axis(result, r, x)
    fold = result.folds[-1]
    xs = np.asarray(getattr(r, X), dtype=np.float64)
    train, held = fold.train, fold.heldout
    fig, axes = single_axes(ax, (6.4, 4.4))

    axes.axvspan(
        float(xs[train].min()), float(xs[train].max()), color=BLUE, alpha=0.08, linewidth=0, label="fit region"
    )
    law = get_law(result.law)
    shown = [r.loss, fold.predicted]
    if law.inputs == ("x",):
        grid = np.geomspace(xs.min(), xs.max(), 200) if xs.min() > 0 else np.linspace(xs.min(), xs.max(), 200)
        curve = np.asarray(fold.fit.predict(x=grid), dtype=np.float64)
        inside = grid <= xs[train].max()
        axes.plot(grid[inside], curve[inside], color=BLUE, linewidth=1.4, label=f"fitted {result.law} law")
        axes.plot(grid[~inside], curve[~inside], color=BLUE, linewidth=1.4, linestyle="--", label="its extrapolation")
        shown.append(curve)
    axes.scatter(
        xs[train],
        r.loss[train],
        color=BLUE,
        s=16,
        edgecolors="white",
        linewidths=0.5,
        zorder=3,
        label=f"runs fitted on ({int(train.sum())})",
    )
    axes.vlines(xs[held], fold.observed, fold.predicted, color=GREY, linewidth=0.8, zorder=2)
    axes.scatter(
        xs[held],
        fold.observed,
        color=VERMILLION,
        s=22,
        edgecolors="white",
        linewidths=0.5,
        zorder=4,
        label=f"held-out runs ({len(held)})",
    )
    if fold.predicted_interval is not None:
        lo, hi = fold.predicted_interval
        err = np.vstack([fold.predicted - lo, hi - fold.predicted])
        axes.errorbar(
            xs[held],
            fold.predicted,
            yerr=np.where(np.isfinite(err), err, 0.0),
            fmt="none",
            ecolor=BLACK,
            elinewidth=0.9,
            capsize=2,
            zorder=4,
            label=f"{result.level:.0%} bootstrap band of the prediction",
        )
        shown += [lo[np.isfinite(lo)], hi[np.isfinite(hi)]]
    axes.scatter(
        xs[held],
        fold.predicted,
        marker="D",
        s=20,
        facecolors="none",
        edgecolors=BLACK,
        linewidths=1.0,
        zorder=5,
        label="predicted by the law fitted on the region",
    )
    log_if_wide(axes, "x", xs)
    log_if_wide(axes, "y", np.concatenate(shown))
    axes.set_xlabel(LABELS[X])
    axes.set_ylabel(LABELS["loss"])
    style(axes)
    axes.legend(fontsize=8, frameon=False)
    axes.set_title(
        f"{result.label or result.law}: backtest ({result.split})\n"
        f"held out: mean |relative error| {fold.mean_abs_relative_error:.2%}, "
        f"RMS log error {fold.rms_log_error:.3g}, at the largest run {fold.largest_relative_error:+.2%}",
        fontsize=9,
        loc="left",
    )
    return fig
