"""The bill run (出帐): a province's period billed once, crash-safe, trial → finalised.

A run claims the period (one ``running`` run at a time: its owner ``host:pid`` and a
heartbeat say who works it), then bills the accounts due a chunk at a time, each chunk one
transaction holding its bills, their items and its exceptions. Accounts already billed (or
put in the exception report) by the run are skipped, so a run killed at any point and run
again resumes under the same run id and writes exactly what an uninterrupted run would: the
bill number of an account is its place among the accounts due (``GD-202603-000001``).

When every account is done the run becomes a ``trial`` (bills reviewable, nothing final)
or is finalised in one transaction (:func:`finalise_run`): bills become ``new``, items
billed, the adjustments they carry billed, the period recorded in ``billing_period``,
rating's period closed (a later rerating becomes adjustments on the next bill), and a
``CustomerBillCreateEvent`` queued per bill. A finalised period is never billed again;
running it again returns the finalised run unchanged. A trial can be discarded
(:func:`discard_run`) or finalised by running the period again without ``trial``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing import repository as repo
from openbss.billing.cycles import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    BillCycle,
    cycle_of,
    due_date,
    issue_date,
)
from openbss.billing.errors import BillingInputError
from openbss.billing.inputs import (
    Adjustments,
    ExceptionReason,
    ProvinceData,
    Unbillable,
    load_adjustments,
    load_province,
    section_lines,
)
from openbss.billing.lines import ChargeLine
from openbss.billing.models import (
    BillException,
    BillingPeriod,
    BillItem,
    BillRun,
    BillState,
    CustomerBill,
    RunStatus,
)
from openbss.billing.totals import BillSummary, summarise
from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, NotFound
from openbss.kit.ids import new_id
from openbss.kit.money import tmf_money_from_fen
from openbss.kit.tmf import format_datetime
from openbss.rating.public import RunStatus as RatingRunStatus

LEASE = timedelta(seconds=120)
_CUSTOMER_BILLS: Table = CustomerBill.__table__  # type: ignore[assignment]
_BILL_ITEMS: Table = BillItem.__table__  # type: ignore[assignment]

Progress = Callable[[int, int], None]


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


def _held(run: BillRun, at: datetime) -> bool:
    """Whether another live process works ``run``: its owner is a live process on this host,
    or (on another host) it wrote within the lease."""
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


@dataclass(frozen=True)
class _Claim:
    run_id: str
    action: str  # "bill" | "finalise" | "done"


def _claim(factory: sessionmaker[Session], province: str, period: str, trial: bool) -> _Claim:
    with unit_of_work(factory) as session:
        billed = repo.finalised_period(session, province, period)
        if billed is not None:
            return _Claim(billed.run_id, "done")
        rating = repo.current_rating_run(session, province, period)
        if rating is None or rating.status != RatingRunStatus.DONE:
            raise Conflict(
                f"{province} {period} has no finished rating run: run `openbss rating run "
                f"--period {period}` first",
                code="RATING_NOT_CURRENT",
            )
        repo.lock_rating_period(session, province, period)
        at = now()
        for run in repo.open_runs(session, province, period):
            if run.status == RunStatus.TRIAL:
                return _Claim(run.id, "done" if trial else "finalise")
            if _held(run, at):
                raise Conflict(
                    f"bill run {run.id} of {province} {period} is in progress ({run.owner}); "
                    "wait for it to finish",
                    code="BILL_RUN_IN_PROGRESS",
                )
            run.owner, run.heartbeat_at, run.error = owner_id(), at, None
            return _Claim(run.id, "bill")
        run_id = new_id()
        session.add(
            BillRun(
                id=run_id,
                province=province,
                period=period,
                status=RunStatus.RUNNING,
                rating_run_id=rating.id,
                owner=owner_id(),
                heartbeat_at=at,
            )
        )
        return _Claim(run_id, "bill")


def run_bills(
    factory: sessionmaker[Session],
    data_dir: Path,
    province: str,
    period: str,
    *,
    trial: bool,
    chunk_size: int = 500,
    progress: Progress | None = None,
    pause_seconds: float = 0.0,
    biller: ChunkBiller | None = None,
) -> BillRun:
    """Bill a province's period (see the module docstring); returns the run.

    ``pause_seconds`` waits between chunks, to spare a database others are using.
    ``biller`` makes a chunk's bills (:func:`bill_in_process` unless given, e.g.
    :func:`openbss.billing.spark.spark_biller`); the run writes whatever it returns."""
    cycle = cycle_of(period)
    if chunk_size < 1:
        raise BillingInputError(f"chunk size {chunk_size} must be at least 1")
    claim = _claim(factory, province, period, trial)
    if claim.action == "finalise":
        with unit_of_work(factory) as session:
            finalise_run(session, claim.run_id)
    elif claim.action == "bill":
        _bill(
            factory,
            data_dir,
            claim.run_id,
            cycle,
            trial,
            chunk_size,
            progress,
            pause_seconds,
            biller or bill_in_process,
        )
    with factory() as session:
        run = session.get(BillRun, claim.run_id)
        assert run is not None
        session.expunge(run)
        return run


def _bill(
    factory: sessionmaker[Session],
    data_dir: Path,
    run_id: str,
    cycle: BillCycle,
    trial: bool,
    chunk_size: int,
    progress: Progress | None,
    pause_seconds: float,
    biller: ChunkBiller,
) -> None:
    with factory() as session:
        run = session.get(BillRun, run_id)
        assert run is not None
        province, rating_run_id = run.province, run.rating_run_id or ""
        data = load_province(session, data_dir, province, cycle)
        done = repo.done_accounts(session, run_id)
    due = list(data.sections)
    numbers = {account_id: place for place, account_id in enumerate(due, start=1)}
    todo = [a for a in due if a not in done]
    finished = len(due) - len(todo)
    if progress is not None:
        progress(finished, len(due))
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        with factory() as session:
            current = repo.current_rating_run(session, province, cycle.period)
            members = [m for a in chunk for m in data.sections[a]]
            adjustments = load_adjustments(session, province, cycle.period, members)
        # Usage read from another rating run than the one claimed must not reach a bill.
        rerated = (
            current is None or current.id != rating_run_id or data.rating_run_id != rating_run_id
        )
        outcomes: list[tuple[str, Outcome]]
        if rerated:
            refusal = Refusal(
                ExceptionReason.RATING_NOT_CURRENT,
                f"{province} {cycle.period} was rerated during the run",
            )
            outcomes = [(account_id, refusal) for account_id in chunk]
        else:
            places = tuple((account_id, numbers[account_id]) for account_id in chunk)
            outcomes = biller(ChunkJob(run_id, data, places, adjustments))
        _write_chunk(factory, run_id, outcomes, len(due))
        finished += len(chunk)
        if progress is not None:
            progress(finished, len(due))
        if pause_seconds > 0:
            time.sleep(pause_seconds)
    with unit_of_work(factory) as session:
        run = _owned(session, run_id)
        run.accounts_due = len(due)
        run.bills, run.exceptions, run.amount_fen = repo.run_totals(session, run_id)
        run.status, run.finished_at, run.heartbeat_at = RunStatus.TRIAL, now(), now()
        run.owner = None
    # Finalising is a transaction of its own: when it is refused (the period was rerated
    # meanwhile) the run stays a trial that can be discarded; when it is killed, the next
    # `billing run` of the period finalises the trial.
    if not trial:
        with unit_of_work(factory) as session:
            finalise_run(session, run_id)


def _owned(session: Session, run_id: str) -> BillRun:
    """The run, locked, when this process still works it."""
    run = repo.run_for_update(session, run_id)
    if run is None or run.status != RunStatus.RUNNING or run.owner != owner_id():
        raise Conflict(
            f"bill run {run_id} was taken over by another process", code="BILL_RUN_TAKEN_OVER"
        )
    return run


@dataclass(frozen=True)
class BillDraft:
    account_id: str
    bill_no: str
    issued: date
    due: date
    summary: BillSummary
    sections: tuple[str, ...]  # the account of each line


def bill_number(province: str, period: str, place: int) -> str:
    return f"{province}-{period.replace('-', '')}-{place:06d}"


def _draft(data: ProvinceData, account_id: str, place: int, adjustments: Adjustments) -> BillDraft:
    info = data.accounts.get(account_id)
    if info is None:
        raise Unbillable(ExceptionReason.INVALID_DATA, f"billing account {account_id} not found")
    try:
        issued = issue_date(data.cycle, info.bill_cycle_day)
    except BillingInputError as error:
        raise Unbillable(ExceptionReason.NO_CYCLE, error.message) from None
    lines: list[ChargeLine] = []
    owners: list[str] = []
    for member in data.sections[account_id]:
        member_lines = section_lines(data, member, adjustments)
        lines += member_lines
        owners += [member] * len(member_lines)
    try:
        due = due_date(issued, info.payment_terms_days or DEFAULT_PAYMENT_TERMS_DAYS)
        summary = summarise(lines, data.cycle)
    except BillingInputError as error:
        raise Unbillable(ExceptionReason.INVALID_DATA, error.message) from None
    number = bill_number(data.province, data.cycle.period, place)
    return BillDraft(account_id, number, issued, due, summary, tuple(owners))


@dataclass(frozen=True, slots=True)
class BillRows:
    """A drafted bill as it is inserted: its row and its items' rows."""

    bill: dict[str, Any]
    items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Refusal:
    """An account the run puts in its exception report (plain data: it crosses processes)."""

    reason: ExceptionReason
    message: str


