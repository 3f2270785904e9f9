"""Fælles Mål (the Danish national learning goals) as versioned goal frameworks.

The product ships a *partial, sourced sample* of Fælles Mål for Matematik and Dansk in
``learning_goals/data/faelles_maal/`` (see the README.md and PROVENANCE.md there). Every goal
text is taken verbatim from the data file; this module never writes, shortens or rephrases a
goal. What the sample lacks is computed from the data and put in ``Framework.gaps``.

Each ``*.json`` file in that folder has the shape of ``faelles_maal_sample.json``; each subject
in a file becomes one ``FrameworkPackage``. A fuller official set is loaded by replacing or
adding such a file: a data change, not a code change.

The framework document
    title "Fælles Mål – <subject>", creator "Børne- og Undervisningsministeriet", language "da",
    description = the subject's fagformål verbatim, notes = the file's ``sample_notice``,
    official_source_url = the fagformål's source page. ``version`` names the binding regulation
    found in the data ("BEK 699/2023") and, honestly, what we hold of it: "BEK 699/2023 (udsnit
    hentet 2026-11-26)" for a file that carries a ``sample_notice`` (a partial sample whose
    texts were copied from EMU and from kommune/school pages quoting Fælles Mål, not from the
    BEK itself), "BEK 699/2023 (hentet …)" otherwise. The publisher is "Skolehylde (udsnit)"
    for a sample, else "Skolehylde": we republish, the ministry is the creator.

The tree (``isChildOf``, origin = child, destination = parent)
    competence area (root; its parent is the framework document)
    → competence goal per grade band ("efter N. klassetrin", grades from ``grades_of_bands``)
    → færdigheds- og vidensområde → phase ("Fase N", only where the sample has goals)
    → skill goal / knowledge goal.
    Attention points and *unplaced* goals (a source that gives no area or phase) are children
    of their competence goal. Every descendant of a competence goal carries its grade band
    and grades. Children of a competence goal are ordered: areas, unplaced goals, attention
    points; children of a phase: skill goals, then knowledge goals. ``position`` is the
    index among siblings (0-based) and is also the ``sequenceNumber`` of the ``isChildOf``.
    ``precedes`` links the competence goals of one area in bands that are adjacent in the
    subject's list of bands (efter 3. precedes efter 6.); where a band is missing, no link
    skips over it.

Ids (stable; ``learning_goals.model.stable_id``)
    framework id = ``stable_id("faelles-maal", <subject slug>)``; framework key =
    ``"faelles-maal/<subject slug>"``. A goal's id is ``stable_id(key, path)``, the path made of
    typed segments, e.g. ``ko-tal-og-algebra/efter-3/fvo-tal/fase-1/fm-1``:
    ``ko-<area slug>``, ``efter-<N>``, ``fvo-<area slug>``, ``fase-<N>``, ``fm-<i>``
    (færdighedsmål), ``vm-<i>`` (vidensmål), ``op-<i>`` (opmærksomhedspunkt),
    ``uplaceret-fm-<i>`` / ``uplaceret-vm-<i>``. ``i`` counts from 1 among the goals of the same
    kind in the same phase (or under the same competence goal) in data order. Slugs fold
    æ/ø/å to ae/oe/aa. So re-reading a file gives the same ids, and adding goals elsewhere,
    later in a phase, new phases, bands, areas or subjects leaves existing ids alone. Inserting
    a goal *before* another of the same kind in the same phase, renaming an area, or placing
    an unplaced goal gives new ids (a new item; link old to new with ``replacedBy``).
    Association id = ``stable_id(key, "assoc/<type>/<origin id>/<destination id>")``.
    The document is referenced as ``urn:skolehylde:framework:<id>``, goals as
    ``urn:skolehylde:goal:<id>``, associations as ``urn:skolehylde:association:<id>``.

Human codes (ours, not official; unique within a framework)
    ``<SUBJECT>.<AREA>.<N>.<FV>.F<phase>.FM<i>`` / ``….VM<i>``, e.g. ``MAT.TA.3.TAL.F1.FM1``;
    attention points ``MAT.TA.3.OP1``; unplaced goals ``DAN.LÆS.2.FM1``. SUBJECT, AREA and FV
    are the initials of a multi-word name without "og/i/af/for/med" ("Tal og algebra" → TA,
    "Finde tekst" → FT), or the first three letters of a one-word name ("Matematik" → MAT,
    "Læsning" → LÆS). Should a code be taken already, a number is appended ("TAL2").
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from itertools import pairwise
from typing import Any

from learning_goals.model import (
    ITEM_TYPE_TITLES,
    Association,
    AssociationType,
    Framework,
    FrameworkPackage,
    Goal,
    GoalFrameworkError,
    GoalKind,
    NodeRef,
    band_end,
    grades_of_bands,
    stable_id,
    validate,
)

FRAMEWORK_KEY_PREFIX = "faelles-maal"
CREATOR = "Børne- og Undervisningsministeriet"
ATTRIBUTION = "Børne- og Undervisningsministeriet, Fælles Mål"
#: The shipped data: every ``*.json`` file in ``learning_goals/data/faelles_maal``.
DATA_FOLDER = ("data", "faelles_maal")

_UNPLACED_NOTE = (
    "Kilden placerer ikke dette mål i et færdigheds- og vidensområde eller en fase; "
    "det står derfor direkte under kompetencemålet."
)
_BEK = re.compile(r"BEK\s+nr\.\s*(\d+)\s+af\s+\d{1,2}\.\s*\w+\s+(\d{4})")
_DANISH_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_CODE_STOPWORDS = frozenset({"og", "i", "af", "for", "med"})


# --------------------------------------------------------------------------- public API


def read_faelles_maal(data: Mapping[str, Any]) -> list[FrameworkPackage]:
    """One validated ``FrameworkPackage`` per subject in a Fælles Mål data file.

    Raises ``GoalFrameworkError`` naming the place (``subjects[0].competence_areas[1]…``)
    when the data lack a required field or break a rule.
    """
    retrieved = _text(data, "retrieved", "")
    try:
        stamp = datetime.fromisoformat(retrieved).replace(tzinfo=UTC)
    except ValueError:
        raise GoalFrameworkError(f"not an ISO date: {retrieved!r}", where="retrieved") from None
    notice = _opt_text(data, "sample_notice", "")
    packages: list[FrameworkPackage] = []
    for index, subject in enumerate(_objects(data, "subjects", "")):
        package = _read_subject(
            subject,
            where=f"subjects[{index}]",
            retrieved=retrieved,
            stamp=stamp,
            notice=notice,
            file_source=_opt_text(data, "source", ""),
        )
        if any(p.framework.id == package.framework.id for p in packages):
            raise GoalFrameworkError(
                f"subject {package.framework.subject!r} appears twice", where=f"subjects[{index}]"
            )
        packages.append(package)
    return packages


def load_shipped_frameworks() -> list[FrameworkPackage]:
    """The Fælles Mål frameworks shipped with the product (package data, zip-safe).

    Reads every ``*.json`` file in ``learning_goals/data/faelles_maal`` in name order. A subject
    found in two files is an error: replace the file rather than add a second one.
    """
    folder = resources.files("learning_goals")
    for part in DATA_FOLDER:
        folder = folder / part
    packages: list[FrameworkPackage] = []
    seen: dict[uuid.UUID, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json") or not entry.is_file():
            continue
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if not isinstance(data, Mapping):
                raise GoalFrameworkError("the file is not a JSON object")
            found = read_faelles_maal(data)
        except GoalFrameworkError as error:
            where = f"{entry.name} {error.where}" if error.where else entry.name
            raise GoalFrameworkError(error.message, where=where) from error
        except json.JSONDecodeError as error:
            raise GoalFrameworkError(f"not valid JSON: {error}", where=entry.name) from error
        for package in found:
            other = seen.get(package.framework.id)
            if other is not None:
                raise GoalFrameworkError(
                    f"subject {package.framework.subject!r} is also in {other}", where=entry.name
                )
            seen[package.framework.id] = entry.name
            packages.append(package)
    return packages


def slug(name: str) -> str:
    """Lower-case ASCII slug of a name: æ/ø/å → ae/oe/aa, other accents dropped."""
    folded = unicodedata.normalize("NFC", name).casefold().translate(_DANISH_FOLD)
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    result = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    if not result:
        raise GoalFrameworkError(f"no letters or digits to make an id from: {name!r}")
    return result


def framework_id(subject: str) -> uuid.UUID:
    """The stable id of the Fælles Mål framework of ``subject`` ("Matematik")."""
    return stable_id(FRAMEWORK_KEY_PREFIX, slug(subject))


# --------------------------------------------------------------------------- reading


@dataclass
class _Builder:
    """Collects the goals and associations of one framework."""

    key: str
    document: NodeRef
    stamp: datetime
    goals: list[Goal] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    refs: dict[uuid.UUID, NodeRef] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)

    def code(self, wanted: str) -> str:
        code, n = wanted, 1
        while code in self.codes:
            n += 1
            code = f"{wanted}{n}"
        self.codes.add(code)
        return code

    def add(
        self,
        path: str,
        *,
        kind: GoalKind,
        statement: str,
        code: str,
        parent: NodeRef,
        position: int,
        where: str,
        grade_band: str | None = None,
        grades: tuple[int, ...] = (),
        notes: str | None = None,
        guidance_only: bool = False,
        source_url: str | None = None,
    ) -> NodeRef:
        goal_id = stable_id(self.key, path)
        if goal_id in self.refs:
            raise GoalFrameworkError(f"two items get the same id (path {path!r})", where=where)
        goal = Goal(
            id=goal_id,
            full_statement=statement,
            kind=kind,
            human_code=code,
            item_type=ITEM_TYPE_TITLES[kind],
            grade_band=grade_band,
            grades=grades,
            position=position,
            language="da",
            notes=notes,
            uri=f"urn:skolehylde:goal:{goal_id}",
            last_change=self.stamp,
            guidance_only=guidance_only,
            source_url=source_url,
        )
        self.goals.append(goal)
        ref = NodeRef(identifier=str(goal_id), uri=goal.uri or "", title=statement)
        self.refs[goal_id] = ref
        self.link(AssociationType.IS_CHILD_OF, ref, parent, sequence_number=position)
        return ref

    def link(
        self,
        type_: AssociationType,
        origin: NodeRef,
        destination: NodeRef,
        *,
        sequence_number: int | None = None,
    ) -> None:
        assoc_id = stable_id(
            self.key, f"assoc/{type_.value}/{origin.identifier}/{destination.identifier}"
        )
        self.associations.append(
            Association(
                id=assoc_id,
                type=type_.value,
                origin=origin,
                destination=destination,
                sequence_number=sequence_number,
                uri=f"urn:skolehylde:association:{assoc_id}",
                last_change=self.stamp,
            )
        )


@dataclass(frozen=True)
class _Band:
    """A competence goal's band, inherited by everything below it."""

    label: str
    grades: tuple[int, ...]


