"""3GPP CDR files: the TS 32.297 file format around TS 32.298 BER records.

A file is a header (file length, header length, release identifiers, timestamps, CDR count,
file sequence number, ...) followed by CDRs, each behind a CDR header (length, release /
version, data record format, TS number), with 0xFF fillers allowed between records and at the
end. The framing is checked strictly: a file whose header does not match what is in it is
rejected as a whole, because records from a file that was cut, padded with garbage or written
by a confused node cannot be trusted one by one.

Each record is decoded on its own; a record that fails is kept as a row with ``decode_error``.
Two engines decode records and produce the same rows:

* ``"ber"`` (default): the product's own BER walker (ber.py), reading the fields mediation
  needs and checking the record's whole TLV tree and mandatory components. Measured several
  times faster than the toolkit (benchmarks/mediation_ber.py) and it does not pay the toolkit's
  seconds-long import of the 32.298 modules.
* ``"pycrate"``: the full TS 32.298 ASN.1 modules of pycrate, which also check every component
  against the schema. Tests decode every file with both and require equal rows.

MSC mobile-originated / -terminated call records and PGW records are mapped; other record
types become rows with a ``decode_error`` naming the type.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from openbss.mediation.decoders import ber
from openbss.mediation.records import Decoded, Direction, ServiceKind, raw_table

Engine = Literal["ber", "pycrate"]

FIXED_HEADER_LENGTH = 50  # octets 1..50: up to and including the CDR routeing filter length
FILLER = 0xFF
DATA_RECORD_FORMATS = {1: "BER", 2: "unaligned PER", 3: "aligned PER", 4: "XER"}
CLOSURE_REASONS = {
    0: "normal",
    1: "file size limit",
    2: "file open-time limit",
    3: "maximum number of CDRs",
    4: "manual",
    5: "CDR release / version / encoding change",
    128: "abnormal: undefined error",
    129: "abnormal: no resources",
    130: "abnormal: not enough disk space",
    131: "abnormal: possible corruption",
}


class FileFormatError(ValueError):
    """The file's TS 32.297 framing is inconsistent: the whole file is rejected."""


@dataclass(frozen=True, slots=True)
class FileHeader:
    file_length: int
    header_length: int
    high_release: int
    high_version: int
    low_release: int
    low_version: int
    opened: str  # "MM-DD hh:mm+hh:mm" local time: the header has no year
    last_append: str
    cdr_count: int
    sequence: int
    closure_reason: int
    node_address: str
    lost_cdrs: int  # the raw lost-CDR indicator octet
    routing_filter: bytes
    private_extension: bytes


@dataclass(frozen=True, slots=True)
class CdrFrame:
    """Where one CDR lies in the file and what its CDR header says."""

    header_offset: int
    offset: int  # first octet of the record itself
    length: int
    release: int
    version: int
    data_format: int
    ts_number: int


def _release(identifier: int, extension: int | None) -> int:
    """Release number from a 3-bit identifier (0 = R99, 1 = Rel-4 ... 7 = Rel-10 + extension)."""
    if identifier == 0:
        return 99
    if identifier < 7:
        return identifier + 3
    return 10 + (extension or 0)


def header_timestamp(data: bytes) -> str:
    """TS 32.297 4-octet timestamp: month(4) day(5) hour(5) minute(6) sign(1) hh(5) mm(6).

    The sign bit is 1 for a local time ahead of UTC ("+"), 0 for behind.
    """
    value = int.from_bytes(data, "big")
    month, day = value >> 28, (value >> 23) & 0x1F
    hour, minute = (value >> 18) & 0x1F, (value >> 12) & 0x3F
    sign = "+" if (value >> 11) & 1 else "-"
    off_h, off_m = (value >> 6) & 0x1F, value & 0x3F
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and off_m < 60):
        raise FileFormatError(f"invalid header timestamp {data.hex()}")
    return f"{month:02d}-{day:02d} {hour:02d}:{minute:02d}{sign}{off_h:02d}:{off_m:02d}"


def _node_address(data: bytes) -> str:
    """20 octets; an IPv6 address in the last 16 (IPv4 as IPv4-mapped), the first 4 unused."""
    address = ipaddress.IPv6Address(data[4:])
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else str(address)


