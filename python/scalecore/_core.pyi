# Type stubs of the Rust extension (rust/python), checked by `python -m mypy.stubtest scalecore._core`.
from collections.abc import Callable
from typing import Any, final

import numpy as np
from numpy.typing import NDArray

__version__: str
__all__ = [
    "DERIVED",
    "INIT_MODES",
    "INTERVAL_METHODS",
    "KDE_KERNELS",
    "KDE_METHODS",
    "KDE_RULES",
    "LAWS",
    "OBJECTIVES",
    "SCHEMES",
    "STATISTICS",
    "STOP_REASONS",
    "WILD_WEIGHTS",
    "AllocationStatus",
    "Fit",
    "KdeEstimator",
    "PreparedBootstrap",
    "__version__",
    "allocate_law",
    "allocate_law_cost",
    "allocate_law_many",
    "bootstrap_allocation",
    "bootstrap_indices",
    "bootstrap_interval",
    "bootstrap_intervals",
    "bootstrap_statistic",
    "bound_allocate",
    "bound_allocate_callable",
    "bound_evaluate",
    "bound_evaluate_grid",
    "bound_kinds",
    "compute_for_loss_law",
    "define_law",
    "defined_laws",
    "derived_quantity",
    "efficient_frontier",
    "fit_from_state",
    "fit_law",
    "inductive_bias",
    "intrinsic_dimension",
    "isoflop_bootstrap",
    "isoflop_fit",
    "law_definition",
    "law_info",
    "law_predict",
    "linear_regression_information",
    "ncx2_fit",
    "ncx2_logcdf",
    "objective_value_grad",
    "prepare_bootstrap",
    "prepared_bootstrap_from_state",
    "rate_distortion_bound",
    "rate_distortion_sample_complexity",
    "teacher_distinct_units",
    "teacher_optimal_eta",
    "variance_item_bootstrap",
    "variance_kendall_rows",
    "variance_kendall_tau_b",
]

# --- option names and law metadata (rust/python/src/options.rs) ----------------------------------

OBJECTIVES: tuple[str, ...]
INIT_MODES: tuple[str, ...]
SCHEMES: tuple[str, ...]
WILD_WEIGHTS: tuple[str, ...]
INTERVAL_METHODS: tuple[str, ...]
STATISTICS: tuple[str, ...]
DERIVED: tuple[str, ...]
STOP_REASONS: tuple[str, ...]
LAWS: dict[str, tuple[tuple[str, ...], tuple[bool, ...], tuple[str, ...], int]]

# --- laws defined by expressions (rust/python/src/expr.rs) ------------------------------------------

_LawInfo = tuple[list[str], list[bool], list[str], int]
_Definition = tuple[
    str,
    str,
    list[str] | None,
    list[str],
    list[tuple[str, float, float]],
    list[str] | None,
    list[tuple[str, list[float]]],
]

def define_law(
    name: str,
    expr: str,
    *,
    params: list[str] | None = None,
    positive: list[str] = ...,
    bounds: list[tuple[str, float, float]] = ...,
    inputs: list[str] | None = None,
    grid: list[tuple[str, list[float]]] = ...,
) -> _LawInfo: ...
def law_info(name: str) -> _LawInfo: ...
def defined_laws() -> list[str]: ...
def law_definition(name: str) -> _Definition | None: ...

# --- laws and fitting (rust/python/src/fit.rs) -----------------------------------------------------

