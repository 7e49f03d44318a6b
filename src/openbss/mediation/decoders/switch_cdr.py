"""Switch CDR files (CSV or fixed-width) → raw usage rows, driven by a :class:`Layout`.

A switch writes millions of records a day, so nothing here loops over records in Python:

* CSV bodies are cut by ``pyarrow.csv`` (multithreaded, every column read as text, quoting
  off); fixed-width bodies are split into lines once and cut with Arrow string slices.
* Fields convert with Arrow compute (integers, code tables, time-zone offsets) and Polars'
  strict ``to_datetime`` (Arrow's ``strptime`` would read 31 February as 3 March).
* A record that cannot be decoded (wrong field count, bad time, letters in the duration,
  line noise, bytes that are not UTF-8) is never lost and never fails the file: it becomes a
  row with ``decode_error`` and ``raw`` = the original line, at its own ``record_no`` and
  ``raw_ref`` ("line=<n>", 1-based, counting the header). The slower paths that find such
  lines only run for files that have them.

The file as a whole is judged by its header and trailer: no trailer means the transfer was
truncated, and a trailer count that differs from the record lines means lines were lost or
added; either rejects the file (``file_error``) so that it is fetched again, not half-billed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias, TypeVar
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openbss.mediation.layouts import FieldKind, FieldSpec, FrameSpec, Layout, RecordFormat
from openbss.mediation.records import RAW_SCHEMA, UTC_MICROS, Decoded, FileKind, empty_raw

__all__ = ["decode_switch_buffer", "decode_switch_bytes", "decode_switch_file"]

Column: TypeAlias = pa.Array | pa.ChunkedArray
_T = TypeVar("_T")
_I = TypeVar("_I")
_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - naive on purpose: local wall-clock arithmetic
_MAX_INT_DIGITS = 18  # fits int64 without overflow checks
_UTF8_BLOCK = 4096  # lines validated per Arrow call in a file that holds bytes not UTF-8
_MAX_RECORD_BYTES = 1 << 16  # longer lines are noise; the CSV reader needs them set aside
_EDGE = 1 << 16  # bytes read at each end of a file to find its header and trailer
_CR = re.compile(b"\r")


class _FileRejected(Exception):
    """The file as a whole cannot be trusted; carries the ``file_error`` text."""


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where the records sit in the file, and what its header and trailer said."""

    body_start: int
    body_end: int
    first_line: int  # 1-based line number of the first record line
    sequence: int | None
    details: dict[str, str]
    trailer_count: int | None


@dataclass(frozen=True, slots=True)
class _Body:
    """The record lines of a file, each ending in LF."""

    buffer: pa.Buffer
    has_cr: bool  # a CR is left that is not part of a CRLF line end


@dataclass(slots=True)
class _Cut:
    """A body cut into text fields, one value per line, before conversion."""

    fields: dict[str, Column]  # field name → string values (null when empty)
    rows: int
    errors: Column | None  # per line: why it could not be cut (null where it could)
    lines: pa.Array | None  # the body's lines (large_string), when the cut needed them
    # line index → (reason, printable text) of lines the cut had to set aside
    suspects: dict[int, tuple[str, str]]


def decode_switch_file(path: Path, layout: Layout) -> Decoded:
    """Decode one switch CDR file written in ``layout``."""
    try:
        # Read into Arrow's memory pool, which keeps its pages between files (a fresh Python
        # bytes object would fault in every page again). Not memory-mapped: a file truncated
        # by a re-transfer while mapped would kill the process with SIGBUS.
        with pa.OSFile(str(path)) as file:
            data = file.read_buffer()
    except OSError as exc:
        return _rejected(f"cannot read file: {exc}", None, {"layout": layout.name})
    return decode_switch_buffer(data, layout)


def decode_switch_bytes(data: bytes, layout: Layout) -> Decoded:
    """Decode the content of a switch CDR file (the file-free form, for pushed batches)."""
    return decode_switch_buffer(pa.py_buffer(data), layout)


