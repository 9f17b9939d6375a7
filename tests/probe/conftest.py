"""Fixtures of the probe tests: tiny random-weight checkpoints built offline, once per session.

Tests that load a model need torch and transformers (the ``probe`` extra). They skip without
them, except when REGISTRY_REQUIRE_PROBE=1 (CI), where a missing extra fails them.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from probe_support import TINY_CONFIGS, require

from registry.probe.runner import read_text


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """torch, on one thread: the test machines are small and shared, and OpenMP threads that
    wait on each other under contention turn milliseconds into seconds."""
    require("transformers")
    module = require("torch")
    module.set_num_threads(1)
    return module


@pytest.fixture(scope="session")
def checkpoints(torch: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny random-weight checkpoint with a tokenizer per family, keyed by model_type."""
    from registry.probe.synthetic import build_checkpoint

    root = tmp_path_factory.mktemp("checkpoints")
    text, _ = read_text(None)
    return {
        name: build_checkpoint(config, root / name, text=text)
        for name, config in TINY_CONFIGS.items()
    }
