"""PostgreSQL pool: a connection lost while idle is replaced before a request uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from openbss.db import engine as engine_module
from openbss.db.engine import make_engine


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        pid: int = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return pid


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_lost_while_idle_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(postgres_url)
    try:
        first = _backend(engine)
        _terminate(postgres_url, first)
        assert _backend(engine) != first  # tested at checkout, replaced, no error
    finally:
        engine.dispose()


def test_a_connection_returned_a_moment_ago_is_not_tested_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No round trip before a hot connection is used: one lost within the idle window fails
    # its statement once, and the pool then replaces it.
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = make_engine(postgres_url)
    try:
        first = _backend(engine)
        assert _backend(engine) == first
        _terminate(postgres_url, first)
        with pytest.raises(OperationalError):
            _backend(engine)
        assert _backend(engine) != first
    finally:
        engine.dispose()
