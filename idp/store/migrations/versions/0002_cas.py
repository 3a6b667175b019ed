"""The CAS server's tables: registered CAS apps and their tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cas_services",
        sa.Column("id", sa.String(40), primary_key=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.String(16), nullable=False),
        sa.Column("schools", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "cas_tickets",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("ticket_digest", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(40), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("authenticated_at", sa.BigInteger(), nullable=False),
        sa.Column("from_new_login", sa.Boolean(), nullable=False),
        sa.Column("remembered", sa.Boolean(), nullable=False),
        sa.Column("session_digest", sa.String(64), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("proxies", sa.JSON(), nullable=False),
    )
    op.create_index("ix_cas_tickets_ticket_digest", "cas_tickets", ["ticket_digest"], unique=True)
    op.create_index("ix_cas_tickets_login", "cas_tickets", ["login"])
    op.create_index("ix_cas_tickets_expires_at", "cas_tickets", ["expires_at"])
    op.create_index("ix_cas_tickets_session_digest", "cas_tickets", ["session_digest"])


def downgrade() -> None:
    op.drop_table("cas_tickets")
    op.drop_table("cas_services")
