"""TMF670 Payment Methods: how a customer pays — cash, a direct-debit mandate on a bank account
(托收), a bank transfer, an online wallet or card — linked to a billing account.

A bank account number is personal data. It is checked and kept in its own column; the stored
document, and therefore every audit entry and event, holds it masked (``****1234``). Only
finance and admin see it whole (:meth:`PaymentMethodService.render` with ``reveal``). The bank
collection reads the mandates through :func:`direct_debit_mandates`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.kit.errors import BadRequest, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON
from openbss.payments.chart import PaymentMethod
from openbss.payments.models import MethodKind, StoredPaymentMethod
from openbss.resources.service import ResourceService

API = "paymentMethod"
API_PATH = "/tmf-api/paymentMethod/v4"
PATH = "paymentMethod"

METHOD_READERS = frozenset(
    {Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN}
)
METHOD_WRITERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})
# Who may read a bank account number whole.
NUMBER_READERS = frozenset({Role.FINANCE, Role.ADMIN})

# The payment method (chart) a payment by each TMF670 type is booked under.
PAYS_BY: Mapping[str, PaymentMethod] = {
    MethodKind.CASH: PaymentMethod.CASH,
    MethodKind.BANK_ACCOUNT_DEBIT: PaymentMethod.BANK_COLLECTION,
    MethodKind.BANK_ACCOUNT_TRANSFER: PaymentMethod.BANK_TRANSFER,
    MethodKind.DIGITAL_WALLET: PaymentMethod.ONLINE,
    MethodKind.BANK_CARD: PaymentMethod.ONLINE,
}
BANK_KINDS = frozenset({MethodKind.BANK_ACCOUNT_DEBIT, MethodKind.BANK_ACCOUNT_TRANSFER})
STATUSES = frozenset({"active", "inactive", "suspended"})
ACTIVE = "active"
# Chinese bank account and card numbers are 8 to 32 digits (most are 16 to 19).
ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,32}$")


def mask(number: str) -> str:
    """``6222021234567890`` → ``************7890``: only the last four digits show."""
    return "*" * max(len(number) - 4, 4) + number[-4:] if len(number) > 4 else "*" * len(number)


@dataclass(frozen=True, slots=True)
class DirectDebitMandate:
    """What the bank collection needs to debit an account (the number is personal data)."""

    billing_account_id: str
    bank_code: str
    account_number: str
    holder: str


def direct_debit_mandates(session: Session, province: str) -> list[DirectDebitMandate]:
    """The active direct-debit mandates of ``province``, one per billing account (the one
    marked preferred, else the newest)."""
    rows = session.scalars(
        select(StoredPaymentMethod)
        .where(
            StoredPaymentMethod.province == province,
            StoredPaymentMethod.kind == MethodKind.BANK_ACCOUNT_DEBIT,
            StoredPaymentMethod.status == ACTIVE,
            StoredPaymentMethod.billing_account_id.is_not(None),
        )
        .order_by(StoredPaymentMethod.billing_account_id, StoredPaymentMethod.updated_at)
    )
    chosen: dict[str, StoredPaymentMethod] = {}
    for row in rows:
        assert row.billing_account_id is not None
        current = chosen.get(row.billing_account_id)
        if current is None or row.doc.get("isPreferred") or not current.doc.get("isPreferred"):
            chosen[row.billing_account_id] = row
    return [
        DirectDebitMandate(
            billing_account_id=account_id,
            bank_code=row.bank_code or "",
            account_number=row.account_number or "",
            holder=row.account_holder or "",
        )
        for account_id, row in sorted(chosen.items())
    ]


def stored_method(session: Session, province: str, method_id: str) -> StoredPaymentMethod | None:
    row = session.get(StoredPaymentMethod, method_id)
    return row if row is not None and row.province == province else None


def _text(doc: JSON, attribute: str, *, required: bool = False, limit: int = 128) -> str | None:
    value = doc.get(attribute)
    if value is None:
        if required:
            raise BadRequest(f"'{attribute}' is required", code="INVALID_BODY")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(
            f"'{attribute}' must be a non-empty string of at most {limit} characters",
            code="INVALID_BODY",
        )
    return value.strip()


class PaymentMethodService(ResourceService[StoredPaymentMethod]):
    model = StoredPaymentMethod
    api = API
    api_path = API_PATH
    path = PATH
    resource_type = "PaymentMethod"
    read_roles = METHOD_READERS
    write_roles = METHOD_WRITERS
    state_attribute = "status"

    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("status", ACTIVE)
        return doc

    def validate(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: StoredPaymentMethod | None,
    ) -> JSON:
        kind = doc.get("@type")
        if kind not in set(MethodKind):
            known = ", ".join(MethodKind)
            raise Unprocessable(
                f"payment method type {kind!r} is not supported; one of {known}",
                code="UNSUPPORTED_PAYMENT_METHOD",
            )
        if existing is not None and kind != existing.kind:
            raise BadRequest("the '@type' of a payment method cannot change", code="INVALID_BODY")
        _text(doc, "name", required=True)
        status = doc.get("status")
        if status not in STATUSES:
            raise BadRequest(
                f"'status' must be one of {', '.join(sorted(STATUSES))}", code="INVALID_BODY"
            )
        if "isPreferred" in doc and not isinstance(doc["isPreferred"], bool):
            raise BadRequest("'isPreferred' must be true or false", code="INVALID_BODY")
        self._check_account(session, principal, doc)
        if kind in BANK_KINDS:
            _text(doc, "bank", required=True, limit=32)
            _text(doc, "owner", required=True)
            _text(doc, "BIC", limit=32)
            if not isinstance(doc.get("accountNumber"), str):
                raise BadRequest("'accountNumber' is required", code="INVALID_BODY")
        return doc

    def _check_account(self, session: Session, principal: Principal, doc: JSON) -> None:
        refs = doc.get("account")
        if refs is None:
            return
        if not isinstance(refs, list) or len(refs) > 1:
            raise BadRequest(
                "'account' is a list of at most one billing account reference", code="INVALID_BODY"
            )
        for ref in refs:
            account_id = ref.get("id") if isinstance(ref, dict) else None
            if not isinstance(account_id, str):
                raise BadRequest("'account[0].id' is required", code="INVALID_BODY")
            account = accounts.get_billing_account(session, account_id)
            if account is None or not principal.can_see(account.province):
                raise Unprocessable(
                    f"billing account {account_id!r} does not exist", code="UNKNOWN_ACCOUNT"
                )

    def apply_columns(self, row: StoredPaymentMethod, doc: JSON) -> None:
        refs = doc.get("account") or []
        row.kind = str(doc["@type"])
        row.status = str(doc["status"])
        row.billing_account_id = refs[0]["id"] if refs else None
        row.bank_code = doc.get("BIC") or doc.get("bank")
        row.account_holder = doc.get("owner")

    @staticmethod
    def _number_out(body: Mapping[str, Any], current: str | None) -> tuple[str | None, JSON]:
        """Take a clear account number out of ``body``: returns it and the body with the
        number masked. A masked number sent back unchanged is no change."""
        doc: JSON = dict(body)
        number = doc.get("accountNumber")
        if number is None:
            return None, doc
        if not isinstance(number, str):
            raise BadRequest("'accountNumber' must be a string of digits", code="INVALID_BODY")
        if current is not None and number == mask(current):
            return None, doc
        cleaned = number.replace(" ", "")
        if not ACCOUNT_NUMBER.match(cleaned):
            raise BadRequest(
                "'accountNumber' must be 8 to 32 digits (spaces allowed)", code="INVALID_BODY"
            )
        doc["accountNumber"] = mask(cleaned)
        return cleaned, doc

    def create(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> StoredPaymentMethod:
        principal.require(*self.write_roles)
        number, doc = self._number_out(body, None)
        row = super().create(session, principal, doc)
        row.account_number = number
        session.flush()
        return row

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> StoredPaymentMethod:
        row = self._writable(session, principal, resource_id)
        number, doc = self._number_out(patch, row.account_number)
        row = super().patch(session, principal, resource_id, doc)
        if number is not None:
            row.account_number = number
            session.flush()
        return row

    def render(
        self, row: StoredPaymentMethod, base_url: str | None = None, *, reveal: bool = False
    ) -> JSON:
        body = super().render(row, base_url)
        if reveal and row.account_number:
            body["accountNumber"] = row.account_number
        return body

    def render_for(
        self, principal: Principal, row: StoredPaymentMethod, base_url: str | None = None
    ) -> JSON:
        return self.render(row, base_url, reveal=principal.role in NUMBER_READERS)


payment_methods = PaymentMethodService()
