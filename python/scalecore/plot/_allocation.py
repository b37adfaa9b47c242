"""Figures of compute-optimal allocation: IsoFLOP profiles with their minima (`isoflop`) and the
compute-optimal N and D against compute (`frontier`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import InvalidInputError, IsoflopResult
from ._common import (
    BLACK,
    BLUE,
    GREY,
    LABELS,
    VERMILLION,
    as_runs,
    figure,
    group_colours,
    log_if_wide,
    owning_figure,
    single_axes,
    style,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _budget_of_runs(C_runs: FloatArray, C_budgets: FloatArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Index of each run's budget in `C_budgets` (agreeing to 1e-6 relative, as `sc.isoflop` groups them),
    -1 for runs whose budget the analysis left out."""
    gap = np.abs(np.log(C_runs)[:, None] - np.log(C_budgets)[None, :])
    best = np.argmin(gap, axis=1)
    return np.where(gap[np.arange(len(C_runs)), best] <= 1e-6, best, -1).astype(np.int64)


def _interval_rows(ci: Any, n: int, arg: str) -> FloatArray | None:
    if ci is None:
        return None
    rows = np.asarray(ci, dtype=np.float64).reshape(-1, 2)
    if len(rows) != n:
        raise InvalidInputError(f"{arg}: has {len(rows)} intervals for {n} budgets")
    return rows


def isoflop(result: Any, runs: Any = None, *, axes: Any = None) -> Figure:
    """IsoFLOP analysis in two panels: left, loss against model size per compute budget (the runs, when
    given, joined into each budget's profile) with each budget's minimum; right, N_opt against compute
    with the fitted power law N_opt = k C^a and, when the analysis was bootstrapped, each budget's
    interval and the band they span.

    result: an IsoflopResult (from sc.isoflop). runs: the runs analysed (the result keeps only the
        minima, so the profiles need them); runs of budgets the analysis left out are drawn in grey.
    axes: two matplotlib Axes to draw into (default: a new figure). Returns the Figure.
    """
    if not isinstance(result, IsoflopResult):
        raise InvalidInputError(
            f"result: expected a scalecore.IsoflopResult (from sc.isoflop), got {type(result).__name__}"
        )
    C = np.atleast_1d(np.asarray(result.C, dtype=np.float64))
    n_opt = np.atleast_1d(np.asarray(result.N_opt, dtype=np.float64))
    loss_opt = np.atleast_1d(np.asarray(result.loss_opt, dtype=np.float64))
    n_ci = _interval_rows(result.N_opt_ci, len(C), "result")
    r = None if runs is None else as_runs(runs)
    if r is not None and not (r.has("N") and r.has("C")):
        raise InvalidInputError(f"runs: the profiles need columns N and C (or N and D); the runs have {r.columns}")
    if axes is None:
        fig = figure((10.0, 4.2))
        left, right = fig.subplots(1, 2)
    else:
        try:
            left, right = axes
        except (TypeError, ValueError):
            raise InvalidInputError(f"axes: expected two matplotlib Axes, got {axes!r}") from None
        fig = owning_figure(left, "axes")
        owning_figure(right, "axes")
    colours, cmap, norm = group_colours(C)

    # Left: the profiles.
    if r is not None:
        budget = _budget_of_runs(r.C, C)
        dropped = budget < 0
        if dropped.any():
            left.scatter(
                r.N[dropped], r.loss[dropped], s=14, facecolors="none", edgecolors=GREY, label="budget left out"
            )
        for b in range(len(C)):
            m = np.flatnonzero(budget == b)
            order = m[np.argsort(r.N[m])]
            left.plot(r.N[order], r.loss[order], color=colours[b], linewidth=1.0, marker="o", markersize=3.5)
    left.plot(n_opt, loss_opt, color=BLACK, linewidth=0.8, linestyle=":", zorder=4)
    left.scatter(n_opt, loss_opt, c=colours, marker="*", s=110, edgecolors=BLACK, linewidths=0.6, zorder=5)
    left.scatter([], [], marker="*", s=80, c="white", edgecolors=BLACK, label=f"minimum (degree-{result.degree} fit)")
    log_if_wide(left, "x", n_opt if r is None else np.concatenate([n_opt, r.N]))
    left.set_xlabel(LABELS["N"])
    left.set_ylabel(LABELS["loss"])
    left.set_title("IsoFLOP profiles" if r is not None else "IsoFLOP minima (pass runs= for the profiles)", fontsize=9)
    left.legend(fontsize=8, frameon=False)
    style(left)

    # Right: N_opt(C).
    c_line = np.geomspace(C.min() / 1.5, C.max() * 1.5, 100)
    label = f"N_opt ∝ C^a, a = {result.exponent:.3f}"
    if result.exponent_ci is not None:
        lo, hi = result.exponent_ci
        label += f" [{lo:.3f}, {hi:.3f}]"
    if n_ci is not None:
        level = result.level if result.level is not None else 0.95
        band = f"{level:.0%} interval per budget ({result.n_resamples} resamples)"
        right.fill_between(C, n_ci[:, 0], n_ci[:, 1], color=BLUE, alpha=0.18, linewidth=0, label=band)
        err = np.abs(n_ci - n_opt[:, None]).T
        right.errorbar(C, n_opt, yerr=err, fmt="none", ecolor=BLUE, elinewidth=1.0, capsize=2)
    right.plot(c_line, result.predict_N_opt(c_line), color=BLUE, linewidth=1.6, label=label)
    right.scatter(C, n_opt, c=colours, marker="*", s=110, edgecolors=BLACK, linewidths=0.6, zorder=5)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel(LABELS["C"])
    right.set_ylabel("compute-optimal model size N_opt (parameters)")
    right.set_title("N_opt against compute", fontsize=9)
    right.legend(fontsize=8, frameon=False)
    style(right)
    from matplotlib.cm import ScalarMappable

    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=[left, right], label=LABELS["C"], pad=0.01)
    return fig


