"""``openbss orders``: run the order orchestration, handle fallout, trace an order."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from openbss.cli.common import checked_province, clean_errors, database_work, err, out
from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.security import SYSTEM
from openbss.kit.tmf import format_datetime

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


@fallout_app.command("list")
@clean_errors
def fallout_list(
    province: Annotated[
        str | None, typer.Option(help="Only this province", callback=checked_province)
    ] = None,
) -> None:
    """Orders waiting for manual handling, oldest first."""
    from openbss.ordering.public import open_fallout

    with database_work() as session:
        rows = open_fallout(session, province)
        table = Table("order", "province", "since", "reason", title="fallout")
        for row in rows:
            table.add_row(
                row.product_order_id,
                row.province or "",
                format_datetime(row.created_at),
                row.reason,
            )
    out.print(table)
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


@orders_app.command("trace")
@clean_errors
def trace(order_id: str) -> None:
    """An order's orchestration: its steps, service orders and every network attempt."""
    from openbss.ordering.trace import order_trace

    with database_work() as session:
        lines = order_trace(session, SYSTEM, order_id)
    table = Table("at", "step", "detail", title=f"order {order_id}")
    for line in lines:
        table.add_row(line.at, line.step, line.detail)
    out.print(table)
