"""Compute-optimal allocation (docs/methods.md section 5).

For a fitted law, the model size N and training tokens D that minimise the predicted loss at a budget,
under the cost C = f N D + 2 N D_inference (f FLOPs per parameter-token, 6 by default; D_inference the
lifetime inference tokens, Sardana et al. 2023). Chinchilla without inference cost has Hoffmann et al.'s
closed form: G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/f)^(beta/(alpha+beta)),
D_opt = G^-1 (C/f)^(alpha/(alpha+beta)). Every other case is a bracketed 1-D minimisation along the
iso-cost curve in the Rust core, vectorised over budgets; so is a user's own cost function (``cost=``),
which the core calls once per search step for all budgets. The data-constrained law takes the unique
tokens U available (Muennighoff et al. 2023). `compute_for_loss` answers the inverse question.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._results_io import ResultIO
from ._shape import flat, restore
from ._validation import FloatArray, as_float_array, real
from ._validation import n_threads as check_threads
from .errors import ExtrapolationWarning, InvalidInputError
from .laws import Law
from .laws import get as _get_law

__all__ = ["Allocation", "allocate", "chinchilla_allocation", "compute_for_loss"]


@functools.lru_cache(maxsize=64)
def _law_by_name(name: str) -> Law:
    return _get_law(name)


def get_law(name: str) -> Law:
    """The law called `name` (registry look-ups cached: allocation is called in tight loops)."""
    if not isinstance(name, str):
        return _get_law(name)
    return _law_by_name(name)


_Status = _core.AllocationStatus


@dataclass(frozen=True)
class Allocation(ResultIO):
    """Compute-optimal model size N, training tokens D and predicted loss per budget `compute`.

    ``compute`` is the total cost (training plus inference when ``inference_tokens`` is given). With a
    bootstrap source, ``N_ci``, ``D_ci`` and ``loss_ci`` hold (lower, upper) percentile bounds per budget.
    The fields take the budgets' shape: a scalar budget gives NumPy scalars (and a (2,) interval).
    """

    compute: FloatArray
    N: FloatArray
    D: FloatArray
    loss: FloatArray
    extrapolated: np.ndarray[Any, np.dtype[np.bool_]]
    law: str = "chinchilla"
    inference_tokens: FloatArray | None = field(default=None, repr=False)
    N_ci: FloatArray | None = field(default=None, repr=False)
    D_ci: FloatArray | None = field(default=None, repr=False)
    loss_ci: FloatArray | None = field(default=None, repr=False)
    level: float | None = None

    @property
    def tokens_per_param(self) -> FloatArray:
        return self.D / self.N

    def _table(self) -> dict[str, Any]:
        out = {k: np.ravel(getattr(self, k)) for k in ("compute", "N", "D", "tokens_per_param", "loss", "extrapolated")}
        for name in ("N", "D", "loss"):
            ci = getattr(self, f"{name}_ci")
            if ci is not None:
                ends = np.reshape(ci, (-1, 2))
                out |= {f"{name}_low": ends[:, 0], f"{name}_high": ends[:, 1]}
        return out

    def plot(self, **options: Any) -> Any:
        """N and D against compute, with intervals when present (`scalecore.plot.frontier`; needs matplotlib)."""
        from . import plot

        return plot.frontier(self, **options)

    def __len__(self) -> int:
        if np.ndim(self.compute) == 0:
            raise TypeError("len() of an allocation for a scalar budget")
        return len(self.compute)

    def __repr__(self) -> str:
        rows = []
        ci = None if self.N_ci is None else np.reshape(self.N_ci, (-1, 2))
        flat_fields = (np.ravel(v) for v in (self.compute, self.N, self.D, self.loss, self.extrapolated))
        for i, (c, n, d, lo, x) in enumerate(zip(*flat_fields, strict=True)):
            row = f"  C={c:.3g}: N={n:.4g}, D={d:.4g}, D/N={d / n:.3g}, loss={lo:.4f}"
            if ci is not None:
                row += f", N in [{ci[i, 0]:.4g}, {ci[i, 1]:.4g}]"
            rows.append(row + (" (extrapolated)" if x else ""))
        return f"Allocation({self.law}\n" + "\n".join(rows) + "\n)"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "compute": self.compute.tolist(),
            "N": self.N.tolist(),
            "D": self.D.tolist(),
            "loss": self.loss.tolist(),
            "tokens_per_param": self.tokens_per_param.tolist(),
        }
        for name in ("N_ci", "D_ci", "loss_ci"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.tolist()
        return out


def _shaped(alloc: Allocation, shape: tuple[int, ...]) -> Allocation:
    """The allocation's per-budget fields in the shape of the budgets (NumPy scalars for a scalar)."""
    names = ("compute", "N", "D", "loss", "extrapolated", "inference_tokens", "N_ci", "D_ci", "loss_ci")
    changes: dict[str, Any] = {}
    for k in names:
        value = getattr(alloc, k)
        changes[k] = None if value is None else restore(value, shape)
    return dataclasses.replace(alloc, **changes)


