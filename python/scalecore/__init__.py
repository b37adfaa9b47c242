"""scalecore: the science of neural scaling laws, fast and honest.

Fit scaling laws faithfully, put bootstrap intervals on every parameter and derived quantity,
allocate compute optimally, estimate densities and evaluate information-theoretic error bounds,
on a parallel Rust core with the GIL released.
"""

from __future__ import annotations

from . import bounds, datasets, laws, regimes, variance
from ._core import __version__
from .allocation import Allocation, allocate, compute_for_loss
from .bootstrap import BootstrapResult, BootstrapStatisticResult, bootstrap, bootstrap_statistic
from .errors import (
    ConvergenceError,
    ConvergenceWarning,
    ExtrapolationWarning,
    IdentifiabilityWarning,
    InvalidInputError,
    ScalecoreError,
    ScalecoreWarning,
)
from .fit import FitResult, fit, fit_many
from .inductive_bias import InductiveBiasResult, inductive_bias, ncx2_logcdf
from .isoflop import FrontierResult, IsoflopResult, efficient_frontier, isoflop
from .kde import KDE, KDEDiagnostics
from .objectives import objective
from .runs import Runs

__all__ = [
    "KDE",
    "Allocation",
    "BootstrapResult",
    "BootstrapStatisticResult",
    "ConvergenceError",
    "ConvergenceWarning",
    "ExtrapolationWarning",
    "FitResult",
    "FrontierResult",
    "IdentifiabilityWarning",
    "InductiveBiasResult",
    "InvalidInputError",
    "IsoflopResult",
    "KDEDiagnostics",
    "Runs",
    "ScalecoreError",
    "ScalecoreWarning",
    "__version__",
    "allocate",
    "bootstrap",
    "bootstrap_statistic",
    "bounds",
    "compute_for_loss",
    "datasets",
    "efficient_frontier",
    "fit",
    "fit_many",
    "inductive_bias",
    "isoflop",
    "laws",
    "ncx2_logcdf",
    "objective",
    "regimes",
    "variance",
]
