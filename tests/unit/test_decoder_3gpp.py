"""3GPP TS 32.297 files of TS 32.298 records: written with pycrate (cdr_writer), decoded by
both engines, and checked against the input and against a third reading done here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbss.mediation.decoders import ber, cdr_3gpp
from openbss.mediation.decoders.cdr_3gpp import decode_3gpp_bytes, decode_3gpp_file
from openbss.mediation.records import RAW_SCHEMA
from openbss.simulators.cdr_writer import (
    build_3gpp_file,
    generate_records,
    header_timestamp,
    write_3gpp_file,
)

ENGINES = ["ber", "pycrate"]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return generate_records(300, seed=20240301)


@pytest.fixture(scope="module")
def file_bytes(records: list[dict[str, Any]]) -> bytes:
    return build_3gpp_file(records, sequence=4711)


def expected_row(record: dict[str, Any]) -> dict[str, object]:
    """What a written record must decode to."""
    pgw = record["kind"] == "pgw"
    return {
        "imsi": record["imsi"],
        "calling": record["calling"],
        "called": None if pgw else record["called"],
        "event_time": record["event_time"],
        "duration_s": record["duration_s"],
        "volume_up": record.get("volume_up"),
        "volume_down": record.get("volume_down"),
        "service": "data" if pgw else "voice",
        "direction": "mt" if record["kind"] == "mt" else "mo",
        "switch_id": record["switch_id"],
        "call_reference": record["call_reference"],
        "location": record["location"],
        "cell": record["cell"],
        "decode_error": None,
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_generated_file_decodes_to_its_input(
    engine: str, records: list[dict[str, Any]], file_bytes: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "msc.ber"
    path.write_bytes(file_bytes)
    decoded = decode_3gpp_file(path, engine=engine)  # type: ignore[arg-type]
    assert decoded.file_error is None
    assert decoded.records.schema == RAW_SCHEMA
    assert decoded.sequence == 4711
    assert decoded.sender == "10.20.0.1"
    assert decoded.details["cdr_count"] == "300"
    assert decoded.details["release"] == "high Rel-15.0, low Rel-15.0"
    rows = decoded.records.to_pylist()
    assert len(rows) == len(records)
    for number, (row, record) in enumerate(zip(rows, records, strict=True)):
        assert row["record_no"] == number
        assert {k: row[k] for k in expected_row(record)} == expected_row(record)


def test_engines_agree(file_bytes: bytes) -> None:
    fast = decode_3gpp_bytes(file_bytes, engine="ber").records
    schema = decode_3gpp_bytes(file_bytes, engine="pycrate").records
    assert fast.equals(schema)


def _tbcd_here(data: bytes) -> str:
    """Digits of a TBCD string, written differently from the decoder's tables."""
    swapped = "".join(data.hex()[i + 1] + data.hex()[i] for i in range(0, 2 * len(data), 2))
    return swapped.rstrip("f")


def _bcd_time(data: bytes) -> datetime:
    local = datetime.strptime(data[:6].hex(), "%y%m%d%H%M%S").replace(tzinfo=UTC)
    offset = timedelta(hours=int(data[7:8].hex()), minutes=int(data[8:9].hex()))
    return local - offset if data[6:7] == b"+" else local + offset


def test_rows_agree_with_a_plain_ber_reading(file_bytes: bytes) -> None:
    """Cross-check IMSI, numbers, times, duration and volumes against ber.py reading the raw
    record bytes here, with the tag numbers of TS 32.298 written out."""
    tags = {  # component -> context tag number, per record alternative
        ber.ctx(0): {"imsi": 1, "msisdn": 3, "other": 5, "answer": 23, "seize": 22, "dur": 25},
        ber.ctx(1): {"imsi": 1, "msisdn": 3, "other": 4, "answer": 20, "seize": 19, "dur": 22},
        ber.ctx(79): {"imsi": 3, "msisdn": 22, "open": 13, "dur": 14, "services": 34},
    }
    for row in decode_3gpp_bytes(file_bytes).records.to_pylist():
        raw = bytes.fromhex(row["raw"])
        top = ber.frame(raw)
        tag = tags[top.key]
        found = {
            name: t
            for name, number in tag.items()
            if (t := ber.find(raw, top, ber.ctx(number))) is not None
        }

        values = {name: t.value(raw) for name, t in found.items()}
        assert row["imsi"] == _tbcd_here(values["imsi"])
        own = "+" + _tbcd_here(values["msisdn"][1:])
        assert own == (row["called"] if top.key == ber.ctx(1) else row["calling"])
        assert row["duration_s"] == ber.decode_int(values["dur"])
        if top.key == ber.ctx(79):
            assert row["event_time"] == _bcd_time(values["open"])
            ups = downs = 0
            for container in ber.children(raw, found["services"]):
                ups += ber.decode_int(ber.find(raw, container, ber.ctx(12)).value(raw))  # type: ignore[union-attr]
                downs += ber.decode_int(ber.find(raw, container, ber.ctx(13)).value(raw))  # type: ignore[union-attr]
            assert (row["volume_up"], row["volume_down"]) == (ups, downs)
        else:
            start = values["answer"] if "answer" in found else values["seize"]
            assert row["event_time"] == _bcd_time(start)
            other = values["other"]
            digits = _tbcd_here(other[1:])
            party = row["called"] if top.key == ber.ctx(0) else row["calling"]
            assert party == ("+" + digits if other[0] == 0x91 else digits)


