"""Fit reports that can go into a paper: `fit.report()` and `scalecore report`.

Li et al. 2025 ("(Mis)Fitting: A Survey of Scaling Laws") found that published scaling laws often cannot be
reproduced because papers leave out how they were fitted, and ask every paper to state: the data (which runs,
their ranges, what was filtered out), how parameters and FLOPs were counted, the functional form and the
objective, the initialisation and the optimiser, whether the fit converged and is identified, the uncertainty of
the estimates, and where each constant came from. A `Report` gathers those items from a fit (and, when given,
its runs and bootstrap) and renders them as Markdown or JSON. What the library cannot know (the FLOP convention
of a table of runs, the filters applied before it) is reported as "not stated" until the caller states it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInputError

__all__ = ["Report", "report"]

# The functional forms, as a paper would write them (the laws' definitions: docs/methods.md section 1).
FORMULAS = {
    "chinchilla": "L(N, D) = E + A / N^alpha + B / D^beta",
    "power": "L(x) = E + A / x^alpha",
    "kaplan": "L(N, D) = ((N_c / N)^(alpha_N / alpha_D) + D_c / D)^alpha_D",
}
NOT_STATED = "not stated"


@dataclass(frozen=True)
class Report:
    """Sections of (item, value) pairs; ``str(report)`` and ``to_markdown()`` give Markdown, ``to_dict()`` and
    ``to_json()`` the same content for machines."""

    title: str
    sections: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, **{name: dict(items) for name, items in self.sections}}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **{"indent": 2, **kwargs})

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for name, items in self.sections:
            lines += [f"## {name}", ""]
            lines += [f"- **{item}**: {_text(value)}" for item, value in items]
            lines.append("")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_markdown()


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "; ".join(f"{k} = {_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) if value else "none"
    return str(value)


def report(
    fit: Any,
    *,
    runs: Any = None,
    boot: Any = None,
    data: str | None = None,
    filters: str | None = None,
    parameters: str | None = None,
    flops: str | None = None,
    title: str | None = None,
) -> Report:
    """The (Mis)Fitting checklist for `fit` (a FitResult). `runs` adds the loss range and run count per input,
    `boot` (a BootstrapResult of the same fit) the intervals; `data` (where the runs come from), `filters` (what
    was left out), `parameters` (e.g. "non-embedding") and `flops` (e.g. "6ND") state what only the caller knows."""
    from .laws import get

    # Read by its fields (not an isinstance check): scalecore.fit imports this module for FitResult.report.
    if not all(hasattr(fit, a) for a in ("law", "params", "input_ranges", "n_runs", "objective")):
        raise InvalidInputError(f"fit: expected a FitResult, got {type(fit).__name__}")
    law = get(fit.law)
    ranges = {k: [lo, hi] for k, (lo, hi) in fit.input_ranges.items()}
    data_items: list[tuple[str, Any]] = [("source", data or NOT_STATED), ("runs fitted", fit.n_runs)]
    data_items += [(f"{k} range", v) for k, v in ranges.items()]
    if runs is not None:
        loss = np.asarray(runs.loss, dtype=np.float64)
        data_items.append(("loss range", [float(loss.min()), float(loss.max())]))
        data_items += [(f"distinct {k}", int(np.unique(getattr(runs, k)).size)) for k in law.inputs if runs.has(k)]
    data_items.append(("filters applied before fitting", filters or NOT_STATED))

    accounting: list[tuple[str, Any]] = [
        ("parameter count", parameters or NOT_STATED + " (e.g. with or without embeddings; scalecore.flops helps)"),
        ("FLOP count", flops or NOT_STATED + " (e.g. 6ND, or exact: scalecore.flops.transformer_flops)"),
    ]
    objective = f"{fit.objective_name}" + (
        f" (Huber threshold delta = {fit.delta:g})"
        if "huber" in fit.objective_name or fit.objective_name == "asymmetric"
        else ""
    )
    form = [
        ("law", fit.law),
        ("functional form", FORMULAS.get(fit.law, "see docs/methods.md section 1")),
        ("parameters", list(law.param_names)),
        ("objective", objective),
        ("objective at the optimum", fit.objective),
    ]
    init = [
        ("optimiser", "L-BFGS with analytic gradients, positive coefficients fitted as logarithms"),
        (
            "initialisation",
            f"{fit.n_screened} grid starts screened by objective value, the best {fit.n_starts} minimised"
            if fit.n_screened
            else f"{fit.n_starts} starts minimised",
        ),
        ("iterations of the best start", fit.iterations),
    ]
    ident = fit.identifiability
    corr = np.asarray(ident["correlations"], dtype=np.float64)
    names = list(ident["params"])
    strong = [
        f"{names[i]}-{names[j]} {corr[i, j]:+.3f}"
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if np.isfinite(corr[i, j]) and abs(corr[i, j]) > 0.95
    ]
    convergence = [
        ("converged", fit.converged),
        ("stopping rule", fit.stop),
        ("starts reaching the best optimum", f"{fit.n_at_best} of {fit.n_starts}"),
        ("Hessian condition number", ident["condition_number"]),
        ("parameter correlations above 0.95", strong),
    ]
    if boot is None:
        intervals: list[tuple[str, Any]] = [
            ("intervals", "none computed (pass boot=, or --bootstrap B on the command line)")
        ]
    else:
        intervals = [
            (
                "method",
                f"{boot.scheme} bootstrap, {boot.n_resamples} refits ({boot.n_failed} failed), seed {boot.seed}",
            ),
            ("level", boot.level),
        ]
        intervals += [(f"{p} interval", list(boot.ci(p))) for p in law.param_names]
    fixed = [p for p in law.param_names if p not in fit.free_params]
    provenance = [
        ("fitted to these runs", list(fit.free_params)),
        ("fixed or tied (not free)", fixed),
        ("estimates", {k: float(v) for k, v in fit.params.items()}),
    ]
    return Report(
        title=title or f"Scaling-law fit: {fit.law}",
        sections=(
            ("Data", tuple(data_items)),
            ("Parameter and FLOP accounting", tuple(accounting)),
            ("Law and objective", tuple(form)),
            ("Initialisation and optimiser", tuple(init)),
            ("Convergence and identifiability", tuple(convergence)),
            ("Intervals", tuple(intervals)),
            ("Where each constant came from", tuple(provenance)),
        ),
    )
