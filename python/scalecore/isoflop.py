"""IsoFLOP analysis (Hoffmann et al. 2022, approach 2) and the efficient frontier (approach 1);
docs/methods.md section 6.

`isoflop` groups runs by compute budget C, fits per budget a polynomial (parabola, or cubic with
``degree=3``) of loss against ln N, and takes its minimum as N_opt(C); then fits N_opt = k C^a by least
squares in log-log. D_opt = C / (f N_opt) and the loss at the optimum come with it.

What the default does on wide, asymmetric sweeps: each budget's polynomial is fitted only to the runs of
the ``near`` model sizes closest to the lowest observed loss (7 for a parabola, 9 for a cubic, split
evenly between the two sides when the sweep allows). Far up a valley wall the loss is not quadratic in
ln N, and a polynomial through every run of a wide, lopsided sweep moves the minimum towards the longer
wall; near the minimum any smooth valley is close to quadratic, so the local fit is nearly unbiased at
the price of some variance. Measured on sweeps simulated from Hoffmann et al.'s law (8 budgets, one fixed
grid of model sizes spanning 3 decades, so each budget's sweep is lopsided; 0.1 % noise, 40 seeds): bias
of the exponent a was +0.0000 (sd 0.0027) for the default, -0.0023 (sd 0.0016) for a parabola through
every run and -0.0127 (sd 0.0033) for a cubic through every run. ``near=None`` fits every run (the
textbook approach 2). When the sweep is centred on the optimum the exponent is unbiased either way, but
N_opt itself is not: a parabola through a wide centred sweep over-estimates N_opt by about 5 % when
alpha != beta, and ``degree=3`` removes that. A budget has no usable minimum, with the reason recorded, when
it has fewer than 3 distinct model sizes (4 for a cubic), its lowest run is the smallest or largest model (no
interior minimum), or the fitted curve's minimum is missing or outside the runs fitted. Real sweeps routinely
have such budgets (3 of the 15 published sweeps of Porian et al. 2024, "Resolving Discrepancies in
Compute-Optimal Scaling of Language Models", have one whose lowest loss sits at the sweep's edge), so by
default they are dropped with a DroppedBudgetWarning naming them and listed in ``result.dropped``;
``strict=True`` refuses the whole analysis instead.

With ``n_resamples > 0`` the runs of each budget are resampled with replacement, every budget and the
log-log line are refitted per replicate (both stages), and percentile intervals are reported. A replicate
in which some budget loses its interior minimum is counted in ``n_failed`` and left out of the exponent's
interval (so the interval is conditional on a bracketed minimum; many failures mean the sweeps are too
narrow or too noisy). Replicate i draws from its own ChaCha8 stream (seed, i): the same answer for any
thread count.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import _options as options
from ._fit_spec import as_runs
from ._results_io import ResultIO
from ._validation import FloatArray, as_float_array, integer, real
from .errors import DroppedBudgetWarning, InvalidInputError
from .fit import fit
from .runs import Runs

__all__ = ["FrontierResult", "IsoflopResult", "efficient_frontier", "isoflop"]


@dataclass(frozen=True)
class IsoflopResult(ResultIO):
    """Per-budget optima and the scaling of N_opt with compute: N_opt = coefficient * C^exponent."""

    C: FloatArray
    N_opt: FloatArray
    D_opt: FloatArray
    loss_opt: FloatArray
    exponent: float
    coefficient: float
    degree: int
    near: int | None
    flops_per_param_token: float = 6.0
    dropped: tuple[tuple[float, str], ...] = ()
    level: float | None = None
    exponent_ci: tuple[float, float] | None = None
    N_opt_ci: FloatArray | None = field(default=None, repr=False)
    exponent_samples: FloatArray | None = field(default=None, repr=False)
    n_resamples: int = 0
    n_failed: int = 0
    seed: int | None = None

    @property
    def data_exponent(self) -> float:
        """b in D_opt ~ C^b (= 1 - a, since D = C / (f N))."""
        return 1.0 - self.exponent

    def _table(self) -> dict[str, Any]:
        out = {"C": self.C, "N_opt": self.N_opt, "D_opt": self.D_opt, "loss_opt": self.loss_opt}
        if self.N_opt_ci is not None:
            out |= {"N_opt_low": self.N_opt_ci[:, 0], "N_opt_high": self.N_opt_ci[:, 1]}
        return out

    def plot(self, runs: Any = None, **options: Any) -> Any:
        """Profiles with their minima and N_opt against compute (`scalecore.plot.isoflop`; needs matplotlib)."""
        from . import plot

        return plot.isoflop(self, runs, **options)

    def predict_N_opt(self, compute: Any) -> FloatArray:  # noqa: N802  (the field's own symbol)
        """N_opt at other budgets from the fitted power law."""
        c = as_float_array("compute", compute, positive=True).reshape(np.shape(compute))
        return np.asarray(self.coefficient * c**self.exponent, dtype=np.float64)

    def __repr__(self) -> str:
        ci = ""
        if self.exponent_ci is not None:
            lo, hi = self.exponent_ci
            ci = f" [{lo:.4f}, {hi:.4f}] ({self.level:.0%}, {self.n_resamples} resamples)"
        how = "every run" if self.near is None else f"{self.near} sizes around each minimum"
        lines = [f"IsoflopResult(degree {self.degree} on {how}: N_opt ~ C^{self.exponent:.4f}{ci}"]
        for c, n, d, lo in zip(self.C, self.N_opt, self.D_opt, self.loss_opt, strict=False):
            lines.append(f"  C={c:.3g}: N_opt={n:.4g}, D_opt={d:.4g}, loss={lo:.4f}")
        for c, why in self.dropped:
            lines.append(f"  C={c:.3g}: dropped, {why}")
        return "\n".join(lines) + "\n)"


def _budgets(C: FloatArray) -> tuple[FloatArray, list[int]]:
    """Budgets as groups of runs whose C agree to 1e-6 relative: (geometric-mean C per budget, index per run)."""
    lc = np.log(C)
    order = np.argsort(lc, kind="stable")
    index = np.empty(len(C), dtype=np.int64)
    b = -1
    prev = -np.inf
    for i in order:
        if lc[i] - prev > 1e-6:
            b += 1
        index[i] = b
        prev = lc[i]
    ln_c = np.array([lc[index == k].mean() for k in range(b + 1)])
    return np.exp(ln_c), index.tolist()


def isoflop(
    runs: Any,
    degree: int = 2,
    *,
    near: int | str | None = "auto",
    n_resamples: int = 0,
    level: float = 0.95,
    seed: Any = None,
    strict: bool = False,
    n_threads: int | None = None,
    progress: Any = None,
) -> IsoflopResult:
    """IsoFLOP analysis of `runs` (needs N, loss and C, or N and D from which C = f N D).

    degree: 2 (parabola) or 3 (cubic) of loss against ln N per budget.
    near: distinct model sizes fitted around each budget's lowest run ("auto": 7 for a parabola, 9 for a
        cubic; None: every run). See the module docstring for why.
    n_resamples: bootstrap replicates through both stages (0: none); `level` for the intervals; `seed` None
        (fresh entropy, recorded in ``result.seed``), an integer or a numpy Generator; `progress` None (a bar
        after about a second in an interactive session), True, False or a callable progress(done, total).
    strict: refuse (InvalidInputError) when a budget has no usable minimum; by default such budgets are
        dropped with a DroppedBudgetWarning naming them and listed with the reason in ``result.dropped``.
    The runs' ``weight`` column, when present, weights each budget's polynomial fit (zero drops a run).
    """

    r: Runs = as_runs(runs)
    # What can cross as an unsigned integer is checked here; which degrees and levels are accepted is
    # the core's rule (isoflop::check_options, bootstrap::intervals::check_level).
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or not 0 <= degree < 2**63:
        raise InvalidInputError(f"degree: must be 2 or 3, got {degree!r}")
    degree = int(degree)
    if near == "auto":
        near_k: int | None = 2 * degree + 3
    elif near is None:
        near_k = None
    elif isinstance(near, (int, np.integer)) and not isinstance(near, bool) and 3 <= near < 2**63:
        near_k = int(near)
    else:
        raise InvalidInputError(f"near: must be 'auto', None or an integer >= 3, got {near!r}")
    n_resamples = integer("n_resamples", n_resamples, minimum=0)
    lvl = real("level", level)
    options.check_progress(progress)
    seed_ = options.seed(seed)
    threads = options.n_threads(n_threads)
    for col in ("N", "C"):
        if not r.has(col):
            raise InvalidInputError(f"runs: isoflop needs column {col} (or N and D); the runs have {r.columns}")
    f = r.flops_per_param_token
    C_all, index = _budgets(r.C)
    ln_n = np.log(r.N)
    fit = _core.isoflop_fit(ln_n, r.loss, index, np.log(C_all), degree, near_k, r.weight)
    if not isinstance(strict, bool):
        raise InvalidInputError(f"strict: must be True or False, got {strict!r}")
    refused = fit.refusal != 0
    dropped = tuple((float(C_all[b]), str(fit.messages[b])) for b in np.flatnonzero(refused))
    if dropped:
        text = "; ".join(f"C={c:.4g} {why}" for c, why in dropped)
        if strict:
            raise InvalidInputError(
                f"runs: {len(dropped)} budget(s) have no usable minimum: {text} (strict=False drops them)"
            )
        warnings.warn(
            f"dropped {len(dropped)} budget(s) without a usable minimum: {text}", DroppedBudgetWarning, stacklevel=2
        )
    keep = np.flatnonzero(~refused)
    if keep.size < 2:
        why = "".join(f"; C={c:.4g} {reason}" for c, reason in dropped)
        raise InvalidInputError(
            f"runs: the power law N_opt ~ C^a needs at least 2 budgets with a minimum, got {keep.size}{why}"
        )
    remap = {int(b): i for i, b in enumerate(keep)}
    rows = [i for i, b in enumerate(index) if b in remap]
    sub_index = [remap[index[i]] for i in rows]
    ln_c = np.log(C_all[keep])
    sub = (np.ascontiguousarray(ln_n[rows]), np.ascontiguousarray(r.loss[rows]), sub_index, ln_c)
    weight = None if r.weight is None else np.ascontiguousarray(r.weight[rows])
    if dropped:  # refit the kept budgets: the exponent is over them only
        fit = _core.isoflop_fit(*sub, degree, near_k, weight)
    n_opt = np.exp(fit.ln_n_opt)
    C = C_all[keep]
    boot: dict[str, Any] = {}
    if n_resamples > 0:
        with options.progress(progress, "isoflop bootstrap") as callback:
            out = _core.isoflop_bootstrap(*sub, degree, near_k, weight, n_resamples, seed_, threads, callback)
        exponent_ci, n_opt_ci = out.intervals(lvl)
        boot = {
            "level": lvl,
            "exponent_ci": exponent_ci,
            "N_opt_ci": n_opt_ci,
            "exponent_samples": out.exponent,
            "n_resamples": n_resamples,
            "n_failed": out.n_failed,
            "seed": seed_,  # recorded only when used, so that the run can be repeated
        }
    return IsoflopResult(
        C=C,
        N_opt=n_opt,
        D_opt=C / (f * n_opt),
        loss_opt=fit.loss_opt,
        exponent=fit.exponent,
        coefficient=math.exp(fit.intercept),
        degree=degree,
        near=near_k,
        flops_per_param_token=f,
        dropped=dropped,
        **boot,
    )


@dataclass(frozen=True)
class FrontierResult(ResultIO):
    """Efficient frontier of training curves: lowest loss per compute and the model size reaching it,
    with N_opt = coefficient * C^exponent and L(C) = E + A C^-alpha fitted along it."""

    C: FloatArray
    loss: FloatArray
    N: FloatArray
    exponent: float
    coefficient: float
    E: float
    A: float
    alpha: float

    def _table(self) -> dict[str, Any]:
        return {"C": self.C, "N": self.N, "loss": self.loss}

    def __repr__(self) -> str:
        return (
            f"FrontierResult({len(self.C)} points, C {self.C[0]:.3g}..{self.C[-1]:.3g}: N_opt ~ C^{self.exponent:.4f}, "
            f"L(C) = {self.E:.4g} + {self.A:.4g} C^-{self.alpha:.4f})"
        )


def efficient_frontier(
    runs: Any, *, n_grid: int = 256, objective: str = "lsq_log", n_threads: int | None = None
) -> FrontierResult:
    """Approach 1: `runs` hold points of training curves (N, C or D so far, loss); each distinct N (or
    ``group``, when given) is one model. At `n_grid` log-spaced computes the lowest interpolated loss
    over models forms the frontier; N_opt ~ C^a is fitted by least squares in log-log over the frontier
    points and L(C) = E + A C^-alpha by `sc.fit` with the power law and `objective` (least squares on
    log residuals by default: the frontier is a smooth curve, not a set of noisy runs)."""

    r = as_runs(runs)
    n_grid = integer("n_grid", n_grid, minimum=0)  # ">= 2": the core's rule
    for col in ("N", "C"):
        if not r.has(col):
            raise InvalidInputError(f"runs: the frontier needs column {col} (or N and D); the runs have {r.columns}")
    keys = r.group if r.group is not None else r.N
    labels, model = np.unique(keys, return_inverse=True)
    sizes = np.array([r.N[model == m][0] for m in range(len(labels))])
    out = _core.efficient_frontier(model.astype(np.int64).tolist(), np.log(r.C), r.loss, len(labels), n_grid)
    C = np.exp(out.ln_c)
    loss = out.loss
    N = sizes[out.model]
    a, k = np.polyfit(np.log(C), np.log(N), 1)
    law = fit(Runs(x=C, loss=loss), "power", objective=objective, n_threads=n_threads)
    return FrontierResult(
        C=C,
        loss=loss,
        N=N,
        exponent=float(a),
        coefficient=float(np.exp(k)),
        E=law.params["E"],
        A=law.params["A"],
        alpha=law.params["alpha"],
    )
