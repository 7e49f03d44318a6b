"""Destinations as integer intervals: prefix tables cut into segments, and called keys.

Each destination table becomes sorted segment bounds of fixed-width numbers whose
innermost prefix is the longest match; ``_called_key`` turns a called number into the
integer that is searched among those bounds (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from openbss.rating.contract import Destination, Tariff
from openbss.rating.vectorised.codes import ZONES


@dataclass(frozen=True, slots=True, eq=False)
class _TableIndex:
    """One destination table cut into segments of ``width``-digit numbers."""

    bounds: list[int]
    segment: list[int | None]  # innermost destination (position in the table) per segment
    length: pl.Series
    parent: pl.Series
    prefix: pl.Series
    area: pl.Series
    zone: pl.Series


_TABLES: dict[tuple[int, int], tuple[Sequence[Destination], _TableIndex]] = {}


def _table_index(table: Sequence[Destination], width: int) -> _TableIndex:
    """Segments of one table, cached per table object (tables are shared and frozen)."""
    cached = _TABLES.get((id(table), width))
    if cached is not None and cached[0] is table:
        return cached[1]
    index = {d.prefix: i for i, d in enumerate(table)}
    points: set[int] = set()
    for d in table:
        if not (d.prefix.isascii() and d.prefix.isdigit()):
            raise ValueError(f"destination prefix must be ASCII digits: {d.prefix!r}")
        low = int(d.prefix.ljust(width, "0"))
        points.update((low, low + 10 ** (width - len(d.prefix))))
    bounds = sorted(points)
    built = _TableIndex(
        bounds=bounds,
        segment=[_longest(str(p).zfill(width), index) if p < 10**width else None for p in bounds],
        length=pl.Series([len(d.prefix) for d in table], dtype=pl.Int64),
        parent=pl.Series([_longest(d.prefix[:-1], index) for d in table], dtype=pl.Int64),
        prefix=pl.Series([d.prefix for d in table], dtype=pl.String),
        area=pl.Series([d.area_code for d in table], dtype=pl.String),
        zone=pl.Series(
            [ZONES.index(d.zone) if d.area_code is None and d.zone else None for d in table],
            dtype=pl.Int8,
        ),
    )
    if len(_TABLES) >= 8:
        _TABLES.clear()
    _TABLES[(id(table), width)] = (table, built)
    return built


def _compile_destinations(tariffs: Sequence[Tariff]) -> dict[str, Any]:
    """Segments of fixed-width numbers per destination table (see the package docstring).

    Several tables share one index: table ``n``'s numbers are offset by ``n * 10**width``.
    """
    tables: list[Sequence[Destination]] = []
    table_of_tariff: list[int] = []
    for tariff in tariffs:
        number = next((i for i, t in enumerate(tables) if t is tariff.destinations), None)
        if number is None:
            tables.append(tariff.destinations)
            number = len(tables) - 1
        table_of_tariff.append(number)
    width = max((len(d.prefix) for table in tables for d in table), default=1)
    if len(tables) * 10**width >= 2**62:
        raise ValueError("destination prefixes too long to index")
    indexes = [_table_index(table, width) for table in tables]
    province_codes = {c for t in tariffs for c in t.province_area_codes}
    areas = pl.concat([ix.area for ix in indexes]) if indexes else pl.Series([], dtype=pl.String)
    area_codes = tuple(sorted(set(areas.drop_nulls().to_list()) | province_codes))
    prefix_all = (
        pl.concat([ix.prefix for ix in indexes]) if indexes else pl.Series([], dtype=pl.String)
    )
    prefixes = tuple(sorted(set(prefix_all.to_list())))

    bounds: list[int] = []
    segment: list[int | None] = []
    parents: list[pl.Series] = []
    first = 0
    for number, ix in enumerate(indexes):
        bounds.extend(number * 10**width + b for b in ix.bounds)
        segment.extend(None if s is None else first + s for s in ix.segment)
        parents.append(ix.parent + first)
        first += ix.length.len()
    return {
        "width": width,
        "tariff_table_base": pl.Series([n * 10**width for n in table_of_tariff], dtype=pl.Int64),
        "bounds": pl.Series(bounds, dtype=pl.Int64),
        "segment_destination": pl.Series(segment, dtype=pl.Int32),
        "destination_length": _concat([ix.length for ix in indexes], pl.Int64()),
        "destination_parent": _concat(parents, pl.Int64()).cast(pl.Int32),
        "destination_prefix": _codes_of(prefix_all, prefixes),
        "destination_area": _codes_of(areas, area_codes).cast(pl.Int32),
        "destination_zone": _concat([ix.zone for ix in indexes], pl.Int8()),
        "prefixes": prefixes,
        "area_codes": area_codes,
        "in_province": pl.Series(
            [a in t.province_area_codes for t in tariffs for a in area_codes], dtype=pl.Boolean
        ),
    }


def _concat(parts: list[pl.Series], dtype: pl.DataType) -> pl.Series:
    return pl.concat(parts) if parts else pl.Series([], dtype=dtype)


def _codes_of(values: pl.Series, categories: Sequence[str]) -> pl.Series:
    """Positions of text values in ``categories`` (null stays null)."""
    if not categories:
        return pl.Series([None] * values.len(), dtype=pl.UInt32)
    return values.cast(pl.Enum(list(categories))).to_physical().cast(pl.UInt32)


def _longest(digits: str, index: dict[str, int]) -> int | None:
    for size in range(len(digits), 0, -1):
        found = index.get(digits[:size])
        if found is not None:
            return found
    return None


_POW10 = pl.Series([10**k for k in range(19)], dtype=pl.Int64)


def _called_key(called: pl.Series, width: int) -> tuple[pl.Series, pl.Series]:
    """The called number's first ``width`` digits as an integer, and how many it has.

    Fast path: the text is an optional '+' and up to 18 digits without leading zero, so its
    integer value and length give the leading digits. Anything else (rare) takes the text
    route. See the package docstring for how the key finds the longest prefix.
    """
    digits = pl.col("size")
    parsed = pl.DataFrame(
        {
            "value": called.str.to_integer(strict=False),
            "size": called.str.len_bytes().cast(pl.Int64)
            - called.str.starts_with("+").cast(pl.Int64),
        }
    ).select(
        key=pl.when(digits >= width)
        .then(pl.col("value") // pl.lit(_POW10).gather((digits - width).clip(0, 18)))
        .otherwise(pl.col("value") * pl.lit(_POW10).gather((width - digits).clip(0, 18))),
        used=digits.clip(upper_bound=width),
        fast=(pl.col("value") >= pl.lit(_POW10).gather((digits - 1).clip(0, 18)))
        .and_(digits <= 18)
        .fill_null(False),
    )
    key, used = parsed["key"], parsed["used"]
    slow = (~parsed["fast"] & (called != "")).arg_true()
    if slow.len():
        head = (
            called.gather(slow)
            .str.strip_prefix("+")
            .str.extract(r"^([0-9]*)", 1)
            .fill_null("")
            .str.slice(0, width)
        )
        used = used.scatter(slow, head.str.len_bytes().cast(pl.Int64))
        key = key.scatter(slow, head.str.pad_end(width, "0").str.to_integer())
    return key, used
