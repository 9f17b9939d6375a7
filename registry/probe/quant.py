"""Quantized Hugging Face checkpoints: the unquantized model's logical tensors from the stored ones.

A quantized checkpoint stores some weights packed (several low-bit values in one int32 or uint8
element) beside scales, zero points, group indices and absmax tensors. Counting stored elements
gets such a model wrong (a 4-bit GPTQ model packs eight weights into each int32). Here each stored
tensor becomes the logical tensor it stands for, or nothing when it is quantization metadata:

- GPTQ (``quant_method: gptq``): ``qweight`` int32 packs 32/bits values along the input dimension;
  ``qzeros``, ``scales`` and ``g_idx`` are metadata. Logical elements = stored bits / bits.
- AWQ (``awq``): the same with the packing along the output dimension, and no ``g_idx``.
- bitsandbytes 4-bit: ``weight`` uint8 holds two 4-bit codes a byte, and its
  ``weight.quant_state.bitsandbytes__nf4`` (or ``__fp4``) tensor holds a JSON record with the
  original shape, read here (a few hundred bytes); ``absmax``, ``quant_map`` and their nested
  forms are metadata. 8-bit: ``weight`` int8 at full shape, ``SCB`` is metadata.
- compressed-tensors: ``weight_packed`` (int32 or uint8) packs num_bits values; its
  ``weight_shape`` holds the original shape (read when present); ``weight_scale``,
  ``weight_zero_point``, ``weight_g_idx``, ``weight_global_scale`` and ``input_scale`` are
  metadata. Int8 and FP8 ("int-quantized", "float-quantized") store ``weight`` at full shape.
- FP8 (``fp8``, ``fbgemm_fp8``): ``weight`` F8_E4M3 at full shape; ``weight_scale_inv`` or
  ``weight_scale`` (and ``input_scale``) are metadata.

Logical counts equal those of the same model in 16-bit; they do not depend on the packing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from registry.probe.errors import CannotCount, CheckpointError

SMALL_TENSOR_BYTES = 64 * 1024  # metadata tensors read from disk are never larger than this

# Suffixes of metadata tensors (never parameters), per method.
GPTQ_META = (".qzeros", ".scales", ".g_idx")
BNB4_META = re.compile(
    r"\.weight\.(absmax|quant_map|nested_absmax|nested_quant_map|quant_state\.bitsandbytes__\w+)$"
)
BNB8_META = (".SCB", ".weight_format")
COMPRESSED_META = (
    ".weight_scale",
    ".weight_zero_point",
    ".weight_g_idx",
    ".weight_shape",
    ".weight_global_scale",
    ".input_scale",
    ".input_global_scale",
    ".input_zero_point",
    ".output_scale",
    ".k_scale",
    ".v_scale",
)
FP8_META = (".weight_scale_inv", ".weight_scale", ".input_scale", ".input_scale_ub")
INT_BITS = {"I32": 32, "U32": 32, "I64": 64, "U8": 8, "I8": 8, "I16": 16, "U16": 16}
METHODS = ("gptq", "awq", "bitsandbytes", "compressed-tensors", "fp8", "fbgemm_fp8")

# What loading each method needs beyond the probe extra: (pyproject extra, import names).
RUNTIMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "gptq": ("gptq", ("optimum", "gptqmodel")),
    "awq": ("gptq", ("gptqmodel",)),
    "bitsandbytes": ("bnb", ("bitsandbytes",)),
    "compressed-tensors": ("compressed-tensors", ("compressed_tensors",)),
}


@dataclass(frozen=True, kw_only=True)
class Quantization:
    """How a checkpoint is quantized, as its ``quantization_config`` says."""

    method: str
    bits: int | None
    group_size: int | list[int] | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "method": self.method,
            "bits": self.bits,
            "group_size": self.group_size,
            **self.detail,
        }


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _compressed_weights(config: Mapping[str, Any]) -> tuple[int | None, int | None, dict[str, Any]]:
    """num_bits and group_size shared by every config group (None where they differ)."""
    groups = config.get("config_groups") or {}
    weights = [g.get("weights") or {} for g in groups.values() if isinstance(g, Mapping)]
    bits = {_int(w.get("num_bits")) for w in weights} - {None}
    sizes = {_int(w.get("group_size")) for w in weights} - {None}
    kinds = {str(w.get("type")) for w in weights if w.get("type")}
    return (
        bits.pop() if len(bits) == 1 else None,
        sizes.pop() if len(sizes) == 1 else None,
        {"format": config.get("format"), "type": ",".join(sorted(kinds)) or None},
    )


def quantization_of(config: Mapping[str, Any]) -> Quantization | None:
    """The checkpoint's quantization from ``config.json`` (None for an unquantized one)."""
    spec = config.get("quantization_config") or config.get("compression_config")
    if not spec:
        return None
    if not isinstance(spec, Mapping):
        raise CannotCount(f"quantization_config is {type(spec).__name__}, expected an object")
    method = str(spec.get("quant_method", "")).lower()
    if method in ("gptq", "awq"):
        detail = {
            key: spec[key]
            for key in ("sym", "desc_act", "version", "checkpoint_format", "zero_point")
            if key in spec
        }
        return Quantization(
            method=method,
            bits=_int(spec.get("bits")) or 4,
            group_size=_int(spec.get("group_size")),
            detail=detail,
        )
    if method == "bitsandbytes":
        four = bool(spec.get("load_in_4bit")) or spec.get("_load_in_4bit") is True
        return Quantization(
            method=method,
            bits=4 if four else 8,
            group_size=None,  # from the quant_state (4-bit); 8-bit scales whole rows
            detail={"quant_type": spec.get("bnb_4bit_quant_type")} if four else {},
        )
    if method == "compressed-tensors":
        bits, group, detail = _compressed_weights(spec)
        return Quantization(method=method, bits=bits, group_size=group, detail=detail)
    if method in ("fp8", "fbgemm_fp8"):
        block = spec.get("weight_block_size")
        return Quantization(
            method=method,
            bits=8,
            group_size=[int(b) for b in block] if isinstance(block, list) else None,
            detail={},
        )
    raise CannotCount(
        f"quantization method {method or '(none)'!r} is not one the counter knows "
        f"(known: {', '.join(METHODS)}): its packed tensors cannot be counted as parameters"
    )


