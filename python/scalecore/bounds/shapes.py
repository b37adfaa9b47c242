"""Bound shapes evaluated and allocated in Rust, with closed-form allocation (docs/bounds.md section 2):
InverseLinear (a/p + b/T), InverseLog (a/p + (b0 + b1 ln p)/T, by Lambert W) and PowerLaw (the
Chinchilla shape)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._shape import restore
from .._validation import FloatArray
from .._validation import n_threads as check_threads
from ..errors import InvalidInputError
from ._common import BoundTerms, Progress, _broadcast, _grid_axes

# The constants of each bound kind, in the order the core takes them (the core owns the list).
_CONSTANTS: dict[str, list[str]] = _core.bound_kinds()


class _RustBound:
    """A bound evaluated and allocated in Rust; subclasses are frozen dataclasses of their constants.

    Construction builds the core's handle (`_core.BoundSpec`), which validates the constants (their one
    home) and serves every evaluation and allocation; the fields then hold the validated floats.
    """

    kind: ClassVar[str]
    closed_form: ClassVar[bool] = False
    _handle: _core.BoundSpec

    def __post_init__(self) -> None:
        names = _CONSTANTS[self.kind]
        handle = _core.BoundSpec(self.kind, [getattr(self, name) for name in names])
        for name, value in zip(names, handle.params, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_handle", handle)

    @property
    def p_min(self) -> float:
        """The lower end of the numerical allocation search over p (and, for InverseLog and the teacher
        instances, the smallest p they are defined for; InverseLinear and PowerLaw take any p > 0)."""
        return self._handle.p_min

    def evaluate(self, p: Any, T: Any, *, n_threads: int | None = None) -> Any:
        """U(p, T), broadcasting p and T like NumPy. A grid (p a column and T a row, or the reverse) is
        evaluated without materialising the broadcast inputs, sharing work along rows and columns."""
        threads = check_threads(n_threads)
        grid = _grid_axes(p, T)
        if grid is not None:
            rows, cols, transposed = grid
            out = self._handle.evaluate_grid(rows, cols, n_threads=threads).reshape(len(rows), len(cols))
            return np.ascontiguousarray(out.T) if transposed else out
        pf, tf, shape = _broadcast(p, T)
        value, _, _ = self._handle.evaluate(pf, tf, n_threads=threads)
        return restore(value, shape)

    def terms(self, p: Any, T: Any, *, n_threads: int | None = None) -> BoundTerms:
        """The value and its misspecification and estimation terms at (p, T), broadcasting."""
        pf, tf, shape = _broadcast(p, T)
        value, m, e = self._handle.evaluate(pf, tf, with_terms=True, n_threads=check_threads(n_threads))
        assert m is not None
        assert e is not None
        return BoundTerms(restore(value, shape), restore(m, shape), restore(e, shape))

    def _allocate(
        self, compute: FloatArray, numerical: bool, n_threads: int | None, progress: Progress | None
    ) -> _core.BoundAllocation:
        return self._handle.allocate(compute, numerical=numerical, n_threads=n_threads, progress=progress)


@dataclass(frozen=True)
class InverseLinear(_RustBound):
    """U(p, T) = a/p + b/T: misspecification a/p, estimation b/T.

    Under p T = C: p* = sqrt(aC/b), T*/p* = b/a, U* = 2 sqrt(ab/C), local exponent 1/2.
    """

    a: float
    b: float
    kind: ClassVar[str] = "inverse_linear"
    closed_form: ClassVar[bool] = True


@dataclass(frozen=True)
class InverseLog(_RustBound):
    """U(p, T) = a/p + (b0 + b1 ln p)/T (defined for p >= 1): the estimation term grows with ln p.

    Under p T = C the first-order condition p^2 (b0 + b1 + b1 ln p) = aC is solved by Lambert W,
    ln p* = W(z)/2 - (b0/b1 + 1) with z = (2aC/b1) exp(2(b0/b1 + 1)), computed from ln z so that huge
    budgets never overflow. Budgets with aC <= b0 + b1 get the edge p* = 1.
    """

    a: float
    b0: float
    b1: float
    kind: ClassVar[str] = "inverse_log"
    closed_form: ClassVar[bool] = True


@dataclass(frozen=True)
class PowerLaw(_RustBound):
    """U(p, T) = E + A/p^alpha + B/T^beta (the Chinchilla shape), with p T = C (no factor 6).

    Misspecification A/p^alpha, estimation B/T^beta, irreducible E. Closed form:
    p* = G C^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)).
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    kind: ClassVar[str] = "power_law"
    closed_form: ClassVar[bool] = True

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> PowerLaw:
        """From a Chinchilla parameter dict {"E", "A", "B", "alpha", "beta"} (for example ``fit.params``)."""
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params: must be a mapping of chinchilla parameters, got {params!r:.60}")
        missing = [k for k in ("E", "A", "B", "alpha", "beta") if k not in params]
        if missing:
            raise InvalidInputError(f"params: missing chinchilla parameters {missing}; got keys {sorted(params)}")
        return cls(params["E"], params["A"], params["B"], params["alpha"], params["beta"])