Outcome = BillRows | Refusal


@dataclass(frozen=True)
class ChunkJob:
    """What a chunk's bills are made of: the province's data, the chunk's accounts with
    their places among the accounts due (the bill number), and their open adjustments."""

    run_id: str
    data: ProvinceData
    accounts: tuple[tuple[str, int], ...]
    adjustments: Adjustments


# Makes the bills of a chunk, one outcome per account of ``job.accounts``, in their order.
ChunkBiller = Callable[[ChunkJob], list[tuple[str, Outcome]]]


def bill_account(
    data: ProvinceData, run_id: str, account_id: str, place: int, adjustments: Adjustments
) -> Outcome:
    """The per-account kernel of a run: the bill of ``account_id`` as rows, or why not."""
    try:
        draft = _draft(data, account_id, place, adjustments)
    except Unbillable as unbillable:
        return Refusal(unbillable.reason, unbillable.message)
    return _bill_rows(data.province, run_id, data.cycle, draft)


def bill_in_process(job: ChunkJob) -> list[tuple[str, Outcome]]:
    return [
        (account_id, bill_account(job.data, job.run_id, account_id, place, job.adjustments))
        for account_id, place in job.accounts
    ]


def _write_chunk(
    factory: sessionmaker[Session],
    run_id: str,
    outcomes: Sequence[tuple[str, Outcome]],
    due: int,
) -> None:
    with unit_of_work(factory) as session:
        run = _owned(session, run_id)
        bills = [o for _, o in outcomes if isinstance(o, BillRows)]
        # One executemany per table and chunk, in Core: ORM objects flushed one by one (and
        # the ORM's bulk insert, which still executes row by row here) cost more than the
        # bills themselves. The bills go first (their items refer to them).
        if bills:
            session.execute(_CUSTOMER_BILLS.insert(), [b.bill for b in bills])
        items = [item for b in bills for item in b.items]
        if items:
            session.execute(_BILL_ITEMS.insert(), items)
        for account_id, outcome in outcomes:
            if isinstance(outcome, Refusal):
                session.add(
                    BillException(
                        run_id=run_id,
                        billing_account_id=account_id,
                        reason=outcome.reason.value,
                        message=outcome.message[:2000],
                    )
                )
        session.flush()
        run.accounts_due = due
        run.bills, run.exceptions, run.amount_fen = repo.run_totals(session, run_id)
        run.heartbeat_at = now()