def test_known_encodings() -> None:
    assert cdr_3gpp.tbcd(bytes.fromhex("64001032547698f0"), "imsi") == "460001234567890"
    assert cdr_3gpp.imsi(bytes.fromhex("64001032547698f0")) == "460001234567890"
    assert cdr_3gpp.address(bytes.fromhex("916831081000"), "x") == "+8613800100"
    assert cdr_3gpp.address(bytes.fromhex("a11032547698"), "x") == "0123456789"  # national
    assert cdr_3gpp.address(bytes.fromhex("018031"), "x") == "13"  # octet 3a present
    moment = cdr_3gpp.timestamp(bytes.fromhex("2403151030002b0800"), "t")
    assert moment == datetime(2024, 3, 15, 2, 30, tzinfo=UTC)  # 10:30 at +08:00
    west = cdr_3gpp.timestamp(bytes.fromhex("2403151030002d0530"), "t")
    assert west == datetime(2024, 3, 15, 16, 0, tzinfo=UTC)
    stamp = header_timestamp(datetime(2024, 3, 15, 2, 30, tzinfo=UTC), 480)
    assert cdr_3gpp.header_timestamp(stamp) == "03-15 10:30+08:00"
    area, cell = cdr_3gpp.uli_location(bytes.fromhex("1864f000123464f0000abcdef1"))
    assert (area, cell) == (str(0x1234), str(0xABCDEF1))
    for bad in ("64f0103254", "4f"):
        with pytest.raises(cdr_3gpp.FieldError, match="filler"):
            cdr_3gpp.tbcd(bytes.fromhex(bad), "imsi")
    with pytest.raises(cdr_3gpp.FieldError, match="not BCD"):
        cdr_3gpp.timestamp(bytes.fromhex("24031510300a2b0800"), "t")


