"""``openbss balance`` and ``openbss vouchers``: prepaid balances and top-up vouchers (充值卡)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, err, out
from openbss.kit.errors import BadRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

balance_app = typer.Typer(help="Prepaid balances: show, top up, the daily expiry job",
                          no_args_is_help=True)  # fmt: skip
vouchers_app = typer.Typer(help="Top-up vouchers (充值卡): generate, sell, freeze, redeem",
                           no_args_is_help=True)  # fmt: skip


def _factory() -> sessionmaker[Session]:
    from openbss.db.engine import make_engine, make_session_factory

    return make_session_factory(make_engine())


def _li(yuan: str, what: str) -> int:
    """Yuan as typed (``50``, ``0.5``) → li; a whole number of fen."""
    try:
        amount = Decimal(yuan)
    except InvalidOperation:
        raise BadRequest(f"{what} must be an amount in yuan, got {yuan!r}") from None
    li = amount * 1000
    if not amount.is_finite() or li != li.to_integral_value() or li % 10:
        raise BadRequest(f"{what} must be a whole number of fen, got {yuan!r}")
    return int(li)


def _instant(value: str | None, what: str) -> datetime:
    from openbss.kit.clock import now
    from openbss.kit.tmf import parse_datetime

    return now() if value is None else parse_datetime(value, what)


def _end_of_day(value: str) -> datetime:
    """``2027-12-31`` → the end of that day in Beijing (the card's last valid moment)."""
    from datetime import date, time, timedelta
    from zoneinfo import ZoneInfo

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"--valid-until must be a date like 2027-12-31, got {value!r}") from None
    local = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo("Asia/Shanghai"))
    return local.astimezone(UTC)


# ----- balance --------------------------------------------------------------------------------


@balance_app.command("show")
@clean_errors
def show(number: Annotated[str, typer.Argument(help="Service number of the prepaid line")]) -> None:
    """The line's buckets (its own and its account's) as JSON."""
    from openbss.charging.tmf654 import line_buckets
    from openbss.charging.topups import prepaid_line
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now

    with unit_of_work(_factory()) as session:
        line = prepaid_line(session, number, now())
        shown = line_buckets(session, line.product_id)
    out.print_json(json.dumps({"productId": line.product_id, "status": line.status,
                               "buckets": shown}, ensure_ascii=False))  # fmt: skip


@balance_app.command("top-up")
@clean_errors
def top_up(
    number: Annotated[str, typer.Argument(help="Service number of the prepaid line")],
    amount: Annotated[str, typer.Option(help="Amount in yuan, e.g. 50")],
    reference: Annotated[str, typer.Option(help="Receipt or transaction reference (once)")],
    method: Annotated[
        str, typer.Option(help="cash | bank_collection | online | bank_transfer")
    ] = "cash",
) -> None:
    """Pay money onto a prepaid line (once per reference); resumes a line barred for balance."""
    from openbss.charging.public import pay_in
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now

    li = _li(amount, "--amount")
    with unit_of_work(_factory(), writes=True) as session:
        done = pay_in(session, number=number, amount_li=li, method=method,
                      reference=reference, at=now())  # fmt: skip
    again = " (already applied)" if done.replayed else ""
    resumed = f"; resume order {done.resume_order_id}" if done.resume_order_id else ""
    err.print(f"topped up {amount} yuan{again}: balance {done.balance_li / 1000:.2f} yuan"
              f"{resumed}")  # fmt: skip


@balance_app.command("expire")
@clean_errors
def expire(
    at: Annotated[
        str | None, typer.Option(help="As of this instant (ISO 8601; default now)")
    ] = None,
    work: Annotated[bool, typer.Option(help="Also send the notices and complete orders")] = True,
) -> None:
    """The daily job: release silent sessions' reservations, expire buckets and vouchers, post
    expired money as revenue, queue expiry notices. Twice at one instant changes nothing."""
    from openbss.charging.public import run_daily
    from openbss.db.uow import unit_of_work
    from openbss.kit.settings import get_settings
    from openbss.payments.public import deliver_notifications

    instant = _instant(at, "--at")
    factory = _factory()
    with unit_of_work(factory, writes=True) as session:
        report = run_daily(session, instant)
    sent = deliver_notifications(factory, get_settings().data_dir) if work else 0
    err.print(
        f"{report.reservations_released} reservation(s) released, {report.buckets_expired} "
        f"bucket(s) expired ({report.money_expired_li / 1000:.2f} yuan written off), "
        f"{report.vouchers_expired} voucher(s) expired, {report.notices} notice(s) queued, "
        f"{sent} sent, {report.usage_revenue_fen / 100:.2f} yuan of usage posted as revenue"
    )


