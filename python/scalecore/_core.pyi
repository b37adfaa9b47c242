# Type stubs of the Rust extension (rust/python), checked by `python -m mypy.stubtest scalecore._core`.
from collections.abc import Callable
from typing import Any, final

import numpy as np
from numpy.typing import NDArray

__version__: str
__all__ = [
    "BLOCKS",
    "DERIVED",
    "FLEET_FLAGS",
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
    "BootstrapInterval",
    "BoundAllocation",
    "BoundSpec",
    "Fit",
    "FleetFits",
    "Frontier",
    "IsoflopBootstrap",
    "IsoflopFit",
    "JointFit",
    "JointFleetFits",
    "KdeEstimator",
    "LawAllocation",
    "PluggableBound",
    "PreparedBootstrap",
    "StatisticBootstrap",
    "__version__",
    "allocate_law",
    "allocate_law_cost",
    "bootstrap_allocation",
    "bootstrap_indices",
    "bootstrap_interval",
    "bootstrap_interval_batch",
    "bootstrap_intervals",
    "bootstrap_statistic",
    "bound_kinds",
    "check_curves",
    "check_level",
    "compute_for_loss_law",
    "define_fn_law",
    "define_law",
    "defined_laws",
    "derived_quantity",
    "efficient_frontier",
    "fit_fleet",
    "fit_from_state",
    "fit_joint_fleet",
    "fit_law",
    "fleet_pilot",
    "fleet_pilot_groups",
    "gaussian_draws",
    "inductive_bias",
    "intrinsic_dimension",
    "isoflop_bootstrap",
    "isoflop_fit",
    "joint_fit",
    "joint_fit_from_state",
    "joint_objective_value_grad",
    "law_box",
    "law_definition",
    "law_info",
    "law_predict",
    "linear_regression_information",
    "mcmc_diagnostics",
    "ncx2_fit",
    "ncx2_logcdf",
    "objective_value_grad",
    "optimal_block_length",
    "posterior_ensemble",
    "posterior_laplace",
    "predict_draws",
    "prepare_bootstrap",
    "prepared_bootstrap_from_state",
    "profile_likelihood",
    "rate_distortion_bound",
    "rate_distortion_sample_complexity",
    "schedule_areas",
    "variance_item_bootstrap",
    "variance_kendall_rows",
    "variance_kendall_tau_b",
]

# --- option names and law metadata (rust/python/src/options.rs) ----------------------------------

OBJECTIVES: tuple[str, ...]
INIT_MODES: tuple[str, ...]
SCHEMES: tuple[str, ...]
FLEET_FLAGS: tuple[str, ...]
WILD_WEIGHTS: tuple[str, ...]
INTERVAL_METHODS: tuple[str, ...]
STATISTICS: tuple[str, ...]
BLOCKS: tuple[str, ...]
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
def law_definition(name: str) -> _Definition | _FnDefinition | None: ...

# --- laws given as Python functions (rust/python/src/callable.rs) -----------------------------------

_FnDefinition = tuple[
    str,
    Any,
    Any,
    list[str],
    list[str],
    list[tuple[str, float, float]],
    list[str],
    list[tuple[str, list[float]]],
]

def define_fn_law(
    name: str,
    func: Any,
    grad: Any,
    *,
    params: list[str],
    positive: list[str],
    bounds: list[tuple[str, float, float]],
    inputs: list[str],
    grid: list[tuple[str, list[float]]],
) -> _LawInfo: ...

# --- laws and fitting (rust/python/src/fit.rs) -----------------------------------------------------

@final
class Fit:
    @property
    def law(self) -> str: ...
    @property
    def theta(self) -> NDArray[np.float64]: ...
    @property
    def columns(self) -> dict[str, NDArray[np.float64]]: ...
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

# --- joint fits (rust/python/src/joint.rs) ---------------------------------------------------------

