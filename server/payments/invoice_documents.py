"""The OIOUBL invoice of an order, from the database: ``invoice_for_order(session, order_id)``.

The purchasing side issues an invoice order (``PAYMENTS_BACKEND=invoice``); this builds the
``Invoice`` that ``server.payments.invoice.invoice_xml`` writes. The seller is the publisher
of the order's lines (its CVR), the buyer the municipality with the order's EAN number, the
school its contact reference; the invoice is dated the day the order was placed (Copenhagen)
and falls due 30 days later (the usual public-sector term, "løbende måned + 30" aside).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import NotFound
from server.organisations.models import MunicipalityRow, PublisherRow, SchoolRow
from server.payments.invoice import (
    Buyer,
    Invoice,
    InvoiceDocumentError,
    InvoiceLine,
    Seller,
    invoice_number,
)
from server.purchasing.models import OrderLineRow, OrderRow
from server.reports.queries import local_day

PAYMENT_DAYS = 30


def invoice_for_order(session: Session, order_id: uuid.UUID) -> Invoice:
    order = session.get(OrderRow, order_id)
    if order is None:
        raise NotFound("Ingen ordre med det id.", code="order_not_found")
    lines = list(
        session.scalars(
            select(OrderLineRow).where(OrderLineRow.order_id == order.id).order_by(OrderLineRow.id)
        )
    )
    publishers = {line.publisher_id for line in lines}
    if len(publishers) != 1:
        raise InvoiceDocumentError("En faktura har én sælger: ordren skal have ét forlag.")
    publisher = session.get(PublisherRow, publishers.pop())
    municipality = session.get(MunicipalityRow, order.municipality_code)
    school = session.get(SchoolRow, order.school_id)
    if publisher is None or municipality is None or school is None:  # foreign keys
        raise RuntimeError("an order without its publisher, municipality or school")
    if not order.ean:
        raise InvoiceDocumentError("Ordren har intet EAN-nummer at sende fakturaen til.")
    issued = local_day(order.created_at)
    return Invoice(
        number=order.invoice_number or invoice_number(order.id),
        issue_date=issued,
        due_date=issued + timedelta(days=PAYMENT_DAYS),
        order_reference=str(order.id),
        seller=Seller(name=publisher.name, cvr=publisher.cvr),
        buyer=Buyer(
            name=f"{municipality.name} Kommune",
            ean=order.ean,
            contact_reference=f"{school.name} ({school.institution_number})",
        ),
        lines=[
            InvoiceLine(
                description=line.description,
                quantity=line.quantity,
                unit_price_ore=line.unit_price_ore,
                item_id=str(line.product_id),
            )
            for line in lines
        ],
    )
