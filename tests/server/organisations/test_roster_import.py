"""Roster import through the API: every row checked, all or nothing, idempotent, no CPR."""

from __future__ import annotations

import io
from typing import Any

from apiflask import APIFlask
from flask.testing import FlaskClient
from organisations_auth import bearer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import SCHOOL_YEAR, make_class, make_school, make_user
from server.identity.models import AuditEventRow
from server.organisations.models import (
    MembershipRow,
    SchoolClassRow,
    SchoolRow,
    UserIdentityRow,
    UserRow,
)

GOOD = (
    "type,class,grade,name,external_id,email\n"
    "klasse,4.B,4,,,\n"
    "klasse,0.A,,,,\n"
    "elev,4.B,,Emma Hansen,E-1,\n"
    "elev,0.A,,Ægir Østergård,E-2,\n"
    "lærer,4.B,,Jens Jensen,L-1,Jens@Skole.dk\n"
)


def setup(app: APIFlask, session: Session) -> tuple[SchoolRow, dict[str, str]]:
    school = make_school(session, "751", "Åby Skole")
    leader = make_user(session, "school_leader", school=school, name="Lene Leder")
    return school, bearer(app, session, leader)


def post_csv(
    client: FlaskClient, school: SchoolRow, headers: dict[str, str], body: bytes | str, **query: str
) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        f"/api/v1/schools/{school.id}/roster",
        data=data,
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
        query_string=query,
    )


def roster_state(session: Session, school: SchoolRow) -> list[tuple[Any, ...]]:
    """Everything an import may touch, for 'nothing changed' checks."""
    session.expire_all()
    people = session.execute(
        select(
            UserIdentityRow.subject, UserRow.display_name, UserRow.email, MembershipRow.role,
            SchoolClassRow.name, MembershipRow.active,
        )
        .join(UserRow, UserRow.id == UserIdentityRow.user_id)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .outerjoin(SchoolClassRow, SchoolClassRow.id == MembershipRow.class_id)
        .where(UserIdentityRow.provider == f"roster:{school.id}")
        .order_by(UserIdentityRow.subject)
    ).all()  # fmt: skip
    classes = session.execute(
        select(SchoolClassRow.name, SchoolClassRow.grade, SchoolClassRow.active)
        .where(SchoolClassRow.school_id == school.id)
        .order_by(SchoolClassRow.name)
    ).all()
    users = session.scalar(select(func.count()).select_from(UserRow))
    return [*map(tuple, people), *map(tuple, classes), ("users", users)]


