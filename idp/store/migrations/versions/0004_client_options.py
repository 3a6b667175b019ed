"""Apps' front-channel logout address, and whether an app gets refresh tokens without asking
`offline_access` (apps registered before keep them, as they had).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as clients:
        clients.add_column(sa.Column("frontchannel_logout_uri", sa.Text(), nullable=True))
        clients.add_column(sa.Column("refresh_tokens", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE clients SET refresh_tokens = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as clients:
        clients.drop_column("refresh_tokens")
        clients.drop_column("frontchannel_logout_uri")