def _read_subject(
    subject: Mapping[str, Any],
    *,
    where: str,
    retrieved: str,
    stamp: datetime,
    notice: str | None,
    file_source: str | None,
) -> FrameworkPackage:
    name = _text(subject, "name", where)
    subject_slug = slug(name)
    key = f"{FRAMEWORK_KEY_PREFIX}/{subject_slug}"
    fw_id = framework_id(name)
    bands = _texts(subject, "grade_bands", where)
    if len(set(bands)) != len(bands):
        raise GoalFrameworkError("a grade band is listed twice", where=f"{where}.grade_bands")
    try:
        spans = grades_of_bands(bands)
    except GoalFrameworkError as error:
        raise GoalFrameworkError(error.message, where=f"{where}.grade_bands") from error
    purpose = _object(subject, "purpose", where)
    description = _text(purpose, "text", f"{where}.purpose")
    source_url = _opt_text(purpose, "source", f"{where}.purpose")
    title = f"Fælles Mål – {name}"
    uri = f"urn:skolehylde:framework:{fw_id}"
    builder = _Builder(
        key=key, document=NodeRef(identifier=str(fw_id), uri=uri, title=title), stamp=stamp
    )
    subject_code = builder.code(_abbreviation(name))
    for a_pos, area in enumerate(_objects(subject, "competence_areas", where)):
        a_where = f"{where}.competence_areas[{a_pos}]"
        _read_area(builder, area, a_where, a_pos, subject_code, spans)
    is_sample = notice is not None
    framework = Framework(
        id=fw_id,
        title=title,
        creator=CREATOR,
        version=_version(subject, file_source, retrieved, is_sample),
        subject=name,
        language="da",
        description=description,
        publisher="Skolehylde (udsnit)" if is_sample else "Skolehylde",
        official_source_url=source_url,
        notes=notice,
        uri=uri,
        last_change=stamp,
        # Computed after the goals were read, so the data are known to be well formed.
        gaps=_gaps(subject, bands, where, is_sample=is_sample),
    )
    package = FrameworkPackage(
        framework=framework, goals=tuple(builder.goals), associations=tuple(builder.associations)
    )
    validate(package)
    return package


