"""No overdraft, nothing lost: 100 concurrent credit-control sessions drain one shared balance
with random updates, terminations and silent sessions — in threads of one engine, and in two
engine processes sharing the database — on SQLite and on PostgreSQL.

What must hold, whatever the interleaving:

- the balance never goes below zero (sampled while the load runs, and at the end);
- every unit a network element reported used in an answered request is debited: per session
  the engine's used units equal the reported ones, and the money debited equals the batch
  price of those units (the reference rater) — no shortfall, no debit without usage;
- balance + debits is conserved: opening balance = closing balance + the log's debits, and
  once supervision has released the silent sessions nothing is held any more.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.charging.engine.models import ChargingService, ChargingSession
from openbss.charging.engine.pricing import Call, Used, cost, rating_groups
from openbss.charging.engine.sessions import SessionEngine
from openbss.charging.models import BalanceBucket, BalanceTransaction
from openbss.rating.public import Service
from tests.charging_engine_support import Prepaid, prepaid_lines
from tests.charging_load import SessionReport, run_load

SESSIONS = 100
OPENING_LI = 20_000  # about a third of what the sessions would use: the balance runs dry
ROOT = Path(__file__).resolve().parents[2]


def _buckets(factory: sessionmaker[Session]) -> list[tuple[int, int]]:
    with factory() as session:
        return [
            (b.remaining, b.reserved)
            for b in session.scalars(select(BalanceBucket).where(BalanceBucket.unit == "li"))
        ]


class Watch:
    """Samples the money buckets while the load runs: never negative, never over-held."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.samples = 0
        self.violations: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            for remaining, reserved in _buckets(self.factory):
                if remaining < 0 or reserved < 0 or reserved > remaining:
                    self.violations.append((remaining, reserved))
            self.samples += 1
            self._stop.wait(0.02)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _prepare(factory: sessionmaker[Session]) -> Prepaid:
    prepaid = prepaid_lines(factory, count=4)  # four lines of one account, one shared balance
    prepaid.top_up(prepaid.numbers[0], OPENING_LI, account=True)
    return prepaid


def _check(prepaid: Prepaid, reports: list[SessionReport], data_dir: Path) -> None:
    factory = prepaid.factory
    # Supervision releases the silent sessions (their Tcc has long run out by then).
    engine = SessionEngine(
        factory, data_dir=data_dir, clock=prepaid.clock, settings=prepaid.engine(data_dir).settings
    )
    engine.supervise(prepaid.clock() + timedelta(days=400))
    assert engine.supervise(prepaid.clock() + timedelta(days=400)) == 0

    by_id = {r.session_id: r for r in reports}
    assert len(by_id) == SESSIONS
    endings = {kind: sum(r.ended == kind for r in reports) for kind in ("terminated", "silent")}
    assert endings["terminated"] > 0 and endings["silent"] > 0
    refusals = sum(4012 in r.answers or r.ended == "refused" for r in reports)
    assert refusals > 0, "the balance should have run dry"

    voice = rating_groups()[100]
    with factory() as session:
        charged_total = 0
        for charging in session.scalars(select(ChargingSession)):
            report = by_id[charging.id]
            service = session.get(ChargingService, (charging.id, 100))
            used = 0 if service is None else service.used_seconds
            assert used == report.used_seconds, charging.id  # every reported unit counted
            assert charging.status != "open"
            if service is None:
                continue
            assert service.reservation_id is None
            call = Call(
                subscriber=charging.subscriber,
                account_id=charging.account_id,
                product_id=charging.product_id,
                service=Service.VOICE,
                start=charging.started_at,
                called=charging.called or "",
                calling_area_code=charging.area_code,
            )
            plan = engine._plan(session, charging, call)
            assert service.charged_amount == cost(call, Used(seconds=used), plan), charging.id
            assert voice.quantity.value == service.quantity
            charged_total += service.charged_amount
        debits = -session.scalar(
            select(func.coalesce(func.sum(BalanceTransaction.amount), 0)).where(
                BalanceTransaction.kind == "debit"
            )
        )
        shortfalls = session.scalar(
            select(func.count()).where(BalanceTransaction.kind == "shortfall")
        )
    buckets = _buckets(factory)
    closing = sum(remaining for remaining, _ in buckets)
    assert all(remaining >= 0 for remaining, _ in buckets)
    assert all(reserved == 0 for _, reserved in buckets)  # nothing held once all ended
    assert shortfalls == 0
    assert debits == charged_total  # the log's debits are the sessions' prices
    assert closing + debits == OPENING_LI  # balance + debits conserved
    assert closing < OPENING_LI // 4  # and the balance was really drained


def test_one_engine_many_threads(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    prepaid = _prepare(session_factory)
    engine = prepaid.engine(tmp_path)
    with Watch(session_factory) as watch:
        reports = run_load(engine, 0, SESSIONS, [n for n in prepaid.numbers], seed=7)
    assert watch.samples > 0 and watch.violations == []
    _check(prepaid, reports, tmp_path)


def test_two_engine_processes_share_the_database(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    prepaid = _prepare(session_factory)
    url = engine.url.render_as_string(hide_password=False)
    half = SESSIONS // 2
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.charging_load",
                url,
                str(tmp_path),
                str(first),
                str(half),
                ",".join(prepaid.numbers),
                "11",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (0, half)
    ]
    outputs = []
    with Watch(session_factory) as watch:
        for process in processes:
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, err[-3000:]
            outputs.append(out)
    assert watch.samples > 0 and watch.violations == []
    reports = [
        SessionReport(**item)
        for out in outputs
        for item in json.loads(out.strip().splitlines()[-1])
    ]
    assert len({asdict(r)["session_id"] for r in reports}) == SESSIONS
    _check(prepaid, reports, tmp_path)
