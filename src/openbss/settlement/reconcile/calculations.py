"""Matching a partner's statement with ours: pure functions over plain rows.

Lines are keyed by (period, direction, rule) — direction from our side (``in``: the partner
pays us). Amounts of the same key are summed on each side, then:

- on both sides and ``|theirs − ours| > tolerance``: **differs**;
- on our side only: **missing** (from their statement);
- on their side only: **extra** (not on ours).

A key on both sides within the tolerance is matched. Differences come out sorted by kind's
order (differs, missing, extra), direction and rule, so the same files give the same list.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from openbss.settlement.errors import SettlementInputError

LAYOUTS_FILE = Path(__file__).with_name("layouts.toml")
KINDS = ("differs", "missing", "extra")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    delimiter: str
    columns: Mapping[str, str]  # period, direction, rule, amount → the CSV heading
    directions: Mapping[str, str]  # the partner's word → in | out (our side)
    rules: Mapping[str, str]  # the partner's rule name → ours
    amount_unit: str = "yuan"


@dataclass(frozen=True, slots=True)
class Key:
    period: str
    direction: str
    rule: str


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    key: Key
    ours_fen: int | None
    theirs_fen: int | None

    @property
    def delta_fen(self) -> int:
        return (self.theirs_fen or 0) - (self.ours_fen or 0)


@lru_cache(maxsize=4)
def _layouts(path: Path) -> dict[str, Layout]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettlementInputError(f"cannot read {path.name}: {exc}") from exc
    layouts = {}
    for name, entry in data.get("layout", {}).items():
        columns = entry.get("columns", {})
        if set(columns) != {"period", "direction", "rule", "amount"}:
            raise SettlementInputError(
                f"layout {name}: columns must name period, direction, rule, amount"
            )
        directions = entry.get("directions", {})
        if not directions or set(directions.values()) - {"in", "out"}:
            raise SettlementInputError(f"layout {name}: directions must map to in or out")
        layouts[name] = Layout(
            name=name,
            delimiter=str(entry.get("delimiter", ",")),
            columns=dict(columns),
            directions=dict(directions),
            rules=dict(entry.get("rules", {})),
            amount_unit=str(entry.get("amount_unit", "yuan")),
        )
    return layouts


def layout(name: str, path: Path = LAYOUTS_FILE) -> Layout:
    found = _layouts(path.resolve()).get(name)
    if found is None:
        known = ", ".join(sorted(_layouts(path.resolve())))
        raise SettlementInputError(f"unknown statement layout {name!r}; known: {known}")
    return found


def fen_of(text: str, unit: str, where: str) -> int:
    cleaned = text.strip().replace(",", "").removeprefix("¥")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise SettlementInputError(f"{where}: amount {text!r} is not a number") from exc
    fen = value * 100 if unit == "yuan" else value
    if fen != fen.to_integral_value() or not fen.is_finite():
        raise SettlementInputError(f"{where}: amount {text!r} is finer than a fen")
    return int(fen)


def _period(text: str, where: str) -> str:
    digits = text.strip().replace("-", "")
    if len(digits) != 6 or not digits.isdigit() or not 1 <= int(digits[4:]) <= 12:
        raise SettlementInputError(f"{where}: period {text!r} is not YYYY-MM")
    return f"{digits[:4]}-{digits[4:]}"


def parse_statement(data: bytes, chosen: Layout) -> dict[Key, int]:
    """A partner's CSV as amounts per key (our side's directions and rule names)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettlementInputError("the statement is not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=chosen.delimiter)
    missing = [c for c in chosen.columns.values() if c not in (reader.fieldnames or [])]
    if missing:
        raise SettlementInputError(f"the statement lacks column(s) {', '.join(missing)}")
    amounts: dict[Key, int] = {}
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise SettlementInputError(f"the statement has more than {MAX_ROWS} lines")
        where = f"line {number}"
        word = (row.get(chosen.columns["direction"]) or "").strip()
        if word not in chosen.directions:
            raise SettlementInputError(f"{where}: unknown direction {word!r}")
        rule = (row.get(chosen.columns["rule"]) or "").strip()
        if not rule:
            raise SettlementInputError(f"{where}: no rule")
        key = Key(
            _period(row.get(chosen.columns["period"]) or "", where),
            chosen.directions[word],
            chosen.rules.get(rule, rule),
        )
        fen = fen_of(row.get(chosen.columns["amount"]) or "", chosen.amount_unit, where)
        amounts[key] = amounts.get(key, 0) + fen
    return amounts


def match(
    ours: Mapping[Key, int], theirs: Mapping[Key, int], tolerance_fen: int
) -> tuple[int, list[Found]]:
    """(matched keys, differences) of two statements of the same period."""
    if tolerance_fen < 0:
        raise SettlementInputError("the tolerance must not be negative")
    found: list[Found] = []
    matched = 0
    for key in set(ours) | set(theirs):
        mine, their = ours.get(key), theirs.get(key)
        if mine is not None and their is not None:
            if abs(their - mine) > tolerance_fen:
                found.append(Found("differs", key, mine, their))
            else:
                matched += 1
        elif mine is not None:
            found.append(Found("missing", key, mine, None))
        else:
            found.append(Found("extra", key, None, their))
    found.sort(key=lambda f: (KINDS.index(f.kind), f.key.direction, f.key.rule, f.key.period))
    return matched, found


def ours_by_key(period: str, lines: Iterable[tuple[str, str, int]]) -> dict[Key, int]:
    """Our statement's (direction, rule, fen) lines as amounts per key (info lines left out)."""
    amounts: dict[Key, int] = {}
    for direction, rule, fen in lines:
        if direction not in ("in", "out"):
            continue
        key = Key(period, direction, rule)
        amounts[key] = amounts.get(key, 0) + fen
    return amounts
