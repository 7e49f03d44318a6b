"""Bank collection (托收) file layouts, described as data.

Each bank's files are a TOML file beside this module (``icbc_fixed.toml``, ``ccb_csv.toml``): the
**request** we send (a debit instruction per line: our batch id, the line number, the billing
account, the bank account, the holder, the amount in fen, the currency) and the **result** the
bank sends back (per line: our line number or reference, a status code meaning paid, refused or
partial, the amount paid, the refusal's code and text, the bank's transaction id), each framed
by an optional header and a trailer carrying the count and totals. A new bank, or a bank that
moves a column, is a new or edited layout, not new code.

Fixed-width fields are counted in **bytes of the layout's encoding**, as banks count them (a
holder's name in GB 18030 takes two bytes a character). Everything is checked on load: a wrong
layout fails with :class:`BankLayoutError` naming the file and the field.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from openbss.kit.errors import Unprocessable

__all__ = [
    "BankLayout",
    "BankLayoutError",
    "FileSpec",
    "ParsedLine",
    "ParsedResult",
    "RecordSpec",
    "available_banks",
    "layout_for_bank",
    "load_bank_layout",
    "parse_bank_layout",
    "read_result",
    "render_file",
    "render_line",
]


class BankLayoutError(Unprocessable):
    code = "BANK_LAYOUT_INVALID"


class FileFormat(StrEnum):
    CSV = "csv"
    FIXED = "fixed"


# What a field of each kind of line may stand for; the integer ones hold decimal digits only.
REQUEST_FIELDS = frozenset(
    {"tag", "batch_id", "line_no", "billing_account_id", "bank_account_no", "holder",
     "amount_fen", "currency"}
)  # fmt: skip
RESULT_FIELDS = frozenset(
    {"tag", "batch_id", "line_no", "reference", "billing_account_id", "bank_account_no",
     "amount_fen", "paid_fen", "status", "reason_code", "reason_text", "bank_txn_id",
     "currency"}
)  # fmt: skip
FRAME_FIELDS = frozenset(
    {"tag", "batch_id", "bank", "date", "count", "total_fen", "paid_fen", "currency"}
)
INTEGER_FIELDS = frozenset({"line_no", "amount_fen", "paid_fen", "count", "total_fen"})
OUTCOMES = frozenset({"paid", "refused", "partial"})
_NAME = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int = 0  # fixed width: 0-based byte offset
    width: int = 0  # fixed width: bytes
    align: str = "left"  # "left" (padded on the right) or "right"
    pad: str = " "


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """A kind of line: recognised by its tag (the value of its ``tag`` field), if it has one."""

    fields: tuple[Field, ...]
    tag: str | None = None

    def field(self, name: str) -> Field | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


@dataclass(frozen=True, slots=True)
class FileSpec:
    detail: RecordSpec
    header: RecordSpec | None = None
    trailer: RecordSpec | None = None


@dataclass(frozen=True, slots=True)
class BankLayout:
    name: str
    bank: str  # our code for the bank: ICBC, CCB, ...
    bank_name: str
    description: str
    format: FileFormat
    encoding: str
    delimiter: str
    line_ending: str
    file_suffix: str
    date_format: str
    request: FileSpec
    result: FileSpec
    status_codes: Mapping[str, str]  # the bank's status code → paid | refused | partial


# ----- loading ------------------------------------------------------------------------------


def available_banks() -> dict[str, str]:
    """Bank code → layout name, for every layout shipped with the product."""
    folder = resources.files(__name__)
    names = sorted(
        e.name.removesuffix(".toml") for e in folder.iterdir() if e.name.endswith(".toml")
    )
    return {load_bank_layout(name).bank: name for name in names}


def layout_for_bank(bank: str) -> BankLayout:
    banks = available_banks()
    name = banks.get(bank.strip().upper())
    if name is None:
        raise BankLayoutError(
            f"no collection layout for bank {bank!r}; known banks: {', '.join(sorted(banks))}",
            code="UNKNOWN_BANK",
        )
    return load_bank_layout(name)


@cache
def load_bank_layout(name: str) -> BankLayout:
    if not _NAME.fullmatch(name):
        raise BankLayoutError(f"unknown bank layout {name!r}")
    entry = resources.files(__name__).joinpath(f"{name}.toml")
    if not entry.is_file():
        raise BankLayoutError(f"unknown bank layout {name!r}")
    return parse_bank_layout(entry.read_text(encoding="utf-8"), source=f"{name}.toml")


def parse_bank_layout(text: str, *, source: str = "<layout>") -> BankLayout:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BankLayoutError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return _build(doc, source)
    except BankLayoutError:
        raise
    except (TypeError, ValueError, KeyError, LookupError) as exc:
        raise BankLayoutError(f"{source}: {exc}") from exc


def _take(table: Mapping[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    if key not in table:
        if default is None:
            raise BankLayoutError(f"{where}: missing {key!r}")
        return default
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BankLayoutError(f"{where}: {key!r} must be a {kind.__name__}")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise BankLayoutError(f"{where}: unknown setting(s) {', '.join(unknown)}")


def _build(doc: dict[str, Any], source: str) -> BankLayout:
    _only(
        doc,
        {"name", "bank", "bank_name", "description", "format", "encoding", "delimiter",
         "line_ending", "file_suffix", "date_format", "request", "result", "status_codes"},
        source,
    )  # fmt: skip
    file_format = FileFormat(_take(doc, "format", str, source))
    encoding = _take(doc, "encoding", str, source, "utf-8")
    "".encode(encoding)  # an unknown codec fails here (LookupError), on load
    delimiter = _take(doc, "delimiter", str, source, ",")
    if file_format is FileFormat.CSV and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        raise BankLayoutError(f"{source}: delimiter must be one character, not a quote/newline")
    fixed = file_format is FileFormat.FIXED
    request = _file(
        _take(doc, "request", dict, source), f"{source} [request]", REQUEST_FIELDS, fixed
    )
    result = _file(_take(doc, "result", dict, source), f"{source} [result]", RESULT_FIELDS, fixed)
    _require(request.detail, {"line_no", "billing_account_id", "bank_account_no", "amount_fen"},
             f"{source} [request.detail]")  # fmt: skip
    _require(result.detail, {"status"}, f"{source} [result.detail]")
    if not ({"line_no", "reference"} & set(result.detail.names)):
        raise BankLayoutError(f"{source} [result.detail]: needs 'line_no' or 'reference'")
    for spec, where in ((request.trailer, "request"), (result.trailer, "result")):
        if spec is None or spec.field("count") is None:
            raise BankLayoutError(f"{source} [{where}.trailer]: a trailer with 'count' is required")
    codes = _take(doc, "status_codes", dict, source)
    status_codes = {str(code): str(outcome) for code, outcome in codes.items()}
    wrong = sorted(set(status_codes.values()) - OUTCOMES)
    if wrong or not status_codes:
        raise BankLayoutError(f"{source}: status codes must map to {sorted(OUTCOMES)}")
    return BankLayout(
        name=_take(doc, "name", str, source),
        bank=_take(doc, "bank", str, source).upper(),
        bank_name=_take(doc, "bank_name", str, source),
        description=_take(doc, "description", str, source, ""),
        format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        line_ending=_take(doc, "line_ending", str, source, "\n"),
        file_suffix=_take(doc, "file_suffix", str, source, ".txt"),
        date_format=_take(doc, "date_format", str, source, "%Y%m%d"),
        request=request,
        result=result,
        status_codes=status_codes,
    )


def _require(spec: RecordSpec, names: set[str], where: str) -> None:
    missing = sorted(names - set(spec.names))
    if missing:
        raise BankLayoutError(f"{where}: missing field(s) {', '.join(missing)}")


def _file(table: dict[str, Any], where: str, detail_names: frozenset[str], fixed: bool) -> FileSpec:
    _only(table, {"header", "detail", "trailer"}, where)
    detail = _record(_take(table, "detail", dict, where), f"{where}.detail", detail_names, fixed)
    header = table.get("header")
    trailer = table.get("trailer")
    return FileSpec(
        detail=detail,
        header=None if header is None else _record(header, f"{where}.header", FRAME_FIELDS, fixed),
        trailer=None
        if trailer is None
        else _record(trailer, f"{where}.trailer", FRAME_FIELDS, fixed),
    )


def _record(table: dict[str, Any], where: str, allowed: frozenset[str], fixed: bool) -> RecordSpec:
    _only(table, {"tag", "fields"}, where)
    fields: list[Field] = []
    for number, item in enumerate(_take(table, "fields", list, where), start=1):
        spot = f"{where} field #{number}"
        if not isinstance(item, dict):
            raise BankLayoutError(f"{spot}: expected a table")
        _only(item, {"name", "start", "width", "align", "pad"}, spot)
        name = _take(item, "name", str, spot)
        if name not in allowed:
            raise BankLayoutError(f"{spot}: {name!r} is not one of {', '.join(sorted(allowed))}")
        if fixed:
            start, width = _take(item, "start", int, spot), _take(item, "width", int, spot)
            align, pad = _take(item, "align", str, spot, "left"), _take(item, "pad", str, spot, " ")
            if start < 0 or width <= 0 or align not in ("left", "right") or len(pad) != 1:
                raise BankLayoutError(f"{spot}: needs start >= 0, width > 0, left/right, one pad")
            fields.append(Field(name, start, width, align, pad))
        else:
            if "start" in item or "width" in item:
                raise BankLayoutError(f"{spot}: start/width apply to fixed-width layouts only")
            fields.append(Field(name))
    names = [spec.name for spec in fields]
    if not names or len(set(names)) != len(names):
        raise BankLayoutError(f"{where}: fields must be given and must not repeat")
    if fixed:
        ordered = sorted(fields, key=lambda spec: spec.start)
        for before, after in itertools.pairwise(ordered):
            if before.start + before.width > after.start:
                raise BankLayoutError(f"{where}: fields {before.name} and {after.name} overlap")
    tag = table.get("tag")
    if tag is not None and (not isinstance(tag, str) or "tag" not in names):
        raise BankLayoutError(f"{where}: a tag needs a 'tag' field to sit in")
    return RecordSpec(tuple(fields), tag)


# ----- writing ------------------------------------------------------------------------------


def render_line(layout: BankLayout, spec: RecordSpec, values: Mapping[str, object]) -> str:
    """One line (without its ending); a value too wide for its field is an error, except the
    holder's name, which banks accept cut short."""
    texts = {spec_field.name: _text(spec, spec_field.name, values) for spec_field in spec.fields}
    if layout.format is FileFormat.CSV:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=layout.delimiter, lineterminator="").writerow(
            [texts[name] for name in spec.names]
        )
        return buffer.getvalue()
    out = bytearray(b" " * max(f.start + f.width for f in spec.fields))
    for spec_field in spec.fields:
        data = _fit(texts[spec_field.name], spec_field, layout.encoding)
        out[spec_field.start : spec_field.start + spec_field.width] = data
    return out.decode(layout.encoding)


