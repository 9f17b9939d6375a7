"""The benchmark vocabulary (``seeds/benchmarks.yaml``) and the rules evaluations obey with it.

Evaluations name a benchmark by slug; a name that is not a slug gets a did-you-mean that also knows
the free-text names older seeds used (``aliases``). An evaluation without a metric takes the
benchmark's, so charts split by (benchmark, metric) never mix metrics (docs/CONTRIBUTING-DATA.md).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from registry.seeds.rules import url_problem
from registry.seeds.schema import BenchmarkSeed, BenchmarksFile, EvaluationSeed, FamilyFile
from registry.seeds.yamlio import Problem, YamlDocument

BENCHMARKS_FILE = "benchmarks.yaml"
PERCENT_CEILING = 100.0
# 'LiveCodeBench v5' is LiveCodeBench with its version in the note.
VERSION_SUFFIX = re.compile(r"^(?P<name>.+?)[\s_-]+(?P<version>v\d+(?:\.\d+)*)$", re.IGNORECASE)


def _key(text: str) -> str:
    """Names compared without case, spaces or punctuation: 'GPQA-Diamond' ~ 'gpqa diamond'
    ('+' counts: HumanEval+ is not HumanEval)."""
    return re.sub(r"[^\w+]+|_", "", text.casefold())


@dataclass
class Vocabulary:
    """The benchmarks of a tree by slug, and every name or alias that points at one."""

    benchmarks: dict[str, BenchmarkSeed] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # _key(name or alias) -> slug

    @classmethod
    def of(cls, content: BenchmarksFile | None) -> Vocabulary:
        vocabulary = cls()
        for benchmark in content.benchmarks if content else []:
            vocabulary.benchmarks.setdefault(benchmark.slug, benchmark)
            for name in (benchmark.slug, benchmark.name, *benchmark.aliases):
                vocabulary.names.setdefault(_key(name), benchmark.slug)
        return vocabulary

    def slug_for(self, text: str) -> tuple[str, str | None] | None:
        """The slug a slug, name or alias stands for, and the version a suffix named (or None)."""
        if text in self.benchmarks:
            return text, None
        if (slug := self.names.get(_key(text))) is not None:
            return slug, None
        match = VERSION_SUFFIX.match(text.strip())
        if match and (slug := self.names.get(_key(match["name"]))) is not None:
            return slug, match["version"]
        return None

    def metric(self, evaluation: EvaluationSeed) -> str:
        """The evaluation's metric, else its benchmark's (the benchmark must be known)."""
        return evaluation.metric or self.benchmarks[evaluation.benchmark].metric


def vocabulary_problems(document: YamlDocument, content: BenchmarksFile) -> list[Problem]:
    """Duplicate slugs, a name or alias shared by two benchmarks, bad homepages."""
    found: list[Problem] = []
    slugs: dict[str, int] = {}
    names: dict[str, tuple[str, int]] = {}
    for index, benchmark in enumerate(content.benchmarks):
        at = ("benchmarks", index)
        if benchmark.slug in slugs:
            found.append(
                document.problem(
                    (*at, "slug"),
                    f"duplicate benchmark slug {benchmark.slug!r}; first at "
                    f"benchmarks[{slugs[benchmark.slug]}]",
                )
            )
            continue
        slugs[benchmark.slug] = index
        if (message := url_problem(benchmark.homepage)) is not None:
            found.append(document.problem((*at, "homepage"), message))
        spelled = [("slug", benchmark.slug), ("name", benchmark.name)]
        spelled += [(("aliases", n), alias) for n, alias in enumerate(benchmark.aliases)]
        for where, name in spelled:
            owner = names.get(_key(name))
            if owner is not None and owner[0] != benchmark.slug:
                loc = (*at, *where) if isinstance(where, tuple) else (*at, where)
                found.append(
                    document.problem(
                        loc,
                        f"{name!r} already names the benchmark {owner[0]!r} "
                        f"(benchmarks[{owner[1]}]): a name may stand for one benchmark only",
                    )
                )
            names.setdefault(_key(name), (benchmark.slug, index))
    return found


def evaluation_problems(
    document: YamlDocument, content: FamilyFile, vocabulary: Vocabulary
) -> list[Problem]:
    """Unknown benchmarks (with a did-you-mean), duplicate runs and scores beyond their unit."""
    found: list[Problem] = []
    for index, model in enumerate(content.models):
        seen: dict[tuple[Any, ...], int] = {}
        for number, evaluation in enumerate(model.evaluations):
            at = ("models", index, "evaluations", number)
            benchmark = vocabulary.benchmarks.get(evaluation.benchmark)
            if benchmark is None:
                found.append(
                    document.problem((*at, "benchmark"), _unknown(evaluation.benchmark, vocabulary))
                )
                continue
            metric = vocabulary.metric(evaluation)
            key = (evaluation.benchmark, metric, evaluation.shots, evaluation.chain_of_thought)
            if key in seen:
                found.append(
                    document.problem(
                        at,
                        f"duplicate evaluation of {evaluation.benchmark} ({metric}, "
                        f"{evaluation.shots}-shot) also at evaluations[{seen[key]}]",
                    )
                )
            seen[key] = number
            if benchmark.unit == "percent" and evaluation.score > PERCENT_CEILING:
                found.append(
                    document.problem(
                        (*at, "score"),
                        f"{benchmark.slug} scores are percentages from 0 to 100; "
                        f"got {evaluation.score}",
                    )
                )
    return found


def _unknown(name: str, vocabulary: Vocabulary) -> str:
    if not vocabulary.benchmarks:
        return (
            f"unknown benchmark {name!r}: the seed tree has no {BENCHMARKS_FILE} "
            "listing the benchmarks"
        )
    found = vocabulary.slug_for(name)
    if found is not None:
        slug, version = found
        extra = f" with {version!r} in the note" if version else ""
        return (
            f"unknown benchmark {name!r}: evaluations name benchmarks by slug; did you mean "
            f"{slug!r}{extra}? (`registry migrate-benchmarks` rewrites old names)"
        )
    hint = difflib.get_close_matches(name.casefold(), list(vocabulary.benchmarks), n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    return (
        f"unknown benchmark {name!r}{suggestion}; add it to {BENCHMARKS_FILE} "
        "or use one of its slugs"
    )


def used_benchmarks(families: Iterable[FamilyFile]) -> set[str]:
    return {e.benchmark for content in families for m in content.models for e in m.evaluations}
