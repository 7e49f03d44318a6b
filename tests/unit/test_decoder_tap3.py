"""TAP 3.12 / RAP decoding against the public libxfsx / asn1c sample files and their reference
XML dumps (../shared/testdata/tap3, never copied into the repository)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.mediation.decoders import ber
from openbss.mediation.decoders.tap3 import decode_tap_bytes, decode_tap_file
from openbss.mediation.records import RAW_SCHEMA, FileKind
from tests.support import need

TESTDATA = Path(
    os.environ.get("OPENBSS_TESTDATA_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
)
TAP_DIR = TESTDATA / "tap3"
VALID_COPIES = [
    "tap_3_12_valid.ber",
    "tap_3_12_valid_most_indef.ber",
    "tap_3_12_valid_some_cdr_indefinite.ber",
]


def sample(name: str) -> Path:
    path = TAP_DIR / name
    need(path.is_file(), f"TAP sample {path} is missing (shared test data)")
    return path


# --- the reference XML, read independently of the decoder --------------------------------


def _xml_offsets(root: ET.Element) -> dict[str, timedelta]:
    offsets = {}
    for info in root.iter("UtcTimeOffsetInfo"):
        text = info.findtext("UtcTimeOffset") or ""
        delta = timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))
        offsets[info.findtext("UtcTimeOffsetCode") or ""] = delta if text[0] == "+" else -delta
    return offsets


def xml_events(path: Path) -> list[dict[str, object]]:
    """Per call event: IMSI, numbers, start (UTC), duration, volumes, location, as the XML
    dump shows them."""
    root = ET.parse(path).getroot()
    offsets = _xml_offsets(root)
    events = []
    events_list = root.find("CallEventDetailList")
    assert events_list is not None
    for event in events_list:
        stamp = event.find(".//CallEventStartTimeStamp")
        if stamp is None:
            stamp = event.find(".//ChargingTimeStamp")
        start = None
        if stamp is not None:
            local = datetime.strptime(stamp.findtext("LocalTimeStamp") or "", "%Y%m%d%H%M%S")
            start = local.replace(tzinfo=UTC) - offsets[stamp.findtext("UtcTimeOffsetCode") or ""]

        def number(tag: str, element: ET.Element = event) -> int | None:
            text = element.findtext(f".//{tag}")
            return None if text is None else int(text)

        events.append(
            {
                "kind": event.tag,
                "imsi": event.findtext(".//Imsi"),
                "calling": event.findtext(".//CallingNumber"),
                "called": event.findtext(".//CalledNumber"),
                "event_time": start,
                "duration_s": number("TotalCallEventDuration"),
                "volume_down": number("DataVolumeIncoming"),
                "volume_up": number("DataVolumeOutgoing"),
                "location": event.findtext(".//LocationArea"),
                "cell": event.findtext(".//CellId"),
            }
        )
    return events


DIRECTIONS = {"MobileOriginatedCall": "mo", "MobileTerminatedCall": "mt"}
SERVICES = {
    "MobileOriginatedCall": "voice",
    "MobileTerminatedCall": "voice",
    "GprsCall": "data",
    "SupplServiceEvent": "vas",
}


@pytest.mark.parametrize("name", VALID_COPIES)
def test_valid_batches_match_the_reference_xml(name: str) -> None:
    expected = xml_events(sample("tap_3_12_valid.xml"))
    decoded = decode_tap_file(sample(name))
    assert decoded.file_error is None
    assert decoded.kind is FileKind.USAGE
    assert decoded.records.schema == RAW_SCHEMA
    assert decoded.sequence == 31707
    assert decoded.sender == "WERFD"
    assert decoded.details["format"] == "TAP 3.12"
    assert decoded.details["recipient"] == "XLKJE"
    assert "audit_mismatch" not in decoded.details  # callEventDetailsCount 4 = 4 events
    rows = decoded.records.to_pylist()
    assert len(rows) == len(expected) == 4
    for row, event in zip(rows, expected, strict=True):
        assert row["decode_error"] is None
        assert row["roaming_partner"] == "WERFD"
        assert row["service"] == SERVICES[str(event["kind"])]
        if event["kind"] in DIRECTIONS:
            assert row["direction"] == DIRECTIONS[str(event["kind"])]
        for column in (
            "imsi",
            "calling",
            "called",
            "event_time",
            "duration_s",
            "volume_up",
            "volume_down",
            "location",
            "cell",
        ):
            assert row[column] == event[column], (name, row["record_no"], column)
    assert rows[2]["call_reference"] == "0"  # the GPRS chargingId
    assert {row["switch_id"] for row in rows} == {"foo"}  # recEntityCode 1 → recEntityId


def test_valid_batch_exact_values() -> None:
    rows = decode_tap_file(sample("tap_3_12_valid.ber")).records.to_pylist()
    mt, mo, gprs, suppl = rows
    assert mt["imsi"] == "133713371337133"
    assert mt["event_time"] == datetime(2014, 3, 1, 12, 3, 42, tzinfo=UTC)  # 14:03:42 +0200
    assert (mt["duration_s"], mo["duration_s"], gprs["duration_s"]) == (153, 213, 500)
    assert (gprs["volume_up"], gprs["volume_down"]) == (2_200_000_000, 1_200_000_000)
    assert suppl["event_time"] == datetime(2014, 3, 2, 13, 8, tzinfo=UTC)
    assert mt["raw_ref"] == "offset=258+125"  # the XML dump's MobileTerminatedCall at 258


def _all(buf: bytes, node: ber.Tlv, key: int) -> Iterator[ber.Tlv]:
    if node.key == key:
        yield node
    if node.constructed:
        for child in ber.children(buf, node):
            yield from _all(buf, child, key)


@pytest.mark.parametrize("name", [*VALID_COPIES, "tap_3_12_timestamps.ber"])
def test_rows_agree_with_the_ber_walker(name: str) -> None:
    """Cross-check: IMSI, duration and volumes read from each event's raw bytes by ber.py."""
    for row in decode_tap_file(sample(name)).records.to_pylist():
        raw = bytes.fromhex(row["raw"])
        top = ber.frame(raw)
        imsis = [t.value(raw).hex().rstrip("f") for t in _all(raw, top, ber.app(129))]
        durations = [ber.decode_int(t.value(raw)) for t in _all(raw, top, ber.app(223))]
        downs = [ber.decode_int(t.value(raw)) for t in _all(raw, top, ber.app(250))]
        ups = [ber.decode_int(t.value(raw)) for t in _all(raw, top, ber.app(251))]
        assert [row["imsi"]] == imsis
        assert [row["duration_s"]] == (durations or [None])
        assert [row["volume_down"]] == (downs or [None])
        assert [row["volume_up"]] == (ups or [None])
        offset, length = (int(x) for x in row["raw_ref"].removeprefix("offset=").split("+"))
        assert sample(name).read_bytes()[offset : offset + length] == raw