def _text(spec: RecordSpec, name: str, values: Mapping[str, object]) -> str:
    if name == "tag" and spec.tag is not None:
        return spec.tag
    value = values.get(name)
    return "" if value is None else str(value)


def _fit(text: str, spec: Field, encoding: str) -> bytes:
    data = text.encode(encoding)
    if len(data) > spec.width:
        if spec.name != "holder":
            raise ValueError(f"{spec.name} {text!r} is wider than its {spec.width} bytes")
        while len(data) > spec.width:  # cut whole characters, never half of one
            text = text[:-1]
            data = text.encode(encoding)
    padding = spec.pad.encode(encoding) * (spec.width - len(data))
    return padding + data if spec.align == "right" else data + padding


def render_file(
    layout: BankLayout,
    spec: FileSpec,
    header: Mapping[str, object],
    details: Iterable[Mapping[str, object]],
    trailer: Mapping[str, object],
) -> bytes:
    """A whole file in the layout's encoding and line ending."""
    lines: list[str] = []
    if spec.header is not None:
        lines.append(render_line(layout, spec.header, header))
    lines.extend(render_line(layout, spec.detail, values) for values in details)
    if spec.trailer is not None:
        lines.append(render_line(layout, spec.trailer, trailer))
    ending = layout.line_ending
    return (ending.join(lines) + ending).encode(layout.encoding)


