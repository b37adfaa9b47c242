"""From the public options of a fit to the core's specification: runs as a table, starts and the
fixed or tied parameters in the optimiser's internal coordinates (parameter indices, logs of the
positive coefficients). The core validates the specification as a whole (`FitSpec::new`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._validation import FloatArray, as_float_array
from .errors import InvalidInputError
from .laws import Law
from .runs import Runs


def as_runs(runs: Any) -> Runs:
    if isinstance(runs, Runs):
        return runs
    if isinstance(runs, Mapping):
        return Runs(**dict(runs))
    if hasattr(runs, "columns") or hasattr(runs, "column_names"):
        return Runs.from_frame(runs)
    raise InvalidInputError(
        f"runs: expected scalecore.Runs, a mapping of columns or a table, got {type(runs).__name__}"
    )


def starts(law: Law, init: Any) -> tuple[str, FloatArray | None]:
    """("auto" or "hoffmann", None), or ("starts", rows of internal parameters)."""
    if isinstance(init, str):
        return init, None
    if isinstance(init, Mapping):
        unknown = set(init) - set(law.param_names)
        if unknown:
            raise InvalidInputError(f"init: unknown parameters {sorted(unknown)} for {law.name}")
        missing = [p for p in law.param_names if p not in init]
        if missing:
            raise InvalidInputError(f"init: a start needs every parameter; missing {missing}")
        # Read like any other array of numbers (a string or None is an input error naming init), the range
        # of each value is the law's rule (`to_internal`).
        axes = [as_float_array(f"init: {p}", init[p], finite=False) for p in law.param_names]
        rows = [law.to_internal(dict(zip(law.param_names, combo))) for combo in itertools.product(*axes)]
        return "starts", np.ascontiguousarray(rows, dtype=np.float64)
    arr = as_float_array("init", init, ndim=2)
    if arr.shape[1] != len(law.param_names):
        raise InvalidInputError(
            f"init: starts need {len(law.param_names)} columns {law.param_names}, got {arr.shape[1]}"
        )
    rows = [law.to_internal(dict(zip(law.param_names, row))) for row in arr]
    return "starts", np.ascontiguousarray(rows, dtype=np.float64)


def constraints(
    law: Law, fixed: Mapping[str, float] | None, tie: Iterable[Sequence[str]] | None
) -> tuple[list[tuple[int, float]], list[tuple[int, int]]]:
    """Fixed parameters as (index, internal value) and ties as (index, index of the one it follows)."""
    index = {p: i for i, p in enumerate(law.param_names)}

    def idx(name: Any, arg: str) -> int:
        if name not in index:
            raise InvalidInputError(f"{arg}: unknown parameter {name!r} for {law.name}; known: {law.param_names}")
        return index[name]

    if fixed is not None and not isinstance(fixed, Mapping):
        raise InvalidInputError(f"fixed: must be a mapping {{parameter: value}}, got {fixed!r:.60}")
    if tie is not None and (isinstance(tie, str) or not isinstance(tie, Iterable)):
        raise InvalidInputError(f"tie: must be a list of pairs such as [('alpha', 'beta')], got {tie!r:.60}")
    fixed_out = []
    for name, value in (fixed or {}).items():
        i = idx(name, "fixed")
        internal = law.to_internal({**dict.fromkeys(law.param_names, 1.0), name: value})[i]
        fixed_out.append((i, float(internal)))
    ties_out = []
    for group in tie or ():
        if isinstance(group, str):
            group = [g.strip() for g in group.split("=")]
        if not isinstance(group, Sequence):
            raise InvalidInputError(f"tie: each tie is a sequence of parameter names, got {group!r:.60}")
        members = [idx(g, "tie") for g in group]
        if len(members) < 2:
            raise InvalidInputError(f"tie: a tie needs two or more parameters, got {group!r}")
        if len({law.log_params[m] for m in members}) != 1:
            raise InvalidInputError(f"tie: cannot tie a positive coefficient to an exponent: {group!r}")
        ties_out += [(m, members[0]) for m in members[1:]]
    return fixed_out, ties_out
