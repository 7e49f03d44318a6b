"""One background worker: a daemon thread that runs a round of work at an interval.

The server runs its after-commit work this way (the outbox dispatcher, the order
orchestration, the mediation of pushed usage). A round is a callable that returns whether it
did something; while it does, the worker runs it again at once, so a backlog drains without
waiting for the timer. :meth:`BackgroundWorker.poke` wakes the worker early (e.g. after a
commit), and a :class:`WakeSource` lets it follow a process-wide signal while it runs.

A round that raises is logged and the worker carries on with the next round: the work it left
stays where it was (pending rows, received usage) and is picked up again. The log names the
worker, the exception's type and where it was raised, never the exception's message: driver
and HTTP errors quote connection strings, callback URLs and SQL parameters, which may carry
secrets or personal data.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Round = Callable[[], bool]
Hook = Callable[[], None]


@dataclass(frozen=True, slots=True)
class WakeSource:
    """A process-wide signal that pokes the worker while it runs (e.g. "a unit of work
    committed"): ``subscribe`` and ``unsubscribe`` take the worker's poke callback."""

    subscribe: Callable[[Hook], None]
    unsubscribe: Callable[[Hook], None]


def failure_summary(exc: BaseException) -> str:
    """The type of an exception and the frames it passed through, without its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames[::-1]
    )
    return f"{type(exc).__module__}.{type(exc).__qualname__} at {where or 'unknown'}"


class BackgroundWorker:
    """Runs ``run_once`` in a daemon thread every ``interval`` seconds or when poked.

    The first round runs after one interval or the first poke. :meth:`stop` asks the thread
    to finish its current round and waits at most ``join_timeout`` seconds for it.
    """

    def __init__(
        self,
        name: str,
        run_once: Round,
        *,
        interval: float,
        join_timeout: float = 10.0,
        wake_on: WakeSource | None = None,
    ) -> None:
        self.name = name
        self._run_once = run_once
        self._interval = interval
        self._join_timeout = join_timeout
        self._wake_on = wake_on
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        if self._wake_on is not None:
            self._wake_on.subscribe(self.poke)
        self._thread.start()

    def poke(self) -> None:
        """Run a round now instead of at the end of the interval."""
        self._wake.set()

    def stop(self) -> None:
        if self._wake_on is not None:
            self._wake_on.unsubscribe(self.poke)
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._join_timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            while not self._stop.is_set() and self._round():
                pass

    def _round(self) -> bool:
        try:
            return self._run_once()
        except Exception as exc:  # keep the worker alive; the work stays for the next round
            log.error("%s: round failed: %s", self.name, failure_summary(exc))
            return False
