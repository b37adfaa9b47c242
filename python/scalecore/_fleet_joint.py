"""Joint fits inside `sc.fit_many` (docs/fleets.md, docs/joint_fits.md): with ``group=`` and ``shared=``, every
`by` key's rows are fitted jointly, split by the `group` column into groups that share the `shared`
parameters; e.g. ``by="task", group="arch", shared=["alpha"]``: per task, one law per architecture with one
exponent. A key's result is exactly ``sc.fit(rows_of_that_key, law, group=group, shared=shared)``.

The (key, group) pairs are sorted once (keys, then each key's group labels); the core fits the keys in
parallel, each by the joint fit's own code. With ``n_resamples=B``, each key is bootstrapped stratified by
group from its own seed (`JointFitTable.seeds`), so results are identical for any thread count and any split
of the keys into chunks (``map=``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._chunks import worker_threads
from ._fit_spec import starts as law_starts
from ._fleet_chunks import _chunk_rows, _FleetCall, _group_codes
from ._fleet_dask import _Columns, _is_dask_frame
from ._frames import Tabular
from ._progress import progress_callback
from ._validation import FloatArray
from .errors import InvalidInputError
from .laws import Law
from .runs import _column_names, _column_of

FLAGS: tuple[str, ...] = tuple(_core.FLEET_FLAGS)
_PER_KEY = ("objective", "converged", "n_runs", "flags", "n_starts", "n_at_best", "n_failed", "key_seed", "n_groups")
_PER_ROW = ("theta", "group_objective", "group_n_runs", "low", "high")


@dataclass(frozen=True, eq=False)
class JointFitRow:
    """One key's joint fit: ``params[name]`` holds the parameter in each of ``groups`` (a shared one repeats
    its value), ``n_runs`` the runs of each group, as in `JointFit`; with resampling, ``ci[name]`` holds the
    (low, high) bounds of each group. ``row["task"]`` reads a key."""

    key: dict[str, Any]
    groups: tuple[Any, ...]
    shared: tuple[str, ...]
    params: dict[str, FloatArray]
    objective: float
    group_objectives: FloatArray
    converged: bool
    n_runs: tuple[int, ...]
    flags: tuple[str, ...]
    ci: dict[str, tuple[FloatArray, FloatArray]] | None = None

    @property
    def shared_params(self) -> dict[str, float]:
        return {p: float(self.params[p][0]) for p in self.shared}

    def params_of(self, group: Any) -> dict[str, float]:
        """The law of one group, as public parameter values."""
        for i, g in enumerate(self.groups):
            if g == group:
                return {p: float(v[i]) for p, v in self.params.items()}
        raise InvalidInputError(f"group: no group {group!r:.60}; the groups are {list(self.groups)!r:.200}")

    def __getitem__(self, name: str) -> Any:
        return self.key[name]


@dataclass(frozen=True, eq=False)
class JointFitTable(Tabular):
    """One joint fit per key, column by column. Per key (``len(table)`` of them, keys sorted): ``keys[by]``,
    ``objective``, ``converged``, ``n_runs`` (the key's runs), ``flags`` (bit i for `FLAGS[i]`), ``n_starts``,
    ``n_at_best``. Per (key, group) row, keys in order and each key's groups sorted: ``key_index`` (the row's
    key), ``groups`` (its group label), ``params[name]``, ``group_objectives`` (its part of the key's
    objective), ``group_n_runs`` and, with resampling, ``low[name]`` / ``high[name]`` at ``level``. A key that
    could not be fitted has NaN parameters and its flag set. ``seeds[i]`` reproduces key i's bootstrap:
    ``sc.fit(rows_of_key_i, group=..., shared=...).bootstrap(B, seed=seeds[i])``."""

    law: str
    by: tuple[str, ...]
    group: str
    shared: tuple[str, ...]
    keys: dict[str, np.ndarray[Any, Any]]
    objective: FloatArray
    converged: np.ndarray[Any, np.dtype[np.bool_]]
    n_runs: np.ndarray[Any, np.dtype[np.int64]]
    flags: np.ndarray[Any, np.dtype[np.uint32]]
    key_index: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    groups: np.ndarray[Any, Any] = field(repr=False)
    params: dict[str, FloatArray] = field(repr=False)
    group_objectives: FloatArray = field(repr=False)
    group_n_runs: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    n_starts: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    n_at_best: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    objective_name: str = "huber_log"
    low: dict[str, FloatArray] | None = field(default=None, repr=False)
    high: dict[str, FloatArray] | None = field(default=None, repr=False)
    n_failed: np.ndarray[Any, np.dtype[np.int64]] | None = field(default=None, repr=False)
    seeds: np.ndarray[Any, np.dtype[np.uint64]] | None = field(default=None, repr=False)
    level: float = 0.95
    method: str = "percentile"
    n_resamples: int = 0
    seed: int | None = None

    def __len__(self) -> int:
        return len(self.objective)

    @property
    def shared_params(self) -> dict[str, FloatArray]:
        """Each shared parameter's value per key."""
        first = np.searchsorted(self.key_index, np.arange(len(self)))
        return {p: self.params[p][first] for p in self.shared}

    def flagged(self, name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which keys carry flag `name` (one of `FLAGS`)."""
        if name not in FLAGS:
            raise InvalidInputError(f"name: must be one of {list(FLAGS)}, got {name!r}")
        mask: np.ndarray[Any, np.dtype[np.bool_]] = (self.flags & np.uint32(1 << FLAGS.index(name))) != 0
        return mask

    def row(self, i: int) -> JointFitRow:
        """Key i's joint fit."""
        lo, hi = np.searchsorted(self.key_index, [i, i + 1])
        ci = None
        if self.low is not None and self.high is not None:
            ci = {p: (self.low[p][lo:hi].copy(), self.high[p][lo:hi].copy()) for p in self.params}
        bits = int(self.flags[i])
        return JointFitRow(
            key={b: v[i].item() if hasattr(v[i], "item") else v[i] for b, v in self.keys.items()},
            groups=tuple(g.item() if hasattr(g, "item") else g for g in self.groups[lo:hi]),
            shared=self.shared,
            params={p: v[lo:hi].copy() for p, v in self.params.items()},
            objective=float(self.objective[i]),
            group_objectives=self.group_objectives[lo:hi].copy(),
            converged=bool(self.converged[i]),
            n_runs=tuple(int(n) for n in self.group_n_runs[lo:hi]),
            flags=tuple(name for j, name in enumerate(FLAGS) if bits >> j & 1),
            ci=ci,
        )

    def __iter__(self) -> Iterator[JointFitRow]:
        return (self.row(i) for i in range(len(self)))

    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """One entry per (key, group) row: the keys, the group, the parameters (and their ``_low``, ``_high``
        bounds), group_objective and group_n_runs, then the key's objective, converged, n_runs and flags."""
        k = self.key_index
        out: dict[str, np.ndarray[Any, Any]] = {b: v[k] for b, v in self.keys.items()}
        out[self.group] = self.groups
        for p, v in self.params.items():
            out[p] = v
            if self.low is not None and self.high is not None:
                out[f"{p}_low"] = self.low[p]
                out[f"{p}_high"] = self.high[p]
        out.update(
            group_objective=self.group_objectives,
            group_n_runs=self.group_n_runs,
            objective=self.objective[k],
            converged=self.converged[k],
            n_runs=self.n_runs[k],
            flags=self.flags[k],
        )
        return out

    def __repr__(self) -> str:
        ci = f", {self.level:.0%} {self.method} intervals from {self.n_resamples} resamples" if self.low else ""
        return (
            f"JointFitTable({self.law} fitted jointly to {len(self)} keys by {list(self.by)}, groups by "
            f"{self.group!r} sharing {list(self.shared)}: {int(self.converged.sum())} converged, "
            f"{int((self.flags != 0).sum())} flagged{ci})"
        )


@dataclass(frozen=True)
class _JointPart:
    """A chunk's per-key and per-(key, group) arrays (what the core's `JointFleetFits` holds), picklable."""

    arrays: dict[str, np.ndarray[Any, Any]]


def _fit_joint_chunk(
    call: _FleetCall, chunk: tuple[int, dict[str, FloatArray], FloatArray, Any, Any, int, Any]
) -> _JointPart:
    first, columns, loss, weights, keys, n_keys, subgroups = chunk
    options = {**call.options, "n_threads": worker_threads(call.options["n_threads"])}
    out = _core.fit_joint_fleet(
        call.law.name, columns, loss, keys, n_keys, subgroups, weights=weights, first_key=first, **options
    )
    return _JointPart({name: np.asarray(getattr(out, name)) for name in (*_PER_KEY, *_PER_ROW)})


def pair_codes(
    key_codes: np.ndarray[Any, Any], pairs: np.ndarray[Any, Any], n_keys: int, key_values: list[Any]
) -> np.ndarray[Any, Any]:
    """Each row's group within its key (0..G, labels in sorted order) from its (key, group) pair code (pairs
    sorted by key, then label). A key needs two groups to share anything."""
    pair_key = np.empty(int(pairs.max()) + 1 if pairs.size else 0, dtype=np.int64)
    pair_key[pairs] = key_codes
    per_key = np.bincount(pair_key, minlength=n_keys)
    lonely = np.flatnonzero(per_key < 2)
    if lonely.size:
        key = tuple(v[lonely[0]].item() if hasattr(v[lonely[0]], "item") else v[lonely[0]] for v in key_values)
        raise InvalidInputError(
            f"group: key {key!r:.80} has a single group; a joint fit needs at least two ({lonely.size} keys have one)"
        )
    first_pair = np.concatenate([[0], np.cumsum(per_key)[:-1]])
    within: np.ndarray[Any, Any] = (pairs - first_pair[key_codes]).astype(np.int64)
    return within


def fit_joint_many(
    law: Law,
    data: tuple[dict[str, FloatArray], FloatArray, FloatArray | None],
    codes: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int],
    options: dict[str, Any],
    threads: int | None,
    progress: Any,
    map_: Callable[..., Iterable[Any]] | None,
    chunk_size: int,
) -> list[_JointPart]:
    """The fleet's parts: one core call, or chunks of `chunk_size` keys on `map_`."""
    columns, loss, weights = data
    key_codes, subgroups, n_keys = codes
    if map_ is None:
        callback, bar = progress_callback(progress, "fit_many")
        try:
            out = _core.fit_joint_fleet(
                law.name,
                columns,
                loss,
                key_codes,
                n_keys,
                subgroups,
                weights=weights,
                n_threads=threads,
                progress=callback,
                **options,
            )
        finally:
            if bar is not None:
                bar.close()
        return [_JointPart({name: np.asarray(getattr(out, name)) for name in (*_PER_KEY, *_PER_ROW)})]
    call = _FleetCall(law, {**options, "n_threads": threads})
    chunks = (
        (
            first,
            {k: v[rows] for k, v in columns.items()},
            loss[rows],
            None if weights is None else weights[rows],
            key_codes[rows] - first,
            last - first,
            subgroups[rows],
        )
        for first, last, rows in _chunk_rows(key_codes, n_keys, chunk_size)
    )
    return list(map_(functools.partial(_fit_joint_chunk, call), chunks))


