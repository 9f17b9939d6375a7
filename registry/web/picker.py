"""Choosing a model by what a person types: a name, part of one, or a slug.

The pickers on ``/compare`` and ``/scaling`` are a text input with a ``<datalist>`` of every model
by name (the browser's own type-ahead: it matches anywhere in the name, without JavaScript), sent
as a plain GET form. The server then resolves what was typed with ``resolve``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from registry.store import queries
from registry.web import datasets

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


@dataclass(frozen=True, kw_only=True)
class Choice:
    """A model as a picker offers it."""

    slug: str
    name: str
    family: str  # the family's name, as the list is grouped


def squash(text: str) -> str:
    """'Meta Llama-3.1 70B' -> 'metallama3170b': case, spaces, dashes and dots ignored."""
    return _NOT_ALNUM.sub("", text.lower())


def natural_key(text: str) -> tuple[object, ...]:
    """Sort key that puts 8B before 70B and Llama 3 before Llama 3.1."""
    parts = _NUMBER.split(text.lower())
    return tuple(float(p) if i % 2 else p for i, p in enumerate(parts))


def choices(session: Session) -> list[Choice]:
    """Every model, grouped by family name, then in natural order of name (cached per revision)."""
    revision = queries.data_revision(session)

    def build() -> list[Choice]:
        families = {f["slug"]: f["name"] for f in queries.list_families(session)}
        every = [
            Choice(slug=slug, name=name, family=families.get(family, family))
            for slug, name, family in queries.model_names(session)
        ]
        return sorted(every, key=lambda c: (natural_key(c.family), natural_key(c.name)))

    return datasets.per_revision(revision, ("picker",), build)


def resolve(text: str, options: list[Choice]) -> str | None:
    """The slug ``text`` names: a slug, a name, or the shortest name containing it; else None.

    Matching ignores case, spaces, dashes and dots ("llama3 70b" finds "Meta Llama 3 70B").
    """
    wanted = text.strip()
    if not wanted:
        return None
    for option in options:
        if wanted == option.slug:
            return option.slug
    key = squash(wanted)
    if not key:
        return None
    exact = [o for o in options if squash(o.name) == key or squash(o.slug) == key]
    if exact:
        return exact[0].slug
    partial = [o for o in options if key in squash(o.name) or key in squash(o.slug)]
    if not partial:
        return None
    return min(partial, key=lambda o: (len(o.name), natural_key(o.name))).slug
