"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.settings import get_settings

# Execution option that makes a SQLite transaction take the database's write lock when it
# begins (``BEGIN IMMEDIATE``) instead of at its first write. See ``db.uow.unit_of_work``.
WRITE_INTENT = "openbss_write_intent"

# A pooled PostgreSQL connection idle longer than this is tested (a round trip) before it is
# handed out; one returned more recently is handed out as it is.
PING_AFTER_IDLE_SECONDS = 2.0
_RETURNED_AT = "openbss_returned_at"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """A unit of work that will write takes the write lock first, so two of them run one
    after the other and the second reads what the first committed: no lost update, no check
    (a loop in an account hierarchy, a duplicate) made against a stale snapshot. Readers
    are never blocked (WAL).

    Every other transaction keeps pysqlite's own handling: its reads run outside a
    transaction and it begins at its first write, waiting for the write lock (busy timeout)
    rather than failing at once, as a read transaction upgraded to a write does in WAL mode
    when another writer committed since its snapshot (background workers read, then write)."""
    if connection.get_execution_options().get(WRITE_INTENT, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite files get their folder, foreign keys and WAL mode."""
    url = url or get_settings().effective_database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Test a pooled connection before use only when it sat idle for a while.

    A connection that was lost while idle (the server restarted, a firewall dropped it) is
    then replaced before the request uses it: raising DisconnectionError makes the pool
    discard it and hand out another. One that finished a transaction a moment ago is not
    tested again, which saves every unit of work a round trip under load (``pool_pre_ping``
    tests each checkout). A connection lost within that moment fails its statement; the
    pool then discards every connection opened before the failure, as it does on any
    disconnect, and the request answers 503 (``DATABASE_UNAVAILABLE``)."""
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
        return
    try:
        # Outside a transaction, as SQLAlchemy's own pre-ping: no ROLLBACK round trip after.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as error:
        raise exc.DisconnectionError("pooled connection lost while idle") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
