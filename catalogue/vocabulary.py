"""Controlled vocabularies of the catalogue, shipped with the code, Danish label first.

A term's ``code`` is what is stored, sent over the API and indexed; it never changes once
released (rename the labels instead). Subject codes are the same ASCII slugs the goal
frameworks use (``learning_goals.faelles_maal.slug`` of the Danish name: "Natur/teknologi" →
``natur-teknologi``), so a subject links to its Fælles Mål framework. The other codes are
short English identifiers.

Licence periods (``Period``), and why these three:

- ``school_year`` — 1 August to 31 July. Schools and municipalities plan, allocate and spend
  per school year, and a class licence follows its class through the school-year rollover;
  this is the period most purchases will use.
- ``months_12`` — twelve months from the first day. For a purchase made during the year, so
  a school buying in March does not pay a full school year for four months.
- ``school_years_3`` — three school years. A stage of the folkeskole (indskoling 1.–3.,
  mellemtrin 4.–6., udskoling 7.–9.) and a Fælles Mål grade band ("efter 3./6./9.
  klassetrin") are three years: one purchase covers a class through a whole band.

Trials are not a period: they are the product's ``trial_days`` (0–90).

Price bands are over the *lowest offer price excluding VAT* (municipalities and schools
budget and compare prices ex. moms), in øre, lower bound inclusive, upper bound exclusive.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Term:
    """One value of a vocabulary: stable code, Danish label, English label."""

    code: str
    da: str
    en: str

    def label(self, language: str = "da") -> str:
        """The label in ``language`` ("da" or "en"); any other language gets Danish."""
        return self.en if language == "en" else self.da


@dataclass(frozen=True)
class Vocabulary:
    """An ordered set of terms; the order is the display order of facets and forms."""

    name: str
    terms: tuple[Term, ...]
    _by_code: dict[str, Term] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code = {term.code: term for term in self.terms}
        if len(by_code) != len(self.terms):
            raise ValueError(f"vocabulary {self.name!r} has a code twice")
        object.__setattr__(self, "_by_code", by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def codes(self) -> tuple[str, ...]:
        return tuple(term.code for term in self.terms)

    def term(self, code: str) -> Term:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"{code!r} is not in the {self.name} vocabulary") from None

    def label(self, code: str, language: str = "da") -> str:
        return self.term(code).label(language)

    def in_order(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The distinct known ``codes`` in vocabulary order (unknown ones are dropped)."""
        wanted = set(codes)
        return tuple(code for code in self.codes() if code in wanted)

    def unknown_message(self, value: object) -> str:
        """The message for a value that is not a code of this vocabulary."""
        return f"{value!r} is not a known {self.name}; allowed: {', '.join(self.codes())}"


SUBJECTS = Vocabulary(
    "subject",
    (
        Term("dansk", "Dansk", "Danish"),
        Term("dansk-som-andetsprog", "Dansk som andetsprog", "Danish as a second language"),
        Term("matematik", "Matematik", "Mathematics"),
        Term("engelsk", "Engelsk", "English"),
        Term("tysk", "Tysk", "German"),
        Term("fransk", "Fransk", "French"),
        Term("spansk", "Spansk", "Spanish"),
        Term("natur-teknologi", "Natur/teknologi", "Science and technology"),
        Term("biologi", "Biologi", "Biology"),
        Term("fysik-kemi", "Fysik/kemi", "Physics and chemistry"),
        Term("geografi", "Geografi", "Geography"),
        Term("historie", "Historie", "History"),
        Term("kristendomskundskab", "Kristendomskundskab", "Christian studies"),
        Term("samfundsfag", "Samfundsfag", "Social studies"),
        Term("billedkunst", "Billedkunst", "Visual arts"),
        Term("musik", "Musik", "Music"),
        Term("idraet", "Idræt", "Physical education"),
        Term("haandvaerk-og-design", "Håndværk og design", "Crafts and design"),
        Term("madkundskab", "Madkundskab", "Food knowledge"),
        Term("teknologiforstaaelse", "Teknologiforståelse", "Technology comprehension"),
        Term("faerdselslaere", "Færdselslære", "Road safety"),
        Term(
            "sundheds-og-seksualundervisning-og-familiekundskab",
            "Sundheds- og seksualundervisning og familiekundskab",
            "Health, sex education and family studies",
        ),
        Term("uddannelse-og-job", "Uddannelse og job", "Education and jobs"),
        Term("medier", "Medier", "Media studies"),
        Term("filmkundskab", "Filmkundskab", "Film studies"),
        Term("drama", "Drama", "Drama"),
    ),
)

