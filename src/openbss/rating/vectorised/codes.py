"""Codes and schemas of the vectorised engine: the small integer codes of services,
directions, zones, day types and errors, time units, and the columns it reads and writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from openbss.rating.contract import DayType, Direction, RatingError, Service, Zone

SECOND_US = 1_000_000
DAY_US = 86_400 * SECOND_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)

# Small codes for the categorical inputs; the last code of each means "anything else".
SERVICES: tuple[str, ...] = (Service.VOICE.value, Service.SMS.value, Service.DATA.value)
VOICE, SMS = 0, 1
OTHER_SERVICE = len(SERVICES)
DIRECTIONS: tuple[str, ...] = (Direction.MO.value, Direction.MT.value)
OTHER_DIRECTION = len(DIRECTIONS)
ZONES: tuple[Zone, ...] = tuple(Zone)
NO_ZONE = len(ZONES)
DAY_TYPES: tuple[str, ...] = tuple(d.value for d in DayType)
ERRORS: tuple[str, ...] = tuple(e.value for e in RatingError)
_NO_TARIFF, _UNKNOWN_DESTINATION, _NO_RULE = (ERRORS.index(e) for e in RatingError)

# Input columns (UsageEvent's fields) that must be there; the others may be absent, and
# absent or null they take UsageEvent's defaults (account_id: "").
REQUIRED = ("record_id", "subscriber", "event_time", "service")
OUTPUT_COLUMNS = (
    "record_id",
    "tariff_id",
    "tariff_version",
    "matched_prefix",
    "zone",
    "band",
    "units",
    "allowance_id",
    "allowance_used",
    "amount_li",
    "error",
)
# The output columns as readers see them: text as plain strings (the engine writes some as
# enumerations whose categories differ from plan to plan; Spark has no enum type), integers
# as longs.
RATED_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "tariff_id": pl.String(),
    "tariff_version": pl.Int64(),
    "matched_prefix": pl.String(),
    "zone": pl.String(),
    "band": pl.String(),
    "units": pl.Int64(),
    "allowance_id": pl.String(),
    "allowance_used": pl.Int64(),
    "amount_li": pl.Int64(),
    "error": pl.String(),
}
USAGE_EVENT_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "subscriber": pl.String(),
    "account_id": pl.String(),
    "event_time": pl.Datetime("us", "UTC"),
    "service": pl.String(),
    "direction": pl.String(),
    "product_id": pl.String(),
    "duration_s": pl.Int64(),
    "volume_bytes": pl.Int64(),
    "calling": pl.String(),
    "called": pl.String(),
    "ip_access_code": pl.String(),
    "calling_area_code": pl.String(),
}
BALANCE_SCHEMA = {
    "allowance_id": pl.String,
    "owner": pl.String,
    "cycle": pl.String,
    "fresh": pl.Int64,
    "carried": pl.Int64,
}
_MAX_POSITIONS = 62  # allowances per assignment: a bit each in an Int64
