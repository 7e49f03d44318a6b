"""TAP 3.12 transfer batches, RAP 1.5 return batches and acknowledgements, encoded in BER with
pycrate's GSMA modules (``TAP_0312``, ``RAP_0105`` of ``pycrate_asn1dir.TAP3``).

What we write is what mediation's decoder reads back (tests decode every file both ways).
Local times are written in the operator's time zone with one UTC offset code (1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openbss.settlement.roaming.calculations import TAP_DECIMAL_PLACES, tbcd

SPECIFICATION, RELEASE = 3, 12  # TAP 3.12
RAP_SPECIFICATION, RAP_RELEASE = 1, 5  # RAP 1.5
OFFSET_CODE = 1
# TD.57 basic service codes: teleservice 11 telephony, 21 SMS MT, 22 SMS MO.
TELESERVICE = {
    ("voice", "mo"): b"11",
    ("voice", "mt"): b"11",
    ("sms", "mo"): b"22",
    ("sms", "mt"): b"21",
}
REC_ENTITY_MSC, REC_ENTITY_SGSN = 1, 4


def _modules() -> Any:
    from pycrate_asn1dir import TAP3

    return TAP3


@dataclass(frozen=True)
class OutboundEvent:
    """One visitor's usage record, priced, as it goes into a TAP file."""

    record_id: str
    service: str  # voice | sms | data
    direction: str  # mo | mt
    event_time: datetime  # UTC
    imsi: str
    msisdn: str | None
    other_party: str | None  # called (mo) or calling (mt) number
    duration_s: int
    volume_up: int
    volume_down: int
    switch_id: str | None
    call_reference: str | None
    units: int
    charge: int  # micro-SDR
    exchange_rate_code: int


@dataclass(frozen=True)
class Stamp:
    """When and where: a local time in the operator's zone and its UTC offset text."""

    zone: ZoneInfo

    def local(self, moment: datetime) -> tuple[bytes, bytes]:
        local = moment.astimezone(self.zone)
        offset = local.utcoffset()
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        text = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return local.strftime("%Y%m%d%H%M%S").encode(), text.encode()

    def with_offset(self, moment: datetime) -> dict[str, bytes]:
        when, offset = self.local(moment)
        return {"localTimeStamp": when, "utcTimeOffset": offset}

    def with_code(self, moment: datetime) -> dict[str, Any]:
        when, _ = self.local(moment)
        return {"localTimeStamp": when, "utcTimeOffsetCode": OFFSET_CODE}


def _subscriber(event: OutboundEvent) -> tuple[str, dict[str, bytes]]:
    value = {"imsi": tbcd(event.imsi)}
    if event.msisdn:
        value["msisdn"] = tbcd(event.msisdn)
    return ("simChargeableSubscriber", value)


def _charge(event: OutboundEvent, item: bytes, units: int) -> list[dict[str, Any]]:
    return [
        {
            "chargedItem": item,
            "exchangeRateCode": event.exchange_rate_code,
            "chargeDetailList": [
                {
                    "chargeType": b"00",
                    "charge": event.charge,
                    "chargeableUnits": units,
                    "chargedUnits": units,
                }
            ],
        }
    ]


def _call(event: OutboundEvent, stamp: Stamp, entities: dict[str, int]) -> tuple[str, Any]:
    basic: dict[str, Any] = {
        "chargeableSubscriber": _subscriber(event),
        "callEventStartTimeStamp": stamp.with_code(event.event_time),
        "totalCallEventDuration": event.duration_s,
    }
    other = None
    if event.other_party is not None and _is_number(event.other_party):
        other = tbcd(event.other_party)
    if event.direction == "mo":
        if other is not None:
            basic["destination"] = {"calledNumber": other}
        kind = "mobileOriginatedCall"
    else:
        if other is not None:
            basic["callOriginator"] = {"callingNumber": other}
        kind = "mobileTerminatedCall"
    item = b"E" if event.service == "sms" else b"D"
    value: dict[str, Any] = {
        "basicCallInformation": basic,
        "basicServiceUsedList": [
            {
                "basicService": {
                    "serviceCode": (
                        "teleServiceCode",
                        TELESERVICE[(event.service, event.direction)],
                    )
                },
                "chargeInformationList": _charge(event, item, event.units),
            }
        ],
    }
    network: dict[str, Any] = {}
    if event.switch_id is not None:
        network["recEntityCode"] = entities[event.switch_id]
    if event.call_reference and _is_hex(event.call_reference):
        network["callReference"] = bytes.fromhex(event.call_reference)
    if network:
        value["locationInformation"] = {"networkLocation": network}
    return (kind, value)


