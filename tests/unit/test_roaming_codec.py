"""What we encode, two independent decoders read back: pycrate's TAP 3.12 module and
mediation's strict TAP decoder (BER framing of its own), record for record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.mediation.public import decode_tap_bytes
from openbss.settlement.roaming.codec import OutboundEvent, TapHeader, decode_tap, encode_tap

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2005, 1, 1, tzinfo=UTC)
digits = st.text("0123456789", min_size=5, max_size=15)


@st.composite
def events(draw: st.DrawFn) -> OutboundEvent:
    service = draw(st.sampled_from(["voice", "sms", "data"]))
    direction = "mo" if service == "data" else draw(st.sampled_from(["mo", "mt"]))
    return OutboundEvent(
        record_id=draw(st.text("abc0123", min_size=1, max_size=8)),
        service=service,
        direction=direction,
        event_time=START + timedelta(seconds=draw(st.integers(0, 20 * 365 * 86400))),
        imsi=draw(digits),
        msisdn=draw(st.none() | digits),
        other_party=None if service == "data" else draw(st.none() | digits),
        duration_s=draw(st.integers(0, 86_400)),
        volume_up=draw(st.integers(0, 2**40)) if service == "data" else 0,
        volume_down=draw(st.integers(0, 2**40)) if service == "data" else 0,
        switch_id=draw(st.none() | st.sampled_from(["GZ-MSC01", "SZ-MSC02", "GZ-SGSN1"])),
        call_reference=None,
        units=draw(st.integers(0, 10_000)),
        charge=draw(st.integers(0, 10**9)),
        exchange_rate_code=1,
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(events(), min_size=1, max_size=8), st.integers(1, 99_999))
def test_round_trip(batch: list[OutboundEvent], sequence: int) -> None:
    header = TapHeader("CHNCT", "GBRVF", sequence, START, [(1, 11_950_000)])
    data = encode_tap(header, batch, ZONE)
    decoded = decode_tap_bytes(data)
    assert decoded.file_error is None
    assert (decoded.sender, decoded.sequence, decoded.details["recipient"]) == (
        "CHNCT", sequence, "GBRVF")  # fmt: skip
    rows = decoded.records.to_pylist()
    assert len(rows) == len(batch)
    for row, event in zip(rows, batch, strict=True):
        own, other = (row["called"], row["calling"]) if event.direction == "mt" else (
            row["calling"], row["called"])  # fmt: skip
        assert row["decode_error"] is None
        assert (row["service"], row["direction"]) == (event.service, event.direction)
        assert row["event_time"] == event.event_time
        assert (row["imsi"], own) == (event.imsi, event.msisdn)
        assert other == event.other_party
        assert row["duration_s"] == event.duration_s
        assert row["switch_id"] == event.switch_id
        if event.service == "data":
            assert (row["volume_up"], row["volume_down"]) == (event.volume_up, event.volume_down)
    kind, value = decode_tap(data)
    assert kind == "transferBatch"
    assert value["auditControlInfo"]["totalCharge"] == sum(e.charge for e in batch)
    assert value["auditControlInfo"]["callEventDetailsCount"] == len(batch)