MEDIA_TYPES = Vocabulary(
    "media type",
    (
        Term("interactive", "Interaktiv", "Interactive"),
        Term("video", "Video", "Video"),
        Term("audio", "Lyd", "Audio"),
        Term("ebook", "Tekst/e-bog", "Text/e-book"),
        Term("game", "Spil", "Game"),
        Term("exercises", "Opgaver", "Exercises"),
        Term("simulation", "Simulering", "Simulation"),
        Term("course", "Undervisningsforløb", "Teaching unit"),
        Term("tool", "Værktøj", "Tool"),
        Term("assessment", "Test og evaluering", "Tests and assessment"),
        Term("teacher_guide", "Lærervejledning", "Teacher's guide"),
    ),
)

PLATFORMS = Vocabulary(
    "platform",
    (
        Term("web", "Web (browser)", "Web (browser)"),
        Term("ios", "iPad/iOS", "iPad/iOS"),
        Term("android", "Android", "Android"),
        Term("windows", "Windows", "Windows"),
        Term("macos", "macOS", "macOS"),
        Term("chromebook", "Chromebook", "Chromebook"),
    ),
)

#: ISO 639-1 codes: the languages of instruction, the foreign languages taught, the
#: languages of the Rigsfællesskab, and the largest mother tongues among pupils.
LANGUAGES = Vocabulary(
    "language",
    (
        Term("da", "dansk", "Danish"),
        Term("en", "engelsk", "English"),
        Term("de", "tysk", "German"),
        Term("fr", "fransk", "French"),
        Term("es", "spansk", "Spanish"),
        Term("sv", "svensk", "Swedish"),
        Term("no", "norsk", "Norwegian"),
        Term("kl", "grønlandsk", "Greenlandic"),
        Term("fo", "færøsk", "Faroese"),
        Term("uk", "ukrainsk", "Ukrainian"),
        Term("ar", "arabisk", "Arabic"),
        Term("tr", "tyrkisk", "Turkish"),
        Term("pl", "polsk", "Polish"),
        Term("so", "somali", "Somali"),
    ),
)


class AccessibilityFeature(StrEnum):
    TEXT_TO_SPEECH = "text_to_speech"
    SCREEN_READER = "screen_reader"
    CAPTIONS = "captions"
    DYSLEXIA_FRIENDLY = "dyslexia_friendly"
    KEYBOARD_NAVIGATION = "keyboard_navigation"
    HIGH_CONTRAST = "high_contrast"


ACCESSIBILITY_FEATURES = Vocabulary(
    "accessibility feature",
    (
        Term(AccessibilityFeature.TEXT_TO_SPEECH, "Oplæsning (tekst til tale)", "Text to speech"),
        Term(
            AccessibilityFeature.SCREEN_READER, "Understøtter skærmlæser", "Screen reader support"
        ),
        Term(AccessibilityFeature.CAPTIONS, "Undertekster", "Captions"),
        Term(AccessibilityFeature.DYSLEXIA_FRIENDLY, "Ordblindevenlig", "Dyslexia-friendly"),
        Term(
            AccessibilityFeature.KEYBOARD_NAVIGATION,
            "Kan betjenes med tastatur",
            "Keyboard navigation",
        ),
        Term(AccessibilityFeature.HIGH_CONTRAST, "Høj kontrast", "High contrast"),
    ),
)


