"""The shipped Fælles Mål sample as frameworks: verbatim texts, tree, ids, grades and gaps."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import learning_goals
from learning_goals.faelles_maal import (
    load_shipped_frameworks,
    read_faelles_maal,
)
from learning_goals.model import (
    AssociationType,
    FrameworkPackage,
    Goal,
    GoalFrameworkError,
    GoalKind,
    ancestors_of,
    parent_map,
    roots,
    stable_id,
    validate,
)

DATA = resources.files("learning_goals") / "data" / "faelles_maal"
TEXT_KINDS = {
    GoalKind.COMPETENCE_GOAL,
    GoalKind.SKILL_GOAL,
    GoalKind.KNOWLEDGE_GOAL,
    GoalKind.ATTENTION_POINT,
}


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "faelles_maal_sample.json").read_text("utf-8"))
    return data


def normalise(text: str) -> str:
    return " ".join(text.split())


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@pytest.fixture(scope="module")
def packages() -> list[FrameworkPackage]:
    return read_faelles_maal(sample())


@pytest.fixture(scope="module")
def mat(packages: list[FrameworkPackage]) -> FrameworkPackage:
    return packages[0]


@pytest.fixture(scope="module")
def dan(packages: list[FrameworkPackage]) -> FrameworkPackage:
    return packages[1]


def by_code(package: FrameworkPackage) -> dict[str, Goal]:
    return {goal.human_code or "": goal for goal in package.goals}


def by_id(package: FrameworkPackage) -> dict[str, Goal]:
    return {str(goal.id): goal for goal in package.goals}


# --------------------------------------------------------------------------- documents


def test_one_framework_per_subject(packages: list[FrameworkPackage]) -> None:
    data = sample()
    assert [p.framework.subject for p in packages] == ["Matematik", "Dansk"]
    for package, subject in zip(packages, data["subjects"], strict=True):
        fw = package.framework
        slug = subject["name"].lower()
        assert fw.id == stable_id("faelles-maal", slug)
        assert fw.title == f"Fælles Mål – {subject['name']}"
        assert fw.version == "BEK 699/2023 (udsnit hentet 2026-11-26)"
        assert fw.creator == "Børne- og Undervisningsministeriet"
        assert fw.publisher == "Skolehylde (udsnit)"
        assert fw.language == "da"
        assert fw.description == subject["purpose"]["text"]
        assert fw.official_source_url == subject["purpose"]["source"]
        assert fw.notes == data["sample_notice"]
        assert fw.uri == f"urn:skolehylde:framework:{fw.id}"


def test_every_package_validates(packages: list[FrameworkPackage]) -> None:
    for package in packages:
        validate(package)


def test_shipped_frameworks_are_the_sample(packages: list[FrameworkPackage]) -> None:
    assert load_shipped_frameworks() == packages


# --------------------------------------------------------------------------- never invented


def test_goal_texts_occur_verbatim_in_the_raw_excerpts(packages: list[FrameworkPackage]) -> None:
    raw = normalise((DATA / "raw_excerpts.md").read_text("utf-8"))
    verbatim = {
        item["text"]: item["source_text_verbatim"]
        for item in walk(sample())
        if "source_text_verbatim" in item
    }
    checked = repaired = 0
    for package in packages:
        for goal in package.goals:
            if goal.kind not in TEXT_KINDS:
                continue
            checked += 1
            if normalise(goal.full_statement) in raw:
                continue
            # PROVENANCE.md: one missing space restored; the raw text is kept in the data.
            original = verbatim[goal.full_statement]
            assert normalise(original) in raw
            assert re.sub(r"\s", "", original) == re.sub(r"\s", "", goal.full_statement)
            repaired += 1
    assert checked == 67
    assert repaired == 1


def test_purpose_texts_occur_verbatim_in_the_raw_excerpts(
    packages: list[FrameworkPackage],
) -> None:
    raw = normalise((DATA / "raw_excerpts.md").read_text("utf-8"))
    for package in packages:
        assert package.framework.description is not None
        assert normalise(package.framework.description) in raw


def test_area_names_occur_in_the_raw_excerpts(packages: list[FrameworkPackage]) -> None:
    # Læsning's FV-område names are capitalised in the data (PROVENANCE.md), hence casefold.
    raw = normalise((DATA / "raw_excerpts.md").read_text("utf-8")).casefold()
    names = {
        goal.full_statement
        for package in packages
        for goal in package.goals
        if goal.kind in {GoalKind.COMPETENCE_AREA, GoalKind.SKILL_KNOWLEDGE_AREA}
    }
    assert len(names) == 23  # 8 competence areas, 15 distinct FV-område names
    assert [name for name in sorted(names) if name.casefold() not in raw] == []


# --------------------------------------------------------------------------- counts


def test_counts_per_kind(mat: FrameworkPackage, dan: FrameworkPackage) -> None:
    assert Counter(goal.kind for goal in mat.goals) == {
        GoalKind.COMPETENCE_AREA: 4,
        GoalKind.COMPETENCE_GOAL: 14,
        GoalKind.SKILL_KNOWLEDGE_AREA: 15,
        GoalKind.PHASE: 10,
        GoalKind.SKILL_GOAL: 10,
        GoalKind.KNOWLEDGE_GOAL: 7,
        GoalKind.ATTENTION_POINT: 1,
    }
    assert Counter(goal.kind for goal in dan.goals) == {
        GoalKind.COMPETENCE_AREA: 4,
        GoalKind.COMPETENCE_GOAL: 7,
        GoalKind.SKILL_KNOWLEDGE_AREA: 6,
        GoalKind.SKILL_GOAL: 17,
        GoalKind.KNOWLEDGE_GOAL: 8,
        GoalKind.ATTENTION_POINT: 3,
    }


def test_one_parent_per_goal_and_progression_links(
    mat: FrameworkPackage, dan: FrameworkPackage
) -> None:
    for package in (mat, dan):
        child_of = [a for a in package.associations if a.type == AssociationType.IS_CHILD_OF]
        assert sorted(a.origin.identifier for a in child_of) == sorted(
            str(g.id) for g in package.goals
        )

    def precedes(package: FrameworkPackage) -> list[tuple[str | None, str | None]]:
        goals = by_id(package)
        return [
            (goals[a.origin.identifier].human_code, goals[a.destination.identifier].human_code)
            for a in package.associations
            if a.type == AssociationType.PRECEDES
        ]

    # Only bands next to each other in the subject's list: no link skips a missing band.
    assert precedes(mat) == [
        ("MAT.MK.3", "MAT.MK.6"),
        ("MAT.MK.6", "MAT.MK.9"),
        ("MAT.MK.9", "MAT.MK.10"),
        ("MAT.TA.3", "MAT.TA.6"),
        ("MAT.GM.3", "MAT.GM.6"),
        ("MAT.SS.3", "MAT.SS.6"),
        ("MAT.SS.6", "MAT.SS.9"),
        ("MAT.SS.9", "MAT.SS.10"),
    ]
    assert precedes(dan) == [
        ("DAN.LÆS.2", "DAN.LÆS.4"),
        ("DAN.LÆS.4", "DAN.LÆS.6"),
        ("DAN.LÆS.6", "DAN.LÆS.9"),
        ("DAN.FRE.4", "DAN.FRE.6"),
        ("DAN.FRE.6", "DAN.FRE.9"),
    ]


# --------------------------------------------------------------------------- ids and codes


def test_ids_identical_across_reads() -> None:
    first, second = read_faelles_maal(sample()), read_faelles_maal(sample())
    assert first == second
    assert [[g.id for g in p.goals] for p in first] == [[g.id for g in p.goals] for p in second]


def test_ids_unique_across_both_frameworks(packages: list[FrameworkPackage]) -> None:
    ids = [p.framework.id for p in packages]
    ids += [g.id for p in packages for g in p.goals]
    ids += [a.id for p in packages for a in p.associations]
    assert len(ids) == 2 + 61 + 45 + (61 + 8) + (45 + 5)
    assert len(set(ids)) == len(ids)


def test_ids_and_codes_kept_when_a_fuller_set_adds_goals(
    packages: list[FrameworkPackage],
) -> None:
    data = sample()
    mat_areas = data["subjects"][0]["competence_areas"]
    tal_og_algebra = mat_areas[1]["competence_goals"]
    # A later-phase goal put first in its list, and a new area, before existing ones.
    tal_og_algebra[0]["skill_knowledge_areas"][0]["skill_goals"].insert(
        0, {"phase": 2, "text": "TESTDATA fase 2", "guidance_only": True}
    )
    tal_og_algebra[0]["skill_knowledge_areas"].insert(
        0, {"name": "Testområde", "skill_goals": [], "knowledge_goals": []}
    )
    # The missing band, in the middle of the list.
    tal_og_algebra.insert(
        2, {"grade_band": "efter 9. klassetrin", "text": "TESTDATA", "skill_knowledge_areas": []}
    )
    # The missing vidensmål of a phase.
    mat_areas[2]["competence_goals"][0]["skill_knowledge_areas"][0]["knowledge_goals"].append(
        {"phase": 1, "text": "TESTDATA vidensmål", "guidance_only": True}
    )
    data["subjects"][1]["competence_areas"].insert(
        0, {"name": "Testkompetenceområde", "competence_goals": []}
    )
    fuller = read_faelles_maal(data)
    for old, new in zip(packages, fuller, strict=True):
        assert new.framework.id == old.framework.id
        new_codes = {g.id: g.human_code for g in new.goals}
        assert {g.id: g.human_code for g in old.goals}.items() <= new_codes.items()
        assert {a.id for a in old.associations} <= {a.id for a in new.associations}
    assert len(fuller[0].goals) == 61 + 5  # phase 2 and its goal, area, band, vidensmål
    assert len(fuller[1].goals) == 45 + 1


def test_human_codes(mat: FrameworkPackage, dan: FrameworkPackage) -> None:
    for package in (mat, dan):
        codes = [goal.human_code for goal in package.goals]
        assert None not in codes
        assert len(set(codes)) == len(codes)
    assert by_code(mat)["MAT.TA.3.TAL.F1.FM1"].full_statement == (
        "Eleven kan anvende naturlige tal til at beskrive antal og rækkefølge"
    )
    assert by_code(mat)["MAT.TA.3.TAL.F1.VM1"].full_statement == (
        "Eleven har viden om enkle naturlige tal"
    )
    assert by_code(mat)["MAT.TA.3.OP1"].kind == GoalKind.ATTENTION_POINT
    assert by_code(mat)["MAT.SS.6.STA.F3.FM1"].full_statement == (
        "Eleven kan sammenligne datasæt ud fra hyppigheder, frekvenser og enkle statistiske "
        "deskriptorer"
    )
    assert by_code(dan)["DAN.LÆS.6.FM3"].full_statement == (
        "Eleven kan gengive hovedindholdet af fagtekster."
    )


# --------------------------------------------------------------------------- grades


def test_competence_goal_grades(mat: FrameworkPackage, dan: FrameworkPackage) -> None:
    def grades(package: FrameworkPackage) -> dict[str | None, set[tuple[int, ...]]]:
        found: dict[str | None, set[tuple[int, ...]]] = {}
        for goal in package.goals:
            if goal.kind == GoalKind.COMPETENCE_GOAL:
                found.setdefault(goal.grade_band, set()).add(goal.grades)
        return found

    assert grades(mat) == {
        "efter 3. klassetrin": {(1, 2, 3)},
        "efter 6. klassetrin": {(4, 5, 6)},
        "efter 9. klassetrin": {(7, 8, 9)},
        "efter 10. klassetrin": {(10,)},
    }
    assert grades(dan) == {
        "efter 2. klassetrin": {(1, 2)},
        "efter 4. klassetrin": {(3, 4)},
        "efter 6. klassetrin": {(5, 6)},
        "efter 9. klassetrin": {(7, 8, 9)},
    }


def test_descendants_inherit_band_and_grades(packages: list[FrameworkPackage]) -> None:
    inherited = 0
    for package in packages:
        goals = {goal.id: goal for goal in package.goals}
        parents = parent_map(package)
        for goal in package.goals:
            if goal.kind == GoalKind.COMPETENCE_AREA:
                assert (goal.grade_band, goal.grades) == (None, ())
                continue
            if goal.kind == GoalKind.COMPETENCE_GOAL:
                continue
            above = [goals[a] for a in ancestors_of(goal.id, parents)]
            (competence_goal,) = [g for g in above if g.kind == GoalKind.COMPETENCE_GOAL]
            assert goal.grade_band == competence_goal.grade_band
            assert goal.grades == competence_goal.grades
            inherited += 1
    assert inherited == (61 - 4 - 14) + (45 - 4 - 7)
    assert by_code(packages[0])["MAT.SS.6.STA.F2.VM1"].grades == (4, 5, 6)
    assert by_code(packages[1])["DAN.LÆS.2.OP1"].grades == (1, 2)


# --------------------------------------------------------------------------- gaps


def test_gaps(mat: FrameworkPackage, dan: FrameworkPackage) -> None:
    sample_lines = (
        "Senere faser kan mangle: udsnittet viser ikke, hvor mange faser hvert færdigheds- og "
        "vidensområde har.",
        "Udsnittet er ikke kontrolleret mod bekendtgørelsens bilag. Den fulde liste over mangler "
        "står i PROVENANCE.md (afsnittet 'Missing') ved siden af datafilen.",
    )
    assert mat.framework.gaps == (
        "Matematiske kompetencer: ingen færdigheds- og vidensområder i udsnittet efter 3., 6., "
        "9. og 10. klassetrin.",
        "Tal og algebra: kompetencemål efter 9. klassetrin mangler i udsnittet.",
        "Tal og algebra: ingen færdigheds- og vidensområder i udsnittet efter 6. og 10. "
        "klassetrin.",
        "Tal og algebra efter 3. klassetrin: ingen færdigheds- og vidensmål i udsnittet for "
        "Regnestrategier og Algebra.",
        "Geometri og måling: kompetencemål efter 9. klassetrin mangler i udsnittet.",
        "Geometri og måling: ingen færdigheds- og vidensområder i udsnittet efter 6. og 10. "
        "klassetrin.",
        "Geometri og måling efter 3. klassetrin › Geometriske egenskaber og sammenhænge: "
        "vidensmål i fase 1 mangler i udsnittet.",
        "Geometri og måling efter 3. klassetrin: ingen færdigheds- og vidensmål i udsnittet for "
        "Geometriske tegninger, Placeringer og flytninger og Måling.",
        "Statistik og sandsynlighed efter 3. klassetrin: ingen færdigheds- og vidensmål i "
        "udsnittet for Sandsynlighed.",
        "Statistik og sandsynlighed efter 6. klassetrin › Statistik: vidensmål i fase 3 mangler "
        "i udsnittet.",
        "Statistik og sandsynlighed efter 6. klassetrin: ingen færdigheds- og vidensmål i "
        "udsnittet for Sandsynlighed.",
        "Statistik og sandsynlighed efter 9. klassetrin: ingen færdigheds- og vidensmål i "
        "udsnittet for Statistik og Sandsynlighed.",
        "Statistik og sandsynlighed efter 10. klassetrin › Sandsynlighed: vidensmål i fase 1 "
        "mangler i udsnittet.",
        "4 af 14 kompetencemål er kun set på kommune- eller skolesider, der citerer Fælles Mål, "
        "ikke på en officiel side.",
        "Opmærksomhedspunkter: 1 i udsnittet; der kan mangle flere.",
        *sample_lines,
    )
    assert dan.framework.gaps == (
        "Læsning: ingen færdigheds- og vidensområder i udsnittet efter 4., 6. og 9. klassetrin.",
        "Læsning efter 2. klassetrin: ingen færdigheds- og vidensmål i udsnittet for Finde "
        "tekst, Forberedelse, Afkodning, Sprogforståelse, Tekstforståelse og Sammenhæng.",
        "Fremstilling: kompetencemål efter 2. klassetrin mangler i udsnittet.",
        "Fremstilling: ingen færdigheds- og vidensområder i udsnittet efter 4., 6. og 9. "
        "klassetrin.",
        "Fortolkning: ingen kompetencemål i udsnittet (forventet efter 2., 4., 6. og 9. "
        "klassetrin).",
        "Kommunikation: ingen kompetencemål i udsnittet (forventet efter 2., 4., 6. og 9. "
        "klassetrin).",
        "Læsning: 25 færdigheds- og vidensmål (efter 2., 4., 6. og 9. klassetrin) er ikke "
        "placeret i et færdigheds- og vidensområde eller en fase, fordi kilden ikke angiver det.",
        "7 af 7 kompetencemål er kun set på kommune- eller skolesider, der citerer Fælles Mål, "
        "ikke på en officiel side.",
        "Opmærksomhedspunkter: 3 i udsnittet; der kan mangle flere.",
        *sample_lines,
    )


def test_a_file_without_sample_notice_drops_the_sample_caveats() -> None:
    data = sample()
    del data["sample_notice"]
    mat = read_faelles_maal(data)[0]
    assert mat.framework.version == "BEK 699/2023 (hentet 2026-11-26)"
    assert mat.framework.publisher == "Skolehylde"
    assert mat.framework.notes is None
    assert len(mat.framework.gaps) == 14
    assert not [line for line in mat.framework.gaps if "PROVENANCE.md" in line]


# --------------------------------------------------------------------------- tree


def test_competence_areas_are_the_roots_below_the_document(
    packages: list[FrameworkPackage],
) -> None:
    for package in packages:
        fw = package.framework
        areas = [g for g in package.goals if g.kind == GoalKind.COMPETENCE_AREA]
        assert roots(package) == areas
        assert [g.position for g in areas] == [0, 1, 2, 3]
        to_document = {
            a.origin.identifier: a
            for a in package.associations
            if a.type == AssociationType.IS_CHILD_OF and a.destination.identifier == str(fw.id)
        }
        assert set(to_document) == {str(g.id) for g in areas}
        assert {a.destination.uri for a in to_document.values()} == {
            f"urn:skolehylde:framework:{fw.id}"
        }
    assert [g.full_statement for g in roots(packages[1])] == [
        "Læsning",
        "Fremstilling",
        "Fortolkning",
        "Kommunikation",
    ]


def test_placed_goals_hang_below_phase_area_competence_goal_and_area(
    packages: list[FrameworkPackage],
) -> None:
    placed = 0
    for package in packages:
        goals = {goal.id: goal for goal in package.goals}
        parents = parent_map(package)
        for goal in package.goals:
            if goal.kind not in {GoalKind.SKILL_GOAL, GoalKind.KNOWLEDGE_GOAL}:
                continue
            chain = sorted(ancestors_of(goal.id, parents).items(), key=lambda item: item[1])
            kinds = [goals[node].kind for node, _ in chain[1:]]
            if kinds[0] == GoalKind.PHASE:
                placed += 1
                assert kinds == [
                    GoalKind.PHASE,
                    GoalKind.SKILL_KNOWLEDGE_AREA,
                    GoalKind.COMPETENCE_GOAL,
                    GoalKind.COMPETENCE_AREA,
                ]
            else:
                # Unplaced (Dansk Læsning): directly below the competence goal, and says so.
                assert kinds == [GoalKind.COMPETENCE_GOAL, GoalKind.COMPETENCE_AREA]
                assert goal.notes is not None
                assert goal.notes.startswith(
                    "Kilden placerer ikke dette mål i et færdigheds- og vidensområde eller en fase"
                )
                assert package.framework.subject == "Dansk"
    assert placed == 17


def test_phases_and_attention_points_in_the_tree(mat: FrameworkPackage) -> None:
    goals = by_code(mat)
    parents = mat.parent_map()
    assert parents[goals["MAT.SS.3.STA.F2"].id] == [goals["MAT.SS.3.STA"].id]
    assert goals["MAT.SS.3.STA.F2"].full_statement == "Fase 2"
    assert parents[goals["MAT.TA.3.OP1"].id] == [goals["MAT.TA.3"].id]
    # FV-områder with no goals in the sample get no phases.
    assert [g.human_code for g in mat.goals if parents[g.id] == [goals["MAT.TA.3.REG"].id]] == []


def test_positions_number_the_siblings(packages: list[FrameworkPackage]) -> None:
    for package in packages:
        goals = by_id(package)
        children: dict[str, list[int]] = {}
        for assoc in package.associations:
            if assoc.type == AssociationType.IS_CHILD_OF:
                child = goals[assoc.origin.identifier]
                assert child.position is not None
                assert assoc.sequence_number == child.position
                children.setdefault(assoc.destination.identifier, []).append(child.position)
        # Parents: the document, areas with goals, competence goals with children, FV-områder
        # with phases, and phases.
        assert (
            len(children)
            == {"Matematik": 1 + 4 + 6 + 6 + 10, "Dansk": 1 + 2 + 4}[
                package.framework.subject or ""
            ]
        )
        for positions in children.values():
            assert sorted(positions) == list(range(len(positions)))


# --------------------------------------------------------------------------- item fields


def test_sources_guidance_and_notes(mat: FrameworkPackage, dan: FrameworkPackage) -> None:
    data_sources = {item["source"] for item in walk(sample()) if "source" in item}
    for package in (mat, dan):
        for goal in package.goals:
            if goal.kind in TEXT_KINDS:
                assert goal.source_url in data_sources
    mat_goals = [g for g in mat.goals if g.kind in {GoalKind.SKILL_GOAL, GoalKind.KNOWLEDGE_GOAL}]
    assert {g.guidance_only for g in mat_goals} == {True}
    assert {g.guidance_only for g in dan.goals} == {False}
    codes = by_code(mat)
    assert codes["MAT.SS.6.STA"].source_url == (
        "https://www.emu.dk/omraade/gsk-l%C3%A6rer/ffm/matematik/4-6-klasse/statistik-og-sandsynlighed"
    )
    assert codes["MAT.SS.6.STA"].notes == (
        "Statistik fokuserer på anvendelse og tolkning af tabeller og grafiske fremstillinger "
        "samt på gennemførsel af egne statiske undersøgelser\n'statiske' står sådan på kildesiden"
    )
    fortolkning = by_code(dan)["DAN.FOR"]
    assert fortolkning.notes == (
        "Fortolkningskompetence danner grundlag for udvikling af en nuanceret forståelse for "
        "andre perspektiver end ens eget."
    )
    assert fortolkning.source_url == "https://emu.dk/grundskole/dansk/fortolkning?b=t5-t8"
    repaired = by_code(dan)["DAN.LÆS.6.FM3"]
    assert repaired.notes is not None
    assert "'Eleven kan gengivehovedindholdet af fagtekster.'" in repaired.notes
    secondary = by_code(mat)["MAT.TA.10"].notes
    assert secondary is not None
    assert secondary.startswith("Kildetype: secondary (school page, Campus U10).\n")
    assert secondary.endswith("Kontrollér ordlyden før brug.")


# --------------------------------------------------------------------------- bad data


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["subjects"][0]["competence_areas"][1]["competence_goals"][0][
                "skill_knowledge_areas"
            ][0]["skill_goals"][0].pop("text"),
            "subjects[0].competence_areas[1].competence_goals[0].skill_knowledge_areas[0]"
            ".skill_goals[0].text",
        ),
        (
            lambda d: d["subjects"][1]["competence_areas"][0]["competence_goals"][0].update(
                grade_band="efter 3. klassetrin"
            ),
            "subjects[1].competence_areas[0].competence_goals[0].grade_band",
        ),
        (
            lambda d: d["subjects"][1]["competence_areas"][0]["competence_goals"][0][
                "unplaced_goals"
            ][0].update(type="both"),
            "subjects[1].competence_areas[0].competence_goals[0].unplaced_goals[0].type",
        ),
        (lambda d: d["subjects"].append(copy.deepcopy(d["subjects"][0])), "subjects[2]"),
        (lambda d: d.update(retrieved="26/11/2026"), "retrieved"),
    ],
)
def test_bad_data_is_refused_naming_the_place(change: Any, where: str) -> None:
    data = sample()
    change(data)
    with pytest.raises(GoalFrameworkError) as caught:
        read_faelles_maal(data)
    assert caught.value.where == where


# --------------------------------------------------------------------------- packaging


def test_shipped_frameworks_load_from_a_zipped_package(
    tmp_path: Path, packages: list[FrameworkPackage]
) -> None:
    source = Path(learning_goals.__file__).parent
    archive = tmp_path / "skolehylde.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, Path("learning_goals") / path.relative_to(source))
    script = (
        "import json, learning_goals\n"
        "from learning_goals.faelles_maal import load_shipped_frameworks\n"
        "print(json.dumps({'file': learning_goals.__file__, 'goals': "
        "[[str(g.id) for g in p.goals] for p in load_shipped_frameworks()]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(archive), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(result.stdout)
    assert out["file"].startswith(str(archive))
    assert out["goals"] == [[str(g.id) for g in p.goals] for p in packages]