# ----- reading a result file ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A record line: its fields, or why it could not be read (``values`` empty then)."""

    file_line: int  # 1-based, counting the header
    values: dict[str, str]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedResult:
    header: dict[str, str]
    trailer: dict[str, str]
    lines: list[ParsedLine]
    file_error: str | None = None  # the file as a whole cannot be trusted (truncated, empty)


def read_result(layout: BankLayout, data: bytes) -> ParsedResult:
    """Cut a result file into its header, record lines and trailer. A line that cannot be cut
    is kept with its error (never fails the file); a missing header or trailer does."""
    raw_lines = data.split(b"\n")
    while raw_lines and not raw_lines[-1].strip(b"\r"):
        raw_lines.pop()
    if not raw_lines:
        return ParsedResult({}, {}, [], "empty file")
    spec = layout.result
    header: dict[str, str] = {}
    first = 0
    if spec.header is not None:
        values, error = _cut(layout, spec.header, raw_lines[0])
        if error is not None or values.get("tag") != spec.header.tag:
            return ParsedResult({}, {}, [], "missing header: the first line is not a header")
        header, first = values, 1
    trailer: dict[str, str] = {}
    last = len(raw_lines)
    if spec.trailer is not None:
        values, error = _cut(layout, spec.trailer, raw_lines[-1]) if last > first else ({}, "")
        if error is not None or values.get("tag") != spec.trailer.tag:
            return ParsedResult(header, {}, [], "truncated: the last line is not a trailer")
        trailer, last = values, last - 1
    parsed = [
        _detail(layout, spec.detail, raw, number)
        for number, raw in enumerate(raw_lines[first:last], start=first + 1)
    ]
    return ParsedResult(header, trailer, parsed)


