"""End to end: the server with its embedded defaults (SQLite, tantivy, the demo data) on a
loopback port, and the whole app offscreen, driven through its screens.

* A pupil signs in with a QR badge (typed code), sees the material the teacher assigned and
  opens it with one tap: the launch URL is produced, is on our server, works once.
* A teacher signs in through the (stand-in) browser, searches with a typo (``brøkker``),
  filters by a learning goal and requests a purchase; the school leader sees it to approve.

The assignment row is written as the Deep Linking return writes it: picking a lesson happens
in the tool's own page in a browser, which this test does not drive (the launch helper's
tests do, with pylti1p3).
"""

from __future__ import annotations

import kivyenv  # noqa: F401  # Kivy headless, before anything imports it
from conftest_gl import require_gl

require_gl()  # before anything opens a window: without GL, Kivy ends the process

# isort: split

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from appdriver import AppDriver
from gui import SIZES, pump, resize, texts, walk
from liveserver import LiveServer, assign, class_4b, fund_demo_school, start_demo_server, token_of
from mobile.screens.widgets import TileView

pytestmark = pytest.mark.slow

LESSON = "Problemløsning: ugens opgave"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo_server(tmp_path_factory.mktemp("server"))
    fund_demo_school(server)
    yield server
    server.stop()


def api(live: LiveServer, username: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token_of(live, username)}"}
    answer = requests.request(method, live.base_url + path, headers=headers, timeout=10, **kwargs)
    assert answer.status_code < 300, (path, answer.status_code, answer.text)
    return answer.json()


def wait_until(condition: Any, what: str, seconds: float = 10.0) -> None:
    """Pump Kivy's clock until ``condition()`` (the debounce runs on real time here)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)
        pump(1)


def test_pupil_opens_an_assigned_material_and_teacher_requests_a_purchase(
    live: LiveServer, tmp_path: Path
) -> None:
    class_id = class_4b(live)
    assignment_id, product_id = assign(live, class_id, "demo-matematisk-problemloesning", LESSON)
    issued = api(live, "laerer", "POST", f"/api/v1/classes/{class_id}/badges", json={})
    code = next(i["code"] for i in issued["issued"] if i["pupil"]["display_name"] == "Emil")

    driver = AppDriver(live.base_url, tmp_path / "app")
    try:
        resize(SIZES["tablet"])
        # -- the pupil: badge, home, one tap ---------------------------------------------------
        driver.sign_in_with_badge(code)
        session = driver.app.session
        assert (session.error, session.signed_in, session.is_pupil) == ("", True, True)
        assert driver.app.nav.current == "home"
        home = driver.vm("home")
        first = home.tiles[0]
        assert (first["assignment_id"], first["product_id"], first["subtitle"]) == (
            assignment_id, product_id, LESSON,
        )  # fmt: skip
        assert "Problemløsning: ugens opgave" in texts(driver.root)
        tile = next(w for w in walk(driver.root) if isinstance(w, TileView) and w.index == 0)
        tile.dispatch("on_release")
        pump()
        assert home.error == ""
        assert len(driver.opened) == 1
        url = driver.opened[0]
        assert url.startswith(f"{live.base_url}/launch/")
        opened = requests.get(url, allow_redirects=False, timeout=10)
        assert opened.status_code == 200, opened.text
        assert 'action="http://127.0.0.1:8001/lti/login"' in opened.text  # LTI OIDC login
        again = requests.get(url, allow_redirects=False, timeout=10)
        assert again.status_code >= 400  # one-time
        driver.sign_out()
        assert driver.app.nav.current == "signin"

        # -- the teacher: typo search, goal filter, purchase request ---------------------------
        driver.sign_in("laerer")
        assert driver.app.nav.current == "search"
        search = driver.vm("search")
        driver.screen("search").ids.query.text = "brøkker"  # typed; the debounce fires
        wait_until(lambda: search.shown_query == "brøkker", "results for brøkker")
        typo_total = search.total
        titles = [r["title"] for r in search.results]
        assert any("Brøk" in title for title in titles), titles
        chosen = next(r for r in search.results if "Brøk" in r["title"])

        driver.app.router.open_product(chosen["product_id"])
        pump()
        product = driver.vm("product")
        assert product.goals, "the product has goals to filter by"
        goal_id = product.goals[0]["goal_id"]
        driver.screen("product").open_goal(goal_id)
        pump()
        goal_screen = driver.screen("goal")
        goal_screen.ids.find_button.dispatch("on_release")
        pump()
        assert driver.app.nav.current == "search"
        assert (search.goal_id, search.query) == (goal_id, "brøkker")
        assert 0 < search.total <= typo_total
        assert chosen["product_id"] in [r["product_id"] for r in search.results]

        driver.app.router.open_product(chosen["product_id"])
        pump()
        screen = driver.screen("product")
        screen.ids.reason.text = "Brøker i 4.B"
        screen.ids.quantity.text = "25"
        screen.ids.class_choice.text = "4.B"  # the class spinner
        screen.ids.purchase_button.dispatch("on_release")
        pump()
        assert product.error == ""
        assert product.notice.startswith("Din anmodning er sendt til godkendelse")
        driver.sign_out()
    finally:
        driver.close()

    pending = api(live, "leder", "GET", "/api/v1/purchase-requests", params={"status": "pending"})
    mine = [r for r in pending["items"] if r["reason"] == "Brøker i 4.B"]
    assert len(mine) == 1
    request = mine[0]
    assert (request["product_id"], request["quantity"], request["goal_ids"]) == (
        chosen["product_id"], 25, [goal_id],
    )  # fmt: skip
    assert request["school_class_id"] == class_id  # 4.B, as picked
