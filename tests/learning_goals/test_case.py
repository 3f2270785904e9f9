"""CASE import (tolerant reader) and export (strict writer), on real OpenSALT files.

The fixtures are in-repo copies of third-party files (see tests/fixtures/case/PROVENANCE.md).
"""

from __future__ import annotations

import copy
import json
import types
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from learning_goals import case
from learning_goals.case import (
    CaseFormatError,
    association_to_case,
    document_to_case,
    item_to_case,
    item_types_to_case,
    package_to_case,
    read_case_package,
    validate_case_package,
)
from learning_goals.model import (
    ITEM_TYPE_TITLES,
    Association,
    Framework,
    FrameworkPackage,
    Goal,
    GoalFrameworkError,
    GoalKind,
    NodeRef,
    roots,
    stable_id,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "case"
SMARTLEVEL = "opensalt_smartlevel-test.json"
WHAT_STANDARDS = "opensalt_what-standards-could-be_20c5134f.json"
BASE_URI = "https://skolehylde.example"
CASE_BASE = f"{BASE_URI}/ims/case/v1p0"

WS_DOCUMENT = "20c5134f-423d-4097-a971-3dd5152bf507"
WS_CLUSTER_6RPA = "edfce0e7-dbbf-40d5-af1a-baccabef85e9"
WS_CLUSTER_7RPA = "ddcf67a6-abf2-4df1-8d95-8752d65f0ec2"
WS_EXEMPLAR_TARGET = "5586f197-b5fc-53c6-89cd-ec2d106082bf"
WS_EXEMPLAR_URI = (
    "http://opensalt-staging.opened.com/uri/"
    "https://www.illustrativemathematics.org/content-standards/6/RP/A/1/tasks/1181"
)

WS_WARNINGS = (
    "lastChangeDateTime without a time zone, read as UTC:"
    " CFDocument, CFItems[] (16), CFAssociations[] (39)",
    "fields that are not CASE 1.1, ignored: CFDocument.CFPackageURI,"
    " CFItems[].CFDocumentURI (16), CFItems[].CFItemAssociationURI (16),"
    " CFAssociations[].CFDocumentURI (39)",
    "educationalLevel read as educationLevel: CFItems[] (16)",
    "listEnumeration not an integer, no position kept: CFItems[] (14)",
    "sequenceNumber given as text, read as an integer: CFAssociations[] (2)",
    "CFDocument has no language; 'en' taken from its items",
    "21 associations point outside the package (kept as external references)",
)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def item_keys(package: FrameworkPackage) -> Counter[tuple[str, str, str | None]]:
    return Counter((str(g.id), g.full_statement, g.human_code) for g in package.goals)


def association_keys(package: FrameworkPackage) -> Counter[tuple[str, str, str]]:
    return Counter(
        (a.origin.identifier, a.destination.identifier, a.type) for a in package.associations
    )


def external(package: FrameworkPackage) -> list[Association]:
    local = package.goal_ids() | {str(package.framework.id)}
    return [
        a
        for a in package.associations
        if a.origin.identifier not in local or a.destination.identifier not in local
    ]


# -- reading the real files ------------------------------------------------------------


def test_smartlevel_reads_every_item_and_association() -> None:
    package = read_case_package(load(SMARTLEVEL))

    assert package.framework.id == uuid.UUID("d0000000-0000-0000-0000-000000000000")
    assert package.framework.title == "SmartLevel Test"
    assert package.framework.creator == "OpenSALT Testing"
    assert package.framework.last_change == datetime(2017, 9, 22, 23, 13, 54, tzinfo=UTC)
    assert len(package.goals) == 14
    assert len(package.associations) == 14
    assert Counter(a.type for a in package.associations) == {"isChildOf": 14}
    assert external(package) == []
    assert [g.full_statement for g in roots(package)] == ["Item 1", "Item 2"]
    by_statement = {g.full_statement: g.id for g in package.goals}
    parents = package.parent_map()
    assert parents[by_statement["Item 1.10"]] == [by_statement["Item 1"]]
    assert parents[by_statement["Item 2.2"]] == [by_statement["Item 2"]]
    assert package.warnings == ("CFDocument has no language; 'da' assumed",)


def test_what_standards_counts_and_external_references() -> None:
    package = read_case_package(load(WHAT_STANDARDS))

    assert len(package.goals) == 16
    assert len(package.associations) == 39
    assert Counter(a.type for a in package.associations) == {
        "isChildOf": 16,
        "exactMatchOf": 16,
        "precedes": 3,
        "exemplar": 2,
        "isRelatedTo": 2,
    }
    outside = external(package)
    assert len(outside) == 21
    assert Counter(a.type for a in outside) == {
        "exactMatchOf": 16,
        "exemplar": 2,
        "isRelatedTo": 2,
        "precedes": 1,
    }
    # Only destinations point outside; each is kept exactly as the file gives it.
    assert all(a.origin.identifier in package.goal_ids() for a in outside)
    [exemplar] = [a for a in outside if a.destination.identifier == WS_EXEMPLAR_TARGET]
    assert exemplar.type == "exemplar"
    assert exemplar.origin.identifier == WS_CLUSTER_6RPA
    assert exemplar.destination == NodeRef(
        identifier=WS_EXEMPLAR_TARGET, uri=WS_EXEMPLAR_URI, title="Destination"
    )
    assert package.warnings == WS_WARNINGS


def test_what_standards_quirks_are_read_as_meant() -> None:
    package = read_case_package(load(WHAT_STANDARDS))
    goals = {str(g.id): g for g in package.goals}

    assert package.framework == Framework(
        id=uuid.UUID(WS_DOCUMENT),
        title="What Standards Could Be",
        creator="Brandon Dorman",
        language="en",
        adoption_status="Draft",
        uri=f"http://opensalt-staging.opened.com/uri/{WS_DOCUMENT}",
        last_change=datetime(2017, 5, 25, 18, 5, 33, tzinfo=UTC),
    )
    cluster = goals[WS_CLUSTER_6RPA]
    assert cluster.item_type == "Cluster"
    assert cluster.kind is GoalKind.OTHER
    assert cluster.human_code == "CCSS.Math.Content.6.RP.A"
    assert cluster.grades == (6,)  # from educationalLevel "06"
    assert cluster.position is None
    assert goals[WS_CLUSTER_7RPA].grades == (7,)
    assert Counter(g.item_type for g in package.goals) == {
        "Component": 8,
        "Standard": 6,
        "Cluster": 2,
    }
    document_children = {
        a.origin.identifier: a.sequence_number
        for a in package.associations
        if a.destination.identifier == WS_DOCUMENT
    }
    assert document_children == {WS_CLUSTER_6RPA: 1, WS_CLUSTER_7RPA: 2}  # were "1", "2"
    # roots() orders by position, then statement; "1." etc. give no position.
    assert [str(g.id) for g in roots(package)] == [WS_CLUSTER_7RPA, WS_CLUSTER_6RPA]


def test_text_bytes_and_bom_read_like_parsed_json() -> None:
    raw = (FIXTURES / WHAT_STANDARDS).read_bytes()

    from_dict = read_case_package(json.loads(raw))
    assert read_case_package(raw) == from_dict
    assert read_case_package(b"\xef\xbb\xbf" + raw) == from_dict
    assert read_case_package(raw.decode("utf-8")) == from_dict


# -- writing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "warnings_on_reread"),
    [
        (SMARTLEVEL, ()),
        (
            WHAT_STANDARDS,
            ("21 associations point outside the package (kept as external references)",),
        ),
    ],
)
def test_round_trip_keeps_items_and_associations(
    name: str, warnings_on_reread: tuple[str, ...]
) -> None:
    raw = load(name)
    first = read_case_package(raw)

    written = package_to_case(first, BASE_URI)
    assert validate_case_package(written) == []
    assert json.loads(json.dumps(written)) == written
    second = read_case_package(written)

    from_file_items = Counter(
        (i["identifier"], i["fullStatement"], i.get("humanCodingScheme")) for i in raw["CFItems"]
    )
    from_file_associations = Counter(
        (
            a["originNodeURI"]["identifier"],
            a["destinationNodeURI"]["identifier"],
            a["associationType"],
        )
        for a in raw["CFAssociations"]
    )
    assert item_keys(first) == from_file_items
    assert item_keys(second) == from_file_items
    assert association_keys(first) == from_file_associations
    assert association_keys(second) == from_file_associations
    assert second.warnings == warnings_on_reread


