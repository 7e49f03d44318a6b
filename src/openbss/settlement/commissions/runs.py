"""The monthly commission run of a province: claim, compute, statements, done.

- **claim**: one run per province and month (a unique row). A ``done`` run is returned as it
  is — running a month twice changes nothing. A ``running`` run left by a killed process is
  taken over (its owner on this host is no longer alive); a live owner's run is refused.
- **compute**: the lines (:mod:`calculations`) from the inputs (:mod:`inputs`), sorted, so the
  same data always gives the same lines.
- **statements**: one CSV per partner and a summary, each written to a temporary file and
  renamed into place; their SHA-256 digest is kept on the run.
- **done**: the lines are inserted and the run marked done in one transaction, so a run
  killed before has no lines and a rerun writes exactly what an uninterrupted run would.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, NotFound
from openbss.kit.ids import new_id
from openbss.kit.names import province_code
from openbss.settlement.commissions import repository as repo
from openbss.settlement.commissions.calculations import (
    Kind,
    Line,
    activation_line,
    clawback_line,
    parse_period,
    recharge_line,
    revenue_share_line,
    totals,
)
from openbss.settlement.commissions.inputs import RechargeSource, RunInputs, load
from openbss.settlement.commissions.models import CommissionLine, CommissionRun
from openbss.settlement.commissions.statements import statement_dir, write_statements

RUNNING = "running"
DONE = "done"


@dataclass(frozen=True)
class PartnerTotal:
    partner_id: str
    code: str
    name: str
    activation_fen: int
    recharge_fen: int
    revenue_share_fen: int
    clawback_fen: int
    total_fen: int


@dataclass(frozen=True)
class RunReport:
    run_id: str
    province: str
    period: str
    status: str
    reused: bool  # the month was done before: nothing was written
    attempts: int
    line_count: int
    total_fen: int
    statements: Path
    digest: str | None
    partners: tuple[PartnerTotal, ...]


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def compute_lines(inputs: RunInputs) -> list[tuple[Line, str]]:
    """Every line of the month with the contract it comes from, in statement order."""
    found: list[tuple[Line, str]] = []
    period = inputs.period
    for sale in inputs.sales:
        in_force = inputs.rules(sale.partner_id, sale.activated)
        if in_force is None:
            continue
        rules, contract_id = in_force
        activation = activation_line(period, sale, rules)
        if activation is not None:
            found.append((activation, contract_id))
        revenue = revenue_share_line(period, sale, inputs.billed.get(sale.product_id, 0), rules)
        if revenue is not None:
            found.append((revenue, contract_id))
        paid = inputs.paid.get(sale.product_id, 0) + (activation.amount_fen if activation else 0)
        clawback = clawback_line(period, sale, paid, rules)
        if clawback is not None:
            found.append((clawback, contract_id))
    for recharge in inputs.recharges:
        in_force = inputs.rules(recharge.partner_id, recharge.day)
        if in_force is None:
            continue
        line = recharge_line(period, recharge, in_force[0])
        if line is not None:
            found.append((line, in_force[1]))
    return sorted(found, key=lambda item: item[0].sort_key())


def _claim(factory: sessionmaker[Session], province: str, period: str) -> tuple[str, bool]:
    """The run id, and whether the month is done already."""
    for _ in range(2):
        try:
            with unit_of_work(factory, writes=True) as session:
                run = repo.run_of(session, province, period, lock=True)
                if run is not None and run.status == DONE:
                    return run.id, True
                if run is not None:
                    if _alive(run.owner):
                        raise Conflict(
                            f"the commission run of {province} {period} is in progress "
                            f"({run.owner}); wait for it to finish",
                            code="COMMISSION_RUN_IN_PROGRESS",
                        )
                    run.owner, run.attempts, run.started_at = owner_id(), run.attempts + 1, now()
                    return run.id, False
                run_id = new_id()
                session.add(
                    CommissionRun(
                        id=run_id,
                        province=province,
                        period=period,
                        status=RUNNING,
                        owner=owner_id(),
                    )
                )
                session.flush()
                return run_id, False
        except IntegrityError:
            continue  # another process claimed the month first: read its claim
    raise Conflict(f"could not claim the commission run of {province} {period}")


def run_commissions(
    factory: sessionmaker[Session],
    province: str,
    period: str,
    data_dir: Path,
    recharges: RechargeSource | None = None,
) -> RunReport:
    """Run (or return) the commission run of ``province`` for ``period`` (YYYY-MM)."""
    province = province_code(province)
    parse_period(period)
    run_id, done = _claim(factory, province, period)
    if done:
        return report(factory, province, period, data_dir, reused=True)
    with factory() as session:
        inputs = load(session, province, period, recharges)
        inputs.paid = repo.activation_paid(
            session, province, period, [s.product_id for s in inputs.sales if s.ceased]
        )
        lines = compute_lines(inputs)
    digest = write_statements(
        statement_dir(data_dir, province, period), province, period, inputs.partners, lines
    )
    by_partner = totals([line for line, _ in lines])
    with unit_of_work(factory, writes=True) as session:
        run = repo.run_of(session, province, period, lock=True)
        if run is None or run.id != run_id:
            raise Conflict(f"the commission run of {province} {period} was removed while running")
        if run.status != DONE:
            repo.clear_lines(session, run_id)
            session.add_all(
                CommissionLine(
                    run_id=run_id,
                    partner_id=line.partner_id,
                    kind=line.kind,
                    reference=line.reference,
                    contract_id=contract_id,
                    basis_amount=line.basis_fen,
                    amount=line.amount_fen,
                )
                for line, contract_id in lines
            )
            run.status, run.finished_at, run.owner = DONE, now(), owner_id()
            run.line_count, run.partner_count = len(lines), len(by_partner)
            run.total_amount = sum(line.amount_fen for line, _ in lines)
            run.statements_digest = digest
    return report(factory, province, period, data_dir, reused=False)


def _partner_totals(
    session: Session, run: CommissionRun, names: dict[str, tuple[str, str]]
) -> tuple[PartnerTotal, ...]:
    sums: dict[str, dict[str, int]] = {}
    for line in repo.lines_of(session, run.id):
        kinds = sums.setdefault(line.partner_id, {})
        kinds[line.kind] = kinds.get(line.kind, 0) + line.amount
    found = []
    for partner_id in sorted(sums, key=lambda p: (names.get(p, ("", ""))[0], p)):
        kinds = sums[partner_id]
        code, name = names.get(partner_id, (partner_id, ""))
        found.append(
            PartnerTotal(
                partner_id=partner_id,
                code=code,
                name=name,
                activation_fen=kinds.get(Kind.ACTIVATION, 0),
                recharge_fen=kinds.get(Kind.RECHARGE, 0),
                revenue_share_fen=kinds.get(Kind.REVENUE_SHARE, 0),
                clawback_fen=kinds.get(Kind.CLAWBACK, 0),
                total_fen=sum(kinds.values()),
            )
        )
    return tuple(found)


def report(
    factory: sessionmaker[Session],
    province: str,
    period: str,
    data_dir: Path,
    *,
    reused: bool = False,
) -> RunReport:
    from openbss.settlement.commissions.inputs import channel_partners

    province = province_code(province)
    parse_period(period)
    with factory() as session:
        run = repo.run_of(session, province, period)
        if run is None:
            raise NotFound(f"no commission run of {province} {period}")
        names = {p.id: (p.code, p.name) for p in channel_partners(session, province).values()}
        return RunReport(
            run_id=run.id,
            province=run.province,
            period=run.period,
            status=run.status,
            reused=reused,
            attempts=run.attempts,
            line_count=run.line_count,
            total_fen=run.total_amount,
            statements=statement_dir(data_dir, province, period),
            digest=run.statements_digest,
            partners=_partner_totals(session, run, names) if run.status == DONE else (),
        )


def runs(
    factory: sessionmaker[Session], province: str | None
) -> Sequence[tuple[str, str, str, int]]:
    """(province, period, status, total fen) of the runs, by period."""
    with factory() as session:
        return [
            (r.province, r.period, r.status, r.total_amount)
            for r in repo.runs(session, None if province is None else province_code(province))
        ]


def statement_file(data_dir: Path, province: str, period: str, partner_code: str) -> Path:
    """The statement of one partner of a done run."""
    path = statement_dir(data_dir, province_code(province), period) / f"{partner_code}.csv"
    if not path.is_file():
        raise NotFound(f"no commission statement of {partner_code!r} for {province} {period}")
    return path


__all__ = [
    "PartnerTotal",
    "RunReport",
    "compute_lines",
    "report",
    "run_commissions",
    "runs",
    "statement_file",
]
