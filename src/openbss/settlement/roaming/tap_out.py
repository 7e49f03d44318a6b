"""TAP out: our visitors' usage → one TAP 3.12 file per roaming partner per run.

**Who is a visitor.** A usage record whose IMSI starts with a prefix of the IMSI range table
(data: MCC + MNC, or longer) that belongs to a partner network we have an agreement with. Our
switches write visitors' calls like any other; mediation finds no product of ours for them, so
they sit in the usage store's rejects as UNKNOWN_SUBSCRIBER (rejects are never rewritten; a
record later guided to a product keeps its record id). Both the finished normalised usage and
those rejects are read, through mediation's public readers, and a record is taken once by its
record id.

**A run** is one transaction (the entry point's): for each partner with unsent records it
locks the (sender, recipient) sequence row, takes the next number, prices the records (the
inter-operator tariff in li, converted to micro-SDR with the exchange rate of the event's day),
writes ``CD<sender><recipient><seq>`` atomically and records the file and its record ids. A
run killed before its commit leaves no row: the next run takes the same number again and
overwrites the file, so numbers have no gaps. A record id sent to a partner is never sent to
it again, so a rerun with nothing new writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import insert
from sqlalchemy.orm import Session

from openbss.kit.clock import now
from openbss.kit.errors import BadRequest
from openbss.kit.ids import new_id
from openbss.mediation.public import finished_parts
from openbss.settlement.roaming import repository
from openbss.settlement.roaming.calculations import next_sequence, tap_file_name
from openbss.settlement.roaming.codec import (
    OutboundEvent,
    TapHeader,
    encode_notification,
    encode_tap,
)
from openbss.settlement.roaming.models import (
    FileDirection,
    FileKind,
    FileStatus,
    RoamingFile,
    TapRecord,
)
from openbss.settlement.roaming.pricing import RateBook, Tariff, TariffBook, price, quantity

UNKNOWN_SUBSCRIBER = "UNKNOWN_SUBSCRIBER"
COLUMNS = (
    "record_id",
    "event_time",
    "duration_s",
    "volume_up",
    "volume_down",
    "calling",
    "called",
    "service",
    "direction",
    "switch_id",
    "call_reference",
    "imsi",
)
SERVICES = ("voice", "sms", "data")


@dataclass(frozen=True)
class TapOutFile:
    partner: str
    sequence: int
    file_name: str
    path: Path
    records: int
    sdr_amount: int  # micro-SDR
    cny_amount: int  # fen


def roaming_dir(data_dir: Path, part: str) -> Path:
    return data_dir / "settlement" / "roaming" / part


def write_atomically(path: Path, content: bytes) -> str:
    """Write through a temporary file, fsync, rename; returns the SHA-256 of the content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return hashlib.sha256(content).hexdigest()


def _network_of(prefixes: dict[str, str]) -> pl.Expr:
    """The TADIG of an IMSI by its longest prefix in the table (null when none)."""
    by_length: dict[int, dict[str, str]] = {}
    for prefix, tadig in prefixes.items():
        by_length.setdefault(len(prefix), {})[prefix] = tadig
    found = [
        pl.col("imsi").str.slice(0, length).replace_strict(table, default=None)
        for length, table in sorted(by_length.items(), reverse=True)
    ]
    return pl.coalesce(found) if found else pl.lit(None, dtype=pl.String)


def visitor_usage(
    session: Session,
    data_dir: Path,
    province: str,
    prefixes: dict[str, str],
    partners: Iterable[str],
    days: Iterable[date] | None = None,
) -> pl.DataFrame:
    """Usage records of partners' subscribers, with their network in ``partner``."""
    wanted = list(days) if days is not None else None
    frames: list[pl.LazyFrame] = []
    normalised = finished_parts(session, data_dir, "normalised", province, wanted)
    if normalised:
        frames.append(pl.scan_parquet([str(p) for p in normalised]).select(COLUMNS))
    rejected = finished_parts(session, data_dir, "rejected", province, wanted)
    if rejected:
        frames.append(
            pl.scan_parquet([str(p) for p in rejected])
            .filter(pl.col("reason_code") == UNKNOWN_SUBSCRIBER)
            .select(COLUMNS)
        )
    if not frames or not prefixes:
        return pl.DataFrame()
    usage = (
        pl.concat(frames)
        .filter(pl.col("imsi").is_not_null() & pl.col("service").is_in(SERVICES))
        .with_columns(partner=_network_of(prefixes))
        .filter(pl.col("partner").is_in(list(partners)))
        .unique(subset="record_id", keep="first")
        .sort("event_time", "record_id")
    )
    return usage.collect()


def _tariff_book(session: Session) -> TariffBook:
    return TariffBook(
        [
            Tariff(
                t.partner_tadig,
                t.service,
                t.direction,
                t.increment,
                t.rate_li,
                t.valid_from,
                t.valid_to,
            )
            for t in repository.tariffs(session)
        ]
    )