@final
class JointFit:
    @property
    def law(self) -> str: ...
    @property
    def thetas(self) -> NDArray[np.float64]: ...
    @property
    def objective(self) -> float: ...
    @property
    def group_objectives(self) -> NDArray[np.float64]: ...
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
    def n_at_best(self) -> int: ...
    @property
    def start_objectives(self) -> NDArray[np.float64]: ...
    @property
    def sizes(self) -> list[int]: ...
    @property
    def shared(self) -> list[int]: ...
    def predict(self, codes: list[int], columns: dict[str, Any]) -> NDArray[np.float64]: ...
    def bootstrap(
        self,
        n_resamples: int,
        seed: int,
        *,
        first: int = 0,
        n_threads: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> tuple[NDArray[np.float64], list[bool]]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def joint_fit(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    groups: list[int],
    shared: list[int],
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
) -> JointFit: ...
def joint_fit_from_state(spec: tuple[Any, ...], outcome: tuple[Any, ...]) -> JointFit: ...
def joint_objective_value_grad(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    groups: list[int],
    shared: list[int],
    thetas: Any,
    *,
    weights: Any | None = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
) -> tuple[float, NDArray[np.float64]]: ...

@final
class FleetFits:
    @property
    def theta(self) -> NDArray[np.float64]: ...
    @property
    def objective(self) -> NDArray[np.float64]: ...
    @property
    def converged(self) -> NDArray[np.bool_]: ...
    @property
    def iterations(self) -> NDArray[np.uint64]: ...
    @property
    def n_starts(self) -> NDArray[np.uint64]: ...
    @property
    def n_at_best(self) -> NDArray[np.uint64]: ...
    @property
    def n_runs(self) -> NDArray[np.uint64]: ...
    @property
    def condition_number(self) -> NDArray[np.float64]: ...
    @property
    def flags(self) -> NDArray[np.uint32]: ...
    @property
    def low(self) -> NDArray[np.float64]: ...
    @property
    def high(self) -> NDArray[np.float64]: ...
    @property
    def n_failed(self) -> NDArray[np.uint64]: ...
    def __len__(self) -> int: ...

def fleet_pilot_groups(n_groups: int) -> list[int]: ...
def fleet_pilot(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    groups: Any,
    n_groups: int,
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
) -> NDArray[np.float64]: ...
def fit_fleet(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    groups: Any,
    n_groups: int,
    *,
    weights: Any | None = None,
    objective: str = "huber_log",
    delta: float = 1e-3,
    asymmetry: float = 2.0,
    init: str = "shared",
    starts: Any | None = None,
    shared: Any | None = None,
    fixed: list[tuple[int, float]] = ...,
    ties: list[tuple[int, int]] = ...,
    max_iter: int = 1000,
    ftol: float = 1e-13,
    gtol: float = 1e-10,
    first_group: int = 0,
    n_resamples: int = 0,
    seed: int = 0,
    scheme: str = "pairs",
    method: str = "percentile",
    level: float = 0.95,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> FleetFits: ...

@final
class JointFleetFits:
    @property
    def n_groups(self) -> NDArray[np.uint64]: ...
    @property
    def theta(self) -> NDArray[np.float64]: ...
    @property
    def group_objective(self) -> NDArray[np.float64]: ...
    @property
    def group_n_runs(self) -> NDArray[np.uint64]: ...
    @property
    def low(self) -> NDArray[np.float64]: ...
    @property
    def high(self) -> NDArray[np.float64]: ...
    @property
    def objective(self) -> NDArray[np.float64]: ...
    @property
    def converged(self) -> NDArray[np.bool_]: ...
    @property
    def iterations(self) -> NDArray[np.uint64]: ...
    @property
    def n_starts(self) -> NDArray[np.uint64]: ...
    @property
    def n_at_best(self) -> NDArray[np.uint64]: ...
    @property
    def n_runs(self) -> NDArray[np.uint64]: ...
    @property
    def flags(self) -> NDArray[np.uint32]: ...
    @property
    def n_failed(self) -> NDArray[np.uint64]: ...
    @property
    def key_seed(self) -> NDArray[np.uint64]: ...
    def __len__(self) -> int: ...

def fit_joint_fleet(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    keys: Any,
    n_keys: int,
    subgroups: Any,
    shared: list[int],
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
    first_key: int = 0,
    n_resamples: int = 0,
    seed: int = 0,
    scheme: str = "pairs",
    method: str = "percentile",
    level: float = 0.95,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> JointFleetFits: ...
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

@final
class LawAllocation:
    def __new__(
        cls,
        compute: NDArray[np.float64],
        N: NDArray[np.float64],
        D: NDArray[np.float64],
        loss: NDArray[np.float64],
        status: list[int],
        N_ci: NDArray[np.float64] | None = None,
        D_ci: NDArray[np.float64] | None = None,
        loss_ci: NDArray[np.float64] | None = None,
    ) -> LawAllocation: ...
    @property
    def compute(self) -> NDArray[np.float64]: ...
    @property
    def N(self) -> NDArray[np.float64]: ...  # noqa: N802
    @property
    def D(self) -> NDArray[np.float64]: ...  # noqa: N802
    @property
    def loss(self) -> NDArray[np.float64]: ...
    @property
    def status(self) -> NDArray[np.uint8]: ...
    @property
    def N_ci(self) -> NDArray[np.float64] | None: ...  # noqa: N802
    @property
    def D_ci(self) -> NDArray[np.float64] | None: ...  # noqa: N802
    @property
    def loss_ci(self) -> NDArray[np.float64] | None: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def allocate_law(
    law: str,
    theta: list[float],
    compute: NDArray[np.float64],
    inference_tokens: NDArray[np.float64],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
    n_threads: int | None = None,
    *,
    thetas: NDArray[np.float64] | None = None,
    level: float = 0.95,
) -> LawAllocation: ...
def allocate_law_cost(
    law: str,
    theta: list[float],
    compute: NDArray[np.float64],
    cost: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
) -> LawAllocation: ...
def compute_for_loss_law(
    law: str,
    theta: list[float],
    targets: NDArray[np.float64],
    inference_tokens: NDArray[np.float64],
    unique_tokens: NDArray[np.float64] | None = None,
    flops_per_param_token: float = 6.0,
    n_threads: int | None = None,
) -> LawAllocation: ...

# (end of allocation)

# --- isoflop (rust/python/src/isoflop.rs) ----------------------------------------------------------

@final
class IsoflopFit:
    def __new__(
        cls,
        ln_n_opt: NDArray[np.float64],
        loss_opt: NDArray[np.float64],
        refusal: list[int],
        messages: list[str],
        exponent: float,
        intercept: float,
    ) -> IsoflopFit: ...
    @property
    def ln_n_opt(self) -> NDArray[np.float64]: ...
    @property
    def loss_opt(self) -> NDArray[np.float64]: ...
    @property
    def refusal(self) -> NDArray[np.uint8]: ...
    @property
    def messages(self) -> list[str]: ...
    @property
    def exponent(self) -> float: ...
    @property
    def intercept(self) -> float: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

@final
class IsoflopBootstrap:
    def __new__(
        cls,
        exponent: NDArray[np.float64],
        intercept: NDArray[np.float64],
        ln_n_opt: NDArray[np.float64],
        loss_opt: NDArray[np.float64],
        n_failed: int,
    ) -> IsoflopBootstrap: ...
    @property
    def exponent(self) -> NDArray[np.float64]: ...
    @property
    def intercept(self) -> NDArray[np.float64]: ...
    @property
    def ln_n_opt(self) -> NDArray[np.float64]: ...
    @property
    def loss_opt(self) -> NDArray[np.float64]: ...
    @property
    def n_failed(self) -> int: ...
    def intervals(self, level: float) -> tuple[tuple[float, float], NDArray[np.float64]]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

@final
class Frontier:
    def __new__(cls, ln_c: NDArray[np.float64], loss: NDArray[np.float64], model: list[int]) -> Frontier: ...
    @property
    def ln_c(self) -> NDArray[np.float64]: ...
    @property
    def loss(self) -> NDArray[np.float64]: ...
    @property
    def model(self) -> NDArray[np.uint64]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def isoflop_fit(
    ln_n: NDArray[np.float64],
    loss: NDArray[np.float64],
    budget: list[int],
    ln_c: NDArray[np.float64],
    degree: int = 2,
    near: int | None = None,
    weight: NDArray[np.float64] | None = None,
) -> IsoflopFit: ...
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
) -> IsoflopBootstrap: ...
def efficient_frontier(
    model: list[int], ln_c: NDArray[np.float64], loss: NDArray[np.float64], n_models: int, n_grid: int = 256
) -> Frontier: ...

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
        bandwidth: str | float | NDArray[np.float64] | list[str | float],
        kernel: str,
        weights: NDArray[np.float64] | None,
        method: str,
        tolerance: float,
        n_threads: int | None = None,
        rule: str | None = None,
        bounds: tuple[float, float] | None = None,
    ) -> KdeEstimator: ...
    @property
    def bandwidth_notes(self) -> list[str]: ...
    @property
    def bounds(self) -> tuple[float, float] | None: ...
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
    def data_range(self) -> tuple[float, float]: ...
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
    def uses_binned(self, m: int) -> bool: ...
    def density(self, x: NDArray[np.float64], log: bool, n_threads: int | None = None) -> NDArray[np.float64]: ...
    def density_grid(self, axes: list[NDArray[np.float64]]) -> NDArray[np.float64]: ...
    def tail(self, x: NDArray[np.float64], upper: bool) -> NDArray[np.float64]: ...
    def grid(
        self, n: int, lo: float | None, hi: float | None, cut: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
    def quantile(self, p: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def mode(self) -> NDArray[np.float64]: ...
    def hdi(self, level: float) -> NDArray[np.float64]: ...
    def diagnostics(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
    def loo_log_likelihood(self, h: float) -> float: ...
    def resample(self, size: int, seed: int) -> NDArray[np.float64]: ...
    def box_probability(self, low: NDArray[np.float64], high: NDArray[np.float64]) -> float: ...
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
    @property
    def level(self) -> float: ...
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
    level: Any | None = None,
    n_threads: int | None = None,
) -> PreparedBootstrap: ...
def check_level(level: Any) -> float: ...
def prepared_bootstrap_from_state(
    fit: Fit,
    scheme: str,
    wild_weights: str,
    group: Any | None,
    seed: int,
    robust: bool,
    guards: Any,
    screened: Any,
    level: Any,
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
    block: str | None = None,
    block_length: float = 1.0,
    seed: int = 0,
    first: int = 0,
    count: int = 9999,
    jackknife: bool = True,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> StatisticBootstrap: ...
def bootstrap_indices(
    sizes: list[int],
    *,
    paired: bool = False,
    block: str | None = None,
    block_length: float = 1.0,
    seed: int = 0,
    first: int = 0,
    count: int = 1,
) -> list[NDArray[np.uint32]]: ...
def optimal_block_length(x: Any) -> tuple[float, float]: ...
def bootstrap_interval(
    distribution: Any,
    theta_hat: float,
    jackknife: list[Any],
    level: float = 0.95,
    method: str = "percentile",
) -> BootstrapInterval: ...
def bootstrap_interval_batch(
    distribution: Any,
    estimates: Any,
    jackknife: list[Any],
    alpha: float,
    method: str = "percentile",
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]: ...

@final
class StatisticBootstrap:
    def __new__(cls, distribution: Any, estimate: Any, jackknife: list[Any], paired: bool) -> StatisticBootstrap: ...
    @property
    def distribution(self) -> NDArray[np.float64]: ...
    @property
    def estimate(self) -> NDArray[np.float64]: ...
    @property
    def jackknife(self) -> list[NDArray[np.float64]]: ...
    @property
    def paired(self) -> bool: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

@final
class BootstrapInterval:
    def __new__(
        cls, low: float, high: float, levels: tuple[float, float], z0: float, a_hat: float
    ) -> BootstrapInterval: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def levels(self) -> tuple[float, float]: ...
    @property
    def z0(self) -> float: ...
    @property
    def a_hat(self) -> float: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

def bootstrap_intervals(
    samples: Any,
    estimates: Any,
    jackknife: Any | None = None,
    level: float = 0.95,
    method: str = "percentile",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

# (end of bootstrap)

# --- bounds (rust/python/src/bounds.rs) ------------------------------------------------------------

@final
class BoundAllocation:
    def __new__(
        cls,
        p: NDArray[np.float64],
        T: NDArray[np.float64],
        value: NDArray[np.float64],
        misspecification: NDArray[np.float64],
        estimation: NDArray[np.float64],
        local_exponent: NDArray[np.float64],
    ) -> BoundAllocation: ...
    @property
    def p(self) -> NDArray[np.float64]: ...
    @property
    def T(self) -> NDArray[np.float64]: ...  # noqa: N802
    @property
    def value(self) -> NDArray[np.float64]: ...
    @property
    def misspecification(self) -> NDArray[np.float64]: ...
    @property
    def estimation(self) -> NDArray[np.float64]: ...
    @property
    def local_exponent(self) -> NDArray[np.float64]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

@final
class BoundSpec:
    def __new__(cls, kind: str, params: list[Any]) -> BoundSpec: ...
    @property
    def kind(self) -> str: ...
    @property
    def params(self) -> list[float]: ...
    @property
    def p_min(self) -> float: ...
    def evaluate(
        self, p: NDArray[np.float64], t: NDArray[np.float64], *, with_terms: bool = False, n_threads: int | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None]: ...
    def evaluate_grid(
        self, p: NDArray[np.float64], t: NDArray[np.float64], *, n_threads: int | None = None
    ) -> NDArray[np.float64]: ...
    def allocate(
        self,
        compute: NDArray[np.float64],
        *,
        numerical: bool = False,
        n_threads: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> BoundAllocation: ...
    def distinct_units(self, n: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def optimal_eta(self, p: NDArray[np.float64], t: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

@final
class PluggableBound:
    def __new__(cls, p_min: Any, irreducible: Any) -> PluggableBound: ...
    @property
    def p_min(self) -> float: ...
    @property
    def irreducible(self) -> float: ...
    def check_points(self, p: NDArray[np.float64], t: NDArray[np.float64]) -> None: ...
    def allocate(
        self,
        reducible: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
        compute: NDArray[np.float64],
        *,
        progress: Callable[[int, int], Any] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...

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

# --- training curves (rust/python/src/curves.rs) ------------------------------------------------------

def check_curves(offsets: list[int], step: Any, lr: Any | None, names: list[str]) -> None: ...
def schedule_areas(
    offsets: list[int],
    step: Any,
    lr: Any,
    names: list[str],
    anneal_from: list[float],
    decay: float,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

# --- regimes (rust/python/src/regimes.rs) ----------------------------------------------------------

def intrinsic_dimension(
    points: Any,
    method: str = "twonn",
    k: int = 10,
    *,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[float, int]: ...

# --- profile likelihood (rust/python/src/profile.rs) ------------------------------------------------
def profile_likelihood(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    theta: list[float],
    quantity: str,
    *,
    compute: float | None = None,
    flops_per_param_token: float = 6.0,
    level: float = 0.95,
    small_sample: bool = True,
) -> tuple[float, float, float, float, NDArray[np.float64], float, NDArray[np.float64], int]: ...

# --- posterior (rust/python/src/posterior.rs) -------------------------------------------------------
def posterior_laplace(
    law: str, columns: dict[str, Any], loss: Any, priors: list[tuple[str, float, float]], theta: list[float]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]: ...
def posterior_ensemble(
    law: str,
    columns: dict[str, Any],
    loss: Any,
    priors: list[tuple[str, float, float]],
    center: list[float],
    init_cov: Any,
    *,
    n_chains: int,
    n_walkers: int,
    n_steps: int,
    n_burn: int,
    thin: int = 1,
    stretch: float = 2.0,
    seed: int = 0,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def mcmc_diagnostics(draws: Any, n_draws: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def gaussian_draws(mean: list[float], covariance: Any, n: int, seed: int) -> NDArray[np.float64]: ...
def predict_draws(law: str, thetas: Any, columns: dict[str, Any]) -> NDArray[np.float64]: ...
def law_box(law: str) -> list[tuple[float, float]]: ...