def _detail(layout: BankLayout, spec: RecordSpec, raw: bytes, number: int) -> ParsedLine:
    values, error = _cut(layout, spec, raw)
    if error is None and spec.tag is not None and values.get("tag") != spec.tag:
        error = f"not a detail line (tag {values.get('tag')!r})"
    if error is None:
        error = next(
            (
                f"{name} {values[name]!r} is not a whole number"
                for name in INTEGER_FIELDS
                if values.get(name) and not (values[name].isascii() and values[name].isdigit())
            ),
            None,
        )
    return ParsedLine(number, {} if error else values, error)


def _cut(layout: BankLayout, spec: RecordSpec, raw: bytes) -> tuple[dict[str, str], str | None]:
    raw = raw.removesuffix(b"\r")
    try:
        if layout.format is FileFormat.CSV:
            text = raw.decode(layout.encoding)
            row = next(csv.reader([text], delimiter=layout.delimiter), [])
            if len(row) != len(spec.fields):
                return {}, f"{len(row)} fields, the layout has {len(spec.fields)}"
            return {name: value.strip() for name, value in zip(spec.names, row, strict=True)}, None
        width = max(f.start + f.width for f in spec.fields)
        if len(raw) != width:
            return {}, f"{len(raw)} bytes, the layout's records have {width}"
        return {
            f.name: _unpad(raw[f.start : f.start + f.width].decode(layout.encoding), f)
            for f in spec.fields
        }, None
    except UnicodeDecodeError:
        return {}, f"not {layout.encoding} text"
    except csv.Error as exc:
        return {}, f"unreadable CSV: {exc}"


def _unpad(text: str, spec: Field) -> str:
    """A fixed-width value without its padding; a zero-padded field of zeros is "0"."""
    text = text.strip(" ")
    if spec.pad == " ":
        return text
    unpadded = text.lstrip(spec.pad) if spec.align == "right" else text.rstrip(spec.pad)
    return unpadded or ("0" if text and spec.pad == "0" else "")
