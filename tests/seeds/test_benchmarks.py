"""The benchmark vocabulary: unknown names, the vocabulary's own rules, and the in-place migration."""

from __future__ import annotations

from pathlib import Path

from registry.seeds.benchmarks import Vocabulary
from registry.seeds.migrate_benchmarks import GPQA_UNSTATED, migrate_text
from registry.seeds.records import tree_records
from registry.seeds.schema import BenchmarksFile
from registry.seeds.validate import validate_tree

SEEDS = Path(__file__).parents[2] / "seeds"
DEMO = "families/demo.yaml"


def edit(tree: Path, file: str, old: str, new: str) -> None:
    path = tree / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def problems(tree: Path) -> list[str]:
    return [str(p) for p in validate_tree(tree).problems]


def test_a_free_text_name_gets_the_slug_it_stands_for(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "{benchmark: mmlu, score: 45.3", "{benchmark: MMLU, score: 45.3")
    (problem,) = problems(seed_tree)
    assert f"{DEMO}:31:21: models[0].evaluations[0].benchmark: " in problem
    assert "unknown benchmark 'MMLU'" in problem and "did you mean 'mmlu'?" in problem


def test_an_unknown_benchmark_gets_the_closest_slug(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "{benchmark: mmlu, score: 45.3", "{benchmark: mmlx, score: 45.3")
    (problem,) = problems(seed_tree)
    assert "unknown benchmark 'mmlx' (did you mean 'mmlu'?)" in problem


def test_a_tree_without_a_vocabulary_names_the_missing_file(seed_tree: Path) -> None:
    (seed_tree / "benchmarks.yaml").unlink()
    found = problems(seed_tree)
    assert found and all("has no benchmarks.yaml" in p for p in found)


def test_a_name_may_stand_for_one_benchmark_only(seed_tree: Path) -> None:
    edit(seed_tree, "benchmarks.yaml", "name: GSM8K,", "name: GSM8K, aliases: [MMLU],")
    (problem,) = problems(seed_tree)
    assert "benchmarks[1].aliases[0]: 'MMLU' already names the benchmark 'mmlu'" in problem


def test_scores_beyond_the_unit_and_duplicates(seed_tree: Path) -> None:
    edit(
        seed_tree,
        DEMO,
        "{benchmark: mmlu, score: 45.3, shots: 5, source: paper}",
        "{benchmark: mmlu, score: 145.3, shots: 5, source: paper}\n"
        "      - {benchmark: mmlu, score: 45.3, metric: accuracy, shots: 5, source: paper}",
    )
    found = problems(seed_tree)
    assert any("evaluations[0].score: mmlu scores are percentages" in p for p in found)
    assert any("duplicate evaluation of mmlu (accuracy, 5-shot)" in p for p in found)


def test_an_evaluation_takes_its_benchmarks_metric(seed_tree: Path) -> None:
    edit(seed_tree, DEMO, "{benchmark: mmlu, score: 45.3", "{benchmark: humaneval, score: 45.3")
    tree = validate_tree(seed_tree)
    assert tree.ok, tree.problems
    records = tree_records(tree)
    (row,) = records.models["demo-7b"]["evaluations"]
    assert row[:2] == ["humaneval", "pass@1"]
    assert records.benchmarks["humaneval"]["metric"] == "pass@1"


VOCABULARY = Vocabulary.of(
    BenchmarksFile.model_validate(
        {
            "benchmarks": [
                {
                    "slug": "gpqa-diamond",
                    "name": "GPQA Diamond",
                    "metric": "accuracy",
                    "homepage": "https://arxiv.org/abs/2311.12022",
                    "aliases": ["GPQA-Diamond"],
                },
                {
                    "slug": "gpqa",
                    "name": "GPQA",
                    "metric": "accuracy",
                    "homepage": "https://arxiv.org/abs/2311.12022",
                },
                {
                    "slug": "bbh",
                    "name": "BIG-Bench Hard",
                    "metric": "accuracy",
                    "homepage": "https://arxiv.org/abs/2210.09261",
                    "aliases": ["BBH"],
                },
                {
                    "slug": "livecodebench",
                    "name": "LiveCodeBench",
                    "metric": "pass@1",
                    "homepage": "https://arxiv.org/abs/2403.07974",
                },
            ]
        }
    )
)

BEFORE = """\
# a comment that stays
models:
  - slug: a
    evaluations:
      - {benchmark: GPQA Diamond, score: 1, shots: 0, source: s}   # trailing comment
      - {benchmark: GPQA-Diamond, score: 2, shots: 0, source: s}
      - {benchmark: GPQA, score: 3, shots: 0, source: s, note: "Diamond set, 198 questions"}
      - {benchmark: GPQA, score: 4, shots: 5, source: s, note: main set}
      - {benchmark: GPQA, score: 5, shots: 0,
         source: s}
      - benchmark: LiveCodeBench v5
        score: 6
        shots: 0
        source: s
      - benchmark: LiveCodeBench v6
        score: 7
        note: >-
          thinking
          mode
        shots: 0
      - {benchmark: BBH, score: 8, shots: 3, source: s}
      - {benchmark: Nonesuch, score: 9, shots: 3, source: s}
      - {benchmark: bbh, score: 10, shots: 0, source: s}
"""


def test_migration_rewrites_names_in_place_and_keeps_the_layout() -> None:
    after, renames = migrate_text(BEFORE, VOCABULARY)
    lines = after.splitlines()
    assert lines[0] == "# a comment that stays"
    assert lines[4] == (
        "      - {benchmark: gpqa-diamond, score: 1, shots: 0, source: s}   # trailing comment"
    )
    assert "{benchmark: gpqa-diamond, score: 2" in lines[5]
    assert "{benchmark: gpqa-diamond, score: 3" in lines[6]  # the note names the set
    assert "{benchmark: gpqa, score: 4" in lines[7]
    assert lines[8] == f'      - {{benchmark: gpqa, note: "{GPQA_UNSTATED}", score: 5, shots: 0,'
    assert lines[9] == "         source: s}"
    assert lines[10:12] == ["      - benchmark: livecodebench", '        note: "version v5"']
    assert lines[15:19] == [
        "      - benchmark: livecodebench",
        "        score: 7",
        '        note: "version v6; thinking mode"',
        "        shots: 0",
    ]
    assert "{benchmark: bbh, score: 8" in after
    assert "{benchmark: Nonesuch, score: 9" in after  # unknown: left for a person
    assert [r.slug for r in renames].count(None) == 1
    assert len(renames) == 9  # the slug already written is not a rename


def test_migration_is_idempotent() -> None:
    once, _ = migrate_text(BEFORE, VOCABULARY)
    twice, renames = migrate_text(once, VOCABULARY)
    assert twice == once
    assert [r.name for r in renames] == ["Nonesuch"]


def test_the_project_seeds_name_only_known_slugs() -> None:
    vocabulary = Vocabulary.of(validate_tree(SEEDS).benchmarks)
    for path in sorted((SEEDS / "families").glob("*.yaml")):
        text = path.read_text()
        assert migrate_text(text, vocabulary)[0] == text, path.name
