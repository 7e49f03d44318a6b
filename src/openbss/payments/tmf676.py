"""TMF676 Payment Management over the ``ar_payment`` rows: a payment is taken through
:func:`openbss.payments.payments.take_payment` and rendered from its columns and its ledger.

``POST /payment`` maps the TMF document onto a :class:`PaymentRequest`: ``account.id`` is the
billing account, ``totalAmount`` (CNY) the amount in exact fen, ``paymentMethod`` the method
(the id of a TMF670 payment method, or a type), ``correlatorId`` — or the extension
``paymentReference`` — the payer's reference, ``paymentItem[].item`` a CustomerBill to settle
(one at most), ``paymentDate`` when it was received and ``channel`` the hall, bank or gateway.
The same reference again is the same payment (:meth:`PaymentService.take` says whether it is
new). A payment without a reference gets the payment's own id as its reference, so it can
never be matched by a retry: a payer who retries must send one.

A payment's ``paymentItem`` lists what it settles now — its live allocations — so a reversal
or refund that re-opens a bill removes the bill from the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, object_session

from openbss.account.service import API_PATH as ACCOUNT_API_PATH
from openbss.audit import service as audit
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.ids import new_id
from openbss.kit.money import tmf_money_from_fen
from openbss.kit.pagination import PageRequest
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import JSON, format_datetime, parse_datetime
from openbss.payments import methods, repository
from openbss.payments.amounts import fen_from_money
from openbss.payments.chart import PaymentMethod
from openbss.payments.errors import InvalidPayment
from openbss.payments.models import ItemKind, LedgerItem, Payment
from openbss.payments.payments import (
    PaymentRequest,
    refund_payment,
    settled_items,
    take_payment,
)
from openbss.resources.service import ResourceService

API = "paymentManagement"
API_PATH = "/tmf-api/paymentManagement/v4"
PATH = "payment"
BILL_API_PATH = "/tmf-api/customerBillManagement/v4"

LEDGER_READERS = frozenset(
    {Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN}
)
PAYMENT_TAKERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})
# What of the client's document is kept and shown back as given (no personal data: a
# payment method given by value is kept only as a reference).
KEPT_ATTRIBUTES = ("name", "description", "authorizationCode", "payer", "paymentReference")


def _href(base: str, api_path: str, path: str, resource_id: str) -> str:
    return f"{base.rstrip('/')}{api_path}/{path}/{resource_id}"


def resolve_method(
    session: Session, province: str, billing_account_id: str, ref: object
) -> tuple[str, JSON]:
    """The booked payment method of a TMF ``PaymentMethodRefOrValue``, and the reference the
    payment keeps: a stored TMF670 method (it must be active and not another account's), one
    of the method names (``cash``, ``online``, …) as id, or a TMF670 ``@type``."""
    if not isinstance(ref, dict):
        raise InvalidPayment("'paymentMethod' is required: a reference to a payment method")
    ref_id = ref.get("id")
    if ref_id is not None:
        if not isinstance(ref_id, str) or not ref_id:
            raise InvalidPayment("'paymentMethod.id' must be a non-empty string")
        if ref_id in set(PaymentMethod):
            return ref_id, {"id": ref_id, "name": ref_id, "@type": "PaymentMethodRef"}
        stored = methods.stored_method(session, province, ref_id)
        if stored is None:
            raise InvalidPayment(
                f"payment method {ref_id!r} does not exist", code="UNKNOWN_PAYMENT_METHOD"
            )
        if stored.billing_account_id not in (None, billing_account_id):
            raise InvalidPayment(
                f"payment method {ref_id!r} belongs to another billing account",
                code="UNKNOWN_PAYMENT_METHOD",
            )
        if stored.status != methods.ACTIVE:
            raise InvalidPayment(
                f"payment method {ref_id!r} is {stored.status}", code="PAYMENT_METHOD_INACTIVE"
            )
        kept: JSON = {
            "id": stored.id,
            "name": stored.doc.get("name"),
            "@referredType": stored.kind,
            "@type": "PaymentMethodRef",
        }
        return methods.PAYS_BY[stored.kind], kept
    for key in ("@referredType", "@type"):
        kind = ref.get(key)
        if isinstance(kind, str) and kind in methods.PAYS_BY:
            return methods.PAYS_BY[kind], {"@referredType": kind, "@type": "PaymentMethodRef"}
    supported = ", ".join([*PaymentMethod, *methods.PAYS_BY])
    raise InvalidPayment(
        f"'paymentMethod' names no supported method; give a TMF670 payment method id or one "
        f"of {supported}",
        code="UNKNOWN_PAYMENT_METHOD",
    )


def _reference(body: Mapping[str, Any]) -> str | None:
    for key in ("correlatorId", "paymentReference"):
        value = body.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise InvalidPayment(f"'{key}' must be a string")
            return value
    return None


def _named_bill(body: Mapping[str, Any]) -> str | None:
    items = body.get("paymentItem")
    if items is None:
        return None
    if not isinstance(items, list) or len(items) > 1:
        raise InvalidPayment("'paymentItem' is a list naming at most one CustomerBill")
    for entry in items:
        item = entry.get("item") if isinstance(entry, dict) else None
        bill_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(bill_id, str) or not bill_id:
            raise InvalidPayment("'paymentItem[0].item.id' must name a CustomerBill")
        referred = item.get("@referredType") if isinstance(item, dict) else None
        if referred not in (None, "CustomerBill"):
            raise InvalidPayment("a payment settles CustomerBill items only")
        return bill_id
    return None


def _channel(body: Mapping[str, Any]) -> str | None:
    channel = body.get("channel")
    if channel is None:
        return None
    name = (channel.get("id") or channel.get("name")) if isinstance(channel, dict) else None
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidPayment("'channel' must be a reference with an id or name (64 characters)")
    return name


class PaymentService(ResourceService[Payment]):
    model = Payment
    api = API
    api_path = API_PATH
    path = PATH
    resource_type = "Payment"
    read_roles = LEDGER_READERS
    write_roles = PAYMENT_TAKERS
    state_attribute = "status"
    filters_match_rendered = True

    def request_from(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> PaymentRequest:
        """Check a TMF676 document and turn it into a payment request (nothing written)."""
        principal.require(*self.write_roles)
        province = principal.acting_province("a payment")
        if "id" in body:
            raise BadRequest("'id' is assigned by the server and cannot be supplied on create")
        account = body.get("account")
        account_id = account.get("id") if isinstance(account, dict) else None
        if not isinstance(account_id, str) or not account_id:
            raise InvalidPayment("'account.id' is required: the billing account paid")
        if "totalAmount" not in body:
            raise InvalidPayment("'totalAmount' is required")
        amount_fen = fen_from_money(body["totalAmount"], "totalAmount")
        method, method_ref = resolve_method(
            session, province, account_id, body.get("paymentMethod")
        )
        paid_at = body.get("paymentDate")
        if paid_at is not None and not isinstance(paid_at, str):
            raise InvalidPayment("'paymentDate' must be an ISO 8601 date-time")
        doc: JSON = {k: body[k] for k in KEPT_ATTRIBUTES if k in body}
        doc["paymentMethod"] = method_ref
        return PaymentRequest(
            province=province,
            billing_account_id=account_id,
            amount_fen=amount_fen,
            method=method,
            reference=_reference(body) or new_id(),
            received_at=parse_datetime(paid_at, "paymentDate") if paid_at else None,
            bill_id=_named_bill(body),
            channel=_channel(body),
            created_by=principal.key_id,
            doc=doc,
        )

    def take(
        self, session: Session, principal: Principal, request: PaymentRequest
    ) -> tuple[Payment, bool]:
        """Take the payment; audit and announce it when it is new."""
        principal.require(*self.write_roles)
        payment, created = take_payment(session, request)
        if created:
            audit.record(
                session, principal, "create", self.resource_type, payment.id, payment.province,
                ["account", "totalAmount", "paymentMethod", "correlatorId"],
            )  # fmt: skip
            self.emit(session, "CreateEvent", payment)
        return payment, created

    def create(self, session: Session, principal: Principal, body: Mapping[str, Any]) -> Payment:
        return self.take(session, principal, self.request_from(session, principal, body))[0]

    def render(self, row: Payment, base_url: str | None = None) -> JSON:
        base = base_url or get_settings().public_url
        session = object_session(row)
        settled = settled_items(session, row) if session is not None else []
        body: JSON = {
            "id": row.id,
            "href": _href(base, API_PATH, PATH, row.id),
            "correlatorId": row.reference,
            "status": row.status,
            "statusDate": format_datetime(row.updated_at),
            "paymentDate": format_datetime(row.received_at),
            "account": {
                "id": row.billing_account_id,
                "href": _href(base, ACCOUNT_API_PATH, "billingAccount", row.billing_account_id),
                "@referredType": "BillingAccount",
            },
            "totalAmount": tmf_money_from_fen(row.amount_fen),
            "amount": tmf_money_from_fen(row.amount_fen),
            "paymentMethod": _method_ref(row, base),
            "paymentItem": [_payment_item(item.kind, item.source_id, fen, base)
                            for item, fen in settled],
            "@type": "Payment",
        }  # fmt: skip
        if row.channel:
            body["channel"] = {"id": row.channel, "name": row.channel}
        for key in KEPT_ATTRIBUTES:
            if key in row.doc:
                body[key] = row.doc[key]
        return body


def _method_ref(row: Payment, base: str) -> JSON:
    ref: JSON = dict(row.doc.get("paymentMethod") or {"@type": "PaymentMethodRef"})
    if "@referredType" in ref and "id" in ref:
        ref["href"] = _href(base, methods.API_PATH, methods.PATH, str(ref["id"]))
    ref.setdefault("id", row.method)
    ref.setdefault("name", row.method)
    return ref


def _payment_item(kind: str, source_id: str, fen: int, base: str) -> JSON:
    if kind == ItemKind.BILL:
        item: JSON = {
            "id": source_id,
            "href": _href(base, BILL_API_PATH, "customerBill", source_id),
            "@referredType": "CustomerBill",
        }
    else:
        item = {"id": source_id, "@referredType": kind}
    money = tmf_money_from_fen(fen)
    return {"item": item, "amount": money, "totalAmount": money, "@type": "PaymentItem"}


payments = PaymentService()


# ----- refunds --------------------------------------------------------------------------------

REFUND_PATH = "refund"
REFUNDERS = frozenset({Role.FINANCE, Role.ADMIN})


class RefundService:
    """TMF676 ``refund``: money of a payment paid back to the customer.

    A refund is the ledger's refund item (its id is the refund's id); there is no other row.
    ``POST /refund`` needs ``payment.id``, ``totalAmount`` and ``correlatorId`` (the refund
    voucher's number, which makes the refund idempotent) and takes ``description`` as the
    reason; it answers 200 with the same refund when the voucher number comes again."""

    api = API
    resource_type = "Refund"

    def href(self, refund_id: str, base_url: str | None = None) -> str:
        return _href(base_url or get_settings().public_url, API_PATH, REFUND_PATH, refund_id)

    def create(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> tuple[LedgerItem, bool]:
        principal.require(*REFUNDERS)
        province = principal.acting_province("a refund")
        payment_ref = body.get("payment")
        payment_id = payment_ref.get("id") if isinstance(payment_ref, dict) else None
        if not isinstance(payment_id, str) or not payment_id:
            raise InvalidPayment("'payment.id' is required: the payment refunded")
        if "totalAmount" not in body:
            raise InvalidPayment("'totalAmount' is required")
        amount_fen = fen_from_money(body["totalAmount"], "totalAmount")
        reference = body.get("correlatorId")
        if not isinstance(reference, str) or not reference:
            raise InvalidPayment("'correlatorId' is required: the refund voucher's number")
        reason = body.get("description") or body.get("name") or "refund"
        if not isinstance(reason, str):
            raise InvalidPayment("'description' must be a string")
        account = body.get("account")
        source_id = f"{payment_id}/{reference}"
        paid = session.get(Payment, payment_id)
        named = account.get("id") if isinstance(account, dict) else None
        other_account = paid is not None and named not in (None, paid.billing_account_id)
        if other_account and paid is not None and paid.province == province:
            raise InvalidPayment(f"payment {payment_id} is not a payment of that account")
        existed = repository.item_by_source(session, ItemKind.REFUND, source_id) is not None
        payment = refund_payment(
            session, province, payment_id, amount_fen, reason, reference=reference,
            created_by=principal.key_id,
        )  # fmt: skip
        item = repository.item_by_source(session, ItemKind.REFUND, source_id)
        assert item is not None
        if not existed:
            audit.record(
                session, principal, "create", self.resource_type, item.id, province,
                ["payment", "totalAmount", "correlatorId"],
            )  # fmt: skip
            payments.emit(session, "StateChangeEvent", payment)
        return item, not existed

    def get(self, session: Session, principal: Principal, refund_id: str) -> LedgerItem:
        principal.require(*LEDGER_READERS)
        item = session.get(LedgerItem, refund_id)
        if item is None or item.kind != ItemKind.REFUND or not principal.can_see(item.province):
            raise NotFound(f"Refund {refund_id!r} not found")
        return item

    def list(
        self, session: Session, principal: Principal, account_id: str | None, page: PageRequest
    ) -> tuple[list[LedgerItem], int]:
        principal.require(*LEDGER_READERS)
        province = principal.acting_province("refunds")
        return repository.refund_items(
            session, province, billing_account_id=account_id, offset=page.offset,
            limit=page.limit,
        )  # fmt: skip

    def render(self, session: Session, item: LedgerItem, base_url: str | None = None) -> JSON:
        base = base_url or get_settings().public_url
        payment_id, _, reference = item.source_id.partition("/")
        payment = session.get(Payment, payment_id)
        body: JSON = {
            "id": item.id,
            "href": self.href(item.id, base),
            "correlatorId": reference,
            "description": item.note,
            "status": "completed",
            "refundDate": format_datetime(item.created_at),
            "totalAmount": tmf_money_from_fen(item.amount_fen),
            "amount": tmf_money_from_fen(item.amount_fen),
            "account": {
                "id": item.billing_account_id,
                "href": _href(base, ACCOUNT_API_PATH, "billingAccount", item.billing_account_id),
                "@referredType": "BillingAccount",
            },
            "payment": {"id": payment_id, "href": _href(base, API_PATH, PATH, payment_id),
                        "@referredType": "Payment"},
            "@type": "Refund",
        }  # fmt: skip
        if payment is not None:
            body["paymentMethod"] = _method_ref(payment, base)
        return body


refunds = RefundService()
