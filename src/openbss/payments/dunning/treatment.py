"""The daily collections job and the treatment of one account.

``run`` selects, set-based, the accounts with overdue bills, the accounts under treatment and
the credit-limited accounts, then treats them in batches (a transaction per batch, a savepoint
per account) under each account's ledger lock:

1. late fees for every day not yet charged (a missed day is caught up);
2. the reminder due for the age of the oldest overdue bill, once per overdue episode;
3. the stage: 停机 30 days past due, 复机 once the arrears no longer warrant it, 拆机 60 days
   after the suspension — with the deposits applied and a write-off proposal for the rest —
   unless the account is exempt (government, VIP) or a promise to pay holds it;
4. credit control for accounts with a credit limit: 单停 / 双停 / lifted.

Every step has a key; a second run of the same day finds the keys and the stage and does
nothing again. A killed run leaves whole batches done or untouched, so rerunning finishes it.
``after_payment`` treats an account at once when a payment arrives (resume, lift a bar).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from openbss.account import public as accounts
from openbss.billing import public as billing
from openbss.customer.public import customer_of_party
from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import OpenBSSError
from openbss.kit.ids import new_id
from openbss.payments import chart, ledger
from openbss.payments import repository as ar
from openbss.payments.dunning import deposits, notifications, orders, policy
from openbss.payments.dunning import repository as repo
from openbss.payments.dunning.models import (
    DunningCase,
    DunningStep,
    PromiseStatus,
    Stage,
    WriteOffProposal,
)
from openbss.payments.dunning.policy import Barring, OverdueBill, PolicyVersion
from openbss.payments.models import ItemKind, JournalLine, LedgerItem, Side

logger = logging.getLogger(__name__)
JOB = "collections"
# Accounts treated per transaction: a killed run loses at most one batch, which the next run
# of the same day does again (every step is keyed).
BATCH = 200
BAR_RANK = {Barring.NONE: 0, Barring.OUTGOING: 1, Barring.FULL: 2}


@dataclass
class RunReport:
    province: str
    day: date
    selected: int = 0
    late_fees: int = 0
    late_fee_fen: int = 0
    reminders: int = 0
    suspended: int = 0
    resumed: int = 0
    ceased: int = 0
    barred: int = 0
    unbarred: int = 0
    write_off_proposals: int = 0
    exempt: int = 0
    held_by_promise: int = 0
    refused: list[str] = field(default_factory=list)

    def add(self, other: RunReport) -> None:
        for name in (
            "late_fees",
            "late_fee_fen",
            "reminders",
            "suspended",
            "resumed",
            "ceased",
            "barred",
            "unbarred",
            "write_off_proposals",
            "exempt",
            "held_by_promise",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.refused.extend(other.refused)


def step_key(account_id: str, step: str, day: date) -> str:
    return f"dunning:{account_id}:{step}:{day.isoformat()}"


# ----- the job -----------------------------------------------------------------------------------


def select_accounts(session: Session, province: str, day: date) -> dict[str, repo.Arrears | None]:
    """The accounts the job must look at on ``day``: with overdue bills, under treatment, or
    with a credit limit."""
    overdue: dict[str, repo.Arrears | None] = dict(repo.overdue_accounts(session, province, day))
    for account_id in repo.cases_under_treatment(session, province):
        overdue.setdefault(account_id, None)
    return overdue


def run(
    factory: sessionmaker[Session], province: str, day: date, *, data_dir: Path | None = None
) -> RunReport:
    """The daily job for ``province`` on business day ``day`` (see the module docstring)."""
    report = RunReport(province, day)
    with unit_of_work(factory) as session:
        selected = sorted(select_accounts(session, province, day))
        limits = dict(accounts.credit_limited_accounts(session, province))
    everyone = sorted(set(selected) | set(limits))
    report.selected = len(everyone)
    for start in range(0, len(everyone), BATCH):
        # A batch of accounts per transaction (one commit, not one per account); each
        # account in a savepoint, so one account's refusal leaves the others' work standing.
        with unit_of_work(factory) as session:
            for account_id in everyone[start : start + BATCH]:
                try:
                    with session.begin_nested():
                        done = treat(
                            session,
                            province,
                            account_id,
                            day,
                            credit_limit_fen=limits.get(account_id),
                            data_dir=data_dir,
                        )
                except OpenBSSError as exc:  # one account must not stop the province
                    logger.warning("collections of an account stopped: %s", exc.code)
                    report.refused.append(f"{account_id}: {exc.code}")
                    continue
                report.add(done)
    return report


def treat(
    session: Session,
    province: str,
    account_id: str,
    day: date,
    *,
    credit_limit_fen: int | None = None,
    data_dir: Path | None = None,
    charge_fees: bool = True,
) -> RunReport:
    """Bring one account's treatment up to ``day``; the caller's unit of work commits."""
    report = RunReport(province, day)
    version = policy.version_on(province, day)
    ar.lock_account(session, account_id, province)
    case = repo.case_of(session, account_id, province)
    debits = repo.open_receivables(session, account_id)
    if (
        charge_fees
        and case.stage != Stage.CEASED
        and _charge_late_fees(session, case, debits, day, report)
    ):
        debits = repo.open_receivables(session, account_id)  # a credit may have paid some
    arrears = repo.arrears_in(debits, account_id, day)
    _remind(session, case, arrears, day, version, report)
    held = _promise_holds(session, case, arrears, day)
    days_past_due = (day - arrears.oldest_due).days if arrears else None
    exempt: bool | None = None

    def is_exempt() -> bool:
        nonlocal exempt
        if exempt is None:
            exempt = exempt_account(session, account_id, version)
        return exempt

    if case.stage == Stage.CLEAR and policy.suspension_due(days_past_due, version.treatment):
        if is_exempt():
            report.exempt += 1
        elif held:
            report.held_by_promise += 1
        elif _step(session, case, "suspend", day, report):
            case.stage = Stage.SUSPENDED
            case.suspended_on = day
            report.suspended += 1
    elif case.stage == Stage.SUSPENDED:
        if not policy.suspension_due(days_past_due, version.treatment) or is_exempt():
            if _step(session, case, "resume", day, report):
                case.stage = Stage.CLEAR
                case.suspended_on = None
                case.barring = Barring.NONE
                report.resumed += 1
        elif (
            policy.cease_due(case.suspended_on, day, version.treatment)
            and not held
            and _step(session, case, "cease", day, report)
        ):
            case.stage = Stage.CEASED
            case.ceased_on = day
            report.ceased += 1
            deposits.settle_at_cease(session, account_id, day)
            report.write_off_proposals += propose_write_off(session, case, day)
    if case.stage == Stage.CLEAR and (credit_limit_fen is not None or case.barring != Barring.NONE):
        _credit_control(session, case, day, version, credit_limit_fen, data_dir, is_exempt, report)
    session.flush()
    return report


def after_payment(session: Session, province: str, account_id: str) -> None:
    """A payment arrived for the account (its ledger lock is held): resume its lines or lift
    its barring at once if the arrears no longer warrant them. Late fees and reminders wait
    for the daily job."""
    case = repo.find_case(session, account_id)
    if case is None or (case.stage != Stage.SUSPENDED and case.barring == Barring.NONE):
        _close_promise_if_clear(session, account_id)
        return
    account = accounts.get_billing_account(session, account_id)
    limit = account.credit_limit_amount if account is not None else None
    treat(
        session,
        province,
        account_id,
        ledger.business_day(now()),
        credit_limit_fen=limit,
        charge_fees=False,
    )


def after_payments(session: Session, province: str, account_ids: Iterable[str]) -> None:
    """:func:`after_payment` for every account of a bulk application (a bank result file)
    that a payment could release; the others have nothing to resume."""
    for account_id in sorted(repo.held_accounts(session, sorted(set(account_ids)))):
        after_payment(session, province, account_id)


# ----- the steps -------------------------------------------------------------------------------


def _step(session: Session, case: DunningCase, step: str, day: date, report: RunReport) -> bool:
    """Place the step's order unless its key was taken; True when the step is done."""
    key = step_key(case.billing_account_id, step, day)
    if repo.step(session, key) is not None:
        return True
    placed = orders.place(session, case.province, case.billing_account_id, step, key)
    if not placed.ok:
        report.refused.append(f"{case.billing_account_id}: {step}: {placed.error}")
        return False
    repo.add_step(
        session,
        DunningStep(
            key=key,
            province=case.province,
            billing_account_id=case.billing_account_id,
            step=step,
            business_date=day,
            product_order_id=",".join(placed.order_ids) or None,
            detail=f"{placed.products} product(s)",
        ),
    )
    return True


