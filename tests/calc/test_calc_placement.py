"""Placing models: Chinchilla, Llama 3 8B, GPT-3, MoE; one model and a whole table agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from registry.calc import CalcError, compute_optimal, get_fit, place, place_many


def test_chinchilla_sits_at_the_epoch2024_optimum() -> None:
    placed = place(params=70e9, tokens=1.4e12)
    assert placed.fit == "epoch2024"
    assert placed.flops == pytest.approx(5.88e23)
    assert placed.tokens_per_param == pytest.approx(20.0)
    assert placed.loss == pytest.approx(1.9739, abs=1e-4)
    assert placed.optimal["tokens_per_param"] == pytest.approx(18.38, abs=0.01)
    assert placed.overtrain_factor == pytest.approx(1.088, abs=1e-3)
    assert 0 < placed.loss_gap < 1e-4  # within a hair of the optimum
    assert placed.flops_for_same_loss == pytest.approx(placed.flops, rel=1e-3)


def test_gpt3_and_gopher_are_undertrained() -> None:
    for params, tokens in ((175e9, 300e9), (280e9, 300e9)):
        placed = place(params=params, tokens=tokens)
        assert placed.overtrain_factor < 0.1
        assert placed.break_even_inference_tokens is None  # no demand makes them optimal
        # A compute-optimal model would reach the same loss for ~60% of the compute.
        assert placed.flops_for_same_loss < 0.65 * placed.flops


def test_llama3_8b_is_overtrained_about_a_hundredfold() -> None:
    placed = place(params=8.03e9, tokens=15e12)
    assert placed.tokens_per_param == pytest.approx(1868, abs=1)
    assert placed.overtrain_factor == pytest.approx(102.2, abs=0.1)
    assert placed.loss_gap == pytest.approx(0.0536, abs=1e-4)
    assert placed.break_even_inference_tokens == pytest.approx(1.895e14, rel=1e-3)
    assert placed.flops_for_same_loss == pytest.approx(1.314e23, rel=1e-3)


def test_loss_gap_is_the_loss_minus_the_optimum_at_equal_compute() -> None:
    law = get_fit("hoffmann2022")
    placed = place(params=175e9, tokens=300e9, fit=law)
    optimum = compute_optimal(flops=placed.flops, fit=law)
    assert placed.loss_gap == pytest.approx(placed.loss - optimum.loss, rel=1e-12)
    assert placed.optimal["params"] == pytest.approx(optimum.params, rel=1e-12)


def test_moe_is_placed_by_active_params_with_a_caveat() -> None:
    placed = place(params=46.7e9, active_params=12.9e9, tokens=8e12)
    dense = place(params=12.9e9, tokens=8e12)
    assert placed.loss == dense.loss and placed.flops == pytest.approx(6 * 12.9e9 * 8e12)
    assert "Krajewski" in placed.note and dense.note is None
    with pytest.raises(
        CalcError, match=r"active_params 50000000000.0 exceeds params 46700000000.0"
    ):
        place(params=46.7e9, active_params=5e10, tokens=8e12)


def test_approach1_placement_has_no_loss_fields() -> None:
    placed = place(params=70e9, tokens=1.4e12, fit="approach1")
    assert (
        placed.loss is None
        and placed.loss_gap is None
        and placed.break_even_inference_tokens is None
    )
    assert placed.overtrain_factor == pytest.approx(20 / 21.02, rel=1e-9)


def test_place_with_demand_adds_the_inference_optimum() -> None:
    placed = place(params=8.03e9, tokens=15e12, inference_tokens=1e13)
    best = placed.inference_optimal
    assert best is not None and best["loss"] == pytest.approx(placed.loss)
    assert 8.03e9 < best["params"] < placed.optimal["params"]


def _random_models(count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return 10 ** rng.uniform(8, 12, count), 10 ** rng.uniform(9, 14, count)


@pytest.mark.parametrize("fit", ["epoch2024", "hoffmann2022", "approach1"])
def test_place_many_equals_place_row_by_row(fit: str) -> None:
    params, tokens = _random_models(50)
    table = place_many(params, tokens, fit=fit)
    for row, (n, d) in enumerate(zip(params, tokens, strict=True)):
        one = place(params=n, tokens=d, fit=fit)
        got = table.iloc[row]
        assert got["overtrain_factor"] == pytest.approx(one.overtrain_factor, rel=1e-12)
        assert got["optimal_params"] == pytest.approx(one.optimal["params"], rel=1e-12)
        for key in ("loss", "loss_gap", "flops_for_same_loss", "break_even_inference_tokens"):
            expected = getattr(one, key)
            assert (
                np.isnan(got[key])
                if expected is None
                else got[key] == pytest.approx(expected, rel=1e-12)
            )


def test_place_many_inference_optimum_matches_brent() -> None:
    params, tokens = _random_models(20)
    table = place_many(params, tokens, inference_tokens=1e13)
    for row, (n, d) in enumerate(zip(params, tokens, strict=True)):
        best = place(params=n, tokens=d, inference_tokens=1e13).inference_optimal
        assert table["inference_optimal_params"].iloc[row] == pytest.approx(
            best["params"], rel=1e-9
        )
        assert table["inference_optimal_tokens"].iloc[row] == pytest.approx(
            best["tokens"], rel=1e-9
        )


def test_place_many_keeps_a_series_index_and_treats_nan_active_as_dense() -> None:
    frame = pd.DataFrame(
        {"total": [46.7e9, 70e9], "active": [12.9e9, np.nan], "tokens": [8e12, 1.4e12]},
        index=["mixtral", "chinchilla"],
    )
    table = place_many(frame["total"], frame["tokens"], active_params=frame["active"])
    assert list(table.index) == ["mixtral", "chinchilla"]
    assert table.loc["chinchilla", "active_params"] == 70e9
    assert table.loc["mixtral", "flops"] == pytest.approx(6 * 12.9e9 * 8e12)


def test_place_many_names_the_bad_row() -> None:
    with pytest.raises(CalcError, match=r"tokens must be finite numbers > 0; row 1 is -5.0"):
        place_many([1e9, 2e9], [1e10, -5])
