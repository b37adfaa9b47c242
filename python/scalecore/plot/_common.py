"""What every figure shares: the lazy matplotlib import, the colours, axis labels and argument checks.

matplotlib is imported inside the functions only, so ``import scalecore.plot`` works (and costs nothing)
without it. Figures are built as ``matplotlib.figure.Figure`` objects, not through pyplot: no global
state, nothing to close, identical output on a headless machine; a notebook displays the returned figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import InvalidInputError, Runs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
# deficiencies. Ordered for lines on white (the yellow, hard to see on white, comes last).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, BLACK = OKABE_ITO[:7]
GREY = "#999999"
# Ordered groups (compute budgets, data sizes) take a perceptually uniform, colour-blind-safe map; its
# brightest tenth (pale yellow) is left out because it vanishes on white.
SEQUENTIAL = "viridis"
SEQUENTIAL_RANGE = (0.0, 0.88)

# Axis labels with units, by the Runs column names.
LABELS = {
    "N": "model size N (parameters)",
    "D": "training data D (tokens)",
    "C": "training compute C (FLOPs)",
    "M": "tokens per parameter D/N",
    "U": "unique data U (tokens)",
    "x": "x",
    "loss": "loss",
}
UNITS = {"N": "params", "D": "tokens", "C": "FLOPs", "M": "tokens/param", "U": "tokens", "x": ""}

_GREEK = {
    "alpha": r"$\alpha$",
    "beta": r"$\beta$",
    "gamma": r"$\gamma$",
    "eta": r"$\eta$",
    "eps": r"$\varepsilon$",
    "eps_0": r"$\varepsilon_0$",
    "eps_inf": r"$\varepsilon_\infty$",
    "alpha_N": r"$\alpha_N$",
    "alpha_D": r"$\alpha_D$",
}


def param_label(name: str) -> str:
    """A parameter name as typeset on an axis (alpha -> α)."""
    return _GREEK.get(name, name)


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "scalecore.plot needs matplotlib, which is not installed: pip install 'scalecore[plot]'"
        ) from exc


def figure(figsize: tuple[float, float]) -> Figure:
    """A new figure with constrained layout (labels never overlap), not registered with pyplot."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def owning_figure(ax: Any, arg: str = "ax") -> Figure:
    """The figure to return for a caller's axes (checked): the root one, also for an axes in a subfigure."""
    require_matplotlib()
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if not isinstance(ax, Axes):
        raise InvalidInputError(f"{arg}: expected a matplotlib Axes, got {type(ax).__name__}")
    root: Any = ax.figure
    while not isinstance(root, Figure):
        root = root.figure
    return root


def single_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The caller's axes (and its figure) or a new figure with one axes."""
    if ax is None:
        fig = figure(figsize)
        return fig, fig.add_subplot()
    return owning_figure(ax), ax


def as_runs(runs: Any, arg: str = "runs") -> Runs:
    if isinstance(runs, Runs):
        return runs
    if isinstance(runs, Mapping):
        try:
            return Runs(**dict(runs))
        except TypeError as exc:  # a key that is not a Runs column
            raise InvalidInputError(f"{arg}: {exc}; columns are loss, N, D, x, C, U, M, group, weight") from None
    raise InvalidInputError(
        f"{arg}: expected scalecore.Runs or a mapping of columns, got {type(runs).__name__} "
        "(tables: scalecore.Runs.from_frame(df, ...))"
    )


def choose_params(requested: Sequence[str] | str | None, known: Sequence[str], varying: Sequence[str]) -> list[str]:
    """The parameters to draw: those asked for (checked), else every one whose samples vary."""
    if requested is None:
        return list(varying)
    names = [requested] if isinstance(requested, str) else list(requested)
    if not names:
        raise InvalidInputError("params: needs at least one parameter name")
    for name in names:
        if name not in known:
            raise InvalidInputError(f"params: unknown parameter {name!r}; known: {list(known)}")
        if name not in varying:
            raise InvalidInputError(f"params: {name!r} does not vary across the resamples (fixed or tied)")
    return names


def group_colours(values: Any) -> tuple[list[Any], Any, Any]:
    """Colours for ordered groups keyed by a positive value (log-spaced): (colours, cmap, norm)."""
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap, LogNorm

    base = mpl.colormaps[SEQUENTIAL]
    cmap = ListedColormap(base(np.linspace(*SEQUENTIAL_RANGE, 256)), name="scalecore")
    v = np.asarray(values, dtype=np.float64)
    lo, hi = float(v.min()), float(v.max())
    norm = LogNorm(lo, hi if hi > lo else lo * 1.0001)
    return [cmap(norm(x)) for x in v], cmap, norm


def log_if_wide(ax: Axes, axis: str, values: Any) -> None:
    """Logarithmic axis when the (positive) values span more than a factor of 10."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size and v.min() > 0 and v.max() / v.min() > 10:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def style(ax: Axes) -> None:
    ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def format_value(v: float, unit: str = "") -> str:
    text = f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}".replace("e+", "e").replace("e0", "e")
    return f"{text} {unit}".strip()
