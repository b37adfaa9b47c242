"""Information-theoretic error bounds and the compute-optimal allocation they imply (docs/bounds.md).

Following Jeon & Van Roy ("An Information-Theoretic Analysis of Compute-Optimal Neural Scaling Laws",
arXiv 2212.01365; "Information-Theoretic Foundations for Neural Scaling Laws", arXiv 2407.01456), the
reducible error (in nats) of a learner with p parameters trained on T tokens splits into an estimation
error (too few tokens) and a misspecification error (too few parameters). This module provides

- the framework (section 1): the identity L_T = I(F; H_T) / T (:func:`error_from_information`), the
  two-sided rate-distortion bound and the sample complexity for a user-supplied H_eps curve
  (:class:`RateDistortion`), and the estimation + misspecification bound with pluggable terms
  (:class:`DecomposedBound`);
- bound shapes with closed-form allocation: :class:`InverseLinear` (a/p + b/T), :class:`InverseLog`
  (a/p + (b0 + b1 ln p)/T, by Lambert W) and :class:`PowerLaw` (the Chinchilla shape);
- two derived bound instances, :class:`FiniteTeacher` and :class:`DirichletProcessTeacher`. They are
  instances derived in the papers' framework for this library (docs/bounds.md section 3), **not** the papers'
  own theorems or constants;
- :func:`allocate` (p*, T* under p T = C for many budgets, with the two error terms and the local scaling
  exponent d ln p*/d ln C), :func:`compare_exponent` (a fitted Chinchilla exponent beside a bound's local
  exponent) and :func:`linear_regression_information` (an exact oracle: Gaussian linear regression).

The package's modules: ``shapes`` (the closed-form shapes), ``instances`` (teachers and
DecomposedBound), ``allocation``, ``framework`` (section 1) and ``regression`` (section 5).

Every bound's ``evaluate(p, T)`` broadcasts its arguments like NumPy and runs in parallel in Rust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from ._common import BoundAllocation, BoundTerms
    from .allocation import ExponentComparison, allocate, compare_exponent
    from .framework import RateDistortion, TwoSidedBound, bernoulli_logit_kl, error_from_information
    from .instances import DecomposedBound, DirichletProcessTeacher, FiniteTeacher
    from .regression import RegressionInformation, linear_regression_information
    from .shapes import InverseLinear, InverseLog, PowerLaw

# Imported on first use (scalecore._lazy): public name -> the module it comes from.
_LAZY: dict[str, str | None] = {
    "BoundAllocation": "._common",
    "BoundTerms": "._common",
    "DecomposedBound": ".instances",
    "DirichletProcessTeacher": ".instances",
    "ExponentComparison": ".allocation",
    "FiniteTeacher": ".instances",
    "InverseLinear": ".shapes",
    "InverseLog": ".shapes",
    "PowerLaw": ".shapes",
    "RateDistortion": ".framework",
    "RegressionInformation": ".regression",
    "TwoSidedBound": ".framework",
    "allocate": ".allocation",
    "bernoulli_logit_kl": ".framework",
    "compare_exponent": ".allocation",
    "error_from_information": ".framework",
    "linear_regression_information": ".regression",
}

__all__ = [
    "BoundAllocation",
    "BoundTerms",
    "DecomposedBound",
    "DirichletProcessTeacher",
    "ExponentComparison",
    "FiniteTeacher",
    "InverseLinear",
    "InverseLog",
    "PowerLaw",
    "RateDistortion",
    "RegressionInformation",
    "TwoSidedBound",
    "allocate",
    "bernoulli_logit_kl",
    "compare_exponent",
    "error_from_information",
    "linear_regression_information",
]

__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, __all__)