def _read_area(
    builder: _Builder,
    area: Mapping[str, Any],
    where: str,
    position: int,
    subject_code: str,
    spans: Mapping[str, tuple[int, ...]],
) -> None:
    name = _text(area, "name", where)
    path = f"ko-{slug(name)}"
    code = builder.code(f"{subject_code}.{_abbreviation(name)}")
    description = area.get("description")
    notes = source = None
    if description is not None:
        if not isinstance(description, Mapping):
            raise GoalFrameworkError("not an object", where=f"{where}.description")
        notes = _text(description, "text", f"{where}.description")
        source = _opt_text(description, "source", f"{where}.description")
    area_ref = builder.add(
        path,
        kind=GoalKind.COMPETENCE_AREA,
        statement=name,
        code=code,
        parent=builder.document,
        position=position,
        where=where,
        notes=notes,
        source_url=source,
    )
    goals = list(enumerate(_objects(area, "competence_goals", where)))
    labelled: list[tuple[int, str, int, Mapping[str, Any]]] = []
    for index, goal in goals:
        g_where = f"{where}.competence_goals[{index}]"
        label = _text(goal, "grade_band", g_where)
        if label not in spans:
            raise GoalFrameworkError(
                f"grade band {label!r} is not among the subject's grade_bands",
                where=f"{g_where}.grade_band",
            )
        labelled.append((band_end(label), label, index, goal))
    labelled.sort(key=lambda item: item[0])
    by_band: dict[str, NodeRef] = {}
    for g_pos, (end, label, index, goal) in enumerate(labelled):
        g_where = f"{where}.competence_goals[{index}]"
        band = _Band(label=label, grades=spans[label])
        ref = _read_competence_goal(
            builder, goal, g_where, g_pos, f"{path}/efter-{end}", f"{code}.{end}", area_ref, band
        )
        by_band[label] = ref
    ordered_bands = sorted(spans, key=band_end)
    for earlier, later in pairwise(ordered_bands):
        if earlier in by_band and later in by_band:
            builder.link(AssociationType.PRECEDES, by_band[earlier], by_band[later])


