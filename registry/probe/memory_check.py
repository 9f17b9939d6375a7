"""Memory predicted by the calculator beside memory measured by the probe.

Every run records ``registry.calc.memory_estimate`` for its own settings (the weights at the dtype
they are held in, the KV cache of ``batch`` sequences of prompt + new tokens) and what it measured:
the loaded weights' bytes, the KV cache's bytes after one generation (the tensors of the cache
object transformers returns) and the peak. On CUDA the peak is the allocator's, comparable with
the predicted total; on CPU it is the process's resident set, dominated by Python and torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from registry.calc import Architecture
from registry.calc.errors import CalcError
from registry.calc.memory import memory_estimate

# The calculator's name for each dtype the probe loads at.
CALC_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "f16": "fp16"}


@dataclass(frozen=True, kw_only=True)
class MemoryPrediction:
    weights_bytes: int
    kv_cache_bytes: int
    context_tokens: int
    weights_dtype: str
    kv_dtype: str


def weights_dtype(dtype: str, quantization: dict[str, Any] | None) -> str:
    """The calculator dtype of the weights as held: the quantized width, else the load dtype."""
    bits = (quantization or {}).get("bits")
    if bits:
        return "int4" if bits <= 5 else "int8" if bits <= 9 else CALC_DTYPES.get(dtype, dtype)
    return CALC_DTYPES.get(dtype, dtype)


def predict(
    arch: Architecture | None,
    *,
    dtype: str,
    kv_dtype: str | None = None,
    quantization: dict[str, Any] | None = None,
    batch: int,
    prompt_tokens: int,
    new_tokens: int,
) -> MemoryPrediction | None:
    """The calculator's weights and KV-cache bytes for a run's settings (None: unknown arch)."""
    if arch is None:
        return None
    held = weights_dtype(dtype, quantization)
    cache = CALC_DTYPES.get(kv_dtype or dtype, kv_dtype or dtype)
    try:
        estimate = memory_estimate(
            arch,
            context_tokens=prompt_tokens + new_tokens,
            batch_size=batch,
            weights_dtype=held,
            kv_dtype=cache,
        )
    except CalcError:
        return None
    return MemoryPrediction(
        weights_bytes=round(estimate.weights_bytes),
        kv_cache_bytes=round(estimate.kv_cache_bytes),
        context_tokens=estimate.context_tokens,
        weights_dtype=held,
        kv_dtype=cache,
    )


def cache_bytes(cache: Any) -> int | None:
    """Bytes of the key and value tensors a transformers cache holds (None: unknown shape)."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        tensors = [getattr(layer, name, None) for layer in layers for name in ("keys", "values")]
    elif isinstance(cache, tuple | list):  # the legacy tuple of (key, value) per layer
        tensors = [t for pair in cache for t in pair]
    else:
        return None
    found = [t for t in tensors if hasattr(t, "nbytes") and getattr(t, "ndim", 0) > 1]
    return sum(int(t.nbytes) for t in found) if found else None


def measure_kv_cache(
    torch: ModuleType, model: Any, prompt: Any, *, new_tokens: int, static: bool
) -> int | None:
    """Generate ``new_tokens`` once (untimed) and return the bytes of the KV cache it built."""
    kwargs: dict[str, Any] = {
        "input_ids": prompt,
        "attention_mask": torch.ones_like(prompt),
        "do_sample": False,
        "max_new_tokens": new_tokens,
        "min_new_tokens": new_tokens,
        "pad_token_id": 0,
        "return_dict_in_generate": True,
    }
    if static:
        kwargs["cache_implementation"] = "static"
    with torch.inference_mode():
        output = model.generate(**kwargs)
    # Transformers 5 names the cache ``cache`` (``past_key_values`` is its deprecated alias).
    keys = output.keys() if hasattr(output, "keys") else ()
    found = next((output[k] for k in ("cache", "past_key_values") if k in keys), None)
    return cache_bytes(found)


def note(prediction: MemoryPrediction | None, measured_kv: int | None) -> str | None:
    """A note when the measured KV cache is more than 10 % off the prediction."""
    if prediction is None or not measured_kv or not prediction.kv_cache_bytes:
        return None
    ratio = measured_kv / prediction.kv_cache_bytes
    if abs(ratio - 1) <= 0.10:
        return None
    return (
        f"the KV cache measured {measured_kv:,} B against {prediction.kv_cache_bytes:,} B "
        f"predicted ({ratio - 1:+.0%}): the runtime caches another layout than the calculator "
        "assumes (transformers keeps latent attention's keys and values decompressed)"
    )