def test_timestamps_resolve_each_offset_code() -> None:
    decoded = decode_tap_file(sample("tap_3_12_timestamps.ber"))
    assert decoded.file_error is None
    rows = decoded.records.to_pylist()
    assert [r["event_time"] for r in rows] == [
        datetime(2014, 3, 1, 12, 3, 42, tzinfo=UTC),  # code 1: +0200
        datetime(2014, 3, 1, 13, 2, tzinfo=UTC),
        datetime(2014, 3, 1, 13, 8, tzinfo=UTC),
        datetime(2014, 3, 2, 13, 8, tzinfo=UTC),
        datetime(2014, 3, 2, 20, 12, tzinfo=UTC),  # code 2: -0500, 15:12 local
    ]
    # The sample keeps callEventDetailsCount 4 with 5 events: kept as a fact, not a rejection.
    assert decoded.details["audit_mismatch"] == "callEventDetailsCount 4, events 5"


def test_negative_volume_marks_the_record_not_the_file() -> None:
    decoded = decode_tap_file(sample("tap_3_12_negative_volume.ber"))
    assert decoded.file_error is None
    (row,) = decoded.records.to_pylist()
    assert row["decode_error"] == "negative volume"
    assert (row["volume_down"], row["volume_up"]) == (-2, 2_200_000_000)
    assert row["imsi"] == "232323232323232"


