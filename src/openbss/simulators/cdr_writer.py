"""Writes TS 32.297 CDR files of TS 32.298 BER records, as an MSC or a PGW would.

Records are encoded with pycrate's TS 32.298 modules (the file header, CDR headers and 0xFF
fillers by hand), so a file written here is an independent fixture for the decoder, which
reads it with its own BER walker. Used by tests, the traffic generator and the benchmarks.

A record to write is a dict in the terms of the raw rows it should decode to:

* ``kind``: ``"mo"`` / ``"mt"`` (MSC call records, TS 32.250) or ``"pgw"`` (TS 32.251);
* ``imsi``; ``calling`` / ``called`` (MO: the served MSISDN is ``calling``; MT: ``called``;
  PGW: ``calling`` only); a leading "+" makes an international number;
* ``event_time`` (aware datetime: answer time, or record opening time), ``duration_s``,
  ``utc_offset_min`` (the node's local time offset, default +08:00);
* ``switch_id`` (MSC recordingEntity digits / PGW nodeID), ``call_reference`` (MSC
  callReference as hex / PGW chargingID in decimal), ``location`` and ``cell`` (LAC / TAC and
  cell id / ECI in decimal);
* PGW only: ``volume_up``, ``volume_down`` (split over one to three rating groups), ``apn``.

The same input always gives the same bytes: nothing depends on the clock.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FILE_HEADER_LENGTH = 52  # 50 fixed octets + high and low release identifier extensions
CDR_HEADER_LENGTH = 5
BER_FORMAT = 1
TS_32250, TS_32251 = 6, 7  # CDR header TS numbers: CS domain, PS domain
PLMN = bytes.fromhex("64f000")  # MCC 460, MNC 00
DEFAULT_OFFSET_MIN = 8 * 60


def tbcd(digits: str) -> bytes:
    """TBCD: two digits an octet, the first in the low nibble, 0xF filler when odd."""
    nibbles = ["0123456789*#abc".index(d) for d in digits]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))


def address_string(number: str) -> bytes:
    """AddressString / BCD directory number: TON-NPI octet (ISDN plan), then TBCD digits."""
    if number.startswith("+"):
        return bytes([0x91]) + tbcd(number[1:])  # international number
    return bytes([0x81]) + tbcd(number)  # unknown type of number


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def timestamp(moment: datetime, offset_min: int) -> bytes:
    """TS 32.298 TimeStamp: local time in BCD YYMMDDhhmmss, ASCII sign, BCD hhmm offset."""
    local = moment.astimezone(UTC) + timedelta(minutes=offset_min)
    sign = b"+" if offset_min >= 0 else b"-"
    hours, minutes = divmod(abs(offset_min), 60)
    head = bytes(
        _bcd(v)
        for v in (local.year % 100, local.month, local.day, local.hour, local.minute, local.second)
    )
    return head + sign + bytes([_bcd(hours), _bcd(minutes)])


def header_timestamp(moment: datetime, offset_min: int) -> bytes:
    """TS 32.297 file header timestamp (no year, no seconds; sign bit 1 = ahead of UTC)."""
    local = moment.astimezone(UTC) + timedelta(minutes=offset_min)
    hours, minutes = divmod(abs(offset_min), 60)
    value = (
        local.month << 28
        | local.day << 23
        | local.hour << 18
        | local.minute << 12
        | int(offset_min >= 0) << 11
        | hours << 6
        | minutes
    )
    return value.to_bytes(4, "big")


def user_location(tac: int, eci: int) -> bytes:
    """GTPv2 User Location Information (TS 29.274 §8.21) with a TAI and an ECGI."""
    return bytes([0x18]) + PLMN + tac.to_bytes(2, "big") + PLMN + eci.to_bytes(4, "big")


def _imei(imsi: str) -> bytes:
    return tbcd(("35" + imsi[-13:] + "0")[:16])


def _msc_value(record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    mo = record["kind"] == "mo"
    offset = int(record.get("utc_offset_min", DEFAULT_OFFSET_MIN))
    start: datetime = record["event_time"]
    duration = int(record["duration_s"])
    served = record["calling"] if mo else record["called"]
    other = record["called"] if mo else record["calling"]
    value: dict[str, Any] = {
        "recordType": 0 if mo else 1,
        "servedIMSI": tbcd(record["imsi"]),
        "servedIMEI": _imei(record["imsi"]),
        "servedMSISDN": address_string(served),
        "recordingEntity": address_string(record["switch_id"]),
        "location": {
            "locationAreaCode": int(record["location"]).to_bytes(2, "big"),
            "cellId": int(record["cell"]).to_bytes(2, "big"),
            "mCC-MNC": PLMN,
        },
        "basicService": ("teleservice", b"\x11"),  # telephony
        "releaseTime": timestamp(start + timedelta(seconds=duration), offset),
        "callDuration": duration,
        "causeForTerm": 0,  # normalRelease
        "callReference": bytes.fromhex(record["call_reference"]),
    }
    if duration > 0:  # answered: seizure a few seconds before the answer
        value["seizureTime"] = timestamp(start - timedelta(seconds=4), offset)
        value["answerTime"] = timestamp(start, offset)
    else:  # an unsuccessful attempt has only a seizure time
        value["seizureTime"] = timestamp(start, offset)
    if other is not None:
        value["calledNumber" if mo else "callingNumber"] = address_string(other)
    return ("moCallRecord" if mo else "mtCallRecord"), value


def _pgw_value(record: Mapping[str, Any]) -> dict[str, Any]:
    offset = int(record.get("utc_offset_min", DEFAULT_OFFSET_MIN))
    start: datetime = record["event_time"]
    duration = int(record["duration_s"])
    charging_id = int(record["call_reference"])
    up, down = int(record["volume_up"]), int(record["volume_down"])
    groups = 1 + charging_id % 3  # volumes split deterministically over rating groups
    report = timestamp(start + timedelta(seconds=duration), offset)
    containers = []
    for index in range(groups):
        last = index == groups - 1
        part_up = up - (groups - 1) * (up // groups) if last else up // groups
        part_down = down - (groups - 1) * (down // groups) if last else down // groups
        containers.append(
            {
                "ratingGroup": 10 + index,
                "serviceConditionChange": (0, 32),
                "datavolumeFBCUplink": part_up,
                "datavolumeFBCDownlink": part_down,
                "timeOfReport": report,
            }
        )
    value: dict[str, Any] = {
        "recordType": 85,
        "servedIMSI": tbcd(record["imsi"]),
        "p-GWAddress": ("iPBinaryAddress", ("iPBinV4Address", bytes([10, 20, 0, 1]))),
        "chargingID": charging_id,
        "servingNodeAddress": [("iPBinaryAddress", ("iPBinV4Address", bytes([10, 30, 0, 7])))],
        "accessPointNameNI": record.get("apn", "cmnet"),
        "pdpPDNType": b"\xf1\x21",  # IETF, IPv4
        "recordOpeningTime": timestamp(start, offset),
        "duration": duration,
        "causeForRecClosing": 0,
        "nodeID": record["switch_id"],
        "servedMSISDN": address_string(record["calling"]),
        "chargingCharacteristics": b"\x08\x00",
        "rATType": 6,  # EUTRAN
        "servedIMEI": _imei(record["imsi"]),
        "userLocationInformation": user_location(int(record["location"]), int(record["cell"])),
        "listOfServiceData": containers,
        "servingNodeType": ["gTPSGW"],
    }
    return value


_choices: dict[str, Any] = {}


def _choice(name: str) -> Any:
    """CSRecord / GPRSRecord from pycrate, imported on first use (the import takes seconds)."""
    if not _choices:
        from pycrate_asn1dir import CDR

        _choices["cs"] = CDR.CSChargingDataTypes.CSRecord
        _choices["gprs"] = CDR.GPRSChargingDataTypes.GPRSRecord
    return _choices[name]


def encode_record(record: Mapping[str, Any]) -> bytes:
    """One record as TS 32.298 BER (a CallEventRecord alternative: [0], [1] or [79])."""
    if record["kind"] == "pgw":
        obj, value = _choice("gprs"), ("pGWRecord", _pgw_value(record))
    elif record["kind"] in ("mo", "mt"):
        obj, value = _choice("cs"), _msc_value(record)
    else:
        raise ValueError(f"unknown record kind {record['kind']!r}")
    obj.set_val(value)
    encoded: bytes = obj.to_ber()
    return encoded


def _node_address(ip: str) -> bytes:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv4Address):
        address = ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + address.packed)
    return b"\xff" * 4 + address.packed


def build_3gpp_file(
    records: Sequence[Mapping[str, Any]],
    *,
    sequence: int,
    fillers: bool = True,
    block_size: int = 2048,
    node_ip: str = "10.20.0.1",
    release: int = 15,
    version: int = 0,
    opened: datetime | None = None,
    utc_offset_min: int = DEFAULT_OFFSET_MIN,
) -> bytes:
    """The file's bytes. With ``fillers`` a record never straddles a ``block_size`` boundary:
    the rest of the block is padded with 0xFF, and so is the end of the file."""
    if not 10 <= release <= 10 + 255:
        raise ValueError("release must be 10 or later (the identifier extension form)")
    rel_ver = 7 << 5 | version
    body = bytearray()
    for record in records:
        encoded = encode_record(record)
        ts_number = TS_32251 if record["kind"] == "pgw" else TS_32250
        cdr = (
            len(encoded).to_bytes(2, "big")
            + bytes([rel_ver, BER_FORMAT << 5 | ts_number, release - 10])
            + encoded
        )
        if fillers:
            used = (FILE_HEADER_LENGTH + len(body)) % block_size
            if used and used + len(cdr) > block_size:
                body += b"\xff" * (block_size - used)
        body += cdr
    if fillers and (FILE_HEADER_LENGTH + len(body)) % block_size:
        body += b"\xff" * (block_size - (FILE_HEADER_LENGTH + len(body)) % block_size)
    times = [r["event_time"] for r in records]
    first = opened or (min(times) if times else datetime(2000, 1, 1, tzinfo=UTC))
    last = max(times) if times else first
    header = (
        (FILE_HEADER_LENGTH + len(body)).to_bytes(4, "big")
        + FILE_HEADER_LENGTH.to_bytes(4, "big")
        + bytes([rel_ver, rel_ver])
        + header_timestamp(first, utc_offset_min)
        + header_timestamp(last, 0)  # the last append time is in UTC
        + len(records).to_bytes(4, "big")
        + sequence.to_bytes(4, "big")
        + bytes([0])  # closure reason: normal
        + _node_address(node_ip)
        + bytes([0])  # no CDR lost
        + (0).to_bytes(2, "big")  # no CDR routeing filter; no private extension follows
        + bytes([release - 10, release - 10])
    )
    assert len(header) == FILE_HEADER_LENGTH
    return header + bytes(body)


def write_3gpp_file(
    path: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    sequence: int,
    fillers: bool = True,
    block_size: int = 2048,
    node_ip: str = "10.20.0.1",
    opened: datetime | None = None,
) -> bytes:
    """Write a TS 32.297 CDR file of ``records`` to ``path``; returns the bytes written."""
    data = build_3gpp_file(
        records,
        sequence=sequence,
        fillers=fillers,
        block_size=block_size,
        node_ip=node_ip,
        opened=opened,
    )
    path.write_bytes(data)
    return data


def generate_records(
    count: int,
    seed: int,
    *,
    start: datetime = datetime(2024, 3, 1, tzinfo=UTC),
    msisdns: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """``count`` plausible MO / MT / PGW records (about 45 / 35 / 20 %), the same for a seed.

    ``msisdns`` are the served subscribers' numbers (E.164 with "+"); by default numbers
    +86138xxxxxxxx. Times lie within the day after ``start``, in order.
    """
    rng = random.Random(seed)
    moment = start
    records: list[dict[str, Any]] = []
    for index in range(count):
        moment += timedelta(seconds=rng.randint(0, max(1, 86_400 // max(count, 1))))
        own = rng.choice(msisdns) if msisdns else f"+86138{rng.randrange(10**8):08d}"
        imsi = f"46000{int(own[-10:]) % 10**10:010d}"
        draw = rng.random()
        common: dict[str, Any] = {
            "imsi": imsi,
            "event_time": moment,
            "location": str(rng.randrange(1, 65_536)),
        }
        if draw < 0.8:
            other = (
                f"+86139{rng.randrange(10**8):08d}"
                if rng.random() < 0.7
                else "010" + str(rng.randrange(10**7, 10**8))
            )
            mo = draw < 0.45
            common.update(
                kind="mo" if mo else "mt",
                calling=own if mo else other,
                called=other if mo else own,
                duration_s=0 if rng.random() < 0.05 else rng.randint(1, 3_600),
                switch_id=f"8613{rng.randrange(100):02d}00100",
                call_reference=f"{index & 0xFFFFFFFF:08x}",
                cell=str(rng.randrange(1, 65_536)),
            )
        else:
            common.update(
                kind="pgw",
                calling=own,
                duration_s=rng.randint(1, 7_200),
                switch_id=f"PGW{rng.randrange(1, 9):02d}",
                call_reference=str(rng.randrange(1, 2**32)),
                cell=str(rng.randrange(1, 2**28)),
                volume_up=rng.randrange(0, 50 * 2**20),
                volume_down=rng.randrange(0, 500 * 2**20),
            )
        records.append(common)
    return records
