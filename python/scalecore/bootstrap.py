"""Bootstrap intervals for fitted laws and for statistics (methods.md section 3).

`sc.bootstrap` refits a law to thousands of resampled run tables (pairs, cluster, residual, wild or
parametric) on the Rust core, each refit warm-started from the full-data optimum and guarded against
other basins, and returns a `BootstrapResult` with intervals for every parameter and derived quantity.
`sc.bootstrap_statistic` is the scipy.stats.bootstrap use case: built-in statistics streamed in Rust
(never a B x n matrix), Python callables as a fallback, percentile / basic / BCa intervals with
scipy's exact BCa formula.

Replicate i draws from a random stream determined by (seed, i) only, so results are bit-identical
for any `n_threads` and any split of the replicates into chunks (`map=`).
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._validation import FloatArray, as_float_array, one_of, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError
from .fit import OBJECTIVES, FitResult, _constraints, as_runs, fit
from .laws import Law
from .laws import get as get_law

__all__ = [
    "DERIVED",
    "METHODS",
    "SCHEMES",
    "STATISTICS",
    "BootstrapAllocation",
    "BootstrapResult",
    "BootstrapStatisticResult",
    "ConfidenceInterval",
    "bootstrap",
    "bootstrap_statistic",
]

SCHEMES = ("pairs", "cluster", "residual", "wild", "parametric")
METHODS = ("percentile", "basic", "bca")
STATISTICS = ("mean", "median", "std", "var", "quantile", "trimmed_mean", "correlation", "mean_difference")
# Derived quantities of a chinchilla fit (methods.md section 5) and the predicted loss of any law.
DERIVED = ("a", "b", "G", "N_opt", "D_opt", "tokens_per_param", "loss_opt", "loss")
# Above this many runs the BCa jackknife leaves out groups of runs (a grouped, delete-d jackknife over
# `_JACKKNIFE_GROUPS` random groups) instead of single runs: the acceleration is a ratio of moments
# of the jackknife values, which a few hundred groups estimate well, and a million refits of a
# million-run table would take hours.
_MAX_JACKKNIFE = 2000
_JACKKNIFE_GROUPS = 500


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


# --- shared validation -----------------------------------------------------------------------------


def _n_resamples(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"n_resamples: must be a positive integer, got {value!r}")
    return int(value)


def _level(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"level: must be a number strictly between 0 and 1, got {value!r}") from None
    if not (0.0 < v < 1.0):
        raise InvalidInputError(f"level: must lie strictly between 0 and 1, got {value!r}")
    return v


def _seed(value: Any) -> int:
    """None draws fresh entropy (recorded in the result, so the run can be repeated)."""
    if value is None:
        return int(np.random.SeedSequence().entropy % 2**64)  # type: ignore[operator]
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**63))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**64:
        raise InvalidInputError(f"seed: must be None, a numpy Generator or an integer in [0, 2**64), got {value!r}")
    return int(value)


def _method(value: Any) -> str:
    return one_of("method", value.lower() if isinstance(value, str) else value, METHODS)


class _AutoProgress:
    """A tqdm bar that appears only once the work has run about a second, in an interactive session."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.start = time.perf_counter()
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.start < 1.0 or total <= 0:
                return
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.desc, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _interactive() -> bool:
    return bool(getattr(sys, "ps1", None)) or "ipykernel" in sys.modules or sys.stderr.isatty()


def _progress(progress: Any, desc: str) -> tuple[Callable[[int, int], Any] | None, _AutoProgress | None]:
    """(callback for the core, bar to close): None = a bar when interactive, True = always a bar,
    False = nothing, or the user's callable progress(done, total)."""
    if progress is None:
        progress = _interactive()
    if progress is True:
        bar = _AutoProgress(desc)
        return bar, bar
    if progress is False:
        return None, None
    if callable(progress):
        return progress, None
    raise InvalidInputError(f"progress: must be None, a bool or a callable(done, total), got {progress!r}")


def _interval(
    distribution: FloatArray, estimate: float, jackknife: Sequence[FloatArray], level: float, method: str
) -> ConfidenceInterval:
    out = _core.bootstrap_interval(
        np.ascontiguousarray(distribution, dtype=np.float64),
        float(estimate),
        [np.ascontiguousarray(j, dtype=np.float64) for j in jackknife],
        level,
        method,
    )
    return ConfidenceInterval(float(out["low"]), float(out["high"]))


