"""Tables of the knowledge base and their public shapes, one module per group.

``enums`` holds the closed sets, ``knowledge`` the tables of labs, families and models, ``public``
the shapes that the CLI, the API and the exports share, ``probe`` the probe runs. The constraint
naming convention is set here, before any table is defined, so that Alembic migrations get stable
names on SQLite and PostgreSQL alike; every name is re-exported for ``from registry.models import``.
"""

from __future__ import annotations

from sqlmodel import SQLModel

# Alembic's recommended convention: every constraint and index gets a predictable name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Imported after the naming convention is set: the tables below take it at definition.
from registry.models.enums import (  # noqa: E402
    Access,
    ArchitectureKind,
    Confidence,
    DatePrecision,
    Direction,
    Modality,
    Openness,
    Relation,
    Stage,
    enum_column,
)
from registry.models.history import (  # noqa: E402
    ChangeAction,
    ChangeEntry,
    ChangeKind,
    Revision,
    RevisionOrigin,
    RevisionSnapshot,
)
from registry.models.knowledge import (  # noqa: E402
    ARCH_BOOL_FIELDS,
    ARCH_INT_FIELDS,
    ARCH_STR_FIELDS,
    Benchmark,
    Claim,
    DatasetRevision,
    Evaluation,
    Family,
    Lineage,
    Model,
    ModelArchitecture,
    ModelDocument,
    ModelModality,
    Organization,
)
from registry.models.probe import (  # noqa: E402
    ProbeRun,
    ProbeRunBase,
    ProbeRunCreate,
    ProbeRunPublic,
    ProbeRunsPublic,
)
from registry.models.public import (  # noqa: E402
    EvaluationPublic,
    LineagePublic,
    ModelPublic,
    ModelsPublic,
    SourcePublic,
)

__all__ = [
    "ARCH_BOOL_FIELDS",
    "ARCH_INT_FIELDS",
    "ARCH_STR_FIELDS",
    "Access",
    "ArchitectureKind",
    "Benchmark",
    "ChangeAction",
    "ChangeEntry",
    "ChangeKind",
    "Claim",
    "Confidence",
    "DatasetRevision",
    "DatePrecision",
    "Direction",
    "Evaluation",
    "EvaluationPublic",
    "Family",
    "Lineage",
    "LineagePublic",
    "Modality",
    "Model",
    "ModelArchitecture",
    "ModelDocument",
    "ModelModality",
    "ModelPublic",
    "ModelsPublic",
    "Openness",
    "Organization",
    "ProbeRun",
    "ProbeRunBase",
    "ProbeRunCreate",
    "ProbeRunPublic",
    "ProbeRunsPublic",
    "Relation",
    "Revision",
    "RevisionOrigin",
    "RevisionSnapshot",
    "SourcePublic",
    "Stage",
    "enum_column",
]