def test_writer_uses_our_uris_and_keeps_external_ends() -> None:
    package = read_case_package(load(WHAT_STANDARDS))

    written = package_to_case(package, BASE_URI)

    assert written["CFDocument"] == {
        "identifier": WS_DOCUMENT,
        "uri": f"{CASE_BASE}/CFDocuments/{WS_DOCUMENT}",
        "caseVersion": "1.1",
        "creator": "Brandon Dorman",
        "title": "What Standards Could Be",
        "lastChangeDateTime": "2017-05-25T18:05:33Z",
        "language": "en",
        "adoptionStatus": "Draft",
    }
    item_type_ids = {t["title"]: t["identifier"] for t in written["CFDefinitions"]["CFItemTypes"]}
    assert written["CFItems"][0] == {
        "identifier": WS_CLUSTER_6RPA,
        "fullStatement": "Understand ratio concepts and use ratio reasoning to solve problems.",
        "CFItemType": "Cluster",
        "uri": f"{CASE_BASE}/CFItems/{WS_CLUSTER_6RPA}",
        "humanCodingScheme": "CCSS.Math.Content.6.RP.A",
        "language": "en",
        "educationLevel": ["06"],
        "CFItemTypeURI": {
            "title": "Cluster",
            "identifier": item_type_ids["Cluster"],
            "uri": f"{CASE_BASE}/CFItemTypes/{item_type_ids['Cluster']}",
        },
        "lastChangeDateTime": "2017-05-25T18:05:33Z",
    }
    [exemplar] = [
        a
        for a in written["CFAssociations"]
        if a["destinationNodeURI"]["identifier"] == WS_EXEMPLAR_TARGET
    ]
    assert exemplar["originNodeURI"] == {
        "title": "CCSS.Math.Content.6.RP.A",
        "identifier": WS_CLUSTER_6RPA,
        "uri": f"{CASE_BASE}/CFItems/{WS_CLUSTER_6RPA}",
    }
    assert exemplar["destinationNodeURI"] == {
        "title": "Destination",
        "identifier": WS_EXEMPLAR_TARGET,
        "uri": WS_EXEMPLAR_URI,
    }
    assert exemplar["uri"] == f"{CASE_BASE}/CFAssociations/{exemplar['identifier']}"
    [to_document] = [
        a
        for a in written["CFAssociations"]
        if a["originNodeURI"]["identifier"] == WS_CLUSTER_6RPA
        and a["associationType"] == "isChildOf"
    ]
    assert to_document["sequenceNumber"] == 1
    assert to_document["destinationNodeURI"] == {
        "title": "What Standards Could Be",
        "identifier": WS_DOCUMENT,
        "uri": f"{CASE_BASE}/CFDocuments/{WS_DOCUMENT}",
    }
    assert sorted(item_type_ids) == ["Cluster", "Component", "Standard"]
    assert package_to_case(package, f"{BASE_URI}/") == written


