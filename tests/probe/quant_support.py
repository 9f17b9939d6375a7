"""Building tiny quantized checkpoints offline, in each format's real storage layout.

A tiny model is built with transformers on the CPU (its exact parameter count is the reference),
then its 2-D weights inside the decoder layers are quantized and packed here, with numpy, the way
each format stores them; embeddings, norms, routers and the head stay 16-bit, as the quantizers
leave them. Fused 3-D expert tensors (Transformers 5's in-memory layout) are written one 2-D
tensor per expert, as checkpoints store them.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

# A tensor to write: (safetensors dtype, shape, raw little-endian bytes).
Raw = tuple[str, tuple[int, ...], bytes]

# The 16 NF4 code values of QLoRA (Dettmers et al. 2023, Appendix E).
NF4 = np.array(
    [
        -1.0,
        -0.6961928009986877,
        -0.5250730514526367,
        -0.39491748809814453,
        -0.28444138169288635,
        -0.18477343022823334,
        -0.09105003625154495,
        0.0,
        0.07958029955625534,
        0.16093020141124725,
        0.24611230194568634,
        0.33791524171829224,
        0.44070982933044434,
        0.5626170039176941,
        0.7229568362236023,
        1.0,
    ],
    dtype=np.float32,
)


def reference_model(torch: ModuleType, config: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A random-weight model of ``config``: its named float32 weights (numpy) and exact count."""
    import transformers

    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(
        transformers.AutoConfig.for_model(**config)
    )
    count = sum(p.numel() for p in model.parameters())
    weights: dict[str, Any] = {}
    for name, param in model.named_parameters():
        array = param.detach().float().numpy()
        if array.ndim == 3:  # fused experts: one 2-D tensor per expert, as checkpoints store them
            prefix, _, proj = name.rpartition(".")
            for e in range(array.shape[0]):
                weights[f"{prefix}.{e}.{proj}.weight"] = array[e]
        else:
            weights[name] = array
    return weights, count


def quantizable(name: str, array: Any) -> bool:
    """2-D weights inside the decoder layers, but not routers (quantizers leave those)."""
    return (
        array.ndim == 2
        and ".layers." in name
        and not name.endswith((".mlp.gate.weight", ".block_sparse_moe.gate.weight"))
    )


def f16(array: Any) -> Raw:
    a = np.ascontiguousarray(array, dtype=np.float16)
    return "F16", tuple(a.shape), a.tobytes()


def as_raw(dtype: str, array: Any) -> Raw:
    a = np.ascontiguousarray(array)
    return dtype, tuple(a.shape), a.tobytes()


