"""The CASE provider and the CASE round trip through the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learning_goals.case import read_case_package, validate_case_package
from learning_goals.faelles_maal import load_shipped_frameworks
from learning_goals.model import FrameworkPackage
from server.goals.models import AssociationRow, FrameworkRow, GoalClosureRow, GoalRow, GoalTermRow
from server.goals.operations import import_package

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "case"
CASE_FILES = ["opensalt_smartlevel-test.json", "opensalt_what-standards-could-be_20c5134f.json"]


def raw(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def items_of(doc: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {
        (i["identifier"], i["fullStatement"], i.get("humanCodingScheme")) for i in doc["CFItems"]
    }


def end(node: Any) -> str:
    return node["identifier"] if isinstance(node, dict) else str(node).rsplit("/", 1)[-1]


def associations_of(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (end(a["originNodeURI"]), end(a["destinationNodeURI"]), a["associationType"])
        for a in doc["CFAssociations"]
    }


def counts(session: Session) -> tuple[int, ...]:
    tables = (FrameworkRow, GoalRow, AssociationRow, GoalClosureRow, GoalTermRow)
    return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in tables)


@pytest.fixture
def imported(session: Session) -> dict[str, FrameworkPackage]:
    packages = {}
    for name in CASE_FILES:
        package = read_case_package((FIXTURES / name).read_bytes())
        import_package(session, package)
        packages[name] = package
    return packages


@pytest.mark.parametrize("name", CASE_FILES)
def test_round_trip_through_the_database(
    client: FlaskClient, session: Session, imported: dict[str, FrameworkPackage], name: str
) -> None:
    """import → export (HTTP CFPackages) → import gives the same items and associations."""
    original = raw(name)
    document_id = imported[name].framework.id
    exported = client.get(f"/ims/case/v1p0/CFPackages/{document_id}").get_json()
    assert validate_case_package(exported) == []
    assert items_of(exported) == items_of(original)
    assert associations_of(exported) == associations_of(original)

    before = counts(session)
    again = read_case_package(json.dumps(exported))
    report = import_package(session, again)
    assert (report.created, report.goals_added, report.goals_removed) == (False, 0, 0)
    assert counts(session) == before  # in place: no duplicates
    second = client.get(f"/ims/case/v1p0/CFPackages/{document_id}").get_json()
    assert items_of(second) == items_of(original)
    assert associations_of(second) == associations_of(original)


def test_faelles_maal_exports_validate(client: FlaskClient, session: Session) -> None:
    for package in load_shipped_frameworks():
        import_package(session, package)
        exported = client.get(f"/ims/case/v1p0/CFPackages/{package.framework.id}").get_json()
        assert validate_case_package(exported) == []
        assert len(exported["CFItems"]) == len(package.goals)
        assert len(exported["CFAssociations"]) == len(package.associations)


def test_external_references_are_kept(
    client: FlaskClient, imported: dict[str, FrameworkPackage]
) -> None:
    package = imported[CASE_FILES[1]]
    ours = {str(g.id) for g in package.goals} | {str(package.framework.id)}
    exported = client.get(f"/ims/case/v1p0/CFPackages/{package.framework.id}").get_json()
    outside = [a for a in exported["CFAssociations"] if end(a["destinationNodeURI"]) not in ours]
    assert len(outside) == 21


def test_documents_are_paged_with_total_count(
    client: FlaskClient, imported: dict[str, FrameworkPackage]
) -> None:
    first = client.get("/ims/case/v1p0/CFDocuments?limit=1")
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "2"
    second = client.get("/ims/case/v1p0/CFDocuments?limit=1&offset=1")
    titles = [
        d["title"] for d in first.get_json()["CFDocuments"] + second.get_json()["CFDocuments"]
    ]
    assert sorted(titles) == sorted(p.framework.title for p in imported.values())
    empty = client.get("/ims/case/v1p0/CFDocuments?offset=5")
    assert empty.get_json() == {"CFDocuments": []}
    assert empty.headers["X-Total-Count"] == "2"


def test_single_objects(client: FlaskClient, imported: dict[str, FrameworkPackage]) -> None:
    package = imported[CASE_FILES[0]]
    goal = package.goals[0]
    document = client.get(f"/ims/case/v1p0/CFDocuments/{package.framework.id}").get_json()
    assert document["title"] == "SmartLevel Test"
    assert document["uri"] == (
        f"http://skolehylde.test/ims/case/v1p0/CFDocuments/{package.framework.id}"
    )
    item = client.get(f"/ims/case/v1p0/CFItems/{goal.id}").get_json()
    assert (item["identifier"], item["fullStatement"]) == (str(goal.id), goal.full_statement)
    assoc = package.associations[0]
    one = client.get(f"/ims/case/v1p0/CFAssociations/{assoc.id}").get_json()
    assert (one["identifier"], one["associationType"]) == (str(assoc.id), str(assoc.type))
    pair = client.get(f"/ims/case/v1p0/CFItemAssociations/{goal.id}").get_json()
    assert pair["CFItem"]["identifier"] == str(goal.id)
    expected = {
        str(a.id)
        for a in package.associations
        if str(goal.id) in (a.origin.identifier, a.destination.identifier)
    }
    assert {a["identifier"] for a in pair["CFAssociations"]} == expected


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/ims/case/v1p0/CFDocuments/{uuid.UUID(int=7)}", 404),
        (f"/ims/case/v1p0/CFPackages/{uuid.UUID(int=7)}", 404),
        (f"/ims/case/v1p0/CFItems/{uuid.UUID(int=7)}", 404),
        (f"/ims/case/v1p0/CFAssociations/{uuid.UUID(int=7)}", 404),
        (f"/ims/case/v1p0/CFItemAssociations/{uuid.UUID(int=7)}", 404),
        ("/ims/case/v1p0/CFItems/not-a-uuid", 404),
        ("/ims/case/v1p0/CFDocuments?limit=0", 422),
        ("/ims/case/v1p0/CFDocuments?offset=-3", 422),
        ("/ims/case/v1p0/CFDocuments?limit=many", 422),
    ],
)
def test_case_errors_use_imsx_status_info(client: FlaskClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.get_json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    assert body["imsx_description"]
    minor = body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
    assert minor == ("unknownobject" if status == 404 else "invalid_data")