def _read_competence_goal(
    builder: _Builder,
    goal: Mapping[str, Any],
    where: str,
    position: int,
    path: str,
    code: str,
    parent: NodeRef,
    band: _Band,
) -> NodeRef:
    ref = builder.add(
        path,
        kind=GoalKind.COMPETENCE_GOAL,
        statement=_text(goal, "text", where),
        code=builder.code(code),
        parent=parent,
        position=position,
        where=where,
        grade_band=band.label,
        grades=band.grades,
        notes=_source_notes(goal, where),
        source_url=_opt_text(goal, "source", where),
    )
    child = 0
    areas_note = _opt_text(goal, "skill_knowledge_areas_note", where)
    for index, fv in enumerate(_objects(goal, "skill_knowledge_areas", where, required=False)):
        fv_where = f"{where}.skill_knowledge_areas[{index}]"
        _read_skill_knowledge_area(builder, fv, fv_where, child, path, code, ref, band, areas_note)
        child += 1
    unplaced_note = _opt_text(goal, "unplaced_goals_note", where)
    counters = {GoalKind.SKILL_GOAL: 0, GoalKind.KNOWLEDGE_GOAL: 0}
    for index, item in enumerate(_objects(goal, "unplaced_goals", where, required=False)):
        u_where = f"{where}.unplaced_goals[{index}]"
        kind = _goal_kind(_text(item, "type", u_where), f"{u_where}.type")
        counters[kind] += 1
        tag = _KIND_TAGS[kind]
        builder.add(
            f"{path}/uplaceret-{tag}-{counters[kind]}",
            kind=kind,
            statement=_text(item, "text", u_where),
            code=builder.code(f"{code}.{tag.upper()}{counters[kind]}"),
            parent=ref,
            position=child,
            where=u_where,
            grade_band=band.label,
            grades=band.grades,
            notes=_join(_UNPLACED_NOTE, unplaced_note, _source_notes(item, u_where)),
            guidance_only=_flag(item, "guidance_only", u_where),
            source_url=_opt_text(item, "source", u_where),
        )
        child += 1
    for index, item in enumerate(_objects(goal, "attention_points", where, required=False)):
        p_where = f"{where}.attention_points[{index}]"
        builder.add(
            f"{path}/op-{index + 1}",
            kind=GoalKind.ATTENTION_POINT,
            statement=_text(item, "text", p_where),
            code=builder.code(f"{code}.OP{index + 1}"),
            parent=ref,
            position=child,
            where=p_where,
            grade_band=band.label,
            grades=band.grades,
            notes=_source_notes(item, p_where),
            source_url=_opt_text(item, "source", p_where),
        )
        child += 1
    return ref


