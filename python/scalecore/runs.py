"""`Runs`: a validated table of training runs (inputs N, D, x, C, U, M; target loss; groups; weights)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import FloatArray, as_float_array, positive_float
from .errors import InvalidInputError

__all__ = ["Runs"]

_POSITIVE = ("N", "D", "C", "U", "M", "x")
_COLUMNS = ("N", "D", "loss", "x", "C", "U", "M", "group", "weight")


def _column_names(frame: Any) -> list[str]:
    # pyarrow's `.columns` holds the column arrays, its `.column_names` the names: names first.
    for attr in ("column_names", "columns"):
        names = getattr(frame, attr, None)
        if names is not None:
            return [str(n) for n in names]
    return [str(n) for n in frame] if isinstance(frame, Mapping) else []


def _column_of(frame: Any, name: str) -> Any:
    """One column of a pandas, polars or pyarrow table (or any mapping of columns) as a NumPy array."""
    try:
        col = frame[name]
    except Exception:
        raise InvalidInputError(f"column {name!r} not found; the table has {_column_names(frame)}") from None
    to_numpy = getattr(col, "to_numpy", None)
    if callable(to_numpy):
        return to_numpy()
    return np.asarray(col)


class Runs:
    """A table of training runs, validated once.

    Columns (all optional but ``loss``, all of one length): ``N`` parameters, ``D`` training tokens,
    ``x`` the input of 1-D laws (steps, compute, or a loss for the downstream law), ``C`` training
    FLOPs, ``U`` unique tokens, ``M`` tokens per parameter, ``group`` labels for cluster resampling
    and per-group fits, ``weight`` non-negative per-run weights. Missing D, C or M are derived from the
    others with ``C = flops_per_param_token * N * D`` and ``M = D / N``. ``extra`` holds further numeric
    columns under names of your own (``extra={"lr": lrs}``): a defined law reads them when it names
    them in ``inputs=`` (`sc.laws.define`), and they read back as attributes (``runs.lr``). Arrays are
    copied; the caller's data are never modified.
    """

    def __init__(
        self,
        *,
        loss: Any,
        N: Any = None,
        D: Any = None,
        x: Any = None,
        C: Any = None,
        U: Any = None,
        M: Any = None,
        group: Any = None,
        weight: Any = None,
        extra: Mapping[str, Any] | None = None,
        flops_per_param_token: float = 6.0,
    ) -> None:
        f = positive_float("flops_per_param_token", flops_per_param_token)
        self.loss: FloatArray = as_float_array("loss", loss)
        n = len(self.loss)
        given = {"N": N, "D": D, "x": x, "C": C, "U": U, "M": M}
        cols: dict[str, FloatArray] = {}
        for name, value in given.items():
            if value is not None:
                cols[name] = as_float_array(name, value, positive=name in _POSITIVE)
        if extra is not None and not isinstance(extra, Mapping):
            raise InvalidInputError(f"extra: must be a dict {{column name: values}}, got {extra!r:.60}")
        given_extra: Mapping[str, Any] = extra or {}
        self._extra: tuple[str, ...] = tuple(given_extra)
        for name in self._extra:
            if not (isinstance(name, str) and name.isidentifier()) or name in _COLUMNS or name == "loss":
                raise InvalidInputError(
                    f"extra: column names must be identifiers other than {list(_COLUMNS)}, got {name!r}"
                )
            cols[name] = as_float_array(name, given_extra[name])
        self.weight: FloatArray | None = None
        if weight is not None:
            self.weight = as_float_array("weight", weight, nonnegative=True)
            if not self.weight.sum() > 0:
                raise InvalidInputError("weight: all weights are zero")
            cols["weight"] = self.weight
        for name, arr in cols.items():
            if len(arr) != n:
                raise InvalidInputError(f"{name}: has {len(arr)} rows but loss has {n}")
        if "D" not in cols and "C" in cols and "N" in cols:
            cols["D"] = cols["C"] / (f * cols["N"])
        if "C" not in cols and "N" in cols and "D" in cols:
            cols["C"] = f * cols["N"] * cols["D"]
        if "M" not in cols and "N" in cols and "D" in cols:
            cols["M"] = cols["D"] / cols["N"]
        if "N" not in cols and "C" in cols and "M" in cols:
            cols["N"] = np.sqrt(cols["C"] / (f * cols["M"]))
            cols["D"] = cols["M"] * cols["N"]
        for name, arr in cols.items():
            if not np.isfinite(arr).all():
                raise InvalidInputError(f"{name}: derived with flops_per_param_token={f!r}, it overflows")
        self._cols = cols
        self.group: np.ndarray[Any, Any] | None = None
        self.group_codes: np.ndarray[Any, np.dtype[np.int64]] | None = None
        if group is not None:
            g = np.array(group, copy=True)
            if g.ndim != 1 or len(g) != n:
                raise InvalidInputError(f"group: needs one label per run ({n}), got shape {g.shape}")
            _, codes = np.unique(g, return_inverse=True)
            self.group = g
            self.group_codes = codes.astype(np.int64)
        self.flops_per_param_token = f

    # --- columns -----------------------------------------------------------------------------------
    def _get(self, name: str) -> FloatArray:
        try:
            return self._cols[name]
        except KeyError:
            raise InvalidInputError(f"runs: has no column {name}; it has {self.columns}") from None

    @property
    def N(self) -> FloatArray:  # noqa: N802  (the field's own symbol)
        return self._get("N")

    @property
    def D(self) -> FloatArray:  # noqa: N802
        return self._get("D")

    @property
    def x(self) -> FloatArray:
        return self._get("x")

    @property
    def C(self) -> FloatArray:  # noqa: N802
        return self._get("C")

    @property
    def U(self) -> FloatArray:  # noqa: N802
        return self._get("U")

    @property
    def M(self) -> FloatArray:  # noqa: N802
        return self._get("M")

    @property
    def extra(self) -> dict[str, FloatArray]:
        """The extra columns, by their names."""
        return {name: self._cols[name] for name in self._extra}

    def __getattr__(self, name: str) -> FloatArray:
        # Only reached for names that are not attributes: the extra columns (runs.lr).
        cols = self.__dict__.get("_cols")
        if cols is None or name not in self.__dict__.get("_extra", ()):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        column: FloatArray = cols[name]
        return column

    @property
    def columns(self) -> list[str]:
        return ["loss", *self._cols]

    def has(self, name: str) -> bool:
        return name == "loss" or name in self._cols

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        parts = [f"{len(self)} runs", "columns " + ", ".join(self.columns)]
        if "N" in self._cols:
            parts.append(f"N {self.N.min():.3g}..{self.N.max():.3g}")
        if "D" in self._cols:
            parts.append(f"D {self.D.min():.3g}..{self.D.max():.3g}")
        parts.append(f"loss {self.loss.min():.4g}..{self.loss.max():.4g}")
        return f"Runs({'; '.join(parts)})"

    def to_dict(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {name: arr.tolist() for name, arr in self._cols.items()}
        out["loss"] = self.loss.tolist()
        if self.group is not None:
            out["group"] = self.group.tolist()
        return out

    def subset(self, rows: Any) -> Runs:
        """The runs selected by a boolean mask or an index array."""
        idx = np.asarray(rows)
        kw: dict[str, Any] = {name: arr[idx] for name, arr in self._cols.items() if name not in self._extra}
        kw["loss"] = self.loss[idx]
        if self.group is not None:
            kw["group"] = self.group[idx]
        extra = {name: self._cols[name][idx] for name in self._extra}
        return Runs(flops_per_param_token=self.flops_per_param_token, extra=extra or None, **kw)

    # --- constructors -------------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: Any, extra: Sequence[str] = (), **mapping: str) -> Runs:
        """From a pandas, polars or pyarrow table: ``Runs.from_frame(df, N="params", loss="loss")``.

        Each keyword names a Runs column (N, D, loss, x, C, U, M, group, weight) and the table's column
        holding it. Without keywords, table columns named like Runs columns are taken as they are; a
        column named ``loss`` is the loss unless another is named. ``extra``: names of further table
        columns kept as extra columns under their own names (``extra=["lr"]``).
        """
        if isinstance(extra, str) or not all(isinstance(e, str) for e in extra):
            raise InvalidInputError(f"extra: must be a list of column names, got {extra!r:.60}")
        names = _column_names(frame)
        if not mapping:
            mapping = {c: c for c in _COLUMNS if c in names}
        elif "loss" not in mapping and "loss" in names:
            mapping = {**mapping, "loss": "loss"}
        unknown = set(mapping) - set(_COLUMNS) - {"flops_per_param_token"}
        if unknown:
            raise InvalidInputError(f"mapping: unknown Runs columns {sorted(unknown)}; known: {list(_COLUMNS)}")
        kw: dict[str, Any] = {key: _column_of(frame, col) for key, col in mapping.items()}
        if "loss" not in kw:
            raise InvalidInputError("loss: no loss column given (pass loss='<column name>')")
        extras = {name: _column_of(frame, name) for name in extra}
        return cls(extra=extras or None, **kw)

    @classmethod
    def from_csv(cls, path: str | Path, extra: Sequence[str] = (), **mapping: str) -> Runs:
        """From a CSV file with a header row; keywords map Runs columns to the file's columns, ``extra``
        names further columns to keep (`from_frame`)."""
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"path: no such file {str(p)!r}")
        # utf-8-sig: a byte-order mark (as Excel writes) is not part of the first column's name.
        try:
            with p.open(newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInputError(f"path: {str(p)!r} is not a readable UTF-8 CSV file ({exc})") from None
        if not rows:
            raise InvalidInputError(f"path: {str(p)!r} has no data rows")
        table: dict[str, list[str]] = {k: [r[k] for r in rows] for k in rows[0] if k is not None}
        return cls.from_frame(_CsvTable(table), extra=extra, **mapping)

    @classmethod
    def from_parquet(cls, path: str | Path, **mapping: str) -> Runs:
        """From a Parquet file (needs pyarrow)."""
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - depends on the environment
            raise InvalidInputError("path: reading Parquet needs pyarrow (pip install pyarrow)") from None
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"path: no such file {str(p)!r}")
        try:
            table = pq.read_table(str(p))
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
            raise InvalidInputError(f"path: {str(p)!r} is not a readable Parquet file ({exc})") from None
        return cls.from_frame(table, **mapping)


class _CsvTable(Mapping[str, Any]):
    """The columns of a CSV file, numeric where they parse as numbers."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self._t = table
        self.columns = list(table)

    def __getitem__(self, key: str) -> Any:
        col = self._t[key]
        try:
            return np.array([float(v) for v in col])
        except ValueError:
            return np.array(col)

    def __iter__(self) -> Any:
        return iter(self._t)

    def __len__(self) -> int:
        return len(self._t)
