"""Decoder of the RADIUS accounting spool (collectors/radius.py) into broadband session rows.

One closed spool file in, one :class:`Decoded` out. A broadband session is reported by its NAS
as Start, any number of Interim-Updates and a Stop, all carrying the same Acct-Session-Id; the
counters in Interim-Update and Stop are cumulative since the Start (RFC 2866 §5). So the usage
of a session is exactly what its Stop says, and adding up packets would count it many times.

The rule — never lose usage, never count it twice:

* A session (Acct-Session-Id at one NAS) with a Stop in this file gives one usage row, from the
  Stop alone. Its Start and Interim-Update lines only join the row's ``raw``.
* A session without a Stop in this file gives one row with ``decode_error`` "session still
  open", carrying the counters of its latest Interim-Update (the largest Acct-Session-Time, as
  UDP may reorder them), or no counters after only a Start. It is a reject, so it is never
  billed next to the Stop that a later file brings; and if that Stop never comes (lost, NAS
  reboot) the last known usage is still there, with its reason, for the operator to recycle.
  A session that spans files is billed once, from the file with its Stop.
* Identical packets (a retransmission: same client, identifier and Request Authenticator) are
  counted once. A NAS that retransmits with a new Acct-Delay-Time sends a new packet (new
  identifier): several Stops of one session that agree on every counter are one session;
  Stops that disagree are rejected together ("conflicting Stop records") rather than guessed.
* A Stop whose counters are below an Interim-Update of the same session is rejected: the
  counters cannot go down within a session, so one of the packets is wrong. So is a volume
  beyond the int64 columns (2**63 octets; only a corrupt counter gets there).
* Accounting-On / Accounting-Off carry no usage; they are counted in ``details``.
* A line that is not a spooled packet (bad JSON, missing fields) is a row with ``decode_error``
  and the line as ``raw``. A last line without its newline was torn by a crash before it was
  fsynced, so its packet was never acknowledged and the NAS sends it again: it is rejected
  ("incomplete last line") and never billed.

Fields: ``event_time`` is the session start in UTC: the Event-Timestamp (the NAS's own clock,
RFC 2869 §5.3) minus Acct-Session-Time; without Event-Timestamp, the receive time minus
Acct-Delay-Time (RFC 2866 §5.2: how long the NAS had been trying to send) minus
Acct-Session-Time. Acct-Delay-Time is not subtracted from an Event-Timestamp, which already
is the time of the event. ``volume_up`` = Acct-Input-Octets + 2**32 × Acct-Input-Gigawords
(input = from the subscriber), ``volume_down`` likewise from the Output counters;
``duration_s`` = Acct-Session-Time; ``account_name`` = User-Name; ``calling`` =
Calling-Station-Id; ``called`` = Called-Station-Id; ``switch_id`` = NAS-IP-Address (else
NAS-IPv6-Address, NAS-Identifier, the client address); ``call_reference`` = Acct-Session-Id.

``record_no`` is the 0-based line of the packet that completes the row (the Stop, or the last
line of an open session); ``raw_ref`` names the 1-based lines the row was made from.
``sequence`` is the spool file's sequence number, taken from its name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openbss.mediation.records import (
    Decoded,
    ServiceKind,
    empty_raw,
    raw_table,
)

SESSION_STILL_OPEN = "session still open"
_FILE_NAME = re.compile(r"-(\d+)\.jsonl(?:\.part)?$")
_GIGAWORD = 2**32
_INT64_MAX = 2**63 - 1

START, STOP, INTERIM_UPDATE, ACCOUNTING_ON, ACCOUNTING_OFF = 1, 2, 3, 7, 8
_STATUS_NAMES = {
    "Start": START,
    "Stop": STOP,
    "Interim-Update": INTERIM_UPDATE,
    "Alive": INTERIM_UPDATE,
    "Accounting-On": ACCOUNTING_ON,
    "Accounting-Off": ACCOUNTING_OFF,
}


class _BadLine(ValueError):
    """A line that is not a usable accounting packet; the message is the decode_error."""


@dataclass(frozen=True)
class _Packet:
    line_no: int  # 0-based
    text: str
    received: datetime
    client: str
    status: int
    attributes: Mapping[str, list[object]]

    def text_attr(self, name: str) -> str | None:
        return _text_attr(self.attributes, name)

    def int_attr(self, name: str) -> int | None:
        return _int_attr(self.attributes, name)


def _first(attributes: Mapping[str, list[object]], name: str) -> object:
    values = attributes.get(name)
    return values[0] if values else None


def _text_attr(attributes: Mapping[str, list[object]], name: str) -> str | None:
    value = _first(attributes, name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("hex"), str):
        return f"0x{value['hex']}"  # not UTF-8 on the wire: keep the octets visible
    raise _BadLine(f"{name} is not text")


def _int_attr(attributes: Mapping[str, list[object]], name: str) -> int | None:
    value = _first(attributes, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadLine(f"{name} is not an unsigned integer")
    return value


@dataclass
class _Session:
    packets: list[_Packet] = field(default_factory=list)


@dataclass(frozen=True)
class _Usage:
    """The cumulative counters of one Interim-Update or Stop."""

    session_time: int | None
    volume_up: int | None
    volume_down: int | None

    def exceeds(self, other: _Usage) -> bool:
        pairs = (
            (self.session_time, other.session_time),
            (self.volume_up, other.volume_up),
            (self.volume_down, other.volume_down),
        )
        return any(
            mine is not None and theirs is not None and mine > theirs for mine, theirs in pairs
        )

    def fits(self) -> bool:
        """Whether the values fit the int64 columns (2**63 octets: only a corrupt counter)."""
        values = (self.session_time, self.volume_up, self.volume_down)
        return all(value is None or value <= _INT64_MAX for value in values)


def decode_radius_spool(path: Path) -> Decoded:
    """Decode one closed spool file of the RADIUS accounting collector (see module docstring)."""
    sequence_match = _FILE_NAME.search(path.name)
    sequence = int(sequence_match.group(1)) if sequence_match else None
    if path.name.endswith(".part"):
        return Decoded(
            records=empty_raw(),
            file_error="spool file is still being written (.part)",
            sequence=sequence,
        )
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn_last = lines[-1] != b""  # the writer ends every line with a newline
    if not torn_last:
        lines.pop()

    rows: list[dict[str, object]] = []
    sessions: dict[tuple[str, str], _Session] = {}
    seen: set[tuple[object, ...]] = set()
    counts = {"packets": 0, "duplicates": 0, "accounting_on_off": 0}
    for line_no, raw_line in enumerate(lines):
        text = raw_line.decode("utf-8", errors="backslashreplace")
        if not text.strip():
            continue
        if torn_last and line_no == len(lines) - 1:
            rows.append(_error_row(line_no, text, "incomplete last line (packet not acknowledged)"))
            continue
        try:
            if raw_line != text.encode("utf-8"):
                raise _BadLine("line is not UTF-8")
            packet, identity = _parse(line_no, text)
        except _BadLine as exc:
            rows.append(_error_row(line_no, text, str(exc)))
            continue
        if identity in seen:
            counts["duplicates"] += 1
            continue
        seen.add(identity)
        counts["packets"] += 1
        if packet.status in (ACCOUNTING_ON, ACCOUNTING_OFF):
            counts["accounting_on_off"] += 1
            continue
        if packet.status not in (START, STOP, INTERIM_UPDATE):
            rows.append(_error_row(line_no, text, f"unsupported Acct-Status-Type {packet.status}"))
            continue
        try:
            session_id = packet.text_attr("Acct-Session-Id")
            if not session_id:
                raise _BadLine("no Acct-Session-Id")
            key = (_nas(packet), session_id)
        except _BadLine as exc:
            rows.append(_error_row(line_no, text, str(exc)))
            continue
        sessions.setdefault(key, _Session()).packets.append(packet)

    closed = 0
    for session in sessions.values():
        row = _session_row(session)
        closed += row.get("decode_error") != SESSION_STILL_OPEN
        rows.append(row)
    rows.sort(key=_record_no)
    details = {name: str(value) for name, value in counts.items()}
    details["sessions_stopped"] = str(closed)
    details["sessions_open"] = str(len(sessions) - closed)
    return Decoded(records=raw_table(rows), sequence=sequence, details=details)


def _parse(line_no: int, text: str) -> tuple[_Packet, tuple[object, ...]]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise _BadLine("not a JSON object")
    attributes = record.get("attributes")
    client = record.get("client")
    if not isinstance(attributes, dict) or not all(
        isinstance(values, list) for values in attributes.values()
    ):
        raise _BadLine("no attributes")
    if not isinstance(client, str) or not client:
        raise _BadLine("no client address")
    received = _parse_time(record.get("received"))
    status_value = _first(attributes, "Acct-Status-Type")
    if isinstance(status_value, str) and status_value in _STATUS_NAMES:
        status: int | None = _STATUS_NAMES[status_value]
    else:
        status = _int_attr(attributes, "Acct-Status-Type")
    if status is None:
        raise _BadLine("no Acct-Status-Type")
    packet = _Packet(line_no, text, received, client, status, attributes)
    # A retransmission repeats identifier and Request Authenticator (the authenticator is an
    # MD5 over the whole packet, so it stands for the content); without them compare content.
    identifier, authenticator = record.get("id"), record.get("authenticator")
    if isinstance(identifier, int) and isinstance(authenticator, str):
        identity: tuple[object, ...] = (client, identifier, authenticator)
    else:
        identity = (client, json.dumps(attributes, sort_keys=True))
    return packet, identity


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise _BadLine("no receive time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _BadLine(f"bad receive time {value!r}") from None
    if moment.tzinfo is None:
        raise _BadLine("receive time without time zone")
    return moment.astimezone(UTC)


def _nas(packet: _Packet) -> str:
    return (
        packet.text_attr("NAS-IP-Address")
        or packet.text_attr("NAS-IPv6-Address")
        or packet.text_attr("NAS-Identifier")
        or packet.client
    )


def _usage(packet: _Packet) -> _Usage:
    def volume(octets: str, gigawords: str) -> int | None:
        low = packet.int_attr(octets)
        high = packet.int_attr(gigawords) or 0
        return None if low is None else low + high * _GIGAWORD

    return _Usage(
        session_time=packet.int_attr("Acct-Session-Time"),
        volume_up=volume("Acct-Input-Octets", "Acct-Input-Gigawords"),
        volume_down=volume("Acct-Output-Octets", "Acct-Output-Gigawords"),
    )


def _session_start(packet: _Packet, session_time: int | None) -> datetime:
    elapsed = timedelta(seconds=session_time or 0)
    event_timestamp = packet.int_attr("Event-Timestamp")
    if event_timestamp is not None:
        return datetime.fromtimestamp(event_timestamp, UTC) - elapsed
    delay = timedelta(seconds=packet.int_attr("Acct-Delay-Time") or 0)
    return packet.received - delay - elapsed


def _session_row(session: _Session) -> dict[str, object]:
    packets = session.packets
    stops = [packet for packet in packets if packet.status == STOP]
    interims = [packet for packet in packets if packet.status == INTERIM_UPDATE]
    last = max(packets, key=lambda packet: packet.line_no)
    raw = "\n".join(packet.text for packet in packets)
    lines = ",".join(str(packet.line_no + 1) for packet in packets)
    raw_ref = f"line={lines}" if len(packets) == 1 else f"lines={lines}"
    record_no = stops[0].line_no if stops else last.line_no
    try:
        interim_usages = [_usage(packet) for packet in interims]
        if stops:
            final = stops[0]
            usage = _usage(final)
            error = None
            if any(_usage(other) != usage for other in stops[1:]):
                error = "conflicting Stop records for one session"
            elif any(interim.exceeds(usage) for interim in interim_usages):
                error = "Stop counters below an earlier Interim-Update"
            elif usage.session_time is None:
                error = "Stop without Acct-Session-Time"
            elif usage.volume_up is None or usage.volume_down is None:
                error = "Stop without Acct-Input-Octets / Acct-Output-Octets"
        else:
            # The latest counters: the largest session time (UDP may reorder), then file order.
            final = max(
                interims or packets,
                key=lambda packet: (packet.int_attr("Acct-Session-Time") or 0, packet.line_no),
            )
            usage = _usage(final) if interims else _Usage(None, None, None)
            error = SESSION_STILL_OPEN
        if not usage.fits():
            usage, error = _Usage(None, None, None), "volume out of range"
        return {
            "record_no": record_no,
            "raw_ref": raw_ref,
            "event_time": _session_start(final, usage.session_time),
            "duration_s": usage.session_time,
            "volume_up": usage.volume_up,
            "volume_down": usage.volume_down,
            "calling": final.text_attr("Calling-Station-Id"),
            "called": final.text_attr("Called-Station-Id"),
            "service": ServiceKind.BROADBAND.value,
            "direction": None,  # a session is neither originating nor terminating
            "switch_id": _nas(final),
            "call_reference": final.text_attr("Acct-Session-Id"),
            "account_name": final.text_attr("User-Name"),
            "raw": raw,
            "decode_error": error,
        }
    except (_BadLine, OverflowError, OSError, ValueError) as exc:
        return _error_row(record_no, raw, str(exc), raw_ref=raw_ref)


def _record_no(row: Mapping[str, object]) -> int:
    number = row["record_no"]
    assert isinstance(number, int)
    return number


def _error_row(
    line_no: int, raw: str, error: str, *, raw_ref: str | None = None
) -> dict[str, object]:
    return {
        "record_no": line_no,
        "raw_ref": raw_ref or f"line={line_no + 1}",
        "service": ServiceKind.BROADBAND.value,
        "raw": raw,
        "decode_error": error,
    }
