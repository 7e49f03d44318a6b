"""Every query on commission runs and lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openbss.settlement.commissions.models import CommissionLine, CommissionRun


def run_of(
    session: Session, province: str, period: str, *, lock: bool = False
) -> CommissionRun | None:
    statement = select(CommissionRun).where(
        CommissionRun.province == province, CommissionRun.period == period
    )
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def get_run(session: Session, run_id: str) -> CommissionRun | None:
    return session.get(CommissionRun, run_id)


def runs(session: Session, province: str | None) -> Sequence[CommissionRun]:
    statement = select(CommissionRun)
    if province is not None:
        statement = statement.where(CommissionRun.province == province)
    return session.scalars(statement.order_by(CommissionRun.period, CommissionRun.province)).all()


def lines_of(
    session: Session, run_id: str, partner_id: str | None = None
) -> Sequence[CommissionLine]:
    statement = select(CommissionLine).where(CommissionLine.run_id == run_id)
    if partner_id is not None:
        statement = statement.where(CommissionLine.partner_id == partner_id)
    return session.scalars(statement.order_by(CommissionLine.id)).all()


def activation_paid(
    session: Session, province: str, before_period: str, product_ids: Iterable[str]
) -> dict[str, int]:
    """Product → activation commission paid for it by the province's done runs of periods
    before ``before_period``."""
    wanted = sorted(set(product_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(CommissionLine.reference, func.sum(CommissionLine.amount))
            .join(CommissionRun, CommissionRun.id == CommissionLine.run_id)
            .where(
                CommissionRun.province == province,
                CommissionRun.status == "done",
                CommissionRun.period < before_period,
                CommissionLine.kind == "activation",
                CommissionLine.reference.in_(chunk),
            )
            .group_by(CommissionLine.reference)
        )
        found.update({str(reference): int(amount) for reference, amount in rows})
    return found


def clear_lines(session: Session, run_id: str) -> None:
    session.execute(delete(CommissionLine).where(CommissionLine.run_id == run_id))
