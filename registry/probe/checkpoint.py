"""Counting a checkpoint's parameters without loading it (docs/SCIENCE.md section 7).

``config.json`` gives the architecture; the safetensors headers (an 8-byte little-endian length,
then a JSON table of every tensor's dtype and shape) give the exact tensors. Total parameters are
the sum of the header shapes; routed experts are the tensors under ``.experts.`` (one tensor per
expert, or fused 3-D tensors as Transformers 5 writes them: the count is the same), and
active = total - routed x (1 - k/E). Multi-token-prediction layers (indices at or past
``num_hidden_layers``, DeepSeek-V3) and persistent buffers are left out, so the count matches
both the registry's convention and ``sum(p.numel() for p in model.parameters())``.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.calc import Architecture, ConfigError, architecture_from_hf_config, count_params
from registry.probe import components, quant
from registry.probe.errors import CannotCount, CheckpointError

HEADER_LIMIT_BYTES = 100 * 2**20  # safetensors caps its own header at 100 MB
INDEX_FILE = "model.safetensors.index.json"
ROUTED_EXPERT = re.compile(r"\.experts\.")  # not ".shared_experts." nor ".shared_expert."
LAYER_INDEX = re.compile(r"(?:^|\.)layers\.(\d+)\.")
# Tensors stored in checkpoints that transformers registers as buffers, not parameters.
BUFFER_SUFFIXES = ("rotary_emb.inv_freq", "e_score_correction_bias", "attn.masked_bias")
DTYPE_BYTES = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}


@dataclass(frozen=True, kw_only=True)
class TensorInfo:
    """One tensor of a safetensors header."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int | None = None  # bytes stored (None: not read from a file)
    file: Path | None = None
    offset: int | None = None  # absolute byte offset of the data in ``file``

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True, kw_only=True)
class ParamCensus:
    """Parameter counts of a checkpoint and how they were obtained."""

    total: int
    active: int
    routed_expert: int
    experts: int
    experts_per_token: int
    source: str  # "safetensors" (exact, from the headers) or "config" (from config.json)
    model_type: str | None
    checkpoint_dtype: str | None
    files: int
    excluded_mtp: int = 0
    excluded_buffers: int = 0
    notes: list[str] = field(default_factory=list)
    # What is stored, beside the logical counts (registry.probe.quant, registry.probe.components):
    weights_bytes: int | None = None  # every tensor's bytes as stored on disk
    counted_bytes: int | None = None  # bytes of the counted parameters (scales and zeros included)
    quantization: dict[str, Any] | None = None  # method, bits, group size (None: not quantized)
    quantized_params: int = 0  # logical parameters stored quantized
    components: dict[str, int] = field(default_factory=dict)
    format: str = "safetensors"  # "safetensors", "config" or "gguf"

    @property
    def bits_per_weight(self) -> float | None:
        """Stored bits per counted parameter, scales, zero points and unquantized tensors
        included (the figure llama.cpp calls BPW)."""
        if not self.counted_bytes or not self.total:
            return None
        return 8 * self.counted_bytes / self.total


def read_config(model_dir: Path) -> dict[str, Any]:
    """The ``config.json`` of ``model_dir`` as a mapping."""
    if not model_dir.is_dir():
        raise CheckpointError(f"model directory {str(model_dir)!r} does not exist")
    path = model_dir / "config.json"
    if not path.is_file():
        raise CheckpointError(
            f"{str(model_dir)!r} has no config.json: is it a Hugging Face checkpoint directory?"
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {str(path)!r}: {exc}") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{str(path)!r} holds {type(config).__name__}, expected an object")
    return config


def safetensors_files(model_dir: Path) -> list[Path]:
    """The checkpoint's safetensors files: those the index names, else every one in the folder."""
    index = model_dir / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CheckpointError(f"cannot read {str(index)!r}: {exc!r}") from None
        return [model_dir / name for name in sorted(set(weight_map.values()))]
    return sorted(model_dir.glob("*.safetensors"))


