"""Bulk import of products from JSON Lines, shared by ``skolehylde catalogue import`` and
``POST /api/v1/publishers/{publisher_id}/catalogue-import``.

One product per line: the fields of a listing (``catalogue.validation.PRODUCT_FIELDS``) plus

- ``external_id`` (required): the publisher's own key; importing a line again updates that
  product in place, so re-importing a file creates no duplicates;
- ``offers`` (optional): the product's offers (``validate_offer`` fields); they replace the
  active offers, matched by licence type and period (missing ones are deactivated);
- ``status`` (optional): ``"draft"`` (the default) or ``"published"`` — published only when
  the importer is a platform admin (the demo loader, the CLI); publishers' imports make drafts,
  and an edit of a published product becomes a revision that goes through review;
- ``publisher_cvr``: which publisher the line is for, when the import names no publisher
  (the CLI without ``--publisher``); otherwise it may be given and must match.

ALL OR NOTHING: every line is checked (JSON, fields, goal ids, prices, plain text, whether the
product may change now) and the report names each bad line and field; if any line is bad,
nothing at all is stored. Otherwise every line is applied in one transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import CatalogueError, CatalogueValidationError
from catalogue.model import Action, ActorRole, Listing, Offer, OfferInput, ProductStatus
from catalogue.text import json_type, plain_text_problems
from catalogue.validation import PRODUCT_FIELDS, validate_offer
from server.catalogue import operations as ops
from server.catalogue import queries
from server.catalogue.models import OfferRow, ProductRow
from server.identity.principal import Principal
from server.organisations.models import PublisherRow

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_LINES = 10_000
MAX_OFFERS = 20
LINE_FIELDS = ("external_id", "publisher_cvr", "status", "offers", *PRODUCT_FIELDS)
STATUSES = ("draft", "published")
IMPORT_NOTE = "Katalogimport"

Outcome = Literal["created", "updated", "unchanged"]

#: The workflow steps that take a product (or revision) in each status to published.
TO_PUBLISHED: dict[ProductStatus, tuple[Action, ...]] = {
    ProductStatus.DRAFT: (Action.SUBMIT, Action.APPROVE, Action.PUBLISH),
    ProductStatus.REJECTED: (Action.SUBMIT, Action.APPROVE, Action.PUBLISH),
    ProductStatus.SUBMITTED: (Action.APPROVE, Action.PUBLISH),
    ProductStatus.APPROVED: (Action.PUBLISH,),
    ProductStatus.PUBLISHED: (),
}


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int  # 1-based, as an editor numbers lines
    field: str  # "$" for the line as a whole
    message: str


@dataclass(frozen=True, slots=True)
class LineOutcome:
    line: int
    external_id: str
    product_id: uuid.UUID
    outcome: Outcome
    status: str  # the product's status after the import
    pending_revision: bool  # the edit went to a revision waiting for review


@dataclass
class ImportReport:
    dry_run: bool
    lines: list[LineOutcome] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.dry_run and not self.problems

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


class ImportRejected(Exception):
    """At least one line is bad; nothing was stored. ``report.problems`` says what."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.problems)} problem(s); nothing was imported")
        self.report = report


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    external_id: str
    publisher: PublisherRow
    listing: Listing
    offers: tuple[OfferInput, ...] | None
    publish: bool


class _EnqueueOnce:
    """The outbox, enqueueing each product once per import."""

    def __init__(self, outbox: ops.SearchOutbox) -> None:
        self.outbox = outbox
        self.seen: set[uuid.UUID] = set()

    def enqueue(self, session: Session, product_id: uuid.UUID) -> None:
        if product_id not in self.seen:
            self.seen.add(product_id)
            self.outbox.enqueue(session, product_id)

    def flush_soon(self) -> None:
        self.outbox.flush_soon()


def import_catalogue(
    session: Session,
    data: bytes,
    *,
    publisher: PublisherRow | None,
    principal: Principal | None,
    may_publish: bool,
    dry_run: bool = False,
    outbox: ops.SearchOutbox = ops.SEARCH_OUTBOX,
) -> ImportReport:
    """Check every line, then apply all of them in one transaction, or none.

    ``principal`` is the caller (None for the command line, which acts as the operator);
    ``may_publish`` whether lines may say ``"status": "published"``. Raises ``ImportRejected``
    (nothing stored) when any line is bad. ``dry_run`` checks and reports, and stores nothing.
    """
    report = ImportReport(dry_run=dry_run)
    lines = _parse(session, data, publisher, may_publish, report)
    if report.problems:
        raise ImportRejected(report)
    once = _EnqueueOnce(outbox)
    for line in lines:
        try:
            report.lines.append(_apply(session, line, principal, once))
        except CatalogueError as error:
            report.problems.append(LineProblem(line.number, error.field or "$", error.message))
    if report.problems or dry_run:
        session.rollback()
        if report.problems:
            raise ImportRejected(report)
        return report
    session.commit()
    if once.seen:
        outbox.flush_soon()
    return report


