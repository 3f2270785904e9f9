"""One product: what it is, what it costs, what teachers say; the teacher's actions."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from mobile.api import ApiClient
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.money import format_kr
from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now
from mobile.viewmodels.format import grades_text, rating_text


class ProductViewModel(ViewModel):
    product_id = StringProperty("")
    title = StringProperty("")
    publisher = StringProperty("")
    description = StringProperty("")
    facts = StringProperty("")  # subjects · grades · media · platforms
    accessibility = StringProperty("")
    rating = StringProperty("")
    trial_text = StringProperty("")
    has_trial = BooleanProperty(False)
    #: absolute URLs of screenshot thumbnails, {"source", "alt"}
    screenshots = ListProperty([])
    #: {"goal_id", "text", "code"}
    goals = ListProperty([])
    #: {"offer_id", "text", "price_ore", "gross_ore", "subsidy"}
    offers = ListProperty([])
    #: {"text", "stars"}
    reviews = ListProperty([])
    offer_index = NumericProperty(0)
    class_index = NumericProperty(0)
    quantity = NumericProperty(1)
    last_launch_url = StringProperty("")

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        cache: OfflineCache,
        classes: Callable[[], list[dict[str, Any]]] = list,
        open_url: Callable[[str], object] = webbrowser.open,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.cache = cache
        self.classes = classes
        self.open_url = open_url
        self._trial_days = 0

    # -- reading ----------------------------------------------------------------------------

    def load(self, product_id: str) -> None:
        self.product_id = product_id

        def ok(product: dict[str, Any]) -> None:
            self.cache.remember_product(product)
            self._show(product)

        def offline() -> bool:
            product = self.cache.product(product_id)
            if product is None:
                return False
            self._show(product)
            return True

        self._run(
            lambda: self.api.product(product_id),
            ok,
            retry=lambda: self.load(product_id),
            offline=offline,
        )

    def _show(self, product: dict[str, Any]) -> None:
        listing, labels = product["listing"], product.get("labels", {})
        self.title = listing["title"]
        self.publisher = translator.t("by_publisher", name=product["publisher"]["name"])
        self.description = listing.get("description", "")
        facts = [
            ", ".join(labels.get("subjects", [])),
            grades_text(listing.get("grades", [])),
            ", ".join(labels.get("media_types", [])),
            ", ".join(labels.get("platforms", [])),
        ]
        self.facts = " · ".join(f for f in facts if f)
        self.accessibility = ", ".join(labels.get("accessibility", []))
        rating = product.get("rating", {})
        self.rating = rating_text(rating.get("mean"), int(rating.get("count") or 0))
        self._trial_days = int(listing.get("trial_days") or 0)
        self.has_trial = self._trial_days > 0
        self.trial_text = (
            translator.t("trial_days", days=self._trial_days)
            if self.has_trial
            else translator.t("no_trial")
        )
        base = self.api.base_url.rstrip("/")
        self.screenshots = [
            {"source": base + s["thumbnail_url"], "alt": s.get("alt_text") or ""}
            for s in product.get("screenshots", [])
        ]
        self.goals = [
            {
                "goal_id": str(g["id"]),
                "text": g["full_statement"],
                "code": g.get("human_code") or "",
            }
            for g in product.get("goals", [])
        ]
        self.offers = [
            {
                "offer_id": str(o["id"]),
                "price_ore": int(o["price_ore"]),
                "gross_ore": int(o["gross_ore"]),
                "subsidy": bool(o.get("subsidy_eligible")),
                "min_quantity": int(o.get("min_quantity") or 1),
                "text": translator.t(
                    "offer_line",
                    licence=o.get("licence_type_label", o.get("licence_type", "")),
                    period=o.get("period_label", o.get("period", "")),
                    price=format_kr(int(o["price_ore"])),
                    gross=format_kr(int(o["gross_ore"])),
                )
                + (f" · {translator.t('subsidy')}" if o.get("subsidy_eligible") else ""),
            }
            for o in product.get("offers", [])
            if o.get("active", True)
        ]
        self.offer_index = 0
        self.quantity = self.offers[0]["min_quantity"] if self.offers else 1
        self.reviews = [
            {
                "stars": "★" * int(r["rating"]) + "☆" * (5 - int(r["rating"])),
                "text": r["text"] or "",
            }
            for r in product.get("reviews", [])
        ]

    # -- teacher actions --------------------------------------------------------------------

    def _class(self) -> dict[str, Any] | None:
        classes = self.classes()
        if not classes:
            self.error = translator.t("needs_class")
            return None
        return classes[min(int(self.class_index), len(classes) - 1)]

    def start_trial(self) -> None:
        chosen = self._class()
        if chosen is None:
            return

        def ok(trial: dict[str, Any]) -> None:
            ends = str(trial.get("ends_at", ""))[:10]
            if len(ends) == 10:
                ends = f"{ends[8:10]}.{ends[5:7]}.{ends[0:4]}"
            self.notice = translator.t("trial_started", date=ends)

        self._run(lambda: self.api.start_trial(self.product_id, chosen["id"]), ok)

    def request_purchase(self, reason: str = "", goal_ids: list[str] | None = None) -> None:
        chosen = self._class()
        if chosen is None:
            return
        if not self.offers:
            self.error = translator.t("needs_offer")
            return
        offer = self.offers[min(int(self.offer_index), len(self.offers) - 1)]
        body = {
            "offer_id": offer["offer_id"],
            "quantity": int(self.quantity),
            "school_class_id": chosen["id"],
            "reason": reason.strip() or translator.t("request_purchase"),
            "goal_ids": list(goal_ids or []),
        }

        def ok(answer: dict[str, Any]) -> None:
            total = format_kr(int(answer.get("total_ore", 0)))
            self.notice = translator.t("purchase_requested", total=total)

        self._run(lambda: self.api.request_purchase(body), ok)

    def assign_to_class(self) -> None:
        """Assigning is LTI Deep Linking: the tool opens in the browser for the chosen class,
        the teacher picks a lesson there, and the pick becomes the class's assignment."""
        chosen = self._class()
        if chosen is None:
            return

        def ok(answer: dict[str, Any]) -> None:
            self.last_launch_url = str(answer["url"])
            self.open_url(self.last_launch_url)
            self.notice = translator.t("assign_in_tool", name=chosen["name"])

        self._run(
            lambda: self.api.launch(
                self.product_id, school_class_id=chosen["id"], select_content=True
            ),
            ok,
        )

    def rate(self, stars: int, text: str = "") -> None:
        def ok(_review: dict[str, Any]) -> None:
            self.notice = translator.t("rated")

        self._run(lambda: self.api.review(self.product_id, int(stars), text.strip()), ok)

    def open_material(self) -> None:
        chosen = self.classes()

        def launch() -> dict[str, Any]:
            class_id = chosen[0]["id"] if chosen else None
            return self.api.launch(self.product_id, school_class_id=class_id)

        def ok(answer: dict[str, Any]) -> None:
            self.last_launch_url = str(answer["url"])
            self.open_url(self.last_launch_url)
            self.notice = translator.t("opened", title=self.title)

        self._run(launch, ok, retry=self.open_material)
