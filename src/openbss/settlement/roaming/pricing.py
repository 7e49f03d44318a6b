"""Inter-operator tariffs and SDR exchange rates, looked up by day (pure; rows come from the
repository)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openbss.settlement.roaming.calculations import charged_units, li_to_sdr_micro
from openbss.settlement.roaming.errors import MissingRate

ANY_PARTNER = "*"


@dataclass(frozen=True)
class Tariff:
    partner: str
    service: str
    direction: str
    increment: int
    rate_li: int
    valid_from: date
    valid_to: date | None  # exclusive

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class Priced:
    units: int
    li: int
    sdr_micro: int
    rate_micros: int
    rate_day: date


class RateBook:
    """CNY per SDR (x10^6) in force on a day: the latest row on or before it."""

    def __init__(self, rates: Sequence[tuple[date, int]]) -> None:
        self.days = [day for day, _ in rates]
        self.rates = [rate for _, rate in rates]

    def on(self, day: date) -> tuple[date, int]:
        index = bisect_right(self.days, day) - 1
        if index < 0:
            raise MissingRate(f"no SDR exchange rate on or before {day.isoformat()}")
        return self.days[index], self.rates[index]


class TariffBook:
    def __init__(self, tariffs: Sequence[Tariff]) -> None:
        self.tariffs = list(tariffs)

    def find(self, partner: str, service: str, direction: str, day: date) -> Tariff:
        """The partner's own tariff for the service and direction that day, else the one
        for every partner."""
        for wanted in (partner, ANY_PARTNER):
            for tariff in self.tariffs:
                if (
                    tariff.partner == wanted
                    and tariff.service == service
                    and tariff.direction == direction
                    and tariff.covers(day)
                ):
                    return tariff
        raise MissingRate(
            f"no roaming tariff for {partner} {service} {direction} on {day.isoformat()}"
        )


def quantity(service: str, duration_s: int, volume_up: int, volume_down: int) -> int:
    """What a tariff's increment counts: seconds, messages (1) or octets both ways."""
    if service == "sms":
        return 1
    if service == "data":
        return volume_up + volume_down
    return duration_s


def price(
    tariffs: TariffBook,
    rates: RateBook,
    partner: str,
    service: str,
    direction: str,
    day: date,
    amount: int,
) -> Priced:
    tariff = tariffs.find(partner, service, direction, day)
    units = charged_units(amount, tariff.increment)
    li = units * tariff.rate_li
    rate_day, rate = rates.on(day)
    return Priced(units, li, li_to_sdr_micro(li, rate), rate, rate_day)
