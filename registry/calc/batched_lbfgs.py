"""L-BFGS over many independent small problems at once, in numpy.

Each of K problems (here: one start of the scaling-law fit each) keeps its own curvature history,
line search and stopping test, exactly as if it ran alone; only the arithmetic is batched, so one
numpy pass advances every unfinished problem. Problems that stop drop out of the batch.
Algorithm: Nocedal & Wright, Numerical Optimization (2nd ed.), Algorithm 7.4 (two-loop
recursion) and 3.1 (backtracking Armijo line search); stopping tests as scipy's L-BFGS-B.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
# fun(x[rows], rows) -> (values (k,), gradients (k, n)) for the problems numbered ``rows``.
BatchedFunction = Callable[[Array, IntArray], tuple[Array, Array]]

MEMORY = 10  # curvature pairs kept per problem (scipy's default maxcor)
FTOL = 2.220446049250313e-09  # scipy L-BFGS-B default: relative reduction of f
GTOL = 1e-5  # scipy L-BFGS-B default: largest gradient component
ARMIJO = 1e-4  # sufficient-decrease constant c1
MAX_BACKTRACKS = 30


@dataclass
class BatchResult:
    """Final points, values, iterations used and function evaluations per problem."""

    x: Array
    fun: Array
    iterations: IntArray
    evaluations: IntArray


def _direction(
    grad: Array, s_hist: Array, y_hist: Array, rho: Array, gamma: Array, newest: int, stored: int
) -> Array:
    """-H g by the two-loop recursion for every row (history slots ``newest`` back ``stored``)."""
    q = grad.copy()
    alphas = []
    for back in range(stored):
        slot = (newest - back) % MEMORY
        alpha = rho[slot] * np.einsum("ij,ij->i", s_hist[slot], q)
        q -= alpha[:, None] * y_hist[slot]
        alphas.append(alpha)
    q *= gamma[:, None]
    for back in reversed(range(stored)):
        slot = (newest - back) % MEMORY
        beta = rho[slot] * np.einsum("ij,ij->i", y_hist[slot], q)
        q += (alphas[back] - beta)[:, None] * s_hist[slot]
    return -q


def _line_search(
    fun: BatchedFunction,
    rows: IntArray,
    x: Array,
    value: Array,
    grad: Array,
    direction: Array,
    step: Array,
) -> tuple[Array, Array, Array, Array, Array]:
    """Backtracking Armijo search; returns new x, f, g, accepted mask and evaluations made."""
    slope = np.einsum("ij,ij->i", grad, direction)
    new_x, new_f, new_g = x.copy(), value.copy(), grad.copy()
    pending = np.ones(len(rows), dtype=bool)
    evaluations = np.zeros(len(rows), dtype=np.intp)
    for _ in range(MAX_BACKTRACKS):
        todo = np.flatnonzero(pending)
        if todo.size == 0:
            break
        trial = x[todo] + step[todo, None] * direction[todo]
        f, g = fun(trial, rows[todo])
        evaluations[todo] += 1
        good = np.isfinite(f) & (f <= value[todo] + ARMIJO * step[todo] * slope[todo])
        done = todo[good]
        new_x[done], new_f[done], new_g[done] = trial[good], f[good], g[good]
        pending[done] = False
        step[todo[~good]] *= 0.5
    return new_x, new_f, new_g, ~pending, evaluations


def batched_lbfgs(
    fun: BatchedFunction,
    x0: Array,
    *,
    max_iterations: int = 1000,
    ftol: float = FTOL,
    gtol: float = GTOL,
) -> BatchResult:
    """Minimise K independent problems from the rows of ``x0`` (K, n).

    A problem stops when its relative reduction of f falls to ``ftol``, its largest gradient
    component to ``gtol``, or its line search fails (scipy L-BFGS-B's tests).
    """
    count, size = x0.shape
    x = x0.astype(np.float64).copy()
    value, grad = fun(x, np.arange(count))
    s_hist, y_hist = np.zeros((MEMORY, count, size)), np.zeros((MEMORY, count, size))
    rho, gamma = np.zeros((MEMORY, count)), np.ones(count)
    iterations, evaluations = np.zeros(count, dtype=np.intp), np.ones(count, dtype=np.intp)
    active = np.flatnonzero(np.abs(grad).max(axis=1) > gtol)
    for iteration in range(max_iterations):
        if active.size == 0:
            break
        stored = min(iteration, MEMORY)
        direction = _direction(
            grad[active],
            s_hist[:, active],
            y_hist[:, active],
            rho[:, active],
            gamma[active],
            iteration - 1,
            stored,
        )
        uphill = np.einsum("ij,ij->i", direction, grad[active]) >= 0
        direction[uphill] = -grad[active][uphill]
        first = 1.0 / np.maximum(np.linalg.norm(grad[active], axis=1), 1e-300)
        step = np.where(iteration == 0, np.minimum(1.0, first), 1.0)
        new_x, new_f, new_g, moved, used = _line_search(
            fun, active, x[active], value[active], grad[active], direction, step
        )
        s, y = new_x - x[active], new_g - grad[active]
        curvature = np.einsum("ij,ij->i", s, y)
        valid = moved & (curvature > 1e-12 * np.einsum("ij,ij->i", y, y))
        slot = iteration % MEMORY
        s_hist[slot, active], y_hist[slot, active] = s, y
        rho[slot, active] = np.where(valid, 1.0 / np.where(valid, curvature, 1.0), 0.0)
        gamma[active] = np.where(
            valid, curvature / np.maximum(np.einsum("ij,ij->i", y, y), 1e-300), gamma[active]
        )
        reduction = (value[active] - new_f) / np.maximum.reduce(
            [np.abs(value[active]), np.abs(new_f), np.ones_like(new_f)]
        )
        x[active], value[active], grad[active] = new_x, new_f, new_g
        iterations[active] += 1
        evaluations[active] += used
        finished = ~moved | (reduction <= ftol) | (np.abs(new_g).max(axis=1) <= gtol)
        active = active[~finished]
    return BatchResult(x=x, fun=value, iterations=iterations, evaluations=evaluations)
