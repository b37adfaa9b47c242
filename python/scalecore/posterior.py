"""Bayesian posteriors over a law's parameters: `sc.posterior` and `PosteriorResult` (docs/posterior.md).

Model: ln(loss_i) = ln(law(inputs_i; theta)) + noise_i, noise Gaussian with unknown scale sigma and the
scale-invariant prior 1/sigma, which integrates out: p(theta | data) is proportional to
prior(theta) * SSR(theta)^(-n/2), SSR the sum of squared log residuals (Gelman et al. 2013, "Bayesian Data
Analysis", 3.2). Its mode under flat priors is the least-squares fit in log space (``objective="lsq_log"``).
Priors act on the internal coordinates (the logarithm of each positive coefficient, exponents as they are);
the default is flat over the law's plausibility box (e.g. for chinchilla ln E in [-10, 10], ln A and ln B in
[-10, 60], alpha and beta in [0, 5]): weakly informative, proper, and wide enough for any real sweep.

method="laplace": a Gaussian at the mode with the Gauss-Newton curvature of the law's analytic Jacobian.
method="mcmc": the affine-invariant ensemble sampler of Goodman & Weare (2010) in the Rust core, chains
(independent ensembles) in parallel, walkers started from the Laplace approximation; split R-hat between
the chains and the effective sample size with each walker a chain, both by ArviZ's formulas.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._coverage import warn_if_poor
from ._fit_spec import as_runs
from ._validation import FloatArray, as_float_array, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError, ScalecoreWarning
from .fit import FitResult, fit
from .fit_bootstrap import BootstrapAllocation
from .laws import Law
from .laws import get as get_law

__all__ = ["METHODS", "PosteriorResult", "posterior"]

METHODS: tuple[str, ...] = ("laplace", "mcmc")

# Above this split R-hat the chains have not mixed (Vehtari et al. 2021 recommend 1.01).
_RHAT_LIMIT = 1.01


class PosteriorWarning(ScalecoreWarning):
    """MCMC draws whose diagnostics (R-hat, effective sample size) say they are not yet trustworthy."""


def _prior_specs(law: Law, prior: Mapping[str, Any] | None) -> list[tuple[str, float, float]]:
    """(kind, a, b) per parameter in internal coordinates, defaults from the law's box."""
    specs = [("flat", lo, hi) for lo, hi in _core.law_box(law.name)]
    if prior is None:
        return specs
    if not isinstance(prior, Mapping):
        raise InvalidInputError(f"prior: expected a dict {{parameter: prior}}, got {type(prior).__name__}")
    index = {p: i for i, p in enumerate(law.param_names)}
    for name, spec in prior.items():
        if name not in index:
            raise InvalidInputError(f"prior: unknown parameter {name!r} for {law.name}; known: {law.param_names}")
        i, is_log = index[name], law.log_params[index[name]]
        if spec == "flat":
            specs[i] = ("flat", -math.inf, math.inf)
            continue
        if not (isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[0], str)):
            raise InvalidInputError(
                f"prior: {name} must be 'flat', ('flat', low, high), ('normal', mean, sd) or "
                f"('lognormal', median, sd_of_log), got {spec!r}"
            )
        kind, a, b = spec[0], float(spec[1]), float(spec[2])
        if kind == "flat":
            if is_log:
                if a < 0 or not b > 0:
                    raise InvalidInputError(
                        f"prior: {name} is positive; a flat prior needs 0 <= low < high, got {spec!r}"
                    )
                with np.errstate(divide="ignore"):
                    a, b = float(np.log(a)), float(np.log(b))
            specs[i] = ("flat", a, b)
        elif kind == "normal" and not is_log:
            specs[i] = ("normal", a, b)
        elif kind == "lognormal" and is_log:
            if not a > 0:
                raise InvalidInputError(f"prior: a lognormal prior needs a positive median, got {spec!r} for {name}")
            specs[i] = ("normal", math.log(a), b)
        else:
            want = "'lognormal' (positive coefficient)" if is_log else "'normal' (exponent or offset)"
            raise InvalidInputError(f"prior: {name} takes 'flat' or {want}, got {kind!r}")
    return specs


def _public(law: Law, theta: FloatArray) -> dict[str, FloatArray]:
    return {
        p: (np.exp(theta[..., i]) if lg else theta[..., i].copy())
        for i, (p, lg) in enumerate(zip(law.param_names, law.log_params, strict=True))
    }


