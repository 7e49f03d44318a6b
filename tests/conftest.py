"""Fixtures: the same suites run on SQLite and on PostgreSQL.

Each database is created fresh for the test session; tables are emptied after every test,
so tests see an empty store and may commit like the real entry points do.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from openbss.api.app import create_app
from openbss.auth.service import create_key
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.settings import get_settings
from openbss.registry import metadata
from tests.support import need

# Property tests check results, never speed: Hypothesis's per-example deadline would be a
# timed assertion, and fails at random on a loaded CI machine.
settings.register_profile("openbss", deadline=None)
settings.load_profile("openbss")

PG_ADMIN_URL = os.environ.get(
    "OPENBSS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test run on the PostgreSQL backend (a ``postgres`` fixture parameter) is marked
    ``postgres``, so ``make test-fast`` can leave it out with ``-m "not postgres"``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def webhook_allow_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The suite's hub listeners run on loopback, which callbacks may reach only when the
    operator allows it (OPENBSS_WEBHOOK_ALLOW): here the suite is the operator."""
    monkeypatch.setenv("OPENBSS_WEBHOOK_ALLOW", "127.0.0.0/8,::1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("db")) / "openbss-test.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    need(_pg_available(), f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"openbss_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The database under test; every test using it runs once per backend."""
    chosen: Engine = request.getfixturevalue(f"{request.param}_engine")
    _empty_all_tables(chosen)
    yield chosen
    _empty_all_tables(chosen)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service tests; the test decides when to commit (or not)."""
    with session_factory() as s:
        yield s


@pytest.fixture
def client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(session_factory, dispatch_events=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


KeyMaker = Callable[..., dict[str, str]]


@pytest.fixture
def auth(session_factory: sessionmaker[Session]) -> KeyMaker:
    """``auth("csr", "GD")`` → headers carrying a fresh key of that role and province."""

    def make(role: str = "admin", province: str | None = "GD") -> dict[str, str]:
        with unit_of_work(session_factory) as s:
            key = create_key(s, role, province)
        return {"Authorization": f"Bearer {key}"}

    return make
