"""``openbss orders``: run the order orchestration, handle fallout, trace an order."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import typer

from openbss.cli.common import clean_errors, database_work, err, province_option, zone_for
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.security import SYSTEM

orders_app = typer.Typer(
    help="Product orders: orchestration, fallout, traces", no_args_is_help=True
)
fallout_app = typer.Typer(help="Orders that need a person (fallout queue)", no_args_is_help=True)
orders_app.add_typer(fallout_app, name="fallout")


@orders_app.command("work")
@clean_errors
def work(
    once: Annotated[bool, typer.Option(help="One pass, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between idle passes")] = 1.0,
) -> None:
    """Start, provision and complete orders (the server does this continuously)."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.ordering.orchestrator import work_once, work_until_idle

    factory = make_session_factory(make_engine())
    if once:
        err.print(f"{work_until_idle(factory)} step(s) done")
        return
    err.print("working on orders; Ctrl-C to stop")
    try:
        while True:
            if not work_once(factory):
                time.sleep(interval)
    except KeyboardInterrupt:
        err.print("stopped")


FALLOUT_COLUMNS = (
    Col("order", kind="id"),
    Col("province"),
    Col("since", kind="time"),
    Col("reason"),
)


@fallout_app.command("list")
@clean_errors
def fallout_list(
    province: Annotated[
        str | None, province_option("Only this province", default_note="all")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Orders waiting for manual handling, oldest first."""
    from openbss.ordering.public import open_fallout

    with database_work() as session:
        rows = [
            {
                "order": row.product_order_id,
                "province": row.province,
                "since": row.created_at,
                "reason": row.reason,
            }
            for row in open_fallout(session, province)
        ]
    render(rows, FALLOUT_COLUMNS, output, zone_for(province), title="fallout")
    err.print(f"{len(rows)} order(s) in fallout")


@fallout_app.command("retry")
@clean_errors
def fallout_retry(order_id: str) -> None:
    """Provision a failed order again (after the cause was fixed)."""
    from openbss.ordering.orchestrator import retry

    with database_work() as session:
        order = retry(session, SYSTEM, order_id)
        round_ = order.round
    err.print(f"order {order_id} queued again (round {round_})")


@fallout_app.command("cancel")
@clean_errors
def fallout_cancel(
    order_id: str,
    reason: Annotated[str, typer.Option(help="Why the order is given up")] = "given up in fallout",
) -> None:
    """Give up a failed order: numbers released, products cancelled."""
    from openbss.ordering.orchestrator import cancel

    with database_work() as session:
        cancel(session, SYSTEM, order_id, reason)
    err.print(f"order {order_id} cancelled")


TRACE_COLUMNS = (Col("at", kind="time"), Col("step"), Col("detail"))


@orders_app.command("trace")
@clean_errors
def trace(order_id: str, output: FormatOption = OutputFormat.TABLE) -> None:
    """An order's orchestration: its steps, service orders and every network attempt."""
    from openbss.ordering.trace import order_trace

    with database_work() as session:
        lines = order_trace(session, SYSTEM, order_id)
    rows = [
        {"at": datetime.fromisoformat(line.at), "step": line.step, "detail": line.detail}
        for line in lines
    ]
    render(rows, TRACE_COLUMNS, output, zone_for(None), title=f"order {order_id}")
