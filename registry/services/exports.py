"""Tables of models for download: CSV and JSON, one row per model (``docs/PAGES.md``).

Columns: slug and name first, then identity, access, size, training and context, the lists joined
with ';', the architecture's hyper-parameters, and last one ``source_<field>`` column per sourced
field (its URL). Counts are written as integers and FLOPs in plain scientific notation (3.8e+25).
CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return) get a leading single quote, as OWASP's "CSV Injection" guidance recommends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from registry.models import ModelArchitecture, ModelPublic

LIST_COLUMNS = ("input_modalities", "output_modalities", "undisclosed")
FIRST_COLUMNS = ("slug", "name")
FLOAT_COLUMNS = ("training_flops", "tokens_per_param")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _columns() -> list[str]:
    arch = [f for f in ModelArchitecture.model_fields]
    rest = [f for f in ModelPublic.model_fields if f not in FIRST_COLUMNS and f not in arch]
    return [*FIRST_COLUMNS, *(f for f in rest if f != "sources"), *arch]


COLUMNS = _columns()


def _source_columns(models: Sequence[ModelPublic]) -> list[str]:
    """The sourced fields in the order of the columns they document."""
    sourced = {s.field for m in models for s in m.sources if s.url}
    order = {name: i for i, name in enumerate(COLUMNS)}
    return sorted(sourced, key=lambda field: (order.get(field, len(order)), field))


def models_frame(models: Sequence[ModelPublic]) -> pd.DataFrame:
    """One row per model; integer columns as nullable integers, lists joined with ';'."""
    sourced = _source_columns(models)
    rows = []
    for model in models:
        row: dict[str, Any] = model.model_dump(mode="json", exclude={"sources"})
        for column in LIST_COLUMNS:
            row[column] = ";".join(row[column])
        urls = {s.field: s.url for s in model.sources if s.url}
        row |= {f"source_{field}": urls.get(field) for field in sourced}
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, *(f"source_{f}" for f in sourced)])
    for name, field in ModelPublic.model_fields.items():
        if name in frame and field.annotation in (int, int | None):
            frame[name] = frame[name].astype("Int64")  # 61, not 61.0; blanks stay blank
    return frame


def _cell(value: Any) -> Any:
    """A cell as written: floats in short scientific form, formula-like text defused."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(models: Sequence[ModelPublic]) -> bytes:
    frame = models_frame(models)
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF rows, fields with CR or LF quoted
    writer.writerow(frame.columns)
    for row in frame.astype(object).itertuples(index=False):
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue().encode()


def to_json(models: Sequence[ModelPublic]) -> bytes:
    return models_frame(models).to_json(orient="records", indent=None).encode()