def _charge_late_fees(
    session: Session,
    case: DunningCase,
    debits: list[repo.OpenDebit],
    day: date,
    report: RunReport,
) -> bool:
    """Charge every day not yet charged through ``day``; True when a fee was posted."""
    account_id = case.billing_account_id
    overdue = [
        OverdueBill(d.due_date, d.amount_fen, d.settlements)
        for d in debits
        if d.kind in repo.AGED_KINDS and d.due_date is not None and d.due_date < day
    ]
    if not overdue:
        case.fees_through = day
        return False
    earliest = min(bill.due_date for bill in overdue) + timedelta(days=1)
    charged = case.fees_through or repo.last_late_fee_day(session, account_id)
    first = max(earliest, charged + timedelta(days=1)) if charged else earliest
    case.fees_through = day
    if first > day:
        return False
    open_fees = sum(d.open_fen for d in debits if d.kind == ItemKind.LATE_FEE)
    fees = policy.late_fees(
        overdue,
        first,
        day,
        open_fees,
        lambda d: policy.version_on(case.province, d).late_fee,
    )
    posted = repo.late_fee_sources(session, account_id, first) if fees else set()
    fresh = [
        (fee_day, fee, principal_fen)
        for fee_day, fee, principal_fen in fees
        if f"{account_id}/{fee_day.isoformat()}" not in posted
    ]
    _post_late_fees(session, case, fresh)
    report.late_fees += len(fresh)
    report.late_fee_fen += sum(fee for _, fee, _ in fresh)
    if fresh:
        ledger.settle_account(session, account_id)  # a credit balance pays the fees
    return bool(fresh)


