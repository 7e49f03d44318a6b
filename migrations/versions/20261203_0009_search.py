"""search: trigram indexes for name search on PostgreSQL

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-03 09:00:00

Name filters (``name.like=郭*``, ``GET /api/v1/search?q=郭``) are case-insensitive LIKE
patterns. On PostgreSQL a pg_trgm GIN index serves them for prefixes and infixes alike; SQLite
scans (its databases are small: development and tests). The indexes are not in the models, so
``migrations/env.py`` leaves indexes named ``*_trgm`` out of the models/migrations comparison.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column): the name columns customers and parties are searched on.
TRIGRAM_INDEXES = (
    ("ix_customer_name_trgm", "customer", "name"),
    ("ix_party_individual_family_name_trgm", "party_individual", "family_name"),
    ("ix_party_individual_given_name_trgm", "party_individual", "given_name"),
    ("ix_party_organization_name_trgm", "party_organization", "name"),
    ("ix_party_organization_trading_name_trgm", "party_organization", "trading_name"),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, table, column in TRIGRAM_INDEXES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def downgrade() -> None:
    if not _postgresql():
        return
    # The extension stays: other schemas of the database may use it.
    for index, _table, _column in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
