"""What the network gateways (Diameter Gy, 5G Nchf) exchange with the online charging engine.

The gateways only translate: a Credit-Control-Request or an Nchf ChargingDataRequest becomes a
:class:`ChargingRequest`; the :class:`ChargingAnswer` becomes the CCA or ChargingDataResponse.
Result codes and request types carry their RFC 4006 / RFC 6733 numeric values so that the Gy
gateway can copy them into AVPs unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from openbss.charging.engine.sessions import SessionEngine


class ResultCode(IntEnum):
    """Result-Code values (RFC 6733 §7.1, RFC 4006 §9) the engine answers with."""

    SUCCESS = 2001
    UNKNOWN_SESSION_ID = 5002  # an update or termination of a session the engine never began
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


@dataclass(frozen=True)
class EngineSettings:
    """Tunable behaviour of the engine (defaults suit a voice/SMS/data prepaid network)."""

    # Tcc: a session with no request for this long is released by supervision (RFC 4006 §13).
    tcc_s: int = 120
    # Validity-Time of a grant: the client must come back within it (re-authorisation).
    validity_time_s: int = 60
    # Units granted when a request asks for none (or more than this): a quota per round.
    default_seconds: int = 300
    default_octets: int = 10 * 1024 * 1024
    default_messages: int = 1
    # A session's reservation expires this long after its last grant, even if supervision is
    # not running (so a crashed engine never holds money forever).
    reservation_margin_s: int = 60
    # A notification is queued when a balance drops below this many li after a debit.
    low_balance_li: int = 5_000
    # A debit that empties the money balance bars the line (a suspend order); False gives
    # grace: the line stays open and is only refused further grants.
    bar_on_zero: bool = True
    # Grants are at most this many times the default quota, whatever a client requests.
    max_grant_factor: int = 12
    # The caller's local network of a line whose number carries no area code (a mobile
    # number): the province's home area, as the switch would write on its usage record.
    home_areas: tuple[tuple[str, str], ...] = (
        ("BJ", "010"),
        ("SH", "021"),
        ("TJ", "022"),
        ("CQ", "023"),
        ("GD", "020"),
        ("JS", "025"),
        ("ZJ", "0571"),
        ("SC", "028"),
        ("HB", "027"),
        ("LN", "024"),
    )


SessionFactory = sessionmaker[Session]


class ChargingEngine:
    """One instance per process, thread-safe. Several processes may share one database: every
    balance change goes through the balance primitives, which lock the balance rows."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        data_dir: Path,
        clock: Callable[[], datetime] | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        from openbss.charging.engine.sessions import SessionEngine

        self._impl: SessionEngine = SessionEngine(
            session_factory,
            data_dir=data_dir,
            clock=clock,
            settings=settings or EngineSettings(),
        )

    @property
    def settings(self) -> EngineSettings:
        return self._impl.settings

    def charge(self, request: ChargingRequest) -> ChargingAnswer:
        """Answer one credit-control request. Idempotent per (session_id, request_number): a
        retransmission gets the same answer and changes nothing."""
        return self._impl.charge(request)

    def supervise(self, now: datetime) -> int:
        """Release the sessions silent for longer than Tcc (used units already reported are
        debited, the rest of the reservation returned). Returns how many were released."""
        return self._impl.supervise(now)