def test_strict_writer_output_validates_where_the_original_does_not() -> None:
    original = load(WHAT_STANDARDS)

    errors = validate_case_package(original)

    # 61 structural errors (as PROVENANCE.md counts them) plus 59 lastChangeDateTime values
    # without a time zone: we assert the date-time format, which jsonschema leaves off.
    assert len(errors) == 120
    assert len([e for e in errors if "is not a 'date-time'" not in e]) == 61
    assert "CFDocument: Additional properties are not allowed ('CFPackageURI' was unexpected)" in (
        errors
    )
    assert "CFAssociations[15].sequenceNumber: '1' is not of type 'integer'" in errors
    assert "CFDefinitions.CFItemTypes[0].description: None is not of type 'string'" in errors
    assert "CFDocument.lastChangeDateTime: '2017-05-25T18:05:33' is not a 'date-time'" in errors
    assert validate_case_package(package_to_case(read_case_package(original), BASE_URI)) == []
    assert validate_case_package(load(SMARTLEVEL)) == []


def test_single_object_functions_give_what_the_package_holds() -> None:
    package = read_case_package(load(WHAT_STANDARDS))
    framework = package.framework
    written = package_to_case(package, BASE_URI)
    goals = {str(g.id): g for g in package.goals}

    assert document_to_case(framework, BASE_URI) == written["CFDocument"]
    assert [item_to_case(g, framework, BASE_URI) for g in package.goals] == written["CFItems"]
    for association, expected in zip(package.associations, written["CFAssociations"], strict=True):
        ends = {
            end.identifier: goals[end.identifier]
            for end in (association.origin, association.destination)
            if end.identifier in goals
        }
        assert association_to_case(association, framework, BASE_URI, ends) == expected
    assert item_types_to_case(package.goals, BASE_URI) == written["CFDefinitions"]["CFItemTypes"]
    # Without the goals, a goal end cannot be told from an external one: written as held.
    exemplar = next(a for a in package.associations if a.type == "exemplar")
    assert association_to_case(exemplar, framework, BASE_URI)["originNodeURI"] == {
        "title": "Origin",
        "identifier": WS_CLUSTER_6RPA,
        "uri": f"http://opensalt-staging.opened.com/uri/{WS_CLUSTER_6RPA}",
    }


# -- a Fælles Mål framework ------------------------------------------------------------

