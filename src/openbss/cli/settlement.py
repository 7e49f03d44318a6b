"""``openbss settlement``: settle a period (interconnect, inter-province, SP/CP revenue share),
list its statements, reconcile a partner's statement, record chargebacks, move disputes."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

from openbss.cli.common import (
    DEFAULT_PROVINCE,
    clean_errors,
    database_work,
    err,
    out,
    province_option,
    zone_for,
)
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.money import format_fen

settlement_app = typer.Typer(
    help="Settlement (综合结算): interconnect, inter-province, SP/CP revenue share, "
    "reconciliation and disputes",
    no_args_is_help=True,
)

STATEMENT_COLUMNS = (
    Col("kind"),
    Col("partner", kind="id"),
    Col("partner_name", "name"),
    Col("receivable", kind="number"),
    Col("payable", kind="number"),
    Col("lines", kind="number"),
    Col("csv", kind="id"),
)
DIFFERENCE_COLUMNS = (
    Col("id", kind="id"),
    Col("kind"),
    Col("direction"),
    Col("rule"),
    Col("ours"),
    Col("theirs"),
    Col("delta"),
)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _yuan(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen)


@settlement_app.command("run")
@clean_errors
def run_command(
    period: Annotated[str, typer.Option(help="Settlement month, YYYY-MM (Beijing time)")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    again: Annotated[
        bool, typer.Option("--again", help="Settle a settled period again (supersedes it)")
    ] = False,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Write PDF statements")] = True,
    pause: Annotated[
        float, typer.Option(min=0.0, help="Seconds to wait between statements written")
    ] = 0.0,
) -> None:
    """Settle a period: resumes a run a dead process left; a settled period is left as it is
    unless --again."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.settlement.public import run_settlement

    factory = make_session_factory(make_engine())
    run, notes = run_settlement(
        factory,
        get_settings().data_dir,
        province,
        period,
        again=again,
        pdf=pdf,
        pause_seconds=pause,
        progress=lambda text: err.print(text),
    )
    for note in notes:
        err.print(note)
    out.print(
        f"settlement run {run.id} {province} {period} {run.status}: "
        f"{run.statements} statement(s), {run.records} interconnect record(s), "
        f"{run.unpriced} unpriced",
        soft_wrap=True,
    )
    out.print(f"files {run.output_dir}", soft_wrap=True)


@settlement_app.command("statements")
@clean_errors
def statements_command(
    period: Annotated[str, typer.Option(help="Settlement month, YYYY-MM")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    kind: Annotated[
        str | None, typer.Option(help="interconnect, revenueShare or interprovince")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """The statements of the period's current run."""
    from openbss.kit.errors import NotFound
    from openbss.settlement import public as repo

    with database_work() as session:
        run = repo.current_run(session, province, period)
        if run is None:
            raise NotFound(f"{province} {period} has no settlement run")
        rows: list[dict[str, Any]] = [
            {
                "kind": s.kind,
                "partner": s.partner,
                "partner_name": s.partner_name,
                "receivable": _yuan(s.receivable_fen),
                "payable": _yuan(s.payable_fen),
                "lines": s.lines,
                "csv": str(Path(run.output_dir or "") / s.csv_file),
            }
            for s in repo.statements_of(session, run.id, kind=kind)
        ]
    render(rows, STATEMENT_COLUMNS, fmt, zone_for(province), title=f"statements {period}")


@settlement_app.command("reconcile")
@clean_errors
def reconcile_command(
    file: Annotated[Path, typer.Argument(help="The partner's statement (CSV)")],
    partner: Annotated[str, typer.Option(help="Partner code (carrier, SP, province pair)")],
    period: Annotated[str, typer.Option(help="Settlement month, YYYY-MM")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    layout: Annotated[str, typer.Option(help="Statement layout (reconcile/layouts.toml)")] = (
        "openbss"
    ),
    kind: Annotated[str, typer.Option(help="Statement kind")] = "interconnect",
    tolerance: Annotated[int, typer.Option(min=0, help="Tolerance in fen per line")] = 0,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Match a partner's statement with ours; print the differences."""
    from openbss.kit.errors import BadRequest
    from openbss.settlement import public as repo
    from openbss.settlement.public import MAX_FILE_BYTES, reconcile

    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise BadRequest(f"{file} is larger than {MAX_FILE_BYTES} bytes")
        data = file.read_bytes()
    except OSError as exc:
        raise BadRequest(f"cannot read {file}: {exc.strerror}") from None
    with database_work() as session:
        found = reconcile(
            session, province=province, partner=partner, period=period, data=data,
            file_name=file.name, layout_name=layout, kind=kind, tolerance_fen=tolerance,
            actor=_actor(),
        )  # fmt: skip
        rows = [
            {
                "id": d.id, "kind": d.kind, "direction": d.direction, "rule": d.rule,
                "ours": _yuan(d.ours_fen), "theirs": _yuan(d.theirs_fen),
                "delta": _yuan(d.delta_fen),
            }
            for d in repo.differences_of(session, found.id)
        ]  # fmt: skip
        title = f"reconciliation {found.id}: {found.matched} matched, {found.differences} differ"
    render(rows, DIFFERENCE_COLUMNS, fmt, zone_for(province), title=title)


@settlement_app.command("chargeback")
@clean_errors
def chargeback_command(
    partner: Annotated[str, typer.Option(help="SP / CP code")],
    complaint: Annotated[str, typer.Option(help="Complaint reference")],
    amount_fen: Annotated[int, typer.Option(min=1, help="Amount in fen")],
    reason: Annotated[str, typer.Option(help="Why")],
    kind: Annotated[str, typer.Option(help="refund (shared) or chargeback (SP alone)")] = (
        "chargeback"
    ),
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
) -> None:
    """Record an upheld complaint against an SP: taken off its next statement."""
    from openbss.settlement.public import record_chargeback

    with database_work() as session:
        found = record_chargeback(
            session, province=province, partner=partner, complaint_ref=complaint, kind=kind,
            amount_fen=amount_fen, reason=reason, recorded_by=_actor(),
        )  # fmt: skip
        out.print(f"chargeback {found.id} {found.partner} {_yuan(found.amount_fen)} ({found.kind})")


@settlement_app.command("dispute")
@clean_errors
def dispute_command(
    difference: Annotated[
        str | None, typer.Option(help="Open a dispute on this difference")
    ] = None,
    dispute: Annotated[str | None, typer.Option(help="Move this dispute on")] = None,
    state: Annotated[
        str | None, typer.Option(help="underReview, agreed, settled or rejected")
    ] = None,
    agreed_fen: Annotated[int | None, typer.Option(help="Agreed amount (fen)")] = None,
    reason: Annotated[str, typer.Option(help="Why")] = "",
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
) -> None:
    """Open a dispute on a reconciliation difference, or move one on."""
    from openbss.kit.errors import BadRequest
    from openbss.settlement.public import move_dispute, open_dispute

    with database_work() as session:
        if difference is not None:
            found = open_dispute(
                session, province=province, difference_id=difference, reason=reason,
                actor=_actor(),
            )  # fmt: skip
        elif dispute is not None and state is not None:
            found = move_dispute(
                session, province=province, dispute_id=dispute, state=state, actor=_actor(),
                agreed_fen=agreed_fen,
            )  # fmt: skip
        else:
            raise BadRequest("give --difference, or --dispute with --state")
        out.print(f"dispute {found.id} {found.partner} {found.period} {found.state}")
