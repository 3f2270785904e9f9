"""Buyer and school-leader view: purchase requests to decide, the budget as numbers and a bar."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty, StringProperty

from mobile.api import ApiClient, ApiError, NotFoundError
from mobile.i18n import translator
from mobile.money import format_kr
from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now


class ApprovalsViewModel(ViewModel):
    #: {"request_id", "text", "reason"}
    requests = ListProperty([])
    empty_text = StringProperty("")
    allocated = StringProperty("")
    spent = StringProperty("")
    reserved = StringProperty("")
    remaining = StringProperty("")
    subsidy_used = StringProperty("")
    #: shares of the allocation for the bar chart (0–1; they sum to at most 1)
    spent_share = NumericProperty(0.0)
    reserved_share = NumericProperty(0.0)
    remaining_share = NumericProperty(0.0)
    budget_title = StringProperty("")

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.school_id = ""
        self.municipality_code = ""
        self.role = ""
        self._titles: dict[str, str] = {}

    def load(self, school_id: str = "", municipality_code: str = "", role: str = "") -> None:
        """The requests this role decides (the leader below the municipality's threshold, the
        buyer from it) and the budget: the school's for a leader, the municipality's for a
        buyer."""
        self.school_id = school_id or self.school_id
        self.municipality_code = municipality_code or self.municipality_code
        self.role = role or self.role

        def fetch() -> dict[str, Any]:
            budget: dict[str, Any] | None = None
            try:
                if self.role == "municipal_buyer" and self.municipality_code:
                    budget = self.api.municipality_budget(self.municipality_code)
                elif self.school_id:
                    budget = self.api.school_budget(self.school_id)
            except NotFoundError:
                budget = None
            requests = [
                r
                for r in self.api.purchase_requests("pending")
                if not self.role or r.get("approver_role", self.role) == self.role
            ]
            for request in requests:  # the list carries product ids; titles for people
                product_id = str(request.get("product_id", ""))
                if product_id and product_id not in self._titles:
                    try:
                        title = self.api.product(product_id)["listing"]["title"]
                    except ApiError:
                        title = ""
                    self._titles[product_id] = str(title)
            return {"requests": requests, "budget": budget}

        self._run(fetch, self._show, retry=self.load)

    def decide(self, request_id: str, approve: bool) -> None:
        def ok(_answer: dict[str, Any]) -> None:
            self.requests = [r for r in self.requests if r["request_id"] != request_id]
            self.empty_text = "" if self.requests else translator.t("approvals_none")
            self.notice = translator.t("approved" if approve else "rejected")
            self.load()
            self.notice = translator.t("approved" if approve else "rejected")

        def failed(_error: ApiError) -> None:
            pass

        self._run(
            lambda: self.api.decide_purchase(
                request_id, approve, reason=translator.t("reject_reason")
            ),
            ok,
            on_error=failed,
        )

    def _show(self, data: dict[str, Any]) -> None:
        self.requests = [
            {
                "request_id": str(r["id"]),
                "text": translator.t(
                    "request_line",
                    title=self._titles.get(str(r.get("product_id", "")))
                    or r.get("product_title")
                    or "",
                    quantity=r.get("quantity", 1),
                    total=format_kr(int(r.get("total_ore", 0))),
                ),
                "reason": r.get("reason") or "",
            }
            for r in data["requests"]
        ]
        self.empty_text = "" if self.requests else translator.t("approvals_none")
        budget = data.get("budget")
        if not budget:
            self.budget_title = ""
            return
        allocated = int(budget.get("allocated_ore", 0))
        spent, reserved = int(budget.get("spent_ore", 0)), int(budget.get("reserved_ore", 0))
        remaining = int(budget.get("remaining_ore", allocated - spent - reserved))
        self.budget_title = translator.t("budget")
        self.allocated, self.spent = format_kr(allocated), format_kr(spent)
        self.reserved, self.remaining = format_kr(reserved), format_kr(remaining)
        self.subsidy_used = format_kr(int(budget.get("subsidy_used_ore", 0)))
        whole = max(allocated, spent + reserved + max(remaining, 0), 1)
        self.spent_share = spent / whole
        self.reserved_share = reserved / whole
        self.remaining_share = max(remaining, 0) / whole
