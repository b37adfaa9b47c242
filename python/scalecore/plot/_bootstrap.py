"""Figures of a bootstrap's parameter samples: one density per parameter (`densities`) and every pair
against every other (`corner`).

Positive coefficients (E, A, B, ...; the ones a law fits as logarithms) whose samples spread over more
than a factor of 10 are drawn on log axes and their densities estimated in log space, where such
distributions are close to symmetric: the curve is then the density per unit ln(value). Densities are
`scalecore.KDE` estimates with the ISJ bandwidth (Botev, Grotowski & Kroese 2010, "Kernel density
estimation via diffusion"), as ``boot.kde`` uses.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import KDE, BootstrapResult, InvalidInputError
from ..intervals import level as check_level
from ..laws import get as get_law
from ._common import BLACK, BLUE, VERMILLION, choose_params, figure, owning_figure, param_label, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _check(boot: Any) -> BootstrapResult:
    if not isinstance(boot, BootstrapResult):
        raise InvalidInputError(
            f"boot: expected a scalecore.BootstrapResult (from sc.bootstrap), got {type(boot).__name__}"
        )
    return boot


def _names(boot: BootstrapResult, params: Any) -> tuple[list[str], dict[str, bool]]:
    known = list(boot.samples)
    varying = [p for p in known if len(boot.samples[p]) >= 2 and np.ptp(boot.samples[p]) > 0]
    names = choose_params(params, known, varying)
    law = get_law(boot.fit.law)
    positive = dict(zip(law.param_names, law.log_params))
    logs = {}
    for p in names:
        s = boot.samples[p]
        logs[p] = bool(positive.get(p, False) and s.min() > 0 and s.max() / s.min() > 10)
    return names, logs


def _level(boot: BootstrapResult, level: Any) -> float:
    return float(boot.level) if level is None else check_level(level)


def _density(ax: Axes, boot: BootstrapResult, name: str, log: bool, level: float, bandwidth: Any, labels: bool) -> None:
    """One parameter's KDE, its full-data estimate and the shaded percentile interval."""
    s = np.asarray(boot.samples[name], dtype=np.float64)
    v = np.log(s) if log else s
    grid, dens = KDE(v, bandwidth=bandwidth).grid(n=512)
    xs = np.exp(grid) if log else grid
    lo, hi = boot.ci(name, level=level, method="percentile")
    inside = (xs >= lo) & (xs <= hi)
    ax.fill_between(xs, dens, where=inside, color=BLUE, alpha=0.25, linewidth=0, label=f"{level:.0%} interval")
    ax.plot(xs, dens, color=BLUE, linewidth=1.5, label="bootstrap density")
    ax.axvline(boot.fit.params[name], color=VERMILLION, linewidth=1.2, label="full-data fit")
    ax.set_ylim(bottom=0)
    if log:
        ax.set_xscale("log")
    if labels:
        ax.set_xlabel(param_label(name) + (" (log scale)" if log else ""))
        ax.set_ylabel(f"density per unit ln {param_label(name)}" if log else "density")


def densities(
    boot: Any, params: Any = None, *, level: float | None = None, bandwidth: Any = "isj_botev", ax: Any = None
) -> Figure:
    """The bootstrap density of each parameter (or of `params`, a name or a list), with the full-data
    estimate and the percentile interval at `level` (default: the bootstrap's). `bandwidth` goes to
    `scalecore.KDE`. ``ax=``: draw one parameter into that axes. Returns the Figure."""
    b = _check(boot)
    names, logs = _names(b, params)
    lv = _level(b, level)
    if ax is not None and len(names) != 1:
        raise InvalidInputError(f"ax: one axes holds one parameter; pass params= one name (asked for {names})")
    if ax is not None:
        fig = owning_figure(ax)
        cells = [ax]
    else:
        ncols = min(len(names), 3)
        nrows = math.ceil(len(names) / ncols)
        fig = figure((3.2 * ncols, 2.6 * nrows + 0.3))
        grid = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for extra in grid[len(names) :]:
            extra.set_visible(False)
        cells = list(grid[: len(names)])
    for cell, name in zip(cells, names):
        _density(cell, b, name, logs[name], lv, bandwidth, labels=True)
        style(cell)
    cells[0].legend(fontsize=7, frameon=False)
    title = f"{b.fit.law} law: bootstrap distributions ({len(b.samples[names[0]])} resamples, {b.scheme})"
    fig.suptitle(title, fontsize=9)
    return fig


