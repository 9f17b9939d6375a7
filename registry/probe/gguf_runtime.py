"""Running a GGUF file with llama.cpp (``llama-cpp-python``, the optional extra ``gguf-runtime``).

The same measurements and JSON as the transformers path: load time, a seeded random prompt of
``prompt_tokens`` ids, greedy decoding of exactly ``new_tokens`` tokens per run with a time stamp
per token (the first stamp ends the prefill: TTFT), warm-ups discarded, perplexity and bits per
byte over the text with llama.cpp's own tokenizer, and the calculator's memory prediction. One
sequence at a time: llama-cpp-python's generator decodes a single sequence, so ``--batch`` must
be 1. Weights measured are llama.cpp's model size; the peak is the process's resident set (CPU)
and NVML's device memory in use when layers are offloaded to a GPU.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from registry.calc import Architecture, ConfigError, architecture_from_hf_config
from registry.models import ProbeRunCreate
from registry.probe import memory_check
from registry.probe.environment import describe, nvml_memory_used_bytes
from registry.probe.errors import BadInput, CheckpointError, DeviceError, MissingExtra
from registry.probe.formats import quant_label
from registry.probe.gguf_count import count_gguf
from registry.probe.stats import RunTiming, summarise

Progress = Callable[[str], None]
PROMPT_SEED = 0
WINDOW = 512  # perplexity window (tokens), halved as the stride
INSTALL_HINT = "pip install 'model-registry[gguf-runtime]' (llama-cpp-python)"


def require_llama_cpp() -> ModuleType:
    """``llama_cpp``, or ``MissingExtra`` naming the extra."""
    try:
        import llama_cpp
    except ImportError:
        raise MissingExtra(
            f"running a GGUF file needs llama-cpp-python: {INSTALL_HINT}; counting works "
            "without it (registry probe FILE.gguf --count-only)"
        ) from None
    return llama_cpp


def hf_config(reader_fields: dict[str, Any]) -> dict[str, Any] | None:
    """A Hugging Face-style config of a llama-family GGUF (llama, qwen2, qwen3), for the
    calculator's memory prediction; None for other architectures."""
    arch = reader_fields.get("general.architecture")
    if arch not in ("llama", "qwen2", "qwen3"):
        return None

    def get(key: str) -> Any:
        return reader_fields.get(f"{arch}.{key}")

    experts = get("expert_count")
    config: dict[str, Any] = {
        "model_type": "mixtral" if arch == "llama" and experts else arch,
        "hidden_size": get("embedding_length"),
        "intermediate_size": get("feed_forward_length"),
        "num_hidden_layers": get("block_count"),
        "num_attention_heads": get("attention.head_count"),
        "num_key_value_heads": get("attention.head_count_kv"),
        "vocab_size": get("vocab_size") or reader_fields.get("vocab_size"),
        "tie_word_embeddings": not reader_fields.get("has_output"),
    }
    if experts:
        config |= {"num_local_experts": experts, "num_experts_per_tok": get("expert_used_count")}
    return config


def _fields(path: Path) -> dict[str, Any]:
    import gguf

    reader = gguf.GGUFReader(path)
    out: dict[str, Any] = {}
    for key, field in reader.fields.items():
        with contextlib.suppress(ValueError, IndexError, TypeError, UnicodeDecodeError):
            value = field.contents()
            if not isinstance(value, list):
                out[key] = value
            elif key == "tokenizer.ggml.tokens":
                out["vocab_size"] = len(value)
    out["has_output"] = any(t.name == "output.weight" for t in reader.tensors)
    return out


def architecture_of(path: Path) -> Architecture | None:
    config = hf_config(_fields(path))
    if config is None:
        return None
    try:
        return architecture_from_hf_config(config)
    except ConfigError:
        return None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence llama.cpp's C-level logging on stderr while loading."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _load(llama_cpp: ModuleType, path: Path, *, n_ctx: int, gpu: bool, logits_all: bool) -> Any:
    try:
        with _quiet():
            return llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=min(n_ctx, 512),
                n_gpu_layers=-1 if gpu else 0,
                seed=PROMPT_SEED,
                logits_all=logits_all,
                verbose=False,
            )
    except (ValueError, RuntimeError, OSError) as exc:
        raise CheckpointError(f"llama.cpp cannot load {str(path)!r}: {exc}") from None


def _generate_once(llm: Any, prompt: list[int], new_tokens: int) -> RunTiming:
    """One greedy generation of exactly ``new_tokens`` tokens (end-of-sequence ignored)."""
    times: list[float] = []
    start = time.perf_counter()
    for _ in llm.generate(prompt, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0, reset=True):
        times.append(time.perf_counter())
        if len(times) == new_tokens:
            break
    return RunTiming(start_s=start, token_times_s=tuple(times))


