"""``openbss oss``: the network side of fulfilment — network elements and service orders.

``ne list`` and ``ne set`` inspect and steer the simulated network elements (a demo or a test
can make the switch fail, reject or stall while the server runs); ``run`` executes due
service orders, once or as a worker that polls until interrupted.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer
from rich.table import Column, Table

from openbss.cli.common import clean_errors, database_work, err, out

log = logging.getLogger(__name__)

oss_app = typer.Typer(help="Network elements and service orders (OSS)", no_args_is_help=True)
ne_app = typer.Typer(help="Network elements", no_args_is_help=True)
oss_app.add_typer(ne_app, name="ne")


@ne_app.command("list")
@clean_errors
def ne_list(
    province: Annotated[
        str | None,
        typer.Option(help="Only this province; its simulated elements are created if missing"),
    ] = None,
) -> None:
    """List network elements with their adapter and settings."""
    from openbss.provisioning.service import ensure_network_elements, network_elements

    table = Table("province", "network", "adapter", "mode", "delay ms", "fail next")
    table.columns.insert(0, Column("code", no_wrap=True))
    with database_work() as session:
        if province is not None:
            ensure_network_elements(session, province)
        for element in network_elements(session, province):
            settings = element.settings
            table.add_row(
                element.code,
                element.province,
                element.network,
                element.adapter,
                str(settings.get("mode", "")),
                str(settings.get("delay_ms", "")),
                str(settings.get("fail_next", "")),
            )
    out.print(table)


@ne_app.command("set")
@clean_errors
def ne_set(
    code: Annotated[str, typer.Argument(help="Element code, e.g. GD-SWITCH-01")],
    mode: Annotated[str | None, typer.Option(help="accept | fail | reject | timeout")] = None,
    delay_ms: Annotated[int | None, typer.Option(help="Latency before every answer")] = None,
    fail_next: Annotated[
        int | None, typer.Option(help="Fail the next N calls transiently, then recover")
    ] = None,
) -> None:
    """Change how a simulated element behaves (takes effect on its next call)."""
    from openbss.provisioning.service import configure_element

    with database_work() as session:
        element = configure_element(
            session, code, mode=mode, delay_ms=delay_ms, fail_next=fail_next
        )
        settings = dict(element.settings)
    err.print(f"{code}: {settings}")


@oss_app.command("run")
@clean_errors
def run(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    limit: Annotated[int, typer.Option(help="Attempts per pass at most")] = 50,
    interval: Annotated[float, typer.Option(help="Seconds between polls when idle")] = 1.0,
) -> None:
    """Execute due service orders against their network elements."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.provisioning.executor import run_due

    factory = make_session_factory(make_engine())
    if once:
        err.print(f"{run_due(factory, limit=limit)} attempts made")
        return
    err.print("executing service orders; Ctrl-C stops")
    try:
        while True:
            try:
                made = run_due(factory, limit=limit)
            except Exception as exc:  # keep the worker alive; the orders stay due for next time
                log.exception("executing service orders failed")
                err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
                made = 0
            if made:
                err.print(f"{made} attempts made")
            else:
                time.sleep(interval)
    except KeyboardInterrupt:
        err.print("stopped")