def _bill_rows(province: str, run_id: str, cycle: BillCycle, draft: BillDraft) -> BillRows:
    """The row of a drafted bill and the rows of its items, as they are inserted."""
    summary = draft.summary
    bill_id = new_id()
    doc = {
        "id": bill_id,
        "@type": "CustomerBill",
        "billNo": draft.bill_no,
        "category": "normal",
        "billDate": draft.issued.isoformat(),
        "paymentDueDate": draft.due.isoformat(),
        "billingPeriod": {
            "startDateTime": format_datetime(cycle.start_utc),
            "endDateTime": format_datetime(cycle.end_utc),
        },
        "billingAccount": {"id": draft.account_id},
        "amountDue": tmf_money_from_fen(summary.total_fen),
        "taxIncludedAmount": tmf_money_from_fen(summary.total_fen),
        "taxExcludedAmount": tmf_money_from_fen(summary.total_excluding_tax_fen),
        "taxItem": [
            {"taxCategory": str(category), "taxAmount": tmf_money_from_fen(amount)}
            for category, amount in sorted(summary.tax_by_category.items())
        ],
    }
    bill = {
        "id": bill_id,
        "province": province,
        "doc": doc,
        "run_id": run_id,
        "bill_no": draft.bill_no,
        "billing_account_id": draft.account_id,
        "period": cycle.period,
        "state": BillState.TRIAL,
        "bill_date": draft.issued,
        "payment_due_date": draft.due,
        "amount_fen": summary.total_fen,
        "tax_fen": summary.tax_fen,
        "business_tax_fen": summary.business_tax_fen,
        "items": len(summary.lines),
    }
    items: list[dict[str, Any]] = []
    for sequence, (taxed, owner) in enumerate(zip(summary.lines, draft.sections, strict=True), 1):
        line = taxed.line
        item_id = new_id()
        items.append(
            {
                "id": item_id,
                "province": province,
                "doc": {
                    "id": item_id,
                    "@type": "AppliedCustomerBillingRate",
                    "type": str(line.charge_type),
                    "name": line.description_key,
                    "bill": {"id": bill_id},
                    "billingAccount": {"id": owner},
                    **({"product": {"id": line.product_id}} if line.product_id else {}),
                    "taxIncludedAmount": tmf_money_from_fen(line.amount_fen),
                },
                "bill_id": bill_id,
                "sequence": sequence,
                "billing_account_id": owner,
                "product_id": line.product_id,
                "charge_type": str(line.charge_type),
                "tax_category": str(line.tax_category),
                "source_kind": line.source.kind,
                "source_id": line.source.id,
                "description_key": line.description_key,
                "amount_fen": line.amount_fen,
                "tax_fen": taxed.tax.shown_fen,
                "tax_rate_bp": summary.regime.rate_bp(line.tax_category),
                "first_day": line.stretch.first_day if line.stretch else None,
                "last_day": line.stretch.last_day if line.stretch else None,
                "is_billed": False,
            }
        )
    return BillRows(bill, items)