# ----- vouchers -------------------------------------------------------------------------------


@vouchers_app.command("generate")
@clean_errors
def generate(
    batch: Annotated[str, typer.Option(help="Batch code (letters and digits)")],
    count: Annotated[int, typer.Option(help="How many cards")],
    face_value: Annotated[str, typer.Option("--face-value", help="Face value in yuan")],
    valid_until: Annotated[str, typer.Option("--valid-until", help="Last valid day, YYYY-MM-DD")],
    province: Annotated[
        str, typer.Option(help="Province the cards are sold in")
    ] = DEFAULT_PROVINCE,
) -> None:
    """Generate a batch (state generated). The serials and PINs are written once, for the card
    printer, to <data_dir>/vouchers/<batch>.csv (mode 0600); only keyed hashes are stored."""
    from openbss.charging import voucher_files, vouchers
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now
    from openbss.kit.settings import get_settings

    li = _li(face_value, "--face-value")
    until = _end_of_day(valid_until)
    data_dir = get_settings().data_dir
    pending = None
    try:
        with unit_of_work(_factory(), writes=True) as session:
            cards = vouchers.generate_batch(
                session, batch_id=batch, province=province, count=count, face_value_li=li,
                valid_until=until, at=now(), created_by="cli",
            )  # fmt: skip
            pending = voucher_files.write_pending(data_dir, batch, cards, li, until)
    except BaseException:
        if pending is not None:
            voucher_files.discard(pending)
        raise
    final = voucher_files.publish(pending)
    err.print(f"batch {batch}: {count} card(s) of {face_value} yuan, valid until {valid_until}; "
              f"PINs written once to {final}")  # fmt: skip


def _change(action: str, batch: str | None, serial: list[str] | None, method: str) -> None:
    from openbss.charging import vouchers
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now

    with unit_of_work(_factory(), writes=True) as session:
        changed = vouchers.change_state(
            session, action=action, at=now(), batch_id=batch, serials=serial or (), method=method
        )
    err.print(f"{action}: {changed} card(s)")


BatchOption = Annotated[str | None, typer.Option(help="Batch code")]
SerialOption = Annotated[list[str] | None, typer.Option(help="A card's serial (repeatable)")]


@vouchers_app.command("activate")
@clean_errors
def activate(
    batch: BatchOption = None,
    serial: SerialOption = None,
    method: Annotated[str, typer.Option(help="How the cards were paid for")] = "cash",
) -> None:
    """Sell cards: generated → active; their face value is posted to the ledger."""
    _change("activate", batch, serial, method)


@vouchers_app.command("freeze")
@clean_errors
def freeze(batch: BatchOption = None, serial: SerialOption = None) -> None:
    """Freeze cards (lost, stolen, disputed): they are refused until unfrozen."""
    _change("freeze", batch, serial, "cash")


@vouchers_app.command("unfreeze")
@clean_errors
def unfreeze(batch: BatchOption = None, serial: SerialOption = None) -> None:
    """Unfreeze cards: frozen → active."""
    _change("unfreeze", batch, serial, "cash")


@vouchers_app.command("redeem")
@clean_errors
def redeem(
    number: Annotated[str, typer.Argument(help="Service number of the prepaid line")],
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True, help="The card's PIN")],
) -> None:
    """Top up a prepaid line with a card (as a CSR does for a caller)."""
    from openbss.charging import vouchers
    from openbss.db.uow import unit_of_work
    from openbss.kit.clock import now

    factory = _factory()
    try:
        with unit_of_work(factory, writes=True) as session:
            done = vouchers.redeem(session, number=number, pin=pin, at=now(), source="cli")
    except vouchers.WrongPin:
        with unit_of_work(factory, writes=True) as session:
            vouchers.note_wrong_pin(session, number=number, source="cli", at=now())
        raise
    topped = done.topped_up
    err.print(f"voucher {done.serial}: {topped.amount_li / 1000:.2f} yuan; balance "
              f"{topped.balance_li / 1000:.2f} yuan")  # fmt: skip


@vouchers_app.command("status")
@clean_errors
def status(batch: Annotated[str, typer.Argument(help="Batch code")]) -> None:
    """How many cards of a batch are in each state (JSON)."""
    from openbss.charging import vouchers
    from openbss.db.uow import unit_of_work

    with unit_of_work(_factory()) as session:
        counts = vouchers.batch_states(session, batch)
    out.print_json(json.dumps({"batch": batch, "states": counts}))
