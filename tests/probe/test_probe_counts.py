"""The probe's counts equal the loaded model's exact parameter count (tiny random checkpoints)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from probe_support import TINY_CONFIGS

from registry.calc import architecture_from_hf_config, count_params
from registry.probe.checkpoint import count_checkpoint
from registry.probe.loading import require_torch


@pytest.mark.parametrize("family", sorted(TINY_CONFIGS))
def test_counts_equal_the_loaded_model(
    torch: ModuleType, checkpoints: dict[str, Path], family: str
) -> None:
    _, transformers = require_torch()
    census = count_checkpoint(checkpoints[family])
    model = transformers.AutoModelForCausalLM.from_pretrained(
        checkpoints[family], local_files_only=True
    )
    parameters = dict(model.named_parameters())
    assert census.total == sum(p.numel() for p in parameters.values())
    # Transformers 5 fuses experts into 3-D tensors in memory; the headers hold one per expert.
    routed = sum(p.numel() for name, p in parameters.items() if ".experts." in name)
    assert census.routed_expert == routed
    if routed:
        idle = routed * (census.experts - census.experts_per_token) // census.experts
        assert census.active == census.total - idle < census.total
    else:
        assert census.active == census.total
    formula = count_params(architecture_from_hf_config(TINY_CONFIGS[family]))
    assert (census.total, census.active) == (formula.total, formula.active)
    assert census.notes == []
