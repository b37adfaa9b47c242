"""Pure NumPy/SciPy implementations of scalecore's algorithms: the test oracles and benchmark baselines.

They favour clarity over speed and follow the published procedures literally (for example the
Hoffmann-grid fit with scipy's L-BFGS-B and analytic gradients, as Besiroglu et al. 2024 ran it).
"""

from __future__ import annotations

from . import kde
from .fit import chinchilla_huber_log, fit_grid, hoffmann_grid, objective_and_grad

__all__ = ["chinchilla_huber_log", "fit_grid", "hoffmann_grid", "kde", "objective_and_grad"]
