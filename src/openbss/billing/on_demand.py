"""A bill on demand (TMF678 customerBillOnDemand): the open cycle so far, kept as a bill.

TMF678 answers a request on demand with a reference to a CustomerBill, so the charges hot
billing finds (:func:`openbss.billing.hot.open_cycle_charges`) are stored as one, written
exactly as a bill run writes its bills, with what makes it plainly not the period's bill:

- its ``state`` is ``onDemand``: it is shown through TMF678 with its lines, but it is never
  owed, sent or paid, and no state change through the API applies to it;
- it is rendered with ``category`` ``interim`` and ``runType`` ``offCycle`` (TMF678's words
  for a bill made on a request rather than by the cycle run);
- its ``billDate`` is the day it was asked for, the last day its charges count, and its
  ``paymentDueDate`` is the date the period's bill will be due;
- its lines are not billed (``isBilled`` false): the bill run of the period bills them.

Each bill needs a run (the table says which run wrote a bill), so each bill on demand has
a run of its own, of status ``onDemand``, holding nothing else. The bill run never reads
these runs or bills: they are records of what a customer was told.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from openbss.billing import repository as repo
from openbss.billing.cycles import DEFAULT_PAYMENT_TERMS_DAYS, due_date, issue_date
from openbss.billing.errors import BillingInputError
from openbss.billing.hot import open_cycle_charges
from openbss.billing.models import BillRun, BillState, CustomerBill, RunStatus
from openbss.billing.representation import ON_DEMAND_CATEGORY, ON_DEMAND_RUN_TYPE

# The bill run's own writer, so that a bill on demand has the same columns and lines.
from openbss.billing.runs import BillDraft, add_bill
from openbss.kit.errors import NotFound
from openbss.kit.ids import new_id


def on_demand_bill_number(province: str, period: str, run_id: str) -> str:
    """``GD-202612-D<16 hex>``: apart from the run's numbers (``GD-202612-000001``)."""
    return f"{province}-{period.replace('-', '')}-D{run_id.replace('-', '')[:16]}"


def bill_open_cycle(
    session: Session, data_dir: Path, account_id: str, at: datetime
) -> CustomerBill:
    """Store ``account_id``'s open cycle up to the end of ``at``'s day as a bill on demand
    (module docstring); flushed, in the caller's transaction."""
    charges = open_cycle_charges(session, data_dir, account_id, at)
    found = repo.account(session, account_id)
    if found is None:  # pragma: no cover - open_cycle_charges has just found it
        raise NotFound(f"billing account {account_id!r} not found")
    info = found[1]
    cycle, summary = charges.cycle, charges.summary
    try:
        due = due_date(
            issue_date(cycle, info.bill_cycle_day),
            info.payment_terms_days or DEFAULT_PAYMENT_TERMS_DAYS,
        )
    except BillingInputError:
        # An account the bill run could not bill (its exception report says why) is still
        # told its charges so far; they are due no sooner than asked for.
        due = charges.local_day
    current = repo.current_rating_run(session, charges.province, cycle.period)
    run = BillRun(
        id=new_id(),
        province=charges.province,
        period=cycle.period,
        status=RunStatus.ON_DEMAND,
        rating_run_id=current.id if current is not None else None,
        accounts_due=1,
        bills=1,
        amount_fen=summary.total_fen,
        started_at=at,
        finished_at=at,
    )
    session.add(run)
    session.flush()
    number = on_demand_bill_number(charges.province, cycle.period, run.id)
    draft = BillDraft(account_id, number, charges.local_day, due, summary, charges.owners)
    bill = add_bill(session, run, cycle, draft)
    bill.state = BillState.ON_DEMAND
    bill.doc = {
        **bill.doc,
        "category": ON_DEMAND_CATEGORY,
        "runType": ON_DEMAND_RUN_TYPE,
        "state": BillState.ON_DEMAND.value,
    }
    session.flush()
    return bill
