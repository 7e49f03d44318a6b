"""The collections policy (dated data in ``policy.toml``) and its maths. Pure functions.

Late fees (违约金) are charged per day on the overdue principal — open bills past their due date
plus the grace days, never on late fees themselves — at the rate in force on that day. The
treatment of an account (reminders, 停机, 拆机) follows from the age of its oldest overdue bill;
credit control (信用度) from its exposure against its credit limit.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

POLICY_FILE = "policy.toml"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Barring(StrEnum):
    """How far a line is barred for credit: none, outgoing calls (单停), everything (双停)."""

    NONE = "none"
    OUTGOING = "outgoing"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class LateFeeRule:
    per_mille_per_day: int
    grace_days: int
    cap_percent_of_overdue: int  # 0: no cap


@dataclass(frozen=True, slots=True)
class Reminder:
    days_past_due: int
    channels: tuple[Channel, ...]
    zh: str
    en: str

    def text(self, account: str, amount_fen: int) -> tuple[str, str]:
        amount = f"{Decimal(amount_fen) / 100:.2f}"
        return self.zh.format(account=account, amount=amount), self.en.format(
            account=account, amount=amount
        )


@dataclass(frozen=True, slots=True)
class Treatment:
    suspend_after_days: int
    cease_after_suspended_days: int
    exempt_customer_categories: frozenset[str]
    exempt_characteristic: str
    max_promise_days: int


@dataclass(frozen=True, slots=True)
class CreditRule:
    outgoing_bar_percent: int
    full_bar_percent: int


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    province: str
    effective_from: date
    late_fee: LateFeeRule
    treatment: Treatment
    credit: CreditRule
    reminders: tuple[Reminder, ...]

    def as_json(self) -> dict[str, Any]:
        """The version as the API shows it."""
        return {
            "province": self.province,
            "effectiveFrom": self.effective_from.isoformat(),
            "lateFee": {
                "perMillePerDay": self.late_fee.per_mille_per_day,
                "graceDays": self.late_fee.grace_days,
                "capPercentOfOverdue": self.late_fee.cap_percent_of_overdue,
            },
            "treatment": {
                "suspendAfterDays": self.treatment.suspend_after_days,
                "ceaseAfterSuspendedDays": self.treatment.cease_after_suspended_days,
                "exemptCustomerCategories": sorted(self.treatment.exempt_customer_categories),
                "exemptCharacteristic": self.treatment.exempt_characteristic,
                "maxPromiseDays": self.treatment.max_promise_days,
            },
            "credit": {
                "outgoingBarPercent": self.credit.outgoing_bar_percent,
                "fullBarPercent": self.credit.full_bar_percent,
            },
            "reminders": [
                {
                    "daysPastDue": r.days_past_due,
                    "channels": [str(c) for c in r.channels],
                    "text": {"zh-CN": r.zh, "en": r.en},
                }
                for r in self.reminders
            ],
        }


class PolicyError(ValueError):
    """The policy file is malformed (a deployment error, found when it is loaded)."""


def parse_policy(doc: Mapping[str, Any]) -> tuple[PolicyVersion, ...]:
    versions = []
    for raw in doc.get("version") or []:
        try:
            late = raw["late_fee"]
            treat = raw["treatment"]
            credit = raw["credit"]
            version = PolicyVersion(
                province=str(raw.get("province", "*")),
                effective_from=raw["effective_from"],
                late_fee=LateFeeRule(
                    int(late["per_mille_per_day"]),
                    int(late.get("grace_days", 0)),
                    int(late.get("cap_percent_of_overdue", 0)),
                ),
                treatment=Treatment(
                    int(treat["suspend_after_days"]),
                    int(treat["cease_after_suspended_days"]),
                    frozenset(treat.get("exempt_customer_categories", [])),
                    str(treat.get("exempt_characteristic", "")),
                    int(treat.get("max_promise_days", 0)),
                ),
                credit=CreditRule(
                    int(credit["outgoing_bar_percent"]), int(credit["full_bar_percent"])
                ),
                reminders=tuple(
                    sorted(
                        (
                            Reminder(
                                int(r["days_past_due"]),
                                tuple(Channel(c) for c in r["channels"]),
                                str(r["zh"]),
                                str(r["en"]),
                            )
                            for r in raw.get("reminder") or []
                        ),
                        key=lambda r: r.days_past_due,
                    )
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"collections policy version is malformed: {exc!r}") from exc
        if not isinstance(version.effective_from, date):
            raise PolicyError("effective_from must be a date")
        if version.credit.full_bar_percent < version.credit.outgoing_bar_percent:
            raise PolicyError("full_bar_percent must not be below outgoing_bar_percent")
        if version.late_fee.per_mille_per_day < 0 or version.late_fee.grace_days < 0:
            raise PolicyError("late fee rate and grace days must not be negative")
        versions.append(version)
    if not versions:
        raise PolicyError("the collections policy has no version")
    return tuple(versions)


@lru_cache(maxsize=1)
def load_policy() -> tuple[PolicyVersion, ...]:
    text = resources.files(__package__).joinpath(POLICY_FILE).read_text(encoding="utf-8")
    return parse_policy(tomllib.loads(text))


def version_on(
    province: str, day: date, versions: Sequence[PolicyVersion] | None = None
) -> PolicyVersion:
    """The version in force in ``province`` on ``day`` (the province's own before "*")."""
    versions = load_policy() if versions is None else versions
    for scope in (province, "*"):
        dated = [v for v in versions if v.province == scope and v.effective_from <= day]
        if dated:
            return max(dated, key=lambda v: v.effective_from)
    raise PolicyError(f"no collections policy in force in {province} on {day}")


# ----- late fees -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverdueBill:
    """An open bill and the settlements it received (business day, fen; negative undoes)."""

    due_date: date
    amount_fen: int
    settlements: tuple[tuple[date, int], ...] = ()

    def open_at_start_of(self, day: date) -> int:
        """What was still unpaid when ``day`` began (settlements of earlier days only)."""
        return self.amount_fen - sum(fen for on, fen in self.settlements if on < day)


def fee_for_day(overdue_fen: int, open_fees_fen: int, rule: LateFeeRule) -> int:
    """One day's late fee in fen: ‰ of the overdue principal, rounded half up, capped so that
    outstanding fees stay within the cap share of the principal."""
    if overdue_fen <= 0 or rule.per_mille_per_day <= 0:
        return 0
    fee = int(
        (Decimal(overdue_fen) * rule.per_mille_per_day / 1000).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    if rule.cap_percent_of_overdue:
        room = overdue_fen * rule.cap_percent_of_overdue // 100 - open_fees_fen
        fee = min(fee, max(room, 0))
    return fee


def overdue_on(bills: Iterable[OverdueBill], day: date, grace_days: int) -> int:
    """The principal overdue on ``day``: bills whose due date plus grace is before it."""
    return sum(
        max(bill.open_at_start_of(day), 0)
        for bill in bills
        if bill.due_date + timedelta(days=grace_days) < day
    )


def late_fees(
    bills: Sequence[OverdueBill],
    first_day: date,
    last_day: date,
    open_fees_fen: int,
    rule_on: Any,
) -> list[tuple[date, int, int]]:
    """(day, fee fen, overdue fen) for each day from ``first_day`` to ``last_day`` that costs a
    fee; ``rule_on(day)`` gives the late-fee rule in force. A missed day is caught up the
    same as if the job had run on it: each day's principal is what was open when it began."""
    fees: list[tuple[date, int, int]] = []
    day = first_day
    while day <= last_day:
        rule = rule_on(day)
        overdue = overdue_on(bills, day, rule.grace_days)
        fee = fee_for_day(overdue, open_fees_fen, rule)
        if fee > 0:
            fees.append((day, fee, overdue))
            open_fees_fen += fee
        day += timedelta(days=1)
    return fees


# ----- treatment and credit --------------------------------------------------------------------


def reminders_due(reminders: Sequence[Reminder], days_past_due: int) -> list[Reminder]:
    """The reminders whose day has come (the job sends each once per overdue episode)."""
    return [r for r in reminders if r.days_past_due <= days_past_due]


def suspension_due(days_past_due: int | None, treatment: Treatment) -> bool:
    return days_past_due is not None and days_past_due >= treatment.suspend_after_days


def cease_due(suspended_on: date | None, today: date, treatment: Treatment) -> bool:
    return (
        suspended_on is not None
        and (today - suspended_on).days >= treatment.cease_after_suspended_days
    )


def barring_for(exposure_fen: int, limit_fen: int | None, rule: CreditRule) -> Barring:
    """单停 above the outgoing threshold of the limit, 双停 above the full one (strictly)."""
    if limit_fen is None or limit_fen <= 0:
        return Barring.NONE
    if exposure_fen * 100 > limit_fen * rule.full_bar_percent:
        return Barring.FULL
    if exposure_fen * 100 > limit_fen * rule.outgoing_bar_percent:
        return Barring.OUTGOING
    return Barring.NONE
