# Type stubs of the Rust extension (rust/python), checked by `python -m mypy.stubtest scalecore._core`.
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__version__: str

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
    float, float, NDArray[np.float64], NDArray[np.float64], float, float, float, NDArray[np.float64], NDArray[np.float64]
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

# (end of bootstrap)

# --- bounds (rust/python/src/bounds.rs) ------------------------------------------------------------

# (end of bounds)
