"""What the API may do with commission runs, with its role and province checks.

- finance and administrators start a run of their province (a group key names the province
  with ``X-Province``);
- finance, administrators, billing operators and analysts read runs and statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.errors import NotFound, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.settlement.commissions import repository as repo
from openbss.settlement.commissions.calculations import parse_period
from openbss.settlement.commissions.models import CommissionRun
from openbss.settlement.commissions.runs import RunReport, report, run_commissions, statement_file

RUNNERS = (Role.FINANCE, Role.ADMIN)
READERS = (Role.FINANCE, Role.ADMIN, Role.BILLING_OPERATOR, Role.ANALYST)
WHAT = "a commission run"


def parse_run_request(body: Mapping[str, Any]) -> str:
    """``{"period": "YYYY-MM"}``; anything else is refused (422)."""
    extra = sorted(set(body) - {"period"})
    if extra:
        raise Unprocessable(f"unknown attribute(s): {', '.join(extra)}", code="INVALID_BODY")
    period = body.get("period")
    if not isinstance(period, str):
        raise Unprocessable("'period' (YYYY-MM) is required", code="INVALID_BODY")
    parse_period(period)
    return period


def start_run(
    factory: sessionmaker[Session], data_dir: Path, principal: Principal, body: Mapping[str, Any]
) -> RunReport:
    principal.require(*RUNNERS)
    province = principal.acting_province(WHAT)
    period = parse_run_request(body)
    return run_commissions(factory, province, period, data_dir)


def run_view(
    factory: sessionmaker[Session], data_dir: Path, principal: Principal, period: str
) -> RunReport:
    principal.require(*READERS)
    province = principal.acting_province(WHAT)
    parse_period(period)
    return report(factory, province, period, data_dir)


def list_runs(session: Session, principal: Principal) -> list[CommissionRun]:
    principal.require(*READERS)
    return list(repo.runs(session, principal.acting_province(WHAT)))


def statement(
    factory: sessionmaker[Session],
    data_dir: Path,
    principal: Principal,
    period: str,
    partner_code: str,
) -> Path:
    """The CSV statement of one partner of a done run of the caller's province."""
    view = run_view(factory, data_dir, principal, period)
    if view.status != "done" or partner_code not in {p.code for p in view.partners}:
        raise NotFound(f"no commission statement of {partner_code!r} for {view.province} {period}")
    return statement_file(data_dir, view.province, period, partner_code)
