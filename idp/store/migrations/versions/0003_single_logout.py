"""Single logout: the apps' back-channel logout address, the browser session each code came
from found quickly, and the spent CAS ticket an app's session is known by.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as clients:
        clients.add_column(sa.Column("backchannel_logout_uri", sa.Text(), nullable=True))
    op.create_index("ix_authorization_codes_sso_session", "authorization_codes", ["sso_session"])
    with op.batch_alter_table("cas_tickets") as tickets:
        tickets.add_column(sa.Column("session_index", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cas_tickets") as tickets:
        tickets.drop_column("session_index")
    op.drop_index("ix_authorization_codes_sso_session", "authorization_codes")
    with op.batch_alter_table("clients") as clients:
        clients.drop_column("backchannel_logout_uri")
