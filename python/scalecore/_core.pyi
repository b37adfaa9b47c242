# Type stubs of the Rust extension (rust/python), checked by `python -m mypy.stubtest scalecore._core`.
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__version__: str
__all__ = [
    "__version__",
    "allocate_law",
    "allocate_law_many",
    "bootstrap_fit",
    "bootstrap_indices",
    "bootstrap_interval",
    "bootstrap_statistic",
    "bound_allocate",
    "bound_evaluate",
    "bound_evaluate_grid",
    "compute_for_loss_law",
    "efficient_frontier",
    "fit_law",
    "inductive_bias",
    "intrinsic_dimension",
    "isoflop_bootstrap",
    "isoflop_fit",
    "kde_binned_grid",
    "kde_binned_size",
    "kde_diagnostics",
    "kde_exact",
    "kde_exact_nd",
    "kde_interpolate",
    "kde_isj",
    "kde_loo_log_likelihood",
    "kde_loo_ml",
    "kde_sort",
    "law_grid",
    "law_info",
    "law_names",
    "law_predict",
    "linear_regression_information",
    "ncx2_fit",
    "ncx2_logcdf",
    "objective_value_grad",
    "rate_distortion_bound",
    "rate_distortion_sample_complexity",
    "teacher_distinct_units",
    "teacher_optimal_eta",
]

# --- laws and fitting (rust/python/src/fit.rs) -----------------------------------------------------

def law_names() -> list[str]: ...
def law_info(name: str) -> dict[str, Any]: ...
def law_grid(name: str) -> NDArray[np.float64]: ...
def law_predict(name: str, theta: list[float], columns: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]: ...
def objective_value_grad(
    law: str,
    theta: list[float],
    columns: dict[str, NDArray[np.float64]],
    loss: NDArray[np.float64],
    weight: NDArray[np.float64] | None = None,
    objective_name: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
) -> tuple[float, NDArray[np.float64]]: ...
def fit_law(
    law: str,
    columns: dict[str, NDArray[np.float64]],
    loss: NDArray[np.float64],
    *,
    weight: NDArray[np.float64] | None = None,
    objective_name: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: str = "auto",
    starts: NDArray[np.float64] | None = None,
    fixed: list[tuple[int, float]] = ...,
    ties: list[tuple[int, int]] = ...,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]: ...

# --- allocation and isoflop (rust/python/src/allocation.rs) -----------------------------------------

def allocate_law(
    law: str,
    theta: list[float],
    compute: NDArray[np.float64],
    inference_tokens: NDArray[np.float64],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
    n_threads: int | None = None,
) -> dict[str, Any]: ...
def allocate_law_many(
    law: str,
    thetas: NDArray[np.float64],
    compute: NDArray[np.float64],
    inference_tokens: NDArray[np.float64],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]: ...
def compute_for_loss_law(
    law: str,
    theta: list[float],
    targets: NDArray[np.float64],
    inference_tokens: NDArray[np.float64],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
    n_threads: int | None = None,
) -> dict[str, Any]: ...
def isoflop_fit(
    ln_n: NDArray[np.float64],
    loss: NDArray[np.float64],
    budget: list[int],
    ln_c: NDArray[np.float64],
    degree: int = 2,
    near: int | None = None,
    weight: NDArray[np.float64] | None = None,
) -> dict[str, Any]: ...
def isoflop_bootstrap(
    ln_n: NDArray[np.float64],
    loss: NDArray[np.float64],
    budget: list[int],
    ln_c: NDArray[np.float64],
    degree: int = 2,
    near: int | None = None,
    weight: NDArray[np.float64] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]: ...
def efficient_frontier(
    model: list[int], ln_c: NDArray[np.float64], loss: NDArray[np.float64], n_models: int, n_grid: int = 256
) -> dict[str, Any]: ...

# (end of allocation)

# --- kde (rust/python/src/kde.rs) ------------------------------------------------------------------

