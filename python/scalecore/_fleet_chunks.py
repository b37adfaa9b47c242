"""A fleet's unit of work, shipped to `map=` workers and checkpointed: the call every chunk shares (law and
options), a chunk's rows (the groups [first, first + chunk_size), cut once from the sorted table), the fit of
one chunk in the core, and its per-group results. Module-level and picklable, so that Dask, Ray or any
executor can run them; `fleet.fit_many` and the checkpointed runs both cut and fit chunks through here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from ._chunks import worker_threads
from ._validation import FloatArray
from .laws import Law


@dataclass(frozen=True)
class _FleetCall:
    """Everything a chunk of a fleet needs besides its rows, picklable (module-level, for `map=`)."""

    law: Law  # a defined law pickles as its definition and is rebuilt on the worker
    options: dict[str, Any]


_PART_FIELDS = ("theta", "objective", "converged", "n_runs", "flags", "condition_number", "n_starts")


@dataclass(frozen=True)
class _FleetPart:
    """A chunk's per-group arrays (what the core's `FleetFits` holds), picklable for the way back."""

    theta: FloatArray
    objective: FloatArray
    converged: np.ndarray[Any, Any]
    n_runs: np.ndarray[Any, Any]
    flags: np.ndarray[Any, Any]
    condition_number: FloatArray
    n_starts: np.ndarray[Any, Any]
    low: FloatArray
    high: FloatArray
    n_failed: np.ndarray[Any, Any]


def _fit_chunk(call: _FleetCall, chunk: tuple[int, dict[str, FloatArray], FloatArray, Any, Any, int]) -> _FleetPart:
    first, columns, loss, weights, codes, n_groups = chunk
    options = {**call.options, "n_threads": worker_threads(call.options["n_threads"])}
    out = _core.fit_fleet(call.law.name, columns, loss, codes, n_groups, weights=weights, first_group=first, **options)
    return _FleetPart(**{name: np.asarray(getattr(out, name)) for name in (*_PART_FIELDS, "low", "high", "n_failed")})


def _chunks(
    columns: dict[str, FloatArray],
    loss: FloatArray,
    weights: FloatArray | None,
    codes: Any,
    n_groups: int,
    chunk_size: int,
    start: int = 0,
) -> Iterator[tuple[int, dict[str, FloatArray], FloatArray, Any, Any, int]]:
    """The rows of groups [first, first + chunk_size), group by group, with codes relative to `first`,
    for first = start, start + chunk_size, ..."""
    order = np.argsort(codes, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_groups))])
    for first in range(start, n_groups, chunk_size):
        last = min(first + chunk_size, n_groups)
        rows = order[offsets[first] : offsets[last]]
        yield (
            first,
            {k: v[rows] for k, v in columns.items()},
            loss[rows],
            None if weights is None else weights[rows],
            codes[rows] - first,
            last - first,
        )
