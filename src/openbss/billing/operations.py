"""Billing's own operations for the API (``/api/v1/billing``): bill runs, hot billing (话费
查询) and manual adjustments, with roles and province scope.

Every function acts in one province (the caller's, or the one a group key names) and finds
nothing of another: a run, an account or an adjustment elsewhere is "not found". Roles:

- runs and their exceptions are read by billing operators, finance, analysts and admins;
  runs are started, finalised and discarded by billing operators and admins;
- an account's charges so far are read by CSRs, billing operators, finance and admins;
- adjustments are asked for by CSRs, billing operators, finance and admins, and approved
  by billing operators, finance and admins; the maker is the caller's key, and a key
  cannot approve what it asked for (maker-checker).

Entry points own transactions: these functions flush, except :func:`start_run`, a batch
whose run commits chunk by chunk in transactions of its own (:mod:`openbss.billing.runs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.billing import repository as repo
from openbss.billing.adjustments import approve_adjustment, request_adjustment
from openbss.billing.cycles import cycle_of
from openbss.billing.hot import hot_bill

# The rows these operations answer with, for the API to render (models are billing's own).
from openbss.billing.models import BillException as BillException
from openbss.billing.models import BillRun as BillRun
from openbss.billing.models import ManualAdjustment as ManualAdjustment
from openbss.billing.models import RunStatus
from openbss.billing.runs import discard_run, finalise_run, run_bills
from openbss.billing.totals import BillSummary
from openbss.kit.errors import NotFound, Unprocessable
from openbss.kit.security import Principal, Role

RUN_READERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST)
RUN_OPERATORS = (Role.ADMIN, Role.BILLING_OPERATOR)
HOT_READERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE, Role.CSR)
ADJUSTMENT_MAKERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE, Role.CSR)
ADJUSTMENT_CHECKERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE)


@dataclass(frozen=True)
class RunView:
    """A run and its amounts by charge type (fen)."""

    run: BillRun
    by_charge_type: Mapping[str, int]


@dataclass(frozen=True)
class RunRequest:
    period: str
    trial: bool


@dataclass(frozen=True)
class AdjustmentRequest:
    account_id: str
    amount_fen: int
    reason: str


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, code="INVALID_REQUEST")


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"'{name}' is required and must be a non-empty string")
    return value.strip()


def _only(body: Mapping[str, Any], names: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise _invalid(f"unknown attributes {unknown}; expected {list(names)}")


def parse_run_request(body: Mapping[str, Any]) -> RunRequest:
    """``{"period": "YYYY-MM", "trial": false}``; anything else is refused (422)."""
    _only(body, ("period", "trial"))
    period = _text(body, "period")
    cycle_of(period)  # a bad period is refused before anything is claimed
    trial = body.get("trial", False)
    if not isinstance(trial, bool):
        raise _invalid("'trial' must be true or false")
    return RunRequest(period, trial)


def parse_adjustment_request(body: Mapping[str, Any]) -> AdjustmentRequest:
    """``{"billingAccountId": ..., "amountFen": <int, not 0>, "reason": ...}``."""
    _only(body, ("billingAccountId", "amountFen", "reason"))
    amount = body.get("amountFen")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _invalid("'amountFen' must be an integer of fen (debit > 0, credit < 0)")
    return AdjustmentRequest(_text(body, "billingAccountId"), amount, _text(body, "reason"))


def _run_in(session: Session, province: str, run_id: str) -> BillRun:
    run = session.get(BillRun, run_id)
    if run is None or run.province != province or run.status == RunStatus.ON_DEMAND:
        raise NotFound(f"bill run {run_id!r} not found in province {province}")
    return run


def _account_in(session: Session, province: str, account_id: str) -> None:
    found = repo.account(session, account_id)
    if found is None or found[0] != province:
        raise NotFound(f"billing account {account_id!r} not found in province {province}")


def _view(session: Session, run: BillRun) -> RunView:
    return RunView(run, repo.amounts_by_charge_type(session, run.id))


def list_runs(
    session: Session, principal: Principal, province: str, period: str | None
) -> list[BillRun]:
    """The province's bill runs (of ``period``), newest first."""
    principal.require(*RUN_READERS)
    if period is not None:
        cycle_of(period)
    return repo.bill_runs(session, province, period)


def get_run(session: Session, principal: Principal, province: str, run_id: str) -> RunView:
    principal.require(*RUN_READERS)
    return _view(session, _run_in(session, province, run_id))


def run_exceptions(
    session: Session, principal: Principal, province: str, run_id: str
) -> list[BillException]:
    principal.require(*RUN_READERS)
    _run_in(session, province, run_id)
    return [exception for exception, _run in repo.exceptions(session, run_id)]


def start_run(
    factory: sessionmaker[Session],
    data_dir: Path,
    principal: Principal,
    province: str,
    request: RunRequest,
) -> RunView:
    """Bill the province's period now (as ``openbss billing run``): 409 while another
    process runs it, or when the period has no finished rating run."""
    principal.require(*RUN_OPERATORS)
    run = run_bills(factory, data_dir, province, request.period, trial=request.trial)
    with factory() as session:
        return RunView(run, repo.amounts_by_charge_type(session, run.id))


def finalise(session: Session, principal: Principal, province: str, run_id: str) -> RunView:
    principal.require(*RUN_OPERATORS)
    _run_in(session, province, run_id)
    return _view(session, finalise_run(session, run_id))


def discard(session: Session, principal: Principal, province: str, run_id: str) -> RunView:
    principal.require(*RUN_OPERATORS)
    _run_in(session, province, run_id)
    return _view(session, discard_run(session, run_id))


def account_so_far(
    session: Session,
    principal: Principal,
    province: str,
    data_dir: Path,
    account_id: str,
    at: datetime,
) -> BillSummary:
    """Bill inquiry: the open cycle's charges of an account up to the end of ``at``'s day."""
    principal.require(*HOT_READERS)
    _account_in(session, province, account_id)
    return hot_bill(session, data_dir, account_id, at)


def ask_adjustment(
    session: Session, principal: Principal, province: str, request: AdjustmentRequest
) -> ManualAdjustment:
    principal.require(*ADJUSTMENT_MAKERS)
    _account_in(session, province, request.account_id)
    return request_adjustment(
        session, request.account_id, request.amount_fen, request.reason, principal.key_id
    )


def approve(
    session: Session, principal: Principal, province: str, adjustment_id: str
) -> ManualAdjustment:
    principal.require(*ADJUSTMENT_CHECKERS)
    adjustment = session.get(ManualAdjustment, adjustment_id)
    if adjustment is None or adjustment.province != province:
        raise NotFound(f"adjustment {adjustment_id!r} not found in province {province}")
    return approve_adjustment(session, adjustment_id, principal.key_id)