def _perplexity(llm: Any, text: str) -> dict[str, Any]:
    """Strided-window perplexity with llama.cpp's tokenizer (BOS first, each token once)."""
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    window = min(WINDOW, llm.n_ctx())
    stride = max(1, window // 2)
    nll, scored, begin = 0.0, 0, 0
    while scored < len(ids) - 1:
        end = min(begin + window, len(ids))
        chunk = ids[begin:end]
        llm.reset()
        llm.eval(chunk)
        logits = np.asarray(llm.scores[: len(chunk)], dtype=np.float64)
        first = scored + 1 - begin  # position in the chunk of the first token not yet scored
        for position in range(max(first, 1), len(chunk)):
            row = logits[position - 1]
            top = row.max()
            nll += float(np.log(np.exp(row - top).sum()) + top - row[chunk[position]])
            scored += 1
        if end == len(ids):
            break
        begin += stride
    size = len(text.encode("utf-8"))
    return {
        "perplexity": math.exp(nll / scored),
        "bits_per_byte": nll / math.log(2) / size,
        "perplexity_tokens": scored,
        "perplexity_bytes": size,
        "perplexity_window": window,
        "perplexity_stride": stride,
    }


def _peak_rss() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss * (1 if sys.platform == "darwin" else 1024)


def _model_size(llama_cpp: ModuleType, llm: Any) -> int | None:
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        return int(llama_cpp.llama_model_size(llm._model.model))
    return None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run_gguf_probe(settings: Any, *, progress: Progress = lambda _: None) -> ProbeRunCreate:
    """Count, load and measure the GGUF file of ``settings`` (a ``runner.ProbeSettings``)."""
    from registry.probe.runner import read_text

    path: Path = settings.model_dir
    progress("counting parameters from the GGUF header")
    census = count_gguf(path)
    if settings.batch != 1:
        raise BadInput(
            f"--batch must be 1 for a GGUF file (llama-cpp-python decodes one sequence), "
            f"got {settings.batch}"
        )
    if settings.dtype not in ("auto", "float16"):
        raise BadInput(
            f"--dtype is fixed by a GGUF file's own types; give auto, got {settings.dtype!r}"
        )
    text, text_name = read_text(settings.text)
    llama_cpp = require_llama_cpp()
    gpu = settings.device == "cuda" or (
        settings.device == "auto" and bool(llama_cpp.llama_supports_gpu_offload())
    )
    if settings.device == "cuda" and not llama_cpp.llama_supports_gpu_offload():
        raise DeviceError(
            "--device cuda was asked for, but this llama-cpp-python was built without GPU "
            "offload: reinstall it with CMAKE_ARGS=-DGGML_CUDA=on, or use --device cpu"
        )
    n_ctx = settings.prompt_tokens + settings.new_tokens
    progress(f"loading {path.name} with llama.cpp")
    start = time.perf_counter()
    llm = _load(llama_cpp, path, n_ctx=max(n_ctx, WINDOW), gpu=gpu, logits_all=True)
    load_s = time.perf_counter() - start
    rng = np.random.default_rng(PROMPT_SEED)
    prompt = [int(t) for t in rng.integers(0, llm.n_vocab(), settings.prompt_tokens)]
    for index in range(settings.warmup):
        progress(f"warm-up {index + 1}/{settings.warmup}")
        _generate_once(llm, prompt, settings.new_tokens)
    measured = []
    for index in range(settings.runs):
        progress(f"measuring run {index + 1}/{settings.runs}")
        measured.append(_generate_once(llm, prompt, settings.new_tokens))
    serving = summarise(measured, batch=1, prompt_tokens=settings.prompt_tokens)
    progress("scoring the text (perplexity, bits per byte)")
    score = _perplexity(llm, text)
    peak = _peak_rss()
    arch = architecture_of(path)
    predicted = memory_check.predict(
        arch,
        dtype="float16",
        kv_dtype="float16",  # llama.cpp's default cache type
        quantization=census.quantization,
        batch=1,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
    )
    env = describe(SimpleNamespace(__version__=_version("torch")), device="cpu", cuda_devices=[])
    if gpu:
        env |= {"device": "cuda", "device_name": "GPU (llama.cpp offload)"}
    notes = list(census.notes)
    return ProbeRunCreate(
        **env,
        model_slug=settings.model_slug,
        checkpoint=path.resolve().name,
        model_type=census.model_type,
        params_source="gguf",
        total_params=census.total,
        active_params=census.active,
        experts=census.experts or None,
        experts_per_token=census.experts_per_token or None,
        architecture=None,
        dtype=str(census.checkpoint_dtype or "gguf")[:16],
        device_map="single",
        fast_path=False,
        batch=1,
        prompt_tokens=settings.prompt_tokens,
        new_tokens=settings.new_tokens,
        warmup=settings.warmup,
        runs=settings.runs,
        text=text_name,
        load_s=load_s,
        weights_bytes=_model_size(llama_cpp, llm) or census.counted_bytes or 0,
        peak_memory_bytes=peak,
        peak_memory_source="process max RSS (llama.cpp)",
        nvml_memory_used_bytes=nvml_memory_used_bytes([0]) if gpu else None,
        ttft_s=serving.ttft_s,
        prefill_tokens_per_s=serving.prefill_tokens_per_s,
        decode_tokens_per_s=serving.decode_tokens_per_s,
        tpot_s=serving.tpot_s,
        token_latency_p50_s=serving.token_latency_p50_s,
        token_latency_p99_s=serving.token_latency_p99_s,
        **score,
        roofline_note="roofline (MBU, MFU) is computed for the transformers path on CUDA only",
        notes="; ".join(notes) or None,
        runtime=f"llama-cpp-python {_version('llama-cpp-python')}",
        quantization=quant_label(census),
        bits_per_weight=census.bits_per_weight,
        predicted_weights_bytes=predicted.weights_bytes if predicted else None,
        predicted_kv_cache_bytes=predicted.kv_cache_bytes if predicted else None,
        kv_cache_bytes=None,
    )
