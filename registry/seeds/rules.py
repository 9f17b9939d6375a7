"""Rules a schema cannot express: consistency within a model, sources, references across files."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from registry.models import Access, Openness
from registry.numbers import UNDISCLOSED, quote
from registry.seeds.schema import (
    CLAIM_FIELDS,
    Claim,
    FamilyFile,
    ModelSeed,
    OrganizationsFile,
    SourceSpec,
)
from registry.seeds.tree import LocatedFamily
from registry.seeds.yamlio import Problem, YamlDocument

# Licences that grant open weights: an API-only model cannot carry one (SPDX ids, lower-cased).
OPEN_WEIGHT_LICENCES = {"apache-2.0", "mit", "bsd-3-clause", "cc-by-4.0", "openrail-m", "gpl-3.0"}
MAX_URL_LENGTH = 512  # the source_url columns


Sources = dict[str, str | SourceSpec]


def resolve_source(reference: str, sources: Sources) -> str | None:
    """The URL a source reference names: a key of the file's ``sources``, or a URL itself."""
    if "://" in reference or reference.startswith(("http:", "https:")):
        return reference
    found = sources.get(reference)
    return found.url if isinstance(found, SourceSpec) else found


def source_pin(reference: str | None, sources: Sources) -> tuple[str | None, str | None]:
    """The (version, quote) a named source carries in the file's ``sources`` map."""
    found = sources.get(reference) if reference else None
    return (found.version, found.quote) if isinstance(found, SourceSpec) else (None, None)


def url_problem(url: str, what: str = "a source") -> str | None:
    """Why ``url`` is not a link the pages may show (http or https only), or None."""
    if not url.startswith(("https://", "http://")) or len(url) < 12 or " " in url:
        return f"{what} must be an http(s) URL; got {quote(url)}"
    if len(url) > MAX_URL_LENGTH:
        return f"{what} may hold at most {MAX_URL_LENGTH} characters; got {len(url)}"
    return None


def model_problems(
    document: YamlDocument, content: FamilyFile, index: int, model: ModelSeed
) -> list[Problem]:
    """Every problem of one model that needs nothing outside its file."""
    at = ("models", index)
    found: list[Problem] = []

    def add(loc: Sequence[str | int], message: str) -> None:
        found.append(document.problem((*at, *loc), message))

    if index == 0:
        for key, entry in content.sources.items():
            url = entry.url if isinstance(entry, SourceSpec) else entry
            loc = ("sources", key, "url") if isinstance(entry, SourceSpec) else ("sources", key)
            if (message := url_problem(url)) is not None:
                found.append(document.problem(loc, message))
    _check_sources(model, content.sources, add)
    _check_architecture(model, add)
    _check_release(model, add)
    _check_dates(model, add)
    _check_training(model, add)
    return found


def _value(claim: Claim[Any] | None) -> Any:
    return None if claim is None else claim.value


def _known(claim: Claim[Any] | None) -> Any:
    """The claim's value when it is disclosed, else None."""
    value = _value(claim)
    return None if value == UNDISCLOSED else value


