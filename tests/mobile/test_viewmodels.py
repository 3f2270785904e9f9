"""View-models under pytest with no window, against a recording fake transport."""

from __future__ import annotations

import kivyenv  # noqa: F401  # Kivy headless, before anything imports it

# isort: split

import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app_fakes import (
    FakeClock,
    FakeTransport,
    answer,
    error_answer,
    fake_api,
    hit,
    me,
    offline,
    page,
    product_detail,
)
from mobile import auth
from mobile.api import Tokens
from mobile.cache import RECENT_LIMIT, OfflineCache
from mobile.i18n import translator
from mobile.theme import Theme
from mobile.viewmodels.approvals import ApprovalsViewModel
from mobile.viewmodels.base import Connectivity, run_now
from mobile.viewmodels.goals import GoalDetailViewModel, GoalTreeViewModel
from mobile.viewmodels.home import PupilHomeViewModel
from mobile.viewmodels.product import ProductViewModel
from mobile.viewmodels.search import DEBOUNCE_SECONDS, SearchViewModel
from mobile.viewmodels.session import SessionViewModel
from mobile.viewmodels.settings import SettingsViewModel

SCHOOL = "00000000-0000-4000-8000-600000000001"
CLASS = "00000000-0000-4000-8000-700000000001"
P1 = "00000000-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def danish() -> None:
    translator.lang = "da"


@pytest.fixture
def cache(tmp_path: Path) -> OfflineCache:
    return OfflineCache(tmp_path / "cache")


def query_of(call: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in call["params"]]


# -- sign-in --------------------------------------------------------------------------------


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert auth.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert 43 <= len(auth.make_verifier()) <= 128


def test_authorization_request_asks_for_code_with_s256_and_a_loopback_redirect() -> None:
    request = auth.authorization_request(
        "http://skolehylde.test", "skolehylde-app", "http://127.0.0.1:5555/callback"
    )
    query = parse_qs(urlsplit(request.url).query)
    assert urlsplit(request.url).path == "/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [auth.s256_challenge(request.verifier)]
    assert query["redirect_uri"] == ["http://127.0.0.1:5555/callback"]
    assert query["state"] == [request.state]


def test_browser_sign_in_receives_the_code_on_a_one_shot_loopback_server() -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/token", answer(200, {"access_token": "a", "refresh_token": "r"}))
    client = fake_api(transport)
    opened: list[str] = []

    def browser(url: str) -> None:  # the user signs in; the server redirects to the loopback
        opened.append(url)
        query = parse_qs(urlsplit(url).query)
        redirect = query["redirect_uri"][0]
        got = requests.get(
            redirect, params={"code": "the-code", "state": query["state"][0]}, timeout=5
        )
        assert got.status_code == 200 and "Du er logget ind." in got.text

    tokens = auth.browser_sign_in(client, open_browser=browser, timeout=5)
    assert tokens.access_token == "a" and tokens.method == "school"
    form = transport.calls[0]["form"]
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "the-code"
    assert (
        auth.s256_challenge(form["code_verifier"])
        == parse_qs(urlsplit(opened[0]).query)["code_challenge"][0]
    )


def test_a_redirect_with_the_wrong_state_is_refused() -> None:
    with pytest.raises(auth.SignInRequired) as caught:
        auth.code_from_redirect("http://127.0.0.1:1/callback?code=c&state=other", "mine")
    assert caught.value.message == "Login blev afbrudt. Prøv igen."


def test_the_token_file_is_readable_by_the_user_only(tmp_path: Path) -> None:
    store = auth.FileTokenStore(tmp_path / "tokens.json")
    store.save(Tokens("access", "refresh", 600, "api", "badge"))
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600
    assert store.load() == Tokens("access", "refresh", 600, "api", "badge")
    store.save(None)
    assert not (tmp_path / "tokens.json").exists()
    assert store.load() is None


def session_vm(transport: FakeTransport, cache: OfflineCache) -> SessionViewModel:
    return SessionViewModel(
        fake_api(transport), run_now, cache=cache, token_store=auth.MemoryTokenStore()
    )


