"""Tables of models for download: CSV and JSON through pandas, one row per model."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from registry.models import ModelPublic

LIST_COLUMNS = ("input_modalities", "output_modalities", "undisclosed")


def models_frame(models: Sequence[ModelPublic]) -> pd.DataFrame:
    """One row per model with the public field names; lists joined with ';', sources as URLs."""
    rows = []
    for model in models:
        row = model.model_dump(mode="json", exclude={"sources"})
        for column in LIST_COLUMNS:
            row[column] = ";".join(row[column])
        row["sources"] = ";".join(sorted({s.url for s in model.sources if s.url}))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*ModelPublic.model_fields])


def to_csv(models: Sequence[ModelPublic]) -> bytes:
    return models_frame(models).to_csv(index=False).encode()


def to_json(models: Sequence[ModelPublic]) -> bytes:
    return models_frame(models).to_json(orient="records", indent=None).encode()
