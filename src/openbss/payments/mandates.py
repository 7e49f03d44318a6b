"""Direct debit mandates: which billing accounts pay by bank collection, at which bank, from
which bank account.

A mandate is first the account's active TMF670 ``BankAccountDebit`` payment method
(:mod:`openbss.payments.methods`). An account without one may still carry its bank details in
its TMF666 document, as CRM systems migrated from older BSSs do: an account whose
``payment_method`` is ``bank_collection`` with the details on ``defaultPaymentMethod``
(``details`` or ``bankAccount``: ``bank``, ``accountNumber``, ``owner``), on the active
``paymentPlan``'s ``paymentMethod``, or in a ``characteristic`` named ``bankAccount`` whose
value is that object. :func:`direct_debit_mandates` is the only reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.payments.chart import PaymentMethod
from openbss.payments.methods import direct_debit_mandates as stored_mandates


@dataclass(frozen=True, slots=True)
class Mandate:
    billing_account_id: str
    bank: str  # a bank code (ICBC) or the bank's name as written (中国工商银行)
    account_no: str
    holder: str


def direct_debit_mandates(session: Session, province: str) -> list[Mandate]:
    """The province's accounts paying by bank collection with usable bank details: the
    TMF670 mandate where there is one, else the details in the account's document."""
    found = [
        Mandate(m.billing_account_id, m.bank_code, m.account_number, m.holder)
        for m in stored_mandates(session, province)
        if m.bank_code and m.account_number.isdigit()
    ]
    stored = {mandate.billing_account_id for mandate in found}
    for account in accounts.billing_accounts_of_province(session, province):
        if account.payment_method != PaymentMethod.BANK_COLLECTION or account.id in stored:
            continue
        details = _bank_details(account.doc or {})
        if details is None:
            continue
        bank, number = (
            str(details.get("bank") or "").strip(),
            str(details.get("accountNumber") or ""),
        )
        number = number.replace(" ", "")
        if bank and number.isdigit():
            holder = str(details.get("owner") or account.name or "")
            found.append(Mandate(account.id, bank, number, holder))
    return found


def _bank_details(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    candidates: list[Any] = []
    method = doc.get("defaultPaymentMethod")
    if isinstance(method, Mapping):
        candidates += [method.get("details"), method.get("bankAccount")]
    for plan in _dicts(doc.get("paymentPlan")):
        if str(plan.get("status") or "active").lower() == "active":
            plan_method = plan.get("paymentMethod")
            if isinstance(plan_method, Mapping):
                candidates += [plan_method.get("details"), plan_method.get("bankAccount")]
    for characteristic in _dicts(doc.get("characteristic")):
        if characteristic.get("name") == "bankAccount":
            candidates.append(characteristic.get("value"))
    return next((c for c in candidates if isinstance(c, Mapping) and c.get("accountNumber")), None)


def _dicts(value: object) -> Iterable[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
