"""A deterministic switch traffic generator, for the demo and the benchmarks.

It writes a day of fixed-line switch CDR files in any switch layout of the mediation
(``mediation/layouts/*.toml``), as a Guangdong local exchange of the 2000s would: calls follow
the Chinese fixed-line busy hours (peaks 09–11 and 19–22 local, almost nothing 01–06); the
other party is local, a mobile, long distance (0 + a real area code), IP long distance
(17909), international (00 + a real country code) or Hong Kong / Macao / Taiwan; PHS handsets
also send SMS; durations are skewed to short calls. Every number is valid in the real
numbering plan (``phonenumbers``).

On request it injects what the mediation must survive, at given rates: exact duplicate
records (the same line again, in the same file or re-sent at the head of the next one),
garbage lines (truncated, corrupt fields, line noise, bytes that are not UTF-8) and gaps in
the file sequence. The report says exactly how many of each it wrote, so a test can check
the mediation's counts against it.

Same seed, same arguments → byte-identical files. Records are built column-wise with Polars
from bytes of Python's seeded Mersenne Twister: ten million records take about twenty seconds.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from openbss.inventory.public import live_phone_lines
from openbss.mediation.layouts import FieldKind, FieldSpec, FrameSpec, Layout, RecordFormat
from openbss.mediation.layouts import load_layout as _load_layout
from openbss.numbering.calculations import NumberKind
from openbss.refdata.numbering import GUANGDONG, MAJOR_CITIES

__all__ = [
    "GenerationReport",
    "Subscriber",
    "generate_switch_files",
    "subscribers_from_inventory",
]


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A line the switch serves."""

    number: str  # E.164 ("+862083001234") or national ("02083001234", "13312345678")
    area_code: str  # with the trunk prefix: "020"
    kind: NumberKind = NumberKind.FIXED


@dataclass(frozen=True, slots=True)
class GenerationReport:
    files: tuple[Path, ...]
    sequences: tuple[int, ...]  # file sequence number of each file, in order
    records: int  # distinct call records
    duplicates: int  # extra copies of records already written
    garbage_lines: int  # lines that cannot decode
    skipped_sequences: tuple[int, ...]  # sequence numbers no file carries

    @property
    def lines(self) -> int:
        """Record lines over all files (what the trailers count)."""
        return self.records + self.duplicates + self.garbage_lines


# --- the traffic profile ---------------------------------------------------------------------

# Relative call attempts per local hour on a Chinese fixed-line exchange.
HOURLY_WEIGHTS = (30, 15, 8, 5, 4, 5, 10, 25, 50, 80, 90, 80, 50, 45, 60, 70, 70, 60, 55, 75,
                  90, 85, 60, 40)  # fmt: skip
# Holding time bins (seconds, low inclusive, high exclusive) and their weights: most calls
# are short, a few last an hour.
DURATION_BINS = ((1, 10, 80), (10, 30, 180), (30, 60, 200), (60, 120, 180), (120, 180, 120),
                 (180, 300, 100), (300, 600, 80), (600, 1200, 40), (1200, 3600, 20))  # fmt: skip
# Who the other party is, per mille of calls.
OTHER_PARTY = (
    ("local", 470),
    ("mobile", 230),
    ("ddd", 130),
    ("ip", 50),
    ("intl", 30),
    ("hkmotw", 40),
    ("sms", 50),  # only PHS handsets send SMS; a wired line's draw becomes a local call
)
DIRECTIONS = (("mo", 620), ("mt", 330), ("fwd", 50))
# Mobile prefixes of the three operators (docs/domain/numbering.md), weighted to the 13x/15x ranges.
MOBILE_PREFIXES = (
    ("134", 6), ("135", 8), ("136", 8), ("137", 8), ("138", 10), ("139", 10), ("130", 5),
    ("131", 4), ("132", 4), ("133", 5), ("150", 4), ("151", 3), ("152", 2), ("153", 3),
    ("155", 2), ("156", 2), ("157", 1), ("158", 4), ("159", 4), ("180", 2), ("181", 2),
    ("186", 2), ("187", 2), ("188", 2), ("189", 3), ("177", 1), ("199", 1),
)  # fmt: skip
INTERNATIONAL_REGIONS = ("US", "CA", "GB", "JP", "KR", "SG", "MY", "TH", "AU", "DE", "FR",
                         "PH", "VN", "ID", "IT")  # fmt: skip