def _post_late_fees(session: Session, case: DunningCase, fees: list[tuple[date, int, int]]) -> None:
    """One late-fee item per day (source ``<account>/<day>``, due that day) and its journal
    lines (chart.late_fee_lines), written in two statements however many days are caught up."""
    if not fees:
        return
    stamp = now()
    items: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    for fee_day, fee, principal_fen in fees:
        item_id = new_id()
        items.append(
            {
                "id": item_id,
                "province": case.province,
                "billing_account_id": case.billing_account_id,
                "side": Side.DEBIT,
                "kind": ItemKind.LATE_FEE,
                "control": chart.GlAccount.RECEIVABLE,
                "amount_fen": fee,
                "source_id": f"{case.billing_account_id}/{fee_day.isoformat()}",
                "due_date": fee_day,
                "business_date": fee_day,
                "note": f"违约金 / late fee on {principal_fen} fen overdue",
                "created_by": JOB,
                "created_at": stamp,
            }
        )
        for line in chart.late_fee_lines(fee):
            lines.append(
                {
                    "province": case.province,
                    "entry_id": item_id,
                    "entry_kind": ItemKind.LATE_FEE,
                    "business_date": fee_day,
                    "gl_account": str(line.gl_account),
                    "dimension": line.dimension,
                    "billing_account_id": case.billing_account_id
                    if line.on_customer_account
                    else None,
                    "amount_fen": line.amount_fen,
                    "created_at": stamp,
                }
            )
    # Core inserts: one executemany each (the ORM's bulk path would insert row by row).
    session.execute(insert(cast(Table, LedgerItem.__table__)), items)
    session.execute(insert(cast(Table, JournalLine.__table__)), lines)


