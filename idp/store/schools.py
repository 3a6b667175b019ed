"""The schools as the académie's AAF exports name them: a delta names a school by its AAF key
only, so the key of each UAI is kept from the last export that gave it."""
from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import Store
from .models import Base, Seconds, now


class School(Base):
    __tablename__ = "schools"
    aaf_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """ENTStructureJointure: what the people of an export name their school by."""
    uai: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[int] = mapped_column(Seconds, default=now, onupdate=now)


def uai_by_aaf_key(store: Store) -> dict[str, str]:
    return {key: uai for key, uai in store.session.execute(select(School.aaf_key, School.uai))}


def save_from_aaf(store: Store, schools: dict[str, tuple[str, str]]) -> None:
    """Writes each school of an export (AAF key → UAI and name)."""
    with store.transaction() as db:
        for key, (uai, name) in schools.items():
            db.merge(School(aaf_key=key, uai=uai, name=name))


def names_by_uai(store: Store) -> dict[str, str]:
    """The schools' names the exports gave."""
    return {uai: name for uai, name in store.session.execute(select(School.uai, School.name)) if name}
