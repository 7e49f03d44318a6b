"""RAP 1.5 out (the records we refuse, each in exactly one return batch) and in (a partner's
RAP file returning our TAP records, answered with an acknowledgement; a partner's
acknowledgement of our RAP file).

Writing RAP files is one transaction per run, like TAP out: per partner, the refused records
not yet returned are taken, the RAP sequence row is locked and advanced, the file is written
atomically and each record gets the file's id. A killed run leaves them pending and the
number unused. An undecodable event cannot be quoted in a severe return (its
``callEventDetail`` is required), so it is kept, listed, and not put in a RAP file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openbss.kit.clock import now
from openbss.kit.ids import new_id
from openbss.mediation.public import MediatedFileKind, decode_tap_bytes
from openbss.settlement.roaming import repository
from openbss.settlement.roaming.calculations import (
    ack_file_name,
    next_sequence,
    rap_file_name,
    sdr_micro_to_fen,
    to_micro,
)
from openbss.settlement.roaming.codec import (
    FatalReturn,
    SevereReturn,
    decode_audit,
    decode_event,
    decode_rap,
    encode_ack,
    encode_rap,
)
from openbss.settlement.roaming.errors import (
    RoamingFileNotFound,
    RoamingFileRefused,
    SequenceClash,
)
from openbss.settlement.roaming.models import (
    FileDirection,
    FileKind,
    FileStatus,
    ReturnedRecord,
    RoamingFile,
)
from openbss.settlement.roaming.pricing import RateBook
from openbss.settlement.roaming.tap_in import ERROR_CODES, FATAL_RECORD_NO, event_charge
from openbss.settlement.roaming.tap_out import roaming_dir, write_atomically

UNDECODABLE = ERROR_CODES["undecodable"]


@dataclass(frozen=True)
class RapOutFile:
    partner: str
    sequence: int
    file_name: str
    path: Path
    records: int
    sdr_amount: int


def write_raps(
    session: Session,
    data_dir: Path,
    province: str,
    home: str,
    *,
    zone: ZoneInfo,
    partner: str | None = None,
    created: datetime | None = None,
) -> list[RapOutFile]:
    """A RAP file per partner with refused records not yet returned; flushes."""
    pending = [
        (r, tap)
        for r, tap in repository.pending_returns(session, province, partner)
        if r.error_code != UNDECODABLE
    ]
    by_partner: dict[str, list[tuple[ReturnedRecord, RoamingFile]]] = {}
    for returned, tap in pending:
        by_partner.setdefault(tap.sender, []).append((returned, tap))
    stamp = created or now()
    written: list[RapOutFile] = []
    for recipient, items in sorted(by_partner.items()):
        counter = repository.locked_sequence(session, home, recipient, FileKind.RAP)
        sequence = next_sequence(counter.last_sequence)
        counter.last_sequence = sequence
        returns: list[SevereReturn | FatalReturn] = [
            FatalReturn(tap.sequence, decode_audit(bytes.fromhex(r.event_hex)), r.error_code)
            if r.record_no == FATAL_RECORD_NO
            else SevereReturn(
                tap.sequence, decode_event(bytes.fromhex(r.event_hex)), r.error_code, r.sdr_amount
            )
            for r, tap in items
        ]
        name = rap_file_name(home, recipient, sequence)
        content = encode_rap(home, recipient, sequence, stamp, returns, zone)
        digest = write_atomically(roaming_dir(data_dir, "out") / name, content)
        file_id = new_id()
        sdr = sum(r.sdr_amount for r, _ in items)
        session.add(
            RoamingFile(
                id=file_id,
                direction=FileDirection.OUT,
                kind=FileKind.RAP,
                sender=home,
                recipient=recipient,
                sequence=sequence,
                province=province,
                file_name=name,
                checksum=digest,
                status=FileStatus.DONE,
                records=len(items),
                returned=len(items),
                sdr_amount=sdr,
                cny_amount=0,
                created_at=stamp,
            )
        )
        for returned, _ in items:
            returned.rap_file_id = file_id
        session.flush()
        written.append(
            RapOutFile(
                recipient, sequence, name, roaming_dir(data_dir, "out") / name, len(items), sdr
            )
        )
    return written


@dataclass(frozen=True)
class Received:
    kind: str  # rap | ack
    partner: str
    sequence: int
    records: int
    sdr_amount: int  # micro-SDR returned to us (RAP)
    answer: str | None  # the acknowledgement file we wrote
    already: bool


def _returned_value(
    session: Session, home: str, partner: str, value: dict[str, Any], name: str
) -> tuple[int, int]:
    """How many records a return batch returns and their value in micro-SDR, checked: each
    severe return names a TAP file we sent the partner, and the audit total is the sum of
    the returned events' charges."""
    control = value["rapBatchControlInfoRap"]
    places = int(control.get("tapDecimalPlaces", 3))
    severe = [d for kind, d in value.get("returnDetails", []) if kind == "severeReturn"]
    total = 0
    for detail in severe:
        number = detail["fileSequenceNumber"].decode("ascii", "replace")
        ours = None
        if number.isdigit():
            ours = repository.file_by_key(
                session, FileDirection.OUT, FileKind.TAP, home, partner, int(number)
            )
        if ours is None:
            raise RoamingFileRefused(f"{name} returns a record of TAP file {number}, which we "
                                     f"never sent {partner}")  # fmt: skip
        total += event_charge(detail["callEventDetail"]) or 0
    audit = value.get("rapAuditControlInfo", {})
    declared = int(audit.get("totalSevereReturnValue", 0))
    if declared != total:
        raise RoamingFileRefused(
            f"{name}: totalSevereReturnValue {declared}, returned records' charges {total}"
        )
    count = int(audit.get("returnDetailsCount", len(value.get("returnDetails", []))))
    return count, to_micro(total, places)


