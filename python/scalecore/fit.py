"""Fitting scaling laws: `sc.fit` and `FitResult` (docs/methods.md section 2)."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._fit_spec import as_runs, constraints, starts
from ._validation import FloatArray, as_float_array, integer, positive_float
from ._validation import n_threads as check_threads
from .allocation import allocate
from .errors import ConvergenceError, ConvergenceWarning, IdentifiabilityWarning, InvalidInputError
from .laws import Law
from .laws import get as get_law
from .runs import Runs, _column_of

__all__ = ["OBJECTIVES", "FitResult", "as_runs", "fit", "fit_many"]

# The objective names, owned by the core (`Objective::parse`).
OBJECTIVES: tuple[str, ...] = tuple(_core.OBJECTIVES)

# Above this Hessian condition number (the optimiser's centred coordinates) the optimum is reported as poorly
# identified. Chinchilla fits of good sweeps sit around 1e4 there (1e6-1e9 in raw log A, alpha coordinates).
_ILL_CONDITIONED = 1e12


@dataclass(frozen=True)
class FitResult:
    """A fitted law. ``params`` are public values (E, A, B positive; exponents as they are).

    ``n_starts`` starts were minimised to convergence (for ``init="auto"``, chosen by evaluating the
    objective once at ``n_screened`` grid starts); ``n_at_best`` of them ended within 1e-5 (relative) of the
    best objective, ``n_converged`` met the convergence criteria.
    """

    law: str
    params: dict[str, float]
    objective: float
    converged: bool
    stop: str
    iterations: int
    n_starts: int
    n_at_best: int
    n_converged: int
    n_runs: int
    objective_name: str
    delta: float
    residuals: FloatArray = field(repr=False)
    hessian: FloatArray = field(repr=False)
    free_params: tuple[str, ...] = ()
    input_ranges: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    n_screened: int = 0
    start_objectives: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    # The core's fit (specification and outcome): predictions and the bootstrap reuse it, and it
    # pickles as both, so unpickling never refits.
    handle: Any = field(default=None, repr=False, compare=False)

    @property
    def law_(self) -> Law:
        return get_law(self.law)

    def predict(self, runs: Runs | None = None, **columns: Any) -> FloatArray:
        """Predicted loss at given inputs (``fit.predict(N=..., D=...)``) or at the runs of a table."""
        if runs is not None:
            columns = {name: getattr(runs, name) for name in self.law_.inputs}
        if self.handle is None:
            return self.law_.predict(self.params, **columns)
        return np.asarray(self.handle.predict(self.law_.columns(columns)))

    @property
    def identifiability(self) -> dict[str, Any]:
        """Condition number of the Hessian at the optimum and the parameter correlations implied by its
        inverse, in the optimiser's free coordinates: log E, the exponents, and log A, log B centred at
        the data's mean ln N and ln D (which removes the trivial A-alpha and B-beta ridges, so what remains
        is what the data fail to pin down). NaN correlations mark directions the data do not constrain."""
        h = np.asarray(self.hessian, dtype=np.float64)
        k = len(self.free_params)
        h = h.reshape(k, k)
        if not np.isfinite(h).all():
            return {
                "condition_number": math.inf,
                "positive_definite": False,
                "params": self.free_params,
                "correlations": np.full((k, k), np.nan),
            }
        eig = np.linalg.eigvalsh(h)
        cond = float(eig[-1] / eig[0]) if eig[0] > 0 else math.inf
        cov = np.linalg.pinv(h)
        with np.errstate(all="ignore"):
            sd = np.sqrt(np.diag(cov))
            corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
        # A direction the data do not constrain at all has no meaningful correlation.
        corr[~np.isfinite(corr)] = np.nan
        return {
            "condition_number": cond,
            "positive_definite": bool(eig[0] > 0),
            "params": self.free_params,
            "correlations": corr,
        }

    def allocate(self, compute: Any, **options: Any) -> Any:
        """Compute-optimal N, D and loss for budgets `compute`; options as for `scalecore.allocate`
        (flops_per_param_token, inference_tokens, unique_tokens, cost, n_threads)."""
        return allocate(self, compute=compute, **options)

    def to_dict(self) -> dict[str, Any]:
        ident = self.identifiability
        return {
            "law": self.law,
            "params": dict(self.params),
            "objective": self.objective,
            "objective_name": self.objective_name,
            "delta": self.delta,
            "converged": self.converged,
            "stop": self.stop,
            "iterations": self.iterations,
            "n_starts": self.n_starts,
            "n_screened": self.n_screened,
            "n_at_best": self.n_at_best,
            "n_converged": self.n_converged,
            "n_runs": self.n_runs,
            "condition_number": ident["condition_number"],
            "correlations": np.asarray(ident["correlations"]).tolist(),
            "free_params": list(self.free_params),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        status = "converged" if self.converged else f"NOT converged ({self.stop})"
        return (
            f"FitResult({self.law}: {p}; {self.objective_name} objective {self.objective:.6g}, {status}, "
            f"{self.n_at_best}/{self.n_starts} starts at the best optimum, {self.n_runs} runs)"
        )


def fit(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: Any = "auto",
    fixed: Mapping[str, float] | None = None,
    tie: Iterable[Sequence[str]] | None = None,
    weights: Any = None,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    strict: bool = False,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> FitResult:
    """Fit `law` to `runs` by multi-start L-BFGS with analytic gradients.

    objective: "huber_log" (Huber loss with threshold `delta` on log residuals, summed: Hoffmann et al.),
        "lsq" (squares in linear space, like curve_fit), "lsq_log" (squares of log residuals),
        "asymmetric" (Huber on log residuals, over-estimates weighted `asymmetry` times).
    init: "auto" (screen the law's start grid by objective value, polish the 16 best: same optimum as the
        full grid, much faster), "hoffmann" (every start of the grid; for chinchilla Hoffmann et al.'s
        4500), a dict {param: value or list of values} whose product is the grid, or a (k, n_params) array.
    fixed: {param: value} held constant; tie: pairs such as ("alpha", "beta") or "alpha=beta" kept equal.
    weights: per-run weights (default: the runs' weight column, else 1).
    Convergence is tested relative to the objective's own size (`ftol`, `gtol`), so summing or averaging
    the loss does not change where the fit stops. A best start that did not converge gives a
    ConvergenceWarning and ``converged=False``, or ConvergenceError with ``strict=True``.
    """
    r = as_runs(runs)
    lw = get_law(law)
    max_iter = integer("max_iter", max_iter)
    # Missing inputs, loss and weight rules, constraints against the runs: the core's `FitSpec::new`.
    columns = {name: getattr(r, name) for name in lw.inputs if r.has(name)}
    mode, start_rows = starts(lw, init)
    fixed_i, ties_i = constraints(lw, fixed, tie)
    delta = positive_float("delta", delta)
    handle = _core.fit_law(
        lw.name,
        columns,
        r.loss,
        weights=r.weight if weights is None else as_float_array("weights", weights),
        objective=str(objective),
        delta=delta,
        asymmetry=positive_float("asymmetry", asymmetry),
        init=mode,
        starts=start_rows,
        fixed=fixed_i,
        ties=ties_i,
        max_iter=max_iter,
        ftol=positive_float("ftol", ftol),
        gtol=positive_float("gtol", gtol),
        n_threads=check_threads(n_threads),
        progress=progress,
    )
    result = _result(lw, handle, delta, {k: (float(v.min()), float(v.max())) for k, v in columns.items()})
    if not result.converged:
        msg = f"the best start of the {lw.name} fit did not converge (stopped by {result.stop})"
        if strict:
            raise ConvergenceError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    elif result.identifiability["condition_number"] > _ILL_CONDITIONED:
        warnings.warn(
            f"the {lw.name} fit is poorly identified (Hessian condition number "
            f"{result.identifiability['condition_number']:.3g}); consider fixing or tying parameters",
            IdentifiabilityWarning,
            stacklevel=2,
        )
    return result


def _result(law: Law, handle: Any, delta: float, input_ranges: dict[str, tuple[float, float]]) -> FitResult:
    return FitResult(
        law=law.name,
        params=law.to_public(handle.theta),
        objective=float(handle.objective),
        converged=bool(handle.converged),
        stop=str(handle.stop),
        iterations=int(handle.iterations),
        n_starts=int(handle.n_starts),
        n_screened=int(handle.n_screened),
        n_at_best=int(handle.n_at_best),
        n_converged=int(handle.n_converged),
        n_runs=int(handle.n_runs),
        objective_name=str(handle.objective_name),
        delta=delta,
        residuals=np.asarray(handle.residuals),
        hessian=np.asarray(handle.hessian),
        free_params=tuple(law.param_names[i] for i in handle.free_index),
        input_ranges=input_ranges,
        start_objectives=np.asarray(handle.start_objectives),
        handle=handle,
    )


def fit_many(
    table: Any,
    law: str | Law = "power",
    *,
    by: Sequence[str] | str,
    loss: str = "loss",
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """One fit per group of a table: ``fit_many(df, law="power", by=["task"], x="step", loss="loss")``.

    Keywords naming Runs columns (x, N, D, C, U, M, weight) map them to the table's columns; the rest go
    to `fit`. Returns one row per group: the group keys, the parameters, objective and convergence.
    """
    if not isinstance(by, str) and not (isinstance(by, Sequence) and by and all(isinstance(b, str) for b in by)):
        raise InvalidInputError(f"by: must be a column name or a list of column names, got {by!r:.60}")
    by = [by] if isinstance(by, str) else list(by)
    column_keys = {"x", "N", "D", "C", "U", "M", "weight"}
    mapping = {k: kwargs.pop(k) for k in list(kwargs) if k in column_keys}
    mapping["loss"] = loss

    keys = [np.asarray(_column_of(table, b)) for b in by]
    cols = {k: np.asarray(_column_of(table, v)) for k, v in mapping.items()}
    labels = list(zip(*[k.tolist() for k in keys]))
    rows = []
    for label in dict.fromkeys(labels):
        mask = np.array([lab == label for lab in labels])
        sub = Runs(**{k: v[mask] for k, v in cols.items()})
        res = fit(sub, law, **kwargs)
        rows.append(
            {
                **dict(zip(by, label)),
                **res.params,
                "objective": res.objective,
                "converged": res.converged,
                "n_runs": len(sub),
            }
        )
    return rows
