"""Information-theoretic error bounds and the compute-optimal allocation they imply (bounds.md).

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
  instances derived in the papers' framework for this library (bounds.md section 3), **not** the papers'
  own theorems or constants;
- :func:`allocate` (p*, T* under p T = C for many budgets, with the two error terms and the local scaling
  exponent d ln p*/d ln C), :func:`compare_exponent` (a fitted Chinchilla exponent beside a bound's local
  exponent) and :func:`linear_regression_information` (an exact oracle: Gaussian linear regression).

Every bound's ``evaluate(p, T)`` broadcasts its arguments like NumPy and runs in parallel in Rust.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit

from . import _core
from ._reference import bounds as _reference
from ._validation import FloatArray, as_float_array, one_of, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError

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

Progress = Callable[[int, int], Any]


def _constant(name: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False) -> float:
    """A finite float above `minimum` (or equal to it, when inclusive); the error names the argument."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}: must be a number, got {value!r}") from None
    ok = math.isfinite(v) and (v >= minimum if inclusive else v > minimum)
    if not ok:
        relation = "at least" if inclusive else "greater than"
        raise InvalidInputError(f"{name}: must be finite and {relation} {minimum:g}, got {value!r}")
    return v


def _broadcast(p: Any, T: Any) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Flat contiguous copies of p and T broadcast against each other, and the broadcast shape."""
    pa = as_float_array("p", p, ndim=np.ndim(p), positive=True, allow_empty=True)
    ta = as_float_array("T", T, ndim=np.ndim(T), positive=True, allow_empty=True)
    try:
        pb, tb = np.broadcast_arrays(pa, ta)
    except ValueError:
        raise InvalidInputError(f"T: shape {ta.shape} does not broadcast with p's shape {pa.shape}") from None
    return np.ascontiguousarray(pb).ravel(), np.ascontiguousarray(tb).ravel(), pb.shape


def _grid_axes(p: Any, T: Any) -> tuple[FloatArray, FloatArray, bool] | None:
    """(p values, T values, transposed) when p and T broadcast to an outer-product grid: p of shape
    (m, 1) against T of shape (n,) or (1, n) (result[i, j] = U(p_i, T_j)), or the transpose of that."""
    if not (np.ndim(p) in (1, 2) and np.ndim(T) in (1, 2)) or max(np.ndim(p), np.ndim(T)) != 2:
        return None
    pa = as_float_array("p", p, ndim=np.ndim(p), positive=True, allow_empty=True)
    ta = as_float_array("T", T, ndim=np.ndim(T), positive=True, allow_empty=True)
    p2 = pa.reshape((1, *pa.shape)) if pa.ndim == 1 else pa
    t2 = ta.reshape((1, *ta.shape)) if ta.ndim == 1 else ta
    if p2.shape[1] == 1 and t2.shape[0] == 1:
        return np.ascontiguousarray(p2[:, 0]), np.ascontiguousarray(t2[0, :]), False
    if p2.shape[0] == 1 and t2.shape[1] == 1:
        return np.ascontiguousarray(p2[0, :]), np.ascontiguousarray(t2[:, 0]), True
    return None


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class BoundTerms:
    """A bound's value and its two terms at each (p, T): value = irreducible + misspecification + estimation."""

    value: FloatArray
    misspecification: FloatArray
    estimation: FloatArray


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class BoundAllocation:
    """Compute-optimal allocation under p T = C for each budget `compute`.

    ``p`` and ``T`` are the optimal parameters and tokens, ``value`` the bound there, ``misspecification``
    and ``estimation`` its two terms, ``local_exponent`` the local scaling exponent d ln p*/d ln C.
    """

    bound: str
    compute: FloatArray
    p: FloatArray
    T: FloatArray
    value: FloatArray
    misspecification: FloatArray
    estimation: FloatArray
    local_exponent: FloatArray

    @property
    def tokens_per_param(self) -> FloatArray:
        return self.T / self.p

    def __len__(self) -> int:
        return len(self.compute)

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: p*={p:.5g}, T*={t:.5g}, T*/p*={t / p:.5g}, U*={u:.5g} "
            f"(misspecification {m:.3g}, estimation {e:.3g}), d ln p*/d ln C={s:.4f}"
            for c, p, t, u, m, e, s in zip(
                self.compute,
                self.p,
                self.T,
                self.value,
                self.misspecification,
                self.estimation,
                self.local_exponent,
                strict=True,
            )
        ]
        return f"BoundAllocation({self.bound},\n" + "\n".join(rows) + "\n)"

    def to_dict(self) -> dict[str, list[float]]:
        return {
            "compute": self.compute.tolist(),
            "p": self.p.tolist(),
            "T": self.T.tolist(),
            "tokens_per_param": self.tokens_per_param.tolist(),
            "value": self.value.tolist(),
            "misspecification": self.misspecification.tolist(),
            "estimation": self.estimation.tolist(),
            "local_exponent": self.local_exponent.tolist(),
        }


