"""Each validation rule, fed a broken seed: the message, its field path and its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from seed_cases import DEMO, HOSTILE_CASES, ORGS

from registry.seeds.validate import validate_tree

FUTURE = (dt.date.today() + dt.timedelta(days=400)).isoformat()


def edit(tree: Path, file: str, old: str, new: str) -> int | None:
    """Replace ``old`` by ``new`` in a seed file; return the number of the first line it changed."""
    path = tree / file
    text = path.read_text()
    assert old in text, f"test set-up: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    first = text[: text.index(old)].count("\n") + 1
    old_lines = old.splitlines()
    for offset, line in enumerate(new.splitlines()):
        if line.strip() and line not in old_lines:
            return first + offset
    return None


def line_of(tree: Path, file: str, needle: str) -> int:
    for number, line in enumerate((tree / file).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {file}")


CASES = [
    # (id, file, old, new, field path, message fragment)
    ("yaml-syntax", DEMO, "  name: Demo\n", "  name: [Demo\n", "(yaml)", "YAML syntax error"),
    (
        "unknown-key",
        DEMO,
        "    total_params: 6.74B\n    training_tokens: 2T",
        "    total_params: 6.74B\n    total_param: 7B\n    training_tokens: 2T",
        "models[0].total_param",
        "unknown key 'total_param' (did you mean 'total_params'?)",
    ),
    (
        "derived-typed-in",
        DEMO,
        "    training_tokens: 3T\n",
        "    training_tokens: 3T\n    tokens_per_param: 2500\n",
        "models[3].tokens_per_param",
        "derived as training_tokens / active_params, never typed in",
    ),
    (
        "wrong-type",
        DEMO,
        "    reasoning: true",
        "    reasoning: very",
        "models[4].reasoning",
        "valid boolean, unable to interpret input; got 'very'",
    ),
    (
        "bad-number",
        DEMO,
        "    total_params: 1.2B",
        "    total_params: 1.2X",
        "models[3].total_params",
        "expected a count such as 46.7B",
    ),
    (
        "fractional-count",
        DEMO,
        "    experts: 8",
        "    experts: 7.5",
        "models[2].experts",
        "expected a whole number; got 7.5",
    ),
    (
        "bad-date",
        DEMO,
        "    release_date: 2024-05-02",
        "    release_date: 2024-13-02",
        "models[3].release_date",
        "expected a date as YYYY-MM-DD, YYYY-MM or YYYY; got '2024-13-02'",
    ),
    (
        "closed-set",
        DEMO,
        "    access: both",
        "    access: weights",
        "models[2].access",
        "Input should be 'api', 'open-weights', 'both' or 'unreleased'; got 'weights'",
    ),
    (
        "modality",
        DEMO,
        "    input_modalities: [text, image]",
        "    input_modalities: [text, smell]",
        "models[2].input_modalities[1]",
        "got 'smell'",
    ),
    (
        "zero-count",
        DEMO,
        "    context_length: 4096",
        "    context_length: 0",
        "models[0].context_length",
        "expected a count greater than zero; got 0",
    ),
    (
        "negative-count",
        DEMO,
        "    total_params: 6.9B",
        "    total_params: -6.9B",
        "models[2].total_params",
        "expected a count such as 46.7B",
    ),
    (
        "moe-without-experts",
        DEMO,
        "    experts: 8\n",
        "",
        "models[2].experts",
        "an MoE model needs experts",
    ),
    (
        "moe-without-top-k",
        DEMO,
        "    experts_per_token: 2\n",
        "",
        "models[2].experts_per_token",
        "an MoE model needs experts_per_token",
    ),
    (
        "moe-without-active",
        DEMO,
        "    active_params: 1.9B\n",
        "",
        "models[2].active_params",
        "an MoE model needs active_params",
    ),
    (
        "active-over-total",
        DEMO,
        "    active_params: 1.9B",
        "    active_params: 9.9B",
        "models[2].active_params",
        "active_params (9,900,000,000) exceeds total_params (6,900,000,000)",
    ),
    (
        "top-k-over-experts",
        DEMO,
        "    experts_per_token: 2",
        "    experts_per_token: 9",
        "models[2].experts_per_token",
        "experts_per_token (9) exceeds experts (8)",
    ),
    (
        "dense-active-differs",
        DEMO,
        "    total_params: 1.2B",
        "    total_params: 1.2B\n    active_params: 1B",
        "models[3].active_params",
        "a dense model's active_params (1,000,000,000) must equal its total",
    ),
    (
        "open-source-without-data",
        DEMO,
        "    training_data_released: true\n",
        "",
        "models[3].openness",
        "set training_data_released: true",
    ),
    (
        "api-with-open-licence",
        DEMO,
        "    openness: closed\n",
        "    openness: closed\n    license: Apache-2.0\n",
        "models[4].license",
        "releases no weights, yet the licence is the open-weights licence 'Apache-2.0'",
    ),
    (
        "api-with-open-openness",
        DEMO,
        "    openness: closed\n",
        "    openness: open-weights-permissive\n",
        "models[4].openness",
        "openness must be 'closed'",
    ),
    (
        "future-release",
        DEMO,
        "    release_date: 2025-01-15",
        f"    release_date: {FUTURE}",
        "models[4].release_date",
        "is in the future",
    ),
    (
        "non-http-source",
        DEMO,
        "  card: https://huggingface.co/acme/demo-8x1b",
        "  card: ftp://acme.example.org/card",
        "sources.card",
        "a source must be an http(s) URL; got 'ftp://acme.example.org/card'",
    ),
    (
        "unknown-source",
        DEMO,
        "    source: card\n",
        "    source: cart\n",
        "models[2].source",
        "unknown source 'cart' (did you mean 'card'?)",
    ),
    (
        "claim-without-source",
        DEMO,
        "    source: paper\n    release_date: 2024-05-02",
        "    release_date: 2024-05-02",
        "models[3].total_params",
        "total_params = 1200000000 has no source",
    ),
    (
        "unknown-organization",
        DEMO,
        "    organization: zeta",
        "    organization: zetaa",
        "models[4].organization",
        "unknown organization 'zetaa' (did you mean 'zeta'?)",
    ),
    (
        "unknown-family-organization",
        DEMO,
        "  organization: acme",
        "  organization: acne",
        "family.organization",
        "unknown organization 'acne'",
    ),
    (
        "unknown-parent",
        DEMO,
        "      - {model: demo-7b, relation: instruction-tuned}",
        "      - {model: demo-7x, relation: instruction-tuned}",
        "models[1].derived_from[0].model",
        "unknown model 'demo-7x'",
    ),
    (
        "bad-relation",
        DEMO,
        "relation: instruction-tuned}",
        "relation: fine-tuned}",
        "models[1].derived_from[0].relation",
        "got 'fine-tuned'",
    ),
    (
        "duplicate-slug-in-file",
        DEMO,
        "  - slug: demo-open",
        "  - slug: demo-7b",
        "models[3].slug",
        "duplicate model slug 'demo-7b'; first defined at",
    ),
    (
        "missing-required",
        DEMO,
        "    stage: chat\n    derived_from",
        "    derived_from",
        "models[1].stage",
        "required field is missing",
    ),
    (
        "percent-score",
        DEMO,
        "score: 45.3",
        "score: 453",
        "models[0].evaluations[0].score",
        "scores are percentages from 0 to 100; got 453",
    ),
    (
        "file-name",
        DEMO,
        "  slug: demo\n",
        "  slug: demos\n",
        "family.slug",
        "must live in families/demos.yaml",
    ),
    (
        "duplicate-organization",
        ORGS,
        "  - slug: zeta",
        "  - slug: acme",
        "organizations[1].slug",
        "duplicate organization slug 'acme'",
    ),
    *HOSTILE_CASES,
]


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_rule_reports_field_line_and_message(
    seed_tree: Path, file: str, old: str, new: str, field: str, fragment: str
) -> None:
    expected_line = edit(seed_tree, file, old, new)
    tree = validate_tree(seed_tree)
    assert not tree.ok
    matching = [p for p in tree.problems if p.field == field and fragment in p.message]
    assert matching, "\n".join(map(str, tree.problems))
    problem = matching[0]
    assert problem.path.endswith(file)
    if expected_line is not None and field not in ("(yaml)",):
        assert problem.line == expected_line, str(problem)
    elif expected_line is not None and fragment != "YAML syntax error":
        # A refused YAML construct is reported on a line the edit wrote.
        assert expected_line <= problem.line <= expected_line + new.count("\n"), str(problem)
    assert len(str(problem)) < 600  # never an echo of a long or expanded value
    assert str(problem).startswith(f"{problem.path}:{problem.line}:{problem.column}: {field}: ")


def test_yaml_syntax_error_points_at_the_broken_line(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "    license: MIT\n", "    license: MIT\n  bad indent: [\n")
    (problem,) = validate_tree(seed_tree).problems
    assert problem.field == "(yaml)"
    assert (
        line_of(seed_tree, DEMO, "license: MIT")
        < problem.line
        <= line_of(seed_tree, DEMO, "bad indent") + 1
    )


def test_lineage_cycle_is_reported_with_its_path(seed_tree: Path) -> None:
    edit(
        seed_tree,
        DEMO,
        "    stage: base\n    arch:",
        "    stage: base\n    derived_from:\n      - {model: demo-7b-chat, relation: distilled}\n    arch:",
    )
    problems = validate_tree(seed_tree).problems
    cycles = [p for p in problems if "lineage cycle" in p.message]
    assert cycles, problems
    assert (
        "demo-7b → demo-7b-chat → demo-7b" in cycles[0].message
        or "demo-7b-chat → demo-7b → demo-7b-chat" in cycles[0].message
    )


def test_duplicate_slug_across_files_names_the_first_place(seed_tree: Path) -> None:
    other = (seed_tree / DEMO).read_text().replace("slug: demo\n", "slug: other\n", 1)
    (seed_tree / "families" / "other.yaml").write_text(other)
    problems = validate_tree(seed_tree).problems
    duplicates = [p for p in problems if "duplicate model slug 'demo-7b'" in p.message]
    assert len(duplicates) == 1
    assert duplicates[0].path.endswith("families/other.yaml")
    assert "families/demo.yaml:9" in duplicates[0].message


def test_every_problem_is_reported_at_once(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "    access: both", "    access: weights")
    edit(seed_tree, DEMO, "    total_params: 1.2B", "    total_params: 1.2X")
    edit(seed_tree, ORGS, "    name: Zeta Research", "    name: Zeta Research\n    founded: 2020")
    fields = {p.field for p in validate_tree(seed_tree).problems}
    assert {"models[2].access", "models[3].total_params", "organizations[1].founded"} <= fields


def test_undisclosed_is_accepted_without_a_source(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "    source: https://acme.example.org/news/demo-api\n", "")
    edit(seed_tree, DEMO, "    context_length: 200000\n    max_output_tokens: 8192\n", "")
    edit(seed_tree, DEMO, "    release_date: 2025-01-15\n", "")
    assert validate_tree(seed_tree).ok


def test_the_project_seeds_validate() -> None:
    tree = validate_tree(Path(__file__).parents[2] / "seeds")
    assert tree.ok, "\n".join(map(str, tree.problems))
