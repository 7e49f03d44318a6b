"""Hot billing (实时话费查询): the open cycle's charges of an account so far, writing nothing.

The cycle containing ``at`` (province time) is assembled as a bill run would assemble it,
with two differences: rentals are charged for the days through ``at``'s day only (a
monthly rental's share of those days, a daily rental's days), and usage is the one the
period's current rating run priced, if the period has been rated yet. Open adjustments are
shown as the next bill would carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from openbss.billing import repository as repo
from openbss.billing.cycles import BillCycle, cycle_containing, require_aware
from openbss.billing.inputs import Unbillable, load_adjustments, load_province, section_lines
from openbss.billing.lines import ChargeLine
from openbss.billing.totals import BillSummary, summarise
from openbss.kit.errors import NotFound, Unprocessable


@dataclass(frozen=True)
class OpenCycleCharges:
    """An account's open cycle so far: the summary, and the account each line belongs to
    (the account's own, or a consolidated child's), in the summary's order."""

    province: str
    cycle: BillCycle
    local_day: date  # the last day counted, in province time
    summary: BillSummary
    owners: tuple[str, ...]


def open_cycle_charges(
    session: Session, data_dir: Path, account_id: str, at: datetime
) -> OpenCycleCharges:
    """What ``account_id`` owes for the open cycle up to the end of ``at``'s day, with the
    account of each line."""
    found = repo.account(session, account_id)
    if found is None or found[0] is None:
        raise NotFound(f"billing account {account_id!r} not found")
    province = found[0]
    cycle = cycle_containing(require_aware(at, "at"))
    local_day = at.astimezone(cycle.time_zone).date()
    cut_at = cycle.day_start_utc(local_day + timedelta(days=1))
    data = load_province(session, data_dir, province, cycle)
    members = data.sections.get(account_id, [account_id])
    adjustments = load_adjustments(session, province, cycle.period, members)
    lines: list[ChargeLine] = []
    owners: list[str] = []
    try:
        for member in members:
            member_lines = section_lines(data, member, adjustments, cut_at=cut_at)
            lines += member_lines
            owners += [member] * len(member_lines)
    except Unbillable as unbillable:
        raise Unprocessable(unbillable.message, code=unbillable.reason.value) from None
    return OpenCycleCharges(province, cycle, local_day, summarise(lines, cycle), tuple(owners))


def hot_bill(session: Session, data_dir: Path, account_id: str, at: datetime) -> BillSummary:
    """What ``account_id`` owes for the open cycle up to the end of ``at``'s day."""
    return open_cycle_charges(session, data_dir, account_id, at).summary