def joint_table(
    law: Law,
    names: tuple[list[str], str, tuple[str, ...]],
    key_values: list[np.ndarray[Any, Any]],
    group_labels: np.ndarray[Any, Any],
    parts: list[_JointPart],
    options: dict[str, Any],
    seed: int | None,
) -> JointFitTable:
    by, group, shared = names

    def cat(name: str) -> np.ndarray[Any, Any]:
        return np.concatenate([p.arrays[name] for p in parts])

    k = len(law.param_names)
    theta = cat("theta").reshape(-1, k)
    n_groups = cat("n_groups").astype(np.int64)
    if theta.shape[0] != len(group_labels) or len(n_groups) != len(key_values[0]):
        raise InvalidInputError("fit_many: the core's (key, group) rows do not match the table's")  # a bug, not input
    params = {
        p: (np.exp(theta[:, i]) if is_log else theta[:, i].copy())
        for i, (p, is_log) in enumerate(zip(law.param_names, law.log_params, strict=True))
    }
    low = high = n_failed = seeds = None
    if options.get("n_resamples"):
        lo, hi = cat("low").reshape(-1, k), cat("high").reshape(-1, k)
        low = {p: lo[:, i].copy() for i, p in enumerate(law.param_names)}
        high = {p: hi[:, i].copy() for i, p in enumerate(law.param_names)}
        n_failed = cat("n_failed").astype(np.int64)
        seeds = cat("key_seed").astype(np.uint64)
    return JointFitTable(
        law=law.name,
        by=tuple(by),
        group=group,
        shared=shared,
        keys=dict(zip(by, key_values, strict=True)),
        objective=cat("objective"),
        converged=cat("converged").astype(bool),
        n_runs=cat("n_runs").astype(np.int64),
        flags=cat("flags").astype(np.uint32),
        key_index=np.repeat(np.arange(len(n_groups), dtype=np.int64), n_groups),
        groups=group_labels,
        params=params,
        group_objectives=cat("group_objective"),
        group_n_runs=cat("group_n_runs").astype(np.int64),
        n_starts=cat("n_starts").astype(np.int64),
        n_at_best=cat("n_at_best").astype(np.int64),
        objective_name=str(options["objective"]),
        low=low,
        high=high,
        n_failed=n_failed,
        seeds=seeds,
        level=float(options.get("level", 0.95)),
        method=str(options.get("method", "percentile")),
        n_resamples=int(options.get("n_resamples", 0)),
        seed=seed,
    )


