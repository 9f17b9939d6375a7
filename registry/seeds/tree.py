"""A seed tree once read: its organisation files and family files, each with the document its
positions come from, and the problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from registry.seeds.schema import BenchmarksFile, FamilyFile, OrganizationsFile
from registry.seeds.yamlio import Problem, YamlDocument


@dataclass(frozen=True)
class LocatedFamily:
    """A validated family file and the document its positions come from."""

    document: YamlDocument
    content: FamilyFile


@dataclass
class SeedTree:
    """A validated seed tree, or the problems that stop it from being one."""

    root: Path
    organizations: list[tuple[YamlDocument, OrganizationsFile]] = field(default_factory=list)
    families: list[LocatedFamily] = field(default_factory=list)
    benchmarks: BenchmarksFile | None = None  # seeds/benchmarks.yaml, when the tree has one
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def model_count(self) -> int:
        return sum(len(f.content.models) for f in self.families)
