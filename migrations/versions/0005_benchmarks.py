"""benchmarks as a vocabulary; pinned sources; derived-training fields

Evaluations now refer to a row of ``benchmark`` (seeds/benchmarks.yaml) instead of holding a
free-text name. The old names cannot be mapped here (the vocabulary lives in the seeds), so upgrading
empties ``evaluation`` and ``dataset_revision``: the next ``registry seed`` writes them again from the
migrated seeds (docs/CONTRIBUTING-DATA.md, "Benchmarks"). Downgrading keeps each evaluation under its
benchmark's slug.

Revision ID: 0005
Revises: 0003 (written against 0002; chained after main's 0003 when merging)
Create Date: 2026-12-02 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "benchmark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", String(length=64), nullable=False),
        sa.Column("name", String(length=64), nullable=False),
        sa.Column("variant", String(length=64), nullable=True),
        sa.Column("metric", String(length=64), nullable=False),
        sa.Column("unit", String(length=16), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("homepage", String(length=512), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark")),
        sa.UniqueConstraint("slug", name=op.f("uq_benchmark_slug")),
    )
    op.execute("DELETE FROM evaluation")
    op.execute("DELETE FROM dataset_revision")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_benchmark"))
        batch_op.drop_constraint("uq_evaluation_run", type_="unique")
        batch_op.drop_column("benchmark")
        batch_op.add_column(sa.Column("benchmark_id", sa.Integer(), nullable=False))
        batch_op.create_index(batch_op.f("ix_evaluation_benchmark_id"), ["benchmark_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluation_benchmark_id_benchmark"),
            "benchmark",
            ["benchmark_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_unique_constraint(
            "uq_evaluation_run",
            ["model_id", "benchmark_id", "metric", "shots", "chain_of_thought"],
        )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_version", String(length=128), nullable=True))
        batch_op.add_column(sa.Column("quote", sa.Text(), nullable=True))
    with op.batch_alter_table("model", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fine_tuning_tokens", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("inherits_training", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("total_params_includes", String(length=128), nullable=True))
        batch_op.add_column(sa.Column("language_model_params", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("model", schema=None) as batch_op:
        batch_op.alter_column("inherits_training", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("model", schema=None) as batch_op:
        batch_op.drop_column("language_model_params")
        batch_op.drop_column("total_params_includes")
        batch_op.drop_column("inherits_training")
        batch_op.drop_column("fine_tuning_tokens")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("quote")
        batch_op.drop_column("source_version")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("benchmark", String(length=64), nullable=True))
    op.execute(
        "UPDATE evaluation SET benchmark = "
        "(SELECT slug FROM benchmark WHERE benchmark.id = evaluation.benchmark_id)"
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.alter_column("benchmark", existing_type=String(length=64), nullable=False)
        batch_op.drop_constraint("uq_evaluation_run", type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_evaluation_benchmark_id_benchmark"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_evaluation_benchmark_id"))
        batch_op.drop_column("benchmark_id")
        batch_op.create_index(batch_op.f("ix_evaluation_benchmark"), ["benchmark"])
        batch_op.create_unique_constraint(
            "uq_evaluation_run",
            ["model_id", "benchmark", "metric", "shots", "chain_of_thought"],
        )
    op.drop_table("benchmark")
