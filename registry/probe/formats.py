"""What a probe path is (a Hugging Face directory or a GGUF file) and its count-only report.

``registry probe PATH --count-only --json`` prints ``count_report(PATH)``: the logical parameter
counts (as the same model in 16-bit), the bytes stored, bits per weight, the quantization and the
per-component split. Nothing here imports torch or reads a weight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.probe.checkpoint import ParamCensus, count_checkpoint
from registry.probe.errors import CheckpointError
from registry.probe.gguf_count import count_gguf, is_gguf

EXPECTED = (
    "expected a Hugging Face checkpoint directory (config.json and *.safetensors) or a GGUF file"
)


def kind_of(path: Path) -> str:
    """``"hf"`` for a directory, ``"gguf"`` for a GGUF file; otherwise a ``CheckpointError``
    naming the path, what was expected and what was found."""
    if path.is_dir():
        if not (path / "config.json").exists():
            ggufs = sorted(p.name for p in path.glob("*.gguf"))
            if ggufs:
                raise CheckpointError(
                    f"{str(path)!r} has no config.json but holds GGUF files "
                    f"({', '.join(ggufs[:3])}): give the path of the .gguf file itself"
                )
        return "hf"
    if not path.exists():
        if path.suffix.lower() == ".gguf":
            raise CheckpointError(f"GGUF file {str(path)!r} does not exist")
        return "hf"  # count_checkpoint says the directory does not exist
    if is_gguf(path):
        return "gguf"
    found = _describe(path)
    raise CheckpointError(f"{str(path)!r}: {EXPECTED}, found {found}")


def _describe(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return f"an unreadable file ({exc})"
    if not head:
        return "an empty file"
    if path.suffix.lower() == ".gguf":
        return f"a .gguf file without the GGUF magic (it starts with {head[:4]!r})"
    if path.suffix == ".safetensors":
        return "a single safetensors file: give its directory, with its config.json"
    return f"a file of {path.stat().st_size:,} bytes starting with {head!r}"


def count_path(path: Path) -> ParamCensus:
    """The census of a directory or GGUF file, without loading any weight."""
    return count_gguf(path) if kind_of(path) == "gguf" else count_checkpoint(path)


def count_report(path: Path, census: ParamCensus | None = None) -> dict[str, Any]:
    """The JSON of ``registry probe PATH --count-only``."""
    census = census or count_path(path)
    quantization = census.quantization or {}
    bpw = census.bits_per_weight
    return {
        "path": str(path),
        "format": census.format,
        "model_type": census.model_type,
        "total_params": census.total,
        "active_params": census.active,
        "routed_expert_params": census.routed_expert,
        "experts": census.experts or None,
        "experts_per_token": census.experts_per_token or None,
        "weights_bytes": census.weights_bytes,
        "bits_per_weight": None if bpw is None else round(bpw, 4),
        "checkpoint_dtype": census.checkpoint_dtype,
        "quant_method": quantization.get("method"),
        "quant_bits": quantization.get("bits"),
        "group_size": quantization.get("group_size"),
        "quantized_params": census.quantized_params,
        "quantization": census.quantization,
        "components": census.components,
        "files": census.files,
        "params_source": census.source,
        "excluded_mtp_params": census.excluded_mtp,
        "excluded_buffer_params": census.excluded_buffers,
        "notes": census.notes,
    }


def quant_label(census: ParamCensus) -> str | None:
    """A short label of the quantization (``gptq 4-bit g128``, ``gguf Q4_K``), or None."""
    q = census.quantization
    if not q:
        return None
    if q.get("method") == "gguf":
        return f"gguf {q.get('file_type') or q.get('type')}"[:64]
    group = q.get("group_size")
    if isinstance(group, list):
        group = "x".join(str(g) for g in group)
    parts = [str(q.get("method")), f"{q['bits']}-bit" if q.get("bits") else None]
    parts.append(f"g{group}" if group and group != -1 else None)
    return " ".join(p for p in parts if p)[:64]