class _RustBound:
    """A bound evaluated and allocated in Rust; subclasses are frozen dataclasses of their constants."""

    kind: ClassVar[str]
    closed_form: ClassVar[bool] = False

    def _params(self) -> list[float]:
        raise NotImplementedError

    @property
    def p_min(self) -> float:
        """The lower end of the numerical allocation search over p (and, for InverseLog and the teacher
        instances, the smallest p they are defined for; InverseLinear and PowerLaw take any p > 0)."""
        return 1.0

    def evaluate(self, p: Any, T: Any, *, n_threads: int | None = None) -> FloatArray:
        """U(p, T), broadcasting p and T like NumPy. A grid (p a column and T a row, or the reverse) is
        evaluated without materialising the broadcast inputs, sharing work along rows and columns."""
        threads = check_threads(n_threads)
        grid = _grid_axes(p, T)
        if grid is not None:
            rows, cols, transposed = grid
            flat = _core.bound_evaluate_grid(self.kind, self._params(), rows, cols, n_threads=threads)
            out = flat.reshape(len(rows), len(cols))
            return np.ascontiguousarray(out.T) if transposed else out
        pf, tf, shape = _broadcast(p, T)
        value, _, _ = _core.bound_evaluate(self.kind, self._params(), pf, tf, n_threads=threads)
        return value.reshape(shape)

    def terms(self, p: Any, T: Any, *, n_threads: int | None = None) -> BoundTerms:
        """The value and its misspecification and estimation terms at (p, T), broadcasting."""
        pf, tf, shape = _broadcast(p, T)
        value, m, e = _core.bound_evaluate(
            self.kind, self._params(), pf, tf, with_terms=True, n_threads=check_threads(n_threads)
        )
        assert m is not None
        assert e is not None
        return BoundTerms(value.reshape(shape), m.reshape(shape), e.reshape(shape))

    def _allocate(
        self, compute: FloatArray, numerical: bool, n_threads: int | None, progress: Progress | None
    ) -> dict[str, FloatArray]:
        return _core.bound_allocate(
            self.kind, self._params(), compute, numerical=numerical, n_threads=n_threads, progress=progress
        )


@dataclass(frozen=True)
class InverseLinear(_RustBound):
    """U(p, T) = a/p + b/T: misspecification a/p, estimation b/T.

    Under p T = C: p* = sqrt(aC/b), T*/p* = b/a, U* = 2 sqrt(ab/C), local exponent 1/2.
    """

    a: float
    b: float
    kind: ClassVar[str] = "inverse_linear"
    closed_form: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _constant("a", self.a))
        object.__setattr__(self, "b", _constant("b", self.b))

    def _params(self) -> list[float]:
        return [self.a, self.b]


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _constant("a", self.a))
        object.__setattr__(self, "b0", _constant("b0", self.b0, inclusive=True))
        object.__setattr__(self, "b1", _constant("b1", self.b1, inclusive=True))
        if self.b0 == 0.0 and self.b1 == 0.0:
            raise InvalidInputError("b1: b0 and b1 are both 0, so the bound has no estimation term")

    def _params(self) -> list[float]:
        return [self.a, self.b0, self.b1]


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "E", _constant("E", self.E, inclusive=True))
        for name in ("A", "B", "alpha", "beta"):
            object.__setattr__(self, name, _constant(name, getattr(self, name)))

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> PowerLaw:
        """From a Chinchilla parameter dict {"E", "A", "B", "alpha", "beta"} (for example ``fit.params``)."""
        missing = [k for k in ("E", "A", "B", "alpha", "beta") if k not in params]
        if missing:
            raise InvalidInputError(f"params: missing chinchilla parameters {missing}; got keys {sorted(params)}")
        return cls(params["E"], params["A"], params["B"], params["alpha"], params["beta"])

    def _params(self) -> list[float]:
        return [self.E, self.A, self.B, self.alpha, self.beta]


