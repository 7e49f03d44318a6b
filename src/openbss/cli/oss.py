"""``openbss oss``: the network side of fulfilment — network elements and service orders.

``ne list`` and ``ne set`` inspect and steer the simulated network elements (a demo or a test
can make the switch fail, reject or stall while the server runs); ``run`` executes due
service orders, once or as a worker that polls until interrupted.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, Protocol

import typer

from openbss.cli.common import clean_errors, database_work, err, province_option, zone_for
from openbss.cli.output import Col, FormatOption, OutputFormat, render, render_record

log = logging.getLogger(__name__)

oss_app = typer.Typer(help="Network elements and service orders (OSS)", no_args_is_help=True)
ne_app = typer.Typer(help="Network elements", no_args_is_help=True)
oss_app.add_typer(ne_app, name="ne")


ELEMENT_COLUMNS = (
    Col("code", kind="id"),
    Col("province"),
    Col("network"),
    Col("adapter"),
    Col("mode"),
    Col("delay_ms", "delay ms", "number"),
    Col("fail_next", "fail next", "number"),
)


class _Element(Protocol):
    code: str
    province: str
    network: str
    adapter: str
    settings: dict[str, Any]


def _element_row(element: _Element) -> dict[str, object]:
    settings = element.settings or {}
    return {
        "code": element.code,
        "province": element.province,
        "network": element.network,
        "adapter": element.adapter,
        "mode": settings.get("mode"),
        "delay_ms": settings.get("delay_ms"),
        "fail_next": settings.get("fail_next"),
    }


@ne_app.command("list")
@clean_errors
def ne_list(
    province: Annotated[
        str | None,
        province_option(
            "Only this province; its simulated elements are created if missing",
            default_note="all",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """List network elements with their adapter and settings."""
    from openbss.provisioning.service import ensure_network_elements, network_elements

    with database_work() as session:
        if province is not None:
            ensure_network_elements(session, province)
        rows = [_element_row(element) for element in network_elements(session, province)]
    render(rows, ELEMENT_COLUMNS, output, zone_for(province))


@ne_app.command("set")
@clean_errors
def ne_set(
    code: Annotated[str, typer.Argument(help="Element code, e.g. GD-SWITCH-01")],
    mode: Annotated[str | None, typer.Option(help="accept | fail | reject | timeout")] = None,
    delay_ms: Annotated[int | None, typer.Option(help="Latency before every answer")] = None,
    fail_next: Annotated[
        int | None, typer.Option(help="Fail the next N calls transiently, then recover")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Change how a simulated element behaves (takes effect on its next call)."""
    from openbss.provisioning.service import configure_element

    with database_work() as session:
        element = configure_element(
            session, code, mode=mode, delay_ms=delay_ms, fail_next=fail_next
        )
        row = _element_row(element)
    render_record(row, output, zone_for(None), title=f"network element {code}")


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