KEY = "faelles-maal/matematik/2019"
CHANGED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DANISH_FRAMEWORK = Framework(
    id=stable_id(KEY, "framework"),
    title="Matematik — Fælles Mål 2019",
    creator="Børne- og Undervisningsministeriet",
    version="2019",
    subject="Matematik",
    language="da",
    publisher="Børne- og Undervisningsministeriet",
    official_source_url="https://emu.dk/grundskole/matematik/faelles-mal",
    adoption_status="Official",
    notes="Uddrag til test.",
    last_change=CHANGED,
    gaps=("Vidensmål for fase 3 mangler i kilden.", "Opmærksomhedspunkter er ikke hentet."),
)
AREA = Goal(
    id=stable_id(KEY, "MA.1"),
    full_statement="Matematiske kompetencer",
    kind=GoalKind.COMPETENCE_AREA,
    human_code="MA.1",
    position=1,
    language="da",
    last_change=CHANGED,
)
COMPETENCE = Goal(
    id=stable_id(KEY, "MA.1.3"),
    full_statement="Eleven kan handle hensigtsmæssigt i situationer med matematik",
    kind=GoalKind.COMPETENCE_GOAL,
    human_code="MA.1.3",
    grade_band="efter 3. klassetrin",
    grades=(0, 1, 2, 3),
    position=1,
    last_change=datetime(2024, 4, 2, 8, 30, 15, tzinfo=UTC),
)
SKILL = Goal(
    id=stable_id(KEY, "MA.1.3.1.a"),
    full_statement="Eleven kan deltage i undersøgende arbejde med matematik",
    kind=GoalKind.SKILL_GOAL,
    human_code="MA.1.3.1.a",
    abbreviated_statement="Undersøgende arbejde",
    grade_band="efter 3. klassetrin",
    grades=(1, 2, 3),
    position=2,
    guidance_only=True,
    source_url="https://emu.dk/grundskole/matematik/faelles-mal#ma-1-3",
)  # no last_change: written with the framework's
KNOWLEDGE = Goal(
    id=stable_id(KEY, "MA.1.3.1.b"),
    full_statement="Eleven har viden om undersøgende arbejde",
    kind=GoalKind.KNOWLEDGE_GOAL,
    notes="Vejledende tekst fra EMU.",
    grade_band="efter 3. klassetrin",
    grades=(1, 2, 3),
    last_change=CHANGED,
)
ELSEWHERE = NodeRef(
    identifier="9b2f6a1e-7c1d-4a55-9a4e-2f1d3c5b7a90",
    uri="https://case.example.org/ims/case/v1p0/CFItems/9b2f6a1e-7c1d-4a55-9a4e-2f1d3c5b7a90",
    title="Mathematical practice 1",
)


def ref(goal: Goal) -> NodeRef:
    return NodeRef(identifier=str(goal.id), uri="", title=goal.human_code)


DANISH_ASSOCIATIONS = (
    Association(
        id=stable_id(KEY, "a1"),
        type="isChildOf",
        origin=ref(AREA),
        destination=NodeRef(str(DANISH_FRAMEWORK.id), "", DANISH_FRAMEWORK.title),
        sequence_number=1,
    ),
    Association(stable_id(KEY, "a2"), "isChildOf", ref(COMPETENCE), ref(AREA), 1),
    Association(stable_id(KEY, "a3"), "isChildOf", ref(SKILL), ref(COMPETENCE), 1),
    Association(
        stable_id(KEY, "a4"), "isChildOf", ref(KNOWLEDGE), ref(COMPETENCE), 2, None, CHANGED
    ),
    Association(stable_id(KEY, "a5"), "exactMatchOf", ref(SKILL), ELSEWHERE),
)
DANISH = FrameworkPackage(
    framework=DANISH_FRAMEWORK,
    goals=(AREA, COMPETENCE, SKILL, KNOWLEDGE),
    associations=DANISH_ASSOCIATIONS,
)


def test_danish_framework_round_trips_kinds_bands_and_guidance() -> None:
    written = package_to_case(DANISH, BASE_URI)
    assert validate_case_package(written) == []

    back = read_case_package(json.dumps(written, ensure_ascii=False))

    assert back.framework == replace(
        DANISH_FRAMEWORK, uri=f"{CASE_BASE}/CFDocuments/{DANISH_FRAMEWORK.id}"
    )
    assert back.goals == tuple(
        replace(
            goal,
            item_type=ITEM_TYPE_TITLES[goal.kind],
            uri=f"{CASE_BASE}/CFItems/{goal.id}",
            last_change=goal.last_change or CHANGED,
        )
        for goal in DANISH.goals
    )
    assert [
        (a.id, a.type, a.origin.identifier, a.destination.identifier, a.sequence_number)
        for a in back.associations
    ] == [
        (a.id, a.type, a.origin.identifier, a.destination.identifier, a.sequence_number)
        for a in DANISH_ASSOCIATIONS
    ]
    assert [a.last_change for a in back.associations] == [CHANGED] * 5
    assert back.associations[4].destination == ELSEWHERE
    assert back.warnings == (
        "1 association points outside the package (kept as an external reference)",
    )


