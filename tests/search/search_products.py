"""Thirty hand-written Danish products (fictional publishers) and a small goal tree.

Ids are UUIDv5 of a short key, so tests name products by key: ``P["brok4"]``. Every product
has a distinct ``published_at`` (newest = highest number) and goals are tagged the way the
catalogue does it: ``goal_ids`` the tagged goals, ``goal_path_ids`` those and all ancestors.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.search.interfaces import SearchDocument

NS = uuid.UUID("6f1c1c2e-5d0b-4a43-9a51-2f7f3b0c9a10")


def uid(key: str) -> str:
    return str(uuid.uuid5(NS, key))


# --- goals: (key, parent key, text, competence area) ----------------------------------
GOALS: dict[str, tuple[str | None, str, str]] = {
    "mat.tal": (None, "Tal og algebra", "Tal og algebra"),
    "mat.tal.6": (
        "mat.tal",
        "Eleven kan anvende rationale tal og variable i beskrivelser og beregninger",
        "Tal og algebra",
    ),
    "mat.tal.6.brok": (
        "mat.tal.6",
        "Eleven kan beregne med brøker og decimaltal",
        "Tal og algebra",
    ),
    "mat.tal.3": (
        "mat.tal",
        "Eleven kan anvende naturlige tal til at beskrive antal og rækkefølge",
        "Tal og algebra",
    ),
    "mat.geo": (None, "Geometri og måling", "Geometri og måling"),
    "mat.geo.6": (
        "mat.geo",
        "Eleven kan undersøge, beskrive og beregne egenskaber ved figurer",
        "Geometri og måling",
    ),
    "dan.laes": (None, "Læsning", "Læsning"),
    "dan.laes.3": ("dan.laes", "Eleven kan læse tekster med forståelse", "Læsning"),
    "dan.laes.3.flyd": ("dan.laes.3", "Eleven kan læse lydret og flydende", "Læsning"),
    "dan.skriv": (None, "Fremstilling", "Fremstilling"),
    "dan.skriv.6": (
        "dan.skriv",
        "Eleven kan udtrykke sig i skrift med korrekt stavning",
        "Fremstilling",
    ),
    "eng.kom": (None, "Mundtlig kommunikation", "Mundtlig kommunikation"),
    "eng.kom.6": (
        "eng.kom",
        "Eleven kan deltage i enkle samtaler på engelsk",
        "Mundtlig kommunikation",
    ),
    "nat.us": (None, "Undersøgelse", "Undersøgelse"),
    "nat.us.4": (
        "nat.us",
        "Eleven kan gennemføre enkle undersøgelser af naturfænomener",
        "Undersøgelse",
    ),
    "his.kron": (None, "Kronologi og sammenhæng", "Kronologi og sammenhæng"),
    "his.kron.9": (
        "his.kron",
        "Eleven kan forklare hvordan samfundet har udviklet sig",
        "Kronologi og sammenhæng",
    ),
}
G = {key: uid("goal:" + key) for key in GOALS}


def ancestors(key: str) -> list[str]:
    path: list[str] = []
    current: str | None = key
    while current is not None:
        path.append(current)
        current = GOALS[current][0]
    return path


PUBLISHERS = {
    "tavlen": "Forlaget Tavlen",
    "regnestykket": "Regnestykket ApS",
    "laesehesten": "Læsehesten",
    "nordlys": "Nordlys Læring",
    "kridt": "Kridt & Klog",
    "skolefabrikken": "Skolefabrikken",
}
PUB = {key: uid("publisher:" + key) for key in PUBLISHERS}


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    description: str
    publisher: str
    subjects: tuple[str, ...]
    grades: tuple[int, ...]
    goals: tuple[str, ...] = ()
    price_ore: int = 24_900
    media: tuple[str, ...] = ("interactive",)
    platforms: tuple[str, ...] = ("web", "ios", "android")
    languages: tuple[str, ...] = ("da",)
    accessibility: tuple[str, ...] = ()
    licences: tuple[str, ...] = ("pupil", "school")
    trial: bool = True
    offline: str = "none"
    rating: float | None = None
    rating_count: int = 0


SPECS: list[Spec] = [
    Spec("brok4", "Brøker i 4. klasse",
         "Øv brøker med pizzaer, chokoladeplader og tallinjer. Eleverne sammenligner og "
         "forkorter brøker.",
         "regnestykket", ("matematik",), (4,), ("mat.tal.6.brok",), 4_900,
         rating=4.5, rating_count=12),
    Spec("brokverden", "Brøkernes verden",
         "En digital bog om brøkerne, decimaltal og procent med små film.",
         "tavlen", ("matematik",), (5, 6), ("mat.tal.6",), 19_900, ("ebook", "video"),
         rating=3.8, rating_count=5),
    Spec("regnbrok", "Regn med brøk",
         "Træningsopgaver hvor eleverne lægger brøk til brøk og finder fællesnævner.",
         "regnestykket", ("matematik",), (5, 6), ("mat.tal.6.brok",), 9_900,
         offline="full", rating=4.1, rating_count=3),
    Spec("mat5", "Matematik for 5. klasse",
         "Et helt års matematik med tal, geometri og statistik. Opgaver med automatisk "
         "retning.",
         "tavlen", ("matematik",), (5,), ("mat.tal.6", "mat.geo.6"), 59_900,
         licences=("school", "municipality"), rating=4.8, rating_count=40),
    Spec("matmyst", "Matematikkens mysterier",
         "Problemløsning og ræsonnement for de ældste klasser.",
         "kridt", ("matematik",), (8, 9), (), 29_900, trial=False),
    Spec("geohaender", 'Geometri for "små" <hænder> & store',
         "Figurer, vinkler og symmetri i 3D. <script>alert(1)</script> er ikke en del af "
         "materialet.",
         "kridt", ("matematik",), (2, 3), ("mat.geo.6",), 14_900, rating=2.9, rating_count=7),
    Spec("maaling", "Måling og vejning",
         "Eleverne måler længder, vejer ting og sammenligner med praktiske forsøg.",
         "skolefabrikken", ("matematik",), (3, 4), ("mat.geo.6",), 7_500, offline="partial"),
    Spec("tallinjen", "Tallinjen",
         "Naturlige tal, tælling og rækkefølge for indskolingen.",
         "regnestykket", ("matematik",), (0, 1, 2), ("mat.tal.3",), 0, trial=False,
         licences=("municipality",)),
    Spec("gaader", "Gåder og logik",
         "Logiske gåder og talmønstre der træner den matematiske tænkning.",
         "nordlys", ("matematik",), (3, 4, 5), ("mat.tal.3",), 12_500),
    Spec("lix", "Læsning med Lix",
         "Differentierede tekster til læsning i hele klassen, med oplæsning.",
         "laesehesten", ("dansk",), (2, 3), ("dan.laes.3.flyd",), 34_900,
         accessibility=("text_to_speech", "dyslexia_friendly"), rating=4.2, rating_count=9),
    Spec("laeseraketten", "Læseraketten",
         "Små bøger til de første læsere. Lydret læsning og genkendelse af ord.",
         "laesehesten", ("dansk",), (0, 1), ("dan.laes.3.flyd",), 22_500, ("ebook", "audio"),
         offline="full"),
    Spec("forsta", "Forstå teksten",
         "Opgaver i tekstforståelse til mellemtrinnet.",
         "tavlen", ("dansk",), (4, 5, 6), ("dan.laes.3",), 18_000),
    Spec("stavning", "Stavning på skærmen",
         "Retstavning med spil og diktat. Tjek dine færdigheder i stavning.",
         "nordlys", ("dansk",), (4, 5, 6), ("dan.skriv.6",), 8_000, rating=3.5, rating_count=2),
    Spec("skrivehjulet", "Skrivehjulet",
         "Skriv fortællinger og faglige tekster med skabeloner.",
         "nordlys", ("dansk",), (5, 6, 7), ("dan.skriv.6",), 27_500),
    Spec("engbeg", "Engelsk for begyndere",
         "Enkle dialoger, sange og ordspil på engelsk.",
         "skolefabrikken", ("engelsk",), (3, 4), ("eng.kom.6",), 15_000,
         languages=("en", "da"), media=("audio", "interactive")),
    Spec("letstalk", "Let's Talk",
         "Conversations and role play for Danish pupils learning English.",
         "skolefabrikken", ("engelsk",), (6, 7), ("eng.kom.6",), 21_000, languages=("en",),
         rating=4.0, rating_count=4),
    Spec("kredsloeb", "Naturens kredsløb",
         "Vand, luft og planter i natur/teknologi med små forsøg.",
         "kridt", ("natur_teknologi",), (3, 4), ("nat.us.4",), 16_500, ("video",)),
    Spec("forsoeg", "Forsøg i klassen",
         "Videoer og arbejdsark til undersøgende undervisning.",
         "kridt", ("natur_teknologi",), (4, 5, 6), ("nat.us.4",), 19_500, ("video",),
         offline="partial"),
    Spec("tidslinje", "Danmarkshistorie på tidslinjen",
         "Fra vikingetid til velfærdsstat: kilder, tidslinjer og quizzer.",
         "tavlen", ("historie",), (7, 8, 9), ("his.kron.9",), 39_900, rating=4.6,
         rating_count=15),
    Spec("broed", "Brødbagning i hjemkundskab",
         "Opskrifter og teori om gær, mel og ernæring.",
         "skolefabrikken", ("madkundskab",), (5, 6), (), 6_000, ("video",)),
    Spec("robotter", "Kodning med robotter",
         "Programmering og computationel tankegang med små robotter.",
         "nordlys", ("matematik", "teknologi"), (4, 5, 6), (), 45_000,
         platforms=("web", "windows")),
    Spec("sang", "Sang og rytme",
         "Musik for indskolingen med sange, rytmer og små instrumenter.",
         "laesehesten", ("musik",), (0, 1, 2), (), 11_000, ("audio",), rating=3.1,
         rating_count=6),
    Spec("farve", "Farvelære",
         "Billedkunst med farver, former og digitale collager.",
         "kridt", ("billedkunst",), (3, 4, 5), (), 9_000, platforms=("ios",)),
    Spec("procent", "Procent og rabat",
         "Regn procent i hverdagen: tilbud, rabatter og renter.",
         "regnestykket", ("matematik",), (6, 7), ("mat.tal.6",), 13_500),
    Spec("statistik", "Statistik med data",
         "Indsaml data, lav diagrammer og find gennemsnit.",
         "tavlen", ("matematik",), (6, 7, 8), (), 17_500, rating=3.9, rating_count=8),
    Spec("ordblinde", "Ordblinde læser med",
         "Oplæsning, ordforslag og læsning for ordblinde elever.",
         "laesehesten", ("dansk",), (4, 5, 6, 7, 8, 9), (), 49_900,
         accessibility=("text_to_speech", "screen_reader", "dyslexia_friendly"),
         licences=("municipality",), rating=4.9, rating_count=30),
    Spec("digte", "Digtets værksted",
         "Læs og skriv digte med billeder og lyd.",
         "nordlys", ("dansk",), (7, 8, 9), ("dan.skriv.6",), 23_000, trial=False),
    Spec("tysk", "Tysk for alle",
         "Grundlæggende tysk med udtale og korte samtaler.",
         "skolefabrikken", ("tysk",), (5, 6, 7), (), 15_500, languages=("de", "da"),
         accessibility=("captions",)),
    Spec("matquiz", "Matematik-quiz",
         "Hurtige quizzer i matematik til tavlen og tabletten.",
         "regnestykket", ("matematik",), (1, 2, 3), ("mat.tal.3",), 2_500, rating=3.3,
         rating_count=11),
    Spec("verdenskort", "Verdenskortet",
         "Geografi med interaktive kort, klima og befolkning.",
         "tavlen", ("geografi",), (7, 8), (), 31_000, platforms=("web",)),
]  # fmt: skip

BASE_DAY = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def price_band(ore: int) -> str:
    """The band codes of ``catalogue.vocabulary.PRICE_BANDS``."""
    if ore == 0:
        return "free"
    if ore < 10_000:
        return "under_100"
    if ore < 50_000:
        return "100_499"
    if ore < 200_000:
        return "500_1999"
    return "2000_plus"


def document_dict(spec: Spec, number: int) -> dict[str, Any]:
    tagged = list(spec.goals)
    paths = list(dict.fromkeys(a for g in tagged for a in ancestors(g)))
    return {
        "id": uid(spec.key),
        "title": spec.title,
        "description": spec.description,
        "publisher_id": PUB[spec.publisher],
        "publisher_name": PUBLISHERS[spec.publisher],
        "subjects": list(spec.subjects),
        "grades": list(spec.grades),
        "languages": list(spec.languages),
        "media_types": list(spec.media),
        "platforms": list(spec.platforms),
        "accessibility": list(spec.accessibility),
        "licence_types": list(spec.licences),
        "min_price_ore": spec.price_ore,
        "price_band": price_band(spec.price_ore),
        "has_trial": spec.trial,
        "offline": spec.offline,
        "goal_ids": [G[g] for g in tagged],
        "goal_path_ids": [G[g] for g in paths],
        "goal_texts": [GOALS[g][1] for g in tagged],
        "competence_areas": list(dict.fromkeys(GOALS[g][2] for g in tagged)),
        "rating_mean": spec.rating,
        "rating_count": spec.rating_count,
        "published_at": (BASE_DAY + timedelta(days=3 * number)).isoformat(),
        "version": 1,
    }


DOCUMENTS: list[SearchDocument] = [
    SearchDocument.from_dict(document_dict(spec, n)) for n, spec in enumerate(SPECS)
]
P: dict[str, str] = {spec.key: uid(spec.key) for spec in SPECS}
BY_ID: dict[str, SearchDocument] = {doc.id: doc for doc in DOCUMENTS}
KEY: dict[str, str] = {v: k for k, v in P.items()}


def keys(ids: object) -> set[str]:
    """Product ids → fixture keys (readable assertion messages)."""
    return {KEY.get(i, i) for i in ids}  # type: ignore[attr-defined]
