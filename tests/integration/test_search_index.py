"""On PostgreSQL the migrated schema serves name patterns from trigram indexes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from openbss.db.engine import make_engine
from openbss.db.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, _pg_available
from tests.support import need

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def migrated() -> Iterator[Engine]:
    need(_pg_available(), "PostgreSQL is not reachable")
    name = f"openbss_search_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize(
    ("table", "column", "pattern", "index"),
    [
        ("customer", "name", "郭%", "ix_customer_name_trgm"),
        ("customer", "name", "%天河科技%", "ix_customer_name_trgm"),
        ("party_individual", "family_name", "郭%", "ix_party_individual_family_name_trgm"),
        ("party_organization", "trading_name", "%科技%", "ix_party_organization_trading_name_trgm"),
    ],
)
def test_a_pattern_is_served_by_its_trigram_index(
    migrated: Engine, table: str, column: str, pattern: str, index: str
) -> None:
    with migrated.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # the table is empty: ask for the index
        plan = conn.execute(
            text(f"EXPLAIN SELECT id FROM {table} WHERE {column} ILIKE :p ESCAPE '\\'"),
            {"p": pattern},
        ).scalars()
        assert index in "\n".join(plan)
