"""Writing the receivables ledger: items with their journal lines, matches, allocation, and
posting final bills. Services flush; the caller's unit of work commits.

Every writer of an account's ledger first calls :func:`repository.lock_account`, then reads open
amounts, then writes: the lock makes "read what is open, then settle it" atomic per account on
both databases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from openbss.billing import public as billing
from openbss.kit.clock import now
from openbss.kit.ids import new_id
from openbss.payments import chart, repository
from openbss.payments.allocation import Allocation, OpenItem, allocate
from openbss.payments.chart import GlAccount, Line
from openbss.payments.models import (
    DEBIT_KINDS,
    ItemKind,
    JournalLine,
    LedgerItem,
    LedgerMatch,
    PostedPeriod,
    Side,
)

# The provinces' books are kept in Beijing time: a payment at 00:30 on the 1st is the 1st's.
BOOKS_TIME_ZONE = ZoneInfo("Asia/Shanghai")
# Credits that allocation spends on bills by itself; a deposit is held until it is applied.
SPENDABLE_CREDITS = (ItemKind.PAYMENT, ItemKind.CREDIT_NOTE)


def business_day(instant: datetime) -> date:
    return instant.astimezone(BOOKS_TIME_ZONE).date()


def journal(
    session: Session,
    *,
    province: str,
    entry_id: str,
    entry_kind: str,
    day: date,
    billing_account_id: str | None,
    lines: Sequence[Line],
) -> None:
    """Write a posting's lines (already balanced by ``chart``)."""
    stamp = now()
    rows = [
        _line_row(
            province,
            entry_id,
            day,
            line,
            billing_account_id if line.on_customer_account else None,
            stamp,
            entry_kind=entry_kind,
        )
        for line in chart.balanced(lines)
    ]
    if rows:
        session.execute(insert(JournalLine), rows)


def post_item(
    session: Session,
    *,
    province: str,
    billing_account_id: str,
    kind: ItemKind,
    amount_fen: int,
    source_id: str,
    lines: Sequence[Line],
    control: GlAccount = GlAccount.RECEIVABLE,
    day: date | None = None,
    due_date: date | None = None,
    note: str | None = None,
    created_by: str | None = None,
) -> LedgerItem:
    """Write one item and its journal lines; the account must be locked by the caller."""
    if amount_fen <= 0:
        raise ValueError(f"a ledger item is a positive amount, got {amount_fen} fen")
    stamp = now()
    day = day or business_day(stamp)
    item = LedgerItem(
        id=new_id(),
        province=province,
        billing_account_id=billing_account_id,
        side=Side.DEBIT if kind in DEBIT_KINDS else Side.CREDIT,
        kind=kind,
        control=control,
        amount_fen=amount_fen,
        source_id=source_id,
        due_date=due_date,
        business_date=day,
        note=note,
        created_by=created_by,
        created_at=stamp,
    )
    session.add(item)
    session.flush()
    journal(
        session,
        province=province,
        entry_id=item.id,
        entry_kind=kind,
        day=day,
        billing_account_id=billing_account_id,
        lines=lines,
    )
    return item


def match(
    session: Session,
    debit: LedgerItem,
    credit: LedgerItem,
    amount_fen: int,
    *,
    undoes: str | None = None,
    day: date | None = None,
) -> LedgerMatch:
    """Settle ``amount_fen`` of ``debit`` with ``credit`` (negative, with ``undoes``, to take an
    earlier match back). A credit in another control account (a deposit applied to a bill)
    moves the money between the two accounts in the journal."""
    stamp = now()
    day = day or business_day(stamp)
    row = LedgerMatch(
        id=new_id(),
        province=debit.province,
        billing_account_id=debit.billing_account_id,
        debit_item_id=debit.id,
        credit_item_id=credit.id,
        amount_fen=amount_fen,
        undoes_match_id=undoes,
        business_date=day,
        created_at=stamp,
    )
    session.add(row)
    session.flush()
    transfer = chart.transfer_lines(amount_fen, GlAccount(debit.control), GlAccount(credit.control))
    if transfer:
        journal(
            session,
            province=debit.province,
            entry_id=row.id,
            entry_kind="transfer",
            day=day,
            billing_account_id=debit.billing_account_id,
            lines=transfer,
        )
    return row


def spend(
    session: Session, credit: LedgerItem, available_fen: int, *, named: str | None = None
) -> list[Allocation]:
    """Allocate up to ``available_fen`` of ``credit`` to the account's open debits (oldest
    first, or only the named one; a payment settles only what sits in its own control
    account unless a debit is named). Returns what was allocated."""
    open_debits = {
        item.id: (item, left)
        for item, left in repository.open_items(session, credit.billing_account_id, Side.DEBIT)
        if named is not None or item.control == credit.control
    }
    candidates = [
        OpenItem(
            item.id, left, item.due_date or item.business_date, item.created_at, item.source_id
        )
        for item, left in open_debits.values()
    ]
    allocations = allocate(available_fen, candidates, named=named)
    for allocation in allocations:
        match(session, open_debits[allocation.item_id][0], credit, allocation.amount_fen)
    sync_bills(session, [open_debits[a.item_id][0] for a in allocations])
    return allocations


