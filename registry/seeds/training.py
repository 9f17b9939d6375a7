"""Derived training figures: one rule for every family (docs/CONTRIBUTING-DATA.md, "Training").

- ``inherits_training: true`` on a fine-tune: its training tokens are its first parent's
  (``derived_from[0]``, itself possibly inheriting) plus its reported ``fine_tuning_tokens``. A
  distilled model inherits the tokens of the base model it was distilled into.
- ``total_params_includes: [vision-encoder]`` with ``language_model_params``: the total counts an
  encoder, so tokens per parameter and 6·N·D use the language model's count.
"""

from __future__ import annotations

from typing import Any

from registry.calc.compute import training_flops
from registry.models import Confidence
from registry.seeds.schema import ModelSeed

Record = dict[str, Any]
NOTES = {
    "tokens_per_param": "training_tokens / active_params",
    "tokens_per_param_lm": "training_tokens / language_model_params (the total counts {parts})",
    "training_flops": "6·N·D with N the active parameters (Kaplan et al. 2020; DOMAIN §2)",
    "training_flops_lm": "6·N·D with N the language model's parameters (the total counts {parts})",
}


def training_params(record: Record) -> int | None:
    """N for derived figures: the language model's count when the total includes an encoder
    (dense models), else the active parameters."""
    if record["total_params_includes"] and record["architecture"] == "dense":
        return record["language_model_params"] or None
    return record["active_params"]


def _derived(note: str) -> list[Any]:
    return [None, Confidence.DERIVED.value, False, note, None, None]


def derive_training(record: Record, claims: dict[str, list[Any]]) -> None:
    """Tokens per parameter and 6·N·D (when no compute was reported) from the record's values."""
    active, tokens = training_params(record), record["training_tokens"]
    parts = (record["total_params_includes"] or "").replace(",", ", ")
    lm = bool(parts) and record["architecture"] == "dense"
    record["tokens_per_param"] = None
    claims.pop("tokens_per_param", None)
    if not (active and tokens):
        return
    record["tokens_per_param"] = tokens / active
    key = "tokens_per_param_lm" if lm else "tokens_per_param"
    claims["tokens_per_param"] = _derived(NOTES[key].format(parts=parts))
    flops_claim = claims.get("training_flops")
    if record["training_flops"] is None or (flops_claim and flops_claim[1] == "derived"):
        record["training_flops"] = float(training_flops(float(active), float(tokens)))
        key = "training_flops_lm" if lm else "training_flops"
        claims["training_flops"] = _derived(NOTES[key].format(parts=parts))


def inherit_training(models: dict[str, Record], seeds: dict[str, ModelSeed]) -> None:
    """Fill in the training tokens of every model with ``inherits_training`` (parents first)."""
    done: set[str] = set()

    def resolve(slug: str, path: tuple[str, ...]) -> None:
        seed = seeds.get(slug)
        if slug in done or seed is None or not seed.inherits_training or slug in path:
            return
        parent = seed.derived_from[0].model
        resolve(parent, (*path, slug))
        _inherit(models[slug], models[parent], parent)
        done.add(slug)

    for slug in seeds:
        resolve(slug, ())


def _inherit(record: Record, parent: Record, parent_slug: str) -> None:
    claims = record["claims"]
    parent_claim = parent["claims"].get("training_tokens")
    fine_tuning = record["fine_tuning_tokens"] or 0
    if parent_claim is None:
        return  # the parent's tokens are not recorded: nothing to inherit
    url, _, undisclosed = parent_claim[0], parent_claim[1], parent_claim[2]
    extra = f" plus {fine_tuning:,} fine-tuning tokens" if fine_tuning else ""
    note = f"inherits_training: the pretraining tokens of {parent_slug}{extra}"
    claims["training_tokens"] = [url, Confidence.DERIVED.value, undisclosed, note, None, None]
    record["training_tokens"] = None if undisclosed else parent["training_tokens"] + fine_tuning
    derive_training(record, claims)
