"""Benchmark: the full 4,500-start scaling-law fit, batched, against a scipy loop over the starts.

Run: .venv/bin/python bench/bench_fit.py [--loop-stride 1]
Data: the 240 Chinchilla runs of ../shared/data/chinchilla_fig4_epoch_extracted.csv (5 highest-loss
of 245 dropped, as Epoch did); 240 synthetic runs on the epoch2024 surface when that file is absent.
The loop is the straightforward ``for start in grid: scipy.optimize.minimize(...)`` with L-BFGS-B
and the same analytic gradient. Both answers are checked to reach the same optimum.
Target (issue): the full fit in <= 10 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from registry.calc import fit_law, get_fit, tokens_from_flops
from registry.calc.fit_objective import Runs, start_grid
from registry.calc.fitting import polish, scipy_objective

CHINCHILLA_CSV = (
    Path(__file__).resolve().parents[2] / "shared/data/chinchilla_fig4_epoch_extracted.csv"
)
TARGET_S = 10.0


def load_runs() -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """(label, params, tokens, loss) of the 240 Chinchilla runs, or synthetic stand-ins."""
    if CHINCHILLA_CSV.exists():
        frame = pd.read_csv(CHINCHILLA_CSV).sort_values("loss", kind="stable").iloc[:-5]
        params = frame["Model Size"].to_numpy()
        tokens = tokens_from_flops(params=params, flops=frame["Training FLOP"].to_numpy())
        return "Chinchilla (Epoch extraction), 240 runs", params, tokens, frame["loss"].to_numpy()
    rng = np.random.default_rng(0)
    params = 10 ** rng.uniform(7.8, 10.2, 240)
    tokens = params * 10 ** rng.uniform(0.5, 2.5, 240)
    loss = get_fit("epoch2024").loss(params=params, tokens=tokens) * np.exp(
        rng.normal(0, 0.01, 240)
    )
    return "synthetic epoch2024 surface, 240 runs", params, tokens, loss


def scipy_loop(runs: Runs, stride: int) -> tuple[float, np.ndarray, float, int]:
    """Time, best x, best value and evaluations of per-start scipy L-BFGS-B over the grid."""
    objective = scipy_objective(runs)
    start, best, evaluations = time.perf_counter(), None, 0
    for x0 in start_grid()[::stride]:
        result = minimize(objective, x0, jac=True, method="L-BFGS-B")
        evaluations += result.nfev
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    elapsed = time.perf_counter() - start
    x, value = polish(best.x, runs)  # the same final refinement the batched fit applies
    return elapsed, x, value, evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--loop-stride",
        type=int,
        default=1,
        help="Loop over every k-th start only (the time is then scaled up by k).",
    )
    options = parser.parse_args()
    label, params, tokens, loss = load_runs()
    runs = Runs.from_arrays(params=params, tokens=tokens, loss=loss)
    start = time.perf_counter()
    fitted = fit_law(params=params, tokens=tokens, loss=loss)
    batched = time.perf_counter() - start
    looped, x, value, evaluations = scipy_loop(runs, options.loop_stride)
    looped_full = looped * options.loop_stride
    e, a, b = np.exp(x[2]), np.exp(x[0]), np.exp(x[1])
    print(f"data: {label}; starts: {fitted.starts:,}; {os.cpu_count()} CPUs")
    print(
        f"batched fit (fit_law):  {batched:8.2f} s  (target <= {TARGET_S} s)  objective "
        f"{fitted.objective:.12e}"
    )
    scaled = (
        f" (every {options.loop_stride}th start, x{options.loop_stride})"
        if options.loop_stride > 1
        else ""
    )
    print(
        f"scipy loop over starts: {looped_full:8.2f} s{scaled}  objective {value:.12e}  "
        f"({evaluations:,} evaluations)"
    )
    print(f"speed-up:               {looped_full / batched:8.1f}x")
    print(
        f"batched: E={fitted.E:.4f} A={fitted.A:.2f} B={fitted.B:.2f} alpha={fitted.alpha:.4f} "
        f"beta={fitted.beta:.4f}"
    )
    print(f"loop:    E={e:.4f} A={a:.2f} B={b:.2f} alpha={x[3]:.4f} beta={x[4]:.4f}")
    assert abs(fitted.objective - value) <= 1e-9 * value, "the two reach different optima"
    for mine, theirs in ((fitted.E, e), (fitted.alpha, x[3]), (fitted.beta, x[4])):
        assert abs(mine / theirs - 1) < 1e-3, (mine, theirs)
    if batched > TARGET_S:
        raise SystemExit(f"the batched fit took {batched:.1f} s > {TARGET_S} s")


if __name__ == "__main__":
    main()
