"""Switch CDR layouts and the layout-driven decoder (CSV and fixed-width)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbss.mediation.decoders.switch_cdr import decode_switch_bytes, decode_switch_file
from openbss.mediation.layouts import (
    FieldKind,
    LayoutError,
    RecordFormat,
    available_layouts,
    load_layout,
    parse_layout,
)
from openbss.mediation.records import RAW_SCHEMA, FileKind

HUAWEI = load_layout("huawei_csv")
ZTE = load_layout("zte_fixed")

HEADER = "HDR,GZ-SW01,000123,20050315000012"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def write(tmp_path: Path, lines: list[str] | bytes, name: str = "cdr.csv") -> Path:
    path = tmp_path / name
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    return path


def rows(table: pa.Table) -> list[dict[str, Any]]:
    assert table.schema == RAW_SCHEMA
    return table.to_pylist()


def expected(**values: Any) -> dict[str, Any]:
    """A raw row: every column null except those given."""
    return {name: values.get(name) for name in RAW_SCHEMA.names}


# --- layouts ---------------------------------------------------------------------------------


def test_shipped_layouts_load() -> None:
    assert available_layouts() == ["huawei_csv", "zte_fixed"]
    assert HUAWEI.format is RecordFormat.CSV and HUAWEI.delimiter == ","
    assert [f.name for f in HUAWEI.fields] == [
        "record_type", "call_reference", "switch_id", "calling", "called", "area_code",
        "start_time", "duration", "service", "trunk_in", "trunk_out", "cell",
    ]  # fmt: skip
    assert HUAWEI.time.format == "%Y%m%d%H%M%S" and HUAWEI.time.zone == "Asia/Shanghai"
    assert HUAWEI.time.length == 14
    record_type = HUAWEI.fields[0]
    assert record_type.kind is FieldKind.CODE and record_type.target == "direction"
    assert record_type.code_map == {"01": "mo", "02": "mt", "03": "fwd"}
    assert HUAWEI.header is not None and HUAWEI.header.tag == "HDR"
    assert HUAWEI.trailer is not None and HUAWEI.trailer.field("count") is not None
    assert ZTE.format is RecordFormat.FIXED and ZTE.record_length == 120
    duration = ZTE.field_for("duration_s")
    assert duration is not None
    assert (duration.start, duration.width, duration.align, duration.pad) == (92, 6, "right", "0")
    assert load_layout("huawei_csv") is HUAWEI  # parsed once


@pytest.mark.parametrize("name", ["nokia_asn1", "../huawei_csv", "HUAWEI_CSV", ""])
def test_unknown_layout_names_are_refused(name: str) -> None:
    with pytest.raises(LayoutError, match="unknown switch CDR layout"):
        load_layout(name)


def _layout_text(**changes: str) -> str:
    base = {
        "head": 'name = "t"\nformat = "csv"\n',
        "time": '[time]\nformat = "%Y%m%d%H%M%S"\nzone = "Asia/Shanghai"\n',
        "fields": '[[fields]]\nname = "ref"\ntarget = "call_reference"\n',
    }
    base.update(changes)
    return "\n".join(base.values())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"head": 'name = "t"\nformat = "csv"\nname2 = 1\n'}, "unknown setting"),
        ({"head": 'name = "t"\nformat = "xml"\n'}, "'xml' is not one of csv, fixed"),
        ({"head": 'name = "t"\nformat = "csv"\ndelimiter = ",,"\n'}, "delimiter"),
        ({"time": '[time]\nformat = "%Y"\nzone = "Asia/Shanghai"\n'}, "must carry date and time"),
        ({"time": '[time]\nformat = "%Y%m%d%H%M%S"\nzone = "Mars/Olympus"\n'}, "time zone"),
        ({"fields": '[[fields]]\nname = "x"\ntarget = "raw"\n'}, "not a column a layout can fill"),
        ({"fields": '[[fields]]\nname = "x"\ntarget = "duration_s"\n'}, "cannot fill duration_s"),
        (
            {
                "fields": '[[fields]]\nname = "x"\ntarget = "direction"\nkind = "code"\n'
                'codes = { "1" = "outgoing" }\n'
            },
            "outgoing not in",
        ),
        ({"fields": '[[fields]]\nname = "x"\ntarget = "direction"\n'}, "code table"),
        ({"fields": '[[fields]]\nname = "x"\nstart = 0\nwidth = 2\n'}, "fixed-width layouts only"),
        ({"head": 'name = "t"\nformat = "csv"\nfields = []\n', "fields": ""}, "at least one field"),
        ({"fields": '[[fields]]\nname = "Bad Name"\n'}, "lower_snake_case"),
        (
            {"head": 'name = "t"\nformat = "csv"\n[trailer]\ntag = "T"\nfields = [{name="tag"}]\n'},
            "needs a 'count' field",
        ),
        ({"head": "name = = 1\n"}, "not valid TOML"),
    ],
)
def test_invalid_layout_files_are_refused(changes: dict[str, str], message: str) -> None:
    with pytest.raises(LayoutError, match=message) as raised:
        parse_layout(_layout_text(**changes), source="mine.toml")
    assert "mine.toml" in raised.value.message
    assert raised.value.code == "MEDIATION_LAYOUT_INVALID"


def test_overlapping_fixed_width_fields_are_refused() -> None:
    text = _layout_text(
        head='name = "t"\nformat = "fixed"\n',
        fields='[[fields]]\nname = "a"\nstart = 0\nwidth = 4\n'
        '[[fields]]\nname = "b"\nstart = 3\nwidth = 2\n',
    )
    with pytest.raises(LayoutError, match="fields a and b overlap"):
        parse_layout(text)


# --- CSV: exact values -----------------------------------------------------------------------


def test_csv_records_decode_exactly_with_local_time_made_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            HEADER,
            "01,0503150001230000001,GZ-SW01,83001234,13812345678,020,20050315093012,125,11,,"
            "TG0201,",
            "02,0503150001230000002,GZ-SW01,01062345678,83001234,020,20050315000512,61,11,TG0301,,",
            "01,0503150001230000003,GZ-SW01,83005678,13912345678,020,20050315201500,0,22,,"
            "TG0601,CS000123",
            "03,0503150001230000004,GZ-SW01,83001234,1790902587654321,020,20051231235959,3600,11,,"
            "TG0501,",
            "TRL,4",
        ],
    )
    decoded = decode_switch_file(path, HUAWEI)
    assert decoded.file_error is None
    assert decoded.kind is FileKind.USAGE
    assert decoded.sequence == 123
    assert decoded.sender == "GZ-SW01"
    assert decoded.details == {
        "layout": "huawei_csv",
        "switch_id": "GZ-SW01",
        "sequence": "123",
        "created": "2005-03-14T16:00:12Z",
        "trailer_count": "4",
    }
    common = {"switch_id": "GZ-SW01", "area_code": "020"}
    assert rows(decoded.records) == [
        expected(
            record_no=0, raw_ref="line=2", event_time=utc(2005, 3, 15, 1, 30, 12),
            duration_s=125, calling="83001234", called="13812345678", service="voice",
            direction="mo", call_reference="0503150001230000001", trunk_out="TG0201", **common,
        ),
        expected(  # 00:05 in Guangzhou is still the day before in UTC
            record_no=1, raw_ref="line=3", event_time=utc(2005, 3, 14, 16, 5, 12),
            duration_s=61, calling="01062345678", called="83001234", service="voice",
            direction="mt", call_reference="0503150001230000002", trunk_in="TG0301", **common,
        ),
        expected(
            record_no=2, raw_ref="line=4", event_time=utc(2005, 3, 15, 12, 15, 0),
            duration_s=0, calling="83005678", called="13912345678", service="sms",
            direction="mo", call_reference="0503150001230000003", cell="CS000123",
            trunk_out="TG0601", **common,
        ),
        expected(
            record_no=3, raw_ref="line=5", event_time=utc(2005, 12, 31, 15, 59, 59),
            duration_s=3600, calling="83001234", called="1790902587654321", service="voice",
            direction="fwd", call_reference="0503150001230000004", trunk_out="TG0501",
            **common,
        ),
    ]  # fmt: skip


def test_crlf_files_decode_like_lf_files(tmp_path: Path) -> None:
    lines = [HEADER, "01,R1,GZ-SW01,83001234,88776655,020,20050315093012,5,11,,TG0101,", "TRL,1"]
    lf = decode_switch_file(write(tmp_path, lines, "lf.csv"), HUAWEI)
    crlf = decode_switch_file(write(tmp_path, ("\r\n".join(lines) + "\r\n").encode()), HUAWEI)
    assert crlf.file_error is None
    assert crlf.records.equals(lf.records)


# --- fixed width: exact values ---------------------------------------------------------------


def zte(
    record_type: str,
    reference: str,
    calling: str,
    called: str,
    time: str,
    duration: str,
    service: str = "00",
    cell: str = "",
) -> str:
    """A ZTE record composed by hand: offsets written out here, not taken from the layout."""
    return (
        record_type.ljust(2)
        + reference.ljust(20)
        + "GZ-SW02".ljust(8)
        + calling.ljust(20)
        + called.ljust(24)
        + "0755"
        + time
        + duration.rjust(6, "0")
        + service
        + "".ljust(6)
        + "TG0201".ljust(6)
        + cell.ljust(8)
    )


def test_fixed_width_records_decode_exactly(tmp_path: Path) -> None:
    header = "HDRGZ-SW02 0000004220050315235959".ljust(120)
    body = [
        zte("00", "R1", "26881234", "13800138000", "20050315093012", "125"),
        zte("01", "R2", "", "26881234", "20050315000000", "0", "01", "CS001"),
    ]
    path = write(tmp_path, [header, *body, "TRL0000000002".ljust(120)], "cdr.dat")
    decoded = decode_switch_file(path, ZTE)
    assert decoded.file_error is None
    assert decoded.sequence == 42
    assert decoded.details["created"] == "2005-03-15T15:59:59Z"
    assert len(body[0]) == 120
    common = {"switch_id": "GZ-SW02", "area_code": "0755"}
    assert rows(decoded.records) == [
        expected(
            record_no=0, raw_ref="line=2", event_time=utc(2005, 3, 15, 1, 30, 12),
            duration_s=125, calling="26881234", called="13800138000", service="voice",
            direction="mo", call_reference="R1", trunk_out="TG0201", **common,
        ),
        expected(  # withheld caller: blank field → null; zero duration stays 0
            record_no=1, raw_ref="line=3", event_time=utc(2005, 3, 14, 16, 0, 0),
            duration_s=0, calling=None, called="26881234", service="sms",
            direction="mt", call_reference="R2", cell="CS001", trunk_out="TG0201", **common,
        ),
    ]  # fmt: skip


def test_fixed_width_bad_records_keep_their_lines(tmp_path: Path) -> None:
    good = zte("00", "R1", "26881234", "13800138000", "20050315093012", "125")
    short = good[:90]
    bad_time = zte("00", "R2", "26881234", "13800138000", "20050230093012", "5")
    bad_code = zte("07", "R3", "26881234", "13800138000", "20050315093012", "5")
    body = [good, short, bad_time, bad_code, "中文" + good[2:]]
    path = write(
        tmp_path,
        ["HDRGZ-SW02 0000004220050315000000", *body, "TRL" + "5".rjust(10, "0")],
        "cdr.dat",
    )
    decoded = decode_switch_file(path, ZTE)
    assert decoded.file_error is None
    got = rows(decoded.records)
    assert [(r["record_no"], r["raw_ref"], r["decode_error"], r["raw"]) for r in got[1:]] == [
        (1, "line=3", "expected 120 characters, found 90", short),
        (2, "line=4", "bad start_time '20050230093012'", bad_time),
        (3, "line=5", "bad record_type '07'", bad_code),
        (4, "line=6", "bad record_type '中文'", "中文" + good[2:]),
    ]
    assert got[0]["decode_error"] is None and got[0]["call_reference"] == "R1"
    assert all(r["call_reference"] is None and r["event_time"] is None for r in got[1:])


# --- bad records -----------------------------------------------------------------------------

FIELDS = {
    "record_type": "01",
    "call_reference": "R9",
    "switch_id": "GZ-SW01",
    "calling": "83001234",
    "called": "13812345678",
    "area_code": "020",
    "start_time": "20050315093012",
    "duration": "125",
    "service": "11",
    "trunk_in": "",
    "trunk_out": "TG0201",
    "cell": "",
}


def csv_record(**changes: str) -> str:
    return ",".join({**FIELDS, **changes}.values())


GOOD = csv_record(call_reference="R{n}")
BAD = [
    ("01,R9,GZ-SW01,83001234", "expected 12 fields, found 4"),
    (csv_record() + ",x", "expected 12 fields, found 13"),
    (csv_record(start_time="20050230093012"), "bad start_time '20050230093012'"),
    (csv_record(start_time="2005031509301"), "bad start_time '2005031509301'"),
    (csv_record(duration="12O"), "bad duration '12O'"),
    (csv_record(duration="-5"), "bad duration '-5'"),
    (csv_record(record_type="09"), "bad record_type '09'"),
    (csv_record(service="99"), "bad service '99'"),
    (csv_record(call_reference=""), "missing call_reference"),
    ("", "missing record_type"),
    ("~~~ block checksum error ~~~", "expected 12 fields, found 1"),
]


def test_bad_csv_records_become_decode_errors_at_their_lines(tmp_path: Path) -> None:
    body: list[str] = []
    for number, (line, _) in enumerate(BAD):
        body += [GOOD.format(n=number), line]
    decoded = decode_switch_file(write(tmp_path, [HEADER, *body, f"TRL,{len(body)}"]), HUAWEI)
    assert decoded.file_error is None
    got = rows(decoded.records)
    assert len(got) == len(body)
    for number, (line, reason) in enumerate(BAD):
        good, bad = got[2 * number], got[2 * number + 1]
        assert good["decode_error"] is None and good["call_reference"] == f"R{number}"
        assert good["raw"] is None and good["raw_ref"] == f"line={2 * number + 2}"
        assert bad == expected(
            record_no=2 * number + 1, raw_ref=f"line={2 * number + 3}", raw=line,
            decode_error=reason,
        )  # fmt: skip


def test_lines_the_csv_reader_cannot_take_are_kept() -> None:
    noise = b"x" * 3_000_000  # longer than a reader block: line noise that never met a newline
    data = b"\n".join(
        [
            HEADER.encode(),
            GOOD.format(n=1).encode(),
            b"\xff\xfe corrupt \xc0",
            b"01,R2,GZ-SW01,83001234,1381\r2345678,020,20050315093012,125,11,,TG0201,",
            noise,
            GOOD.format(n=3).encode(),
            b"TRL,5",
        ]
    )
    got = rows(decode_switch_bytes(data + b"\n", HUAWEI).records)
    assert [r["decode_error"] for r in got] == [
        None,
        "record is not valid UTF-8",
        "stray carriage return in the record",
        "record too long",
        None,
    ]
    assert got[1]["raw"] == "\\xff\\xfe corrupt \\xc0"
    assert (
        got[2]["raw"] == "01,R2,GZ-SW01,83001234,1381\r2345678,020,20050315093012,125,11,,TG0201,"
    )
    assert got[3]["raw"] == noise.decode()
    assert [r["call_reference"] for r in got] == ["R1", None, None, None, "R3"]
    assert [r["raw_ref"] for r in got] == ["line=2", "line=3", "line=4", "line=5", "line=6"]


def test_fixed_width_lines_with_stray_cr_or_bad_bytes_are_kept() -> None:
    good = zte("00", "R1", "26881234", "13800138000", "20050315093012", "125")
    broken = good[:40] + "\r" + good[41:]
    data = "\n".join(["HDRGZ-SW02 0000000120050315000000", good, broken, "TRL0000000003"])
    decoded = decode_switch_bytes(data.encode() + b"\n\xff\n", ZTE)
    assert decoded.file_error == "data after the trailer"
    data += "\n"
    lines = data.replace("TRL0000000003\n", "").encode() + b"\xff" * 120 + b"\nTRL0000000003\n"
    got = rows(decode_switch_bytes(lines, ZTE).records)
    assert [(r["decode_error"], r["call_reference"]) for r in got] == [
        (None, "R1"),
        ("stray carriage return in the record", None),
        ("record is not valid UTF-8", None),
    ]
    assert got[1]["raw"] == broken


# --- the file as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ([HEADER, GOOD.format(n=1), "TRL,2"], "trailer counts 2 records but the file holds 1"),
        ([HEADER, GOOD.format(n=1), GOOD.format(n=2)], "truncated: no TRL trailer"),
        ([HEADER, GOOD.format(n=1), "TRL,1", "garbage"], "data after the trailer"),
        ([GOOD.format(n=1), "TRL,1"], "missing header: the first line is not a HDR"),
        ([HEADER, "TRL,x"], "bad trailer: count 'x' is not a number"),
        (["HDR,GZ-SW01,12a,20050315000012", "TRL,0"], "bad header: sequence '12a' is not a number"),
        (["HDR,GZ-SW01,1", "TRL,0"], "bad header: expected 4 fields, found 3"),
        ([HEADER], "truncated: no TRL trailer"),
    ],
)
def test_untrustworthy_files_are_rejected_whole(
    tmp_path: Path, lines: list[str], reason: str
) -> None:
    decoded = decode_switch_file(write(tmp_path, lines), HUAWEI)
    assert decoded.file_error == reason
    assert decoded.records.num_rows == 0 and decoded.records.schema == RAW_SCHEMA


def test_rejected_file_still_tells_its_sequence(tmp_path: Path) -> None:
    decoded = decode_switch_file(write(tmp_path, [HEADER, GOOD.format(n=1)]), HUAWEI)
    assert decoded.file_error == "truncated: no TRL trailer"
    assert decoded.sequence == 123 and decoded.sender == "GZ-SW01"


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert decode_switch_file(empty, HUAWEI).file_error == "empty file"
    assert decode_switch_bytes(b"\n\n", HUAWEI).file_error == "empty file"
    missing = decode_switch_file(tmp_path / "nope.csv", HUAWEI)
    assert missing.file_error is not None and missing.file_error.startswith("cannot read file")


def test_a_file_without_records_is_fine(tmp_path: Path) -> None:
    decoded = decode_switch_file(write(tmp_path, [HEADER, "TRL,0"]), HUAWEI)
    assert decoded.file_error is None and decoded.records.num_rows == 0


# --- property: nothing lost, good records exact ----------------------------------------------

_digits = st.text(alphabet="0123456789", min_size=7, max_size=12)
_good = st.builds(
    lambda kind, ref, calling, called, when, duration: (
        (kind, ref, calling, called, when, duration)
    ),
    st.sampled_from(["01", "02", "03"]),
    st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=19),
    _digits,
    _digits,
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 12, 31)),
    st.integers(min_value=0, max_value=999_999),
)
# Garbage never holds the delimiter (so it can never pass for a 12-field record) nor a newline.
_garbage = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_characters=",\r\n", blacklist_categories=("Cs",)),
        max_size=40,
    ),
    st.binary(max_size=40).map(
        lambda b: b.replace(b",", b"").replace(b"\n", b"").replace(b"\r", b"")
    ),
)
_DIRECTION = {"01": "mo", "02": "mt", "03": "fwd"}


def _csv_line(record: tuple[str, str, str, str, datetime, int]) -> bytes:
    kind, ref, calling, called, when, duration = record
    stamp = when.strftime("%Y%m%d%H%M%S")
    return f"{kind},{ref},GZ-SW01,{calling},{called},020,{stamp},{duration},11,,TG0101,".encode()


def _fixed_line(record: tuple[str, str, str, str, datetime, int]) -> bytes:
    kind, ref, calling, called, when, duration = record
    code = {"01": "00", "02": "01", "03": "02"}[kind]
    line = zte(code, ref, calling, called, when.strftime("%Y%m%d%H%M%S"), str(duration))
    return line.encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(st.one_of(_good.map(lambda g: ("good", g)), _garbage.map(lambda b: ("bad", b))),
                   max_size=40),
    fixed=st.booleans(),
)  # fmt: skip
def test_random_mixes_lose_nothing_and_decode_good_records_exactly(
    items: list[tuple[str, Any]], fixed: bool
) -> None:
    layout = ZTE if fixed else HUAWEI
    lines: list[bytes] = []
    for kind, item in items:
        if kind == "good":
            lines.append(_fixed_line(item) if fixed else _csv_line(item))
        else:
            raw = item if isinstance(item, bytes) else item.encode()
            if fixed and len(raw.decode("utf-8", "replace")) == 120:
                raw += b"#"  # garbage must not be exactly one record long
            lines.append(raw)
    header = b"HDRGZ-SW02 0000000720050315000000" if fixed else b"HDR,GZ-SW01,7,20050315000000"
    trailer = b"TRL" + str(len(lines)).rjust(10, "0").encode() if fixed else b"TRL,%d" % len(lines)
    decoded = decode_switch_bytes(b"\n".join([header, *lines, trailer]) + b"\n", layout)

    assert decoded.file_error is None
    got = rows(decoded.records)
    assert len(got) == len(lines)
    for number, ((kind, item), row) in enumerate(zip(items, got, strict=True)):
        assert row["record_no"] == number and row["raw_ref"] == f"line={number + 2}"
        if kind == "bad":
            assert row["decode_error"] is not None
            assert row["raw"] is not None and row["call_reference"] is None
            continue
        code, ref, calling, called, when, duration = item
        assert row["decode_error"] is None and row["raw"] is None
        assert row["direction"] == _DIRECTION[code]
        assert (row["call_reference"], row["calling"], row["called"]) == (ref, calling, called)
        assert row["duration_s"] == duration
        local = when.replace(microsecond=0, tzinfo=HUAWEI.time.tzinfo)
        assert row["event_time"] == local.astimezone(UTC)
