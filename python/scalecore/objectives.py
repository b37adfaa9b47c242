"""Objectives as compositions: residual space x penalty x asymmetry x reduction (docs/custom_laws.md).

``sc.objective(...)`` spells a composition as the text the core reads ("space=linear,penalty=absolute,...");
pass it as ``objective=`` to `sc.fit` or `sc.bootstrap`. The named objectives stay as aliases:
"huber_log" = objective("log", "huber", delta=delta), "lsq" = objective("linear", "squared"),
"lsq_log" = objective("log", "squared"), "asymmetric" = objective("log", "huber", delta=delta, over=asymmetry).
"""

from __future__ import annotations

from ._validation import real
from .errors import InvalidInputError

__all__ = ["PENALTIES", "objective"]

PENALTIES = ("squared", "absolute", "huber", "pseudo_huber")


def objective(
    space: str = "log",
    penalty: str = "huber",
    *,
    delta: float = 1e-3,
    over: float = 1.0,
    under: float = 1.0,
    reduction: str = "sum",
) -> str:
    """An objective composed of: the residual `space` ("log": log prediction - log loss, or "linear"),
    the `penalty` of one residual r ("squared" r^2, "absolute" |r|, "huber" and "pseudo_huber" with
    threshold `delta`, or an expression in r of your own, in the syntax of `sc.laws.define`, e.g.
    Cauchy's ``"log1p(r^2 / 0.01)"`` or a capped square ``"min(r^2, 0.04)"``), the weights of
    over-predictions (`over`, prediction above the observed loss) and
    under-predictions (`under`), and the `reduction` over runs ("sum" or "mean"); per-run weights come
    from `weights=` as for every objective.

    The PyPI `chinchilla` package's default: ``objective("linear", "absolute", over=10, reduction="mean")``.
    """
    if space not in ("log", "linear"):
        raise InvalidInputError(f"space: must be 'log' or 'linear', got {space!r}")
    if not isinstance(penalty, str) or not penalty.strip():
        raise InvalidInputError(f"penalty: must be one of {PENALTIES} or an expression in r, got {penalty!r}")
    if reduction not in ("sum", "mean"):
        raise InvalidInputError(f"reduction: must be 'sum' or 'mean', got {reduction!r}")
    parts = [f"space={space}"]
    if penalty in PENALTIES:
        parts.append(f"penalty={penalty}")
    if penalty in ("huber", "pseudo_huber"):
        parts.append(f"delta={real('delta', delta)!r}")
    parts += [f"over={real('over', over)!r}", f"under={real('under', under)!r}", f"reduction={reduction}"]
    if penalty not in PENALTIES:
        # The core parses and checks the expression (errors give the position in it); it comes last
        # because it may contain commas.
        parts.append(f"rho={penalty}")
    return ",".join(parts)
