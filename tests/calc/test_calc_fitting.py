"""Fitting a law: the objective, recovering known constants, Epoch's replication of Chinchilla."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from registry.calc import CalcError, FitResult, fit_law, get_fit, tokens_from_flops
from registry.calc.fit_objective import HUBER_DELTA, Runs, objective_and_gradient, start_grid

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHINCHILLA_CSV = DATA_DIR / "chinchilla_fig4_epoch_extracted.csv"
needs_chinchilla = pytest.mark.skipif(
    not CHINCHILLA_CSV.exists(),
    reason=f"{CHINCHILLA_CSV} is absent (the shared data folder ships beside the repo, not in it)",
)


def synthetic_runs(*, noise: float, seed: int = 1, max_params: float = 1e10, sizes: int = 10):
    """A sizes x sizes grid of runs (N from 1e7, 3 to 1000 tokens/param) on the epoch2024 surface."""
    law = get_fit("epoch2024")
    params = np.repeat(np.logspace(7, np.log10(max_params), sizes), sizes)
    tokens = params * np.tile(np.logspace(0.5, 3, sizes), sizes)
    loss = law.loss(params=params, tokens=tokens)
    return params, tokens, loss * np.exp(np.random.default_rng(seed).normal(0, noise, params.size))


def test_start_grid_is_hoffmanns_4500_starts() -> None:
    grid = start_grid()
    assert grid.shape == (4500, 5)
    for column, values in zip(
        grid.T,
        ([0, 5, 10, 15, 20, 25],) * 2 + ([-1, -0.5, 0, 0.5, 1],) + ([0, 0.5, 1, 1.5, 2],) * 2,
        strict=True,
    ):
        assert sorted(set(column)) == values
    assert len({tuple(row) for row in grid}) == 4500


def test_gradient_matches_finite_differences() -> None:
    params, tokens, loss = synthetic_runs(noise=0.01)
    runs = Runs.from_arrays(params=params, tokens=tokens, loss=loss)
    theta = np.array([[6.0, 7.5, 0.6, 0.35, 0.37], [3.0, 4.0, 0.2, 0.2, 0.25]])
    _, gradient = objective_and_gradient(theta, runs)
    for i in range(5):
        step = np.zeros_like(theta)
        step[:, i] = 1e-6
        numeric = (
            objective_and_gradient(theta + step, runs)[0]
            - objective_and_gradient(theta - step, runs)[0]
        ) / 2e-6
        assert gradient[:, i] == pytest.approx(numeric, rel=1e-5, abs=1e-10)


def test_objective_is_the_summed_huber_loss() -> None:
    params, tokens, loss = synthetic_runs(noise=0.0)
    runs = Runs.from_arrays(params=params, tokens=tokens, loss=loss * np.exp(0.01))
    law = get_fit("epoch2024")
    theta = np.array([[np.log(law.A), np.log(law.B), np.log(law.E), law.alpha, law.beta]])
    value, _ = objective_and_gradient(theta, runs)
    # Every residual is -0.01, in Huber's linear zone: delta (|r| - delta/2) each, summed.
    assert value[0] == pytest.approx(100 * HUBER_DELTA * (0.01 - HUBER_DELTA / 2), rel=1e-9)


def test_recovers_known_constants_exactly_from_noiseless_runs() -> None:
    law = get_fit("epoch2024")
    params, tokens, loss = synthetic_runs(noise=0.0, sizes=7)
    fitted = fit_law(params=params, tokens=tokens, loss=loss)
    for name in ("E", "A", "B", "alpha", "beta"):
        assert getattr(fitted, name) == pytest.approx(getattr(law, name), rel=1e-6), name
    assert fitted.starts == 4500 and fitted.runs_used == 49


def test_recovers_known_constants_from_noisy_runs_and_extrapolates() -> None:
    law = get_fit("epoch2024")
    params, tokens, loss = synthetic_runs(noise=0.002, max_params=1e9)
    fitted = fit_law(params=params, tokens=tokens, loss=loss)
    assert pytest.approx(law.E, rel=0.01) == fitted.E
    assert fitted.alpha == pytest.approx(law.alpha, rel=0.05)
    assert fitted.beta == pytest.approx(law.beta, rel=0.05)
    # A run 30x larger than any fitted one: the fit predicts its loss within 0.5%.
    truth = law.loss(params=3e10, tokens=6e11)
    assert fitted.law.loss(params=3e10, tokens=6e11) == pytest.approx(truth, rel=0.005)


@pytest.fixture(scope="module")
def chinchilla() -> pd.DataFrame:
    if not CHINCHILLA_CSV.exists():
        pytest.skip(f"{CHINCHILLA_CSV} is absent (shared data folder not beside the repo)")
    frame = pd.read_csv(CHINCHILLA_CSV)
    frame["tokens"] = tokens_from_flops(params=frame["Model Size"], flops=frame["Training FLOP"])
    return frame


@pytest.fixture(scope="module")
def chinchilla_fit(chinchilla: pd.DataFrame) -> FitResult:
    return fit_law(
        params=chinchilla["Model Size"],
        tokens=chinchilla["tokens"],
        loss=chinchilla["loss"],
        exclude_top_loss=5,
        bootstrap=40,
        seed=0,
    )


@needs_chinchilla
def test_chinchilla_fit_reproduces_epochs_replication(chinchilla_fit: FitResult) -> None:
    # Besiroglu et al. 2024 (arXiv:2404.10102) Table 1: E=1.8172, A=482.01, B=2085.43,
    # alpha=0.3478, beta=0.3658 on the same 240 runs (5 highest-loss of 245 dropped).
    assert chinchilla_fit.runs_used == 240 and chinchilla_fit.runs_excluded == 5
    assert pytest.approx(1.8172, rel=1e-3) == chinchilla_fit.E
    assert chinchilla_fit.alpha == pytest.approx(0.3478, rel=0.01)
    assert chinchilla_fit.beta == pytest.approx(0.3658, rel=0.01)
    assert pytest.approx(482.01, rel=0.02) == chinchilla_fit.A
    assert pytest.approx(2085.43, rel=0.04) == chinchilla_fit.B
    # The summed-Huber minimum: our optimum is at least as good as Epoch's published point.
    epoch = get_fit("epoch2024")
    assert chinchilla_fit.objective <= _objective_at(epoch, chinchilla_fit)
    # ... and gives Chinchilla's ~20 tokens per parameter at Chinchilla's budget.
    law = chinchilla_fit.law
    tokens_per_param = (5.88e23 / 6) ** (law.b - law.a) / law.G**2
    assert 17 < tokens_per_param < 21


def _objective_at(law, fitted: FitResult) -> float:
    frame = pd.read_csv(CHINCHILLA_CSV).sort_values("loss", kind="stable").iloc[:-5]
    tokens = tokens_from_flops(params=frame["Model Size"], flops=frame["Training FLOP"])
    runs = Runs.from_arrays(
        params=frame["Model Size"].to_numpy(),
        tokens=np.asarray(tokens),
        loss=frame["loss"].to_numpy(),
    )
    theta = np.array([[np.log(law.A), np.log(law.B), np.log(law.E), law.alpha, law.beta]])
    return float(objective_and_gradient(theta, runs)[0][0])


@needs_chinchilla
def test_bootstrap_intervals_match_epochs_standard_errors(chinchilla_fit: FitResult) -> None:
    # Epoch's Table 1 standard errors: E 0.03, alpha 0.02, beta 0.02 (A 124.58, B 1293.23).
    intervals = chinchilla_fit.bootstrap
    assert intervals is not None
    for name, low, high in (("E", 0.01, 0.06), ("alpha", 0.007, 0.04), ("beta", 0.007, 0.04)):
        assert low < intervals[name]["std_error"] < high, name
        assert intervals[name]["low"] < getattr(chinchilla_fit, name) < intervals[name]["high"]
    assert intervals["a"]["low"] < chinchilla_fit.law.a < intervals["a"]["high"]


@needs_chinchilla
def test_fit_on_small_runs_extrapolates_to_the_largest(chinchilla: pd.DataFrame) -> None:
    runs = chinchilla.sort_values("loss", kind="stable").iloc[:-5]
    small, large = runs[runs["Training FLOP"] < 1e21], runs[runs["Training FLOP"] >= 1e21]
    fitted = fit_law(params=small["Model Size"], tokens=small["tokens"], loss=small["loss"])
    predicted = fitted.law.loss(
        params=large["Model Size"].to_numpy(), tokens=large["tokens"].to_numpy()
    )
    errors = np.abs(predicted / large["loss"].to_numpy() - 1)
    assert len(large) >= 20
    assert np.median(errors) < 0.015 and errors.max() < 0.04


def test_bad_runs_are_refused_with_the_value() -> None:
    with pytest.raises(CalcError, match=r"loss must be finite numbers > 0; row 2 is nan"):
        fit_law(params=[1e8] * 8, tokens=[1e9] * 8, loss=[3, 3, float("nan"), 3, 3, 3, 3, 3])
    with pytest.raises(CalcError, match="differ in length"):
        fit_law(params=[1e8] * 8, tokens=[1e9] * 7, loss=[3] * 8)
    with pytest.raises(CalcError, match="exclude_top_loss 3 leaves fewer than 6 of 8 runs"):
        fit_law(params=[1e8] * 8, tokens=[1e9] * 8, loss=[3] * 8, exclude_top_loss=3)