def test_danish_fields_go_into_extensions_and_notes() -> None:
    written = package_to_case(DANISH, BASE_URI)

    document = written["CFDocument"]
    assert document["notes"] == (
        "Uddrag til test.\n\nKnown gaps:\n"
        "- Vidensmål for fase 3 mangler i kilden.\n"
        "- Opmærksomhedspunkter er ikke hentet."
    )
    assert document["extensions"] == {"skolehylde": {"gaps": list(DANISH_FRAMEWORK.gaps)}}
    assert document["subject"] == ["Matematik"]
    area, competence, skill, knowledge = written["CFItems"]
    assert area["extensions"] == {"skolehylde": {"kind": "competence_area"}}
    assert competence["educationLevel"] == ["KG", "01", "02", "03"]
    assert competence["lastChangeDateTime"] == "2024-04-02T08:30:15Z"
    assert skill["CFItemType"] == "Færdighedsmål"
    assert skill["listEnumeration"] == "2"
    assert skill["lastChangeDateTime"] == "2024-05-01T12:00:00Z"
    assert skill["extensions"] == {
        "skolehylde": {
            "kind": "skill_goal",
            "gradeBand": "efter 3. klassetrin",
            "guidanceOnly": True,
            "sourceURL": "https://emu.dk/grundskole/matematik/faelles-mal#ma-1-3",
        }
    }
    assert knowledge["extensions"] == {
        "skolehylde": {"kind": "knowledge_goal", "gradeBand": "efter 3. klassetrin"}
    }
    assert [
        (t["title"], t["hierarchyCode"], t.get("typeCode"), t["lastChangeDateTime"])
        for t in written["CFDefinitions"]["CFItemTypes"]
    ] == [
        ("Kompetenceområde", "1", "competence_area", "1970-01-01T00:00:00Z"),
        ("Kompetencemål", "2", "competence_goal", "1970-01-01T00:00:00Z"),
        ("Færdighedsmål", "5", "skill_goal", "1970-01-01T00:00:00Z"),
        ("Vidensmål", "6", "knowledge_goal", "1970-01-01T00:00:00Z"),
    ]
    assert written["CFAssociations"][4]["destinationNodeURI"] == {
        "title": "Mathematical practice 1",
        "identifier": ELSEWHERE.identifier,
        "uri": ELSEWHERE.uri,
    }


def test_tools_that_drop_extensions_lose_bands_but_keep_kinds_and_gaps() -> None:
    written = package_to_case(DANISH, BASE_URI)
    del written["CFDocument"]["extensions"]
    for item in written["CFItems"]:
        del item["extensions"]

    back = read_case_package(written)

    assert back.framework.gaps == DANISH_FRAMEWORK.gaps
    assert back.framework.notes == "Uddrag til test."
    assert [g.kind for g in back.goals] == [g.kind for g in DANISH.goals]  # from CFItemType
    assert [g.grade_band for g in back.goals] == [None] * 4
    assert [g.guidance_only for g in back.goals] == [False] * 4
    assert back.warnings == (
        "CFDocument has no skolehylde gaps extension; gaps read from its notes",
        "1 association points outside the package (kept as an external reference)",
    )


def test_writer_rejects_an_association_type_case_does_not_know() -> None:
    bad = replace(DANISH_ASSOCIATIONS[4], type="looksLike")
    package = replace(DANISH, associations=(*DANISH_ASSOCIATIONS[:4], bad))

    with pytest.raises(CaseFormatError) as caught:
        package_to_case(package, BASE_URI)

    assert caught.value.where == f"CFAssociation {bad.id} associationType"
    assert caught.value.message == "'looksLike' is neither a CASE 1.1 association type nor 'ext:…'"


def test_writer_checks_its_own_output(monkeypatch: pytest.MonkeyPatch) -> None:
    real = case.item_to_case

    def broken(goal: Goal, framework: Framework, base_uri: str) -> dict[str, Any]:
        return {**real(goal, framework, base_uri), "colour": "red"}

    monkeypatch.setattr(case, "item_to_case", broken)

    with pytest.raises(CaseFormatError) as caught:
        package_to_case(DANISH, BASE_URI)

    assert caught.value.where == "CFPackage"
    assert caught.value.message == (
        "our CASE output does not validate against the CASE 1.1 schema (4 errors, first:"
        " CFItems[0]: Additional properties are not allowed ('colour' was unexpected))"
    )


# -- small hand-made packages ----------------------------------------------------------

DOC = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a60"
ITEM_A = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a61"
ITEM_B = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a62"
ASSOC_1 = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a71"
ASSOC_2 = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a72"
ASSOC_3 = "3f1c2b9a-0d4e-4f6a-8b7c-1e2d3c4b5a73"
WHEN = "2024-01-15T10:00:00+01:00"


