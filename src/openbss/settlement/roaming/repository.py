"""Every query of roaming settlement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openbss.settlement.roaming.models import (
    ExchangeRate,
    FileSequence,
    ImsiRange,
    ReturnedRecord,
    RoamingAgreement,
    RoamingFile,
    RoamingTariff,
    TapRecord,
)

QUERY_CHUNK = 500


def agreements(session: Session, home: str | None = None) -> list[RoamingAgreement]:
    query = select(RoamingAgreement).order_by(RoamingAgreement.partner_tadig)
    if home is not None:
        query = query.where(RoamingAgreement.home_tadig == home)
    return list(session.scalars(query))


def agreement(session: Session, home: str, partner: str) -> RoamingAgreement | None:
    return session.scalars(
        select(RoamingAgreement).where(
            RoamingAgreement.home_tadig == home, RoamingAgreement.partner_tadig == partner
        )
    ).first()


def imsi_prefixes(session: Session) -> dict[str, str]:
    return {row.prefix: row.tadig for row in session.scalars(select(ImsiRange))}


def tariffs(session: Session) -> list[RoamingTariff]:
    return list(session.scalars(select(RoamingTariff).order_by(RoamingTariff.valid_from)))


def exchange_rates(session: Session, currency: str = "CNY") -> list[tuple[date, int]]:
    rows = session.execute(
        select(ExchangeRate.day, ExchangeRate.rate_micros)
        .where(ExchangeRate.currency == currency)
        .order_by(ExchangeRate.day)
    )
    return [(day, rate) for day, rate in rows]


def locked_sequence(session: Session, sender: str, recipient: str, kind: str) -> FileSequence:
    """The counter row, locked until the transaction ends (created at 0 when new).

    The row is inserted if missing with ON CONFLICT DO NOTHING, then read FOR UPDATE: two
    runs starting together on PostgreSQL queue on the row instead of one failing on its key.
    """
    values = {"sender": sender, "recipient": recipient, "kind": kind, "last_sequence": 0}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(FileSequence).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(FileSequence).values(values).on_conflict_do_nothing())
    row = session.get(
        FileSequence, (sender, recipient, kind), with_for_update=True, populate_existing=True
    )
    assert row is not None
    return row


def sent_record_ids(session: Session, recipient: str, record_ids: Sequence[str]) -> set[str]:
    sent: set[str] = set()
    for start in range(0, len(record_ids), QUERY_CHUNK):
        chunk = record_ids[start : start + QUERY_CHUNK]
        sent.update(
            session.scalars(
                select(TapRecord.record_id).where(
                    TapRecord.recipient == recipient, TapRecord.record_id.in_(chunk)
                )
            )
        )
    return sent


def file_by_key(
    session: Session, direction: str, kind: str, sender: str, recipient: str, sequence: int
) -> RoamingFile | None:
    return session.scalars(
        select(RoamingFile).where(
            RoamingFile.direction == direction,
            RoamingFile.kind == kind,
            RoamingFile.sender == sender,
            RoamingFile.recipient == recipient,
            RoamingFile.sequence == sequence,
        )
    ).first()


def files(
    session: Session,
    province: str | None,
    *,
    kind: str | None = None,
    partner: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RoamingFile]:
    query = select(RoamingFile).order_by(
        RoamingFile.created_at, RoamingFile.sender, RoamingFile.recipient, RoamingFile.kind,
        RoamingFile.sequence, RoamingFile.id,
    )  # fmt: skip
    if province is not None:
        query = query.where(RoamingFile.province == province)
    if kind is not None:
        query = query.where(RoamingFile.kind == kind)
    if partner is not None:
        query = query.where((RoamingFile.sender == partner) | (RoamingFile.recipient == partner))
    if since is not None:
        query = query.where(RoamingFile.created_at >= since)
    if until is not None:
        query = query.where(RoamingFile.created_at < until)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.scalars(query))


def tap_records_of(session: Session, file_id: str) -> list[TapRecord]:
    return list(
        session.scalars(
            select(TapRecord).where(TapRecord.file_id == file_id).order_by(TapRecord.record_id)
        )
    )


def pending_returns(
    session: Session, province: str, partner: str | None = None
) -> list[tuple[ReturnedRecord, RoamingFile]]:
    """Refused inbound records not yet in a RAP file, with the TAP file each came in."""
    query = (
        select(ReturnedRecord, RoamingFile)
        .join(RoamingFile, RoamingFile.id == ReturnedRecord.tap_file_id)
        .where(ReturnedRecord.rap_file_id.is_(None), RoamingFile.province == province)
        .order_by(RoamingFile.sender, RoamingFile.sequence, ReturnedRecord.record_no)
    )
    if partner is not None:
        query = query.where(RoamingFile.sender == partner)
    return [(returned, tap) for returned, tap in session.execute(query)]


def returns_of(session: Session, tap_file_ids: Iterable[str]) -> list[ReturnedRecord]:
    ids = list(tap_file_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(ReturnedRecord)
            .where(ReturnedRecord.tap_file_id.in_(ids))
            .order_by(ReturnedRecord.tap_file_id, ReturnedRecord.record_no)
        )
    )
