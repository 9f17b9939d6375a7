"""The data's history: every revision loaded, every field it changed, and each revision's state
(docs/HISTORY.md)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.models.enums import enum_column


class ChangeKind(StrEnum):
    ORGANIZATION = "organization"
    FAMILY = "family"
    MODEL = "model"


class ChangeAction(StrEnum):
    """A whole entity added or removed, or one of its fields changed."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


class RevisionOrigin(StrEnum):
    """How a revision was recorded: by a seed load, or read back from the seeds' git history."""

    LOAD = "load"
    GIT = "git"


class Revision(SQLModel, table=True):
    """One revision of the data: a load that changed it, or a commit that touched the seeds."""

    __tablename__ = "revision"

    id: int | None = Field(default=None, primary_key=True)
    revision: str = Field(max_length=64, index=True)  # the seeds' content hash
    recorded_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    git_commit: str | None = Field(default=None, max_length=40, index=True)
    origin: RevisionOrigin = Field(
        sa_column=enum_column(RevisionOrigin, nullable=False, name="revision_origin")
    )
    models: int
    models_added: int = 0
    models_changed: int = 0
    models_removed: int = 0
    changes: int = 0


class ChangeEntry(SQLModel, table=True):
    """One entity added or removed, or one field of it changed, by a revision."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revision.id", index=True, ondelete="CASCADE")
    kind: ChangeKind = Field(sa_column=enum_column(ChangeKind, nullable=False, name="change_kind"))
    slug: str = Field(max_length=96, index=True)
    family: str | None = Field(default=None, max_length=64, index=True)
    action: ChangeAction = Field(
        sa_column=enum_column(ChangeAction, nullable=False, name="change_action")
    )
    field: str | None = Field(default=None, max_length=96, index=True)
    old: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    new: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    source: str | None = Field(default=None, max_length=512)


class RevisionSnapshot(SQLModel, table=True):
    """A revision's records (compressed JSON), stored once per content hash."""

    __tablename__ = "revision_snapshot"

    revision: str = Field(max_length=64, primary_key=True)
    records: bytes = Field(sa_type=sa.LargeBinary)
