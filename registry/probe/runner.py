"""One probe, end to end: count, load, measure, score the text, place on the roofline.

``run_probe`` returns a ``ProbeRunCreate`` (every field of the ``probe_run`` table but the id,
link and time); recording it locally or pushing it to a server is the caller's choice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from registry.calc import Architecture, ConfigError, architecture_from_hf_config
from registry.models import ARCH_INT_FIELDS, ProbeRunCreate
from registry.probe import loading, measure, memory_check
from registry.probe.checkpoint import ParamCensus, count_checkpoint, read_config
from registry.probe.environment import describe, nvml_memory_used_bytes
from registry.probe.errors import BadInput, MissingExtra
from registry.probe.formats import kind_of, quant_label
from registry.probe.perplexity import TextScore, score_text, window_for
from registry.probe.quant import runtime_missing as quant_runtime_missing
from registry.probe.roofline import Roofline, roofline

Progress = Callable[[str], None]
DEFAULT_TEXT = "declaration-of-independence.txt"


@dataclass(frozen=True, kw_only=True)
class ProbeSettings:
    """What to probe and how (the CLI's options)."""

    model_dir: Path
    model_slug: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    batch: int = 1
    prompt_tokens: int = 256
    new_tokens: int = 64
    warmup: int = 2
    runs: int = 5
    text: Path | None = None  # None: the bundled public-domain sample
    fast_path: bool = False

    def __post_init__(self) -> None:
        for name, least in (
            ("batch", 1),
            ("prompt_tokens", 1),
            ("new_tokens", 2),
            ("warmup", 0),
            ("runs", 1),
        ):
            if getattr(self, name) < least:
                option = "--" + name.replace("_", "-")
                raise BadInput(f"{option} must be at least {least}, got {getattr(self, name)!r}")


def read_text(path: Path | None) -> tuple[str, str]:
    """The text to score and its name (the bundled sample when ``path`` is None)."""
    if path is None:
        sample = resources.files("registry.probe") / "data" / DEFAULT_TEXT
        return sample.read_text(encoding="utf-8"), f"{DEFAULT_TEXT} (bundled)"
    try:
        return path.read_text(encoding="utf-8"), path.name
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read --text {str(path)!r}: {exc}") from None


def architecture_fields(config: dict[str, Any]) -> tuple[Architecture | None, dict[str, Any]]:
    """The calculator's architecture of ``config`` and its registry-named integer fields."""
    try:
        arch = architecture_from_hf_config(config)
    except ConfigError:
        return None, {}
    defaults = {f.name: f.default for f in dataclasses.fields(Architecture)}
    fields = {name: getattr(arch, name, None) for name in ARCH_INT_FIELDS}
    # Leave out what says nothing (defaults such as moe_layer_step 1); state the head shapes.
    kept = {k: v for k, v in fields.items() if isinstance(v, int) and v and v != defaults.get(k)}
    if not arch.is_mla:  # latent attention has no single head width or kv-head count
        kept |= {"head_dim": arch.d_head, "kv_heads": arch.n_kv}
    return arch, kept | {"context_length": config.get("max_position_embeddings")}


def _census_fields(census: ParamCensus) -> dict[str, Any]:
    return {
        "total_params": census.total,
        "active_params": census.active,
        "params_source": census.source,
        "model_type": census.model_type,
        "experts": census.experts or None,
        "experts_per_token": census.experts_per_token or None,
    }


def _score(
    torch: ModuleType, loaded: loading.Loaded, text: str, config: dict[str, Any], progress: Progress
) -> TextScore | None:
    if loaded.tokenizer is None:
        return None
    progress("scoring the text (perplexity, bits per byte)")
    return score_text(
        torch, loaded.model, loaded.tokenizer, text, window=max(2, window_for(config))
    )


def _roofline(
    arch: Architecture | None,
    env: dict[str, Any],
    dtype: str,
    settings: ProbeSettings,
    serving: Any,
) -> Roofline:
    if env["device"] != "cuda":
        return Roofline(gpu=None, note="roofline (MBU, MFU) is computed on CUDA only")
    if arch is None:
        return Roofline(gpu=None, note="the calculator does not know this architecture: no MBU/MFU")
    return roofline(
        arch,
        device_name=env["device_name"],
        dtype=dtype,
        batch=settings.batch,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
        decode_tokens_per_s=serving.decode_tokens_per_s,
        prefill_tokens_per_s=serving.prefill_tokens_per_s,
    )


def _load(
    torch: ModuleType,
    transformers: ModuleType,
    settings: ProbeSettings,
    census: ParamCensus,
    config: dict[str, Any],
) -> tuple[loading.Loaded, str]:
    device = loading.resolve_device(torch, settings.device)
    dtype = loading.resolve_dtype(torch, settings.dtype, device=device, config=config)
    device_map = "single"
    if device == "cuda":
        free = [torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count())]
        held = census.total * loading.BYTES_PER_DTYPE[dtype]
        device_map = loading.plan_device_map(
            weights_bytes=census.counted_bytes if census.quantization else held,
            free_bytes=free,
            dtype=dtype,
        )
    return loading.load_model(
        torch, transformers, settings.model_dir, device=device, dtype=dtype, device_map=device_map
    ), dtype


