"""The provider's own state in SQL (SQLAlchemy): clients, codes, tokens, sessions, consents.

SQLite in the instance folder by default; a postgresql:// URL lets several instances
behind a load balancer share it. Nothing of it lives only in one process's memory.
The schema is made and changed by migrations (idp/store/migrations), never at start.
"""
import idp.outbound.models  # noqa: F401  the outbox table, in Base.metadata with the others

from . import cas, counters, federation, help_requests, schools, tasks  # noqa: F401  their tables too
from .db import Store
from .migrations import SchemaError
from .models import AuthorizationCode, Base, Client, Consent, ResetToken, SsoSession, Token

__all__ = ["AuthorizationCode", "Base", "Client", "Consent", "ResetToken", "SchemaError", "SsoSession", "Store",
           "Token"]
