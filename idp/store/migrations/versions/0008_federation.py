"""The national identities: FranceConnect links, upstream sessions, SAML assertions used.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("provider", "subject"),
    )
    op.create_index("ix_federation_links_login", "federation_links", ["login"])
    op.create_table(
        "upstream_sessions",
        sa.Column("session_digest", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("logout", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_upstream_sessions_subject", "upstream_sessions", ["subject"])
    op.create_table(
        "used_assertions",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_used_assertions_expires_at", "used_assertions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_used_assertions_expires_at", table_name="used_assertions")
    op.drop_table("used_assertions")
    op.drop_index("ix_upstream_sessions_subject", table_name="upstream_sessions")
    op.drop_table("upstream_sessions")
    op.drop_index("ix_federation_links_login", table_name="federation_links")
    op.drop_table("federation_links")
