"""Inter-province settlement lines, priced by the rating kernel.

The store of a province holds its own subscribers' usage. A record whose ``area_code`` — the
local network of the switch that served it — belongs to another province (``rates.toml``'s
``[areas]``) is usage that province served: the home province pays it at the group's dated
rates, per started minute, per message or per started MiB. One statement per pair of
provinces (home → serving), its lines ``out`` (the home province pays) by service and rate.
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl

from openbss.rating.public import (
    Assignment,
    BandCrossing,
    Calendar,
    Charge,
    Destination,
    RateRule,
    RatingPlan,
    RatingService,
    Tariff,
    Zone,
    compile_plan,
    rate_frame,
)
from openbss.settlement.errors import SettlementInputError
from openbss.settlement.interconnect.classify import TIME_ZONE
from openbss.settlement.interconnect.data import rate_li
from openbss.settlement.interconnect.settle import LINE_SCHEMA

RATES_FILE = Path(__file__).with_name("rates.toml")
TARIFF_ID = "interprovince"
MIB = 1024 * 1024
UNITS = {"voice": "minute", "sms": "message", "data": "MiB"}
USAGE_COLUMNS = (
    "record_id", "event_time", "service", "duration_s", "volume_up", "volume_down", "area_code",
)  # fmt: skip

# Settlement events carry no called number (a rule matches any), so no prefix is ever looked
# up; the kernel's tables still want one destination.
NO_DESTINATION = (Destination("0", "any", zone=Zone.SPECIAL),)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), TIME_ZONE).astimezone(UTC)


def _charge(service: str, li: int) -> Charge:
    if service == "voice":
        return Charge(step_s=60, step_li=li)
    if service == "sms":
        return Charge(event_li=li)
    return Charge(volume_unit_bytes=MIB, volume_unit_li=li)


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[RatingPlan, dict[str, str]]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettlementInputError(f"cannot read {path.name}: {exc}") from exc
    rates = data.get("rate", [])
    areas = data.get("areas", {})
    if not rates or not isinstance(areas, dict):
        raise SettlementInputError(f"{path.name} needs [[rate]] entries and an [areas] table")
    parsed = []
    for entry in rates:
        name, service = str(entry.get("name", "")), str(entry.get("service", ""))
        if not name or service not in UNITS or not isinstance(entry.get("valid_from"), date):
            raise SettlementInputError(f"{path.name}: rate {name or '?'} is incomplete")
        valid_to = entry.get("valid_to")
        parsed.append((name, service, rate_li(str(entry.get("yuan", "")), name),
                       entry["valid_from"], valid_to))  # fmt: skip
    edges = sorted({p[3] for p in parsed} | {p[4] for p in parsed if p[4]})
    tariffs: list[Tariff] = []
    for start, end in [*pairwise(edges), (edges[-1], None)]:
        rules = tuple(
            RateRule(
                service=RatingService(service), zone=None, band=None, direction=None,
                ip_access_code=None, charge=_charge(service, li), name=name,
            )
            for name, service, li, frm, to in parsed
            if frm <= start and (to is None or start < to)
        )  # fmt: skip
        if rules:
            tariffs.append(
                Tariff(
                    id=TARIFF_ID, version=len(tariffs) + 1, effective_from=_instant(start),
                    effective_to=None if end is None else _instant(end),
                    province_area_codes=frozenset(), destinations=NO_DESTINATION, bands=(),
                    calendar=Calendar(), band_crossing=BandCrossing.START, rules=rules,
                )
            )  # fmt: skip
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    plan = RatingPlan(
        tariffs=tuple(tariffs),
        assignments=(Assignment(subscriber=TARIFF_ID, tariff_id=TARIFF_ID, valid_from=epoch),),
    )
    return plan, {str(k): str(v) for k, v in areas.items()}


def load_rates(path: Path | None = None) -> tuple[RatingPlan, dict[str, str]]:
    chosen = path or Path(os.environ.get("OPENBSS_SETTLEMENT_GROUP_RATES") or RATES_FILE)
    return _load(chosen.resolve())


def _rule_names(plan: RatingPlan) -> pl.DataFrame:
    rows = [(t.version, r.service.value, r.name) for t in plan.tariffs for r in t.rules]
    return pl.DataFrame(
        rows, schema={"tariff_version": pl.Int64, "service": pl.String, "rule": pl.String},
        orient="row",
    )  # fmt: skip


def settle_interprovince(
    usage: pl.LazyFrame, home: str, rates_file: Path | None = None
) -> pl.DataFrame:
    """Lines (LINE_SCHEMA, ``partner`` the serving province) of a home province's usage."""
    plan, areas = load_rates(rates_file)
    served = (
        usage.select(USAGE_COLUMNS)
        .with_columns(
            serving=pl.col("area_code").replace_strict(areas, default=None, return_dtype=pl.String),
            service=pl.col("service").replace({"broadband": "data"}),
        )
        .filter(pl.col("serving").is_not_null() & (pl.col("serving") != home))
        .filter(pl.col("service").is_in(list(UNITS)))
        .collect()
    )
    if served.is_empty():
        return pl.DataFrame(schema=LINE_SCHEMA)
    events = served.select(
        "record_id",
        subscriber=pl.lit(TARIFF_ID),
        event_time="event_time",
        service="service",
        duration_s=pl.col("duration_s").fill_null(0),
        volume_bytes=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
    )
    rated, _ = rate_frame(events, compile_plan(plan))
    priced = served.with_columns(
        tariff_version=rated["tariff_version"].cast(pl.Int64),
        units=rated["units"].cast(pl.Int64),
        amount_li=rated["amount_li"].cast(pl.Int64),
        error=rated["error"].cast(pl.String),
    ).join(_rule_names(plan), on=["tariff_version", "service"], how="left")
    unit = pl.col("service").replace_strict(UNITS, return_dtype=pl.String)
    quantity = (
        pl.when(pl.col("service") == "voice")
        .then(pl.col("units") // 60)
        .when(pl.col("service") == "data")
        .then((pl.col("units") + MIB - 1) // MIB)
        .otherwise(pl.col("units"))
    )
    return (
        priced.with_columns(rule=pl.coalesce("error", "rule"))
        .group_by("serving", "service", "rule")
        .agg(
            records=pl.len().cast(pl.Int64),
            units=pl.col("units").sum(),
            amount_li=pl.col("amount_li").sum(),
        )
        .select(
            partner=pl.concat_str(pl.lit(f"{home}>"), pl.col("serving")),
            direction=pl.lit("out"),
            service="service",
            rule="rule",
            records="records",
            quantity=quantity,
            unit=unit,
            amount_li="amount_li",
        )
        .cast(LINE_SCHEMA)  # type: ignore[arg-type]
        .sort("partner", "service", "rule")
    )
