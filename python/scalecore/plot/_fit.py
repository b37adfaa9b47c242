"""Figures of a fitted law: loss curves with bootstrap bands (`fit`) and residuals (`residuals`).

A law of two inputs (N and D, or C and M) is a surface; the figure shows it as curves of loss against
one quantity (N by default) with another held fixed along each curve. With runs, the held quantity is
the one constant within the runs' groups (a compute budget in an IsoFLOP sweep, a data size in a grid
of fixed-D runs), so each curve passes through its own runs; without runs, four values spread over the
fitted range of the law's other input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import BootstrapResult, FitResult, InvalidInputError, Runs
from ..intervals import level as check_level
from ..laws import Law
from ..laws import get as get_law
from ._common import (
    BLACK,
    BLUE,
    LABELS,
    UNITS,
    as_runs,
    format_value,
    group_colours,
    log_if_wide,
    param_label,
    single_axes,
    style,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

# For each quantity on the x-axis, the quantities that may be held fixed along a curve, preferred first.
_HOLD = {"N": ("C", "D", "M"), "C": ("N", "M", "D"), "D": ("N", "C", "M"), "M": ("C", "N", "D")}
# A column with at most this many distinct values names the groups by itself; otherwise it is binned.
_MAX_DISTINCT = 12
_BINS = 5
# A quantity varying within each of the runs' groups by less than this share of its overall (log) range
# is taken as the one the groups hold fixed.
_NEARLY_CONSTANT = 0.05
# The band is the pointwise percentile interval over at most this many refits (evenly spaced among them):
# one prediction per refit, and 1000 fix a 95 % band to well within a line's width.
_MAX_BAND_REFITS = 1000


@dataclass(frozen=True)
class _Groups:
    """Curves to draw: the quantity held fixed, its value per curve, each curve's x-range and the runs'
    curve index (None without runs)."""

    hold: str | None
    values: FloatArray
    spans: list[tuple[float, float]]
    members: np.ndarray[Any, np.dtype[np.int64]] | None
    extra: list[dict[str, float]]


def _fit_and_boot(fit_result: Any, boot: Any) -> tuple[FitResult, BootstrapResult | None]:
    if isinstance(fit_result, BootstrapResult):
        boot = fit_result if boot is None else boot
        fit_result = fit_result.fit
    if not isinstance(fit_result, FitResult):
        raise InvalidInputError(
            f"fit_result: expected a scalecore.FitResult (from sc.fit), got {type(fit_result).__name__}"
        )
    if boot is not None:
        if not isinstance(boot, BootstrapResult):
            raise InvalidInputError(
                f"boot: expected a scalecore.BootstrapResult (from sc.bootstrap), got {type(boot).__name__}"
            )
        if boot.fit.law != fit_result.law:
            raise InvalidInputError(f"boot: is a bootstrap of the {boot.fit.law} law, the fit is {fit_result.law}")
    return fit_result, boot


def _runs_for(law: Law, runs: Any) -> Runs:
    r = as_runs(runs)
    for name in law.inputs:
        if not r.has(name):
            raise InvalidInputError(f"runs: the {law.name} law needs column {name}; the runs have {r.columns}")
    return r


def _axis(law: Law, x: Any) -> str:
    if law.inputs == ("x",):
        if x not in (None, "x"):
            raise InvalidInputError(f"x: the {law.name} law has the single input x, got {x!r}")
        return "x"
    if x is None:
        return "N" if "N" in law.inputs else "C"
    if x not in _HOLD:
        raise InvalidInputError(f"x: must be one of {list(_HOLD)} for the {law.name} law, got {x!r}")
    return str(x)


def _log_codes(v: FloatArray) -> tuple[np.ndarray[Any, np.dtype[np.int64]], int]:
    """Index of each value among the distinct values (equal to 1e-6 relative)."""
    _, codes = np.unique(np.round(np.log(v), 6), return_inverse=True)
    return codes.astype(np.int64).reshape(-1), int(codes.max()) + 1


def _groups_of_runs(law: Law, r: Runs, X: str) -> _Groups:
    xs = getattr(r, X)
    extras = [name for name in law.inputs if name not in ("N", "D", "C", "M", "x")]
    if X == "x":
        hold: str | None = None
        codes = np.zeros(len(r), dtype=np.int64)
        k = 1
    else:
        candidates = [c for c in _HOLD[X] if r.has(c)]
        if not candidates:
            raise InvalidInputError(f"runs: cannot hold anything fixed against {X}; the runs have {r.columns}")
        hold = None
        if r.group_codes is not None:
            # The runs' own groups, when one quantity is (nearly) constant within each of them.
            codes = r.group_codes
            k = int(codes.max()) + 1

            def spread(c: str) -> float:
                lv = np.log(getattr(r, c))
                within = max(float(np.ptp(lv[codes == g])) for g in range(k))
                return within / max(float(np.ptp(lv)), 1e-300)

            best = min(candidates, key=spread)
            hold = best if spread(best) < _NEARLY_CONSTANT else None
        if hold is None:
            for c in candidates:
                codes, k = _log_codes(getattr(r, c))
                if k <= _MAX_DISTINCT and k < len(r):
                    hold = c
                    break
        if hold is None:
            hold = candidates[0]
            lv = np.log(getattr(r, hold))
            edges = np.quantile(lv, np.linspace(0, 1, _BINS + 1)[1:-1])
            _, codes = np.unique(np.searchsorted(edges, lv, side="right"), return_inverse=True)
            codes = codes.astype(np.int64).reshape(-1)
            k = int(codes.max()) + 1
    values, spans, extra = [], [], []
    for g in range(k):
        m = codes == g
        values.append(float(np.exp(np.log(getattr(r, hold)[m]).mean())) if hold else np.nan)
        spans.append((float(xs[m].min()), float(xs[m].max())))
        extra.append({e: float(np.exp(np.log(getattr(r, e)[m]).mean())) for e in extras})
    return _Groups(hold, np.array(values), spans, codes, extra)


def _groups_of_fit(law: Law, fit_result: FitResult, X: str) -> _Groups:
    ranges = fit_result.input_ranges
    if X not in law.inputs:
        raise InvalidInputError(
            f"x: without runs, x must be one of the {law.name} law's inputs {law.inputs}, got {X!r}"
        )
    span = ranges[X]
    others = [name for name in law.inputs if name != X]
    hold = next((c for c in _HOLD.get(X, ()) if c in others), None)
    extra = {e: float(np.sqrt(ranges[e][0] * ranges[e][1])) for e in others if e != hold}
    values = np.geomspace(*ranges[hold], 4) if hold else np.array([np.nan])
    return _Groups(hold, values, [span] * len(values), None, [extra] * len(values))


def _inputs(X: str, xv: FloatArray, hold: str | None, hv: float, f: float) -> dict[str, FloatArray]:
    """Every size quantity along a curve from the one on the axis and the one held (C = f N D, M = D / N)."""
    if hold is None:
        return {X: xv}
    h = np.full_like(xv, hv)
    q = {X: xv, hold: h}
    if "N" in q and "D" not in q:
        q["D"] = q["C"] / (f * q["N"]) if "C" in q else q["M"] * q["N"]
    elif "D" in q and "N" not in q:
        q["N"] = q["C"] / (f * q["D"]) if "C" in q else q["D"] / q["M"]
    elif "N" not in q:
        q["N"] = np.sqrt(q["C"] / (f * q["M"]))
        q["D"] = q["M"] * q["N"]
    q["C"] = f * q["N"] * q["D"]
    q["M"] = q["D"] / q["N"]
    return q


def _percentile_band(
    law: Law, boot: BootstrapResult, columns: dict[str, FloatArray], level: float
) -> tuple[FloatArray, FloatArray]:
    """Pointwise percentile interval of the fitted curve over the bootstrap refits (one vectorised
    prediction per refit)."""
    names = list(boot.samples)
    count = len(boot.samples[names[0]])
    if count < 2:
        raise InvalidInputError(f"boot: needs at least 2 successful resamples for a band, has {count}")
    rows = np.unique(np.linspace(0, count - 1, min(count, _MAX_BAND_REFITS)).astype(np.int64))
    curves = np.array([law.predict({p: boot.samples[p][i] for p in names}, **columns) for i in rows])
    curves[~np.isfinite(curves)] = np.nan
    lo, hi = np.nanpercentile(curves, [50 * (1 - level), 50 * (1 + level)], axis=0)
    return lo, hi


def fit(
    fit_result: Any,
    runs: Any = None,
    boot: Any = None,
    *,
    x: str | None = None,
    level: float | None = None,
    n_points: int = 200,
    ax: Any = None,
) -> Figure:
    """Loss against N (or `x`: "C", "D", "M"; the input of a 1-D law) with the fitted curves.

    fit_result: a FitResult (or a BootstrapResult, whose fit is drawn with its band).
    runs: the runs fitted (scalecore.Runs or a mapping of columns), drawn as points; the curves then follow
        their groups (see the module docstring).
    boot: a BootstrapResult of the same law: each curve gets its pointwise percentile band at `level`
        (default: the bootstrap's level).
    ax: a matplotlib Axes to draw into (default: a new figure). Returns the Figure.
    """
    fr, bt = _fit_and_boot(fit_result, boot)
    law = get_law(fr.law)
    r = None if runs is None else _runs_for(law, runs)
    X = _axis(law, x)
    lv = _band_level(bt, level)
    if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 2:
        raise InvalidInputError(f"n_points: must be an integer >= 2, got {n_points!r}")
    f = 6.0 if r is None else r.flops_per_param_token
    groups = _groups_of_fit(law, fr, X) if r is None else _groups_of_runs(law, r, X)
    fig, axes = single_axes(ax, (6.4, 4.4))
    k = len(groups.values)
    colours, cmap, norm = group_colours(groups.values) if groups.hold else ([BLUE], None, None)

    grids, columns = [], []
    for g in range(k):
        lo, hi = groups.spans[g]
        if lo > 0:
            pad = max((hi / lo) ** 0.08, 1.05)  # a little beyond the runs on both sides
            xv = np.geomspace(lo / pad, hi * pad, n_points)
        else:
            xv = np.linspace(lo, hi, n_points)
        q = _inputs(X, xv, groups.hold, float(groups.values[g]), f)
        q.update({e: np.full(n_points, v) for e, v in groups.extra[g].items()})
        grids.append(xv)
        columns.append({name: q[name] for name in law.inputs})
    every = {name: np.concatenate([c[name] for c in columns]) for name in law.inputs}
    y_all = np.asarray(fr.predict(None, **every), dtype=np.float64).reshape(k, n_points)
    if bt is not None:
        band_lo, band_hi = (b.reshape(k, n_points) for b in _percentile_band(law, bt, every, lv))
        for g in range(k):
            axes.fill_between(grids[g], band_lo[g], band_hi[g], color=colours[g], alpha=0.22, linewidth=0)
    for g in range(k):
        axes.plot(grids[g], y_all[g], color=colours[g], linewidth=1.6)
    shown = [y_all.ravel()]
    if r is not None:
        members = groups.members if groups.members is not None else np.zeros(len(r), dtype=np.int64)
        point_colours = BLACK if groups.hold is None else [colours[int(m)] for m in members]
        axes.scatter(getattr(r, X), r.loss, c=point_colours, s=16, edgecolors="white", linewidths=0.5, zorder=3)
        shown.append(r.loss)

    log_if_wide(axes, "x", np.concatenate(grids))
    log_if_wide(axes, "y", np.concatenate(shown))
    axes.set_xlabel(LABELS[X])
    axes.set_ylabel(LABELS["loss"])
    style(axes)
    held = {groups.hold: float(groups.values[0])} if groups.hold is not None and k == 1 else {}
    for name in groups.extra[0]:  # inputs held at each group's typical value (U of the data-constrained law)
        if all(e[name] == groups.extra[0][name] for e in groups.extra):
            held[name] = groups.extra[0][name]
    note = "".join(f", {name} = {format_value(v, UNITS[name])}" for name, v in held.items())
    _legend(axes, fr, r, bt, lv, groups.hold is None, note)
    if groups.hold is not None and k > 1:
        from matplotlib.cm import ScalarMappable

        fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap), ax=axes, label=f"each curve: {LABELS[groups.hold]}", pad=0.02
        )
    parts = [f"{param_label(p)} = {v:.4g}" for p, v in fr.params.items()]
    axes.set_title(_wrap(f"{fr.law} law ({fr.objective_name}): ", parts), fontsize=9, loc="left")
    return fig


def _wrap(head: str, parts: list[str], width: int = 88) -> str:
    """`head` and the comma-separated `parts`, broken into lines between parts only; a $...$ (mathtext)
    symbol counts as one character."""
    lines, line = [], head.rstrip()
    for i, part in enumerate(parts):
        candidate = f"{line} {part}{',' if i < len(parts) - 1 else ''}"
        if len(re.sub(r"\$[^$]*\$", "x", candidate)) > width:
            lines.append(line)
            candidate = candidate[len(line) + 1 :]
        line = candidate
    return "\n".join([*lines, line])


def _band_level(boot: BootstrapResult | None, level: Any) -> float:
    if level is None:
        return 0.95 if boot is None else float(boot.level)
    return check_level(level)


def _legend(
    axes: Any, fr: FitResult, r: Runs | None, bt: BootstrapResult | None, lv: float, single: bool, note: str
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colour = BLUE if single else "#555555"
    handles: list[Any] = [Line2D([], [], color=colour, linewidth=1.6, label=f"fitted {fr.law} law{note}")]
    if bt is not None:
        handles.append(Patch(color=colour, alpha=0.22, label=f"{lv:.0%} bootstrap band ({bt.n_resamples} resamples)"))
    if r is not None:
        handles.append(
            Line2D([], [], color=BLACK if single else "#555555", marker="o", linestyle="", label=f"runs ({len(r)})")
        )
    axes.legend(handles=handles, fontsize=8, frameon=False)


def residuals(fit_result: Any, runs: Any, *, against: str | None = None, ax: Any = None) -> Figure:
    """Residuals of a fit at its runs: ln L - ln L_hat (log objectives) or L - L_hat (``lsq``), against N
    (or `against`: a column of the runs, or "fitted" for the predicted loss), coloured by group as in `fit`.
    Returns the Figure."""
    fr, _ = _fit_and_boot(fit_result, None)
    law = get_law(fr.law)
    r = _runs_for(law, runs)
    X = _axis(law, None)
    if against is None:
        against = X
    elif against != "fitted" and (against not in LABELS or against == "loss" or not r.has(against)):
        raise InvalidInputError(f"against: must be 'fitted' or a column of the runs {r.columns[1:]}, got {against!r}")
    pred = np.asarray(fr.predict(r), dtype=np.float64)
    if fr.objective_name == "lsq":
        res, ylabel = r.loss - pred, "residual L − L̂"
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            res, ylabel = np.log(r.loss) - np.log(pred), "log residual ln L − ln L̂"
    xs = pred if against == "fitted" else getattr(r, against)
    groups = _groups_of_runs(law, r, X)
    fig, axes = single_axes(ax, (6.4, 3.6))
    if groups.hold is None or groups.members is None:
        point_colours: Any = BLUE
    else:
        colours, cmap, norm = group_colours(groups.values)
        point_colours = [colours[int(m)] for m in groups.members]
        if len(groups.values) > 1:
            from matplotlib.cm import ScalarMappable

            fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, label=LABELS[groups.hold], pad=0.02)
    axes.axhline(0.0, color=BLACK, linewidth=0.8)
    axes.scatter(xs, res, c=point_colours, s=18, edgecolors="white", linewidths=0.5, zorder=3)
    finite = res[np.isfinite(res)]
    if finite.size:
        top = float(np.abs(finite).max()) * 1.15 or 1.0
        axes.set_ylim(-top, top)
        rms = float(np.sqrt(np.mean(finite**2)))
        axes.text(0.01, 0.97, f"RMS {rms:.3g} over {finite.size} runs", transform=axes.transAxes, va="top", fontsize=8)
    log_if_wide(axes, "x", xs)
    axes.set_xlabel("fitted loss L̂" if against == "fitted" else LABELS[against])
    axes.set_ylabel(ylabel)
    axes.set_title(f"{fr.law} law ({fr.objective_name}): residuals", fontsize=9, loc="left")
    style(axes)
    return fig
