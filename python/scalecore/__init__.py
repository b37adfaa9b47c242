"""scalecore: the science of neural scaling laws, fast and honest.

Fit scaling laws faithfully, put bootstrap intervals on every parameter and derived quantity,
allocate compute optimally, estimate densities and evaluate information-theoretic error bounds,
on a parallel Rust core with the GIL released.
"""

from __future__ import annotations

from . import bounds, datasets, flops, laws, regimes, variance
from ._core import __version__
from .allocation import Allocation, allocate, compute_for_loss
from .backtest import BacktestResult, BacktestTable, Rolling, backtest, backtest_table
from .bootstrap import BootstrapResult, BootstrapStatisticResult, bootstrap, bootstrap_statistic
from .errors import (
    ConvergenceError,
    ConvergenceWarning,
    DroppedBudgetWarning,
    ExtrapolationWarning,
    IdentifiabilityWarning,
    InvalidInputError,
    ScalecoreError,
    ScalecoreWarning,
)
from .fit import FitResult, fit
from .fleet import FitTable, fit_many
from .inductive_bias import InductiveBiasResult, inductive_bias, ncx2_logcdf
from .isoflop import FrontierResult, IsoflopResult, efficient_frontier, isoflop
from .kde import KDE, KDEDiagnostics
from .objectives import objective
from .posterior import PosteriorResult, PosteriorWarning, posterior
from .profile import ProfileResult, profile
from .runs import Runs
from .suggest import Suggestion, suggest_runs

__all__ = [
    "KDE",
    "Allocation",
    "BacktestResult",
    "BacktestTable",
    "BootstrapResult",
    "BootstrapStatisticResult",
    "ConvergenceError",
    "ConvergenceWarning",
    "DroppedBudgetWarning",
    "ExtrapolationWarning",
    "FitResult",
    "FitTable",
    "FrontierResult",
    "IdentifiabilityWarning",
    "InductiveBiasResult",
    "InvalidInputError",
    "IsoflopResult",
    "KDEDiagnostics",
    "PosteriorResult",
    "PosteriorWarning",
    "ProfileResult",
    "Rolling",
    "Runs",
    "ScalecoreError",
    "ScalecoreWarning",
    "Suggestion",
    "__version__",
    "allocate",
    "backtest",
    "backtest_table",
    "bootstrap",
    "bootstrap_statistic",
    "bounds",
    "compute_for_loss",
    "datasets",
    "efficient_frontier",
    "fit",
    "fit_many",
    "flops",
    "inductive_bias",
    "isoflop",
    "laws",
    "ncx2_logcdf",
    "objective",
    "posterior",
    "profile",
    "regimes",
    "suggest_runs",
    "variance",
]
