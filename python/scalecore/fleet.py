"""Fleets of fits: `sc.fit_many` fits one law to every group of a table (a learning curve per task, seed
or setting) in one call into the core, and returns a typed `FitTable` (docs/fleets.md).

The table is grouped once (integer codes, then a counting sort in the core), so the work is linear in
the number of rows. By default (``init="shared"``) the law's full multi-start runs on a pilot sample
of 64 groups, and every group polishes the best of those pilot optima on its own runs, falling back
to its own full multi-start when that polish does not converge. ``init="auto"`` (or any `sc.fit`
init) runs a whole fit per group instead. With ``n_resamples=B`` every group is bootstrapped as
`sc.bootstrap` would bootstrap it; replicate i of group g draws from a stream fixed by (seed, g, i),
so results are identical for any thread count and any split of the groups into chunks (``map=``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._fit_spec import constraints
from ._fleet_chunks import _chunks, _fit_chunk, _FleetCall, _group_codes
from ._fleet_dask import _Columns, _is_dask_frame, _start_options, fit_frame
from ._fleet_joint import JointFitTable, fit_many_joint
from ._frames import Tabular
from ._progress import progress_callback
from ._validation import FloatArray, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError
from .laws import Law
from .laws import get as get_law

__all__ = ["FLAGS", "FitRow", "FitTable", "JointFitTable", "fit_many"]

# Per-group flags, owned by the core (bit i of `FitTable.flags` is FLAGS[i]).
FLAGS: tuple[str, ...] = tuple(_core.FLEET_FLAGS)
_INPUTS = ("x", "N", "D", "C", "U", "M")


@dataclass(frozen=True)
class FitRow:
    """One group's fit: its key, public parameters, objective, convergence, runs, flags and, with
    resampling, the interval of each parameter. ``row["alpha"]`` reads a key or a parameter."""

    key: dict[str, Any]
    params: dict[str, float]
    objective: float
    converged: bool
    n_runs: int
    flags: tuple[str, ...]
    ci: dict[str, tuple[float, float]] | None = None

    def __getitem__(self, name: str) -> Any:
        if name in self.key:
            return self.key[name]
        if name in self.params:
            return self.params[name]
        raise KeyError(name)


@dataclass(frozen=True)
class FitTable(Tabular):
    """One fit per group, column by column: ``keys[by]`` and ``params[name]`` are arrays with one entry
    per group (groups in sorted key order). ``flags`` holds bit i for `FLAGS[i]` (a group with too few
    runs, or none reaching a finite objective, has NaN parameters and its flag set). With resampling,
    ``low[name]`` and ``high[name]`` bound each parameter at confidence ``level``."""

    law: str
    by: tuple[str, ...]
    keys: dict[str, np.ndarray[Any, Any]]
    params: dict[str, FloatArray]
    objective: FloatArray
    converged: np.ndarray[Any, np.dtype[np.bool_]]
    n_runs: np.ndarray[Any, np.dtype[np.int64]]
    flags: np.ndarray[Any, np.dtype[np.uint32]]
    condition_number: FloatArray = field(repr=False)
    n_starts: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    objective_name: str = "huber_log"
    low: dict[str, FloatArray] | None = field(default=None, repr=False)
    high: dict[str, FloatArray] | None = field(default=None, repr=False)
    n_failed: np.ndarray[Any, np.dtype[np.int64]] | None = field(default=None, repr=False)
    level: float = 0.95
    method: str = "percentile"
    n_resamples: int = 0
    seed: int | None = None

    def __len__(self) -> int:
        return len(self.objective)

    def flagged(self, name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which groups carry flag `name` (one of `FLAGS`)."""
        if name not in FLAGS:
            raise InvalidInputError(f"name: must be one of {list(FLAGS)}, got {name!r}")
        mask: np.ndarray[Any, np.dtype[np.bool_]] = (self.flags & np.uint32(1 << FLAGS.index(name))) != 0
        return mask

    def row(self, i: int) -> FitRow:
        ci = None
        if self.low is not None and self.high is not None:
            ci = {p: (float(self.low[p][i]), float(self.high[p][i])) for p in self.params}
        bits = int(self.flags[i])
        return FitRow(
            key={b: self.keys[b][i].item() if hasattr(self.keys[b][i], "item") else self.keys[b][i] for b in self.by},
            params={p: float(v[i]) for p, v in self.params.items()},
            objective=float(self.objective[i]),
            converged=bool(self.converged[i]),
            n_runs=int(self.n_runs[i]),
            flags=tuple(name for j, name in enumerate(FLAGS) if bits >> j & 1),
            ci=ci,
        )

    def __iter__(self) -> Iterator[FitRow]:
        return (self.row(i) for i in range(len(self)))

    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """Every column by name: the keys, the parameters (and their ``_low``, ``_high`` bounds),
        objective, converged, n_runs, flags and condition_number."""
        out: dict[str, np.ndarray[Any, Any]] = dict(self.keys)
        for p, v in self.params.items():
            out[p] = v
            if self.low is not None and self.high is not None:
                out[f"{p}_low"] = self.low[p]
                out[f"{p}_high"] = self.high[p]
        out.update(
            objective=self.objective,
            converged=self.converged,
            n_runs=self.n_runs,
            flags=self.flags,
            condition_number=self.condition_number,
        )
        if self.n_failed is not None:
            out["n_failed"] = self.n_failed
        return out

    def __repr__(self) -> str:
        n_flagged = int((self.flags != 0).sum())
        ci = f", {self.level:.0%} {self.method} intervals from {self.n_resamples} resamples" if self.low else ""
        return (
            f"FitTable({self.law} fitted to {len(self)} groups by {list(self.by)}: "
            f"{int(self.converged.sum())} converged, {n_flagged} flagged{ci})"
        )


