"""A stand-in charging engine and an in-process Gy server for the gateway tests.

The stand-in keeps the engine contract (``openbss.charging.engine.contract``): seconds of
credit per subscriber, grants ``min(requested, left)``, Final-Unit-Indication when the grant
is the last, idempotent per (session, request number); it lets the gateway tests run without
balances or tariffs. The real engine is exercised through ``openbss ocs serve``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceGrant,
    ServiceUnits,
)
from openbss.charging.gy.server import GyServer, GySettings

UNKNOWN = "8613900000000"
BROKEN = "8613999999999"


@dataclass
class FakeEngine:
    """Seconds of credit per subscriber; ``reserved`` per session."""

    credit: dict[str, int] = field(default_factory=lambda: {"8613800138000": 600})
    reserved: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    answers: dict[tuple[str, int], ChargingAnswer] = field(default_factory=dict)
    requests: list[ChargingRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def charge(self, request: ChargingRequest) -> ChargingAnswer:
        if request.subscriber == BROKEN:
            raise RuntimeError("the stand-in engine fails for this subscriber")
        with self.lock:
            key = (request.session_id, request.request_number)
            if key in self.answers:
                return self.answers[key]
            self.requests.append(request)
            answer = self._answer(request)
            self.answers[key] = answer
            return answer

    def _answer(self, request: ChargingRequest) -> ChargingAnswer:
        if request.subscriber not in self.credit:
            return ChargingAnswer(request.session_id, request.request_number,
                                  ResultCode.USER_UNKNOWN, (), 120)  # fmt: skip
        grants = []
        held = self.reserved.pop(request.session_id, 0)
        used = sum((s.used.seconds or 0) for s in request.services if s.used is not None)
        used = min(used, held)
        self.credit[request.subscriber] += held - used
        self.used[request.subscriber] = self.used.get(request.subscriber, 0) + used
        if request.request_type is RequestType.TERMINATION:
            return ChargingAnswer(request.session_id, request.request_number,
                                  ResultCode.SUCCESS, (), 120)  # fmt: skip
        for service in request.services:
            wanted = (service.requested.seconds if service.requested else None) or 300
            left = self.credit[request.subscriber]
            if left == 0:
                grants.append(ServiceGrant(service.rating_group, ResultCode.CREDIT_LIMIT_REACHED,
                                           None, False, None))  # fmt: skip
                continue
            grant = min(wanted, left)
            self.credit[request.subscriber] -= grant
            self.reserved[request.session_id] = self.reserved.get(request.session_id, 0) + grant
            units = ServiceUnits(seconds=grant)
            grants.append(ServiceGrant(service.rating_group, ResultCode.SUCCESS, units,
                                       grant < wanted, 60))  # fmt: skip
        result = (
            ResultCode.CREDIT_LIMIT_REACHED
            if grants and all(g.result is ResultCode.CREDIT_LIMIT_REACHED for g in grants)
            else ResultCode.SUCCESS
        )
        return ChargingAnswer(request.session_id, request.request_number, result,
                              tuple(grants), 120)  # fmt: skip


@contextmanager
def running_gy(engine: FakeEngine, settings: GySettings | None = None) -> Iterator[GyServer]:
    """A Gy server on an ephemeral loopback port, its event loop in a thread."""
    loop = asyncio.new_event_loop()
    server = GyServer(engine, settings)
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start("127.0.0.1", 0))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
