"""5G Nchf_ConvergedCharging (3GPP TS 32.291 v3) bodies ↔ the engine's requests and answers.

A ChargingDataRequest's ``multipleUnitUsage`` becomes the engine's services (rating group,
requested unit, the used unit containers summed); the answer becomes a ChargingDataResponse
with ``multipleUnitInformation`` (granted unit, validity time, final unit indication). Only
the fields the engine uses are read (the rest of the 3GPP body is accepted and ignored); these
are checked strictly, so a malformed body is refused before anything is charged.

The subscriber is an MSISDN: ``subscriberIdentifier`` ``msisdn-<digits>`` (a SUPI of the
network-specific form), else ``pDUSessionChargingInformation.userInformation.servedGPSI``
``msisdn-<digits>``. An IMSI alone names no prepaid line here (no HLR/UDM mapping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic import ValidationError as PydanticValidationError

from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceRequest,
    ServiceUnits,
)

UINT32 = 2**32 - 1
UINT64 = 2**64 - 1
Uint32 = Annotated[StrictInt, Field(ge=0, le=UINT32)]
Uint64 = Annotated[StrictInt, Field(ge=0, le=UINT64)]


class _Units(BaseModel):
    model_config = ConfigDict(extra="allow")
    time: Uint32 | None = None
    totalVolume: Uint64 | None = None
    uplinkVolume: Uint64 | None = None
    downlinkVolume: Uint64 | None = None
    serviceSpecificUnits: Uint64 | None = None

    def units(self) -> ServiceUnits:
        octets = self.totalVolume
        if octets is None and (self.uplinkVolume is not None or self.downlinkVolume is not None):
            octets = (self.uplinkVolume or 0) + (self.downlinkVolume or 0)
        return ServiceUnits(seconds=self.time, octets=octets, messages=self.serviceSpecificUnits)


class _UsedUnitContainer(_Units):
    localSequenceNumber: StrictInt


class _MultipleUnitUsage(BaseModel):
    model_config = ConfigDict(extra="allow")
    ratingGroup: Uint32
    requestedUnit: _Units | None = None
    usedUnitContainer: list[_UsedUnitContainer] = Field(default_factory=list, max_length=64)


class _NFIdentification(BaseModel):
    model_config = ConfigDict(extra="allow")
    nodeFunctionality: str
    nFName: str | None = None


class _UserInformation(BaseModel):
    model_config = ConfigDict(extra="allow")
    servedGPSI: str | None = None


class _PduSession(BaseModel):
    model_config = ConfigDict(extra="allow")
    userInformation: _UserInformation | None = None


class _Ims(BaseModel):
    model_config = ConfigDict(extra="allow")
    calledPartyAddress: str | None = None


class ChargingDataRequest(BaseModel):
    """The part of TS 32.291 ChargingDataRequest the engine uses."""

    model_config = ConfigDict(extra="allow")
    subscriberIdentifier: str | None = None
    nfConsumerIdentification: _NFIdentification
    invocationTimeStamp: AwareDatetime
    invocationSequenceNumber: Uint32
    oneTimeEvent: StrictBool | None = None
    multipleUnitUsage: list[_MultipleUnitUsage] = Field(default_factory=list, max_length=64)
    pDUSessionChargingInformation: _PduSession | None = None
    iMSChargingInformation: _Ims | None = None


@dataclass(frozen=True)
class InvalidParam:
    param: str  # a JSON pointer
    reason: str


class NchfBadRequest(Exception):
    """A body the gateway refuses (400, cause INVALID_MSG_FORMAT / MANDATORY_IE_MISSING)."""

    def __init__(self, cause: str, detail: str, params: tuple[InvalidParam, ...] = ()) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail
        self.params = params


def parse_request(body: object) -> ChargingDataRequest:
    if not isinstance(body, dict):
        raise NchfBadRequest("INVALID_MSG_FORMAT", "the body must be a JSON object")
    try:
        return ChargingDataRequest.model_validate(body)
    except PydanticValidationError as exc:
        params = tuple(
            InvalidParam(
                "/" + "/".join(str(part) for part in error["loc"]),
                str(error["msg"]),
            )
            for error in exc.errors()[:10]
        )
        missing = any(error["type"] == "missing" for error in exc.errors())
        cause = "MANDATORY_IE_MISSING" if missing else "MANDATORY_IE_INCORRECT"
        raise NchfBadRequest(cause, "the ChargingDataRequest is not valid", params) from None


def subscriber_of(request: ChargingDataRequest) -> str:
    candidates = [request.subscriberIdentifier]
    if (
        request.pDUSessionChargingInformation
        and request.pDUSessionChargingInformation.userInformation
    ):
        candidates.append(request.pDUSessionChargingInformation.userInformation.servedGPSI)
    for candidate in candidates:
        if candidate and candidate.startswith("msisdn-"):
            digits = candidate.removeprefix("msisdn-")
            if digits.isdigit() and 5 <= len(digits) <= 15:
                return digits
            raise NchfBadRequest(
                "MANDATORY_IE_INCORRECT",
                "an MSISDN is 5 to 15 digits",
                (InvalidParam("/subscriberIdentifier", "msisdn-<5 to 15 digits>"),),
            )
    raise NchfBadRequest(
        "MANDATORY_IE_MISSING",
        "the subscriber's MSISDN is required (subscriberIdentifier or servedGPSI msisdn-…)",
        (InvalidParam("/subscriberIdentifier", "msisdn-<digits> required"),),
    )


def _called(request: ChargingDataRequest) -> str | None:
    if request.iMSChargingInformation is None:
        return None
    address = request.iMSChargingInformation.calledPartyAddress
    if not address:
        return None
    text = address.strip()
    for scheme in ("tel:", "sip:", "sips:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
    text = text.split("@", 1)[0].split(";", 1)[0].removeprefix("+")
    return text if text.isdigit() else None


def _used(containers: list[_UsedUnitContainer]) -> ServiceUnits | None:
    if not containers:
        return None
    parts = [container.units() for container in containers]

    def add(values: list[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    return ServiceUnits(
        seconds=add([p.seconds for p in parts]),
        octets=add([p.octets for p in parts]),
        messages=add([p.messages for p in parts]),
    )


def charging_request(
    request: ChargingDataRequest, *, reference: str, request_type: RequestType, origin: str
) -> ChargingRequest:
    if request_type is RequestType.INITIAL and request.oneTimeEvent:
        request_type = RequestType.EVENT
    services = tuple(
        ServiceRequest(
            rating_group=usage.ratingGroup,
            requested=usage.requestedUnit.units() if usage.requestedUnit is not None else None,
            used=_used(usage.usedUnitContainer),
        )
        for usage in request.multipleUnitUsage
    )
    return ChargingRequest(
        session_id=reference,
        request_type=request_type,
        request_number=request.invocationSequenceNumber,
        subscriber=subscriber_of(request),
        called=_called(request),
        event_time=request.invocationTimeStamp.astimezone(UTC),
        services=services,
        origin=origin,
    )


# TS 32.291 §6.1.6.3.12 ResultCode for one rating group.
_RESULT_NAMES = {
    ResultCode.SUCCESS: "SUCCESS",
    ResultCode.END_USER_SERVICE_DENIED: "END_USER_SERVICE_DENIED",
    ResultCode.CREDIT_LIMIT_REACHED: "QUOTA_LIMIT_REACHED",
    ResultCode.USER_UNKNOWN: "USER_UNKNOWN",
    ResultCode.RATING_FAILED: "RATING_FAILED",
    ResultCode.UNABLE_TO_COMPLY: "END_USER_SERVICE_REJECTED",
}

# A whole request refused: HTTP status and TS 32.291 §6.1.7.3 application error cause.
REFUSALS = {
    ResultCode.USER_UNKNOWN: (404, "USER_UNKNOWN"),
    ResultCode.UNKNOWN_SESSION_ID: (404, "CONTEXT_NOT_FOUND"),
    ResultCode.CREDIT_LIMIT_REACHED: (403, "QUOTA_LIMIT_REACHED"),
    ResultCode.END_USER_SERVICE_DENIED: (403, "END_USER_REQUEST_DENIED"),
    ResultCode.RATING_FAILED: (400, "CHARGING_FAILED"),
    ResultCode.UNABLE_TO_COMPLY: (400, "CHARGING_FAILED"),
}


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def response_body(answer: ChargingAnswer, answered_at: datetime) -> dict[str, Any]:
    """A ChargingDataResponse (TS 32.291 §6.1.6.2.1.3)."""
    units_info: list[dict[str, Any]] = []
    for grant in answer.grants:
        info: dict[str, Any] = {
            "ratingGroup": grant.rating_group,
            "resultCode": _RESULT_NAMES.get(grant.result, "END_USER_SERVICE_REJECTED"),
        }
        if grant.granted is not None:
            granted: dict[str, int] = {}
            if grant.granted.seconds is not None:
                granted["time"] = grant.granted.seconds
            if grant.granted.octets is not None:
                granted["totalVolume"] = grant.granted.octets
            if grant.granted.messages is not None:
                granted["serviceSpecificUnits"] = grant.granted.messages
            info["grantedUnit"] = granted
        if grant.validity_time_s is not None:
            info["validityTime"] = grant.validity_time_s
        if grant.final_unit:
            info["finalUnitIndication"] = {"finalUnitAction": "TERMINATE"}
        units_info.append(info)
    body: dict[str, Any] = {
        "invocationTimeStamp": _timestamp(answered_at),
        "invocationSequenceNumber": answer.request_number,
    }
    if units_info:
        body["multipleUnitInformation"] = units_info
    return body


def problem(
    status: int, title: str, detail: str, cause: str, params: tuple[InvalidParam, ...] = ()
) -> dict[str, Any]:
    """ProblemDetails (TS 29.571 §5.2.4.1)."""
    body: dict[str, Any] = {"title": title, "status": status, "detail": detail, "cause": cause}
    if params:
        body["invalidParams"] = [{"param": p.param, "reason": p.reason} for p in params]
    return body
