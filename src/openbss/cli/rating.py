"""``openbss rating``: rate and rerate periods, explain records, manage tariff versions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from openbss.cli.common import (
    DEFAULT_PROVINCE,
    checked_id,
    clean_errors,
    database_work,
    err,
    out,
    province_option,
)
from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.money import li_to_yuan
from openbss.kit.security import SYSTEM, Principal
from openbss.kit.settings import get_settings

rating_app = typer.Typer(
    help="Rating: price mediated usage under the tariffs", no_args_is_help=True
)
tariff_app = typer.Typer(help="Tariff versions", no_args_is_help=True)
rating_app.add_typer(tariff_app, name="tariff")

ProvinceOption = Annotated[str, province_option()]
PeriodOption = Annotated[str, typer.Option(help="Billing cycle, YYYY-MM (local time)")]
SHOWN_ACCOUNTS = 20


def _actor(province: str | None) -> Principal:
    return Principal(key_id=SYSTEM.key_id, role=SYSTEM.role, province=province)


def _yuan(li: int) -> str:
    return f"{li_to_yuan(li):,.3f}"


@rating_app.command("run")
@clean_errors
def run_command(
    period: Annotated[
        str | None,
        typer.Option(help="Billing cycle, YYYY-MM (default: the cycle of yesterday's usage)"),
    ] = None,
    province: ProvinceOption = DEFAULT_PROVINCE,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 2,
    partitions: Annotated[int, typer.Option(min=1, help="Partitions (at least)")] = 4,
    reason: Annotated[str, typer.Option(help="Why (kept on adjustments)")] = "rating run",
    engine: Annotated[
        str, typer.Option(help="local (worker processes) or spark (the same kernel on Spark)")
    ] = "local",
) -> None:
    """Rate a period from the usage store; run again after a tariff correction to rerate it.

    Differences from the period's previous rating are shown per account; when the period is
    already billed they become adjustments.
    """
    from openbss.rating.runs import rate_period

    settings = get_settings()
    if period is None:
        yesterday = datetime.now(ZoneInfo(settings.timezone)) - timedelta(days=1)
        period = yesterday.strftime("%Y-%m")
    if engine not in ("local", "spark"):
        raise BadRequest(f"engine must be local or spark, not {engine!r}")
    factory = make_session_factory(make_engine())
    outcome = rate_period(
        factory,
        settings.data_dir,
        province,
        period,
        workers=workers,
        partitions=partitions,
        reason=reason,
        engine="spark" if engine == "spark" else "local",
    )
    table = Table("", "", title=f"rating {province} {period}, run {outcome.run_id}")
    table.add_row("records", f"{outcome.records:,}")
    table.add_row("rated", f"{outcome.rated:,}")
    for code, count in sorted(outcome.errors.items()):
        table.add_row(f"error {code}", f"{count:,}")
    table.add_row("amount (yuan)", _yuan(outcome.amount_li))
    if outcome.previous_run_id is not None:
        table.add_row("records changed", f"{outcome.changed_records:,}")
        table.add_row("difference (yuan)", _yuan(outcome.delta_li))
    if outcome.billed:
        table.add_row("adjustments (billed period)", str(outcome.adjustments))
    table.add_row("seconds", f"{outcome.seconds:.1f}")
    out.print(table)
    if outcome.previous_run_id is not None and outcome.accounts:
        changes = Table("account", "records", "before", "after", "difference", title="accounts")
        for change in sorted(outcome.accounts, key=lambda a: -abs(a.delta_li))[:SHOWN_ACCOUNTS]:
            changes.add_row(
                change.account_id or "(none)",
                str(change.records),
                _yuan(change.before_li),
                _yuan(change.after_li),
                _yuan(change.delta_li),
            )
        out.print(changes)
    if outcome.later_periods:
        err.print(
            "[yellow]later periods were rated with this period's allowance counters; rerate "
            f"them too: {', '.join(outcome.later_periods)}[/yellow]"
        )


@rating_app.command("explain")
@clean_errors
def explain_command(
    record_id: Annotated[str, typer.Argument(help="A usage record id")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """How one record was rated: tariff version, prefix, zone, band, rule, units, amount."""
    from openbss.rating.inquiry import explain

    factory = make_session_factory(make_engine())
    with factory() as session:
        explanation = explain(
            session, _actor(province), get_settings().data_dir, province, record_id
        )
    if as_json:
        out.print_json(json.dumps(explanation, default=str, ensure_ascii=False))
        return
    table = Table("", "", title=f"record {record_id}")
    for key, value in explanation["usage"].items():
        table.add_row(key, str(value))
    table.add_section()
    for key, value in explanation["rating"].items():
        table.add_row(key, str(value))
    table.add_section()
    for key in ("tariff", "destination", "rule", "changedByThisRun"):
        if key in explanation:
            table.add_row(key, json.dumps(explanation[key], ensure_ascii=False, default=str))
    table.add_row("amount (yuan)", explanation["amountYuan"])
    table.add_row("period, run", f"{explanation['period']}, {explanation['runId']}")
    out.print(table)


@rating_app.command("close")
@clean_errors
def close_command(period: PeriodOption, province: ProvinceOption = DEFAULT_PROVINCE) -> None:
    """Mark a period billed: later rerating produces adjustments instead of changes."""
    from openbss.rating.runs import close_period

    with database_work() as session:
        run_id = close_period(session, province, period)
    err.print(f"{province} {period} billed from run {run_id}")


@rating_app.command("adjustments")
@clean_errors
def adjustments_command(
    province: ProvinceOption = DEFAULT_PROVINCE,
    period: Annotated[str | None, typer.Option(help="Only this period")] = None,
) -> None:
    """Differences found by rerating billed periods, per account."""
    from openbss.rating import public as repository

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = repository.adjustments(session, province, period)
        table = Table("period", "account", "amount (yuan)", "run", "reason", "status")
        for row in rows:
            table.add_row(
                row.period, row.account_id, _yuan(row.amount_li), row.run_id, row.reason, row.status
            )
    out.print(table)


@rating_app.command("counters")
@clean_errors
def counters_command(period: PeriodOption, province: ProvinceOption = DEFAULT_PROVINCE) -> None:
    """Allowance balances at the end of a cycle, as its current rating left them."""
    from openbss.rating import public as repository

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = repository.counters(session, province, period)
        table = Table("allowance", "owner", "fresh left", "carried left", title=period)
        for row in sorted(rows, key=lambda r: (r.allowance_id, r.owner)):
            table.add_row(row.allowance_id, row.owner, str(row.fresh), str(row.carried))
    out.print(table)


@tariff_app.command("list")
@clean_errors
def tariff_list(province: ProvinceOption = DEFAULT_PROVINCE) -> None:
    """Tariff versions a province is rated under."""
    from openbss.rating.tariffs import visible_versions

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = visible_versions(session, _actor(province))
        table = Table("tariff", "version", "name", "from", "to", "destinations", "reason")
        for row in rows:
            table.add_row(
                row.tariff_id,
                str(row.version),
                row.name,
                row.effective_from.isoformat(),
                row.effective_to.isoformat() if row.effective_to else "",
                row.destination_set_id,
                row.reason or "",
            )
    out.print(table)


@tariff_app.command("export")
@clean_errors
def tariff_export(
    tariff_id: Annotated[
        str,
        typer.Argument(help="Tariff id, e.g. CT2005-FIXED", callback=checked_id("a tariff id")),
    ],
    version: Annotated[int | None, typer.Option(help="Version (default: the latest)")] = None,
    province: ProvinceOption = DEFAULT_PROVINCE,
) -> None:
    """Print a tariff version as a JSON document (edit it and load it as the next version)."""
    from openbss.rating.tariffs import version_document, visible_versions

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = visible_versions(session, _actor(province), tariff_id)
        chosen = [r for r in rows if version is None or r.version == version]
        if not chosen:
            raise NotFound(f"tariff {tariff_id} version {version or 'any'} not found")
        document = version_document(chosen[-1])
    print(json.dumps(document, ensure_ascii=False, indent=2))


@tariff_app.command("load")
@clean_errors
def tariff_load(
    document: Annotated[Path, typer.Argument(help="A tariff version as JSON", exists=True)],
    province: ProvinceOption = DEFAULT_PROVINCE,
) -> None:
    """Store a new tariff version (it must be the next version of its tariff)."""
    from openbss.rating.tariffs import add_version

    try:
        body = json.loads(document.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"{document}: not a JSON document ({exc})") from None
    if not isinstance(body, dict):
        raise BadRequest(f"{document}: a tariff document is a JSON object")
    with database_work() as session:
        row = add_version(session, _actor(None if "province" not in body else province), body)
        stored = f"{row.tariff_id} version {row.version}"
    err.print(f"stored {stored}; run `openbss rating run --period …` to rerate")
