"""The result of `sc.bootstrap`: the replicates' parameters and what is computed from them (intervals,
derived quantities, allocations with intervals, densities); docs/methods.md sections 3-5."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._coverage import warn_if_poor
from ._results_io import ResultIO
from ._shape import flat, restore
from ._validation import FloatArray, positive_float
from .errors import InvalidInputError
from .fit import FitResult
from .laws import Law
from .laws import get as get_law

__all__ = ["DERIVED", "BootstrapAllocation", "BootstrapResult", "Quantity"]


# Derived quantities (docs/methods.md section 5), computed by the core for every replicate.
DERIVED: tuple[str, ...] = tuple(_core.DERIVED)

Quantity = str | Callable[[Mapping[str, FloatArray]], Any]


@dataclass(frozen=True)
class BootstrapAllocation(ResultIO):
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
        if np.ndim(self.compute) == 0:
            raise TypeError("len() of an allocation for a scalar budget")
        return len(self.compute)

    def _table(self) -> dict[str, Any]:
        out: dict[str, Any] = {"compute": np.ravel(self.compute)}
        for name in ("N", "D", "tokens_per_param", "loss"):
            ci = np.reshape(getattr(self, f"{name}_ci"), (-1, 2))
            out |= {name: np.ravel(getattr(self, name)), f"{name}_low": ci[:, 0], f"{name}_high": ci[:, 1]}
        return out

    def __repr__(self) -> str:
        rows = [
            f"  C={c:.3g}: N={n:.4g} [{nl:.4g}, {nh:.4g}], D={d:.4g} [{dl:.4g}, {dh:.4g}], "
            f"D/N={t:.3g} [{tl:.3g}, {th:.3g}], loss={lo:.4f} [{ll:.4f}, {lh:.4f}]"
            for c, n, (nl, nh), d, (dl, dh), t, (tl, th), lo, (ll, lh) in zip(
                np.ravel(self.compute),
                np.ravel(self.N),
                np.reshape(self.N_ci, (-1, 2)),
                np.ravel(self.D),
                np.reshape(self.D_ci, (-1, 2)),
                np.ravel(self.tokens_per_param),
                np.reshape(self.tokens_per_param_ci, (-1, 2)),
                np.ravel(self.loss),
                np.reshape(self.loss_ci, (-1, 2)),
                strict=True,
            )
        ]
        return f"BootstrapAllocation({self.level:.0%} {self.method} intervals\n" + "\n".join(rows) + "\n)"


def _public(law: Law, theta: FloatArray) -> dict[str, FloatArray]:
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, len(law.param_names))
    return {
        p: (np.exp(theta[:, i]) if is_log else theta[:, i].copy())
        for i, (p, is_log) in enumerate(zip(law.param_names, law.log_params, strict=True))
    }


class BootstrapResult(ResultIO):
    """Bootstrap refits of a law. ``samples[name]`` holds one value per successful refit; failed refits
    (not converged) are counted in ``n_failed`` and flagged in ``failed`` (one entry per replicate).

    Quantities for `se`, `ci` and `distribution` are parameter names, derived names (``"a"``, ``"b"``,
    ``"G"``, ``"N_opt"``, ``"D_opt"``, ``"tokens_per_param"``, ``"loss_opt"`` with ``compute=``;
    ``"loss"`` with the inputs, e.g. ``N=, D=``), or a callable taking a dict of parameter arrays and
    returning one value per sample.

    ``save(path)`` (``.npz`` keeps the samples compactly) and ``load`` keep the fit, the replicates and, once
    computed, the jackknife refits; a reloaded result answers everything but a first BCa interval (which needs
    the prepared refits that only pickling carries).
    """

    def __init__(
        self,
        *,
        fit: FitResult,
        prepared: Any,
        theta: FloatArray,
        failed: np.ndarray[Any, np.dtype[np.bool_]],
        level: float,
    ) -> None:
        self.fit = fit
        self.law = fit.law
        self.params = dict(fit.params)
        self.seed = int(prepared.seed)
        self.scheme = str(prepared.scheme)
        self.robust = bool(prepared.robust)
        self.n_guards = int(prepared.n_guards)
        self.level = level
        self.failed = np.asarray(failed, dtype=bool)
        self.n_resamples = len(self.failed)
        self.n_failed = int(self.failed.sum())
        self._prepared = prepared
        self._theta = np.asarray(theta, dtype=np.float64)[~self.failed]
        self._jackknife: FloatArray | None = None
        self.samples: dict[str, FloatArray] = _public(get_law(self.law), self._theta)

    def _state(self) -> dict[str, Any]:
        return {
            "fit": self.fit._state(),
            "seed": self.seed,
            "scheme": self.scheme,
            "robust": self.robust,
            "n_guards": self.n_guards,
            "level": self.level,
            "failed": self.failed,
            "theta": self._theta,
            "jackknife": self._jackknife,
        }

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> BootstrapResult:
        out = cls.__new__(cls)
        out.fit = FitResult._from_state(state["fit"])
        out.law = out.fit.law
        out.params = dict(out.fit.params)
        out.seed, out.scheme, out.robust = int(state["seed"]), str(state["scheme"]), bool(state["robust"])
        out.n_guards, out.level = int(state["n_guards"]), float(state["level"])
        out.failed = np.asarray(state["failed"], dtype=bool)
        out.n_resamples, out.n_failed = len(out.failed), int(out.failed.sum())
        out._prepared = None
        out._theta = np.asarray(state["theta"], dtype=np.float64)
        out._jackknife = state["jackknife"]
        out.samples = _public(get_law(out.law), out._theta)
        return out

    def _table(self) -> dict[str, Any]:
        return dict(self.samples)

    def plot_corner(self, params: Any = None, **options: Any) -> Any:
        """Every pair of parameters' samples (`scalecore.plot.corner`; needs matplotlib)."""
        from . import plot

        return plot.corner(self, params, **options)

    def plot_densities(self, params: Any = None, **options: Any) -> Any:
        """Each parameter's bootstrap density (`scalecore.plot.densities`; needs matplotlib)."""
        from . import plot

        return plot.densities(self, params, **options)

    def plot(self, runs: Any = None, **options: Any) -> Any:
        """The fit's curves with bootstrap bands (`scalecore.plot.fit`; needs matplotlib)."""
        from . import plot

        return plot.fit(self.fit, runs, self, **options)

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
        values = self._values(quantity, self._theta, compute, N, D, flops_per_param_token, with_estimate=True)
        return float(values[0]), values[1:]

    def _values(
        self,
        quantity: Quantity,
        theta: FloatArray,
        compute: Any,
        N: Any,
        D: Any,
        f: float,
        *,
        with_estimate: bool,
    ) -> FloatArray:
        """`quantity` for each row of `theta` (internal coordinates), after the full-data value when
        `with_estimate`."""
        law = get_law(self.law)
        if with_estimate:
            point = np.asarray(self.fit.theta).reshape(1, -1)
            if callable(quantity):  # called on the estimate and on the samples, as documented
                return np.concatenate(
                    [self._values(quantity, t, compute, N, D, f, with_estimate=False) for t in (point, theta)]
                )
            theta = np.vstack([point, theta])
        rows = len(theta)
        if callable(quantity):
            try:
                out = np.asarray(quantity(_public(law, theta)), dtype=np.float64)
            except InvalidInputError:
                raise
            except Exception as exc:
                raise InvalidInputError(f"quantity: the function raised {type(exc).__name__}: {exc}") from exc
            out = np.broadcast_to(out, (rows,)) if out.ndim == 0 else out
        elif isinstance(quantity, str) and quantity in law.param_names:
            out = _public(law, theta)[quantity]
        elif isinstance(quantity, str) and quantity in DERIVED:
            at = {k: None if v is None else positive_float(k, v) for k, v in (("N", N), ("D", D))}
            out = _core.derived_quantity(
                law.name,
                quantity,
                theta,
                compute=None if compute is None else float(compute),
                flops_per_param_token=positive_float("flops_per_param_token", f),
                **at,
            )
        else:
            raise InvalidInputError(
                f"quantity: unknown {quantity!r}; known: parameters {list(law.param_names)}, derived "
                f"{list(DERIVED)} or a callable"
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
    ) -> iv.ConfidenceInterval:
        """Two-sided interval: "percentile", "basic" (2 theta_hat - q) or "bca" (jackknife refits,
        leave-one-run-out, or leave-one-group-out for the cluster scheme; computed once, in parallel)."""
        lv = self.level if level is None else iv.level(level)
        m = iv.method(method)
        if isinstance(quantity, str) and self.scheme == "pairs" and m == "percentile":
            warn_if_poor("bootstrap", self.law, quantity, self.fit.n_runs, stacklevel=2)
        est, samples = self.distribution(quantity, **kwargs)
        jack = None
        if m == "bca":
            f = kwargs.get("flops_per_param_token", 6.0)
            args = (kwargs.get("compute"), kwargs.get("N"), kwargs.get("D"), f)
            jack = self._values(quantity, self.jackknife_theta(), *args, with_estimate=False)[:, None]
        return iv.intervals(samples[:, None], np.array([est]), jack, lv, m)[0]

    def jackknife_theta(self) -> FloatArray:
        """Internal parameters of the jackknife refits (successful ones), computed on first use: one
        refit per run left out, per cluster for the cluster scheme, or per random group of runs (500
        groups drawn from the seed) above 2000 runs."""
        if self._jackknife is None:
            if self._prepared is None:
                raise InvalidInputError(
                    "method: BCa needs jackknife refits, which a bootstrap loaded from a file without them cannot "
                    "run (compute one BCa interval before saving, or pickle the result instead)"
                )
            theta, failed = self._prepared.jackknife()
            self._jackknife = np.asarray(theta)[~np.asarray(failed, dtype=bool)]
        return self._jackknife

    def allocate(
        self,
        compute: Any,
        *,
        level: float | None = None,
        method: str = "percentile",
        flops_per_param_token: float = 6.0,
    ) -> BootstrapAllocation:
        """Compute-optimal N, D, D/N and loss per budget with intervals, every replicate and budget in
        one core call. The fields take the budgets' shape (a scalar budget: NumPy scalars and (2,) intervals)."""
        c, shape = flat("compute", compute)
        lv = self.level if level is None else iv.level(level)
        if self.scheme == "pairs" and method == "percentile":
            warn_if_poor("bootstrap", self.law, "N_opt", self.fit.n_runs, stacklevel=2)
        m = iv.method(method)
        k = len(self.param_names)
        jack = self.jackknife_theta() if m == "bca" else np.empty((0, k))
        values, bounds = _core.bootstrap_allocation(
            self.law,
            self.fit.theta,
            self._theta,
            jack,
            c,
            flops_per_param_token=positive_float("flops_per_param_token", flops_per_param_token),
            level=lv,
            method=m,
        )
        return BootstrapAllocation(
            compute=restore(c, shape),
            N=restore(values[0], shape),
            D=restore(values[1], shape),
            loss=restore(values[2], shape),
            tokens_per_param=restore(values[3], shape),
            N_ci=restore(bounds[0], shape),
            D_ci=restore(bounds[1], shape),
            loss_ci=restore(bounds[2], shape),
            tokens_per_param_ci=restore(bounds[3], shape),
            level=lv,
            method=m,
        )

    def __repr__(self) -> str:
        names = list(self.samples)
        if len(self._theta):
            samples = np.column_stack([self.samples[n] for n in names])
            estimates = np.array([self.params[n] for n in names])
            cis = iv.intervals(samples, estimates, None, self.level, "percentile")
        else:
            cis = [iv.ConfidenceInterval(np.nan, np.nan)] * len(names)
        rows = [f"  {n} = {self.params[n]:.6g}  [{lo:.6g}, {hi:.6g}]" for n, (lo, hi) in zip(names, cis, strict=True)]
        return (
            f"BootstrapResult({self.law}, {self.scheme}{' robust' if self.robust else ''}, "
            f"{self.n_resamples} resamples, {self.n_failed} failed, seed={self.seed}; "
            f"{self.level:.0%} percentile intervals\n" + "\n".join(rows) + "\n)"
        )