def fit_many_joint(
    table: Any,
    columns: _Columns,
    names: tuple[list[str], str | None, Iterable[str] | str | None],
    options: dict[str, Any],
    init: Any,
    threads: int | None,
    progress: Any,
    chunking: tuple[Callable[..., Iterable[Any]] | None, int, Any],
    seed: int | None,
) -> JointFitTable:
    """`fit_many` with ``group=`` and ``shared=``: one joint fit per key of `by`."""
    from .joint import _shared

    by, group, shared = names
    map_, chunk_size, checkpoint = chunking
    law = columns.law
    if not isinstance(group, str):
        raise InvalidInputError(f"group: must be the name of the table's group column, got {group!r:.60}")
    if group in by:
        raise InvalidInputError(f"group: {group!r} is also a `by` column; a key's groups must vary within it")
    if checkpoint is not None:
        raise InvalidInputError("checkpoint: is not available with group= (joint fits); drop it or fit without group=")
    if _is_dask_frame(table):
        raise InvalidInputError("table: a Dask DataFrame is not available with group= (joint fits); compute() it first")
    if isinstance(init, str) and init == "shared":
        raise InvalidInputError(
            "init: 'shared' starts are for separate fits; a joint fit starts each group from its own"
        )
    shared_i = _shared(law, shared)
    if group not in _column_names(table):
        raise InvalidInputError(f"group: no column {group!r}; the table has {_column_names(table)}")
    labels = np.asarray(_column_of(table, group))
    if labels.dtype.kind in "fc" and not np.isfinite(labels).all():
        raise InvalidInputError("group: labels must not be NaN or infinite")
    data = columns.read(table)
    key_codes, key_values = _group_codes(table, by)
    pairs, pair_values = _group_codes(table, [*by, group])
    subgroups = pair_codes(key_codes, pairs, len(key_values[0]), key_values)
    mode, start_rows = law_starts(law, "auto" if init is None else init)
    options = {**options, "init": mode, "starts": start_rows, "shared": shared_i}
    parts = fit_joint_many(
        law, data, (key_codes, subgroups, len(key_values[0])), options, threads, progress, map_, chunk_size
    )
    shared_names = tuple(law.param_names[i] for i in sorted(shared_i))
    return joint_table(law, (by, group, shared_names), key_values, pair_values[-1], parts, options, seed)