def _gprs(event: OutboundEvent, stamp: Stamp, entities: dict[str, int]) -> tuple[str, Any]:
    basic: dict[str, Any] = {
        "gprsChargeableSubscriber": {"chargeableSubscriber": _subscriber(event)},
        "callEventStartTimeStamp": stamp.with_code(event.event_time),
        "totalCallEventDuration": event.duration_s,
    }
    if event.call_reference and event.call_reference.isdigit():
        basic["chargingId"] = int(event.call_reference)
    value: dict[str, Any] = {
        "gprsBasicCallInformation": basic,
        "gprsServiceUsed": {
            "dataVolumeIncoming": event.volume_down,
            "dataVolumeOutgoing": event.volume_up,
            "chargeInformationList": _charge(event, b"X", event.units),
        },
    }
    if event.switch_id is not None:
        value["gprsLocationInformation"] = {
            "gprsNetworkLocation": {"recEntity": [entities[event.switch_id]]}
        }
    return ("gprsCall", value)


def _is_number(text: str | None) -> bool:
    return bool(text) and text is not None and text.lstrip("+").isdigit()


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)


@dataclass(frozen=True)
class TapHeader:
    sender: str
    recipient: str
    sequence: int
    created: datetime
    rates: Sequence[tuple[int, int]]  # (exchange rate code, CNY per SDR x 10^6)


def encode_tap(header: TapHeader, events: Sequence[OutboundEvent], zone: ZoneInfo) -> bytes:
    """A TAP 3.12 transfer batch of ``events`` (at least one), BER-encoded."""
    if not events:
        raise ValueError("a transfer batch needs at least one call event")
    stamp = Stamp(zone)
    switches = sorted({e.switch_id for e in events if e.switch_id is not None})
    entities = {switch: code for code, switch in enumerate(switches, start=1)}
    data_switches = {e.switch_id for e in events if e.service == "data"}
    details = [
        _gprs(e, stamp, entities) if e.service == "data" else _call(e, stamp, entities)
        for e in events
    ]
    created = stamp.with_offset(header.created)
    _, offset = stamp.local(header.created)
    times = [e.event_time for e in events]
    network: dict[str, Any] = {
        "utcTimeOffsetInfo": [{"utcTimeOffsetCode": OFFSET_CODE, "utcTimeOffset": offset}]
    }
    if entities:
        network["recEntityInfo"] = [
            {
                "recEntityCode": code,
                "recEntityType": REC_ENTITY_SGSN if switch in data_switches else REC_ENTITY_MSC,
                "recEntityId": switch.encode(),
            }
            for switch, code in entities.items()
        ]
    batch = {
        "batchControlInfo": {
            "sender": header.sender.encode(),
            "recipient": header.recipient.encode(),
            "fileSequenceNumber": f"{header.sequence:05d}".encode(),
            "fileCreationTimeStamp": created,
            "transferCutOffTimeStamp": created,
            "fileAvailableTimeStamp": created,
            "specificationVersionNumber": SPECIFICATION,
            "releaseVersionNumber": RELEASE,
        },
        "accountingInfo": {
            "localCurrency": b"CNY",
            "currencyConversionInfo": [
                {"exchangeRateCode": code, "numberOfDecimalPlaces": 6, "exchangeRate": rate}
                for code, rate in header.rates
            ],
            "tapDecimalPlaces": TAP_DECIMAL_PLACES,
        },
        "networkInfo": network,
        "callEventDetails": details,
        "auditControlInfo": {
            "earliestCallTimeStamp": stamp.with_offset(min(times)),
            "latestCallTimeStamp": stamp.with_offset(max(times)),
            "totalCharge": sum(e.charge for e in events),
            "totalTaxValue": 0,
            "totalDiscountValue": 0,
            "callEventDetailsCount": len(events),
        },
    }
    obj = _modules().TAP_0312.DataInterChange
    obj.set_val(("transferBatch", batch))
    return bytes(obj.to_ber())


def decode_tap(data: bytes) -> Any:
    """The pycrate value of a TAP 3.12 DataInterChange (raises ValueError when invalid)."""
    obj = _modules().TAP_0312.DataInterChange
    try:
        obj.from_ber(data)
        return obj.get_val()
    except Exception as exc:  # pycrate raises many unrelated types on bad input
        raise ValueError(f"not a TAP 3.12 file: {exc}") from exc


def decode_event(data: bytes) -> tuple[str, Any]:
    """One TAP 3.12 CallEventDetail (raises ValueError when invalid)."""
    obj = _modules().TAP_0312.CallEventDetail
    try:
        obj.from_ber(data)
        value: tuple[str, Any] = obj.get_val()
    except Exception as exc:
        raise ValueError(f"call event not decodable: {exc}") from exc
    return value