def _events(
    rows: list[dict[str, object]],
    partner: str,
    tariffs: TariffBook,
    rates: RateBook,
    zone: ZoneInfo,
) -> tuple[list[OutboundEvent], list[tuple[int, int]], int]:
    """Priced events, the exchange rates they use (code, rate) and their total in li."""
    codes: dict[int, int] = {}
    events: list[OutboundEvent] = []
    total_li = 0
    for row in rows:
        moment = row["event_time"]
        assert isinstance(moment, datetime)
        service, direction = str(row["service"]), str(row["direction"] or "mo")
        direction = "mt" if direction == "mt" else "mo"
        duration = int(row["duration_s"] or 0)  # type: ignore[call-overload]
        up = int(row["volume_up"] or 0)  # type: ignore[call-overload]
        down = int(row["volume_down"] or 0)  # type: ignore[call-overload]
        day = moment.astimezone(zone).date()
        priced = price(
            tariffs, rates, partner, service, direction, day, quantity(service, duration, up, down)
        )
        code = codes.setdefault(priced.rate_micros, len(codes) + 1)
        own, other = (
            (row["called"], row["calling"])
            if direction == "mt"
            else (row["calling"], row["called"])
        )
        events.append(
            OutboundEvent(
                record_id=str(row["record_id"]),
                service=service,
                direction=direction,
                event_time=moment,
                imsi=str(row["imsi"]),
                msisdn=_digits_or_none(own),
                other_party=None if service == "data" else _digits_or_none(other),
                duration_s=duration,
                volume_up=up,
                volume_down=down,
                switch_id=None if row["switch_id"] is None else str(row["switch_id"]),
                call_reference=None
                if row["call_reference"] is None
                else str(row["call_reference"]),
                units=priced.units,
                charge=priced.sdr_micro,
                exchange_rate_code=code,
            )
        )
        total_li += priced.li
    return events, [(code, rate) for rate, code in codes.items()], total_li


def _digits_or_none(value: object) -> str | None:
    text = None if value is None else str(value).lstrip("+")
    return text if text and text.isdigit() else None


def run_tap_out(
    session: Session,
    data_dir: Path,
    province: str,
    home: str,
    *,
    zone: ZoneInfo,
    partner: str | None = None,
    days: Iterable[date] | None = None,
    created: datetime | None = None,
    notify: bool = False,
) -> list[TapOutFile]:
    """Write the TAP files of every partner (or one) with unsent visitor usage; with
    ``notify``, a notification (the next number, no records) to each partner with none.
    Flushes."""
    partners = [a.partner_tadig for a in repository.agreements(session, home)]
    if partner is not None:
        if partner not in partners:
            raise BadRequest(f"no roaming agreement between {home} and {partner}")
        partners = [partner]
    usage = visitor_usage(
        session, data_dir, province, repository.imsi_prefixes(session), partners, days
    )
    stamp = created or now()
    written: list[TapOutFile] = []
    if not usage.is_empty():
        written = _transfer_batches(session, data_dir, province, home, usage, zone, stamp)
    if notify:
        sent = {w.partner for w in written}
        for recipient in sorted(set(partners) - sent):
            written.append(_notification(session, data_dir, province, home, recipient, zone, stamp))
    session.flush()
    return written


def _record_file(
    session: Session,
    province: str,
    home: str,
    recipient: str,
    sequence: int,
    name: str,
    digest: str,
    events: list[OutboundEvent],
    fen: int,
    stamp: datetime,
) -> str:
    file_id = new_id()
    session.add(
        RoamingFile(
            id=file_id, direction=FileDirection.OUT, kind=FileKind.TAP, sender=home,
            recipient=recipient, sequence=sequence, province=province, file_name=name,
            checksum=digest, status=FileStatus.DONE, records=len(events), returned=0,
            sdr_amount=sum(e.charge for e in events), cny_amount=fen, created_at=stamp,
        )
    )  # fmt: skip
    session.flush()
    return file_id


def _notification(
    session: Session,
    data_dir: Path,
    province: str,
    home: str,
    recipient: str,
    zone: ZoneInfo,
    stamp: datetime,
) -> TapOutFile:
    counter = repository.locked_sequence(session, home, recipient, FileKind.TAP)
    sequence = next_sequence(counter.last_sequence)
    counter.last_sequence = sequence
    name = tap_file_name(home, recipient, sequence)
    path = roaming_dir(data_dir, "out") / name
    digest = write_atomically(path, encode_notification(home, recipient, sequence, stamp, zone))
    _record_file(session, province, home, recipient, sequence, name, digest, [], 0, stamp)
    return TapOutFile(recipient, sequence, name, path, 0, 0, 0)


def _transfer_batches(
    session: Session,
    data_dir: Path,
    province: str,
    home: str,
    usage: pl.DataFrame,
    zone: ZoneInfo,
    stamp: datetime,
) -> list[TapOutFile]:
    tariffs = _tariff_book(session)
    rates = RateBook(repository.exchange_rates(session))
    written: list[TapOutFile] = []
    for recipient in sorted(set(usage.get_column("partner").to_list())):
        # The lock comes first: a run that waited for another reads what that one sent.
        counter = repository.locked_sequence(session, home, recipient, FileKind.TAP)
        mine = usage.filter(pl.col("partner") == recipient)
        ids = mine.get_column("record_id").to_list()
        sent = repository.sent_record_ids(session, recipient, ids)
        if sent:
            mine = mine.filter(~pl.col("record_id").is_in(list(sent)))
        if mine.is_empty():
            continue
        events, used_rates, total_li = _events(mine.to_dicts(), recipient, tariffs, rates, zone)
        sequence = next_sequence(counter.last_sequence)
        counter.last_sequence = sequence
        header = TapHeader(home, recipient, sequence, stamp, used_rates)
        name = tap_file_name(home, recipient, sequence)
        path = roaming_dir(data_dir, "out") / name
        digest = write_atomically(path, encode_tap(header, events, zone))
        sdr = sum(e.charge for e in events)
        fen = (total_li + 5) // 10  # li to fen, half-up (amounts are never negative here)
        file_id = _record_file(
            session, province, home, recipient, sequence, name, digest, events, fen, stamp
        )
        session.execute(
            insert(TapRecord),
            [
                {"recipient": recipient, "record_id": e.record_id, "file_id": file_id,
                 "sdr_amount": e.charge}
                for e in events
            ],
        )  # fmt: skip
        written.append(TapOutFile(recipient, sequence, name, path, len(events), sdr, fen))
    return written
