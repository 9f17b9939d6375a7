"""The batched L-BFGS solves many independent problems as scipy solves each one alone."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der

from registry.calc.batched_lbfgs import batched_lbfgs


def rosenbrock(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rosenbrock's banana in 2-D for every row, with its gradient."""
    a, b = x[:, 0], x[:, 1]
    value = (1 - a) ** 2 + 100 * (b - a**2) ** 2
    gradient = np.stack([-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)], axis=1)
    return value, gradient


def test_every_start_reaches_rosenbrocks_minimum() -> None:
    starts = np.random.default_rng(3).uniform(-2, 2, size=(200, 2))
    result = batched_lbfgs(rosenbrock, starts, ftol=1e-15, gtol=1e-9)
    assert np.allclose(result.x, 1.0, atol=1e-5)
    assert result.fun.max() < 1e-10
    # About as many iterations as scipy's L-BFGS-B needs for the same starts.
    scipy_iterations = [
        minimize(rosen, s, jac=rosen_der, method="L-BFGS-B").nit for s in starts[:20]
    ]
    assert np.median(result.iterations[:20]) < 3 * np.median(scipy_iterations)


def test_problems_stay_independent() -> None:
    # Row k minimises sum((x - k)^2): each row must end at its own minimum, untouched by the others.
    targets = np.arange(6, dtype=float)

    def bowls(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offset = x - targets[rows, None]
        return (offset**2).sum(axis=1), 2 * offset

    result = batched_lbfgs(bowls, np.zeros((6, 3)))
    assert result.x == pytest.approx(np.repeat(targets[:, None], 3, axis=1), abs=1e-6)
    assert result.iterations[0] == 0  # already optimal: never iterated
    assert (result.evaluations[1:] < 10).all()
