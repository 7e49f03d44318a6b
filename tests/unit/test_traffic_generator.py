"""The switch traffic generator: deterministic, realistic, and honest about what it injects."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlalchemy.orm import Session

from openbss.inventory.models import Product
from openbss.mediation.decoders.switch_cdr import decode_switch_file
from openbss.mediation.layouts import load_layout
from openbss.numbering.calculations import NumberKind
from openbss.simulators.traffic import (
    GenerationReport,
    Subscriber,
    generate_switch_files,
    subscribers_from_inventory,
)

DAY = date(2005, 3, 15)
SUBSCRIBERS = (
    [Subscriber(f"+86208300{i:04d}", "020", NumberKind.FIXED) for i in range(300)]
    + [Subscriber(f"020-3710{i:04d}", "020", NumberKind.PHS) for i in range(200)]
    + [Subscriber(f"+867552688{i:04d}", "0755", NumberKind.FIXED) for i in range(100)]
    + [Subscriber(f"07568212{i:03d}", "0756", NumberKind.PHS) for i in range(100)]
)


def generate(out: Path, **options: Any) -> GenerationReport:
    arguments: dict[str, Any] = {"day": DAY, "files": 3, "records_per_file": 400, "seed": 11}
    arguments.update(options)
    return generate_switch_files(out, SUBSCRIBERS, **arguments)


def decoded_rows(report: GenerationReport, layout: str = "huawei_csv") -> pa.Table:
    tables = []
    for path, sequence in zip(report.files, report.sequences, strict=True):
        decoded = decode_switch_file(path, load_layout(layout))
        assert decoded.file_error is None, path
        assert decoded.sequence == sequence
        tables.append(
            decoded.records.append_column("file", pa.repeat(path.name, len(decoded.records)))
        )
    return pa.concat_tables(tables)


@pytest.mark.parametrize("layout", ["huawei_csv", "zte_fixed"])
def test_same_seed_same_bytes(tmp_path: Path, layout: str) -> None:
    rates = {"duplicate_rate": 0.02, "garbage_rate": 0.02, "gap_rate": 0.3, "layout": layout}
    first = generate(tmp_path / "a", **rates)
    second = generate(tmp_path / "b", **rates)
    other = generate(tmp_path / "c", seed=12, **rates)
    assert [p.name for p in first.files] == [p.name for p in second.files]
    for one, two in zip(first.files, second.files, strict=True):
        assert one.read_bytes() == two.read_bytes()
    assert first.files[0].read_bytes() != other.files[0].read_bytes()
    assert not list((tmp_path / "a").glob("*.part"))  # written aside, renamed into place


@pytest.mark.parametrize("layout", ["huawei_csv", "zte_fixed"])
def test_reported_counts_are_what_decoding_finds(tmp_path: Path, layout: str) -> None:
    report = generate(
        tmp_path, files=5, duplicate_rate=0.05, garbage_rate=0.04, gap_rate=0.4, layout=layout
    )
    rows = decoded_rows(report, layout)
    failed = pc.is_valid(rows["decode_error"])
    good = rows.filter(pc.invert(failed))
    references = Counter(good["call_reference"].to_pylist())

    assert report.duplicates > 0 and report.garbage_lines > 0
    assert rows.num_rows == report.lines
    assert pc.sum(failed).as_py() == report.garbage_lines
    assert len(references) == report.records == 5 * 400
    assert good.num_rows - len(references) == report.duplicates


def test_duplicates_are_exact_copies_some_in_a_later_file(tmp_path: Path) -> None:
    report = generate(tmp_path, files=4, duplicate_rate=0.08)
    rows = decoded_rows(report).drop_columns(["record_no", "raw_ref"]).to_pylist()
    by_reference: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_reference.setdefault(row["call_reference"], []).append(row)
    copies = [group for group in by_reference.values() if len(group) > 1]
    assert sum(len(group) - 1 for group in copies) == report.duplicates
    crossing = 0
    for group in copies:
        files = {row.pop("file") for row in group}
        assert all(row == group[0] for row in group)  # the very same record again
        crossing += len(files) > 1
    assert 0 < crossing < len(copies)  # re-sent in the next file, or repeated in the same one


def test_gaps_skip_sequence_numbers(tmp_path: Path) -> None:
    report = generate(tmp_path, files=12, records_per_file=20, gap_rate=0.5, first_sequence=900)
    assert report.sequences[0] == 900
    assert report.skipped_sequences
    assert not set(report.skipped_sequences) & set(report.sequences)
    numbered = sorted(report.sequences + report.skipped_sequences)
    assert numbered == list(range(900, report.sequences[-1] + 1))
    assert [p.name for p in report.files][:1] == ["GZ-SW01_20050315_000900.csv"]
    without_gaps = generate(tmp_path / "none", files=12, records_per_file=20)
    assert without_gaps.sequences == tuple(range(1, 13)) and not without_gaps.skipped_sequences


def _e164(number: str, area_code: str) -> str:
    """A number as the switch wrote it → E.164, by the Chinese dialling rules."""
    number = number.removeprefix("17909")
    if number.startswith("00"):
        return "+" + number[2:]
    if number.startswith("0"):
        return "+86" + number[1:]
    if len(number) == 11 and number.startswith("1"):
        return "+86" + number
    return "+86" + area_code[1:] + number


def test_numbers_are_valid_and_the_traffic_is_realistic(tmp_path: Path) -> None:
    report = generate(tmp_path, files=4, records_per_file=1500)
    rows = decoded_rows(report).to_pylist()
    invalid = [
        (row["calling"], row["called"])
        for row in rows
        for number in (row["calling"], row["called"])
        if number
        and not phonenumbers.is_valid_number(phonenumbers.parse(_e164(number, row["area_code"])))
    ]
    assert invalid == []

    called = [row["called"] for row in rows if row["direction"] != "mt"]
    assert any(n.startswith("17909") for n in called)  # IP long distance
    assert any(n.startswith("00852") for n in called)  # Hong Kong
    assert any(n.startswith("00") and not n.startswith("0085") for n in called)
    assert any(n.startswith("0") and not n.startswith("00") for n in called)  # DDD
    assert any(len(n) == 11 and n.startswith("1") for n in called)  # mobile
    assert Counter(row["direction"] for row in rows).keys() == {"mo", "mt", "fwd"}
    sms = [row for row in rows if row["service"] == "sms"]
    assert sms and all(row["cell"] is not None and row["duration_s"] == 0 for row in sms)
    assert any(row["calling"] is None for row in rows if row["direction"] == "mt")  # withheld

    local_hours = Counter((row["event_time"].hour + 8) % 24 for row in rows)
    busy = sum(local_hours[h] for h in (9, 10, 20, 21))
    night = sum(local_hours[h] for h in (2, 3, 4, 5))
    assert busy > 8 * night
    assert all(row["event_time"].date() in (date(2005, 3, 14), DAY) for row in rows)
    voice = [row["duration_s"] for row in rows if row["service"] == "voice"]
    assert statistics.median(voice) < 120 < statistics.mean(voice) + 60
    assert min(voice) >= 1 and max(voice) < 3600


def test_served_numbers_are_written_as_local_numbers_with_their_area(tmp_path: Path) -> None:
    subscribers = [Subscriber("+862083001234", "020"), Subscriber("07568212345", "0756")]
    report = generate_switch_files(
        tmp_path, subscribers, day=DAY, files=1, records_per_file=200, seed=3
    )
    rows = decoded_rows(report).to_pylist()
    served = {
        (row["calling"] if row["direction"] != "mt" else row["called"], row["area_code"])
        for row in rows
    }
    assert served == {("83001234", "020"), ("8212345", "0756")}


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one subscriber"):
        generate_switch_files(tmp_path, [], day=DAY, files=1, records_per_file=1, seed=1)
    with pytest.raises(ValueError, match="garbage_rate"):
        generate(tmp_path, garbage_rate=1.5)
    with pytest.raises(ValueError, match="positive"):
        generate(tmp_path, files=0)


def _product(
    province: str, number: str | None, status: str, kind: str, area: str | None
) -> Product:
    return Product(
        id=str(uuid.uuid4()),
        doc={},
        province=province,
        status=status,
        customer_id="C1",
        product_offering_id="PO1",
        service_type=kind,
        service_id=number,
        area_code=area,
    )


def test_subscribers_from_inventory(session: Session) -> None:
    session.add_all(
        [
            _product("GD", "+862083001234", "active", "fixedVoice", "020"),
            _product("GD", "+8675626881234", "suspended", "phs", None),
            _product("GD", "+8613312345678", "active", "mobile", None),
            _product("GD", "+862083009999", "terminated", "fixedVoice", "020"),
            _product("GD", "adsl-gz-0001", "active", "broadband", "020"),
            _product("GD", None, "active", "bundle", None),
            _product("BJ", "+861062345678", "active", "fixedVoice", "010"),
        ]
    )
    session.flush()
    assert subscribers_from_inventory(session, "GD") == [
        Subscriber("+8613312345678", "020", NumberKind.MOBILE),
        Subscriber("+862083001234", "020", NumberKind.FIXED),
        Subscriber("+8675626881234", "0756", NumberKind.PHS),
    ]
