"""The inference-optimal point (Sardana et al. 2024, "Beyond Chinchilla-Optimal", arXiv:2401.00448).

Given a loss target l and a lifetime inference demand of D_inf tokens, minimise 6 N D + 2 N D_inf
subject to L(N, D) = l. The Lagrange conditions leave one equation in D (docs/SCIENCE.md section 5):

    (B + beta B/alpha) D^-beta + (D_inf beta B/(3 alpha)) D^(-beta-1) + E - l = 0,

solved here by a bracketed root-finder (Brent's method in log D); then
N = [A/(l - E - B D^-beta)]^(1/alpha). With D_inf = 0 it reduces to the compute optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from registry.calc.compute import FloatOrArray, inference_flops, training_flops
from registry.calc.errors import CalcError, require_non_negative, require_positive
from registry.calc.laws import ChinchillaFit, Law, require_loss_law, resolve_law
from registry.calc.optimal import optimal_for_loss_params, optimal_for_loss_tokens

SECONDS_PER_HOUR = 3600.0
BISECTION_STEPS = 80  # the vectorised solver halves a log-space bracket < 2^7 wide: ~1e-22


@dataclass(frozen=True, kw_only=True)
class CostModel:
    """Hardware prices and utilisations: the cost form of Sardana et al. 2024, Section 3.

    ``*_utilisation`` is the model-FLOPs utilisation (MFU) of each phase; prefill (input tokens)
    usually runs at a higher MFU than decoding (output tokens).
    """

    training_price_per_gpu_hour: float
    training_peak_flops_per_s: float
    training_utilisation: float
    inference_price_per_gpu_hour: float
    inference_peak_flops_per_s: float
    input_utilisation: float
    output_utilisation: float
    input_tokens_per_request: float
    output_tokens_per_request: float
    requests: float

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if name in {"input_tokens_per_request", "output_tokens_per_request", "requests"}:
                require_non_negative(value, name=name)
            else:
                require_positive(value, name=name)

    def price_per_flop(self, *, phase: str) -> float:
        """Dollars per FLOP at peak for ``phase`` ('training' or 'inference')."""
        if phase == "training":
            return self.training_price_per_gpu_hour / (
                SECONDS_PER_HOUR * self.training_peak_flops_per_s
            )
        return self.inference_price_per_gpu_hour / (
            SECONDS_PER_HOUR * self.inference_peak_flops_per_s
        )

    @property
    def input_tokens(self) -> float:
        """Lifetime input (prompt) tokens: requests x input tokens per request."""
        return self.requests * self.input_tokens_per_request

    @property
    def output_tokens(self) -> float:
        """Lifetime output (generated) tokens: requests x output tokens per request."""
        return self.requests * self.output_tokens_per_request

    def training_dollars_per_flop(self) -> float:
        """Dollars per useful training FLOP: price per FLOP at peak over the training MFU."""
        return self.price_per_flop(phase="training") / self.training_utilisation

    def effective_inference_tokens(self) -> float:
        """D_inf_eff = c_inf (T_in/U_in + T_out/U_out) / (c_tr/U_tr) (docs/SCIENCE.md section 5).

        Serving costs as much as 2 N D_inf_eff FLOPs of training would, so minimising dollars is
        minimising 6 N D + 2 N D_inf_eff.
        """
        inference = self.price_per_flop(phase="inference") * (
            self.input_tokens / self.input_utilisation
            + self.output_tokens / self.output_utilisation
        )
        return inference / self.training_dollars_per_flop()

    def dollars(self, *, params: float, training_tokens: float) -> tuple[float, float]:
        """(training, inference) dollars of a model of ``params`` serving this demand."""
        per_flop = self.training_dollars_per_flop()
        train = float(training_flops(params, training_tokens)) * per_flop
        serve = float(inference_flops(params, self.effective_inference_tokens())) * per_flop
        return train, serve


@dataclass(frozen=True, kw_only=True)
class InferenceOptimal:
    """The (N, D) minimising lifetime compute (or cost) at a loss target, and its comparison."""

    fit: str
    loss: float
    inference_tokens: float
    params: float
    tokens: float
    flops_train: float
    flops_inference: float
    flops_total: float
    vs_chinchilla: dict[str, float]
    effective_inference_tokens: float
    cost: dict[str, float] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def _tokens_coefficients(law: ChinchillaFit, inference_tokens: FloatOrArray) -> tuple[Any, Any]:
    """c1, c2 of c1 D^-beta + c2 D^(-beta-1) = l - E."""
    c1 = law.B * (1 + law.beta / law.alpha)
    c2 = np.multiply(inference_tokens, law.beta * law.B / (3 * law.alpha))
    return c1, c2


def _log_tokens_bracket(law: ChinchillaFit, excess: Any, c2: Any) -> tuple[Any, Any]:
    """[lo, hi] in log D with the residual >= 0 at lo and <= 0 at hi."""
    c1, _ = _tokens_coefficients(law, 0.0)
    low = np.log(c1 / excess) / law.beta  # the compute-optimal D: the c2 term is still >= 0 there
    high = np.maximum(
        np.log(2 * c1 / excess) / law.beta,
        np.log(np.maximum(2 * c2 / excess, 1e-300)) / (law.beta + 1),
    )
    return low, np.maximum(high, low)


def _residual(law: ChinchillaFit, log_tokens: Any, excess: Any, c2: Any) -> Any:
    """Left-hand side of the optimality equation divided by l - E, minus one (decreasing)."""
    c1, _ = _tokens_coefficients(law, 0.0)
    return (
        c1 * np.exp(-law.beta * log_tokens) + c2 * np.exp(-(law.beta + 1) * log_tokens)
    ) / excess - 1


def inference_optimal_tokens(
    law: ChinchillaFit, *, excess_loss: float, inference_tokens: float
) -> float:
    """Training tokens D of the inference-optimal model at l = E + ``excess_loss`` (Brent)."""
    _, c2 = _tokens_coefficients(law, inference_tokens)
    low, high = _log_tokens_bracket(law, excess_loss, c2)
    if c2 == 0 or low == high:
        return math.exp(low)
    # The ends bracket the root exactly; in floating point an end can land on the root itself
    # (the loss within rounding of E): then that end is the answer.
    if _residual(law, low, excess_loss, c2) <= 0:
        return math.exp(low)
    if _residual(law, high, excess_loss, c2) >= 0:
        return math.exp(high)
    root = brentq(lambda x: _residual(law, x, excess_loss, c2), low, high, xtol=1e-13, rtol=1e-15)
    return math.exp(root)


def inference_optimal_tokens_many(
    law: ChinchillaFit,
    *,
    excess_loss: npt.NDArray[np.float64],
    inference_tokens: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Vectorised ``inference_optimal_tokens``: bisection on the same bracket, all rows at once."""
    _, c2 = _tokens_coefficients(law, inference_tokens)
    low, high = _log_tokens_bracket(law, excess_loss, c2)
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        above = _residual(law, middle, excess_loss, c2) > 0
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return np.exp(0.5 * (low + high))


