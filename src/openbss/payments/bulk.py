"""Payments applied set-based: a chunk of a bank result file in a handful of statements.

:func:`payments.take_payment` writes, per payment, a TMF676 row, a credit item, its journal
lines, one match per bill it settles, and each bill's settled amount; a result file of a
million lines cannot afford a million of those round trips. Here the chunk's result lines are
inserted once (``ar_collection_result``, which is also the record of what the bank answered),
and every other row is derived from them with INSERT … SELECT:

* the accounts' ledger locks, taken together (in id order on PostgreSQL, so two writers never
  deadlock), then lines whose payment reference was already taken marked ``duplicate``;
* payments, credit items and journal lines (the lines of :func:`chart.payment_lines`);
* the allocation, oldest debit first, as the overlap of two running sums per account: the
  payments in file order, and the open debits in the order :func:`allocation.oldest_first`
  gives (due date, posting time, id). A payment covering fen ``[a, b)`` of the account's
  payments meets a debit covering ``[c, d)`` of its open debits for ``min(b, d) - max(a, c)``
  fen — exactly what taking the payments one at a time allocates;
* the bills' settled amounts, through billing's ``record_settlements_in_bulk``.

The rows are the ones ``take_payment`` writes (a test compares the two paths); only the bill
events are not emitted one by one, the import reports its own totals.
"""

# The statements below are assembled from this module's constants and enum values only; every
# value from a file or a caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, insert, text
from sqlalchemy.orm import Session

from openbss.billing import public as billing
from openbss.db.types import UTCDateTime
from openbss.payments import chart
from openbss.payments.chart import GlAccount, PaymentMethod
from openbss.payments.collection_models import CollectionResult, LineOutcome
from openbss.payments.models import ItemKind, PaymentStatus, Side

APPLIED = (LineOutcome.PAID.value, LineOutcome.PARTIAL.value)
_CHUNK_ROWS = """
    FROM ar_collection_result r
    WHERE r.import_id = :import_id AND r.position >= :lo AND r.position < :hi
      AND r.outcome IN ('paid', 'partial')
"""


def new_ids(count: int) -> list[str]:
    """``count`` random UUID4 texts (the form of ``kit.ids.new_id``), made in one go: a million
    ids one ``uuid4()`` at a time would cost seconds of a bulk import."""
    data = os.urandom(16 * count).hex()
    ids = []
    for start in range(0, 32 * count, 32):
        h = data[start : start + 32]
        variant = "89ab"[int(h[16], 16) & 3]
        ids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return ids