def parse_file_header(buf: bytes) -> FileHeader:
    """The TS 32.297 §6.1.1 file header at the start of ``buf``; checked against ``len(buf)``."""
    if len(buf) < FIXED_HEADER_LENGTH:
        raise FileFormatError(f"file of {len(buf)} octets is shorter than a CDR file header")
    file_length = int.from_bytes(buf[0:4], "big")
    header_length = int.from_bytes(buf[4:8], "big")
    if file_length != len(buf):
        raise FileFormatError(f"header says file length {file_length}, file has {len(buf)} octets")
    if not FIXED_HEADER_LENGTH <= header_length <= file_length:
        raise FileFormatError(f"header length {header_length} out of range")
    high, low = buf[8], buf[9]
    filter_length = int.from_bytes(buf[48:50], "big")
    pos = FIXED_HEADER_LENGTH + filter_length
    # Release identifier extensions close the header, one for each identifier equal to 7.
    extensions = int(high >> 5 == 7) + int(low >> 5 == 7)
    tail = header_length - extensions
    if pos > tail:
        raise FileFormatError(f"header length {header_length} too short for its fields")
    routing_filter = buf[FIXED_HEADER_LENGTH:pos]
    private = b""
    if pos < tail:  # the optional private extension: 2-octet length, then the octets
        private_length = int.from_bytes(buf[pos : pos + 2], "big")
        if pos + 2 + private_length != tail:
            raise FileFormatError(
                f"header length {header_length} does not match its fields "
                f"({tail - pos} octets left for a private extension of {private_length})"
            )
        private = buf[pos + 2 : tail]
    ext = buf[tail:header_length]
    high_ext = ext[0] if high >> 5 == 7 else None
    low_ext = ext[-1] if low >> 5 == 7 else None
    return FileHeader(
        file_length=file_length,
        header_length=header_length,
        high_release=_release(high >> 5, high_ext),
        high_version=high & 0x1F,
        low_release=_release(low >> 5, low_ext),
        low_version=low & 0x1F,
        opened=header_timestamp(buf[10:14]),
        last_append=header_timestamp(buf[14:18]),
        cdr_count=int.from_bytes(buf[18:22], "big"),
        sequence=int.from_bytes(buf[22:26], "big"),
        closure_reason=buf[26],
        node_address=_node_address(buf[27:47]),
        lost_cdrs=buf[47],
        routing_filter=routing_filter,
        private_extension=private,
    )


def iter_frames(buf: bytes, header: FileHeader) -> list[CdrFrame]:
    """Every CDR after the header, fillers skipped; FileFormatError when the framing fails."""
    frames: list[CdrFrame] = []
    pos, end = header.header_length, len(buf)
    while pos < end:
        if buf[pos] == FILLER:
            pos += 1
            continue
        if pos + 4 > end:
            raise FileFormatError(f"truncated CDR header at offset {pos}")
        length = int.from_bytes(buf[pos : pos + 2], "big")
        release_id, version = buf[pos + 2] >> 5, buf[pos + 2] & 0x1F
        data_format, ts_number = buf[pos + 3] >> 5, buf[pos + 3] & 0x1F
        size = 5 if release_id == 7 else 4  # the release identifier extension octet
        if pos + size > end:
            raise FileFormatError(f"truncated CDR header at offset {pos}")
        if data_format not in DATA_RECORD_FORMATS or length == 0:
            raise FileFormatError(
                f"no valid CDR header at offset {pos} ({buf[pos : pos + size].hex()}): "
                "garbage where a record or 0xFF filler was expected"
            )
        start = pos + size
        if start + length > end:
            raise FileFormatError(
                f"CDR {len(frames)} at offset {pos} declares {length} octets, "
                f"{end - start} left: file truncated"
            )
        extension = buf[pos + 4] if size == 5 else None
        release = _release(release_id, extension)
        frames.append(CdrFrame(pos, start, length, release, version, data_format, ts_number))
        pos = start + length
    if len(frames) != header.cdr_count:
        raise FileFormatError(
            f"header announces {header.cdr_count} CDRs, the file holds {len(frames)}"
        )
    return frames


# --- record fields ----------------------------------------------------------------------------


class FieldError(ValueError):
    """One record cannot be decoded or mapped: its row carries this message."""