# --- derived quantities of a fit -------------------------------------------------------------------


def _derived(law: Law, name: str, p: Mapping[str, FloatArray], compute: Any, N: Any, D: Any, f: float) -> FloatArray:
    """A named quantity for every row of the parameter arrays `p` (vectorised over samples)."""
    if name == "loss":
        if N is None and D is None:
            raise InvalidInputError("loss: give the inputs of the prediction, e.g. N= and D=")
        if law.name == "chinchilla":
            n, d = float(positive_float("N", N)), float(positive_float("D", D))
            return np.asarray(p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"], dtype=np.float64)
        cols = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in (("N", N), ("D", D)) if v is not None}
        if "x" in law.inputs:
            cols = {"x": np.atleast_1d(np.asarray(N if N is not None else D, dtype=np.float64))}
        rows = len(next(iter(p.values())))
        return np.array(
            [law.predict({k: float(v[i]) for k, v in p.items()}, **cols)[0] for i in range(rows)], dtype=np.float64
        )
    if law.name != "chinchilla":
        raise InvalidInputError(f"quantity: {name!r} is defined for the chinchilla law, not {law.name!r}")
    alpha, beta, A, B, E = p["alpha"], p["beta"], p["A"], p["B"], p["E"]
    s = alpha + beta
    if name == "a":
        return np.asarray(beta / s, dtype=np.float64)
    if name == "b":
        return np.asarray(alpha / s, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        G = (alpha * A / (beta * B)) ** (1.0 / s)
        if name == "G":
            return np.asarray(G, dtype=np.float64)
        if compute is None:
            raise InvalidInputError(f"compute: {name!r} needs a compute budget, e.g. compute=1e24")
        c = positive_float("compute", compute) / f
        n_opt = G * c ** (beta / s)
        d_opt = c ** (alpha / s) / G
        values = {
            "N_opt": n_opt,
            "D_opt": d_opt,
            "tokens_per_param": d_opt / n_opt,
            "loss_opt": E + A / n_opt**alpha + B / d_opt**beta,
        }
    return np.asarray(values[name], dtype=np.float64)


@dataclass(frozen=True)
class BootstrapAllocation:
    """Compute-optimal allocation per budget with bootstrap intervals (columns low, high)."""

    compute: FloatArray
    N: FloatArray
    D: FloatArray
    loss: FloatArray
    tokens_per_param: FloatArray
    N_ci: FloatArray = field(repr=False)
    D_ci: FloatArray = field(repr=False)
    loss_ci: FloatArray = field(repr=False)
    tokens_per_param_ci: FloatArray = field(repr=False)
    level: float = 0.95
    method: str = "percentile"

    def __len__(self) -> int:
        return len(self.compute)

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: N={n:.4g} [{nl:.4g}, {nh:.4g}], D={d:.4g} [{dl:.4g}, {dh:.4g}], "
            f"D/N={t:.3g} [{tl:.3g}, {th:.3g}], loss={lo:.4f} [{ll:.4f}, {lh:.4f}]"
            for c, n, (nl, nh), d, (dl, dh), t, (tl, th), lo, (ll, lh) in zip(
                self.compute,
                self.N,
                self.N_ci,
                self.D,
                self.D_ci,
                self.tokens_per_param,
                self.tokens_per_param_ci,
                self.loss,
                self.loss_ci,
                strict=True,
            )
        ]
        return f"BootstrapAllocation({self.level:.0%} {self.method} intervals\n" + "\n".join(rows) + "\n)"


Quantity = str | Callable[[Mapping[str, FloatArray]], Any]


