"""The goal-framework domain: frameworks, goals, associations, and the rules that bind them.

A framework (one per subject and version) is a CASE *CFDocument*; a goal is a *CFItem*; an
association is a *CFAssociation*. The tree is the set of ``isChildOf`` associations between
goals of one framework (a goal whose parent is the framework's document is a root).
Associations may point outside the framework (CASE crosswalks): those ends are kept as
external references, never dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

#: Namespace for our own goal ids. Ids are UUIDv5 of ``framework key + "/" + code`` in this
#: namespace, so importing the same framework again keeps every id. Never change it.
SKOLEHYLDE_GOALS_NAMESPACE = uuid.UUID("6f0f4f3e-2c1b-5b8e-9d64-6b6f6c656879")

GRADES = range(0, 11)  # 0 = børnehaveklasse, 10 = 10. klasse


class GoalKind(StrEnum):
    """The layer a goal sits in (Fælles Mål), or ``other`` for a foreign framework's item."""

    COMPETENCE_AREA = "competence_area"  # kompetenceområde
    COMPETENCE_GOAL = "competence_goal"  # kompetencemål, per grade band
    SKILL_KNOWLEDGE_AREA = "skill_knowledge_area"  # færdigheds- og vidensområde
    PHASE = "phase"  # fase
    SKILL_GOAL = "skill_goal"  # færdighedsmål ("Eleven kan …")
    KNOWLEDGE_GOAL = "knowledge_goal"  # vidensmål ("Eleven har viden om …")
    ATTENTION_POINT = "attention_point"  # opmærksomhedspunkt
    OTHER = "other"


#: The CASE ``CFItemType`` title we write for each kind, and read back.
ITEM_TYPE_TITLES: dict[GoalKind, str] = {
    GoalKind.COMPETENCE_AREA: "Kompetenceområde",
    GoalKind.COMPETENCE_GOAL: "Kompetencemål",
    GoalKind.SKILL_KNOWLEDGE_AREA: "Færdigheds- og vidensområde",
    GoalKind.PHASE: "Fase",
    GoalKind.SKILL_GOAL: "Færdighedsmål",
    GoalKind.KNOWLEDGE_GOAL: "Vidensmål",
    GoalKind.ATTENTION_POINT: "Opmærksomhedspunkt",
}
_KIND_BY_ITEM_TYPE = {title.casefold(): kind for kind, title in ITEM_TYPE_TITLES.items()}


def kind_for_item_type(item_type: str | None) -> GoalKind:
    """Map a CASE ``CFItemType`` title to our kind; unknown types are ``other``."""
    if not item_type:
        return GoalKind.OTHER
    return _KIND_BY_ITEM_TYPE.get(item_type.strip().casefold(), GoalKind.OTHER)


class AssociationType(StrEnum):
    """CASE 1.1 association types (``CFAssociationTypeExtEnum``)."""

    IS_CHILD_OF = "isChildOf"
    IS_PEER_OF = "isPeerOf"
    IS_PART_OF = "isPartOf"
    EXACT_MATCH_OF = "exactMatchOf"
    PRECEDES = "precedes"
    IS_RELATED_TO = "isRelatedTo"
    REPLACED_BY = "replacedBy"
    EXEMPLAR = "exemplar"
    HAS_SKILL_LEVEL = "hasSkillLevel"
    IS_TRANSLATION_OF = "isTranslationOf"


class GoalFrameworkError(ValueError):
    """A framework breaks a rule of the domain. ``where`` names the item and field."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class NodeRef:
    """One end of an association: a goal or document, in this framework or outside it."""

    identifier: str
    uri: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Framework:
    """A goal framework: one subject, one version (a CASE CFDocument)."""

    id: uuid.UUID
    title: str
    creator: str
    version: str | None = None
    subject: str | None = None
    language: str = "da"
    description: str | None = None
    publisher: str | None = None
    official_source_url: str | None = None
    adoption_status: str | None = None
    notes: str | None = None
    uri: str | None = None
    last_change: datetime | None = None
    #: What the framework knows it is missing, in plain words (shown to users).
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Goal:
    """A learning goal (a CASE CFItem)."""

    id: uuid.UUID
    full_statement: str
    kind: GoalKind = GoalKind.OTHER
    human_code: str | None = None
    abbreviated_statement: str | None = None
    item_type: str | None = None
    grade_band: str | None = None
    grades: tuple[int, ...] = ()
    position: int | None = None
    language: str | None = None
    notes: str | None = None
    uri: str | None = None
    last_change: datetime | None = None
    #: EMU's "(vejledende mål)": guidance, not binding.
    guidance_only: bool = False
    #: Where the text was seen (Fælles Mål provenance).
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class Association:
    """A typed, directed link between two nodes (a CASE CFAssociation)."""

    id: uuid.UUID
    type: str
    origin: NodeRef
    destination: NodeRef
    sequence_number: int | None = None
    uri: str | None = None
    last_change: datetime | None = None


@dataclass(frozen=True, slots=True)
class FrameworkPackage:
    """A whole framework: document, goals and associations (a CASE CFPackage)."""

    framework: Framework
    goals: tuple[Goal, ...]
    associations: tuple[Association, ...]
    warnings: tuple[str, ...] = field(default=())

    def goal_ids(self) -> set[str]:
        return {str(goal.id) for goal in self.goals}

    def parent_map(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each goal's parents inside the framework (``isChildOf``), document parents left out."""
        return parent_map(self)


