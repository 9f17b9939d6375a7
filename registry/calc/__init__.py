"""The scaling-law calculator: pure science, numbers and dataclasses in, numbers out.

No database, web or HTTP imports here (a test checks this); the CLI, API and pages call these
functions. Formulas, constants and their sources: docs/SCIENCE.md sections 2-8 and
docs/CALCULATOR.md.
"""

from registry.calc.architecture import (
    Architecture,
    ParamCount,
    attention_dim,
    count_params,
    kv_cache_bytes_per_token,
)
from registry.calc.compute import (
    PF_DAY_FLOPS,
    attention_flops_per_token,
    flops_to_pf_days,
    inference_flops,
    training_flops,
)
from registry.calc.errors import BelowFloorError, CalcError, ConfigError, UnknownFitError
from registry.calc.fitting import FitResult, fit_law, tokens_from_flops
from registry.calc.hf_config import architecture_from_hf_config
from registry.calc.inference import (
    CostModel,
    InferenceOptimal,
    break_even_inference_tokens,
    inference_optimal,
)
from registry.calc.kaplan import (
    kaplan_loss_compute,
    kaplan_loss_params,
    kaplan_loss_params_tokens,
    kaplan_loss_tokens,
)
from registry.calc.laws import (
    BUILTIN_FITS,
    DEFAULT_FIT,
    FIT_DESCRIPTIONS,
    FIT_TITLES,
    Approach1Allocation,
    ChinchillaFit,
    Law,
    fit_from_dict,
    fit_title,
    get_fit,
)
from registry.calc.memory import (
    GPU_PEAKS,
    MemoryEstimate,
    bytes_per_value,
    decode_ceiling_tokens_per_s,
    flops_per_token,
    gpu_peaks,
    memory_estimate,
    prefill_ceiling_tokens_per_s,
    weights_bytes,
)
from registry.calc.optimal import OptimalPoint, compute_optimal, optimal_for_loss
from registry.calc.placement import Placement, place, place_many

__all__ = [
    "BUILTIN_FITS",
    "DEFAULT_FIT",
    "FIT_DESCRIPTIONS",
    "FIT_TITLES",
    "GPU_PEAKS",
    "PF_DAY_FLOPS",
    "Approach1Allocation",
    "Architecture",
    "BelowFloorError",
    "CalcError",
    "ChinchillaFit",
    "ConfigError",
    "CostModel",
    "FitResult",
    "InferenceOptimal",
    "Law",
    "MemoryEstimate",
    "OptimalPoint",
    "ParamCount",
    "Placement",
    "UnknownFitError",
    "architecture_from_hf_config",
    "attention_dim",
    "attention_flops_per_token",
    "break_even_inference_tokens",
    "bytes_per_value",
    "compute_optimal",
    "count_params",
    "decode_ceiling_tokens_per_s",
    "fit_from_dict",
    "fit_law",
    "fit_title",
    "flops_per_token",
    "flops_to_pf_days",
    "get_fit",
    "gpu_peaks",
    "inference_flops",
    "inference_optimal",
    "kaplan_loss_compute",
    "kaplan_loss_params",
    "kaplan_loss_params_tokens",
    "kaplan_loss_tokens",
    "kv_cache_bytes_per_token",
    "memory_estimate",
    "optimal_for_loss",
    "place",
    "place_many",
    "prefill_ceiling_tokens_per_s",
    "tokens_from_flops",
    "training_flops",
    "weights_bytes",
]
