"""``openbss dunning``: the daily collections job and an account's treatment."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, database_work, err, out
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, NotFound

dunning_app = typer.Typer(
    help="Collections: late fees, reminders, 停机 / 复机 / 拆机, credit control",
    no_args_is_help=True,
)


def _day(value: str | None) -> date:
    from openbss.payments.public import business_day

    if value is None:
        return business_day(now())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"--date must be a date like 2026-05-20, got {value!r}") from None


@dunning_app.command("run")
@clean_errors
def run(
    day: Annotated[
        str | None, typer.Option("--date", help="Business day (default: today in Beijing)")
    ] = None,
    province: Annotated[
        str | None, typer.Option(help="Province (default: the deployment's)")
    ] = None,
    work: Annotated[
        bool, typer.Option(help="Also complete the orders placed and send the reminders")
    ] = True,
) -> None:
    """Run the daily job: late fees, reminders, suspend / resume / cease orders, credit
    control, write-off proposals. Running it twice for one day changes nothing."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.ordering.public import work_until_idle
    from openbss.payments.public import deliver_notifications, run_dunning

    on = _day(day)
    factory = make_session_factory(make_engine())
    data_dir = get_settings().data_dir
    report = run_dunning(factory, province or DEFAULT_PROVINCE, on, data_dir=data_dir)
    sent = 0
    if work:
        work_until_idle(factory)
        sent = deliver_notifications(factory, data_dir)
    err.print(
        f"{report.province} {on}: {report.selected} account(s) looked at; "
        f"{report.late_fees} late fee(s) ({report.late_fee_fen} fen), "
        f"{report.reminders} reminder(s) ({sent} sent), {report.suspended} suspended, "
        f"{report.resumed} resumed, {report.ceased} ceased, {report.barred} barred, "
        f"{report.unbarred} unbarred, {report.write_off_proposals} write-off proposal(s), "
        f"{report.exempt} exempt, {report.held_by_promise} held by a promise"
    )
    for refusal in report.refused:
        err.print(f"refused: {refusal}")


@dunning_app.command("status")
@clean_errors
def status(
    account: Annotated[str, typer.Argument(help="Billing account id")],
    day: Annotated[str | None, typer.Option("--date", help="As of this business day")] = None,
) -> None:
    """An account's stage, arrears, steps taken, reminders and promises (JSON)."""
    from openbss.account.public import get_billing_account
    from openbss.payments.public import treatment_of

    with database_work() as session:
        if get_billing_account(session, account) is None:
            raise NotFound(f"billing account {account!r} does not exist")
        found = treatment_of(session, account, _day(day))
        out.print_json(json.dumps(found.as_json(), ensure_ascii=False))
