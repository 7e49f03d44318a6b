"""``openbss billing``: run, review, finalise or discard a period's bills; hot billing;
manual adjustments with maker-checker; the exception report; invoices (PDF)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from openbss.cli.common import (
    DEFAULT_PROVINCE,
    clean_errors,
    err,
    out,
    province_option,
    require_extra,
    zone_for,
)
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.errors import NotFound
from openbss.kit.money import format_fen

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from openbss.billing.runs import ChunkBiller

billing_app = typer.Typer(
    help="Billing: bill runs (出帐), bills, adjustments", no_args_is_help=True
)


class Engine(StrEnum):
    """Where a bill run's bills are made."""

    LOCAL = "local"
    SPARK = "spark"


def _yuan(fen: int) -> str:
    return format_fen(fen)


@billing_app.command("run")
@clean_errors
def run_command(
    period: Annotated[str, typer.Option(help="Bill cycle, YYYY-MM (local time)")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    trial: Annotated[bool, typer.Option("--trial", help="Stop at a reviewable trial")] = False,
    chunk_size: Annotated[int, typer.Option(min=1, help="Accounts per transaction")] = 500,
    pause: Annotated[
        float, typer.Option(min=0.0, help="Seconds to wait between chunks (spares the database)")
    ] = 0.0,
    engine: Annotated[
        Engine,
        typer.Option(help="Where bills are made: this process, or a local Spark session"),
    ] = Engine.LOCAL,
) -> None:
    """Bill a period: resumes a run a dead process left, finalises a reviewed trial, and
    changes nothing for a period already billed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from openbss.billing import repository as repo
    from openbss.billing.runs import run_bills
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    if engine == Engine.SPARK:
        require_extra("pyspark", "spark", "billing with --engine spark")
    factory = make_session_factory(make_engine())
    spark = None
    if engine == Engine.SPARK:
        from openbss.rating.spark import local_session

        spark = local_session("openbss-billing")
    columns = (TextColumn("billing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("accounts", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = run_bills(
                factory,
                get_settings().data_dir,
                province,
                period,
                trial=trial,
                chunk_size=chunk_size,
                progress=advance,
                pause_seconds=pause,
                biller=None if spark is None else _spark_biller(spark),
            )
    finally:
        if spark is not None:
            spark.stop()
    with factory() as session:
        by_type = repo.amounts_by_charge_type(session, run.id)
    table = Table("", "", title=f"bill run {province} {period}")
    table.add_row("run", run.id)
    table.add_row("status", run.status)
    table.add_row("accounts due", str(run.accounts_due))
    table.add_row("billed", str(run.bills))
    table.add_row("exceptions", str(run.exceptions))
    table.add_row("total (yuan)", _yuan(run.amount_fen))
    for charge_type, amount in sorted(by_type.items()):
        table.add_row(f"  {charge_type}", _yuan(amount))
    out.print(table)


def _spark_biller(spark: SparkSession) -> ChunkBiller:
    from openbss.billing.spark import spark_biller

    return spark_biller(spark)


@billing_app.command("finalise")
@clean_errors
def finalise_command(run_id: str) -> None:
    """Make a trial run's bills final."""
    from openbss.billing.runs import finalise_run
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        run = finalise_run(session, run_id)
        status, bills = run.status, run.bills
    out.print(f"bill run {run_id} {status}: {bills} bills")


@billing_app.command("discard")
@clean_errors
def discard_command(run_id: str) -> None:
    """Throw a trial run's bills away."""
    from openbss.billing.runs import discard_run
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        discard_run(session, run_id)
    out.print(f"bill run {run_id} discarded")


@billing_app.command("summary")
@clean_errors
def summary_command(run_id: Annotated[str, typer.Argument(help="Bill run id")]) -> None:
    """A bill run at a glance: accounts billed, exceptions, revenue by service and charge
    type, the five largest bills, where three of their PDF invoices are."""
    from openbss.billing.summary import run_summary
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    with make_session_factory(make_engine())() as session:
        summary = run_summary(session, get_settings().data_dir, run_id)
    title = f"bill run {summary.province} {summary.period} ({summary.status})"
    head = Table("", "", title=title)
    head.add_row("run", summary.run_id)
    head.add_row("accounts due", str(summary.accounts_due))
    head.add_row("accounts billed", str(summary.bills))
    head.add_row("exceptions", str(summary.exceptions))
    for reason, count in sorted(summary.exceptions_by_reason.items()):
        head.add_row(f"  {reason}", str(count))
    head.add_row("total (yuan)", _yuan(summary.amount_fen))
    out.print(head)
    revenue = Table("service", "charge type", "yuan", title="revenue")
    for (service, charge_type), fen in sorted(summary.by_service.items()):
        revenue.add_row(service, charge_type, _yuan(fen))
    revenue.add_section()
    for charge_type, fen in sorted(summary.by_charge_type.items()):
        revenue.add_row("all", charge_type, _yuan(fen))
    out.print(revenue)
    largest = Table("bill", "account", "lines", "yuan", title="largest bills")
    for bill in summary.largest:
        largest.add_row(
            bill.bill_no, bill.billing_account_id, str(bill.items), _yuan(bill.amount_fen)
        )
    out.print(largest)
    for path in summary.invoices:
        note = "" if path.is_file() else "  (not rendered yet: openbss billing invoices RUN)"
        out.print(f"invoice {path}{note}", soft_wrap=True)


@billing_app.command("show")
@clean_errors
def show_command(bill: Annotated[str, typer.Argument(help="Bill id or bill number")]) -> None:
    """A bill and its lines."""
    from openbss.billing import repository as repo
    from openbss.db.engine import make_engine, make_session_factory

    with make_session_factory(make_engine())() as session:
        found = repo.bill_by_id_or_number(session, bill)
        if found is None:
            raise NotFound(f"bill {bill!r} not found")
        items = repo.bill_items(session, found.id)
        table = Table(
            "#", "account", "product", "type", "what", "days", "yuan", "tax",
            title=(
                f"bill {found.bill_no} ({found.state}) — account {found.billing_account_id}, "
                f"{found.period}, issued {found.bill_date}, due {found.payment_due_date}"
            ),
        )  # fmt: skip
        for item in items:
            days = f"{item.first_day}…{item.last_day}" if item.first_day else ""
            table.add_row(
                str(item.sequence),
                item.billing_account_id,
                item.product_id or "",
                item.charge_type,
                item.description_key,
                days,
                _yuan(item.amount_fen),
                _yuan(item.tax_fen),
            )
        table.add_row("", "", "", "", "total", "", _yuan(found.amount_fen), _yuan(found.tax_fen))
    out.print(table)


@billing_app.command("hot")
@clean_errors
def hot_command(account: str) -> None:
    """The open cycle's charges of an account so far (nothing is written)."""
    from openbss.billing.hot import hot_bill
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    with make_session_factory(make_engine())() as session:
        summary = hot_bill(session, get_settings().data_dir, account, datetime.now(UTC))
    table = Table("type", "what", "product", "yuan", title=f"{account}: {summary.period} so far")
    for taxed in summary.lines:
        line = taxed.line
        table.add_row(
            str(line.charge_type), line.description_key, line.product_id or "",
            _yuan(line.amount_fen),
        )  # fmt: skip
    table.add_row("", "total", "", _yuan(summary.total_fen))
    out.print(table)


EXCEPTION_COLUMNS = (
    Col("run_id", "run", "id"),
    Col("period"),
    Col("billing_account_id", "account", "id"),
    Col("reason"),
    Col("message"),
)


@billing_app.command("exceptions")
@clean_errors
def exceptions_command(
    run: Annotated[str | None, typer.Option("--run", help="Only this run's")] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Accounts bill runs could not bill, and why."""
    from openbss.billing import repository as repo
    from openbss.db.engine import make_engine, make_session_factory

    with make_session_factory(make_engine())() as session:
        rows = [
            {
                "run_id": bill_run.id,
                "period": bill_run.period,
                "billing_account_id": exception.billing_account_id,
                "reason": exception.reason,
                "message": exception.message,
            }
            for exception, bill_run in repo.exceptions(session, run)
        ]
    render(rows, EXCEPTION_COLUMNS, output, zone_for(None))


@billing_app.command("adjust")
@clean_errors
def adjust_command(
    account: str,
    amount_fen: Annotated[int, typer.Option(help="Debit (> 0) or credit (< 0), in fen")],
    reason: Annotated[str, typer.Option(help="Why")],
    by: Annotated[str, typer.Option(help="Who asks")],
) -> None:
    """Put a debit or credit on the account's next bill (above 100 yuan: needs approval)."""
    from openbss.billing.adjustments import request_adjustment
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        adjustment = request_adjustment(session, account, amount_fen, reason, by)
        adjustment_id, status = adjustment.id, adjustment.status
    out.print(f"adjustment {adjustment_id}: {status}")


@billing_app.command("approve")
@clean_errors
def approve_command(
    adjustment: str, by: Annotated[str, typer.Option(help="Who approves (not who asked)")]
) -> None:
    """Approve a pending adjustment (maker-checker)."""
    from openbss.billing.adjustments import approve_adjustment
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        approved = approve_adjustment(session, adjustment, by)
        status = approved.status
    out.print(f"adjustment {adjustment}: {status}")


@billing_app.command("pdf")
@clean_errors
def pdf_command(
    bill: Annotated[str, typer.Argument(help="Bill id or bill number")],
    destination: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the PDF (default: the run's invoice folder)"),
    ] = None,
) -> None:
    """Render a bill's invoice (PDF) and print where it is."""
    from openbss.billing.invoices import render_bill_invoice
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    with make_session_factory(make_engine())() as session:
        written = render_bill_invoice(session, get_settings().data_dir, bill, destination)
    out.print(str(written), soft_wrap=True)


@billing_app.command("invoices")
@clean_errors
def invoices_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A finalised bill run")],
    workers: Annotated[int, typer.Option(min=1, help="Rendering processes")] = 2,
) -> None:
    """Render the invoice (PDF) of every bill of a finalised run."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from openbss.billing.invoices import render_run_invoices
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    factory = make_session_factory(make_engine())
    columns = (TextColumn("invoices"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("bills", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        paths = render_run_invoices(
            factory, get_settings().data_dir, run_id, workers=workers, progress=advance
        )
    folder = paths[0].parent if paths else "-"
    out.print(f"{len(paths)} invoices of bill run {run_id} in {folder}", soft_wrap=True)
