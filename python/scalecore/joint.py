"""Joint fits: one law per group of runs with some parameters common to all groups (docs/joint_fits.md).

``sc.fit(runs, law="chinchilla", group="optimizer", shared=["alpha", "beta"])`` fits one Chinchilla law per
optimizer with the exponents shared and E, A, B per optimizer: the objective is the sum of the groups'
objectives (each the law's own, per run), minimised over the shared and the per-group parameters together.
Sharing is how per-group laws are made identifiable when a group alone cannot pin every parameter.

- ``group=``: a column name of the table (or ``"group"`` for the group column of a `Runs`), or one label per
  run. ``shared=``: public parameter names; ``shared=[]`` gives the separate per-group fits in one result.
- ``fixed=`` holds a parameter at one value in every group (so it is common to all groups already);
  ``tie=`` holds inside every group, and tied parameters must be shared together or not at all.
- The core fits each group alone first (the law's own multi-start), then starts the joint fit from those with
  the shared parameters at the groups' run-weighted median, at the pooled fit's values and at the largest
  groups' values, and keeps the lowest polished optimum.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from . import _core
from . import _options as options
from . import intervals as iv
from ._fit_spec import as_runs, constraints, starts
from ._results_io import ResultIO
from ._shape import broadcast, restore
from ._validation import FloatArray, as_float_array, integer, positive_float, real
from ._validation import n_threads as check_threads
from .errors import ConvergenceError, ConvergenceWarning, InvalidInputError
from .laws import Law
from .laws import get as get_law
from .runs import Runs, _column_names, _column_of

__all__ = ["JointBootstrap", "JointFit", "fit_joint"]


# eq=False: parameters are arrays, so equality is identity (compare `to_dict()` for values).
@dataclass(frozen=True, eq=False)
class JointFit(ResultIO):
    """A joint fit: ``params[name]`` holds the parameter's value in each group (in the order of ``groups``;
    a shared parameter has one value repeated), ``shared_params`` the shared values, ``group_objectives``
    each group's part of ``objective``. ``theta`` holds each group's optimum in the optimiser's coordinates
    (logs of the positive coefficients). ``save``/``load`` keep everything but the core handle (pickling
    keeps that too); a loaded result predicts and allocates, the bootstrap needs the handle."""

    _unsaved: ClassVar[tuple[str, ...]] = ("handle",)

    law: str
    groups: tuple[Any, ...]
    shared: tuple[str, ...]
    params: dict[str, FloatArray]
    objective: float
    group_objectives: FloatArray = field(repr=False)
    converged: bool
    stop: str
    iterations: int
    n_starts: int
    n_at_best: int
    n_runs: tuple[int, ...]
    objective_name: str
    delta: float
    theta: FloatArray = field(repr=False)
    handle: Any = field(default=None, repr=False, compare=False)

    @property
    def law_(self) -> Law:
        return get_law(self.law)

    @property
    def shared_params(self) -> dict[str, float]:
        return {p: float(self.params[p][0]) for p in self.shared}

    def _code(self, group: Any) -> int:
        for i, g in enumerate(self.groups):
            if g == group:
                return i
        raise InvalidInputError(f"group: no group {group!r:.60}; the groups are {list(self.groups)!r:.200}")

    def params_of(self, group: Any) -> dict[str, float]:
        """The law fitted to one group, as public parameter values."""
        i = self._code(group)
        return {p: float(v[i]) for p, v in self.params.items()}

    def predict(self, group: Any, runs: Runs | None = None, **columns: Any) -> Any:
        """Predicted loss of the law of `group` (one label, or one label per point broadcasting with the
        inputs): ``joint.predict(group="adam", N=..., D=...)``. Scalars in give a NumPy scalar."""
        if runs is not None:
            columns = {name: getattr(runs, name) for name in self.law_.inputs}
        given = {k: v for k, v in columns.items() if v is not None}
        labels = np.asarray(group, dtype=object)
        if labels.size == 0:
            raise InvalidInputError("group: is empty; give one label, or one per point")
        flat, shape = broadcast(given, positive=True)
        try:
            full = np.broadcast_shapes(labels.shape, shape)
        except ValueError:
            msg = f"group: shape {labels.shape} does not broadcast with the inputs' {shape}"
            raise InvalidInputError(msg) from None
        flat = {k: np.broadcast_to(v.reshape(shape), full).ravel() for k, v in flat.items()}
        per_label = np.array([self._code(g) for g in np.ravel(labels)], dtype=np.int64).reshape(labels.shape)
        codes, shape = np.broadcast_to(per_label, full).ravel(), full
        cols = self.law_.columns(flat)
        if self.handle is not None:
            return restore(self.handle.predict(codes.tolist(), cols), shape)
        out = np.empty(codes.size)  # a loaded result: the groups' laws one by one
        for c in np.unique(codes):
            rows = codes == c
            sub = {k: v[rows] for k, v in cols.items()}
            out[rows] = _core.law_predict(self.law, self.theta[c].tolist(), sub)
        return restore(out, shape)

    def allocate(self, compute: Any, group: Any, **opts: Any) -> Any:
        """Compute-optimal N, D and loss of the law of `group` (options as for `scalecore.allocate`)."""
        from .allocation import allocate

        return allocate(self.params_of(group), compute=compute, law=self.law, **opts)

    def bootstrap(
        self,
        n_resamples: int = 1000,
        *,
        seed: Any = None,
        level: float = 0.95,
        n_threads: int | None = None,
        progress: Any = None,
    ) -> JointBootstrap:
        """Bootstrap stratified by group: each replicate redraws every group's runs with replacement (as many
        as the group has) and refits jointly; deterministic per (seed, replicate) for any thread count."""
        if self.handle is None:
            raise InvalidInputError("self: a loaded JointFit has no core fit to bootstrap; refit it first")
        b = iv.n_resamples(n_resamples)
        s = options.seed(seed)
        lv = iv.level(level)
        with options.progress(progress, "joint bootstrap") as callback:
            flat, failed = self.handle.bootstrap(b, s, n_threads=check_threads(n_threads), progress=callback)
        k = len(self.params)
        return JointBootstrap(
            law=self.law,
            groups=self.groups,
            shared=self.shared,
            estimates={p: np.asarray(v) for p, v in self.params.items()},
            samples=np.asarray(flat).reshape(b, len(self.groups), k),
            n_failed=int(np.sum(failed)),
            seed=s,
            level=lv,
        )

    def _table(self) -> dict[str, Any]:
        return {
            "group": list(self.groups),
            **{p: v for p, v in self.params.items()},
            "objective": self.group_objectives,
            "n_runs": list(self.n_runs),
        }

    def __repr__(self) -> str:
        shared = ", ".join(f"{p}={v:.6g}" for p, v in self.shared_params.items()) or "none"
        status = "converged" if self.converged else f"NOT converged ({self.stop})"
        return (
            f"JointFit({self.law}: {len(self.groups)} groups, shared {shared}; {self.objective_name} objective "
            f"{self.objective:.6g}, {status}, {self.n_at_best}/{self.n_starts} starts at the best optimum, "
            f"{sum(self.n_runs)} runs)"
        )


@dataclass(frozen=True, eq=False)
class JointBootstrap(ResultIO):
    """Replicates of a joint fit: ``samples[i, g, j]`` is parameter j of group g in replicate i (NaN where the
    refit failed; ``n_failed`` counts them)."""

    law: str
    groups: tuple[Any, ...]
    shared: tuple[str, ...]
    estimates: dict[str, FloatArray]
    samples: FloatArray = field(repr=False)
    n_failed: int
    seed: int
    level: float

    def _column(self, param: str, group: Any) -> tuple[FloatArray, float]:
        names = list(self.estimates)
        if param not in names:
            raise InvalidInputError(f"param: unknown parameter {param!r:.60}; known: {names}")
        if group is None and param not in self.shared:
            raise InvalidInputError(f"group: {param} is fitted per group; name one of {list(self.groups)!r:.200}")
        g = 0 if group is None else next((i for i, x in enumerate(self.groups) if x == group), None)
        if g is None:
            raise InvalidInputError(f"group: no group {group!r:.60}; the groups are {list(self.groups)!r:.200}")
        column = self.samples[:, g, names.index(param)]
        return column[np.isfinite(column)], float(self.estimates[param][g])

    def ci(self, param: str, group: Any = None, level: float | None = None, method: str = "percentile") -> Any:
        """Interval of `param` (of `group`, for a per-group parameter): "percentile" or "basic"."""
        m = iv.method(method)
        if m == "bca":
            raise InvalidInputError("method: the joint bootstrap gives 'percentile' and 'basic' intervals")
        column, estimate = self._column(param, group)
        if column.size == 0:
            return iv.ConfidenceInterval(math.nan, math.nan)
        lv = self.level if level is None else iv.level(level)
        return iv.intervals(column[:, None], np.array([estimate]), None, lv, m)[0]

    def se(self, param: str, group: Any = None) -> float:
        column, _ = self._column(param, group)
        return float(np.std(column, ddof=1)) if column.size > 1 else math.nan

    def _table(self) -> dict[str, Any]:
        rows: dict[str, list[Any]] = {"group": [], "parameter": [], "estimate": [], "se": [], "low": [], "high": []}
        for param in self.estimates:
            for group in [None] if param in self.shared else list(self.groups):
                lo, hi = self.ci(param, group)
                _, est = self._column(param, group)
                for key, value in zip(rows, (group, param, est, self.se(param, group), lo, hi), strict=True):
                    rows[key].append(value)
        return rows

    def __repr__(self) -> str:
        b, g = self.samples.shape[0], len(self.groups)
        return f"JointBootstrap({self.law}: {g} groups, {b} stratified replicates, {self.n_failed} failed)"


def _labels(source: Any, r: Runs, group: Any) -> np.ndarray[Any, Any]:
    """One label per run: a column of the table `source`, the runs' own group column, or the labels given."""
    if isinstance(group, str):
        if isinstance(source, Runs):
            if group == "group" and r.group is not None:
                return r.group
            raise InvalidInputError(f"group: a Runs table has no column {group!r}; pass one label per run")
        if group not in _column_names(source):
            raise InvalidInputError(f"group: no column {group!r}; the table has {_column_names(source)}")
        labels = np.asarray(_column_of(source, group))
    else:
        try:
            labels = np.asarray(group)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"group: needs one label per run, got {group!r:.60} ({exc})") from None
    if labels.ndim != 1 or len(labels) != len(r):
        raise InvalidInputError(f"group: needs one label per run ({len(r)}), got shape {labels.shape}")
    if labels.dtype.kind in "fc" and not np.isfinite(labels).all():
        raise InvalidInputError("group: labels must not be NaN or infinite")
    if labels.dtype.kind not in "biufcUSO":
        raise InvalidInputError(f"group: labels must be numbers or strings, got dtype {labels.dtype}")
    return labels


