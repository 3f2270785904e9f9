"""The goals JSON API, through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_goals.faelles_maal import load_shipped_frameworks
from learning_goals.model import (
    Association,
    AssociationType,
    Framework,
    FrameworkPackage,
    Goal,
    GoalKind,
    NodeRef,
    stable_id,
)
from server.goals.models import GoalRow
from server.goals.operations import import_package


def small_package(key: str = "test-brøk", subject: str = "Matematik") -> FrameworkPackage:
    """Area → competence goal → two skill goals, one about brøker; made by hand for search."""
    fid = stable_id(key, "")
    framework = Framework(id=fid, title=f"Test {key}", creator="tests", subject=subject)
    area = Goal(stable_id(key, "a"), "Tal og algebra", GoalKind.COMPETENCE_AREA, "A", position=0)
    cg = Goal(
        stable_id(key, "a/6"),
        "Eleven kan anvende rationale tal",
        GoalKind.COMPETENCE_GOAL,
        "A6",
        grade_band="efter 6. klassetrin",
        grades=(4, 5, 6),
        position=0,
    )
    brok = Goal(
        stable_id(key, "a/6/1"),
        "Eleven kan regne med brøker og decimaltal",
        GoalKind.SKILL_GOAL,
        "A6.1",
        grades=(4, 5, 6),
        position=0,
    )
    geo = Goal(
        stable_id(key, "a/6/2"),
        "Eleven kan måle længder i en tegning",
        GoalKind.SKILL_GOAL,
        "A6.2",
        grades=(4, 5, 6),
        position=1,
    )
    doc = NodeRef(str(fid), f"urn:test:{fid}", framework.title)

    def ref(goal: Goal) -> NodeRef:
        return NodeRef(str(goal.id), f"urn:test:{goal.id}", goal.full_statement)

    def child(goal: Goal, parent: NodeRef, n: int) -> Association:
        return Association(
            stable_id(key, f"child/{goal.id}"), AssociationType.IS_CHILD_OF, ref(goal), parent, n
        )

    associations = (
        child(area, doc, 0),
        child(cg, ref(area), 0),
        child(brok, ref(cg), 0),
        child(geo, ref(cg), 1),
        Association(
            stable_id(key, "rel"),
            AssociationType.IS_RELATED_TO,
            ref(brok),
            NodeRef("ext-1", "https://example.invalid/CFItems/ext-1", "Outside"),
        ),
    )
    return FrameworkPackage(framework, (area, cg, brok, geo), associations)


@pytest.fixture
def shipped(session: Session) -> list[FrameworkPackage]:
    packages = load_shipped_frameworks()
    for package in packages:
        import_package(session, package)
    return packages


@pytest.fixture
def brok(session: Session) -> FrameworkPackage:
    package = small_package()
    import_package(session, package)
    return package


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_health_and_ready(client: FlaskClient) -> None:
    assert get_json(client, "/health") == {"status": "ok"}
    assert get_json(client, "/ready") == {
        "status": "ok",
        "checks": {"database": "ok", "search": "ok", "search_outbox": "ok"},
    }


def test_frameworks_list_and_filters(client: FlaskClient, shipped: list[FrameworkPackage]) -> None:
    body = get_json(client, "/api/v1/frameworks")
    assert body["total"] == 2
    assert [f["subject"] for f in body["items"]] == ["Dansk", "Matematik"]
    mat = get_json(client, "/api/v1/frameworks?subject=matematik")["items"]
    assert [f["title"] for f in mat] == ["Fælles Mål – Matematik"]
    assert mat[0]["gaps"], "the framework must say what it lacks"
    assert mat[0]["case_uri"] == f"http://skolehylde.test/ims/case/v1p0/CFDocuments/{mat[0]['id']}"
    # Matematik has a 10. klasse band, Dansk ends with 9.
    assert [f["subject"] for f in get_json(client, "/api/v1/frameworks?grade=10")["items"]] == [
        "Matematik"
    ]
    assert get_json(client, "/api/v1/frameworks?grade=0")["total"] == 0


def test_tree_is_nested_and_depth_limited(client: FlaskClient, brok: FrameworkPackage) -> None:
    fid = brok.framework.id
    full = get_json(client, f"/api/v1/frameworks/{fid}")
    assert [g["full_statement"] for g in full["goals"]] == ["Tal og algebra"]
    cg = full["goals"][0]["children"]
    assert [g["full_statement"] for g in cg] == ["Eleven kan anvende rationale tal"]
    assert [g["human_code"] for g in cg[0]["children"]] == ["A6.1", "A6.2"]
    assert [g["depth"] for g in cg[0]["children"]] == [2, 2]
    shallow = get_json(client, f"/api/v1/frameworks/{fid}?depth=0")
    assert [g["children"] for g in shallow["goals"]] == [[]]


def test_goal_detail_has_ancestors_children_and_related(
    client: FlaskClient, brok: FrameworkPackage
) -> None:
    area, cg, brok_goal, _ = brok.goals
    body = get_json(client, f"/api/v1/goals/{brok_goal.id}")
    assert body["goal"]["full_statement"] == "Eleven kan regne med brøker og decimaltal"
    assert [a["id"] for a in body["ancestors"]] == [str(area.id), str(cg.id)]
    assert body["children"] == []
    assert body["related"] == [
        {
            "type": "isRelatedTo",
            "direction": "outgoing",
            "goal": None,
            "node": {
                "identifier": "ext-1",
                "uri": "https://example.invalid/CFItems/ext-1",
                "title": "Outside",
            },
        }
    ]
    parent = get_json(client, f"/api/v1/goals/{cg.id}")
    assert [c["human_code"] for c in parent["children"]] == ["A6.1", "A6.2"]
    assert parent["descendant_count"] == 2


@pytest.mark.parametrize("query", ["brøk", "brøker", "broek", "BRØK", "regne brøk", "brø"])
def test_goal_search_finds_brøker(client: FlaskClient, brok: FrameworkPackage, query: str) -> None:
    body = get_json(client, f"/api/v1/goals?q={query}")
    assert [hit["goal"]["human_code"] for hit in body["items"]] == ["A6.1"]
    assert body["total"] == 1
    assert body["items"][0]["framework_title"] == "Test test-brøk"


def test_goal_search_every_word_must_match(client: FlaskClient, brok: FrameworkPackage) -> None:
    assert get_json(client, "/api/v1/goals?q=brøk tegning")["total"] == 0
    assert get_json(client, "/api/v1/goals?q=brøk&grade=7")["total"] == 0
    assert get_json(client, "/api/v1/goals?q=brøk&grade=5")["total"] == 1
    assert get_json(client, "/api/v1/goals?q=brøk&subject=Dansk")["total"] == 0
    assert get_json(client, "/api/v1/goals?q=brøk&kind=competence_goal")["total"] == 0


def test_goal_search_on_faelles_maal(client: FlaskClient, shipped: list[FrameworkPackage]) -> None:
    body = get_json(client, "/api/v1/goals?q=statistiske undersøgelser&subject=Matematik&grade=5")
    statements = [hit["goal"]["full_statement"] for hit in body["items"]]
    assert statements, "Fælles Mål Matematik has statistics goals for 4.–6. klasse"
    assert all("statistisk" in s.casefold() for s in statements)
    assert all(5 in hit["goal"]["grades"] for hit in body["items"])
    danish = get_json(client, "/api/v1/goals?q=læse&subject=Dansk")
    assert danish["total"] > 0
    assert all(h["subject"] == "Dansk" for h in danish["items"])


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ('"brøk"', ["A6.1"]),
        ("brøk*", ["A6.1"]),
        ("(brøk)", ["A6.1"]),
        ("q:brøk", []),  # every word must match, and no goal has a word starting with "q"
        ("brøk' OR 1=1", []),
        ("%", ["A", "A6", "A6.1", "A6.2"]),  # no words at all: the list, not an SQL wildcard
        ("_", ["A", "A6", "A6.1", "A6.2"]),
    ],
)
def test_odd_search_input_is_just_text(
    client: FlaskClient, brok: FrameworkPackage, query: str, codes: list[str]
) -> None:
    body = get_json(client, "/api/v1/goals?" + urlencode({"q": query}))
    assert [hit["goal"]["human_code"] for hit in body["items"]] == codes


def test_empty_search_lists_goals_with_paging(client: FlaskClient, brok: FrameworkPackage) -> None:
    first = get_json(client, "/api/v1/goals?limit=3")
    assert first["total"] == 4
    assert [h["goal"]["human_code"] for h in first["items"]] == ["A", "A6", "A6.1"]
    rest = get_json(client, "/api/v1/goals?limit=3&offset=3")
    assert [h["goal"]["human_code"] for h in rest["items"]] == ["A6.2"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/frameworks?limit=0", 422, "validation_error"),
        ("/api/v1/frameworks?limit=abc", 422, "validation_error"),
        ("/api/v1/frameworks?offset=-1", 422, "validation_error"),
        ("/api/v1/frameworks?grade=11", 422, "validation_error"),
        ("/api/v1/frameworks?colour=blue", 422, "validation_error"),
        ("/api/v1/goals?q=" + "x" * 201, 422, "validation_error"),
        ("/api/v1/goals?framework_id=not-a-uuid", 422, "validation_error"),
        ("/api/v1/goals?subject=%00", 422, "validation_error"),
        ("/api/v1/goals?q=br%C3%B8k%00", 422, "validation_error"),
        (f"/api/v1/goals/{uuid.UUID(int=1)}", 404, "goal_not_found"),
        (f"/api/v1/frameworks/{uuid.UUID(int=1)}", 404, "framework_not_found"),
        ("/api/v1/goals/not-a-uuid", 404, "not_found"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ],
)
def test_bad_input_gets_the_error_body(
    client: FlaskClient, brok: FrameworkPackage, url: str, status: int, code: str
) -> None:
    body = get_json(client, url, status)
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


def test_validation_details_name_the_field(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/frameworks?limit=0", 422)
    assert list(body["error"]["details"]["query"]) == ["limit"]


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/frameworks", json={})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_reimport_updates_in_place(session: Session, brok: FrameworkPackage) -> None:
    before = {g.id for g in session.scalars(select(GoalRow))}
    changed = small_package()
    goals = list(changed.goals)
    goals[2] = Goal(
        goals[2].id, "Eleven kan regne med brøker", GoalKind.SKILL_GOAL, "A6.1", grades=(4, 5, 6)
    )
    report = import_package(
        session, FrameworkPackage(changed.framework, tuple(goals), changed.associations)
    )
    assert (report.created, report.goals_added, report.goals_updated, report.goals_removed) == (
        False,
        0,
        4,
        0,
    )
    assert {g.id for g in session.scalars(select(GoalRow))} == before
    assert session.get(GoalRow, goals[2].id).full_statement == "Eleven kan regne med brøker"