class BootstrapResult:
    """Bootstrap refits of a law. ``samples[name]`` holds one value per successful refit; failed refits
    (not converged) are counted in ``n_failed`` and flagged in ``failed`` (one entry per replicate).

    Quantities for `se`, `ci` and `distribution` are parameter names, derived names (``"a"``, ``"b"``,
    ``"G"``, ``"N_opt"``, ``"D_opt"``, ``"tokens_per_param"``, ``"loss_opt"`` with ``compute=``;
    ``"loss"`` with the inputs, e.g. ``N=, D=``), or a callable taking a dict of parameter arrays and
    returning one value per sample.
    """

    def __init__(
        self,
        *,
        fit: FitResult,
        theta: FloatArray,
        failed: np.ndarray[Any, np.dtype[np.bool_]],
        seed: int,
        scheme: str,
        robust: bool,
        level: float,
        refit: dict[str, Any],
        n_guards: int = 0,
    ) -> None:
        self.fit = fit
        self.law = fit.law
        self.params = dict(fit.params)
        self.seed = seed
        self.scheme = scheme
        self.robust = robust
        self.level = level
        self.failed = np.asarray(failed, dtype=bool)
        self.n_resamples = len(self.failed)
        self.n_failed = int(self.failed.sum())
        self.n_guards = n_guards
        self._theta = np.asarray(theta, dtype=np.float64)
        self._refit = refit
        self._jackknife: FloatArray | None = None
        law = get_law(self.law)
        good = self._theta[~self.failed]
        self.samples: dict[str, FloatArray] = _public(law, good)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.samples)

    def distribution(
        self,
        quantity: Quantity,
        *,
        compute: Any = None,
        N: Any = None,
        D: Any = None,
        flops_per_param_token: float = 6.0,
    ) -> tuple[float, FloatArray]:
        """(full-data value, bootstrap samples) of a parameter, derived quantity or callable."""
        law = get_law(self.law)
        point = {k: np.array([v]) for k, v in self.params.items()}
        f = positive_float("flops_per_param_token", flops_per_param_token)
        est = self._apply(law, quantity, point, compute, N, D, f)
        samples = self._apply(law, quantity, self.samples, compute, N, D, f)
        return float(est[0]), samples

    def _apply(
        self, law: Law, quantity: Quantity, p: Mapping[str, FloatArray], compute: Any, N: Any, D: Any, f: float
    ) -> FloatArray:
        rows = len(next(iter(p.values())))
        if callable(quantity):
            try:
                out = np.asarray(quantity(dict(p)), dtype=np.float64)
            except InvalidInputError:
                raise
            except Exception as exc:
                raise InvalidInputError(f"quantity: the function raised {type(exc).__name__}: {exc}") from exc
            out = np.broadcast_to(out, (rows,)) if out.ndim == 0 else out
        elif isinstance(quantity, str) and quantity in p:
            out = np.asarray(p[quantity], dtype=np.float64)
        elif isinstance(quantity, str) and quantity in DERIVED:
            out = _derived(law, quantity, p, compute, N, D, f)
        else:
            raise InvalidInputError(
                f"quantity: unknown {quantity!r}; known: parameters {list(p)}, derived {list(DERIVED)} or a callable"
            )
        if out.shape != (rows,):
            raise InvalidInputError(f"quantity: must give one value per sample ({rows}), got shape {out.shape}")
        bad = int((~np.isfinite(out)).sum())
        if bad:
            raise InvalidInputError(
                f"quantity: {getattr(quantity, '__name__', quantity)!r} is not finite for {bad} of {rows} samples "
                "(e.g. a non-positive exponent in a refit)"
            )
        return out

    def kde(self, quantity: Quantity, *, bandwidth: Any = "isj_botev", kernel: str = "gaussian", **kwargs: Any) -> Any:
        """Kernel density estimate (`scalecore.KDE`) of a quantity's bootstrap distribution, e.g.
        ``boot.kde("alpha").grid()`` to plot it; keywords as for `distribution`. The default bandwidth is the
        scale-equivariant ISJ (parameters live on arbitrary scales)."""
        from .kde import KDE

        return KDE(self.distribution(quantity, **kwargs)[1], bandwidth=bandwidth, kernel=kernel)

    def se(self, quantity: Quantity, **kwargs: Any) -> float:
        """Bootstrap standard error (standard deviation of the samples, ddof=1)."""
        return float(np.std(self.distribution(quantity, **kwargs)[1], ddof=1))

    def ci(
        self, quantity: Quantity, level: float | None = None, method: str = "percentile", **kwargs: Any
    ) -> ConfidenceInterval:
        """Two-sided interval: "percentile", "basic" (2 theta_hat - q) or "bca" (jackknife refits,
        leave-one-run-out, or leave-one-group-out for the cluster scheme; computed once, in parallel)."""
        lv = self.level if level is None else _level(level)
        m = _method(method)
        est, samples = self.distribution(quantity, **kwargs)
        jack: list[FloatArray] = []
        if m == "bca":
            law = get_law(self.law)
            jp = _public(law, self.jackknife_theta())
            f = positive_float("flops_per_param_token", kwargs.get("flops_per_param_token", 6.0))
            jack = [self._apply(law, quantity, jp, kwargs.get("compute"), kwargs.get("N"), kwargs.get("D"), f)]
        return _interval(samples, est, jack, lv, m)

    def jackknife_theta(self) -> FloatArray:
        """Internal parameters of the jackknife refits (successful ones), computed on first use."""
        if self._jackknife is None:
            spec = dict(self._refit)
            n = len(spec["loss"])
            if self.scheme == "cluster":
                groups = spec["group"]
            elif n <= _MAX_JACKKNIFE:
                groups = np.arange(n, dtype=np.int64)
            else:
                rng = np.random.Generator(np.random.PCG64(self.seed))
                groups = (rng.permutation(n) % _JACKKNIFE_GROUPS).astype(np.int64)
            out = _core.bootstrap_fit(**spec, jackknife=np.ascontiguousarray(groups, dtype=np.int64), progress=None)
            self._jackknife = np.asarray(out["theta"])[~np.asarray(out["failed"], dtype=bool)]
        return self._jackknife

    def allocate(
        self,
        compute: Any,
        *,
        level: float | None = None,
        method: str = "percentile",
        flops_per_param_token: float = 6.0,
    ) -> BootstrapAllocation:
        """Compute-optimal N, D, D/N and loss per budget (closed form, chinchilla) with intervals."""
        c = as_float_array("compute", compute, positive=True)
        lv = self.level if level is None else _level(level)
        cols: dict[str, list[Any]] = {k: [] for k in ("N_opt", "D_opt", "tokens_per_param", "loss_opt")}
        cis: dict[str, list[Any]] = {k: [] for k in cols}
        for budget in c:
            for name in cols:
                kw = {"compute": float(budget), "flops_per_param_token": flops_per_param_token}
                cols[name].append(self.distribution(name, **kw)[0])
                cis[name].append(tuple(self.ci(name, level=lv, method=method, **kw)))
        return BootstrapAllocation(
            compute=c,
            N=np.array(cols["N_opt"]),
            D=np.array(cols["D_opt"]),
            loss=np.array(cols["loss_opt"]),
            tokens_per_param=np.array(cols["tokens_per_param"]),
            N_ci=np.array(cis["N_opt"]).reshape(-1, 2),
            D_ci=np.array(cis["D_opt"]).reshape(-1, 2),
            loss_ci=np.array(cis["loss_opt"]).reshape(-1, 2),
            tokens_per_param_ci=np.array(cis["tokens_per_param"]).reshape(-1, 2),
            level=lv,
            method=_method(method),
        )

    def __repr__(self) -> str:
        rows = []
        for name, s in self.samples.items():
            lo, hi = np.quantile(s, [(1 - self.level) / 2, (1 + self.level) / 2]) if len(s) else (math.nan,) * 2
            rows.append(f"  {name} = {self.params[name]:.6g}  [{lo:.6g}, {hi:.6g}]")
        return (
            f"BootstrapResult({self.law}, {self.scheme}{' robust' if self.robust else ''}, "
            f"{self.n_resamples} resamples, {self.n_failed} failed, seed={self.seed}; "
            f"{self.level:.0%} percentile intervals\n" + "\n".join(rows) + "\n)"
        )


