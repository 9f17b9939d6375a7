"""Fitting your own scaling law (docs/SCIENCE.md section 6).

Hoffmann et al. 2022 (arXiv:2203.15556) App. D.2 as replicated by Besiroglu et al. 2024
(arXiv:2404.10102): minimise the summed Huber loss (delta = 1e-3) of log-loss residuals with
L-BFGS from the 4,500-start grid. All starts run together in one batched L-BFGS (each with its own
history, line search and stopping test, see ``batched_lbfgs``), then the best few are polished one
by one with scipy's L-BFGS-B to tight tolerances. Uncertainty comes from a bootstrap over runs,
every resample refitted from the full-data optimum in one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from registry.calc.batched_lbfgs import batched_lbfgs
from registry.calc.errors import CalcError
from registry.calc.fit_objective import HUBER_DELTA, Runs, objective_and_gradient, start_grid
from registry.calc.laws import ChinchillaFit

Array = npt.NDArray[np.float64]

# Tight tolerances for refinement: the objective is ~1e-3 and its valley flat, so scipy's defaults
# (relative to max(|f|, 1)) stop early, the pathology Besiroglu et al. 2024 found in Hoffmann's
# fit; bootstrap refits start at the optimum and would barely move.
POLISH_FTOL = 1e-15
POLISH_GTOL = 1e-12
POLISHED_STARTS = 8  # best candidates refined one by one to tight tolerances
MIN_RUNS = 6  # more runs than the five coefficients


@dataclass(frozen=True, kw_only=True)
class FitResult:
    """A fitted coefficient set, its allocation exponents and (optionally) bootstrap intervals."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    objective: float
    runs_used: int
    runs_excluded: int
    starts: int
    bootstrap: dict[str, dict[str, float]] | None = None

    @property
    def law(self) -> ChinchillaFit:
        """The fit as a coefficient set (named ``fitted`` until saved under a name)."""
        return self.as_fit("fitted")

    def as_fit(self, name: str, source: str = "fitted with registry fit") -> ChinchillaFit:
        """The fit as a named coefficient set usable wherever ``--fit`` is taken."""
        return ChinchillaFit(
            name=name, E=self.E, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta, source=source
        )

    def as_dict(self) -> dict[str, Any]:
        """E, A, B, alpha, beta, a, b, G and the fit's bookkeeping, JSON-ready."""
        law = self.law
        return {
            "E": self.E,
            "A": self.A,
            "B": self.B,
            "alpha": self.alpha,
            "beta": self.beta,
            "a": law.a,
            "b": law.b,
            "G": law.G,
            "objective": self.objective,
            "runs_used": self.runs_used,
            "runs_excluded": self.runs_excluded,
            "starts": self.starts,
            "huber_delta": HUBER_DELTA,
            "bootstrap": self.bootstrap,
        }


def _validated_runs(params: Any, tokens: Any, loss: Any, *, exclude_top_loss: int) -> Runs:
    """Runs as log arrays, minus the ``exclude_top_loss`` highest-loss ones."""
    columns = {
        name: np.asarray(values, dtype=np.float64).ravel()
        for name, values in (("params", params), ("tokens", tokens), ("loss", loss))
    }
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise CalcError(f"params, tokens and loss differ in length: {lengths}")
    for name, values in columns.items():
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise CalcError(
                f"{name} must be finite numbers > 0; row {int(np.argmax(bad))} is "
                f"{float(values[int(np.argmax(bad))])!r}"
            )
    if not 0 <= exclude_top_loss < len(columns["loss"]) - MIN_RUNS + 1:
        raise CalcError(
            f"exclude_top_loss {exclude_top_loss!r} leaves fewer than {MIN_RUNS} of "
            f"{len(columns['loss'])} runs"
        )
    keep = np.argsort(columns["loss"], kind="stable")[: len(columns["loss"]) - exclude_top_loss]
    keep.sort()
    return Runs.from_arrays(
        params=columns["params"][keep], tokens=columns["tokens"][keep], loss=columns["loss"][keep]
    )


def scipy_objective(runs: Runs) -> Callable[[Array], tuple[float, Array]]:
    """The objective of one parameter vector in scipy's form, (value, gradient)."""

    def single(x: Array) -> tuple[float, Array]:
        values, gradient = objective_and_gradient(x[None, :], runs)
        return float(values[0]), gradient[0]

    return single


