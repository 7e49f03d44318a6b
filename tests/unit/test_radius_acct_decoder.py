"""The RADIUS accounting spool decoder on synthetic spool files, as the collector writes them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openbss.mediation.decoders.radius_acct import SESSION_STILL_OPEN, decode_radius_spool
from openbss.mediation.records import RAW_SCHEMA

START, STOP, INTERIM, ACCOUNTING_ON = 1, 2, 3, 7
GIGAWORD = 2**32
T0 = 1_740_823_200  # 2025-03-01T10:00:00Z, the session start in most cases below
T0_UTC = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def packet(
    status: int,
    attributes: dict[str, object] | None = None,
    *,
    session: str = "sess-1",
    nas: str = "10.0.0.1",
    ident: int = 1,
    received: str = "2025-03-01T10:00:00.000000Z",
    without: tuple[str, ...] = (),
) -> str:
    """One spool line as the collector writes it (the authenticator stands for the content)."""
    attrs: dict[str, list[object]] = {
        "User-Name": ["alice@isp"],
        "Acct-Status-Type": [status],
        "Acct-Session-Id": [session],
        "NAS-IP-Address": [nas],
        "Calling-Station-Id": ["00-11-22-33-44-55"],
    }
    attrs.update({name: [value] for name, value in (attributes or {}).items()})
    for name in without:
        del attrs[name]
    body = json.dumps(attrs, sort_keys=True)
    record = {
        "received": received,
        "client": nas,
        "client_port": 1646,
        "code": 4,
        "id": ident,
        "authenticator": hashlib.md5(f"{ident}{body}".encode()).hexdigest(),
        "packet": "",
        "attributes": attrs,
    }
    return json.dumps(record, separators=(",", ":"))


def counters(
    session_time: int, up: int, down: int, up_giga: int = 0, down_giga: int = 0
) -> dict[str, object]:
    return {
        "Acct-Session-Time": session_time,
        "Acct-Input-Octets": up,
        "Acct-Output-Octets": down,
        "Acct-Input-Gigawords": up_giga,
        "Acct-Output-Gigawords": down_giga,
        "Event-Timestamp": T0 + session_time,
    }


def spool(tmp_path: Path, lines: list[str], *, seq: int = 7, end: str = "\n") -> Path:
    path = tmp_path / f"radius-20250301T100000Z-{seq:06d}.jsonl"
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, object]]:
    decoded = decode_radius_spool(path)
    assert decoded.file_error is None
    assert decoded.records.schema == RAW_SCHEMA
    return decoded.records.to_pylist()


def test_stop_gives_one_session_with_gigawords(tmp_path: Path) -> None:
    stop = packet(STOP, counters(3600, 5, 7, up_giga=3, down_giga=1))
    decoded = decode_radius_spool(spool(tmp_path, [stop]))

    assert decoded.sequence == 7
    [row] = decoded.records.to_pylist()
    assert row["decode_error"] is None
    assert row["volume_up"] == 3 * GIGAWORD + 5
    assert row["volume_down"] == GIGAWORD + 7
    assert row["duration_s"] == 3600
    assert row["event_time"] == T0_UTC
    assert row["service"] == "broadband"
    assert row["account_name"] == "alice@isp"
    assert row["calling"] == "00-11-22-33-44-55"
    assert row["switch_id"] == "10.0.0.1"
    assert row["call_reference"] == "sess-1"
    assert row["raw"] == stop
    assert (row["record_no"], row["raw_ref"]) == (0, "line=1")


def test_gigawords_default_to_zero_and_large_volumes_stay_exact(tmp_path: Path) -> None:
    big = counters(60, 4_294_967_295, 0, up_giga=1_000_000)
    del big["Acct-Output-Gigawords"]
    [row] = rows(spool(tmp_path, [packet(STOP, big)]))
    assert row["volume_up"] == 1_000_000 * GIGAWORD + 4_294_967_295  # beyond 2**53: no floats
    assert row["volume_down"] == 0


def test_volume_beyond_the_int64_column_is_rejected(tmp_path: Path) -> None:
    stop = packet(STOP, counters(60, 0, 0, up_giga=2**31))  # 2**63 octets
    [row] = rows(spool(tmp_path, [stop]))
    assert row["decode_error"] == "volume out of range"
    assert (row["volume_up"], row["volume_down"], row["duration_s"]) == (None, None, None)
    assert (row["call_reference"], row["raw"]) == ("sess-1", stop)


def test_start_interims_and_stop_count_the_stop_only(tmp_path: Path) -> None:
    lines = [
        packet(START, {"Event-Timestamp": T0}, ident=1),
        packet(INTERIM, counters(600, 1000, 2000), ident=2),
        packet(INTERIM, counters(1200, 5000, 9000, up_giga=1), ident=3),
        packet(STOP, counters(1500, 6000, 9500, up_giga=1), ident=4),
    ]
    [row] = rows(spool(tmp_path, lines))
    assert row["decode_error"] is None
    assert (row["duration_s"], row["volume_up"], row["volume_down"]) == (
        1500,
        GIGAWORD + 6000,
        9500,
    )
    assert row["event_time"] == T0_UTC
    assert (row["record_no"], row["raw_ref"]) == (3, "lines=1,2,3,4")
    assert row["raw"] == "\n".join(lines)


def test_lost_stop_keeps_the_latest_interim_as_an_open_session_reject(tmp_path: Path) -> None:
    lines = [
        packet(START, {"Event-Timestamp": T0}, ident=1),
        # UDP reordered the interims: the one with the larger session time is the latest.
        packet(INTERIM, counters(1200, 5000, 9000), ident=3),
        packet(INTERIM, counters(600, 1000, 2000), ident=2),
    ]
    decoded = decode_radius_spool(spool(tmp_path, lines))
    [row] = decoded.records.to_pylist()
    assert row["decode_error"] == SESSION_STILL_OPEN
    assert (row["duration_s"], row["volume_up"], row["volume_down"]) == (1200, 5000, 9000)
    assert row["event_time"] == T0_UTC
    assert row["record_no"] == 2
    assert decoded.details["sessions_open"] == "1"
    assert decoded.details["sessions_stopped"] == "0"


def test_start_only_is_an_open_session_without_counters(tmp_path: Path) -> None:
    [row] = rows(spool(tmp_path, [packet(START, {"Event-Timestamp": T0})]))
    assert row["decode_error"] == SESSION_STILL_OPEN
    assert (row["duration_s"], row["volume_up"], row["volume_down"]) == (None, None, None)
    assert row["event_time"] == T0_UTC


def test_stop_without_start_in_this_file_is_billed(tmp_path: Path) -> None:
    [row] = rows(spool(tmp_path, [packet(STOP, counters(90, 10, 20))]))
    assert row["decode_error"] is None
    assert row["duration_s"] == 90


def test_identical_retransmissions_count_once(tmp_path: Path) -> None:
    stop = packet(STOP, counters(60, 100, 200))
    decoded = decode_radius_spool(spool(tmp_path, [stop, stop, stop]))
    [row] = decoded.records.to_pylist()
    assert row["volume_up"] == 100
    assert row["raw"] == stop
    assert decoded.details["duplicates"] == "2"
    assert decoded.details["packets"] == "1"


def test_stop_resent_with_new_delay_time_is_one_session(tmp_path: Path) -> None:
    # RFC 2866 §5.2: a new Acct-Delay-Time makes a new packet (new identifier), same usage.
    first = packet(STOP, {**counters(60, 100, 200), "Acct-Delay-Time": 0}, ident=1)
    again = packet(STOP, {**counters(60, 100, 200), "Acct-Delay-Time": 5}, ident=2)
    [row] = rows(spool(tmp_path, [first, again]))
    assert row["decode_error"] is None
    assert row["volume_down"] == 200
    assert row["event_time"] == T0_UTC  # from Event-Timestamp, unchanged by the delay
    assert row["raw_ref"] == "lines=1,2"


def test_conflicting_stops_are_rejected_not_guessed(tmp_path: Path) -> None:
    first = packet(STOP, counters(60, 100, 200), ident=1)
    other = packet(STOP, counters(60, 999, 200), ident=2)
    [row] = rows(spool(tmp_path, [first, other]))
    assert row["decode_error"] == "conflicting Stop records for one session"
    assert row["raw"] == f"{first}\n{other}"


def test_stop_below_an_interim_is_rejected(tmp_path: Path) -> None:
    lines = [
        packet(INTERIM, counters(600, 5000, 100), ident=1),
        packet(STOP, counters(700, 4000, 100), ident=2),  # input went down: gigawords lost?
    ]
    [row] = rows(spool(tmp_path, lines))
    assert row["decode_error"] == "Stop counters below an earlier Interim-Update"


def test_sessions_are_told_apart_by_session_id_and_nas(tmp_path: Path) -> None:
    lines = [
        packet(STOP, counters(10, 1, 1), session="a", nas="10.0.0.1"),
        packet(STOP, counters(20, 2, 2), session="a", nas="10.0.0.2"),
        packet(STOP, counters(30, 3, 3), session="b", nas="10.0.0.1", ident=2),
    ]
    result = rows(spool(tmp_path, lines))
    assert [(r["switch_id"], r["call_reference"], r["duration_s"]) for r in result] == [
        ("10.0.0.1", "a", 10),
        ("10.0.0.2", "a", 20),
        ("10.0.0.1", "b", 30),
    ]


def test_accounting_on_off_carry_no_usage(tmp_path: Path) -> None:
    on = packet(ACCOUNTING_ON, without=("Acct-Session-Id", "User-Name"))
    decoded = decode_radius_spool(spool(tmp_path, [on]))
    assert decoded.records.num_rows == 0
    assert decoded.details["accounting_on_off"] == "1"


def test_malformed_lines_are_rejected_with_their_text(tmp_path: Path) -> None:
    good = packet(STOP, counters(60, 1, 2))
    no_session = packet(STOP, counters(60, 1, 2), without=("Acct-Session-Id",))
    bad_counter = packet(STOP, {**counters(60, 1, 2), "Acct-Input-Octets": "many"}, session="x")
    lines = [
        "{not json",
        "[1, 2]",
        '{"client": "10.0.0.1", "received": "2025-03-01T10:00:00Z"}',
        no_session,
        good,
        bad_counter,
        packet(9, {}, session="y"),
    ]
    result = rows(spool(tmp_path, lines))
    assert [(r["record_no"], r["decode_error"]) for r in result] == [
        (0, "not JSON: Expecting property name enclosed in double quotes"),
        (1, "not a JSON object"),
        (2, "no attributes"),
        (3, "no Acct-Session-Id"),
        (4, None),
        (5, "Acct-Input-Octets is not an unsigned integer"),
        (6, "unsupported Acct-Status-Type 9"),
    ]
    assert result[0]["raw"] == "{not json"
    assert result[0]["raw_ref"] == "line=1"
    assert all(r["service"] == "broadband" for r in result)


def test_torn_last_line_is_never_billed(tmp_path: Path) -> None:
    good = packet(STOP, counters(60, 1, 2))
    torn = packet(STOP, counters(70, 3, 4), session="s2")
    result = rows(spool(tmp_path, [good, torn], end=""))
    assert [r["decode_error"] for r in result] == [
        None,
        "incomplete last line (packet not acknowledged)",
    ]
    assert result[1]["raw"] == torn


def test_open_spool_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "radius-20250301T100000Z-000008.jsonl.part"
    path.write_text(packet(STOP, counters(1, 1, 1)) + "\n")
    decoded = decode_radius_spool(path)
    assert decoded.file_error == "spool file is still being written (.part)"
    assert decoded.records.num_rows == 0
    assert decoded.sequence == 8


def test_empty_spool_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "radius-20250301T100000Z-000009.jsonl"
    path.write_bytes(b"")
    decoded = decode_radius_spool(path)
    assert (decoded.file_error, decoded.records.num_rows, decoded.sequence) == (None, 0, 9)


# -- clocks ----------------------------------------------------------------------------------


def test_event_timestamp_is_the_nas_clock_and_wins_over_receive_time(tmp_path: Path) -> None:
    # The NAS clock is 5 minutes behind the collector and the Stop waited 30 s in its queue:
    # Event-Timestamp already says when the session ended, so the delay is not subtracted.
    stop = packet(
        STOP,
        {**counters(600, 1, 1), "Acct-Delay-Time": 30},
        received="2025-03-01T10:15:30.250000Z",
    )
    [row] = rows(spool(tmp_path, [stop]))
    assert row["event_time"] == T0_UTC


def test_without_event_timestamp_receive_time_minus_delay_and_duration(tmp_path: Path) -> None:
    values = {**counters(600, 1, 1), "Acct-Delay-Time": 30}
    del values["Event-Timestamp"]
    # The receive time is written in UTC; an offset, if a tool wrote one, is honoured.
    stop = packet(STOP, values, received="2025-03-01T18:10:30.250000+08:00")
    [row] = rows(spool(tmp_path, [stop]))
    assert row["event_time"] == T0_UTC + timedelta(microseconds=250_000)
    assert row["duration_s"] == 600