class _TeacherBound(_RustBound):
    d: float

    @property
    def p_min(self) -> float:
        return self.d + 1.0

    def distinct_units(self, n: Any) -> FloatArray:
        """kappa(n): the expected number of distinct teacher units among n sampled units."""
        a = as_float_array("n", n, nonnegative=True, ndim=np.ndim(n))
        return _core.teacher_distinct_units(self.kind, self._params(), np.ascontiguousarray(a).ravel()).reshape(a.shape)

    def optimal_eta(self, p: Any, T: Any) -> FloatArray:
        """The weight noise eta > 0 attaining the bound at (p, T): eta (1 + eta) = 2 kappa(n) d / (B^2 T)."""
        pf, tf, shape = _broadcast(p, T)
        return _core.teacher_optimal_eta(self.kind, self._params(), pf, tf).reshape(shape)


@dataclass(frozen=True)
class FiniteTeacher(_TeacherBound):
    """Derived bound for a teacher with N ReLU units of input dimension d and weight budget B, whose
    student of p parameters has n = p/(d + 1) units: kappa(n) = min(n, N) distinct teacher units.

    This is a bound instance derived in Jeon & Van Roy's framework for this library (bounds.md section 3),
    not a formula or constant from their papers: misspecification M = B^2/(8n) + B^2 eta/4, estimation
    E = [kappa(n) ((d/2) ln(1 + 1/eta) + ln(2en)) + ln n] / T, U = min over eta > 0 of M + E, attained at
    eta (1 + eta) = 2 kappa(n) d / (B^2 T). Defined for p >= d + 1 (at least one unit).
    """

    d: float
    N: float
    B: float
    kind: ClassVar[str] = "finite_teacher"

    def __post_init__(self) -> None:
        object.__setattr__(self, "d", _constant("d", self.d, minimum=1.0, inclusive=True))
        object.__setattr__(self, "N", _constant("N", self.N, minimum=1.0, inclusive=True))
        object.__setattr__(self, "B", _constant("B", self.B))

    def _params(self) -> list[float]:
        return [self.d, self.N, self.B]


@dataclass(frozen=True)
class DirichletProcessTeacher(_TeacherBound):
    """Derived bound for an infinitely wide teacher whose units follow a Dirichlet process with
    concentration K (input dimension d, weight budget B): kappa(n) = K [psi(K + n) - psi(K)] distinct
    units among the n = p/(d + 1) units of a p-parameter student (psi = digamma).

    This is a bound instance derived in Jeon & Van Roy's framework for this library (bounds.md section 3),
    not a formula or constant from their papers: misspecification M = B^2/(8n) + B^2 eta/4, estimation
    E = [kappa(n) ((d/2) ln(1 + 1/eta) + ln(2en)) + ln n] / T, U = min over eta > 0 of M + E, attained at
    eta (1 + eta) = 2 kappa(n) d / (B^2 T). Defined for p >= d + 1 (at least one unit).
    """

    d: float
    K: float
    B: float
    kind: ClassVar[str] = "dirichlet_process_teacher"

    def __post_init__(self) -> None:
        object.__setattr__(self, "d", _constant("d", self.d, minimum=1.0, inclusive=True))
        object.__setattr__(self, "K", _constant("K", self.K))
        object.__setattr__(self, "B", _constant("B", self.B))

    def _params(self) -> list[float]:
        return [self.d, self.K, self.B]


@dataclass(frozen=True)
class DecomposedBound:
    """The estimation + misspecification bound with pluggable terms (bounds.md section 1):
    U(p, T) = irreducible + misspecification(p) + estimation(p, T).

    ``misspecification`` and ``estimation`` are vectorised callables on float arrays. Allocation runs the
    grid-plus-bracketed-minimiser search in Python (the callables cannot run inside Rust); it is exact
    to the same tolerance but much slower than for the built-in bounds.
    """

    misspecification: Callable[[FloatArray], Any]
    estimation: Callable[[FloatArray, FloatArray], Any]
    p_min: float = 1.0
    irreducible: float = 0.0
    closed_form: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not callable(self.misspecification):
            raise InvalidInputError(f"misspecification: must be callable, got {self.misspecification!r}")
        if not callable(self.estimation):
            raise InvalidInputError(f"estimation: must be callable, got {self.estimation!r}")
        object.__setattr__(self, "p_min", _constant("p_min", self.p_min))
        object.__setattr__(self, "irreducible", _constant("irreducible", self.irreducible, inclusive=True))

    def terms(self, p: Any, T: Any, *, n_threads: int | None = None) -> BoundTerms:
        pf, tf, shape = _broadcast(p, T)
        m = np.broadcast_to(np.asarray(self.misspecification(pf), dtype=np.float64), pf.shape)
        e = np.broadcast_to(np.asarray(self.estimation(pf, tf), dtype=np.float64), pf.shape)
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(e))):
            raise InvalidInputError("misspecification/estimation: the callables returned non-finite values")
        return BoundTerms((self.irreducible + m + e).reshape(shape), m.reshape(shape), e.reshape(shape))

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
    ) -> dict[str, FloatArray]:
        if not np.all(compute > 2.0 * self.p_min):
            bad = compute[~(compute > 2.0 * self.p_min)][0]
            raise InvalidInputError(f"compute: every budget must exceed 2 p_min = {2.0 * self.p_min:g}, got {bad!r}")
        out = _reference.allocate_numerical(self._reducible, compute, self.p_min)
        t = self.terms(out["p"], out["T"])
        return {**out, "value": t.value, "misspecification": t.misspecification, "estimation": t.estimation}


