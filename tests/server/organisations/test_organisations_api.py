"""The organisations API: who may see and change what, in which tenant."""

from __future__ import annotations

from apiflask import APIFlask
from flask.testing import FlaskClient
from organisations_auth import bearer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.identity.models import AuditEventRow
from server.organisations.models import MembershipRow, PublisherRow, SchoolRow

CSV = {"Content-Type": "text/csv"}


def test_anonymous_gets_401_and_municipalities_are_public(
    client: FlaskClient, session: Session
) -> None:
    school = make_school(session)
    for method, url in [
        ("GET", "/api/v1/me"),
        ("GET", f"/api/v1/schools/{school.id}"),
        ("POST", f"/api/v1/schools/{school.id}/roster"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/publishers"),
    ]:
        response = client.open(url, method=method)
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "unauthenticated"
    public = client.get("/api/v1/municipalities")
    assert public.status_code == 200
    items = public.get_json()["items"]
    assert len(items) == 98
    assert items[0] == {"code": "101", "name": "København", "region": "Region Hovedstaden"}


def test_me_lists_the_roles_with_their_tenants(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session, "751", "Åby Skole")
    four = make_class(session, school, "4.B", 4)
    pupil = make_user(session, "pupil", school_class=four, name="Ida")
    body = client.get("/api/v1/me", headers=bearer(app, session, pupil)).get_json()
    assert body["user"]["display_name"] == "Ida" and body["method"] == "password"
    assert body["user"]["roles"] == [
        {
            "role": "pupil", "school_id": str(school.id), "school_name": "Åby Skole",
            "class_id": str(four.id), "class_name": "4.B", "municipality_code": "751",
            "municipality_name": "Aarhus", "publisher_id": None, "publisher_name": None,
        }
    ]  # fmt: skip


def test_tenants_are_isolated(app: APIFlask, client: FlaskClient, session: Session) -> None:
    mine, theirs = make_school(session, "101"), make_school(session, "751")
    my_class, their_class = make_class(session, mine, "4.B", 4), make_class(session, theirs)
    stranger = bearer(app, session, make_user(session, "teacher", school=theirs))
    pupil = bearer(app, session, make_user(session, "pupil", school_class=my_class))
    teacher = bearer(app, session, make_user(session, "teacher", school=mine))
    for url in (f"/api/v1/schools/{mine.id}", f"/api/v1/classes/{my_class.id}"):
        assert client.get(url, headers=stranger).status_code == 404
    roster = "type,class,name,external_id\nklasse,5.A,,\n"
    url = f"/api/v1/schools/{mine.id}/roster"
    foreign = client.post(url, data=roster, headers={**stranger, **CSV})
    assert (foreign.status_code, foreign.get_json()["error"]["code"]) == (404, "school_not_found")
    forbidden = client.post(url, data=roster, headers={**pupil, **CSV})
    assert (forbidden.status_code, forbidden.get_json()["error"]["code"]) == (403, "forbidden")
    assert client.post(url, data=roster, headers={**teacher, **CSV}).status_code == 403
    assert client.get(f"/api/v1/classes/{their_class.id}", headers=teacher).status_code == 404
    assert client.get(f"/api/v1/schools/{mine.id}", headers=pupil).status_code == 200
    assert client.get(f"/api/v1/classes/{my_class.id}", headers=pupil).status_code == 403


def test_pupil_names_are_for_staff_only(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school = make_school(session, "751")
    four = make_class(session, school, "4.B", 4)
    ida = make_user(session, "pupil", school_class=four, name="Ida")
    teacher = make_user(session, "teacher", school=school)
    buyer = make_user(session, "municipal_buyer", municipality_code="751")
    url = f"/api/v1/classes/{four.id}"
    staff = client.get(url, headers=bearer(app, session, teacher)).get_json()
    assert staff["pupils"] == [{"id": str(ida.id), "display_name": "Ida"}]
    assert staff["pupil_count"] == 1
    other = client.get(url, headers=bearer(app, session, buyer)).get_json()
    assert (other["pupils"], other["pupil_count"]) == (None, 1)
    listed = client.get(f"/api/v1/schools/{school.id}/classes", headers=bearer(app, session, buyer))
    assert [(c["name"], c["pupil_count"]) for c in listed.get_json()["items"]] == [("4.B", 1)]
    schools = client.get("/api/v1/municipalities/751/schools", headers=bearer(app, session, buyer))
    assert [s["id"] for s in schools.get_json()["items"]] == [str(school.id)]
    assert (
        client.get(
            "/api/v1/municipalities/101/schools", headers=bearer(app, session, buyer)
        ).status_code
        == 404
    )


def test_create_school(app: APIFlask, client: FlaskClient, session: Session) -> None:
    buyer = bearer(app, session, make_user(session, "municipal_buyer", municipality_code="751"))
    body = {"institution_number": "751001", "name": "Ny Skole", "municipality_code": "751",
            "school_year": "2026/27"}  # fmt: skip
    created = client.post("/api/v1/schools", json=body, headers=buyer)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["municipality_name"] == "Aarhus"
    again = client.post("/api/v1/schools", json={**body, "name": "Igen"}, headers=buyer)
    assert (again.status_code, again.get_json()["error"]["code"]) == (
        409,
        "institution_number_taken",
    )
    elsewhere = client.post(
        "/api/v1/schools", json={**body, "institution_number": "101001",
                                 "municipality_code": "101"}, headers=buyer,
    )  # fmt: skip
    assert elsewhere.status_code == 403
    short = client.post("/api/v1/schools", json={**body, "institution_number": "75100"},
                        headers=buyer)  # fmt: skip
    assert short.status_code == 422
    assert session.scalar(select(func.count()).select_from(SchoolRow)) == 1


def test_create_and_read_publishers(app: APIFlask, client: FlaskClient, session: Session) -> None:
    admin = bearer(app, session, make_user(session, "platform_admin"))
    body = {"name": "Forlaget Æble", "cvr": "10150817", "contact_email": "info@aeble.dk"}
    created = client.post("/api/v1/publishers", json=body, headers=admin)
    assert created.status_code == 201
    bad = client.post("/api/v1/publishers", json={**body, "cvr": "10150818"}, headers=admin)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "invalid_cvr"
    assert bad.get_json()["error"]["message"] == (
        "'10150818' is not a valid CVR number. A CVR number is 8 digits, does not start with 0"
        " and passes the modulus-11 check."
    )
    assert client.post("/api/v1/publishers", json=body, headers=admin).status_code == 409
    teacher = bearer(app, session, make_user(session, "teacher", school=make_school(session)))
    refused = client.post("/api/v1/publishers", json={**body, "cvr": "12345674"}, headers=teacher)
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(PublisherRow)) == 1
    mine, other = make_publisher(session, "Mit Forlag"), make_publisher(session, "Andet")
    publisher_admin = bearer(app, session, make_user(session, "publisher_admin", publisher=mine))
    assert client.get(f"/api/v1/publishers/{mine.id}", headers=publisher_admin).status_code == 200
    assert client.get(f"/api/v1/publishers/{other.id}", headers=publisher_admin).status_code == 404


def test_role_changes(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, other = make_school(session), make_school(session)
    four = make_class(session, school, "4.B", 4)
    person = make_user(session, "pupil", school_class=four, name="Kim")
    leader_user = make_user(session, "school_leader", school=school)
    leader = bearer(app, session, leader_user)
    url = f"/api/v1/users/{person.id}/roles"
    to_teacher = client.put(url, json={"roles": [{"role": "teacher", "school_id": str(school.id)}]},
                            headers=leader)  # fmt: skip
    assert to_teacher.status_code == 200, to_teacher.get_json()
    body = to_teacher.get_json()
    assert [(r["role"], r["school_id"]) for r in body["user"]["roles"]] == [
        ("teacher", str(school.id))
    ]
    assert [r["role"] for r in body["granted"]] == ["teacher"]
    assert [r["role"] for r in body["revoked"]] == ["pupil"]
    events = session.scalars(
        select(AuditEventRow).where(AuditEventRow.event == "role_changed").order_by(
            AuditEventRow.detail["change"].as_string())
    ).all()  # fmt: skip
    assert [(e.actor_user_id, e.detail["change"], e.detail["role"]) for e in events] == [
        (leader_user.id, "granted", "teacher"), (leader_user.id, "revoked", "pupil"),
    ]  # fmt: skip
    before = session.scalar(select(func.count()).select_from(MembershipRow))
    for roles in (
        [{"role": "teacher", "school_id": str(school.id)},
         {"role": "teacher", "school_id": str(other.id)}],
        [{"role": "teacher", "school_id": str(school.id)}, {"role": "platform_admin"}],
        [{"role": "teacher", "school_id": str(school.id)},
         {"role": "municipal_buyer", "municipality_code": "101"}],
    ):  # fmt: skip
        refused = client.put(url, json={"roles": roles}, headers=leader)
        assert refused.status_code == 403, roles
        assert len(refused.get_json()["error"]["details"]["refused"]) == 1
    assert session.scalar(select(func.count()).select_from(MembershipRow)) == before
    invalid = client.put(url, json={"roles": [{"role": "pupil", "school_id": str(school.id)}]},
                         headers=leader)  # fmt: skip
    assert invalid.status_code == 422
    admin = bearer(app, session, make_user(session, "platform_admin"))
    promoted = client.put(url, json={"roles": [{"role": "platform_admin"}]}, headers=admin)
    assert [r["role"] for r in promoted.get_json()["user"]["roles"]] == ["platform_admin"]


def test_users_are_visible_to_themselves_and_their_schools_staff(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    school, other = make_school(session), make_school(session)
    four = make_class(session, school, "4.B", 4)
    pupil = make_user(session, "pupil", school_class=four, name="Ida")
    url = f"/api/v1/users/{pupil.id}"
    assert client.get(url, headers=bearer(app, session, pupil)).get_json()["display_name"] == "Ida"
    teacher = make_user(session, "teacher", school=school)
    assert client.get(url, headers=bearer(app, session, teacher)).status_code == 200
    stranger = make_user(session, "teacher", school=other)
    assert client.get(url, headers=bearer(app, session, stranger)).status_code == 404


def test_audit_log_is_scoped(app: APIFlask, client: FlaskClient, session: Session) -> None:
    school, other = make_school(session, "751"), make_school(session, "101")
    for target in (school, other):
        leader = make_user(session, "school_leader", school=target)
        response = client.post(
            f"/api/v1/schools/{target.id}/rollover", json={"from_school_year": "2026/27"},
            headers=bearer(app, session, leader),
        )  # fmt: skip
        assert response.status_code == 200
    leader = make_user(session, "school_leader", school=school)
    page = client.get(
        "/api/v1/audit", query_string={"event": "school_year_rolled_over"},
        headers=bearer(app, session, leader),
    ).get_json()  # fmt: skip
    assert (page["total"], [e["school_id"] for e in page["items"]]) == (1, [str(school.id)])
    buyer = make_user(session, "municipal_buyer", municipality_code="101")
    page = client.get(
        "/api/v1/audit", query_string={"event": "school_year_rolled_over"},
        headers=bearer(app, session, buyer),
    ).get_json()  # fmt: skip
    assert [e["school_id"] for e in page["items"]] == [str(other.id)]
    admin = make_user(session, "platform_admin")
    page = client.get(
        "/api/v1/audit", query_string={"event": "school_year_rolled_over", "limit": 1},
        headers=bearer(app, session, admin),
    ).get_json()  # fmt: skip
    assert (page["total"], len(page["items"])) == (2, 1)
    teacher = make_user(session, "teacher", school=school)
    assert client.get("/api/v1/audit", headers=bearer(app, session, teacher)).status_code == 403
