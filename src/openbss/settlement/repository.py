"""Every query of settlement's own tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from openbss.settlement.models import (
    Chargeback,
    Difference,
    Dispute,
    Reconciliation,
    RunStatus,
    SettlementAdjustment,
    SettlementRun,
    SettlementStatement,
    StatementLine,
)


def open_runs(session: Session, province: str, period: str) -> list[SettlementRun]:
    return list(
        session.scalars(
            select(SettlementRun)
            .where(
                SettlementRun.province == province,
                SettlementRun.period == period,
                SettlementRun.status == RunStatus.RUNNING,
            )
            .order_by(SettlementRun.started_at)
            .with_for_update()
        )
    )


def current_run(session: Session, province: str, period: str) -> SettlementRun | None:
    return session.scalar(
        select(SettlementRun).where(
            SettlementRun.province == province,
            SettlementRun.period == period,
            SettlementRun.status == RunStatus.DONE,
        )
    )


def runs(session: Session, province: str, limit: int = 100) -> list[SettlementRun]:
    return list(
        session.scalars(
            select(SettlementRun)
            .where(SettlementRun.province == province)
            .order_by(SettlementRun.period.desc(), SettlementRun.started_at.desc())
            .limit(limit)
        )
    )


def statements_of(
    session: Session, run_id: str, kind: str | None = None, partner: str | None = None
) -> list[SettlementStatement]:
    query = select(SettlementStatement).where(SettlementStatement.run_id == run_id)
    if kind is not None:
        query = query.where(SettlementStatement.kind == kind)
    if partner is not None:
        query = query.where(SettlementStatement.partner == partner)
    return list(
        session.scalars(query.order_by(SettlementStatement.kind, SettlementStatement.partner))
    )


def lines_of(session: Session, statement_id: str) -> list[StatementLine]:
    return list(
        session.scalars(
            select(StatementLine)
            .where(StatementLine.statement_id == statement_id)
            .order_by(StatementLine.id)
        )
    )


def chargeback_by_ref(
    session: Session, province: str, partner: str, complaint_ref: str
) -> Chargeback | None:
    return session.scalar(
        select(Chargeback).where(
            Chargeback.province == province,
            Chargeback.partner == partner,
            Chargeback.complaint_ref == complaint_ref.strip(),
        )
    )


def chargebacks_for(session: Session, province: str, partner: str, period: str) -> list[Chargeback]:
    """Chargebacks a run of the period takes: not yet taken, or taken by this period."""
    return list(
        session.scalars(
            select(Chargeback)
            .where(
                Chargeback.province == province,
                Chargeback.partner == partner,
                or_(Chargeback.applied_period.is_(None), Chargeback.applied_period == period),
            )
            .order_by(Chargeback.recorded_at, Chargeback.id)
        )
    )


def mark_chargebacks_applied(session: Session, ids: Sequence[str], period: str) -> None:
    if ids:
        session.execute(
            update(Chargeback)
            .where(Chargeback.id.in_(list(ids)), Chargeback.applied_period.is_(None))
            .values(applied_period=period)
        )


def chargebacks(session: Session, province: str, partner: str | None = None) -> list[Chargeback]:
    query = select(Chargeback).where(Chargeback.province == province)
    if partner is not None:
        query = query.where(Chargeback.partner == partner)
    return list(session.scalars(query.order_by(Chargeback.recorded_at, Chargeback.id)))


def reconciliation_of_file(
    session: Session, province: str, partner: str, period: str, sha256: str
) -> Reconciliation | None:
    return session.scalar(
        select(Reconciliation).where(
            Reconciliation.province == province,
            Reconciliation.partner == partner,
            Reconciliation.period == period,
            Reconciliation.file_sha256 == sha256,
        )
    )


def differences_of(session: Session, reconciliation_id: str) -> list[Difference]:
    return list(
        session.scalars(
            select(Difference)
            .where(Difference.reconciliation_id == reconciliation_id)
            .order_by(Difference.id)
        )
    )


def dispute_for_update(session: Session, dispute_id: str) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.id == dispute_id).with_for_update())


def disputes(session: Session, province: str, partner: str | None = None) -> list[Dispute]:
    query = select(Dispute).where(Dispute.province == province)
    if partner is not None:
        query = query.where(Dispute.partner == partner)
    return list(session.scalars(query.order_by(Dispute.opened_at, Dispute.id)))


def adjustment_of(session: Session, dispute_id: str) -> SettlementAdjustment | None:
    return session.scalar(
        select(SettlementAdjustment).where(SettlementAdjustment.dispute_id == dispute_id)
    )


def adjustments(session: Session, province: str, partner: str) -> list[SettlementAdjustment]:
    return list(
        session.scalars(
            select(SettlementAdjustment)
            .where(
                SettlementAdjustment.province == province, SettlementAdjustment.partner == partner
            )
            .order_by(SettlementAdjustment.posted_at, SettlementAdjustment.id)
        )
    )
