"""The probe: what a local checkpoint really is and how it runs, beside what labs claim.

Counting (``checkpoint``) needs only the standard library and the calculator; loading and
measuring need the optional extra ``probe`` (torch, transformers, safetensors, accelerate).
The model page calls ``measured_vs_claimed`` and ``latest_probe_run``.
"""

from registry.probe.checkpoint import ParamCensus, count_checkpoint
from registry.probe.claims import MeasuredVsClaimed, compare_claims, measured_vs_claimed
from registry.probe.store import latest_probe_run, list_probe_runs, record_run

__all__ = [
    "MeasuredVsClaimed",
    "ParamCensus",
    "compare_claims",
    "count_checkpoint",
    "latest_probe_run",
    "list_probe_runs",
    "measured_vs_claimed",
    "record_run",
]
