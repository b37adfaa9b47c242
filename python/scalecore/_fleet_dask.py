"""`sc.fit_many` on a Dask DataFrame (docs/fleets.md): the fleet is fitted partition by partition on Dask's
workers, every group whole in one partition, and the result equals that of the same table in pandas bit for
bit.

1. The distinct keys are collected (one row per group) and sorted as `fit_many` sorts them; group g is
   the g-th key. Every row is tagged with its group code and its position in the table.
2. The shared starts are the pilot's of the local run: the same groups (`_core.fleet_pilot_groups`) are
   fetched and fitted on the caller's machine.
3. ``set_index`` on the code moves each group whole into one partition holding a contiguous range of
   codes; inside a partition, rows are put back in table order (the order a group's bootstrap resamples
   and its objective sums follow). Each partition is then one chunk of the fleet: its first code fixes
   its groups' random streams, as any chunk of `map=` does.

Each partition task runs `n_threads` Rust threads (default 1: one per Dask worker thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from ._fit_spec import starts as law_starts
from .errors import InvalidInputError, ScalecoreError
from .laws import Law
from .runs import _column_names, _column_of

if TYPE_CHECKING:
    from ._validation import FloatArray

# The options of one fit (the pilot's); the fleet adds its starts and resampling to them.
_FIT_OPTIONS = ("objective", "delta", "asymmetry", "fixed", "ties", "max_iter", "ftol", "gtol")


def _is_dask_frame(table: Any) -> bool:
    return type(table).__module__.startswith("dask.") and hasattr(table, "to_delayed")


@dataclass(frozen=True)
class _Columns:
    """Which table columns feed the law's inputs, the loss and the weights."""

    law: Law
    names: dict[str, str | None]
    loss: str
    weight: str | None

    def read(self, table: Any) -> tuple[dict[str, FloatArray], FloatArray, FloatArray | None]:
        present = set(_column_names(table))
        columns = {}
        for name in self.law.inputs:
            given = self.names.get(name)  # an extra input of a defined law is the column of its name
            col = name if given is None else given
            if given is None and present and col not in present:
                raise InvalidInputError(
                    f"{name}: the {self.law.name} law needs the input {name}; pass {name}='<column>'"
                )
            columns[name] = np.asarray(_column_of(table, col), dtype=np.float64)
        loss_values = np.asarray(_column_of(table, self.loss), dtype=np.float64)
        weights = None if self.weight is None else np.asarray(_column_of(table, self.weight), dtype=np.float64)
        return columns, loss_values, weights


def _start_options(
    law: Law,
    init: Any,
    columns: dict[str, FloatArray],
    loss: FloatArray,
    weights: FloatArray | None,
    codes: Any,
    n_groups: int,
    threads: int | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Where every group's fit starts: the shared pilot optima of these rows (`init="shared"`, run on
    every group given, so pass only the pilot groups' rows when the table lives elsewhere), or `init`'s."""
    if isinstance(init, str) and init == "shared":
        fit_options = {k: v for k, v in options.items() if k in _FIT_OPTIONS}
        shared = _core.fleet_pilot(
            law.name, columns, loss, codes, n_groups, weights=weights, n_threads=threads, **fit_options
        )
        return {"init": "shared", "shared": shared}
    mode, start_rows = law_starts(law, init)
    return {"init": mode, "starts": start_rows}


_CODE, _ROW = "__scalecore_group__", "__scalecore_row__"


def _tag(part: Any, keys: Any, by: list[str], offsets: Any, partition_info: Any = None) -> Any:
    """A partition with each row's group code (its key's position in the sorted `keys`) and table position."""
    import pandas as pd

    number = 0 if partition_info is None else int(partition_info["number"])
    index = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]])
    probe = pd.MultiIndex.from_frame(part[by]) if len(by) > 1 else pd.Index(part[by[0]])
    return part.assign(
        **{
            _CODE: np.asarray(index.get_indexer(probe), dtype=np.int64),
            _ROW: np.arange(len(part), dtype=np.int64) + int(offsets[number]),
        }
    )


def _in_order(part: Any) -> Any:
    """A partition's rows sorted by group code, then by position in the table."""
    return part.reset_index().sort_values([_CODE, _ROW], kind="stable")


def _fit_partition(columns: _Columns, options: dict[str, Any], fleet: Any, part: Any) -> Any:
    """One partition's groups (a contiguous range of codes) fitted as one chunk of the fleet; None if empty."""
    call_type, fit_chunk, _ = fleet
    if len(part) == 0:
        return None
    rows = _in_order(part)
    codes = rows[_CODE].to_numpy()
    first = int(codes[0])
    cols, loss, weights = columns.read(rows)
    chunk = (first, cols, loss, weights, codes - first, int(codes[-1]) - first + 1)
    return fit_chunk(call_type(columns.law, options), chunk)


def fit_frame(
    ddf: Any,
    columns: _Columns,
    by: list[str],
    options: dict[str, Any],
    init: Any,
    seed: int | None,
    threads: int | None,
    fleet: tuple[Any, Any, Any],
) -> Any:
    """fit_many of a Dask DataFrame; `fleet` is fleet.py's (call type, chunk function, table assembler), passed
    in so that this module does not import fleet.py (which imports it)."""
    from dask.base import compute
    from dask.delayed import delayed

    missing = [b for b in by if b not in ddf.columns]
    if missing:
        raise InvalidInputError(f"by: no column {missing[0]!r} in the table; it has {list(ddf.columns)}")
    keys = ddf[by].drop_duplicates().compute().sort_values(by, kind="stable").reset_index(drop=True)
    n_groups = len(keys)
    if n_groups == 0:
        raise InvalidInputError("table: has no rows")
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
    meta = ddf._meta.assign(**{_CODE: np.int64(0), _ROW: np.int64(0)})
    tagged = ddf.map_partitions(_tag, keys, by, offsets, meta=meta)

    if isinstance(init, str) and init == "shared":
        picks = np.asarray(_core.fleet_pilot_groups(n_groups), dtype=np.int64)
        pilot = tagged[tagged[_CODE].isin(picks)].compute().sort_values([_CODE, _ROW], kind="stable")
        cols, loss, weights = columns.read(pilot)
        pilot_codes = np.searchsorted(picks, pilot[_CODE].to_numpy())
        starts = _start_options(columns.law, init, cols, loss, weights, pilot_codes, len(picks), threads, options)
    else:
        starts = _start_options(columns.law, init, {}, np.empty(0), None, np.empty(0), 0, threads, options)
    call_options = {**options, **starts, "n_threads": 1 if threads is None else threads}

    grouped = tagged.set_index(_CODE)
    tasks = [delayed(_fit_partition)(columns, call_options, fleet, p) for p in grouped.to_delayed()]
    parts = [p for p in compute(*tasks) if p is not None]  # type: ignore[no-untyped-call]
    fitted = sum(len(p.objective) for p in parts)
    if fitted != n_groups:  # set_index keeps groups whole; anything else is a bug to report, not a result
        raise ScalecoreError(f"fit_many: {fitted} groups fitted across the partitions, expected {n_groups}")
    key_values = [keys[b].to_numpy() for b in by]
    return fleet[2](columns.law, by, key_values, parts, {**options, **starts}, seed)