def decode_switch_buffer(data: pa.Buffer, layout: Layout) -> Decoded:
    """Decode a switch CDR file already in memory."""
    details = {"layout": layout.name}
    try:
        frame = _read_frame(data, layout, details)
    except _FileRejected as exc:
        return _rejected(str(exc), _int_or_none(details.get("sequence")), details)
    body = _body(data, frame)
    if body.buffer.size == 0:
        cut = None
    elif layout.format is RecordFormat.FIXED:
        cut = _cut_fixed(body, layout)
    else:
        cut = _cut_csv(body, layout)
    rows = 0 if cut is None else cut.rows
    if frame.trailer_count is not None and frame.trailer_count != rows:
        return _rejected(
            f"trailer counts {frame.trailer_count} records but the file holds {rows}",
            frame.sequence,
            frame.details,
        )
    records = empty_raw() if cut is None else _convert(cut, body, layout, frame)
    return Decoded(
        records=records,
        kind=FileKind.USAGE,
        sequence=frame.sequence,
        sender=frame.details.get("switch_id"),
        details=frame.details,
    )


def _rejected(reason: str, sequence: int | None, details: dict[str, str]) -> Decoded:
    return Decoded(
        records=empty_raw(),
        file_error=reason,
        sequence=sequence,
        sender=details.get("switch_id"),
        details=details,
    )


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


# --- header, trailer and body ----------------------------------------------------------------


def _read_frame(data: pa.Buffer, layout: Layout, details: dict[str, str]) -> _Frame:
    """Find the header and trailer at the two ends of the file, without scanning the middle."""
    tail = _bytes(data, max(0, data.size - _EDGE), data.size)
    end = data.size - (len(tail) - len(tail.rstrip(b"\r\n")))  # trailing blank lines: nothing
    if end == 0:
        raise _FileRejected("empty file")
    start, first_line, sequence = 0, 1, None
    if layout.header is not None:
        head = _bytes(data, 0, min(end, _EDGE))
        first_end = head.find(b"\n")
        line = head if first_end < 0 else head[:first_end]
        if _is_frame_line(line, layout.header, layout):
            values = _frame_values(line, layout.header, layout, "header")
            details.update(values)
            sequence = _int_or_none(values.get("sequence"))
            start, first_line = min(len(line) + 1, end), 2
        elif layout.header.required:
            raise _FileRejected(f"missing header: the first line is not a {layout.header.tag}")
    body_end, trailer_count = end, None
    if layout.trailer is not None:
        tail_start = max(start, end - _EDGE)
        tail = _bytes(data, tail_start, end)
        last_start = tail_start + tail.rfind(b"\n") + 1
        line = _bytes(data, last_start, end)
        if line and _is_frame_line(line, layout.trailer, layout):
            values = _frame_values(line, layout.trailer, layout, "trailer")
            trailer_count = _int_or_none(values.get("count"))
            details["trailer_count"] = str(trailer_count)
            body_end = last_start
        elif layout.trailer.required:
            marker = b"\n" + re.escape(_frame_prefix(layout.trailer, layout))
            if re.search(marker, memoryview(data)[start:end]):
                raise _FileRejected("data after the trailer")
            raise _FileRejected(f"truncated: no {layout.trailer.tag} trailer")
    return _Frame(start, body_end, first_line, sequence, details, trailer_count)


def _bytes(data: pa.Buffer, start: int, end: int) -> bytes:
    return bytes(data.slice(start, max(0, end - start)).to_pybytes())


def _frame_prefix(spec: FrameSpec, layout: Layout) -> bytes:
    delimiter = layout.delimiter if layout.format is RecordFormat.CSV else ""
    return (spec.tag + delimiter).encode()


