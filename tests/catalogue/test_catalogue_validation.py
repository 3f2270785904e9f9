"""Validation of listings and offers: every field, every failure path, all errors at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalogue_factories import GOAL_A, GOAL_B, SHA, listing, no_unknown_goals, product_data

from catalogue.errors import CatalogueValidationError
from catalogue.model import AssetRef, LaunchKind, LaunchSettings, LaunchTarget, Listing, OfferInput
from catalogue.validation import (
    ProductInput,
    listing_data,
    offer_data,
    validate_offer,
    validate_product,
)
from catalogue.vocabulary import LicenceType, OfflineCapability, Period

HTML_HINT = (
    "; text fields are plain text — remove the markup, or put a space after '<' if you mean "
    "'less than'"
)


def errors_of(data: object, unknown: set[uuid.UUID] | None = None) -> dict[str, list[str]]:
    with pytest.raises(CatalogueValidationError) as caught:
        validate_product(data, unknown_goal_ids=lambda ids: (unknown or set()) & ids)
    return caught.value.errors


def test_a_complete_product() -> None:
    assert ProductInput is Listing
    assert listing() == Listing(
        title="Brøkbanden",
        description="Interaktive opgaver med brøker til mellemtrinnet.\nMed lærervejledning.",
        subjects=("matematik",),
        grades=(4, 5, 6),
        languages=("da",),
        media_types=("interactive", "exercises"),
        platforms=("web", "ios", "chromebook"),
        launch=LaunchSettings(
            LaunchKind.LTI, "https://brokbanden.example/lti/launch", LaunchTarget.WINDOW
        ),
        data_processing_agreement_url="https://brokbanden.example/databehandleraftale.pdf",
        accessibility=("text_to_speech", "dyslexia_friendly"),
        accessibility_statement_url="https://brokbanden.example/tilgaengelighed",
        offline=OfflineCapability.PARTIAL,
        trial_days=30,
        screenshots=(AssetRef(SHA, "image/png", 1200, 800, "En opgave med brøker"),),
        goal_ids=(GOAL_A, GOAL_B),
    )


def test_optional_fields_have_defaults() -> None:
    data = product_data(
        accessibility=None,
        accessibility_statement_url=None,
        offline=None,
        trial_days=None,
        screenshots=None,
        goal_ids=None,
        launch={"kind": "url", "url": "http://127.0.0.1:8765/demo-tool", "target": "iframe"},
    )
    result = validate_product(data, unknown_goal_ids=no_unknown_goals)
    assert (
        result.accessibility,
        result.accessibility_statement_url,
        result.offline,
        result.trial_days,
        result.screenshots,
        result.goal_ids,
        result.launch,
    ) == (
        (),
        None,
        OfflineCapability.NONE,
        0,
        (),
        (),
        LaunchSettings(LaunchKind.URL, "http://127.0.0.1:8765/demo-tool", LaunchTarget.IFRAME),
    )


def test_listing_data_round_trips() -> None:
    original = listing()
    assert validate_product(listing_data(original), unknown_goal_ids=no_unknown_goals) == original


def test_text_is_normalised_to_nfc_and_trimmed_only() -> None:
    decomposed = "Bro\u0308kbanden"  # o + combining diaeresis: NFC makes it one "ö"
    result = listing(title=f"  {decomposed}  ", description="  Linje 1\n\tLinje 2  ")
    assert result.title == "Brökbanden"
    assert len(result.title) == 10
    assert result.description == "Linje 1\n\tLinje 2"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "<b>Brøk</b>", "looks like HTML ('<b>Brøk</b>')" + HTML_HINT),
        ("title", "Brøk<br>banden", "looks like HTML ('<br>banden')" + HTML_HINT),
        (
            "description",
            "Se <script>alert(1)</script>",
            "looks like HTML ('<script>alert(1)</sc')" + HTML_HINT,
        ),
        (
            "description",
            'Klik <img src=x onerror="alert(1)"',
            "looks like HTML ('<img src=x onerror=\"')" + HTML_HINT,
        ),
        (
            "description",
            "Skjult <!-- kommentar -->",
            "looks like HTML ('<!-- kommentar -->')" + HTML_HINT,
        ),
        ("description", "Slut </p>", "looks like HTML ('</p>')" + HTML_HINT),
        (
            "description",
            "&lt;script&gt;alert(1)",
            "contains the HTML character reference '&lt;'; text fields are plain text — "
            "type the character itself",
        ),
        (
            "description",
            "Tryk &#60;her",
            "contains the HTML character reference '&#60;'; text fields are plain text — "
            "type the character itself",
        ),
        (
            "description",
            "Tryk &#x3C;her og &amp;",
            "contains the HTML character reference '&#x3C;'; text fields are plain text — "
            "type the character itself",
        ),
        (
            "description",
            "Forlaget A &amp; B",
            "contains the HTML character reference '&amp;'; text fields are plain text — "
            "type the character itself",
        ),
        (
            "description",
            "Åbn javascript:alert(1)",
            "contains a script URL (javascript:, vbscript: or data:text/html); these are refused",
        ),
        (
            "description",
            "Åbn JaVa\tScRiPt:alert(1)",
            "contains a script URL (javascript:, vbscript: or data:text/html); these are refused",
        ),
        (
            "description",
            "data:text/html;base64,PHNjcmlwdD4=",
            "contains a script URL (javascript:, vbscript: or data:text/html); these are refused",
        ),
        ("title", "Brøk\u202ebanden", "contains the bidirectional control character U+202E"),
        ("title", "Brøk\x00banden", "contains the control character U+0000"),
        ("title", "Linje\nto", "must be a single line (no line breaks or tabs)"),
        ("title", "ab", "must be at least 3 characters (it is 2)"),
        ("title", "   ab   ", "must be at least 3 characters (it is 2)"),
        ("title", "x" * 121, "must be at most 120 characters (it is 121)"),
        ("title", 42, "must be a string, not a number"),
        ("description", "", "must not be empty"),
        ("description", "x" * 5001, "must be at most 5000 characters (it is 5001)"),
        ("description", ["a"], "must be a string, not a list"),
    ],
)
def test_text_fields_are_plain_text_refused_not_stripped(
    field: str, value: object, message: str
) -> None:
    assert errors_of(product_data(**{field: value})) == {field: [message]}


@pytest.mark.parametrize(
    "text",
    ["Brøker: 1/2 < 3/4 og 5 > 2", "Forlaget A & B", "R&D; ja", "Pris: 50 % rabat", "x" * 120],
)
def test_ordinary_text_is_allowed(text: str) -> None:
    assert listing(title=text[:120]).title == text[:120]


def test_title_and_description_at_their_limits() -> None:
    result = listing(title="abc", description="x" * 5000)
    assert (len(result.title), len(result.description)) == (3, 5000)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://brokbanden.example/lti",
            "must use https:// (plain http:// is only allowed for localhost and 127.0.0.1)",
        ),
        ("javascript:alert(1)", "javascript: URLs are not allowed; use an https:// link"),
        ("JavaScript:alert(1)", "javascript: URLs are not allowed; use an https:// link"),
        ("data:text/html,<b>x</b>", "data: URLs are not allowed; use an https:// link"),
        ("ftp://brokbanden.example/", "must start with https:// (got ftp:)"),
        ("brokbanden.example/lti", "must start with https:// (got no scheme)"),
        ("https://", "must name a host, e.g. https://example.dk/"),
        ("https://user:pw@brokbanden.example/", "must not contain a user name or password"),
        ("https://brokbanden.example/a b", "must not contain spaces or control characters"),
        ("https://brokbanden.example:99999/", "is not a valid URL (Port out of range 0-65535)"),
        ("https://x.dk/" + "a" * 2000, "must be at most 2000 characters"),
        ("", "must not be empty"),
        (7, "must be a URL string, not a number"),
    ],
)
def test_urls_must_be_https(url: object, message: str) -> None:
    assert errors_of(product_data(data_processing_agreement_url=url)) == {
        "data_processing_agreement_url": [message]
    }


@pytest.mark.parametrize(
    "url", ["http://localhost:5000/launch", "http://127.0.0.1/launch", "http://[::1]:80/x"]
)
def test_http_only_for_the_local_demo_tool(url: str) -> None:
    assert listing(launch={"kind": "lti", "url": url}).launch.url == url


def test_grades_0_to_10_without_duplicates_sorted() -> None:
    assert listing(grades=[10, 0, 3]).grades == (0, 3, 10)
    assert errors_of(product_data(grades=[11, -1, 3, 3, True, "4"])) == {
        "grades[0]": ["must be 0–10 (got 11)"],
        "grades[1]": ["must be 0–10 (got -1)"],
        "grades[3]": ["grade 3 appears twice"],
        "grades[4]": ["must be a whole number, not a boolean"],
        "grades[5]": ["must be a whole number, not a string"],
    }
    assert errors_of(product_data(grades=[])) == {"grades": ["must name at least one grade (0–10)"]}
    assert errors_of(product_data(grades="4-6")) == {"grades": ["must be a list, not a string"]}
    assert errors_of(product_data(grades=None)) == {"grades": ["is required"]}


def test_unknown_vocabulary_values_are_refused_with_the_allowed_ones() -> None:
    assert errors_of(product_data(platforms=["web", "playstation", "web"], languages=["dk"])) == {
        "languages[0]": [
            "'dk' is not a known language; allowed: "
            "da, en, de, fr, es, sv, no, kl, fo, uk, ar, tr, pl, so"
        ],
        "platforms[1]": [
            "'playstation' is not a known platform; allowed: "
            "web, ios, android, windows, macos, chromebook"
        ],
        "platforms[2]": ["'web' appears twice"],
    }
    assert errors_of(
        product_data(media_types=[], accessibility=["subtitles"], offline="maybe")
    ) == {
        "media_types": ["must name at least one media type"],
        "accessibility[0]": [
            "'subtitles' is not a known accessibility feature; allowed: text_to_speech, "
            "screen_reader, captions, dyslexia_friendly, keyboard_navigation, high_contrast"
        ],
        "offline": ["'maybe' is not a known offline capability; allowed: none, partial, full"],
    }
    subjects = errors_of(product_data(subjects=["matte", 3]))
    assert subjects["subjects[0]"][0].startswith(
        "'matte' is not a known subject; allowed: dansk, dansk-som-andetsprog, matematik, "
    )
    assert subjects["subjects[1]"] == ["must be a string code, not a number"]


def test_goal_ids_must_be_uuids_and_known() -> None:
    asked: list[set[uuid.UUID]] = []
    unknown = uuid.UUID("bbbbbbbb-0000-5000-8000-000000000009")

    def unknown_goal_ids(ids: set[uuid.UUID]) -> set[uuid.UUID]:
        asked.append(ids)
        return {unknown} & ids

    data = product_data(goal_ids=[str(GOAL_A), str(unknown), "MAT.TA.3", str(GOAL_A).upper()])
    with pytest.raises(CatalogueValidationError) as caught:
        validate_product(data, unknown_goal_ids=unknown_goal_ids)
    assert caught.value.errors == {
        "goal_ids[2]": [
            "must be a UUID such as 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', not 'MAT.TA.3'"
        ],
        "goal_ids[3]": [f"{GOAL_A} appears twice"],
        "goal_ids": [f"unknown goal ids (in no goal framework): {unknown}"],
    }
    assert asked == [{GOAL_A, unknown}]


def test_goal_ids_are_lower_cased_and_the_callback_is_not_asked_for_none() -> None:
    calls: list[set[uuid.UUID]] = []

    def recording(ids: set[uuid.UUID]) -> set[uuid.UUID]:
        calls.append(ids)
        return set()

    result = validate_product(
        product_data(goal_ids=[str(GOAL_B).upper()]), unknown_goal_ids=recording
    )
    assert result.goal_ids == (GOAL_B,)
    from_python = validate_product(product_data(goal_ids=[GOAL_A]), unknown_goal_ids=recording)
    assert from_python.goal_ids == (GOAL_A,)
    validate_product(product_data(goal_ids=[]), unknown_goal_ids=recording)
    assert calls == [{GOAL_B}, {GOAL_A}]
    assert errors_of(product_data(goal_ids=[str(uuid.UUID(int=i)) for i in range(201)])) == {
        "goal_ids": ["must have at most 200 items (it has 201)"]
    }


def test_launch_settings() -> None:
    assert errors_of(
        product_data(
            launch={"kind": "app", "url": "http://example.dk/x", "target": "tab", "extra": 1}
        )
    ) == {
        "launch.extra": ["is not a field of launch settings; fields are: kind, url, target"],
        "launch.kind": ["'app' is not a launch kind; allowed: lti, url"],
        "launch.url": [
            "must use https:// (plain http:// is only allowed for localhost and 127.0.0.1)"
        ],
        "launch.target": ["'tab' is not a target; allowed: window, iframe"],
    }
    assert errors_of(product_data(launch={})) == {
        "launch.kind": ["is required"],
        "launch.url": ["is required"],
    }
    assert errors_of(product_data(launch="https://x.dk")) == {
        "launch": ["must be a JSON object, not a string"]
    }


def test_trial_days_0_to_90() -> None:
    assert listing(trial_days=90).trial_days == 90
    assert errors_of(product_data(trial_days=91)) == {"trial_days": ["must be 0–90 (got 91)"]}
    assert errors_of(product_data(trial_days=-1)) == {"trial_days": ["must be 0–90 (got -1)"]}
    assert errors_of(product_data(trial_days="30")) == {
        "trial_days": ["must be a whole number, not a string"]
    }
    assert errors_of(product_data(trial_days=7.0)) == {
        "trial_days": ["must be a whole number, not a decimal number"]
    }


def test_screenshots() -> None:
    shot: dict[str, Any] = {
        "sha256": SHA.upper(),
        "media_type": "image/webp",
        "width": 16,
        "height": 4000,
    }
    assert listing(screenshots=[shot]).screenshots == (AssetRef(SHA, "image/webp", 16, 4000, ""),)
    assert errors_of(
        product_data(
            screenshots=[
                {"sha256": "xyz", "media_type": "image/gif", "width": 5000, "height": 0},
                shot,
                shot,
                {**shot, "sha256": "cd" * 32, "alt_text": "<i>x</i>", "url": "https://x.dk/a.png"},
                "a.png",
            ]
        )
    ) == {
        "screenshots[0].sha256": ["must be the SHA-256 of the image as 64 hex digits"],
        "screenshots[0].media_type": [
            "'image/gif' is not an accepted image type; allowed: image/png, image/jpeg, image/webp"
        ],
        "screenshots[0].width": ["must be 16–4000 (got 5000)"],
        "screenshots[0].height": ["must be 16–4000 (got 0)"],
        "screenshots[2].sha256": ["this image is listed twice"],
        "screenshots[3].url": [
            "is not a field of a screenshot; fields are: sha256, media_type, width, height, "
            "alt_text"
        ],
        "screenshots[3].alt_text": ["looks like HTML ('<i>x</i>')" + HTML_HINT],
        "screenshots[4]": ["must be a JSON object, not a string"],
    }
    assert errors_of(product_data(screenshots=[shot] * 13)) == {
        "screenshots": ["must have at most 12 items (it has 13)"]
    }


def test_unknown_fields_and_non_objects_are_refused() -> None:
    assert errors_of(product_data(grade=[3])) == {
        "grade": [
            "is not a field of a product; fields are: title, description, subjects, grades, "
            "languages, media_types, platforms, accessibility, accessibility_statement_url, "
            "offline, trial_days, launch, data_processing_agreement_url, screenshots, goal_ids"
        ]
    }
    assert errors_of([product_data()]) == {"$": ["must be a JSON object, not a list"]}
    assert errors_of(None) == {"$": ["must be a JSON object, not null"]}
    assert errors_of(product_data(title={"da": "Brøk"})) == {
        "title": ["must be a string, not an object"]
    }
    assert errors_of(product_data(title=b"Brok")) == {"title": ["must be a string, not bytes"]}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CatalogueValidationError) as caught:
        validate_product({"title": "<b>x</b>", "grades": [12]}, unknown_goal_ids=no_unknown_goals)
    assert list(caught.value.errors) == [
        "title",
        "description",
        "subjects",
        "grades[0]",
        "languages",
        "media_types",
        "platforms",
        "launch",
        "data_processing_agreement_url",
    ]
    assert caught.value.errors["title"] == ["looks like HTML ('<b>x</b>')" + HTML_HINT]
    assert (
        str(caught.value) == f"title: looks like HTML ('<b>x</b>'){HTML_HINT} (and 8 more field(s))"
    )


# --- offers --------------------------------------------------------------------------------


def offer(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"licence_type": "class", "period": "school_year", "price_ore": 149_900}
    data.update(changes)
    return data


def offer_errors(data: object) -> dict[str, list[str]]:
    with pytest.raises(CatalogueValidationError) as caught:
        validate_offer(data)
    return caught.value.errors


def test_a_valid_offer() -> None:
    assert validate_offer(offer()) == OfferInput(
        LicenceType.CLASS, Period.SCHOOL_YEAR, 149_900, False, 1, None, 25
    )
    full = validate_offer(
        offer(
            licence_type="pupil",
            period="months_12",
            price_ore="4950",
            vat_percent=25,
            subsidy_eligible=True,
            min_quantity=20,
            max_quantity=20,
        )
    )
    assert full == OfferInput(LicenceType.PUPIL, Period.MONTHS_12, 4950, True, 20, 20, 25)
    assert validate_offer(offer_data(full)) == full
    assert validate_offer(offer(price_ore=0)).price_ore == 0


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (1499.0, "must be a whole number of øre, not a decimal number (1499.0); send øre as an "
         "integer, e.g. 14950 for 149,50 kr."),
        ("1499,00", "must be whole øre without a decimal or thousands separator ('1499,00'); "
         "e.g. 14950 for 149,50 kr."),
        ("1e5", "must be digits only; exponent notation is not accepted ('1e5')"),
        (True, "must be a whole number of øre, not a boolean"),
        (-100, "must not be negative (got -100)"),
        (None, "must be a whole number of øre, not null"),
    ],
)  # fmt: skip
def test_offer_prices_are_whole_ore(price: object, message: str) -> None:
    assert offer_errors(offer(price_ore=price)) == {"price_ore": [message]}


def test_offer_refusals() -> None:
    assert offer_errors(
        {
            "licence_type": "seat",
            "period": "forever",
            "vat_percent": 20,
            "subsidy_eligible": "yes",
            "min_quantity": 0,
            "discount": 10,
        }
    ) == {
        "discount": [
            "is not a field of an offer; fields are: licence_type, period, price_ore, "
            "vat_percent, subsidy_eligible, min_quantity, max_quantity"
        ],
        "licence_type": [
            "'seat' is not a known licence type; allowed: pupil, class, school, municipality"
        ],
        "period": [
            "'forever' is not a known period; allowed: school_year, months_12, school_years_3"
        ],
        "price_ore": ["is required (whole øre excluding VAT, e.g. 14950)"],
        "vat_percent": ["must be 25 (Danish VAT), not 20"],
        "subsidy_eligible": ["must be true or false, not a string"],
        "min_quantity": ["must be 1–1000000 (got 0)"],
    }
    assert offer_errors(offer(min_quantity=10, max_quantity=5)) == {
        "max_quantity": ["must be 10–1000000 (got 5)"]
    }
    assert offer_errors(offer(vat_percent=True)) == {
        "vat_percent": ["must be 25 (Danish VAT), not True"]
    }
    assert offer_errors({}) == {
        "licence_type": ["is required; allowed: pupil, class, school, municipality"],
        "period": ["is required; allowed: school_year, months_12, school_years_3"],
        "price_ore": ["is required (whole øre excluding VAT, e.g. 14950)"],
    }
    assert offer_errors("149900") == {"$": ["must be a JSON object, not a string"]}