MO, MT, PGW = "mo", "mt", "pgw"
_RECORD_KINDS = {ber.ctx(0): MO, ber.ctx(1): MT, ber.ctx(79): PGW}
_RECORD_TYPES = {MO: 0, MT: 1, PGW: 85}  # the recordType INTEGER each record must carry

# Context tag numbers of the components read, per record (TS 32.298 CSChargingDataTypes,
# GPRSChargingDataTypes); the names are the ASN.1 component names.
_TAGS: dict[str, dict[str, int]] = {
    MO: {
        "recordType": 0, "servedIMSI": 1, "servedMSISDN": 3, "callingNumber": 4,
        "calledNumber": 5, "recordingEntity": 9, "location": 12, "basicService": 14,
        "seizureTime": 22, "answerTime": 23, "callDuration": 25, "causeForTerm": 30,
        "callReference": 32,
    },
    MT: {
        "recordType": 0, "servedIMSI": 1, "servedMSISDN": 3, "callingNumber": 4,
        "recordingEntity": 6, "location": 9, "basicService": 11, "seizureTime": 19,
        "answerTime": 20, "callDuration": 22, "causeForTerm": 27, "callReference": 29,
    },
    PGW: {
        "recordType": 0, "servedIMSI": 3, "p-GWAddress": 4, "chargingID": 5,
        "servingNodeAddress": 6, "listOfTrafficVolumes": 12, "recordOpeningTime": 13,
        "duration": 14, "causeForRecClosing": 15, "nodeID": 18, "servedMSISDN": 22,
        "chargingCharacteristics": 23, "userLocationInformation": 32, "listOfServiceData": 34,
        "servingNodeType": 35,
    },
}  # fmt: skip
_MANDATORY = {
    MO: ("recordType", "recordingEntity", "callDuration", "causeForTerm", "callReference"),
    MT: ("recordType", "servedIMSI", "recordingEntity", "callDuration", "causeForTerm",
         "callReference"),
    PGW: ("recordType", "p-GWAddress", "chargingID", "servingNodeAddress", "recordOpeningTime",
          "duration", "causeForRecClosing", "chargingCharacteristics", "servingNodeType"),
}  # fmt: skip
_INTEGERS = frozenset({"recordType", "callDuration", "duration", "chargingID", "causeForTerm"})
# Volume containers: ChangeOfServiceCondition [12]/[13], ChangeOfCharCondition [3]/[4].
_SERVICE_VOLUMES = (ber.ctx(12), ber.ctx(13))
_TRAFFIC_VOLUMES = (ber.ctx(3), ber.ctx(4))


VolumePair = tuple[int | None, int | None]  # (uplink, downlink) octets of one container


@dataclass(slots=True)
class RecordFields:
    """The components mediation reads from one record, as either engine decoded them."""

    kind: str  # MO, MT or PGW
    values: dict[str, Any] = field(default_factory=dict)  # bytes | int | str, by component
    lac_cell: tuple[bytes, bytes] | None = None  # LocationAreaAndCell
    teleservice: bytes | None = None  # None: bearer service or absent
    bearer_service: bool = False
    gw_address: str | None = None
    volumes: list[VolumePair] | None = None  # per container


def _ip_text(kind: str, value: bytes | str) -> str:
    if kind in ("iPBinV4Address", "iPBinV6Address") and isinstance(value, bytes):
        return str(ipaddress.ip_address(value))
    return value if isinstance(value, str) else value.hex()


_IP_CHOICES = {0: "iPBinV4Address", 1: "iPBinV6Address", 2: "iPTextV4Address", 3: "iPTextV6Address"}


# How ber_fields reads each component.
_RAW, _INT, _LOCATION, _BASIC, _GW, _SERVICES, _TRAFFIC, _PRESENT = range(8)
_HOW = {
    "location": _LOCATION,
    "basicService": _BASIC,
    "p-GWAddress": _GW,
    "listOfServiceData": _SERVICES,
    "listOfTrafficVolumes": _TRAFFIC,
    "servingNodeAddress": _PRESENT,
    "servingNodeType": _PRESENT,
}
_PLAN = {
    kind: {
        ber.ctx(number): (name, _INT if name in _INTEGERS else _HOW.get(name, _RAW))
        for name, number in tags.items()
    }
    for kind, tags in _TAGS.items()
}
_LAC, _CELL = ber.ctx(0), ber.ctx(1)
_TELESERVICE, _BEARER_SERVICE = ber.ctx(3), ber.ctx(2)