def test_import_creates_classes_pupils_and_teachers(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    response = post_csv(client, school, headers, GOOD)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["applied"] is True and body["unchanged"] is False and body["dry_run"] is False
    assert body["summary"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert [(r["row"], r["type"], r["key"], r["outcome"]) for r in body["rows"]] == [
        (2, "class", "4.B", "created"),
        (3, "class", "0.A", "created"),
        (4, "pupil", "E-1", "created"),
        (5, "pupil", "E-2", "created"),
        (6, "teacher", "L-1", "created"),
    ]
    assert roster_state(session, school)[:5] == [
        ("E-1", "Emma Hansen", None, "pupil", "4.B", True),
        ("E-2", "Ægir Østergård", None, "pupil", "0.A", True),
        ("L-1", "Jens Jensen", "jens@skole.dk", "teacher", "4.B", True),
        ("0.A", 0, True),
        ("4.B", 4, True),
    ]
    grades = session.execute(
        select(SchoolClassRow.school_year).where(SchoolClassRow.school_id == school.id)
    ).scalars()
    assert set(grades) == {SCHOOL_YEAR}
    events = session.scalars(
        select(AuditEventRow).where(AuditEventRow.event == "roster_imported")
    ).all()
    assert [(e.school_id, e.municipality_code, e.detail["created"]) for e in events] == [
        (school.id, "751", 5)
    ]


def test_reimporting_the_same_file_changes_nothing(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    assert post_csv(client, school, headers, GOOD).status_code == 200
    before = roster_state(session, school)
    again = post_csv(client, school, headers, GOOD)
    assert again.status_code == 200
    body = again.get_json()
    assert body["unchanged"] is True and body["applied"] is False
    assert body["summary"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert roster_state(session, school) == before
    count = session.scalar(select(func.count()).where(AuditEventRow.event == "roster_imported"))
    assert count == 1  # an import that changed nothing is not an event


def test_changes_are_reported_per_row(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, headers = setup(app, session)
    post_csv(client, school, headers, GOOD)
    moved = GOOD.replace("elev,4.B,,Emma Hansen,E-1,", "elev,0.A,,Emma B. Hansen,E-1,")
    body = post_csv(client, school, headers, moved).get_json()
    assert [(r["key"], r["outcome"], r["changes"]) for r in body["rows"] if r["key"] == "E-1"] == [
        ("E-1", "updated", ["name", "class"])
    ]
    assert roster_state(session, school)[0] == (
        "E-1", "Emma B. Hansen", None, "pupil", "0.A", True
    )  # fmt: skip


def test_every_bad_row_is_reported_and_nothing_is_applied(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    before = roster_state(session, school)
    bad = (
        "type,class,grade,name,external_id,email\n"
        "klasse,4.B,5,,,\n"  # 2: grade does not match
        "klasse,4B,,,,\n"  # 3: not a class name
        "elev,4.B,,,E-1,\n"  # 4: no name
        "elev,7.C,,Bo,E-2,\n"  # 5: unknown class
        "lærer,,,Jens,,ikke-en-mail\n"  # 6: no id, bad e-mail
        "rektor,4.B,,Lis,R-1,\n"  # 7: unknown type
        "elev,4.B,,Emma,E-2,\n"  # 8: duplicate id (and class 4.B is refused on row 2)
        "elev,4.B,,Bo\x07,E-9,\n"  # 9: control character
        "good,line\n"  # 10: unknown type, class
    )
    response = post_csv(client, school, headers, bad)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "roster_invalid"
    assert error["message"].endswith("nothing was imported.")
    assert [(e["row"], e["field"]) for e in error["details"]["errors"]] == [
        (2, "grade"),
        (3, "class"),
        (4, "class"),
        (4, "name"),
        (5, "class"),
        (6, "email"),
        (6, "external_id"),
        (7, "type"),
        (8, "class"),
        (8, "external_id"),
        (9, "class"),
        (9, "name"),
        (10, "class"),
        (10, "type"),
    ]
    messages = {(e["row"], e["field"]): e["message"] for e in error["details"]["errors"]}
    assert messages[(2, "grade")] == "Grade 5 does not match class 4.B."
    assert messages[(8, "external_id")] == "The same id is already on row 5."
    assert roster_state(session, school) == before


def test_a_good_row_in_a_bad_file_is_not_applied(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    before = roster_state(session, school)
    response = post_csv(client, school, headers, GOOD + "elev,4.B,,,E-3,\n")
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.get_json()["error"]["details"]["errors"]] == [
        (7, "name")
    ]
    assert roster_state(session, school) == before


def test_cpr_numbers_reject_their_row_and_are_never_echoed(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    before = roster_state(session, school)
    body = (
        "type;class;name;external_id\n"
        "klasse;4.B;;\n"
        "elev;4.B;Emma Hansen;010203-1234\n"
        "elev;4.B;Bo 0102031234;E-2\n"
    )
    response = post_csv(client, school, headers, body)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "1234" not in text
    errors = response.get_json()["error"]["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "external_id"), (4, "name")]
    assert all("CPR" in e["message"] for e in errors)
    assert roster_state(session, school) == before
    column = post_csv(client, school, headers, "type;class;name;external_id;CPR\n")
    assert [(e["row"], e["field"]) for e in column.get_json()["error"]["details"]["errors"]] == [
        (1, "CPR")
    ]


def test_semicolons_and_a_byte_order_mark_as_danish_excel_writes(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    excel = "\ufeffType;Klasse;Navn;External_ID;E-mail\r\nklasse;4.b;;;\r\nelev;4.B;Åse Ø;E-1;\r\n"
    response = post_csv(client, school, headers, excel.encode("utf-8"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["summary"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert roster_state(session, school)[:2] == [
        ("E-1", "Åse Ø", None, "pupil", "4.B", True),
        ("4.B", 4, True),
    ]


def test_pupils_email_is_not_stored(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, headers = setup(app, session)
    body = "type,class,name,external_id,email\nklasse,4.B,,,\nelev,4.B,Bo,E-1,bo@hjem.dk\n"
    response = post_csv(client, school, headers, body)
    assert response.status_code == 200
    assert response.get_json()["warnings"] == [
        {"row": 3, "field": "email", "message": "Ignored: pupils' e-mail addresses are not stored."}
    ]
    assert roster_state(session, school)[0] == ("E-1", "Bo", None, "pupil", "4.B", True)


def test_dry_run_reports_and_writes_nothing(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    before = roster_state(session, school)
    response = post_csv(client, school, headers, GOOD, dry_run="true")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["dry_run"], body["applied"]) == (True, False)
    assert body["summary"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert roster_state(session, school) == before
    assert session.scalar(select(func.count()).select_from(AuditEventRow).where(
        AuditEventRow.event == "roster_imported")) == 0  # fmt: skip


def test_multipart_upload_and_existing_classes(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, headers = setup(app, session)
    make_class(session, school, "5.C", 5)
    response = client.post(
        f"/api/v1/schools/{school.id}/roster",
        data={"file": (io.BytesIO(b"type,class,name,external_id\nelev,5.C,Bo,E-1\n"), "r.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert roster_state(session, school)[0] == ("E-1", "Bo", None, "pupil", "5.C", True)


def test_files_over_2_mb_are_refused(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, headers = setup(app, session)
    line = "elev,4.B,Bo Bosen,E-{},\n"
    big = "type,class,name,external_id,email\n" + "".join(
        line.format(n) for n in range(2 * 1024 * 1024 // len(line) + 10)
    )
    before = roster_state(session, school)
    response = post_csv(client, school, headers, big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert roster_state(session, school) == before


def test_not_utf8_names_the_row(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, headers = setup(app, session)
    latin1 = "type,class,name,external_id\nklasse,4.B,,\nelev,4.B,Søren,E-1\n".encode("latin-1")
    response = post_csv(client, school, headers, latin1)
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.get_json()["error"]["details"]["errors"]] == [
        (3, "file")
    ]