def fit_many(
    table: Any,
    law: str | Law = "power",
    *,
    by: Sequence[str] | str,
    loss: str = "loss",
    x: str | None = None,
    N: str | None = None,
    D: str | None = None,
    C: str | None = None,
    U: str | None = None,
    M: str | None = None,
    weight: str | None = None,
    group: str | None = None,
    shared: Iterable[str] | str | None = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: Any = None,
    fixed: Mapping[str, float] | None = None,
    tie: Iterable[Sequence[str]] | None = None,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_resamples: int = 0,
    seed: Any = None,
    scheme: str = "pairs",
    level: float = 0.95,
    method: str = "percentile",
    n_threads: int | None = None,
    progress: Any = None,
    map: Callable[..., Iterable[Any]] | None = None,
    chunk_size: int = 10_000,
    checkpoint: Any = None,
) -> FitTable | JointFitTable:
    """One fit of `law` per group of `table` (a dict of arrays, pandas, polars or pyarrow table):
    ``fit_many(df, law="power", by="task", x="step", loss="loss")``.

    by: the column(s) whose values define a group. x, N, D, C, U, M, weight: the table's columns for the
    law's inputs (each defaults to the column of that name when the law needs it). objective, delta,
    asymmetry, fixed, tie, max_iter, ftol, gtol: as for `sc.fit`, applied to every group.
    init: "shared" (the default: the law's multi-start on a pilot sample of groups, whose optima every
    group screens, polishing the best) or any `sc.fit` init, run on every group.
    group, shared: a joint fit per `by` key (-> `JointFitTable`): the key's rows split by the `group` column
    into groups with the parameters named in `shared` common to them, exactly ``sc.fit(rows, group=,
    shared=)`` of each key (docs/joint_fits.md); init then defaults to "auto", each group's own
    multi-start; with n_resamples, each key's bootstrap is stratified by group ("percentile" or "basic").
    n_resamples: with B > 0, per-group bootstrap intervals (`scheme`, `level`, `method` "percentile",
    "basic" or "bca"), deterministic per (seed, group, replicate).
    map: a map-like callable (builtins.map, an executor's map, `scalecore.distributed.dask_map(client)`)
    that fits chunks of `chunk_size` groups; the result equals the local one bit for bit.
    checkpoint: a file path (``"fleet.npz"``): the groups are fitted in chunks of `chunk_size` and each
    chunk's results written there as it completes; a run given the checkpoint of the same fleet resumes
    after the groups it holds, with the result of an uninterrupted run.
    """
    lw = get_law(law)
    by = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else []
    if not by or not all(isinstance(b, str) for b in by):
        raise InvalidInputError(f"by: must be a column name or a non-empty list of column names, got {by!r:.60}")
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or max_iter < 1:
        raise InvalidInputError(f"max_iter: must be a positive integer, got {max_iter!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size: must be a positive integer, got {chunk_size!r}")
    names = {"x": x, "N": N, "D": D, "C": C, "U": U, "M": M}
    fixed_i, ties_i = constraints(lw, fixed, tie)
    options: dict[str, Any] = dict(
        objective=str(objective),
        delta=positive_float("delta", delta),
        asymmetry=positive_float("asymmetry", asymmetry),
        fixed=fixed_i,
        ties=ties_i,
        max_iter=max_iter,
        ftol=positive_float("ftol", ftol),
        gtol=positive_float("gtol", gtol),
    )
    threads = check_threads(n_threads)
    seed_: int | None = None
    if n_resamples:
        seed_ = iv.seed(seed)
        options.update(
            n_resamples=iv.n_resamples(n_resamples),
            seed=seed_,
            scheme=str(scheme),
            method=iv.method(method),
            level=iv.level(level),
        )
    if group is not None or shared is not None:
        return fit_many_joint(
            table,
            _Columns(lw, names, loss, weight),
            (by, group, shared),
            options,
            init,
            threads,
            progress,
            (map, chunk_size, checkpoint),
            seed_,
        )
    init = "shared" if init is None else init
    if _is_dask_frame(table):
        table_of_frame: FitTable = fit_frame(
            table,
            _Columns(lw, names, loss, weight),
            by,
            options,
            init,
            seed_,
            threads,
            (_FleetCall, _fit_chunk, _table),
        )
        return table_of_frame
    columns, loss_values, weights = _Columns(lw, names, loss, weight).read(table)
    codes, key_values = _group_codes(table, by)
    n_groups = len(key_values[0])
    options.update(_start_options(lw, init, columns, loss_values, weights, codes, n_groups, threads, options))
    if checkpoint is not None:
        from ._fleet_checkpoint import checkpointed_parts

        data = (columns, loss_values, weights, codes, n_groups)
        k = len(lw.param_names)
        parts = checkpointed_parts(lw, options, threads, data, k, chunk_size, checkpoint, map)
    elif map is None:
        callback, bar = progress_callback(progress, "fit_many")
        try:
            out = _core.fit_fleet(
                lw.name,
                columns,
                loss_values,
                codes,
                n_groups,
                weights=weights,
                n_threads=threads,
                progress=callback,
                **options,
            )
        finally:
            if bar is not None:
                bar.close()
        parts = [out]
    else:
        call = _FleetCall(lw, {**options, "n_threads": threads})
        chunks = _chunks(columns, loss_values, weights, codes, n_groups, chunk_size)
        parts = list(map(functools.partial(_fit_chunk, call), chunks))
    return _table(lw, by, key_values, parts, options, seed_)