def add_bill(session: Session, run: BillRun, cycle: BillCycle, draft: BillDraft) -> CustomerBill:
    """Write one drafted bill and its items in the caller's transaction (a bill on demand)."""
    rows = _bill_rows(run.province, run.id, cycle, draft)
    session.execute(_CUSTOMER_BILLS.insert(), [rows.bill])
    if rows.items:
        session.execute(_BILL_ITEMS.insert(), rows.items)
    bill = session.get(CustomerBill, rows.bill["id"])
    assert bill is not None
    return bill


def finalise_run(session: Session, run_id: str) -> BillRun:
    """Make a trial run's bills final, in the caller's transaction (module docstring)."""
    run = repo.run_for_update(session, run_id)
    if run is None:
        raise NotFound(f"bill run {run_id!r} not found")
    if run.status == RunStatus.FINALISED:
        return run
    if run.status != RunStatus.TRIAL:
        raise Conflict(
            f"bill run {run_id} is {run.status}; only a trial run is finalised",
            code="BILL_RUN_NOT_TRIAL",
        )
    billed = repo.finalised_period(session, run.province, run.period)
    if billed is not None:
        raise Conflict(
            f"{run.province} {run.period} is already billed by run {billed.run_id}",
            code="PERIOD_ALREADY_BILLED",
        )
    current = repo.current_rating_run(session, run.province, run.period)
    if current is None or current.id != run.rating_run_id:
        raise Conflict(
            f"{run.province} {run.period} was rerated after this run's bills were made; "
            "discard the run and bill the period again",
            code="RATING_NOT_CURRENT",
        )
    at = now()
    bills = repo.run_bills(session, run_id)
    for bill in bills:
        bill.state = BillState.NEW
        bill.doc = {**bill.doc, "state": BillState.NEW.value}
    session.flush()
    repo.mark_items_billed(session, run_id)
    repo.mark_adjustments_billed(session, repo.run_items(session, run_id))
    session.add(BillingPeriod(province=run.province, period=run.period, run_id=run_id))
    repo.close_rating_period(session, run.province, run.period)
    # The TMF678 service renders the events as its API serves the bills. It sits above the
    # run (a bill on demand is written by the run's writer), hence the import here.
    from openbss.billing.service import bill_events

    bill_events(session, bills)
    run.status, run.finalised_at = RunStatus.FINALISED, at
    session.flush()
    return run


def discard_run(session: Session, run_id: str) -> BillRun:
    """Throw a trial run away: its bills are deleted and the run is discarded."""
    run = repo.run_for_update(session, run_id)
    if run is None:
        raise NotFound(f"bill run {run_id!r} not found")
    if run.status != RunStatus.TRIAL:
        raise Conflict(
            f"bill run {run_id} is {run.status}; only a trial run can be discarded",
            code="BILL_RUN_NOT_TRIAL",
        )
    repo.delete_bills(session, run_id)
    run.status, run.bills, run.amount_fen = RunStatus.DISCARDED, 0, 0
    session.flush()
    return run
