"""The exact oracle of docs/bounds.md section 5: Gaussian linear regression, by Monte Carlo in Rust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import _core
from .. import _options as options
from .._validation import integer, positive_float
from .._validation import n_threads as check_threads


@dataclass(frozen=True)
class RegressionInformation:
    """I(theta; H_T) for Gaussian linear regression by Monte Carlo, with its standard error and the Jensen
    bound (d/2) ln(1 + T s2/sigma2); ``error`` = I/T is the average reducible error L_T."""

    d: int
    T: int
    information: float
    standard_error: float
    jensen_bound: float

    @property
    def error(self) -> float:
        return self.information / self.T

    @property
    def error_standard_error(self) -> float:
        return self.standard_error / self.T

    @property
    def error_bound(self) -> float:
        return self.jensen_bound / self.T


def linear_regression_information(
    d: int,
    T: int,
    s2: float,
    sigma2: float,
    n_mc: int = 100_000,
    seed: Any = 0,
    *,
    n_threads: int | None = None,
    progress: Any = None,
) -> RegressionInformation:
    """Exact oracle of docs/bounds.md section 5: theta ~ N(0, s2 I_d), X ~ N(0, I_d), Y = theta.X + W,
    W ~ N(0, sigma2). Returns the Monte Carlo estimate of I(theta; H_T) = E[(1/2) ln det(I_d + (s2/sigma2)
    sum_t X_t X_t^T)] over ``n_mc`` replicates (replicate r uses its own random stream of ``seed``, so the
    answer is the same for any ``n_threads``), its standard error, and the Jensen bound."""
    d = integer("d", d, 1)
    T = integer("T", T, 1)
    n_mc = integer("n_mc", n_mc, 2)
    seed = options.seed(seed)
    s2 = positive_float("s2", s2)
    sigma2 = positive_float("sigma2", sigma2)
    with options.progress(progress, "regression information") as callback:
        info, se, jensen = _core.linear_regression_information(
            d, T, s2, sigma2, n_mc, seed, n_threads=check_threads(n_threads), progress=callback
        )
    return RegressionInformation(d=d, T=T, information=info, standard_error=se, jensen_bound=jensen)