def _int(data: bytes, name: str) -> int:
    if not data:
        raise FieldError(f"{name}: INTEGER without contents")
    return int.from_bytes(data, "big", signed=True)


def _each(data: bytes, start: int, end: int) -> list[ber.Tlv]:
    """Every TLV in ``data[start:end]`` (SEQUENCE OF members share one tag: not spans)."""
    return list(ber.iter_tlvs(data, start, end))


def _volumes(data: bytes, start: int, end: int, keys: tuple[int, int]) -> list[VolumePair]:
    """(uplink, downlink) of each container of a SEQUENCE OF volume containers."""
    up_key, down_key = keys
    containers: list[VolumePair] = []
    for container in _each(data, start, end):
        if not container.constructed:
            raise FieldError("volume container is not a SEQUENCE")
        parts = ber.spans(data, container.value_start, container.value_end)
        up, down = parts.get(up_key), parts.get(down_key)
        containers.append(
            (
                None if up is None else _int(data[up[0] : up[1]], "uplink volume"),
                None if down is None else _int(data[down[0] : down[1]], "downlink volume"),
            )
        )
    return containers


def ber_fields(
    data: bytes, record: ber.Tlv, members: dict[int, tuple[int, int, bool]] | None = None
) -> RecordFields:
    """The components read with ber.py alone (``record`` already framed and validated;
    ``members`` its children, when ber.frame_members already has them).

    Components the record type does not define (vendor extensions) are skipped; the ones
    read must have the expected form.
    """
    kind = _RECORD_KINDS.get(record.key)
    if kind is None:
        raise FieldError(f"record type {ber.describe_key(record.key)} is not supported")
    if not record.constructed:
        raise FieldError("record is not a constructed SET")
    plan = _PLAN[kind]
    fields = RecordFields(kind)
    values = fields.values
    present: set[str] = set()
    if members is None:
        members = ber.member_spans(data, record)
    for key, (start, end, constructed) in members.items():
        entry = plan.get(key)
        if entry is None:
            continue
        name, how = entry
        present.add(name)
        if how in (_RAW, _INT):
            if constructed:
                raise FieldError(f"{name}: constructed where a primitive encoding is expected")
            values[name] = data[start:end] if how == _RAW else _int(data[start:end], name)
            continue
        if not constructed:
            raise FieldError(f"{name}: primitive where a constructed encoding is expected")
        if how == _LOCATION:
            parts = ber.spans(data, start, end)
            lac, cell = parts.get(_LAC), parts.get(_CELL)
            if lac is None or cell is None:
                raise FieldError("location lacks locationAreaCode or cellId")
            fields.lac_cell = (data[lac[0] : lac[1]], data[cell[0] : cell[1]])
        elif how in (_BASIC, _GW):
            choices = _each(data, start, end)
            if len(choices) != 1:
                raise FieldError(f"{name}: a CHOICE holding {len(choices)} values")
            choice = choices[0]
            if how == _BASIC:
                fields.teleservice = choice.value(data) if choice.key == _TELESERVICE else None
                fields.bearer_service = choice.key == _BEARER_SERVICE
            elif choice.cls == ber.CONTEXT and choice.number in _IP_CHOICES:
                fields.gw_address = _ip_text(_IP_CHOICES[choice.number], choice.value(data))
            else:
                raise FieldError("p-GWAddress holds no address")
        elif how == _SERVICES:
            fields.volumes = _volumes(data, start, end, _SERVICE_VOLUMES)
        elif how == _TRAFFIC and fields.volumes is None:
            fields.volumes = _volumes(data, start, end, _TRAFFIC_VOLUMES)
    _check_mandatory(fields, present)
    return fields


def _check_mandatory(fields: RecordFields, present: set[str]) -> None:
    missing = [name for name in _MANDATORY[fields.kind] if name not in present]
    if missing:
        raise FieldError(f"mandatory component missing: {', '.join(missing)}")


_pycrate_records: dict[str, Any] = {}