def _public(law: Law, theta: FloatArray) -> dict[str, FloatArray]:
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, len(law.param_names))
    return {
        p: (np.exp(theta[:, i]) if is_log else theta[:, i].copy())
        for i, (p, is_log) in enumerate(zip(law.param_names, law.log_params, strict=True))
    }


def _fit_chunk(spec: Mapping[str, Any], chunk: tuple[int, int]) -> tuple[FloatArray, Any, int]:
    """Refits of replicates chunk[0] .. chunk[0] + chunk[1] (module level, so `map=` can pickle it)."""
    out = _core.bootstrap_fit(**spec, first=chunk[0], count=chunk[1], progress=None)
    return np.asarray(out["theta"]), np.asarray(out["failed"], dtype=bool), int(out["n_guards"])


def bootstrap(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    n_resamples: int = 1000,
    seed: Any = None,
    scheme: str = "pairs",
    robust: bool = False,
    level: float = 0.95,
    wild_weights: str = "rademacher",
    group: Any = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: Any = "auto",
    fixed: Mapping[str, float] | None = None,
    tie: Iterable[Sequence[str]] | None = None,
    weights: Any = None,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_threads: int | None = None,
    progress: Any = None,
    map: Callable[..., Iterable[Any]] | None = None,
    chunk_size: int = 250,
) -> BootstrapResult:
    """Bootstrap a fit of `law` to `runs`: `n_resamples` full refits of resampled data.

    scheme: "pairs" (resample runs), "cluster" (resample whole groups: `group=` labels or the runs'
        group column; each group must hold two or more runs), "residual"
        (fitted values plus resampled residuals, in log space for the log objectives), "wild"
        (residuals times Rademacher or Webb weights, `wild_weights=`), "parametric" (normal noise of
        the residual scale).
    Each refit is warm-started from the full-data optimum (found as `sc.fit` finds it, with the same
    objective, init, fixed, tie and weights options) and guarded by the other local optima of the
    full-data multi-start; ``robust=True`` also polishes re-screened grid starts per replicate.
    Refits that do not converge are counted (``n_failed``), never silently dropped.
    progress: None (a tqdm bar after about a second in an interactive session), True, False, or a
    callable progress(done, total). map: a map-like callable (builtins.map, an executor's map, a Dask
    client's) that runs chunks of `chunk_size` replicates; results are identical to a local run.
    """
    n_res = _n_resamples(n_resamples)
    lv = _level(level)
    one_of("scheme", scheme, SCHEMES)
    one_of("wild_weights", wild_weights, ("rademacher", "webb"))
    one_of("objective", objective, OBJECTIVES)
    seed_ = _seed(seed)
    if not isinstance(robust, bool):
        raise InvalidInputError(f"robust: must be True or False, got {robust!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size: must be a positive integer, got {chunk_size!r}")
    threads = check_threads(n_threads)
    r = as_runs(runs)
    lw = get_law(law)
    codes = None
    if scheme == "cluster":
        labels = r.group if group is None else np.asarray(group)
        if labels is None:
            raise InvalidInputError("group: the cluster scheme needs group labels (group= or the runs' group column)")
        if labels.shape != (len(r),):
            raise InvalidInputError(f"group: needs one label per run ({len(r)}), got shape {labels.shape}")
        codes = np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)
        sizes = np.bincount(codes)
        if len(sizes) < 2 or (sizes == 1).any():
            raise InvalidInputError(
                "group: the cluster scheme needs at least 2 groups of two or more runs each (merge single-run "
                f"groups, or use scheme='pairs'); got group sizes {sizes[:10].tolist()}"
            )
    full = fit(
        r,
        lw,
        objective=objective,
        delta=delta,
        asymmetry=asymmetry,
        init=init,
        fixed=fixed,
        tie=tie,
        weights=weights,
        max_iter=max_iter,
        ftol=ftol,
        gtol=gtol,
        n_threads=threads,
    )
    columns = lw.columns({name: getattr(r, name) if r.has(name) else None for name in lw.inputs})
    w = r.weight if weights is None else as_float_array("weights", weights, nonnegative=True)
    fixed_i, ties_i = _constraints(lw, fixed, tie)
    spec: dict[str, Any] = {
        "law": lw.name,
        "columns": columns,
        "loss": r.loss,
        "theta_hat": lw.to_internal(full.params).tolist(),
        "weight": w,
        "objective_name": objective,
        "delta": float(delta),
        "asymmetry": float(asymmetry),
        "fixed": fixed_i,
        "ties": ties_i,
        "scheme": scheme,
        "wild_weights": wild_weights,
        "group": codes,
        "seed": seed_,
        "robust": robust,
        "max_iter": max_iter,
        "ftol": ftol,
        "gtol": gtol,
        "n_threads": threads,
    }
    if map is None:
        callback, bar = _progress(progress, "bootstrap")
        try:
            out = _core.bootstrap_fit(**spec, first=0, count=n_res, progress=callback)
        finally:
            if bar is not None:
                bar.close()
        theta, failed, n_guards = np.asarray(out["theta"]), np.asarray(out["failed"], dtype=bool), int(out["n_guards"])
    else:
        chunks = [(s, min(chunk_size, n_res - s)) for s in range(0, n_res, chunk_size)]
        parts = list(map(functools.partial(_fit_chunk, spec), chunks))
        theta = np.concatenate([p[0] for p in parts])
        failed = np.concatenate([p[1] for p in parts])
        n_guards = parts[0][2]
    return BootstrapResult(
        fit=full,
        theta=theta,
        failed=failed,
        seed=seed_,
        scheme=scheme,
        robust=robust,
        level=lv,
        refit=spec,
        n_guards=n_guards,
    )


