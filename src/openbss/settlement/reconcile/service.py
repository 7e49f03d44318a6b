"""Reconciliations and disputes: entry points call these inside their unit of work.

Importing a partner's statement matches it against our statement of the same partner, kind
and period in the period's current run, and records the differences. The same file imported
again returns the first reconciliation (idempotent by its SHA-256).

A dispute follows ``open → underReview → agreed → settled`` (or ``rejected`` from open or under
review). Agreeing fixes the amount; the adjustment is posted to the partner's settlement
account once — a unique row per dispute — when the dispute is agreed, and settling records
that the partner has been paid or invoiced. A transition not allowed from the current state is
refused and changes nothing.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

import openbss.settlement.partners.public as partners
from openbss.kit.clock import now
from openbss.kit.errors import NotFound
from openbss.kit.ids import new_id
from openbss.settlement import repository as repo
from openbss.settlement.errors import SettlementConflict, SettlementInputError
from openbss.settlement.models import (
    Difference,
    Dispute,
    DisputeState,
    Reconciliation,
    SettlementAdjustment,
)
from openbss.settlement.reconcile.calculations import (
    layout,
    match,
    ours_by_key,
    parse_statement,
)

MAX_FILE_BYTES = 8 * 1024 * 1024
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DisputeState.OPEN: (DisputeState.UNDER_REVIEW, DisputeState.REJECTED),
    DisputeState.UNDER_REVIEW: (DisputeState.AGREED, DisputeState.REJECTED),
    DisputeState.AGREED: (DisputeState.SETTLED,),
    DisputeState.SETTLED: (),
    DisputeState.REJECTED: (),
}


def reconcile(
    session: Session,
    *,
    province: str,
    partner: str,
    period: str,
    data: bytes,
    file_name: str,
    layout_name: str = "openbss",
    kind: str = "interconnect",
    tolerance_fen: int = 0,
    actor: str,
) -> Reconciliation:
    if len(data) > MAX_FILE_BYTES:
        raise SettlementInputError(f"the statement is larger than {MAX_FILE_BYTES} bytes")
    digest = hashlib.sha256(data).hexdigest()
    again = repo.reconciliation_of_file(session, province, partner, period, digest)
    if again is not None:
        return again
    chosen = layout(layout_name)
    theirs = {k: v for k, v in parse_statement(data, chosen).items() if k.period == period}
    if not theirs:
        raise SettlementInputError(f"the statement has no line of {period}")
    run = repo.current_run(session, province, period)
    if run is None:
        raise NotFound(f"{province} {period} has no settlement run: run `settlement run` first")
    statements = repo.statements_of(session, run.id, kind=kind, partner=partner)
    if not statements:
        raise NotFound(f"no {kind} statement of {partner} in {province} {period}")
    statement = statements[0]
    ours = ours_by_key(
        period,
        ((ln.direction, ln.rule, ln.amount_fen) for ln in repo.lines_of(session, statement.id)),
    )
    matched, found = match(ours, theirs, tolerance_fen)
    reconciliation = Reconciliation(
        id=new_id(),
        province=province,
        partner=partner,
        period=period,
        statement_id=statement.id,
        layout=chosen.name,
        file_name=file_name[-255:],
        file_sha256=digest,
        tolerance_fen=tolerance_fen,
        matched=matched,
        differences=len(found),
        created_by=actor,
        created_at=now(),
    )
    session.add(reconciliation)
    session.flush()
    for place, item in enumerate(found):
        session.add(
            Difference(
                id=f"{reconciliation.id}-{place:05d}",
                reconciliation_id=reconciliation.id,
                kind=item.kind,
                direction=item.key.direction,
                rule=item.key.rule,
                ours_fen=item.ours_fen,
                theirs_fen=item.theirs_fen,
                delta_fen=item.delta_fen,
            )
        )
    session.flush()
    return reconciliation


def open_dispute(
    session: Session,
    *,
    province: str,
    difference_id: str,
    reason: str,
    actor: str,
) -> Dispute:
    difference = session.get(Difference, difference_id)
    reconciliation = (
        session.get(Reconciliation, difference.reconciliation_id) if difference else None
    )
    if difference is None or reconciliation is None or reconciliation.province != province:
        raise NotFound(f"no difference {difference_id}")
    for existing in repo.disputes(session, province, reconciliation.partner):
        if existing.difference_id == difference_id and existing.state != DisputeState.REJECTED:
            return existing
    dispute = Dispute(
        id=new_id(),
        province=province,
        partner=reconciliation.partner,
        period=reconciliation.period,
        difference_id=difference_id,
        state=DisputeState.OPEN,
        claimed_fen=difference.delta_fen,
        agreed_fen=None,
        reason=reason.strip()[:500] or f"{difference.kind}: {difference.rule}",
        opened_by=actor,
        opened_at=now(),
        updated_at=now(),
    )
    session.add(dispute)
    session.flush()
    return dispute


def partner_account(session: Session, province: str, code: str) -> str | None:
    """The settlement account of the partner known by ``code`` (any kind), if it has one."""
    for kind in partners.PartnerKind:
        found = partners.partner_by_code(session, kind, code, province)
        if found is not None:
            return found.settlement_account_id
    return None


def move_dispute(
    session: Session,
    *,
    province: str,
    dispute_id: str,
    state: str,
    actor: str,
    agreed_fen: int | None = None,
    settlement_account_id: str | None = None,
) -> Dispute:
    """Move a dispute on; agreeing posts its adjustment (once, whatever is retried)."""
    dispute = repo.dispute_for_update(session, dispute_id)
    if dispute is None or dispute.province != province:
        raise NotFound(f"no dispute {dispute_id}")
    if state == dispute.state:
        return dispute  # a retried request: nothing more happens
    if state not in TRANSITIONS.get(dispute.state, ()):
        raise SettlementConflict(
            f"a dispute {dispute.state} cannot become {state}", code="DISPUTE_TRANSITION"
        )
    if state == DisputeState.AGREED:
        if agreed_fen is None:
            agreed_fen = dispute.claimed_fen
        if isinstance(agreed_fen, bool) or not isinstance(agreed_fen, int):
            raise SettlementInputError("agreed_fen must be a whole number of fen")
        dispute.agreed_fen = agreed_fen
        if settlement_account_id is None:
            settlement_account_id = partner_account(session, province, dispute.partner)
        if repo.adjustment_of(session, dispute.id) is None:
            session.add(
                SettlementAdjustment(
                    id=new_id(),
                    dispute_id=dispute.id,
                    province=province,
                    partner=dispute.partner,
                    settlement_account_id=settlement_account_id,
                    period=dispute.period,
                    amount_fen=agreed_fen,
                    posted_by=actor,
                    posted_at=now(),
                )
            )
    dispute.state = state
    dispute.updated_at = now()
    session.flush()
    return dispute