def settle_account(session: Session, billing_account_id: str) -> int:
    """Spend every open payment and credit note of the account on its open debits, oldest
    credit first (an overpayment is used by the next bill this way). Returns fen allocated."""
    total = 0
    credits = repository.open_items(
        session, billing_account_id, Side.CREDIT, kinds=SPENDABLE_CREDITS
    )
    for credit, left in sorted(credits, key=lambda pair: (pair[0].created_at, pair[0].id)):
        total += sum(a.amount_fen for a in spend(session, credit, left))
    return total


def sync_bills(session: Session, debits: Iterable[LedgerItem]) -> None:
    """Tell billing how much of each bill touched is now settled (state and remaining)."""
    bills = [item for item in debits if item.kind == ItemKind.BILL]
    if not bills:
        return
    settled = repository.settled_by_source(session, [item.id for item in bills])
    billing.record_settlements(session, [(item.source_id, settled[item.id]) for item in bills])


# ----- final bills into the ledger ------------------------------------------------------------


def post_final_bills(session: Session, province: str) -> list[PostedPeriod]:
    """Post the bills of every finalised period not yet in the ledger (a period in one go,
    so a killed posting leaves the period unposted and the next call posts it whole), then
    spend credit balances of the billed accounts on their new bills."""
    done = repository.posted_periods(session, province)
    posted: list[PostedPeriod] = []
    for period in billing.finalised_periods(session, province):
        if period in done:
            continue
        posted.append(_post_period(session, province, period))
    return posted


def _post_period(session: Session, province: str, period: str) -> PostedPeriod:
    bills = 0
    amount = 0
    billed_accounts: list[str] = []
    for chunk in billing.final_bills(session, province, period):
        bills += len(chunk)
        amount += sum(bill.amount_fen for bill in chunk)
        billed_accounts.extend(bill.billing_account_id for bill in chunk if bill.amount_fen > 0)
        _post_bill_chunk(session, province, period, chunk)
    mark = PostedPeriod(province=province, period=period, bills=bills, amount_fen=amount)
    session.add(mark)
    session.flush()  # a concurrent posting of the period fails here, on the primary key
    for account_id in repository.accounts_with_open_credit(
        session, billed_accounts, SPENDABLE_CREDITS
    ):
        repository.lock_account(session, account_id, province)
        settle_account(session, account_id)
    return mark


def _post_bill_chunk(
    session: Session, province: str, period: str, chunk: Sequence[billing.FinalBill]
) -> None:
    """One journal entry per bill date of the chunk: a receivable line per bill, revenue and
    tax summed over the bills of that date (every day's lines sum to zero)."""
    stamp = now()
    entries: dict[date, str] = {}
    items: list[dict[str, object]] = []
    lines: list[Mapping[str, object]] = []
    revenue: dict[tuple[date, GlAccount, str], int] = {}
    for bill in chunk:
        if bill.amount_fen <= 0:
            continue  # nothing owed (a zero bill, or a credit carried by billing itself)
        entry_id = entries.setdefault(bill.bill_date, new_id())
        items.append(
            {
                "id": new_id(),
                "province": province,
                "billing_account_id": bill.billing_account_id,
                "side": Side.DEBIT,
                "kind": ItemKind.BILL,
                "control": GlAccount.RECEIVABLE,
                "amount_fen": bill.amount_fen,
                "source_id": bill.id,
                "due_date": bill.due_date,
                "business_date": bill.bill_date,
                "note": f"{period} {bill.bill_no}",
                "created_by": None,
                "created_at": stamp,
            }
        )
        parts = [
            chart.RevenuePart(p.charge_type, p.tax_category, p.amount_fen, p.tax_fen)
            for p in bill.revenue
        ]
        for line in chart.bill_lines(bill.amount_fen, parts):
            if line.on_customer_account:
                lines.append(
                    _line_row(
                        province, entry_id, bill.bill_date, line, bill.billing_account_id, stamp
                    )
                )
            else:
                key = (bill.bill_date, line.gl_account, line.dimension)
                revenue[key] = revenue.get(key, 0) + line.amount_fen
    if not items:
        return
    for (day, gl_account, dimension), fen in sorted(revenue.items()):
        line = Line(gl_account, fen, dimension)
        lines.append(_line_row(province, entries[day], day, line, None, stamp))
    session.execute(insert(LedgerItem), items)
    session.execute(insert(JournalLine), lines)


def _line_row(
    province: str,
    entry_id: str,
    day: date,
    line: Line,
    billing_account_id: str | None,
    stamp: datetime,
    *,
    entry_kind: str = ItemKind.BILL,
) -> Mapping[str, object]:
    return {
        "province": province,
        "entry_id": entry_id,
        "entry_kind": entry_kind,
        "business_date": day,
        "gl_account": str(line.gl_account),
        "dimension": line.dimension,
        "billing_account_id": billing_account_id,
        "amount_fen": line.amount_fen,
        "created_at": stamp,
    }


def post_prepaid(
    session: Session,
    *,
    province: str,
    entry_id: str,
    entry_kind: str,
    at: datetime,
    lines: Sequence[Line],
) -> None:
    """Journal a prepaid posting (``chart``'s voucher and prepaid lines) on the business day
    of ``at``. Prepaid balances are not receivables: no ledger item, no customer account."""
    journal(
        session,
        province=province,
        entry_id=entry_id,
        entry_kind=entry_kind,
        day=business_day(at),
        billing_account_id=None,
        lines=lines,
    )
