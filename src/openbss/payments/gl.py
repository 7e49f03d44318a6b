"""The general ledger export: a business day's journal for the finance system.

Each posting of the day (a bill date's bills, a payment, a refund, a late fee, a write-off, a
transfer between control accounts) is one entry; its lines are summed per GL account and
dimension (a customer's own account is the sub-ledger's business, not the GL's), written as
debit and credit columns in fen. The totals by account and dimension (revenue by service and
tax category, tax payable, receivables, cash and bank, bad debt) follow, and the trial balance:
the day's debits must equal its credits, or the export fails with the difference.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from openbss.kit.errors import Unprocessable
from openbss.payments.chart import GL_NAMES, GlAccount
from openbss.payments.models import JournalLine

CSV_COLUMNS = (
    "date", "entry", "entry_kind", "gl_account", "name_zh", "name_en", "dimension",
    "debit_fen", "credit_fen",
)  # fmt: skip


class TrialBalanceError(Unprocessable):
    code = "TRIAL_BALANCE_NOT_ZERO"


@dataclass(frozen=True, slots=True)
class GlTotal:
    gl_account: str
    dimension: str
    debit_fen: int
    credit_fen: int


@dataclass(frozen=True, slots=True)
class GlDay:
    day: date
    entries: int
    lines: int
    debit_fen: int
    credit_fen: int
    totals: tuple[GlTotal, ...]

    @property
    def difference_fen(self) -> int:
        return self.debit_fen - self.credit_fen


def gl_names(gl_account: str) -> tuple[str, str]:
    try:
        return GL_NAMES[GlAccount(gl_account)]
    except ValueError:
        return ("", "")


def _debit_credit(amount_fen: int) -> tuple[int, int]:
    return (amount_fen, 0) if amount_fen >= 0 else (0, -amount_fen)


def summarise(session: Session, province: str, day: date) -> GlDay:
    """The day's totals by account and dimension, and its trial balance."""
    totals = []
    debit = credit = 0
    rows = session.execute(
        select(
            JournalLine.gl_account,
            JournalLine.dimension,
            func.sum(case((JournalLine.amount_fen > 0, JournalLine.amount_fen), else_=0)),
            func.sum(case((JournalLine.amount_fen < 0, -JournalLine.amount_fen), else_=0)),
        )
        .where(JournalLine.province == province, JournalLine.business_date == day)
        .group_by(JournalLine.gl_account, JournalLine.dimension)
        .order_by(JournalLine.gl_account, JournalLine.dimension)
    )
    for gl_account, dimension, debits, credits in rows:
        total = GlTotal(str(gl_account), str(dimension or ""), int(debits), int(credits))
        debit += total.debit_fen
        credit += total.credit_fen
        totals.append(total)
    entries, lines = session.execute(
        select(func.count(func.distinct(JournalLine.entry_id)), func.count()).where(
            JournalLine.province == province, JournalLine.business_date == day
        )
    ).one()
    return GlDay(day, int(entries), int(lines), debit, credit, tuple(totals))


def entry_lines(
    session: Session, province: str, day: date
) -> Iterator[tuple[str, str, str, str, int]]:
    """(entry, kind, GL account, dimension, amount) of the day, summed per entry, account and
    dimension, streamed in entry order."""
    rows = session.execute(
        select(
            JournalLine.entry_id,
            JournalLine.entry_kind,
            JournalLine.gl_account,
            JournalLine.dimension,
            func.sum(JournalLine.amount_fen),
        )
        .where(JournalLine.province == province, JournalLine.business_date == day)
        .group_by(
            JournalLine.entry_id,
            JournalLine.entry_kind,
            JournalLine.gl_account,
            JournalLine.dimension,
        )
        .order_by(JournalLine.entry_id, JournalLine.gl_account, JournalLine.dimension)
        .execution_options(yield_per=10_000)
    )
    for entry, kind, gl_account, dimension, amount in rows:
        if int(amount) != 0:
            yield str(entry), str(kind), str(gl_account), str(dimension or ""), int(amount)


def export_day(session: Session, province: str, day: date, out: TextIO) -> GlDay:
    """Write the day's journal as CSV to ``out``; raises :class:`TrialBalanceError` (after
    writing, so the finance team can see the lines) when debits and credits differ."""
    summary = summarise(session, province, day)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry, kind, gl_account, dimension, amount in entry_lines(session, province, day):
        debit, credit = _debit_credit(amount)
        zh, en = gl_names(gl_account)
        writer.writerow(
            [day.isoformat(), entry, kind, gl_account, zh, en, dimension, debit, credit]
        )
    if summary.difference_fen != 0:
        raise TrialBalanceError(
            f"the journal of {day} does not balance: debits {summary.debit_fen} fen, "
            f"credits {summary.credit_fen} fen, difference {summary.difference_fen} fen"
        )
    return summary