def params_for_loss(law: ChinchillaFit, *, excess_loss: FloatOrArray, tokens: FloatOrArray) -> Any:
    """N with L(N, D) = E + excess_loss: [A/(l - E - B D^-beta)]^(1/alpha); NaN if none."""
    room = np.subtract(excess_loss, law.B * np.power(tokens, -law.beta))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, np.power(law.A / room, 1 / law.alpha), np.nan)


def break_even_inference_tokens(
    law: ChinchillaFit, *, params: FloatOrArray, tokens: FloatOrArray
) -> Any:
    """Lifetime demand D_inf at which (N, D) is inference-optimal for its own loss; NaN if none.

    From the Lagrange conditions of section 5:
    D_inf = 3 D (alpha A N^-alpha / (beta B D^-beta) - 1).
    It is 0 at the compute optimum and negative (no demand makes it optimal) when undertrained.
    """
    ratio = (law.alpha * law.A * np.power(params, -law.alpha)) / (
        law.beta * law.B * np.power(tokens, -law.beta)
    )
    demand = 3.0 * np.multiply(tokens, ratio - 1.0)
    return np.where(demand >= -1e-9 * np.asarray(tokens), np.maximum(demand, 0.0), np.nan)


def _target_loss(
    law: ChinchillaFit, loss: float | None, params: float | None, tokens: float | None
) -> float:
    """The loss target: given directly, or the predicted loss of a given (N, D)."""
    if loss is not None and params is None and tokens is None:
        return float(loss)
    if loss is None and params is not None and tokens is not None:
        n = require_positive(params, name="params")
        return float(law.loss(params=n, tokens=require_positive(tokens, name="tokens")))
    raise CalcError(
        "give either a loss target, or both params and tokens; "
        f"got loss={loss!r}, params={params!r}, tokens={tokens!r}"
    )


