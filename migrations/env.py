"""Alembic environment: the URL comes from the connection handed in or from settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from openbss.db.engine import make_engine
from openbss.registry import metadata

config = context.config


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave PostgreSQL's trigram search indexes (migration 0009, not in the models) out of
    the models/migrations comparison."""
    return not (type_ == "index" and name is not None and name.endswith("_trgm"))


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or None
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
