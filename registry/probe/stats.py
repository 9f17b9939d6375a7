"""Serving metrics from token timestamps (docs/SCIENCE.md section 8, vLLM's benchmark definitions).

One generation run records when it started and when each step's tokens appeared. TTFT is the
first token's delay; TPOT the mean gap after the first; decode tokens/s counts every sequence's
tokens (batch x steps / time); prefill tokens/s counts prompt tokens, not sequences. Only the
measured runs are summarised: warm-ups are never passed in.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class RunTiming:
    """One generation: its start and the time each decoding step's tokens appeared (seconds)."""

    start_s: float
    token_times_s: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.token_times_s) < 2:
            raise ValueError(
                f"a run needs at least 2 generated tokens to time decoding, got "
                f"{len(self.token_times_s)}"
            )

    @property
    def ttft_s(self) -> float:
        return self.token_times_s[0] - self.start_s

    @property
    def gaps_s(self) -> list[float]:
        """Inter-token latencies after the first token."""
        times = self.token_times_s
        return [b - a for a, b in itertools.pairwise(times)]

    @property
    def tpot_s(self) -> float:
        return (self.token_times_s[-1] - self.token_times_s[0]) / (len(self.token_times_s) - 1)


@dataclass(frozen=True, kw_only=True)
class ServingMetrics:
    """Medians over the measured runs; latency percentiles over all their tokens."""

    ttft_s: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    tpot_s: float
    token_latency_p50_s: float
    token_latency_p99_s: float
    runs: int
    measured_tokens: int


def summarise(runs: Sequence[RunTiming], *, batch: int, prompt_tokens: int) -> ServingMetrics:
    """Metrics of the measured ``runs`` at ``batch`` sequences of ``prompt_tokens`` each.

    TPOT x decode tokens/s = batch by construction of the per-run values (the median of an odd
    number of runs keeps it exact; an even number makes it approximate).
    """
    if not runs:
        raise ValueError("no measured runs to summarise: --runs must be at least 1")
    ttft = float(np.median([run.ttft_s for run in runs]))
    tpot = float(np.median([run.tpot_s for run in runs]))
    gaps = np.array([gap for run in runs for gap in run.gaps_s])
    return ServingMetrics(
        ttft_s=ttft,
        prefill_tokens_per_s=batch * prompt_tokens / ttft,
        decode_tokens_per_s=float(np.median([batch / run.tpot_s for run in runs])),
        tpot_s=tpot,
        token_latency_p50_s=float(np.percentile(gaps, 50)),
        token_latency_p99_s=float(np.percentile(gaps, 99)),
        runs=len(runs),
        measured_tokens=int(gaps.size),
    )