def _pycrate_record(kind: str) -> Any:
    """The pycrate CHOICE object for a record kind; imported on first use (takes seconds)."""
    if not _pycrate_records:
        from pycrate_asn1dir import CDR

        _pycrate_records[MO] = _pycrate_records[MT] = CDR.CSChargingDataTypes.CSRecord
        _pycrate_records[PGW] = CDR.GPRSChargingDataTypes.GPRSRecord
    return _pycrate_records[kind]


def pycrate_fields(data: bytes, record: ber.Tlv) -> RecordFields:
    """The components decoded by pycrate's TS 32.298 modules (schema-checked)."""
    kind = _RECORD_KINDS.get(record.key)
    if kind is None:
        raise FieldError(f"record type {ber.describe_key(record.key)} is not supported")
    obj = _pycrate_record(kind)
    try:
        obj.from_ber(data)
        _name, value = obj.get_val()
    except Exception as exc:  # pycrate raises many unrelated types on bad input
        raise FieldError(f"TS 32.298 decoding failed: {exc}") from exc
    fields = RecordFields(kind)
    for name in _TAGS[kind]:
        if name not in value:
            continue
        item = value[name]
        if name == "location":
            fields.lac_cell = (item["locationAreaCode"], item["cellId"])
        elif name == "basicService":
            fields.teleservice = item[1] if item[0] == "teleservice" else None
            fields.bearer_service = item[0] == "bearerService"
        elif name == "p-GWAddress":
            _form, (address_kind, address) = item
            fields.gw_address = _ip_text(address_kind, address)
        elif name == "listOfServiceData":
            fields.volumes = [
                (c.get("datavolumeFBCUplink"), c.get("datavolumeFBCDownlink")) for c in item
            ]
        elif name == "listOfTrafficVolumes":
            if fields.volumes is None:
                fields.volumes = [
                    (c.get("dataVolumeGPRSUplink"), c.get("dataVolumeGPRSDownlink")) for c in item
                ]
        else:
            fields.values[name] = item.encode("latin-1") if isinstance(item, str) else item
    _check_mandatory(fields, {name for name in _TAGS[kind] if name in value})
    return fields


# --- values -----------------------------------------------------------------------------------

_TBCD_DIGITS = "0123456789*#abc"
# Lookup tables, octet -> text: decoding digits is most of what a call record costs.
# Inner octets must hold two digits; the last may end in the 0xF filler. None: invalid.
_TBCD_INNER: list[str | None] = [
    None if o & 0x0F == 0x0F or o >> 4 == 0x0F else _TBCD_DIGITS[o & 0x0F] + _TBCD_DIGITS[o >> 4]
    for o in range(256)
]
_TBCD_LAST: list[str | None] = [
    _TBCD_DIGITS[o & 0x0F] if o >> 4 == 0x0F and o & 0x0F != 0x0F else _TBCD_INNER[o]
    for o in range(256)
]
_BCD: list[int] = [
    10 * (o >> 4) + (o & 0x0F) if o >> 4 < 10 and o & 0x0F < 10 else -1 for o in range(256)
]


def tbcd(data: bytes, what: str) -> str:
    """TBCD (TS 29.002): two digits an octet, low nibble first, 0xF filler only at the end."""
    if not data:
        return ""
    parts = [_TBCD_INNER[o] for o in data[:-1]]
    parts.append(_TBCD_LAST[data[-1]])
    if None in parts:
        raise FieldError(f"{what}: filler inside the digits ({data.hex()})")
    return "".join(parts)  # type: ignore[arg-type]


def _ascii(data: bytes, what: str) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FieldError(f"{what}: not IA5 text ({data.hex()})") from exc


def imsi(data: bytes) -> str:
    value = tbcd(data, "servedIMSI")
    if not value.isdigit() or not 6 <= len(value) <= 15:
        raise FieldError(f"servedIMSI is not an IMSI ({data.hex()})")
    return value


def address(data: bytes, what: str, *, plus: bool = True) -> str:
    """An AddressString / BCD directory number: TON-NPI octet (and octet 3a when its
    extension bit is 0), then TBCD digits; an international number gets a leading "+"."""
    if not data:
        raise FieldError(f"{what}: empty")
    first = data[0]
    skip = 1 if first & 0x80 else 2
    digits = tbcd(data[skip:], what) if len(data) > skip else ""
    international = (first >> 4) & 0x07 == 1
    return f"+{digits}" if plus and international and digits else digits