def _is_frame_line(line: bytes, spec: FrameSpec, layout: Layout) -> bool:
    return line.rstrip(b"\r") == spec.tag.encode() or line.startswith(_frame_prefix(spec, layout))


def _frame_values(line: bytes, spec: FrameSpec, layout: Layout, what: str) -> dict[str, str]:
    """The named values of a header or trailer line, checked; _FileRejected when unreadable."""
    try:
        text = line.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise _FileRejected(f"bad {what}: not valid UTF-8") from None
    if layout.format is RecordFormat.CSV:
        parts = text.split(layout.delimiter)
        if len(parts) != len(spec.fields):
            found = len(parts)
            raise _FileRejected(f"bad {what}: expected {len(spec.fields)} fields, found {found}")
    else:
        parts = [_unpad(text[field.start : field.stop], field) for field in spec.fields]
    values: dict[str, str] = {}
    for field, value in zip(spec.fields, parts, strict=True):
        value = value.strip()
        if field.name == "tag":
            continue
        if field.kind is FieldKind.INT:
            if not value.isascii() or not value.isdigit():
                raise _FileRejected(f"bad {what}: {field.name} {value!r} is not a number")
            value = str(int(value))
        elif field.kind is FieldKind.TIME:
            value = _frame_time(value, layout, what, field.name)
        values[field.name] = value
    return values


def _frame_time(value: str, layout: Layout, what: str, name: str) -> str:
    try:
        local = datetime.strptime(value, layout.time.format)  # noqa: DTZ007 - zone added next
    except ValueError:
        raise _FileRejected(f"bad {what}: {name} {value!r} is not a time") from None
    instant = local.replace(tzinfo=layout.time.tzinfo).astimezone(UTC)
    return instant.isoformat().replace("+00:00", "Z")


def _unpad(value: str, field: FieldSpec) -> str:
    if field.kind is FieldKind.INT and field.pad.isdigit():
        return value  # leading zeros are part of the number
    return value.rstrip(field.pad) if field.align == "left" else value.lstrip(field.pad)


def _body(data: pa.Buffer, frame: _Frame) -> _Body:
    """The record lines, without copying the file unless its line ends must change."""
    body = data.slice(frame.body_start, frame.body_end - frame.body_start)
    if _CR.search(memoryview(body)) is not None:
        # Switches behind Windows collectors write CRLF; the line is the same.
        text = body.to_pybytes().replace(b"\r\n", b"\n")
        text += b"" if text.endswith(b"\n") else b"\n"
        return _Body(pa.py_buffer(text), b"\r" in text)
    if body.size and _bytes(body, body.size - 1, body.size) != b"\n":
        body = pa.py_buffer(body.to_pybytes() + b"\n")  # a file without a trailer
    return _Body(body, False)


def _whole(buffer: pa.Buffer) -> pa.Array:
    """The buffer as a one-value large_binary array, without copying it."""
    offsets = pa.array([0, buffer.size], pa.int64()).buffers()[1]
    return pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, buffer])


def _split_lines(body: pa.Buffer) -> pa.Array:
    """The body's lines as large_binary, without their newline; one Arrow call."""
    lines = pc.split_pattern(_whole(body), b"\n").flatten()
    return lines.slice(0, len(lines) - 1)  # the empty piece after the final newline


def _as_text(lines: pa.Array) -> pa.Array:
    return lines.cast(pa.large_string())


def _is_utf8(body: pa.Buffer) -> bool:
    try:
        _as_text(_whole(body))
    except pa.ArrowInvalid:
        return False
    return True


