"""Fitting scaling laws: `sc.fit` and `FitResult` (docs/methods.md section 2)."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, overload

import numpy as np

from . import _core
from . import _options as options
from ._fit_spec import as_runs, constraints, starts
from ._results_io import ResultIO
from ._shape import broadcast, restore
from ._validation import FloatArray, as_float_array, integer, positive_float, real
from ._validation import n_threads as check_threads
from .allocation import allocate
from .errors import ConvergenceError, ConvergenceWarning, IdentifiabilityWarning
from .laws import DefinedLaw, Law
from .laws import get as get_law
from .runs import Runs

if TYPE_CHECKING:
    from .joint import JointFit

__all__ = ["OBJECTIVES", "FitResult", "as_runs", "fit"]

# The objective names, owned by the core (`Objective::parse`).
OBJECTIVES: tuple[str, ...] = tuple(_core.OBJECTIVES)

# Above this Hessian condition number (the optimiser's centred coordinates) the optimum is reported as poorly
# identified. Chinchilla fits of good sweeps sit around 1e4 there (1e6-1e9 in raw log A, alpha coordinates).
_ILL_CONDITIONED = 1e12


@dataclass(frozen=True)
class FitResult(ResultIO):
    """A fitted law. ``params`` are public values (E, A, B positive; exponents as they are).

    ``n_starts`` starts were minimised to convergence (for ``init="auto"``, chosen by evaluating the
    objective once at ``n_screened`` grid starts); ``n_at_best`` of them ended within 1e-5 (relative) of the
    best objective, ``n_converged`` met the convergence criteria. ``theta`` holds the optimum in the
    optimiser's coordinates (logs of the positive coefficients), so that a reloaded result predicts exactly as
    the original. ``save``/``load`` keep everything but the core handle (pickling keeps that too).
    """

    _unsaved: ClassVar[tuple[str, ...]] = ("handle",)

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
    theta: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    # The core's fit (specification and outcome): predictions and the bootstrap reuse it, and it
    # pickles as both, so unpickling never refits.
    handle: Any = field(default=None, repr=False, compare=False)

    @property
    def law_(self) -> Law:
        return get_law(self.law)

    def predict(self, runs: Runs | None = None, **columns: Any) -> Any:
        """Predicted loss at given inputs (``fit.predict(N=..., D=...)``) or at the runs of a table. The
        inputs broadcast like NumPy: scalars give a NumPy scalar, arrays an array of the broadcast shape."""
        if runs is not None:
            columns = {name: getattr(runs, name) for name in self.law_.inputs}
        given = {k: v for k, v in columns.items() if v is not None}
        # A defined law checks its own domain (S2 of a training curve is 0 under a constant schedule).
        flat, shape = broadcast(given, positive=not isinstance(self.law_, DefinedLaw))
        if self.handle is not None:
            return restore(self.handle.predict(self.law_.columns(flat)), shape)
        if self.theta.size:
            return restore(_core.law_predict(self.law, self.theta.tolist(), self.law_.columns(flat)), shape)
        return restore(self.law_.predict(self.params, **flat), shape)

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

    def _table(self) -> dict[str, Any]:
        return {"parameter": list(self.params), "estimate": list(self.params.values())}

    def report(self, runs: Any = None, boot: Any = None, **stated: Any) -> Any:
        """What Li et al. 2025 ("(Mis)Fitting") ask a paper to state about this fit, as a `Report`
        (``str()`` is Markdown, ``to_json()`` JSON); keywords as for `scalecore.report.report`."""
        from .report import report

        return report(self, runs=runs, boot=boot, **stated)

    def plot(self, runs: Any = None, boot: Any = None, **options: Any) -> Any:
        """The fitted curves over the runs (`scalecore.plot.fit`; needs matplotlib)."""
        from . import plot

        return plot.fit(self, runs, boot, **options)

    def plot_residuals(self, runs: Any, **options: Any) -> Any:
        """The residuals at the runs (`scalecore.plot.residuals`; needs matplotlib)."""
        from . import plot

        return plot.residuals(self, runs, **options)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        status = "converged" if self.converged else f"NOT converged ({self.stop})"
        return (
            f"FitResult({self.law}: {p}; {self.objective_name} objective {self.objective:.6g}, {status}, "
            f"{self.n_at_best}/{self.n_starts} starts at the best optimum, {self.n_runs} runs)"
        )


@overload
def fit(
    runs: Any,
    law: str | Law = ...,
    *,
    group: None = None,
    shared: None = None,
    objective: str = ...,
    delta: float = ...,
    asymmetry: float = ...,
    init: Any = ...,
    fixed: Mapping[str, float] | None = ...,
    tie: Iterable[Sequence[str]] | None = ...,
    weights: Any = ...,
    max_iter: int = ...,
    ftol: float = ...,
    gtol: float = ...,
    strict: bool = ...,
    n_threads: int | None = ...,
    progress: Any = ...,
) -> FitResult: ...


@overload
def fit(
    runs: Any,
    law: str | Law = ...,
    *,
    group: Any,
    shared: Iterable[str] | str | None = ...,
    objective: str = ...,
    delta: float = ...,
    asymmetry: float = ...,
    init: Any = ...,
    fixed: Mapping[str, float] | None = ...,
    tie: Iterable[Sequence[str]] | None = ...,
    weights: Any = ...,
    max_iter: int = ...,
    ftol: float = ...,
    gtol: float = ...,
    strict: bool = ...,
    n_threads: int | None = ...,
    progress: Any = ...,
) -> JointFit: ...


def fit(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    group: Any = None,
    shared: Iterable[str] | str | None = None,
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
    progress: Any = None,
) -> FitResult | JointFit:
    """Fit `law` to `runs` by multi-start L-BFGS with analytic gradients.

    objective: "huber_log" (Huber loss with threshold `delta` on log residuals, summed: Hoffmann et al.),
        "lsq" (squares in linear space, like curve_fit), "lsq_log" (squares of log residuals),
        "asymmetric" (Huber on log residuals, over-estimates weighted `asymmetry` times).
    init: "auto" (screen the law's start grid by objective value, polish the 16 best: same optimum as the
        full grid, much faster), "hoffmann" (every start of the grid; for chinchilla Hoffmann et al.'s
        4500), a dict {param: value or list of values} whose product is the grid, or a (k, n_params) array.
    fixed: {param: value} held constant; tie: pairs such as ("alpha", "beta") or "alpha=beta" kept equal.
    weights: per-run weights (default: the runs' weight column, else 1).
    progress: None (a bar after about a second in an interactive session), True, False, or a callable
    progress(done, total), as everywhere in scalecore.
    Convergence is tested relative to the objective's own size (`ftol`, `gtol`), so summing or averaging
    the loss does not change where the fit stops. A best start that did not converge gives a
    ConvergenceWarning and ``converged=False``, or ConvergenceError with ``strict=True``.
    group, shared: one law per group (a column name or one label per run) with the parameters named in
    `shared` common to all groups -> `scalecore.joint.JointFit` (docs/joint_fits.md).
    """
    if group is not None or shared is not None:
        from .joint import fit_joint

        return fit_joint(
            runs, law, group=group, shared=shared, objective=objective, delta=delta, asymmetry=asymmetry,
            init=init, fixed=fixed, tie=tie, weights=weights, max_iter=max_iter, ftol=ftol, gtol=gtol,
            strict=strict, n_threads=n_threads, progress=progress,
        )  # fmt: skip
    r = as_runs(runs)
    lw = get_law(law)
    max_iter = integer("max_iter", max_iter)
    # Missing inputs, loss and weight rules, constraints against the runs: the core's `FitSpec::new`.
    columns = {name: getattr(r, name) for name in lw.inputs if r.has(name)}
    mode, start_rows = starts(lw, init)
    fixed_i, ties_i = constraints(lw, fixed, tie)
    delta = real("delta", delta)  # delta and asymmetry: the core's rule (Objective::validate)
    with options.progress(progress, "fit") as callback:
        handle = _core.fit_law(
            lw.name,
            columns,
            r.loss,
            weights=r.weight if weights is None else as_float_array("weights", weights),
            objective=str(objective),
            delta=delta,
            asymmetry=real("asymmetry", asymmetry),
            init=mode,
            starts=start_rows,
            fixed=fixed_i,
            ties=ties_i,
            max_iter=max_iter,
            ftol=positive_float("ftol", ftol),
            gtol=positive_float("gtol", gtol),
            n_threads=check_threads(n_threads),
            progress=callback,
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
        theta=np.asarray(handle.theta, dtype=np.float64),
        handle=handle,
    )
