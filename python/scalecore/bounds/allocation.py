"""Compute-optimal allocation under p T = C for any bound, and a fitted exponent beside a bound's
local exponent (docs/bounds.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _options as options
from .._shape import _ndim
from .._validation import FloatArray, as_float_array, one_of
from .._validation import n_threads as check_threads
from ..errors import InvalidInputError
from ._common import BoundAllocation, _constant
from .instances import DecomposedBound
from .shapes import _RustBound

AnyBound = _RustBound | DecomposedBound


def allocate(
    bound: AnyBound,
    compute: Any,
    *,
    method: str = "auto",
    n_threads: int | None = None,
    progress: Any = None,
) -> BoundAllocation:
    """Compute-optimal (p*, T*) under p T = C for each budget in `compute`.

    ``method="auto"`` uses the closed form where the shape has one (InverseLinear, InverseLog, PowerLaw)
    and otherwise minimises g(u) = U(e^u, C e^-u) over u = ln p in [ln p_min, ln C - ln 2]: a coarse grid,
    then Brent's bracketed minimiser and a Newton polish; ``method="numerical"`` forces that search
    (budgets must then exceed 2 p_min). The local exponent d ln p*/d ln C comes from the closed form, or
    from implicit differentiation of the first-order condition. Deterministic for any ``n_threads``.
    """
    method = one_of("method", method, ["auto", "numerical"])
    if not isinstance(bound, (_RustBound, DecomposedBound)):
        raise InvalidInputError(f"bound: must be a scalecore.bounds bound object, got {bound!r}")
    # Read as numbers only: the rule for budgets is the core's (the closed forms' and `check_budgets`).
    c = as_float_array("compute", compute, finite=False, ndim=_ndim("compute", compute))
    flat = np.ascontiguousarray(c).ravel()
    with options.progress(progress, "bound allocation") as callback:
        out = bound._allocate(flat, method == "numerical", check_threads(n_threads), callback)
    shape = c.shape if c.ndim else (1,)
    return BoundAllocation(
        bound=repr(bound),
        compute=flat.reshape(shape),
        p=out.p.reshape(shape),
        T=out.T.reshape(shape),
        value=out.value.reshape(shape),
        misspecification=out.misspecification.reshape(shape),
        estimation=out.estimation.reshape(shape),
        local_exponent=out.local_exponent.reshape(shape),
    )


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class ExponentComparison:
    """A fitted Chinchilla exponent a = beta/(alpha + beta) (N_opt ~ C^a) beside a bound's local exponent
    d ln p*/d ln C at each budget; ``difference`` = bound - fitted."""

    compute: FloatArray
    fitted: float
    bound: FloatArray

    @property
    def difference(self) -> FloatArray:
        return self.bound - self.fitted

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: bound {b:.4f}, fitted {self.fitted:.4f}, difference {b - self.fitted:+.4f}"
            for c, b in zip(self.compute, self.bound, strict=True)
        ]
        return "ExponentComparison(\n" + "\n".join(rows) + "\n)"


def compare_exponent(params: Any, bound: AnyBound, compute: Any, *, n_threads: int | None = None) -> ExponentComparison:
    """Set the exponent a = beta/(alpha + beta) of a fitted Chinchilla law (a dict of parameters, or any
    object with a ``params`` dict such as a FitResult) beside the bound's local exponent across budgets."""
    mapping = getattr(params, "params", params)
    if not isinstance(mapping, Mapping) or "alpha" not in mapping or "beta" not in mapping:
        raise InvalidInputError(f"params: needs a mapping with 'alpha' and 'beta', got {params!r}")
    alpha = _constant("alpha", mapping["alpha"])
    beta = _constant("beta", mapping["beta"])
    result = allocate(bound, compute, n_threads=n_threads)
    return ExponentComparison(compute=result.compute, fitted=beta / (alpha + beta), bound=result.local_exponent)
