"""The inference-optimal point (Sardana et al. 2024): properties, the cost form, break-even."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.calc import (
    BelowFloorError,
    CalcError,
    CostModel,
    get_fit,
    inference_optimal,
    optimal_for_loss,
    place,
)
from registry.calc.inference import inference_optimal_tokens, inference_optimal_tokens_many

LAW = get_fit("epoch2024")
losses = st.floats(min_value=1.85, max_value=3.5)
demands = st.floats(min_value=1e9, max_value=1e16)


@settings(max_examples=60, deadline=None)
@given(loss=losses, fit=st.sampled_from(["epoch2024", "hoffmann2022", "sardana2024"]))
def test_zero_demand_gives_the_compute_optimal_model(loss: float, fit: str) -> None:
    best = inference_optimal(loss=loss, inference_tokens=0.0, fit=fit)
    chinchilla = optimal_for_loss(loss=loss, fit=fit)
    assert best.params == pytest.approx(chinchilla.params, rel=1e-9)
    assert best.tokens == pytest.approx(chinchilla.tokens, rel=1e-9)
    assert best.vs_chinchilla["flops_ratio"] == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(loss=losses, demand=demands, factor=st.floats(min_value=1.5, max_value=100))
def test_inference_optimal_size_falls_as_demand_grows(
    loss: float, demand: float, factor: float
) -> None:
    low = inference_optimal(loss=loss, inference_tokens=demand)
    high = inference_optimal(loss=loss, inference_tokens=demand * factor)
    assert high.params < low.params
    assert high.tokens > low.tokens
    assert high.vs_chinchilla["params_ratio"] <= 1.0


@settings(max_examples=60, deadline=None)
@given(loss=losses, demand=demands, step=st.floats(min_value=0.8, max_value=1.25))
def test_inference_optimum_minimises_lifetime_flops_on_the_loss_curve(
    loss: float, demand: float, step: float
) -> None:
    best = inference_optimal(loss=loss, inference_tokens=demand)
    assert LAW.loss(params=best.params, tokens=best.tokens) == pytest.approx(loss, rel=1e-9)
    # Another model on the same loss curve: scale D, solve N; it must cost at least as much.
    from registry.calc.inference import params_for_loss

    tokens = best.tokens * step
    params = float(params_for_loss(LAW, excess_loss=loss - LAW.E, tokens=tokens))
    if params == params:  # NaN when that D cannot reach the loss at any N
        assert 6 * params * tokens + 2 * params * demand >= best.flops_total * (1 - 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    params=st.floats(min_value=1e9, max_value=1e11), ratio=st.floats(min_value=25, max_value=5000)
)
def test_at_its_break_even_demand_a_model_is_its_own_inference_optimum(
    params: float, ratio: float
) -> None:
    placed = place(params=params, tokens=params * ratio)
    assert placed.break_even_inference_tokens is not None
    best = inference_optimal(
        params=params, tokens=params * ratio, inference_tokens=placed.break_even_inference_tokens
    )
    assert best.params == pytest.approx(params, rel=1e-6)
    assert best.tokens == pytest.approx(params * ratio, rel=1e-6)


def test_brent_and_vectorised_solvers_agree() -> None:
    import numpy as np

    excess = np.array([0.05, 0.2, 1.0, 0.15])
    demand = np.array([0.0, 1e12, 1e15, 3e16])
    many = inference_optimal_tokens_many(LAW, excess_loss=excess, inference_tokens=demand)
    for i in range(4):
        one = inference_optimal_tokens(LAW, excess_loss=excess[i], inference_tokens=demand[i])
        assert many[i] == pytest.approx(one, rel=1e-10)


def test_demand_below_break_even_favours_a_bigger_model() -> None:
    # Llama-2-7B's (7B, 2T tokens) loss: the model is overtrained for a 2T-token demand, so the
    # inference optimum is bigger (and trained on fewer tokens); at 1e15 tokens it is smaller.
    placed = place(params=7e9, tokens=2e12, fit="sardana2024")
    assert 2e12 < placed.break_even_inference_tokens < 1e15
    modest = inference_optimal(params=7e9, tokens=2e12, inference_tokens=2e12, fit="sardana2024")
    heavy = inference_optimal(params=7e9, tokens=2e12, inference_tokens=1e15, fit="sardana2024")
    assert 7e9 < modest.params < modest.vs_chinchilla["params"]
    assert heavy.params < 7e9 and heavy.tokens > 2e12
    assert modest.flops_total == pytest.approx(modest.flops_train + modest.flops_inference)
    assert modest.flops_inference == pytest.approx(2 * modest.params * 2e12)


def test_targets_at_or_below_the_floor_are_refused() -> None:
    for loss in (1.8172, 1.5):
        with pytest.raises(BelowFloorError, match=f"target loss {loss!r} is at or below the floor"):
            inference_optimal(loss=loss, inference_tokens=1e12)


def test_the_target_must_be_given_one_way() -> None:
    with pytest.raises(CalcError, match="give either a loss target, or both params and tokens"):
        inference_optimal(loss=2.0, params=7e9, tokens=1e12, inference_tokens=1e12)
    with pytest.raises(CalcError, match="give either"):
        inference_optimal(params=7e9, inference_tokens=1e12)
    with pytest.raises(CalcError, match="inference_tokens must be a finite number >= 0, got -1"):
        inference_optimal(loss=2.0, inference_tokens=-1)


def _cost(**changes: float) -> CostModel:
    values = dict(
        training_price_per_gpu_hour=2.0,
        training_peak_flops_per_s=989e12,
        training_utilisation=0.5,
        inference_price_per_gpu_hour=2.0,
        inference_peak_flops_per_s=989e12,
        input_utilisation=0.5,
        output_utilisation=0.5,
        input_tokens_per_request=500,
        output_tokens_per_request=500,
        requests=1e9,
    )
    return CostModel(**(values | changes))


def test_cost_form_with_equal_prices_and_mfu_is_the_flops_form() -> None:
    cost = _cost()
    assert cost.effective_inference_tokens() == pytest.approx(1e12)
    priced = inference_optimal(loss=2.0, cost=cost)
    plain = inference_optimal(loss=2.0, inference_tokens=1e12)
    assert priced.params == pytest.approx(plain.params, rel=1e-12)
    dollars_per_flop = 2.0 / 3600 / 989e12 / 0.5
    assert priced.cost["total_dollars"] == pytest.approx(
        plain.flops_total * dollars_per_flop, rel=1e-9
    )
    assert priced.cost["cost_ratio"] == pytest.approx(plain.vs_chinchilla["flops_ratio"], rel=1e-9)


def test_slow_decoding_makes_inference_dearer_and_the_model_smaller() -> None:
    # Decoding at 5% MFU makes each output token 10x dearer than at 50%.
    cost = _cost(output_utilisation=0.05)
    assert cost.effective_inference_tokens() == pytest.approx(5e11 + 5e12)
    assert (
        inference_optimal(loss=2.0, cost=cost).params
        < inference_optimal(loss=2.0, cost=_cost()).params
    )
    with pytest.raises(CalcError, match="input_utilisation must be a finite number > 0, got 0"):
        _cost(input_utilisation=0)
