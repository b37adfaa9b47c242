"""`fit_many(..., checkpoint="fleet.npz")`: the groups of a fleet fitted in chunks, each chunk's results
written to a checkpoint as it completes, so that a run stopped by Ctrl-C, a crash or a killed job resumes
at the first group not yet saved.

A group's fit depends on its rows, the options and (seed, group index) only, never on the chunk it was
fitted in, so the resumed fleet is bit for bit the uninterrupted one. The checkpoint's fingerprint is the
law, the options (the shared pilot starts and the seed included) and the table's columns, so a file
written by another fleet is refused.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._checkpoint import Checkpoint
from ._fleet_chunks import _PART_FIELDS, _chunks, _fit_chunk, _FleetCall, _FleetPart
from ._validation import FloatArray
from .laws import Law

# A saved group is one row: every per-group field of `_FleetPart`, side by side as float64 (the integer
# and boolean fields are exact in float64, and `fit_many` casts them back).
_FIELDS = (*_PART_FIELDS, "low", "high", "n_failed")

Data = tuple[dict[str, FloatArray], FloatArray, FloatArray | None, Any, int]


def _widths(k: int, with_intervals: bool) -> dict[str, int]:
    per_param = {"theta": k, "low": k if with_intervals else 0, "high": k if with_intervals else 0}
    return {name: per_param.get(name, 1) for name in _FIELDS}


def _pack(part: _FleetPart, widths: dict[str, int]) -> FloatArray:
    n = len(np.asarray(part.objective))
    cols = [np.asarray(getattr(part, f), dtype=np.float64).reshape(n, widths[f]) for f in _FIELDS]
    return np.hstack(cols)


def _unpack(rows: FloatArray, widths: dict[str, int]) -> _FleetPart:
    out: dict[str, FloatArray] = {}
    at = 0
    for f in _FIELDS:
        w = widths[f]
        block = rows[:, at : at + w]
        # As the core returns them: theta flat, the interval ends as (groups, parameters), the rest per group.
        out[f] = block.reshape(-1) if f == "theta" else block if f in ("low", "high") else block[:, 0]
        at += w
    return _FleetPart(**out)


def checkpointed_parts(
    law: Law,
    options: dict[str, Any],
    n_threads: int | None,
    data: Data,
    k: int,
    chunk_size: int,
    path: Any,
    map_: Callable[..., Iterable[Any]] | None,
) -> list[Any]:
    """The fleet's results as one part, the groups saved in `path` read back and the rest fitted in chunks
    of `chunk_size` groups (on `map_` when given), the file rewritten after each chunk."""
    columns, loss, weights, codes, n_groups = data
    widths = _widths(k, bool(options.get("n_resamples")))
    fingerprint = pickle.dumps((law, options, columns, loss, weights, codes, n_groups), protocol=5)
    store = Checkpoint(path, fingerprint, sum(widths.values()))
    rows, _ = store.load()
    done = min(len(rows), n_groups)
    saved = [rows[:done]]
    fit = functools.partial(_fit_chunk, _FleetCall(law, {**options, "n_threads": n_threads}))
    chunks = _chunks(columns, loss, weights, codes, n_groups, chunk_size, start=done)
    for part in (map if map_ is None else map_)(fit, chunks):
        saved.append(_pack(part, widths))
        block = np.concatenate(saved)
        store.save(block, np.zeros(len(block), dtype=bool))
    return [_unpack(np.concatenate(saved), widths)]
