"""The contract between decoders and the mediation pipeline.

A decoder reads one file (or one batch of pushed records) and returns a :class:`Decoded`: the
records as rows of :data:`RAW_SCHEMA` — values as the network wrote them, not yet normalised —
or, when the file as a whole cannot be trusted (truncated, trailing garbage, a length that
does not match, an unknown layout), a ``file_error`` and no rows. A record that cannot be
decoded on its own is a row with ``decode_error`` set and its raw bytes kept, so that it is
rejected with the reason and never silently dropped.

The pipeline (pipeline.py) normalises, validates, deduplicates and guides the rows into the
usage store (:data:`USAGE_SCHEMA`) or the rejects (:data:`REJECT_SCHEMA`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa

UTC_MICROS = pa.timestamp("us", tz="UTC")


class FileKind(StrEnum):
    USAGE = "usage"  # call / session records to rate
    RAP = "rap"  # TAP Returned Account Procedure: a partner returns our TAP file
    NOTIFICATION = "notification"  # TAP notification: no records this period
    ACKNOWLEDGEMENT = "acknowledgement"


class ServiceKind(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DATA = "data"  # mobile packet data
    BROADBAND = "broadband"  # a fixed broadband (RADIUS) session
    VAS = "vas"


class Direction(StrEnum):
    ORIGINATING = "mo"
    TERMINATING = "mt"
    FORWARDED = "fwd"


# Raw rows: one per record in the source, in source order.
RAW_SCHEMA = pa.schema(
    [
        ("record_no", pa.int64()),  # 0-based position of the record in the file
        ("raw_ref", pa.string()),  # where it is: "line=17", "offset=1234+96"
        ("event_time", UTC_MICROS),  # start of the call / session; null when unreadable
        ("duration_s", pa.int64()),
        ("volume_up", pa.int64()),  # octets from the subscriber
        ("volume_down", pa.int64()),  # octets to the subscriber
        ("calling", pa.string()),  # as the network wrote it (national, with prefixes, E.164)
        ("called", pa.string()),
        ("service", pa.string()),  # a ServiceKind value
        ("direction", pa.string()),  # a Direction value
        ("switch_id", pa.string()),  # the network element that wrote the record
        ("call_reference", pa.string()),  # the element's own id of the call / session
        ("area_code", pa.string()),
        ("cell", pa.string()),
        ("location", pa.string()),
        ("imsi", pa.string()),
        ("account_name", pa.string()),  # broadband / RADIUS User-Name
        ("roaming_partner", pa.string()),  # TADIG code of the visited / home network
        ("trunk_in", pa.string()),  # the trunk group the call entered the switch by
        ("trunk_out", pa.string()),  # the trunk group the call left the switch by
        ("raw", pa.string()),  # the record as text (CSV line, hex of BER bytes)
        ("decode_error", pa.string()),  # set: this record could not be decoded
    ]
)


@dataclass
class Decoded:
    """What a decoder made of one file."""

    records: pa.Table  # RAW_SCHEMA; empty when file_error is set
    kind: FileKind = FileKind.USAGE
    file_error: str | None = None  # the whole file is rejected with this reason
    sequence: int | None = None  # the file sequence number the source wrote, for gap checks
    sender: str | None = None  # e.g. TAP sender TADIG code, or the switch id
    details: dict[str, str] = field(default_factory=dict)  # header facts worth keeping


def empty_raw() -> pa.Table:
    return RAW_SCHEMA.empty_table()


def raw_table(rows: list[dict[str, object]]) -> pa.Table:
    """Rows (dicts with any subset of RAW_SCHEMA's names) as a RAW_SCHEMA table."""
    columns = {name: [row.get(name) for row in rows] for name in RAW_SCHEMA.names}
    return pa.table(columns, schema=RAW_SCHEMA)
