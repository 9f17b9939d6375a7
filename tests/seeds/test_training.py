"""One rule for derived training figures, pinned sources, and exact counts written into seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.services.exact_sizes import apply_exact, exact_counts
from registry.store import queries

DEMO = "families/demo.yaml"
CHAT = """    total_params: 6.74B
    stage: chat
"""


def edit(tree: Path, old: str, new: str) -> None:
    path = tree / DEMO
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def records(tree: Path):  # type: ignore[no-untyped-def]
    found = validate_tree(tree)
    assert found.ok, found.problems
    return tree_records(found)


def test_a_fine_tune_inherits_its_parents_tokens_plus_its_own(seed_tree: Path) -> None:
    edit(seed_tree, CHAT, CHAT + "    inherits_training: true\n    fine_tuning_tokens: 20B\n")
    chat = records(seed_tree).models["demo-7b-chat"]
    assert chat["training_tokens"] == 2_000_000_000_000 + 20_000_000_000
    assert chat["tokens_per_param"] == pytest.approx(2.02e12 / 6.74e9)
    assert chat["training_flops"] == pytest.approx(6 * 6.74e9 * 2.02e12)
    url, confidence, undisclosed, note, *_ = chat["claims"]["training_tokens"]
    assert (url, confidence, undisclosed) == ("https://arxiv.org/abs/2401.00001", "derived", False)
    assert "pretraining tokens of demo-7b" in note and "20,000,000,000 fine-tuning" in note


def test_inherited_tokens_follow_a_chain_of_parents(seed_tree: Path) -> None:
    edit(seed_tree, CHAT, CHAT + "    inherits_training: true\n")
    text = (seed_tree / DEMO).read_text()
    grandchild = text[text.index("  - slug: demo-7b-chat") : text.index("  - slug: demo-8x1b")]
    grandchild = grandchild.replace("demo-7b-chat", "demo-7b-chat-v2").replace(
        "{model: demo-7b,", "{model: demo-7b-chat,"
    )
    (seed_tree / DEMO).write_text(
        text.replace("  - slug: demo-8x1b", grandchild + "  - slug: demo-8x1b")
    )
    assert records(seed_tree).models["demo-7b-chat-v2"]["training_tokens"] == 2e12


@pytest.mark.parametrize(
    ("added", "field", "message"),
    [
        (
            "    inherits_training: true\n    training_tokens: 2T\n",
            "training_tokens",
            "are derived",
        ),
        ("    fine_tuning_tokens: 1B\n", "fine_tuning_tokens", "set inherits_training: true"),
        (
            "    total_params_includes: [vision-encoder]\n",
            "language_model_params",
            "give language_model_params",
        ),
        ("    language_model_params: 6B\n", "total_params_includes", "only needed when"),
    ],
)
def test_training_rules(seed_tree: Path, added: str, field: str, message: str) -> None:
    edit(seed_tree, CHAT, CHAT + added)
    (problem,) = validate_tree(seed_tree).problems
    assert problem.field == f"models[1].{field}" and message in problem.message


def test_a_total_with_an_encoder_uses_the_language_models_count(seed_tree: Path) -> None:
    edit(
        seed_tree,
        "    total_params: 6.74B\n    training_tokens: 2T\n",
        "    total_params: 7.2B\n    total_params_includes: [vision-encoder]\n"
        "    language_model_params: 6.74B\n    training_tokens: 2T\n",
    )
    model = records(seed_tree).models["demo-7b"]
    assert model["total_params"] == 7_200_000_000
    assert model["tokens_per_param"] == pytest.approx(2e12 / 6.74e9)
    assert model["training_flops"] == pytest.approx(6 * 6.74e9 * 2e12)
    assert "language_model_params" in model["claims"]["tokens_per_param"][3]


def test_pinned_sources_reach_the_public_json(engine: Engine, seed_tree: Path) -> None:
    edit(
        seed_tree,
        "  paper: https://arxiv.org/abs/2401.00001\n",
        "  paper:\n    url: https://arxiv.org/abs/2401.00001\n    version: v2\n"
        '    quote: "trained on 2T tokens"\n',
    )
    edit(
        seed_tree,
        "    training_tokens: 2T\n",
        '    training_tokens: {value: 2T, quote: "2 trillion tokens"}\n',
    )
    load_records(engine, records(seed_tree))
    with Session(engine) as session:
        (model,) = queries.models_by_slug(session, slugs=["demo-7b"])
    sources = {s["field"]: s for s in model.model_dump(mode="json")["sources"]}
    tokens, total = sources["training_tokens"], sources["total_params"]
    assert (tokens["url"], tokens["version"]) == ("https://arxiv.org/abs/2401.00001", "v2")
    assert tokens["quote"] == "2 trillion tokens"  # the claim's own quote wins
    assert (total["version"], total["quote"]) == ("v2", "trained on 2T tokens")  # the source's


def test_exact_counts_replace_rounded_figures_and_keep_them_in_the_note(seed_tree: Path) -> None:
    edit(
        seed_tree,
        "  card: https://huggingface.co/acme/demo-8x1b\n",
        "  card: https://huggingface.co/acme/demo-8x1b\n  config: https://huggingface.co/acme/demo-7b/blob/main/config.json\n",
    )
    edit(
        seed_tree,
        "    arch:\n      layers: 32\n",
        "    arch:\n      source: config\n      layers: 32\n",
    )
    tree = validate_tree(seed_tree)
    content = next(f.content for f in tree.families)
    (change,) = [c for _, c, _ in exact_counts(content) if c.slug == "demo-7b"]
    assert (change.field, change.old, change.new) == ("total_params", 6_740_000_000, 6_738_415_616)
    path = seed_tree / DEMO
    path.write_text(apply_exact(path.read_text(), exact_counts(content)))
    model = records(seed_tree).models["demo-7b"]
    assert model["total_params"] == 6_738_415_616
    url, confidence, _, note, *_ = model["claims"]["total_params"]
    assert url.endswith("config.json") and confidence == "derived"
    assert "rounded figure is 6.74B (paper)" in note
    assert not exact_counts(next(f.content for f in validate_tree(seed_tree).families))
