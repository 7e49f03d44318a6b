"""The background worker: rounds on poke, drains while there is work, survives a failing
round, stops cleanly. Every wait is on an event with a generous bound, never a bare sleep; the
interval is an hour so only a poke can start a round."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest

from openbss.kit.worker import BackgroundWorker, WakeSource, failure_summary

HOUR = 3600.0
BOUND = 10.0  # seconds a test waits for an event before failing; never reached when it works


class Rounds:
    """A round callable that counts its calls; tests wait for a given count."""

    def __init__(self, results: list[bool | Exception] | None = None) -> None:
        self.results = list(results or [])
        self.calls = 0
        self.changed = threading.Condition()

    def __call__(self) -> bool:
        with self.changed:
            self.calls += 1
            result = self.results.pop(0) if self.results else False
            self.changed.notify_all()
        if isinstance(result, Exception):
            raise result
        return result

    def wait_for(self, calls: int) -> None:
        with self.changed:
            reached = self.changed.wait_for(lambda: self.calls >= calls, BOUND)
        assert reached, f"the worker ran {self.calls} rounds, not {calls}"


@pytest.fixture
def started() -> Iterator[Callable[..., BackgroundWorker]]:
    workers: list[BackgroundWorker] = []

    def start(rounds: Rounds) -> BackgroundWorker:
        worker = BackgroundWorker("test-worker", rounds, interval=HOUR)
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def test_a_poke_runs_one_round(started: Callable[..., BackgroundWorker]) -> None:
    rounds = Rounds()
    worker = started(rounds)
    assert rounds.calls == 0  # the first round waits for the interval or a poke
    worker.poke()
    rounds.wait_for(1)
    worker.stop()
    assert rounds.calls == 1
    assert not worker.is_alive


def test_a_round_that_did_something_runs_again_at_once(
    started: Callable[..., BackgroundWorker],
) -> None:
    rounds = Rounds([True, True, False])
    worker = started(rounds)
    worker.poke()
    rounds.wait_for(3)
    worker.stop()
    assert rounds.calls == 3


def test_the_interval_starts_a_round_without_a_poke() -> None:
    rounds = Rounds()
    worker = BackgroundWorker("test-worker", rounds, interval=0.01)
    worker.start()
    try:
        rounds.wait_for(1)
    finally:
        worker.stop()
    assert not worker.is_alive


def test_a_failing_round_is_logged_without_its_message_and_the_worker_goes_on(
    started: Callable[..., BackgroundWorker], caplog: pytest.LogCaptureFixture
) -> None:
    secret = "postgresql://billing:s3cr3t@db/openbss"
    rounds = Rounds([RuntimeError(f"cannot connect to {secret}"), False])
    caplog.set_level(logging.ERROR, logger="openbss.kit.worker")
    worker = started(rounds)
    worker.poke()
    rounds.wait_for(1)
    worker.poke()
    rounds.wait_for(2)
    worker.stop()
    assert rounds.calls == 2
    assert len(caplog.records) == 1
    logged = caplog.records[0]
    assert logged.exc_info is None  # no traceback text: it would repeat the message
    text = logged.getMessage()
    assert "test-worker" in text and "builtins.RuntimeError" in text
    assert "test_kit_worker.py" in text and "__call__" in text
    assert "s3cr3t" not in text


def test_stop_joins_a_round_in_progress(started: Callable[..., BackgroundWorker]) -> None:
    inside, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def slow_round() -> bool:
        inside.set()
        release.wait(BOUND)
        finished.append(True)
        return True  # "more work": only the stop request ends the drain

    worker = BackgroundWorker("test-worker", slow_round, interval=HOUR)
    worker.start()
    worker.poke()
    assert inside.wait(BOUND)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    release.set()
    stopper.join(BOUND)
    assert not stopper.is_alive()
    assert not worker.is_alive
    assert finished == [True]


def test_stop_before_start_and_twice_is_harmless() -> None:
    worker = BackgroundWorker("test-worker", Rounds(), interval=HOUR)
    worker.stop()
    worker.stop()
    assert not worker.is_alive


def test_a_wake_source_pokes_the_worker_while_it_runs() -> None:
    hooks: list[Callable[[], None]] = []
    source = WakeSource(subscribe=hooks.append, unsubscribe=hooks.remove)
    rounds = Rounds()
    worker = BackgroundWorker("test-worker", rounds, interval=HOUR, wake_on=source)
    worker.start()
    try:
        assert len(hooks) == 1
        hooks[0]()  # e.g. a unit of work committed
        rounds.wait_for(1)
    finally:
        worker.stop()
    assert hooks == []
    assert rounds.calls == 1


def test_failure_summary_names_type_and_frames_only() -> None:
    def inner() -> None:
        raise ValueError("phone 13800138000")

    try:
        inner()
    except ValueError as exc:
        summary = failure_summary(exc)
    assert summary.startswith("builtins.ValueError at test_kit_worker.py:")
    assert "in inner <- test_kit_worker.py:" in summary
    assert "13800138000" not in summary
