"""The controlled vocabularies: codes, labels, periods, price bands."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from catalogue.vocabulary import (
    ACCESSIBILITY_FEATURES,
    LANGUAGES,
    LICENCE_TYPES,
    MEDIA_TYPES,
    OFFLINE_CAPABILITIES,
    PERIODS,
    PLATFORMS,
    PRICE_BANDS,
    SUBJECTS,
    AccessibilityFeature,
    LicenceType,
    OfflineCapability,
    Period,
    Term,
    Vocabulary,
    licence_last_day,
    price_band,
)
from learning_goals.faelles_maal import slug

FOLKESKOLE_SUBJECTS = [
    "Dansk", "Matematik", "Engelsk", "Tysk", "Fransk", "Natur/teknologi", "Biologi",
    "Fysik/kemi", "Geografi", "Historie", "Kristendomskundskab", "Samfundsfag",
    "Billedkunst", "Musik", "Idræt", "Håndværk og design", "Madkundskab",
]  # fmt: skip


def test_every_folkeskole_subject_is_there_with_the_goal_framework_slug() -> None:
    danish = {term.da: term.code for term in SUBJECTS}
    for name in FOLKESKOLE_SUBJECTS:
        assert danish[name] == slug(name)
    assert all(term.code == slug(term.da) for term in SUBJECTS)
    assert SUBJECTS.label("natur-teknologi") == "Natur/teknologi"
    assert SUBJECTS.label("natur-teknologi", "en") == "Science and technology"
    assert SUBJECTS.label("idraet") == "Idræt"


def test_the_other_vocabularies() -> None:
    assert MEDIA_TYPES.codes()[:6] == (
        "interactive",
        "video",
        "audio",
        "ebook",
        "game",
        "exercises",
    )
    assert MEDIA_TYPES.label("ebook") == "Tekst/e-bog"
    assert MEDIA_TYPES.label("audio") == "Lyd"
    assert PLATFORMS.codes() == ("web", "ios", "android", "windows", "macos", "chromebook")
    assert PLATFORMS.label("ios") == "iPad/iOS"
    assert LANGUAGES.codes()[:4] == ("da", "en", "de", "fr")
    assert LANGUAGES.label("de") == "tysk"
    assert LANGUAGES.label("de", "en") == "German"
    assert ACCESSIBILITY_FEATURES.codes() == tuple(AccessibilityFeature) == (
        "text_to_speech", "screen_reader", "captions", "dyslexia_friendly",
        "keyboard_navigation", "high_contrast",
    )  # fmt: skip
    assert ACCESSIBILITY_FEATURES.label("dyslexia_friendly") == "Ordblindevenlig"
    assert (
        LICENCE_TYPES.codes() == tuple(LicenceType) == ("pupil", "class", "school", "municipality")
    )
    assert LICENCE_TYPES.label("pupil") == "Elevlicens"
    assert PERIODS.codes() == tuple(Period) == ("school_year", "months_12", "school_years_3")
    assert OFFLINE_CAPABILITIES.codes() == tuple(OfflineCapability) == ("none", "partial", "full")


def test_vocabulary_lookup() -> None:
    assert "matematik" in SUBJECTS
    assert "Matematik" not in SUBJECTS
    assert 3 not in SUBJECTS
    assert SUBJECTS.term("musik") == Term("musik", "Musik", "Music")
    with pytest.raises(KeyError, match="'matte' is not in the subject vocabulary"):
        SUBJECTS.term("matte")
    assert PLATFORMS.in_order(["chromebook", "web", "nope", "web"]) == ("web", "chromebook")
    assert LICENCE_TYPES.unknown_message("seat") == (
        "'seat' is not a known licence type; allowed: pupil, class, school, municipality"
    )
    with pytest.raises(ValueError, match="has a code twice"):
        Vocabulary("x", (Term("a", "A", "A"), Term("a", "B", "B")))


@pytest.mark.parametrize(
    ("price", "band"),
    [
        (0, "free"),
        (1, "under_100"),
        (99_99, "under_100"),
        (100_00, "100_499"),
        (499_99, "100_499"),
        (500_00, "500_1999"),
        (1_999_99, "500_1999"),
        (2_000_00, "2000_plus"),
        (10**11, "2000_plus"),
    ],
)
def test_price_bands_in_ore(price: int, band: str) -> None:
    assert price_band(price).code == band


def test_price_bands_are_contiguous_and_labelled() -> None:
    for lower, upper in itertools.pairwise(PRICE_BANDS):
        assert lower.max_ore == upper.min_ore
    assert PRICE_BANDS[0].min_ore == 0 and PRICE_BANDS[-1].max_ore is None
    assert [band.label() for band in PRICE_BANDS] == [
        "Gratis", "Under 100 kr.", "100–499 kr.", "500–1.999 kr.", "2.000 kr. og derover",
    ]  # fmt: skip
    assert price_band(2_000_00).label("en") == "DKK 2,000 and over"
    with pytest.raises(ValueError, match="no price band for -1 øre"):
        price_band(-1)


@pytest.mark.parametrize(
    ("period", "start", "last"),
    [
        (Period.SCHOOL_YEAR, date(2026, 8, 1), date(2027, 7, 31)),
        (Period.SCHOOL_YEAR, date(2026, 3, 2), date(2026, 7, 31)),
        (Period.SCHOOL_YEAR, date(2026, 7, 31), date(2026, 7, 31)),
        (Period.SCHOOL_YEARS_3, date(2026, 8, 1), date(2029, 7, 31)),
        (Period.SCHOOL_YEARS_3, date(2027, 1, 10), date(2029, 7, 31)),
        (Period.MONTHS_12, date(2026, 3, 2), date(2027, 3, 1)),
        (Period.MONTHS_12, date(2026, 1, 1), date(2026, 12, 31)),
        (Period.MONTHS_12, date(2024, 2, 29), date(2025, 2, 28)),
        (Period.MONTHS_12, date(2027, 2, 28), date(2028, 2, 27)),
    ],
)
def test_licence_last_day(period: Period, start: date, last: date) -> None:
    assert licence_last_day(period, start) == last