def _check_source_ref(reference: str, sources: Sources, add: Any, loc: tuple[Any, ...]) -> None:
    url = resolve_source(reference, sources)
    if url is None:
        hint = difflib.get_close_matches(reference, list(sources), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        known = ", ".join(sorted(sources)) or "none defined"
        add(loc, f"unknown source {quote(reference)}{suggestion}; the file's sources are: {known}")
    elif (message := url_problem(url)) is not None:
        add(loc, message)


def _check_sources(model: ModelSeed, sources: Sources, add: Any) -> None:
    if model.source is not None:
        _check_source_ref(model.source, sources, add, ("source",))
    for name in CLAIM_FIELDS:
        claim: Claim[Any] | None = getattr(model, name)
        if claim is None:
            continue
        if claim.source is not None:
            _check_source_ref(claim.source, sources, add, (name, "source"))
        elif model.source is None and claim.value != UNDISCLOSED:
            add(
                (name,),
                f"{name} = {claim.value!r} has no source: give the model a `source:` "
                "or write {value: ..., source: ...}",
            )
    if model.arch is not None:
        if model.arch.source is not None:
            _check_source_ref(model.arch.source, sources, add, ("arch", "source"))
        elif model.source is None:
            add(("arch",), "the architecture has no source: give arch or the model a `source:`")
    for number, evaluation in enumerate(model.evaluations):
        _check_source_ref(evaluation.source, sources, add, ("evaluations", number, "source"))


def _check_architecture(model: ModelSeed, add: Any) -> None:
    total, active = _known(model.total_params), _known(model.active_params)
    experts, top_k = _known(model.experts), _known(model.experts_per_token)
    if model.architecture == "moe":
        for name in ("experts", "experts_per_token", "active_params"):
            if getattr(model, name) is None:
                add(
                    (name,),
                    f"an MoE model needs {name} (write 'undisclosed' if the lab did not "
                    "publish it)",
                )
    elif model.architecture == "dense":
        for name in ("experts", "experts_per_token", "shared_experts"):
            if getattr(model, name) is not None:
                add((name,), f"a dense model has no {name}; set architecture: moe if it is one")
        if active is not None and total is not None and active != total:
            add(
                ("active_params",),
                f"a dense model's active_params ({active:,}) must equal its "
                f"total_params ({total:,})",
            )
    if active is not None and total is not None and active > total:
        add(("active_params",), f"active_params ({active:,}) exceeds total_params ({total:,})")
    if experts is not None and top_k is not None and top_k > experts:
        add(("experts_per_token",), f"experts_per_token ({top_k}) exceeds experts ({experts})")
    if model.arch is not None:
        _check_arch_spec(model, add)
    parents = [parent.model for parent in model.derived_from]
    for number, parent in enumerate(parents):
        if parent in parents[:number]:
            add(("derived_from", number, "model"), f"{parent!r} is listed twice as a parent")


def _check_arch_spec(model: ModelSeed, add: Any) -> None:
    arch = model.arch
    assert arch is not None
    if arch.kv_heads is not None and arch.kv_heads > arch.attention_heads:
        add(
            ("arch", "kv_heads"),
            f"kv_heads ({arch.kv_heads}) exceeds attention_heads ({arch.attention_heads})",
        )
    if model.architecture == "moe" and arch.moe_ffn_size is None:
        add(("arch", "moe_ffn_size"), "an MoE architecture needs moe_ffn_size (per expert)")
    if model.architecture == "dense" and arch.ffn_size is None:
        add(("arch", "ffn_size"), "a dense architecture needs ffn_size")


def _check_training(model: ModelSeed, add: Any) -> None:
    """``inherits_training`` derives the tokens from the first parent; the encoder flag needs the
    language model's own count (docs/CONTRIBUTING-DATA.md)."""
    if model.inherits_training:
        if not model.derived_from:
            add(("inherits_training",), "inherits_training needs a parent in derived_from")
        if model.training_tokens is not None:
            add(
                ("training_tokens",),
                "with inherits_training the training tokens are derived (the first parent's "
                "plus fine_tuning_tokens); remove training_tokens or set inherits_training: false",
            )
    elif model.fine_tuning_tokens is not None and model.training_tokens is None:
        add(
            ("fine_tuning_tokens",),
            "fine_tuning_tokens without training_tokens: set inherits_training: true to add "
            "them to the parent's pretraining tokens",
        )
    if model.total_params_includes and model.language_model_params is None:
        add(
            ("language_model_params",),
            "total_params_includes names parts besides the language model: give "
            "language_model_params (the count derived figures use)",
        )
    if model.language_model_params is not None and not model.total_params_includes:
        add(
            ("total_params_includes",),
            "language_model_params is only needed when total_params_includes names what "
            "else the total counts (for example [vision-encoder])",
        )
    lm, total = _known(model.language_model_params), _known(model.total_params)
    if lm is not None and total is not None and lm > total:
        add(
            ("language_model_params",),
            f"language_model_params ({lm:,}) exceeds total_params ({total:,})",
        )


def _check_release(model: ModelSeed, add: Any) -> None:
    if model.openness == Openness.OPEN_SOURCE:
        missing = [
            name
            for name in ("training_data_released", "training_code_released")
            if not getattr(model, name)
        ]
        if missing:
            add(
                ("openness",),
                "open-source means weights, training data and training code are "
                f"released; set {' and '.join(missing)}: true, or use open-weights-*",
            )
    if model.access in (Access.API, Access.UNRELEASED):
        if model.openness != Openness.CLOSED:
            add(
                ("openness",),
                f"access {model.access.value!r} releases no weights, so openness "
                f"must be 'closed'; got {model.openness.value!r}",
            )
        if model.license and model.license.lower() in OPEN_WEIGHT_LICENCES:
            add(
                ("license",),
                f"access {model.access.value!r} releases no weights, yet the "
                f"licence is the open-weights licence {model.license!r}",
            )
    elif model.openness == Openness.CLOSED:
        add(
            ("openness",),
            f"access {model.access.value!r} releases weights, so openness cannot be 'closed'",
        )


def _check_dates(model: ModelSeed, add: Any) -> None:
    today = dt.date.today()
    released, cutoff = _known(model.release_date), _known(model.knowledge_cutoff)
    for name, value in (("release_date", released), ("knowledge_cutoff", cutoff)):
        if value is not None and value[0] > today:
            add(
                (name,),
                f"{name} {value[0].isoformat()} is in the future (today is {today.isoformat()})",
            )
    if released is not None and cutoff is not None and cutoff[0] > released[0]:
        add(
            ("knowledge_cutoff",),
            f"knowledge_cutoff {cutoff[0].isoformat()} is after the "
            f"release date {released[0].isoformat()}",
        )


def tree_problems(
    organizations: Sequence[tuple[YamlDocument, OrganizationsFile]],
    families: Sequence[LocatedFamily],
) -> list[Problem]:
    """Duplicates and references across files, and lineage cycles."""
    found: list[Problem] = []
    org_slugs: dict[str, str] = {}
    for document, content in organizations:
        for index, org in enumerate(content.organizations):
            _unique(
                org.slug,
                org_slugs,
                document,
                ("organizations", index, "slug"),
                "organization",
                found,
            )
    family_slugs: dict[str, str] = {}
    model_slugs: dict[str, str] = {}
    for located in families:
        document, content = located.document, located.content
        _unique(content.family.slug, family_slugs, document, ("family", "slug"), "family", found)
        _reference(
            content.family.organization,
            org_slugs,
            document,
            ("family", "organization"),
            "organization",
            found,
        )
        for index, model in enumerate(content.models):
            _unique(model.slug, model_slugs, document, ("models", index, "slug"), "model", found)
            if model.organization is not None:
                _reference(
                    model.organization,
                    org_slugs,
                    document,
                    ("models", index, "organization"),
                    "organization",
                    found,
                )
    for located in families:
        for index, model in enumerate(located.content.models):
            for number, parent in enumerate(model.derived_from):
                loc = ("models", index, "derived_from", number, "model")
                if parent.model == model.slug:
                    found.append(located.document.problem(loc, "a model cannot derive from itself"))
                else:
                    _reference(parent.model, model_slugs, located.document, loc, "model", found)
    if not found:
        found.extend(_cycles(families))
    return found


def _unique(
    slug: str,
    seen: dict[str, str],
    document: YamlDocument,
    loc: tuple[Any, ...],
    kind: str,
    found: list[Problem],
) -> None:
    line, _ = document.position(loc)
    if slug in seen:
        found.append(
            document.problem(loc, f"duplicate {kind} slug {slug!r}; first defined at {seen[slug]}")
        )
    else:
        seen[slug] = f"{document.path}:{line}"


def _reference(
    slug: str,
    known: dict[str, str],
    document: YamlDocument,
    loc: tuple[Any, ...],
    kind: str,
    found: list[Problem],
) -> None:
    if slug not in known:
        hint = difflib.get_close_matches(slug, list(known), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        found.append(document.problem(loc, f"unknown {kind} {slug!r}{suggestion}"))


def _cycles(families: Iterable[LocatedFamily]) -> list[Problem]:
    parents: dict[str, list[str]] = {}
    where: dict[str, tuple[YamlDocument, tuple[Any, ...]]] = {}
    for located in families:
        for index, model in enumerate(located.content.models):
            parents[model.slug] = [p.model for p in model.derived_from]
            where[model.slug] = (located.document, ("models", index, "derived_from"))
    found: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(slug: str, path: list[str]) -> None:
        state[slug] = 1
        for parent in parents.get(slug, []):
            if state.get(parent) == 1:
                cycle = [*path[path.index(parent) :], parent] if parent in path else [slug, parent]
                document, loc = where[slug]
                found.append(document.problem(loc, "lineage cycle: " + " → ".join(cycle)))
            elif state.get(parent) is None:
                visit(parent, [*path, parent])
        state[slug] = 2

    for slug in parents:
        if slug not in state:
            visit(slug, [slug])
    return found
