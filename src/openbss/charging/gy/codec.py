"""Diameter messages on the wire: framing checks, the Credit-Control-Request as a
:class:`ChargingRequest`, answers as bytes.

AVP encoding and decoding is python-diameter's (its dictionary knows the RFC 6733, RFC 4006 and
3GPP TS 32.299 AVPs); this module adds what a server must check before trusting a message:
header bits, message and AVP lengths, unknown mandatory AVPs, missing and invalid values —
each mapped to the RFC 6733 Result-Code with the offending AVP in Failed-AVP.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from diameter.message import Avp, Message, MessageHeader
from diameter.message.avp import AvpGrouped
from diameter.message.avp.avp import get_avp_dictionary_entry
from diameter.message.avp.errors import AvpDecodeError
from diameter.message.constants import (
    AVP_AUTH_APPLICATION_ID,
    AVP_CC_INPUT_OCTETS,
    AVP_CC_OUTPUT_OCTETS,
    AVP_CC_REQUEST_NUMBER,
    AVP_CC_REQUEST_TYPE,
    AVP_CC_SERVICE_SPECIFIC_UNITS,
    AVP_CC_TIME,
    AVP_CC_TOTAL_OCTETS,
    AVP_DESTINATION_REALM,
    AVP_ERROR_MESSAGE,
    AVP_EVENT_TIMESTAMP,
    AVP_FAILED_AVP,
    AVP_FINAL_UNIT_ACTION,
    AVP_FINAL_UNIT_INDICATION,
    AVP_GRANTED_SERVICE_UNIT,
    AVP_MULTIPLE_SERVICES_CREDIT_CONTROL,
    AVP_ORIGIN_HOST,
    AVP_ORIGIN_REALM,
    AVP_RATING_GROUP,
    AVP_REQUESTED_SERVICE_UNIT,
    AVP_RESULT_CODE,
    AVP_SERVICE_CONTEXT_ID,
    AVP_SESSION_ID,
    AVP_SUBSCRIPTION_ID,
    AVP_SUBSCRIPTION_ID_DATA,
    AVP_SUBSCRIPTION_ID_TYPE,
    AVP_TGPP_ADDRESS_DATA,
    AVP_TGPP_CALLED_PARTY_ADDRESS,
    AVP_USED_SERVICE_UNIT,
    AVP_VALIDITY_TIME,
    VENDOR_TGPP,
)
from diameter.message.packer import ConversionError

from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingRequest,
    RequestType,
    ServiceRequest,
    ServiceUnits,
)

CREDIT_CONTROL_APP = 4
RELAY_APP = 0xFFFFFFFF
CMD_CAPABILITIES_EXCHANGE = 257
CMD_CREDIT_CONTROL = 272
CMD_DEVICE_WATCHDOG = 280
CMD_DISCONNECT_PEER = 282
BASE_COMMANDS = frozenset({CMD_CAPABILITIES_EXCHANGE, CMD_DEVICE_WATCHDOG, CMD_DISCONNECT_PEER})

# RFC 6733 §7.1 and RFC 4006 §9 Result-Code values the gateway itself produces.
SUCCESS = 2001
COMMAND_UNSUPPORTED = 3001
APPLICATION_UNSUPPORTED = 3007
INVALID_HDR_BITS = 3008
INVALID_AVP_BITS = 3009
AVP_UNSUPPORTED = 5001
INVALID_AVP_VALUE = 5004
MISSING_AVP = 5005
NO_COMMON_APPLICATION = 5010
UNSUPPORTED_VERSION = 5011
UNABLE_TO_COMPLY = 5012
INVALID_AVP_LENGTH = 5014
INVALID_MESSAGE_LENGTH = 5015
USER_UNKNOWN = 5030

HEADER_LENGTH = 20
# A credit-control message is a few hundred bytes; anything near this is not one.
MAX_MESSAGE_LENGTH = 64 * 1024
END_USER_E164 = 0
FINAL_UNIT_TERMINATE = 0
_FLAG_REQUEST = 0x80
_FLAG_ERROR = 0x20
_HEADER_RESERVED = 0x0F
_AVP_VENDOR = 0x80
_AVP_MANDATORY = 0x40
_AVP_RESERVED = 0x1F
_U32 = struct.Struct("!I")
_HEAD = struct.Struct("!II")


class DiameterError(Exception):
    """A request the gateway answers with an error Result-Code (never a crash)."""

    def __init__(self, result_code: int, message: str, failed: Avp | None = None) -> None:
        super().__init__(message)
        self.result_code = result_code
        self.message = message
        self.failed = failed

    @property
    def is_protocol_error(self) -> bool:
        """3xxx answers carry the E bit (RFC 6733 §7.1.3)."""
        return 3000 <= self.result_code < 4000


@dataclass(frozen=True, slots=True)
class Header:
    version: int
    length: int
    flags: int
    command: int
    application: int
    hop_by_hop: int
    end_to_end: int

    @property
    def is_request(self) -> bool:
        return bool(self.flags & _FLAG_REQUEST)


def parse_header(data: bytes) -> Header:
    version_length, flags_command, app, hbh, e2e = struct.unpack_from("!IIIII", data)
    return Header(
        version=version_length >> 24,
        length=version_length & 0xFFFFFF,
        flags=flags_command >> 24,
        command=flags_command & 0xFFFFFF,
        application=app,
        hop_by_hop=hbh,
        end_to_end=e2e,
    )


def check_frame(header: Header, data: bytes) -> None:
    """Header bits and every AVP's length (recursively in grouped AVPs the dictionary knows).

    Raises :class:`DiameterError` with 5011, 5015, 3008, 3009 or 5014."""
    if header.version != 1:
        raise DiameterError(UNSUPPORTED_VERSION, f"Diameter version {header.version}")
    if header.length != len(data) or header.length % 4:
        raise DiameterError(INVALID_MESSAGE_LENGTH, f"message length {header.length}")
    if header.flags & _HEADER_RESERVED or (header.is_request and header.flags & _FLAG_ERROR):
        raise DiameterError(INVALID_HDR_BITS, f"command flags 0x{header.flags:02x}")
    _check_avps(data, HEADER_LENGTH, len(data))


def _check_avps(data: bytes, start: int, end: int) -> None:
    offset = start
    while offset < end:
        if end - offset < 8:
            raise DiameterError(INVALID_AVP_LENGTH, "truncated AVP header")
        code, flags_length = _HEAD.unpack_from(data, offset)
        flags = flags_length >> 24
        length = flags_length & 0xFFFFFF
        vendor = 0
        header_size = 8
        if flags & _AVP_VENDOR:
            header_size = 12
            if end - offset < 12:
                raise DiameterError(INVALID_AVP_LENGTH, f"AVP {code}: truncated vendor id")
            (vendor,) = _U32.unpack_from(data, offset + 8)
        if length < header_size or offset + length > end:
            raise DiameterError(
                INVALID_AVP_LENGTH, f"AVP {code}: length {length}", Avp(code, vendor, b"", flags)
            )
        if flags & _AVP_RESERVED:
            raise DiameterError(
                INVALID_AVP_BITS,
                f"AVP {code}: flags 0x{flags:02x}",
                Avp(code, vendor, data[offset + header_size : offset + length], flags),
            )
        info = get_avp_dictionary_entry(code, vendor)
        if info is not None and issubclass(info["type"], AvpGrouped):
            _check_avps(data, offset + header_size, offset + length)
        # A group's last member may leave its padding outside the group's length.
        offset += (length + 3) & ~3


def decode(data: bytes) -> list[Avp]:
    """The message's top-level AVPs (python-diameter); the frame must have been checked."""
    try:
        return list(Message.from_bytes(data, plain_msg=True).avps)
    except ConversionError as exc:  # pragma: no cover - check_frame rejects these first
        raise DiameterError(INVALID_MESSAGE_LENGTH, str(exc)) from None


