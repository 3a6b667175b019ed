"""Client ids: safe to type on a command line."""
from __future__ import annotations

from idp.clients import new_client_id


def test_client_ids_never_look_like_an_option() -> None:
    ids = {new_client_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(client_id) == 24 and client_id.isalnum() for client_id in ids)