def read_small_tensor(tensor: Any) -> bytes:
    """The raw bytes of a small metadata tensor (a shape or a JSON record), from disk."""
    if tensor.file is None or tensor.offset is None or tensor.nbytes is None:
        raise CheckpointError(f"tensor {tensor.name!r} has no data to read")
    if tensor.nbytes > SMALL_TENSOR_BYTES:
        raise CheckpointError(
            f"{str(tensor.file)!r}: metadata tensor {tensor.name!r} holds {tensor.nbytes:,} "
            f"bytes, expected at most {SMALL_TENSOR_BYTES:,}"
        )
    path: Path = tensor.file
    with path.open("rb") as handle:
        handle.seek(tensor.offset)
        return handle.read(tensor.nbytes)


def _bnb_shape(state: Any, weight: Any) -> tuple[tuple[int, ...], int | None]:
    """Original shape and block size from a bitsandbytes quant_state record."""
    raw = read_small_tensor(state)
    try:
        record = json.loads(raw.decode("utf-8"))
        shape = tuple(int(d) for d in record["shape"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise CheckpointError(
            f"{str(state.file)!r}: {state.name!r} is not a bitsandbytes quant_state record "
            "(JSON with a shape)"
        ) from None
    packed = (math.prod(shape) + 1) // 2
    if packed != weight.numel:
        raise CheckpointError(
            f"{str(weight.file)!r}: {weight.name!r} holds {weight.numel:,} bytes of 4-bit codes, "
            f"but its quant_state says shape {list(shape)}, expected {packed:,}"
        )
    return shape, _int(record.get("blocksize"))


def _int_shape(tensor: Any) -> tuple[int, ...] | None:
    """A compressed-tensors ``weight_shape`` tensor's values (int32 or int64)."""
    raw = read_small_tensor(tensor)
    width = {"I32": 4, "I64": 8}.get(tensor.dtype)
    if width is None or len(raw) % width:
        return None
    return tuple(
        int.from_bytes(raw[i : i + width], "little", signed=True) for i in range(0, len(raw), width)
    )


def _unpacked(tensor: Any, bits: int | None, method: str) -> int:
    """Logical elements of a packed tensor: stored bits / bits per value."""
    width = INT_BITS.get(tensor.dtype)
    if width is None:
        raise CheckpointError(
            f"{str(tensor.file)!r}: packed tensor {tensor.name!r} is {tensor.dtype}, "
            "expected an integer dtype (I32 or U8)"
        )
    if not bits:
        raise CannotCount(
            f"{method} tensor {tensor.name!r} is packed, but the quantization_config gives "
            "no single bit width to unpack it with"
        )
    stored = tensor.numel * width
    if stored % bits:
        raise CheckpointError(
            f"{str(tensor.file)!r}: {tensor.name!r} holds {stored} bits, not a multiple of {bits}"
        )
    return stored // bits


def logical_tensors(
    quant: Quantization, tensors: list[Any]
) -> tuple[list[Any], list[Any], int, dict[str, Any]]:
    """Split ``tensors`` (``checkpoint.TensorInfo``) into logical parameters and metadata.

    Returns the logical tensors (a packed one renamed to its ``.weight`` and given its
    unpacked element count as a flat shape), the metadata tensors, the logical elements stored
    quantized, and facts read on the way (the group size of bitsandbytes 4-bit).
    """
    by_name = {t.name: t for t in tensors}
    logical, meta, quantized, facts = [], [], 0, {}
    for tensor in tensors:
        name, method = tensor.name, quant.method
        if method in ("gptq", "awq"):
            if name.endswith(GPTQ_META):
                meta.append(tensor)
                continue
            if name.endswith(".qweight"):
                count = _unpacked(tensor, quant.bits, method)
                quantized += count
                logical.append(
                    replace(tensor, name=name[: -len("qweight")] + "weight", shape=(count,))
                )
                continue
        elif method == "bitsandbytes":
            if BNB4_META.search(name) or name.endswith(BNB8_META):
                meta.append(tensor)
                continue
            states = [by_name.get(f"{name}.quant_state.bitsandbytes__{k}") for k in ("nf4", "fp4")]
            state = next((s for s in states if s is not None), None)
            if state is not None:
                shape, block = _bnb_shape(state, tensor)
                facts["group_size"] = block
                quantized += math.prod(shape)
                logical.append(replace(tensor, shape=shape))
                continue
            if quant.bits == 4 and tensor.dtype == "U8" and name.endswith(".weight"):
                quantized += 2 * tensor.numel  # no quant_state: two codes a byte
                logical.append(replace(tensor, shape=(2 * tensor.numel,)))
                continue
            if tensor.dtype == "I8":
                quantized += tensor.numel
        elif method == "compressed-tensors":
            if name.endswith(COMPRESSED_META):
                meta.append(tensor)
                continue
            if name.endswith(".weight_packed"):
                shape_tensor = by_name.get(name[: -len("_packed")] + "_shape")
                shape = _int_shape(shape_tensor) if shape_tensor is not None else None
                count = math.prod(shape) if shape else _unpacked(tensor, quant.bits, method)
                if shape is not None and count != _unpacked(tensor, quant.bits, method):
                    raise CheckpointError(
                        f"{str(tensor.file)!r}: {name!r} packs "
                        f"{_unpacked(tensor, quant.bits, method):,} values, but its weight_shape "
                        f"says {list(shape)}"
                    )
                quantized += count
                logical.append(
                    replace(tensor, name=name[: -len("_packed")], shape=shape or (count,))
                )
                continue
            if tensor.dtype in ("I8", "F8_E4M3", "F8_E5M2") and name.endswith(".weight"):
                quantized += tensor.numel
        elif method in ("fp8", "fbgemm_fp8"):
            if name.endswith(FP8_META):
                meta.append(tensor)
                continue
            if tensor.dtype in ("F8_E4M3", "F8_E5M2"):
                quantized += tensor.numel
        logical.append(tensor)
    return logical, meta, quantized, facts


def runtime_missing(method: str) -> tuple[str, list[str]] | None:
    """The extra and the modules missing to load ``method`` with transformers (None: none)."""
    import importlib.util

    if method not in RUNTIMES:
        return None
    extra, modules = RUNTIMES[method]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return (extra, missing) if missing else None
