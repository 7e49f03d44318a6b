"""Local time as column work: UTC offsets per day, day types, cycles and bands.

Also the exact readings near a daylight-saving change: whether an instant is near one,
and the UTC instant of a local band edge as the contract reads it (fold 0).
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from openbss.rating.vectorised.codes import _EPOCH, _EPOCH_DAY, DAY_TYPES, DAY_US, SECOND_US
from openbss.rating.vectorised.plan import CompiledPlan, _Profile

# --- local time ---------------------------------------------------------------------------


def _clock_micros(clock: time) -> int:
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * SECOND_US + clock.microsecond


@lru_cache(maxsize=131_072)
def _day_offsets(timezone: str, day: int) -> tuple[int, int]:
    """The zone's UTC offset (µs) at the start and at the last µs of a UTC day."""
    zone = ZoneInfo(timezone)
    start = _EPOCH + timedelta(days=day)
    first = start.astimezone(zone).utcoffset() or timedelta(0)
    last = (start + timedelta(days=1, microseconds=-1)).astimezone(zone).utcoffset()
    return first // timedelta(microseconds=1), (last or timedelta(0)) // timedelta(microseconds=1)


def _local_time(t: pl.Series, timezone: str) -> pl.Series:
    """Local wall-clock µs of UTC µs: the offset looked up per UTC day; days holding a
    transition converted exactly."""
    if t.len() == 0:
        return t
    days = t // DAY_US
    low, high = int(days.min()), int(days.max())  # type: ignore[arg-type]
    offsets = [_day_offsets(timezone, d) for d in range(low, high + 1)]
    local = t + pl.Series([o[0] for o in offsets], dtype=pl.Int64).gather(days - low)
    changing = [low + i for i, o in enumerate(offsets) if o[0] != o[1]]
    if changing:
        rows = (days.is_in(changing)).arg_true()
        exact = (
            t.gather(rows)
            .cast(pl.Datetime("us", "UTC"))
            .dt.convert_time_zone(timezone)
            .dt.replace_time_zone(None)
            .cast(pl.Int64)
        )
        local = local.scatter(rows, exact)
    return local


def _local_by_tariff(t: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    zones = tuple(dict.fromkeys(p.timezone for p in cp.profiles))
    if len(zones) <= 1:
        return _local_time(t, zones[0] if zones else "UTC")
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    which = zone_of.gather(tariff)
    local = _local_time(t, zones[0])
    for number, zone in enumerate(zones[1:], start=1):
        local = local.zip_with(which != number, _local_time(t, zone))
    return local


def _near_transition(t: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """Whether the instant's UTC day, or a day next to it, holds a change of its tariff's
    zone offset (daylight saving): band edges there need the exact reading of local times."""
    days = t // DAY_US
    near = pl.Series([False] * t.len())
    if t.len() == 0:
        return near
    low, high = int(days.min()) - 1, int(days.max()) + 1  # type: ignore[arg-type]
    zones = [p.timezone for p in cp.profiles]
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    for number, zone in enumerate(zones):
        flags = [a != b for a, b in (_day_offsets(zone, d) for d in range(low - 1, high + 2))]
        if not any(flags):
            continue
        table = pl.Series([any(flags[i : i + 3]) for i in range(high - low + 1)])
        hit = table.gather(days - low) & (zone_of.gather(tariff) == number)
        near = near | hit.fill_null(False)
    return near


def _to_utc(local: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """UTC µs of local wall-clock µs as the contract reads a band edge (a local date and
    time in the zone, fold 0): an ambiguous time is its earlier instant; a time in a gap is
    read with the offset from before the gap (that of a day earlier)."""
    zones = [p.timezone for p in cp.profiles]
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    which = zone_of.gather(tariff)
    result = pl.Series([None] * local.len(), dtype=pl.Int64)
    for number, zone in enumerate(zones):
        earliest = (
            local.cast(pl.Datetime("us"))
            .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
            .cast(pl.Int64)
        )
        day_before = local - DAY_US
        in_gap = local - (_local_time(day_before, zone) - day_before)
        reading = earliest.fill_null(in_gap)
        result = reading.zip_with(which == number, result)
    return result


def _day_table(local_days: pl.Series, build: Any) -> tuple[pl.Series, int]:
    low = int(local_days.min() or 0)  # type: ignore[arg-type]
    high = int(local_days.max() or 0)  # type: ignore[arg-type]
    values = [build(_EPOCH_DAY + timedelta(days=d)) for d in range(low, high + 1)]
    return pl.Series(values, dtype=pl.Int32), low


def _cycles(local: pl.Series) -> pl.Series:
    """Allowance and tier cycle: the local month as year * 12 + month - 1."""
    days = local // DAY_US
    table, low = _day_table(days, lambda d: d.year * 12 + d.month - 1)
    return table.gather(days - low)


def _bands(local: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """The band (code into ``band_names``) at each local instant; null without a band."""
    days = local // DAY_US
    frame = pl.DataFrame(
        {"tod": local - days * DAY_US, "profile": cp.tariff_profile.gather(tariff)}
    )
    result: pl.Expr = pl.lit(None, dtype=pl.Int16)
    for number, profile in reversed(list(enumerate(cp.profiles))):
        calendar = profile.calendar
        table, low = _day_table(days, lambda d, c=calendar: DAY_TYPES.index(c.day_type(d)))
        day_type = pl.lit(table.gather(days - low))
        band: pl.Expr = pl.lit(None, dtype=pl.Int16)
        for time_band in reversed(profile.bands):
            start, end = _clock_micros(time_band.start), _clock_micros(time_band.end)
            tod = pl.col("tod")
            if end == 0:
                inside = tod >= start
            elif end > start:
                inside = (tod >= start) & (tod < end)
            else:
                inside = (tod >= start) | (tod < end)
            types = [DAY_TYPES.index(d) for d in time_band.day_types if d in DAY_TYPES]
            code = cp.band_names.index(time_band.name)
            band = (
                pl.when(day_type.is_in(types) & inside).then(pl.lit(code, pl.Int16)).otherwise(band)
            )
        result = pl.when(pl.col("profile") == number).then(band).otherwise(result)
    return frame.with_columns(band=result)["band"]  # (a literal when there are no profiles)


def _edge_clocks(profile: _Profile) -> list[int]:
    """Times of day (µs) where a band may change: band starts and ends, and midnight."""
    clocks = {0}
    for band in profile.bands:
        clocks.update((_clock_micros(band.start), _clock_micros(band.end)))
    return sorted(clocks)
