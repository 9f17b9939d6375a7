"""Benchmark: placing 10,000 models at once (``place_many``) against a per-model loop of ``place``.

Run: .venv/bin/python bench/bench_placement.py [--models 10000] [--repeats 7]
Prints both times and their ratio in one run and checks the two agree to 1e-12 (relative).
Target (issue): the vectorised placement of 10,000 models in <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from registry.calc import place, place_many

TARGET_MS = 50.0  # the budget for 10,000 models


def synthetic_models(count: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total params 1e8..1e12, 1..3000 tokens/param, a third of them MoE with 10-40% active."""
    rng = np.random.default_rng(seed)
    params = 10 ** rng.uniform(8, 12, count)
    tokens = params * 10 ** rng.uniform(0, 3.5, count)
    active = np.where(rng.random(count) < 1 / 3, params * rng.uniform(0.1, 0.4, count), np.nan)
    return params, tokens, active


def time_vectorised(params, tokens, active, *, repeats: int, demand: float | None) -> float:
    """Median wall time in seconds of ``place_many`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        place_many(params, tokens, active_params=active, inference_tokens=demand)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def loop(params, tokens, active) -> tuple[float, list]:
    """Wall time of the obvious per-model loop, and its placements."""
    start = time.perf_counter()
    placed = [
        place(params=n, tokens=d, active_params=None if np.isnan(a) else a)
        for n, d, a in zip(params, tokens, active, strict=True)
    ]
    return time.perf_counter() - start, placed


def check_agreement(table, placed) -> None:
    """Every row of the table equals the loop's placement of that model."""
    for column, key in (
        ("overtrain_factor", "overtrain_factor"),
        ("loss", "loss"),
        ("loss_gap", "loss_gap"),
        ("flops_for_same_loss", "flops_for_same_loss"),
    ):
        expected = np.array([getattr(one, key) for one in placed], dtype=float)
        assert np.allclose(table[column].to_numpy(), expected, rtol=1e-12, atol=0), column
    breakeven = np.array(
        [
            np.nan if one.break_even_inference_tokens is None else one.break_even_inference_tokens
            for one in placed
        ]
    )
    got = table["break_even_inference_tokens"].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(breakeven))
    assert np.allclose(got[~np.isnan(got)], breakeven[~np.isnan(breakeven)], rtol=1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    params, tokens, active = synthetic_models(options.models)
    place_many(params[:10], tokens[:10])  # warm up imports and numpy
    vectorised = time_vectorised(params, tokens, active, repeats=options.repeats, demand=None)
    with_demand = time_vectorised(params, tokens, active, repeats=options.repeats, demand=1e13)
    looped, placed = loop(params, tokens, active)
    check_agreement(place_many(params, tokens, active_params=active), placed)
    print(f"models: {options.models:,} on {os.cpu_count()} CPUs (median of {options.repeats})")
    print(
        f"place_many:                      {vectorised * 1e3:8.1f} ms  (target <= {TARGET_MS} ms)"
    )
    print(f"place_many + inference optimum:  {with_demand * 1e3:8.1f} ms")
    print(f"loop of place():                 {looped * 1e3:8.1f} ms")
    print(f"speed-up:                        {looped / vectorised:8.0f}x  (results agree to 1e-12)")
    if options.models == 10_000 and vectorised * 1e3 > TARGET_MS:
        raise SystemExit(f"place_many took {vectorised * 1e3:.1f} ms > {TARGET_MS} ms")


if __name__ == "__main__":
    main()