@final
class Fit:
    @property
    def law(self) -> str: ...
    @property
    def theta(self) -> NDArray[np.float64]: ...
    @property
    def objective(self) -> float: ...
    @property
    def objective_name(self) -> str: ...
    @property
    def converged(self) -> bool: ...
    @property
    def stop(self) -> str: ...
    @property
    def iterations(self) -> int: ...
    @property
    def n_starts(self) -> int: ...
    @property
    def n_screened(self) -> int: ...
    @property
    def n_at_best(self) -> int: ...
    @property
    def n_converged(self) -> int: ...
    @property
    def n_runs(self) -> int: ...
    @property
    def start_objectives(self) -> NDArray[np.float64]: ...
    @property
    def hessian(self) -> NDArray[np.float64]: ...
    @property
    def free_index(self) -> list[int]: ...
    @property
    def residuals(self) -> NDArray[np.float64]: ...
    def predict(self, columns: dict[str, Any]) -> NDArray[np.float64]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def fit_law(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    *,
    weights: Any | None = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: str = "auto",
    starts: Any | None = None,
    fixed: list[tuple[int, float]] = ...,
    ties: list[tuple[int, int]] = ...,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> Fit: ...
def fit_from_state(spec: tuple[Any, ...], outcome: tuple[Any, ...]) -> Fit: ...
def law_predict(name: str, theta: list[float], columns: dict[str, Any]) -> NDArray[np.float64]: ...
def objective_value_grad(
    law: str,
    theta: list[float],
    columns: dict[str, Any],
    loss: Any,
    weight: Any | None = None,
    objective_name: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
) -> tuple[float, NDArray[np.float64]]: ...

# --- allocation (rust/python/src/allocation.rs) -----------------------------------------------------

@final
class AllocationStatus:
    OPTIMAL: AllocationStatus
    AT_FEWEST_TOKENS: AllocationStatus
    AT_MOST_TOKENS: AllocationStatus
    UNREACHABLE: AllocationStatus
    FAILED: AllocationStatus
    @staticmethod
    def from_code(code: int) -> AllocationStatus: ...
    @property
    def message(self) -> str: ...
    def __int__(self) -> int: ...

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
def allocate_law_cost(
    law: str,
    theta: list[float],
    compute: NDArray[np.float64],
    cost: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
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

# (end of allocation)

# --- isoflop (rust/python/src/isoflop.rs) ----------------------------------------------------------

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

# (end of isoflop)

# --- kde (rust/python/src/kde.rs) ------------------------------------------------------------------

KDE_KERNELS: list[str]
KDE_RULES: list[str]
KDE_METHODS: list[str]

@final
class KdeEstimator:
    def __new__(
        cls,
        samples: NDArray[np.float64],
        bandwidth: str | float | NDArray[np.float64],
        kernel: str,
        weights: NDArray[np.float64] | None,
        method: str,
        tolerance: float,
        n_threads: int | None = None,
        rule: str | None = None,
    ) -> KdeEstimator: ...
    @property
    def d(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def n_eff(self) -> float: ...
    @property
    def kernel(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def tolerance(self) -> float: ...
    @property
    def n_threads(self) -> int | None: ...
    @property
    def rule(self) -> str: ...
    @property
    def weighted(self) -> bool: ...
    @property
    def h(self) -> float: ...
    @property
    def bandwidth_matrix(self) -> NDArray[np.float64]: ...
    @property
    def samples(self) -> NDArray[np.float64]: ...
    @property
    def weights(self) -> NDArray[np.float64]: ...
    @property
    def sorted_ready(self) -> bool: ...
    @property
    def grid_ready(self) -> bool: ...
    def density(self, x: NDArray[np.float64], log: bool) -> NDArray[np.float64]: ...
    def tail(self, x: NDArray[np.float64], upper: bool) -> NDArray[np.float64]: ...
    def grid(
        self, n: int, lo: float | None, hi: float | None, cut: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
    def quantile(self, p: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def mode(self) -> NDArray[np.float64]: ...
    def hdi(self, level: float) -> NDArray[np.float64]: ...
    def diagnostics(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
    def loo_log_likelihood(self, h: float) -> float: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

# (end of kde)

# --- bootstrap (rust/python/src/bootstrap.rs, statistic.rs) ---------------------------------------

@final
class PreparedBootstrap:
    @property
    def fit(self) -> Fit: ...
    @property
    def seed(self) -> int: ...
    @property
    def scheme(self) -> str: ...
    @property
    def robust(self) -> bool: ...
    @property
    def n_guards(self) -> int: ...
    def replicates(
        self,
        first: int,
        count: int,
        *,
        n_threads: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]: ...
    def jackknife(
        self, *, n_threads: int | None = None, progress: Callable[[int, int], Any] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def prepare_bootstrap(
    fit: Fit,
    *,
    scheme: str = "pairs",
    wild_weights: str = "rademacher",
    group: Any | None = None,
    seed: int = 0,
    robust: bool = False,
    n_threads: int | None = None,
) -> PreparedBootstrap: ...
def prepared_bootstrap_from_state(
    fit: Fit,
    scheme: str,
    wild_weights: str,
    group: Any | None,
    seed: int,
    robust: bool,
    guards: Any,
    screened: Any,
) -> PreparedBootstrap: ...
def derived_quantity(
    law: str,
    name: str,
    thetas: Any,
    *,
    compute: float | None = None,
    flops_per_param_token: float = 6.0,
    N: float | None = None,
    D: float | None = None,
) -> NDArray[np.float64]: ...
def bootstrap_allocation(
    law: str,
    theta_hat: Any,
    thetas: Any,
    jackknife: Any,
    compute: Any,
    *,
    flops_per_param_token: float = 6.0,
    level: float = 0.95,
    method: str = "percentile",
    n_threads: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def bootstrap_statistic(
    samples: list[Any],
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
    distribution: Any,
    theta_hat: float,
    jackknife: list[Any],
    level: float = 0.95,
    method: str = "percentile",
) -> dict[str, Any]: ...
def bootstrap_intervals(
    samples: Any,
    estimates: Any,
    jackknife: Any | None = None,
    level: float = 0.95,
    method: str = "percentile",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

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
def bound_allocate_callable(
    reducible: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
    compute: NDArray[np.float64],
    p_min: float,
    *,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def bound_kinds() -> dict[str, list[str]]: ...
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

# --- evaluation variance (rust/python/src/variance.rs) ---------------------------------------------

def variance_kendall_tau_b(x: Any, y: Any, *, n_threads: int | None = None) -> tuple[float, float, int]: ...
def variance_kendall_rows(
    scores: Any, order: Any, *, n_threads: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def variance_item_bootstrap(
    scores: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]: ...

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
