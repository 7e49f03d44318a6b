"""Rentals of a cycle from a product's dated status and plan history.

Decisions:

- **Daily by calendar days.** A calendar day of the cycle (province time) is charged when,
  at the END of that day, the product is in a *chargeable* state under an offering whose
  price it is. So the activation day is charged and the cease day is not
  (开户当天计费，拆机当天不计). ``active`` and ``pendingTerminate`` (in service while a cease
  is provisioning) are chargeable; ``suspended`` is chargeable only when the price says so
  (:attr:`RecurringPrice.suspended_chargeable`, off by default); nothing else is.
- **Monthly rentals** are ``monthly_fen × charged_days / days_in_cycle``, rounded
  *cumulatively* so that any split of a cycle sums exactly to the whole month: a stretch
  covering the cycle's days (a, b] is charged ``round_half_up(M × b / D) −
  round_half_up(M × a / D)`` (:func:`monthly_share`).
- **Daily rentals** (PHS 0.18 yuan a day = 18 fen) are ``days × daily_fen``.
- **A plan change** mid-cycle charges each plan's rental for its own days: the history
  records the offering with each change, and a day belongs to the offering in force at its
  end.
- **In advance or in arrears** is data on the price (:attr:`RecurringPrice.timing`). These
  functions compute only what a given cycle's rental is for the product's history; which
  bill carries it (this cycle's, or the one before in advance) is the bill run's business.
- **Bundles.** A bundle's monthly fee replaces its members' rentals: the members' recurring
  prices are marked as replaced by the bundle, and :func:`replace_member_rentals` takes the
  members' lines out in favour of the bundle's fee lines.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from openbss.billing.arithmetic import divide_rounded
from openbss.billing.cycles import BillCycle, require_aware
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, ChargeType, SourceRef, Stretch, TaxCategory

ALWAYS_CHARGEABLE = frozenset({"active", "pendingTerminate"})
SUSPENDED = "suspended"


class RentalPeriod(StrEnum):
    MONTH = "month"
    DAY = "day"


class ChargeTiming(StrEnum):
    IN_ADVANCE = "inAdvance"  # billed on the bill before the cycle it pays for
    IN_ARREARS = "inArrears"  # billed on the cycle's own bill


@dataclass(frozen=True, slots=True)
class StatusChange:
    """From ``effective_at`` (aware UTC) on, the product had ``status`` under
    ``product_offering_id`` (the inventory's ProductStatusChange, as plain data)."""

    status: str
    product_offering_id: str
    effective_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurringPrice:
    """A rental of an offering, in fen per month or per day."""

    price_id: str
    product_offering_id: str
    amount_fen: int
    period: RentalPeriod
    tax_category: TaxCategory
    description_key: str = "rental"
    suspended_chargeable: bool = False
    timing: ChargeTiming = ChargeTiming.IN_ARREARS

    def __post_init__(self) -> None:
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise BillingInputError(f"price {self.price_id}: amount {self.amount_fen!r} is not fen")
        if self.amount_fen < 0:
            raise BillingInputError(f"price {self.price_id}: a rental of {self.amount_fen} fen")

    def charges(self, status: str) -> bool:
        """Whether a day ending in ``status`` is charged under this price."""
        return status in ALWAYS_CHARGEABLE or (status == SUSPENDED and self.suspended_chargeable)


def monthly_share(monthly_fen: int, after_day: int, through_day: int, cycle_days: int) -> int:
    """The rental of the cycle's days (``after_day``, ``through_day``], rounded cumulatively.

    ``round_half_up(M × b / D) − round_half_up(M × a / D)``: adjacent stretches share their
    boundary term, so the stretches of any split of the cycle add up to ``M`` exactly.
    """
    if not 0 <= after_day <= through_day <= cycle_days or cycle_days <= 0:
        raise BillingInputError(
            f"days ({after_day}, {through_day}] are not a stretch of a {cycle_days}-day cycle"
        )
    if monthly_fen < 0:
        raise BillingInputError(f"a monthly rental of {monthly_fen} fen")
    return divide_rounded(monthly_fen * through_day, cycle_days) - divide_rounded(
        monthly_fen * after_day, cycle_days
    )


def daily_rental(daily_fen: int, days: int) -> int:
    """A daily rental over ``days`` charged days: no rounding at all."""
    if daily_fen < 0 or days < 0:
        raise BillingInputError(f"{days} days at {daily_fen} fen a day")
    return daily_fen * days


def day_states(history: Sequence[StatusChange], cycle: BillCycle) -> list[StatusChange | None]:
    """For each day of ``cycle``, the history record in force at the end of that day.

    A record effective exactly at a local midnight is in force from the day that midnight
    starts. Records with the same instant keep their order: the later one wins. ``None``
    marks a day before the product's first record.
    """
    instants = [require_aware(change.effective_at, "effective_at") for change in history]
    order = sorted(range(len(history)), key=lambda i: instants[i])
    ordered_instants = [instants[i] for i in order]
    states: list[StatusChange | None] = []
    for offset in range(cycle.days):
        day_end = cycle.day_start_utc(cycle.first_day + timedelta(days=offset + 1))
        in_force = bisect_left(ordered_instants, day_end)  # records strictly before the end
        states.append(history[order[in_force - 1]] if in_force else None)
    return states


def rental_lines(
    product_id: str,
    history: Sequence[StatusChange],
    prices: Iterable[RecurringPrice],
    cycle: BillCycle,
) -> list[ChargeLine]:
    """The rental lines of one product for ``cycle``.

    ``history`` is the product's dated status and plan history (any order; records before
    the cycle say what held at its start); ``prices`` are the recurring prices of the
    offerings it had. Each price yields a line per stretch of consecutive charged days, with
    the stretch it covers; a stretch with nothing to pay (a free price) yields no line.
    """
    states = day_states(history, cycle)
    lines: list[ChargeLine] = []
    for price in prices:
        charged = [
            state is not None
            and state.product_offering_id == price.product_offering_id
            and price.charges(state.status)
            for state in states
        ]
        for after_day, through_day in _stretches(charged):
            amount = _rental(price, after_day, through_day, cycle.days)
            if amount == 0:
                continue
            lines.append(
                ChargeLine(
                    charge_type=ChargeType.RECURRING,
                    tax_category=price.tax_category,
                    amount_fen=amount,
                    source=SourceRef("price", price.price_id),
                    description_key=price.description_key,
                    product_id=product_id,
                    stretch=Stretch(
                        cycle.first_day + timedelta(days=after_day),
                        cycle.first_day + timedelta(days=through_day - 1),
                    ),
                )
            )
    return lines


def replace_member_rentals(
    member_lines: Iterable[ChargeLine],
    bundle_fee_lines: Iterable[ChargeLine],
    replaced_price_ids: frozenset[str],
) -> list[ChargeLine]:
    """The lines of a bundle: its fee instead of the members' replaced rentals.

    ``replaced_price_ids`` are the members' recurring prices the bundle replaces; their
    recurring lines are dropped. Every other member line (usage, one-time fees, rentals the
    bundle does not cover) stays, and the bundle's fee lines (its own rental, prorated over
    the bundle product's history by :func:`rental_lines`) are added after them.
    """
    kept = [
        line
        for line in member_lines
        if not (
            line.charge_type is ChargeType.RECURRING
            and line.source.kind == "price"
            and line.source.id in replaced_price_ids
        )
    ]
    return [*kept, *bundle_fee_lines]


def _rental(price: RecurringPrice, after_day: int, through_day: int, cycle_days: int) -> int:
    if price.period is RentalPeriod.DAY:
        return daily_rental(price.amount_fen, through_day - after_day)
    return monthly_share(price.amount_fen, after_day, through_day, cycle_days)


def _stretches(charged: Sequence[bool]) -> list[tuple[int, int]]:
    """Runs of charged days as (a, b]: days a+1 … b, counted from 1."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for offset, is_charged in enumerate(charged):
        if is_charged and start is None:
            start = offset
        elif not is_charged and start is not None:
            runs.append((start, offset))
            start = None
    if start is not None:
        runs.append((start, len(charged)))
    return runs
