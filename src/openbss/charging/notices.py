"""Low-balance and expiry notices, and the daily prepaid job.

Notices go through the notification outbox (``payments``' notifications): one row per notice
key, handed to the SMS or e-mail sender after commit, naming the billing account only (the
sender looks the contact up, so no number passes through here). Texts are bilingual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.charging import repository as repo
from openbss.charging import vouchers
from openbss.charging.balances import MAIN_BUCKET, available, owners_of, release_expired
from openbss.charging.buckets import expire_due
from openbss.charging.calculations import Unit
from openbss.charging.models import RevenueMark
from openbss.inventory.public import get_product
from openbss.kit.money import LI_PER_FEN, LI_PER_YUAN
from openbss.payments.public import (
    business_day,
    enqueue_notification,
    post_prepaid,
    prepaid_revenue_lines,
)

LOW_BALANCE_LI = 5 * LI_PER_YUAN  # 5 yuan
EXPIRY_NOTICE_DAYS = 7
CHANNEL = "sms"


def _yuan(li: int) -> str:
    return f"{li / LI_PER_YUAN:.2f}"


def notify_low_balance(
    session: Session, *, product_id: str, at: datetime, threshold_li: int = LOW_BALANCE_LI
) -> bool:
    """Queue a low-balance SMS for a prepaid line whose money (its own and its account's)
    is below ``threshold_li``; at most one a day. True when a notice was queued."""
    product = get_product(session, product_id)
    if product is None or not product.billing_account_id or not product.province:
        return False
    left = available(session, owners_of(session, product_id), Unit.LI, at)
    if left >= threshold_li:
        return False
    day = business_day(at).isoformat()
    return enqueue_notification(
        session,
        key=f"prepaid:{product_id}:low:{day}",
        province=product.province,
        billing_account_id=product.billing_account_id,
        channel=CHANNEL,
        texts=(
            f"尊敬的客户，您的预付费余额为 {_yuan(left)} 元，已低于 {_yuan(threshold_li)} 元，"
            "请及时充值。",
            f"Your prepaid balance is {_yuan(left)} yuan, below {_yuan(threshold_li)} yuan. "
            "Please top up.",
        ),
    )


def notify_expiring(session: Session, at: datetime, days: int = EXPIRY_NOTICE_DAYS) -> int:
    """Queue one notice per main money bucket that expires within ``days``; returns how many
    were queued (a bucket is noticed once per expiry date)."""
    queued = 0
    for bucket in repo.expiring_buckets(session, at, at + timedelta(days=days), MAIN_BUCKET):
        product = get_product(session, bucket.owner_id) if bucket.owner_kind == "product" else None
        account_id = (
            product.billing_account_id
            if product is not None
            else (bucket.owner_id if bucket.owner_kind == "account" else None)
        )
        if account_id is None or bucket.valid_to is None:
            continue
        until = business_day(bucket.valid_to).isoformat()
        if enqueue_notification(
            session,
            key=f"prepaid:{bucket.id}:expiry:{until}",
            province=bucket.province,
            billing_account_id=account_id,
            channel=CHANNEL,
            texts=(
                f"尊敬的客户，您的预付费余额 {_yuan(bucket.remaining)} 元将于 {until} 到期，"
                "充值可延长有效期。",
                f"Your prepaid balance of {_yuan(bucket.remaining)} yuan expires on {until}; "
                "a top-up extends it.",
            ),
        ):
            queued += 1
    return queued


SETTLE_DELAY = timedelta(minutes=1)  # a debit older than this has committed


ALL = "*"  # the mark row of how far the log has been read; one row per province carries


def _mark(session: Session, marks: dict[str, RevenueMark], province: str) -> RevenueMark:
    mark = marks.get(province)
    if mark is None:
        mark = RevenueMark(province=province, last_transaction_id=0, carried_li=0)
        session.add(mark)
        marks[province] = mark
    return mark


def post_usage_revenue(session: Session, at: datetime) -> int:
    """Post the money debited from prepaid balances since the last posting as revenue
    (prepaid balances down, revenue up), per province, carrying each province's sub-fen rest
    to the next posting; returns the fen posted. Twice at one instant posts nothing more."""
    marks = {m.province: m for m in session.scalars(select(RevenueMark).with_for_update())}
    read = _mark(session, marks, ALL)
    posted = 0
    for province, li, last in repo.money_debits_since(
        session, read.last_transaction_id, at - SETTLE_DELAY
    ):
        mark = _mark(session, marks, province)
        fen, mark.carried_li = divmod(li + mark.carried_li, LI_PER_FEN)
        mark.last_transaction_id, mark.posted_at = last, at
        read.last_transaction_id = max(read.last_transaction_id, last)
        if fen:
            post_prepaid(
                session,
                province=province,
                entry_id=f"prepaid-usage:{province}:{last}",
                entry_kind="prepaidUsage",
                at=at,
                lines=prepaid_revenue_lines(fen, "prepaid-usage"),
            )
            posted += fen
    read.posted_at = at
    session.flush()
    return posted


@dataclass(frozen=True)
class DailyReport:
    reservations_released: int
    buckets_expired: int
    money_expired_li: int
    vouchers_expired: int
    notices: int
    usage_revenue_fen: int


def run_daily(session: Session, at: datetime) -> DailyReport:
    """Release reservations of silent sessions, expire buckets and vouchers, post the money
    used (debited) and the money that expired unused as revenue, and queue expiry notices.
    Running it twice at the same instant changes nothing the second time."""
    released = release_expired(session, at, limit=100_000)
    expired = expire_due(session, at, limit=100_000)
    for province, li in sorted(expired.money_li.items()):
        fen = li // LI_PER_FEN  # the sub-fen rest of a used balance never reached the books
        if fen:
            post_prepaid(
                session,
                province=province,
                entry_id=f"prepaid-expiry:{province}:{at.isoformat()}"[:64],
                entry_kind="prepaidExpiry",
                at=at,
                lines=prepaid_revenue_lines(fen, "prepaid-expiry"),
            )
    cards = vouchers.expire(session, at)
    notices = notify_expiring(session, at)
    revenue = post_usage_revenue(session, at)
    return DailyReport(
        released, expired.buckets, sum(expired.money_li.values()), cards, notices, revenue
    )