@dataclass(frozen=True)
class PosteriorResult:
    """Posterior draws of a law's parameters. ``samples[name]`` holds every kept draw (public values);
    ``draws`` the internal coordinates, shaped (chains, draws, parameters) with each walker a chain for
    MCMC and one chain for Laplace."""

    law: str
    method: str
    mode: dict[str, float]
    covariance: FloatArray = field(repr=False)
    draws: FloatArray = field(repr=False)
    level: float
    seed: int
    fit: FitResult = field(repr=False)
    rhat: dict[str, float] = field(default_factory=dict)
    ess: dict[str, float] = field(default_factory=dict)
    acceptance: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    log_density: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def samples(self) -> dict[str, FloatArray]:
        k = self.draws.shape[-1]
        return _public(get_law(self.law), self.draws.reshape(-1, k))

    @property
    def n_draws(self) -> int:
        return int(self.draws.shape[0] * self.draws.shape[1])

    def mean(self, name: str) -> float:
        return float(np.mean(self._values(name)))

    def sd(self, name: str) -> float:
        return float(np.std(self._values(name), ddof=1))

    def ci(self, name: str, level: float | None = None) -> iv.ConfidenceInterval:
        """Equal-tailed credible interval of a parameter (a CoverageWarning when the coverage study measured
        poor frequentist coverage for it at this many runs)."""
        lv = self.level if level is None else iv.level(level)
        warn_if_poor(self.method, self.law, name, self.fit.n_runs, stacklevel=2)
        lo, hi = np.quantile(self._values(name), [(1 - lv) / 2, (1 + lv) / 2])
        return iv.ConfidenceInterval(float(lo), float(hi))

    def _values(self, name: str) -> FloatArray:
        samples = self.samples
        if name not in samples:
            raise InvalidInputError(f"name: unknown parameter {name!r}; known: {list(samples)}")
        return samples[name]

    def allocate(
        self, compute: Any, *, level: float | None = None, flops_per_param_token: float = 6.0
    ) -> BootstrapAllocation:
        """Compute-optimal N, D, D/N and loss per budget at the mode, with posterior credible intervals
        (every draw and budget in one core call)."""
        c = as_float_array("compute", compute, positive=True)
        warn_if_poor(self.method, self.law, "N_opt", self.fit.n_runs, stacklevel=2)
        lw = get_law(self.law)
        lv = self.level if level is None else iv.level(level)
        k = len(lw.param_names)
        mode = lw.to_internal(self.mode)
        values, bounds = _core.bootstrap_allocation(
            lw.name,
            mode,
            np.ascontiguousarray(self.draws.reshape(-1, k)),
            np.empty((0, k)),
            c,
            flops_per_param_token=positive_float("flops_per_param_token", flops_per_param_token),
            level=lv,
            method="percentile",
        )
        return BootstrapAllocation(
            compute=c,
            N=values[0],
            D=values[1],
            loss=values[2],
            tokens_per_param=values[3],
            N_ci=bounds[0],
            D_ci=bounds[1],
            loss_ci=bounds[2],
            tokens_per_param_ci=bounds[3],
            level=lv,
            method="posterior",
        )

    def to_arviz(self) -> Any:
        """The draws as an ArviZ ``InferenceData`` (needs arviz): a posterior group of public parameter values
        with dims (chain, draw), each walker a chain for MCMC; for MCMC also sample stats ``lp`` (the log
        posterior density, up to its constant, of every draw)."""
        try:
            import arviz as az
        except ImportError:
            raise ImportError("to_arviz needs arviz (pip install arviz)") from None
        stats = {"lp": self.log_density} if self.log_density.size else None
        return az.from_dict(posterior=_public(get_law(self.law), self.draws), sample_stats=stats)

    def __repr__(self) -> str:
        names = get_law(self.law).param_names
        rows = []
        for n in names:
            lo, hi = self.ci(n)
            diag = f"  R-hat {self.rhat[n]:.4f}, ESS {self.ess[n]:.0f}" if n in self.rhat else ""
            rows.append(f"  {n} = {self.mean(n):.6g}  [{lo:.6g}, {hi:.6g}]{diag}")
        return (
            f"PosteriorResult({self.law}, {self.method}, {self.n_draws} draws, seed={self.seed}; posterior means and "
            f"{self.level:.0%} credible intervals\n" + "\n".join(rows) + "\n)"
        )


def _diagnostics(draws: FloatArray, n_chains: int, steps: int) -> tuple[Any, Any]:
    """Split R-hat between the independent ensembles (each chain's walkers pooled step by step: walkers
    of one ensemble are not independent chains) and the effective sample size with each walker a chain
    (ArviZ's convention for emcee)."""
    if steps < 4:
        return [], []
    k = draws.shape[-1]
    walkers = draws.shape[0] // n_chains
    pooled = draws.reshape(n_chains, walkers, steps, k).transpose(0, 2, 1, 3).reshape(-1, k)
    rhat, _ = _core.mcmc_diagnostics(np.ascontiguousarray(pooled), steps * walkers)
    _, ess = _core.mcmc_diagnostics(np.ascontiguousarray(draws.reshape(-1, k)), steps)
    return rhat, ess