def import_for_publisher(
    session: Session,
    principal: Principal,
    publisher_id: uuid.UUID,
    read: Callable[[], bytes],
    *,
    dry_run: bool = False,
    outbox: ops.SearchOutbox = ops.SEARCH_OUTBOX,
) -> ImportReport:
    """The API's import: for the publisher's admins, its integration and platform admins
    (only they may import published products). ``read`` gives the file once authorized."""
    publisher = ops.authorized_publisher(session, principal, publisher_id)
    return import_catalogue(
        session,
        read(),
        publisher=publisher,
        principal=principal,
        may_publish=principal.is_platform_admin,
        dry_run=dry_run,
        outbox=outbox,
    )


# -- checking -------------------------------------------------------------------------------


def _parse(
    session: Session,
    data: bytes,
    publisher: PublisherRow | None,
    may_publish: bool,
    report: ImportReport,
) -> list[_Line]:
    if len(data) > MAX_IMPORT_BYTES:
        report.problems.append(
            LineProblem(0, "$", f"the file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
        )
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.problems.append(LineProblem(0, "$", f"the file is not UTF-8 ({error})"))
        return []
    raw_lines = text.splitlines()
    if len(raw_lines) > MAX_LINES:
        report.problems.append(LineProblem(0, "$", f"at most {MAX_LINES} lines per import"))
        return []
    publishers: dict[str, PublisherRow | None] = {}
    seen: dict[tuple[uuid.UUID, str], int] = {}
    lines: list[_Line] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        problems: list[LineProblem] = []
        line = _check_line(session, number, raw, publisher, publishers, may_publish, problems)
        if line is not None:
            key = (line.publisher.id, line.external_id)
            if key in seen:
                problems.append(
                    LineProblem(number, "external_id", f"the same as on line {seen[key]}")
                )
            else:
                seen[key] = number
                lines.append(line)
        report.problems.extend(problems)
    if not lines and not report.problems:
        report.problems.append(LineProblem(0, "$", "the file has no products"))
    return lines


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_line(
    session: Session,
    number: int,
    raw: str,
    publisher: PublisherRow | None,
    publishers: dict[str, PublisherRow | None],
    may_publish: bool,
    problems: list[LineProblem],
) -> _Line | None:
    def problem(field_name: str, message: str) -> None:
        problems.append(LineProblem(number, field_name, message))

    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except ValueError as error:
        problem("$", f"the line is not JSON ({error})")
        return None
    if not isinstance(value, Mapping):
        problem("$", f"a line must be a JSON object, not {json_type(value)}")
        return None
    for key in value:
        if key not in LINE_FIELDS:
            problem(key, f"is not a field of an import line; fields are: {', '.join(LINE_FIELDS)}")
    external_id, external_problems = plain_text_problems(
        value.get("external_id"), min_length=1, max_length=200, multiline=False
    )
    for message in external_problems:
        problem("external_id", "is required" if "external_id" not in value else message)
    owner = _line_publisher(session, value.get("publisher_cvr"), publisher, publishers, problem)
    status = value.get("status", "draft")
    if status not in STATUSES:
        problem("status", f"{status!r} is not an import status; allowed: {', '.join(STATUSES)}")
    elif status == "published" and not may_publish:
        problem(
            "status",
            "only a platform admin imports published products; a publisher's import makes"
            " drafts, to be submitted for review",
        )
    offers = _offers(value, problem)
    listing: Listing | None = None
    product = {key: item for key, item in value.items() if key in PRODUCT_FIELDS}
    try:
        listing = ops.check_listing(session, product)
    except CatalogueValidationError as error:
        for path, messages in error.errors.items():
            for message in messages:
                problem(path, message)
    if problems or external_id is None or owner is None or listing is None:
        return None
    return _Line(number, external_id, owner, listing, offers, publish=status == "published")


def _line_publisher(
    session: Session,
    cvr: object,
    publisher: PublisherRow | None,
    publishers: dict[str, PublisherRow | None],
    problem: Any,
) -> PublisherRow | None:
    if cvr is None:
        if publisher is None:
            problem("publisher_cvr", "is required when the import names no publisher")
        return publisher
    if not isinstance(cvr, str):
        problem("publisher_cvr", f"must be a CVR number as a string, not {json_type(cvr)}")
        return None
    if publisher is not None:
        if cvr != publisher.cvr:
            problem("publisher_cvr", f"this import is for CVR {publisher.cvr}, not {cvr}")
            return None
        return publisher
    if cvr not in publishers:
        publishers[cvr] = session.scalar(select(PublisherRow).where(PublisherRow.cvr == cvr))
    found = publishers[cvr]
    if found is None:
        problem("publisher_cvr", f"no publisher has CVR {cvr}")
    return found


def _offers(value: Mapping[str, Any], problem: Any) -> tuple[OfferInput, ...] | None:
    if "offers" not in value:
        return None
    items = value["offers"]
    if not isinstance(items, list):
        problem("offers", f"must be a list of offers, not {json_type(items)}")
        return None
    if len(items) > MAX_OFFERS:
        problem("offers", f"at most {MAX_OFFERS} offers per product")
        return None
    offers: list[OfferInput] = []
    keys: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        try:
            terms = validate_offer(item)
        except CatalogueValidationError as error:
            for path, messages in error.errors.items():
                for message in messages:
                    inner = "" if path == "$" else f".{path}"
                    problem(f"offers[{index}]{inner}", message)
            continue
        key = (str(terms.licence_type), str(terms.period))
        if key in keys:
            problem(f"offers[{index}]", f"the same licence type and period as offers[{keys[key]}]")
            continue
        keys[key] = index
        offers.append(terms)
    return tuple(offers)


# -- applying -------------------------------------------------------------------------------


def _apply(
    session: Session, line: _Line, principal: Principal | None, outbox: _EnqueueOnce
) -> LineOutcome:
    row = session.scalar(
        select(ProductRow).where(
            ProductRow.publisher_id == line.publisher.id,
            ProductRow.external_id == line.external_id,
        )
    )
    outcome: Outcome = "unchanged"
    if row is None:
        row = ops.new_product_row(
            session, line.publisher.id, line.listing, external_id=line.external_id
        )
        outcome = "created"
    else:
        if row.status == ProductStatus.WITHDRAWN:
            raise CatalogueError(
                "the product is withdrawn and is not changed; give it a new external_id",
                field="external_id",
            )
        if _current_listing(session, row) != line.listing:
            ops.apply_listing_edit(session, row, line.listing)
            outcome = "updated"
    if line.publish:
        revision = queries.open_revision(session, row.id)
        status = ProductStatus(revision.status if revision else row.status)
        for action in TO_PUBLISHED[status]:
            role = (
                ActorRole.PUBLISHER_ADMIN if action is Action.SUBMIT else ActorRole.PLATFORM_ADMIN
            )
            ops.workflow_step(
                session, principal, row, action, role=role, reason=IMPORT_NOTE, outbox=outbox
            )
            if outcome == "unchanged":
                outcome = "updated"
    if line.offers is not None and _sync_offers(session, row, line.offers):
        if outcome == "unchanged":
            outcome = "updated"
        if row.status == ProductStatus.PUBLISHED:
            outbox.enqueue(session, row.id)
    session.flush()
    return LineOutcome(
        line=line.number,
        external_id=line.external_id,
        product_id=row.id,
        outcome=outcome,
        status=row.status,
        pending_revision=queries.open_revision(session, row.id) is not None,
    )


def _current_listing(session: Session, row: ProductRow) -> Listing:
    """What an import line is compared with: the open revision's listing, else the row's."""
    revision = queries.open_revision(session, row.id)
    if revision is not None:
        return queries.revision_from_row(revision).listing
    return queries.listings(session, [row])[row.id]


def _sync_offers(session: Session, row: ProductRow, offers: tuple[OfferInput, ...]) -> bool:
    """Make the active offers those of the line (matched by licence type and period)."""
    current = {
        (offer.licence_type, offer.period): offer
        for offer in session.scalars(
            select(OfferRow)
            .where(OfferRow.product_id == row.id)
            .order_by(OfferRow.active, OfferRow.created_at)  # an active one wins a key
        )
    }
    changed = False
    wanted = set()
    for terms in offers:
        key = (str(terms.licence_type), str(terms.period))
        wanted.add(key)
        existing = current.get(key)
        if existing is None:
            ops.new_offer_row(session, row, terms)
            changed = True
        elif not existing.active or queries.offer_from_row(existing) != Offer.create(
            existing.id, row.id, terms
        ):
            ops.apply_terms(existing, terms)
            existing.active = True
            existing.updated_at = ops.now()
            changed = True
    for key, offer in current.items():
        if key not in wanted and offer.active:
            offer.active = False
            offer.updated_at = ops.now()
            changed = True
    return changed
