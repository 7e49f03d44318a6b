"""Switch CDR layouts: the record format of each switch type, described as data.

A layout is a TOML file beside this module (``huawei_csv.toml``, ``zte_fixed.toml``). It says
how a record is cut into fields (a delimiter, or a character offset and width per field), what
each field means (the :data:`~openbss.mediation.records.RAW_SCHEMA` column it fills) and how it
converts (text, integer, local time in a zone, a code table). A new switch type, or a switch
whose vendor moved a column after an upgrade, is a new or edited layout file, not new code.

The decoder (``decoders/switch_cdr.py``) executes a :class:`Layout`; the traffic generator
(``openbss.simulators.traffic``) writes files in the same layout, so both stay in step with one
description.
Everything is checked on load: a wrong file fails with :class:`LayoutError` naming the file and
the field, never later in the middle of a night's CDR run.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from openbss.kit.errors import Unprocessable
from openbss.mediation.records import RAW_SCHEMA, Direction, ServiceKind

__all__ = [
    "FieldKind",
    "FieldSpec",
    "FrameSpec",
    "Layout",
    "LayoutError",
    "RecordFormat",
    "TimeFormat",
    "available_layouts",
    "load_layout",
    "load_layout_file",
    "parse_layout",
]


class LayoutError(Unprocessable):
    """A layout name that does not exist, or a layout file that does not describe a format."""

    code = "MEDIATION_LAYOUT_INVALID"
    reason = "Invalid switch CDR layout"


class RecordFormat(StrEnum):
    CSV = "csv"  # fields separated by a one-character delimiter, no quoting
    FIXED = "fixed"  # fields at fixed character offsets, padded to their width


class FieldKind(StrEnum):
    TEXT = "text"  # kept as written (padding removed)
    INT = "int"  # unsigned decimal digits
    TIME = "time"  # local time in the layout's time format and zone
    CODE = "code"  # a code looked up in the field's code table


# Columns a decoder fills itself: a layout may not claim them.
_RESERVED = frozenset({"record_no", "raw_ref", "raw", "decode_error"})
_KIND_OF_TYPE: dict[pa.DataType, frozenset[FieldKind]] = {
    pa.string(): frozenset({FieldKind.TEXT, FieldKind.CODE}),
    pa.int64(): frozenset({FieldKind.INT}),
}
# A code table for these columns may only map to the contract's enumerations.
_CODE_VALUES: dict[str, frozenset[str]] = {
    "direction": frozenset(d.value for d in Direction),
    "service": frozenset(s.value for s in ServiceKind),
}
# Names a header or trailer field may have; "tag" is the literal that marks the line.
FRAME_FIELDS = frozenset({"tag", "switch_id", "sequence", "created", "count"})
_FIXED_LENGTH_DIRECTIVES = re.compile(r"%[YmdHMSy]")
_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a record (or of a header / trailer line)."""

    name: str
    kind: FieldKind = FieldKind.TEXT
    target: str | None = None  # the RAW_SCHEMA column it fills; None: kept in ``raw`` only
    start: int | None = None  # fixed width: 0-based character offset
    width: int | None = None  # fixed width: characters
    align: str = "left"  # fixed width: "left" (padded on the right) or "right"
    pad: str = " "  # fixed width: the padding character
    strip: bool = False  # CSV: remove surrounding blanks
    required: bool = False  # an empty value makes the record undecodable
    codes: tuple[tuple[str, str], ...] = ()  # CODE: (code as written, value)

    @property
    def code_map(self) -> dict[str, str]:
        return dict(self.codes)

    @property
    def stop(self) -> int:
        """End offset (exclusive) of a fixed-width field."""
        assert self.start is not None and self.width is not None
        return self.start + self.width


@dataclass(frozen=True, slots=True)
class TimeFormat:
    """How times are written: a ``strftime`` pattern, in local time of ``zone``."""

    format: str
    zone: str
    length: int | None  # characters of every valid value, when the pattern is all-numeric

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """A header or trailer line: recognised by its tag, cut like the records."""

    tag: str
    fields: tuple[FieldSpec, ...]
    required: bool = True

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    description: str
    format: RecordFormat
    time: TimeFormat
    fields: tuple[FieldSpec, ...]
    delimiter: str = ","  # CSV only
    record_length: int | None = None  # fixed width only: characters of every record line
    header: FrameSpec | None = None
    trailer: FrameSpec | None = None
    file_suffix: str = ".cdr"

    def field_for(self, target: str) -> FieldSpec | None:
        """The record field that fills ``target``, if any."""
        return next((spec for spec in self.fields if spec.target == target), None)


