"""« Mon compte »: the device and address of each browser session, and the recovery address
a confirmation link was sent to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sso_sessions") as sessions:
        sessions.add_column(sa.Column("user_agent", sa.Text(), nullable=True))
        sessions.add_column(sa.Column("address", sa.String(length=45), nullable=True))
    with op.batch_alter_table("reset_tokens") as tokens:
        tokens.add_column(sa.Column("new_address", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reset_tokens") as tokens:
        tokens.drop_column("new_address")
    with op.batch_alter_table("sso_sessions") as sessions:
        sessions.drop_column("address")
        sessions.drop_column("user_agent")
