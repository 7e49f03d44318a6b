"""TAP in: a partner's TAP 3.12 file of our subscribers' usage abroad.

The file is decoded by mediation's TAP decoder (strict framing, one row per call event). Each
record is then checked for settlement (:data:`ERROR_CODES`); the records that pass go on
through mediation's own pipeline as one batch of the sender's source — normalised, guided to
the subscriber's product and stored as usage, which rating and the bill run then charge like
any other usage. That is the existing path to the bill; nothing else is written for the
customer. The refused records wait, each once, for the next RAP file (``rap.py``).

Idempotent and safe to kill: mediation's batch is keyed by the file's content (a second
ingest of the same content is a duplicate file and changes nothing), and the file's row and
its refused records are written in one transaction after it, keyed by (sender, recipient,
sequence). Killed between the two, a rerun finds mediation's batch done and writes the row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.ids import new_id
from openbss.mediation.public import (
    Decoded,
    Ingest,
    MediatedFileKind,
    ber,
    decode_tap_bytes,
    finished_parts,
    ingest_decoded,
)
from openbss.settlement.roaming import repository
from openbss.settlement.roaming.calculations import imsi_network, sdr_micro_to_fen, to_micro
from openbss.settlement.roaming.codec import decode_event
from openbss.settlement.roaming.errors import RoamingFileRefused, SequenceClash
from openbss.settlement.roaming.models import (
    FileDirection,
    FileKind,
    FileStatus,
    ReturnedRecord,
    RoamingFile,
)
from openbss.settlement.roaming.pricing import RateBook

ACCOUNTING_INFO, AUDIT_CONTROL_INFO = ber.app(5), ber.app(15)
DEFAULT_DECIMAL_PLACES = 3
# Why we refuse a record, as the error code the RAP file carries. The codes are this
# operator's table (docs/domain/settlement-roaming.md), one per rule, checked in this order.
ERROR_CODES: dict[str, int] = {
    "undecodable": 10,
    "imsi_missing": 20,
    "imsi_not_ours": 21,
    "time_missing": 30,
    "time_future": 31,
    "negative_usage": 40,
    "charge_missing": 50,
    "charge_negative": 51,
    "duplicate": 70,  # mediation found it a duplicate: not billed, so not owed
    "audit_mismatch": 60,  # the whole file: callEventDetailsCount differs (a fatal return)
}
FATAL_RECORD_NO = -1  # a refused file's own row among its returned records
FUTURE_TOLERANCE_S = 3600


@dataclass(frozen=True)
class TapInResult:
    file_id: str
    partner: str
    sequence: int
    records: int
    accepted: int
    returned: int
    sdr_amount: int  # micro-SDR of accepted records: what we owe the partner
    cny_amount: int  # fen
    already: bool  # the file had been taken before: nothing changed
    refused_whole: bool = False  # its audit control does not match: a fatal return


def _decimal_places(buf: bytes) -> int:
    """tapDecimalPlaces of the batch's AccountingInfo (TD.57 default 3 when absent)."""
    from pycrate_asn1dir import TAP3

    top = ber.frame(buf)
    for member in ber.children(buf, top):
        if member.key == ACCOUNTING_INFO:
            obj = TAP3.TAP_0312.AccountingInfo
            try:
                obj.from_ber(buf[member.start : member.end])
            except Exception as exc:
                raise RoamingFileRefused(f"AccountingInfo invalid: {exc}") from exc
            return int(obj.get_val().get("tapDecimalPlaces", DEFAULT_DECIMAL_PLACES))
    return DEFAULT_DECIMAL_PLACES


def event_charge(event: tuple[str, Any]) -> int | None:
    """The sum of a call event's charges (charge type "00", the total), in the file's
    decimal places; None when it has no charge at all."""
    _, value = event
    lists: list[Any] = []
    for used in value.get("basicServiceUsedList", []):
        lists.extend(used.get("chargeInformationList", []))
    lists.extend(value.get("gprsServiceUsed", {}).get("chargeInformationList", []))
    lists.extend(value.get("supplServiceUsed", {}).get("chargeInformationList", []))
    charges = [
        detail["charge"]
        for info in lists
        for detail in info.get("chargeDetailList", [])
        if detail.get("chargeType") == b"00" and "charge" in detail
    ]
    return sum(charges) if charges else None


