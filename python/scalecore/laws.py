"""The scaling-law families: names, parameters, inputs and predictions (docs/methods.md section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from ._validation import FloatArray, as_float_array
from .errors import InvalidInputError

__all__ = ["Law", "get", "names"]


@dataclass(frozen=True)
class Law:
    """A law family. Positive coefficients are fitted as their logarithms (``log_params``)."""

    name: str
    param_names: tuple[str, ...]
    log_params: tuple[bool, ...]
    inputs: tuple[str, ...]
    n_grid: int

    def to_internal(self, params: Mapping[str, float]) -> FloatArray:
        """Public parameter values to the optimiser's coordinates (logs of the positive ones)."""
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params: must be a mapping {{name: value}}, got {params!r:.60}")
        missing = [p for p in self.param_names if p not in params]
        if missing:
            raise InvalidInputError(f"params: missing {missing} for the {self.name} law")
        out = np.empty(len(self.param_names))
        for i, (p, is_log) in enumerate(zip(self.param_names, self.log_params)):
            try:
                v = float(params[p])
            except (TypeError, ValueError, OverflowError):
                raise InvalidInputError(f"params: {p} must be a number, got {params[p]!r:.60}") from None
            if is_log and not v > 0:
                raise InvalidInputError(f"params: {p} must be positive, got {v!r}")
            out[i] = np.log(v) if is_log else v
        return out

    def to_public(self, theta: Any) -> dict[str, float]:
        t = np.asarray(theta, dtype=np.float64)
        return {
            p: float(np.exp(v)) if is_log else float(v) for p, is_log, v in zip(self.param_names, self.log_params, t)
        }

    def predict(self, params: Mapping[str, float], **columns: Any) -> FloatArray:
        """The law's prediction at the given inputs, e.g. ``law.predict(params, N=..., D=...)``."""
        theta = self.to_internal(params)
        return np.asarray(_core.law_predict(self.name, theta.tolist(), self.columns(columns)))

    def columns(self, columns: Mapping[str, Any]) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        n = None
        for name in self.inputs:
            if columns.get(name) is None:
                raise InvalidInputError(f"{name}: the {self.name} law needs input {name}")
            out[name] = as_float_array(name, columns[name], positive=True)
            if n is not None and len(out[name]) != n:
                raise InvalidInputError(f"{name}: has {len(out[name])} rows, expected {n}")
            n = len(out[name])
        return out

    def __repr__(self) -> str:
        return f"Law({self.name!r}, params={self.param_names}, inputs={self.inputs})"


# The static description of every law, read from the extension once at import (name -> parameter
# names, which are fitted as logarithms, inputs, default grid size): looking a law up never crosses.
_LAWS: dict[str, Law] = {
    name: Law(name=name, param_names=tuple(p), log_params=tuple(lg), inputs=tuple(i), n_grid=int(g))
    for name, (p, lg, i, g) in _core.LAWS.items()
}


def names() -> list[str]:
    """Names of every law."""
    return list(_LAWS)


def get(name: str | Law) -> Law:
    """The law called `name`."""
    if isinstance(name, Law):
        return name
    law = _LAWS.get(name) if isinstance(name, str) else None
    if law is None:
        raise InvalidInputError(f"law: unknown law {name!r}; known: {names()}")
    return law