def chinchilla_allocation(
    params: Mapping[str, float], compute: Any, flops_per_param_token: float = 6.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(N_opt, D_opt, loss at the optimum) for each budget, closed form."""
    c = as_float_array("compute", compute, finite=False)
    f = real("flops_per_param_token", flops_per_param_token)
    # The closed form lives in the core (allocation/closed_form.rs), which takes it for chinchilla
    # without inference cost; positive A and B are the law's rule (Law.to_internal), positive exponents
    # the closed form's.
    law = get_law("chinchilla")
    theta = law.to_internal({k: float(params[k]) for k in law.param_names}).tolist()
    out = _core.allocate_law(law.name, theta, c, np.zeros(len(c)), None, f, 1)
    return out.N, out.D, out.loss


@dataclass(frozen=True)
class _Source:
    law: str
    params: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    samples: dict[str, FloatArray] | None


def _source(source: Any, law: str | None) -> _Source:
    """The law, point estimate, fitted input ranges and (for a bootstrap result) replicates of `source`.

    Read by duck typing, so that this module does not import `fit` (which imports it): a bootstrap
    result has ``samples`` (a mapping of parameter -> replicates) and ``law``; a fit result has ``law``,
    ``params`` and ``input_ranges``.
    """
    if isinstance(source, Mapping):
        name = get_law(law or "chinchilla").name
        return _Source(name, {k: real(f"params: {k}", v) for k, v in source.items()}, {}, None)
    name_of = getattr(source, "law", None)
    samples = getattr(source, "samples", None)
    if isinstance(samples, Mapping) and isinstance(name_of, str):
        # A bootstrap result: its point estimate (``params`` or ``fit.params``) and its replicates.
        fit = getattr(source, "fit", None)
        params = getattr(source, "params", None) or getattr(fit, "params", None)
        if not isinstance(params, Mapping):
            params = {k: float(np.nanmedian(np.asarray(v, dtype=np.float64))) for k, v in samples.items()}
        ranges = dict(getattr(fit, "input_ranges", {}) or {})
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
        return _Source(name_of, {k: float(v) for k, v in params.items()}, ranges, arrays)
    params = getattr(source, "params", None)
    if isinstance(name_of, str) and isinstance(params, Mapping):
        ranges = dict(getattr(source, "input_ranges", {}) or {})
        return _Source(name_of, {k: float(v) for k, v in params.items()}, ranges, None)
    raise InvalidInputError(
        f"source: expected a FitResult, a bootstrap result or a dict of parameters, got {type(source).__name__}"
    )


def _replicates(lw: Law, samples: Mapping[str, FloatArray]) -> FloatArray:
    """Bootstrap samples as rows of internal parameters, the rows the law cannot take (non-finite, or a
    non-positive coefficient fitted as a logarithm) left out."""
    missing = [p for p in lw.param_names if p not in samples]
    if missing:
        raise InvalidInputError(f"source: bootstrap samples lack parameters {missing}")
    rows = np.column_stack([samples[p] for p in lw.param_names])
    logs = np.asarray(lw.log_params, dtype=bool)
    ok = np.all(np.isfinite(rows), axis=1) & np.all(rows[:, logs] > 0, axis=1)
    kept = rows[ok]
    kept[:, logs] = np.log(kept[:, logs])
    return np.ascontiguousarray(kept)


def _per_budget(name: str, value: Any, n: int) -> FloatArray:
    arr, _ = flat(name, value, finite=False)
    if arr.size == 1:
        return np.full(n, float(arr[0]))
    if arr.size != n:
        raise InvalidInputError(f"{name}: needs one value or one per budget ({n}), got {arr.size}")
    return arr


def _inputs(src: _Source, n: int, inference_tokens: Any, unique_tokens: Any) -> tuple[FloatArray, FloatArray | None]:
    lw = get_law(src.law)
    inference = np.zeros(n) if inference_tokens is None else _per_budget("inference_tokens", inference_tokens, n)
    if "U" in lw.inputs:
        if unique_tokens is None:
            raise InvalidInputError(f"unique_tokens: the {lw.name} law needs the unique tokens available (U)")
        return inference, _per_budget("unique_tokens", unique_tokens, n)
    if unique_tokens is not None:
        raise InvalidInputError(f"unique_tokens: the {lw.name} law does not model repeated data; use data_constrained")
    return inference, None


def _check_status(status: Any, compute: FloatArray) -> None:
    bad = np.flatnonzero(np.asarray(status) != int(_Status.OPTIMAL))
    if bad.size:
        i = int(bad[0])
        reason = _Status.from_code(int(status[i])).message
        raise InvalidInputError(
            f"compute: no compute-optimal allocation for {bad.size} budget(s), e.g. compute={compute[i]:.6g}: {reason}"
        )


def _check_representable(compute: FloatArray, f: float, n: FloatArray, d: FloatArray, loss: FloatArray) -> None:
    """An optimum whose N or D under- or overflows (a budget of 5e-324 FLOPs, a FLOP factor of 1e-300) is
    not an answer: refused, naming the budget."""
    ok = np.isfinite(n) & (n > 0) & np.isfinite(d) & (d > 0) & np.isfinite(loss)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise InvalidInputError(
            f"compute: the optimum at compute={compute[i]:.6g} with flops_per_param_token={f!r} is beyond double "
            f"precision (N={n[i]:.6g}, D={d[i]:.6g}, loss={loss[i]:.6g})"
        )


def _extrapolated(
    ranges: Mapping[str, tuple[float, float]], n: FloatArray, d: FloatArray, f: float, u: FloatArray | None
) -> Any:
    """Budgets whose optimum lies outside the fitted runs' range of any input the law reads."""
    values = {"N": n, "D": d, "C": f * n * d, "M": d / n}
    if u is not None:
        values["U"] = u
    outside = np.zeros(len(n), dtype=bool)
    for name, v in values.items():
        if name in ranges:
            lo, hi = ranges[name]
            outside |= (v < lo) | (v > hi)
    if outside.any():
        names = "/".join(k for k in values if k in ranges)
        warnings.warn(
            f"{int(outside.sum())} of {len(n)} allocations lie outside the {names} range of the fitted runs",
            ExtrapolationWarning,
            stacklevel=3,
        )
    return outside


def allocate(
    source: Any,
    *,
    compute: Any,
    law: str | None = None,
    flops_per_param_token: float = 6.0,
    inference_tokens: Any = None,
    unique_tokens: Any = None,
    level: float = 0.95,
    n_threads: int | None = None,
    cost: Any = None,
) -> Allocation:
    """Compute-optimal N, D and loss for budgets `compute` (FLOPs; an array is vectorised).

    source: a FitResult, a bootstrap result (adds percentile intervals at `level`), or a dict of
        parameters with `law=` naming the law (default chinchilla).
    flops_per_param_token: training FLOPs per parameter per token (C = f N D).
    inference_tokens: lifetime inference tokens per budget (scalar or array); the budget then pays
        2 N D_inference on top of training (Sardana et al. 2023).
    unique_tokens: unique tokens U available, for the data_constrained law.
    cost: your own cost model, a vectorised callable cost(N, D) -> FLOPs increasing in D (e.g. with
        attention FLOPs or a price per token); replaces inference_tokens (flops_per_param_token then only
        gives laws that read C their training compute f N D). The Rust search calls it once per step
        with the points of every budget; point estimates only.
    Budgets whose optimum lies outside the fitted runs' N or D range are flagged ``extrapolated`` with an
    ExtrapolationWarning. A law with no interior optimum along the cost curve raises InvalidInputError.
    """
    src = _source(source, law)
    lw = get_law(src.law)
    # Types are read here; the ranges of compute, flops_per_param_token, inference_tokens, unique_tokens
    # and level are the core's rules (allocation::check_budgets, intervals::check_level).
    c, shape = flat("compute", compute, finite=False)
    f = real("flops_per_param_token", flops_per_param_token)
    inference, unique = _inputs(src, len(c), inference_tokens, unique_tokens)
    if cost is not None:
        if inference_tokens is not None:
            raise InvalidInputError("cost: include inference in your cost function rather than inference_tokens")
        out = _core.allocate_law_cost(lw.name, lw.to_internal(src.params).tolist(), c, cost, unique, f)
        _check_status(out.status, c)
        n, d, loss = out.N, out.D, out.loss
        _check_representable(c, f, n, d, loss)
        alloc = Allocation(
            compute=c, N=n, D=d, loss=loss, extrapolated=_extrapolated(src.ranges, n, d, f, unique), law=lw.name
        )
        return _shaped(alloc, shape)
    theta = lw.to_internal(src.params).tolist()
    thetas = None if src.samples is None else _replicates(lw, src.samples)
    # One crossing: the point allocation and, for a bootstrap source, the intervals from the core's
    # interval path (replicates without an interior optimum at a budget left out of its interval).
    lvl = 0.95 if thetas is None else real("level", level)
    out = _core.allocate_law(
        lw.name, theta, c, inference, unique, f, check_threads(n_threads), thetas=thetas, level=lvl
    )
    _check_status(out.status, c)
    n, d, loss = out.N, out.D, out.loss
    _check_representable(c, f, n, d, loss)
    alloc = Allocation(
        compute=c,
        N=n,
        D=d,
        loss=loss,
        extrapolated=_extrapolated(src.ranges, n, d, f, unique),
        law=lw.name,
        inference_tokens=inference if inference_tokens is not None else None,
        N_ci=out.N_ci,
        D_ci=out.D_ci,
        loss_ci=out.loss_ci,
        level=None if thetas is None else lvl,
    )
    return _shaped(alloc, shape)


def compute_for_loss(
    source: Any,
    loss: Any,
    *,
    law: str | None = None,
    flops_per_param_token: float = 6.0,
    inference_tokens: Any = None,
    unique_tokens: Any = None,
    n_threads: int | None = None,
) -> Allocation:
    """The least total compute whose compute-optimal allocation reaches each target `loss`.

    Returns an Allocation whose ``compute`` is that least budget. A target the law cannot reach (at or
    below its floor E, or below the plateau a limited number of unique tokens imposes) raises
    InvalidInputError saying the lowest loss reachable.
    """
    src = _source(source, law)
    lw = get_law(src.law)
    targets, shape = flat("loss", loss, finite=False)
    f = real("flops_per_param_token", flops_per_param_token)
    inference, unique = _inputs(src, len(targets), inference_tokens, unique_tokens)
    theta = lw.to_internal(src.params).tolist()
    out = _core.compute_for_loss_law(lw.name, theta, targets, inference, unique, f, check_threads(n_threads))
    status = out.status
    bad = np.flatnonzero(status == int(_Status.UNREACHABLE))
    if bad.size:
        i = int(bad[0])
        target, lowest, floor = float(targets[i]), float(out.loss[i]), src.params.get("E")
        if floor is not None and target <= floor:
            why = f"it is at or below the law's floor E = {floor:.6g}"
        elif np.isfinite(lowest):
            why = f"the lowest loss with up to 1e59 FLOPs is {lowest:.6g}"
        else:
            why = f"no budget up to 1e59 FLOPs reaches it (with flops_per_param_token={f!r})"
        raise InvalidInputError(f"loss: target {target!r} is not reachable: {why}")
    compute = out.compute
    _check_status(status, compute)
    n, d = out.N, out.D
    alloc = Allocation(
        compute=compute,
        N=n,
        D=d,
        loss=out.loss,
        extrapolated=_extrapolated(src.ranges, n, d, f, unique),
        law=lw.name,
        inference_tokens=inference if inference_tokens is not None else None,
    )
    return _shaped(alloc, shape)