def _shared(law: Law, shared: Any) -> list[int]:
    if shared is None:
        return []
    names = [shared] if isinstance(shared, str) else shared
    if not isinstance(names, Iterable):
        raise InvalidInputError(f"shared: must be a list of parameter names, got {shared!r:.60}")
    out = []
    for name in names:
        if name not in law.param_names:
            raise InvalidInputError(f"shared: unknown parameter {name!r:.60} for {law.name}; known: {law.param_names}")
        out.append(law.param_names.index(name))
    return out


def fit_joint(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    group: Any,
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
) -> JointFit:
    """`sc.fit` with ``group=``: one law per group, the parameters named in `shared` common to all groups.
    Other options as for `sc.fit` (``init`` is each group's own multi-start)."""
    if group is None:
        raise InvalidInputError("group: a joint fit needs group labels (a column name or one label per run)")
    # A table's other columns (the labels among them) are not Runs columns: take the Runs columns only.
    r = Runs.from_frame(runs) if isinstance(runs, Mapping) else as_runs(runs)
    labels = _labels(runs, r, group)
    try:
        keys, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise InvalidInputError("group: labels must be mutually comparable (all numbers or all strings)") from None
    lw = get_law(law)
    shared_i = _shared(lw, shared)
    columns = {name: getattr(r, name) for name in lw.inputs if r.has(name)}
    mode, start_rows = starts(lw, init)
    fixed_i, ties_i = constraints(lw, fixed, tie)
    delta = real("delta", delta)
    with options.progress(progress, "joint fit") as callback:
        handle = _core.joint_fit(
            lw.name,
            columns,
            r.loss,
            codes.astype(np.int64).tolist(),
            shared_i,
            weights=r.weight if weights is None else as_float_array("weights", weights),
            objective=str(objective),
            delta=delta,
            asymmetry=real("asymmetry", asymmetry),
            init=mode,
            starts=start_rows,
            fixed=fixed_i,
            ties=ties_i,
            max_iter=integer("max_iter", max_iter),
            ftol=positive_float("ftol", ftol),
            gtol=positive_float("gtol", gtol),
            n_threads=check_threads(n_threads),
            progress=callback,
        )
    result = from_handle(handle, tuple(keys.tolist()), delta)
    if not result.converged:
        msg = f"the joint {lw.name} fit did not converge (stopped by {result.stop})"
        if strict:
            raise ConvergenceError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return result


def from_handle(handle: Any, groups: tuple[Any, ...], delta: float) -> JointFit:
    lw = get_law(handle.law)
    theta = np.asarray(handle.thetas, dtype=np.float64)
    public = [lw.to_public(row) for row in theta]
    return JointFit(
        law=lw.name,
        groups=groups,
        shared=tuple(lw.param_names[i] for i in handle.shared),
        params={p: np.array([row[p] for row in public]) for p in lw.param_names},
        objective=float(handle.objective),
        group_objectives=np.asarray(handle.group_objectives),
        converged=bool(handle.converged),
        stop=str(handle.stop),
        iterations=int(handle.iterations),
        n_starts=int(handle.n_starts),
        n_at_best=int(handle.n_at_best),
        n_runs=tuple(int(n) for n in handle.sizes),
        objective_name=str(handle.objective_name),
        delta=delta,
        theta=theta,
        handle=handle,
    )