def test_a_pupil_signs_in_with_a_typed_badge_code(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/token", answer(200, {"access_token": "a", "refresh_token": "r"}))
    transport.on("GET", "/api/v1/me", answer(200, me("pupil", school_id=SCHOOL, class_id=CLASS)))
    vm = session_vm(transport, cache)
    assert vm.camera_available is False  # no camera: the typed code is the way
    vm.sign_in_with_badge("  SKH-abc  ")
    assert transport.calls[0]["form"] == {
        "grant_type": "urn:skolehylde:params:oauth:grant-type:badge",
        "badge": "SKH-abc",
        "client_id": "skolehylde-app",
    }
    assert (vm.signed_in, vm.is_pupil, vm.is_teacher, vm.display_name) == (
        True, True, False, "Åse Ørsted",
    )  # fmt: skip
    assert vm.token_store.load() == Tokens("a", "r", None, "", "badge")


def test_a_refused_badge_says_so_in_danish_and_stays_signed_out(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/token", answer(400, {"error": "invalid_grant"}))
    vm = session_vm(transport, cache)
    vm.sign_in_with_badge("SKH-wrong")
    assert vm.signed_in is False
    assert vm.error == "Login lykkedes ikke. Tjek koden og prøv igen."
    assert vm.token_store.load() is None
    vm.sign_in_with_badge("   ")
    assert vm.error == "Skriv koden fra dit QR-kort."
    assert transport.paths() == ["POST /oauth/token"]


def test_a_teacher_gets_the_classes_of_the_school(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/token", answer(200, {"access_token": "a"}))
    transport.on("GET", "/api/v1/me", answer(200, me("teacher", school_id=SCHOOL)))
    transport.on(
        "GET", f"/api/v1/schools/{SCHOOL}/classes",
        answer(200, {"items": [{"id": CLASS, "name": "4.B", "active": True},
                               {"id": "old", "name": "9.X", "active": False}]}),
    )  # fmt: skip
    vm = session_vm(transport, cache)
    vm._browser_sign_in = lambda api: api.token_request({"grant_type": "x"}, "school")
    vm.sign_in_with_browser()
    assert (vm.is_teacher, vm.can_approve, vm.classes) == (
        True,
        False,
        [{"id": CLASS, "name": "4.B"}],
    )


def test_restore_opens_offline_with_the_cached_user(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/me", offline())
    cache.put("me", {**me("pupil", school_id=SCHOOL), "classes": []})
    vm = session_vm(transport, cache)
    vm.token_store.save(Tokens("a", "r"))
    vm.restore()
    assert (vm.signed_in, vm.showing_cached, vm.error) == (True, True, "")
    assert vm.connectivity.online is False


def test_sign_out_revokes_forgets_tokens_and_personal_cache(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/revoke", answer(200, {}))
    vm = session_vm(transport, cache)
    vm.api.tokens = Tokens("a", "r")
    vm.token_store.save(vm.api.tokens)
    vm.signed_in = True
    cache.put("materials", [{"product_id": "p"}])
    cache.put("goal-trees", {"frameworks": []})
    vm.sign_out()
    assert vm.signed_in is False and vm.api.tokens is None and vm.token_store.load() is None
    assert cache.get("materials") is None
    assert cache.get("goal-trees") == {"frameworks": []}  # public: kept for offline use
    assert [c["form"]["token"] for c in transport.calls] == ["r", "a"]


# -- pupil home -----------------------------------------------------------------------------


def home_transport() -> FakeTransport:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/me/assignments",
        answer(200, {"items": [{"id": "as1", "product_id": "p1", "title": "Brøkfabrikken",
                                "lesson_title": "Brøker i 4.B", "school_class_id": CLASS,
                                "created_at": "2026-11-30T08:00:00Z"}]}),
    )  # fmt: skip
    transport.on(
        "GET", "/api/v1/me/materials",
        answer(200, {"items": [
            {"product_id": "p1", "title": "Brøkfabrikken", "reason": "licence",
             "valid_until": None},
            {"product_id": "p2", "title": "Læseløven", "reason": "trial", "valid_until": None},
        ]}),
    )  # fmt: skip
    return transport


def test_pupil_home_shows_assigned_first_and_opens_with_one_tap(cache: OfflineCache) -> None:
    transport = home_transport()
    transport.on(
        "POST",
        "/api/v1/launches",
        answer(201, {"url": "http://skolehylde.test/launch/abc", "expires_at": "x"}),
    )
    opened: list[str] = []
    vm = PupilHomeViewModel(fake_api(transport), run_now, cache=cache, open_url=opened.append)
    vm.load()
    assert [(t["title"], t["subtitle"], t["assignment_id"]) for t in vm.tiles] == [
        ("Brøkfabrikken", "Brøker i 4.B", "as1"),
        ("Læseløven", "Må åbnes", ""),
    ]
    vm.open_tile(0)
    assert transport.calls[-1]["json"] == {
        "product_id": "p1", "school_class_id": CLASS, "assignment_id": "as1",
    }  # fmt: skip
    assert opened == ["http://skolehylde.test/launch/abc"]
    assert vm.notice == "Brøkfabrikken er åbnet i browseren."


def test_pupil_home_offline_shows_the_cache_and_syncs_when_back(cache: OfflineCache) -> None:
    transport = home_transport()
    clock = FakeClock()
    api = fake_api(transport)
    connectivity = Connectivity(api, run_now, clock)
    vm = PupilHomeViewModel(api, run_now, cache=cache, connectivity=connectivity)
    vm.load()  # online: cached
    transport.on("GET", "/api/v1/me/assignments", offline())
    transport.on("GET", "/health", offline(), answer(200, {"status": "ok"}))
    vm.tiles = []
    vm.load()
    assert [t["title"] for t in vm.tiles] == ["Brøkfabrikken", "Læseløven"]
    assert (vm.showing_cached, vm.error, connectivity.online) == (True, "", False)
    transport.on("GET", "/api/v1/me/assignments", answer(200, {"items": []}))
    clock.advance(10)  # first probe: still down
    assert connectivity.online is False
    clock.advance(10)  # second probe: back → reload
    assert connectivity.online is True
    assert (vm.showing_cached, [t["title"] for t in vm.tiles]) == (
        False,
        ["Brøkfabrikken", "Læseløven"],
    )
    assert clock.pending() == 0  # probing stopped


def test_launch_refused_shows_the_entitlement_message(cache: OfflineCache) -> None:
    transport = home_transport()
    transport.on(
        "POST", "/api/v1/launches",
        error_answer(403, "not_entitled", "Din skole har ikke licens til materialet."),
    )  # fmt: skip
    opened: list[str] = []
    vm = PupilHomeViewModel(fake_api(transport), run_now, cache=cache, open_url=opened.append)
    vm.load()
    vm.open_tile(1)
    assert vm.error == "Din skole har ikke licens til materialet."
    assert opened == [] and vm.last_launch_url == ""


def test_nothing_cached_and_offline_is_an_error_with_retry(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/me/assignments", offline())
    vm = PupilHomeViewModel(fake_api(transport), run_now, cache=cache)
    vm.load()
    assert vm.error == "Ingen forbindelse til Skolehylde. Tjek netværket og prøv igen."
    assert vm.can_retry is True
    transport.on("GET", "/api/v1/me/assignments", answer(200, {"items": []}))
    transport.on("GET", "/api/v1/me/materials", answer(200, {"items": []}))
    vm.retry()
    assert (vm.error, vm.empty_text) == (
        "",
        "Du har ingen materialer endnu. Din lærer kan give dig nogle.",
    )


# -- search ---------------------------------------------------------------------------------


def search_vm(transport: FakeTransport) -> tuple[SearchViewModel, FakeClock]:
    clock = FakeClock()
    return SearchViewModel(fake_api(transport), run_now, clock=clock), clock


def test_typing_searches_once_after_the_pause() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/products", answer(200, page([hit("Brøkfabrikken")], 1)))
    vm, clock = search_vm(transport)
    for text in ("b", "br", "brø", "brøkker"):
        vm.type_text(text)
        clock.advance(DEBOUNCE_SECONDS / 2)
    assert transport.calls == []
    clock.advance(DEBOUNCE_SECONDS)
    assert len(transport.calls) == 1
    params = query_of(transport.calls[0])
    assert ("q", "brøkker") in params and ("offset", 0) in params
    assert [p for p in params if p[0] == "facets"] == [
        ("facets", f) for f in ("subject", "grade", "competence_area", "media_type", "platform",
                                "accessibility", "price_band", "trial")
    ]  # fmt: skip
    assert vm.results[0] == {
        "product_id": "00000000-0000-4000-8000-000000000000",
        "title": "Brøkfabrikken",
        "subtitle": "Forlaget Æble · 4.–5. klasse",
        "price_text": "fra 149,50 kr.",
        "rating_text": "4,5 ud af 5 (2)",
        "trial_text": "",
    }
    assert vm.summary == "1 materiale"


def test_facets_filter_and_the_goal_filter_go_into_the_query() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/products", answer(200, page([hit("A")], 1)))
    vm, _clock = search_vm(transport)
    vm.submit_search()
    assert [r["label"] for r in vm.facet_rows] == [
        "Fag", "Matematik (1)", "Klassetrin", "4. klasse (3)", "5. klasse (2)",
    ]  # fmt: skip
    vm.toggle_filter("grade", "4")
    vm.toggle_filter("subject", "matematik")
    vm.set_goal("00000000-0000-4000-8000-200000000001", "MAT.TAL.6")
    params = query_of(transport.calls[-1])
    assert ("grade", "4") in params and ("subject", "matematik") in params
    assert ("goal", "00000000-0000-4000-8000-200000000001") in params
    assert vm.active_filter_count == 3
    assert [r["selected"] for r in vm.facet_rows if r["kind"] == "value"] == [True, True, False]
    vm.toggle_filter("grade", "4")
    assert ("grade", "4") not in query_of(transport.calls[-1])
    vm.clear_filters()
    assert [p for p in query_of(transport.calls[-1]) if p[0] in ("goal", "subject", "grade")] == []


def test_infinite_scroll_loads_the_next_page_once_and_stops_at_the_end() -> None:
    transport = FakeTransport()
    first = [hit(f"Materiale {n}", n=n) for n in range(20)]
    second = [hit(f"Materiale {n}", n=n) for n in range(20, 25)]
    transport.on(
        "GET", "/api/v1/products", answer(200, page(first, 25)), answer(200, page(second, 25, 20))
    )
    vm, _ = search_vm(transport)
    vm.submit_search()
    assert (len(vm.results), vm.has_more) == (20, True)
    vm.load_more()
    assert ("offset", 20) in query_of(transport.calls[-1])
    assert (len(vm.results), vm.has_more, vm.summary) == (25, False, "25 materialer")
    vm.load_more()
    assert len(transport.calls) == 2


def test_a_slow_old_answer_does_not_replace_a_newer_one() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/products", answer(200, page([hit("Nyt")], 1)))
    delayed: list[Any] = []

    def late_runner(work: Any, done: Any) -> None:
        delayed.append((work, done))

    vm = SearchViewModel(fake_api(transport), late_runner, clock=FakeClock())
    vm.query = "gammel"
    vm.submit_search()
    vm.query = "nyt"
    vm.submit_search()
    new_work, new_done = delayed.pop()
    new_done(new_work(), None)
    old_done = delayed.pop()[1]
    old_done(page([hit("Gammelt")], 1), None)
    assert [r["title"] for r in vm.results] == ["Nyt"]


def test_search_unavailable_is_a_danish_message_with_retry() -> None:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/products",
        error_answer(503, "search_unavailable", "Search is unavailable right now."),
        answer(200, page([hit("A")], 1)),
    )  # fmt: skip
    vm, _ = search_vm(transport)
    vm.submit_search()
    assert (vm.error, vm.can_retry) == (
        "Søgningen er ikke tilgængelig lige nu. Prøv igen om lidt.", True,
    )  # fmt: skip
    vm.retry()
    assert (vm.error, len(vm.results)) == ("", 1)


# -- goals ----------------------------------------------------------------------------------


def goal(gid: str, text: str, band: str | None = None, children: list[Any] | None = None) -> Any:
    return {"id": gid, "full_statement": text, "human_code": gid.upper(), "grade_band": band,
            "children": children or []}  # fmt: skip


def goal_transport() -> FakeTransport:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/frameworks",
        answer(200, {"items": [{"id": "fm", "title": "Fælles Mål – Matematik",
                                "subject": "Matematik"}]}),
    )  # fmt: skip
    tree = [goal("tal", "Tal og algebra", None, [
        goal("tal3", "Eleven kan anvende naturlige tal", "efter 3. klassetrin"),
        goal("tal6", "Eleven kan anvende brøker", "efter 6. klassetrin"),
    ])]  # fmt: skip
    transport.on("GET", "/api/v1/frameworks/fm", answer(200, {"framework": {}, "goals": tree}))
    return transport


def test_goal_tree_by_subject_and_grade_band_is_cached(cache: OfflineCache) -> None:
    transport = goal_transport()
    vm = GoalTreeViewModel(fake_api(transport), run_now, cache=cache)
    vm.load()
    assert (vm.subjects, vm.bands) == (
        ["Matematik"], ["", "efter 3. klassetrin", "efter 6. klassetrin"],
    )  # fmt: skip
    assert [(r["text"], r["marker"]) for r in vm.rows] == [("Tal og algebra", "+")]
    vm.toggle("tal")
    assert [r["goal_id"] for r in vm.rows] == ["tal", "tal3", "tal6"]
    vm.choose_band("efter 6. klassetrin")
    assert [r["goal_id"] for r in vm.rows] == ["tal", "tal6"]
    down = FakeTransport()
    down.on("GET", "/api/v1/frameworks", offline())
    again = GoalTreeViewModel(fake_api(down), run_now, cache=cache)
    again.load()
    assert (again.showing_cached, again.rows[0]["text"]) == (True, "Tal og algebra")


def test_goal_detail_lists_materials_for_the_goal_and_below(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/goals/tal",
        answer(200, {"goal": goal("tal", "Tal og algebra"), "framework": {"title": "Matematik"},
                     "ancestors": [], "children": [goal("tal6", "Eleven kan anvende brøker")],
                     "related": [], "descendant_count": 1}),
    )  # fmt: skip
    transport.on("GET", "/api/v1/products", answer(200, page([hit("Brøkfabrikken")], 1)))
    vm = GoalDetailViewModel(fake_api(transport), run_now, cache=cache)
    vm.load("tal")
    assert ("goal", "tal") in query_of(transport.calls[1])
    assert (vm.statement, vm.materials_text) == ("Tal og algebra", "1 materiale")
    assert vm.children == [{"goal_id": "tal6", "text": "Eleven kan anvende brøker", "code": "TAL6"}]
    assert [m["title"] for m in vm.materials] == ["Brøkfabrikken"]


# -- product --------------------------------------------------------------------------------


def product_vm(transport: FakeTransport, cache: OfflineCache) -> ProductViewModel:
    transport.on("GET", f"/api/v1/products/{P1}", answer(200, product_detail()))
    return ProductViewModel(
        fake_api(transport), run_now, cache=cache, classes=lambda: [{"id": CLASS, "name": "4.B"}]
    )


def test_product_page_formats_offers_in_kroner_and_is_remembered(cache: OfflineCache) -> None:
    vm = product_vm(FakeTransport(), cache)
    vm.load(P1)
    assert (vm.title, vm.publisher, vm.rating, vm.trial_text) == (
        "Brøkfabrikken", "fra Forlaget Æble", "4,0 ud af 5 (1)", "Gratis prøveperiode: 30 dage",
    )  # fmt: skip
    assert vm.facts == "Matematik · 4.–5. klasse · Interaktiv · Web (browser)"
    assert [o["text"] for o in vm.offers] == [
        "Elevlicens, 12 måneder: 149,50 kr. ekskl. moms (186,88 kr. inkl.) · Tilskudsberettiget",
        "Skolelicens, 12 måneder: 1.234.500,00 kr. ekskl. moms (1.543.125,00 kr. inkl.)",
    ]
    assert vm.reviews == [{"stars": "★★★★☆", "text": "Godt til 5. klasse."}]
    assert cache.recent_product_ids() == [P1]


def test_teacher_requests_a_purchase_and_starts_a_trial(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on(
        "POST", "/api/v1/purchase-requests",
        answer(201, {"id": "pr1", "status": "pending", "total_ore": 29900, "subsidy_ore": 14950,
                     "own_ore": 14950}),
    )  # fmt: skip
    transport.on(
        "POST", "/api/v1/trials",
        answer(201, {"id": "t1", "product_id": "p1", "school_class_id": CLASS,
                     "ends_at": "2026-12-31T23:00:00Z"}),
    )  # fmt: skip
    vm = product_vm(transport, cache)
    vm.load(P1)
    vm.quantity = 2
    vm.request_purchase("Til brøkforløbet", ["g1"])
    assert transport.calls[-1]["json"] == {
        "offer_id": "00000000-0000-4000-8000-400000000001", "quantity": 2,
        "school_class_id": CLASS, "reason": "Til brøkforløbet", "goal_ids": ["g1"],
    }  # fmt: skip
    assert vm.notice == "Din anmodning er sendt til godkendelse (299,00 kr.)."
    vm.start_trial()
    assert transport.calls[-1]["json"] == {"product_id": P1, "school_class_id": CLASS}
    assert vm.notice == "Prøveperioden er startet og slutter 31.12.2026."


def test_a_refused_request_shows_the_server_message_and_no_notice(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on(
        "POST", "/api/v1/purchase-requests",
        error_answer(409, "budget_exceeded", "Skolens budget er brugt op."),
    )  # fmt: skip
    vm = product_vm(transport, cache)
    vm.load(P1)
    vm.request_purchase()
    assert (vm.error, vm.notice) == ("Skolens budget er brugt op.", "")


def test_a_product_seen_before_opens_offline(cache: OfflineCache) -> None:
    vm = product_vm(FakeTransport(), cache)
    vm.load(P1)
    down = FakeTransport()
    down.on("GET", f"/api/v1/products/{P1}", offline())
    down.on("GET", "/api/v1/products/never-seen", offline())
    again = ProductViewModel(fake_api(down), run_now, cache=cache)
    again.load(P1)
    assert (again.title, again.showing_cached, again.error) == ("Brøkfabrikken", True, "")
    again.load("never-seen")
    assert again.error == "Ingen forbindelse til Skolehylde. Tjek netværket og prøv igen."


def test_recently_seen_products_are_capped(cache: OfflineCache) -> None:
    for n in range(RECENT_LIMIT + 3):
        cache.remember_product({"id": f"p{n}"})
    ids = cache.recent_product_ids()
    assert len(ids) == RECENT_LIMIT and ids[0] == f"p{RECENT_LIMIT + 2}"
    assert cache.product("p0") is None


# -- approvals and settings -----------------------------------------------------------------


def test_leader_sees_requests_and_the_budget_shares(cache: OfflineCache) -> None:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/purchase-requests",
        answer(200, {"items": [{"id": "pr1", "product_title": "Brøkfabrikken", "quantity": 25,
                                "total_ore": 373750, "reason": "Brøker i 4.B"}]}),
        answer(200, {"items": []}),
    )  # fmt: skip
    transport.on(
        "GET", f"/api/v1/schools/{SCHOOL}/budget",
        answer(200, {"allocated_ore": 10_000_000, "spent_ore": 2_500_000,
                     "reserved_ore": 1_000_000, "remaining_ore": 6_500_000,
                     "subsidy_used_ore": 1_250_000}),
    )  # fmt: skip
    transport.on("POST", "/api/v1/purchase-requests/pr1/approve", answer(200, {"id": "pr1"}))
    vm = ApprovalsViewModel(fake_api(transport), run_now)
    vm.load(school_id=SCHOOL)
    assert [r["text"] for r in vm.requests] == ["Brøkfabrikken · 25 stk. · 3.737,50 kr."]
    assert (vm.spent, vm.reserved, vm.remaining) == (
        "25.000,00 kr.",
        "10.000,00 kr.",
        "65.000,00 kr.",
    )
    assert (vm.spent_share, vm.reserved_share, vm.remaining_share) == (0.25, 0.1, 0.65)
    vm.decide("pr1", approve=True)
    assert "Idempotency-Key" in transport.calls[2]["headers"]
    assert (vm.requests, vm.notice) == ([], "Godkendt.")


def test_settings_persist_and_apply_language_size_and_contrast(cache: OfflineCache) -> None:
    theme = Theme()
    vm = SettingsViewModel(cache=cache, translator=translator, theme=theme)
    vm.set_language("en")
    vm.set_text_scale(1.5)
    vm.set_high_contrast(True)
    assert (translator.t("nav_search"), theme.scale, list(theme.background)) == (
        "Search", 1.5, [0.0, 0.0, 0.0, 1.0],
    )  # fmt: skip
    translator.lang = "da"
    again = SettingsViewModel(cache=cache, translator=translator, theme=Theme())
    assert (again.lang, again.text_scale, again.high_contrast) == ("en", 1.5, True)
    assert translator.lang == "en"
    translator.lang = "da"


def test_every_text_key_has_danish_and_english() -> None:
    from mobile.i18n import TEXT

    assert all(da and en for da, en in TEXT.values())


def test_sign_out_revokes_the_old_tokens_even_when_the_revoke_runs_later(
    cache: OfflineCache,
) -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/revoke", answer(200, {}))
    later: list[Any] = []
    api = fake_api(transport, tokens=Tokens("a", "r"))
    vm = SessionViewModel(
        api, lambda work, done: later.append((work, done)), cache=cache,
        token_store=auth.MemoryTokenStore(),
    )  # fmt: skip
    vm.sign_out()
    assert api.tokens is None and transport.calls == []
    api.tokens = Tokens("next-user", "next-refresh")  # someone signs in before it runs
    work, done = later.pop()
    done(work(), None)
    assert [c["form"]["token"] for c in transport.calls] == ["r", "a"]
    assert api.tokens == Tokens("next-user", "next-refresh")


def test_an_answer_for_text_the_user_has_typed_past_is_not_shown() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/products", answer(200, page([hit("Brøk")], 1)))
    delayed: list[Any] = []
    clock = FakeClock()
    vm = SearchViewModel(
        fake_api(transport), lambda work, done: delayed.append((work, done)), clock=clock
    )
    vm.type_text("brø")
    clock.advance(DEBOUNCE_SECONDS)  # the search for "brø" goes out
    vm.type_text("brøk")  # and the user types on before it answers
    work, done = delayed.pop()
    done(work(), None)
    assert (vm.results, vm.shown_query) == ([], "")
    clock.advance(DEBOUNCE_SECONDS)
    work, done = delayed.pop()
    done(work(), None)
    assert (vm.shown_query, [r["title"] for r in vm.results]) == ("brøk", ["Brøk"])


def test_grades_read_as_danish_classes_and_in_english() -> None:
    from mobile.viewmodels.format import grades_text

    assert (grades_text([5]), grades_text([4, 6, 5]), grades_text([])) == (
        "5. klasse", "4.–6. klasse", "",
    )  # fmt: skip
    translator.lang = "en"
    try:
        assert grades_text([4, 6]) == "grades 4–6"
    finally:
        translator.lang = "da"
