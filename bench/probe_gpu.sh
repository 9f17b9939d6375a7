#!/usr/bin/env bash
# Decode MBU of the probe on one GPU, in one go (about 5 minutes on an H100 or H200; the whole
# script is killed after BENCH_TIMEOUT seconds, default 540, so a device session can rerun it).
#
# Builds a random-weight model from Meta-Llama-3-8B's config.json (8.03B parameters, bf16,
# weights only: no download), then runs `registry probe` twice at batch 1 in bf16:
#   eager  plain generate() with the dynamic KV cache
#   fast   --fast: static KV cache, with which transformers compiles the forward pass
#          (torch.compile, mode "reduce-overhead": CUDA graphs)
# and prints decode tokens/s against the memory-bandwidth ceiling (MBU). Target: fast MBU >= 50%.
#
# Usage: bash bench/probe_gpu.sh            (needs the probe extra with a CUDA build of torch)
#   WORK=dir      where the checkpoint and the JSON results go (default: a fresh temp folder)
#   NEW_TOKENS=n  tokens generated per run (default 128); PROMPT_TOKENS (default 256)
#   STRICT=1      exit 1 when the fast path misses the 50% target
#   BENCH_TINY=1  a tiny config on the CPU: checks this script end to end on a laptop (no MBU)
#   BENCH_TIMEOUT=s  the limit of the whole script (default 540 s)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PROBE_GPU_INNER:-}" ]; then  # one overall deadline for every step below
    PROBE_GPU_INNER=1 exec timeout --kill-after=10 "${BENCH_TIMEOUT:-540}" bash "$0" "$@"
fi

PY="${PY:-.venv/bin/python}"
WORK="${WORK:-$(mktemp -d -t probe-gpu-XXXXXX)}"
NEW_TOKENS="${NEW_TOKENS:-128}"
PROMPT_TOKENS="${PROMPT_TOKENS:-256}"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$WORK"
CHECKPOINT="$WORK/llama-3-8b-random"
DEVICE=cuda
if [ "${BENCH_TINY:-0}" = 1 ]; then DEVICE=cpu; fi

echo "== probe GPU bench: results in $WORK"
if [ "$DEVICE" = cuda ]; then
    "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device: this bench needs a GPU (BENCH_TINY=1 checks the script on a CPU)")'
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi

echo "== building the random-weight checkpoint ($(date +%T))"
timeout 200 "$PY" - "$CHECKPOINT" "$DEVICE" "${BENCH_TINY:-0}" <<'PYTHON'
import sys
import time
from pathlib import Path

from registry.probe.runner import read_text
from registry.probe.synthetic import build_checkpoint

target, device, tiny = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
# https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json
config = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
    "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "max_position_embeddings": 8192, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0, "tie_word_embeddings": False, "vocab_size": 128256,
    "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
}
if tiny:
    config |= {"hidden_size": 64, "intermediate_size": 224, "num_hidden_layers": 2,
               "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1024}
start = time.perf_counter()
dtype = "float32" if tiny else "bfloat16"
build_checkpoint(config, target, text=read_text(None)[0], dtype=dtype, device=device,
                 tokenizer_vocab=1024)
print(f"built {target} in {time.perf_counter() - start:.0f} s")
PYTHON

probe() {  # probe NAME [extra options]: one run of `registry probe`, its JSON kept in $WORK
    local name="$1"; shift
    echo "== probe: $name ($(date +%T))"
    timeout 180 "$PY" -c 'from registry.cli.app import main; main()' probe "$CHECKPOINT" \
        --device "$DEVICE" --dtype "$( [ "$DEVICE" = cuda ] && echo bfloat16 || echo float32 )" \
        --batch 1 --prompt-tokens "$PROMPT_TOKENS" --new-tokens "$NEW_TOKENS" \
        --warmup 2 --runs 3 --no-record --json "$@" > "$WORK/$name.json"
}
probe eager
probe fast --fast

echo "== results ($(date +%T))"
"$PY" - "$WORK" "${STRICT:-0}" <<'PYTHON'
import json
import sys
from pathlib import Path

work, strict = Path(sys.argv[1]), sys.argv[2] == "1"
TARGET = 0.50
rows = {name: json.loads((work / f"{name}.json").read_text()) for name in ("eager", "fast")}
first = rows["eager"]
print(f"{first['device_name']} x{first['device_count']}, torch {first['torch_version']}, "
      f"transformers {first['transformers_version']}, CUDA {first['cuda_version']}, "
      f"{first['platform']}")
print(f"model: {first['checkpoint']} ({first['total_params']:,} parameters, {first['dtype']}), "
      f"batch {first['batch']}, prompt {first['prompt_tokens']}, new {first['new_tokens']}")
header = ("path", "decode tok/s", "ceiling tok/s", "MBU", "TPOT ms", "p99 ms", "TTFT ms",
          "prefill tok/s", "MFU", "peak GB", "predicted GB", "load s")
print(" | ".join(header))
print(" | ".join("---" for _ in header))
for name, run in rows.items():
    def pct(value):
        return "n/a" if value is None else f"{value:.1%}"
    ceiling = run["decode_ceiling_tokens_per_s"]
    print(" | ".join([
        name, f"{run['decode_tokens_per_s']:.1f}", "n/a" if ceiling is None else f"{ceiling:.1f}",
        pct(run["mbu"]), f"{run['tpot_s'] * 1e3:.2f}", f"{run['token_latency_p99_s'] * 1e3:.2f}",
        f"{run['ttft_s'] * 1e3:.1f}", f"{run['prefill_tokens_per_s']:.0f}", pct(run["mfu"]),
        f"{run['peak_memory_bytes'] / 1e9:.2f}",
        "n/a" if run.get("predicted_weights_bytes") is None else
        f"{(run['predicted_weights_bytes'] + run['predicted_kv_cache_bytes']) / 1e9:.2f}",
        f"{run['load_s']:.1f}",
    ]))
    if run.get("roofline_note"):
        print(f"  note ({name}): {run['roofline_note']}")
fast = rows["fast"]["mbu"]
if fast is None:
    print("no MBU: the GPU is not in registry.calc.GPU_PEAKS (or this ran on the CPU)")
    sys.exit(0)
verdict = "met" if fast >= TARGET else "MISSED"
print(f"fast-path decode MBU {fast:.1%}: target {TARGET:.0%} {verdict}")
sys.exit(1 if strict and fast < TARGET else 0)
PYTHON