def posterior(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    prior: Mapping[str, Any] | None = None,
    method: str = "laplace",
    n_draws: int = 20_000,
    n_chains: int = 4,
    n_walkers: int | None = None,
    n_burn: int | None = None,
    thin: int = 1,
    seed: Any = None,
    level: float = 0.95,
    init: Any = "auto",
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> PosteriorResult:
    """The posterior of `law`'s parameters given `runs` (model and priors in the module documentation).

    prior: {parameter: spec} replacing the default flat prior over the law's box; spec is "flat"
        (improper), ("flat", low, high) in public units, ("normal", mean, sd) for an exponent or offset,
        ("lognormal", median, sd of the log) for a positive coefficient. A prior with no mass at the
        least-squares optimum raises InvalidInputError.
    method: "laplace" (draws from the Gaussian approximation) or "mcmc" (ensemble sampler).
    n_draws: kept draws in total, split evenly over chains and walkers for MCMC; n_walkers defaults to
        the larger of 32 and four times the parameters; n_burn (steps per walker discarded) to half the
        kept steps, at least 200; thin keeps every thin-th step.
    The draws depend on `seed` only (chain c, or Laplace draw i, uses its own stream).
    """
    r = as_runs(runs)
    lw = get_law(law)
    if method not in METHODS:
        raise InvalidInputError(f"method: must be one of {list(METHODS)}, got {method!r}")
    lv = iv.level(level)
    seed_ = iv.seed(seed)
    threads = check_threads(n_threads)
    for name, value in (("n_draws", n_draws), ("n_chains", n_chains), ("thin", thin)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value < 2**63:
            raise InvalidInputError(f"{name}: must be a positive integer below 2**63, got {value!r}")
    specs = _prior_specs(lw, prior)
    columns = {name: getattr(r, name) for name in lw.inputs if r.has(name)}
    k = len(lw.param_names)
    if len(r) <= k:
        raise InvalidInputError(
            f"runs: the {lw.name} law has {k} parameters; a posterior needs more runs, got {len(r)}"
        )
    # The mode under flat priors is the least-squares fit in log space; Laplace polishes it under others.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalecoreWarning)
        start = fit(r, lw, objective="lsq_log", init=init, n_threads=threads)
    theta0 = np.asarray(start.handle.theta, dtype=np.float64)
    mode, cov, _ = _core.posterior_laplace(lw.name, lw.columns(columns), r.loss, specs, theta0.tolist())
    mode = np.asarray(mode)
    if method == "laplace":
        draws = np.asarray(_core.gaussian_draws(mode.tolist(), cov, int(n_draws), seed_))[None, :, :]
        return PosteriorResult(
            law=lw.name,
            method=method,
            mode=lw.to_public(mode),
            covariance=np.asarray(cov),
            draws=draws,
            level=lv,
            seed=seed_,
            fit=start,
        )
    walkers = max(32, 4 * k) if n_walkers is None else n_walkers
    if isinstance(walkers, bool) or not isinstance(walkers, (int, np.integer)):
        raise InvalidInputError(f"n_walkers: must be an even integer, got {n_walkers!r}")
    steps = -(-int(n_draws) // (int(n_chains) * int(walkers)))
    burn = max(200, steps // 2) if n_burn is None else n_burn
    if isinstance(burn, bool) or not isinstance(burn, (int, np.integer)) or burn < 0:
        raise InvalidInputError(f"n_burn: must be a non-negative integer, got {n_burn!r}")
    from ._progress import progress_callback

    callback, bar = progress_callback(progress, "posterior")
    try:
        draws, log_density, acceptance = _core.posterior_ensemble(
            lw.name,
            lw.columns(columns),
            r.loss,
            specs,
            mode.tolist(),
            cov,
            n_chains=int(n_chains),
            n_walkers=int(walkers),
            n_steps=steps,
            n_burn=int(burn),
            thin=int(thin),
            seed=seed_,
            n_threads=threads,
            progress=callback,
        )
    finally:
        if bar is not None:
            bar.close()
    draws = np.asarray(draws)
    rhat, ess = _diagnostics(draws, int(n_chains), steps)
    result = PosteriorResult(
        law=lw.name,
        method=method,
        mode=lw.to_public(mode),
        covariance=np.asarray(cov),
        draws=draws,
        level=lv,
        seed=seed_,
        fit=start,
        rhat=dict(zip(lw.param_names, map(float, rhat))),
        ess=dict(zip(lw.param_names, map(float, ess))),
        acceptance=np.asarray(acceptance),
        log_density=np.asarray(log_density),
    )
    worst = max(result.rhat.values(), default=math.nan)
    if not worst < _RHAT_LIMIT:
        warnings.warn(
            f"the chains have not mixed: largest split R-hat {worst:.4f} (>= {_RHAT_LIMIT}); draw more (n_draws) "
            "or burn in longer (n_burn)",
            PosteriorWarning,
            stacklevel=2,
        )
    return result
