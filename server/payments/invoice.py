"""Payment by invoice: the municipality's EAN number and an OIOUBL (UBL 2.1) invoice per order.

Danish public buyers must receive electronic invoices (NemHandel) addressed to the EAN number
(a GS1 GLN) of the paying unit. The embedded default payment backend issues such an invoice
for each order; the money arrives later by bank transfer and is booked against the order by
the purchasing side, so this gateway never learns of a payment by webhook.

* ``ean_error(value)`` says in Danish what is wrong with an EAN number (or ``None``).
* ``InvoicePaymentGateway`` implements the payment port: ``create_payment`` issues an invoice
  (reference = invoice number, status PENDING), ``refund`` issues a credit note.
* ``invoice_xml`` / ``credit_note_xml`` write OIOUBL 2.01 documents from plain dataclasses.
  Amounts are integer øre in, decimal strings out (``14950`` → ``"149.50"``), never float;
  VAT is 25 % of the sum of the lines, rounded half up (``catalogue.money.vat_ore``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from catalogue.money import VAT_PERCENT, vat_ore
from server.payments.interfaces import (
    InvalidWebhook,
    PaymentError,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
    RefundResult,
    WebhookEvent,
)

# --------------------------------------------------------------------------- EAN (GLN)

EAN_LENGTH = 13


def ean_check_digit(first_twelve: str) -> int:
    """The GS1 mod-10 check digit: weights 3,1,3,… from the right, then up to a multiple of 10."""
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(first_twelve))
    )
    return (10 - total % 10) % 10


def ean_error(value: str) -> str | None:
    """What is wrong with ``value`` as an EAN (GLN) number, in Danish; ``None`` when it is valid."""
    if len(value) != EAN_LENGTH or not all("0" <= char <= "9" for char in value):
        return f"Et EAN-nummer består af præcis {EAN_LENGTH} cifre (fik {value!r})."
    expected = ean_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return (
            f"EAN-nummeret {value} har et forkert kontrolciffer: det sidste ciffer skal være"
            f" {expected}. Tjek nummeret på kommunens fakturaadresse."
        )
    return None


def is_valid_ean(value: str) -> bool:
    return ean_error(value) is None


# --------------------------------------------------------------------------- documents

CUSTOMIZATION_ID = "OIOUBL-2.01"
PROFILE_ID = "urn:www.nesubl.eu:profiles:profile5:ver2.0"
PROFILE_SCHEME = "urn:oioubl:id:profileid-1.2"
CURRENCY = "DKK"
UNIT_CODE = "EA"  # OIOUBL uses UN/ECE rec. 20 codes; a licence is "each"

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP_CAC_CBC: dict[str | None, str] = {"cac": NS_CAC, "cbc": NS_CBC}


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    postal_zone: str
    country: str = "DK"


@dataclass(frozen=True, slots=True)
class Seller:
    """The publisher: it invoices in its own name with its CVR number."""

    name: str
    cvr: str
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    """The municipality (or the school's paying unit), addressed by its EAN number."""

    name: str
    ean: str
    address: Address | None = None
    contact_reference: str = ""  # OIOUBL: the buyer's reference ("ordregiver"), optional


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity: int
    unit_price_ore: int  # excluding VAT
    item_id: str = ""  # the seller's id for the item (our product id)

    @property
    def line_extension_ore(self) -> int:
        return self.quantity * self.unit_price_ore


class _Totals:
    """The totals of an invoice or a credit note: lines excl. VAT, VAT 25 % half up, payable."""

    __slots__ = ()
    lines: Sequence[InvoiceLine]

    @property
    def line_extension_ore(self) -> int:
        return sum(line.line_extension_ore for line in self.lines)

    @property
    def tax_ore(self) -> int:
        return vat_ore(self.line_extension_ore)

    @property
    def payable_ore(self) -> int:
        return self.line_extension_ore + self.tax_ore


@dataclass(frozen=True, slots=True)
class Invoice(_Totals):
    number: str
    issue_date: date
    due_date: date
    order_reference: str
    seller: Seller
    buyer: Buyer
    lines: Sequence[InvoiceLine]
    note: str = ""


@dataclass(frozen=True, slots=True)
class CreditNote(_Totals):
    number: str
    issue_date: date
    invoice_number: str
    invoice_issue_date: date
    order_reference: str
    seller: Seller
    buyer: Buyer
    lines: Sequence[InvoiceLine]
    note: str = ""


class InvoiceDocumentError(ValueError):
    """The document cannot be written (an invalid EAN, a negative amount, no lines)."""


def format_amount(ore: int) -> str:
    """Øre as the decimal string UBL wants: ``14950`` → ``"149.50"``, ``-5`` → ``"-0.05"``."""
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise TypeError(f"amounts are int øre, not {type(ore).__name__}")
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    return f"{sign}{whole}.{cents:02d}"


def invoice_xml(invoice: Invoice) -> bytes:
    """The OIOUBL 2.01 invoice (UBL 2.1 ``Invoice``) as UTF-8 XML bytes."""
    _check(invoice.buyer, invoice.lines)
    root = etree.Element(f"{{{NS_INVOICE}}}Invoice", nsmap={None: NS_INVOICE, **NSMAP_CAC_CBC})
    _header(root, invoice.number, invoice.issue_date)
    _cbc(root, "DueDate", invoice.due_date.isoformat())
    _cbc(
        root,
        "InvoiceTypeCode",
        "380",
        listAgencyID="320",
        listID="urn:oioubl:codelist:invoicetypecode-1.1",
    )
    if invoice.note:
        _cbc(root, "Note", invoice.note)
    _cbc(root, "DocumentCurrencyCode", CURRENCY)
    _order_reference(root, invoice.order_reference, invoice.issue_date)
    _parties(root, invoice.seller, invoice.buyer)
    _totals(root, invoice.line_extension_ore)
    for number, line in enumerate(invoice.lines, start=1):
        _line(root, "InvoiceLine", "InvoicedQuantity", number, line)
    return _serialise(root)


def credit_note_xml(note: CreditNote) -> bytes:
    """The OIOUBL 2.01 credit note (UBL 2.1 ``CreditNote``) for (part of) an invoice."""
    _check(note.buyer, note.lines)
    root = etree.Element(
        f"{{{NS_CREDIT_NOTE}}}CreditNote", nsmap={None: NS_CREDIT_NOTE, **NSMAP_CAC_CBC}
    )
    _header(root, note.number, note.issue_date)
    if note.note:
        _cbc(root, "Note", note.note)
    _cbc(root, "DocumentCurrencyCode", CURRENCY)
    _order_reference(root, note.order_reference, note.invoice_issue_date)
    billing = _cac(root, "BillingReference")
    invoice_reference = _cac(billing, "InvoiceDocumentReference")
    _cbc(invoice_reference, "ID", note.invoice_number)
    _cbc(invoice_reference, "IssueDate", note.invoice_issue_date.isoformat())
    _parties(root, note.seller, note.buyer)
    _totals(root, note.line_extension_ore)
    for number, line in enumerate(note.lines, start=1):
        _line(root, "CreditNoteLine", "CreditedQuantity", number, line)
    return _serialise(root)


def _check(buyer: Buyer, lines: Sequence[InvoiceLine]) -> None:
    problem = ean_error(buyer.ean)
    if problem:
        raise InvoiceDocumentError(problem)
    if not lines:
        raise InvoiceDocumentError("En faktura skal have mindst én linje.")
    for line in lines:
        if line.quantity <= 0 or line.unit_price_ore < 0:
            raise InvoiceDocumentError(
                f"Linjen {line.description!r} skal have et positivt antal og en pris ≥ 0 øre."
            )


def _cbc(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", attributes)
    element.text = text
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")


def _amount(parent: etree._Element, name: str, ore: int) -> etree._Element:
    return _cbc(parent, name, format_amount(ore), currencyID=CURRENCY)


def _header(root: etree._Element, number: str, issued: date) -> None:
    _cbc(root, "UBLVersionID", "2.0")  # OIOUBL 2.01 is a UBL 2.0 profile, valid UBL 2.1
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID, schemeAgencyID="320", schemeID=PROFILE_SCHEME)
    _cbc(root, "ID", number)
    _cbc(root, "CopyIndicator", "false")
    _cbc(root, "UUID", str(uuid.uuid5(uuid.NAMESPACE_URL, f"skolehylde:{number}")))
    _cbc(root, "IssueDate", issued.isoformat())


def _order_reference(root: etree._Element, order_reference: str, issued: date) -> None:
    reference = _cac(root, "OrderReference")
    _cbc(reference, "ID", order_reference)
    _cbc(reference, "IssueDate", issued.isoformat())


def _parties(root: etree._Element, seller: Seller, buyer: Buyer) -> None:
    supplier = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    _cbc(supplier, "EndpointID", f"DK{seller.cvr}", schemeID="DK:CVR")
    _party_name_and_address(supplier, seller.name, seller.address)
    tax_scheme = _cac(supplier, "PartyTaxScheme")
    _cbc(tax_scheme, "CompanyID", f"DK{seller.cvr}", schemeID="DK:SE")
    _vat_scheme(tax_scheme)
    legal = _cac(supplier, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", seller.name)
    _cbc(legal, "CompanyID", f"DK{seller.cvr}", schemeID="DK:CVR")

    customer = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    _cbc(customer, "EndpointID", buyer.ean, schemeAgencyID="9", schemeID="GLN")
    _party_name_and_address(customer, buyer.name, buyer.address)
    legal = _cac(customer, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", buyer.name)
    if buyer.contact_reference:
        contact = _cac(customer, "Contact")
        _cbc(contact, "ID", buyer.contact_reference)


def _party_name_and_address(party: etree._Element, name: str, address: Address | None) -> None:
    _cbc(_cac(party, "PartyName"), "Name", name)
    if address is None:
        return
    postal = _cac(party, "PostalAddress")
    _cbc(
        postal,
        "AddressFormatCode",
        "StructuredLax",
        listAgencyID="320",
        listID="urn:oioubl:codelist:addressformatcode-1.1",
    )
    _cbc(postal, "StreetName", address.street)
    _cbc(postal, "CityName", address.city)
    _cbc(postal, "PostalZone", address.postal_zone)
    _cbc(_cac(postal, "Country"), "IdentificationCode", address.country)


def _vat_scheme(parent: etree._Element) -> None:
    scheme = _cac(parent, "TaxScheme")
    _cbc(scheme, "ID", "63", schemeAgencyID="320", schemeID="urn:oioubl:id:taxschemeid-1.1")
    _cbc(scheme, "Name", "Moms")


def _tax_category(parent: etree._Element, name: str) -> None:
    category = _cac(parent, name)
    _cbc(category, "ID", "S", schemeAgencyID="6", schemeID="UNCL5305")
    _cbc(category, "Percent", str(VAT_PERCENT))
    _vat_scheme(category)


def _totals(root: etree._Element, line_extension_ore: int) -> None:
    tax_ore = vat_ore(line_extension_ore)
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", tax_ore)
    subtotal = _cac(tax_total, "TaxSubtotal")
    _amount(subtotal, "TaxableAmount", line_extension_ore)
    _amount(subtotal, "TaxAmount", tax_ore)
    _tax_category(subtotal, "TaxCategory")
    monetary = _cac(root, "LegalMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", line_extension_ore)
    _amount(monetary, "TaxExclusiveAmount", tax_ore)  # OIOUBL: the tax amount goes here
    _amount(monetary, "TaxInclusiveAmount", line_extension_ore + tax_ore)
    _amount(monetary, "PayableAmount", line_extension_ore + tax_ore)


def _line(
    root: etree._Element, element: str, quantity_name: str, number: int, line: InvoiceLine
) -> None:
    node = _cac(root, element)
    _cbc(node, "ID", str(number))
    _cbc(node, quantity_name, str(line.quantity), unitCode=UNIT_CODE)
    _amount(node, "LineExtensionAmount", line.line_extension_ore)
    item = _cac(node, "Item")
    _cbc(item, "Description", line.description)
    _cbc(item, "Name", line.description[:40])
    if line.item_id:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.item_id)
    _tax_category(item, "ClassifiedTaxCategory")
    price = _cac(node, "Price")
    _amount(price, "PriceAmount", line.unit_price_ore)
    _cbc(price, "BaseQuantity", "1", unitCode=UNIT_CODE)


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --------------------------------------------------------------------------- the gateway


def invoice_number(order_id: uuid.UUID) -> str:
    """One invoice per order, numbered from the order id so a retry can never issue two."""
    return f"SH-{order_id.hex[:12].upper()}"


@dataclass(slots=True)
class _Issued:
    amount_ore: int
    status: PaymentStatus
    refunded_ore: int = 0
    credit_notes: dict[str, RefundResult] = field(default_factory=dict)


class InvoicePaymentGateway:
    """The payment port paid by invoice (EAN + OIOUBL); the embedded default backend.

    It keeps the invoices it has issued in this process; the order in the database is the
    record of truth (its invoice number is the reference), and the purchasing side books the
    bank transfer when it arrives. There are no webhooks: ``parse_webhook`` always refuses.
    """

    name = "invoice"

    def __init__(self) -> None:
        self._issued: dict[str, _Issued] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def create_payment(self, request: PaymentRequest) -> PaymentHandle:
        if request.amount_ore <= 0:
            raise PaymentError("Beløbet skal være positivt (øre).")
        if request.currency.lower() != "dkk":
            raise PaymentError(f"Fakturaer udstedes kun i DKK, ikke {request.currency!r}.")
        with self._lock:
            reference = self._keys.get(request.idempotency_key)
            if reference is None:
                reference = invoice_number(request.order_id)
                self._issued.setdefault(
                    reference, _Issued(amount_ore=request.amount_ore, status=PaymentStatus.PENDING)
                )
                self._keys[request.idempotency_key] = reference
            return self._handle(reference)

    def retrieve(self, reference: str) -> PaymentHandle:
        with self._lock:
            return self._handle(reference)

    def cancel(self, reference: str) -> PaymentHandle:
        with self._lock:
            issued = self._get(reference)
            if issued.status is PaymentStatus.PENDING:
                issued.status = PaymentStatus.CANCELED
            elif issued.status is not PaymentStatus.CANCELED:
                raise PaymentError(f"Fakturaen {reference} kan ikke annulleres ({issued.status}).")
            return self._handle(reference)

    def mark_paid(self, reference: str) -> PaymentHandle:
        """Book the municipality's bank transfer against the invoice."""
        with self._lock:
            issued = self._get(reference)
            if issued.status is PaymentStatus.PENDING:
                issued.status = PaymentStatus.SUCCEEDED
            return self._handle(reference)

    def refund(self, reference: str, amount_ore: int, idempotency_key: str) -> RefundResult:
        """Issue a credit note (``KN-…``) for ``amount_ore`` of the invoice."""
        with self._lock:
            issued = self._get(reference)
            if idempotency_key in issued.credit_notes:
                return issued.credit_notes[idempotency_key]
            if amount_ore <= 0 or issued.refunded_ore + amount_ore > issued.amount_ore:
                raise PaymentError(
                    f"Kreditnotaen må være på 1 øre til {issued.amount_ore - issued.refunded_ore}"
                    f" øre (fik {amount_ore})."
                )
            if issued.status is PaymentStatus.CANCELED:
                raise PaymentError(f"Fakturaen {reference} er annulleret.")
            issued.refunded_ore += amount_ore
            note = RefundResult(
                reference=f"KN-{reference.removeprefix('SH-')}-{len(issued.credit_notes) + 1}",
                payment_reference=reference,
                amount_ore=amount_ore,
                status=PaymentStatus.REFUNDED,
            )
            issued.credit_notes[idempotency_key] = note
            if issued.refunded_ore == issued.amount_ore:
                issued.status = PaymentStatus.REFUNDED
            return note

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        raise InvalidWebhook("Betaling med faktura har ingen webhooks.")

    def _get(self, reference: str) -> _Issued:
        issued = self._issued.get(reference)
        if issued is None:
            raise PaymentError(f"Ingen faktura med nummeret {reference!r}.")
        return issued

    def _handle(self, reference: str) -> PaymentHandle:
        issued = self._get(reference)
        return PaymentHandle(
            provider=self.name,
            reference=reference,
            status=issued.status,
            amount_ore=issued.amount_ore,
        )
