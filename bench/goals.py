"""Benchmark of the goal-framework store: import, re-import, CASE export, subtree and search.

Generates a 10,000-goal framework shaped like Fælles Mål (competence areas → competence goals
per grade band → færdigheds- og vidensområder → phases → færdigheds- and vidensmål) in
Danish-looking text, deterministically from ``--seed``; one competence area ("Tal og algebra")
has exactly ``--big`` descendants. Then, on a fresh database migrated with
``server.database.upgrade`` (a temporary SQLite file unless ``--database-url`` or
``--postgres`` says otherwise), it measures:

* ``import_s``: ``import_package`` into the empty database;
* ``reimport_s``: the same package again (the in-place update path);
* ``export_s``: ``load_package`` + ``package_to_case`` (which validates against the CASE 1.1
  schema), median of ``--export-runs``; ``load_package_s`` is ``load_package`` alone;
* ``subtree``: ``descendant_ids(session, big_area)`` repeated ``--subtree-reps`` times;
* ``search``: ``search_goals(session, q, limit=20)`` over a mixed set of queries (one and two
  words, prefixes such as "brø", ae/oe/aa spellings, subject and grade filters, a few with no
  hits), ``--search-rounds`` timed passes after one warm-up pass.

Every timed call runs in its own app context with the normal ``db.session`` (so a sample
includes what a request pays: a new session, a pool checkout with ``pool_pre_ping``, the
statement(s) and building the result), timed with ``time.perf_counter`` around the call.

Prints one JSON object on stdout; progress goes to stderr. Needs no network::

    .venv/bin/python bench/goals.py                 # SQLite, temporary file
    .venv/bin/python bench/goals.py --postgres      # throwaway cluster (tests/pgcluster.py)
    .venv/bin/python bench/goals.py --database-url postgresql://user@host/db
    .venv/bin/python bench/goals.py --profile       # also cProfile subtree and search
    .venv/bin/python bench/goals.py --gc-freeze     # reads without full GC passes over the app
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import json
import math
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import delete, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from learning_goals.case import package_to_case  # noqa: E402
from learning_goals.model import (  # noqa: E402
    ITEM_TYPE_TITLES,
    Association,
    AssociationType,
    Framework,
    FrameworkPackage,
    Goal,
    GoalKind,
    NodeRef,
    grades_of_bands,
    stable_id,
)
from server.app import create_app  # noqa: E402
from server.config import normalise_database_url  # noqa: E402
from server.database import upgrade  # noqa: E402
from server.extensions import db  # noqa: E402
from server.goals.models import FrameworkRow, GoalRow  # noqa: E402
from server.goals.operations import import_package  # noqa: E402
from server.goals.queries import descendant_ids, load_package, search_goals  # noqa: E402

BASE_URI = "http://skolehylde.bench"
FRAMEWORK_KEY = "skolehylde-bench/matematik"
STAMP = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
BANDS = ("efter 3. klassetrin", "efter 6. klassetrin", "efter 9. klassetrin")
SUBTREE_TARGET_P95_MS = 5
SEARCH_TARGET_P95_MS = 20

# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class AreaSpec:
    """A competence area: its færdigheds- og vidensområder and the words its goals use."""

    name: str
    fvos: tuple[str, ...]
    topics: tuple[str, ...]


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec(
        "Tal og algebra",  # the big one
        (
            "Tal",
            "Regnestrategier",
            "Brøker og decimaltal",
            "Procent",
            "Ligninger",
            "Formler og algebraiske udtryk",
            "Funktioner",
            "Potenser og rødder",
        ),
        (
            "naturlige tal",
            "brøker",
            "decimaltal",
            "negative tal",
            "rationale tal",
            "procent",
            "ligninger",
            "uligheder",
            "ligningssystemer",
            "formler",
            "algebraiske udtryk",
            "lineære funktioner",
            "funktioner",
            "potenser",
            "kvadratrødder",
            "talmønstre",
            "de fire regnearter",
            "overslag",
            "tallinjen",
            "positionssystemet",
            "hovedregning",
            "regnestrategier",
            "variable",
            "brøker og decimaltal",
        ),
    ),
    AreaSpec(
        "Matematiske kompetencer",
        (
            "Problembehandling",
            "Modellering",
            "Ræsonnement og tankegang",
            "Repræsentation og symbolbehandling",
            "Kommunikation",
            "Hjælpemidler",
        ),
        (
            "matematiske problemer",
            "enkle modeller",
            "matematisk modellering",
            "matematiske ræsonnementer",
            "matematiske tekster",
            "opgavetekster",
            "symbolsprog",
            "digitale værktøjer",
            "konkrete materialer",
            "argumenter",
            "hypoteser",
            "problemløsning",
            "repræsentationer",
            "matematisk kommunikation",
            "tankegang",
        ),
    ),
    AreaSpec(
        "Geometri og måling",
        (
            "Geometriske egenskaber og sammenhænge",
            "Geometrisk tegning",
            "Placeringer og flytninger",
            "Måling",
        ),
        (
            "geometriske figurer",
            "geometri",
            "vinkler",
            "trekanter",
            "cirkler",
            "areal",
            "omkreds",
            "rumfang",
            "koordinatsystemet",
            "spejlinger",
            "drejninger",
            "målestoksforhold",
            "længde og vægt",
            "tid og penge",
            "Pythagoras' sætning",
            "ligedannede figurer",
            "rumlige figurer",
            "arbejdstegninger",
        ),
    ),
    AreaSpec(
        "Statistik og sandsynlighed",
        ("Statistik", "Sandsynlighed", "Data og diagrammer", "Kombinatorik"),
        (
            "statistiske undersøgelser",
            "statistik",
            "data",
            "diagrammer",
            "tabeller",
            "middelværdi",
            "median",
            "typetal",
            "sandsynlighed",
            "chance og risiko",
            "tilfældige eksperimenter",
            "simuleringer",
            "hyppighed og frekvens",
            "kombinatorik",
            "spørgeskemaer",
        ),
    ),
    AreaSpec(
        "Sprog og læsning i matematik",
        ("Læsning", "Tekster", "Fagord og begreber", "Samtale og fremlæggelse"),
        (
            "matematiske tekster",
            "faglig læsning",
            "læsning af opgaver",
            "opgavetekster",
            "fagord og begreber",
            "tekster med tal og figurer",
            "læsestrategier",
            "skriftlige forklaringer",
            "samtaler om matematik",
            "fremlæggelser",
            "tekster",
            "læsning",
        ),
    ),
    AreaSpec(
        "Økonomi og hverdagsmatematik",
        ("Privatøkonomi", "Priser og rabatter", "Renter og lån", "Valuta"),
        (
            "priser",
            "rabatter",
            "procent",
            "renter",
            "lån og opsparing",
            "budgetter",
            "valuta",
            "moms",
            "lommepenge",
            "regninger",
            "privatøkonomi",
            "indkøb",
        ),
    ),
)

SKILL_VERBS = (
    "anvende",
    "beregne",
    "beskrive",
    "forklare",
    "undersøge",
    "sammenligne",
    "løse opgaver med",
    "læse og skrive om",
    "tegne",
    "vurdere",
    "genkende",
    "opstille",
    "tolke",
    "argumentere for",
    "arbejde med",
    "ordne",
    "afrunde",
    "bruge",
)
CONTEXTS = (
    "i hverdagssituationer",
    "med digitale værktøjer",
    "i enkle situationer",
    "i praktiske sammenhænge",
    "ved hjælp af konkrete materialer",
    "med og uden lommeregner",
    "i faglige tekster",
    "i samtaler med andre",
    "i undersøgende arbejde",
    "i spil og lege",
    "i sammensatte problemstillinger",
    "i projekter om klima og miljø",
    "knyttet til elevens omverden",
    "",
)
KNOWLEDGE_FORMS = (
    "Eleven har viden om {a}",
    "Eleven har viden om {a} og deres egenskaber",
    "Eleven har viden om metoder til at {v} {a}",
    "Eleven har viden om sammenhænge mellem {a} og {b}",
    "Eleven har viden om strategier til arbejde med {a} {c}",
    "Eleven har viden om begreber knyttet til {a}",
)
COMPETENCE_FORMS = (
    "Eleven kan {v} {a} og {b} {c}",
    "Eleven kan handle med overblik i situationer med {a} {c}",
    "Eleven kan {v} {a} i samspil med {b}",
)
_CODE_STOPWORDS = frozenset({"og", "i", "af", "for", "med"})
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def _abbreviation(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w.casefold() not in _CODE_STOPWORDS]
    if len(words) > 1:
        return "".join(w[0] for w in words).upper()
    return words[0][:3].upper()


def _slug(name: str) -> str:
    folded = name.casefold().translate(_FOLD)
    return "-".join("".join(c if c.isalnum() else " " for c in folded).split())


def _sentence(text: str) -> str:
    return " ".join(text.split()) + "."


# --------------------------------------------------------------------------- generation


@dataclass
class Generated:
    package: FrameworkPackage
    big_id: uuid.UUID
    big_title: str
    big_descendants: int  # goals strictly below the big area


@dataclass
class _Builder:
    rng: random.Random
    document: NodeRef
    goals: list[Goal] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    leaves_by_area: dict[int, list[NodeRef]] = field(default_factory=dict)

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
        kind: GoalKind,
        statement: str,
        code: str,
        parent: NodeRef,
        position: int,
        band: str | None = None,
        grades: tuple[int, ...] = (),
    ) -> NodeRef:
        goal_id = stable_id(FRAMEWORK_KEY, path)
        goal = Goal(
            id=goal_id,
            full_statement=statement,
            kind=kind,
            human_code=self.code(code),
            item_type=ITEM_TYPE_TITLES[kind],
            grade_band=band,
            grades=grades,
            position=position,
            language="da",
            uri=f"urn:skolehylde:goal:{goal_id}",
            last_change=STAMP,
        )
        self.goals.append(goal)
        ref = NodeRef(identifier=str(goal_id), uri=goal.uri or "", title=statement)
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
            FRAMEWORK_KEY, f"assoc/{type_.value}/{origin.identifier}/{destination.identifier}"
        )
        self.associations.append(
            Association(
                id=assoc_id,
                type=type_.value,
                origin=origin,
                destination=destination,
                sequence_number=sequence_number,
                uri=f"urn:skolehylde:association:{assoc_id}",
                last_change=STAMP,
            )
        )

    # ----------------------------------------------------------------- statements

    def skill(self, topics: Sequence[str]) -> str:
        r = self.rng
        a, b = r.sample(topics, 2)
        obj = f"{a} og {b}" if r.random() < 0.3 else a
        return _sentence(f"Eleven kan {r.choice(SKILL_VERBS)} {obj} {r.choice(CONTEXTS)}")

    def knowledge(self, topics: Sequence[str]) -> str:
        r = self.rng
        a, b = r.sample(topics, 2)
        form = r.choice(KNOWLEDGE_FORMS)
        return _sentence(form.format(a=a, b=b, v=r.choice(SKILL_VERBS), c=r.choice(CONTEXTS)))

    def competence(self, topics: Sequence[str]) -> str:
        r = self.rng
        a, b = r.sample(topics, 2)
        form = r.choice(COMPETENCE_FORMS)
        return _sentence(form.format(a=a, b=b, v=r.choice(SKILL_VERBS), c=r.choice(CONTEXTS)))


def _split(total: int, parts: int, minimum: int, rng: random.Random) -> list[int]:
    """``total`` split into ``parts`` uneven whole numbers, each at least ``minimum``."""
    spare = total - parts * minimum
    if spare < 0:
        raise SystemExit(f"cannot split {total} into {parts} parts of at least {minimum}")
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = spare / sum(weights)
    counts = [minimum + math.floor(w * scale) for w in weights]
    for index in rng.sample(range(parts), total - sum(counts)):
        counts[index] += 1
    return counts


def _build_area(
    b: _Builder, index: int, spec: AreaSpec, descendants: int, subject_code: str
) -> NodeRef:
    """One competence area with exactly ``descendants`` goals below it."""
    rng = b.rng
    spans = grades_of_bands(list(BANDS))
    path = f"ko-{_slug(spec.name)}"
    code = f"{subject_code}.{_abbreviation(spec.name)}"
    area = b.add(path, GoalKind.COMPETENCE_AREA, spec.name, code, b.document, index)
    # Shape first (phases per færdigheds- og vidensområde), then leaves to fill exactly.
    phases = [[rng.randint(2, 4) for _ in spec.fvos] for _ in BANDS]
    structural = len(BANDS) + len(BANDS) * len(spec.fvos) + sum(map(sum, phases))
    leaf_counts = iter(_split(descendants - structural, sum(map(sum, phases)), 2, rng))
    by_band: list[NodeRef] = []
    leaves = b.leaves_by_area.setdefault(index, [])
    for g_pos, band in enumerate(BANDS):
        end = band.split(".")[0].split()[-1]
        grades = spans[band]
        g_path, g_code = f"{path}/efter-{end}", f"{code}.{end}"
        goal = b.add(
            g_path,
            GoalKind.COMPETENCE_GOAL,
            b.competence(spec.topics),
            g_code,
            area,
            g_pos,
            band,
            grades,
        )
        by_band.append(goal)
        for f_pos, fvo in enumerate(spec.fvos):
            f_path, f_code = f"{g_path}/fvo-{_slug(fvo)}", f"{g_code}.{_abbreviation(fvo)}"
            fv_ref = b.add(
                f_path, GoalKind.SKILL_KNOWLEDGE_AREA, fvo, f_code, goal, f_pos, band, grades
            )
            previous: NodeRef | None = None
            for p_pos in range(phases[g_pos][f_pos]):
                p_path, p_code = f"{f_path}/fase-{p_pos + 1}", f"{f_code}.F{p_pos + 1}"
                phase = b.add(
                    p_path, GoalKind.PHASE, f"Fase {p_pos + 1}", p_code, fv_ref, p_pos, band, grades
                )
                if previous is not None:
                    b.link(AssociationType.PRECEDES, previous, phase)
                previous = phase
                count = next(leaf_counts)
                skills = (count + 1) // 2
                for i in range(count):
                    if i < skills:
                        kind, tag, n = GoalKind.SKILL_GOAL, "fm", i + 1
                        text = b.skill(spec.topics)
                    else:
                        kind, tag, n = GoalKind.KNOWLEDGE_GOAL, "vm", i - skills + 1
                        text = b.knowledge(spec.topics)
                    leaves.append(
                        b.add(
                            f"{p_path}/{tag}-{n}",
                            kind,
                            text,
                            f"{p_code}.{tag.upper()}{n}",
                            phase,
                            i,
                            band,
                            grades,
                        )
                    )
    for earlier, later in itertools.pairwise(by_band):
        b.link(AssociationType.PRECEDES, earlier, later)
    return area


def generate(n_goals: int, big: int, seed: int, related: int = 300) -> Generated:
    rng = random.Random(seed)
    framework_id = stable_id("skolehylde-bench", f"matematik/{n_goals}/{big}/{seed}")
    title = "Fælles Mål – Matematik (benchmark, genereret)"
    document = NodeRef(str(framework_id), f"urn:skolehylde:framework:{framework_id}", title)
    b = _Builder(rng=rng, document=document)
    rest = n_goals - (big + 1)  # goals in the other areas, their roots included
    others = len(AREAS) - 1
    if rest < others * 200:
        raise SystemExit(
            f"--goals {n_goals} is too few for --big {big} (need ≥ {big + 1 + others * 200})"
        )
    sizes = [big] + [rest // others + (1 if i < rest % others else 0) - 1 for i in range(others)]
    if max(sizes[1:]) >= big:
        raise SystemExit(f"--big {big} must be larger than every other area ({max(sizes[1:])})")
    big_ref = None
    for index, (spec, size) in enumerate(zip(AREAS, sizes, strict=True)):
        ref = _build_area(b, index, spec, size, "MAT")
        big_ref = big_ref or ref
    assert big_ref is not None
    # isRelatedTo between leaf goals of different areas, and a few crosswalks to a foreign
    # framework (external ends are kept as they are).
    seen: set[tuple[str, str]] = set()
    areas = sorted(b.leaves_by_area)
    while len(seen) < related:
        first, second = rng.sample(areas, 2)
        origin = rng.choice(b.leaves_by_area[first])
        destination = rng.choice(b.leaves_by_area[second])
        if (origin.identifier, destination.identifier) in seen:
            continue
        seen.add((origin.identifier, destination.identifier))
        b.link(AssociationType.IS_RELATED_TO, origin, destination)
    for i in range(10):
        foreign = uuid.uuid5(uuid.NAMESPACE_URL, f"https://case.example.org/bench/{i}")
        b.link(
            AssociationType.IS_RELATED_TO,
            rng.choice(b.leaves_by_area[areas[i % len(areas)]]),
            NodeRef(
                str(foreign),
                f"https://case.example.org/ims/case/v1p0/CFItems/{foreign}",
                f"Udenlandsk mål {i + 1}",
            ),
        )
    framework = Framework(
        id=framework_id,
        title=title,
        creator="Børne- og Undervisningsministeriet",
        version="benchmark",
        subject="Matematik",
        language="da",
        description="Genereret til ydelsesmåling; ingen af teksterne er officielle.",
        publisher="Skolehylde (benchmark)",
        uri=document.uri,
        last_change=STAMP,
    )
    package = FrameworkPackage(framework, tuple(b.goals), tuple(b.associations))
    assert len(package.goals) == n_goals, len(package.goals)
    return Generated(package, uuid.UUID(big_ref.identifier), big_ref.title or "", big)


# --------------------------------------------------------------------------- queries


ONE_WORD = (
    "brøker",
    "decimaltal",
    "ligninger",
    "geometri",
    "statistik",
    "sandsynlighed",
    "læsning",
    "tekster",
    "procent",
    "funktioner",
    "vinkler",
    "areal",
    "diagrammer",
    "formler",
    "renter",
    "budgetter",
    "modellering",
    "kommunikation",
    "median",
    "koordinatsystemet",
    "trekanter",
    "rumfang",
    "overslag",
    "potenser",
    "valuta",
    "ræsonnement",
    "data",
    "symbolsprog",
    "tal",
    "figurer",
    "kombinatorik",
    "målestoksforhold",
)
TWO_WORDS = (
    "løse ligninger",
    "brøker decimaltal",
    "statistiske undersøgelser",
    "geometriske figurer",
    "digitale værktøjer",
    "faglig læsning",
    "matematiske tekster",
    "beregne areal",
    "negative tal",
    "lineære funktioner",
    "tegne diagrammer",
    "procent rabatter",
    "sandsynlighed eksperimenter",
    "vinkler trekanter",
    "omkreds areal",
    "læse opgavetekster",
    "tolke data",
    "renter lån",
    "fase 2",
    "algebraiske udtryk",
)
PREFIXES = (
    "brø",
    "deci",
    "lign",
    "geo",
    "stat",
    "sand",
    "læs",
    "tek",
    "pro",
    "funk",
    "vink",
    "are",
    "diag",
    "form",
    "ren",
    "bud",
    "mod",
    "komm",
    "med",
    "koor",
    "tre",
    "rum",
    "ligninger lin",
    "brøker de",
)
OTHER = (
    "broeker",
    "laesning",
    "maalestoksforhold",
    "oekonomi",
    "Eleven kan løse ligninger med digitale værktøjer",
    "MAT.TA.3",
    "dinosaurer",
    "fotosyntese",
)
FILTERS: tuple[tuple[str | None, int | None], ...] = (
    (None, None),
    (None, None),
    ("Matematik", None),
    (None, 2),
    (None, 5),
    (None, 8),
    ("Matematik", 5),
    ("Dansk", None),
)


@dataclass(frozen=True)
class Query:
    text: str
    subject: str | None
    grade: int | None


def search_queries(seed: int, per_text: int = 3) -> list[Query]:
    """Each text ``per_text`` times with a filter drawn at random, shuffled."""
    rng = random.Random(seed + 1)
    texts = [*ONE_WORD, *TWO_WORDS, *PREFIXES, *OTHER]
    queries = [Query(t, *rng.choice(FILTERS)) for t in texts for _ in range(per_text)]
    rng.shuffle(queries)
    return queries


# --------------------------------------------------------------------------- measuring


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {
        f"p{round(q * 100)}_ms": round(percentile(samples, q) * 1000, 3) for q in (0.5, 0.95, 0.99)
    }


def timed_calls(
    app: Any, call: Callable[[Session], Any], reps: int, warmup: int, keep: Callable[[Any], Any]
) -> tuple[list[float], list[Any]]:
    """Seconds per ``call(db.session)``, each in a fresh app context (as a request is).

    Only ``keep(result)`` is kept, so the results do not pile up in memory (a heap of a
    million UUIDs would make the collector's full passes, and so the tail, much slower).
    """
    samples: list[float] = []
    kept: list[Any] = []
    for i in range(warmup + reps):
        with app.app_context():
            start = time.perf_counter()
            result = call(db.session)
            elapsed = time.perf_counter() - start
        if i >= warmup:
            samples.append(elapsed)
            kept.append(keep(result))
        del result
    return samples, kept


def profile(app: Any, label: str, calls: Sequence[Callable[[Session], Any]], top: int) -> None:
    """cProfile ``calls`` (each in its own app context) and print the top entries to stderr."""
    profiler = cProfile.Profile()
    for call in calls:
        with app.app_context():
            profiler.enable()
            call(db.session)
            profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n===== profile: {label} ({len(calls)} calls) =====\n{out.getvalue()}", file=sys.stderr)


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    log(f"generating {args.goals} goals (seed {args.seed}) …")
    start = time.perf_counter()
    gen = generate(args.goals, args.big, args.seed)
    package = gen.package
    log(
        f"generated {len(package.goals)} goals, {len(package.associations)} associations in"
        f" {time.perf_counter() - start:.2f}s; big node {gen.big_title!r} has"
        f" {gen.big_descendants} descendants"
    )
    app = create_app(
        {
            "SKOLEHYLDE_ENV": "test",
            "SECRET_KEY": "bench-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "PUBLIC_BASE_URL": BASE_URI,
        }
    )
    upgrade(app)
    framework_id = package.framework.id
    with app.app_context():
        dialect = db.engine.dialect.name
        if db.session.get(FrameworkRow, framework_id) is not None:
            log("removing an earlier benchmark framework from the database")
            db.session.execute(delete(FrameworkRow).where(FrameworkRow.id == framework_id))
            db.session.commit()
        others = db.session.scalar(select(func.count()).select_from(GoalRow)) or 0
        if others:
            log(f"note: the database already holds {others} other goals")
    log(f"database: {dialect}")

    gc.collect()
    with app.app_context():
        start = time.perf_counter()
        report = import_package(db.session, package)
        import_s = time.perf_counter() - start
    assert report.created and report.goals_added == args.goals, report
    log(f"import: {import_s:.3f}s")

    gc.collect()
    with app.app_context():
        start = time.perf_counter()
        report = import_package(db.session, package)
        reimport_s = time.perf_counter() - start
    assert not report.created and report.goals_updated == args.goals, report
    log(f"re-import: {reimport_s:.3f}s")

    export_runs: list[tuple[float, float]] = []
    for _ in range(args.export_runs):
        gc.collect()
        with app.app_context():
            start = time.perf_counter()
            loaded = load_package(db.session, framework_id)
            loaded_at = time.perf_counter()
            doc = package_to_case(loaded, BASE_URI)
            done = time.perf_counter()
        assert len(doc["CFItems"]) == args.goals
        assert len(doc["CFAssociations"]) == len(package.associations)
        export_runs.append((done - start, loaded_at - start))
    del doc, loaded
    export_s = statistics.median(t for t, _ in export_runs)
    load_package_s = statistics.median(t for _, t in export_runs)
    log(f"export: {export_s:.3f}s (load_package {load_package_s:.3f}s)")

    # The reads below are timed as a server would see them: without the benchmark's own
    # 10,000-goal package and CASE document on the heap, where they would make every full
    # collection (and so the tail latencies) far slower than in a server process.
    counts = {"goals": len(package.goals), "associations": len(package.associations)}
    big_id, big_descendants = gen.big_id, gen.big_descendants
    del gen, package, report
    gc.collect()
    if args.gc_freeze:  # as a pre-forking server may do: long-lived objects out of the GC's way
        gc.freeze()

    def subtree(session: Session) -> list[uuid.UUID]:
        return descendant_ids(session, big_id)

    samples, lengths = timed_calls(app, subtree, args.subtree_reps, warmup=20, keep=len)
    rows = lengths[0]
    assert len(set(lengths)) == 1, set(lengths)
    assert rows == big_descendants + 1, (rows, big_descendants)  # itself included
    subtree_stats = summary_ms(samples)
    log(f"subtree: {subtree_stats}")

    queries = search_queries(args.seed)
    calls = [
        (lambda s, q=q: search_goals(s, q.text, subject=q.subject, grade=q.grade, limit=20))
        for q in queries
    ]
    for call in calls:  # warm-up pass
        with app.app_context():
            call(db.session)
    gc.collect()
    search_samples: list[float] = []
    hits: list[int] = []
    for _ in range(args.search_rounds):
        for call in calls:
            times, totals = timed_calls(app, call, 1, warmup=0, keep=lambda page: page.total)
            search_samples.extend(times)
            hits.extend(totals)
    search_stats = summary_ms(search_samples)
    log(f"search: {search_stats}")

    if args.profile:
        profile(app, "descendant_ids", [subtree] * 200, args.profile_top)
        profile(app, "search_goals", calls, args.profile_top)
        slowest = sorted(
            zip(
                search_samples, [q for _ in range(args.search_rounds) for q in queries], strict=True
            ),
            key=lambda x: -x[0],
        )[:10]
        for seconds, q in slowest:
            log(f"slow search {seconds * 1000:.2f} ms: {q}")

    with app.app_context():
        db.engine.dispose()
    return {
        **counts,
        "database": dialect,
        "import_s": round(import_s, 3),
        "reimport_s": round(reimport_s, 3),
        "export_s": round(export_s, 3),
        "load_package_s": round(load_package_s, 3),
        "subtree": {
            "descendants": big_descendants,
            "rows_returned": rows,
            "reps": len(samples),
            **subtree_stats,
            "target_p95_ms": SUBTREE_TARGET_P95_MS,
        },
        "search": {
            "queries": len(queries),
            "samples": len(search_samples),
            **search_stats,
            "target_p95_ms": SEARCH_TARGET_P95_MS,
            "mean_hits": round(statistics.fmean(hits), 3),
        },
    }


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The URL to benchmark on: given, a throwaway PostgreSQL cluster, or a temp SQLite file."""
    if args.database_url:
        yield args.database_url
    elif args.postgres:
        sys.path.insert(0, str(REPO / "tests"))
        from pgcluster import PostgresCluster

        log("starting a throwaway PostgreSQL cluster …")
        cluster = PostgresCluster.start()
        try:
            cluster.execute("CREATE DATABASE bench")
            yield cluster.url("bench")
        finally:
            cluster.stop()
            log("PostgreSQL cluster stopped")
    else:
        folder = tempfile.mkdtemp(prefix="skolehylde-bench-")
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="benchmark on this database (default: temp SQLite)")
    where.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL cluster and use it"
    )
    parser.add_argument("--goals", type=int, default=10_000, help="goals in the framework")
    parser.add_argument("--big", type=int, default=2_000, help="descendants of the big area")
    parser.add_argument("--seed", type=int, default=20_260_115)
    parser.add_argument("--subtree-reps", type=int, default=500)
    parser.add_argument("--search-rounds", type=int, default=2, help="timed passes over queries")
    parser.add_argument("--export-runs", type=int, default=3, help="export runs (median kept)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before the timed reads (shows how much of the tail is full GC passes)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile subtree and search")
    parser.add_argument("--profile-top", type=int, default=30)
    args = parser.parse_args(argv)
    with database(args) as url:
        result = run(url, args)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
