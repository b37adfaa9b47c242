"""The scaling-law families: names, parameters, inputs and predictions (docs/methods.md section 1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


LawFunction = Callable[[dict[str, float], dict[str, FloatArray]], Any]


@dataclass(frozen=True, repr=False)
class DefinedLaw(Law):
    """A law given by an expression or a Python function (`define`). It pickles as its definition:
    unpickling defines it again, so a worker process can fit it. A function is pickled by the pickler
    at hand: by reference with `pickle` (it must be importable by name on the worker), by value with
    cloudpickle (what Dask and Ray use for ``map=``, so a lambda or a local function travels too)."""

    expr: str = ""
    positive: tuple[str, ...] = ()
    bounds: tuple[tuple[str, float, float], ...] = ()
    declared_inputs: tuple[str, ...] | None = None
    declared_params: tuple[str, ...] | None = None
    grid: tuple[tuple[str, tuple[float, ...]], ...] = ()
    fn: LawFunction | None = None
    grad: LawFunction | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        if self.fn is not None:
            return (
                _redefine_fn,
                (self.name, self.fn, self.grad, self.param_names, self.positive, self.bounds, self.inputs, self.grid),
            )
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
        form = self.expr if self.fn is None else f"fn={getattr(self.fn, '__qualname__', self.fn)}"
        return f"DefinedLaw({self.name!r}, {form!r}, params={self.param_names}, inputs={self.inputs})"


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


def _redefine_fn(
    name: str,
    fn: LawFunction,
    grad: LawFunction | None,
    params: Iterable[str],
    positive: Iterable[str],
    bounds: Iterable[tuple[str, float, float]],
    inputs: Iterable[str],
    grid: Iterable[tuple[str, Iterable[float]]],
) -> DefinedLaw:
    return define(
        name,
        fn=fn,
        grad=grad,
        params=params,
        positive=positive,
        bounds={p: (lo, hi) for p, lo, hi in bounds},
        inputs=inputs,
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
    expr: str | None = None,
    *,
    fn: LawFunction | None = None,
    grad: LawFunction | None = None,
    positive: Iterable[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    inputs: Iterable[str] | None = None,
    params: Iterable[str] | None = None,
    grid: Mapping[str, Any] | None = None,
) -> DefinedLaw:
    """A law given by an expression (or a Python function), usable wherever a law name is (fit,
    bootstrap, predict, allocate, fit_many, backtest).

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
    fn: instead of ``expr``, for a form an expression cannot say: ``fn(params, columns)`` returns the
        predicted loss of each row, ``params`` a dict {name: value} (public values), ``columns`` a
        dict {input name: array of a block of rows}. ``params`` and ``inputs`` must then be given.
        The core calls it (holding the GIL) for blocks of rows, so it is much slower than an
        expression but gets the same optimiser, grids, bootstrap and allocation. An exception in it
        stops the call with an InvalidInputError naming the law (the exception as its cause);
        return NaN or inf where the law is undefined, as an expression gives.
    grad: with ``fn``, ``grad(params, columns)`` returns the derivatives of the predictions with
        respect to the public parameters, shape (parameters, rows); without it the core takes central
        differences (2 more calls of ``fn`` per parameter).
    Defining a name again replaces the earlier law for new fits; built-in names cannot be defined.
    """
    if not isinstance(name, str):
        raise InvalidInputError(f"name: must be a string, got {name!r}")
    if (expr is None) == (fn is None):
        raise InvalidInputError(f"expr, fn: give exactly one of an expression and a function, got {expr!r}, {fn!r}")
    if expr is not None and not isinstance(expr, str):
        raise InvalidInputError(f"expr: must be a string, got {expr!r}")
    pos = _names("positive", positive)
    bnd = tuple((p, *_range(p, pair)) for p, pair in _pairs("bounds", bounds))
    ins = None if inputs is None else _names("inputs", inputs)
    pars = None if params is None else _names("params", params)
    grd = tuple(
        (str(p), tuple(as_float_array(f"grid[{p!r}]", vals, ndim=1).tolist())) for p, vals in _pairs("grid", grid)
    )
    grid_list = [(q, list(v)) for q, v in grd]
    if fn is not None:
        if pars is None or ins is None:
            raise InvalidInputError(f"params, inputs: a law given by fn= needs both named, got {pars!r}, {ins!r}")
        p, lg, i, g = _core.define_fn_law(
            name, fn, grad, params=list(pars), positive=list(pos), bounds=list(bnd), inputs=list(ins), grid=grid_list
        )
    else:
        if grad is not None:
            raise InvalidInputError("grad: only a law given by fn= takes a gradient function")
        assert expr is not None
        p, lg, i, g = _core.define_law(
            name,
            expr,
            params=None if pars is None else list(pars),
            positive=list(pos),
            bounds=list(bnd),
            inputs=None if ins is None else list(ins),
            grid=grid_list,
        )
    law = DefinedLaw(
        name=name,
        param_names=tuple(p),
        log_params=tuple(lg),
        inputs=tuple(i),
        n_grid=int(g),
        expr="" if expr is None else expr,
        positive=pos,
        bounds=bnd,
        declared_inputs=ins,
        declared_params=pars,
        grid=grd,
        fn=fn,
        grad=grad,
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
        if state is not None and len(state) == 8:
            law = _redefine_fn(*state)
        elif state is not None:
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