def check_mandatory_known(avps: Iterable[Avp]) -> None:
    """RFC 6733 §4.1: an AVP with the M bit the server does not know → 5001 (AVP_UNSUPPORTED)."""
    for avp in avps:
        info = get_avp_dictionary_entry(avp.code, avp.vendor_id)
        if info is None:
            if avp.flags & _AVP_MANDATORY:
                raise DiameterError(AVP_UNSUPPORTED, f"unknown mandatory AVP {avp.code}", avp)
            continue
        if isinstance(avp, AvpGrouped):
            check_mandatory_known(group(avp))


def _value(avp: Avp) -> object:
    try:
        return avp.value
    except (AvpDecodeError, ConversionError, ValueError, UnicodeDecodeError) as exc:
        raise DiameterError(INVALID_AVP_VALUE, f"{avp.name}: {exc}", avp) from None


def first(avps: Sequence[Avp], code: int, vendor: int = 0) -> Avp | None:
    for avp in avps:
        if avp.code == code and avp.vendor_id == vendor:
            return avp
    return None


def _all(avps: Sequence[Avp], code: int, vendor: int = 0) -> list[Avp]:
    return [avp for avp in avps if avp.code == code and avp.vendor_id == vendor]


def _missing(code: int, vendor: int = 0) -> DiameterError:
    """5005 with a Failed-AVP naming the missing AVP (RFC 6733 §7.5: an example AVP)."""
    example = Avp.new(code, vendor)
    name = example.name
    return DiameterError(MISSING_AVP, f"{name} is missing", example)


