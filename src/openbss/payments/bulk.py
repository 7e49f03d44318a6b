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

from sqlalchemy import Date, Table, bindparam, insert, text
from sqlalchemy.orm import Session

from openbss.billing import public as billing
from openbss.db.types import UTCDateTime
from openbss.payments import chart
from openbss.payments.allocation import OpenItem, allocate
from openbss.payments.chart import GlAccount, PaymentMethod
from openbss.payments.collection_models import CollectionResult, LineOutcome
from openbss.payments.models import ItemKind, LedgerMatch, PaymentStatus, Side

SQLITE_CACHE_KIB = 256 * 1024
_RESULTS: Table = CollectionResult.__table__  # type: ignore[assignment]
_MATCHES: Table = LedgerMatch.__table__  # type: ignore[assignment]
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
    if session.get_bind().dialect.name == "sqlite":
        # The ledger's indexes are written at random places (ids are random): a page cache
        # that holds them saves a read per row (the default is 2 MB; this is per connection).
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    if rows:
        # Core, not the ORM's bulk insert: a chunk is tens of thousands of plain rows.
        session.execute(insert(_RESULTS), list(rows))
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
    _allocate(session, params, rows)
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


def _allocate(
    session: Session, params: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Spend the chunk's payments on their accounts' open debits with the allocation
    ``take_payment`` uses (:func:`allocation.allocate`, oldest first), the payments of an
    account in file order; write the matches and tell billing the bills' settled amounts."""
    duplicates = {
        int(position)
        for position in session.scalars(
            text(
                "SELECT position FROM ar_collection_result WHERE import_id = :import_id "
                "AND position >= :lo AND position < :hi AND outcome = 'duplicate'"
            ),
            {key: params[key] for key in ("import_id", "lo", "hi")},
        )
    }
    credits: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        if row["outcome"] in APPLIED and row["position"] not in duplicates:
            credits.setdefault(row["billing_account_id"], []).append(
                (row["credit_item_id"], row["paid_fen"])
            )
    if not credits:
        return
    debits = _open_debits(session, params)
    matches: list[dict[str, Any]] = []
    settled: dict[str, tuple[str, int, int]] = {}  # debit id → (bill id, amount, settled)
    for account, account_credits in credits.items():
        items = debits.get(account, [])
        for credit_id, fen in account_credits:
            for allocation in allocate(fen, [item for item, _ in items if item.open_fen > 0]):
                matches.append(
                    {"province": params["province"], "billing_account_id": account,
                     "debit_item_id": allocation.item_id, "credit_item_id": credit_id,
                     "amount_fen": allocation.amount_fen, "undoes_match_id": None,
                     "business_date": params["day"], "created_at": params["stamp"]}
                )  # fmt: skip
                items = [
                    (_less(item, allocation.amount_fen), meta)
                    if item.id == allocation.item_id
                    else (item, meta)
                    for item, meta in items
                ]
        for item, (kind, amount) in items:
            if kind == ItemKind.BILL:
                settled[item.id] = (item.source_id, amount, amount - item.open_fen)
    for match_row, match_id in zip(matches, new_ids(len(matches)), strict=True):
        match_row["id"] = match_id
    if matches:
        session.execute(insert(_MATCHES), matches)
    touched = {str(m["debit_item_id"]) for m in matches}
    billing.record_settlements_in_bulk(
        session,
        [
            # A bill a payment touched has a positive settled amount, so its new state never
            # depends on the state it had (``current`` is read only when nothing is settled).
            (bill_id, fen, billing.settlement_state(amount, fen, ""))
            for debit_id, (bill_id, amount, fen) in settled.items()
            if debit_id in touched
        ],
    )


def _less(item: OpenItem, fen: int) -> OpenItem:
    return OpenItem(item.id, item.open_fen - fen, item.due_date, item.posted_at, item.source_id)


def _open_debits(
    session: Session, params: Mapping[str, Any]
) -> dict[str, list[tuple[OpenItem, tuple[str, int]]]]:
    """The receivable debits of the chunk's accounts with what is open of each (and their
    kind and amount), per account."""
    statement = text(
        f"""
        SELECT i.id, i.billing_account_id, i.kind, i.source_id, i.amount_fen,
               COALESCE(i.due_date, i.business_date) AS due, i.created_at,
               (SELECT COALESCE(SUM(m.amount_fen), 0) FROM ar_match m
                WHERE m.debit_item_id = i.id) AS matched
        FROM ar_item i
        WHERE i.billing_account_id IN (SELECT r.billing_account_id {_CHUNK_ROWS})
          AND i.side = '{Side.DEBIT}' AND i.control = '{GlAccount.RECEIVABLE}'
        """
    ).columns(due=Date(), created_at=UTCDateTime())
    found: dict[str, list[tuple[OpenItem, tuple[str, int]]]] = {}
    for item_id, account, kind, source_id, amount, due, created_at, matched in session.execute(
        statement, {key: params[key] for key in ("import_id", "lo", "hi")}
    ):
        item = OpenItem(item_id, int(amount) - int(matched), due, created_at, source_id)
        found.setdefault(account, []).append((item, (kind, int(amount))))
    return found
