"""Every screen rendered offscreen at phone (360×640 dp) and tablet (1280×800) size against
the real server with its demo data: screenshots saved, the widget tree checked (the Danish
text is there, every touch target is at least 48 dp, nothing lies outside the window).

The class 4.B gets one assignment (as the Deep Linking return stores it) so the pupil's home
shows an assigned material. Set ``SKOLEHYLDE_SCREENSHOT_DIR`` to also write the pictures there
(``docs/screenshots`` holds one committed set).
"""

from __future__ import annotations

import kivyenv  # noqa: F401  # Kivy headless, before anything imports it
from conftest_gl import require_gl

require_gl()  # before anything opens a window: without GL, Kivy ends the process

# isort: split

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appdriver import AppDriver
from gui import SIZES, outside_window, pump, resize, screenshot, small_targets, texts, walk
from liveserver import LiveServer, assign, class_4b, fund_demo_school, start_demo_server
from mobile.api import Offline
from mobile.i18n import translator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo_server(tmp_path_factory.mktemp("server"))
    fund_demo_school(server)
    assign(server, class_4b(server), "demo-matematisk-problemloesning", "Ugens opgave: brøker")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def driver(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppDriver]:
    app = AppDriver(live.base_url, tmp_path_factory.mktemp("app"))
    yield app
    app.close()


def check(driver: AppDriver, name: str, size: str, expected: list[str], out: Path) -> None:
    pump()
    shot = screenshot(out / f"{name}-{size}.png")
    extra = os.environ.get("SKOLEHYLDE_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(extra) / shot.name)
    shown = "\n".join(texts(driver.root))
    missing = [text for text in expected if text not in shown]
    assert missing == [], f"{name} at {size}: not shown: {missing}"
    assert small_targets(driver.root) == [], f"{name} at {size}"
    assert outside_window(driver.root) == [], f"{name} at {size}"


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen_renders_legibly_in_danish(
    driver: AppDriver, size: str, tmp_path: Path
) -> None:
    translator.lang = "da"
    resize(SIZES[size])
    out = tmp_path

    signin = ["Log ind på Skolehylde", "Log ind med skolelogin", "Log ind med koden"]
    check(driver, "01-signin", size, signin, out)

    driver.sign_in("elev")
    assert driver.app.nav.current == "home"
    tiles = [t["title"] for t in driver.vm("home").tiles]
    assert {"Læseløven 4", "Før, under og efter læsning"} <= set(tiles)  # 4.B's demo licences
    assert driver.vm("home").tiles[0]["subtitle"] == "Ugens opgave: brøker"  # assigned first
    check(driver, "02-pupil-home", size, ["Hej Emil!", *tiles, "Ugens opgave: brøker"], out)
    driver.sign_out()

    driver.sign_in("laerer")
    assert driver.app.nav.current == "search"
    driver.screen("search").ids.query.text = "brøkker"
    driver.vm("search").submit_search()
    pump()
    search = driver.vm("search")
    assert search.total > 0
    check(driver, "03-search", size, ["brøkker", search.summary, search.results[0]["title"]], out)
    if size == "phone":
        driver.screen("search").show_filters = True
        check(driver, "04-search-filters", size, ["Ryd filtre", "Fag", "Klassetrin"], out)
        driver.screen("search").show_filters = False
    else:
        check(driver, "04-search-filters", size, ["Ryd filtre", "Fag", "Klassetrin"], out)

    driver.app.router.open_product(search.results[0]["product_id"])
    product = driver.vm("product")
    actions = ["Beskrivelse", "Priser", "Bed om køb", "Start prøveperiode"]
    check(driver, "05-product", size, [product.title, *actions], out)
    screen = driver.screen("product")
    screen.ids.reason.text = "Til brøkforløbet i 4.B"
    screen.ids.quantity.text = "40"  # 5.960 kr.: below the buyer threshold, the leader decides
    screen.ids.purchase_button.dispatch("on_release")
    pump()
    assert product.error == "" and product.notice.startswith("Din anmodning er sendt")
    check(driver, "05-product-requested", size, [product.notice], out)

    driver.tab("goals")
    goals = driver.vm("goals")
    if not goals.rows[0]["expanded"]:
        goals.toggle(goals.rows[0]["goal_id"])
    pump()
    check(driver, "06-goals", size, ["Fag", "Klassetrin", goals.subjects[0]], out)
    driver.app.router.open_goal(goals.rows[1]["goal_id"])
    goal = driver.vm("goal")
    check(driver, "07-goal", size, ["Find materialer til målet", "Materialer til målet"], out)
    assert goal.materials_text
    driver.screen("search").ids.query.text = ""
    driver.screen("goal").ids.find_button.dispatch("on_release")
    pump()
    search = driver.vm("search")
    assert (driver.app.nav.current, search.goal_id) == ("search", goal.goal_id)
    check(driver, "07-search-by-goal", size, [f"✕  Mål: {goal.code}", search.summary], out)
    search.set_goal("", "")
    pump()

    driver.tab("settings")
    check(driver, "08-settings", size, ["Sprog", "Tekststørrelse", "Høj kontrast", "Log ud"], out)

    # faults: the server cannot be reached → a Danish message and a way on
    real = driver.api.transport

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise Offline(translator.t("err_offline"), code="offline")

    driver.api.transport = down
    driver.tab("search")
    driver.vm("search").submit_search()
    pump()
    check(driver, "09-offline-error", size,
          ["Ingen forbindelse til Skolehylde. Tjek netværket og prøv igen.", "Prøv igen",
           "Du er offline. Du ser det, der er gemt på enheden."], out)  # fmt: skip
    driver.api.transport = real
    driver.root.ids.retry_button.dispatch("on_release")
    pump()
    assert driver.vm("search").error == ""
    assert driver.app.nav.current == "search"
    driver.sign_out()

    driver.sign_in("leder")
    driver.tab("approvals")
    approvals = driver.vm("approvals")
    check(driver, "10-approvals", size,
          ["Venter på godkendelse", "Budget", "Brugt", "Tilbage", approvals.remaining,
           approvals.requests[0]["text"], "Godkend", "Afvis"], out)  # fmt: skip
    first = driver.screen("approvals").ids.requests.children[-1]  # the list's top row
    approve = next(w for w in walk(first) if getattr(w, "text", "") == "Godkend")
    approve.dispatch("on_release")
    pump()
    assert (approvals.error, approvals.notice) == ("", "Godkendt.")
    assert approvals.spent_share + approvals.reserved_share > 0
    check(driver, "11-approved", size, ["Godkendt.", "Budget", approvals.spent], out)
    driver.sign_out()
    assert driver.app.nav.current == "signin"