HK_MO_TW_REGIONS = ("HK", "HK", "HK", "MO", "TW", "TW")
IP_PREFIX = "17909"
# Trunk groups by where the call leaves / enters the exchange (interconnect settlement).
TRUNKS = {
    "local": "TG0101",  # local tandem
    "mobile": "TG0201",  # to the mobile operators' gateways
    "ddd": "TG0301",  # toll centre
    "ip": "TG0501",  # IP long-distance platform
    "intl": "TG0401",  # international gateway
    "hkmotw": "TG0401",
    "sms": "TG0601",  # PHS SMS centre
}
_NUMBER_POOL = 64  # valid numbers per region drawn at the start of a run


# --- public ----------------------------------------------------------------------------------


def generate_switch_files(
    out_dir: Path,
    subscribers: Sequence[Subscriber],
    *,
    day: date,
    files: int,
    records_per_file: int,
    seed: int,
    layout: str = "huawei_csv",
    duplicate_rate: float = 0.0,
    garbage_rate: float = 0.0,
    gap_rate: float = 0.0,
    switch_id: str = "GZ-SW01",
    first_sequence: int = 1,
    pool_seed: int | None = None,
) -> GenerationReport:
    """Write ``files`` CDR files of ``records_per_file`` distinct calls each for ``day``.

    Duplicates and garbage lines come on top of ``records_per_file``; the trailer counts every
    record line. File names are ``<switch>_<yyyymmdd>_<sequence><suffix>``. The foreign
    numbers called are drawn from ``pool_seed`` (default ``seed``): days of one switch that
    share it draw them once.
    """
    if not subscribers:
        raise ValueError("the switch needs at least one subscriber")
    if files < 1 or records_per_file < 1:
        raise ValueError("files and records_per_file must be positive")
    for name, rate in (("duplicate", duplicate_rate), ("garbage", garbage_rate), ("gap", gap_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name}_rate must be between 0 and 1")
    spec = _load_layout(layout)
    out_dir.mkdir(parents=True, exist_ok=True)
    pools = _pools(seed if pool_seed is None else pool_seed)
    served = _served_table(subscribers)
    sequence_rng = random.Random(f"openbss-traffic/{seed}/sequences")

    written: list[Path] = []
    sequences: list[int] = []
    skipped: list[int] = []
    duplicates = garbage = 0
    carried = pl.Series("line", [], pl.Binary)  # duplicates re-sent at the head of the next file
    sequence = first_sequence
    for index in range(files):
        if index and sequence_rng.random() < gap_rate:
            skipped.append(sequence)  # a file the switch numbered but that never arrived
            sequence += 1
        ctx = _Context(spec, day, index, files, sequence, switch_id)
        draw = _FileDraw(random.Random(f"openbss-traffic/{seed}/file/{index}"), records_per_file)
        injected = _inject(
            draw,
            _records(draw, served, pools, ctx),
            spec,
            carried,
            duplicate_rate=duplicate_rate,
            garbage_rate=garbage_rate,
            last=index == files - 1,
        )
        carried = injected.carry
        path = out_dir / f"{switch_id}_{day:%Y%m%d}_{sequence:06d}{spec.file_suffix}"
        closed = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=_window_end(index, files)
        )
        _write(path, spec, injected.lines, switch_id=switch_id, sequence=sequence, created=closed)
        written.append(path)
        sequences.append(sequence)
        duplicates += injected.duplicates
        garbage += injected.garbage
        sequence += 1
    return GenerationReport(
        files=tuple(written),
        sequences=tuple(sequences),
        records=files * records_per_file,
        duplicates=duplicates,
        garbage_lines=garbage,
        skipped_sequences=tuple(skipped),
    )


_KIND_OF_SERVICE_TYPE = {"phs": NumberKind.PHS, "mobile": NumberKind.MOBILE}
# Home area of a mobile line whose product carries none: the provincial capital.
_CAPITAL_AREA = {"GD": "020", "BJ": "010", "SH": "021", "TJ": "022", "CQ": "023", "LN": "024",
                 "JS": "025", "HB": "027", "SC": "028", "SN": "029", "ZJ": "0571"}  # fmt: skip