def _clean_lines(body: pa.Buffer, has_cr: bool) -> tuple[pa.Array, dict[int, tuple[str, str]]]:
    """Lines as text, with the lines Arrow's CSV reader cannot take emptied and reported.

    The reader ends a row at a lone CR, cannot report a row that is not UTF-8 and stops at a
    row longer than its block; such lines are set aside here (only for the files that have
    them) and become ``decode_error`` rows with a printable copy of their bytes.
    """
    lines = _split_lines(body)
    suspects: dict[int, tuple[str, str]] = {}

    def set_aside(mask: pa.Array, reason: str) -> None:
        for index in pc.indices_nonzero(mask).to_pylist():
            raw = lines[index].as_py().decode("utf-8", "backslashreplace")
            suspects.setdefault(index, (reason, raw))

    set_aside(pc.greater(pc.binary_length(lines), _MAX_RECORD_BYTES), "record too long")
    if has_cr:
        set_aside(pc.match_substring(lines, "\r"), "stray carriage return in the record")
    # Probe blocks first: bisecting the whole file would validate it once per level.
    blocks = range(0, len(lines), _UTF8_BLOCK)
    not_utf8 = [i for b in blocks for i in _not_utf8(lines, b, min(_UTF8_BLOCK, len(lines) - b))]
    for index in not_utf8:
        raw = lines[index].as_py().decode("utf-8", "backslashreplace")
        suspects.setdefault(index, ("record is not valid UTF-8", raw))
    if suspects:
        mask = _positions_mask(len(lines), suspects)
        lines = pc.if_else(mask, pa.scalar(b"", pa.large_binary()), lines)
    return _as_text(lines), suspects


def _not_utf8(lines: pa.Array, start: int, count: int) -> list[int]:
    """Indexes of the lines in [start, start + count) that are not UTF-8, by bisection: Arrow
    validates a slice at memory speed but only says yes or no."""
    try:
        _as_text(lines.slice(start, count))
        return []
    except pa.ArrowInvalid:
        if count == 1:
            return [start]
    half = count // 2
    return _not_utf8(lines, start, half) + _not_utf8(lines, start + half, count - half)


def _join_lines(lines: pa.Array) -> pa.Buffer:
    """Lines back into one LF-terminated body (for the CSV reader), in one Arrow call."""
    # An empty last item puts the newline after the last line.
    items = pa.concat_arrays([lines, pa.array([""], pa.large_string())])
    offsets = pa.array([0, len(items)], pa.int64())
    newline = pa.scalar("\n", pa.large_string())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, items), newline)
    value_offsets, data = joined.buffers()[1], joined.buffers()[2]
    assert value_offsets is not None and data is not None
    end = pa.Array.from_buffers(pa.int64(), 2, [None, value_offsets])[1].as_py()
    return data.slice(0, end)


# --- cutting records into fields -------------------------------------------------------------


def _cut_csv(source: _Body, layout: Layout) -> _Cut:
    body = source.buffer
    suspects: dict[int, tuple[str, str]] = {}
    lines: pa.Array | None = None
    if source.has_cr or not _is_utf8(body):
        lines, suspects = _clean_lines(body, source.has_cr)
        body = _join_lines(lines)
    names = [spec.name for spec in layout.fields]
    try:
        table, invalid, set_aside = _read_csv(body, names, layout)
    except pa.ArrowInvalid:
        if lines is not None:
            raise
        # A line longer than the reader's block (line noise that never met a newline).
        lines, suspects = _clean_lines(body, source.has_cr)
        body = _join_lines(lines)
        table, invalid, set_aside = _read_csv(body, names, layout)
    rows = table.num_rows + set_aside
    fields: dict[str, Column] = {name: table.column(name) for name in names}
    errors: Column | None = None
    if invalid:
        # Rows the reader set aside left no position behind (it reads blocks in parallel):
        # find their lines by text. Equal text parses equally, so every match is one of them.
        lines = lines if lines is not None else _as_text(_split_lines(body))
        aside = pc.is_in(lines, value_set=pa.array(list(invalid), pa.large_string()))
        kept = pc.cast(pc.invert(aside), pa.int64())
        position = pc.if_else(aside, None, pc.subtract(pc.cumulative_sum(kept), 1))
        taken = _in_parallel(lambda column: pc.take(column, position), list(fields.values()))
        fields = dict(zip(fields, taken, strict=True))
        expected = len(names)
        messages = [
            f"expected {expected} fields, found {invalid[text]}"
            for text in lines.filter(aside).to_pylist()
        ]
        if len(messages) != set_aside or len(lines) != rows:  # pragma: no cover - a guard
            raise AssertionError("the CSV reader and the line splitter disagree")
        errors = pc.replace_with_mask(
            pa.nulls(rows, pa.string()), aside, pa.array(messages, pa.string())
        )
    return _with_suspects(_Cut(fields, rows, errors, lines, suspects))


