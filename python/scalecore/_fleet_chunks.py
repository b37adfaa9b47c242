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
from .runs import _column_of


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


def _chunk_rows(codes: Any, n_groups: int, chunk_size: int, start: int = 0) -> Iterator[tuple[int, int, Any]]:
    """(first, last, rows) for the groups [first, last) of chunk_size each from `start`: the table's rows of
    those groups, group by group, each group's rows in table order (the table is sorted once)."""
    order = np.argsort(codes, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_groups))])
    for first in range(start, n_groups, chunk_size):
        last = min(first + chunk_size, n_groups)
        yield first, last, order[offsets[first] : offsets[last]]


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
    for first, last, rows in _chunk_rows(codes, n_groups, chunk_size, start):
        yield (
            first,
            {k: v[rows] for k, v in columns.items()},
            loss[rows],
            None if weights is None else weights[rows],
            codes[rows] - first,
            last - first,
        )


def _group_codes(table: Any, by: list[str]) -> tuple[np.ndarray[Any, Any], list[np.ndarray[Any, Any]]]:
    """Each row's group code (0..G, groups in sorted key order) and each key's value per group."""
    codes: np.ndarray[Any, Any] | None = None
    uniques: list[np.ndarray[Any, Any]] = []
    inverses: list[np.ndarray[Any, Any]] = []
    for b in by:
        u, inv = np.unique(np.asarray(_column_of(table, b)), return_inverse=True)
        uniques.append(u)
        inverses.append(inv.reshape(-1))
    if len(by) == 1:
        return inverses[0].astype(np.int64), uniques
    dims = tuple(len(u) for u in uniques)
    combined = np.ravel_multi_index(tuple(inverses), dims)
    present, codes = np.unique(combined, return_inverse=True)
    parts = np.unravel_index(present, dims)
    return codes.reshape(-1).astype(np.int64), [u[p] for u, p in zip(uniques, parts, strict=True)]