@dataclass(frozen=True)
class Verdict:
    rule: str | None  # None: accepted
    reason: str
    charge: int  # micro-SDR (0 when unknown)
    event: tuple[str, Any] | None


def check_record(
    row: dict[str, Any], home: str, prefixes: dict[str, str], places: int, moment: datetime
) -> Verdict:
    """Settlement's checks of one inbound record (mediation decoded it already)."""
    event = None
    if row.get("raw"):
        try:
            event = decode_event(bytes.fromhex(row["raw"]))
        except ValueError:
            event = None
    if row.get("decode_error") or event is None:
        return Verdict("undecodable", str(row.get("decode_error") or "undecodable"), 0, None)
    raw_charge = event_charge(event)
    charge = 0 if raw_charge is None else to_micro(raw_charge, places)
    rules: list[tuple[str, bool, str]] = [
        ("imsi_missing", not row.get("imsi"), "no IMSI"),
        (
            "imsi_not_ours",
            imsi_network(row.get("imsi"), prefixes) != home,
            f"IMSI {row.get('imsi')} is not a subscriber of {home}",
        ),
        ("time_missing", row.get("event_time") is None, "no event time"),
        (
            "time_future",
            row.get("event_time") is not None
            and (row["event_time"] - moment).total_seconds() > FUTURE_TOLERANCE_S,
            "event time in the future",
        ),
        (
            "negative_usage",
            any((row.get(c) or 0) < 0 for c in ("duration_s", "volume_up", "volume_down")),
            "negative usage",
        ),
        ("charge_missing", raw_charge is None, "no charge"),
        ("charge_negative", raw_charge is not None and raw_charge < 0, "negative charge"),
    ]
    for rule, failed, reason in rules:
        if failed:
            return Verdict(rule, reason, charge, event)
    return Verdict(None, "", charge, event)