def _read_csv(
    body: pa.Buffer, names: list[str], layout: Layout
) -> tuple[pa.Table, dict[str, int], int]:
    """Rows with the right field count, and the text → field count of the rows set aside."""
    invalid: dict[str, int] = {}
    set_aside = 0

    def keep_aside(row: pacsv.InvalidRow) -> str:
        nonlocal set_aside
        invalid[row.text] = row.actual_columns
        set_aside += 1
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter,
            quote_char=False,
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=keep_aside,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            check_utf8=False,  # the body was checked before, in one pass
        ),
    )
    return table, invalid, set_aside


def _cut_fixed(source: _Body, layout: Layout) -> _Cut:
    body = source.buffer
    if source.has_cr or not _is_utf8(body):
        lines, suspects = _clean_lines(body, source.has_cr)
    else:
        lines, suspects = _as_text(_split_lines(body)), {}
    # Switch records are ASCII: then characters are bytes, and byte slicing is several times
    # faster than slicing by code point.
    text = lines if suspects else _as_text(_whole(body))  # the set-aside lines are emptied
    ascii_only = bool(pc.all(pc.string_is_ascii(text)).as_py())
    length = pc.binary_length(lines) if ascii_only else pc.utf8_length(lines)
    wrong = pc.not_equal(length, layout.record_length)
    errors: Column | None = None
    if pc.any(wrong).as_py():
        message = pc.binary_join_element_wise(
            f"expected {layout.record_length} characters, found ",
            pc.cast(length, pa.string()),
            "",
        )
        errors = pc.if_else(wrong, message.cast(pa.string()), None)
    binary = lines.cast(pa.large_binary()) if ascii_only else None

    def cut(spec: FieldSpec) -> Column:
        assert spec.start is not None
        if binary is not None:
            value = pc.binary_slice(binary, spec.start, spec.stop).cast(pa.large_string())
        else:
            value = pc.utf8_slice_codeunits(lines, spec.start, spec.stop)
        if not (spec.kind is FieldKind.INT and spec.pad.isdigit()):  # zeros belong to numbers
            if binary is not None:
                trim = pc.ascii_rtrim if spec.align == "left" else pc.ascii_ltrim
            else:
                trim = pc.utf8_rtrim if spec.align == "left" else pc.utf8_ltrim
            value = trim(value, characters=spec.pad)
        return pc.if_else(pc.equal(value, ""), None, value).cast(pa.string())

    values = _in_parallel(cut, layout.fields)
    fields = {spec.name: value for spec, value in zip(layout.fields, values, strict=True)}
    return _with_suspects(_Cut(fields, len(lines), errors, lines, suspects))


def _with_suspects(cut: _Cut) -> _Cut:
    if not cut.suspects:
        return cut
    positions = sorted(cut.suspects)
    mask = _positions_mask(cut.rows, positions)
    reasons = pa.array([cut.suspects[index][0] for index in positions], pa.string())
    errors = pc.replace_with_mask(pa.nulls(cut.rows, pa.string()), mask, reasons)
    cut.errors = errors if cut.errors is None else pc.coalesce(errors, cut.errors)
    return cut


# --- converting fields to the raw schema -----------------------------------------------------


