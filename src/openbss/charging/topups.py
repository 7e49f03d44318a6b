"""Topping up a prepaid line: the balance credited, the ledger posted, a barred line resumed.

Money reaches a balance by a voucher (``vouchers.redeem``) or a payment (cash at a hall, a
bank, a gateway: :func:`pay_in`). Either way the main money bucket of the product is credited,
its validity pushed out as the offering says (``topUpValidityDays`` on the offering, else
:data:`DEFAULT_VALIDITY_DAYS`), the general ledger gets its balanced lines, and a line that a
prepaid bar suspended is resumed by an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openbss.catalog.public import get_offering
from openbss.charging.balances import PrepaidLine, subscriber_product
from openbss.charging.barring import resume_after_top_up
from openbss.charging.buckets import top_up
from openbss.charging.calculations import Owner
from openbss.charging.errors import InvalidAmount
from openbss.kit.errors import NotFound
from openbss.kit.money import LI_PER_FEN
from openbss.payments.public import (
    PaymentMethod,
    post_prepaid,
    prepaid_top_up_lines,
)

DEFAULT_VALIDITY_DAYS = 180
LIVE = ("active", "suspended")


@dataclass(frozen=True)
class ToppedUp:
    product_id: str
    bucket_id: str
    transaction_id: int
    amount_li: int
    balance_li: int  # the main bucket after the top-up
    valid_to: datetime | None
    resume_order_id: str | None
    replayed: bool


def validity_days(session: Session, offering_id: str) -> int:
    offering = get_offering(session, offering_id)
    days = offering.doc.get("topUpValidityDays") if offering is not None else None
    return (
        days
        if isinstance(days, int) and not isinstance(days, bool) and days > 0
        else (DEFAULT_VALIDITY_DAYS)
    )


def prepaid_line(session: Session, number: str, at: datetime) -> PrepaidLine:
    """The live (active or barred) prepaid line of a number, or a clear refusal."""
    found = subscriber_product(session, number, at, statuses=LIVE)
    if found is None:
        raise NotFound(f"no live prepaid line has the number {number!r}", code="NOT_PREPAID_LINE")
    return found


def credit_line(
    session: Session,
    line: PrepaidLine,
    *,
    amount_li: int,
    at: datetime,
    reason: str,
    reference: str,
    idempotency_key: str,
) -> ToppedUp:
    """Credit the line's main money bucket and resume it when a prepaid bar held it."""
    days = validity_days(session, line.offering_id)
    done = top_up(
        session,
        owner=Owner("product", line.product_id),
        amount_li=amount_li,
        at=at,
        reason=reason,
        reference=reference,
        extend_to=at + timedelta(days=days),
        idempotency_key=idempotency_key,
    )
    resumed = None if done.replayed else resume_after_top_up(session, line.product_id, reference)
    return ToppedUp(
        product_id=line.product_id,
        bucket_id=done.bucket_id,
        transaction_id=done.transaction_id,
        amount_li=amount_li,
        balance_li=done.remaining_after,
        valid_to=done.valid_to,
        resume_order_id=resumed,
        replayed=done.replayed,
    )


def pay_in(
    session: Session,
    *,
    number: str,
    amount_li: int,
    method: str,
    reference: str,
    at: datetime,
) -> ToppedUp:
    """Money paid onto a prepaid line (a hall's cash, a bank, a gateway), once per
    ``reference``; the ledger gets cash (or bank) against prepaid balances."""
    if amount_li <= 0 or amount_li % LI_PER_FEN:
        raise InvalidAmount("a payment onto a balance is a positive whole number of fen")
    if method not in {m.value for m in PaymentMethod}:
        raise InvalidAmount(f"unknown payment method {method!r}", code="INVALID_METHOD")
    line = prepaid_line(session, number, at)
    result = credit_line(
        session, line, amount_li=amount_li, at=at, reason=f"top-up by {method}",
        reference=reference, idempotency_key=f"payin:{reference}",
    )  # fmt: skip
    if not result.replayed and line.province:
        post_prepaid(
            session,
            province=line.province,
            entry_id=f"prepaid-topup:{reference}"[:64],
            entry_kind="prepaidTopUp",
            at=at,
            lines=prepaid_top_up_lines(amount_li // LI_PER_FEN, method),
        )
    return result
