"""The interconnect data: dated settlement rules (``rules.toml``) and the carrier table
(``carriers.toml``: trunk groups and mobile number blocks), read and checked once.

Both files are data an operator edits; a file given with ``OPENBSS_SETTLEMENT_RULES`` /
``OPENBSS_SETTLEMENT_CARRIERS`` (or passed to :func:`load_rules` / :func:`load_carriers`)
replaces the shipped one. A file that does not parse, or a rule that contradicts another
(two rules for the same class, service and direction in force on the same day), is refused
with the reason.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from openbss.settlement.errors import SettlementInputError

HERE = Path(__file__).parent
RULES_FILE = HERE / "rules.toml"
CARRIERS_FILE = HERE / "carriers.toml"
NETWORKS = ("fixed", "mobile", "td")
SERVICES = ("voice", "sms")
DIRECTIONS = ("in", "out")
OPEN_END = date(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class Rule:
    """One dated interconnect rate: ``from`` network → ``to`` network, one service."""

    name: str
    origin: str
    destination: str
    service: str
    rate_li: int  # per started minute (voice) or per message (sms)
    valid_from: date
    valid_to: date | None = None
    direction: str | None = None  # None: both directions

    @property
    def traffic_class(self) -> str:
        return f"{self.origin}>{self.destination}"

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class TrunkGroup:
    code: str
    carrier: str | None = None
    own: bool = False
    by_number: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    prefix: str  # three digits after +86: "138"
    carrier: str
    network: str
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Carriers:
    own_carrier: str
    trunk_groups: tuple[TrunkGroup, ...]
    blocks: tuple[Block, ...]


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SettlementInputError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _day(entry: dict[str, Any], key: str, where: str) -> date | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, date):
        raise SettlementInputError(f"{where}: '{key}' must be a date (YYYY-MM-DD)")
    return value


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettlementInputError(f"cannot read {path.name}: {exc}") from exc


def rate_li(yuan: str, where: str) -> int:
    """A rate in yuan as text ("0.06") as whole li; a rate finer than a li is refused."""
    try:
        amount = Decimal(yuan) * 1000
    except InvalidOperation as exc:
        raise SettlementInputError(f"{where}: rate {yuan!r} is not a number") from exc
    if amount < 0 or amount != amount.to_integral_value():
        raise SettlementInputError(f"{where}: rate {yuan!r} must be whole li and not negative")
    return int(amount)


def parse_rules(text_source: dict[str, Any]) -> tuple[Rule, ...]:
    entries = text_source.get("rule")
    if not isinstance(entries, list) or not entries:
        raise SettlementInputError("the rules file has no [[rule]] entries")
    rules: list[Rule] = []
    for place, entry in enumerate(entries, start=1):
        where = f"rule {place}"
        if not isinstance(entry, dict):
            raise SettlementInputError(f"{where}: not a table")
        unknown = set(entry) - {
            "name", "from", "to", "service", "yuan", "valid_from", "valid_to", "direction",
        }  # fmt: skip
        if unknown:
            raise SettlementInputError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
        name = _text(entry, "name", where)
        where = f"rule {name!r}"
        origin, destination = _text(entry, "from", where), _text(entry, "to", where)
        service = _text(entry, "service", where)
        direction = entry.get("direction")
        for value, allowed in ((origin, NETWORKS), (destination, NETWORKS), (service, SERVICES)):
            if value not in allowed:
                raise SettlementInputError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
        if direction is not None and direction not in DIRECTIONS:
            raise SettlementInputError(f"{where}: direction must be one of in, out")
        valid_from = _day(entry, "valid_from", where)
        if valid_from is None:
            raise SettlementInputError(f"{where}: 'valid_from' is required")
        valid_to = _day(entry, "valid_to", where)
        if valid_to is not None and valid_to <= valid_from:
            raise SettlementInputError(f"{where}: valid_to must follow valid_from")
        rules.append(
            Rule(
                name=name,
                origin=origin,
                destination=destination,
                service=service,
                rate_li=rate_li(str(entry.get("yuan", "")), where),
                valid_from=valid_from,
                valid_to=valid_to,
                direction=direction,
            )
        )
    _refuse_overlaps(rules)
    return tuple(rules)


def _refuse_overlaps(rules: list[Rule]) -> None:
    for i, a in enumerate(rules):
        for b in rules[i + 1 :]:
            if (a.traffic_class, a.service) != (b.traffic_class, b.service):
                continue
            if a.direction and b.direction and a.direction != b.direction:
                continue
            if a.valid_from < (b.valid_to or OPEN_END) and b.valid_from < (a.valid_to or OPEN_END):
                raise SettlementInputError(
                    f"rules {a.name!r} and {b.name!r} are both in force on some day"
                )


def parse_carriers(data: dict[str, Any]) -> Carriers:
    own = data.get("own_carrier")
    if not isinstance(own, str) or not own:
        raise SettlementInputError("the carriers file needs own_carrier")
    groups: list[TrunkGroup] = []
    for entry in data.get("trunk_group", []):
        code = _text(entry, "code", "trunk_group")
        carrier = entry.get("carrier")
        own_flag, by_number = bool(entry.get("own", False)), bool(entry.get("by_number", False))
        if sum((carrier is not None, own_flag, by_number)) != 1:
            raise SettlementInputError(
                f"trunk group {code}: give exactly one of carrier, own, by_number"
            )
        groups.append(TrunkGroup(code, carrier, own_flag, by_number))
    blocks: list[Block] = []
    for entry in data.get("block", []):
        carrier = _text(entry, "carrier", "block")
        network = _text(entry, "network", f"block of {carrier}")
        if network not in NETWORKS:
            raise SettlementInputError(f"block of {carrier}: unknown network {network!r}")
        for prefix in entry.get("prefixes", []):
            if not (isinstance(prefix, str) and len(prefix) == 3 and prefix.isdigit()):
                raise SettlementInputError(f"block of {carrier}: {prefix!r} is not 3 digits")
            blocks.append(
                Block(
                    prefix,
                    carrier,
                    network,
                    _day(entry, "valid_from", carrier),
                    _day(entry, "valid_to", carrier),
                )
            )
    return Carriers(own, tuple(groups), tuple(blocks))


@lru_cache(maxsize=8)
def _rules_at(path: Path) -> tuple[Rule, ...]:
    return parse_rules(_read(path))


@lru_cache(maxsize=8)
def _carriers_at(path: Path) -> Carriers:
    return parse_carriers(_read(path))


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    chosen = path or Path(os.environ.get("OPENBSS_SETTLEMENT_RULES") or RULES_FILE)
    return _rules_at(chosen.resolve())


def load_carriers(path: Path | None = None) -> Carriers:
    chosen = path or Path(os.environ.get("OPENBSS_SETTLEMENT_CARRIERS") or CARRIERS_FILE)
    return _carriers_at(chosen.resolve())