# --- statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapStatisticResult:
    """A bootstrapped statistic: its value on the data, the interval, the standard error and the
    bootstrap distribution (and the jackknife values BCa used)."""

    statistic: str
    estimate: float
    ci: ConfidenceInterval
    se: float
    distribution: FloatArray = field(repr=False)
    method: str = "bca"
    level: float = 0.95
    n_resamples: int = 0
    seed: int = 0
    jackknife: tuple[FloatArray, ...] = field(default=(), repr=False)

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """scipy.stats.bootstrap's name for `ci`."""
        return self.ci

    @property
    def standard_error(self) -> float:
        return self.se

    def interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """The interval at another level or by another method, from the same distribution."""
        m = self.method if method is None else _method(method)
        if m == "bca" and not self.jackknife:
            raise InvalidInputError("method: BCa needs the jackknife values; rerun with method='bca'")
        return _interval(
            self.distribution, self.estimate, self.jackknife, self.level if level is None else _level(level), m
        )


def _samples(data: Any) -> list[FloatArray]:
    if isinstance(data, (tuple, list)) and len(data) > 0 and np.ndim(data[0]) >= 1:
        return [as_float_array(f"data[{i}]", d) for i, d in enumerate(data)]
    return [as_float_array("data", data)]


def _leave_one_out(n: int, start: int, stop: int) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Index rows start..stop of the leave-one-out design: row i is 0..n without i."""
    i = np.arange(start, stop)[:, None]
    j = np.arange(n - 1)[None, :]
    return np.asarray(j + (j >= i), dtype=np.intp)


def _call(statistic: Callable[..., Any], args: Sequence[FloatArray], vectorized: bool, rows: int) -> FloatArray:
    try:
        if vectorized:
            out = np.asarray(statistic(*args, axis=-1), dtype=np.float64)
        else:
            out = np.array([statistic(*(a[r] for a in args)) for r in range(rows)], dtype=np.float64)
    except InvalidInputError:
        raise
    except Exception as exc:
        raise InvalidInputError(f"statistic: the callable raised {type(exc).__name__}: {exc}") from exc
    if out.shape != (rows,):
        raise InvalidInputError(f"statistic: must return one number per resample, got shape {out.shape}")
    if not np.isfinite(out).all():
        raise InvalidInputError(f"statistic: returned a non-finite value {out[~np.isfinite(out)][0]!r}")
    return out


def _callable_statistic(
    statistic: Callable[..., Any],
    samples: list[FloatArray],
    paired: bool,
    vectorized: bool,
    seed: int,
    n_res: int,
    batch: int,
    want_jackknife: bool,
) -> tuple[float, FloatArray, list[FloatArray]]:
    sizes = [len(s) for s in samples]
    if paired and len(set(sizes)) != 1:
        raise InvalidInputError(f"data: paired samples must have equal lengths, got {sizes}")
    est = _call(statistic, [s[None, :] for s in samples], vectorized, 1)[0]
    dist = np.empty(n_res)
    for first in range(0, n_res, batch):
        count = min(batch, n_res - first)
        idx = _core.bootstrap_indices(sizes, paired=paired, seed=seed, first=first, count=count)
        args = [s[idx[0]] for s in samples] if paired else [s[i] for s, i in zip(samples, idx, strict=True)]
        dist[first : first + count] = _call(statistic, args, vectorized, count)
    jack: list[FloatArray] = []
    if want_jackknife:
        for j in range(1 if paired else len(samples)):
            n = sizes[j]
            vals = np.empty(n)
            step = max(1, 10_000_000 // n) if vectorized else n
            for start in range(0, n, step):
                stop = min(n, start + step)
                loo = _leave_one_out(n, start, stop)
                if paired:
                    args = [s[loo] for s in samples]
                else:
                    args = [
                        s[loo] if k == j else np.broadcast_to(s, (stop - start, len(s))) for k, s in enumerate(samples)
                    ]
                vals[start:stop] = _call(statistic, args, vectorized, stop - start)
            jack.append(vals)
    return float(est), dist, jack


def bootstrap_statistic(
    data: Any,
    statistic: str | Callable[..., Any] = "mean",
    *,
    n_resamples: int = 9999,
    method: str = "bca",
    level: float = 0.95,
    seed: Any = None,
    paired: bool = False,
    q: float = 0.5,
    ddof: float = 0.0,
    proportiontocut: float = 0.1,
    vectorized: bool | None = None,
    batch: int | None = None,
    n_threads: int | None = None,
    progress: Any = None,
) -> BootstrapStatisticResult:
    """Bootstrap interval of a statistic of one or more samples (scipy.stats.bootstrap done fast).

    data: one sample (array) or a sequence of samples (independent, or `paired` rows).
    statistic: "mean", "median", "std", "var" (with `ddof`), "quantile" (at `q`), "trimmed_mean"
        (cutting int(proportiontocut n) values from each end, as scipy.stats.trim_mean), "correlation"
        (Pearson, two paired samples), "mean_difference" (two samples), all streamed in Rust with an
        O(n) or O(n log n) jackknife; or a callable statistic(*samples) (with `axis` when vectorised:
        `vectorized=None` detects an `axis` parameter), evaluated on batches of `batch` resamples.
    method: "percentile", "basic" or "bca" (scipy's formula exactly). The result holds the interval,
    the standard error (ddof=1) and the bootstrap distribution.
    """
    n_res = _n_resamples(n_resamples)
    m = _method(method)
    lv = _level(level)
    seed_ = _seed(seed)
    threads = check_threads(n_threads)
    samples = _samples(data)
    for i, s in enumerate(samples):
        if len(s) < 2:
            raise InvalidInputError(f"data: each sample needs at least 2 values, sample {i} has {len(s)}")
    if isinstance(statistic, str):
        name = one_of("statistic", statistic, STATISTICS)
        callback, bar = _progress(progress, "bootstrap")
        try:
            out = _core.bootstrap_statistic(
                samples,
                name,
                q=float(q),
                ddof=float(ddof),
                proportiontocut=float(proportiontocut),
                paired=bool(paired),
                seed=seed_,
                first=0,
                count=n_res,
                jackknife=m == "bca",
                n_threads=threads,
                progress=callback,
            )
        finally:
            if bar is not None:
                bar.close()
        est, dist, jack = (
            float(out["estimate"]),
            np.asarray(out["distribution"]),
            [np.asarray(j) for j in out["jackknife"]],
        )
        if not np.isfinite(dist).all() or not math.isfinite(est):
            raise InvalidInputError(f"statistic: {name} is not finite on some resamples (constant data?)")
    elif callable(statistic):
        name = getattr(statistic, "__name__", "callable")
        vec = "axis" in inspect.signature(statistic).parameters if vectorized is None else bool(vectorized)
        if batch is None:
            batch = max(1, min(n_res, 10_000_000 // max(sum(len(s) for s in samples), 1)))
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise InvalidInputError(f"batch: must be a positive integer, got {batch!r}")
        est, dist, jack = _callable_statistic(statistic, samples, bool(paired), vec, seed_, n_res, batch, m == "bca")
    else:
        raise InvalidInputError(f"statistic: must be one of {list(STATISTICS)} or a callable, got {statistic!r}")
    ci = _interval(dist, est, jack, lv, m)
    return BootstrapStatisticResult(
        statistic=name,
        estimate=est,
        ci=ci,
        se=float(np.std(dist, ddof=1)),
        distribution=dist,
        method=m,
        level=lv,
        n_resamples=n_res,
        seed=seed_,
        jackknife=tuple(jack),
    )