def write_raw_safetensors(path: Path, tensors: dict[str, Raw]) -> None:
    """A safetensors file of raw tensors (any dtype string, fp8 included)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset, blobs = 0, []
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def _groups(w: Any, group: int) -> tuple[Any, Any, Any]:
    """Asymmetric 4-bit quantization of W (out, in) in groups of ``group`` input columns:
    codes (out, in) in 0..15, scales and zeros (in/group, out)."""
    out, inp = w.shape
    g = w.reshape(out, inp // group, group)
    lo, hi = g.min(-1), g.max(-1)
    scale = (np.maximum(hi - lo, 1e-8) / 15).astype(np.float16).astype(np.float32)
    zero = np.clip(np.round(-lo / scale), 0, 15)
    codes = np.clip(np.round(g / scale[..., None]) + zero[..., None], 0, 15).astype(np.uint32)
    return codes.reshape(out, inp), scale.T.astype(np.float16), zero.T.astype(np.uint32)


def _pack_rows(codes: Any, order: tuple[int, ...] = tuple(range(8))) -> Any:
    """Pack 4-bit codes, 8 consecutive rows into one int32 row; value ``order[j]`` of each
    group of 8 goes to bits 4j."""
    rows, cols = codes.shape
    c = codes.reshape(rows // 8, 8, cols)
    packed = np.zeros((rows // 8, cols), dtype=np.uint32)
    for j, source in enumerate(order):
        packed |= c[:, source, :] << np.uint32(4 * j)
    return packed.view(np.int32)


def gptq_pack(w: Any, *, group: int) -> dict[str, Raw]:
    """GPTQ (v1 format): qweight int32 (in/8, out) packs along the input dimension; qzeros int32
    (in/group, out/8) holds zero - 1; scales fp16 (in/group, out); g_idx int32 (in,)."""
    codes, scales, zeros = _groups(w, group)
    inp = w.shape[1]
    return {
        "qweight": as_raw("I32", _pack_rows(codes.T)),
        "qzeros": as_raw("I32", _pack_rows((zeros - 1).astype(np.uint32).T & 15).T),
        "scales": as_raw("F16", scales),
        "g_idx": as_raw("I32", (np.arange(inp) // group).astype(np.int32)),
    }


AWQ_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)


def awq_pack(w: Any, *, group: int) -> dict[str, Raw]:
    """AWQ (GEMM): qweight int32 (in, out/8) packs along the output dimension in AWQ's
    interleaved order; qzeros int32 (in/group, out/8) likewise; scales fp16 (in/group, out)."""
    codes, scales, zeros = _groups(w, group)
    return {
        "qweight": as_raw("I32", _pack_rows(codes, AWQ_ORDER).T),  # codes: (out, in)
        "qzeros": as_raw("I32", _pack_rows(zeros.T, AWQ_ORDER).T),
        "scales": as_raw("F16", scales),
    }


def unpack_gptq(qweight: Any) -> Any:
    """Inverse of the GPTQ packing: (in/8, out) int32 to (in, out) codes (for the tests)."""
    q = qweight.view(np.uint32)
    return np.stack([(q >> np.uint32(4 * j)) & 15 for j in range(8)], axis=1).reshape(
        -1, q.shape[1]
    )


def unpack_zeros(qzeros: Any) -> Any:
    """Inverse of the GPTQ zero packing: (groups, out/8) int32 to (groups, out) zeros."""
    q = qzeros.view(np.uint32)
    stored = np.stack([(q >> np.uint32(4 * j)) & 15 for j in range(8)], axis=2).reshape(
        q.shape[0], -1
    )
    return (stored + 1) & 15


def bnb4_pack(w: Any, *, blocksize: int = 64, nested: bool = False) -> dict[str, Raw]:
    """bitsandbytes NF4: codes of W flattened, two a byte (first in the high nibble), as uint8
    ((n+1)/2, 1); absmax per block; the code book; the quant_state JSON record as uint8.
    ``nested``: absmax itself quantized to uint8 (compress_statistics)."""
    flat = w.astype(np.float32).ravel()
    n = flat.size
    blocks = np.pad(flat, (0, -n % blocksize)).reshape(-1, blocksize)
    absmax = np.maximum(np.abs(blocks).max(1), 1e-8)
    codes = np.abs((blocks / absmax[:, None])[..., None] - NF4).argmin(-1).ravel()[:n]
    codes = np.pad(codes, (0, n % 2)).astype(np.uint8)
    packed = (codes[0::2] << 4) | codes[1::2]
    state = {
        "quant_type": "nf4",
        "blocksize": blocksize,
        "dtype": "float16",
        "shape": list(w.shape),
    }
    tensors = {
        "weight": as_raw("U8", packed.reshape(-1, 1)),
        "weight.quant_map": as_raw("F32", NF4),
    }
    if nested:
        top = absmax.max()
        state |= {"nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.0}
        tensors["weight.absmax"] = as_raw("U8", np.round(absmax / top * 255).astype(np.uint8))
        tensors["weight.nested_absmax"] = as_raw("F32", np.array([top], dtype=np.float32))
        tensors["weight.nested_quant_map"] = as_raw("F32", np.linspace(0, 1, 256, dtype=np.float32))
    else:
        tensors["weight.absmax"] = as_raw("F32", absmax.astype(np.float32))
    record = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)
    tensors["weight.quant_state.bitsandbytes__nf4"] = as_raw("U8", record)
    return tensors


def bnb8_pack(w: Any) -> dict[str, Raw]:
    """bitsandbytes LLM.int8(): int8 weight at full shape and per-row absmax SCB."""
    scb = np.maximum(np.abs(w).max(1), 1e-8).astype(np.float32)
    return {
        "weight": as_raw("I8", np.round(w / scb[:, None] * 127).astype(np.int8)),
        "SCB": as_raw("F32", scb),
    }


def compressed_pack(w: Any, *, group: int) -> dict[str, Raw]:
    """compressed-tensors pack-quantized (int4, symmetric, group strategy): weight_packed int32
    (out, in/8) packs along the input dimension (codes offset by 8); weight_scale (out, in/group);
    weight_shape int64 (2,)."""
    out, inp = w.shape
    g = w.reshape(out, inp // group, group)
    scale = np.maximum(np.abs(g).max(-1), 1e-8) / 7
    codes = (np.clip(np.round(g / scale[..., None]), -8, 7) + 8).astype(np.uint32)
    return {
        "weight_packed": as_raw("I32", _pack_rows(codes.reshape(out, inp).T).T),
        "weight_scale": f16(scale),
        "weight_shape": as_raw("I64", np.array(w.shape, dtype=np.int64)),
    }


def fp8_pack(torch: ModuleType, w: Any, *, block: int) -> dict[str, Raw]:
    """Block-wise FP8 (DeepSeek-V3's ``fp8``): weight F8_E4M3 at full shape and
    weight_scale_inv F32 (ceil(out/block), ceil(in/block))."""
    out, inp = w.shape
    scale = np.ones((math.ceil(out / block), math.ceil(inp / block)), dtype=np.float32)
    for i in range(scale.shape[0]):
        for j in range(scale.shape[1]):
            tile = w[i * block : (i + 1) * block, j * block : (j + 1) * block]
            scale[i, j] = max(float(np.abs(tile).max()), 1e-8) / 448
    expanded = np.kron(scale, np.ones((block, block), dtype=np.float32))[:out, :inp]
    fp8 = torch.from_numpy(w / expanded).to(torch.float8_e4m3fn).view(torch.uint8).numpy()
    return {
        "weight": ("F8_E4M3", (out, inp), fp8.tobytes()),
        "weight_scale_inv": as_raw("F32", scale),
    }


def write_quantized(
    torch: ModuleType,
    weights: dict[str, Any],
    config: dict[str, Any],
    directory: Path,
    *,
    method: str,
    group: int = 32,
) -> Path:
    """Write ``weights`` quantized with ``method`` (gptq, awq, bnb4, bnb4-nested, bnb8,
    compressed, fp8) and the matching ``quantization_config`` to ``directory``."""
    tensors: dict[str, Raw] = {}
    for name, w in weights.items():
        if not quantizable(name, w):
            tensors[name] = f16(w)
            continue
        prefix = name.removesuffix(".weight")
        packed = {
            "gptq": lambda w: gptq_pack(w, group=group),
            "awq": lambda w: awq_pack(w, group=group),
            "bnb4": lambda w: bnb4_pack(w),
            "bnb4-nested": lambda w: bnb4_pack(w, nested=True),
            "bnb8": bnb8_pack,
            "compressed": lambda w: compressed_pack(w, group=group),
            "fp8": lambda w: fp8_pack(torch, w, block=group),
        }[method](w)
        for suffix, raw in packed.items():
            tensors[f"{prefix}.{suffix}"] = raw
    quantization = {
        "gptq": {
            "quant_method": "gptq",
            "bits": 4,
            "group_size": group,
            "desc_act": False,
            "sym": False,
        },
        "awq": {
            "quant_method": "awq",
            "bits": 4,
            "group_size": group,
            "version": "gemm",
            "zero_point": True,
        },
        "bnb4": {
            "quant_method": "bitsandbytes",
            "load_in_4bit": True,
            "bnb_4bit_quant_type": "nf4",
        },
        "bnb8": {"quant_method": "bitsandbytes", "load_in_8bit": True},
        "compressed": {
            "quant_method": "compressed-tensors",
            "format": "pack-quantized",
            "config_groups": {
                "group_0": {
                    "targets": ["Linear"],
                    "weights": {
                        "num_bits": 4,
                        "type": "int",
                        "symmetric": True,
                        "strategy": "group",
                        "group_size": group,
                    },
                }
            },
            "ignore": ["lm_head"],
        },
        "fp8": {
            "quant_method": "fp8",
            "weight_block_size": [group, group],
            "activation_scheme": "dynamic",
        },
    }
    quantization["bnb4-nested"] = quantization["bnb4"] | {"bnb_4bit_use_double_quant": True}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(
        json.dumps(config | {"quantization_config": quantization[method]}), encoding="utf-8"
    )
    write_raw_safetensors(directory / "model.safetensors", tensors)
    return directory


# GGUF ----------------------------------------------------------------------------------------


def q4_k(x: Any) -> Any:
    """ggml's Q4_K blocks of ``x`` (rows of a multiple of 256 values) as uint8 bytes: per 256
    values f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales and mins, 128 bytes of codes;
    value = d * scale * code - dmin * min over 8 sub-blocks of 32."""
    rows = x.shape[-1] // 256
    sub = x.astype(np.float32).reshape(-1, 8, 32)
    low = np.minimum(sub.min(-1), 0)
    width = np.maximum(sub.max(-1) - low, 1e-8) / 15
    d = np.maximum(width.max(-1), 1e-8) / 63
    dmin = np.maximum(-low.min(-1), 1e-8) / 63
    d16, dmin16 = d.astype(np.float16), dmin.astype(np.float16)
    sc = np.clip(np.round(width / d16.astype(np.float32)[:, None]), 1, 63).astype(np.uint8)
    mn = np.clip(np.round(-low / dmin16.astype(np.float32)[:, None]), 0, 63).astype(np.uint8)
    scale = d16.astype(np.float32)[:, None] * sc
    offset = dmin16.astype(np.float32)[:, None] * mn
    codes = np.clip(np.round((sub + offset[..., None]) / scale[..., None]), 0, 15).astype(np.uint8)
    scales = np.zeros((sub.shape[0], 12), dtype=np.uint8)
    scales[:, 0:4] = sc[:, 0:4] | ((sc[:, 4:8] >> 4) << 6)
    scales[:, 4:8] = mn[:, 0:4] | ((mn[:, 4:8] >> 4) << 6)
    scales[:, 8:12] = (sc[:, 4:8] & 15) | ((mn[:, 4:8] & 15) << 4)
    qs = (codes[:, 0::2, :] | (codes[:, 1::2, :] << 4)).reshape(-1, 128)
    blocks = np.concatenate(
        [d16.view(np.uint8).reshape(-1, 2), dmin16.view(np.uint8).reshape(-1, 2), scales, qs],
        axis=1,
    )
    return blocks.reshape(*x.shape[:-1], rows * 144)


GGUF_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
GGUF_LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "mlp.gate.weight": "ffn_gate_inp.weight",
}


def gguf_tensors(torch: ModuleType, config: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The reference model's tensors under llama.cpp's names (experts fused per layer as
    ``ffn_{gate,up,down}_exps``) and its exact parameter count."""
    import transformers

    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(
        transformers.AutoConfig.for_model(**config)
    )
    count = sum(p.numel() for p in model.parameters())
    out: dict[str, Any] = {}
    ffn = config["intermediate_size"]
    for name, param in model.named_parameters():
        array = param.detach().float().numpy()
        if name in GGUF_NAMES:
            out[GGUF_NAMES[name]] = array
            continue
        _, _, index, rest = name.split(".", 3)
        block = f"blk.{index}."
        if rest == "mlp.experts.gate_up_proj":
            out[block + "ffn_gate_exps.weight"] = array[:, :ffn, :]
            out[block + "ffn_up_exps.weight"] = array[:, ffn:, :]
        elif rest == "mlp.experts.down_proj":
            out[block + "ffn_down_exps.weight"] = array
        else:
            out[block + GGUF_LAYER[rest]] = array
    return out, count


def gguf_type_for(name: str, array: Any) -> str:
    """The mix of a small llama.cpp quant: norms F32, embeddings F16, attention q/k and the
    experts' gate/up Q4_K, everything else Q8_0."""
    if array.ndim == 1:
        return "F32"
    if name == "token_embd.weight":
        return "F16"
    if (
        array.shape[-1] % 256 == 0
        and any(k in name for k in ("attn_q.", "attn_k.", "ffn_gate", "ffn_up"))
        and "ffn_gate_inp" not in name
    ):
        return "Q4_K"
    return "Q8_0"


def write_gguf(
    path: Path,
    tensors: dict[str, Any],
    config: dict[str, Any],
    *,
    extra_tensors: dict[str, Any] | None = None,
    tokenizer: Any | None = None,
) -> Path:
    """A GGUF file (llama architecture) of ``tensors`` through ``gguf``'s writer, each in the
    type ``gguf_type_for`` picks (Q4_K packed by ``q4_k``, Q8_0 and F16 by ``gguf``)."""
    import gguf

    writer = gguf.GGUFWriter(path, "llama")
    heads = config["num_attention_heads"]
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_rope_dimension_count(config["hidden_size"] // heads)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    if "num_local_experts" in config:
        writer.add_expert_count(config["num_local_experts"])
        writer.add_expert_used_count(config["num_experts_per_tok"])
    if tokenizer is not None:
        add_tokenizer(writer, tokenizer, config["vocab_size"])
    for name, array in {**tensors, **(extra_tensors or {})}.items():
        kind = gguf_type_for(name, array)
        if kind == "F32":
            writer.add_tensor(name, array.astype(np.float32))
        elif kind == "F16":
            writer.add_tensor(name, array.astype(np.float16))
        elif kind == "Q8_0":
            data = gguf.quants.quantize(array.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(name, data, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, q4_k(array), raw_dtype=gguf.GGMLQuantizationType.Q4_K)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def add_tokenizer(writer: Any, tokenizer: Any, vocab_size: int) -> None:
    """A GPT-2 style BPE vocabulary (the test tokenizer's), padded to ``vocab_size``."""
    import gguf

    state = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = state["model"]["vocab"]
    tokens = [""] * vocab_size
    for token, index in vocab.items():
        tokens[index] = token
    types = [gguf.TokenType.NORMAL] * vocab_size
    for index in range(len(vocab), vocab_size):
        tokens[index] = f"[PAD{index}]"
        types[index] = gguf.TokenType.UNUSED
    for special in ("<unk>", "<s>", "</s>"):
        types[vocab[special]] = gguf.TokenType.CONTROL
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(vocab["<s>"])
    writer.add_eos_token_id(vocab["</s>"])
    writer.add_add_bos_token(True)