def _int(avp: Avp) -> int:
    value = _value(avp)
    if not isinstance(value, int):
        raise DiameterError(INVALID_AVP_VALUE, f"{avp.name} is not an integer", avp)
    return value


def required_int(avps: Sequence[Avp], code: int) -> int:
    avp = first(avps, code)
    if avp is None:
        raise _missing(code)
    return _int(avp)


def required_text(avps: Sequence[Avp], code: int) -> str:
    avp = first(avps, code)
    if avp is None:
        raise _missing(code)
    value = _value(avp)
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise DiameterError(INVALID_AVP_VALUE, f"{avp.name} is not UTF-8", avp) from None
    if not isinstance(value, str) or not value:
        raise DiameterError(INVALID_AVP_VALUE, f"{avp.name} is empty", avp)
    return value


def optional_text(avps: Sequence[Avp], code: int) -> str | None:
    return required_text(avps, code) if first(avps, code) is not None else None


def _units(units: Avp) -> ServiceUnits:
    members = group(units)
    seconds = _optional_int(members, AVP_CC_TIME)
    total = _optional_int(members, AVP_CC_TOTAL_OCTETS)
    if total is None:
        inbound = _optional_int(members, AVP_CC_INPUT_OCTETS)
        outbound = _optional_int(members, AVP_CC_OUTPUT_OCTETS)
        if inbound is not None or outbound is not None:
            total = (inbound or 0) + (outbound or 0)
    messages = _optional_int(members, AVP_CC_SERVICE_SPECIFIC_UNITS)
    return ServiceUnits(seconds=seconds, octets=total, messages=messages)


def _optional_int(avps: Sequence[Avp], code: int) -> int | None:
    avp = first(avps, code)
    if avp is None:
        return None
    value = _int(avp)
    if value < 0:
        raise DiameterError(INVALID_AVP_VALUE, f"{avp.name} is negative", avp)
    return value


def group(avp: Avp) -> list[Avp]:
    value = _value(avp)
    if not isinstance(value, list):
        raise DiameterError(INVALID_AVP_VALUE, f"{avp.name} is not grouped", avp)
    return value