def available_layouts() -> list[str]:
    """Names of the layouts shipped with the product."""
    folder = resources.files(__name__)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


@cache
def load_layout(name: str) -> Layout:
    """The shipped layout ``name`` (e.g. ``"huawei_csv"``); LayoutError if unknown or invalid."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise LayoutError(f"unknown switch CDR layout {name!r}")
    entry = resources.files(__name__).joinpath(f"{name}.toml")
    if not entry.is_file():
        known = ", ".join(available_layouts())
        raise LayoutError(f"unknown switch CDR layout {name!r}; known layouts: {known}")
    return parse_layout(entry.read_text(encoding="utf-8"), source=f"{name}.toml")


def load_layout_file(path: Path) -> Layout:
    """A layout from any TOML file (an operator's own switch type)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"cannot read layout file {path}: {exc}") from exc
    return parse_layout(text, source=str(path))


def parse_layout(text: str, *, source: str = "<layout>") -> Layout:
    """Check and build a layout from TOML text; every problem names ``source``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return _build(doc, source)
    except LayoutError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise LayoutError(f"{source}: {exc}") from exc


# --- building and checking -------------------------------------------------------------------


class _Doc:
    """Typed access to one TOML table, naming the place of every error."""

    def __init__(self, table: object, where: str) -> None:
        if not isinstance(table, dict):
            raise LayoutError(f"{where}: expected a table")
        self.table: dict[str, Any] = table
        self.where = where
        self.used: set[str] = set()

    def get(self, key: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise LayoutError(f"{self.where}: missing {key!r}")
            return default
        value = self.table[key]
        # bool is an int in Python: an integer setting must not accept `true`.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise LayoutError(f"{self.where}: {key!r} must be a {kind.__name__}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise LayoutError(f"{self.where}: unknown setting(s) {', '.join(unknown)}")


def _build(raw: dict[str, Any], source: str) -> Layout:
    doc = _Doc(raw, source)
    name = doc.get("name", str, required=True)
    record_format = _enum(RecordFormat, doc.get("format", str, required=True), f"{source}: format")
    time = _time(_Doc(doc.get("time", dict, required=True), f"{source} [time]"))
    delimiter = doc.get("delimiter", str, ",")
    if record_format is RecordFormat.CSV and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        raise LayoutError(f"{source}: delimiter must be one character other than quotes/newline")
    fixed = record_format is RecordFormat.FIXED
    fields = tuple(
        _field(_Doc(item, f"{source} field #{number}"), fixed=fixed, frame=False)
        for number, item in enumerate(doc.get("fields", list, required=True), start=1)
    )
    if not fields:
        raise LayoutError(f"{source}: a layout needs at least one field")
    _check_fields(fields, source, fixed=fixed)
    record_length = doc.get("record_length", int)
    if fixed:
        widest = max(spec.stop for spec in fields)
        record_length = widest if record_length is None else record_length
        if record_length < widest:
            raise LayoutError(f"{source}: record_length {record_length} < field end {widest}")
    elif record_length is not None:
        raise LayoutError(f"{source}: record_length applies to fixed-width layouts only")
    header = _frame(doc.get("header", dict), f"{source} [header]", fixed=fixed)
    trailer = _frame(doc.get("trailer", dict), f"{source} [trailer]", fixed=fixed)
    if trailer is not None and trailer.field("count") is None:
        raise LayoutError(f"{source} [trailer]: a trailer needs a 'count' field")
    layout = Layout(
        name=name,
        description=doc.get("description", str, ""),
        format=record_format,
        time=time,
        fields=fields,
        delimiter=delimiter,
        record_length=record_length,
        header=header,
        trailer=trailer,
        file_suffix=doc.get("file_suffix", str, ".cdr"),
    )
    doc.finish()
    return layout


def _enum(enum: type[_E], value: str, where: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise LayoutError(f"{where}: {value!r} is not one of {allowed}") from None


def _time(doc: _Doc) -> TimeFormat:
    pattern = doc.get("format", str, required=True)
    zone = doc.get("zone", str, required=True)
    doc.finish()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise LayoutError(f"{doc.where}: unknown time zone {zone!r}") from None
    sample = datetime(2009, 12, 31, 23, 59, 58)  # noqa: DTZ001 - a pattern probe, not a time
    try:
        written = sample.strftime(pattern)
        round_trip = datetime.strptime(written, pattern)  # noqa: DTZ007 - local by design
    except ValueError as exc:
        raise LayoutError(f"{doc.where}: bad time format {pattern!r}: {exc}") from None
    if round_trip != sample:
        raise LayoutError(f"{doc.where}: time format {pattern!r} must carry date and time")
    # An all-numeric pattern has one length; the decoder rejects values of any other length,
    # which the permissive strptime engines would otherwise read (e.g. one digit short).
    numeric = re.sub(r"[^%]", "", _FIXED_LENGTH_DIRECTIVES.sub("", pattern)) == ""
    return TimeFormat(pattern, zone, len(written) if numeric else None)


def _field(doc: _Doc, *, fixed: bool, frame: bool) -> FieldSpec:
    name = doc.get("name", str, required=True)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise LayoutError(f"{doc.where}: field name {name!r} must be lower_snake_case")
    where = f"{doc.where} ({name})"
    kind = _enum(FieldKind, doc.get("kind", str, "text"), f"{where}: kind")
    codes_table = doc.get("codes", dict, {})
    start = doc.get("start", int)
    width = doc.get("width", int)
    align = doc.get("align", str, "left")
    pad = doc.get("pad", str, " ")
    spec = FieldSpec(
        name=name,
        kind=kind,
        target=None if frame else doc.get("target", str),
        start=start,
        width=width,
        align=align,
        pad=pad,
        strip=doc.get("strip", bool, False),
        required=doc.get("required", bool, False),
        codes=tuple((str(code), _code_value(value, where)) for code, value in codes_table.items()),
    )
    doc.finish()
    if fixed:
        if start is None or width is None or start < 0 or width <= 0:
            raise LayoutError(f"{where}: fixed-width fields need start >= 0 and width > 0")
        if align not in ("left", "right") or len(pad) != 1:
            raise LayoutError(f"{where}: align must be left/right and pad one character")
    elif start is not None or width is not None:
        raise LayoutError(f"{where}: start/width apply to fixed-width layouts only")
    if (kind is FieldKind.CODE) != bool(spec.codes):
        raise LayoutError(f"{where}: a code table belongs to (and only to) kind = 'code'")
    return spec


def _code_value(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise LayoutError(f"{where}: code values must be strings")
    return value


def _check_fields(fields: tuple[FieldSpec, ...], source: str, *, fixed: bool) -> None:
    names = [spec.name for spec in fields]
    if len(set(names)) != len(names):
        raise LayoutError(f"{source}: field names repeat")
    targets = [spec.target for spec in fields if spec.target is not None]
    if len(set(targets)) != len(targets):
        raise LayoutError(f"{source}: two fields fill the same column")
    for spec in fields:
        where = f"{source} field {spec.name!r}"
        if spec.target is None:
            continue
        if spec.target in _RESERVED or spec.target not in RAW_SCHEMA.names:
            raise LayoutError(f"{where}: {spec.target!r} is not a column a layout can fill")
        column_type = RAW_SCHEMA.field(spec.target).type
        allowed = (
            frozenset({FieldKind.TIME})
            if pa.types.is_timestamp(column_type)
            else _KIND_OF_TYPE[column_type]
        )
        if spec.kind not in allowed:
            raise LayoutError(f"{where}: kind {spec.kind} cannot fill {spec.target}")
        allowed_values = _CODE_VALUES.get(spec.target)
        if allowed_values is not None:
            if spec.kind is not FieldKind.CODE:
                raise LayoutError(f"{where}: {spec.target} must come from a code table")
            wrong = sorted({value for _, value in spec.codes} - allowed_values)
            if wrong:
                raise LayoutError(f"{where}: {', '.join(wrong)} not in {sorted(allowed_values)}")
    if fixed:
        ordered = sorted(fields, key=lambda spec: spec.start or 0)
        for before, after in itertools.pairwise(ordered):
            if before.stop > (after.start or 0):
                raise LayoutError(f"{source}: fields {before.name} and {after.name} overlap")


def _frame(table: dict[str, Any] | None, where: str, *, fixed: bool) -> FrameSpec | None:
    if table is None:
        return None
    doc = _Doc(table, where)
    tag = doc.get("tag", str, required=True)
    fields = tuple(
        _field(_Doc(item, f"{where} field #{number}"), fixed=fixed, frame=True)
        for number, item in enumerate(doc.get("fields", list, required=True), start=1)
    )
    frame = FrameSpec(tag=tag, fields=fields, required=doc.get("required", bool, True))
    doc.finish()
    names = [spec.name for spec in fields]
    if not names or names[0] != "tag" or len(set(names)) != len(names):
        raise LayoutError(f"{where}: fields must start with 'tag' and not repeat")
    unknown = sorted(set(names) - FRAME_FIELDS)
    if unknown:
        raise LayoutError(f"{where}: unknown field(s) {', '.join(unknown)}")
    if not tag or "\n" in tag:
        raise LayoutError(f"{where}: tag must be a non-empty single-line text")
    return frame