def _convert(cut: _Cut, body: _Body, layout: Layout, frame: _Frame) -> pa.Table:
    rows = cut.rows
    columns: dict[str, Column] = {}
    problems: list[Column] = [] if cut.errors is None else [cut.errors]

    def convert(spec: FieldSpec) -> tuple[Column, list[Column]]:
        value = cut.fields[spec.name]
        if spec.strip:
            value = pc.utf8_trim_whitespace(value)
            value = pc.if_else(pc.equal(value, ""), None, value)
        converted, bad = _convert_field(value, spec, layout)
        found: list[Column] = []
        if bad is not None:
            found.append(_messages(bad, f"bad {spec.name} '", value, "'"))
        if spec.required and value.null_count:
            found.append(pc.if_else(pc.is_null(value), f"missing {spec.name}", None))
        return converted, found

    for spec, (converted, found) in zip(
        layout.fields, _in_parallel(convert, layout.fields), strict=True
    ):
        problems.extend(found)  # in field order: the first problem of a record is reported
        if spec.target is not None:
            columns[spec.target] = converted
    for name, value in frame.details.items():  # e.g. the switch id, when records do not repeat it
        if name in RAW_SCHEMA.names and name not in columns:
            columns[name] = pa.repeat(pa.scalar(value, pa.string()), rows)

    errors = _first_of(problems, rows)
    failed = None if errors.null_count == rows else pc.is_valid(errors)
    if failed is not None:  # nothing read from an undecodable record is to be trusted
        kept = _in_parallel(lambda value: pc.if_else(failed, None, value), list(columns.values()))
        columns = dict(zip(columns, kept, strict=True))
    out: dict[str, Column] = {
        field.name: columns.get(field.name, pa.nulls(rows, field.type)) for field in RAW_SCHEMA
    }
    out["record_no"] = pl.int_range(0, rows, eager=True).to_arrow()
    out["raw_ref"] = _line_refs(frame.first_line, rows)
    out["decode_error"] = errors
    if failed is not None:
        out["raw"] = _raw_lines(cut, body, failed)
    return pa.table(out, schema=RAW_SCHEMA)


def _convert_field(value: Column, spec: FieldSpec, layout: Layout) -> tuple[Column, Column | None]:
    """The converted column and, when some values did not convert, a mask of those."""
    if spec.kind is FieldKind.TEXT:
        return value, None
    if spec.kind is FieldKind.INT:
        converted = _to_int(value)
    elif spec.kind is FieldKind.CODE:
        codes = spec.code_map
        index = pc.index_in(value, value_set=pa.array(list(codes), pa.string()))
        converted = pc.take(pa.array(list(codes.values()), pa.string()), index)
    else:
        converted = _to_utc(value, layout)
    lost = converted.null_count - value.null_count
    bad = pc.and_(pc.is_valid(value), pc.is_null(converted)) if lost else None
    return converted, bad


def _to_int(value: Column) -> Column:
    """Unsigned decimal integers; null where the text is not one."""
    try:  # the common case, a clean file: one cast
        converted = pc.cast(value, pa.int64())
        if converted.null_count == len(converted) or pc.min(converted).as_py() >= 0:
            return converted
    except pa.ArrowInvalid:
        pass
    digits = pc.and_(
        pc.ascii_is_decimal(value), pc.less_equal(pc.binary_length(value), _MAX_INT_DIGITS)
    )
    return pc.cast(pc.if_else(digits, value, None), pa.int64())


def _to_utc(value: Column, layout: Layout) -> Column:
    """Local times written in the layout's format → UTC instants; null where unreadable."""
    text = pl.from_arrow(value)
    assert isinstance(text, pl.Series)
    parsed = text.str.to_datetime(
        layout.time.format, time_unit="us", strict=False, exact=True, cache=False
    ).to_arrow()
    if layout.time.length is not None:  # e.g. one digit short still parses: refuse it
        wrong = pc.not_equal(pc.binary_length(value), layout.time.length)
        parsed = pc.if_else(wrong, None, parsed)
    local = pc.cast(parsed, pa.int64())
    return pc.cast(pc.subtract(local, _zone_offsets(local, layout.time.tzinfo)), UTC_MICROS)