_KIND_TAGS = {GoalKind.SKILL_GOAL: "fm", GoalKind.KNOWLEDGE_GOAL: "vm"}
_GOAL_LISTS = (("skill_goals", GoalKind.SKILL_GOAL), ("knowledge_goals", GoalKind.KNOWLEDGE_GOAL))


def _read_skill_knowledge_area(
    builder: _Builder,
    fv: Mapping[str, Any],
    where: str,
    position: int,
    parent_path: str,
    parent_code: str,
    parent: NodeRef,
    band: _Band,
    areas_note: str | None,
) -> None:
    name = _text(fv, "name", where)
    path = f"{parent_path}/fvo-{slug(name)}"
    code = builder.code(f"{parent_code}.{_abbreviation(name)}")
    seen_as = _opt_text(fv, "name_as_seen", where)
    fv_ref = builder.add(
        path,
        kind=GoalKind.SKILL_KNOWLEDGE_AREA,
        statement=name,
        code=code,
        parent=parent,
        position=position,
        where=where,
        grade_band=band.label,
        grades=band.grades,
        notes=_join(
            _opt_text(fv, "description", where),
            _opt_text(fv, "description_note", where),
            f"Navnet står i kilden som '{seen_as}'." if seen_as else None,
            _opt_text(fv, "name_note", where),
            areas_note,
        ),
        source_url=_opt_text(fv, "source", where),
    )
    # phase -> [(kind, item, where)]: skill goals first, each kind in data order.
    phases: dict[int, list[tuple[GoalKind, Mapping[str, Any], str]]] = {}
    for list_key, kind in _GOAL_LISTS:
        for index, item in enumerate(_objects(fv, list_key, where, required=False)):
            i_where = f"{where}.{list_key}[{index}]"
            phase = item.get("phase")
            if not isinstance(phase, int) or isinstance(phase, bool) or phase < 1:
                raise GoalFrameworkError(
                    "phase must be a whole number ≥ 1", where=f"{i_where}.phase"
                )
            phases.setdefault(phase, []).append((kind, item, i_where))
    for p_pos, phase in enumerate(sorted(phases)):
        p_path = f"{path}/fase-{phase}"
        p_code = f"{code}.F{phase}"
        phase_ref = builder.add(
            p_path,
            kind=GoalKind.PHASE,
            statement=f"Fase {phase}",
            code=builder.code(p_code),
            parent=fv_ref,
            position=p_pos,
            where=f"{where} fase {phase}",
            grade_band=band.label,
            grades=band.grades,
        )
        counters = {GoalKind.SKILL_GOAL: 0, GoalKind.KNOWLEDGE_GOAL: 0}
        for g_pos, (kind, item, i_where) in enumerate(phases[phase]):
            counters[kind] += 1
            tag = _KIND_TAGS[kind]
            builder.add(
                f"{p_path}/{tag}-{counters[kind]}",
                kind=kind,
                statement=_text(item, "text", i_where),
                code=builder.code(f"{p_code}.{tag.upper()}{counters[kind]}"),
                parent=phase_ref,
                position=g_pos,
                where=i_where,
                grade_band=band.label,
                grades=band.grades,
                notes=_source_notes(item, i_where),
                guidance_only=_flag(item, "guidance_only", i_where),
                source_url=_opt_text(item, "source", i_where),
            )


