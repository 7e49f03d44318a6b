"""``openbss collection``: bank collection (托收) files out and in; ``openbss gl``: the general
ledger export for the finance system."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, err, out, province_option
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest
from openbss.kit.money import format_fen

collection_app = typer.Typer(
    help="Bank collection (托收): debit files and results", no_args_is_help=True
)
gl_app = typer.Typer(help="General ledger export for the finance system", no_args_is_help=True)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from openbss.kit.settings import Settings

ProvinceOption = Annotated[str, province_option()]


def _session_factory() -> sessionmaker[Session]:
    # Imported here: `openbss --help` must not load SQLAlchemy or the settings.
    from openbss.db.engine import make_engine, make_session_factory

    return make_session_factory(make_engine())


def _settings() -> Settings:
    from openbss.kit.settings import get_settings

    return get_settings()


def _collection_dir(part: str) -> Path:
    return _settings().data_dir / "collection" / part


def _day(text: str | None) -> date:
    from openbss.payments.public import business_day

    if text is None:
        return business_day(now())
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"--date/--day {text!r} is not a date (YYYY-MM-DD)") from None


def resolve_bank_file(name: Path) -> Path:
    """A result file as the operator named it, else under the data directory's
    ``collection/in``; it must be a regular file."""
    inbox = _collection_dir("in")
    for candidate in (name, inbox / name) if not name.is_absolute() else (name,):
        if candidate.is_file():
            return candidate.resolve()
    raise BadRequest(f"no result file {str(name)!r} (looked here and in {inbox})")


@collection_app.command("export")
@clean_errors
def export_command(
    bank: Annotated[str, typer.Option(help="Bank code, e.g. ICBC or CCB")],
    day: Annotated[
        str | None, typer.Option("--date", help="Collection day (default today)")
    ] = None,
    province: ProvinceOption = DEFAULT_PROVINCE,
    out_dir: Annotated[
        Path | None, typer.Option(help="Where the debit file goes (default data dir)")
    ] = None,
) -> None:
    """Write the bank's debit file for accounts paying by direct debit that owe money."""
    from openbss.payments.public import export_batch

    when = _day(day)
    from openbss.db.uow import unit_of_work

    with unit_of_work(_session_factory()) as session:
        batch = export_batch(
            session,
            province=province,
            bank=bank,
            day=when,
            out_dir=out_dir or _collection_dir("out"),
            created_by="cli",
        )
    if batch is None:
        err.print(f"nothing to ask of {bank.upper()} on {when}: no new amount owed")
        return
    table = Table("", "", title=f"collection batch {batch.batch_id}")
    table.add_row("bank", batch.bank)
    table.add_row("lines", str(batch.lines))
    table.add_row("total (yuan)", format_fen(batch.total_fen))
    table.add_row("file", str(batch.path))
    out.print(table)


@collection_app.command("import")
@clean_errors
def import_command(
    bank_file: Annotated[Path, typer.Argument(help="The bank's result file")],
    bank: Annotated[
        str | None, typer.Option(help="Bank code (default: recognised from the header)")
    ] = None,
    province: ProvinceOption = DEFAULT_PROVINCE,
    chunk_lines: Annotated[int, typer.Option(min=1, help="Lines per transaction")] = 50_000,
) -> None:
    """Apply a bank's result file: payments for paid and partial lines, refusals recorded,
    malformed lines rejected; counts and totals reconciled (a JSON report is written)."""
    from openbss.payments.public import import_result

    path = resolve_bank_file(bank_file)
    columns = (TextColumn("applying"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("lines", total=None)
        report = import_result(
            _session_factory(),
            path,
            province=province,
            bank=bank,
            report_dir=_collection_dir("reports"),
            created_by="cli",
            chunk_lines=chunk_lines,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    title = f"result of batch {report.batch_id}"
    if report.already_imported:
        title += " (already imported: nothing changed)"
    table = Table("", "", title=title)
    for outcome, lines in report.counts.items():
        table.add_row(outcome, str(lines))
    table.add_row("paid (yuan)", format_fen(report.paid_fen))
    table.add_row("refused (yuan)", format_fen(report.refused_fen))
    table.add_row(
        "batch lines / total", f"{report.batch_lines} / {format_fen(report.batch_total_fen)}"
    )
    table.add_row("unanswered lines", str(report.unanswered_lines))
    table.add_row("report", str(report.report_path))
    out.print(table)
    for entry in report.rejected[:20]:
        err.print(f"line {entry['line']}: {entry['reason']}")
    for difference in report.differences:
        err.print(f"[yellow]difference:[/yellow] {difference}")


@gl_app.command("export")
@clean_errors
def gl_export_command(
    day: Annotated[str, typer.Option("--day", help="Business day, YYYY-MM-DD")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="CSV file (default stdout)")
    ] = None,
) -> None:
    """The day's journal as balanced double-entry lines (CSV), totals by account, and the
    trial balance; a day that does not balance is an error."""
    from openbss.payments.public import TrialBalanceError, export_day, gl_names

    when = _day(day)
    factory = _session_factory()
    with factory() as session:
        try:
            if out_file is None:
                summary = export_day(session, province, when, sys.stdout)
            else:
                temporary = out_file.with_name(f".{out_file.name}.tmp")
                with temporary.open("w", encoding="utf-8", newline="") as handle:
                    summary = export_day(session, province, when, handle)
                temporary.replace(out_file)
        except TrialBalanceError as exc:
            err.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(2) from None
    table = Table("GL", "name", "dimension", "debit (yuan)", "credit (yuan)", title=f"GL {when}")
    for total in summary.totals:
        table.add_row(
            total.gl_account,
            gl_names(total.gl_account)[1],
            total.dimension,
            format_fen(total.debit_fen),
            format_fen(total.credit_fen),
        )
    table.add_row(
        "", "trial balance", "", format_fen(summary.debit_fen), format_fen(summary.credit_fen)
    )
    err.print(table)
    err.print(f"{summary.entries} entries, {summary.lines} lines; debits = credits")
