"""Who may read roaming settlement: finance, billing operators, analysts and administrators,
each in their own province (a file of another province is not found)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from openbss.kit.security import Principal, Role
from openbss.settlement.roaming import repository
from openbss.settlement.roaming.errors import RoamingFileNotFound
from openbss.settlement.roaming.models import ReturnedRecord, RoamingFile
from openbss.settlement.roaming.totals import PartnerTotals, partner_totals

READERS = (Role.FINANCE, Role.BILLING_OPERATOR, Role.ANALYST, Role.ADMIN)
MAX_PAGE = 1000


def visible_files(
    session: Session,
    principal: Principal,
    province: str,
    *,
    kind: str | None = None,
    partner: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RoamingFile]:
    principal.require(*READERS)
    return repository.files(
        session, province, kind=kind, partner=partner, limit=min(limit, MAX_PAGE), offset=offset
    )


def visible_file(
    session: Session, principal: Principal, province: str, file_id: str
) -> tuple[RoamingFile, list[ReturnedRecord]]:
    principal.require(*READERS)
    row = session.get(RoamingFile, file_id)
    if row is None or row.province != province or not principal.can_see(row.province):
        raise RoamingFileNotFound(f"roaming file {file_id!r} not found")
    return row, repository.returns_of(session, [row.id])


def visible_totals(
    session: Session, principal: Principal, province: str, since: datetime, until: datetime
) -> list[PartnerTotals]:
    principal.require(*READERS)
    return partner_totals(session, province, since, until)