# --------------------------------------------------------------------------- gaps


def _gaps(
    subject: Mapping[str, Any], bands: Sequence[str], where: str, *, is_sample: bool
) -> tuple[str, ...]:
    """What the data show to be missing, in Danish, most important first."""
    gaps: list[str] = []
    unplaced_lines: list[str] = []
    attention_points = 0
    goals_total = goals_secondary = 0
    for a_index, area in enumerate(_objects(subject, "competence_areas", where)):
        a_where = f"{where}.competence_areas[{a_index}]"
        name = _text(area, "name", a_where)
        goals = _objects(area, "competence_goals", a_where)
        present = {_text(goal, "grade_band", a_where) for goal in goals}
        if not goals:
            gaps.append(f"{name}: ingen kompetencemål i udsnittet (forventet {_bands(bands)}).")
            continue
        missing = [band for band in bands if band not in present]
        if missing:
            gaps.append(f"{name}: kompetencemål {_bands(missing)} mangler i udsnittet.")
        no_areas: list[str] = []
        per_goal: list[str] = []
        unplaced = 0
        unplaced_bands: list[str] = []
        for goal in sorted(goals, key=lambda g: band_end(_text(g, "grade_band", a_where))):
            label = _text(goal, "grade_band", a_where)
            goals_total += 1
            if (_opt_text(goal, "source_type", a_where) or "").startswith("secondary"):
                goals_secondary += 1
            attention_points += len(_objects(goal, "attention_points", a_where, required=False))
            n_unplaced = len(_objects(goal, "unplaced_goals", a_where, required=False))
            if n_unplaced:
                unplaced += n_unplaced
                unplaced_bands.append(label)
            fv_areas = _objects(goal, "skill_knowledge_areas", a_where, required=False)
            if not fv_areas:
                no_areas.append(label)
                continue
            empty: list[str] = []
            for fv in fv_areas:
                fv_name = _text(fv, "name", a_where)
                skill = {_phase(g) for g in _objects(fv, "skill_goals", a_where, required=False)}
                knowledge = {
                    _phase(g) for g in _objects(fv, "knowledge_goals", a_where, required=False)
                }
                if not skill and not knowledge:
                    empty.append(fv_name)
                    continue
                # A phase pairs færdighedsmål with vidensmål; name the half that is missing.
                for phase in sorted(skill - knowledge):
                    per_goal.append(
                        f"{name} {label} › {fv_name}: vidensmål i fase {phase} mangler i udsnittet."
                    )
                for phase in sorted(knowledge - skill):
                    per_goal.append(
                        f"{name} {label} › {fv_name}: færdighedsmål i fase {phase} mangler i "
                        "udsnittet."
                    )
            if empty:
                per_goal.append(
                    f"{name} {label}: ingen færdigheds- og vidensmål i udsnittet for {_and(empty)}."
                )
        if no_areas:
            gaps.append(
                f"{name}: ingen færdigheds- og vidensområder i udsnittet {_bands(no_areas)}."
            )
        gaps.extend(per_goal)
        if unplaced:
            unplaced_lines.append(
                f"{name}: {unplaced} færdigheds- og vidensmål ({_bands(unplaced_bands)}) er ikke "
                "placeret i et færdigheds- og vidensområde eller en fase, fordi kilden ikke "
                "angiver det."
            )
    gaps.extend(unplaced_lines)
    if goals_secondary:
        gaps.append(
            f"{goals_secondary} af {goals_total} kompetencemål er kun set på kommune- eller "
            "skolesider, der citerer Fælles Mål, ikke på en officiel side."
        )
    if is_sample:
        gaps.append(f"Opmærksomhedspunkter: {attention_points} i udsnittet; der kan mangle flere.")
        gaps.append(
            "Senere faser kan mangle: udsnittet viser ikke, hvor mange faser hvert "
            "færdigheds- og vidensområde har."
        )
        gaps.append(
            "Udsnittet er ikke kontrolleret mod bekendtgørelsens bilag. Den fulde liste over "
            "mangler står i PROVENANCE.md (afsnittet 'Missing') ved siden af datafilen."
        )
    return tuple(gaps)


