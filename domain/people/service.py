"""People: found by a keyed hash, their identity kept sealed in its own table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import utcnow
from core.sealing import Sealer
from domain.people.models import Identity, Person


def find_person(session: Session, *, sealer: Sealer, channel: str, user_id: str) -> Person | None:
    """The person with this platform id, if known."""
    key = sealer.user_key(channel, user_id)
    return session.scalars(
        select(Person).where(Person.channel == channel, Person.user_key == key)  # type: ignore[arg-type]
    ).first()


def remember_person(
    session: Session,
    *,
    sealer: Sealer,
    channel: str,
    user_id: str,
    display_name: str | None,
    username: str | None,
) -> Person:
    """Find or create the person, resealing the identity when the name changed."""
    person = find_person(session, sealer=sealer, channel=channel, user_id=user_id)
    identity: dict[str, Any] = {"user_id": user_id, "name": display_name, "username": username}
    if person is None:
        try:
            # A savepoint: the same person first seen in two chats at once inserts only once.
            with session.begin_nested():
                person = Person(channel=channel, user_key=sealer.user_key(channel, user_id))
                session.add(person)
                session.flush()
                assert person.id is not None
                session.add(Identity(person_id=person.id, sealed=sealer.seal(identity)))
            return person
        except IntegrityError:
            person = find_person(session, sealer=sealer, channel=channel, user_id=user_id)
            if person is None:
                raise
            return person
    stored = session.get(Identity, person.id)
    if stored is None:
        session.add(Identity(person_id=person.id, sealed=sealer.seal(identity)))  # type: ignore[arg-type]
    elif sealer.open(stored.sealed) != identity:
        stored.sealed, stored.updated_at = sealer.seal(identity), utcnow()
        session.add(stored)
    return person


def identity_of(session: Session, *, sealer: Sealer, person_id: int) -> dict[str, Any]:
    """The person's unsealed identity (for the police, when the reporter agreed)."""
    stored = session.get(Identity, person_id)
    return sealer.open(stored.sealed) if stored is not None else {}


def note_first_contact(session: Session, *, person: Person, now: datetime | None = None) -> bool:
    """Record the first contact; True when this is it (the notice is due)."""
    if person.first_contact_at is not None:
        return False
    person.first_contact_at = now or utcnow()
    session.add(person)
    return True


def set_locale(session: Session, *, person: Person, locale: str) -> Person:
    """Remember the language the person chose."""
    person.locale = locale
    session.add(person)
    return person
