"""model documents: each model's public JSON, stored at load time (docs/PERFORMANCE.md)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:40:00

The table starts empty; ``registry seed`` fills it (every load writes the documents of the models
it touches, and writes all of them when any is missing), and until then reads build models from
their rows as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_document",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["model.id"],
            name=op.f("fk_model_document_model_id_model"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_document")),
    )


def downgrade() -> None:
    op.drop_table("model_document")
