"""``openbss numbers``: number pools and number housekeeping for operators.

Each command is an entry point and owns its transaction. Commands act as an administrator of
the province given with ``--province`` (the default deployment province when omitted).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from openbss.cli.common import (
    clean_errors,
    database_work,
    err,
    out,
    province_option,
    warn,
    zone_for,
)
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.money import format_fen
from openbss.kit.security import Principal, Role
from openbss.numbering.kinds import NumberKind, NumberStatus

numbers_app = typer.Typer(
    help="Number resources (号码资源): pools, selection, housekeeping", no_args_is_help=True
)
pool_app = typer.Typer(help="Number pools", no_args_is_help=True)
numbers_app.add_typer(pool_app, name="pool")

ProvinceOption = Annotated[
    str | None, province_option("Province code", default_note="default: the deployment's")
]


def _operator(province: str | None) -> Principal:
    from openbss.kit.settings import get_settings

    return Principal(
        key_id="cli", role=Role.ADMIN, province=province or get_settings().default_province
    )


def _when(value: object) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


@pool_app.command("create")
@clean_errors
def pool_create(
    kind: Annotated[NumberKind, typer.Option(help="fixed, phs or mobile")],
    name: Annotated[str, typer.Option(help="Pool name, unique in the province")],
    first: Annotated[str, typer.Option(help="First subscriber number, e.g. 83000000")],
    last: Annotated[str, typer.Option(help="Last subscriber number, same length")],
    area_code: Annotated[str | None, typer.Option(help="Area code (fixed, PHS)")] = None,
    prefix: Annotated[str | None, typer.Option(help="Mobile prefix, e.g. 189")] = None,
    quarantine_days: Annotated[int, typer.Option(help="Days a ceased number rests")] = 90,
    province: ProvinceOption = None,
) -> None:
    """Create a pool and all its numbers (golden numbers classified and priced)."""
    from openbss.numbering import service

    with err.status("creating numbers…"), database_work() as session:
        pool = service.create_pool(
            session,
            _operator(province),
            kind=kind,
            name=name,
            area_code=area_code,
            prefix=prefix,
            first=first,
            last=last,
            quarantine_days=quarantine_days,
        )
        summary = f"pool {pool.name} ({pool.province}): {pool.size:,} numbers"
    err.print(summary)


POOL_COLUMNS = (
    Col("province"),
    Col("name", kind="id"),
    Col("kind"),
    Col("network"),
    Col("first", kind="id"),
    Col("last", kind="id"),
    Col("size", kind="number"),
    *(Col(status.value, kind="number") for status in NumberStatus),
    Col("quarantine_days", "quarantine days", "number"),
)


@pool_app.command("list")
@clean_errors
def pool_list(
    province: Annotated[
        str | None, province_option("Province code", default_note="omit to list every province")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Pools and how many of their numbers are free, reserved, in use and in quarantine."""
    from openbss.numbering import service

    caller = Principal(key_id="cli", role=Role.ADMIN, province=province)
    with database_work() as session:
        rows = [
            {
                "province": info.pool.province,
                "name": info.pool.name,
                "kind": info.pool.kind,
                "network": info.pool.area_code or info.pool.prefix,
                "first": info.pool.first,
                "last": info.pool.last,
                "size": info.pool.size,
                **{status.value: info.count(status) for status in NumberStatus},
                "quarantine_days": info.pool.quarantine_days,
            }
            for info in service.list_pools(session, caller)
        ]
    render(rows, POOL_COLUMNS, output, zone_for(province))


SEARCH_COLUMNS = (
    Col("number", kind="id"),
    Col("display"),
    Col("golden_level", "golden"),
    Col("golden_price_fen", "price", "number", show=format_fen),
)


@numbers_app.command("search")
@clean_errors
def search(
    kind: Annotated[NumberKind, typer.Option(help="fixed, phs or mobile")],
    area_code: Annotated[str | None, typer.Option(help="Area code (fixed, PHS)")] = None,
    prefix: Annotated[str | None, typer.Option(help="Leading digits, e.g. 189")] = None,
    golden: Annotated[
        bool | None, typer.Option("--golden/--ordinary", help="Only golden / only ordinary")
    ] = None,
    pattern: Annotated[str | None, typer.Option(help="Ending digits; ? one digit, * any")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many")] = 20,
    province: ProvinceOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Free numbers to choose from, lowest first."""
    from openbss.numbering import service
    from openbss.numbering.calculations import format_display

    with database_work() as session:
        found = service.search(
            session,
            _operator(province),
            kind=kind,
            area_code=area_code,
            prefix=prefix,
            golden=golden,
            pattern=pattern,
            limit=limit,
        )
    rows = [
        {
            "number": info.number,
            "display": format_display(info.national),
            "golden_level": info.golden_level,
            "golden_price_fen": info.golden_price_fen or None,
        }
        for info in found
    ]
    render(rows, SEARCH_COLUMNS, output, zone_for(province))
    if not found:
        warn("no free number matches")


@numbers_app.command("show")
@clean_errors
def show(number: str, province: ProvinceOption = None) -> None:
    """The state of one number."""
    from openbss.numbering import service
    from openbss.numbering.calculations import format_display

    caller = _operator(province)
    with database_work() as session:
        info = service.find_number(session, caller, number)
    if info is None:
        err.print(f"[red]error:[/red] {number} is not a number of province {caller.province}")
        raise typer.Exit(1)
    table = Table("attribute", "value", show_header=False)
    table.add_row("number", f"{info.number} ({format_display(info.national)})")
    table.add_row("kind", info.kind.value)
    table.add_row("status", info.status.value)
    if info.golden_level is not None:
        table.add_row("golden", f"{info.golden_level} {format_fen(info.golden_price_fen)}")
    table.add_row("holder", info.holder or "")
    table.add_row("held until", _when(info.held_until))
    table.add_row("product", info.product_id or "")
    table.add_row("quarantine until", _when(info.quarantine_until))
    out.print(table)


@numbers_app.command("release")
@clean_errors
def release(
    holder: Annotated[str, typer.Argument(help="e.g. reservation:<id> or order:<id>")],
    province: ProvinceOption = None,
) -> None:
    """Release every number a holder has reserved (e.g. an abandoned sale)."""
    from openbss.numbering import service

    with database_work() as session:
        count = service.release(session, _operator(province), holder=holder)
    err.print(f"{count} number(s) released")


@numbers_app.command("release-expired")
@clean_errors
def release_expired() -> None:
    """Store lapsed holds and ended quarantines as available (every province)."""
    from openbss.numbering import service

    with database_work() as session:
        count = service.release_expired(session)
    err.print(f"{count} number(s) made available")


@numbers_app.command("seed")
@clean_errors
def seed(province: ProvinceOption = None) -> None:
    """Create the demo number pools of a province (idempotent)."""
    from openbss.kit.settings import get_settings
    from openbss.numbering import service

    chosen = province or get_settings().default_province
    with err.status("seeding number pools…"), database_work() as session:
        sizes = service.seed_number_pools(session, chosen)
    table = Table("pool", "numbers", title=f"number pools of {chosen}")
    for name, size in sizes.items():
        table.add_row(name, f"{size:,}")
    err.print(table)
