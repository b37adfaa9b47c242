"""Reference joint fit in NumPy/SciPy: one law per group with shared parameters (docs/joint_fits.md).

The joint vector is the shared parameters (internal coordinates, in parameter order) followed by each
group's own parameters; the objective is the sum of the groups' objectives (`fit.objective_and_grad`),
and a shared parameter's gradient is the sum of the groups' gradients there. `fit_joint` minimises it with
scipy's L-BFGS-B from the groups' separate fits, the shared parameters at their run-weighted median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize

from .fit import FloatArray, fit_grid, objective_and_grad


def _split(u: FloatArray, k: int, shared: Sequence[int], n_groups: int) -> FloatArray:
    """Each group's full parameter vector (groups x k) from the joint vector."""
    own = [j for j in range(k) if j not in shared]
    thetas = np.empty((n_groups, k))
    thetas[:, list(shared)] = u[: len(shared)]
    thetas[:, own] = u[len(shared) :].reshape(n_groups, len(own))
    return thetas


def joint_vector(thetas: FloatArray, shared: Sequence[int]) -> FloatArray:
    """The joint vector of per-group parameters whose shared ones agree (read from group 0)."""
    k = thetas.shape[1]
    own = [j for j in range(k) if j not in shared]
    return np.concatenate([thetas[0, list(shared)], thetas[:, own].ravel()])


def joint_objective_and_grad(
    law: str,
    u: FloatArray,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    codes: FloatArray,
    shared: Sequence[int],
    k: int,
    weight: FloatArray | None = None,
    **objective: Any,
) -> tuple[float, FloatArray]:
    n_groups = int(codes.max()) + 1
    thetas = _split(np.asarray(u, dtype=np.float64), k, shared, n_groups)
    own = [j for j in range(k) if j not in shared]
    total, grad = 0.0, np.zeros(len(u))
    for g in range(n_groups):
        rows = codes == g
        cols = {name: v[rows] for name, v in columns.items()}
        w = None if weight is None else weight[rows]
        f, gr = objective_and_grad(law, thetas[g], cols, loss[rows], w, **objective)
        total += f
        grad[: len(shared)] += gr[list(shared)]
        base = len(shared) + g * len(own)
        grad[base : base + len(own)] = gr[own]
    return total, grad


def fit_joint(
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    codes: FloatArray,
    shared: Sequence[int],
    starts: FloatArray | None = None,
) -> dict[str, Any]:
    """Fit each group alone on the reference grid, then the joint objective from the groups' optima with the
    shared parameters at their run-weighted median (scipy L-BFGS-B, analytic gradient)."""
    n_groups = int(codes.max()) + 1
    alone, sizes = [], []
    for g in range(n_groups):
        rows = codes == g
        cols = {name: v[rows] for name, v in columns.items()}
        alone.append(fit_grid(law, cols, loss[rows], starts, objective="huber_log")["theta"])
        sizes.append(int(rows.sum()))
    thetas = np.array(alone)
    for j in shared:
        order = np.argsort(thetas[:, j], kind="stable")
        acc = np.cumsum(np.asarray(sizes)[order])
        thetas[:, j] = thetas[order[np.searchsorted(2 * acc, acc[-1])], j]
    k = thetas.shape[1]

    def fg(u: FloatArray) -> tuple[float, FloatArray]:
        return joint_objective_and_grad(law, u, columns, loss, codes, shared, k, objective="huber_log")

    res = minimize(fg, joint_vector(thetas, shared), jac=True, method="L-BFGS-B")
    return {"objective": float(res.fun), "thetas": _split(np.asarray(res.x), k, shared, n_groups)}
