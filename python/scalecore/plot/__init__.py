"""Figures of fits, bootstraps, IsoFLOP analyses and allocations (matplotlib, the ``scalecore[plot]`` extra).

Every function returns a ``matplotlib.figure.Figure`` (save it with ``fig.savefig("out.png")``; a notebook
shows it), works without a display, and takes ``ax=`` (``axes=`` for the two-panel `isoflop`) to draw into
axes of your own. matplotlib is imported only when a function is called.

- ``fit(fit_result, runs=None, boot=None)``: loss against N (or C, or x) with the fitted curves and bands
- ``residuals(fit_result, runs)``: the fit's residuals at its runs
- ``isoflop(result, runs=None)``: IsoFLOP profiles with their minima, and N_opt against compute
- ``frontier(allocation)``: compute-optimal N and D against compute, with intervals
- ``densities(boot)``: the bootstrap density of each parameter
- ``corner(boot)``: every pair of parameters' bootstrap samples
- ``backtest(result, runs)``: a backtest's fit region, held-out runs and predictions with their band
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from ._allocation import frontier, isoflop
    from ._backtest import backtest
    from ._bootstrap import corner, densities
    from ._common import OKABE_ITO
    from ._fit import fit, residuals

# Imported on first use (scalecore._lazy): public name -> the module it comes from.
_LAZY: dict[str, str | None] = {
    "OKABE_ITO": "._common",
    "backtest": "._backtest",
    "corner": "._bootstrap",
    "densities": "._bootstrap",
    "fit": "._fit",
    "frontier": "._allocation",
    "isoflop": "._allocation",
    "residuals": "._fit",
}

__all__ = ["OKABE_ITO", "backtest", "corner", "densities", "fit", "frontier", "isoflop", "residuals"]

__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, __all__)
