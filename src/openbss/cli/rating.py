"""``openbss rating``: rate and rerate periods, explain records, manage tariff versions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
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
    require_extra,
    warn,
    zone_for,
)
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.money import li_to_yuan
from openbss.kit.security import SYSTEM, Principal

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


class Engine(StrEnum):
    """Where a rating run rates."""

    LOCAL = "local"
    SPARK = "spark"


@contextmanager
def _rating_progress() -> Iterator[Callable[[str, int, int, int], None]]:
    """A progress bar on stderr (files split, then partitions rated, with records and their
    rate); Rich draws nothing when stderr is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]:,} records, {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    records = {"split": 0, "rate": 0}
    with Progress(*columns, console=err, transient=True) as bar:
        tasks = {
            stage: bar.add_task(label, total=None, records=0, rate=0.0)
            for stage, label in (("split", "splitting"), ("rate", "rating"))
        }

        def advance(stage: str, done: int, total: int, rows: int) -> None:
            records[stage] += rows
            elapsed = max(time.perf_counter() - started, 1e-6)
            bar.update(
                tasks[stage],
                completed=done,
                total=total,
                records=records[stage],
                rate=records[stage] / elapsed,
            )

        yield advance


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
        Engine, typer.Option(help="local (worker processes) or spark (the same kernel on Spark)")
    ] = Engine.LOCAL,
) -> None:
    """Rate a period from the usage store; run again after a tariff correction to rerate it.

    Differences from the period's previous rating are shown per account; when the period is
    already billed they become adjustments.
    """
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.rating.public import check_period
    from openbss.rating.runs import rate_period

    settings = get_settings()
    if engine is Engine.SPARK:
        require_extra("pyspark", "spark", "rating with --engine spark")
    if period is None:
        yesterday = datetime.now(zone_for(province)) - timedelta(days=1)
        period = yesterday.strftime("%Y-%m")
    check_period(period)
    factory = make_session_factory(make_engine())
    with _rating_progress() as advance:
        outcome = rate_period(
            factory,
            settings.data_dir,
            province,
            period,
            workers=workers,
            partitions=partitions,
            reason=reason,
            engine="spark" if engine is Engine.SPARK else "local",
            progress=advance,
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
    if outcome.records == 0:
        warn(f"no usage of {province} in {period}: nothing was rated")
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (as --format json)")] = False,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """How one record was rated: tariff version, prefix, zone, band, rule, units, amount."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.rating.inquiry import explain

    factory = make_session_factory(make_engine())
    with factory() as session:
        explanation = explain(
            session, _actor(province), get_settings().data_dir, province, record_id
        )
    if as_json or output is not OutputFormat.TABLE:
        # One document: json and jsonl print it whole (csv has no nesting to offer).
        indent = None if output is OutputFormat.JSONL else 2
        print(json.dumps(explanation, default=str, ensure_ascii=False, indent=indent))
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


ADJUSTMENT_COLUMNS = (
    Col("period"),
    Col("account_id", "account", "id"),
    Col("amount_li", "amount (yuan)", "number", show=_yuan),
    Col("run_id", "run", "id"),
    Col("reason"),
    Col("status"),
)


@rating_app.command("adjustments")
@clean_errors
def adjustments_command(
    province: ProvinceOption = DEFAULT_PROVINCE,
    period: Annotated[str | None, typer.Option(help="Only this period")] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Differences found by rerating billed periods, per account."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.rating import public as repository

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = [
            {
                "period": row.period,
                "account_id": row.account_id,
                "amount_li": row.amount_li,
                "run_id": row.run_id,
                "reason": row.reason,
                "status": row.status,
            }
            for row in repository.adjustments(session, province, period)
        ]
    render(rows, ADJUSTMENT_COLUMNS, output, zone_for(province))


COUNTER_COLUMNS = (
    Col("allowance_id", "allowance", "id"),
    Col("owner", kind="id"),
    Col("fresh", "fresh left", "number"),
    Col("carried", "carried left", "number"),
)


@rating_app.command("counters")
@clean_errors
def counters_command(
    period: PeriodOption,
    province: ProvinceOption = DEFAULT_PROVINCE,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Allowance balances at the end of a cycle, as its current rating left them."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.rating import public as repository

    factory = make_session_factory(make_engine())
    with factory() as session:
        found = repository.counters(session, province, period)
        rows = [
            {
                "allowance_id": row.allowance_id,
                "owner": row.owner,
                "fresh": row.fresh,
                "carried": row.carried,
            }
            for row in sorted(found, key=lambda r: (r.allowance_id, r.owner))
        ]
    render(rows, COUNTER_COLUMNS, output, zone_for(province), title=period)


FOUND_COLUMNS = (
    Col("record_id", "record", "id"),
    Col("event_time", "time", "time"),
    Col("calling", kind="id"),
    Col("called", kind="id"),
    Col("service"),
    Col("duration_s", "seconds", "number"),
    Col("band"),
    Col("amount_li", "amount (yuan)", "number", show=_yuan),
    Col("error"),
    Col("period"),
)


def _instant(value: str, zone: ZoneInfo, option: str) -> datetime:
    """A time given on the command line: ISO 8601; without an offset, the province's time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a time; expected e.g. 2026-03-01 or 2026-03-01T08:30",
            param_hint=option,
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


@rating_app.command("find")
@clean_errors
def find_command(
    number: Annotated[str, typer.Option(help="The number that called, was called or paid")],
    start: Annotated[
        str, typer.Option("--from", help="From this time (ISO 8601; local time without offset)")
    ],
    end: Annotated[str, typer.Option("--to", help="Until this time (not included)")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many at most")] = 1000,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Rated records of a number in a time range: the ids `rating explain` takes."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.rating.inquiry import find_records

    zone = zone_for(province)
    since, until = _instant(start, zone, "--from"), _instant(end, zone, "--to")
    factory = make_session_factory(make_engine())
    with factory() as session:
        rows: list[dict[str, Any]] = find_records(
            session, _actor(province), get_settings().data_dir, province, number, since, until,
            zone=zone, limit=limit,
        )  # fmt: skip
    render(rows, FOUND_COLUMNS, output, zone, title=f"rated records of {number}")
    if not rows:
        warn(f"no rated record of {number} in {province} between {start} and {end}")


TARIFF_COLUMNS = (
    Col("tariff_id", "tariff", "id"),
    Col("version", kind="number"),
    Col("name"),
    Col("effective_from", "from", "time"),
    Col("effective_to", "to", "time"),
    Col("destination_set_id", "destinations", "id"),
    Col("reason"),
)


@tariff_app.command("list")
@clean_errors
def tariff_list(
    province: ProvinceOption = DEFAULT_PROVINCE, output: FormatOption = OutputFormat.TABLE
) -> None:
    """Tariff versions a province is rated under."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.rating.tariffs import visible_versions

    factory = make_session_factory(make_engine())
    with factory() as session:
        rows = [
            {
                "tariff_id": row.tariff_id,
                "version": row.version,
                "name": row.name,
                "effective_from": row.effective_from,
                "effective_to": row.effective_to,
                "destination_set_id": row.destination_set_id,
                "reason": row.reason,
            }
            for row in visible_versions(session, _actor(province))
        ]
    render(rows, TARIFF_COLUMNS, output, zone_for(province))


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
    from openbss.db.engine import make_engine, make_session_factory
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
