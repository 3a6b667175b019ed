"""The colleges an OpenID Connect app is shown to on the home page (as CAS services have).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as clients:
        clients.add_column(sa.Column("schools", sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE clients SET schools = :none").bindparams(sa.bindparam("none", [], type_=sa.JSON())))
    with op.batch_alter_table("clients") as clients:
        clients.alter_column("schools", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("clients") as clients:
        clients.drop_column("schools")
