"""Decoder of Kamailio ``acc`` log lines into voice call rows.

Kamailio's acc module writes one line per accounted SIP transaction, to syslog or (run with
``-E``) to stderr, e.g.::

    1(4242) NOTICE: acc [acc.c:261]: acc_log_request(): ACC: transaction answered:
    timestamp=1700000000;time_exten=402253;method=INVITE;from_tag=a1;to_tag=b2;
    call_id=1-42@10.0.0.1;code=200;reason=OK;src_user=1001;dst_user=02012345678;switch_id=sip-1

(one line in the log). deploy/kamailio/kamailio.cfg configures it: INVITE and BYE accounted,
``time_mode`` 1 (``time_exten`` = microseconds), and the extra fields ``src_user`` (From
user), ``dst_user`` (Request-URI user, the number as dialled) and ``switch_id``.

A call is the answered INVITE (code 2xx) and the BYE of the same dialog — the same Call-ID and
the same two tags, in either order, since either party may hang up; when only one answered
dialog has that Call-ID, the Call-ID alone pairs them. Each call gives one row:
``event_time`` = the INVITE's answer time (UTC: acc's timestamp is Unix time);
``duration_s`` = BYE time − answer time, in whole seconds rounded half up from the
microseconds (without ``time_exten`` both times are whole seconds and the duration can be off
by up to one second); ``calling`` = src_user, ``called`` = dst_user, both as written;
``switch_id`` = the line's switch_id field, else the ``switch_id`` argument; ``call_reference``
= Call-ID; direction mo (the proxy accounts the caller's leg).

Nothing is dropped silently:

* An answered INVITE without a BYE in this file → a row with decode_error
  "call not ended in this file" and the answer line as raw. A call that spans two log files is
  thus rejected with its INVITE in one file and its BYE in the next
  ("BYE without an answered INVITE in this file"); both keep their raw lines so the reject
  handling can join them. A later INVITE of an answered dialog is a re-INVITE and only joins
  the raw of the call; the first BYE ends the call, whatever its response code.
* An INVITE that was not answered (code ≥ 300, "call missed") is no usage; it is counted in
  ``details["unanswered"]``. Other accounted methods are counted in ``details["other_methods"]``.
* A line containing ``ACC:`` that cannot be parsed, and a line that is neither an acc line nor
  an ordinary Kamailio / syslog log line (garbage), → a row with decode_error and the line.
  Ordinary log lines without ``ACC:`` (start-up notices, warnings) are not records; they are
  counted in ``details["log_lines"]``.

``record_no`` is the 0-based line that completes the row (the BYE, else the INVITE); ``raw_ref``
names the 1-based lines the row was made from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openbss.mediation.records import Decoded, Direction, ServiceKind, raw_table

CALL_NOT_ENDED = "call not ended in this file"
BYE_WITHOUT_INVITE = "BYE without an answered INVITE in this file"

_ACC = re.compile(r"\bACC: (?P<event>[^:;=]+): (?P<fields>.*)$")
# A Kamailio log line that is not an acc record: stderr form " 1(4242) INFO: ..." or syslog
# forms "Jan  2 03:04:05 host kamailio[42]: ..." / "2025-01-02T03:04:05+00:00 host prog[42]: ".
_LOG_LINE = re.compile(
    r"^\s*\d+\(\d+\) [A-Z]+:"
    r"|^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+?(\[\d+\])?: "
    r"|^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* \S+ \S+?(\[\d+\])?: "
)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REQUIRED = ("timestamp", "method", "call_id", "code")


class _BadLine(ValueError):
    """An acc line whose fields cannot be used; the message is the decode_error."""


@dataclass(frozen=True)
class _AccLine:
    line_no: int  # 0-based
    text: str
    event: str  # "transaction answered", "call missed", ...
    fields: Mapping[str, str]
    time: datetime
    code: int

    @property
    def method(self) -> str:
        return self.fields["method"].upper()

    @property
    def call_id(self) -> str:
        return self.fields["call_id"]

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(
            tag for tag in (self.fields.get("from_tag"), self.fields.get("to_tag")) if tag
        )


@dataclass
class _Call:
    answer: _AccLine
    bye: _AccLine | None = None
    extra: tuple[_AccLine, ...] = ()  # re-INVITEs and further BYEs: raw only


def decode_kamailio_acc(path: Path, *, switch_id: str | None = None) -> Decoded:
    """Decode one Kamailio log file with acc lines (see the module docstring)."""
    text = path.read_bytes().decode("utf-8", errors="backslashreplace")
    lines = text.split("\n")  # not splitlines(): garbage may hold other line separators
    if lines[-1] == "":
        lines.pop()
    rows: list[dict[str, object]] = []
    accs: list[_AccLine] = []
    counts = {"acc_lines": 0, "log_lines": 0, "unanswered": 0, "other_methods": 0}
    for line_no, raw_line in enumerate(lines):
        line = raw_line.removesuffix("\r")
        if not line.strip():
            continue
        match = _ACC.search(line)
        if match is None:
            if _LOG_LINE.match(line):
                counts["log_lines"] += 1
            else:
                rows.append(_error_row(line_no, line, "not a Kamailio acc or log line"))
            continue
        counts["acc_lines"] += 1
        try:
            accs.append(_parse(line_no, line, match.group("event"), match.group("fields")))
        except _BadLine as exc:
            rows.append(_error_row(line_no, line, str(exc)))

    # Answers first, then BYEs: log lines of two Kamailio processes may come out of order.
    calls: list[_Call] = []
    by_dialog: dict[tuple[str, frozenset[str]], _Call] = {}
    by_call_id: dict[str, list[_Call]] = {}
    for acc in accs:
        if acc.method != "INVITE":
            continue
        call = by_dialog.get((acc.call_id, acc.tags))
        if call is not None:
            call.extra += (acc,)  # a re-INVITE of an answered dialog
        elif 200 <= acc.code < 300 and acc.event != "call missed":
            call = _Call(answer=acc)
            calls.append(call)
            by_dialog[(acc.call_id, acc.tags)] = call
            by_call_id.setdefault(acc.call_id, []).append(call)
        else:
            counts["unanswered"] += 1
    for acc in accs:
        if acc.method == "INVITE":
            continue
        if acc.method != "BYE":
            counts["other_methods"] += 1
            continue
        call = _find_call(acc, by_dialog, by_call_id)
        if call is None:
            row = _error_row(acc.line_no, acc.text, BYE_WITHOUT_INVITE)
            row["call_reference"] = acc.call_id  # to join it with its INVITE's reject
            row["switch_id"] = acc.fields.get("switch_id") or switch_id
            rows.append(row)
        elif call.bye is None:
            call.bye = acc  # the first BYE (in file order) ends the call
        else:
            call.extra += (acc,)

    rows.extend(_call_row(call, switch_id) for call in calls)
    rows.sort(key=_record_no)
    switches = {row["switch_id"] for row in rows if row.get("switch_id")}
    return Decoded(
        records=raw_table(rows),
        sender=str(switches.pop()) if len(switches) == 1 else None,
        details={name: str(value) for name, value in counts.items()},
    )


def _parse(line_no: int, line: str, event: str, body: str) -> _AccLine:
    fields: dict[str, str] = {}
    last_key: str | None = None
    for part in body.split(";"):
        key, equals, value = part.partition("=")
        if equals and _KEY.match(key) and key not in fields:
            fields[key] = value
            last_key = key
        elif last_key is not None:
            # Kamailio does not escape values: a ';' inside one (a user part such as
            # "123;phone-context=+86") continues the previous field.
            fields[last_key] += ";" + part
        else:
            raise _BadLine(f"acc fields expected after {event!r}")
    missing = [name for name in _REQUIRED if not fields.get(name)]
    if missing:
        raise _BadLine(f"acc line without {', '.join(missing)}")
    if not fields["code"].isdigit():
        raise _BadLine(f"bad code {fields['code']!r}")
    return _AccLine(line_no, line, event, fields, _event_time(fields), int(fields["code"]))


def _event_time(fields: Mapping[str, str]) -> datetime:
    seconds, micros = fields["timestamp"], fields.get("time_exten", "0") or "0"
    if not seconds.isdigit() or not micros.isdigit() or int(micros) >= 1_000_000:
        raise _BadLine(f"bad timestamp {seconds!r} / time_exten {micros!r}")
    try:
        return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(micros))
    except (OverflowError, OSError, ValueError):
        raise _BadLine(f"timestamp out of range {seconds!r}") from None


def _find_call(
    bye: _AccLine,
    by_dialog: Mapping[tuple[str, frozenset[str]], _Call],
    by_call_id: Mapping[str, list[_Call]],
) -> _Call | None:
    call = by_dialog.get((bye.call_id, bye.tags))
    if call is not None:
        return call
    candidates = by_call_id.get(bye.call_id, [])
    return candidates[0] if len(candidates) == 1 else None


def _call_row(call: _Call, default_switch: str | None) -> dict[str, object]:
    answer, bye = call.answer, call.bye
    lines = sorted([answer, *call.extra, *([bye] if bye else [])], key=lambda acc: acc.line_no)
    numbers = ",".join(str(acc.line_no + 1) for acc in lines)
    row: dict[str, object] = {
        "record_no": (bye or answer).line_no,
        "raw_ref": f"line={numbers}" if len(lines) == 1 else f"lines={numbers}",
        "event_time": answer.time,
        "calling": answer.fields.get("src_user"),
        "called": answer.fields.get("dst_user"),
        "service": ServiceKind.VOICE.value,
        "direction": Direction.ORIGINATING.value,
        "switch_id": answer.fields.get("switch_id") or default_switch,
        "call_reference": answer.call_id,
        "raw": "\n".join(acc.text for acc in lines),
        "decode_error": None,
    }
    if bye is None:
        row["decode_error"] = CALL_NOT_ENDED
        return row
    elapsed = bye.time - answer.time
    if elapsed < timedelta(0):
        row["decode_error"] = "BYE before the answer (clock stepped back?)"
        return row
    micros = elapsed // timedelta(microseconds=1)
    row["duration_s"] = (micros + 500_000) // 1_000_000  # half up, see the module docstring
    return row


def _record_no(row: Mapping[str, object]) -> int:
    number = row["record_no"]
    assert isinstance(number, int)
    return number


def _error_row(line_no: int, line: str, error: str) -> dict[str, object]:
    return {
        "record_no": line_no,
        "raw_ref": f"line={line_no + 1}",
        "service": ServiceKind.VOICE.value,
        "raw": line,
        "decode_error": error,
    }