def link(identifier: str, title: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": f"https://x.example/{identifier}"}


def small_package() -> dict[str, Any]:
    """A clean CASE 1.1 package: a document, items A and B, B under A under the document."""
    return {
        "CFDocument": {
            "identifier": DOC,
            "uri": f"https://x.example/{DOC}",
            "creator": "Test",
            "title": "Lille ramme",
            "lastChangeDateTime": WHEN,
            "language": "da",
        },
        "CFItems": [
            {
                "identifier": identifier,
                "fullStatement": statement,
                "uri": f"https://x.example/{identifier}",
                "lastChangeDateTime": WHEN,
            }
            for identifier, statement in ((ITEM_A, "Mål A"), (ITEM_B, "Mål B"))
        ],
        "CFAssociations": [
            {
                "identifier": ASSOC_1,
                "associationType": "isChildOf",
                "uri": f"https://x.example/{ASSOC_1}",
                "originNodeURI": link(ITEM_A, "A"),
                "destinationNodeURI": link(DOC, "Lille ramme"),
                "lastChangeDateTime": WHEN,
            },
            {
                "identifier": ASSOC_2,
                "associationType": "isChildOf",
                "uri": f"https://x.example/{ASSOC_2}",
                "originNodeURI": link(ITEM_B, "B"),
                "destinationNodeURI": link(ITEM_A, "A"),
                "lastChangeDateTime": WHEN,
            },
        ],
    }


def test_clean_package_reads_without_warnings() -> None:
    raw = small_package()
    assert validate_case_package(raw) == []

    package = read_case_package(raw)

    assert package.warnings == ()
    assert package.framework.last_change == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    assert package.parent_map() == {
        uuid.UUID(ITEM_A): [],
        uuid.UUID(ITEM_B): [uuid.UUID(ITEM_A)],
    }


def test_identifiers_that_are_not_uuids_get_stable_ids_and_ends_follow() -> None:
    raw = small_package()
    raw["CFDocument"]["identifier"] = "doc-1"
    raw["CFItems"][0]["identifier"] = "A"
    raw["CFItems"][1]["identifier"] = "b"
    raw["CFAssociations"][0]["identifier"] = "A-doc"
    raw["CFAssociations"][0]["originNodeURI"]["identifier"] = "A"
    raw["CFAssociations"][0]["destinationNodeURI"]["identifier"] = "doc-1"
    raw["CFAssociations"][1]["originNodeURI"] = raw["CFItems"][1]["uri"]  # a plain URI
    raw["CFAssociations"][1]["destinationNodeURI"]["identifier"] = "A"

    package = read_case_package(raw)

    doc_id, a_id, b_id = (
        stable_id("doc-1", "doc-1"),
        stable_id("doc-1", "A"),
        stable_id("doc-1", "b"),
    )
    assert package.framework.id == doc_id
    assert [g.id for g in package.goals] == [a_id, b_id]
    assert [a.id for a in package.associations] == [stable_id("doc-1", "A-doc"), uuid.UUID(ASSOC_2)]
    assert [(a.origin.identifier, a.destination.identifier) for a in package.associations] == [
        (str(a_id), str(doc_id)),
        (str(b_id), str(a_id)),
    ]
    assert package.parent_map() == {a_id: [], b_id: [a_id]}
    assert package.warnings == (
        "identifiers that are not UUIDs, replaced by stable uuid5 ids (association ends follow"
        " them): CFDocument, CFItems[] (2), CFAssociations[] (1)",
        "association ends given as a plain URI: CFAssociations[].originNodeURI (1)",
    )
    assert read_case_package(raw) == package  # the same file gives the same ids again
    assert validate_case_package(package_to_case(package, BASE_URI)) == []


def test_grades_positions_and_other_quirks() -> None:
    raw = small_package()
    item_a, item_b = raw["CFItems"]
    item_a["educationLevel"] = ["KG", "K", "00", "0", "01", "1", "05", "10", "11", "12", "PK"]
    item_a["listEnumeration"] = "3"
    item_a["alternativeLabel"] = "Alternativ"
    item_a["extensions"] = {"opensalt": {"x": 1}}
    item_b["educationalLevel"] = "KG, 03,13"
    item_b["listEnumeration"] = "iv"
    item_b["CFItemType"] = "Kompetencemål"
    item_b["abbreviatedStatement"] = None
    raw["CFAssociations"][1]["sequenceNumber"] = "2"
    raw["CFAssociations"][1]["associationType"] = "IsChildOf"

    package = read_case_package(raw)

    goal_a, goal_b = package.goals
    assert (goal_a.grades, goal_a.position, goal_a.kind) == ((0, 1, 5, 10), 3, GoalKind.OTHER)
    assert (goal_b.grades, goal_b.position, goal_b.kind) == ((0, 3), None, GoalKind.COMPETENCE_GOAL)
    assert goal_b.abbreviated_statement is None
    assert [(a.type, a.sequence_number) for a in package.associations] == [
        ("isChildOf", None),
        ("isChildOf", 2),
    ]
    assert package.warnings == (
        "extensions of other tools, dropped: CFItems[].extensions.opensalt (1)",
        "educationLevel values outside grades 0–10, dropped: '11', '12', 'PK', '13'",
        "CASE fields Skolehylde does not keep, dropped: CFItems[].alternativeLabel (1)",
        "null values read as absent: CFItems[].abbreviatedStatement (1)",
        "educationalLevel read as educationLevel: CFItems[] (1)",
        "listEnumeration not an integer, no position kept: CFItems[] (1)",
        "associationType in another letter case, normalised: 'IsChildOf'",
        "sequenceNumber given as text, read as an integer: CFAssociations[] (1)",
    )


def _drop(path: tuple[str | int, ...]) -> Any:
    def edit(raw: dict[str, Any]) -> None:
        target: Any = raw
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return edit


def _set(path: tuple[str | int, ...], value: object) -> Any:
    def edit(raw: dict[str, Any]) -> None:
        target: Any = raw
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def _add_cycle(raw: dict[str, Any]) -> None:
    raw["CFAssociations"].append(
        {
            "identifier": ASSOC_3,
            "associationType": "isChildOf",
            "uri": f"https://x.example/{ASSOC_3}",
            "originNodeURI": link(ITEM_A, "A"),
            "destinationNodeURI": link(ITEM_B, "B"),
            "lastChangeDateTime": WHEN,
        }
    )


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        pytest.param(
            _drop(("CFItems", 1, "fullStatement")),
            f"CFItems[1] (identifier {ITEM_B}) fullStatement",
            "missing",
            id="missing fullStatement",
        ),
        pytest.param(
            _set(("CFItems", 0, "fullStatement"), "  "),
            f"CFItems[0] (identifier {ITEM_A}) fullStatement",
            "empty",
            id="blank fullStatement",
        ),
        pytest.param(
            _set(("CFItems", 0, "fullStatement"), ["Mål A"]),
            f"CFItems[0] (identifier {ITEM_A}) fullStatement",
            "expected text, got an array",
            id="fullStatement not text",
        ),
        pytest.param(
            _drop(("CFItems", 1, "identifier")),
            "CFItems[1] identifier",
            "missing",
            id="item without identifier",
        ),
        pytest.param(_drop(("CFDocument",)), "CFDocument", "missing", id="missing CFDocument"),
        pytest.param(
            _drop(("CFDocument", "identifier")),
            "CFDocument identifier",
            "missing",
            id="document without identifier",
        ),
        pytest.param(
            _drop(("CFAssociations", 0, "associationType")),
            f"CFAssociations[0] (identifier {ASSOC_1}) associationType",
            "missing",
            id="association without associationType",
        ),
        pytest.param(
            _drop(("CFAssociations", 1, "originNodeURI")),
            f"CFAssociations[1] (identifier {ASSOC_2}) originNodeURI",
            "missing",
            id="association without origin",
        ),
        pytest.param(
            _set(("CFAssociations", 1, "destinationNodeURI"), {"title": "B"}),
            f"CFAssociations[1] (identifier {ASSOC_2}) destinationNodeURI.identifier",
            "missing",
            id="destination without identifier or uri",
        ),
        pytest.param(
            _set(("CFItems", 1, "identifier"), ITEM_A.upper()),
            f"CFItems[1] (identifier {ITEM_A.upper()}) identifier",
            "the identifier appears twice (also CFItems[0])",
            id="duplicate identifier",
        ),
        pytest.param(
            _add_cycle,
            f"CFAssociations[2] (identifier {ASSOC_3}) destinationNodeURI",
            f"the isChildOf associations form a cycle through CFItems[0] (identifier {ITEM_A})",
            id="isChildOf cycle",
        ),
    ],
)
def test_broken_files_name_the_item_and_field(edit: Any, where: str, message: str) -> None:
    raw = small_package()
    edit(raw)
    before = copy.deepcopy(raw)

    with pytest.raises(CaseFormatError) as caught:
        read_case_package(raw)

    assert caught.value.where == where
    assert caught.value.message == message
    assert str(caught.value) == f"{where}: {message}"
    assert isinstance(caught.value, GoalFrameworkError)
    assert raw == before  # the reader never edits its input