def receive_tap(
    factory: sessionmaker[Session],
    data_dir: Path,
    province: str,
    home: str,
    path: Path,
    *,
    zone: ZoneInfo,
) -> TapInResult:
    """Take one partner TAP file (see the module docstring). Entry point: it owns its
    transactions."""
    buf = path.read_bytes()
    digest = hashlib.sha256(buf).hexdigest()
    decoded = decode_tap_bytes(buf)
    if decoded.file_error is not None:
        raise RoamingFileRefused(f"{path.name}: {decoded.file_error}")
    if decoded.kind is not MediatedFileKind.USAGE:
        raise RoamingFileRefused(
            f"{path.name} is a TAP {decoded.kind.value}, not a transfer batch "
            "(RAP files and acknowledgements go to `roaming ack`)"
        )
    sender, recipient, sequence = decoded.sender, decoded.details.get("recipient"), decoded.sequence
    if sender is None or sequence is None:
        raise RoamingFileRefused(f"{path.name}: no sender or file sequence number")
    if recipient != home:
        raise RoamingFileRefused(f"{path.name} is addressed to {recipient}, not to {home}")
    with unit_of_work(factory) as session:
        if repository.agreement(session, home, sender) is None:
            raise RoamingFileRefused(f"no roaming agreement between {home} and {sender}")
        earlier = repository.file_by_key(
            session, FileDirection.IN, FileKind.TAP, sender, recipient, sequence
        )
        if earlier is not None:
            return _earlier(earlier, digest, path.name)
        prefixes = repository.imsi_prefixes(session)
        rates = RateBook(repository.exchange_rates(session))
    if "audit_mismatch" in decoded.details:
        return _refuse_file(factory, province, path.name, digest, buf, decoded)
    places = _decimal_places(buf)
    rows = decoded.records.to_pylist()
    moment = now()
    verdicts = [check_record(row, home, prefixes, places, moment) for row in rows]
    accepted = [i for i, v in enumerate(verdicts) if v.rule is None]
    records = _international(
        decoded.records.take(pa.array(accepted, type=pa.int64())),
        [rows[i] for i in accepted],
        [verdicts[i].event for i in accepted],
    )
    outcome = ingest_decoded(
        Ingest(factory, data_dir, province),
        path.name,
        digest,
        "tap",
        Decoded(records=records, sequence=sequence, sender=sender, details=decoded.details),
        sender,
    )
    if outcome.status == "rejected":  # e.g. another file already processed under this name
        raise RoamingFileRefused(f"{path.name}: mediation refused the file: {outcome.error}")
    # Records mediation found to be duplicates (of this file or of the partner's earlier
    # files) are not billed, so they are not owed either: they are returned.
    for record_no in _duplicates(factory, data_dir, province, digest, rows, accepted):
        verdicts[record_no] = Verdict(
            "duplicate", "duplicate of a record already received", verdicts[record_no].charge,
            verdicts[record_no].event,
        )  # fmt: skip
    accepted = [i for i, v in enumerate(verdicts) if v.rule is None]
    fen = 0
    for index in accepted:
        day = _day(rows[index]["event_time"], zone)
        fen += sdr_micro_to_fen(verdicts[index].charge, rates.on(day)[1])
    with unit_of_work(factory, writes=True) as session:
        earlier = repository.file_by_key(
            session, FileDirection.IN, FileKind.TAP, sender, recipient, sequence
        )
        if earlier is not None:  # another run finished first
            return _earlier(earlier, digest, path.name)
        file_id = new_id()
        sdr = sum(verdicts[i].charge for i in accepted)
        returned = [(i, v) for i, v in enumerate(verdicts) if v.rule is not None]
        session.add(
            RoamingFile(
                id=file_id,
                direction=FileDirection.IN,
                kind=FileKind.TAP,
                sender=sender,
                recipient=recipient,
                sequence=sequence,
                province=province,
                file_name=path.name[:64],
                checksum=digest,
                status=FileStatus.DONE,
                records=len(rows),
                returned=len(returned),
                sdr_amount=sdr,
                cny_amount=fen,
            )
        )
        session.flush()
        for index, verdict in returned:
            assert verdict.rule is not None
            session.add(
                ReturnedRecord(
                    tap_file_id=file_id,
                    record_no=int(rows[index]["record_no"]),
                    error_code=ERROR_CODES[verdict.rule],
                    reason=verdict.reason[:2000],
                    event_hex=str(rows[index].get("raw") or ""),
                    sdr_amount=verdict.charge,
                )
            )
        session.flush()
    return TapInResult(
        file_id, sender, sequence, len(rows), len(accepted), len(returned), sdr, fen, False
    )


def _international(
    table: pa.Table, rows: list[dict[str, Any]], events: list[tuple[str, Any] | None]
) -> pa.Table:
    """TD.57 writes the MSISDN, calledNumber and callingNumber as international numbers
    without a prefix (country code first); mediation's numbering rules read "+" + digits as
    E.164, so those get the "+" (dialled digits stay as dialled)."""
    calling: list[str | None] = []
    called: list[str | None] = []
    for row, event in zip(rows, events, strict=True):
        kind, value = event if event is not None else ("", {})
        basic = value.get("basicCallInformation", {})
        own_is_msisdn = True  # the chargeable subscriber's number is its MSISDN
        other = "calledNumber" in basic.get("destination", {}) or "callingNumber" in basic.get(
            "callOriginator", {}
        )
        mt = kind == "mobileTerminatedCall"
        calling.append(_plus(row.get("calling"), other if mt else own_is_msisdn))
        called.append(_plus(row.get("called"), own_is_msisdn if mt else other))
    table = table.set_column(
        table.schema.get_field_index("calling"), "calling", pa.array(calling, pa.string())
    )
    return table.set_column(
        table.schema.get_field_index("called"), "called", pa.array(called, pa.string())
    )


