"""probe runs: runtime, quantization, predicted and measured memory

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("probe_run") as batch:
        batch.add_column(sa.Column("runtime", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("quantization", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("bits_per_weight", sa.Float(), nullable=True))
        batch.add_column(sa.Column("predicted_weights_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("predicted_kv_cache_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("kv_cache_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("probe_run") as batch:
        batch.drop_column("kv_cache_bytes")
        batch.drop_column("predicted_kv_cache_bytes")
        batch.drop_column("predicted_weights_bytes")
        batch.drop_column("bits_per_weight")
        batch.drop_column("quantization")
        batch.drop_column("runtime")