def timestamp(data: bytes, what: str) -> datetime:
    """TS 32.298 TimeStamp: BCD YYMMDDhhmmss, an ASCII sign, BCD hhmm offset from UTC."""
    if len(data) != 9 or data[6] not in b"+-":
        raise FieldError(f"{what}: not a 9-octet TimeStamp ({data.hex()})")
    yy, mo, dd, hh, mi, ss, _sign, oh, om = [_BCD[o] for o in data]
    if min(yy, mo, dd, hh, mi, ss, oh, om) < 0:
        raise FieldError(f"{what}: not BCD ({data.hex()})")
    try:
        local = datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=UTC)
    except ValueError as exc:
        raise FieldError(f"{what}: {exc} ({data.hex()})") from exc
    if oh > 23 or om > 59:
        raise FieldError(f"{what}: offset out of range ({data.hex()})")
    offset = timedelta(hours=oh, minutes=om)
    return local - offset if data[6] == 0x2B else local + offset  # 0x2B: "+"


def uli_location(data: bytes) -> tuple[str | None, str | None]:
    """(area, cell) from a GTPv2 User Location Information (TS 29.274 §8.21) after its flags
    octet: CGI, SAI, RAI, TAI, ECGI, LAI in that order; TAC / ECI preferred (LTE)."""
    if not data:
        raise FieldError("userLocationInformation: empty")
    flags, pos = data[0], 1
    area: str | None = None
    cell: str | None = None
    sizes = ((0x01, 7), (0x02, 7), (0x04, 7), (0x08, 5), (0x10, 7), (0x20, 5))
    for bit, size in sizes:
        if not flags & bit:
            continue
        part = data[pos : pos + size]
        if len(part) != size:
            raise FieldError(f"userLocationInformation: truncated ({data.hex()})")
        pos += size
        if bit == 0x10:  # ECGI: 4 spare bits, 28-bit E-UTRAN cell identifier
            cell = str(int.from_bytes(part[3:7], "big") & 0x0FFF_FFFF)
        elif bit == 0x08 or area is None:  # TAI's TAC, else the first LAC
            area = str(int.from_bytes(part[3:5], "big"))
        if bit == 0x01 and cell is None:  # CGI's cell identity
            cell = str(int.from_bytes(part[5:7], "big"))
    return area, cell


# Plain str constants: StrEnum member lookups are measurable per record.
_VOICE, _SMS, _DATA = ServiceKind.VOICE.value, ServiceKind.SMS.value, ServiceKind.DATA.value
_ORIGINATING, _TERMINATING = Direction.ORIGINATING.value, Direction.TERMINATING.value


def _service(fields: RecordFields) -> str:
    if fields.kind == PGW or fields.bearer_service:
        return _DATA
    if fields.teleservice and fields.teleservice[0] >> 4 == 0x2:  # short message services
        return _SMS
    return _VOICE


