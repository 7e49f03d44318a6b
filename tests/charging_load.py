"""A credit-control load: many concurrent sessions on one shared balance, each a random
sequence of rounds that ends in a termination or in silence.

A simulated network element behaves as RFC 4006 asks: it uses at most what was granted,
reports what it used in the next request, stops at a Final-Unit-Indication or a refusal, and
retransmits a request (same number) when the answer was UNABLE_TO_COMPLY. What it reports as
used — in requests that were answered — is the ground truth the test compares debits with.

Run as a process: ``python -m tests.charging_load <database url> <data dir> <first> <count>
<numbers, comma separated> <seed>``; it prints the report as JSON on its last line.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from openbss.charging.engine.contract import (
    ChargingEngine,
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceRequest,
    ServiceUnits,
)

VOICE = 100


@dataclass
class SessionReport:
    session_id: str
    subscriber: str
    used_seconds: int = 0  # reported used in answered requests
    rounds: int = 0
    ended: str = ""  # terminated | silent | refused
    answers: list[int] = field(default_factory=list)


def run_session(
    engine: ChargingEngine, session_id: str, subscriber: str, rng: random.Random
) -> SessionReport:
    report = SessionReport(session_id, subscriber)
    silent_after = rng.choice([None, None, None, rng.randint(0, 4)])  # a quarter go silent
    number = 0
    granted = 0
    final = False
    used_pending = 0
    while True:
        if number == 0:
            kind = RequestType.INITIAL
        elif final or granted == 0 or rng.random() < 0.25 or number > 8:
            kind = RequestType.TERMINATION
        else:
            kind = RequestType.UPDATE
        if silent_after is not None and number > silent_after and kind != RequestType.INITIAL:
            report.ended = "silent"  # it used some units and will never report them
            return report
        request = ChargingRequest(
            session_id=session_id,
            request_type=kind,
            request_number=number,
            subscriber=subscriber,
            called="02087654321",
            event_time=datetime.now(UTC),
            services=(
                ServiceRequest(
                    rating_group=VOICE,
                    requested=None
                    if kind == RequestType.TERMINATION
                    else ServiceUnits(seconds=rng.choice([30, 60, 120, 180, 300])),
                    used=None if number == 0 else ServiceUnits(seconds=used_pending),
                ),
            ),
            origin="load",
        )
        answer = None
        for _ in range(50):
            answer = engine.charge(request)
            if answer.result != ResultCode.UNABLE_TO_COMPLY:
                break
        assert answer is not None and answer.result != ResultCode.UNABLE_TO_COMPLY
        report.answers.append(int(answer.result))
        report.rounds += 1
        if number > 0:
            report.used_seconds += used_pending  # answered: debited (even after a release)
        number += 1
        if kind == RequestType.TERMINATION:
            report.ended = "terminated"
            return report
        grant = answer.grants[0] if answer.grants else None
        if grant is None or grant.result != ResultCode.SUCCESS or grant.granted is None:
            if kind == RequestType.INITIAL:
                report.ended = "refused"
                return report
            granted, final = 0, True
            used_pending = 0
            continue
        granted = grant.granted.seconds or 0
        final = grant.final_unit
        used_pending = rng.randint(0, granted)  # never more than granted


def run_load(
    engine: ChargingEngine, first: int, count: int, numbers: list[str], seed: int
) -> list[SessionReport]:
    reports: list[SessionReport] = [None] * count  # type: ignore[list-item]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        rng = random.Random(seed * 100_003 + first + i)
        try:
            reports[i] = run_session(
                engine, f"load-{seed}-{first + i}", numbers[(first + i) % len(numbers)], rng
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return reports


def main(argv: list[str]) -> None:
    url, data_dir, first, count, numbers, seed = argv
    from openbss.db.engine import make_engine, make_session_factory

    engine = make_engine(url)
    factory = make_session_factory(engine)
    charging = ChargingEngine(factory, data_dir=Path(data_dir))
    reports = run_load(charging, int(first), int(count), numbers.split(","), int(seed))
    print(json.dumps([asdict(r) for r in reports]))


if __name__ == "__main__":
    main(sys.argv[1:])
