"""How listing commands print rows: a Rich table for people, JSON, JSON lines or CSV for
scripts — the same rows, chosen with ``--format``.

A command builds plain rows (dicts of ids, numbers, datetimes, …) and column specs, and
hands both to :func:`render`. Machine formats carry the values themselves (integers stay
integers, an instant is ISO 8601 with its offset); the table shows them for reading. Times
are shown in the province's zone with the offset written out, so ``2026-03-01 08:00:00
+08:00`` is never mistaken for UTC. Ids are never cut: id columns fold rather than end in
"…" on a narrow terminal, and piped output is as wide as its content (common.py).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, TextIO
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from openbss.cli.common import out

Kind = Literal["id", "text", "number", "time", "date"]


class OutputFormat(StrEnum):
    """What a listing command prints."""

    TABLE = "table"
    JSON = "json"  # one JSON array
    JSONL = "jsonl"  # one JSON object per line
    CSV = "csv"  # a header line, then one line per row


FORMAT_HELP = "table (to read), json (an array), jsonl (one object a line) or csv (with a header)"
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help=FORMAT_HELP, case_sensitive=False)
]


@dataclass(frozen=True)
class Col:
    """One column: the row key (the JSON/CSV name), its table header and what it holds.

    ``kind`` decides how the table shows it: ``id`` never cut, ``number`` right-aligned
    with thousands separators, ``time`` in the zone with its offset. ``show`` overrides
    the table's text for the value (e.g. an amount in li shown in yuan).
    """

    key: str
    header: str | None = None
    kind: Kind = "text"
    show: Callable[[Any], str] | None = None

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key.replace("_", " ")


def _aware(value: datetime) -> datetime:
    """Stored instants are UTC (db.types.UTCDateTime); a naive one is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def machine_value(value: Any, zone: ZoneInfo) -> Any:
    """A value as JSON and CSV carry it."""
    if isinstance(value, datetime):
        return _aware(value).astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def local_time(value: datetime, zone: ZoneInfo) -> str:
    """An instant as people read it: local date and time, and the offset."""
    local = _aware(value).astimezone(zone)
    offset = local.isoformat()[-6:]  # "+08:00": strftime's %z has no colon
    return f"{local:%Y-%m-%d %H:%M:%S} {offset}"


def table_text(column: Col, value: Any, zone: ZoneInfo) -> str:
    """A value as the table shows it."""
    if value is None:
        return ""
    if column.show is not None:
        return column.show(value)
    if isinstance(value, datetime):
        return local_time(value, zone)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == "number" and isinstance(value, int):
        return f"{value:,}"
    return str(machine_value(value, zone))


def _rich_column(column: Col) -> Column:
    if column.kind == "id":
        return Column(column.title, overflow="fold", min_width=min(len(column.title), 8))
    if column.kind == "number":
        return Column(column.title, justify="right", no_wrap=True)
    if column.kind in ("time", "date"):
        return Column(column.title, no_wrap=True)
    return Column(column.title, overflow="fold")


def build_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Col],
    zone: ZoneInfo,
    title: str | None = None,
) -> Table:
    table = Table(*(_rich_column(c) for c in columns), title=title)
    for row in rows:
        # Text, not str: a value is data, never Rich markup ("[b]" in a reason stays).
        table.add_row(*(Text(table_text(c, row.get(c.key), zone)) for c in columns))
    return table


def write_machine(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Col],
    fmt: OutputFormat,
    zone: ZoneInfo,
    stream: TextIO | None = None,
) -> None:
    """JSON, JSON lines or CSV of the rows' column values, on stdout."""
    target = stream if stream is not None else sys.stdout
    records = [{c.key: machine_value(row.get(c.key), zone) for c in columns} for row in rows]
    if fmt is OutputFormat.JSON:
        target.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt is OutputFormat.JSONL:
        for record in records:
            target.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    elif fmt is OutputFormat.CSV:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for record in records:
            writer.writerow(["" if record[c.key] is None else record[c.key] for c in columns])
    else:  # pragma: no cover - the table is not a machine format
        raise ValueError(fmt)
    target.flush()


def render(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Col],
    fmt: OutputFormat,
    zone: ZoneInfo,
    *,
    title: str | None = None,
    console: Console | None = None,
) -> None:
    """Print rows in the chosen format (a table goes to ``console``, stdout by default)."""
    if fmt is OutputFormat.TABLE:
        (console or out).print(build_table(rows, columns, zone, title))
    else:
        write_machine(rows, columns, fmt, zone)


def render_record(
    record: Mapping[str, Any],
    fmt: OutputFormat,
    zone: ZoneInfo,
    *,
    title: str | None = None,
) -> None:
    """One object: a two-column table (field, value) or a single JSON object / CSV row."""
    if fmt is OutputFormat.TABLE:
        table = Table(Column("", no_wrap=True), Column("", overflow="fold"), title=title)
        for key, value in record.items():
            text = local_time(value, zone) if isinstance(value, datetime) else value
            table.add_row(Text(key.replace("_", " ")), Text("" if text is None else str(text)))
        out.print(table)
    elif fmt is OutputFormat.JSON:
        values = {k: machine_value(v, zone) for k, v in record.items()}
        sys.stdout.write(json.dumps(values, ensure_ascii=False, indent=2, default=str) + "\n")
        sys.stdout.flush()
    else:
        write_machine([record], [Col(key) for key in record], fmt, zone)
