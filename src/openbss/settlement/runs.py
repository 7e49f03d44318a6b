"""The settlement run: a province's period settled once, crash-safe.

A run claims the period (one ``running`` run at a time: its owner ``host:pid`` and a heartbeat
say who works it), then

1. prices the period's interconnect traffic (usage of finished mediation batches) with the
   rating kernel, per carrier, direction and rule;
2. prices usage served by other provinces at the group's rates, per province pair;
3. shares the SPs' and CPs' billed revenue (when billing has finalised the period);
4. writes every statement's CSV and PDF into the run's own directory (each file written to a
   temporary name, synced and renamed);
5. records the statements and their lines, marks the chargebacks it took, and becomes
   ``done`` — all in one transaction.

A run killed at any point leaves a ``running`` row and some files; the next run of the period
takes it over (its owner is gone), empties its directory and writes it again. Statements are
made from the inputs alone, so the files and lines equal an uninterrupted run's. A period with a
``done`` run is not settled again unless asked (``again``): the new run then supersedes it in
the same transaction that makes it done.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

import openbss.settlement.partners.public as partners
from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import Conflict
from openbss.kit.ids import new_id
from openbss.kit.money import li_to_fen
from openbss.kit.names import inside, province_code
from openbss.settlement import repository as repo
from openbss.settlement.errors import SettlementInputError
from openbss.settlement.interconnect.data import load_carriers, load_rules
from openbss.settlement.interconnect.settle import settle_files
from openbss.settlement.interprovince.settle import settle_interprovince
from openbss.settlement.models import (
    RunStatus,
    SettlementRun,
    SettlementStatement,
    StatementKind,
    StatementLine,
)
from openbss.settlement.revenue_share.calculations import revenue_share, statement_lines
from openbss.settlement.revenue_share.service import gather
from openbss.settlement.statements import Line, Statement, statement_csv, statement_pdf

LEASE = timedelta(seconds=300)
Progress = Callable[[str], None]


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _held(run: SettlementRun, at: datetime) -> bool:
    if not run.owner:
        return False
    host, _, pid = run.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) != os.getpid() and _alive(int(pid))
    beat = run.heartbeat_at
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=at.tzinfo)
    return at - beat < LEASE


def check_period(period: str) -> str:
    if len(period) != 7 or period[4] != "-" or not (period[:4] + period[5:]).isdigit():
        raise SettlementInputError(f"period {period!r} must be YYYY-MM")
    if not 1 <= int(period[5:]) <= 12 or int(period[:4]) < 1990:
        raise SettlementInputError(f"period {period!r} is not a month")
    return period


def period_days(period: str) -> list[date]:
    year, month = int(period[:4]), int(period[5:7])
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def run_dir(data_dir: Path, province: str, period: str, run_id: str) -> Path:
    return inside(
        data_dir, "settlement", f"province={province}", f"period={period}", f"run-{run_id}"
    )


@dataclass(frozen=True)
class _Claim:
    run_id: str
    action: str  # "settle" | "done"


def _claim(
    factory: sessionmaker[Session], data_dir: Path, province: str, period: str, again: bool
) -> _Claim:
    with unit_of_work(factory, writes=True) as session:
        current = repo.current_run(session, province, period)
        at = now()
        for run in repo.open_runs(session, province, period):
            if _held(run, at):
                raise Conflict(
                    f"settlement run {run.id} of {province} {period} is in progress "
                    f"({run.owner}); wait for it to finish",
                    code="SETTLEMENT_RUN_IN_PROGRESS",
                )
            run.owner, run.heartbeat_at, run.error = owner_id(), at, None
            return _Claim(run.id, "settle")
        if current is not None and not again:
            return _Claim(current.id, "done")
        run_id = new_id()
        session.add(
            SettlementRun(
                id=run_id,
                province=province,
                period=period,
                status=RunStatus.RUNNING,
                owner=owner_id(),
                heartbeat_at=at,
                output_dir=str(run_dir(data_dir, province, period, run_id)),
                started_at=at,
            )
        )
        return _Claim(run_id, "settle")


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _lines(frame: pl.DataFrame) -> dict[str, tuple[Line, ...]]:
    by_partner: dict[str, list[Line]] = {}
    for row in frame.sort("partner", "direction", "service", "rule").iter_rows(named=True):
        by_partner.setdefault(row["partner"], []).append(
            Line(
                direction=row["direction"],
                service=row["service"],
                rule=row["rule"],
                records=int(row["records"]),
                quantity=int(row["quantity"]),
                unit=row["unit"],
                amount_li=int(row["amount_li"]),
                amount_fen=li_to_fen(int(row["amount_li"])),
            )
        )
    return {partner: tuple(lines) for partner, lines in by_partner.items()}


def _carrier_names(session: Session, province: str, codes: list[str]) -> dict[str, str]:
    """Carriers' names from the partner table; a carrier not (yet) registered there keeps
    its code as its name."""
    names = {}
    for code in codes:
        found = partners.partner_by_code(session, partners.PartnerKind.CARRIER, code, province)
        names[code] = found.name if found is not None else code
    return names


@dataclass
class Outcome:
    statements: list[Statement]
    records: int
    unpriced: int
    chargeback_ids: list[str]
    notes: list[str]


def compute(session: Session, data_dir: Path, province: str, period: str) -> Outcome:
    """Every statement of the period, from the inputs alone (no files written)."""
    from openbss.mediation.public import finished_usage_parts, scan_parts

    files = finished_usage_parts(session, data_dir, province, period_days(period))
    interconnect = settle_files(files, load_rules(), load_carriers())
    names = _carrier_names(session, province, sorted(set(interconnect["partner"].to_list())))
    statements = [
        Statement(StatementKind.INTERCONNECT, province, period, partner, names[partner], lines)
        for partner, lines in _lines(interconnect).items()
    ]
    unpriced = int(
        interconnect.filter(pl.col("rule").is_in(["NO_TARIFF", "NO_RULE"]))["records"].sum() or 0
    )
    records = int(interconnect["records"].sum() or 0)
    if files:
        inter = settle_interprovince(scan_parts(files), province)
        statements += [
            Statement(
                StatementKind.INTERPROVINCE, province, period, pair, pair.replace(">", " → "), lines
            )
            for pair, lines in _lines(inter).items()
        ]
    notes: list[str] = []
    taken: list[str] = []
    try:
        shares = gather(session, data_dir, province, period)
    except Conflict as exc:  # the period is not billed yet: no revenue to share
        shares, notes = [], [f"revenue share: {exc.message}"]
    for name, inputs in shares:
        result = revenue_share(inputs)
        lines = tuple(
            Line(
                direction=str(ln["direction"]), service="vas", rule=str(ln["rule"]),
                records=int(ln["records"]), quantity=int(ln["records"]), unit="record",  # type: ignore[call-overload]
                amount_li=int(ln["amount_fen"]) * 10, amount_fen=int(ln["amount_fen"]),  # type: ignore[call-overload]
            )
            for ln in statement_lines(inputs, result)
        )  # fmt: skip
        statements.append(
            Statement(StatementKind.REVENUE_SHARE, province, period, inputs.partner, name, lines)
        )
        taken += [c.id for c in repo.chargebacks_for(session, province, inputs.partner, period)]
    return Outcome(statements, records, unpriced, taken, notes)


def _write_files(
    out: Path, statements: list[Statement], pdf: bool, pause_seconds: float
) -> dict[str, tuple[str, str, str | None]]:
    if out.exists():
        shutil.rmtree(out)  # what a killed attempt left: written again from scratch
    out.mkdir(parents=True)
    written: dict[str, tuple[str, str, str | None]] = {}
    for statement in statements:
        data = statement_csv(statement)
        csv_path = out / f"{statement.file_stem}.csv"
        _write_atomically(csv_path, data)
        pdf_name: str | None = None
        if pdf:
            pdf_path = out / f"{statement.file_stem}.pdf"
            _write_atomically(pdf_path, statement_pdf(statement))
            pdf_name = pdf_path.name
        written[statement.file_stem] = (csv_path.name, hashlib.sha256(data).hexdigest(), pdf_name)
        if pause_seconds:
            time.sleep(pause_seconds)
    return written


def run_settlement(
    factory: sessionmaker[Session],
    data_dir: Path,
    province: str,
    period: str,
    *,
    again: bool = False,
    pdf: bool = True,
    pause_seconds: float = 0.0,
    progress: Progress | None = None,
) -> tuple[SettlementRun, list[str]]:
    """Settle a province's period (see the module docstring); returns the run and notes."""
    province_code(province)
    check_period(period)
    claim = _claim(factory, data_dir, province, period, again)
    notes: list[str] = []
    if claim.action == "settle":
        say = progress or (lambda _text: None)
        with factory() as session:
            say("pricing interconnect, inter-province and revenue share")
            outcome = compute(session, data_dir, province, period)
        notes = outcome.notes
        out = run_dir(data_dir, province, period, claim.run_id)
        say(f"writing {len(outcome.statements)} statement(s)")
        written = _write_files(out, outcome.statements, pdf, pause_seconds)
        with unit_of_work(factory, writes=True) as session:
            _record(session, claim.run_id, outcome, written)
    with factory() as session:
        run = session.get(SettlementRun, claim.run_id)
        assert run is not None
        session.expunge(run)
        return run, notes


