"""Cross-checking the knowledge base against an independent catalogue: LiteLLM's model map.

LiteLLM ships ``model_prices_and_context_window.json`` (a name -> {max_input_tokens,
max_output_tokens, supports_vision, ...} map) inside its package. Models are matched by name: a
catalogue key without its provider prefix and date suffix ('anthropic/claude-3-opus-20240229' ->
'claude-3-opus') equal to a model's slug. Compared: context length (max_input_tokens), output limit,
input modalities (supports_vision, _pdf_input, _audio_input, _video_input) and the release date a
dated snapshot name carries. See docs/CONTRIBUTING-DATA.md, "Cross-check".
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATALOGUE_FILES = (
    "model_prices_and_context_window_backup.json",
    "model_prices_and_context_window.json",
)
# The labs' own APIs in LiteLLM's naming. Only these are compared: a host serving open weights
# (Fireworks, Bedrock, ...) caps context and output as it likes, which says nothing of the model.
FIRST_PARTY = (
    "openai",
    "anthropic",
    "gemini",
    "vertex_ai-language-models",
    "deepseek",
    "mistral",
    "xai",
    "dashscope",
    "meta_llama",
    "cohere",
    "cohere_chat",
    "zai",
    "moonshot",
    "minimax",
    "ai21",
)
SNAPSHOT_DAYS = 45  # a dated API snapshot taken up to this long before the announcement
MODALITIES = {
    "image": "supports_vision",
    "pdf": "supports_pdf_input",
    "audio": "supports_audio_input",
    "video": "supports_video_input",
}
DATE_SUFFIX = re.compile(
    r"[-@](?P<date>\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{2}|\d{4})(?:-v\d+(?::\d+)?)?$"
)
FIELDS = ("context_length", "max_output_tokens", "input_modalities", "release_date")


class CatalogueError(Exception):
    """No catalogue could be read."""


def installed_catalogue() -> Path:
    """The model map inside the installed ``litellm`` package (found without importing it)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogueError(
            "LiteLLM is not installed: `pip install 'registry[crosscheck]'`, or pass --catalogue"
        )
    for folder in spec.submodule_search_locations:
        for name in CATALOGUE_FILES:
            if (Path(folder) / name).exists():
                return Path(folder) / name
    raise CatalogueError("the installed litellm package holds no model_prices_and_context_window")