def receive_rap(
    session: Session,
    data_dir: Path,
    province: str,
    home: str,
    path: Path,
    *,
    zone: ZoneInfo,
    created: datetime | None = None,
) -> Received:
    """Take a partner's RAP file (and acknowledge it) or acknowledgement; flushes."""
    buf = path.read_bytes()
    digest = hashlib.sha256(buf).hexdigest()
    decoded = decode_tap_bytes(buf)
    if decoded.file_error is not None:
        raise RoamingFileRefused(f"{path.name}: {decoded.file_error}")
    if decoded.kind not in (MediatedFileKind.RAP, MediatedFileKind.ACKNOWLEDGEMENT):
        raise RoamingFileRefused(f"{path.name} is not a RAP file or acknowledgement")
    sender, recipient, sequence = decoded.sender, decoded.details.get("recipient"), decoded.sequence
    if sender is None or sequence is None:
        raise RoamingFileRefused(f"{path.name}: no sender or RAP file sequence number")
    if recipient != home:
        raise RoamingFileRefused(f"{path.name} is addressed to {recipient}, not to {home}")
    if repository.agreement(session, home, sender) is None:
        raise RoamingFileRefused(f"no roaming agreement between {home} and {sender}")
    kind = FileKind.RAP if decoded.kind is MediatedFileKind.RAP else FileKind.ACK
    earlier = repository.file_by_key(session, FileDirection.IN, kind, sender, home, sequence)
    if earlier is not None:
        if earlier.checksum != digest:
            raise SequenceClash(
                f"{path.name}: {kind.value} sequence {sequence:05d} from {sender} was already "
                f"received with other content ({earlier.file_name})"
            )
        answer = None
        if kind is FileKind.RAP:
            answer = ack_file_name(home, sender, sequence)
        return Received(
            kind.value, sender, sequence, earlier.records, earlier.sdr_amount, answer, True
        )
    stamp = created or now()
    file_id = new_id()
    records, sdr, fen, answer = 0, 0, 0, None
    if kind is FileKind.RAP:
        _, value = decode_rap(buf)
        records, sdr = _returned_value(session, home, sender, value, path.name)
        rate = RateBook(repository.exchange_rates(session)).on(stamp.astimezone(zone).date())[1]
        fen = sdr_micro_to_fen(sdr, rate)
        answer = ack_file_name(home, sender, sequence)
        content = encode_ack(home, sender, f"{sequence:05d}", stamp, zone)
        ack_digest = write_atomically(roaming_dir(data_dir, "out") / answer, content)
        session.add(
            RoamingFile(
                id=new_id(),
                direction=FileDirection.OUT,
                kind=FileKind.ACK,
                sender=home,
                recipient=sender,
                sequence=sequence,
                province=province,
                file_name=answer,
                checksum=ack_digest,
                status=FileStatus.DONE,
                records=0,
                returned=0,
                sdr_amount=0,
                cny_amount=0,
                answers_file_id=file_id,
                created_at=stamp,
            )
        )
    else:
        ours = repository.file_by_key(
            session, FileDirection.OUT, FileKind.RAP, home, sender, sequence
        )
        if ours is None:
            raise RoamingFileNotFound(
                f"{path.name} acknowledges RAP file {sequence:05d}, which we never sent {sender}"
            )
        ours.status = FileStatus.ACKNOWLEDGED
    session.add(
        RoamingFile(
            id=file_id,
            direction=FileDirection.IN,
            kind=kind,
            sender=sender,
            recipient=home,
            sequence=sequence,
            province=province,
            file_name=path.name[:64],
            checksum=digest,
            status=FileStatus.DONE,
            records=records,
            returned=records,
            sdr_amount=sdr,
            cny_amount=fen,
            created_at=stamp,
        )
    )
    session.flush()
    return Received(kind.value, sender, sequence, records, sdr, answer, False)
