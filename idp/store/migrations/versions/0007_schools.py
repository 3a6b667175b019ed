"""The schools named by the académie's AAF exports (a delta names them by their AAF key only).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("aaf_key", sa.String(200), primary_key=True),
        sa.Column("uai", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_schools_uai", "schools", ["uai"])


def downgrade() -> None:
    op.drop_index("ix_schools_uai", table_name="schools")
    op.drop_table("schools")