def read_catalogue(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a JSON object of models")
    return {k: v for k, v in data.items() if isinstance(v, dict) and k != "sample_spec"}


def base_name(key: str) -> tuple[str, str | None]:
    """'anthropic/claude-3-opus-20240229' -> ('claude-3-opus', '2024-02-29')."""
    name = key.rsplit("/", 1)[-1].lower()
    name = re.sub(r"^(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|deepseek|openai|google)\.", "", name)
    date = None
    match = DATE_SUFFIX.search(name)
    if match:
        raw = match["date"].replace("-", "")
        if len(raw) == 8:
            date = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
        name = name[: match.start()]
    name = re.sub(r"-(?:latest|exp|instruct-v\d+)$", "", name)
    return _dotless(name), date


def _dotless(name: str) -> str:
    """'claude-3.5-sonnet' and 'claude-3-5-sonnet' are one name."""
    return name.lower().replace(".", "-").replace(" ", "-")


@dataclass
class Entry:
    key: str
    values: dict[str, Any]
    date: str | None


@dataclass
class Report:
    """Agreements and disagreements per field, and the models only one side knows."""

    agreements: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    disagreements: list[tuple[str, str, Any, Any, str]] = field(default_factory=list)
    # Differences of convention, each with the reason (slug, field, ours, theirs, key, why).
    explained: list[tuple[str, str, Any, Any, str, str]] = field(default_factory=list)
    matched: dict[str, str] = field(default_factory=dict)  # slug -> catalogue key
    only_here: list[str] = field(default_factory=list)
    only_there: list[str] = field(default_factory=list)

    def summary(self) -> str:
        agreed = ", ".join(f"{n} {f}" for f, n in self.agreements.items())
        return (
            f"{len(self.matched)} models matched; agreements: {agreed}; "
            f"{len(self.explained)} differences of convention; "
            f"{len(self.disagreements)} disagreements; {len(self.only_here)} models only in the "
            f"registry ({self.only_here_api} of them API models); {len(self.only_there)} "
            "first-party chat models only in the catalogue"
        )

    only_here_api: int = 0


def _index(catalogue: dict[str, dict[str, Any]]) -> dict[str, list[Entry]]:
    found: dict[str, list[Entry]] = defaultdict(list)
    for key, values in catalogue.items():
        if values.get("litellm_provider") not in FIRST_PARTY:
            continue
        name, date = base_name(key)
        found[name].append(Entry(key, values, date))
    return found


def _rank(entry: Entry) -> tuple[int, int, int, str]:
    provider = str(entry.values.get("litellm_provider", ""))
    first_party = 0 if provider in FIRST_PARTY else 1
    prefixed = 1 if "/" in entry.key else 0
    chat = 0 if entry.values.get("mode", "chat") == "chat" else 1
    return first_party, chat, prefixed, entry.key


def crosscheck(models: dict[str, dict[str, Any]], catalogue: dict[str, dict[str, Any]]) -> Report:
    """Compare model records (``TreeRecords.models``) with a LiteLLM-format catalogue."""
    report = Report()
    index = _index(catalogue)
    used: set[str] = set()
    for slug, model in sorted(models.items()):
        entries = index.get(_dotless(slug)) or index.get(_dotless(model["name"]))
        if not entries:
            report.only_here.append(slug)
            report.only_here_api += model["access"] in ("api", "both")
            continue
        entries = sorted(entries, key=_rank)
        chosen = entries[0]
        used.add(base_name(chosen.key)[0])
        report.matched[slug] = chosen.key
        _compare(report, slug, model, chosen, entries)
    for name, entries in sorted(index.items()):
        first = sorted(entries, key=_rank)[0]
        if name not in used and first.values.get("mode") == "chat":
            report.only_there.append(first.key)
    return report


def _compare(
    report: Report, slug: str, model: dict[str, Any], chosen: Entry, entries: list[Entry]
) -> None:
    def check(field_name: str, ours: Any, theirs: Any, key: str) -> None:
        if ours is None or theirs is None:
            return
        if ours == theirs:
            report.agreements[field_name] += 1
        elif (why := _convention(field_name, ours, theirs, model, chosen.values)) is not None:
            report.explained.append((slug, field_name, ours, theirs, key, why))
        else:
            report.disagreements.append((slug, field_name, ours, theirs, key))

    values = chosen.values
    check("context_length", model["context_length"], values.get("max_input_tokens"), chosen.key)
    check(
        "max_output_tokens", model["max_output_tokens"], values.get("max_output_tokens"), chosen.key
    )
    stated = {
        m: values[flag] for m, flag in MODALITIES.items() if isinstance(values.get(flag), bool)
    }
    if stated:
        ours = {m: m in model["input_modalities"] for m in stated}
        check("input_modalities", _modalities(ours), _modalities(stated), chosen.key)
    dated = [e for e in entries if e.date]
    if model["release_date"] and dated:
        earliest = min(dated, key=lambda e: e.date or "")
        ours_date, theirs = model["release_date"], str(earliest.date)
        precision = len(ours_date)  # compare at the precision the seed records
        check("release_date", ours_date, theirs[:precision], earliest.key)


def _convention(
    field_name: str, ours: Any, theirs: Any, model: dict[str, Any], values: dict[str, Any]
) -> str | None:
    """Why a difference is one of convention rather than of fact, or None."""
    output = values.get("max_output_tokens")
    if field_name == "context_length" and output and theirs + output == ours:
        return "the catalogue's max_input_tokens leaves out the output tokens the window holds"
    if field_name == "release_date" and len(ours) == 10:
        gap = (as_date(ours) - as_date(theirs)).days
        if 0 < gap <= SNAPSHOT_DAYS:
            return f"the snapshot in the name was taken {gap} days before the announcement"
        if gap < 0:
            return "a later snapshot of the model (the name's date follows the first release)"
    if field_name == "input_modalities" and ours.replace("pdf no", "pdf yes") == theirs:
        return (
            "the API accepts PDF files (it passes their text and page images to the model); "
            "the seed lists only the modalities the lab gives for the model"
        )
    return None


def _modalities(flags: dict[str, bool]) -> str:
    return ", ".join(f"{m} {'yes' if flags[m] else 'no'}" for m in sorted(flags))


def as_date(text: str) -> dt.date:
    return dt.date.fromisoformat((text + "-01-01")[:10] if len(text) == 4 else (text + "-01")[:10])