def corner(
    boot: Any,
    params: Any = None,
    *,
    level: float | None = None,
    bandwidth: Any = "isj_botev",
    max_points: int = 2000,
) -> Figure:
    """Every pair of parameters against every other (the bootstrap samples, at most `max_points` of them,
    evenly spaced), each parameter's density on the diagonal and the full-data fit marked. Each pair's
    correlation (of the logs, on log axes) is printed in its panel. Returns the Figure."""
    b = _check(boot)
    names, logs = _names(b, params)
    if len(names) < 2:
        raise InvalidInputError(f"params: a corner plot needs two or more varying parameters, got {names}")
    if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 1:
        raise InvalidInputError(f"max_points: must be a positive integer, got {max_points!r}")
    lv = _level(b, level)
    from matplotlib.ticker import MaxNLocator

    k = len(names)
    count = len(b.samples[names[0]])
    keep = np.unique(np.linspace(0, count - 1, min(count, max_points)).astype(np.int64))
    values = {p: np.asarray(b.samples[p], dtype=np.float64) for p in names}
    scaled = {p: np.log(v) if logs[p] else v for p, v in values.items()}
    side = min(1.9 * k + 0.5, 12.0)
    fig = figure((side, side))
    cells = fig.subplots(k, k, squeeze=False)
    for i, row in enumerate(names):
        for j, col in enumerate(names):
            ax = cells[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                _density(ax, b, col, logs[col], lv, bandwidth, labels=False)
                ax.set_yticks([])
            else:
                ax.scatter(
                    values[col][keep], values[row][keep], s=3, color=BLUE, alpha=0.35, linewidths=0, rasterized=True
                )
                ax.scatter([b.fit.params[col]], [b.fit.params[row]], marker="+", s=70, color=VERMILLION, zorder=3)
                rho = float(np.corrcoef(scaled[col], scaled[row])[0, 1])
                ax.text(0.04, 0.93, f"ρ = {rho:.2f}", transform=ax.transAxes, fontsize=7, va="top", color=BLACK)
                if logs[col]:
                    ax.set_xscale("log")
                if logs[row]:
                    ax.set_yscale("log")
                ax.set_ylim(_limits(values[row], logs[row]))
            ax.set_xlim(_limits(values[col], logs[col]))
            ax.tick_params(labelsize=7)
            # Small panels: few ticks, so that the labels of neighbouring ticks never run together.
            if not logs[col]:
                ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
            if i != j and not logs[row]:
                ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            if i == k - 1:
                ax.set_xlabel(param_label(col))
            else:
                ax.tick_params(which="both", labelbottom=False)
            if j == 0 and i > 0:
                ax.set_ylabel(param_label(row))
            elif j > 0:
                ax.tick_params(which="both", labelleft=False)
            style(ax)
    fig.suptitle(f"{b.fit.law} law: {count} bootstrap refits ({b.scheme}); + marks the full-data fit", fontsize=9)
    return fig


def _limits(v: FloatArray, log: bool) -> tuple[float, float]:
    """The samples' range with 5 % margins (in log space for log axes)."""
    t = np.log(v) if log else v
    lo, hi = float(t.min()), float(t.max())
    pad = 0.05 * (hi - lo)
    out = (lo - pad, hi + pad)
    return (math.exp(out[0]), math.exp(out[1])) if log else out