def subscribers_from_inventory(session: Session, province: str) -> list[Subscriber]:
    """The province's live phone lines (active or suspended products with an E.164 number)."""
    rows = live_phone_lines(session, province)
    subscribers: list[Subscriber] = []
    for number, area_code, service_type in rows:
        kind = _KIND_OF_SERVICE_TYPE.get(service_type or "", NumberKind.FIXED)
        area = area_code or _area_of(number or "", kind, province)
        if number and area:
            subscribers.append(Subscriber(number=number, area_code=area, kind=kind))
    return subscribers


def _area_of(number: str, kind: NumberKind, province: str) -> str | None:
    if kind is NumberKind.MOBILE:
        return _CAPITAL_AREA.get(province)
    national = number.removeprefix("+86")
    for network in GUANGDONG + MAJOR_CITIES:
        if national.startswith(network.area_code[1:]):
            return network.area_code
    return None


# --- randomness ------------------------------------------------------------------------------


class _FileDraw:
    """Uniform 32-bit draws for one file, as Polars columns (one Arrow buffer each)."""

    def __init__(self, rng: random.Random, rows: int) -> None:
        self.rng = rng
        self.rows = rows

    def u32(self, rows: int | None = None) -> pl.Series:
        # Mersenne Twister bytes read as little-endian words (Arrow's byte order on every
        # platform the product runs on): the same seed gives the same column everywhere.
        count = self.rows if rows is None else rows
        raw = pa.py_buffer(self.rng.randbytes(4 * count))
        array = pa.Array.from_buffers(pa.uint32(), count, [None, raw])
        return pl.Series(array).cast(pl.Int64)

    def below(self, limit: int, rows: int | None = None) -> pl.Series:
        """Integers in [0, limit) (limit < 2**32; the modulo bias is immaterial here)."""
        return self.u32(rows) % limit

    def chance(self, rate: float, rows: int | None = None) -> pl.Series:
        return self.u32(rows) < int(rate * 2**32)


def _table(weights: Sequence[tuple[Any, int]]) -> list[Any]:
    """A lookup table in which each value fills its weight's share of the slots."""
    return [value for value, weight in weights for _ in range(weight)]


def _pick(
    draw: _FileDraw, weights: Sequence[tuple[Any, int]], rows: int | None = None
) -> pl.Series:
    table = pl.Series(_table(weights))
    return table.gather(draw.below(len(table), rows))


def _digits(draw: _FileDraw, count: int, rows: int | None = None) -> pl.Series:
    """``count`` random decimal digits (count <= 9) as text."""
    return draw.below(10**count, rows).cast(pl.String).str.zfill(count)


@dataclass(frozen=True, slots=True)
class _Pools:
    """Valid foreign numbers (with the 00 prefix) drawn once per run."""

    international: tuple[str, ...]
    hk_mo_tw: tuple[str, ...]

    @staticmethod
    def draw(rng: random.Random) -> _Pools:
        return _Pools(
            international=_foreign_numbers(rng, INTERNATIONAL_REGIONS),
            hk_mo_tw=_foreign_numbers(rng, HK_MO_TW_REGIONS),
        )


@cache
def _pools(seed: int) -> _Pools:
    # Validating the candidates is most of a small file's cost: a month of files draws once.
    return _Pools.draw(random.Random(f"openbss-traffic/{seed}"))


def _foreign_numbers(rng: random.Random, regions: Sequence[str]) -> tuple[str, ...]:
    """Valid fixed and mobile numbers of each region, dialled with 00; a region listed twice
    (Hong Kong) gets twice the share of calls."""
    numbers: list[str] = []
    for region in dict.fromkeys(regions):
        share = regions.count(region)
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            for _ in range(_NUMBER_POOL):
                candidate = digits[:-4] + f"{rng.randrange(10_000):04d}"
                if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                    numbers.extend(["00" + candidate[1:]] * share)
    return tuple(numbers)


@cache
def _local_digits(area_code: str) -> int:
    """Subscriber-number length inside an area code, as the numbering plan data says."""
    for length in (8, 7):
        probe = f"+86{area_code[1:]}2{'3' * (length - 1)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(probe)):
            return length
    return 8


# --- records ---------------------------------------------------------------------------------