def polish(theta: Array, runs: Runs) -> tuple[Array, float]:
    """Refine one parameter vector with scipy's L-BFGS-B to tight tolerances."""

    result = minimize(
        scipy_objective(runs),
        theta,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 5000, "ftol": POLISH_FTOL, "gtol": POLISH_GTOL},
    )
    return result.x, float(result.fun)


def best_of_starts(starts: Array, runs: Runs) -> tuple[Array, float]:
    """The lowest objective reached from ``starts``: batched L-BFGS, then scipy polish."""
    batch = batched_lbfgs(lambda x, rows: objective_and_gradient(x, runs), starts)
    finite = np.where(np.isfinite(batch.fun), batch.fun, np.inf)
    candidates = [polish(batch.x[i], runs) for i in np.argsort(finite)[:POLISHED_STARTS]]
    return min(candidates, key=lambda pair: pair[1])


def _bootstrap(
    best: Array, runs: Runs, *, resamples: int, seed: int, confidence: float
) -> dict[str, dict[str, float]]:
    """Percentile intervals and standard errors of every coefficient over run resamples."""
    rng = np.random.default_rng(seed)
    size = len(runs.log_loss)
    counts = np.stack(
        [np.bincount(rng.integers(0, size, size), minlength=size) for _ in range(resamples)]
    ).astype(np.float64)
    batch = batched_lbfgs(
        lambda x, rows: objective_and_gradient(x, runs, weights=counts[rows]),
        np.repeat(best[None, :], resamples, axis=0),
        max_iterations=5000,
        ftol=POLISH_FTOL,
        gtol=POLISH_GTOL,
    )
    draws = _columns([_coefficients(theta) for theta in batch.x])
    tail = 100 * (1 - confidence) / 2
    return {
        key: {
            "low": float(np.percentile(values, tail)),
            "high": float(np.percentile(values, 100 - tail)),
            "std_error": float(np.std(values, ddof=1)),
            "confidence": confidence,
        }
        for key, values in draws.items()
    }


def _coefficients(theta: Array) -> dict[str, float]:
    """E, A, B, alpha, beta and the allocation a, b, G of one (a, b, e, alpha, beta) vector."""
    a, b, e, alpha, beta = (float(v) for v in theta)
    law = ChinchillaFit(
        name="draw",
        E=float(np.exp(e)),
        A=float(np.exp(a)),
        B=float(np.exp(b)),
        alpha=max(alpha, 1e-12),
        beta=max(beta, 1e-12),
    )
    return {
        "E": law.E,
        "A": law.A,
        "B": law.B,
        "alpha": alpha,
        "beta": beta,
        "a": law.a,
        "b": law.b,
        "G": law.G,
    }


def _columns(rows: list[dict[str, float]]) -> dict[str, Array]:
    """List of dicts to dict of arrays."""
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def fit_law(
    *,
    params: Any,
    tokens: Any,
    loss: Any,
    exclude_top_loss: int = 0,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> FitResult:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to training runs (N ``params``, D ``tokens``).

    ``exclude_top_loss`` drops that many highest-loss runs first (Epoch drops 5 of Chinchilla's
    245); ``bootstrap`` > 0 adds intervals at ``confidence`` from that many resamples.
    """
    runs = _validated_runs(params, tokens, loss, exclude_top_loss=exclude_top_loss)
    if bootstrap < 0 or not 0 < confidence < 1:
        raise CalcError(
            f"bootstrap must be >= 0 and confidence in (0, 1); got {bootstrap!r}, {confidence!r}"
        )
    grid = start_grid()
    best, objective = best_of_starts(grid, runs)
    found = _coefficients(best)
    if not (found["alpha"] > 0 and found["beta"] > 0):
        raise CalcError(
            f"the fit found no decreasing law (alpha={found['alpha']:.4g}, "
            f"beta={found['beta']:.4g}); the runs do not constrain one"
        )
    intervals = (
        _bootstrap(best, runs, resamples=bootstrap, seed=seed, confidence=confidence)
        if bootstrap
        else None
    )
    return FitResult(
        E=found["E"],
        A=found["A"],
        B=found["B"],
        alpha=found["alpha"],
        beta=found["beta"],
        objective=objective,
        runs_used=len(runs.log_loss),
        runs_excluded=exclude_top_loss,
        starts=len(grid),
        bootstrap=intervals,
    )


def tokens_from_flops(*, params: Any, flops: Any) -> Array:
    """Training tokens D = C/(6N) of runs given by compute (docs/SCIENCE.md section 2)."""
    return np.asarray(flops, dtype=np.float64) / (6.0 * np.asarray(params, dtype=np.float64))