def to_row(fields: RecordFields) -> dict[str, object]:
    """RAW_SCHEMA values of one record, whichever engine decoded it.

    A negative duration or volume is decoded but marked (``decode_error``) with the values
    kept, so the reject shows what the network wrote."""
    v = fields.values
    kind = fields.kind
    if v["recordType"] != _RECORD_TYPES[kind]:
        raise FieldError(f"recordType {v['recordType']} in a {kind} record")
    row: dict[str, object] = {"service": _service(fields)}
    if "servedIMSI" in v:
        row["imsi"] = imsi(v["servedIMSI"])
    msisdn = address(v["servedMSISDN"], "servedMSISDN") if "servedMSISDN" in v else None
    if kind == PGW:
        row["direction"] = _ORIGINATING
        row["calling"] = msisdn
        row["event_time"] = timestamp(v["recordOpeningTime"], "recordOpeningTime")
        row["duration_s"] = v["duration"]
        row["switch_id"] = _ascii(v["nodeID"], "nodeID") if "nodeID" in v else fields.gw_address
        row["call_reference"] = str(v["chargingID"])
        if "userLocationInformation" in v:
            row["location"], row["cell"] = uli_location(v["userLocationInformation"])
        if fields.volumes is not None:
            ups = [up for up, _ in fields.volumes if up is not None]
            downs = [down for _, down in fields.volumes if down is not None]
            row["volume_up"], row["volume_down"] = sum(ups), sum(downs)
            if any(n < 0 for n in ups + downs):
                row["decode_error"] = "negative volume"  # values kept for the reject
    else:
        calling = address(v["callingNumber"], "callingNumber") if "callingNumber" in v else None
        if kind == MO:
            row["direction"] = _ORIGINATING
            row["calling"] = msisdn or calling
            row["called"] = (
                address(v["calledNumber"], "calledNumber") if "calledNumber" in v else None
            )
        else:
            row["direction"] = _TERMINATING
            row["calling"], row["called"] = calling, msisdn
        start = v.get("answerTime") or v.get("seizureTime")
        row["event_time"] = None if start is None else timestamp(start, "answerTime/seizureTime")
        row["duration_s"] = v["callDuration"]
        row["switch_id"] = address(v["recordingEntity"], "recordingEntity", plus=False)
        row["call_reference"] = v["callReference"].hex()
        if fields.lac_cell is not None:
            lac, cell = fields.lac_cell
            row["location"] = str(int.from_bytes(lac, "big"))
            row["cell"] = str(int.from_bytes(cell, "big"))
    for column in ("duration_s", "volume_up", "volume_down"):
        number = row.get(column)
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            raise FieldError(f"{column} {number} out of range")
    if row["duration_s"] < 0:  # type: ignore[operator]
        row["decode_error"] = "negative duration"
    return row


# --- files ------------------------------------------------------------------------------------


def _decode_record(
    buf: bytes, frame: CdrFrame, engine: Engine
) -> tuple[RecordFields | None, str | None]:
    if frame.data_format != 1:
        return None, f"data record format {DATA_RECORD_FORMATS[frame.data_format]} not supported"
    data = buf[frame.offset : frame.offset + frame.length]
    try:
        if engine == "ber":
            tlv, members = ber.frame_members(data)
            return ber_fields(data, tlv, members), None
        return pycrate_fields(data, ber.frame(data)), None
    except ber.BerError as exc:
        return None, f"malformed BER: {exc}"
    except FieldError as exc:
        return None, str(exc)


def decode_3gpp_bytes(buf: bytes, *, engine: Engine = "ber") -> Decoded:
    """A whole TS 32.297 CDR file held in memory."""
    try:
        header = parse_file_header(buf)
        frames = iter_frames(buf, header)
    except FileFormatError as exc:
        return Decoded(records=raw_table([]), file_error=f"3GPP CDR file rejected: {exc}")
    rows: list[dict[str, object]] = []
    for record_no, frame in enumerate(frames):
        fields, error = _decode_record(buf, frame, engine)
        row: dict[str, object] = {}
        if fields is not None:
            try:
                row = to_row(fields)
                error = row.pop("decode_error", None)  # type: ignore[assignment]
            except FieldError as exc:
                error = str(exc)
                row = {}
        row["record_no"] = record_no
        row["raw_ref"] = f"offset={frame.offset}+{frame.length}"
        row["raw"] = buf[frame.offset : frame.offset + frame.length].hex()
        row["decode_error"] = error
        rows.append(row)
    details = {
        "format": "3GPP TS 32.297 / TS 32.298 BER",
        "release": f"high Rel-{header.high_release}.{header.high_version}, "
        f"low Rel-{header.low_release}.{header.low_version}",
        "file_opened": header.opened,
        "last_cdr_appended": header.last_append,
        "cdr_count": str(header.cdr_count),
        "closure_reason": CLOSURE_REASONS.get(header.closure_reason, str(header.closure_reason)),
        "node_address": header.node_address,
        "lost_cdr_indicator": str(header.lost_cdrs),
    }
    return Decoded(
        records=raw_table(rows),
        sequence=header.sequence,
        sender=header.node_address,
        details=details,
    )


def decode_3gpp_file(path: Path, *, engine: Engine = "ber") -> Decoded:
    """Decode a TS 32.297 CDR file of TS 32.298 BER records into RAW_SCHEMA rows."""
    return decode_3gpp_bytes(path.read_bytes(), engine=engine)
