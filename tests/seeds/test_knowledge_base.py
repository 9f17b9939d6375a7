"""The knowledge base in seeds/: coverage, published numbers, and cross-checks with the calculator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from registry.calc import count_params, training_flops
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree
from registry.services.exact_sizes import public_config
from registry.services.knowledge import architecture_of

SEEDS = Path(__file__).parents[2] / "seeds"
PARAM_TOLERANCE = 0.02  # the calculator's count against the published total
COMPUTE_TOLERANCE = 0.15  # 6·N·D against a lab's reported training compute


@pytest.fixture(scope="module")
def kb() -> TreeRecords:
    tree = validate_tree(SEEDS)
    assert tree.ok, "\n".join(map(str, tree.problems))
    return tree_records(tree)


def test_coverage(kb: TreeRecords) -> None:
    """Breadth and evaluations as the knowledge base promises them (docs/CONTRIBUTING-DATA.md,
    Coverage): at least 300 models in 30 families from 25 labs, 2019 to 2025, and a lab-reported
    evaluation on at least 85% of the models."""
    models = list(kb.models.values())
    years = {int(m["release_date"][:4]) for m in models if m["release_date"]}
    assert len(models) >= 300
    assert len(kb.families) >= 30
    assert len({m["organization"] for m in models}) >= 25
    assert min(years) <= 2019 and max(years) >= 2025
    evaluated = [m["slug"] for m in models if m["evaluations"]]
    assert len(evaluated) >= 0.85 * len(models), f"{len(evaluated)} of {len(models)} evaluated"


REQUIRED = [
    # The seed story of scaling, then the closed frontier and the open-weight families.
    "gpt-2-1.5b",
    "gpt-3-175b",
    "gopher-280b",
    "chinchilla-70b",
    "palm-540b",
    "gpt-4",
    "gpt-4o",
    "o1",
    "o3",
    "claude-3-opus",
    "claude-3.5-sonnet",
    "gemini-1.0-ultra",
    "gemini-1.5-pro",
    "gemini-2.5-pro",
    "llama-1-65b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3.1-405b",
    "llama-3.2-11b-vision",
    "llama-3.3-70b-instruct",
    "llama-4-scout-17b-16e",
    "llama-4-maverick-17b-128e",
    "mistral-7b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "mistral-nemo-12b",
    "mistral-large-2",
    "deepseek-v2",
    "deepseek-v3",
    "deepseek-r1",
    "deepseek-r1-distill-llama-8b",
    "qwen2-72b",
    "qwen2.5-72b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "gemma-7b",
    "gemma-2-27b",
    "gemma-3-27b-pt",
    "phi-4",
    "falcon-180b",
    "grok-1",
    "olmo-2-7b",
    "pythia-12b",
]


def test_the_models_people_compare_are_there(kb: TreeRecords) -> None:
    missing = [slug for slug in REQUIRED if slug not in kb.models]
    assert not missing


@pytest.mark.parametrize(
    ("slug", "field", "value"),
    [
        # docs/SCIENCE.md §1, from the labs' papers and model cards.
        ("gpt-3-175b", "total_params", 175e9),
        ("gpt-3-175b", "training_tokens", 300e9),
        ("gpt-3-175b", "training_flops", 3.14e23),
        ("gpt-3-175b", "context_length", 2048),
        ("gopher-280b", "total_params", 280e9),
        ("gopher-280b", "training_tokens", 300e9),
        ("chinchilla-70b", "total_params", 70e9),
        ("chinchilla-70b", "training_tokens", 1.4e12),
        # Exact checkpoint counts where the config is public (the lab's rounding is in the note).
        ("mixtral-8x7b", "total_params", 46_702_792_704),
        ("mixtral-8x7b", "active_params", 12_879_925_248),
        ("llama-2-7b", "total_params", 6_738_415_616),
        ("qwen2-7b", "total_params", 7_615_616_512),
        ("llama-3.1-8b", "total_params", 8_030_261_248),
        ("mixtral-8x7b", "context_length", 32768),
        ("deepseek-v3", "total_params", 671_026_404_352),
        ("deepseek-v3", "active_params", 37e9),
        ("deepseek-v3", "training_tokens", 14.8e12),
        ("llama-3.1-405b", "training_flops", 3.8e25),
    ],
)
def test_published_values(kb: TreeRecords, slug: str, field: str, value: float) -> None:
    assert kb.models[slug][field] == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize(
    ("slug", "tokens_per_param"),
    [("gpt-3-175b", 1.7), ("gopher-280b", 1.1), ("chinchilla-70b", 20)],
)
def test_derived_tokens_per_parameter(kb: TreeRecords, slug: str, tokens_per_param: float) -> None:
    assert kb.models[slug]["tokens_per_param"] == pytest.approx(tokens_per_param, abs=0.05)


def test_licences_and_openness(kb: TreeRecords) -> None:
    assert kb.models["mixtral-8x7b"]["license"] == "Apache-2.0"
    assert kb.models["mixtral-8x7b"]["openness"] == "open-weights-permissive"
    assert kb.models["llama-3.1-405b"]["openness"] == "open-weights-restricted"
    for slug in ("olmo-2-7b", "pythia-12b"):
        assert kb.models[slug]["openness"] == "open-source"
    for slug in ("gpt-4", "claude-3-opus", "gemini-1.5-pro"):
        assert (kb.models[slug]["access"], kb.models[slug]["openness"]) == ("api", "closed")


def test_frontier_secrets_are_undisclosed_not_guessed(kb: TreeRecords) -> None:
    for slug in ("gpt-4", "gpt-4o", "claude-3-opus", "gemini-1.5-pro"):
        model = kb.models[slug]
        assert model["total_params"] is None
        assert model["claims"]["total_params"][2] is True, f"{slug}: total_params not undisclosed"


def test_lineage(kb: TreeRecords) -> None:
    def parents(slug: str) -> set[tuple[str, str]]:
        return {(parent, relation) for parent, relation, _ in kb.models[slug]["lineage"]}

    assert ("deepseek-v3-base", "rl-reasoning") in parents("deepseek-r1")
    assert ("llama-3.1-8b", "distilled") in parents("deepseek-r1-distill-llama-8b")
    chat_with_base = [m for m in kb.models.values() if m["stage"] != "base" and m["lineage"]]
    assert len(chat_with_base) >= 30


def test_evaluations(kb: TreeRecords) -> None:
    evaluated = [m for m in kb.models.values() if m["evaluations"]]
    assert len(evaluated) >= 30
    benchmarks = Counter(row[0] for m in evaluated for row in m["evaluations"])
    assert benchmarks["mmlu"] >= 30 and benchmarks["gsm8k"] >= 15
    shots = {row[2] for m in evaluated for row in m["evaluations"] if row[0] == "mmlu"}
    assert {0, 5} <= shots  # zero-shot and few-shot, for the in-context learning page


def _arch_note(model: dict[str, Any]) -> str | None:
    claim = model["claims"].get("arch")
    return claim[3] if claim else None


def _with_architecture(kb: TreeRecords) -> list[dict[str, Any]]:
    return [m for m in kb.models.values() if architecture_of(m) is not None]


def test_parameter_counts_agree_with_published_totals(kb: TreeRecords) -> None:
    checked, unexplained = 0, []
    for model in _with_architecture(kb):
        arch = architecture_of(model)
        assert arch is not None
        count = count_params(arch)
        for field, counted in (("total_params", count.total), ("active_params", count.active)):
            published = model[field]
            if published is None:
                continue
            checked += 1
            if abs(counted - published) / published > PARAM_TOLERANCE and not _arch_note(model):
                unexplained.append(
                    f"{model['slug']} {field}: counted {counted:,}, published {published:,}"
                )
    assert checked >= 60
    assert not unexplained


def test_public_configs_give_exact_counts(kb: TreeRecords) -> None:
    """Where the config is public, total_params (and an MoE's active_params) is the calculator's
    exact count, or a note says why not (docs/CONTRIBUTING-DATA.md, "Exact sizes")."""
    checked, unexplained = 0, []
    for model in _with_architecture(kb):
        if not public_config(model["claims"]["arch"][0]):
            continue
        count = count_params(architecture_of(model))  # type: ignore[arg-type]
        total_claim = model["claims"].get("total_params")
        if model["total_params"] is not None and total_claim is not None:
            checked += 1
            explained = bool(total_claim[3])
            lm_only = (
                model["total_params_includes"] and model["language_model_params"] == count.total
            )
            if model["total_params"] != count.total and not (explained or lm_only):
                unexplained.append(
                    f"{model['slug']} total {model['total_params']:,} vs {count.total:,}"
                )
        active_claim = model["claims"].get("active_params")
        if model["architecture"] == "moe" and active_claim and model["active_params"]:
            checked += 1
            if model["active_params"] != count.active and not (
                active_claim[3] or _arch_note(model)
            ):
                unexplained.append(
                    f"{model['slug']} active {model['active_params']:,} vs {count.active:,}"
                )
    assert checked >= 100
    assert not unexplained


def test_exact_counts_keep_the_labs_rounded_figure(kb: TreeRecords) -> None:
    llama = kb.models["llama-2-7b"]
    assert "7B" in llama["name"] and "rounded figure is 7B" in llama["claims"]["total_params"][3]
    assert "7.07B" in kb.models["qwen2-7b"]["claims"]["total_params"][3]


def test_mixtral_counts_exactly_as_published(kb: TreeRecords) -> None:
    arch = architecture_of(kb.models["mixtral-8x7b"])
    assert arch is not None
    count = count_params(arch)
    assert count.total == pytest.approx(46.7e9, rel=0.002)
    assert count.active == pytest.approx(12.9e9, rel=0.005)


def test_reported_compute_agrees_with_6nd(kb: TreeRecords) -> None:
    unexplained = []
    for model in kb.models.values():
        claim = model["claims"].get("training_flops")
        if not claim or claim[1] == "derived" or not model["active_params"]:
            continue
        if not model["training_tokens"]:
            continue
        estimate = training_flops(float(model["active_params"]), float(model["training_tokens"]))
        gap = abs(estimate - model["training_flops"]) / model["training_flops"]
        if gap > COMPUTE_TOLERANCE and not (claim[3] or model["notes"]):
            unexplained.append(
                f"{model['slug']}: 6ND {estimate:.3g} vs {model['training_flops']:.3g}"
            )
    assert not unexplained


def test_numbers_carry_sources(kb: TreeRecords) -> None:
    for model in kb.models.values():
        for field, (url, confidence, undisclosed, *_) in model["claims"].items():
            if confidence != "derived" and not undisclosed:
                assert url and url.startswith(("https://", "http://")), (model["slug"], field)


def test_seed_database_and_calculator_name_the_architecture_alike() -> None:
    import dataclasses

    from registry.calc import Architecture
    from registry.models import ModelArchitecture
    from registry.seeds.schema import ArchitectureSpec

    calculator = {f.name for f in dataclasses.fields(Architecture)}
    top_level = {"experts", "experts_per_token", "shared_experts"}  # model fields, not arch keys
    assert set(ArchitectureSpec.model_fields) - {"source", "note"} == calculator - top_level
    assert set(ModelArchitecture.model_fields) == calculator - top_level


def test_the_project_seeds_load_on_both_databases(engine: Engine) -> None:
    """PostgreSQL enforces column lengths and types that SQLite lets pass: load the real seeds."""
    from registry.seeds.load import load_records, read_records

    tree = validate_tree(SEEDS)
    records = tree_records(tree)
    changes = load_records(engine, records)
    assert len(changes.models.added) == len(records.models)
    with engine.connect() as connection:
        assert read_records(connection) == records
    assert load_records(engine, records).empty
