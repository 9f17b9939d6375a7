"""The compute-optimal point (docs/SCIENCE.md section 4).

Minimising L(N, D) subject to 6ND = C gives N_opt = G (C/6)^a and D_opt = G^-1 (C/6)^b with
G = (alpha A/(beta B))^(1/(alpha+beta)), a = beta/(alpha+beta), b = alpha/(alpha+beta)
(Hoffmann et al. 2022, arXiv:2203.15556, Section 3.3). For a loss target l instead of a budget,
N = [A(1 + alpha/beta)/(l - E)]^(1/alpha) and D = [B(1 + beta/alpha)/(l - E)]^(1/beta).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from registry.calc.compute import TRAINING_FLOPS_PER_PARAM_TOKEN, FloatOrArray, training_flops
from registry.calc.errors import require_positive
from registry.calc.laws import (
    Approach1Allocation,
    ChinchillaFit,
    Law,
    require_loss_law,
    resolve_law,
)


@dataclass(frozen=True, kw_only=True)
class OptimalPoint:
    """A compute-optimal (N, D) at a budget; ``loss`` is None for allocation-only rules."""

    fit: str
    flops: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, in the order the CLI prints them."""
        return asdict(self)


def optimal_params(law: Law, flops: FloatOrArray) -> FloatOrArray:
    """N_opt at ``flops`` training FLOPs (vectorised over ``flops``)."""
    per_token = np.divide(flops, TRAINING_FLOPS_PER_PARAM_TOKEN)
    if isinstance(law, Approach1Allocation):
        return np.power(per_token / law.tokens_per_param, law.exponent)
    return law.G * np.power(per_token, law.a)


def optimal_tokens(law: Law, flops: FloatOrArray) -> FloatOrArray:
    """D_opt at ``flops`` training FLOPs: the rest of the budget, C/(6 N_opt)."""
    return np.divide(flops, TRAINING_FLOPS_PER_PARAM_TOKEN * optimal_params(law, flops))


def compute_optimal(*, flops: float, fit: Law | str | None = None) -> OptimalPoint:
    """The compute-optimal model for a budget of ``flops`` training FLOPs under ``fit``."""
    budget = require_positive(flops, name="flops")
    law = resolve_law(fit)
    params = float(optimal_params(law, budget))
    tokens = float(optimal_tokens(law, budget))
    loss = float(law.loss(params=params, tokens=tokens)) if isinstance(law, ChinchillaFit) else None
    return OptimalPoint(
        fit=law.name,
        flops=budget,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
    )


def optimal_for_loss_params(law: ChinchillaFit, excess_loss: FloatOrArray) -> FloatOrArray:
    """N of the compute-optimal model reaching ``E + excess_loss`` (vectorised)."""
    return np.power(law.A * (1 + law.alpha / law.beta) / excess_loss, 1 / law.alpha)


def optimal_for_loss_tokens(law: ChinchillaFit, excess_loss: FloatOrArray) -> FloatOrArray:
    """D of the compute-optimal model reaching ``E + excess_loss`` (vectorised)."""
    return np.power(law.B * (1 + law.beta / law.alpha) / excess_loss, 1 / law.beta)


def optimal_for_loss(*, loss: float, fit: Law | str | None = None) -> OptimalPoint:
    """The cheapest-to-train model whose predicted loss is ``loss`` (nats/token)."""
    law = require_loss_law(resolve_law(fit), what="a loss target")
    excess = law.excess_loss(loss)
    params = float(optimal_for_loss_params(law, excess))
    tokens = float(optimal_for_loss_tokens(law, excess))
    return OptimalPoint(
        fit=law.name,
        flops=float(training_flops(params, tokens)),
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=float(loss),
    )
