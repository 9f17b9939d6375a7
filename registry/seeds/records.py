"""Validated seeds as flat, canonical records: what the loader writes and what ``diff`` compares.

A record is the same whether it comes from a seed tree or from the database, so the loader finds
what changed by comparing records, and ``registry diff`` compares two trees the same way. Derived
values (tokens per parameter, 6·N·D training compute, dense active = total) are computed here, once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from registry.models import ARCH_BOOL_FIELDS, ARCH_INT_FIELDS, ARCH_STR_FIELDS, Confidence
from registry.numbers import UNDISCLOSED
from registry.seeds.rules import Sources, resolve_source, source_pin
from registry.seeds.schema import CLAIM_FIELDS, UNSTATED, Claim, FamilyFile, ModelSeed
from registry.seeds.training import derive_training, inherit_training
from registry.seeds.tree import SeedTree

ARCH_FIELDS = (*ARCH_INT_FIELDS, *ARCH_BOOL_FIELDS, *ARCH_STR_FIELDS, "mlp_only_layers")
DERIVED_NOTES = {"active_params": "dense model: active parameters equal the total"}

Record = dict[str, Any]


@dataclass
class TreeRecords:
    """Every organization, family and model of a tree, keyed by slug."""

    organizations: dict[str, Record] = field(default_factory=dict)
    families: dict[str, Record] = field(default_factory=dict)
    models: dict[str, Record] = field(default_factory=dict)
    benchmarks: dict[str, Record] = field(default_factory=dict)

    def revision(self) -> str:
        """A content hash: equal trees have equal revisions, whatever their file layout."""
        payload = json.dumps(
            [self.organizations, self.families, self.models, self.benchmarks],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def tree_records(tree: SeedTree) -> TreeRecords:
    """The records of a validated tree (``tree.ok`` must hold)."""
    records = TreeRecords()
    for benchmark in tree.benchmarks.benchmarks if tree.benchmarks else []:
        records.benchmarks[benchmark.slug] = benchmark.model_dump(mode="json", exclude={"aliases"})
    metrics = {slug: b["metric"] for slug, b in records.benchmarks.items()}
    seeds: dict[str, ModelSeed] = {}
    for _, content in tree.organizations:
        for org in content.organizations:
            records.organizations[org.slug] = org.model_dump(mode="json")
    for located in tree.families:
        content = located.content
        family = content.family.model_dump(mode="json")
        records.families[content.family.slug] = family
        for model in content.models:
            records.models[model.slug] = model_record(model, content, metrics)
            seeds[model.slug] = model
    inherit_training(records.models, seeds)
    return records


def model_record(
    model: ModelSeed, content: FamilyFile, metrics: dict[str, str] | None = None
) -> Record:
    """One model's canonical record, derived values included (``metrics``: each benchmark's
    default metric; tokens a fine-tune inherits are added by ``training.inherit_training``)."""
    sources = content.sources
    default_url = resolve_source(model.source, sources) if model.source else None
    record: Record = {
        "slug": model.slug,
        "name": model.name,
        "family": content.family.slug,
        "organization": model.organization or content.family.organization,
        "access": model.access.value,
        "openness": model.openness.value,
        "license": model.license,
        "natively_multimodal": model.natively_multimodal,
        "training_data_released": model.training_data_released,
        "training_code_released": model.training_code_released,
        "architecture": None if model.architecture == UNDISCLOSED else model.architecture,
        "stage": model.stage.value,
        "reasoning": model.reasoning,
        "inherits_training": model.inherits_training,
        "total_params_includes": ",".join(model.total_params_includes) or None,
        "notes": model.notes,
        "input_modalities": sorted({m.value for m in model.input_modalities}),
        "output_modalities": sorted({m.value for m in model.output_modalities}),
    }
    claims: dict[str, list[Any]] = {}
    for name in CLAIM_FIELDS:
        _claim_into(record, claims, name, getattr(model, name), sources, default_url, model.source)
    if model.architecture == UNDISCLOSED:
        claims["architecture"] = [default_url, Confidence.REPORTED.value, True, None, None, None]
    _derive(record, claims, model)
    _arch_into(record, claims, model, sources, default_url)
    record["claims"] = claims
    record["lineage"] = canonical_rows(
        [parent.model, parent.relation.value, parent.note] for parent in model.derived_from
    )
    record["evaluations"] = canonical_rows(
        [
            e.benchmark,
            e.metric or (metrics or {}).get(e.benchmark, "accuracy"),
            _stated(e.shots),
            _stated(e.chain_of_thought),
            e.score,
            resolve_source(e.source, sources),
            e.note,
        ]
        for e in model.evaluations
    )
    return record


def canonical_rows(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """Rows in one order whatever their source; None sorts first in any column."""
    return sorted(rows, key=lambda row: [(value is not None, value) for value in row])


def _stated(value: Any) -> Any:
    return None if value == UNSTATED else value


def _claim_into(
    record: Record,
    claims: dict[str, list[Any]],
    name: str,
    claim: Claim[Any] | None,
    sources: Sources,
    default_url: str | None,
    default_source: str | None,
) -> None:
    if name in ("release_date", "knowledge_cutoff"):
        record[name] = record[f"{name}_precision"] = None
    else:
        record[name] = None
    if claim is None:
        return
    url = resolve_source(claim.source, sources) if claim.source else default_url
    undisclosed = claim.value == UNDISCLOSED
    version, quote = source_pin(claim.source or default_source, sources)
    claims[name] = [
        url,
        claim.confidence.value,
        undisclosed,
        claim.note,
        claim.version or version,
        claim.quote or quote,
    ]
    if undisclosed:
        return
    if name in ("release_date", "knowledge_cutoff"):
        date, precision = claim.value
        record[name], record[f"{name}_precision"] = date.isoformat(), precision.value
    else:
        record[name] = claim.value


def _derive(record: Record, claims: dict[str, list[Any]], model: ModelSeed) -> None:
    if model.architecture == "dense" and model.active_params is None and model.total_params:
        total_claim = claims.get("total_params")
        record["active_params"] = record["total_params"]
        if total_claim is not None:
            url, _, undisclosed = total_claim[:3]
            claims["active_params"] = [
                url,
                Confidence.DERIVED.value,
                undisclosed,
                DERIVED_NOTES["active_params"],
                None,
                None,
            ]
    derive_training(record, claims)


def _arch_into(
    record: Record,
    claims: dict[str, list[Any]],
    model: ModelSeed,
    sources: Sources,
    default_url: str | None,
) -> None:
    arch = model.arch
    for name in ARCH_FIELDS:
        record[name] = None
    if arch is None:
        return
    for name in ARCH_FIELDS:
        record[name] = getattr(arch, name)
    record["mlp_only_layers"] = ",".join(map(str, arch.mlp_only_layers)) or None
    url = resolve_source(arch.source, sources) if arch.source else default_url
    version, quote = source_pin(arch.source or model.source, sources)
    claims["arch"] = [url, Confidence.REPORTED.value, False, arch.note, version, quote]
