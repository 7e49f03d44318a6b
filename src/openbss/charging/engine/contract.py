"""What the network gateways (Diameter Gy, 5G Nchf) exchange with the online charging engine.

The gateways only translate: a Credit-Control-Request or an Nchf ChargingDataRequest becomes a
:class:`ChargingRequest`; the :class:`ChargingAnswer` becomes the CCA or ChargingDataResponse.
Result codes and request types carry their RFC 4006 / RFC 6733 numeric values so that the Gy
gateway can copy them into AVPs unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class ResultCode(IntEnum):
    """Result-Code values (RFC 6733 §7.1, RFC 4006 §9) the engine answers with."""

    SUCCESS = 2001
    END_USER_SERVICE_DENIED = 4010
    CREDIT_LIMIT_REACHED = 4012
    UNABLE_TO_COMPLY = 5012
    USER_UNKNOWN = 5030
    RATING_FAILED = 5031


class RequestType(IntEnum):
    """CC-Request-Type (RFC 4006 §8.3)."""

    INITIAL = 1
    UPDATE = 2
    TERMINATION = 3
    EVENT = 4


@dataclass(frozen=True)
class ServiceUnits:
    """Requested, granted or used units: CC-Time (seconds), CC-*-Octets (total), CC-Service-
    Specific-Units (messages). ``None`` means "not present"."""

    seconds: int | None = None
    octets: int | None = None
    messages: int | None = None


@dataclass(frozen=True)
class ServiceRequest:
    """One Multiple-Services-Credit-Control of a request."""

    rating_group: int
    requested: ServiceUnits | None
    used: ServiceUnits | None


@dataclass(frozen=True)
class ChargingRequest:
    """A credit-control request as the engine sees it, whatever the network protocol."""

    session_id: str
    request_type: RequestType
    request_number: int
    subscriber: str  # E.164 without "+", or a national fixed number
    called: str | None
    event_time: datetime  # UTC
    services: tuple[ServiceRequest, ...]
    origin: str  # peer / client id, for logs


@dataclass(frozen=True)
class ServiceGrant:
    """The answer for one rating group: the units granted, whether they are the final units
    (Final-Unit-Indication, action TERMINATE) and how long they stay valid (Validity-Time)."""

    rating_group: int
    result: ResultCode
    granted: ServiceUnits | None
    final_unit: bool
    validity_time_s: int | None


@dataclass(frozen=True)
class ChargingAnswer:
    """The credit-control answer; ``tcc_s`` is the Tcc supervision timer the client should use."""

    session_id: str
    request_number: int
    result: ResultCode
    grants: tuple[ServiceGrant, ...]
    tcc_s: int