def _served_table(subscribers: Sequence[Subscriber]) -> pl.DataFrame:
    """The served lines as the switch writes them: local number + area code (mobile: 11 digits)."""
    local: list[str] = []
    for subscriber in subscribers:
        national = subscriber.number.strip().replace(" ", "").replace("-", "")
        national = national.removeprefix("+86") if national.startswith("+") else national
        if subscriber.kind is not NumberKind.MOBILE:
            national = national.removeprefix("0")
            area = subscriber.area_code.removeprefix("0")
            if national.startswith(area) and len(national) - len(area) in (7, 8):
                national = national[len(area) :]  # the switch writes the local number
        local.append(national)
    return pl.DataFrame(
        {
            "number": local,
            "area_code": [s.area_code for s in subscribers],
            "phs": [s.kind is NumberKind.PHS for s in subscribers],
            "local_digits": [_local_digits(s.area_code) for s in subscribers],
            # A PHS handset lives near a few base stations of its own.
            "cell_base": [3 * (index % 300_000) for index in range(len(subscribers))],
        },
        schema={
            "number": pl.String,
            "area_code": pl.String,
            "phs": pl.Boolean,
            "local_digits": pl.Int64,
            "cell_base": pl.Int64,
        },
    )


def _minute_cdf() -> list[int]:
    cumulative, total = [], 0
    for minute in range(1440):
        total += HOURLY_WEIGHTS[minute // 60]
        cumulative.append(total)
    return cumulative


_CDF = _minute_cdf()
# Destinations of long distance: the province's cities three times over, then the rest.
_DDD_AREAS = [n.area_code for n in GUANGDONG] * 3 + [n.area_code for n in MAJOR_CITIES]


def _window_end(index: int, files: int) -> int:
    """Local second of the day at which file ``index`` closes (its last busy-hour share)."""
    high = _CDF[-1] * (index + 1) // files
    minute = next(m for m, value in enumerate(_CDF) if value >= high)
    return min(86_399, minute * 60 + 59)


def _records(draw: _FileDraw, served: pl.DataFrame, pools: _Pools, ctx: _Context) -> pl.DataFrame:
    """One file's calls, in start-time order, as text columns named after what they mean."""
    rows = draw.rows
    # Start times: each file covers an equal share of the day's busy-hour distribution.
    low = _CDF[-1] * ctx.index // ctx.files
    high = _CDF[-1] * (ctx.index + 1) // ctx.files
    point = draw.below(max(1, high - low)) + low
    minute = pl.Series(_CDF).search_sorted(point, side="right").cast(pl.Int64)
    # Half the calls from anyone, half leaning to heavy users (a product of two uniforms
    # favours the low indexes), as a real exchange has a few lines that call all day.
    anyone, heavy = draw.below(len(served)), draw.below(len(served)) * draw.below(1000) // 1000
    who = pl.select(pl.when(draw.chance(0.5)).then(anyone).otherwise(heavy)).to_series()
    calls = (
        served[who]
        .with_columns(
            second=minute * 60 + draw.below(60),
            direction=_pick(draw, DIRECTIONS),
            other=_pick(draw, OTHER_PARTY),
            duration=_durations(draw),
            far_u=draw.u32(),
            first_digit=(draw.below(7) + 2).cast(pl.String),
            digits7=_digits(draw, 7),
            mobile=_pick(draw, MOBILE_PREFIXES) + _digits(draw, 8),
            cell_u=draw.below(3),
            withheld=draw.chance(0.02),
        )
        .sort("second", maintain_order=True)
    )
    calls = _resolve_kinds(calls)
    calls = calls.with_columns(far=_other_party(calls, pools))
    return _as_written(calls, ctx, rows)


def _durations(draw: _FileDraw) -> pl.Series:
    bins = _table([((low, high - low), weight) for low, high, weight in DURATION_BINS])
    chosen = draw.below(len(bins))
    low = pl.Series([low for low, _ in bins]).gather(chosen)
    span = pl.Series([span for _, span in bins]).gather(chosen)
    return low + draw.u32() % span


def _resolve_kinds(calls: pl.DataFrame) -> pl.DataFrame:
    """Combinations the network cannot make become the nearest one it can."""
    other, direction = pl.col("other"), pl.col("direction")
    calls = calls.with_columns(  # only PHS handsets send SMS
        other=pl.when((other == "sms") & ~pl.col("phs")).then(pl.lit("local")).otherwise(other)
    )
    return calls.with_columns(  # the IP prefix is dialled, so only originating calls carry it
        other=pl.when((other == "ip") & (direction == "mt")).then(pl.lit("ddd")).otherwise(other),
        direction=pl.when((other == "sms") & (direction == "fwd"))
        .then(pl.lit("mo"))
        .otherwise(direction),
    )


def _other_party(calls: pl.DataFrame, pools: _Pools) -> pl.Series:
    """The other party's number as dialled (originating) or presented (terminating)."""
    areas = pl.Series(_DDD_AREAS)
    pick = calls["far_u"] % len(_DDD_AREAS)
    # Long distance never goes to the caller's own area: move on to the next code.
    pick = pl.select(
        pl.when(areas.gather(pick) == calls["area_code"])
        .then((pick + 1) % len(_DDD_AREAS))
        .otherwise(pick)
    ).to_series()
    ddd_digits = pl.Series([_local_digits(area) for area in _DDD_AREAS]).gather(pick)
    local = calls["first_digit"] + calls["digits7"].str.slice(0, calls["local_digits"] - 1)
    ddd = areas.gather(pick) + calls["first_digit"] + calls["digits7"].str.slice(0, ddd_digits - 1)
    intl = pl.Series(pools.international).gather(calls["far_u"] % len(pools.international))
    hk = pl.Series(pools.hk_mo_tw).gather(calls["far_u"] % len(pools.hk_mo_tw))
    sms_to_mobile = (calls["far_u"] // 7) % 2 == 0
    other = calls["other"]
    return pl.select(
        pl.when(other == "local").then(local)
        .when(other == "mobile").then(calls["mobile"])
        .when(other == "ddd").then(ddd)
        .when(other == "ip").then(IP_PREFIX + ddd)
        .when(other == "intl").then(intl)
        .when(other == "hkmotw").then(hk)
        .when(sms_to_mobile).then(calls["mobile"])
        .otherwise(local)  # SMS to another PHS handset
    ).to_series()  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Context:
    layout: Layout
    day: date
    index: int
    files: int
    sequence: int
    switch_id: str


def _as_written(calls: pl.DataFrame, ctx: _Context, rows: int) -> pl.DataFrame:
    incoming = pl.col("direction") == "mt"
    withheld = incoming & pl.col("withheld") & (pl.col("other") != "sms")
    trunk = pl.col("other").replace_strict(TRUNKS, return_dtype=pl.String)
    sms = pl.col("other") == "sms"
    midnight = datetime.combine(ctx.day, datetime.min.time())
    reference = f"{ctx.day:%y%m%d}{ctx.sequence % 1_000_000:06d}"
    return calls.select(
        direction=pl.col("direction"),
        service=pl.when(sms).then(pl.lit("sms")).otherwise(pl.lit("voice")),
        call_reference=pl.lit(reference) + pl.int_range(rows).cast(pl.String).str.zfill(7),
        switch_id=pl.lit(ctx.switch_id),
        calling=pl.when(withheld).then(pl.lit(""))
        .when(incoming).then(pl.col("far"))
        .otherwise(pl.col("number")),
        called=pl.when(incoming).then(pl.col("number")).otherwise(pl.col("far")),
        area_code=pl.col("area_code"),
        event_time=(pl.lit(midnight) + pl.duration(seconds=pl.col("second")))
        .dt.strftime(ctx.layout.time.format),
        duration=pl.when(sms).then(0).otherwise(pl.col("duration")).cast(pl.String),
        trunk_in=pl.when(incoming).then(trunk).otherwise(pl.lit("")),
        trunk_out=pl.when(incoming).then(pl.lit("")).otherwise(trunk),
        cell=pl.when(pl.col("phs"))
        .then(pl.lit("CS") + (pl.col("cell_base") + pl.col("cell_u")).cast(pl.String).str.zfill(6))
        .otherwise(pl.lit("")),
    )  # fmt: skip


# --- layout ----------------------------------------------------------------------------------

# What a record field holds, for fields that fill no raw column: by name.
_BY_NAME = ("trunk_in", "trunk_out")
_SOURCE_OF_TARGET = {"duration_s": "duration"}


def _lay_out(records: pl.DataFrame, layout: Layout) -> pl.Series:
    """Records → text lines in ``layout`` (the decoder's exact inverse)."""
    values = [_field_text(records, spec) for spec in layout.fields]
    if layout.format is RecordFormat.CSV:
        lines = pl.select(pl.concat_str(values, separator=layout.delimiter))
        return lines.to_series().alias("line")
    assert layout.record_length is not None
    pieces: list[pl.Expr] = []
    at = 0
    for spec, value in sorted(zip(layout.fields, values, strict=True), key=lambda p: p[0].stop):
        assert spec.start is not None and spec.width is not None
        if spec.start > at:
            pieces.append(pl.lit(" " * (spec.start - at)))
        padded = (
            value.str.pad_end(spec.width, spec.pad)
            if spec.align == "left"
            else value.str.pad_start(spec.width, spec.pad)
        )
        pieces.append(padded.str.slice(0, spec.width))
        at = spec.stop
    line = pl.concat_str(pieces).str.pad_end(layout.record_length, " ")
    return pl.select(line).to_series().alias("line")


def _field_text(records: pl.DataFrame, spec: FieldSpec) -> pl.Expr:
    if spec.target is None:
        source = spec.name if spec.name in _BY_NAME else None
    else:
        source = _SOURCE_OF_TARGET.get(spec.target, spec.target)
    if source is None or source not in records.columns:
        return pl.lit("")
    value = pl.lit(records[source])
    if spec.kind is FieldKind.CODE:
        written: dict[str, str] = {}
        for code, meaning in spec.codes:
            written.setdefault(meaning, code)
        return value.replace_strict(written, default=pl.lit(_unknown_code(spec)))
    return value


def _unknown_code(spec: FieldSpec) -> str:
    """A code that the field's code table does not know (for corrupt records)."""
    width = spec.width or 2
    known = spec.code_map
    return next(c * width for c in "9XZQ" if c * width not in known)


def _frame_line(spec: FrameSpec, layout: Layout, values: dict[str, str]) -> bytes:
    texts = {"tag": spec.tag, **values}
    if layout.format is RecordFormat.CSV:
        return layout.delimiter.join(texts.get(f.name, "") for f in spec.fields).encode()
    assert layout.record_length is not None
    line = [" "] * layout.record_length
    for field in spec.fields:
        assert field.start is not None and field.width is not None
        text = texts.get(field.name, "")
        text = (
            text.ljust(field.width, field.pad)
            if field.align == "left"
            else text.rjust(field.width, field.pad)
        )
        line[field.start : field.stop] = text[: field.width]
    return "".join(line).encode()


# --- injections ------------------------------------------------------------------------------

GARBAGE_KINDS = ("truncated", "bad_time", "bad_duration", "bad_code", "noise", "empty", "binary")
_NOISE = (
    "+++ath0", "no carrier", "~~~ block checksum error ~~~", "cdr buffer overflow", "0000",
    "ringing", "xx", "eof", "    ", "tape mark",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Injected:
    lines: pl.Series  # Binary: the file's record lines
    carry: pl.Series  # Binary: duplicates to re-send at the head of the next file
    duplicates: int  # written in this file (including those carried in)
    garbage: int


def _inject(
    draw: _FileDraw,
    records: pl.DataFrame,
    layout: Layout,
    carried: pl.Series,
    *,
    duplicate_rate: float,
    garbage_rate: float,
    last: bool,
) -> _Injected:
    rows = records.height
    lines = _lay_out(records, layout)
    duplicate = draw.chance(duplicate_rate)
    later = draw.chance(0.5) & (not last)
    garbage = draw.chance(garbage_rate)
    kinds = pl.Series(GARBAGE_KINDS).gather(draw.below(len(GARBAGE_KINDS)))
    cut = draw.u32()
    position = pl.int_range(rows, eager=True)
    parts = [
        pl.DataFrame({"at": pl.repeat(-1, len(carried), eager=True), "line": carried}),
        pl.DataFrame({"at": position * 3, "line": lines.cast(pl.Binary)}),
        pl.DataFrame(
            {
                "at": position.filter(duplicate & ~later) * 3 + 1,
                "line": lines.filter(duplicate & ~later).cast(pl.Binary),
            }
        ),
        pl.DataFrame(
            {
                "at": position.filter(garbage) * 3 + 2,
                "line": _garbage(
                    records.filter(garbage),
                    lines.filter(garbage),
                    kinds.filter(garbage),
                    cut.filter(garbage),
                    layout,
                ),
            }
        ),
    ]
    body = pl.concat([part.cast({"at": pl.Int64, "line": pl.Binary}) for part in parts])
    body = body.sort("at", maintain_order=True)
    return _Injected(
        lines=body["line"],
        carry=lines.filter(duplicate & later).cast(pl.Binary),
        duplicates=len(carried) + int((duplicate & ~later).sum()),
        garbage=int(garbage.sum()),
    )


def _garbage(
    records: pl.DataFrame, lines: pl.Series, kinds: pl.Series, cut: pl.Series, layout: Layout
) -> pl.Series:
    """One undecodable line per chosen record, of the chosen kind."""
    if records.height == 0:
        return pl.Series("line", [], pl.Binary)
    corrupt = records.with_columns(
        event_time=pl.when(kinds == "bad_time")
        .then(pl.col("event_time").str.slice(0, pl.col("event_time").str.len_chars() - 1) + "x")
        .otherwise(pl.col("event_time")),
        duration=pl.when(kinds == "bad_duration")
        .then(pl.col("duration").str.slice(0, pl.col("duration").str.len_chars() - 1) + "O")
        .otherwise(pl.col("duration")),
        direction=pl.when(kinds == "bad_code").then(pl.lit("?")).otherwise(pl.col("direction")),
    )
    relaid = _lay_out(corrupt, layout)
    if layout.format is RecordFormat.CSV:
        # Cut before the last delimiter, so that at least one field is missing.
        last = layout.fields[-1]
        last_length = pl.select(_field_text(records, last).str.len_chars()).to_series()
        keep = lines.str.len_chars() - last_length - 1
    else:
        keep = pl.Series([(layout.record_length or 2) - 1] * records.height)
    truncated = lines.str.slice(0, cut % keep.clip(1) + 1)
    noise = pl.Series(_NOISE).gather(cut % len(_NOISE))
    text = pl.select(
        pl.when(kinds == "truncated").then(truncated)
        .when(kinds == "noise").then(noise)
        .when(kinds == "empty").then(pl.lit(""))
        .otherwise(relaid)
    ).to_series()  # fmt: skip
    binary = b"\xff\xfe corrupt block \xc0\x80"  # not UTF-8: a decoder must keep it anyway
    return pl.select(
        pl.when(kinds == "binary").then(pl.lit(binary, pl.Binary)).otherwise(text.cast(pl.Binary))
    ).to_series()


# --- writing ---------------------------------------------------------------------------------


def _write(
    path: Path,
    layout: Layout,
    lines: pl.Series,
    *,
    switch_id: str,
    sequence: int,
    created: datetime,
) -> None:
    """Header, record lines, trailer; written beside the target and renamed into place, so a
    collector polling the folder never picks up half a file."""
    parts: list[bytes | pa.Buffer] = []
    if layout.header is not None:
        stamp = created.strftime(layout.time.format)
        values = {"switch_id": switch_id, "sequence": f"{sequence:06d}", "created": stamp}
        parts.append(_frame_line(layout.header, layout, values) + b"\n")
    if len(lines):
        parts.append(_joined(lines))
        parts.append(b"\n")
    if layout.trailer is not None:
        parts.append(_frame_line(layout.trailer, layout, {"count": str(len(lines))}) + b"\n")
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as file:
        for part in parts:
            file.write(part)
    # No fsync: the files are reproducible from the seed; the rename is what must be atomic.
    os.replace(partial, path)


def _joined(lines: pl.Series) -> pa.Buffer:
    """Lines joined with LF, as one Arrow buffer (no Python string per line)."""
    values = lines.to_arrow().cast(pa.large_binary())
    offsets = pa.array([0, len(values)], pa.int64())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, values), pa.scalar(b"\n", pa.large_binary())
    )
    data_offsets = joined.buffers()[1]
    assert data_offsets is not None
    end = pa.Array.from_buffers(pa.int64(), 2, [None, data_offsets])[1].as_py()
    data = joined.buffers()[2]
    assert data is not None and end is not None
    return data.slice(0, end)