def test_asn1c_sample_with_sparse_events() -> None:
    decoded = decode_tap_file(sample("sample-DataInterChange-1.ber"))
    assert decoded.file_error is None
    assert decoded.details["format"] == "TAP 3.10"
    rows = decoded.records.to_pylist()
    assert [r["service"] for r in rows] == ["voice", "voice", "data", "data", "data"]
    assert [r["call_reference"] for r in rows[:2]] == ["4a7794", "4aafa0"]
    assert [(r["location"], r["cell"]) for r in rows[:2]] == [("3505", "7182"), ("3510", "9341")]
    assert all(r["decode_error"] is None and r["event_time"] is None for r in rows)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("tap_3_12_trailing_eoc_invalid.ber", "2 octets after the end of the value"),
        ("length_overflow.ber", "runs past the end"),
        ("deep_invalid.ber", "malformed BER"),
        ("nrt_2_1.ber", "NRTRDE"),
    ],
)
def test_invalid_files_are_rejected_with_a_reason(name: str, reason: str) -> None:
    decoded = decode_tap_file(sample(name))
    assert decoded.file_error is not None and reason in decoded.file_error
    assert decoded.records.num_rows == 0


def test_trailing_eoc_is_what_the_toolkit_misses() -> None:
    """pycrate reads the batch and ignores the two extra octets: framing is ours to check."""
    from pycrate_asn1dir import TAP3

    data = sample("tap_3_12_trailing_eoc_invalid.ber").read_bytes()
    TAP3.TAP_0312.DataInterChange.from_ber(data)
    assert len(TAP3.TAP_0312.DataInterChange.to_ber()) < len(data)
    assert decode_tap_bytes(data[:-2]).file_error is None  # without them the batch is valid


def test_notification() -> None:
    decoded = decode_tap_file(sample("tap_notification.ber"))
    assert decoded.kind is FileKind.NOTIFICATION
    assert decoded.file_error is None
    assert (decoded.sequence, decoded.sender) == (23023, "ABC08")
    assert decoded.records.num_rows == 0


@pytest.mark.parametrize(
    ("name", "kind", "sender", "sequence", "violation"),
    [
        ("rap_ack.ber", FileKind.ACKNOWLEDGEMENT, "DGS01", 123, "size constraint"),
        ("rap_mini.ber", FileKind.RAP, "ABC08", 23, "returnDetails"),
    ],
)
def test_rap_files_are_recognised(
    name: str, kind: FileKind, sender: str, sequence: int, violation: str
) -> None:
    decoded = decode_tap_file(sample(name))
    assert decoded.kind is kind
    assert (decoded.sender, decoded.sequence) == (sender, sequence)
    # Both samples break RAP 1.5 on purpose: recognised, and rejected with the reason.
    assert decoded.file_error is not None and violation in decoded.file_error
    assert decoded.records.num_rows == 0


def _replace_once(data: bytes, old: bytes, new: bytes, start: int) -> bytes:
    at = data.index(old, start)
    return data[:at] + new + data[at + len(old) :]


def test_one_bad_event_is_one_bad_row() -> None:
    data = sample("tap_3_12_valid.ber").read_bytes()
    # The MO call's start (at offset 412) gets a non-digit; its length is unchanged.
    broken = _replace_once(data, b"20140301150200", b"2014030115020X", 400)
    # The GPRS call's utcTimeOffsetCode (5f8168 01 01) points to no networkInfo entry.
    broken = _replace_once(broken, bytes.fromhex("5f81680101"), bytes.fromhex("5f81680109"), 570)
    rows = decode_tap_bytes(broken).records.to_pylist()
    assert [r["decode_error"] for r in rows] == [
        None,
        "invalid localTimeStamp '2014030115020X'",
        "utcTimeOffsetCode 9 not in the batch's networkInfo",
        None,
    ]
    assert rows[1]["raw"] and rows[1]["raw_ref"] == "offset=383+125"


def test_unknown_member_or_top_level_tag() -> None:
    assert "not a TAP or RAP file" in (decode_tap_bytes(bytes.fromhex("3000")).file_error or "")
    odd = bytes.fromhex("6103470100")  # [APPLICATION 7] inside a transfer batch
    assert "[APPLICATION 7]" in (decode_tap_bytes(odd).file_error or "")
    empty = bytes.fromhex("6100")
    assert "without BatchControlInfo" in (decode_tap_bytes(empty).file_error or "")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_damaged_batches_never_raise(damage: list[tuple[int, int]]) -> None:
    data = bytearray(sample("tap_3_12_valid.ber").read_bytes())
    for position, octet in damage:
        data[position % len(data)] = octet
    decoded = decode_tap_bytes(bytes(data))  # a reason or rows, never an exception
    assert decoded.records.schema == RAW_SCHEMA
    if decoded.file_error is not None:
        assert decoded.records.num_rows == 0
