"""Benchmark of the search port on the embedded adapter (tantivy): index build and queries.

Generates ``--products`` (default 100,000) products in Danish-looking text, deterministically
from ``--seed``: 12 subjects with their own vocabulary, a goal tree per subject shaped like
Fælles Mål (competence area → competence goal → skill goal; products are tagged to skill or
competence goals, ``goal_path_ids`` carries the ancestors), 60 fictional publishers, prices,
ratings and dates. Then, through ``SearchIndex`` only:

* ``build_s``: ``upsert`` of every document (in batches of ``--batch``, one commit each) into
  a fresh on-disk index in a temporary directory (``--in-memory`` for RAM);
  ``documents_s`` is the time to make the ``SearchDocument`` objects (not part of build);
* ``query``: ``--rounds`` timed passes (after one warm-up pass) over a mixed query set:
  plain words, typos, filtered, faceted, goal subtree, and top 20 with snippets. Every query
  asks for 20 hits; a sample times ``SearchQuery(...)`` construction plus ``search()``,
  with ``time.perf_counter``. p50/p95/p99 overall and per kind, in milliseconds.

Prints one JSON object on stdout; progress goes to stderr. No network::

    .venv/bin/python bench/search_port.py
    .venv/bin/python bench/search_port.py --products 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.search.interfaces import SearchDocument, SearchQuery  # noqa: E402
from server.search.tantivy_index import TantivySearchIndex  # noqa: E402

NS = uuid.UUID("1b3c4d5e-6f70-4182-93a4-b5c6d7e8f901")

SUBJECTS: dict[str, list[str]] = {
    "matematik": [
        "brøker",
        "decimaltal",
        "procent",
        "geometri",
        "vinkler",
        "figurer",
        "ligninger",
        "statistik",
        "sandsynlighed",
        "tabeller",
        "gangetabellen",
        "division",
        "addition",
        "subtraktion",
        "tallinjen",
        "koordinatsystem",
        "måling",
        "omkreds",
        "areal",
        "rumfang",
        "funktioner",
        "algebra",
        "regnehistorier",
        "overslag",
        "primtal",
    ],
    "dansk": [
        "læsning",
        "stavning",
        "grammatik",
        "tekstforståelse",
        "fortællinger",
        "digte",
        "eventyr",
        "skrivning",
        "ordklasser",
        "tegnsætning",
        "noveller",
        "oplæsning",
        "lydret",
        "bogstaver",
        "genrer",
        "argumentation",
        "litteratur",
        "romaner",
        "sagprosa",
        "ordforråd",
        "læsehastighed",
        "retskrivning",
        "billedbøger",
    ],
    "engelsk": [
        "grammar",
        "vocabulary",
        "gloser",
        "udtale",
        "samtaler",
        "dialoger",
        "sange",
        "ordspil",
        "reading",
        "writing",
        "listening",
        "verber",
        "sætninger",
        "kultur",
    ],
    "tysk": ["gloser", "udtale", "grammatik", "samtaler", "verber", "kasus", "kultur"],
    "natur_teknologi": [
        "forsøg",
        "planter",
        "dyr",
        "vand",
        "luft",
        "vejret",
        "kredsløb",
        "energi",
        "magneter",
        "elektricitet",
        "årstider",
        "naturfænomener",
        "undersøgelser",
    ],
    "biologi": ["celler", "økosystemer", "evolution", "kroppen", "genetik", "fotosyntese"],
    "fysik_kemi": ["atomer", "molekyler", "energi", "bølger", "kræfter", "reaktioner"],
    "geografi": ["kort", "klima", "befolkning", "landskaber", "vulkaner", "globalisering"],
    "historie": [
        "vikingetid",
        "middelalder",
        "reformationen",
        "enevælde",
        "grundloven",
        "industrialisering",
        "besættelsen",
        "velfærdsstat",
        "kilder",
        "tidslinjer",
    ],
    "kristendomskundskab": ["bibelen", "etik", "filosofi", "religioner", "højtider"],
    "musik": ["rytme", "sange", "instrumenter", "noder", "sammenspil", "komponere"],
    "billedkunst": ["farver", "former", "tegning", "maleri", "collager", "skulptur"],
}
GENERAL = [
    "eleverne",
    "opgaver",
    "træning",
    "spil",
    "quiz",
    "videoer",
    "arbejdsark",
    "niveauer",
    "differentiering",
    "feedback",
    "samarbejde",
    "undervisning",
    "forløb",
    "praktiske",
    "digitale",
    "interaktive",
    "øvelser",
    "lærervejledning",
    "evaluering",
    "fordybelse",
    "hele",
    "klassen",
    "små",
    "grupper",
    "hjemme",
    "skolen",
    "sjove",
    "udfordringer",
]
TITLE_PATTERNS = [
    "{A} for {g}. klasse",
    "{A} i praksis",
    "{A} og {b}",
    "Mit første møde med {b}",
    "{A} trin for trin",
    "Lær {b} med spil",
    "{A}-værkstedet",
    "Opdag {b}",
    "{A} på skærmen",
]
GOAL_VERBS = [
    "Eleven kan anvende",
    "Eleven kan beskrive",
    "Eleven har viden om",
    "Eleven kan undersøge",
    "Eleven kan forklare",
    "Eleven kan vurdere",
    "Eleven kan samtale om",
]
MEDIA = ["interactive", "video", "ebook", "audio", "game", "worksheet"]
PLATFORMS = ["web", "ios", "android", "windows", "chromebook"]
ACCESS = ["text_to_speech", "screen_reader", "captions", "dyslexia_friendly"]
LICENCES = ["pupil", "class", "school", "municipality"]


def build_goals(rng: random.Random) -> dict[str, list[tuple[str, list[str], str, str]]]:
    """Per subject: (goal id, path ids incl. itself, text, competence area name)."""
    goals: dict[str, list[tuple[str, list[str], str, str]]] = {}
    for subject, words in SUBJECTS.items():
        rows: list[tuple[str, list[str], str, str]] = []
        for a in range(4):
            area_words = rng.sample(words, 2)
            area_name = f"{area_words[0].capitalize()} og {area_words[1]}"
            area = str(uuid.uuid5(NS, f"{subject}/{a}"))
            for c, band in enumerate((3, 6, 9)):
                competence = str(uuid.uuid5(NS, f"{subject}/{a}/{c}"))
                text = f"{rng.choice(GOAL_VERBS)} {rng.choice(words)} efter {band}. klassetrin"
                rows.append((competence, [competence, area], text, area_name))
                for s in range(4):
                    skill = str(uuid.uuid5(NS, f"{subject}/{a}/{c}/{s}"))
                    text = f"{rng.choice(GOAL_VERBS)} {rng.choice(words)} og {rng.choice(words)}"
                    rows.append((skill, [skill, competence, area], text, area_name))
        goals[subject] = rows
    return goals


def generate(count: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rng = random.Random(seed)
    goals = build_goals(rng)
    publishers = [
        (str(uuid.uuid5(NS, f"publisher/{n}")), f"Forlaget {name}")
        for n, name in enumerate(
            f"{a}{b}"
            for a in ("Tavle", "Kridt", "Læse", "Regne", "Nord", "Skole", "Lille", "Klog")
            for b in ("hesten", "huset", "lys", "stien", "værket", "bogen", "lab", "fabrikken")
        )
    ][:60]
    subjects = list(SUBJECTS)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    docs: list[dict[str, Any]] = []
    for n in range(count):
        subject = rng.choice(subjects)
        words = SUBJECTS[subject]
        a, b = rng.sample(words, 2)
        low = rng.randint(0, 9)
        grades = list(range(low, min(10, low + rng.randint(0, 3)) + 1))
        title = rng.choice(TITLE_PATTERNS).format(A=a.capitalize(), b=b, g=grades[0] or 1)
        body = rng.choices(words, k=10) + rng.choices(GENERAL, k=18)
        rng.shuffle(body)
        description = (" ".join(body) + ".").capitalize()
        tagged = rng.sample(goals[subject], rng.randint(1, 3))
        publisher_id, publisher_name = rng.choice(publishers)
        price = rng.choice([0, 2_500, 4_900, 9_900, 14_900, 19_900, 29_900, 49_900, 99_900])
        rated = rng.random() < 0.7
        docs.append(
            {
                "id": str(uuid.uuid5(NS, f"product/{n}")),
                "title": title,
                "description": description,
                "publisher_id": publisher_id,
                "publisher_name": publisher_name,
                "subjects": [subject],
                "grades": grades,
                "languages": ["da"] if rng.random() < 0.85 else ["da", "en"],
                "media_types": rng.sample(MEDIA, rng.randint(1, 2)),
                "platforms": rng.sample(PLATFORMS, rng.randint(1, 4)),
                "accessibility": rng.sample(ACCESS, rng.randint(0, 2)),
                "licence_types": rng.sample(LICENCES, rng.randint(1, 3)),
                "min_price_ore": price,
                "price_band": "free"
                if price == 0
                else "under_100"
                if price < 10_000
                else "100_499"
                if price < 50_000
                else "500_1999",
                "has_trial": rng.random() < 0.6,
                "offline": rng.choice(["none", "none", "partial", "full"]),
                "goal_ids": [g[0] for g in tagged],
                "goal_path_ids": list(dict.fromkeys(p for g in tagged for p in g[1])),
                "goal_texts": [g[2] for g in tagged],
                "competence_areas": list(dict.fromkeys(g[3] for g in tagged)),
                "rating_mean": round(rng.uniform(1.5, 5.0), 1) if rated else None,
                "rating_count": rng.randint(1, 200) if rated else 0,
                "published_at": (start + timedelta(minutes=n * 47)).isoformat(),
                "version": 1,
            }
        )
    areas = {subject: rows[-1][1][-1] for subject, rows in goals.items()}
    competence = {subject: rows[0][0] for subject, rows in goals.items()}
    return docs, {"area": areas, "competence": competence}


def query_set(goal_ids: dict[str, Any]) -> list[tuple[str, Callable[[], SearchQuery]]]:
    area, competence = goal_ids["area"], goal_ids["competence"]
    facets = ["subject", "grade", "media_type", "price_band", "trial", "offline"]
    plain = [
        "brøker",
        "geometri",
        "læsning",
        "grammatik",
        "vikingetid",
        "forsøg planter",
        "stavning",
        "engelsk gloser",
        "sandsynlighed",
        "brø",
        "mat",
        "eventyr og digte",
    ]
    typo = [
        "brøkker",
        "matmatik",
        "læsnig",
        "geomatri",
        "grammatk",
        "vikingtid",
        "stavnign",
        "sandsynlihed",
        "broeker",
        "laesning",
    ]
    filtered = [
        ("brøker", {"grade": [5]}),
        ("læsning", {"subject": ["dansk"], "grade": [2, 3]}),
        ("", {"subject": ["matematik"], "trial": [True]}),
        ("spil", {"media_type": ["game"], "offline": ["full"]}),
        ("quiz", {"platform": ["ios"], "price_band": ["under_100", "free"]}),
    ]
    kinds: list[tuple[str, Callable[[], SearchQuery]]] = []
    for text in plain:
        kinds.append(("plain", lambda t=text: SearchQuery(t, highlight=False)))
    for text in typo:
        kinds.append(("typo", lambda t=text: SearchQuery(t, highlight=False)))
    for text, flt in filtered:
        kinds.append(("filtered", lambda t=text, f=flt: SearchQuery(t, filters=f, highlight=False)))
    for text in ["brøker", "læsning", "", "forsøg", "matmatik"]:
        kinds.append(("faceted", lambda t=text: SearchQuery(t, facets=facets, highlight=False)))
    for subject, text in [
        ("matematik", ""),
        ("dansk", "læsning"),
        ("historie", ""),
        ("matematik", "brøker"),
    ]:
        kinds.append(("goal_subtree", lambda s=subject, t=text: SearchQuery(t, goal_id=area[s])))
        kinds.append(
            (
                "goal_subtree",
                lambda s=subject, t=text: SearchQuery(t, goal_id=competence[s], facets=["grade"]),
            )
        )
    for text in ["brøker", "læsning", "geometri og figurer", "matmatik", "eventyr"]:
        kinds.append(("snippets", lambda t=text: SearchQuery(t, limit=20, highlight=True)))
    return kinds  # fmt: skip


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--in-memory", action="store_true")
    args = parser.parse_args()

    print(f"generating {args.products} products…", file=sys.stderr)
    dicts, goal_ids = generate(args.products, args.seed)
    started = time.perf_counter()
    documents = [SearchDocument.from_dict(d) for d in dicts]
    documents_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="skolehylde-bench-search-") as tmp:
        index = TantivySearchIndex(None if args.in_memory else Path(tmp) / "search")
        print("building the index…", file=sys.stderr)
        started = time.perf_counter()
        for start in range(0, len(documents), args.batch):
            index.upsert(documents[start : start + args.batch])
        build_s = time.perf_counter() - started
        assert index.count() == len(documents)

        queries = query_set(goal_ids)
        by_kind: dict[str, list[float]] = {}
        totals: dict[str, int] = {}
        for round_number in range(args.rounds + 1):
            for n, (kind, make) in enumerate(queries):
                started = time.perf_counter()
                page = index.search(make())
                elapsed = time.perf_counter() - started
                if round_number:  # round 0 warms up
                    by_kind.setdefault(kind, []).append(elapsed)
                else:
                    totals[f"{kind}#{n}"] = page.total
        everything = [s for samples in by_kind.values() for s in samples]
        typo_hits = {
            text: index.search(SearchQuery(text, limit=1)).total
            for text in ("brøkker", "matmatik", "læsnig", "broeker")
        }

    result = {
        "benchmark": "search_port",
        "backend": "tantivy",
        "storage": "memory" if args.in_memory else "disk",
        "products": len(documents),
        "documents_s": round(documents_s, 3),
        "build_s": round(build_s, 3),
        "build_docs_per_s": round(len(documents) / build_s),
        "query": percentiles(everything),
        "query_by_kind": {kind: percentiles(s) for kind, s in sorted(by_kind.items())},
        "queries_in_set": len(queries),
        "rounds": args.rounds,
        "typo_queries_total_hits": typo_hits,
        "targets": {"build_s": 60, "query_p95_ms": 5},
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
