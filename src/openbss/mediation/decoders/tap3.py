"""GSMA TAP 3.12 transfer batches and notifications, and RAP 1.5 return batches and
acknowledgements, decoded strictly.

The ASN.1 work is pycrate's (``TAP_0312`` and ``RAP_0105`` of ``pycrate_asn1dir.TAP3``), but
pycrate stops where the top-level value ends and accepts trailing end-of-contents octets or
garbage after it, and it reads an NRTRDE file as a (strange) transfer batch, since both use
``[APPLICATION 1]``. So the file is first framed with ber.py: exactly one TLV, every nested
length consistent, ending at the last byte; then the top-level tag and the transfer batch's
children say what the file is.

A transfer batch's header groups are decoded as a whole (a failure rejects the file); each call
event is decoded on its own, so one bad event becomes one row with ``decode_error``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openbss.mediation.decoders import ber
from openbss.mediation.records import (
    Decoded,
    Direction,
    FileKind,
    ServiceKind,
    empty_raw,
    raw_table,
)

TRANSFER_BATCH, NOTIFICATION = ber.app(1), ber.app(2)
RETURN_BATCH, ACKNOWLEDGEMENT = ber.app(534), ber.app(535)
# TransferBatch members: batchControlInfo, accountingInfo, networkInfo, messageDescriptionInfo,
# callEventDetails, auditControlInfo.
BATCH_CONTROL, ACCOUNTING, NETWORK, MESSAGE_DESCRIPTION = (ber.app(n) for n in (4, 5, 6, 8))
CALL_EVENTS, AUDIT_CONTROL = ber.app(3), ber.app(15)
_BATCH_MEMBERS = {
    BATCH_CONTROL: "BatchControlInfo",
    ACCOUNTING: "AccountingInfo",
    NETWORK: "NetworkInfo",
    MESSAGE_DESCRIPTION: "MessageDescriptionInfoList",
    CALL_EVENTS: "CallEventDetailList",
    AUDIT_CONTROL: "AuditControlInfo",
}
_REQUIRED = (BATCH_CONTROL, NETWORK, CALL_EVENTS, AUDIT_CONTROL)
NRTRDE_SPECIFICATION = ber.app(41)  # NRTRDE's first member; TAP has no [APPLICATION 41] here
# RAP: rapBatchControlInfoRap, and the sender / recipient / rapFileSequenceNumber inside.
RAP_BATCH_CONTROL = ber.app(537)
SENDER, RECIPIENT, RAP_SEQUENCE = ber.app(196), ber.app(182), ber.app(181)

_DIGITS = "0123456789*#abc"


class EventError(ValueError):
    """One call event cannot be decoded or mapped."""


def _reject(reason: str, kind: FileKind = FileKind.USAGE, **details: str) -> Decoded:
    return Decoded(records=empty_raw(), kind=kind, file_error=reason, details=details)


def _tap3() -> Any:
    from pycrate_asn1dir import TAP3

    return TAP3


def _pycrate(type_name: str, data: bytes, module: str = "TAP_0312") -> Any:
    """Decode ``data`` as the named type; any pycrate failure becomes a ValueError."""
    obj = getattr(getattr(_tap3(), module), type_name)
    try:
        obj.from_ber(data)
        return obj.get_val()
    except Exception as exc:  # pycrate raises many unrelated types on bad input
        raise ValueError(f"{type_name}: {exc}") from exc


def digits(data: bytes, what: str) -> str:
    """TAP BCD / TBCD strings: two digits an octet, high nibble first, 0xF filler at the end.

    (TAP's TBCD differs from the 3GPP one, which puts the first digit in the low nibble.)
    """
    out: list[str] = []
    last = len(data) - 1
    for index, octet in enumerate(data):
        high, low = octet >> 4, octet & 0x0F
        if high == 0x0F or (low == 0x0F and index != last):
            raise EventError(f"{what}: filler inside the digits ({data.hex()})")
        out.append(_DIGITS[high])
        if low != 0x0F:
            out.append(_DIGITS[low])
    return "".join(out)


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _offset(text: bytes) -> timedelta:
    """A TAP UtcTimeOffset, "+hhmm" / "-hhmm"."""
    raw = _text(text)
    if len(raw) != 5 or raw[0] not in "+-" or not raw[1:].isdigit():
        raise ValueError(f"invalid utcTimeOffset {raw!r}")
    delta = timedelta(hours=int(raw[1:3]), minutes=int(raw[3:5]))
    return delta if raw[0] == "+" else -delta


def _local_time(text: bytes) -> datetime:
    raw = _text(text)
    if len(raw) != 14 or not raw.isdigit():
        raise EventError(f"invalid localTimeStamp {raw!r}")
    try:
        return datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise EventError(f"invalid localTimeStamp {raw!r}") from exc


class _Batch:
    """What call events are resolved against: UTC offsets and recording entities."""

    def __init__(self, network: dict[str, Any], sender: str) -> None:
        self.sender = sender
        self.offsets = {
            item["utcTimeOffsetCode"]: _offset(item["utcTimeOffset"])
            for item in network.get("utcTimeOffsetInfo", [])
        }
        self.entities = {
            item["recEntityCode"]: _text(item["recEntityId"])
            for item in network.get("recEntityInfo", [])
            if "recEntityId" in item
        }

    def utc(self, stamp: dict[str, Any] | None) -> datetime | None:
        """A DateTime (local time + utcTimeOffsetCode) in UTC."""
        if stamp is None:
            return None
        code = stamp.get("utcTimeOffsetCode")
        if code not in self.offsets:
            raise EventError(f"utcTimeOffsetCode {code} not in the batch's networkInfo")
        return _local_time(stamp["localTimeStamp"]) - self.offsets[code]

    def entity(self, code: int | None) -> str | None:
        return None if code is None else self.entities.get(code, str(code))


def _subscriber(row: dict[str, object], choice: tuple[str, dict[str, Any]] | None) -> str | None:
    """Fill ``imsi`` from a ChargeableSubscriber; return its MSISDN (or MDN)."""
    if choice is None:
        return None
    form, value = choice
    if form == "simChargeableSubscriber":
        if "imsi" in value:
            row["imsi"] = digits(value["imsi"], "imsi")
        return digits(value["msisdn"], "msisdn") if "msisdn" in value else None
    if "min" in value:  # minChargeableSubscriber: mobile identification number
        row["imsi"] = digits(value["min"], "min")
    return digits(value["mdn"], "mdn") if "mdn" in value else None


def _service_of(used: list[dict[str, Any]] | None) -> ServiceKind:
    """Voice, SMS or (circuit) data by the first basic service used: teleservice codes "1x"
    are speech, "2x" short messages; bearer services are data."""
    if not used:
        return ServiceKind.VOICE
    service = used[0].get("basicService", {}).get("serviceCode")
    if service is None:
        return ServiceKind.VOICE
    form, code = service
    if form == "bearerServiceCode":
        return ServiceKind.DATA
    return ServiceKind.SMS if _text(code).startswith("2") else ServiceKind.VOICE


def _location(row: dict[str, object], batch: _Batch, info: dict[str, Any] | None) -> None:
    network = (info or {}).get("networkLocation")
    if network is None:
        return
    row["switch_id"] = batch.entity(network.get("recEntityCode"))
    if "callReference" in network:
        row["call_reference"] = network["callReference"].hex()
    if "locationArea" in network:
        row["location"] = str(network["locationArea"])
    if "cellId" in network:
        row["cell"] = str(network["cellId"])


def _call(kind: str, value: dict[str, Any], batch: _Batch) -> dict[str, object]:
    row: dict[str, object] = {}
    info = value.get("basicCallInformation", {})
    own = _subscriber(row, info.get("chargeableSubscriber"))
    if kind == "mobileOriginatedCall":
        destination = info.get("destination", {})
        called = None
        if "calledNumber" in destination:
            called = digits(destination["calledNumber"], "calledNumber")
        elif "dialledDigits" in destination:
            called = _text(destination["dialledDigits"])
        row.update(direction=Direction.ORIGINATING.value, calling=own, called=called)
    else:
        origin = info.get("callOriginator", {})
        calling = (
            digits(origin["callingNumber"], "callingNumber") if "callingNumber" in origin else None
        )
        row.update(direction=Direction.TERMINATING.value, calling=calling, called=own)
    row["event_time"] = batch.utc(info.get("callEventStartTimeStamp"))
    row["duration_s"] = info.get("totalCallEventDuration")
    row["service"] = _service_of(value.get("basicServiceUsedList")).value
    _location(row, batch, value.get("locationInformation"))
    return row


def _gprs(value: dict[str, Any], batch: _Batch) -> dict[str, object]:
    row: dict[str, object] = {
        "service": ServiceKind.DATA.value,
        "direction": Direction.ORIGINATING.value,
    }
    info = value.get("gprsBasicCallInformation", {})
    subscriber = info.get("gprsChargeableSubscriber", {})
    row["calling"] = _subscriber(row, subscriber.get("chargeableSubscriber"))
    if info.get("networkInitPDPContext"):
        row["direction"] = Direction.TERMINATING.value
    row["event_time"] = batch.utc(info.get("callEventStartTimeStamp"))
    row["duration_s"] = info.get("totalCallEventDuration")
    if "chargingId" in info:
        row["call_reference"] = str(info["chargingId"])
    network = value.get("gprsLocationInformation", {}).get("gprsNetworkLocation", {})
    entities = network.get("recEntity") or []
    row["switch_id"] = batch.entity(entities[0]) if entities else None
    if "locationArea" in network:
        row["location"] = str(network["locationArea"])
    if "cellId" in network:
        row["cell"] = str(network["cellId"])
    used = value.get("gprsServiceUsed", {})
    row["volume_down"] = used.get("dataVolumeIncoming")  # incoming: towards the subscriber
    row["volume_up"] = used.get("dataVolumeOutgoing")
    return row


def _suppl(value: dict[str, Any], batch: _Batch) -> dict[str, object]:
    row: dict[str, object] = {
        "service": ServiceKind.VAS.value,
        "direction": Direction.ORIGINATING.value,
    }
    row["calling"] = _subscriber(row, value.get("chargeableSubscriber"))
    used = value.get("supplServiceUsed", {})
    row["event_time"] = batch.utc(used.get("chargingTimeStamp"))
    _location(row, batch, value.get("locationInformation"))
    return row


def _event_row(data: bytes, batch: _Batch) -> dict[str, object]:
    try:
        kind, value = _pycrate("CallEventDetail", data)
    except ValueError as exc:
        raise EventError(f"TAP 3.12 decoding failed: {exc}") from exc
    if kind in ("mobileOriginatedCall", "mobileTerminatedCall"):
        row = _call(kind, value, batch)
    elif kind == "gprsCall":
        row = _gprs(value, batch)
    elif kind == "supplServiceEvent":
        row = _suppl(value, batch)
    else:
        raise EventError(f"TAP {kind} events are not supported")
    for column in ("duration_s", "volume_up", "volume_down"):
        number = row.get(column)
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            raise EventError(f"{column} {number} out of range")
    volumes = (row.get("volume_up"), row.get("volume_down"))
    if any(isinstance(v, int) and v < 0 for v in volumes):
        row["decode_error"] = "negative volume"  # the values are kept for the reject
    return row


def _transfer_batch(buf: bytes, top: ber.Tlv) -> Decoded:
    members = list(ber.children(buf, top))
    if members and members[0].key == NRTRDE_SPECIFICATION:
        return _reject(
            "NRTRDE file (Near Real Time Roaming Data Exchange), not a TAP transfer batch: "
            "NRTRDE is read by fraud monitoring, not rated",
            format="NRTRDE",
        )
    found: dict[int, ber.Tlv] = {}
    for member in members:
        if member.key not in _BATCH_MEMBERS:
            return _reject(f"not a TAP 3 transfer batch: {ber.describe_key(member.key)} in it")
        if member.key in found:
            return _reject(f"{_BATCH_MEMBERS[member.key]} twice in the transfer batch")
        found[member.key] = member
    missing = [_BATCH_MEMBERS[key] for key in _REQUIRED if key not in found]
    if missing:
        return _reject(f"TAP transfer batch without {', '.join(missing)}")
    try:
        control = _pycrate("BatchControlInfo", _bytes(buf, found[BATCH_CONTROL]))
        network = _pycrate("NetworkInfo", _bytes(buf, found[NETWORK]))
        audit = _pycrate("AuditControlInfo", _bytes(buf, found[AUDIT_CONTROL]))
        sender = _text(control["sender"])
        batch = _Batch(network, sender)
    except (ValueError, KeyError) as exc:
        return _reject(f"TAP 3.12 header invalid: {exc}")
    rows: list[dict[str, object]] = []
    for record_no, event in enumerate(ber.children(buf, found[CALL_EVENTS])):
        data = _bytes(buf, event)
        try:
            row = _event_row(data, batch)
        except EventError as exc:
            row = {"decode_error": str(exc)}
        except (KeyError, TypeError, ValueError) as exc:  # schema-valid, but not mappable
            row = {"decode_error": f"TAP call event not mappable: {exc!r}"}
        row.update(
            record_no=record_no,
            raw_ref=f"offset={event.start}+{len(data)}",
            raw=data.hex(),
            roaming_partner=sender,
        )
        rows.append(row)
    details = {
        "format": f"TAP {control.get('specificationVersionNumber')}."
        f"{control.get('releaseVersionNumber')}",
        "recipient": _text(control.get("recipient", b"")),
    }
    declared = audit.get("callEventDetailsCount")
    if declared is not None and declared != len(rows):
        # TD.57 makes this a fatal error for the sender to correct (via RAP); the events are
        # still decoded and the mismatch kept for settlement to act on.
        details["audit_mismatch"] = f"callEventDetailsCount {declared}, events {len(rows)}"
    sequence = _text(control.get("fileSequenceNumber", b""))
    return Decoded(
        records=raw_table(rows),
        sequence=int(sequence) if sequence.isdigit() else None,
        sender=sender,
        details=details,
    )


def _bytes(buf: bytes, tlv: ber.Tlv) -> bytes:
    return buf[tlv.start : tlv.end]


def _notification(buf: bytes) -> Decoded:
    try:
        value = _pycrate("Notification", buf)
    except ValueError as exc:
        return _reject(f"TAP notification invalid: {exc}", FileKind.NOTIFICATION)
    sequence = _text(value.get("fileSequenceNumber", b""))
    return Decoded(
        records=empty_raw(),
        kind=FileKind.NOTIFICATION,
        sequence=int(sequence) if sequence.isdigit() else None,
        sender=_text(value["sender"]) if "sender" in value else None,
        details={"recipient": _text(value.get("recipient", b""))},
    )


def _rap(buf: bytes, top: ber.Tlv, kind: FileKind) -> Decoded:
    """A RAP return batch or acknowledgement: recognised, header facts kept, no rows.

    The facts are read with ber.py, so a file pycrate refuses still says who sent it; a RAP
    1.5 schema violation then rejects the file with pycrate's reason.
    """
    control = top if kind is FileKind.ACKNOWLEDGEMENT else ber.find(buf, top, RAP_BATCH_CONTROL)
    facts: dict[str, str] = {}
    if control is not None and control.constructed:
        members = ber.child_map(buf, control)
        for key, name in ((SENDER, "sender"), (RECIPIENT, "recipient"), (RAP_SEQUENCE, "seq")):
            if key in members and not members[key].constructed:
                facts[name] = _text(members[key].value(buf))
    sequence = facts.get("seq", "")
    error = None
    try:
        _pycrate("RapDataInterChange", buf, module="RAP_0105")
    except ValueError as exc:
        error = f"RAP 1.5 {kind.value} invalid: {exc}"
    return Decoded(
        records=empty_raw(),
        kind=kind,
        file_error=error,
        sequence=int(sequence) if sequence.isdigit() else None,
        sender=facts.get("sender"),
        details={"recipient": facts.get("recipient", ""), "format": "RAP 1.5"},
    )


def decode_tap_bytes(buf: bytes) -> Decoded:
    """A TAP / RAP file held in memory."""
    try:
        top = ber.frame(buf)
    except ber.BerError as exc:
        return _reject(f"malformed BER, not a valid TAP/RAP file: {exc}")
    if top.key == TRANSFER_BATCH and top.constructed:
        return _transfer_batch(buf, top)
    if top.key == NOTIFICATION and top.constructed:
        return _notification(buf)
    if top.key == RETURN_BATCH and top.constructed:
        return _rap(buf, top, FileKind.RAP)
    if top.key == ACKNOWLEDGEMENT and top.constructed:
        return _rap(buf, top, FileKind.ACKNOWLEDGEMENT)
    return _reject(f"not a TAP or RAP file: top-level tag {ber.describe_key(top.key)}")


def decode_tap_file(path: Path) -> Decoded:
    """Decode a TAP 3.12 / RAP 1.5 file into RAW_SCHEMA rows (transfer batches only)."""
    return decode_tap_bytes(path.read_bytes())
