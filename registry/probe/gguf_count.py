"""Counting a GGUF file (llama.cpp, Ollama) without loading it, with the ``gguf`` package.

A GGUF file holds key/value metadata (``general.architecture``, ``{arch}.block_count``,
``{arch}.expert_count``...) and a table of tensors, each with its ggml type (F32, F16, Q8_0, Q4_K,
IQ2_XXS...) and its logical dimensions. Dimensions are logical whatever the type (a Q4_K tensor of
4096 x 4096 stores 4096 x 4096 / 256 blocks of 144 bytes), so the total is the sum of the tensors'
elements, as in 16-bit. Left out, as for safetensors: tensors llama.cpp adds that are buffers in
transformers (``rope_freqs``, DeepSeek's ``exp_probs_b``) and multi-token-prediction blocks (the
last ``{arch}.nextn_predict_layers`` blocks). Routed experts are the fused ``*_exps`` tensors;
active = total - routed x (1 - k/E), with E and k from ``{arch}.expert_count`` and
``{arch}.expert_used_count``. A file that is truncated, or whose header lies about its sizes, is
refused with one message naming the file, what was expected and what was found.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from registry.probe import components
from registry.probe.checkpoint import ParamCensus
from registry.probe.errors import CheckpointError, MissingExtra

GGUF_MAGIC = b"GGUF"
BUFFERS = re.compile(r"(^|\.)rope_freqs\.weight$|\.exp_probs_b\.bias$|^rope_factors_")
ROUTED = re.compile(r"_exps\.")
BLOCK = re.compile(r"^blk\.(\d+)\.")
FLOAT_TYPES = {"F32", "F16", "BF16", "F64"}
GGUF_HINT = "pip install 'model-registry[probe]' (or pip install gguf)"


def is_gguf(path: Path) -> bool:
    """Whether ``path`` is a file starting with the GGUF magic."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _require_gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise MissingExtra(f"counting a GGUF file needs the 'gguf' package: {GGUF_HINT}") from None
    return gguf


def _reader(gguf: Any, path: Path) -> Any:
    """A ``GGUFReader`` of ``path``; a truncated or inconsistent file is a ``CheckpointError``."""
    try:
        return gguf.GGUFReader(path)
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"{str(path)!r} is not a readable GGUF file ({path.stat().st_size:,} bytes): expected "
            f"its metadata and tensor table to fit the file, found {_reason(exc)}: it is "
            "truncated or its header lies about its sizes"
        ) from None
    except (OSError, MemoryError) as exc:
        raise CheckpointError(f"cannot read {str(path)!r}: {exc}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        value = field.contents()
    except (ValueError, IndexError, TypeError, UnicodeDecodeError):
        return None
    return value


def _check_extent(path: Path, tensors: list[Any]) -> None:
    """Every tensor's bytes lie inside the file, and no two tensors overlap."""
    size = path.stat().st_size
    spans = sorted((int(t.data_offset), int(t.n_bytes), t) for t in tensors)
    for index, (start, length, tensor) in enumerate(spans):
        kind = tensor.tensor_type.name
        dims = [int(d) for d in tensor.shape]
        if start + length > size:
            raise CheckpointError(
                f"{str(path)!r}: tensor {tensor.name!r} ({kind} {dims}) needs {length:,} bytes "
                f"at offset {start:,}, but the file has {size:,}: it is truncated or its "
                "header lies about its sizes"
            )
        if index + 1 < len(spans) and start + length > spans[index + 1][0]:
            other = spans[index + 1][2]
            raise CheckpointError(
                f"{str(path)!r}: tensor {tensor.name!r} ({kind} {dims}, {length:,} bytes at "
                f"offset {start:,}) overlaps tensor {other.name!r} at offset "
                f"{spans[index + 1][0]:,}: the header lies about its sizes"
            )


def count_gguf(path: Path) -> ParamCensus:
    """Total and active parameters of the GGUF file at ``path``, without loading it."""
    if not is_gguf(path):
        raise CheckpointError(
            f"{str(path)!r}: expected the GGUF magic b'GGUF', found {_head(path)}"
        )
    gguf = _require_gguf()
    reader = _reader(gguf, path)
    _check_extent(path, reader.tensors)
    arch = str(_field(reader, "general.architecture") or "unknown")
    blocks = int(_field(reader, f"{arch}.block_count") or 0)
    nextn = int(_field(reader, f"{arch}.nextn_predict_layers") or 0)
    experts = int(_field(reader, f"{arch}.expert_count") or 0)
    used = int(_field(reader, f"{arch}.expert_used_count") or 0)

    kept, buffers, mtp, counted_bytes = [], 0, 0, 0
    elements: Counter[str] = Counter()
    stored: Counter[str] = Counter()
    for tensor in reader.tensors:
        count, kind = int(tensor.n_elements), tensor.tensor_type.name
        block = BLOCK.match(tensor.name)
        if BUFFERS.search(tensor.name):
            buffers += count
        elif nextn and block and int(block.group(1)) >= blocks - nextn:
            mtp += count
        else:
            kept.append((tensor.name, count))
            elements[kind] += count
            stored[kind] += int(tensor.n_bytes)
            counted_bytes += int(tensor.n_bytes)
    total = sum(count for _, count in kept)
    routed = sum(count for name, count in kept if ROUTED.search(name))
    notes: list[str] = []
    if routed and not 0 < used <= experts:
        notes.append(
            f"{arch}.expert_count {experts} / expert_used_count {used} are not usable: "
            "active counted as total"
        )
        idle = 0
    else:
        idle = routed * (experts - used) // experts if routed else 0
    quantized = sum(n for kind, n in elements.items() if kind not in FLOAT_TYPES)
    return ParamCensus(
        total=total,
        active=total - idle,
        routed_expert=routed,
        experts=experts if routed else 0,
        experts_per_token=used if routed else 0,
        source="gguf",
        model_type=arch,
        checkpoint_dtype=_dominant(stored, quantized_only=True) or _dominant(stored),
        files=1,
        excluded_mtp=mtp,
        excluded_buffers=buffers,
        notes=notes,
        weights_bytes=sum(int(t.n_bytes) for t in reader.tensors),
        counted_bytes=counted_bytes,
        quantization=_quantization(gguf, reader, elements, stored) if quantized else None,
        quantized_params=quantized,
        components=components.split(kept),
        format="gguf",
    )


def _dominant(stored: Counter[str], *, quantized_only: bool = False) -> str | None:
    kinds = [(n, k) for k, n in stored.items() if not (quantized_only and k in FLOAT_TYPES)]
    return max(kinds)[1] if kinds else None


def _quantization(
    gguf: Any, reader: Any, elements: Counter[str], stored: Counter[str]
) -> dict[str, Any]:
    """Method, nominal bits and block size of the dominant quantized type, every type's share."""
    main = _dominant(stored, quantized_only=True) or ""
    kind = gguf.GGMLQuantizationType[main]
    block, size = gguf.GGML_QUANT_SIZES[kind]
    file_type = _field(reader, "general.file_type")
    try:
        file_type_name = gguf.LlamaFileType(int(file_type)).name if file_type is not None else None
    except ValueError:
        file_type_name = str(file_type)
    return {
        "method": "gguf",
        "bits": round(8 * size / block, 4),
        "group_size": block,
        "type": main,
        "file_type": file_type_name,
        "types": dict(sorted(elements.items())),
    }


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return repr(handle.read(8))
    except OSError as exc:
        return f"an unreadable file ({exc})"
