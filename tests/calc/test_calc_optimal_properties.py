"""Property tests: the compute-optimal point minimises the loss along its iso-FLOP curve."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from registry.calc import compute_optimal, get_fit

fits = st.sampled_from(["epoch2024", "hoffmann2022", "hoffmann2022-exact", "sardana2024"])
budgets = st.floats(min_value=1e18, max_value=1e28)


@settings(max_examples=80, deadline=None)
@given(
    fit=fits,
    flops=budgets,
    shift=st.floats(min_value=-3, max_value=3).filter(lambda x: abs(x) > 1e-3),
)
def test_no_other_split_of_the_budget_has_lower_loss(fit: str, flops: float, shift: float) -> None:
    law = get_fit(fit)
    point = compute_optimal(flops=flops, fit=law)
    params = point.params * math.exp(shift)
    tokens = flops / (6 * params)
    assert law.loss(params=params, tokens=tokens) > point.loss


@settings(max_examples=40, deadline=None)
@given(fit=fits, flops=budgets)
def test_closed_form_matches_a_numerical_minimum(fit: str, flops: float) -> None:
    law = get_fit(fit)
    point = compute_optimal(flops=flops, fit=law)
    result = minimize_scalar(
        lambda log_n: law.loss(params=math.exp(log_n), tokens=flops / (6 * math.exp(log_n))),
        bracket=(math.log(point.params) - 2, math.log(point.params) + 2),
        tol=1e-12,
    )
    assert math.exp(result.x) == pytest.approx(point.params, rel=1e-4)


@settings(max_examples=40, deadline=None)
@given(fit=fits, low=budgets, factor=st.floats(min_value=1.01, max_value=1e3))
def test_more_compute_means_bigger_models_more_tokens_lower_loss(fit, low, factor) -> None:
    small, large = compute_optimal(flops=low, fit=fit), compute_optimal(flops=low * factor, fit=fit)
    assert large.params > small.params and large.tokens > small.tokens and large.loss < small.loss
