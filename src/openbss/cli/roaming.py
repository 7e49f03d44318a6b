"""``openbss roaming``: TAP 3.12 files out and in, RAP 1.5 returns and acknowledgements,
roaming reference data and what each partner owes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, err, out, province_option
from openbss.kit.errors import BadRequest

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.orm import Session, sessionmaker

roaming_app = typer.Typer(
    help="Roaming settlement: TAP out and in, RAP, acknowledgements", no_args_is_help=True
)
ProvinceOption = Annotated[str, province_option()]
HomeOption = Annotated[
    str | None, typer.Option("--home", help="Our TADIG code (default: the agreements' only one)")
]
PartnerOption = Annotated[str | None, typer.Option(help="One partner's TADIG code only")]


def _factory() -> sessionmaker[Session]:
    # Imported here: `openbss --help` must not load SQLAlchemy or the settings.
    from openbss.db.engine import make_engine, make_session_factory

    return make_session_factory(make_engine())


def _data_dir() -> Path:
    from openbss.kit.settings import get_settings

    return get_settings().data_dir


def _zone(province: str) -> ZoneInfo:
    from openbss.refdata.provinces import province_zone

    return province_zone(province)


def _sdr(micro: int) -> str:
    return f"{micro / 1_000_000:.6f}"


def _yuan(fen: int) -> str:
    from openbss.kit.money import format_fen

    return format_fen(fen)


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None


def _file(path: Path) -> Path:
    if not path.is_file():
        raise BadRequest(f"no file {str(path)!r}")
    return path


@roaming_app.command("tap-out")
@clean_errors
def tap_out_command(
    province: ProvinceOption = DEFAULT_PROVINCE,
    home: HomeOption = None,
    partner: PartnerOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Read usage of traffic days from this day on (default: every day)"),
    ] = None,
    notify: Annotated[
        bool, typer.Option(help="Send a TAP notification to each partner with nothing to send")
    ] = False,
) -> None:
    """Write a TAP 3.12 file per partner with visitors' usage not yet sent (CD<sender>
    <recipient><seq>, numbers without gaps); a rerun with nothing new writes nothing."""
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now
    from openbss.settlement.roaming.public import home_network, run_tap_out

    zone = _zone(province)
    days = None
    if since is not None:
        first, today = _date(since, "--since"), now().astimezone(zone).date()
        if first > today:
            raise BadRequest(f"--since {first} is after today ({today})")
        days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    with unit_of_work(_factory(), writes=True) as session:
        ours = home_network(session, home)
        written = run_tap_out(
            session, _data_dir(), province, ours, zone=zone, partner=partner, days=days,
            notify=notify,
        )  # fmt: skip
    if not written:
        err.print("no visitor usage to send: no file written")
        return
    table = Table("file", "records", "SDR", "CNY (yuan)", "path", title="TAP files written")
    for item in written:
        table.add_row(
            item.file_name, str(item.records), _sdr(item.sdr_amount), _yuan(item.cny_amount),
            str(item.path),
        )  # fmt: skip
    out.print(table)


@roaming_app.command("tap-in")
@clean_errors
def tap_in_command(
    tap_file: Annotated[Path, typer.Argument(help="A partner's TAP 3.12 file")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    home: HomeOption = None,
) -> None:
    """Take a partner's TAP file: accepted records go through mediation to the subscribers'
    usage (and their bills); refused ones wait for the next RAP file."""
    from openbss.settlement.roaming.public import home_network, receive_tap

    factory = _factory()
    with factory() as session:
        ours = home_network(session, home)
    result = receive_tap(
        factory, _data_dir(), province, ours, _file(tap_file), zone=_zone(province)
    )
    title = f"TAP {result.partner} {result.sequence:05d}"
    if result.already:
        title += " (already received: nothing changed)"
    if result.refused_whole:
        title += " refused whole (audit control does not match): a fatal return"
    table = Table("", "", title=title)
    table.add_row("records", str(result.records))
    table.add_row("accepted", str(result.accepted))
    table.add_row("refused (for RAP)", str(result.returned))
    table.add_row("owed (SDR)", _sdr(result.sdr_amount))
    table.add_row("owed (yuan)", _yuan(result.cny_amount))
    out.print(table)


@roaming_app.command("rap")
@clean_errors
def rap_command(
    province: ProvinceOption = DEFAULT_PROVINCE,
    home: HomeOption = None,
    partner: PartnerOption = None,
) -> None:
    """Write a RAP 1.5 file per partner with the refused records not yet returned (each
    record goes into exactly one RAP file)."""
    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import home_network, write_raps

    with unit_of_work(_factory(), writes=True) as session:
        ours = home_network(session, home)
        written = write_raps(
            session, _data_dir(), province, ours, zone=_zone(province), partner=partner
        )
    if not written:
        err.print("no refused records to return: no file written")
        return
    table = Table("file", "records", "SDR", "path", title="RAP files written")
    for item in written:
        table.add_row(item.file_name, str(item.records), _sdr(item.sdr_amount), str(item.path))
    out.print(table)


@roaming_app.command("ack")
@clean_errors
def ack_command(
    rap_file: Annotated[Path, typer.Argument(help="A partner's RAP file or acknowledgement")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    home: HomeOption = None,
) -> None:
    """Take a partner's RAP file (returns of our TAP records) and write its
    acknowledgement, or take a partner's acknowledgement of our RAP file."""
    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import home_network, receive_rap

    with unit_of_work(_factory(), writes=True) as session:
        ours = home_network(session, home)
        got = receive_rap(
            session, _data_dir(), province, ours, _file(rap_file), zone=_zone(province)
        )
    title = f"{got.kind.upper()} {got.partner} {got.sequence:05d}"
    if got.already:
        title += " (already received: nothing changed)"
    table = Table("", "", title=title)
    table.add_row("records returned", str(got.records))
    table.add_row("returned (SDR)", _sdr(got.sdr_amount))
    table.add_row("acknowledgement", got.answer or "-")
    out.print(table)


