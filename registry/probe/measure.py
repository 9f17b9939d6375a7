"""Timing generation and reading memory (docs/SCIENCE.md section 8).

Each run calls ``generate`` greedily for exactly ``new_tokens`` tokens (end-of-sequence ignored)
with a streamer that stamps the time each step's tokens reach the host; transformers copies them
to the CPU, which waits for the device, so the stamps are honest on CUDA too. Warm-up runs are
timed by nothing and discarded; only the measured runs reach ``stats.summarise``.
The fast path uses a static KV cache, with which transformers compiles the forward pass
(torch.compile, CUDA graphs) on CUDA.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from registry.probe.stats import RunTiming, ServingMetrics, summarise

Progress = Callable[[str], None]
PROMPT_SEED = 0


class TokenClock:
    """A generate() streamer that records when each decoding step's tokens arrive."""

    def __init__(self) -> None:
        self.prompt_seen = False
        self.times: list[float] = []

    def put(self, value: Any) -> None:
        now = time.perf_counter()
        if not self.prompt_seen:  # the first put is the prompt itself
            self.prompt_seen = True
            return
        self.times.append(now)

    def end(self) -> None:
        """Called by generate when it finishes."""


@dataclass(frozen=True, kw_only=True)
class GenerationSettings:
    batch: int
    prompt_tokens: int
    new_tokens: int
    warmup: int
    runs: int
    fast_path: bool = False


def input_device(torch: ModuleType, model: Any) -> Any:
    """Where inputs go: the input embedding's device (the first of a split model)."""
    return model.get_input_embeddings().weight.device


def make_prompt(torch: ModuleType, model: Any, *, batch: int, prompt_tokens: int) -> Any:
    """``batch`` x ``prompt_tokens`` token ids drawn with a fixed seed (same prompt every run)."""
    generator = torch.Generator().manual_seed(PROMPT_SEED)
    vocab = int(model.get_input_embeddings().weight.shape[0])
    ids = torch.randint(0, vocab, (batch, prompt_tokens), generator=generator)
    return ids.to(input_device(torch, model))


def generate_once(
    torch: ModuleType, model: Any, prompt: Any, settings: GenerationSettings
) -> RunTiming:
    """One timed greedy generation of exactly ``settings.new_tokens`` tokens."""
    clock = TokenClock()
    kwargs: dict[str, Any] = {
        "input_ids": prompt,
        "attention_mask": torch.ones_like(prompt),
        "do_sample": False,
        "max_new_tokens": settings.new_tokens,
        "min_new_tokens": settings.new_tokens,
        "pad_token_id": 0,
        "streamer": clock,
    }
    if settings.fast_path:
        kwargs["cache_implementation"] = "static"
    start = time.perf_counter()
    with torch.inference_mode():
        model.generate(**kwargs)
    return RunTiming(start_s=start, token_times_s=tuple(clock.times))


def timed_runs(
    generate: Callable[[], RunTiming], *, warmup: int, runs: int, progress: Progress
) -> list[RunTiming]:
    """Call ``generate`` ``warmup`` times and drop the results, then ``runs`` times and keep them.

    Only the kept runs reach ``summarise``: no warm-up timing can leak into the metrics.
    """
    for index in range(warmup):
        progress(f"warm-up {index + 1}/{warmup}")
        generate()
    measured = []
    for index in range(runs):
        progress(f"measuring run {index + 1}/{runs}")
        measured.append(generate())
    return measured


def measure_generation(
    torch: ModuleType, model: Any, settings: GenerationSettings, *, progress: Progress
) -> ServingMetrics:
    """Warm up, then time ``settings.runs`` generations; only the latter are summarised."""
    prompt = make_prompt(torch, model, batch=settings.batch, prompt_tokens=settings.prompt_tokens)
    measured = timed_runs(
        lambda: generate_once(torch, model, prompt, settings),
        warmup=settings.warmup,
        runs=settings.runs,
        progress=progress,
    )
    return summarise(measured, batch=settings.batch, prompt_tokens=settings.prompt_tokens)


def weights_bytes(model: Any) -> int:
    """Bytes of the model's parameters (each shared tensor once)."""
    return sum(p.numel() * p.element_size() for p in model.parameters())


def loaded_params(model: Any) -> int:
    """The loaded model's exact parameter count (tied weights counted once)."""
    return sum(p.numel() for p in model.parameters())


def reset_peak(torch: ModuleType, devices: list[int]) -> None:
    """Start a fresh peak on every CUDA device in use."""
    for index in devices:
        torch.cuda.synchronize(index)
        torch.cuda.reset_peak_memory_stats(index)


def peak_memory(torch: ModuleType, devices: list[int]) -> tuple[int, str]:
    """Peak bytes since ``reset_peak`` and where the figure comes from.

    On CUDA: torch's maximum allocated, summed over devices. On CPU torch keeps no allocator
    peak, so the process's maximum resident set is given instead (it includes Python itself).
    """
    if devices:
        return (
            sum(int(torch.cuda.max_memory_allocated(i)) for i in devices),
            "torch.cuda.max_memory_allocated",
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss * (1 if sys.platform == "darwin" else 1024), "process max RSS (CPU)"
