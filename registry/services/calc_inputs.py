"""The calculator's inputs, declared once: one pydantic model per tool.

The API takes each model as its query string (``Annotated[OptimalInput, Query()]``), the pages parse
their forms into it, and the CLI builds its options from it (``registry.cli.calc``), so the three
faces share names, limits, defaults and error messages. Every quantity accepts the forms people
write (``7B``, ``8.03B``, ``15T``, ``128k``, ``3.8e25``) and gives the same answer as the plain
number (``registry.numbers``).
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from registry.numbers import COUNT_HINT, parse_count, parse_decimal

MAX_QUANTITY = 1e40  # far beyond any model: 1e40 FLOPs is ~1e14 times Llama 3.1 405B's budget
MAX_CONTEXT_TOKENS = 100_000_000
MAX_BATCH = 1_000_000
NAME_LENGTH = 64
MAX_RUNS = 10_000  # rows of a runs table
MAX_BOOTSTRAP = 200  # each resample is a full fit: bound the work one request asks for


def _human_float(value: Any) -> Any:
    """'15T' -> 1.5e13; plain numbers (negative ones too) and blanks pass on for pydantic to
    check against the field's bounds, so every face reports the same message."""
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return float(parse_decimal(value))
    return value


def _human_int(value: Any) -> Any:
    """'128k' -> 128000; a whole count, as the filters take it."""
    if isinstance(value, str) and value.strip():
        return parse_count(value, allow_zero=True)
    return value


QUANTITY_HINT = f"A number or {COUNT_HINT}."
# A count of parameters, tokens or FLOPs: finite, at least one, at most 1e40 (below one the
# laws' powers underflow to meaningless numbers).
Quantity = Annotated[
    float, BeforeValidator(_human_float), Field(ge=1, le=MAX_QUANTITY, allow_inf_nan=False)
]
# A lifetime demand in tokens: as a quantity, but zero is meaningful (no inference at all).
Demand = Annotated[
    float, BeforeValidator(_human_float), Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)
]
# A whole count of tokens or sequences, at least one.
Count = Annotated[int, BeforeValidator(_human_int), Field(ge=1)]


def described(text: str) -> Any:
    """A field's description, with the forms a quantity accepts."""
    return Field(description=f"{text} {QUANTITY_HINT}")


FitName = Annotated[
    str | None,
    Field(
        max_length=NAME_LENGTH,
        description="Coefficient set (default epoch2024) or a fit saved by `registry fit --save`.",
    ),
]


