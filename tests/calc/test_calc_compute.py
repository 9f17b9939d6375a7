"""C = 6ND and tokens per parameter against the seed story's published numbers; Kaplan's laws."""

from __future__ import annotations

import pytest

from registry.calc import (
    PF_DAY_FLOPS,
    flops_to_pf_days,
    kaplan_loss_compute,
    kaplan_loss_params,
    kaplan_loss_params_tokens,
    kaplan_loss_tokens,
    training_flops,
)


@pytest.mark.parametrize(
    ("model", "params", "tokens", "flops"),
    [
        ("GPT-3 175B (Brown et al. 2020, Table D.1: 3.14e23)", 175e9, 300e9, 3.14e23),
        ("Llama 3.1 405B (Llama 3 paper: 3.8e25 on 15.6T tokens)", 405e9, 15.6e12, 3.8e25),
        ("Chinchilla 70B (Hoffmann et al. 2022: 5.76e23)", 70e9, 1.4e12, 5.76e23),
    ],
)
def test_six_n_d_matches_published_training_compute(model, params, tokens, flops) -> None:
    assert training_flops(params, tokens) == pytest.approx(flops, rel=0.025), model


@pytest.mark.parametrize(
    ("model", "params", "tokens", "ratio"),
    [("GPT-3", 175e9, 300e9, 1.7), ("Gopher", 280e9, 300e9, 1.1), ("Chinchilla", 70e9, 1.4e12, 20)],
)
def test_tokens_per_param_of_the_seed_story(model, params, tokens, ratio) -> None:
    assert round(tokens / params, 1) == ratio, model


def test_pf_day_is_kaplans_unit() -> None:
    assert PF_DAY_FLOPS == 1e15 * 86400
    assert flops_to_pf_days(3.14e23) == pytest.approx(3634, rel=1e-3)


def test_kaplan_single_variable_laws() -> None:
    # At N = N_c, D = D_c, C = C_c each law is exactly 1 nat/token; each falls as a power law.
    assert kaplan_loss_params(8.8e13) == pytest.approx(1.0)
    assert kaplan_loss_tokens(5.4e13) == pytest.approx(1.0)
    assert kaplan_loss_compute(3.1e8 * PF_DAY_FLOPS) == pytest.approx(1.0)
    assert kaplan_loss_params(8.8e11) == pytest.approx(100**0.076)
    assert kaplan_loss_tokens(5.4e11) == pytest.approx(100**0.095)


def test_kaplan_joint_law_tends_to_its_single_variable_limits() -> None:
    # Kaplan eq. 1.5: with infinite data L(N, D) -> (N_c/N)^alpha_N (Table 2 constants).
    assert kaplan_loss_params_tokens(params=1e9, tokens=1e30) == pytest.approx(
        (6.4e13 / 1e9) ** 0.076
    )
    assert kaplan_loss_params_tokens(params=1e30, tokens=1e10) == pytest.approx(
        (1.8e13 / 1e10) ** 0.103
    )
    # GPT-3-sized models land around 1.7-2 nats/token on WebText2.
    assert 1.5 < kaplan_loss_params_tokens(params=175e9, tokens=300e9) < 2.2