def inference_optimal(
    *,
    inference_tokens: float = 0.0,
    loss: float | None = None,
    params: float | None = None,
    tokens: float | None = None,
    fit: Law | str | None = None,
    cost: CostModel | None = None,
) -> InferenceOptimal:
    """Inference-optimal (N, D) reaching ``loss`` (or the loss of ``params``/``tokens``).

    With ``cost``, the demand is the cost model's requests, and the optimum minimises dollars:
    D_inf is replaced by the cost model's effective inference tokens.
    """
    law = require_loss_law(resolve_law(fit), what="the inference-optimal point")
    target = _target_loss(law, loss, params, tokens)
    excess = law.excess_loss(target)
    demand = (
        (cost.input_tokens + cost.output_tokens)
        if cost
        else require_non_negative(inference_tokens, name="inference_tokens")
    )
    effective = cost.effective_inference_tokens() if cost else demand
    best_tokens = inference_optimal_tokens(law, excess_loss=excess, inference_tokens=effective)
    best_params = float(params_for_loss(law, excess_loss=excess, tokens=best_tokens))
    chin_params = float(optimal_for_loss_params(law, excess))
    chin_tokens = float(optimal_for_loss_tokens(law, excess))
    flops_train = float(training_flops(best_params, best_tokens))
    flops_inf = float(inference_flops(best_params, demand))
    chin_total = float(
        training_flops(chin_params, chin_tokens) + inference_flops(chin_params, demand)
    )
    return InferenceOptimal(
        fit=law.name,
        loss=target,
        inference_tokens=demand,
        params=best_params,
        tokens=best_tokens,
        flops_train=flops_train,
        flops_inference=flops_inf,
        flops_total=flops_train + flops_inf,
        vs_chinchilla={
            "params": chin_params,
            "tokens": chin_tokens,
            "params_ratio": best_params / chin_params,
            "tokens_ratio": best_tokens / chin_tokens,
            "flops_ratio": (flops_train + flops_inf) / chin_total,
        },
        effective_inference_tokens=effective,
        cost=_cost_summary(cost, best_params, best_tokens, chin_params, chin_tokens)
        if cost
        else None,
    )


def _cost_summary(
    cost: CostModel, params: float, tokens: float, chin_params: float, chin_tokens: float
) -> dict[str, float]:
    """Dollars of the optimum and of the Chinchilla-optimal model under the same demand."""
    train, serve = cost.dollars(params=params, training_tokens=tokens)
    chin_train, chin_serve = cost.dollars(params=chin_params, training_tokens=chin_tokens)
    return {
        "training_dollars": train,
        "inference_dollars": serve,
        "total_dollars": train + serve,
        "chinchilla_total_dollars": chin_train + chin_serve,
        "cost_ratio": (train + serve) / (chin_train + chin_serve),
    }
