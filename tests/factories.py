"""Factory helpers: real rows in the test database, made with as little ceremony as possible."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.identity.passwords import set_password
from server.organisations.models import (
    MembershipRow,
    PublisherRow,
    SchoolClassRow,
    SchoolRow,
    UserRow,
)

_numbers = itertools.count(100001)
SCHOOL_YEAR = "2026/27"


def make_school(
    session: Session, municipality_code: str = "101", name: str | None = None
) -> SchoolRow:
    number = str(next(_numbers))
    school = SchoolRow(
        id=uuid.uuid4(),
        institution_number=number,
        name=name or f"Testskolen {number}",
        municipality_code=municipality_code,
        school_year=SCHOOL_YEAR,
    )
    session.add(school)
    session.commit()
    return school


def make_class(
    session: Session, school: SchoolRow, name: str = "4.B", grade: int = 4
) -> SchoolClassRow:
    row = SchoolClassRow(
        id=uuid.uuid4(), school_id=school.id, name=name, grade=grade, school_year=school.school_year
    )
    session.add(row)
    session.commit()
    return row


def make_publisher(
    session: Session, name: str = "Forlaget Test", cvr: str | None = None
) -> PublisherRow:
    row = PublisherRow(id=uuid.uuid4(), name=name, cvr=cvr or f"{next(_numbers) % 10**8:08d}")
    session.add(row)
    session.commit()
    return row


def make_user(
    session: Session,
    role: str | None = None,
    *,
    school: SchoolRow | None = None,
    school_class: SchoolClassRow | None = None,
    municipality_code: str | None = None,
    publisher: PublisherRow | None = None,
    name: str = "Test Person",
    username: str | None = None,
    password: str | None = None,
    email: str | None = None,
) -> UserRow:
    """A user, optionally with one role in one tenant and a local password."""
    now = datetime.now(UTC)
    user = UserRow(
        id=uuid.uuid4(),
        display_name=name,
        email=email,
        username=username.casefold() if username else None,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    if role is not None:
        if school_class is not None and school is None:
            school = session.get(SchoolRow, school_class.school_id)
        session.add(
            MembershipRow(
                id=uuid.uuid4(),
                user_id=user.id,
                role=role,
                school_id=school.id if school else None,
                class_id=school_class.id if school_class else None,
                municipality_code=municipality_code
                or (school.municipality_code if school and role == "municipal_buyer" else None),
                publisher_id=publisher.id if publisher else None,
                active=True,
            )
        )
    if password is not None:
        set_password(session, user, password)
    session.commit()
    return user
