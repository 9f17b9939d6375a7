"""Training and inference compute (docs/SCIENCE.md section 2).

C = 6 N D for training (Kaplan et al. 2020, arXiv:2001.08361, Table 1: 2N forward plus 4N backward
per token); about 2 N_active per generated or read token at inference, plus Kaplan's attention term
2 n_layer n_ctx d_attn per token.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatOrArray = float | npt.NDArray[np.float64]

TRAINING_FLOPS_PER_PARAM_TOKEN = 6.0  # Kaplan et al. 2020 Table 1; Hoffmann et al. 2022 App. F
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0  # forward pass only (Kaplan et al. 2020 Table 1)
PF_DAY_FLOPS = 8.64e19  # one petaFLOP/s for a day, Kaplan et al. 2020's compute unit


def training_flops(params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray:
    """C = 6 N D training FLOPs for N ``params`` (active ones for MoE) and D ``tokens``."""
    return TRAINING_FLOPS_PER_PARAM_TOKEN * np.multiply(params, tokens)


def inference_flops(params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray:
    """2 N D forward FLOPs for D ``tokens`` through N (active) ``params``, attention excluded."""
    return INFERENCE_FLOPS_PER_PARAM_TOKEN * np.multiply(params, tokens)


def attention_flops_per_token(*, layers: int, context_tokens: float, attention_dim: int) -> float:
    """Kaplan et al. 2020 Table 1 attention term, 2 n_layer n_ctx d_attn FLOPs per token."""
    return 2.0 * layers * context_tokens * attention_dim


def flops_to_pf_days(flops: FloatOrArray) -> FloatOrArray:
    """FLOPs in PF-days (1 PF-day = 8.64e19 FLOPs)."""
    return np.divide(flops, PF_DAY_FLOPS)
