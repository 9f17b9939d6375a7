"""Random-weight checkpoints built offline from a config: for the tests and the GPU bench.

A tiny byte-level BPE tokenizer is trained on the bundled sample text (tokenizers' trainer),
wrapped by transformers' ``PreTrainedTokenizerFast`` and saved beside the weights, so that the
probe can score perplexity without any download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.probe.loading import require_torch

SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")


def build_tokenizer(text: str, *, vocab_size: int) -> Any:
    """A byte-level BPE tokenizer of at most ``vocab_size`` tokens trained on ``text``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(text.splitlines(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )


def build_checkpoint(
    config: dict[str, Any],
    target: Path,
    *,
    text: str,
    dtype: str = "float32",
    device: str = "cpu",
    seed: int = 0,
    tokenizer_vocab: int | None = None,
) -> Path:
    """Save a random-weight model of ``config`` (a ``config.json`` mapping) and a tokenizer
    trained on ``text`` to ``target`` as safetensors; returns ``target``."""
    torch, transformers = require_torch()
    torch.manual_seed(seed)
    hf_config = transformers.AutoConfig.for_model(**config)
    # Ids the tokenizer knows stay inside the model's vocabulary.
    vocab = min(tokenizer_vocab or hf_config.vocab_size, hf_config.vocab_size)
    tokenizer = build_tokenizer(text, vocab_size=vocab)
    hf_config.bos_token_id = tokenizer.bos_token_id
    hf_config.eos_token_id = tokenizer.eos_token_id
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(
            hf_config, dtype=getattr(torch, dtype)
        )
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target