def _record(
    session: Session,
    run_id: str,
    outcome: Outcome,
    written: dict[str, tuple[str, str, str | None]],
) -> None:
    run = session.get(SettlementRun, run_id, with_for_update=True)
    if run is None or run.status != RunStatus.RUNNING or run.owner != owner_id():
        raise Conflict(f"settlement run {run_id} was taken over", code="SETTLEMENT_RUN_LOST")
    for statement in outcome.statements:
        csv_name, sha, pdf_name = written[statement.file_stem]
        statement_id = new_id()
        session.add(
            SettlementStatement(
                id=statement_id, run_id=run.id, province=run.province, period=run.period,
                kind=statement.kind, partner=statement.partner,
                partner_name=statement.partner_name[:200],
                receivable_fen=statement.receivable_fen, payable_fen=statement.payable_fen,
                currency="CNY", csv_file=csv_name, csv_sha256=sha, pdf_file=pdf_name,
                lines=len(statement.lines),
            )
        )  # fmt: skip
        session.flush()
        for line in statement.lines:
            session.add(
                StatementLine(
                    statement_id=statement_id, direction=line.direction, service=line.service,
                    rule=line.rule[:200], records=line.records, quantity=line.quantity,
                    unit=line.unit, amount_li=line.amount_li, amount_fen=line.amount_fen,
                )
            )  # fmt: skip
    repo.mark_chargebacks_applied(session, outcome.chargeback_ids, run.period)
    previous = repo.current_run(session, run.province, run.period)
    if previous is not None and previous.id != run.id:
        previous.status = RunStatus.SUPERSEDED
        session.flush()
    run.status = RunStatus.DONE
    run.records, run.unpriced = outcome.records, outcome.unpriced
    run.statements = len(outcome.statements)
    run.finished_at = run.heartbeat_at = now()
    session.flush()
