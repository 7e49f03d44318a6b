"""``openbss commissions``: a province's monthly channel commission run and its statements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, err, province_option, zone_for
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.money import fen_to_yuan

if TYPE_CHECKING:
    from openbss.settlement.commissions.runs import RunReport

commissions_app = typer.Typer(
    help="Channel commissions (渠道酬金): monthly runs and statements", no_args_is_help=True
)

PARTNER_COLUMNS = [
    Col("partner_code", "partner"),
    Col("partner_name", "name"),
    Col("activation_fen", "activation", "number", lambda v: str(fen_to_yuan(v))),
    Col("recharge_fen", "recharge", "number", lambda v: str(fen_to_yuan(v))),
    Col("revenue_share_fen", "revenue share", "number", lambda v: str(fen_to_yuan(v))),
    Col("clawback_fen", "clawback", "number", lambda v: str(fen_to_yuan(v))),
    Col("total_fen", "total (yuan)", "number", lambda v: str(fen_to_yuan(v))),
    Col("statement"),
]


def _show(report: RunReport, output: OutputFormat) -> None:
    rows = [
        {
            "partner_code": p.code,
            "partner_name": p.name,
            "activation_fen": p.activation_fen,
            "recharge_fen": p.recharge_fen,
            "revenue_share_fen": p.revenue_share_fen,
            "clawback_fen": p.clawback_fen,
            "total_fen": p.total_fen,
            "statement": str(report.statements / f"{p.code}.csv"),
        }
        for p in report.partners
    ]
    title = (
        f"commissions {report.province} {report.period}: {report.line_count} lines, "
        f"{fen_to_yuan(report.total_fen)} yuan"
        + (" (done before: unchanged)" if report.reused else "")
    )
    render(rows, PARTNER_COLUMNS, output, zone_for(report.province), title=title)
    if output is OutputFormat.TABLE:
        err.print(f"statements in {report.statements} (sha256 {report.digest})")


@commissions_app.command("run")
@clean_errors
def run_command(
    period: Annotated[str, typer.Option(help="Month, YYYY-MM (local time)")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Compute a month's commissions and write the statements; a month already done is shown
    unchanged, and a run a killed process left is redone."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.settlement.commissions.runs import run_commissions

    factory = make_session_factory(make_engine())
    _show(run_commissions(factory, province, period, get_settings().data_dir), output)


@commissions_app.command("statements")
@clean_errors
def statements_command(
    period: Annotated[str, typer.Option(help="Month, YYYY-MM (local time)")],
    province: Annotated[str, province_option()] = DEFAULT_PROVINCE,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The statements of a month's commission run, per partner."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.settlement.commissions.runs import report

    factory = make_session_factory(make_engine())
    _show(report(factory, province, period, get_settings().data_dir), output)
