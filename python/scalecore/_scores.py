"""`ScoreTensor`: evaluation scores as an items x models x seeds [x checkpoints] array with axis labels,
built from an array or from a long table (pandas, polars, pyarrow, a mapping of columns, CSV, Parquet)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import FloatArray
from .errors import InvalidInputError
from .runs import _column_names, _column_of

__all__ = ["COLUMNS", "ScoreTensor", "as_scores", "is_table"]

# The long table's roles, in the order of the tensor's axes (score is the value).
COLUMNS = ("item", "model", "seed", "checkpoint", "score")
_AXES = ("item", "model", "seed", "checkpoint")


def _labels(n: int) -> tuple[Any, ...]:
    return tuple(range(n))


@dataclass(frozen=True, eq=False)  # array field: element-wise == has no single truth value
class ScoreTensor:
    """Scores of `items` x `models` x `seeds` (x `checkpoints`), with the labels of every axis.

    ``values[i, m, s]`` is model m's score on item i in the run with seed s (0/1 correctness or a
    continuous score); a fourth axis, when present, holds checkpoints in training order.
    """

    values: FloatArray = field(repr=False)
    items: tuple[Any, ...]
    models: tuple[Any, ...]
    seeds: tuple[Any, ...]
    checkpoints: tuple[Any, ...] | None = None

    @property
    def binary(self) -> bool:
        """True when every score is 0 or 1 (correctness), so the binomial interval applies."""
        return bool(np.all((self.values == 0) | (self.values == 1)))

    def model_index(self, name: str, model: Any) -> int:
        """Position of `model` (a label, or a position when the labels are the default 0..n-1)."""
        for i, label in enumerate(self.models):
            if label == model or str(label) == str(model):
                return i
        raise InvalidInputError(f"{name}: unknown model {model!r}; the models are {list(self.models)}")

    def at_checkpoint(self, checkpoint: Any = None) -> ScoreTensor:
        """The items x models x seeds scores at one checkpoint (default: the last one)."""
        if self.checkpoints is None:
            if checkpoint is not None:
                raise InvalidInputError(f"checkpoint: the scores have no checkpoint axis, got {checkpoint!r}")
            return self
        if checkpoint is None:
            k = len(self.checkpoints) - 1
        else:
            matches = [i for i, c in enumerate(self.checkpoints) if c == checkpoint]
            if not matches:
                raise InvalidInputError(
                    f"checkpoint: unknown checkpoint {checkpoint!r}; the checkpoints are {list(self.checkpoints)}"
                )
            k = matches[0]
        return ScoreTensor(np.ascontiguousarray(self.values[..., k]), self.items, self.models, self.seeds)

    @classmethod
    def from_array(
        cls,
        values: Any,
        *,
        models: Sequence[Any] | None = None,
        items: Sequence[Any] | None = None,
        seeds: Sequence[Any] | None = None,
        checkpoints: Sequence[Any] | None = None,
        name: str = "scores",
    ) -> ScoreTensor:
        """From an array of rank 3 (items, models, seeds) or 4 (items, models, seeds, checkpoints)."""
        if np.iscomplexobj(values):
            raise InvalidInputError(f"{name}: complex numbers are not accepted")
        try:
            arr = np.array(values, dtype=np.float64, copy=True, order="C")
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{name}: cannot be read as numbers ({exc})") from None
        if arr.ndim not in (3, 4):
            raise InvalidInputError(
                f"{name}: expected an items x models x seeds array (rank 3), optionally with a checkpoint axis "
                f"(rank 4), got shape {arr.shape}"
            )
        if arr.size == 0:
            raise InvalidInputError(f"{name}: is empty (shape {arr.shape})")
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidInputError(f"{name}: must be finite, got {float(arr[where])!r} at index {where}")
        given = {"items": items, "models": models, "seeds": seeds, "checkpoints": checkpoints}
        labels: dict[str, tuple[Any, ...] | None] = {}
        for axis, key in enumerate(given):
            n = arr.shape[axis] if axis < arr.ndim else None
            value = given[key]
            if n is None:
                if value is not None:
                    raise InvalidInputError(f"{key}: the scores have no checkpoint axis (rank 3)")
                labels[key] = None
                continue
            labels[key] = _labels(n) if value is None else tuple(value)
            if len(labels[key] or ()) != n:
                raise InvalidInputError(f"{key}: {len(labels[key] or ())} labels for an axis of length {n}")
        return cls(arr, labels["items"] or (), labels["models"] or (), labels["seeds"] or (), labels["checkpoints"])

    @classmethod
    def from_frame(cls, frame: Any, **columns: str) -> ScoreTensor:
        """From a long table with one row per (item, model, seed[, checkpoint]) and a score column.

        Column names default to item, model, seed, checkpoint, score; map others by keyword
        (``from_frame(df, item="question", seed="run", score="correct")``). The checkpoint column is
        optional. Labels are sorted on each axis, so row order does not matter; every combination must
        appear exactly once.
        """
        unknown = sorted(set(columns) - set(COLUMNS))
        if unknown:
            raise InvalidInputError(f"columns: unknown role(s) {unknown}; the roles are {list(COLUMNS)}")
        names = {role: columns.get(role) or role for role in COLUMNS}
        present = _column_names(frame)
        if names["checkpoint"] not in present and "checkpoint" not in columns:
            del names["checkpoint"]
        score_name = names["score"]
        raw = _column_of(frame, score_name)
        try:
            score = np.array(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"column {score_name!r}: cannot be read as numbers ({exc})") from None
        if score.ndim != 1 or score.size == 0:
            raise InvalidInputError(f"column {score_name!r}: expected a non-empty column, got shape {score.shape}")
        bad = ~np.isfinite(score)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(f"column {score_name!r}: must be finite, got {float(score[row])!r} in row {row}")
        axes = [a for a in _AXES if a in names]
        labels, codes = [], []
        for axis in axes:
            col = np.asarray(_column_of(frame, names[axis]))
            if len(col) != len(score):
                raise InvalidInputError(f"column {names[axis]!r}: {len(col)} rows, the scores have {len(score)}")
            try:
                uniq, inverse = np.unique(col, return_inverse=True)
            except TypeError as exc:
                raise InvalidInputError(f"column {names[axis]!r}: labels cannot be ordered ({exc})") from None
            labels.append(tuple(uniq.tolist()))
            codes.append(inverse.reshape(-1))
        shape = tuple(len(lab) for lab in labels)
        flat = np.ravel_multi_index(tuple(codes), shape)
        counts = np.bincount(flat, minlength=int(np.prod(shape)))
        if (counts > 1).any():
            cell = np.unravel_index(int(np.flatnonzero(counts > 1)[0]), shape)
            where = ", ".join(f"{names[a]}={labels[k][cell[k]]!r}" for k, a in enumerate(axes))
            raise InvalidInputError(f"table: more than one score for {where}")
        if (counts == 0).any():
            cell = np.unravel_index(int(np.flatnonzero(counts == 0)[0]), shape)
            where = ", ".join(f"{names[a]}={labels[k][cell[k]]!r}" for k, a in enumerate(axes))
            raise InvalidInputError(f"table: no score for {where} (every combination must appear once)")
        values = np.empty(int(np.prod(shape)))
        values[flat] = score
        return cls(values.reshape(shape), *labels)

    @classmethod
    def from_csv(cls, path: str | Path, **columns: str) -> ScoreTensor:
        """From a CSV long table (see `from_frame`); numeric-looking labels are read as numbers."""
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"path: no such file {str(path)!r}")
        with p.open(newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = list(reader.fieldnames or [])
        if not rows:
            raise InvalidInputError(f"path: {str(path)!r} has no rows")
        table = {name: _parse_column([r[name] for r in rows]) for name in header}
        return cls.from_frame(table, **columns)

    @classmethod
    def from_parquet(cls, path: str | Path, **columns: str) -> ScoreTensor:
        """From a Parquet long table (needs pyarrow; see `from_frame`)."""
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InvalidInputError("path: reading Parquet needs pyarrow (pip install pyarrow)") from None
        if not Path(path).is_file():
            raise InvalidInputError(f"path: no such file {str(path)!r}")
        return cls.from_frame(pq.read_table(path), **columns)

    def __repr__(self) -> str:
        ck = f" x {len(self.checkpoints)} checkpoints" if self.checkpoints is not None else ""
        kind = "0/1" if self.binary else "continuous"
        return (
            f"ScoreTensor({len(self.items)} items x {len(self.models)} models x {len(self.seeds)} seeds{ck}, "
            f"{kind} scores)"
        )


def _parse_column(cells: list[str]) -> Any:
    """Numbers when every cell is one (integers kept as integers), else the strings."""
    for kind in (int, float):
        try:
            return np.array([kind(c) for c in cells])
        except ValueError:
            continue
    return np.array(cells, dtype=object)


def is_table(data: Any) -> bool:
    """A pandas, polars or pyarrow table, or a mapping of columns."""
    return isinstance(data, Mapping) or hasattr(data, "columns") or hasattr(data, "column_names")


def as_scores(data: Any, columns: Mapping[str, str] | None = None, name: str = "scores") -> ScoreTensor:
    """A ScoreTensor from a ScoreTensor, an array or a long table (with `columns` mapping roles to names)."""
    if isinstance(data, ScoreTensor):
        if columns:
            raise InvalidInputError("columns: only a table's columns can be mapped, got a ScoreTensor")
        return data
    if is_table(data):
        return ScoreTensor.from_frame(data, **dict(columns or {}))
    if columns:
        raise InvalidInputError(f"columns: only a table's columns can be mapped, got an array for {name}")
    return ScoreTensor.from_array(data, name=name)
