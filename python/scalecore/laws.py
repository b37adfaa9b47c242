"""The scaling-law families: names, parameters, inputs and predictions (docs/methods.md section 1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from ._validation import FloatArray, as_float_array
from .errors import InvalidInputError

__all__ = ["DefinedLaw", "Law", "define", "defined_names", "get", "names"]


@dataclass(frozen=True)
class Law:
    """A law family. Positive coefficients are fitted as their logarithms (``log_params``)."""

    name: str
    param_names: tuple[str, ...]
    log_params: tuple[bool, ...]
    inputs: tuple[str, ...]
    n_grid: int

    def to_internal(self, params: Mapping[str, float]) -> FloatArray:
        """Public parameter values to the optimiser's coordinates (logs of the positive ones)."""
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params: must be a mapping {{name: value}}, got {params!r:.60}")
        missing = [p for p in self.param_names if p not in params]
        if missing:
            raise InvalidInputError(f"params: missing {missing} for the {self.name} law")
        out = np.empty(len(self.param_names))
        for i, (p, is_log) in enumerate(zip(self.param_names, self.log_params)):
            try:
                v = float(params[p])
            except (TypeError, ValueError, OverflowError):
                raise InvalidInputError(f"params: {p} must be a number, got {params[p]!r:.60}") from None
            if is_log and not v > 0:
                raise InvalidInputError(f"params: {p} must be positive, got {v!r}")
            out[i] = np.log(v) if is_log else v
        return out

    def to_public(self, theta: Any) -> dict[str, float]:
        t = np.asarray(theta, dtype=np.float64)
        return {
            p: float(np.exp(v)) if is_log else float(v) for p, is_log, v in zip(self.param_names, self.log_params, t)
        }

    def predict(self, params: Mapping[str, float], **columns: Any) -> FloatArray:
        """The law's prediction at the given inputs, e.g. ``law.predict(params, N=..., D=...)``."""
        theta = self.to_internal(params)
        return np.asarray(_core.law_predict(self.name, theta.tolist(), self.columns(columns)))

    def columns(self, columns: Mapping[str, Any]) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        n = None
        for name in self.inputs:
            if columns.get(name) is None:
                raise InvalidInputError(f"{name}: the {self.name} law needs input {name}")
            # A defined law checks its own domain (the core names the part of the expression).
            out[name] = as_float_array(name, columns[name], positive=not isinstance(self, DefinedLaw))
            if n is not None and len(out[name]) != n:
                raise InvalidInputError(f"{name}: has {len(out[name])} rows, expected {n}")
            n = len(out[name])
        return out

    def __repr__(self) -> str:
        return f"Law({self.name!r}, params={self.param_names}, inputs={self.inputs})"


# The static description of every law, read from the extension once at import (name -> parameter
# names, which are fitted as logarithms, inputs, default grid size): looking a law up never crosses.
_LAWS: dict[str, Law] = {
    name: Law(name=name, param_names=tuple(p), log_params=tuple(lg), inputs=tuple(i), n_grid=int(g))
    for name, (p, lg, i, g) in _core.LAWS.items()
}


_BUILT_IN = tuple(_LAWS)


@dataclass(frozen=True, repr=False)
class DefinedLaw(Law):
    """A law given by an expression (`define`). It pickles as its definition: unpickling defines it
    again, so a worker process can fit it."""

    expr: str = ""
    positive: tuple[str, ...] = ()
    bounds: tuple[tuple[str, float, float], ...] = ()
    declared_inputs: tuple[str, ...] | None = None
    declared_params: tuple[str, ...] | None = None
    grid: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _redefine,
            (
                self.name,
                self.expr,
                self.positive,
                self.bounds,
                self.declared_inputs,
                self.declared_params,
                self.grid,
            ),
        )

    def __repr__(self) -> str:
        return f"DefinedLaw({self.name!r}, {self.expr!r}, params={self.param_names}, inputs={self.inputs})"


def _redefine(
    name: str,
    expr: str,
    positive: tuple[str, ...],
    bounds: tuple[tuple[str, float, float], ...],
    inputs: tuple[str, ...] | None,
    params: tuple[str, ...] | None,
    grid: tuple[tuple[str, tuple[float, ...]], ...],
) -> DefinedLaw:
    return define(
        name,
        expr,
        positive=positive,
        bounds={p: (lo, hi) for p, lo, hi in bounds},
        inputs=inputs,
        params=params,
        grid={p: list(v) for p, v in grid},
    )


def _names(arg: str, value: Any) -> tuple[str, ...]:
    """A name or an iterable of names (strings)."""
    if isinstance(value, str):
        return (value,)
    names = list(value) if isinstance(value, Iterable) else None
    if names is None or not all(isinstance(v, str) for v in names):
        raise InvalidInputError(f"{arg}: must be a name or a list of names, got {value!r:.80}")
    return tuple(names)