def test_cycle_error_keeps_the_model_error_as_its_cause() -> None:
    raw = small_package()
    _add_cycle(raw)

    with pytest.raises(CaseFormatError) as caught:
        read_case_package(raw)

    cause = caught.value.__cause__
    assert isinstance(cause, GoalFrameworkError)
    assert cause.where == f"CFItem {ITEM_A}"
    assert cause.message == "the isChildOf associations form a cycle"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
        ),
        ("[]", "expected an object, got an array"),
        (b"\xff\xfe", "not UTF-8 text (invalid start byte)"),
    ],
)
def test_unreadable_input_is_a_case_format_error(data: str | bytes, message: str) -> None:
    with pytest.raises(CaseFormatError) as caught:
        read_case_package(data)

    assert caught.value.where == "CFPackage"
    assert caught.value.message == message


def test_validate_case_package_reports_readable_paths() -> None:
    doc = {
        "CFDocument": small_package()["CFDocument"],
        "CFItems": [{"identifier": "not-a-uuid", "fullStatement": "x", "uri": "u"}],
    }

    assert validate_case_package(doc) == [
        "CFItems[0]: 'lastChangeDateTime' is a required property",
        "CFItems[0].identifier: 'not-a-uuid' is not a 'uuid'",
    ]
    assert validate_case_package(types.MappingProxyType(doc)) == validate_case_package(doc)
    assert validate_case_package({}) == ["CFPackage: 'CFDocument' is a required property"]


