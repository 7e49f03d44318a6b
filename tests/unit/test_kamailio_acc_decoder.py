"""The Kamailio acc log decoder on synthetic log text in Kamailio's own line formats."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from openbss.mediation.decoders.kamailio_acc import (
    BYE_WITHOUT_INVITE,
    CALL_NOT_ENDED,
    decode_kamailio_acc,
)
from openbss.mediation.records import RAW_SCHEMA

T0 = 1_740_823_200  # 2025-03-01T10:00:00Z
PREFIX = " 1(4242) NOTICE: acc [acc.c:261]: acc_log_request(): ACC: transaction answered: "


def acc(
    method: str,
    *,
    at: int = T0,
    micros: int | None = 0,
    call_id: str = "c1@10.0.0.5",
    from_tag: str = "ft1",
    to_tag: str = "tt1",
    code: int = 200,
    src_user: str = "1001",
    dst_user: str = "02088886666",
    switch_id: str | None = "sip-1",
    prefix: str = PREFIX,
) -> str:
    fields = [f"timestamp={at}"]
    if micros is not None:
        fields.append(f"time_exten={micros}")
    fields += [
        f"method={method}",
        f"from_tag={from_tag}",
        f"to_tag={to_tag}",
        f"call_id={call_id}",
        f"code={code}",
        "reason=OK" if code == 200 else "reason=Busy Here",
        f"src_user={src_user}",
        "src_domain=example.net",
        f"dst_user={dst_user}",
    ]
    if switch_id is not None:
        fields.append(f"switch_id={switch_id}")
    return prefix + ";".join(fields)


def log(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "kamailio-acc.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(path: Path, **kwargs: str) -> list[dict[str, object]]:
    decoded = decode_kamailio_acc(path, **kwargs)
    assert decoded.file_error is None
    assert decoded.records.schema == RAW_SCHEMA
    return decoded.records.to_pylist()


def test_answered_invite_and_bye_make_one_voice_row(tmp_path: Path) -> None:
    invite = acc("INVITE", at=T0, micros=400_000)
    bye = acc("BYE", at=T0 + 62, micros=100_000)
    decoded = decode_kamailio_acc(log(tmp_path, [invite, bye]))
    [row] = decoded.records.to_pylist()
    assert row["decode_error"] is None
    assert row["event_time"] == datetime(2025, 3, 1, 10, 0, 0, 400_000, tzinfo=UTC)
    assert row["duration_s"] == 62  # 61.7 s, half up
    assert (row["calling"], row["called"]) == ("1001", "02088886666")
    assert (row["service"], row["direction"]) == ("voice", "mo")
    assert (row["switch_id"], row["call_reference"]) == ("sip-1", "c1@10.0.0.5")
    assert row["raw"] == f"{invite}\n{bye}"
    assert (row["record_no"], row["raw_ref"]) == (1, "lines=1,2")
    assert decoded.sender == "sip-1"


def test_duration_rounds_half_up_on_microseconds(tmp_path: Path) -> None:
    lines = [
        acc("INVITE", call_id="a", micros=0),
        acc("BYE", call_id="a", at=T0 + 2, micros=499_999),  # 2.499999 s → 2
        acc("INVITE", call_id="b", micros=500_000),
        acc("BYE", call_id="b", at=T0 + 3, micros=0),  # 2.5 s → 3
        acc("INVITE", call_id="c", micros=999_999),
        acc("BYE", call_id="c", at=T0 + 1, micros=0),  # 0.000001 s → 0
    ]
    result = rows(log(tmp_path, lines))
    assert [(r["call_reference"], r["duration_s"]) for r in result] == [
        ("a", 2),
        ("b", 3),
        ("c", 0),
    ]


def test_without_time_exten_whole_seconds_are_used(tmp_path: Path) -> None:
    lines = [acc("INVITE", micros=None), acc("BYE", at=T0 + 30, micros=None)]
    [row] = rows(log(tmp_path, lines))
    assert row["duration_s"] == 30
    assert row["event_time"] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_callee_hanging_up_swaps_the_tags(tmp_path: Path) -> None:
    lines = [
        acc("INVITE", from_tag="caller", to_tag="callee"),
        acc("BYE", at=T0 + 10, from_tag="callee", to_tag="caller", src_user="02088886666"),
    ]
    [row] = rows(log(tmp_path, lines))
    assert row["duration_s"] == 10
    assert row["calling"] == "1001"  # from the INVITE, not from the callee's BYE


def test_forked_dialogs_are_paired_by_their_tags(tmp_path: Path) -> None:
    lines = [
        acc("INVITE", to_tag="branch-a"),
        acc("INVITE", to_tag="branch-b", micros=10),
        acc("BYE", at=T0 + 1, to_tag="branch-b"),
        acc("BYE", at=T0 + 40, to_tag="branch-a"),
    ]
    result = rows(log(tmp_path, lines))
    assert [(r["raw_ref"], r["duration_s"]) for r in result] == [
        ("lines=2,3", 1),
        ("lines=1,4", 40),
    ]


def test_invite_without_bye_is_rejected_as_not_ended(tmp_path: Path) -> None:
    invite = acc("INVITE")
    [row] = rows(log(tmp_path, [invite]))
    assert row["decode_error"] == CALL_NOT_ENDED
    assert row["duration_s"] is None
    assert row["call_reference"] == "c1@10.0.0.5"
    assert row["raw"] == invite


def test_bye_without_invite_is_rejected(tmp_path: Path) -> None:
    bye = acc("BYE", call_id="from-yesterday")
    [row] = rows(log(tmp_path, [bye]))
    assert row["decode_error"] == BYE_WITHOUT_INVITE
    assert (row["call_reference"], row["switch_id"]) == ("from-yesterday", "sip-1")
    assert row["raw"] == bye


def test_lines_out_of_order_are_still_paired(tmp_path: Path) -> None:
    lines = [acc("BYE", at=T0 + 5), acc("INVITE")]
    [row] = rows(log(tmp_path, lines))
    assert (row["decode_error"], row["duration_s"], row["record_no"]) == (None, 5, 0)


def test_reinvite_and_second_bye_join_the_raw_only(tmp_path: Path) -> None:
    lines = [
        acc("INVITE"),
        acc("INVITE", at=T0 + 3),  # re-INVITE of the same dialog
        acc("BYE", at=T0 + 9),
        acc("BYE", at=T0 + 12, code=481),
    ]
    [row] = rows(log(tmp_path, lines))
    assert row["duration_s"] == 9
    assert row["raw_ref"] == "lines=1,2,3,4"


def test_unanswered_invites_are_counted_not_billed(tmp_path: Path) -> None:
    missed = PREFIX.replace("transaction answered", "call missed")
    lines = [acc("INVITE", code=486), acc("INVITE", call_id="x", code=486, prefix=missed)]
    decoded = decode_kamailio_acc(log(tmp_path, lines))
    assert decoded.records.num_rows == 0
    assert decoded.details["unanswered"] == "2"


def test_garbage_and_broken_acc_lines_are_rejected_log_lines_skipped(tmp_path: Path) -> None:
    lines = [
        " 0(4241) INFO: <core> [main.c:3055]: main(): processes (at least): 7",
        "\x00\x17garbage \ufffd",
        PREFIX + "timestamp=;method=INVITE;call_id=x;code=200",
        PREFIX + "timestamp=abc;method=INVITE;call_id=x;code=200",
        PREFIX + "method=BYE;call_id=x",
        acc("INVITE"),
        acc("BYE", at=T0 + 7),
        "",
        "Mar  1 10:00:01 sip-1 kamailio[4242]: WARNING: <core> something unrelated",
    ]
    decoded = decode_kamailio_acc(log(tmp_path, lines))
    result = decoded.records.to_pylist()
    assert [(r["record_no"], r["decode_error"]) for r in result] == [
        (1, "not a Kamailio acc or log line"),
        (2, "acc line without timestamp"),
        (3, "bad timestamp 'abc' / time_exten '0'"),
        (4, "acc line without timestamp, code"),
        (6, None),
    ]
    assert result[0]["raw"] == "\x00\x17garbage \ufffd"
    assert decoded.details["log_lines"] == "2"
    assert decoded.details["acc_lines"] == "5"


def test_values_with_semicolons_stay_whole(tmp_path: Path) -> None:
    lines = [
        acc("INVITE", dst_user="88886666;phone-context=+86-20"),
        acc("BYE", at=T0 + 1),
    ]
    [row] = rows(log(tmp_path, lines))
    assert row["called"] == "88886666;phone-context=+86-20"


def test_switch_id_argument_is_the_fallback(tmp_path: Path) -> None:
    lines = [acc("INVITE", switch_id=None), acc("BYE", at=T0 + 1, switch_id=None)]
    assert rows(log(tmp_path, lines))[0]["switch_id"] is None
    assert rows(log(tmp_path, lines), switch_id="sip-9")[0]["switch_id"] == "sip-9"


def test_syslog_lines_and_crlf_are_read(tmp_path: Path) -> None:
    syslog = "Mar  1 10:00:00 sip-1 kamailio[4242]: ACC: transaction answered: "
    lines = [
        acc("INVITE", prefix=syslog) + "\r",
        acc("BYE", at=T0 + 4, prefix=syslog) + "\r",
    ]
    [row] = rows(log(tmp_path, lines))
    assert (row["decode_error"], row["duration_s"]) == (None, 4)