def _summed(groups: Sequence[Avp]) -> ServiceUnits | None:
    """Several Used-Service-Unit AVPs (e.g. one per tariff period) report one total."""
    if not groups:
        return None
    parts = [_units(units) for units in groups]

    def add(values: list[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    return ServiceUnits(
        seconds=add([p.seconds for p in parts]),
        octets=add([p.octets for p in parts]),
        messages=add([p.messages for p in parts]),
    )


def _subscriber(avps: Sequence[Avp]) -> str:
    ids = _all(avps, AVP_SUBSCRIPTION_ID)
    if not ids:
        raise _missing(AVP_SUBSCRIPTION_ID)
    for subscription in ids:
        members = group(subscription)
        kind = required_int(members, AVP_SUBSCRIPTION_ID_TYPE)
        if kind != END_USER_E164:
            continue
        number = required_text(members, AVP_SUBSCRIPTION_ID_DATA).removeprefix("+")
        if not number.isdigit() or not 3 <= len(number) <= 15:
            raise DiameterError(
                INVALID_AVP_VALUE, "Subscription-Id-Data is not a number", subscription
            )
        return number
    raise DiameterError(USER_UNKNOWN, "no END_USER_E164 Subscription-Id")


def _called(avps: Sequence[Avp]) -> str | None:
    """The other party: IMS Called-Party-Address (voice) or SMS Recipient Address-Data, found
    anywhere in Service-Information; ``tel:+86…`` / ``sip:+86…@host`` become digits."""
    for code in (AVP_TGPP_CALLED_PARTY_ADDRESS, AVP_TGPP_ADDRESS_DATA):
        found = _find_deep(avps, code, VENDOR_TGPP)
        if found is not None:
            raw = _value(found)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            return _digits(text)
    return None


def _find_deep(avps: Sequence[Avp], code: int, vendor: int) -> Avp | None:
    for avp in avps:
        if avp.code == code and avp.vendor_id == vendor:
            return avp
        if isinstance(avp, AvpGrouped):
            found = _find_deep(group(avp), code, vendor)
            if found is not None:
                return found
    return None


def _digits(address: str) -> str | None:
    text = address.strip()
    for scheme in ("tel:", "sip:", "sips:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
    text = text.split("@", 1)[0].split(";", 1)[0].removeprefix("+")
    return text if text.isdigit() else None


def _event_time(avps: Sequence[Avp], received: datetime) -> datetime:
    avp = first(avps, AVP_EVENT_TIMESTAMP)
    if avp is None:
        return received
    value = _value(avp)
    if not isinstance(value, datetime):
        raise DiameterError(INVALID_AVP_VALUE, "Event-Timestamp is not a time", avp)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def charging_request(avps: Sequence[Avp], *, origin: str, received: datetime) -> ChargingRequest:
    """A CCR's AVPs as the engine's request (RFC 4006 §3.1 mandatory AVPs checked)."""
    session_id = required_text(avps, AVP_SESSION_ID)
    for code in (AVP_ORIGIN_HOST, AVP_ORIGIN_REALM, AVP_DESTINATION_REALM, AVP_SERVICE_CONTEXT_ID):
        required_text(avps, code)
    if required_int(avps, AVP_AUTH_APPLICATION_ID) != CREDIT_CONTROL_APP:
        failed = first(avps, AVP_AUTH_APPLICATION_ID)
        raise DiameterError(INVALID_AVP_VALUE, "Auth-Application-Id must be 4", failed)
    kind = required_int(avps, AVP_CC_REQUEST_TYPE)
    try:
        request_type = RequestType(kind)
    except ValueError:
        failed = first(avps, AVP_CC_REQUEST_TYPE)
        raise DiameterError(INVALID_AVP_VALUE, f"CC-Request-Type {kind}", failed) from None
    number = required_int(avps, AVP_CC_REQUEST_NUMBER)
    if number < 0:
        failed = first(avps, AVP_CC_REQUEST_NUMBER)
        raise DiameterError(INVALID_AVP_VALUE, "CC-Request-Number is negative", failed)
    services = []
    for mscc in _all(avps, AVP_MULTIPLE_SERVICES_CREDIT_CONTROL):
        members = group(mscc)
        rating_group = _optional_int(members, AVP_RATING_GROUP)
        if rating_group is None:
            raise _missing(AVP_RATING_GROUP)
        requested = first(members, AVP_REQUESTED_SERVICE_UNIT)
        services.append(
            ServiceRequest(
                rating_group=rating_group,
                requested=_units(requested) if requested is not None else None,
                used=_summed(_all(members, AVP_USED_SERVICE_UNIT)),
            )
        )
    return ChargingRequest(
        session_id=session_id,
        request_type=request_type,
        request_number=number,
        subscriber=_subscriber(avps),
        called=_called(avps),
        event_time=_event_time(avps, received),
        services=tuple(services),
        origin=origin,
    )


# ---- answers ---------------------------------------------------------------------------------


def answer_bytes(request: Header, avps: list[Avp], *, error: bool = False) -> bytes:
    """An answer to ``request``: same command, application and identifiers, R bit clear."""
    header = MessageHeader(
        version=1,
        command_code=request.command,
        application_id=request.application,
        hop_by_hop_identifier=request.hop_by_hop,
        end_to_end_identifier=request.end_to_end,
    )
    header.is_proxyable = bool(request.flags & 0x40)
    header.is_error = error
    data: bytes = Message(header, avps).as_bytes()
    return data


def request_bytes(
    command: int, application: int, avps: list[Avp], *, hop_by_hop: int, end_to_end: int
) -> bytes:
    header = MessageHeader(
        version=1,
        command_code=command,
        application_id=application,
        hop_by_hop_identifier=hop_by_hop,
        end_to_end_identifier=end_to_end,
    )
    header.is_request = True
    data: bytes = Message(header, avps).as_bytes()
    return data


def identity_avps(origin_host: bytes, origin_realm: bytes) -> list[Avp]:
    return [
        Avp.new(AVP_ORIGIN_HOST, value=origin_host),
        Avp.new(AVP_ORIGIN_REALM, value=origin_realm),
    ]


def error_avps(
    error: DiameterError, session_id: str | None, identity: list[Avp], *, with_text: bool = True
) -> list[Avp]:
    avps: list[Avp] = []
    if session_id is not None:
        avps.append(Avp.new(AVP_SESSION_ID, value=session_id))
    avps.append(Avp.new(AVP_RESULT_CODE, value=error.result_code))
    avps.extend(identity)
    if with_text:
        avps.append(Avp.new(AVP_ERROR_MESSAGE, value=error.message[:200]))
    if error.failed is not None:
        avps.append(Avp.new(AVP_FAILED_AVP, value=[error.failed]))
    return avps


def _units_avp(code: int, units: ServiceUnits) -> Avp:
    members: list[Avp] = []
    if units.seconds is not None:
        members.append(Avp.new(AVP_CC_TIME, value=units.seconds))
    if units.octets is not None:
        members.append(Avp.new(AVP_CC_TOTAL_OCTETS, value=units.octets))
    if units.messages is not None:
        members.append(Avp.new(AVP_CC_SERVICE_SPECIFIC_UNITS, value=units.messages))
    return Avp.new(code, value=members)


def cca_avps(
    answer: ChargingAnswer, request_type: int, identity: list[Avp], *, include_grants: bool = True
) -> list[Avp]:
    """The CCA's AVPs: the engine's answer, one Multiple-Services-Credit-Control per rating
    group with its own Result-Code, Granted-Service-Unit, Validity-Time and
    Final-Unit-Indication (TERMINATE) when these are the last units."""
    avps = [
        Avp.new(AVP_SESSION_ID, value=answer.session_id),
        Avp.new(AVP_RESULT_CODE, value=int(answer.result)),
        *identity,
        Avp.new(AVP_AUTH_APPLICATION_ID, value=CREDIT_CONTROL_APP),
        Avp.new(AVP_CC_REQUEST_TYPE, value=request_type),
        Avp.new(AVP_CC_REQUEST_NUMBER, value=answer.request_number),
    ]
    if not include_grants:
        return avps
    for grant in answer.grants:
        members = [Avp.new(AVP_RATING_GROUP, value=grant.rating_group)]
        if grant.granted is not None:
            members.append(_units_avp(AVP_GRANTED_SERVICE_UNIT, grant.granted))
        if grant.validity_time_s is not None:
            members.append(Avp.new(AVP_VALIDITY_TIME, value=grant.validity_time_s))
        members.append(Avp.new(AVP_RESULT_CODE, value=int(grant.result)))
        if grant.final_unit:
            fui = [Avp.new(AVP_FINAL_UNIT_ACTION, value=FINAL_UNIT_TERMINATE)]
            members.append(Avp.new(AVP_FINAL_UNIT_INDICATION, value=fui))
        avps.append(Avp.new(AVP_MULTIPLE_SERVICES_CREDIT_CONTROL, value=members))
    return avps
