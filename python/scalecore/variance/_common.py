"""Shared pieces of the variance results: frames, text tables, JSON-ready values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Columns = Mapping[str, str] | None


def _frame(columns: dict[str, Any]) -> Any:
    """A pandas DataFrame when pandas is installed, else the dict of NumPy arrays."""
    try:
        import pandas as pd
    except ImportError:
        return {k: np.asarray(v) for k, v in columns.items()}
    return pd.DataFrame(columns)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns (the first left-aligned), for reprs and the CLI."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _plain(a: Any) -> list[Any]:
    """Nested lists of floats with non-finite values as None."""
    return [_plain(v) if np.ndim(v) else (float(v) if np.isfinite(v) else None) for v in a]


# --- Kendall's tau-b ---------------------------------------------------------------------------------