def _zone_offsets(local_micros: Column, zone: ZoneInfo) -> Column | pa.Scalar:
    """The zone's UTC offset (µs) at each local time, looked up once per distinct minute.

    A day of records spans at most 1,440 minutes, so the zone database is asked a few hundred
    times per file instead of once per record; a zone without daylight saving (Asia/Shanghai)
    ends as one scalar. Ambiguous and skipped local times take the offset before the change.
    """
    minutes = pc.divide(local_micros, 60_000_000)
    distinct = pc.unique(minutes).drop_null().to_pylist()
    offsets = [_offset_micros(zone, minute) for minute in distinct]
    if len(set(offsets)) <= 1:
        return pa.scalar(offsets[0] if offsets else 0, pa.int64())
    index = pc.index_in(minutes, value_set=pa.array(distinct, pa.int64()))
    return pc.take(pa.array(offsets, pa.int64()), index)


def _offset_micros(zone: ZoneInfo, minute: int) -> int:
    offset = zone.utcoffset(_EPOCH + timedelta(minutes=minute))
    return 0 if offset is None else offset // timedelta(microseconds=1)


def _in_parallel(work: Callable[[_I], _T], items: Sequence[_I]) -> list[_T]:
    """``work`` on every item (a file's columns), on all cores: Arrow compute releases the GIL
    but runs each call on one core, and a file has a dozen independent columns."""
    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))


def _positions_mask(rows: int, positions: Iterable[int]) -> pa.Array:
    index = pl.int_range(0, rows, eager=True).to_arrow()
    return pc.is_in(index, value_set=pa.array(list(positions), pa.int64()))


def _messages(mask: Column, before: str, value: Column, after: str) -> Column:
    text = pc.binary_join_element_wise(before, value, after, "")
    return pc.if_else(mask, text, None)


def _first_of(problems: list[Column], rows: int) -> Column:
    if not problems:
        return pa.nulls(rows, pa.string())
    first = problems[0] if len(problems) == 1 else pc.coalesce(*problems)
    return pc.cast(first, pa.string())


def _raw_lines(cut: _Cut, body: _Body, failed: Column) -> Column:
    """The original line of every failed record (null for decoded ones)."""
    lines = cut.lines if cut.lines is not None else _as_text(_split_lines(body.buffer))
    raw = pc.if_else(failed, lines, None).cast(pa.string())
    if cut.suspects:
        positions = sorted(cut.suspects)
        mask = _positions_mask(cut.rows, positions)
        texts = pa.array([cut.suspects[index][1] for index in positions], pa.string())
        raw = pc.replace_with_mask(raw, mask, texts)
    return raw


# "line=<n>" for every record is a string per row; building it costs about a tenth of the
# decode, so the texts are built once and sliced (zero-copy) for every file after that.
_LINE_REF_CACHE_MAX = 4_000_000
_line_ref_lock = threading.Lock()
_line_ref_cache: pa.Array = pa.array([], pa.string())


def _line_refs(first_line: int, rows: int) -> pa.Array:
    global _line_ref_cache
    last = first_line + rows - 1
    cache = _line_ref_cache
    if len(cache) < last:
        built = _build_line_refs(max(last, min(2 * len(cache), _LINE_REF_CACHE_MAX)))
        if last > _LINE_REF_CACHE_MAX:
            return built.slice(first_line - 1, rows)
        with _line_ref_lock:
            _line_ref_cache = cache = built
    return cache.slice(first_line - 1, rows)


def _build_line_refs(count: int) -> pa.Array:
    texts = pl.select(pl.format("line={}", pl.int_range(1, count + 1))).to_series()
    return texts.to_arrow().cast(pa.string())