def _table(
    law: Law,
    by: list[str],
    key_values: list[np.ndarray[Any, Any]],
    parts: list[Any],
    options: dict[str, Any],
    seed: int | None,
) -> FitTable:
    def cat(name: str) -> np.ndarray[Any, Any]:
        return np.concatenate([np.asarray(getattr(p, name)) for p in parts])

    theta = cat("theta").reshape(-1, len(law.param_names))
    params = {
        p: (np.exp(theta[:, i]) if is_log else theta[:, i].copy())
        for i, (p, is_log) in enumerate(zip(law.param_names, law.log_params, strict=True))
    }
    low = high = n_failed = None
    if options.get("n_resamples"):
        lo, hi = cat("low"), cat("high")
        low = {p: lo[:, i].copy() for i, p in enumerate(law.param_names)}
        high = {p: hi[:, i].copy() for i, p in enumerate(law.param_names)}
        n_failed = cat("n_failed").astype(np.int64)
    return FitTable(
        law=law.name,
        by=tuple(by),
        keys=dict(zip(by, key_values, strict=True)),
        params=params,
        objective=cat("objective"),
        converged=cat("converged").astype(bool),
        n_runs=cat("n_runs").astype(np.int64),
        flags=cat("flags").astype(np.uint32),
        condition_number=cat("condition_number"),
        n_starts=cat("n_starts").astype(np.int64),
        objective_name=str(options["objective"]),
        low=low,
        high=high,
        n_failed=n_failed,
        level=float(options.get("level", 0.95)),
        method=str(options.get("method", "percentile")),
        n_resamples=int(options.get("n_resamples", 0)),
        seed=seed,
    )