def _plus(number: object, international: bool) -> str | None:
    if number is None:
        return None
    text = str(number)
    return f"+{text}" if international and text.isdigit() else text


def _duplicates(
    factory: sessionmaker[Session],
    data_dir: Path,
    province: str,
    digest: str,
    rows: list[dict[str, Any]],
    accepted: list[int],
) -> list[int]:
    """The record numbers of this file's accepted records that mediation stored as
    duplicates. Its record ids are ``<content digest[:20]>:<record_no>``, so they are found
    in the duplicate area by the file's content, also after a run killed half-way."""
    days: set[date] = set()
    for index in accepted:
        moment = rows[index]["event_time"]
        if isinstance(moment, datetime):
            day = moment.astimezone(UTC).date()
            days.update(day + timedelta(days=offset) for offset in (-1, 0, 1))
    if not days:
        return []
    with factory() as session:
        parts = finished_parts(session, data_dir, "duplicate", province, sorted(days))
    if not parts:
        return []
    prefix = f"{digest[:20]}:"
    found = (
        pl.scan_parquet([str(p) for p in parts])
        .select("record_id")
        .filter(pl.col("record_id").str.starts_with(prefix))
        .collect()
        .get_column("record_id")
        .to_list()
    )
    return sorted(int(record_id.removeprefix(prefix)) for record_id in found)


def _member(buf: bytes, key: int) -> bytes | None:
    top = ber.frame(buf)
    for member in ber.children(buf, top):
        if member.key == key:
            return buf[member.start : member.end]
    return None


def _refuse_file(
    factory: sessionmaker[Session],
    province: str,
    name: str,
    digest: str,
    buf: bytes,
    decoded: Decoded,
) -> TapInResult:
    """A file whose audit control does not match its events is refused whole (TD.57: a fatal
    error): nothing of it is billed or owed, and it waits for the next RAP file as a fatal
    return quoting its AuditControlInfo."""
    sender, recipient, sequence = decoded.sender, decoded.details["recipient"], decoded.sequence
    assert sender is not None and sequence is not None
    audit = _member(buf, AUDIT_CONTROL_INFO)
    assert audit is not None  # mediation's decoder requires it
    records = decoded.records.num_rows
    with unit_of_work(factory, writes=True) as session:
        earlier = repository.file_by_key(
            session, FileDirection.IN, FileKind.TAP, sender, recipient, sequence
        )
        if earlier is not None:
            return _earlier(earlier, digest, name)
        file_id = new_id()
        session.add(
            RoamingFile(
                id=file_id, direction=FileDirection.IN, kind=FileKind.TAP, sender=sender,
                recipient=recipient, sequence=sequence, province=province, file_name=name[:64],
                checksum=digest, status=FileStatus.REFUSED, records=records, returned=records,
                sdr_amount=0, cny_amount=0,
            )
        )  # fmt: skip
        session.flush()
        session.add(
            ReturnedRecord(
                tap_file_id=file_id, record_no=FATAL_RECORD_NO,
                error_code=ERROR_CODES["audit_mismatch"],
                reason=decoded.details["audit_mismatch"], event_hex=audit.hex(), sdr_amount=0,
            )
        )  # fmt: skip
        session.flush()
    return TapInResult(file_id, sender, sequence, records, 0, records, 0, 0, False, True)


def _day(moment: object, zone: ZoneInfo) -> date:
    assert isinstance(moment, datetime)
    return moment.astimezone(zone).date()


def _earlier(row: RoamingFile, digest: str, name: str) -> TapInResult:
    if row.checksum != digest:
        raise SequenceClash(
            f"{name}: sequence {row.sequence:05d} from {row.sender} was already received "
            f"with other content ({row.file_name})"
        )
    return TapInResult(
        row.id,
        row.sender,
        row.sequence,
        row.records,
        row.records - row.returned,
        row.returned,
        row.sdr_amount,
        row.cny_amount,
        True,
        row.status == FileStatus.REFUSED,
    )
