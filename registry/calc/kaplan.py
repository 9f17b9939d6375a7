"""Kaplan et al. 2020 scaling laws ("Scaling Laws for Neural Language Models", arXiv:2001.08361).

N counts non-embedding parameters, D tokens, C_min compute in PF-days; loss in nats per token
(docs/SCIENCE.md section 3). These are pure power laws without a floor, fitted on WebText2; use them
to reproduce Kaplan's figures, not to place modern models (use the Chinchilla form for that).
"""

from __future__ import annotations

import numpy as np

from registry.calc.compute import FloatOrArray, flops_to_pf_days

# Kaplan et al. 2020, eq. 1.1 and 1.2 (Section 1.2).
KAPLAN_ALPHA_N = 0.076
KAPLAN_N_C = 8.8e13  # non-embedding parameters
KAPLAN_ALPHA_D = 0.095
KAPLAN_D_C = 5.4e13  # tokens
# Kaplan et al. 2020, eq. 1.3: compute-efficient frontier.
KAPLAN_ALPHA_C = 0.050
KAPLAN_C_C_PF_DAYS = 3.1e8
# Kaplan et al. 2020, eq. 1.5 with Table 2's joint fit.
KAPLAN_JOINT_ALPHA_N = 0.076
KAPLAN_JOINT_ALPHA_D = 0.103
KAPLAN_JOINT_N_C = 6.4e13
KAPLAN_JOINT_D_C = 1.8e13
# Kaplan et al. 2020, Section 6.1: N_opt proportional to C^0.73, D_opt to C^0.27.
KAPLAN_PARAMS_EXPONENT = 0.73
KAPLAN_TOKENS_EXPONENT = 0.27


def kaplan_loss_params(params: FloatOrArray) -> FloatOrArray:
    """L(N) = (N_c/N)^alpha_N: loss of a model of N non-embedding params trained to convergence."""
    return np.power(np.divide(KAPLAN_N_C, params), KAPLAN_ALPHA_N)


def kaplan_loss_tokens(tokens: FloatOrArray) -> FloatOrArray:
    """L(D) = (D_c/D)^alpha_D: loss of a large model trained on D tokens with early stopping."""
    return np.power(np.divide(KAPLAN_D_C, tokens), KAPLAN_ALPHA_D)


def kaplan_loss_compute(flops: FloatOrArray) -> FloatOrArray:
    """L(C_min) = (C_c/C_min)^alpha_C with C_min given in FLOPs (converted to PF-days)."""
    return np.power(np.divide(KAPLAN_C_C_PF_DAYS, flops_to_pf_days(flops)), KAPLAN_ALPHA_C)


def kaplan_loss_params_tokens(*, params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray:
    """L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (eq. 1.5, Table 2 constants)."""
    ratio = KAPLAN_JOINT_ALPHA_N / KAPLAN_JOINT_ALPHA_D
    inner = np.power(np.divide(KAPLAN_JOINT_N_C, params), ratio) + np.divide(
        KAPLAN_JOINT_D_C, tokens
    )
    return np.power(inner, KAPLAN_JOINT_ALPHA_D)
