"""Run suggestion: the greedy rank-one updates against a direct computation, the budget, the simulation
of the issue's acceptance (suggested against random runs of equal compute), and bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scalecore as sc
from scalecore import _core
from scalecore.datasets import HOFFMANN_PARAMS


def candidates() -> dict[str, Any]:
    n, c = np.meshgrid(np.geomspace(1e8, 3e10, 14), np.geomspace(1e21, 3e22, 6))
    return {"N": n.ravel(), "D": c.ravel() / (6 * n.ravel())}


def delta_method_sd(fit: sc.FitResult, n: np.ndarray, d: np.ndarray, compute: float) -> float:
    """sd of ln N_opt(compute) from the Fisher information of the fit's runs plus (n, d), from scratch."""
    law = sc.laws.get("chinchilla")
    theta = np.asarray(fit.handle.theta)
    h = 1e-5 * (1 + np.abs(theta))
    cols = fit.handle.columns
    all_n, all_d = np.concatenate([cols["N"], n]), np.concatenate([cols["D"], d])

    def log_pred(t: np.ndarray, nn: np.ndarray, dd: np.ndarray) -> np.ndarray:
        return np.log(law.predict(law.to_public(t), N=nn, D=dd))

    jac = np.column_stack(
        [
            (log_pred(theta + h[i] * np.eye(5)[i], all_n, all_d) - log_pred(theta - h[i] * np.eye(5)[i], all_n, all_d))
            / (2 * h[i])
            for i in range(5)
        ]
    )
    resid = np.asarray(fit.residuals)
    sigma2 = np.sum(resid**2) / (len(resid) - 5)
    cov = np.linalg.pinv(jac.T @ jac / sigma2, hermitian=True)

    def log_nopt(t: np.ndarray) -> float:
        return float(np.log(_core.derived_quantity("chinchilla", "N_opt", t[None, :], compute=compute)[0]))

    grad = np.array(
        [(log_nopt(theta + h[i] * np.eye(5)[i]) - log_nopt(theta - h[i] * np.eye(5)[i])) / (2 * h[i]) for i in range(5)]
    )
    return float(np.sqrt(grad @ cov @ grad))


def test_greedy_updates_match_a_direct_computation() -> None:
    runs = sc.datasets.chinchilla_sweep(seed=1)
    fit = sc.fit(runs, "chinchilla")
    cand = candidates()
    s = sc.suggest_runs(fit, cand, k=4, target="N_opt", compute=1e24)
    assert len(s.N) == 4 and len(set(s.index.tolist())) == 4
    assert s.sd_before == pytest.approx(delta_method_sd(fit, np.empty(0), np.empty(0), 1e24), rel=1e-4)
    assert s.sd_after == pytest.approx(delta_method_sd(fit, s.N, s.D, 1e24), rel=1e-4)
    assert s.sd_after < s.sd_before
    lo, hi = s.interval_after
    assert s.interval_before[0] < lo < s.value < hi < s.interval_before[1]
    # Each greedy step is the best single addition given the earlier ones.
    first = s.index[0]
    for other in range(len(cand["N"])):
        assert delta_method_sd(fit, cand["N"][[first]], cand["D"][[first]], 1e24) <= delta_method_sd(
            fit, cand["N"][[other]], cand["D"][[other]], 1e24
        ) * (1 + 1e-6)


def test_budget_is_respected_and_bootstrap_interval_reported() -> None:
    runs = sc.datasets.chinchilla_sweep(seed=2)
    boot = sc.bootstrap(runs, "chinchilla", n_resamples=50, seed=0)
    cand = candidates()
    s = sc.suggest_runs(boot, cand, budget=4e22, k=5, target="N_opt", compute=1e24)
    assert s.compute.sum() <= 4e22
    assert s.interval_bootstrap is not None and s.interval_bootstrap[0] < s.interval_bootstrap[1]
    a = sc.suggest_runs(boot, cand, k=2, target="a", compute=None)
    assert not a.log_scale and a.sd_after < a.sd_before
    assert len(s.to_frame()) == len(s.N)


def test_bad_input_names_the_argument() -> None:
    fit = sc.fit(sc.datasets.chinchilla_sweep(seed=0), "chinchilla")
    with pytest.raises(sc.InvalidInputError, match="candidates"):
        sc.suggest_runs(fit, {"N": [], "D": []})
    with pytest.raises(sc.InvalidInputError, match="candidates"):
        sc.suggest_runs(fit, {"N": [1e9]})
    with pytest.raises(sc.InvalidInputError, match="budget"):
        sc.suggest_runs(fit, candidates(), budget=1.0)
    with pytest.raises(sc.InvalidInputError, match="fit_or_boot"):
        sc.suggest_runs({"E": 1.0}, candidates())  # type: ignore[arg-type]
    with pytest.raises(sc.InvalidInputError, match="k"):
        sc.suggest_runs(fit, candidates(), k=0)
    power = sc.fit(sc.Runs(x=np.geomspace(1, 1e4, 10), loss=2 + np.geomspace(1, 1e4, 10) ** -0.5), "power")
    with pytest.raises(sc.InvalidInputError, match="fit_or_boot"):
        sc.suggest_runs(power, candidates())


def true_loss(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    p = HOFFMANN_PARAMS
    return np.asarray(p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"])


def simulate(seed: int, n_resamples: int = 1000, budget: float = 5e22) -> tuple[float, float]:
    """Log-width of the bootstrap 95 % interval of N_opt(1e24) after adding the 5 suggested runs, and after
    adding 5 random runs of the same computes (N log-uniform over the candidates' range, D = C / 6N); new
    losses from the true law with the sweep's 1 % log-normal noise, the same noise draws and bootstrap
    seed in both arms (common random numbers, so the comparison is of the designs)."""
    rng = np.random.default_rng(10_000 + seed)
    runs = sc.datasets.chinchilla_sweep(seed=seed)
    fit = sc.fit(runs, "chinchilla")
    cand = candidates()
    s = sc.suggest_runs(fit, cand, budget=budget, k=5, target="N_opt", compute=1e24)
    lo_n, hi_n = np.log(cand["N"].min()), np.log(cand["N"].max())
    rn = np.exp(rng.uniform(lo_n, hi_n, len(s.N)))
    rd = s.compute / (6 * rn)
    z = rng.standard_normal(len(s.N))
    widths = []
    for n, d in ((s.N, s.D), (rn, rd)):
        loss = true_loss(n, d) * np.exp(0.01 * z)
        more = sc.Runs(
            N=np.concatenate([runs.N, n]), D=np.concatenate([runs.D, d]), loss=np.concatenate([runs.loss, loss])
        )
        boot = sc.bootstrap(more, "chinchilla", n_resamples=n_resamples, seed=seed)
        lo, hi = boot.ci("N_opt", compute=1e24)
        widths.append(float(np.log(hi / lo)))
    return widths[0], widths[1]


def test_suggested_runs_beat_random_runs_on_a_few_seeds() -> None:
    wins = [a < b for a, b in (simulate(seed, n_resamples=100) for seed in range(5))]
    assert sum(wins) >= 4


@pytest.mark.slow
def test_suggested_runs_beat_random_runs_in_80_percent_of_50_seeds() -> None:
    wins = [a < b for a, b in (simulate(seed) for seed in range(50))]
    assert sum(wins) >= 40