def _bands(labels: Sequence[str]) -> str:
    """ "efter 2., 4. og 9. klassetrin" for a list of bands."""
    return f"efter {_and([f'{band_end(label)}.' for label in labels])} klassetrin"


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} og {items[-1]}"


def _phase(item: Mapping[str, Any]) -> int:
    phase = item.get("phase")
    return phase if isinstance(phase, int) else 0


# --------------------------------------------------------------------------- small helpers


def _version(
    subject: Mapping[str, Any], file_source: str | None, retrieved: str, is_sample: bool
) -> str:
    held = f"udsnit hentet {retrieved}" if is_sample else f"hentet {retrieved}"
    for text in (subject.get("bek_bilag"), file_source):
        if isinstance(text, str):
            match = _BEK.search(text)
            if match:
                return f"BEK {match.group(1)}/{match.group(2)} ({held})"
    return held


def _abbreviation(name: str) -> str:
    words: list[str] = [
        w for w in re.findall(r"[^\W_]+", name) if w.casefold() not in _CODE_STOPWORDS
    ]
    if not words:
        raise GoalFrameworkError(f"no word to make a code from: {name!r}")
    if len(words) == 1:
        return words[0][:3].upper()
    return "".join(w[0] for w in words).upper()


def _goal_kind(value: str, where: str) -> GoalKind:
    if value == "skill":
        return GoalKind.SKILL_GOAL
    if value == "knowledge":
        return GoalKind.KNOWLEDGE_GOAL
    raise GoalFrameworkError(f"type must be 'skill' or 'knowledge', not {value!r}", where=where)


def _source_notes(item: Mapping[str, Any], where: str) -> str | None:
    """Provenance remarks of an item, in the data's own (Danish) words."""
    lines: list[str | None] = []
    source_type = _opt_text(item, "source_type", where)
    if source_type:
        lines.append(f"Kildetype: {source_type}.")
    lines.append(_opt_text(item, "note", where))
    lines.append(_opt_text(item, "verification", where))
    edit = _opt_text(item, "edit", where)
    verbatim = _opt_text(item, "source_text_verbatim", where)
    if edit or verbatim:
        lines.append(
            f"Rettelse: {edit or 'se kilden'}; kilden skriver: '{verbatim}'."
            if verbatim
            else f"Rettelse: {edit}."
        )
    variant = item.get("variant_seen")
    if isinstance(variant, Mapping):
        text = _text(variant, "text", f"{where}.variant_seen")
        src = _opt_text(variant, "source", f"{where}.variant_seen")
        lines.append(f"Anden ordlyd set: '{text}'" + (f" ({src})." if src else "."))
    corroborating = item.get("corroborating_sources")
    if isinstance(corroborating, list) and corroborating:
        lines.append("Også set på: " + ", ".join(str(url) for url in corroborating) + ".")
    return _join(*lines)


def _join(*parts: str | None) -> str | None:
    kept = [part for part in parts if part]
    return "\n".join(kept) if kept else None


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GoalFrameworkError("missing or empty text", where=_at(where, key))
    return value


def _opt_text(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GoalFrameworkError("must be text", where=_at(where, key))
    return value or None


def _texts(obj: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = obj.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise GoalFrameworkError("must be a non-empty list of texts", where=_at(where, key))
    return list(value)


def _flag(obj: Mapping[str, Any], key: str, where: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise GoalFrameworkError("must be true or false", where=_at(where, key))
    return value


def _object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise GoalFrameworkError("missing object", where=_at(where, key))
    return value


def _objects(
    obj: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> list[Mapping[str, Any]]:
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise GoalFrameworkError("must be a list of objects", where=_at(where, key))
    return list(value)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