def test_more_tolerated_quirks_each_leave_a_warning() -> None:
    raw = small_package()
    document = raw["CFDocument"]
    document["subject"] = ["Matematik", "Natur/teknologi"]
    document["identifier"] = DOC.upper()
    item_a, item_b = raw["CFItems"]
    item_a["uri"] = link(ITEM_A, "A")  # a LinkURI where CASE wants a plain URI
    item_a["CFItemTypeURI"] = {"identifier": "1b7a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}
    item_a["CFDocumentURI"] = link("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", "Another")
    item_b["extensions"] = {"skolehylde": {"kind": "chapter", "guidanceOnly": "yes"}}
    del item_b["lastChangeDateTime"]
    raw["CFDefinitions"] = {
        "CFItemTypes": [{"identifier": "1b7a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "title": "Fase"}],
        "CFConcepts": [{"identifier": "x"}],
    }
    raw["CFRubrics"] = [{"identifier": "y"}]
    first, second = raw["CFAssociations"]
    first["destinationNodeURI"]["identifier"] = DOC.upper()  # ends follow the normalised id
    second["associationType"] = "looks like"
    second["destinationNodeURI"] = {"uri": "https://elsewhere.example/items/42", "title": "42"}
    del second["uri"]

    package = read_case_package({"CFPackage": raw})

    goal_a, goal_b = package.goals
    assert package.framework.id == uuid.UUID(DOC)
    assert package.framework.subject == "Matematik; Natur/teknologi"
    assert (goal_a.uri, goal_a.item_type, goal_a.kind) == (
        f"https://x.example/{ITEM_A}",
        "Fase",
        GoalKind.PHASE,
    )
    assert (goal_b.kind, goal_b.guidance_only, goal_b.last_change) == (GoalKind.OTHER, False, None)
    first_read, second_read = package.associations
    assert first_read.destination.identifier == DOC
    assert second_read.type == "ext:looks_like"
    assert second_read.uri is None
    assert second_read.destination == NodeRef("42", "https://elsewhere.example/items/42", "42")
    assert package.warnings == (
        "package wrapped in a CFPackage object, unwrapped",
        "UUIDs in upper case, written in lower case: CFDocument",
        "several subjects joined into one with '; ': CFDocument",
        "CASE objects Skolehylde does not keep, dropped: CFDefinitions.CFConcepts[] (1),"
        " CFRubrics[] (1)",
        "URIs given as LinkURI objects, their uri read: CFItems[].uri (1)",
        "CFItemType taken from CFItemTypeURI: CFItems[] (1)",
        "CFDocumentURI names another document (kept in this framework): CFItems[] (1)",
        "fields that are not CASE 1.1, ignored: CFItems[].CFDocumentURI (1)",
        "unknown skolehylde kinds, kind taken from CFItemType: 'chapter'",
        "required CASE fields missing, tolerated: CFItems[].lastChangeDateTime (1),"
        " CFAssociations[].uri (1)",
        "skolehylde extension fields of the wrong type, ignored: guidanceOnly",
        "associationType values CASE 1.1 does not define, kept as extension types:"
        " 'looks like' → 'ext:looks_like'",
        "association ends without identifier, taken from the end of their uri:"
        " CFAssociations[].destinationNodeURI (1)",
        "1 association points outside the package (kept as an external reference)",
    )
    assert validate_case_package(package_to_case(package, BASE_URI)) == []