def read_header(path: Path) -> list[TensorInfo]:
    """The tensors listed in the header of the safetensors file at ``path``; a header whose
    offsets disagree with its dtypes and shapes, or run past the end of the file, is refused."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > HEADER_LIMIT_BYTES or length > size - 8:
                raise CheckpointError(
                    f"{str(path)!r}: expected a safetensors header of at most "
                    f"{min(HEADER_LIMIT_BYTES, max(size - 8, 0)):,} bytes, "
                    f"found a length of {length:,}"
                )
            header = json.loads(handle.read(length))
        if not isinstance(header, dict):
            raise ValueError(f"the header holds {type(header).__name__}, expected an object")
        tensors = [
            _tensor_info(path, name, spec, data_start=8 + length)
            for name, spec in header.items()
            if name != "__metadata__"
        ]
    except (OSError, struct.error, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{str(path)!r} is not a readable safetensors file: {exc}") from None
    for tensor in tensors:
        end = (tensor.offset or 0) + (tensor.nbytes or 0)
        if end > size:
            raise CheckpointError(
                f"{str(path)!r}: tensor {tensor.name!r} needs bytes up to {end:,}, "
                f"but the file has {size:,}: it is truncated or its header lies about its sizes"
            )
    return tensors


def _tensor_info(path: Path, name: str, spec: Any, *, data_start: int) -> TensorInfo:
    """One header entry, checked: its data_offsets span exactly dtype x shape bytes."""
    try:
        dtype, shape = str(spec["dtype"]), tuple(int(d) for d in spec["shape"])
        begin, end = (int(v) for v in spec["data_offsets"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(
            f"{str(path)!r}: tensor {name!r} is not a dtype, shape and data_offsets entry: {spec!r}"
        ) from None
    if min(shape, default=0) < 0 or begin < 0 or end < begin:
        raise CheckpointError(f"{str(path)!r}: tensor {name!r} has a negative size: {spec!r}")
    expected = math.prod(shape) * DTYPE_BYTES[dtype] if dtype in DTYPE_BYTES else None
    if expected is not None and end - begin != expected:
        raise CheckpointError(
            f"{str(path)!r}: tensor {name!r} is {dtype} {list(shape)}, expected "
            f"{expected:,} bytes, but its data_offsets span {end - begin:,}: "
            "the header lies about its sizes"
        )
    return TensorInfo(
        name=name,
        dtype=dtype,
        shape=shape,
        nbytes=end - begin,
        file=path,
        offset=data_start + begin,
    )


def _is_mtp(name: str, layers: int) -> bool:
    match = LAYER_INDEX.search(name)
    return match is not None and int(match.group(1)) >= layers


def _dominant_dtype(tensors: Iterable[TensorInfo]) -> str | None:
    weights: Counter[str] = Counter()
    for tensor in tensors:
        weights[tensor.dtype] += tensor.numel * DTYPE_BYTES.get(tensor.dtype, 1)
    return weights.most_common(1)[0][0] if weights else None


def _architecture(config: Mapping[str, Any]) -> Architecture | None:
    try:
        return architecture_from_hf_config(config)
    except ConfigError:
        return None


def _idle(routed: int, arch: Architecture) -> int:
    """Routed-expert parameters a token does not use: routed x (1 - k/E)."""
    return routed * (arch.experts - arch.experts_per_token) // arch.experts


def _census_from_headers(
    config: Mapping[str, Any], arch: Architecture | None, stored: list[TensorInfo], files: int
) -> ParamCensus:
    layers = int(config.get("num_hidden_layers") or 0)
    quantization = quant.quantization_of(config)
    tensors, quantized, facts = stored, 0, {}
    if quantization is not None:
        tensors, _, quantized, facts = quant.logical_tensors(quantization, stored)
    kept, mtp, buffers = [], 0, 0
    for tensor in tensors:
        if tensor.name.endswith(BUFFER_SUFFIXES):
            buffers += tensor.numel
        elif layers and _is_mtp(tensor.name, layers):
            mtp += tensor.numel
        else:
            kept.append(tensor)
    total = sum(t.numel for t in kept)
    routed = sum(t.numel for t in kept if ROUTED_EXPERT.search(t.name))
    model_type = config.get("model_type")
    if routed and (arch is None or not arch.experts):
        raise CannotCount(
            f"model_type {model_type!r} has routed-expert tensors but its config "
            "gives no expert count the counter understands"
        )
    notes = (
        []
        if arch
        else [
            f"model_type {model_type!r} is not known to the calculator: "
            "counted from the safetensors headers as a dense model"
        ]
    )
    idle = _idle(routed, arch) if arch and routed else 0
    if arch and arch.experts and not routed:
        formula = count_params(arch)
        idle = formula.total - formula.active
        notes.append("no tensor name holds '.experts.': the idle experts come from the config")
    excluded = {t.name for t in stored if t.name.endswith(BUFFER_SUFFIXES)} | {
        t.name for t in stored if layers and _is_mtp(t.name, layers)
    }
    quant_fields = quantization.as_dict() if quantization else None
    if quant_fields is not None and facts.get("group_size") and not quant_fields["group_size"]:
        quant_fields["group_size"] = facts["group_size"]
    return ParamCensus(
        total=total,
        active=total - idle,
        routed_expert=routed,
        experts=arch.experts if arch else 0,
        experts_per_token=arch.experts_per_token if arch else 0,
        source="safetensors",
        model_type=model_type,
        checkpoint_dtype=_dominant_dtype(stored),
        files=files,
        excluded_mtp=mtp,
        excluded_buffers=buffers,
        notes=notes + _cross_check(arch, total),
        weights_bytes=sum(t.nbytes or 0 for t in stored),
        counted_bytes=sum(t.nbytes or 0 for t in stored if t.name not in excluded),
        quantization=quant_fields,
        quantized_params=quantized,
        components=components.split((t.name, t.numel) for t in kept),
    )


def _cross_check(arch: Architecture | None, total: int) -> list[str]:
    """A note when the config formula (registry.calc) disagrees with the headers."""
    if arch is None:
        return []
    formula = count_params(arch).total
    if formula == total:
        return []
    return [
        f"config.json formula gives {formula} parameters, the headers {total} "
        f"({(formula - total) / total:+.2%}); the headers are used"
    ]


def count_checkpoint(model_dir: Path) -> ParamCensus:
    """Total and active parameters of the checkpoint in ``model_dir``, without loading it."""
    config = read_config(model_dir)
    arch = _architecture(config)
    files = safetensors_files(model_dir)
    if files:
        tensors = [tensor for path in files for tensor in read_header(path)]
        return _census_from_headers(config, arch, tensors, len(files))
    if arch is None:
        try:
            arch = architecture_from_hf_config(config)
        except ConfigError as exc:
            raise CannotCount(
                f"cannot count {str(model_dir)!r}: {exc}, and it has no "
                "safetensors files to count from"
            ) from None
    counts = count_params(arch)
    return ParamCensus(
        total=counts.total,
        active=counts.active,
        routed_expert=0,
        experts=arch.experts,
        experts_per_token=arch.experts_per_token,
        source="config",
        model_type=config.get("model_type"),
        checkpoint_dtype=None,
        files=0,
        notes=["no safetensors files: counted from config.json with the calculator's formula"],
        format="config",
    )
