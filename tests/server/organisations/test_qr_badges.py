"""QR badges: issue, revoke, reissue, sign-in by code, and a printable sheet that scans."""

from __future__ import annotations

import io
import uuid

import zxingcpp
from apiflask import APIFlask
from flask.testing import FlaskClient
from organisations_auth import bearer
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_class, make_school, make_user
from server.identity import badge_sheet
from server.identity.badges import (
    NotAPupil,
    authenticate_badge,
    hash_code,
    issue_badge,
    reissue_badge,
    revoke_badge,
)
from server.identity.models import AuditEventRow, BadgeRow


def events(session: Session, event: str) -> list[AuditEventRow]:
    session.expire_all()
    return list(session.scalars(select(AuditEventRow).where(AuditEventRow.event == event)))


def test_issue_revoke_reissue_and_sign_in(session: Session) -> None:
    school = make_school(session)
    four = make_class(session, school, "4.B", 4)
    pupil = make_user(session, "pupil", school_class=four, name="Ida Elev")
    teacher = make_user(session, "teacher", school=school)

    badge, code = issue_badge(session, pupil.id, teacher.id)
    session.commit()
    assert code.startswith("SH1-") and len(code) == 36
    assert badge.token_hash == hash_code(code) and code not in badge.token_hash
    assert authenticate_badge(session, code) == pupil.id
    assert authenticate_badge(session, code + "x") is None
    assert authenticate_badge(session, "not a badge") is None

    new_badge, new_code = reissue_badge(session, pupil.id, teacher.id)
    session.commit()
    assert new_code != code
    assert authenticate_badge(session, code) is None  # the old card is dead
    assert authenticate_badge(session, new_code) == pupil.id

    assert revoke_badge(session, new_badge, teacher.id) is True
    assert revoke_badge(session, new_badge, teacher.id) is False
    session.commit()
    assert authenticate_badge(session, new_code) is None

    issued = events(session, "badge_issued")
    assert [(e.actor_user_id, e.subject_user_id, e.school_id) for e in issued] == [
        (teacher.id, pupil.id, school.id)
    ] * 2
    assert len(events(session, "badge_revoked")) == 2
    assert [e.detail["method"] for e in events(session, "sign_in")] == ["badge", "badge"]
    assert sorted(e.detail["reason"] for e in events(session, "sign_in_failed")) == [
        "revoked badge", "revoked badge", "unknown badge", "unknown badge",
    ]  # fmt: skip


def test_badges_are_only_for_active_pupils(session: Session) -> None:
    school = make_school(session)
    four = make_class(session, school, "4.B", 4)
    teacher = make_user(session, "teacher", school=school)
    pupil = make_user(session, "pupil", school_class=four)
    try:
        issue_badge(session, teacher.id, None)
    except NotAPupil:
        pass
    else:
        raise AssertionError("a teacher got a badge")
    _, code = issue_badge(session, pupil.id, teacher.id)
    session.commit()
    pupil.active = False
    session.commit()
    assert authenticate_badge(session, code) is None
    assert events(session, "sign_in_failed")[0].detail["reason"] == "inactive pupil"


def test_class_badges_api_issues_for_pupils_without_one(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session)
    four = make_class(session, school, "4.B", 4)
    ida = make_user(session, "pupil", school_class=four, name="Ida")
    bo = make_user(session, "pupil", school_class=four, name="Bo")
    teacher = make_user(session, "teacher", school=school)
    headers = bearer(app, session, teacher)
    first = client.post(f"/api/v1/classes/{four.id}/badges", json={}, headers=headers)
    assert first.status_code == 200, first.get_json()
    issued = first.get_json()["issued"]
    assert [i["pupil"]["display_name"] for i in issued] == ["Bo", "Ida"]
    assert {authenticate_badge(session, i["code"]) for i in issued} == {ida.id, bo.id}
    again = client.post(f"/api/v1/classes/{four.id}/badges", json={}, headers=headers)
    assert again.get_json()["issued"] == []
    renewed = client.post(
        f"/api/v1/classes/{four.id}/badges", json={"reissue": True}, headers=headers
    ).get_json()["issued"]
    assert len(renewed) == 2
    assert [authenticate_badge(session, i["code"]) for i in issued] == [None, None]

    one = client.post(f"/api/v1/users/{ida.id}/badge", headers=headers)
    assert one.status_code == 200
    code = one.get_json()["issued"][0]["code"]
    assert authenticate_badge(session, code) == ida.id
    badge_id = one.get_json()["issued"][0]["badge"]["id"]
    revoked = client.post(f"/api/v1/badges/{badge_id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    assert authenticate_badge(session, code) is None
    not_pupil = client.post(f"/api/v1/users/{teacher.id}/badge", headers=headers)
    assert not_pupil.status_code == 409


def test_the_sheet_decodes_to_valid_badges_of_the_right_pupils(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session, name="Åby Skole")
    four = make_class(session, school, "4.B", 4)
    names = [f"Elev{n:02d} Østergård" for n in range(14)]  # two pages
    pupils = {make_user(session, "pupil", school_class=four, name=n).id: n for n in names}
    teacher = make_user(session, "teacher", school=school)
    headers = bearer(app, session, teacher)
    _, old_code = issue_badge(session, next(iter(pupils)), teacher.id)
    session.commit()

    response = client.get(f"/api/v1/classes/{four.id}/badges/sheet.png", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (badge_sheet.PAGE_WIDTH, 2 * badge_sheet.PAGE_HEIGHT + 40)
    codes = [result.text for result in zxingcpp.read_barcodes(image)]
    assert len(codes) == 14 and len(set(codes)) == 14
    signed_in = [authenticate_badge(session, code) for code in codes]
    assert set(signed_in) == set(pupils)
    assert authenticate_badge(session, old_code) is None  # printing a new sheet revoked it
    active = session.scalars(select(BadgeRow).where(BadgeRow.revoked_at.is_(None))).all()
    assert len(active) == 14

    pdf = client.get(f"/api/v1/classes/{four.id}/badges/sheet.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and pdf.data.count(b"/Type /Page\n") == 2
    assert [authenticate_badge(session, code) for code in codes] == [None] * 14


def test_each_card_shows_the_right_pupil() -> None:
    """Render cards for known codes and check each QR sits on its pupil's card."""
    cards = [
        badge_sheet.BadgeCard(f"SH1-{uuid.uuid4().hex}", first, "4.B", "Åby Skole")
        for first in badge_sheet.first_names(["Emma Hansen", "Emma Pedersen", "Ægir Ø"])
    ]
    assert [c.first_name for c in cards] == ["Emma H.", "Emma P.", "Ægir"]
    page = badge_sheet.render_pages(cards, title="4.B")[0]
    results = zxingcpp.read_barcodes(page)
    width = (badge_sheet.PAGE_WIDTH - 2 * badge_sheet.MARGIN) // badge_sheet.COLUMNS
    by_column = {(r.position.top_left.x - badge_sheet.MARGIN) // width: r.text for r in results}
    assert by_column == {n: card.code for n, card in enumerate(cards)}
    assert badge_sheet.has_danish_letters()


def test_empty_class_has_no_sheet(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school = make_school(session)
    empty = make_class(session, school, "1.A", 1)
    teacher = make_user(session, "teacher", school=school)
    response = client.get(
        f"/api/v1/classes/{empty.id}/badges/sheet.pdf", headers=bearer(app, session, teacher)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_pupils"
