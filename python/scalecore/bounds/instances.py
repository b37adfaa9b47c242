"""Bound instances allocated numerically: the derived teacher instances of docs/bounds.md section 3
(evaluated in Rust) and DecomposedBound, whose terms are the user's vectorised callables (searched by
the same Rust routine, which calls them once per step for every budget)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .. import _core, _shape
from .._shape import restore
from .._validation import FloatArray
from ..errors import InvalidInputError
from ._common import BoundTerms, Progress, _broadcast
from .shapes import _RustBound


class _TeacherBound(_RustBound):
    d: float

    def distinct_units(self, n: Any) -> FloatArray:
        """kappa(n): the expected number of distinct teacher units among n sampled units."""
        flat, shape = _shape.flat("n", n, finite=False, allow_empty=True)
        return np.asarray(restore(self._handle.distinct_units(flat), shape), dtype=np.float64)

    def optimal_eta(self, p: Any, T: Any) -> FloatArray:
        """The weight noise eta > 0 attaining the bound at (p, T): eta (1 + eta) = 2 kappa(n) d / (B^2 T)."""
        pf, tf, shape = _broadcast(p, T)
        return np.asarray(restore(self._handle.optimal_eta(pf, tf), shape), dtype=np.float64)


@dataclass(frozen=True)
class FiniteTeacher(_TeacherBound):
    """Derived bound for a teacher with N ReLU units of input dimension d and weight budget B, whose
    student of p parameters has n = p/(d + 1) units: kappa(n) = min(n, N) distinct teacher units.

    This is a bound instance derived in Jeon & Van Roy's framework for this library (docs/bounds.md section 3),
    not a formula or constant from their papers: misspecification M = B^2/(8n) + B^2 eta/4, estimation
    E = [kappa(n) ((d/2) ln(1 + 1/eta) + ln(2en)) + ln n] / T, U = min over eta > 0 of M + E, attained at
    eta (1 + eta) = 2 kappa(n) d / (B^2 T). Defined for p >= d + 1 (at least one unit).
    """

    d: float
    N: float
    B: float
    kind: ClassVar[str] = "finite_teacher"


@dataclass(frozen=True)
class DirichletProcessTeacher(_TeacherBound):
    """Derived bound for an infinitely wide teacher whose units follow a Dirichlet process with
    concentration K (input dimension d, weight budget B): kappa(n) = K [psi(K + n) - psi(K)] distinct
    units among the n = p/(d + 1) units of a p-parameter student (psi = digamma).

    This is a bound instance derived in Jeon & Van Roy's framework for this library (docs/bounds.md section 3),
    not a formula or constant from their papers: misspecification M = B^2/(8n) + B^2 eta/4, estimation
    E = [kappa(n) ((d/2) ln(1 + 1/eta) + ln(2en)) + ln n] / T, U = min over eta > 0 of M + E, attained at
    eta (1 + eta) = 2 kappa(n) d / (B^2 T). Defined for p >= d + 1 (at least one unit).
    """

    d: float
    K: float
    B: float
    kind: ClassVar[str] = "dirichlet_process_teacher"


@dataclass(frozen=True)
class DecomposedBound:
    """The estimation + misspecification bound with pluggable terms (docs/bounds.md section 1):
    U(p, T) = irreducible + misspecification(p) + estimation(p, T).

    ``misspecification`` and ``estimation`` are vectorised callables on float arrays. Allocation runs the
    same grid, Brent and Newton search in Rust as the built-in bounds, which calls the callables once per
    search step with the points of every budget.
    """

    misspecification: Callable[[FloatArray], Any]
    estimation: Callable[[FloatArray, FloatArray], Any]
    p_min: float = 1.0
    irreducible: float = 0.0
    # The core's handle, built at construction: it validates p_min and irreducible (their one home), checks
    # the points and runs the allocation search.
    _handle: _core.PluggableBound = field(init=False, repr=False, compare=False)
    closed_form: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not callable(self.misspecification):
            raise InvalidInputError(f"misspecification: must be callable, got {self.misspecification!r}")
        if not callable(self.estimation):
            raise InvalidInputError(f"estimation: must be callable, got {self.estimation!r}")
        handle = _core.PluggableBound(self.p_min, self.irreducible)
        object.__setattr__(self, "p_min", handle.p_min)
        object.__setattr__(self, "irreducible", handle.irreducible)
        object.__setattr__(self, "_handle", handle)

    def terms(self, p: Any, T: Any, *, n_threads: int | None = None) -> BoundTerms:
        pf, tf, shape = _broadcast(p, T)
        self._handle.check_points(pf, tf)
        m = np.broadcast_to(np.asarray(self.misspecification(pf), dtype=np.float64), pf.shape)
        e = np.broadcast_to(np.asarray(self.estimation(pf, tf), dtype=np.float64), pf.shape)
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(e))):
            raise InvalidInputError("misspecification/estimation: the callables returned non-finite values")
        return BoundTerms(restore(self.irreducible + m + e, shape), restore(m, shape), restore(e, shape))

    def evaluate(self, p: Any, T: Any, *, n_threads: int | None = None) -> FloatArray:
        return self.terms(p, T).value

    def _reducible(self, p: FloatArray, T: FloatArray) -> FloatArray:
        """misspecification + estimation: the search leaves out the constant floor, which moves no optimum
        but can drown the rest in rounding."""
        m = np.asarray(self.misspecification(p), dtype=np.float64)
        e = np.asarray(self.estimation(p, T), dtype=np.float64)
        return np.asarray(m + e, dtype=np.float64)

    def _allocate(
        self, compute: FloatArray, numerical: bool, n_threads: int | None, progress: Progress | None
    ) -> _core.BoundAllocation:
        p, slope = self._handle.allocate(self._reducible, compute, progress=progress)
        T = compute / p
        t = self.terms(p, T)
        return _core.BoundAllocation(p, T, t.value, t.misspecification, t.estimation, slope)
