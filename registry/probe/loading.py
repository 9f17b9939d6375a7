"""Loading a checkpoint with transformers from the local directory only.

torch and transformers come with the optional extra ``probe``; without them the probe says how to
install them. The device and dtype are resolved before loading, and a model that does not fit one
GPU is split across all visible GPUs with ``device_map="auto"`` (accelerate).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from registry.probe.errors import CheckpointError, DeviceError, MissingExtra

DEVICES = ("auto", "cuda", "cpu")
DTYPES = ("auto", "bfloat16", "float16", "float32")
BYTES_PER_DTYPE = {"bfloat16": 2, "float16": 2, "float32": 4}
FIT_MARGIN = 0.9  # leave a tenth of a GPU's free memory for activations and the KV cache
INSTALL_HINT = (
    "install the probe extra: pip install torch (the CPU or CUDA build you need), "
    "then pip install 'model-registry[probe]'"
)


def require_torch() -> tuple[ModuleType, ModuleType]:
    """torch and transformers, or ``MissingExtra`` with the install command."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub: the model is local
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingExtra(
            f"the probe needs {exc.name!r} to load and run a model: {INSTALL_HINT}"
        ) from None
    transformers.utils.logging.disable_progress_bar()  # the probe shows its own progress
    return torch, transformers


def resolve_device(torch: ModuleType, requested: str) -> str:
    """``cuda`` or ``cpu`` for ``requested`` (auto picks CUDA when present)."""
    if requested not in DEVICES:
        raise DeviceError(f"--device must be one of {', '.join(DEVICES)}, got {requested!r}")
    available = bool(torch.cuda.is_available())
    if requested == "cuda" and not available:
        raise DeviceError(
            "--device cuda was asked for, but torch sees no CUDA device "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}): "
            "check the driver and CUDA_VISIBLE_DEVICES, or use --device cpu"
        )
    if requested == "auto":
        return "cuda" if available else "cpu"
    return requested


def resolve_dtype(torch: ModuleType, requested: str, *, device: str, config: dict[str, Any]) -> str:
    """The dtype name to load at: on CUDA the checkpoint's own half precision (else bfloat16),
    on CPU float32 (CPU half-precision kernels are slow or missing)."""
    if requested not in DTYPES:
        raise DeviceError(f"--dtype must be one of {', '.join(DTYPES)}, got {requested!r}")
    if requested != "auto":
        return requested
    if device == "cpu":
        return "float32"
    stored = config.get("dtype") or config.get("torch_dtype")
    if stored in ("bfloat16", "float16"):
        return str(stored)
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def plan_device_map(*, weights_bytes: float, free_bytes: list[int], dtype: str) -> str:
    """``single`` when the weights fit the first GPU, ``auto`` to split across several;
    ``DeviceError`` when even all of them together are too small."""
    if weights_bytes <= FIT_MARGIN * free_bytes[0]:
        return "single"
    if len(free_bytes) > 1 and weights_bytes <= FIT_MARGIN * sum(free_bytes):
        return "auto"
    raise DeviceError(
        f"the weights need {weights_bytes / 1e9:.1f} GB at {dtype}, but the "
        f"{len(free_bytes)} GPU(s) have {sum(free_bytes) / 1e9:.1f} GB free: "
        + out_of_memory_hint(dtype)
    )


def out_of_memory_hint(dtype: str) -> str:
    """What a person can do about running out of GPU memory."""
    smaller = "--dtype bfloat16 or --dtype float16" if dtype == "float32" else "a quantized copy"
    return (
        f"try {smaller}, a smaller --batch or --prompt-tokens, or more GPUs "
        "(all visible GPUs are used when one is too small)"
    )


@contextlib.contextmanager
def translating_oom(torch: ModuleType, *, dtype: str, doing: str) -> Iterator[None]:
    """Turn torch's out-of-memory error into a ``DeviceError`` that says what to try."""
    try:
        yield
    except torch.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise DeviceError(
            f"out of GPU memory while {doing} at {dtype}: " + out_of_memory_hint(dtype)
        ) from None


@dataclass(kw_only=True)
class Loaded:
    """A loaded model, its tokenizer (None when the directory has none) and the load time."""

    model: Any
    tokenizer: Any | None
    load_s: float
    device_map: str
    cuda_devices: list[int]


def load_tokenizer(transformers: ModuleType, model_dir: Path) -> Any | None:
    """The directory's tokenizer, or None when it has none."""
    try:
        return transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError, TypeError):
        return None


def _cuda_devices(model: Any) -> list[int]:
    placement = getattr(model, "hf_device_map", None) or {}
    devices = {int(d) for d in placement.values() if isinstance(d, int)}
    devices |= {p.device.index for p in model.parameters() if p.device.type == "cuda"}
    return sorted(devices)


def model_class(transformers: ModuleType, model_dir: Path) -> tuple[Any, Any]:
    """The config and causal-LM class of ``model_dir``, imported before any timing starts."""
    try:
        config = transformers.AutoConfig.from_pretrained(model_dir, local_files_only=True)
        mapping = transformers.models.auto.modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING
        return config, mapping[type(config)]
    except KeyError:
        raise CheckpointError(
            f"transformers {transformers.__version__} has no causal language "
            f"model for {str(model_dir)!r}"
        ) from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(
            f"transformers cannot load {str(model_dir)!r}: {_first_line(exc)}"
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def load_model(
    torch: ModuleType,
    transformers: ModuleType,
    model_dir: Path,
    *,
    device: str,
    dtype: str,
    device_map: str,
) -> Loaded:
    """Load ``model_dir`` at ``dtype`` on ``device``. The load time covers reading the weights
    and placing them (on the GPU: until it has finished), not importing the model's code."""
    config, cls = model_class(transformers, model_dir)
    kwargs: dict[str, Any] = {
        "config": config,
        "dtype": getattr(torch, dtype),
        "local_files_only": True,
    }
    if device == "cuda":
        kwargs["device_map"] = "auto" if device_map == "auto" else {"": 0}
    start = time.perf_counter()
    with translating_oom(torch, dtype=dtype, doing=f"loading {str(model_dir)!r}"):
        try:
            model = cls.from_pretrained(model_dir, **kwargs)
        except ImportError as exc:  # a quantization integration's package is missing
            raise MissingExtra(
                f"transformers cannot load {str(model_dir)!r} without a package it names: "
                f"{_first_line(exc)}"
            ) from None
        except (OSError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"transformers cannot load {str(model_dir)!r}: {_first_line(exc)}"
            ) from None
        if device == "cuda":
            torch.cuda.synchronize()
    load_s = time.perf_counter() - start
    model.eval()
    return Loaded(
        model=model,
        tokenizer=load_tokenizer(transformers, model_dir),
        load_s=load_s,
        device_map=device_map,
        cuda_devices=_cuda_devices(model) if device == "cuda" else [],
    )