class CalcInput(BaseModel):
    """Shared settings: unknown names are refused, so a misspelt option never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OptimalInput(CalcInput):
    """The compute-optimal model for a training budget."""

    flops: Annotated[Quantity, described("Training budget C in FLOPs.")]
    fit: FitName = None


class PlaceInput(CalcInput):
    """Where a trained model of N parameters on D tokens stands."""

    params: Annotated[Quantity, described("Total parameters N.")]
    tokens: Annotated[Quantity, described("Training tokens D.")]
    active_params: Annotated[Quantity | None, described("Active parameters per token (MoE).")] = (
        None
    )
    fit: FitName = None
    inference_tokens: Annotated[
        Demand | None, described("Lifetime inference demand in tokens.")
    ] = None


# The cost form (Sardana et al. 2024, Section 3; docs/CALCULATOR.md): name -> CostModel field.
COST_FIELDS = {
    "training_price": "training_price_per_gpu_hour",
    "training_peak_flops": "training_peak_flops_per_s",
    "training_mfu": "training_utilisation",
    "inference_price": "inference_price_per_gpu_hour",
    "inference_peak_flops": "inference_peak_flops_per_s",
    "input_mfu": "input_utilisation",
    "output_mfu": "output_utilisation",
    "input_tokens": "input_tokens_per_request",
    "output_tokens": "output_tokens_per_request",
    "requests": "requests",
}
CostValue = Annotated[
    float | None,
    BeforeValidator(_human_float),
    Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False, description="Cost form (all or none)."),
]


class InferenceOptimalInput(CalcInput):
    """The (N, D) with the least lifetime compute, or cost, at a loss."""

    inference_tokens: Annotated[
        Demand | None, described("Lifetime inference demand in tokens.")
    ] = None
    loss: Annotated[
        float | None, Field(gt=0, le=100, allow_inf_nan=False, description="Target loss (nats).")
    ] = None
    params: Annotated[
        Quantity | None, described("Reach the loss of a model of N parameters ...")
    ] = None
    tokens: Annotated[Quantity | None, described("... trained on D tokens.")] = None
    fit: FitName = None
    training_price: CostValue = None
    training_peak_flops: CostValue = None
    training_mfu: CostValue = None
    inference_price: CostValue = None
    inference_peak_flops: CostValue = None
    input_mfu: CostValue = None
    output_mfu: CostValue = None
    input_tokens: CostValue = None
    output_tokens: CostValue = None
    requests: CostValue = None

    @model_validator(mode="after")
    def _demand_or_cost(self) -> Self:
        given = [name for name in COST_FIELDS if getattr(self, name) is not None]
        if given and len(given) < len(COST_FIELDS):
            missing = ", ".join(name for name in COST_FIELDS if name not in given)
            raise ValueError(f"the cost form also needs {missing}")
        if not given and self.inference_tokens is None:
            raise ValueError("give inference_tokens, or every field of the cost form")
        return self

    def cost_values(self) -> dict[str, float] | None:
        """The cost form's values under CostModel's names, or None when it is not given."""
        if self.training_price is None:
            return None
        return {field: getattr(self, name) for name, field in COST_FIELDS.items()}


class MemoryInput(CalcInput):
    """Weights and KV-cache bytes, FLOPs per token and decode/prefill ceilings."""

    model: Annotated[
        str | None,
        Field(max_length=96, description="A registry model with a recorded architecture."),
    ] = None
    context: Annotated[Count, described("Tokens per sequence."), Field(le=MAX_CONTEXT_TOKENS)] = (
        4096
    )
    batch: Annotated[Count, described("Sequences held at once."), Field(le=MAX_BATCH)] = 1
    dtype: Annotated[
        str, Field(max_length=16, description="Weights dtype (bf16, fp8, int4 ...).")
    ] = "bf16"
    kv_dtype: Annotated[
        str | None, Field(max_length=16, description="KV-cache dtype (default: the weights').")
    ] = None
    gpu: Annotated[
        str | None, Field(max_length=32, description="GPU whose peaks give the ceilings.")
    ] = None


class ParamsInput(CalcInput):
    """Total, active and embedding parameters of a config.json."""

    include_mtp: Annotated[bool, Field(description="Count multi-token-prediction modules.")] = False


class FitInput(CalcInput):
    """L(N, D) = E + A/N^alpha + B/D^beta fitted to a table of training runs."""

    params_col: Annotated[str, Field(max_length=NAME_LENGTH, description="Column of N.")] = "params"
    loss_col: Annotated[str, Field(max_length=NAME_LENGTH, description="Column of final loss.")] = (
        "loss"
    )
    tokens_col: Annotated[
        str | None,
        Field(
            max_length=NAME_LENGTH, description="Column of D (default 'tokens', unless flops_col)."
        ),
    ] = "tokens"
    flops_col: Annotated[
        str | None, Field(max_length=NAME_LENGTH, description="Column of FLOPs (D = C/6N).")
    ] = None
    exclude_top_loss: Annotated[
        int, Field(ge=0, le=MAX_RUNS, description="Drop the K highest-loss runs first.")
    ] = 0
    bootstrap: Annotated[
        int, Field(ge=0, le=MAX_BOOTSTRAP, description="Bootstrap resamples (each a full fit).")
    ] = 0
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="Bootstrap random seed.")] = 0
    predict_params: Annotated[
        Quantity | None, described("Extrapolate the loss of a run of N parameters ...")
    ] = None
    predict_tokens: Annotated[Quantity | None, described("... trained on D tokens.")] = None

    @model_validator(mode="before")
    @classmethod
    def _flops_replaces_default_tokens(cls, values: Any) -> Any:
        """A compute column replaces the default tokens column unless tokens_col is given."""
        if isinstance(values, dict) and values.get("flops_col") and "tokens_col" not in values:
            return {**values, "tokens_col": None}
        return values

    @model_validator(mode="after")
    def _one_token_column(self) -> Self:
        if (self.tokens_col is None) == (self.flops_col is None):
            raise ValueError("give exactly one of tokens_col and flops_col")
        if (self.predict_params is None) != (self.predict_tokens is None):
            raise ValueError("give both predict_params and predict_tokens")
        return self

    def columns(self) -> dict[str, str | None]:
        return {
            "params_col": self.params_col,
            "tokens_col": self.tokens_col,
            "flops_col": self.flops_col,
            "loss_col": self.loss_col,
        }
