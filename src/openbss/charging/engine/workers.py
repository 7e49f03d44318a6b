"""The engine's background work in a charging process (``openbss ocs serve`` starts these):

- supervision: sessions silent for longer than Tcc are released (every ``supervise_every_s``);
- reservations whose time ran out while no engine was running are released;
- usage records of ended sessions go to the usage store in batches (every ``usage_every_s``).

Each round is idempotent and safe to run in every process sharing the database: supervision
locks each session before releasing it, and a usage batch is keyed by its sessions.
"""

from __future__ import annotations

from pathlib import Path

from openbss.charging import public as balances
from openbss.charging.engine.afterwards import write_all_usage
from openbss.charging.engine.contract import ChargingEngine, SessionFactory
from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.worker import BackgroundWorker


def supervise_once(engine: ChargingEngine, factory: SessionFactory) -> bool:
    """One supervision round; True when it released something (run again at once)."""
    released = engine.supervise(now())
    with unit_of_work(factory, writes=True) as session:
        expired = balances.release_expired(session, now(), limit=500)
    return released > 0 or expired >= 500


def write_usage_once(factory: SessionFactory, data_dir: Path) -> bool:
    written = write_all_usage(factory, data_dir)
    return any(w.sessions >= 10_000 for w in written)  # a full batch: more may be waiting


def background_workers(
    engine: ChargingEngine,
    factory: SessionFactory,
    data_dir: Path,
    *,
    supervise_every_s: float = 5.0,
    usage_every_s: float = 30.0,
) -> list[BackgroundWorker]:
    """The engine's workers, not started: the caller starts and stops them."""
    return [
        BackgroundWorker(
            "ocs-supervision",
            lambda: supervise_once(engine, factory),
            interval=supervise_every_s,
        ),
        BackgroundWorker(
            "ocs-usage",
            lambda: write_usage_once(factory, data_dir),
            interval=usage_every_s,
            join_timeout=60,
        ),
    ]