def decode_rap(data: bytes) -> tuple[str, Any]:
    """A RAP 1.5 RapDataInterChange: ("returnBatch" | "acknowledgement", value)."""
    obj = _modules().RAP_0105.RapDataInterChange
    try:
        obj.from_ber(data)
        value: tuple[str, Any] = obj.get_val()
    except Exception as exc:
        raise ValueError(f"not a RAP 1.5 file: {exc}") from exc
    return value


@dataclass(frozen=True)
class SevereReturn:
    """A refused TAP record: the TAP file it came in, the event itself and why."""

    file_sequence: int
    event: tuple[str, Any]  # the CallEventDetail as decoded
    error_code: int
    charge: int  # micro-SDR


@dataclass(frozen=True)
class FatalReturn:
    """A refused TAP file whose audit control does not match its content."""

    file_sequence: int
    audit: dict[str, Any]  # the file's AuditControlInfo as decoded
    error_code: int


def _detail(item: SevereReturn | FatalReturn) -> tuple[str, dict[str, Any]]:
    number = f"{item.file_sequence:05d}".encode()
    error = [{"errorCode": item.error_code}]
    if isinstance(item, FatalReturn):
        return (
            "fatalReturn",
            {
                "fileSequenceNumber": number,
                "auditControlInfoError": {"auditControlInfo": item.audit, "errorDetail": error},
            },
        )
    return (
        "severeReturn",
        {"fileSequenceNumber": number, "callEventDetail": item.event, "errorDetail": error},
    )


def decode_audit(data: bytes) -> dict[str, Any]:
    """A TAP 3.12 AuditControlInfo (raises ValueError when invalid)."""
    obj = _modules().TAP_0312.AuditControlInfo
    try:
        obj.from_ber(data)
        value: dict[str, Any] = obj.get_val()
    except Exception as exc:
        raise ValueError(f"AuditControlInfo not decodable: {exc}") from exc
    return value


def encode_rap(
    sender: str,
    recipient: str,
    sequence: int,
    created: datetime,
    returns: Sequence[SevereReturn | FatalReturn],
    zone: ZoneInfo,
) -> bytes:
    """A RAP 1.5 return batch: a severe return per refused record, a fatal return per
    refused file; the audit total is the severe returns' value."""
    stamp = Stamp(zone)
    when = stamp.with_offset(created)
    details = [_detail(item) for item in returns]
    batch = {
        "rapBatchControlInfoRap": {
            "sender": sender.encode(),
            "recipient": recipient.encode(),
            "rapFileSequenceNumber": f"{sequence:05d}".encode(),
            "rapFileCreationTimeStamp": when,
            "rapFileAvailableTimeStamp": when,
            "specificationVersionNumber": SPECIFICATION,
            "releaseVersionNumber": RELEASE,
            "rapSpecificationVersionNumber": RAP_SPECIFICATION,
            "rapReleaseVersionNumber": RAP_RELEASE,
            "tapDecimalPlaces": TAP_DECIMAL_PLACES,
        },
        "returnDetails": details,
        "rapAuditControlInfo": {
            "totalSevereReturnValue": sum(
                item.charge for item in returns if isinstance(item, SevereReturn)
            ),
            "returnDetailsCount": len(returns),
        },
    }
    obj = _modules().RAP_0105.RapDataInterChange
    obj.set_val(("returnBatch", batch))
    return bytes(obj.to_ber())


def encode_ack(
    sender: str, recipient: str, rap_sequence: str, created: datetime, zone: ZoneInfo
) -> bytes:
    """A RAP 1.5 acknowledgement of the partner's RAP file ``rap_sequence``."""
    when = Stamp(zone).with_offset(created)
    value = {
        "sender": sender.encode(),
        "recipient": recipient.encode(),
        "rapFileSequenceNumber": rap_sequence.encode(),
        "ackFileCreationTimeStamp": when,
        "ackFileAvailableTimeStamp": when,
    }
    obj = _modules().RAP_0105.RapDataInterChange
    obj.set_val(("acknowledgement", value))
    return bytes(obj.to_ber())


def encode_notification(
    sender: str, recipient: str, sequence: int, created: datetime, zone: ZoneInfo
) -> bytes:
    """A TAP 3.12 notification: no usage for the recipient this time, sequence ``sequence``."""
    when = Stamp(zone).with_offset(created)
    value = {
        "sender": sender.encode(),
        "recipient": recipient.encode(),
        "fileSequenceNumber": f"{sequence:05d}".encode(),
        "fileCreationTimeStamp": when,
        "fileAvailableTimeStamp": when,
        "transferCutOffTimeStamp": when,
        "specificationVersionNumber": SPECIFICATION,
        "releaseVersionNumber": RELEASE,
    }
    obj = _modules().TAP_0312.DataInterChange
    obj.set_val(("notification", value))
    return bytes(obj.to_ber())