def kde_sort(
    x: NDArray[np.float64], weights: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def kde_exact(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    bandwidth: float,
    kernel: str,
    queries: NDArray[np.float64],
    quantity_name: str,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> NDArray[np.float64]: ...
def kde_diagnostics(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    bandwidth: float,
    kernel: str,
    queries: NDArray[np.float64],
    *,
    n_threads: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def kde_exact_nd(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    chol: NDArray[np.float64],
    queries: NDArray[np.float64],
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def kde_binned_size(span: float, bandwidth: float, tolerance: float) -> float: ...
def kde_binned_grid(
    x: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    bandwidth: float,
    tolerance: float,
    *,
    n_threads: int | None = None,
) -> tuple[
    float,
    float,
    NDArray[np.float64],
    NDArray[np.float64],
    float,
    float,
    float,
    NDArray[np.float64],
    NDArray[np.float64],
]: ...
def kde_interpolate(
    start: float,
    step: float,
    f: NDArray[np.float64],
    df: NDArray[np.float64],
    peak: float,
    queries: NDArray[np.float64],
    floor: float,
    *,
    n_threads: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]: ...
def kde_isj(x: NDArray[np.float64], weights: NDArray[np.float64] | None = None, variant: str = "botev") -> float: ...
def kde_loo_log_likelihood(
    x: NDArray[np.float64], w: NDArray[np.float64], bandwidth: float, *, n_threads: int | None = None
) -> float: ...
def kde_loo_ml(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    h_lo: float,
    h_hi: float,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> float: ...

# (end of kde)

# --- bootstrap (rust/python/src/bootstrap.rs) ------------------------------------------------------

def bootstrap_fit(
    law: str,
    columns: dict[str, NDArray[np.float64]],
    loss: NDArray[np.float64],
    theta_hat: list[float],
    *,
    weight: NDArray[np.float64] | None = None,
    objective_name: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    fixed: list[tuple[int, float]] = ...,
    ties: list[tuple[int, int]] = ...,
    scheme: str = "pairs",
    wild_weights: str = "rademacher",
    group: NDArray[np.int64] | None = None,
    seed: int = 0,
    first: int = 0,
    count: int = 1000,
    robust: bool = False,
    jackknife: NDArray[np.int64] | None = None,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]: ...
def bootstrap_statistic(
    samples: list[NDArray[np.float64]],
    statistic_name: str,
    *,
    q: float = 0.5,
    ddof: float = 0.0,
    proportiontocut: float = 0.1,
    paired: bool = False,
    seed: int = 0,
    first: int = 0,
    count: int = 9999,
    jackknife: bool = True,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]: ...
def bootstrap_indices(
    sizes: list[int], *, paired: bool = False, seed: int = 0, first: int = 0, count: int = 1
) -> list[NDArray[np.uint32]]: ...
def bootstrap_interval(
    distribution: NDArray[np.float64],
    theta_hat: float,
    jackknife: list[NDArray[np.float64]],
    level: float = 0.95,
    method: str = "percentile",
) -> dict[str, Any]: ...

# (end of bootstrap)

# --- bounds (rust/python/src/bounds.rs) ------------------------------------------------------------

def bound_evaluate(
    kind: str,
    params: list[float],
    p: NDArray[np.float64],
    t: NDArray[np.float64],
    *,
    with_terms: bool = False,
    n_threads: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None]: ...
def bound_evaluate_grid(
    kind: str,
    params: list[float],
    p: NDArray[np.float64],
    t: NDArray[np.float64],
    *,
    n_threads: int | None = None,
) -> NDArray[np.float64]: ...
def bound_allocate(
    kind: str,
    params: list[float],
    compute: NDArray[np.float64],
    *,
    numerical: bool = False,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, NDArray[np.float64]]: ...
def rate_distortion_bound(
    eps: NDArray[np.float64], h: NDArray[np.float64], t: NDArray[np.float64], *, n_threads: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def rate_distortion_sample_complexity(
    eps: NDArray[np.float64], h: NDArray[np.float64], target: NDArray[np.float64]
) -> NDArray[np.float64]: ...
def linear_regression_information(
    d: int,
    t: int,
    s2: float,
    sigma2: float,
    n_mc: int,
    seed: int,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[float, float, float]: ...
def teacher_distinct_units(kind: str, params: list[float], n: NDArray[np.float64]) -> NDArray[np.float64]: ...
def teacher_optimal_eta(
    kind: str, params: list[float], p: NDArray[np.float64], t: NDArray[np.float64]
) -> NDArray[np.float64]: ...

# (end of bounds)

# --- inductive bias (rust/python/src/inductive_bias.rs) ---------------------------------------------

def ncx2_logcdf(x: Any, k: Any, lam: Any, scale: Any) -> NDArray[np.float64]: ...
def ncx2_fit(errors: Any) -> tuple[float, float, float, float, bool, int]: ...
def inductive_bias(
    errors: Any,
    eps: float,
    *,
    n_resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[
    tuple[float, float, float, float, bool, int], float, NDArray[np.float64], int, tuple[float, float] | None
]: ...

# --- regimes (rust/python/src/regimes.rs) ----------------------------------------------------------

def intrinsic_dimension(
    points: Any,
    method: str = "twonn",
    k: int = 10,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[float, int]: ...
