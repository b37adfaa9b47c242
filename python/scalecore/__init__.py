"""scalecore: the science of neural scaling laws, fast and honest.

Fit scaling laws faithfully, put bootstrap intervals on every parameter and derived quantity,
allocate compute optimally, estimate densities and evaluate information-theoretic error bounds,
on a parallel Rust core with the GIL released.
"""

from __future__ import annotations

from . import datasets, laws, reference
from ._core import __version__
from .allocation import Allocation, allocate
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
from .kde import KDE, KDEDiagnostics
from .runs import Runs

__all__ = [
    "KDE",
    "Allocation",
    "ConvergenceError",
    "ConvergenceWarning",
    "ExtrapolationWarning",
    "FitResult",
    "IdentifiabilityWarning",
    "InvalidInputError",
    "KDEDiagnostics",
    "Runs",
    "ScalecoreError",
    "ScalecoreWarning",
    "__version__",
    "allocate",
    "datasets",
    "fit",
    "fit_many",
    "laws",
    "reference",
]