def test_header_and_fillers(records: list[dict[str, Any]], tmp_path: Path) -> None:
    data = write_3gpp_file(tmp_path / "a.ber", records[:40], sequence=9, block_size=1024)
    assert len(data) % 1024 == 0 and data.endswith(b"\xff")
    assert data == (tmp_path / "a.ber").read_bytes()
    header = cdr_3gpp.parse_file_header(data)
    assert (header.file_length, header.header_length, header.cdr_count) == (len(data), 52, 40)
    assert (header.high_release, header.low_release, header.sequence) == (15, 15, 9)
    assert header.node_address == "10.20.0.1"
    frames = cdr_3gpp.iter_frames(data, header)
    assert all(f.offset // 1024 == (f.offset + f.length - 1) // 1024 for f in frames)
    assert {f.ts_number for f in frames} == {6, 7}  # TS 32.250 and TS 32.251
    plain = build_3gpp_file(records[:40], sequence=9, fillers=False)
    assert len(plain) < len(data)
    with_fillers = decode_3gpp_bytes(data).records.drop_columns(["raw_ref"])
    assert decode_3gpp_bytes(plain).records.drop_columns(["raw_ref"]).equals(with_fillers)


def test_writer_is_deterministic(records: list[dict[str, Any]]) -> None:
    assert build_3gpp_file(records[:20], sequence=1) == build_3gpp_file(records[:20], sequence=1)
    assert generate_records(50, seed=3) == generate_records(50, seed=3)
    assert generate_records(50, seed=3) != generate_records(50, seed=4)


def _with_header(data: bytes, **fields: int) -> bytes:
    """``data`` with header integer fields replaced: file_length, header_length, count."""
    spans = {"file_length": (0, 4), "header_length": (4, 8), "count": (18, 22)}
    out = bytearray(data)
    for name, number in fields.items():
        start, end = spans[name]
        out[start:end] = number.to_bytes(end - start, "big")
    return bytes(out)


def test_inconsistent_files_are_rejected(records: list[dict[str, Any]]) -> None:
    data = build_3gpp_file(records[:30], sequence=5)
    frames = cdr_3gpp.iter_frames(data, cdr_3gpp.parse_file_header(data))
    last = frames[-1]
    cases = {
        "truncated": (data[:-700], "file length"),
        "truncated, length patched": (
            _with_header(data[: last.offset + 10], file_length=last.offset + 10),
            "file truncated",
        ),
        "header length": (_with_header(data, header_length=60), "does not match its fields"),
        "header length short": (_with_header(data, header_length=20), "out of range"),
        "count": (_with_header(data, count=31), "announces 31 CDRs, the file holds 30"),
        "garbage fillers": (  # (the file has fillers after its last record)
            data[: last.offset + last.length] + b"\x00" * (len(data) - last.offset - last.length),
            "garbage",
        ),
        "trailing garbage": (
            _with_header(data + b"\x12\x34", file_length=len(data) + 2),
            "CDR header",
        ),
        "too short": (data[:30], "shorter than a CDR file header"),
    }
    for name, (broken, reason) in cases.items():
        for engine in ENGINES:
            decoded = decode_3gpp_bytes(broken, engine=engine)  # type: ignore[arg-type]
            assert decoded.file_error is not None, name
            assert reason in decoded.file_error, (name, decoded.file_error)
            assert decoded.records.num_rows == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_one_corrupt_record_among_good_ones(engine: str, records: list[dict[str, Any]]) -> None:
    data = bytearray(build_3gpp_file(records[:12], sequence=5))
    frames = cdr_3gpp.iter_frames(bytes(data), cdr_3gpp.parse_file_header(bytes(data)))
    msc = [i for i, r in enumerate(records[:12]) if r["kind"] != "pgw"]
    first, second = msc[1], msc[-1]
    bad = frames[first]
    data[bad.offset + 3] = 0x7F  # recordType's length: now runs past the record
    other = frames[second]
    data[other.offset] = 0xA2  # [2] roamingRecord: a record type not mapped
    rows = decode_3gpp_bytes(bytes(data), engine=engine).records.to_pylist()  # type: ignore[arg-type]
    assert len(rows) == 12
    assert "malformed BER" in rows[first]["decode_error"]
    assert rows[first]["raw"] == bytes(data[bad.offset : bad.offset + bad.length]).hex()
    assert rows[first]["raw_ref"] == f"offset={bad.offset}+{bad.length}"
    assert rows[second]["decode_error"] == "record type [2] is not supported"
    good = [r for i, r in enumerate(rows) if i not in (first, second)]
    assert all(r["decode_error"] is None for r in good)
    for row in good:
        assert {k: row[k] for k in expected_row(records[row["record_no"]])} == expected_row(
            records[row["record_no"]]
        )


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_mandatory_and_negative_volume(engine: str) -> None:
    moment = datetime(2024, 5, 1, 8, tzinfo=UTC)
    pgw = {
        "kind": "pgw",
        "imsi": "460001234567890",
        "calling": "+8613800138000",
        "event_time": moment,
        "duration_s": 60,
        "switch_id": "PGW01",
        "call_reference": "77",
        "location": "4660",
        "cell": "123456",
        "volume_up": -5,
        "volume_down": 1000,
    }
    rows = decode_3gpp_bytes(build_3gpp_file([pgw], sequence=1), engine=engine)  # type: ignore[arg-type]
    (row,) = rows.records.to_pylist()
    assert row["decode_error"] == "negative volume"
    assert (row["volume_up"], row["volume_down"], row["imsi"]) == (-5, 1000, "460001234567890")

    data = bytearray(build_3gpp_file([{**pgw, "volume_up": 5}], sequence=1))
    frame = cdr_3gpp.iter_frames(bytes(data), cdr_3gpp.parse_file_header(bytes(data)))[0]
    record = bytes(data[frame.offset : frame.offset + frame.length])
    top = ber.frame(record)
    charging = ber.find(record, top, ber.ctx(5))  # chargingID, mandatory
    assert charging is not None
    data[frame.offset + charging.start] = 0x8A  # now [10], which PGWRecord does not have
    rows = decode_3gpp_bytes(bytes(data), engine=engine)  # type: ignore[arg-type]
    error = rows.records.column("decode_error")[0].as_py()
    # pycrate refuses the unknown component; the BER engine skips unknown components (vendor
    # extensions are common) but finds the mandatory chargingID missing.
    expected = "mandatory component missing: chargingID" if engine == "ber" else "(2, 10)"
    assert error is not None and expected in error, error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6))
def test_damaged_files_never_raise(damage: list[tuple[int, int]]) -> None:
    data = bytearray(_SMALL_FILE)
    for position, octet in damage:
        data[position % len(data)] = octet
    decoded = decode_3gpp_bytes(bytes(data))
    assert decoded.records.schema == RAW_SCHEMA
    if decoded.file_error is None:
        assert decoded.records.num_rows == 6


_SMALL_FILE = build_3gpp_file(generate_records(6, seed=11), sequence=1, fillers=False)
