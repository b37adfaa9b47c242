"""Results that last: the machinery every result type shares (`ResultIO`).

A result describes itself once, as its *state* (`_state`: the values that rebuild it exactly, NumPy arrays
included) and as a *table* (`_table`: equal-length columns for a data frame and for notebooks). From those two the
mixin gives

- ``save(path)`` / ``load(path)``: ``.json`` for small results (arrays and tuples are tagged, floats are written
  with the shortest repr that reads back to the same double, so a reload is bit-identical; NaN and infinities
  are written as JSON's NaN / Infinity extensions), or ``.npz`` (arrays as NumPy members, everything else as
  JSON beside them, read without pickle) for results with many samples;
- ``to_frame()``: the table as a pandas DataFrame (pandas imported only then);
- ``_repr_html_()``: the table as HTML for Jupyter, headed by the first line of ``repr``.

Pickling needs nothing from here: the results are plain classes whose core handles pickle.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from .errors import InvalidInputError

T = TypeVar("T", bound="ResultIO")

_FORMAT = "scalecore-result"
_HTML_ROWS = 20


def _encode(value: Any, arrays: dict[str, np.ndarray[Any, Any]] | None) -> Any:
    """JSON-ready tagged form; with `arrays`, every ndarray goes there and is referenced by key."""
    if isinstance(value, np.ndarray):
        if arrays is not None:
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"__npz__": key}
        return {"__ndarray__": value.ravel().tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return {"__scalar__": value.item(), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("result state: dict keys must be strings")
        return {"__dict__": {k: _encode(v, arrays) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"result state: cannot save a {type(value).__name__}")


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if "__npz__" in value:
        return np.array(arrays[value["__npz__"]])
    if "__scalar__" in value:
        return np.dtype(value["dtype"]).type(value["__scalar__"])
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, arrays) for k, v in value["__dict__"].items()}
    raise InvalidInputError(f"path: not a saved scalecore result (unexpected entry {sorted(value)})")


def plain(value: Any) -> Any:
    """JSON-ready without tags: arrays and tuples as lists, NumPy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return html.escape(str(value))


class ResultIO:
    """save / load, to_frame and the notebook table of a result; subclasses give `_state`, `_from_state` and
    `_table` (dataclass results get `_state` and `_from_state` from their fields)."""

    # Fields left out of the saved state (e.g. a core handle that only pickling can carry).
    _unsaved: ClassVar[tuple[str, ...]] = ()

    def _state(self) -> dict[str, Any]:
        from dataclasses import fields

        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self._unsaved}  # type: ignore[arg-type]

    @classmethod
    def _from_state(cls: type[T], state: dict[str, Any]) -> T:
        return cls(**state)

    def _table(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The result's state as plain JSON-ready values (lists, numbers, strings)."""
        out = plain(self._state())
        assert isinstance(out, dict)
        return out

    def to_frame(self) -> Any:
        """The result as a pandas DataFrame (one row per parameter, budget or point)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_frame needs pandas: pip install 'scalecore[frames]'") from None
        return pd.DataFrame({k: np.asarray(v) for k, v in self._table().items()})

    def save(self, path: str | Path) -> None:
        """Write the result to `path`: ``.json`` (small results) or ``.npz`` (arrays stored natively)."""
        p = Path(path)
        head = {"format": _FORMAT, "type": type(self).__name__}
        if p.suffix == ".npz":
            arrays: dict[str, np.ndarray[Any, Any]] = {}
            meta = json.dumps({**head, "state": _encode(self._state(), arrays)})
            members: dict[str, Any] = {"__state__": np.array(meta), **arrays}
            np.savez(p, **members)
        elif p.suffix == ".json":
            p.write_text(json.dumps({**head, "state": _encode(self._state(), None)}))
        else:
            raise InvalidInputError(f"path: must end in .json or .npz, got {str(path)!r}")

    @classmethod
    def load(cls: type[T], path: str | Path) -> T:
        """Read a result written by `save`; it is equal to the one saved, value for value."""
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"path: no such file {str(path)!r}")
        try:
            if p.suffix == ".npz":
                with np.load(p, allow_pickle=False) as npz:
                    arrays = {k: npz[k] for k in npz.files}
                doc = json.loads(str(arrays.pop("__state__")))
            else:
                arrays = {}
                doc = json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"path: cannot read {str(path)!r} as a saved result ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise InvalidInputError(f"path: {str(path)!r} is not a saved scalecore result")
        if doc.get("type") != cls.__name__:
            raise InvalidInputError(f"path: {str(path)!r} holds a {doc.get('type')}, not a {cls.__name__}")
        return cls._from_state(_decode(doc["state"], arrays))

    def _repr_html_(self) -> str:
        columns = {k: np.atleast_1d(np.asarray(v, dtype=object)) for k, v in self._table().items()}
        n = max((len(v) for v in columns.values()), default=0)
        head = "".join(f"<th>{html.escape(k)}</th>" for k in columns)
        body = [
            "<tr>" + "".join(f"<td>{_cell(v[i])}</td>" for v in columns.values()) + "</tr>"
            for i in range(min(n, _HTML_ROWS))
        ]
        more = f"<p>... {n - _HTML_ROWS} more rows (to_frame() has them all)</p>" if n > _HTML_ROWS else ""
        title = html.escape(repr(self).splitlines()[0])
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        return f"<div><p><b>{title}</b></p>{table}{more}</div>"