AnyBound = _RustBound | DecomposedBound


def allocate(
    bound: AnyBound,
    compute: Any,
    *,
    method: str = "auto",
    n_threads: int | None = None,
    progress: Progress | None = None,
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
    c = as_float_array("compute", compute, positive=True, ndim=np.ndim(compute))
    flat = np.ascontiguousarray(c).ravel()
    out = bound._allocate(flat, method == "numerical", check_threads(n_threads), progress)
    shape = c.shape if c.ndim else (1,)
    cols = {k: np.asarray(v, dtype=np.float64).reshape(shape) for k, v in out.items()}
    return BoundAllocation(
        bound=repr(bound),
        compute=flat.reshape(shape),
        p=cols["p"],
        T=cols["T"],
        value=cols["value"],
        misspecification=cols["misspecification"],
        estimation=cols["estimation"],
        local_exponent=cols["local_exponent"],
    )


# --- framework ------------------------------------------------------------------------------------------


def bernoulli_logit_kl(u: Any, v: Any) -> FloatArray:
    """KL(Bern(sigmoid(u)) || Bern(sigmoid(v))) in nats, broadcasting; the instances use its bound (u - v)^2 / 8
    (bounds.md section 2)."""
    ua = as_float_array("u", u, ndim=np.ndim(u))
    va = as_float_array("v", v, ndim=np.ndim(v))
    # With q = sigmoid(u): KL = q (ln q - ln r) + (1 - q)(ln(1 - q) - ln(1 - r)), and ln sigmoid(x) = -log1p(e^-x).
    q = expit(ua)
    log_q, log_1q = -np.logaddexp(0.0, -ua), -np.logaddexp(0.0, ua)
    log_r, log_1r = -np.logaddexp(0.0, -va), -np.logaddexp(0.0, va)
    return np.asarray(q * (log_q - log_r) + (1.0 - q) * (log_1q - log_1r), dtype=np.float64)


def error_from_information(information: Any, T: Any) -> FloatArray:
    """The identity L_T = I(F; H_T) / T: the average reducible error (nats) of the Bayesian predictor over
    T samples equals the information the data carry about the latent function, divided by T."""
    i = as_float_array("information", information, nonnegative=True, ndim=np.ndim(information))
    t = as_float_array("T", T, positive=True, ndim=np.ndim(T))
    return np.asarray(i / t, dtype=np.float64)


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class TwoSidedBound:
    """sup_eps min(H_eps/T, eps) <= L_T <= inf_eps (H_eps/T + eps), for each T."""

    T: FloatArray
    lower: FloatArray
    upper: FloatArray


@dataclass(frozen=True, init=False, eq=False)
class RateDistortion:
    """The framework's bounds from a rate-distortion curve H_eps (nats; bounds.md section 1).

    ``RateDistortion(H, eps)`` takes a table (H at increasing eps, H non-increasing);
    ``RateDistortion(H, eps_range=(lo, hi))`` takes a vectorised callable H(eps), tabulated on ``n_grid``
    log-spaced points for the two-sided bound and called directly for the sample complexity. The sup
    and inf run over the tabulated points, each of which gives a valid bound by itself, so the results
    are rigorous for the table given.
    """

    eps: FloatArray
    H: FloatArray
    function: Callable[[FloatArray], Any] | None = field(default=None, repr=False)

    def __init__(
        self,
        H: Any,
        eps: Any = None,
        *,
        eps_range: tuple[float, float] | None = None,
        n_grid: int = 4097,
    ) -> None:
        function: Callable[[FloatArray], Any] | None = None
        if callable(H):
            if eps_range is None or eps is not None:
                raise InvalidInputError("eps_range: a callable H needs eps_range=(lo, hi) (and no eps table)")
            lo = positive_float("eps_range", eps_range[0])
            hi = positive_float("eps_range", eps_range[1])
            if not hi > lo:
                raise InvalidInputError(f"eps_range: needs lo < hi, got {eps_range!r}")
            if not (isinstance(n_grid, int) and n_grid >= 2):
                raise InvalidInputError(f"n_grid: must be an integer >= 2, got {n_grid!r}")
            function = H
            e = np.geomspace(lo, hi, n_grid)
            e[0], e[-1] = lo, hi
            h = as_float_array("H", np.broadcast_to(np.asarray(H(e), dtype=np.float64), e.shape), nonnegative=True)
        else:
            if eps is None:
                raise InvalidInputError("eps: a tabulated H needs the eps values it is tabulated at")
            e = as_float_array("eps", eps, positive=True)
            h = as_float_array("H", H, nonnegative=True)
        # The Rust side checks lengths, ordering and monotonicity with messages naming eps or H.
        _core.rate_distortion_bound(e, h, np.ones(1))
        object.__setattr__(self, "eps", e)
        object.__setattr__(self, "H", h)
        object.__setattr__(self, "function", function)

    def evaluate(self, T: Any, *, n_threads: int | None = None) -> TwoSidedBound:
        t = as_float_array("T", T, positive=True, ndim=np.ndim(T))
        flat = np.ascontiguousarray(t).ravel()
        lo, up = _core.rate_distortion_bound(self.eps, self.H, flat, n_threads=check_threads(n_threads))
        return TwoSidedBound(t, lo.reshape(t.shape), up.reshape(t.shape))

    def lower(self, T: Any) -> FloatArray:
        return self.evaluate(T).lower

    def upper(self, T: Any) -> FloatArray:
        return self.evaluate(T).upper

    def sample_complexity(self, eps: Any) -> FloatArray:
        """Upper bounds ceil(2 H_{eps/2} / eps) on the samples needed for error eps; eps/2 must lie in the
        tabulated range (for a table, H is read at the next smaller tabulated eps, which keeps the bound)."""
        target = as_float_array("eps", eps, positive=True, ndim=np.ndim(eps))
        flat = np.ascontiguousarray(target).ravel()
        if self.function is None:
            return _core.rate_distortion_sample_complexity(self.eps, self.H, flat).reshape(target.shape)
        lo, hi = float(self.eps[0]), float(self.eps[-1])
        half = flat / 2.0
        outside = ~((half >= lo) & (half <= hi))
        if outside.any():
            raise InvalidInputError(
                f"eps: needs H at eps/2 = {half[outside][0]!r}, outside the tabulated range [{lo}, {hi}]"
            )
        h = as_float_array("H", np.broadcast_to(np.asarray(self.function(half), dtype=np.float64), half.shape))
        return np.asarray(np.ceil(2.0 * h / flat), dtype=np.float64).reshape(target.shape)


# --- oracle and comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionInformation:
    """I(theta; H_T) for Gaussian linear regression by Monte Carlo, with its standard error and the Jensen
    bound (d/2) ln(1 + T s2/sigma2); ``error`` = I/T is the average reducible error L_T."""

    d: int
    T: int
    information: float
    standard_error: float
    jensen_bound: float

    @property
    def error(self) -> float:
        return self.information / self.T

    @property
    def error_standard_error(self) -> float:
        return self.standard_error / self.T

    @property
    def error_bound(self) -> float:
        return self.jensen_bound / self.T


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def linear_regression_information(
    d: int,
    T: int,
    s2: float,
    sigma2: float,
    n_mc: int = 100_000,
    seed: int = 0,
    *,
    n_threads: int | None = None,
    progress: Progress | None = None,
) -> RegressionInformation:
    """Exact oracle of bounds.md section 5: theta ~ N(0, s2 I_d), X ~ N(0, I_d), Y = theta.X + W,
    W ~ N(0, sigma2). Returns the Monte Carlo estimate of I(theta; H_T) = E[(1/2) ln det(I_d + (s2/sigma2)
    sum_t X_t X_t^T)] over ``n_mc`` replicates (replicate r uses its own random stream of ``seed``, so the
    answer is the same for any ``n_threads``), its standard error, and the Jensen bound."""
    d = _whole("d", d, 1)
    T = _whole("T", T, 1)
    n_mc = _whole("n_mc", n_mc, 2)
    seed = _whole("seed", seed, 0)
    s2 = positive_float("s2", s2)
    sigma2 = positive_float("sigma2", sigma2)
    info, se, jensen = _core.linear_regression_information(
        d, T, s2, sigma2, n_mc, seed, n_threads=check_threads(n_threads), progress=progress
    )
    return RegressionInformation(d=d, T=T, information=info, standard_error=se, jensen_bound=jensen)


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
