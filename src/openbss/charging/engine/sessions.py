"""RFC 4006 credit-control sessions: reserve on INITIAL, debit and reserve again on UPDATE,
debit the last units and release the rest on TERMINATION, debit directly on EVENT.

Every request runs in one write unit of work. Its last statement inserts the request row
(session id, request number) with the answer: a retransmission — to this engine or to another
sharing the database — collides with it, rolls back everything it did and gets the stored
answer, so nothing is debited twice. Money
and unit buckets move only through the balance primitives of ``openbss.charging.public``,
which lock the balance rows; a session holds one reservation per rating group at a time
(``<session>/<rating group>/<round>``), debited with ``release_rest`` at the next request,
so a grant never outlives the round it was made for and reservations never pile up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from openbss.charging import public as balances
from openbss.charging.engine import afterwards, repository
from openbss.charging.engine.answers import answer_from_json, answer_to_json
from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingRequest,
    EngineSettings,
    RequestType,
    ResultCode,
    ServiceGrant,
    ServiceRequest,
    ServiceUnits,
    SessionFactory,
)
from openbss.charging.engine.models import (
    ChargingRequestRow,
    ChargingService,
    ChargingSession,
    SessionStatus,
)
from openbss.charging.engine.plans import PlanCache
from openbss.charging.engine.pricing import (
    Call,
    PricingFailed,
    Quantity,
    RatingGroup,
    Used,
    assignment,
    check_priceable,
    cost,
    e164_digits,
    fixed_area_code,
    rating_groups,
    units_for,
)
from openbss.db.uow import unit_of_work
from openbss.kit.clock import bounded_utc, ensure_utc
from openbss.kit.clock import now as wall_clock
from openbss.kit.settings import get_settings
from openbss.kit.worker import failure_summary
from openbss.rating.public import RatingPlan, Service

log = logging.getLogger(__name__)

# The balance unit that pays a rating group's quantity in kind (a minutes, SMS or MB bucket).
BUCKET_UNIT = {
    Quantity.SECONDS: balances.Unit.SECOND,
    Quantity.OCTETS: balances.Unit.BYTE,
    Quantity.MESSAGES: balances.Unit.MESSAGE,
}
_INSERT_REQUEST = insert(cast(Table, ChargingRequestRow.__table__))
RETRIES = 8  # a deadlock or a busy database rolls the whole request back: run it again


@dataclass(frozen=True, slots=True)
class _Outcome:
    grant: ServiceGrant
    debited_li: int = 0


class SessionEngine:
    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        data_dir: Path,
        clock: Callable[[], datetime] | None,
        settings: EngineSettings,
    ) -> None:
        self.factory = session_factory
        self.data_dir = data_dir
        self.clock = clock or wall_clock
        self.settings = settings
        self.plans = PlanCache()
        self.groups = rating_groups()
        self.home_areas = dict(settings.home_areas)
        self._lock = threading.Lock()  # guards nothing shared but the plan cache's entries
        # SQLite admits one writer at a time; the others poll its busy handler, sleeping
        # between tries, which made the slowest requests wait for hundreds of milliseconds.
        # Within this process writers queue on a lock instead and take the write lock in
        # turn; another process sharing the file still waits on the busy handler.
        bind = session_factory.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._writer: AbstractContextManager[object] = threading.Lock() if sqlite else nullcontext()

    # --- entry points ---------------------------------------------------------------------

    def charge(self, request: ChargingRequest) -> ChargingAnswer:
        problem = _malformed(request)
        if problem is not None:
            log.info("credit-control request refused: %s", problem)
            return _answer(request, ResultCode.UNABLE_TO_COMPLY)
        for attempt in range(RETRIES):
            try:
                return self._charge_once(request)
            except IntegrityError:
                # The same request was answered concurrently: its answer is the answer.
                stored = self._stored_answer(request)
                if stored is not None:
                    return stored
                _pause(attempt)
            except OperationalError as exc:
                if not _retryable(exc):
                    log.error("credit-control request failed: %s", failure_summary(exc))
                    return _answer(request, ResultCode.UNABLE_TO_COMPLY)
                _pause(attempt)
            except Exception as exc:  # never a crash of the gateway: nothing was kept
                log.error("credit-control request failed: %s", failure_summary(exc))
                return _answer(request, ResultCode.UNABLE_TO_COMPLY)
        log.warning("credit-control request gave up after %d attempts", RETRIES)
        return _answer(request, ResultCode.UNABLE_TO_COMPLY)

    def supervise(self, now: datetime) -> int:
        """Release every open session whose Tcc ran out before ``now``."""
        now = ensure_utc(now)
        with self.factory() as session:
            silent = repository.silent_sessions(session, now, limit=1000)
        released = 0
        for session_id in silent:
            for attempt in range(RETRIES):
                try:
                    with self._writer, unit_of_work(self.factory, writes=True) as session:
                        if self._release_silent(session, session_id, now):
                            released += 1
                    break
                except OperationalError as exc:
                    if not _retryable(exc):
                        raise
                    _pause(attempt)
        return released

    # --- one request ----------------------------------------------------------------------

    def _charge_once(self, request: ChargingRequest) -> ChargingAnswer:
        with self._writer, unit_of_work(self.factory, writes=True) as session:
            answer = self._handle(session, request)
            # The request row goes in last, with its answer, in the same transaction as every
            # change the request made: a concurrent twin (this engine or another sharing the
            # database) fails on this insert — on PostgreSQL after waiting for the original to
            # commit — and its whole transaction rolls back; ``charge`` then answers with the
            # stored answer. One statement per request instead of an insert and an update.
            session.flush()
            session.execute(
                _INSERT_REQUEST,
                {
                    "session_id": request.session_id,
                    "request_number": request.request_number,
                    "request_type": int(request.request_type),
                    "answer": answer_to_json(answer),
                },
            )
        return answer

    def _stored_answer(self, request: ChargingRequest) -> ChargingAnswer | None:
        with self.factory() as session:
            stored = session.get(ChargingRequestRow, (request.session_id, request.request_number))
            return None if stored is None or not stored.answer else answer_from_json(stored.answer)

    def _handle(self, session: Session, request: ChargingRequest) -> ChargingAnswer:
        now = ensure_utc(self.clock())
        if request.request_type in (RequestType.INITIAL, RequestType.EVENT):
            if repository.session_for_update(session, request.session_id) is not None:
                return _answer(request, ResultCode.UNABLE_TO_COMPLY)  # a Session-Id reused
            line = balances.subscriber_product(
                session,
                request.subscriber,
                ensure_utc(request.event_time),
                statuses=("active", "suspended"),
            )
            if line is None:
                return _answer(request, ResultCode.USER_UNKNOWN)
            if line.status != "active":
                return _answer(request, ResultCode.END_USER_SERVICE_DENIED)
            opened = self._open(session, request, line, now)
            if request.request_type == RequestType.EVENT:
                return self._event(session, request, opened, now)
            return self._rounds(session, request, opened, now)
        charging = repository.session_for_update(session, request.session_id)
        if charging is None or charging.status == SessionStatus.TERMINATED:
            return _answer(request, ResultCode.UNKNOWN_SESSION_ID)
        return self._rounds(session, request, charging, now)

    def _open(
        self, session: Session, request: ChargingRequest, line: balances.PrepaidLine, now: datetime
    ) -> ChargingSession:
        number = e164_digits(line.number)
        province = line.province or get_settings().default_province
        area = fixed_area_code(number) or self.home_areas.get(province)
        called = e164_digits(request.called) if request.called else None
        charging = ChargingSession(
            id=request.session_id,
            province=province,
            subscriber=line.number,
            product_id=line.product_id,
            account_id=line.account_id or "",
            offering_id=line.offering_id,
            called=None if called is None else "+" + called,
            area_code=area,
            status=SessionStatus.OPEN,
            started_at=ensure_utc(request.event_time),
            last_request_number=request.request_number,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=self.settings.tcc_s),
            origin=request.origin[:255],
        )
        session.add(charging)
        session.flush()
        return charging

    def _rounds(
        self,
        session: Session,
        request: ChargingRequest,
        charging: ChargingSession,
        now: datetime,
    ) -> ChargingAnswer:
        """INITIAL, UPDATE and TERMINATION: debit what was used, then grant or release."""
        released = charging.status == SessionStatus.RELEASED
        terminating = request.request_type == RequestType.TERMINATION
        owners = _owners(charging)
        grants: list[ServiceGrant] = []
        debited = 0
        seen: set[int] = set()
        for wanted in request.services:
            seen.add(wanted.rating_group)
            group = self.groups.get(wanted.rating_group)
            if group is None:
                grants.append(_refused(wanted.rating_group, ResultCode.RATING_FAILED))
                continue
            outcome = self._service_round(
                session, request, charging, owners, group, wanted, now, released
            )
            grants.append(outcome.grant)
            debited += outcome.debited_li
        if terminating:
            for service in repository.services_of(session, charging.id):
                if service.rating_group not in seen:
                    self._close_reservation(session, service, now)
        charging.last_request_number = max(charging.last_request_number, request.request_number)
        charging.last_seen_at = now
        charging.expires_at = now + timedelta(seconds=self.settings.tcc_s)
        if terminating and not released:
            charging.status = SessionStatus.TERMINATED
            charging.ended_at = now
        elif terminating:
            charging.status = SessionStatus.TERMINATED  # a late termination after release
        afterwards.after_debit(session, charging, owners, debited, now, self.settings)
        if released and not terminating:
            return _answer(request, ResultCode.UNKNOWN_SESSION_ID, tuple(grants), self.settings)
        return _answer(request, _overall(grants), tuple(grants), self.settings)

    def _service_round(
        self,
        session: Session,
        request: ChargingRequest,
        charging: ChargingSession,
        owners: tuple[balances.Owner, ...],
        group: RatingGroup,
        wanted: ServiceRequest,
        now: datetime,
        released: bool,
    ) -> _Outcome:
        service = (
            None  # the session opened in this request: it has no rating group yet
            if request.request_type == RequestType.INITIAL
            else repository.service_of(session, charging.id, group.id)
        )
        if service is None:
            service = ChargingService(
                session_id=charging.id,
                rating_group=group.id,
                service=group.service.value,
                quantity=group.quantity.value,
                used_seconds=0,
                used_octets=0,
                used_messages=0,
                bucket_units=0,
                charged_amount=0,
                granted_units=0,
                final_unit=False,
                rounds=0,
            )
            repository.add_service(session, service)  # inserted by the request's one flush
        call = self._call(charging, group.service)
        try:
            plan = self._plan(session, charging, call)
            debited = self._debit_used(session, service, call, plan, wanted.used, now)
        except PricingFailed as exc:
            log.info("rating group %d not priceable: %s", group.id, exc.error)
            self._close_reservation(session, service, now)
            return _Outcome(_refused(group.id, ResultCode.RATING_FAILED))
        if request.request_type == RequestType.TERMINATION or released:
            self._close_reservation(session, service, now)
            return _Outcome(_granted(group.id, None, False, None), debited)
        if service.final_unit:
            # The last grant was final: nothing more, whatever was used of it.
            self._close_reservation(session, service, now)
            return _Outcome(_refused(group.id, ResultCode.CREDIT_LIMIT_REACHED), debited)
        grant = self._grant(session, service, call, plan, owners, group, wanted.requested, now)
        return _Outcome(grant, debited)

    # --- debits ---------------------------------------------------------------------------

    def _debit_used(
        self,
        session: Session,
        service: ChargingService,
        call: Call,
        plan: RatingPlan,
        used: ServiceUnits | None,
        now: datetime,
    ) -> int:
        """Debit the units reported used against the current reservation and release what
        it holds beyond them. Returns the li debited."""
        reported = _used(used)
        quantity = Quantity(service.quantity)
        before = _used_of(service)
        total = before.plus(reported)
        debited_li = 0
        if service.reservation_id is not None and service.reservation_unit != balances.Unit.LI:
            # The round was granted from a unit bucket: the units are debited in kind.
            in_kind = reported.of(quantity)
            balances.debit(
                session,
                reservation_id=service.reservation_id,
                used=in_kind,
                at=now,
                release_rest=True,
            )
            service.bucket_units += in_kind
        else:
            money_used = total.with_(quantity, total.of(quantity) - service.bucket_units)
            price = cost(call, money_used, plan)
            debited_li = max(0, price - service.charged_amount)
            if service.reservation_id is not None:
                balances.debit(
                    session,
                    reservation_id=service.reservation_id,
                    used=debited_li,
                    at=now,
                    release_rest=True,
                    on_balance=afterwards.noting_money_left(session),
                )
            elif debited_li > 0:
                # Used units reported with no reservation (a late report after supervision
                # released it): debited from the balance all the same, down to zero.
                rid = f"{service.session_id}/{service.rating_group}/late{service.rounds}"
                service.rounds += 1
                balances.reserve(
                    session,
                    reservation_id=rid,
                    owners=_owners_of_service(session, service),
                    unit=balances.Unit.LI,
                    amount=0,
                    at=now,
                    expires_at=now + timedelta(seconds=self.settings.tcc_s),
                )
                balances.debit(
                    session,
                    reservation_id=rid,
                    used=debited_li,
                    at=now,
                    release_rest=True,
                    on_balance=afterwards.noting_money_left(session),
                )
            service.charged_amount = max(service.charged_amount, price)
        service.used_seconds, service.used_octets = total.seconds, total.octets
        service.used_messages = total.messages
        service.reservation_id = None
        service.reservation_unit = None
        service.granted_units = 0
        return debited_li

    def _close_reservation(self, session: Session, service: ChargingService, now: datetime) -> None:
        if service.reservation_id is not None:
            balances.release(session, reservation_id=service.reservation_id, at=now)
            service.reservation_id = None
            service.reservation_unit = None
            service.granted_units = 0

    # --- grants ---------------------------------------------------------------------------

    def _grant(
        self,
        session: Session,
        service: ChargingService,
        call: Call,
        plan: RatingPlan,
        owners: tuple[balances.Owner, ...],
        group: RatingGroup,
        requested: ServiceUnits | None,
        now: datetime,
    ) -> ServiceGrant:
        quantity = group.quantity
        wanted = self._wanted(quantity, requested)
        expires = now + timedelta(
            seconds=max(self.settings.validity_time_s, self.settings.tcc_s)
            + self.settings.reservation_margin_s
        )
        validity = self.settings.validity_time_s
        rid = f"{service.session_id}/{service.rating_group}/{service.rounds}"
        service.rounds += 1

        bucket = BUCKET_UNIT.get(quantity)
        if bucket is not None and balances.available(session, owners, bucket, now) > 0:
            got = balances.reserve(
                session,
                reservation_id=rid,
                owners=owners,
                unit=bucket,
                amount=wanted,
                at=now,
                expires_at=expires,
            )
            if got > 0:
                service.reservation_id, service.reservation_unit = rid, bucket
                service.granted_units = got
                return _granted(group.id, _units(quantity, got), False, validity)
            balances.release(session, reservation_id=rid, at=now)
            rid = f"{service.session_id}/{service.rating_group}/{service.rounds}"
            service.rounds += 1

        money_used = _used_of(service)
        money_used = money_used.with_(quantity, money_used.of(quantity) - service.bucket_units)
        needed = cost(call, money_used.with_(quantity, money_used.of(quantity) + wanted), plan)
        needed -= service.charged_amount
        if needed <= 0:  # free (a service number, a free band): no money held
            service.granted_units = wanted
            return _granted(group.id, _units(quantity, wanted), False, validity)
        got = balances.reserve(
            session,
            reservation_id=rid,
            owners=owners,
            unit=balances.Unit.LI,
            amount=needed,
            at=now,
            expires_at=expires,
        )
        if got >= needed:
            units, final = wanted, False
        else:
            units = units_for(call, money_used, quantity, got, wanted, plan) if got > 0 else 0
            final = True  # the balance covers this grant only: Final-Unit-Indication
        if units == 0:
            balances.release(session, reservation_id=rid, at=now)
            return _refused(group.id, ResultCode.CREDIT_LIMIT_REACHED)
        service.reservation_id, service.reservation_unit = rid, balances.Unit.LI
        service.granted_units = units
        service.final_unit = final
        return _granted(group.id, _units(quantity, units), final, validity)

    def _wanted(self, quantity: Quantity, requested: ServiceUnits | None) -> int:
        default = {
            Quantity.SECONDS: self.settings.default_seconds,
            Quantity.OCTETS: self.settings.default_octets,
            Quantity.MESSAGES: self.settings.default_messages,
        }[quantity]
        asked: int | None = None if requested is None else getattr(requested, quantity.value)
        if asked is None or asked <= 0:
            return default
        return min(asked, default * self.settings.max_grant_factor)

    # --- EVENT: an SMS or another one-off, debited at once ---------------------------------

    def _event(
        self,
        session: Session,
        request: ChargingRequest,
        charging: ChargingSession,
        now: datetime,
    ) -> ChargingAnswer:
        owners = _owners(charging)
        grants: list[ServiceGrant] = []
        debited = 0
        for wanted in request.services:
            group = self.groups.get(wanted.rating_group)
            if group is None:
                grants.append(_refused(wanted.rating_group, ResultCode.RATING_FAILED))
                continue
            units = _used(wanted.requested or wanted.used).of(group.quantity) or 1
            grant, li = self._direct_debit(session, charging, owners, group, units, now)
            grants.append(grant)
            debited += li
        charging.status = SessionStatus.TERMINATED
        charging.ended_at = now
        afterwards.after_debit(session, charging, owners, debited, now, self.settings)
        return _answer(request, _overall(grants), tuple(grants), self.settings)

    def _direct_debit(
        self,
        session: Session,
        charging: ChargingSession,
        owners: tuple[balances.Owner, ...],
        group: RatingGroup,
        units: int,
        now: datetime,
    ) -> tuple[ServiceGrant, int]:
        quantity = group.quantity
        service = ChargingService(
            session_id=charging.id,
            rating_group=group.id,
            service=group.service.value,
            quantity=quantity.value,
            used_seconds=0,
            used_octets=0,
            used_messages=0,
            bucket_units=0,
            charged_amount=0,
            granted_units=0,
            final_unit=False,
            rounds=1,
        )
        repository.add_service(session, service)
        call = self._call(charging, group.service)
        used = Used().with_(quantity, units)
        expires = now + timedelta(seconds=self.settings.reservation_margin_s)
        rid = f"{charging.id}/{group.id}/0"
        try:
            plan = self._plan(session, charging, call)
            check_priceable(call, plan)
            bucket = BUCKET_UNIT.get(quantity)
            if bucket is not None and balances.available(session, owners, bucket, now) >= units:
                balances.reserve(
                    session,
                    reservation_id=rid,
                    owners=owners,
                    unit=bucket,
                    amount=units,
                    at=now,
                    expires_at=expires,
                )
                balances.debit(session, reservation_id=rid, used=units, at=now, release_rest=True)
                service.bucket_units = units
                _set_used(service, used)
                return _granted(group.id, _units(quantity, units), False, None), 0
            price = cost(call, used, plan)
        except PricingFailed as exc:
            log.info("event not priceable: %s", exc.error)
            return _refused(group.id, ResultCode.RATING_FAILED), 0
        if price > 0:
            got = balances.reserve(
                session,
                reservation_id=rid,
                owners=owners,
                unit=balances.Unit.LI,
                amount=price,
                at=now,
                expires_at=expires,
            )
            if got < price:  # all or nothing: a message is sent whole or not at all
                balances.release(session, reservation_id=rid, at=now)
                return _refused(group.id, ResultCode.CREDIT_LIMIT_REACHED), 0
            balances.debit(
                session,
                reservation_id=rid,
                used=price,
                at=now,
                release_rest=True,
                on_balance=afterwards.noting_money_left(session),
            )
        service.charged_amount = price
        _set_used(service, used)
        return _granted(group.id, _units(quantity, units), False, None), price

    # --- supervision ----------------------------------------------------------------------

    def _release_silent(self, session: Session, session_id: str, now: datetime) -> bool:
        charging = repository.session_for_update(session, session_id)
        if charging is None or charging.status != SessionStatus.OPEN:
            return False
        if charging.expires_at > now:
            return False  # a request came in since the sessions were listed
        for service in repository.services_of(session, session_id):
            self._close_reservation(session, service, now)
        charging.status = SessionStatus.RELEASED
        charging.ended_at = now
        log.info("session released by supervision after %ds of silence", self.settings.tcc_s)
        return True

    # --- pricing context ------------------------------------------------------------------

    def _call(self, charging: ChargingSession, service: Service) -> Call:
        called = charging.called or ""
        return Call(
            subscriber=charging.subscriber,
            account_id=charging.account_id,
            product_id=charging.product_id,
            service=service,
            start=charging.started_at,
            called="" if service == Service.DATA else called,
            calling_area_code=charging.area_code,
        )

    def _plan(self, session: Session, charging: ChargingSession, call: Call) -> RatingPlan:
        province = self.plans.get(session, charging.province)
        tariff_id = province.tariff_of(charging.offering_id)
        if tariff_id is None:
            raise PricingFailed("NO_TARIFF")
        return RatingPlan(tariffs=province.tariffs, assignments=(assignment(call, tariff_id),))


# --- helpers ------------------------------------------------------------------------------


def _malformed(request: ChargingRequest) -> str | None:
    if not request.session_id or len(request.session_id) > 255:
        return "a Session-Id of 1 to 255 characters is needed"
    if request.request_number < 0:
        return "CC-Request-Number must not be negative"
    if request.request_type in (RequestType.INITIAL, RequestType.EVENT) and (
        not request.subscriber or len(request.subscriber) > 32
    ):
        return "a subscriber number is needed"
    if request.event_time.tzinfo is None:
        return "the event time must carry a time zone"
    try:
        bounded_utc(request.event_time)
    except ValueError:
        return "the event time is out of range"
    for service in request.services:
        for units in (service.requested, service.used):
            if units is None:
                continue
            for value in (units.seconds, units.octets, units.messages):
                if value is not None and not 0 <= value < 2**62:
                    return "units must be non-negative integers"
    if len({s.rating_group for s in request.services}) != len(request.services):
        return "a rating group appears twice"
    return None


def _retryable(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    return code in ("40P01", "40001", "55P03") or sqlite_code in (5, 6)


def _pause(attempt: int) -> None:
    time.sleep(min(0.2, 0.005 * 2**attempt))


def _used(units: ServiceUnits | None) -> Used:
    if units is None:
        return Used()
    return Used(units.seconds or 0, units.octets or 0, units.messages or 0)


def _used_of(service: ChargingService) -> Used:
    return Used(service.used_seconds, service.used_octets, service.used_messages)


def _set_used(service: ChargingService, used: Used) -> None:
    service.used_seconds, service.used_octets = used.seconds, used.octets
    service.used_messages = used.messages


def _owners(charging: ChargingSession) -> tuple[balances.Owner, ...]:
    """Whose balances pay the session: its line, then the line's billing account — what
    ``owners_of`` answers, kept on the session row when it opened (no look-up per round)."""
    owners = [balances.Owner("product", charging.product_id)]
    if charging.account_id:
        owners.append(balances.Owner("account", charging.account_id))
    return tuple(owners)


def _owners_of_service(session: Session, service: ChargingService) -> tuple[balances.Owner, ...]:
    charging = session.get(ChargingSession, service.session_id)
    return () if charging is None else _owners(charging)


def _units(quantity: Quantity, amount: int) -> ServiceUnits:
    return ServiceUnits(**{quantity.value: amount})


def _granted(
    rating_group: int, units: ServiceUnits | None, final: bool, validity: int | None
) -> ServiceGrant:
    return ServiceGrant(rating_group, ResultCode.SUCCESS, units, final, validity)


def _refused(rating_group: int, result: ResultCode) -> ServiceGrant:
    return ServiceGrant(rating_group, result, None, False, None)


def _overall(grants: Iterable[ServiceGrant]) -> ResultCode:
    """SUCCESS when any rating group succeeded (or none was asked); else the first refusal."""
    results = [g.result for g in grants]
    if not results or ResultCode.SUCCESS in results:
        return ResultCode.SUCCESS
    return results[0]


def _answer(
    request: ChargingRequest,
    result: ResultCode,
    grants: tuple[ServiceGrant, ...] = (),
    settings: EngineSettings | None = None,
) -> ChargingAnswer:
    return ChargingAnswer(
        session_id=request.session_id,
        request_number=request.request_number,
        result=result,
        grants=grants,
        tcc_s=(settings or EngineSettings()).tcc_s,
    )