def apply_chunk(
    session: Session,
    *,
    province: str,
    import_id: str,
    lo: int,
    hi: int,
    rows: Sequence[Mapping[str, Any]],
    channel: str,
    stamp: datetime,
    day: date,
    created_by: str | None = None,
) -> int:
    """Record the result lines ``rows`` (positions ``lo`` to ``hi``, exclusive) and apply the
    paid and partial ones as payments. Returns the number of payments taken. The caller's
    transaction holds the chunk: it commits all of it or none."""
    if rows:
        session.execute(insert(CollectionResult), [dict(row) for row in rows])
    if not any(row["outcome"] in APPLIED for row in rows):
        return 0
    params: dict[str, Any] = {
        "import_id": import_id,
        "lo": lo,
        "hi": hi,
        "province": province,
        "stamp": stamp,
        "day": day,
        "channel": channel,
        "created_by": created_by,
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    _lock_accounts(session, params, postgres)
    _execute(
        session,
        """
        UPDATE ar_collection_result SET outcome = 'duplicate', payment_id = NULL,
               credit_item_id = NULL, reason = 'payment reference already taken'
        WHERE import_id = :import_id AND position >= :lo AND position < :hi
          AND outcome IN ('paid', 'partial')
          AND EXISTS (SELECT 1 FROM ar_payment p
                      WHERE p.province = :province AND p.reference = ar_collection_result.reference)
        """,
        params,
    )
    doc = "CAST('{}' AS JSONB)" if postgres else "'{}'"
    taken = _execute(
        session,
        f"""
        INSERT INTO ar_payment (id, province, doc, created_at, updated_at, billing_account_id,
            reference, method, amount_fen, status, received_at, request_hash, credit_item_id,
            channel, created_by)
        SELECT r.payment_id, :province, {doc}, :stamp, :stamp, r.billing_account_id,
            r.reference, '{PaymentMethod.BANK_COLLECTION}', r.paid_fen,
            '{PaymentStatus.RECEIVED}', :stamp, r.request_hash, r.credit_item_id,
            :channel, :created_by
        {_CHUNK_ROWS}
        """,
        params,
    )
    _execute(
        session,
        f"""
        INSERT INTO ar_item (id, province, billing_account_id, side, kind, control, amount_fen,
            source_id, due_date, business_date, note, created_by, created_at)
        SELECT r.credit_item_id, :province, r.billing_account_id, '{Side.CREDIT}',
            '{ItemKind.PAYMENT}', '{GlAccount.RECEIVABLE}', r.paid_fen, r.payment_id, NULL, :day,
            r.reference, :created_by, :stamp
        {_CHUNK_ROWS}
        """,
        params,
    )
    for line in chart.payment_lines(1, PaymentMethod.BANK_COLLECTION):
        account = "r.billing_account_id" if line.on_customer_account else "NULL"
        _execute(
            session,
            f"""
            INSERT INTO ar_journal (province, entry_id, entry_kind, business_date, gl_account,
                dimension, billing_account_id, amount_fen, created_at)
            SELECT :province, r.credit_item_id, '{ItemKind.PAYMENT}', :day,
                '{line.gl_account}', '{line.dimension}', {account},
                {line.amount_fen} * r.paid_fen, :stamp
            {_CHUNK_ROWS}
            """,
            params,
        )
    _allocate(session, params, postgres)
    _sync_bills(session, params)
    return taken


def _execute(session: Session, sql: str, params: Mapping[str, Any]) -> int:
    statement = text(sql)
    if ":stamp" in sql:
        statement = statement.bindparams(bindparam("stamp", type_=UTCDateTime()))
    if ":day" in sql:
        statement = statement.bindparams(bindparam("day", type_=Date()))
    used = {key: value for key, value in params.items() if f":{key}" in sql}
    result = session.execute(statement, used)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _lock_accounts(session: Session, params: Mapping[str, Any], postgres: bool) -> None:
    """Every writer of an account's ledger takes its lock first (``repository.lock_account``);
    here the chunk's accounts at once, the missing ledger heads created."""
    accounts = f"SELECT r.billing_account_id {_CHUNK_ROWS}"
    if postgres:
        _execute(
            session,
            f"""SELECT billing_account_id FROM ar_account WHERE billing_account_id IN ({accounts})
                ORDER BY billing_account_id FOR UPDATE""",
            params,
        )
    _execute(
        session,
        f"UPDATE ar_account SET version = version + 1 WHERE billing_account_id IN ({accounts})",
        params,
    )
    _execute(
        session,
        f"""
        INSERT INTO ar_account (billing_account_id, province, version, created_at)
        SELECT DISTINCT r.billing_account_id, :province, 1, :stamp {_CHUNK_ROWS}
          AND NOT EXISTS (SELECT 1 FROM ar_account a
                          WHERE a.billing_account_id = r.billing_account_id)
        ON CONFLICT (billing_account_id) DO NOTHING
        """,
        params,
    )


def _allocate(session: Session, params: Mapping[str, Any], postgres: bool) -> None:
    # PostgreSQL compares text by the database's collation; ids are ordered byte-wise as in
    # Python's sort, so the two paths pick the same debit on a tie of date and time.
    collate = ' COLLATE "C"' if postgres else ""
    _execute(
        session,
        f"""
        WITH credit AS (
            SELECT r.credit_item_id AS credit_id, r.billing_account_id AS account,
                   r.paid_fen AS fen,
                   SUM(r.paid_fen) OVER (PARTITION BY r.billing_account_id ORDER BY r.position
                                         ROWS UNBOUNDED PRECEDING) - r.paid_fen AS lo
            {_CHUNK_ROWS}
        ),
        matched AS (
            SELECT m.debit_item_id AS item_id, SUM(m.amount_fen) AS fen FROM ar_match m
            WHERE m.billing_account_id IN (SELECT account FROM credit)
            GROUP BY m.debit_item_id
        ),
        open_debit AS (
            SELECT i.id, i.billing_account_id AS account,
                   i.amount_fen - COALESCE(mt.fen, 0) AS fen,
                   COALESCE(i.due_date, i.business_date) AS due, i.created_at
            FROM ar_item i LEFT JOIN matched mt ON mt.item_id = i.id
            WHERE i.billing_account_id IN (SELECT account FROM credit)
              AND i.side = '{Side.DEBIT}' AND i.control = '{GlAccount.RECEIVABLE}'
        ),
        debit AS (
            SELECT id, account, fen,
                   SUM(fen) OVER (PARTITION BY account ORDER BY due, created_at, id{collate}
                                  ROWS UNBOUNDED PRECEDING) - fen AS lo
            FROM open_debit WHERE fen > 0
        ),
        pair AS (
            SELECT c.credit_id, c.account, d.id AS debit_id, d.lo AS debit_lo,
                   (CASE WHEN c.lo + c.fen < d.lo + d.fen THEN c.lo + c.fen ELSE d.lo + d.fen END)
                   - (CASE WHEN c.lo > d.lo THEN c.lo ELSE d.lo END) AS fen
            FROM credit c JOIN debit d ON d.account = c.account
            WHERE c.lo < d.lo + d.fen AND d.lo < c.lo + c.fen
        )
        INSERT INTO ar_match (id, province, billing_account_id, debit_item_id, credit_item_id,
            amount_fen, undoes_match_id, business_date, created_at)
        SELECT credit_id || '/' || CAST(ROW_NUMBER() OVER (PARTITION BY credit_id
                                                           ORDER BY debit_lo) AS VARCHAR),
               :province, account, debit_id, credit_id, fen, NULL, :day, :stamp
        FROM pair
        """,
        params,
    )


def _sync_bills(session: Session, params: Mapping[str, Any]) -> None:
    """Tell billing each touched bill's settled amount (all its matches, old and new)."""
    rows = session.execute(
        text(
            f"""
            SELECT i.source_id, i.amount_fen, SUM(m.amount_fen)
            FROM ar_item i JOIN ar_match m ON m.debit_item_id = i.id
            WHERE i.kind = '{ItemKind.BILL}' AND i.id IN (
                SELECT t.debit_item_id FROM ar_match t WHERE t.credit_item_id IN (
                    SELECT r.credit_item_id {_CHUNK_ROWS}))
            GROUP BY i.id, i.source_id, i.amount_fen
            """
        ),
        {key: params[key] for key in ("import_id", "lo", "hi")},
    )
    # A bill a payment touched has a positive settled amount, so its new state never depends
    # on the state it had (settlement_state reads ``current`` only for nothing settled).
    billing.record_settlements_in_bulk(
        session,
        [
            (bill_id, int(settled), billing.settlement_state(int(amount), int(settled), ""))
            for bill_id, amount, settled in rows
        ],
    )
