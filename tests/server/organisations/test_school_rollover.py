"""School-year rollover: classes move up and are renamed, leavers go, nothing is deleted."""

from __future__ import annotations

from apiflask import APIFlask
from flask.testing import FlaskClient
from organisations_auth import bearer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_class, make_school, make_user
from server.identity.badges import authenticate_badge, issue_badge
from server.identity.models import AuditEventRow
from server.organisations.models import MembershipRow, SchoolClassRow, SchoolRow, UserRow


def classes(session: Session, school: SchoolRow) -> list[tuple[str, int, str, bool]]:
    session.expire_all()
    rows = session.scalars(
        select(SchoolClassRow)
        .where(SchoolClassRow.school_id == school.id)
        .order_by(SchoolClassRow.grade, SchoolClassRow.name)
    )
    return [(c.name, c.grade, c.school_year, c.active) for c in rows]


def test_rollover_moves_classes_up_and_deactivates_leavers(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session, "751")
    zero = make_class(session, school, "0.A", 0)
    four = make_class(session, school, "4.B", 4)
    nine = make_class(session, school, "9.A", 9)
    pupil = make_user(session, "pupil", school_class=four, name="Emma")
    leaver = make_user(session, "pupil", school_class=nine, name="Bo")
    teacher = make_user(session, "teacher", school=school)
    _, leaver_code = issue_badge(session, leaver.id, teacher.id)
    session.commit()
    leader = make_user(session, "school_leader", school=school)
    headers = bearer(app, session, leader)
    users_before = session.scalar(select(func.count()).select_from(UserRow))

    response = client.post(
        f"/api/v1/schools/{school.id}/rollover",
        json={"from_school_year": "2026/27"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from_school_year"], body["school_year"], body["last_grade"]) == (
        "2026/27", "2027/28", 9
    )  # fmt: skip
    assert [(p["from_name"], p["to_name"], p["grade"]) for p in body["promoted"]] == [
        ("0.A", "1.A", 1),
        ("4.B", "5.B", 5),
    ]
    assert body["graduated"] == [{"class_id": str(nine.id), "name": "9.A", "pupils_deactivated": 1}]
    assert classes(session, school) == [
        ("1.A", 1, "2027/28", True),
        ("5.B", 5, "2027/28", True),
        ("9.A", 9, "2026/27", False),
    ]
    assert session.get(SchoolClassRow, zero.id).name == "1.A"  # same class, same id
    memberships = {
        m.user_id: (m.class_id, m.active)
        for m in session.scalars(select(MembershipRow).where(MembershipRow.role == "pupil"))
    }
    assert memberships == {pupil.id: (four.id, True), leaver.id: (nine.id, False)}
    assert session.scalar(select(func.count()).select_from(UserRow)) == users_before
    assert authenticate_badge(session, leaver_code) is None  # a leaver's badge stops working
    assert session.get(SchoolRow, school.id).school_year == "2027/28"
    event = session.scalars(
        select(AuditEventRow).where(AuditEventRow.event == "school_year_rolled_over")
    ).one()
    assert (event.actor_user_id, event.school_id, event.detail["to"]) == (
        leader.id, school.id, "2027/28"
    )  # fmt: skip

    before = classes(session, school)
    again = client.post(
        f"/api/v1/schools/{school.id}/rollover",
        json={"from_school_year": "2026/27"},
        headers=headers,
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "school_year_mismatch"
    assert again.get_json()["error"]["details"] == {"school_year": "2027/28"}
    assert classes(session, school) == before


def test_a_school_with_tenth_grade_keeps_its_ninth_graders(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session)
    make_class(session, school, "9.A", 9)
    make_class(session, school, "10.X", 10)
    leader = make_user(session, "school_leader", school=school)
    response = client.post(
        f"/api/v1/schools/{school.id}/rollover",
        json={"from_school_year": "2026/27"},
        headers=bearer(app, session, leader),
    )
    assert response.status_code == 200
    assert classes(session, school) == [
        ("10.A", 10, "2027/28", True),
        ("10.X", 10, "2026/27", False),
    ]


def test_rollover_is_refused_to_teachers_and_pupils(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session)
    four = make_class(session, school, "4.B", 4)
    for user in (
        make_user(session, "teacher", school=school),
        make_user(session, "pupil", school_class=four),
    ):
        response = client.post(
            f"/api/v1/schools/{school.id}/rollover",
            json={"from_school_year": "2026/27"},
            headers=bearer(app, session, user),
        )
        assert response.status_code == 403
    assert classes(session, school) == [("4.B", 4, "2026/27", True)]