def _remind(
    session: Session,
    case: DunningCase,
    arrears: repo.Arrears | None,
    day: date,
    version: PolicyVersion,
    report: RunReport,
) -> None:
    if arrears is None:
        case.episode_due = None
        return
    case.episode_due = arrears.oldest_due
    due = policy.reminders_due(version.reminders, (day - arrears.oldest_due).days)
    if not due or case.stage == Stage.CEASED:
        return
    latest = due[-1]  # a late first run sends the reminder of the day, not every earlier one
    texts = latest.text(case.billing_account_id, arrears.overdue_fen)
    for channel in latest.channels:
        key = notifications.reminder_key(
            case.billing_account_id, latest.days_past_due, channel, arrears.oldest_due
        )
        if notifications.enqueue(
            session,
            key=key,
            province=case.province,
            billing_account_id=case.billing_account_id,
            channel=channel,
            texts=texts,
        ):
            report.reminders += 1


def _promise_holds(
    session: Session, case: DunningCase, arrears: repo.Arrears | None, day: date
) -> bool:
    """Whether an open promise to pay holds the treatment today; a promise whose date has
    passed is kept (nothing overdue) or broken (treatment resumes)."""
    promise = repo.open_promise(session, case.billing_account_id)
    if promise is None:
        return False
    if arrears is None:
        promise.status = PromiseStatus.KEPT
        promise.closed_on = day
        return False
    if promise.promised_date >= day:
        return True
    promise.status = PromiseStatus.BROKEN
    promise.closed_on = day
    return False


def _close_promise_if_clear(session: Session, account_id: str) -> None:
    promise = repo.open_promise(session, account_id)
    if promise is not None:
        day = ledger.business_day(now())
        if repo.arrears_of(session, account_id, day) is None:
            promise.status = PromiseStatus.KEPT
            promise.closed_on = day


def _credit_control(
    session: Session,
    case: DunningCase,
    day: date,
    version: PolicyVersion,
    limit_fen: int | None,
    data_dir: Path | None,
    is_exempt: Callable[[], bool],
    report: RunReport,
) -> None:
    account_id = case.billing_account_id
    exposure = ar.gl_balance(session, account_id, chart.GlAccount.RECEIVABLE)
    if data_dir is not None and limit_fen is not None:
        try:
            exposure += billing.unbilled_fen(session, data_dir, account_id, now())
        except OpenBSSError as exc:  # no open cycle to price: arrears alone count
            logger.info("unbilled usage of an account not known: %s", exc.code)
    wanted = policy.barring_for(exposure, limit_fen, version.credit)
    current = Barring(case.barring)
    if BAR_RANK[wanted] > BAR_RANK[current]:
        if is_exempt():
            report.exempt += 1
            return
        step = "bar-full" if wanted == Barring.FULL else "bar-outgoing"
        if _step(session, case, step, day, report):
            case.barring = wanted
            report.barred += 1
    elif (
        wanted == Barring.NONE
        and current != Barring.NONE
        and _step(session, case, "unbar", day, report)
    ):
        case.barring = Barring.NONE
        report.unbarred += 1


def exempt_account(session: Session, account_id: str, version: PolicyVersion) -> bool:
    """Government customers and accounts or customers marked VIP are never barred."""
    account = accounts.get_billing_account(session, account_id)
    if account is None:
        return False
    rule = version.treatment
    if _marked(account.doc, rule.exempt_characteristic):
        return True
    if account.owner_party_id is None:
        return False
    customer = customer_of_party(session, account.owner_party_id, account.province)
    if customer is None:
        return False
    return customer.category in rule.exempt_customer_categories or _marked(
        customer.doc, rule.exempt_characteristic
    )


def _marked(doc: object, name: str) -> bool:
    if not name or not isinstance(doc, dict):
        return False
    for entry in doc.get("characteristic") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return str(entry.get("value")).lower() in ("true", "1", "yes")
    return False


def propose_write_off(session: Session, case: DunningCase, day: date) -> int:
    """After 拆机: propose writing off what is still owed (finance approves); 1 if proposed."""
    if repo.write_off_for(session, case.billing_account_id, day) is not None:
        return 0
    owed = sum(
        left
        for item, left in ar.open_items(session, case.billing_account_id, Side.DEBIT)
        if item.control == chart.GlAccount.RECEIVABLE
    )
    if owed <= 0:
        return 0
    session.add(
        WriteOffProposal(
            id=new_id(),
            province=case.province,
            billing_account_id=case.billing_account_id,
            ceased_on=day,
            amount_fen=owed,
            proposed_by=JOB,
        )
    )
    session.flush()
    return 1
