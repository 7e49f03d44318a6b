"""hub security: per-subscription signing secrets and the resources a listener may read

Subscriptions registered before this revision were accepted without a read-role check, a
callback address check or a signing secret, so none of them can be trusted or signed for:
they are removed (their pending deliveries cancelled) and listeners register again.

Revision ID: 0008
Revises: 0012
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE event_delivery SET status = 'cancelled' WHERE status = 'pending' "
        "AND subscription_id IN (SELECT id FROM hub_subscription)"
    )
    op.execute("DELETE FROM hub_subscription")
    with op.batch_alter_table("hub_subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "resources",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("secret", sa.String(length=96), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("hub_subscription", schema=None) as batch_op:
        batch_op.drop_column("secret")
        batch_op.drop_column("resources")
