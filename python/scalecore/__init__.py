"""scalecore: the science of neural scaling laws, fast and honest.

Fit scaling laws faithfully, put bootstrap intervals on every parameter and derived quantity,
allocate compute optimally, estimate densities and evaluate information-theoretic error bounds,
on a parallel Rust core with the GIL released.
"""

# Every public name is imported on first use (scalecore._lazy), so `import scalecore` costs almost nothing and
# SciPy, pandas, matplotlib and the references load only when a call needs them. A new public name takes one
# line in each of three places: the TYPE_CHECKING imports (what mypy and IDEs see), `_LAZY` (where the name
# lives) and `__all__`; tests/test_import.py checks that the three agree.

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _lazy

if TYPE_CHECKING:
    from . import bounds, curves, datasets, flops, laws, regimes, variance
    from ._core import __version__
    from .allocation import Allocation, allocate, compute_for_loss
    from .backtest import BacktestResult, BacktestTable, Rolling, backtest, backtest_table
    from .bootstrap import BootstrapResult, BootstrapStatisticResult, bootstrap, bootstrap_statistic
    from .errors import (
        BandwidthWarning,
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
    from .fleet import FitTable, JointFitTable, fit_many
    from .inductive_bias import InductiveBiasResult, inductive_bias, ncx2_logcdf
    from .isoflop import FrontierResult, IsoflopResult, efficient_frontier, isoflop
    from .joint import JointBootstrap, JointFit
    from .kde import KDE, KDEDiagnostics
    from .objectives import objective
    from .posterior import PosteriorResult, PosteriorWarning, posterior
    from .profile import ProfileResult, profile
    from .runs import Runs
    from .statistic_bootstrap import optimal_block_length
    from .suggest import Suggestion, suggest_runs

# Public name -> the module it is imported from (relative, as in an import statement); None: the name is a submodule.
_LAZY: dict[str, str | None] = {
    "KDE": ".kde",
    "Allocation": ".allocation",
    "BacktestResult": ".backtest",
    "BacktestTable": ".backtest",
    "BootstrapResult": ".bootstrap",
    "BootstrapStatisticResult": ".bootstrap",
    "BandwidthWarning": ".errors",
    "ConvergenceError": ".errors",
    "ConvergenceWarning": ".errors",
    "DroppedBudgetWarning": ".errors",
    "ExtrapolationWarning": ".errors",
    "FitResult": ".fit",
    "JointBootstrap": ".joint",
    "JointFit": ".joint",
    "FitTable": ".fleet",
    "JointFitTable": ".fleet",
    "FrontierResult": ".isoflop",
    "IdentifiabilityWarning": ".errors",
    "InductiveBiasResult": ".inductive_bias",
    "InvalidInputError": ".errors",
    "IsoflopResult": ".isoflop",
    "KDEDiagnostics": ".kde",
    "PosteriorResult": ".posterior",
    "PosteriorWarning": ".posterior",
    "ProfileResult": ".profile",
    "Rolling": ".backtest",
    "Runs": ".runs",
    "ScalecoreError": ".errors",
    "ScalecoreWarning": ".errors",
    "Suggestion": ".suggest",
    "__version__": "._core",
    "allocate": ".allocation",
    "backtest": ".backtest",
    "backtest_table": ".backtest",
    "bootstrap": ".bootstrap",
    "bootstrap_statistic": ".bootstrap",
    "bounds": None,
    "compute_for_loss": ".allocation",
    "curves": None,
    "datasets": None,
    "efficient_frontier": ".isoflop",
    "fit": ".fit",
    "fit_many": ".fleet",
    "flops": None,
    "inductive_bias": ".inductive_bias",
    "isoflop": ".isoflop",
    "laws": None,
    "ncx2_logcdf": ".inductive_bias",
    "objective": ".objectives",
    "optimal_block_length": ".statistic_bootstrap",
    "posterior": ".posterior",
    "profile": ".profile",
    "regimes": None,
    "suggest_runs": ".suggest",
    "variance": None,
}

__all__ = [
    "KDE",
    "Allocation",
    "BacktestResult",
    "BacktestTable",
    "BandwidthWarning",
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
    "JointBootstrap",
    "JointFit",
    "JointFitTable",
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
    "curves",
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
    "optimal_block_length",
    "posterior",
    "profile",
    "regimes",
    "suggest_runs",
    "variance",
]


__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, __all__)
