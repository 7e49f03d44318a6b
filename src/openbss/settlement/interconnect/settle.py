"""Interconnect traffic priced by the rating kernel and summed into statement lines.

A statement line is one carrier's traffic of one direction, service and rule in the period:
records, chargeable quantity (started minutes for voice, messages for SMS) and the amount in
li as the kernel priced it record by record. Records the rules could not price (a class or
service without a rule in force) are lines of their own with the error as the rule and no
amount, so nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from openbss.rating.public import compile_plan, rate_frame
from openbss.settlement.interconnect.classify import (
    USAGE_COLUMNS,
    interconnect_events,
)
from openbss.settlement.interconnect.data import Carriers, Rule
from openbss.settlement.interconnect.tariffs import (
    MINUTE_S,
    SETTLEMENT_DIRECTION,
    interconnect_plan,
    rule_names,
)

LINE_SCHEMA: dict[str, pl.DataType] = {
    "partner": pl.String(),
    "direction": pl.String(),
    "service": pl.String(),
    "rule": pl.String(),
    "records": pl.Int64(),
    "quantity": pl.Int64(),
    "unit": pl.String(),
    "amount_li": pl.Int64(),
}
CHUNK_ROWS = 2_000_000


def kernel_input(events: pl.DataFrame) -> pl.DataFrame:
    """Interconnect events as the kernel's usage events: the traffic class is the subscriber."""
    return events.select(
        "record_id",
        subscriber="traffic_class",
        account_id="carrier",
        event_time="event_time",
        service="service",
        direction=pl.col("direction").replace_strict({"in": "mt", "out": "mo"}),
        duration_s="duration_s",
    )


def price(events: pl.DataFrame, rules: tuple[Rule, ...]) -> pl.DataFrame:
    """Each event with the kernel's amount, paid units, and the rule that priced it."""
    compiled = compile_plan(interconnect_plan(rules))
    rated, _ = rate_frame(kernel_input(events), compiled)
    names = rule_names(rules)
    keys = pl.DataFrame(
        [(c, v, s, d, n) for (c, v, s, d), n in names.items()],
        schema={
            "tariff_id": pl.String,
            "tariff_version": pl.Int64,
            "service": pl.String,
            "direction": pl.String,
            "rule": pl.String,
        },
        orient="row",
    )
    priced = events.with_columns(
        tariff_id=rated["tariff_id"].cast(pl.String),
        tariff_version=rated["tariff_version"].cast(pl.Int64),
        units=rated["units"].cast(pl.Int64),
        amount_li=rated["amount_li"].cast(pl.Int64),
        error=rated["error"].cast(pl.String),
    )
    return priced.join(
        keys, on=["tariff_id", "tariff_version", "service", "direction"], how="left"
    ).with_columns(rule=pl.coalesce(pl.col("error"), pl.col("rule")))


def lines_of(priced: pl.DataFrame) -> pl.DataFrame:
    """Statement lines (LINE_SCHEMA) of priced events."""
    voice = pl.col("service") == "voice"
    return (
        priced.group_by("carrier", "direction", "service", "rule")
        .agg(
            records=pl.len().cast(pl.Int64),
            units=pl.col("units").sum().cast(pl.Int64),
            amount_li=pl.col("amount_li").sum().cast(pl.Int64),
        )
        .select(
            partner="carrier",
            direction="direction",
            service="service",
            rule="rule",
            records="records",
            quantity=pl.when(voice).then(pl.col("units") // MINUTE_S).otherwise(pl.col("units")),
            unit=pl.when(voice).then(pl.lit("minute")).otherwise(pl.lit("message")),
            amount_li="amount_li",
        )
        .cast(LINE_SCHEMA)  # type: ignore[arg-type]
    )


def merge_lines(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    frames = [p for p in parts if p.height]
    if not frames:
        return pl.DataFrame(schema=LINE_SCHEMA)
    return (
        pl.concat(frames)
        .group_by("partner", "direction", "service", "rule", "unit")
        .agg(pl.col("records", "quantity", "amount_li").sum())
        .select(list(LINE_SCHEMA))
        .sort("partner", "direction", "service", "rule")
    )


def settle_usage(
    usage: pl.LazyFrame, rules: tuple[Rule, ...], carriers: Carriers, chunk_rows: int = CHUNK_ROWS
) -> pl.DataFrame:
    """The statement lines of a period's usage (USAGE_COLUMNS), priced in chunks of rows."""
    events = interconnect_events(usage.select(USAGE_COLUMNS), carriers).collect()
    parts = [
        lines_of(price(events.slice(start, chunk_rows), rules))
        for start in range(0, events.height, chunk_rows)
    ]
    return merge_lines(parts)


def settle_files(
    files: list[Path], rules: tuple[Rule, ...], carriers: Carriers, chunk_rows: int = CHUNK_ROWS
) -> pl.DataFrame:
    """Like :func:`settle_usage`, reading usage-store parts one at a time (bounded memory)."""
    from openbss.mediation.public import scan_parts

    return merge_lines(settle_usage(scan_parts([f]), rules, carriers, chunk_rows) for f in files)


__all__ = ["LINE_SCHEMA", "SETTLEMENT_DIRECTION", "lines_of", "price", "settle_files"]