def _pairs(arg: str, value: Any) -> list[tuple[str, Any]]:
    """The items of an optional mapping {parameter name: value}."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{arg}: must be a dict {{parameter: value}}, got {value!r:.80}")
    return [(str(k), v) for k, v in value.items()]


def _range(param: str, pair: Any) -> tuple[float, float]:
    """A (low, high) pair of numbers (their order and values are the core's rule)."""
    lohi = as_float_array(f"bounds[{param!r}]", pair, finite=False)
    if lohi.size != 2:
        raise InvalidInputError(f"bounds[{param!r}]: must be a pair (low, high), got {pair!r:.80}")
    return float(lohi[0]), float(lohi[1])


def define(
    name: str,
    expr: str,
    *,
    positive: Iterable[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    inputs: Iterable[str] | None = None,
    params: Iterable[str] | None = None,
    grid: Mapping[str, Any] | None = None,
) -> DefinedLaw:
    """A law given by an expression, usable wherever a law name is (fit, bootstrap, predict, allocate).

    ``sc.laws.define("mine", "E + A * N^-alpha + B * D^-beta", positive=["E", "A", "B"],
    bounds={"alpha": (0, 2), "beta": (0, 2)})``

    expr: arithmetic (``+ - * /``, ``^`` or ``**``), numbers, ``pi`` and the functions exp, log (ln),
        log1p, sqrt, abs, softplus, sigmoid, min, max, pow. It is parsed and differentiated in the core;
        errors give the position in the expression.
    inputs: the columns of the runs the expression reads (default: any of x, N, D, U, C, M it names);
        name a column of your own here to read it, e.g. ``inputs=["N", "D", "lr"]`` with
        ``sc.Runs(..., extra={"lr": lrs})``.
    params: the parameters in order (default: every other name, in order of first appearance).
    positive: parameters that are positive, fitted as their logarithms (like E, A, B of chinchilla).
    bounds: {param: (low, high)}: the range of public values the default start grid spans
        (default (1e-2, 1e4) for positive parameters, (0, 1) for the others). Not a constraint.
    grid: {param: values}: start values of a parameter instead of values spread over its range;
        ``init="hoffmann"`` then runs every start of the grid, ``init="auto"`` screens it.
    Defining a name again replaces the earlier law for new fits; built-in names cannot be defined.
    """
    if not isinstance(name, str) or not isinstance(expr, str):
        raise InvalidInputError(f"name, expr: must be strings, got {name!r}, {expr!r}")
    pos = _names("positive", positive)
    bnd = tuple((p, *_range(p, pair)) for p, pair in _pairs("bounds", bounds))
    ins = None if inputs is None else _names("inputs", inputs)
    pars = None if params is None else _names("params", params)
    grd = tuple(
        (str(p), tuple(as_float_array(f"grid[{p!r}]", vals, ndim=1).tolist())) for p, vals in _pairs("grid", grid)
    )
    p, lg, i, g = _core.define_law(
        name,
        expr,
        params=None if pars is None else list(pars),
        positive=list(pos),
        bounds=list(bnd),
        inputs=None if ins is None else list(ins),
        grid=[(q, list(v)) for q, v in grd],
    )
    law = DefinedLaw(
        name=name,
        param_names=tuple(p),
        log_params=tuple(lg),
        inputs=tuple(i),
        n_grid=int(g),
        expr=expr,
        positive=pos,
        bounds=bnd,
        declared_inputs=ins,
        declared_params=pars,
        grid=grd,
    )
    _LAWS[name] = law
    return law


def names() -> list[str]:
    """Names of the built-in laws."""
    return list(_BUILT_IN)


def defined_names() -> list[str]:
    """Names of the laws defined in this process (`define`, or unpickled with a fit)."""
    return list(_core.defined_laws())


def get(name: str | Law) -> Law:
    """The law called `name` (built-in or defined)."""
    if isinstance(name, Law):
        return name
    law = _LAWS.get(name) if isinstance(name, str) else None
    if law is None and isinstance(name, str) and name in _core.defined_laws():
        # Defined in the core by an unpickled fit: describe it from its definition there.
        state = _core.law_definition(name)
        if state is not None:
            n, expr, params, positive, bounds, inputs, grid = state
            law = _redefine(
                n,
                expr,
                tuple(positive),
                tuple(bounds),
                None if inputs is None else tuple(inputs),
                None if params is None else tuple(params),
                tuple((q, tuple(v)) for q, v in grid),
            )
    if law is None:
        raise InvalidInputError(f"law: unknown law {name!r}; known: {names() + defined_names()}")
    return law