def _measure(
    torch: ModuleType,
    loaded: loading.Loaded,
    settings: ProbeSettings,
    dtype: str,
    progress: Progress,
) -> tuple[Any, int, str]:
    generation = measure.GenerationSettings(
        batch=settings.batch,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
        warmup=settings.warmup,
        runs=settings.runs,
        fast_path=settings.fast_path,
    )
    with loading.translating_oom(torch, dtype=dtype, doing="generating"):
        measure.reset_peak(torch, loaded.cuda_devices)
        serving = measure.measure_generation(torch, loaded.model, generation, progress=progress)
        peak, source = measure.peak_memory(torch, loaded.cuda_devices)
    return serving, peak, source


def require_runtime(census: ParamCensus) -> None:
    """``MissingExtra`` naming the extra when a quantized checkpoint's runtime is absent."""
    method = (census.quantization or {}).get("method")
    missing = quant_runtime_missing(method) if method else None
    if missing:
        extra, modules = missing
        raise MissingExtra(
            f"loading a {method} checkpoint needs {', '.join(modules)}: "
            f"pip install 'model-registry[probe,{extra}]' (counting works without it: "
            "registry probe PATH --count-only)"
        )


def run_probe(settings: ProbeSettings, *, progress: Progress = lambda _: None) -> ProbeRunCreate:
    """Count, load and measure the checkpoint of ``settings`` (see the module docstring)."""
    if kind_of(settings.model_dir) == "gguf":
        from registry.probe.gguf_runtime import run_gguf_probe

        return run_gguf_probe(settings, progress=progress)
    progress("counting parameters from config.json and the safetensors headers")
    census = count_checkpoint(settings.model_dir)
    config = read_config(settings.model_dir)
    arch, arch_fields = architecture_fields(config)
    text, text_name = read_text(settings.text)
    torch, transformers = loading.require_torch()
    require_runtime(census)
    progress(f"loading {settings.model_dir.name}")
    loaded, dtype = _load(torch, transformers, settings, census, config)
    notes = list(census.notes)
    if measure.loaded_params(loaded.model) != census.total:
        notes.append(
            f"the loaded model holds {measure.loaded_params(loaded.model)} parameters, "
            f"the checkpoint {census.total}"
        )
    serving, peak, peak_source = _measure(torch, loaded, settings, dtype, progress)
    progress("one more generation to read the KV cache size")
    with loading.translating_oom(torch, dtype=dtype, doing="measuring the KV cache"):
        prompt = measure.make_prompt(
            torch, loaded.model, batch=settings.batch, prompt_tokens=settings.prompt_tokens
        )
        kv_bytes = memory_check.measure_kv_cache(
            torch, loaded.model, prompt, new_tokens=settings.new_tokens, static=settings.fast_path
        )
    predicted = memory_check.predict(
        arch,
        dtype=dtype,
        quantization=census.quantization,
        batch=settings.batch,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
    )
    notes.extend(n for n in [memory_check.note(predicted, kv_bytes)] if n)
    with loading.translating_oom(torch, dtype=dtype, doing="scoring the text"):
        text_score = _score(torch, loaded, text, config, progress)
    if text_score is None:
        notes.append("no tokenizer in the model directory: no perplexity")
    env = describe(
        torch, device="cuda" if loaded.cuda_devices else "cpu", cuda_devices=loaded.cuda_devices
    )
    line = _roofline(arch, env, dtype, settings, serving)
    return ProbeRunCreate(
        **_census_fields(census),
        **env,
        model_slug=settings.model_slug,
        checkpoint=settings.model_dir.resolve().name,
        architecture=arch_fields or None,
        dtype=dtype,
        device_map=loaded.device_map,
        fast_path=settings.fast_path,
        batch=settings.batch,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
        warmup=settings.warmup,
        runs=settings.runs,
        text=text_name,
        load_s=loaded.load_s,
        weights_bytes=measure.weights_bytes(loaded.model),
        peak_memory_bytes=peak,
        peak_memory_source=peak_source,
        nvml_memory_used_bytes=_nvml(loaded),
        ttft_s=serving.ttft_s,
        prefill_tokens_per_s=serving.prefill_tokens_per_s,
        decode_tokens_per_s=serving.decode_tokens_per_s,
        tpot_s=serving.tpot_s,
        token_latency_p50_s=serving.token_latency_p50_s,
        token_latency_p99_s=serving.token_latency_p99_s,
        **_text_fields(text_score),
        gpu=line.gpu,
        decode_ceiling_tokens_per_s=line.decode_ceiling_tokens_per_s,
        prefill_ceiling_tokens_per_s=line.prefill_ceiling_tokens_per_s,
        mbu=line.mbu,
        mfu=line.mfu,
        roofline_note=line.note,
        notes="; ".join(notes) or None,
        runtime=f"transformers {transformers.__version__}",
        quantization=quant_label(census),
        bits_per_weight=census.bits_per_weight,
        predicted_weights_bytes=predicted.weights_bytes if predicted else None,
        predicted_kv_cache_bytes=predicted.kv_cache_bytes if predicted else None,
        kv_cache_bytes=kv_bytes,
    )


def _nvml(loaded: loading.Loaded) -> int | None:
    return nvml_memory_used_bytes(loaded.cuda_devices) if loaded.cuda_devices else None


def _text_fields(score: TextScore | None) -> dict[str, Any]:
    if score is None:
        return {}
    return {
        "perplexity": score.perplexity,
        "bits_per_byte": score.bits_per_byte,
        "perplexity_tokens": score.tokens,
        "perplexity_bytes": score.bytes,
        "perplexity_window": score.window,
        "perplexity_stride": score.stride,
    }