def frontier(allocation: Any, *, ax: Any = None) -> Figure:
    """Compute-optimal model size N and training tokens D against compute, with their intervals when the
    allocation has them (from a BootstrapResult: ``sc.allocate(boot, ...)`` or ``boot.allocate(...)``).
    Budgets flagged as extrapolated (beyond the fitted runs) are drawn hollow.

    allocation: an Allocation or a bootstrap allocation. ax: a matplotlib Axes to draw into (default: a new
    figure). Returns the Figure.
    """
    needed = ("compute", "N", "D")
    if not all(hasattr(allocation, name) for name in needed):
        raise InvalidInputError(
            f"allocation: expected an Allocation (from sc.allocate or boot.allocate), got {type(allocation).__name__}"
        )
    C = np.atleast_1d(np.asarray(allocation.compute, dtype=np.float64))
    n = len(C)
    series = []
    for name, colour, what in (("N", BLUE, "model size N_opt (parameters)"), ("D", VERMILLION, "data D_opt (tokens)")):
        values = np.atleast_1d(np.asarray(getattr(allocation, name), dtype=np.float64))
        if values.shape != (n,):
            raise InvalidInputError(f"allocation: {name} has shape {values.shape}, compute has {n} budgets")
        series.append((values, _interval_rows(getattr(allocation, f"{name}_ci", None), n, "allocation"), colour, what))
    extrapolated = np.atleast_1d(np.asarray(getattr(allocation, "extrapolated", np.zeros(n, bool)), dtype=bool))
    if extrapolated.shape != (n,):
        extrapolated = np.zeros(n, bool)
    order = np.argsort(C)
    fig, axes = single_axes(ax, (6.0, 4.2))
    level = getattr(allocation, "level", None)
    for i, (values, ci, colour, what) in enumerate(series):
        if ci is not None:
            band = f"{level or 0.95:.0%} bootstrap interval" if i == 0 else None
            axes.fill_between(C[order], ci[order, 0], ci[order, 1], color=colour, alpha=0.2, linewidth=0, label=band)
        axes.plot(C[order], values[order], color=colour, linewidth=1.6, label=what)
        inside = ~extrapolated
        axes.scatter(C[inside], values[inside], color=colour, s=20, zorder=3)
        axes.scatter(C[extrapolated], values[extrapolated], facecolors="white", edgecolors=colour, s=20, zorder=3)
    if extrapolated.any():
        axes.scatter([], [], facecolors="white", edgecolors=GREY, s=20, label="extrapolated beyond the runs")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(LABELS["C"])
    axes.set_ylabel("compute-optimal parameters N, tokens D")
    law = getattr(allocation, "law", None)
    axes.set_title(f"Compute-optimal allocation{f' ({law} law)' if isinstance(law, str) else ''}", fontsize=9)
    axes.legend(fontsize=8, frameon=False)
    style(axes)
    return fig