def stable_id(framework_key: str, code: str) -> uuid.UUID:
    """Our stable id for ``code`` inside the framework known as ``framework_key``."""
    return uuid.uuid5(SKOLEHYLDE_GOALS_NAMESPACE, f"{framework_key}/{code}")


_BAND = re.compile(r"efter\s+(\d{1,2})\.\s*klassetrin", re.IGNORECASE)


def band_end(grade_band: str) -> int:
    """The last grade of a band written "efter N. klassetrin"."""
    match = _BAND.search(grade_band)
    if not match:
        raise GoalFrameworkError(
            f"not a grade band of the form 'efter N. klassetrin': {grade_band!r}"
        )
    end = int(match.group(1))
    if end not in GRADES:
        raise GoalFrameworkError(f"grade {end} is outside 0–10 in {grade_band!r}")
    return end


def grades_of_bands(bands: Sequence[str], first_grade: int = 1) -> dict[str, tuple[int, ...]]:
    """The grades each band spans: from the end of the previous band to its own end.

    >>> grades_of_bands(["efter 3. klassetrin", "efter 6. klassetrin"])["efter 6. klassetrin"]
    (4, 5, 6)
    """
    spans: dict[str, tuple[int, ...]] = {}
    start = first_grade
    for band in sorted(bands, key=band_end):
        end = band_end(band)
        spans[band] = tuple(range(start, end + 1))
        start = end + 1
    return spans


def parent_map(package: FrameworkPackage) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each goal's parents inside the package, in sequence order."""
    ids = {str(goal.id): goal.id for goal in package.goals}
    parents: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {goal.id: [] for goal in package.goals}
    for assoc in package.associations:
        if assoc.type != AssociationType.IS_CHILD_OF:
            continue
        child = ids.get(assoc.origin.identifier)
        parent = ids.get(assoc.destination.identifier)
        if child is not None and parent is not None:
            parents[child].append((assoc.sequence_number or 0, parent))
    return {child: [p for _, p in sorted(ps, key=lambda x: x[0])] for child, ps in parents.items()}


def closure(parents: dict[uuid.UUID, list[uuid.UUID]]) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """All (ancestor, descendant, depth) pairs of a goal DAG, depth 0 for each goal itself.

    Raises ``GoalFrameworkError`` on a cycle. Where a goal has several parents, the shortest
    depth to each ancestor is kept. Iterative, so a deep generated chain cannot hit the
    recursion limit.
    """
    pairs: list[tuple[uuid.UUID, uuid.UUID, int]] = []
    for node in parents:
        for ancestor, depth in ancestors_of(node, parents).items():
            pairs.append((ancestor, node, depth))
    return pairs


def ancestors_of(
    node: uuid.UUID, parents: dict[uuid.UUID, list[uuid.UUID]]
) -> dict[uuid.UUID, int]:
    """Breadth-first walk up from ``node``: each ancestor (and the node) with its distance."""
    found: dict[uuid.UUID, int] = {node: 0}
    frontier = [node]
    depth = 0
    while frontier:
        depth += 1
        nxt: list[uuid.UUID] = []
        for current in frontier:
            for parent in parents.get(current, ()):
                if parent == node:
                    raise GoalFrameworkError(
                        "the isChildOf associations form a cycle", where=f"CFItem {node}"
                    )
                if parent not in found:
                    found[parent] = depth
                    nxt.append(parent)
        frontier = nxt
    return found


def validate(package: FrameworkPackage) -> None:
    """Check the rules every framework must keep; raise ``GoalFrameworkError`` naming the item."""
    seen: set[uuid.UUID] = set()
    for goal in package.goals:
        where = f"CFItem {goal.id}"
        if goal.id in seen:
            raise GoalFrameworkError("the identifier appears twice", where=f"{where} identifier")
        seen.add(goal.id)
        if not goal.full_statement.strip():
            raise GoalFrameworkError("fullStatement is empty", where=f"{where} fullStatement")
        bad = [g for g in goal.grades if g not in GRADES]
        if bad:
            raise GoalFrameworkError(
                f"grades {bad} are outside 0–10", where=f"{where} educationLevel"
            )
    assoc_ids: set[uuid.UUID] = set()
    for assoc in package.associations:
        if assoc.id in assoc_ids:
            raise GoalFrameworkError(
                "the identifier appears twice", where=f"CFAssociation {assoc.id} identifier"
            )
        assoc_ids.add(assoc.id)
    closure(parent_map(package))


def roots(package: FrameworkPackage) -> list[Goal]:
    """Goals with no parent goal inside the framework, in position order."""
    parents = parent_map(package)
    return sorted(
        (g for g in package.goals if not parents[g.id]),
        key=lambda g: (g.position if g.position is not None else 1 << 30, g.full_statement),
    )


def all_grades(goals: Iterable[Goal]) -> tuple[int, ...]:
    return tuple(sorted({g for goal in goals for g in goal.grades}))
