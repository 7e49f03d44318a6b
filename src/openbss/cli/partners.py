"""``openbss partners``: settlement partners (carriers, SPs/CPs, roaming partners, agents,
retail halls) — list them, seed the demo ones."""

from __future__ import annotations

from typing import Annotated

import typer

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, err, province_option, zone_for
from openbss.cli.output import Col, FormatOption, OutputFormat, render

partners_app = typer.Typer(help="Settlement partners (TMF669 party roles)", no_args_is_help=True)

COLUMNS = [
    Col("kind"),
    Col("code"),
    Col("name"),
    Col("owner"),
    Col("service_codes", "service codes"),
    Col("access_numbers", "access numbers"),
    Col("settlement_account_id", "settlement account", "id"),
    Col("id", "party role", "id"),
]


@partners_app.command("list")
@clean_errors
def list_command(
    province: Annotated[str, province_option("Province (its partners and the group's)")] = (
        DEFAULT_PROVINCE
    ),
    kind: Annotated[str | None, typer.Option(help="carrier, sp, cp, roaming, agent, retail…")] = (
        None
    ),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The partners a province settles with."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.settlement.partners.public import partners

    with make_session_factory(make_engine())() as session:
        rows = [
            {
                "kind": p.kind.value,
                "code": p.code,
                "name": p.name,
                "owner": p.province or "group",
                "service_codes": " ".join(p.service_codes),
                "access_numbers": " ".join(p.access_numbers),
                "settlement_account_id": p.settlement_account_id,
                "id": p.id,
            }
            for p in partners(session, kind, province)
        ]
    render(rows, COLUMNS, output, zone_for(province))


@partners_app.command("seed")
@clean_errors
def seed_command(
    province: Annotated[str, province_option("Province of the demo")] = DEFAULT_PROVINCE,
) -> None:
    """Create the demo partners (carriers, SPs, roaming partners, an agent, a retail hall) and
    the channel commission contracts (idempotent)."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work
    from openbss.settlement.partners.seed import seed_partners

    with unit_of_work(make_session_factory(make_engine()), writes=True) as session:
        report = seed_partners(session, province)
    err.print(
        f"partners of {province}: {len(report.created)} created, "
        f"{len(report.existing)} already there"
    )
