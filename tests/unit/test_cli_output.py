"""The pure parts of CLI output: values for scripts, times for people, province zones, and
the periods a time range touches."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from openbss.cli.output import Col, OutputFormat, local_time, machine_value, write_machine
from openbss.rating.inquiry import periods_between
from openbss.refdata.provinces import PROVINCE_ZONES, province_zone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_times_are_shown_in_the_zone_with_the_offset() -> None:
    instant = datetime(2004, 12, 31, 16, 0, tzinfo=UTC)
    assert local_time(instant, SHANGHAI) == "2005-01-01 00:00:00 +08:00"
    assert machine_value(instant, SHANGHAI) == "2005-01-01T00:00:00+08:00"
    # SQLite hands back naive UTC in places: it is read as UTC, not as local time.
    assert machine_value(instant.replace(tzinfo=None), SHANGHAI) == "2005-01-01T00:00:00+08:00"
    assert machine_value(date(2026, 3, 3), SHANGHAI) == "2026-03-03"
    assert machine_value(Decimal("0.330"), SHANGHAI) == "0.330"
    assert machine_value(OutputFormat.CSV, SHANGHAI) == "csv"


def test_province_zones() -> None:
    assert province_zone("GD").key == "Asia/Shanghai"
    assert province_zone("XJ").key == "Asia/Shanghai"  # official time is Beijing time
    assert province_zone("HK").key == "Asia/Hong_Kong"
    assert province_zone(None).key == "Asia/Shanghai"
    assert len([c for c, z in PROVINCE_ZONES.items() if z == "Asia/Shanghai"]) == 31


def test_machine_formats_carry_the_same_rows() -> None:
    columns = (Col("id", kind="id"), Col("n", kind="number"), Col("at", kind="time"))
    rows = [
        {"id": "a,b", "n": 1_000, "at": datetime(2026, 3, 2, 23, 30, tzinfo=UTC)},
        {"id": "c", "n": None, "at": None},
    ]
    as_json, as_csv, as_lines = io.StringIO(), io.StringIO(), io.StringIO()
    write_machine(rows, columns, OutputFormat.JSON, SHANGHAI, as_json)
    write_machine(rows, columns, OutputFormat.CSV, SHANGHAI, as_csv)
    write_machine(rows, columns, OutputFormat.JSONL, SHANGHAI, as_lines)
    parsed = json.loads(as_json.getvalue())
    assert parsed[0] == {"id": "a,b", "n": 1000, "at": "2026-03-03T07:30:00+08:00"}
    assert [json.loads(x) for x in as_lines.getvalue().splitlines()] == parsed
    assert list(csv.reader(io.StringIO(as_csv.getvalue()))) == [
        ["id", "n", "at"],
        ["a,b", "1000", "2026-03-03T07:30:00+08:00"],
        ["c", "", ""],
    ]


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)),
)
def test_periods_between_are_the_local_months_touched(start: datetime, span: timedelta) -> None:
    begin = start.replace(tzinfo=UTC)
    end = begin + span
    periods = periods_between(begin, end, SHANGHAI)
    assert periods == sorted(set(periods))
    assert periods[0] == begin.astimezone(SHANGHAI).strftime("%Y-%m")
    assert periods[-1] == (end - timedelta(microseconds=1)).astimezone(SHANGHAI).strftime("%Y-%m")
    for earlier, later in pairwise(periods):
        year, month = int(earlier[:4]), int(earlier[5:])
        assert later == (f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}")