class LicenceType(StrEnum):
    """Who a licence is for: one pupil (a seat), a class, a school, a whole municipality."""

    PUPIL = "pupil"
    CLASS = "class"
    SCHOOL = "school"
    MUNICIPALITY = "municipality"


LICENCE_TYPES = Vocabulary(
    "licence type",
    (
        Term(LicenceType.PUPIL, "Elevlicens", "Pupil licence"),
        Term(LicenceType.CLASS, "Klasselicens", "Class licence"),
        Term(LicenceType.SCHOOL, "Skolelicens", "School licence"),
        Term(LicenceType.MUNICIPALITY, "Kommunelicens", "Municipality licence"),
    ),
)


class Period(StrEnum):
    """How long a licence runs (see the module docstring for why these)."""

    SCHOOL_YEAR = "school_year"
    MONTHS_12 = "months_12"
    SCHOOL_YEARS_3 = "school_years_3"


PERIODS = Vocabulary(
    "period",
    (
        Term(Period.SCHOOL_YEAR, "Skoleår (1. august – 31. juli)", "School year (1 Aug – 31 Jul)"),
        Term(Period.MONTHS_12, "12 måneder", "12 months"),
        Term(Period.SCHOOL_YEARS_3, "3 skoleår", "3 school years"),
    ),
)

#: The school year starts on 1 August (and ends on 31 July).
SCHOOL_YEAR_START_MONTH = 8


def licence_last_day(period: Period, start: date) -> date:
    """The last day (inclusive) of a licence of ``period`` that starts on ``start``.

    >>> licence_last_day(Period.SCHOOL_YEAR, date(2026, 3, 2))
    datetime.date(2026, 7, 31)
    >>> licence_last_day(Period.MONTHS_12, date(2024, 2, 29))
    datetime.date(2025, 2, 28)
    """
    first_year = start.year if start.month >= SCHOOL_YEAR_START_MONTH else start.year - 1
    if period is Period.SCHOOL_YEAR:
        return date(first_year + 1, 7, 31)
    if period is Period.SCHOOL_YEARS_3:
        return date(first_year + 3, 7, 31)
    year = start.year + 1
    if start.month == 2 and start.day == 29 and not calendar.isleap(year):
        anniversary = date(year, 3, 1)
    else:
        anniversary = start.replace(year=year)
    return anniversary - timedelta(days=1)


class OfflineCapability(StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


OFFLINE_CAPABILITIES = Vocabulary(
    "offline capability",
    (
        Term(OfflineCapability.NONE, "Kræver internet", "Needs internet"),
        Term(OfflineCapability.PARTIAL, "Delvist offline", "Partly offline"),
        Term(OfflineCapability.FULL, "Virker offline", "Works offline"),
    ),
)


@dataclass(frozen=True, slots=True)
class PriceBand:
    """A price facet bucket over øre excluding VAT: ``min_ore <= price < max_ore``."""

    code: str
    da: str
    en: str
    min_ore: int
    max_ore: int | None  # None: no upper bound

    def contains(self, price_ore: int) -> bool:
        return price_ore >= self.min_ore and (self.max_ore is None or price_ore < self.max_ore)

    def label(self, language: str = "da") -> str:
        return self.en if language == "en" else self.da


PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("free", "Gratis", "Free", 0, 1),
    PriceBand("under_100", "Under 100 kr.", "Under DKK 100", 1, 100_00),
    PriceBand("100_499", "100–499 kr.", "DKK 100–499", 100_00, 500_00),
    PriceBand("500_1999", "500–1.999 kr.", "DKK 500–1,999", 500_00, 2_000_00),
    PriceBand("2000_plus", "2.000 kr. og derover", "DKK 2,000 and over", 2_000_00, None),
)


def price_band(price_ore: int) -> PriceBand:
    """The band of a price in øre excluding VAT. Negative prices have no band."""
    for band in PRICE_BANDS:
        if band.contains(price_ore):
            return band
    raise ValueError(f"no price band for {price_ore} øre: prices are 0 or more")
