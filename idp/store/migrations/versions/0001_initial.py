"""The schema of the last release before migrations (051af6b): every table of the models then.

A database that release (or an older one) made is adopted to this shape rather than
created (idp.store.migrations.adoption), so `schema()` stays exactly what `upgrade` creates.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def schema() -> dict[str, list[SchemaItem]]:
    """Each table's columns and indexes, new objects at each call, in an order that creates
    a table after those it refers to."""
    return {
        "clients": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("client_id", sa.String(64), nullable=False),
            sa.Column("secret_digest", sa.String(64), nullable=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("redirect_uris", sa.JSON(), nullable=False),
            sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
            sa.Column("first_party", sa.Boolean(), nullable=False),
            sa.Column("require_pkce", sa.Boolean(), nullable=False),
            sa.Column("scope", sa.Text(), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Index("ix_clients_client_id", "client_id", unique=True),
        ],
        "sso_sessions": [
            sa.Column("id_digest", sa.String(64), primary_key=True, nullable=False),
            sa.Column("login", sa.String(64), nullable=False),
            sa.Column("sub", sa.String(64), nullable=False),
            sa.Column("auth_time", sa.BigInteger(), nullable=False),
            sa.Column("amr", sa.JSON(), nullable=False),
            sa.Column("remember", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
            sa.Column("expires_at", sa.BigInteger(), nullable=False),
            sa.Column("ended_at", sa.BigInteger(), nullable=True),
            sa.Index("ix_sso_sessions_login", "login"),
        ],
        "authorization_codes": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("code_digest", sa.String(64), nullable=False),
            sa.Column("client_id", sa.String(64), nullable=False),
            sa.Column("login", sa.String(64), nullable=False),
            sa.Column("sub", sa.String(64), nullable=False),
            sa.Column("redirect_uri", sa.Text(), nullable=False),
            sa.Column("scope", sa.Text(), nullable=False),
            sa.Column("nonce", sa.Text(), nullable=True),
            sa.Column("auth_time", sa.BigInteger(), nullable=False),
            sa.Column("amr", sa.JSON(), nullable=False),
            sa.Column("code_challenge", sa.Text(), nullable=True),
            sa.Column("code_challenge_method", sa.String(10), nullable=True),
            sa.Column("sso_session", sa.String(64), nullable=True),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("expires_at", sa.BigInteger(), nullable=False),
            sa.Column("used_at", sa.BigInteger(), nullable=True),
            sa.Column("claims", sa.JSON(), nullable=True),
            sa.Index("ix_authorization_codes_client_id", "client_id"),
            sa.Index("ix_authorization_codes_code_digest", "code_digest", unique=True),
        ],
        "consents": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("login", sa.String(64), nullable=False),
            sa.Column("client_id", sa.String(64), nullable=False),
            sa.Column("scope", sa.Text(), nullable=False),
            sa.Column("granted_at", sa.BigInteger(), nullable=False),
            sa.Column("revoked_at", sa.BigInteger(), nullable=True),
            sa.Index("ix_consents_login", "login"),
        ],
        "reset_tokens": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("token_digest", sa.String(64), nullable=False),
            sa.Column("login", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(8), nullable=False),
            sa.Column("code_digest", sa.String(64), nullable=True),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("expires_at", sa.BigInteger(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("used_at", sa.BigInteger(), nullable=True),
            sa.Column("stamp", sa.String(64), nullable=True),
            sa.Index("ix_reset_tokens_login", "login"),
            sa.Index("ix_reset_tokens_token_digest", "token_digest", unique=True),
        ],
        "outbox": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("to", sa.String(320), nullable=False),
            sa.Column("subject", sa.Text(), nullable=False),
            sa.Column("text_body", sa.Text(), nullable=True),
            sa.Column("html_body", sa.Text(), nullable=True),
            sa.Column("template", sa.String(64), nullable=False),
            sa.Column("locale", sa.String(8), nullable=False),
            sa.Column("message_id", sa.String(200), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("status", sa.String(10), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
            sa.Column("claimed_at", sa.BigInteger(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("sent_at", sa.BigInteger(), nullable=True),
            sa.Index("ix_outbox_next_attempt_at", "next_attempt_at"),
            sa.Index("ix_outbox_status", "status"),
        ],
        "rate_counters": [
            sa.Column("key", sa.String(255), primary_key=True, nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.Index("ix_rate_counters_expires_at", "expires_at"),
        ],
        "help_requests": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("reference", sa.String(16), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("status", sa.String(10), nullable=False),
            sa.Column("school", sa.String(8), nullable=False),
            sa.Column("parent_name", sa.String(200), nullable=False),
            sa.Column("email", sa.String(254), nullable=True),
            sa.Column("phone", sa.String(20), nullable=True),
            sa.Column("child_name", sa.String(200), nullable=False),
            sa.Column("child_class", sa.String(40), nullable=True),
            sa.Column("login", sa.String(64), nullable=True),
            sa.Column("problem", sa.String(20), nullable=False),
            sa.Column("message", sa.Text(), nullable=False),
            sa.Column("answer", sa.Text(), nullable=True),
            sa.Column("answered_by", sa.String(64), nullable=True),
            sa.Column("answered_at", sa.BigInteger(), nullable=True),
            sa.Column("closed_at", sa.BigInteger(), nullable=True),
            sa.Column("closed_by", sa.String(64), nullable=True),
            sa.Column("address", sa.String(64), nullable=True),
            sa.Index("ix_help_requests_created_at", "created_at"),
            sa.Index("ix_help_requests_reference", "reference", unique=True),
            sa.Index("ix_help_requests_school", "school"),
            sa.Index("ix_help_requests_status", "status"),
        ],
        "tasks": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("kind", sa.String(64), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(10), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("run_after", sa.BigInteger(), nullable=False),
            sa.Column("claimed_at", sa.BigInteger(), nullable=True),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Index("ix_tasks_run_after", "run_after"),
            sa.Index("ix_tasks_status", "status"),
        ],
        "tokens": [
            sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
            sa.Column("access_digest", sa.String(64), nullable=False),
            sa.Column("refresh_digest", sa.String(64), nullable=True),
            sa.Column("client_id", sa.String(64), nullable=False),
            sa.Column("login", sa.String(64), nullable=False),
            sa.Column("sub", sa.String(64), nullable=False),
            sa.Column("scope", sa.Text(), nullable=False),
            sa.Column("auth_time", sa.BigInteger(), nullable=False),
            sa.Column("issued_at", sa.BigInteger(), nullable=False),
            sa.Column("expires_at", sa.BigInteger(), nullable=False),
            sa.Column("refresh_expires_at", sa.BigInteger(), nullable=True),
            sa.Column("code_id", sa.Integer(), sa.ForeignKey("authorization_codes.id"), nullable=True),
            sa.Column("family", sa.String(64), nullable=False),
            sa.Column("refreshed_at", sa.BigInteger(), nullable=True),
            sa.Column("revoked_at", sa.BigInteger(), nullable=True),
            sa.Column("claims", sa.JSON(), nullable=True),
            sa.Index("ix_tokens_access_digest", "access_digest", unique=True),
            sa.Index("ix_tokens_client_id", "client_id"),
            sa.Index("ix_tokens_code_id", "code_id"),
            sa.Index("ix_tokens_family", "family"),
            sa.Index("ix_tokens_login", "login"),
            sa.Index("ix_tokens_refresh_digest", "refresh_digest", unique=True),
        ],
    }


def upgrade() -> None:
    for name, items in schema().items():
        op.create_table(name, *items)


def downgrade() -> None:
    for name in reversed(schema()):
        op.drop_table(name)