@roaming_app.command("totals")
@clean_errors
def totals_command(
    since: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    until: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    province: ProvinceOption = DEFAULT_PROVINCE,
) -> None:
    """What each roaming partner owes us and we owe it, by the files of these days."""
    from openbss.settlement.roaming.public import partner_totals

    zone = _zone(province)
    first, last = _date(since, "--from"), _date(until, "--to")
    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    with _factory()() as session:
        rows = partner_totals(session, province, start, end)
    table = Table(
        "partner", "TAP out", "receivable SDR", "returned to us SDR", "TAP in", "payable SDR",
        "net SDR", "net yuan", title=f"roaming {first} .. {last} (net > 0: partner owes us)",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.partner, str(row.tap_out_records), _sdr(row.receivable_sdr),
            _sdr(row.returned_to_us_sdr), str(row.tap_in_accepted), _sdr(row.payable_sdr),
            _sdr(row.net_sdr), _yuan(row.net_fen),
        )  # fmt: skip
    out.print(table)


@roaming_app.command("agreement")
@clean_errors
def agreement_command(
    home: Annotated[str, typer.Option("--home", help="Our TADIG code")],
    partner: Annotated[str, typer.Option(help="The partner's TADIG code")],
    name: Annotated[str, typer.Option(help="The partner network's name")],
    imsi_prefix: Annotated[
        list[str], typer.Option("--imsi-prefix", help="The partner's IMSI prefix (MCC+MNC)")
    ],
    home_imsi_prefix: Annotated[
        list[str] | None, typer.Option("--home-imsi-prefix", help="Our IMSI prefix")
    ] = None,
    valid_from: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "2005-01-01",
    partner_id: Annotated[
        str | None, typer.Option(help="The settlement partner (TMF669 party role) id")
    ] = None,
) -> None:
    """Record a roaming agreement and the IMSI prefixes of both networks."""
    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import add_agreement, add_imsi_prefixes

    start = _date(valid_from, "--valid-from")
    with unit_of_work(_factory(), writes=True) as session:
        add_agreement(
            session, home, partner, name, imsi_prefix, valid_from=start, partner_id=partner_id
        )
        add_imsi_prefixes(session, home, home_imsi_prefix or [])
    out.print(f"agreement {home} - {partner} recorded")


@roaming_app.command("tariff")
@clean_errors
def tariff_command(
    service: Annotated[str, typer.Option(help="voice | sms | data")],
    direction: Annotated[str, typer.Option(help="mo | mt")],
    increment: Annotated[int, typer.Option(help="Seconds, 1 message, or octets a unit")],
    rate_li: Annotated[int, typer.Option(help="li (0.001 CNY) a started unit")],
    valid_from: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    partner: Annotated[str, typer.Option(help="Partner TADIG, or * for every one")] = "*",
) -> None:
    """Add an inter-operator tariff row (what we charge partners for their visitors)."""
    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import add_tariff

    with unit_of_work(_factory(), writes=True) as session:
        add_tariff(
            session, partner, service, direction, increment=increment, rate_li=rate_li,
            valid_from=_date(valid_from, "--valid-from"),
        )  # fmt: skip
    out.print("tariff recorded")


@roaming_app.command("rate")
@clean_errors
def rate_command(
    day: Annotated[str, typer.Option(help="From this day, YYYY-MM-DD")],
    cny_per_sdr: Annotated[str, typer.Option(help="CNY per SDR, e.g. 11.9500")],
) -> None:
    """Set the SDR exchange rate from a day on (rates are data, one row a day it changes)."""
    from decimal import Decimal, InvalidOperation

    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import set_exchange_rate

    try:
        micros = Decimal(cny_per_sdr) * 1_000_000
    except InvalidOperation:
        raise BadRequest(f"--cny-per-sdr {cny_per_sdr!r} is not a number") from None
    if micros != micros.to_integral_value():
        raise BadRequest("--cny-per-sdr has at most six decimal places")
    with unit_of_work(_factory(), writes=True) as session:
        set_exchange_rate(session, _date(day, "--day"), int(micros))
    out.print(f"1 SDR = {cny_per_sdr} CNY from {day}")


@roaming_app.command("files")
@clean_errors
def files_command(
    province: ProvinceOption = DEFAULT_PROVINCE,
    kind: Annotated[str | None, typer.Option(help="tap | rap | ack")] = None,
    partner: PartnerOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """The TAP, RAP and acknowledgement files written and received, oldest first."""
    from openbss.settlement.roaming.public import files

    if kind is not None and kind not in ("tap", "rap", "ack"):
        raise BadRequest(f"--kind {kind!r}: tap, rap or ack")
    with _factory()() as session:
        rows = files(session, province, kind=kind, partner=partner, limit=limit)
    table = Table(
        "file", "direction", "kind", "seq", "records", "refused", "SDR", "yuan", "status",
        "created", title="roaming files",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.file_name, row.direction, row.kind, f"{row.sequence:05d}", str(row.records),
            str(row.returned), _sdr(row.sdr_amount), _yuan(row.cny_amount), row.status,
            row.created_at.isoformat(timespec="seconds"),
        )  # fmt: skip
    out.print(table)
