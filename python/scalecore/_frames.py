"""DataFrame and Arrow export shared by the fleet tables (FitTable, JointFitTable): both build their columns
once in `columns()`, and these turn that mapping into a pandas or polars frame or a pyarrow table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import InvalidInputError


class Tabular:
    """Mixin: `to_frame` and `to_arrow` from the subclass's `columns()` (one entry per output column)."""

    def columns(self) -> Mapping[str, Any]:
        raise NotImplementedError

    def to_frame(self, backend: str = "pandas") -> Any:
        """The table as a pandas or polars DataFrame, one row per row of `columns()`."""
        if backend == "pandas":
            import pandas as pd

            return pd.DataFrame(dict(self.columns()))
        if backend == "polars":
            import polars as pl

            return pl.DataFrame(dict(self.columns()))
        raise InvalidInputError(f"backend: must be 'pandas' or 'polars', got {backend!r}")

    def to_arrow(self) -> Any:
        """The table as a pyarrow Table, one row per row of `columns()`."""
        import pyarrow as pa

        return pa.table({k: pa.array(np.asarray(v)) for k, v in self.columns().items()})
