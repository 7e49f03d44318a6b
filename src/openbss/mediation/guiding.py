"""Guiding: attach each usage record to the product and account in service at its event time.

The product inventory's status history says when each product was in service (active or
suspended: a barred line still receives calls and must still be accounted for); the
inventory reads it as intervals (``inventory.intervals.in_service_intervals``). A number can
belong to different products over time (it is reused after quarantine), so a record is
matched by its charging party *and* the interval that contains its event time. A record that
matches nothing is rejected as UNKNOWN_SUBSCRIBER, which is recyclable.
"""

from __future__ import annotations

import polars as pl

# The index guiding reads is the inventory's in-service intervals (one row per number and
# stretch in service); its schema and open end are the inventory's, named here for guiding.
from openbss.inventory.public import IN_SERVICE_SCHEMA as INDEX_SCHEMA
from openbss.inventory.public import OPEN_END

__all__ = ["INDEX_SCHEMA", "OPEN_END", "PRODUCT_COLUMNS", "guide"]

PRODUCT_COLUMNS = ("product_id", "customer_id", "billing_account_id")


_POSITION = "_stretch_position"
_MATCHED = "_stretch_matched"


def guide(frame: pl.LazyFrame, index: pl.DataFrame) -> pl.LazyFrame:
    """Add product_id, customer_id and billing_account_id (null where no product matches).

    Each record looks its charging party up in the index by position (a hash lookup that
    keeps the records in their order, so no join reorders and copies the whole wide frame),
    then checks the stretch's interval. Almost every number has one stretch in service and
    takes one lookup; a number with several (reused after quarantine, ceased and re-sold)
    is looked up once per stretch, earliest first, and the first stretch holding the event
    time wins (stretches of one number do not overlap).
    """
    ordered = index.sort("service_id", "valid_from").with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).over("service_id").alias("_stretch")
    )
    if ordered.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in PRODUCT_COLUMNS)
    rounds = int(ordered.get_column("_stretch").max()) + 1  # type: ignore[arg-type]
    plan = frame
    for stretch in range(rounds):
        # The number's n-th stretch as a position in this round's table; null without one.
        table = ordered.filter(pl.col("_stretch") == stretch)
        position = pl.col("charging_party").replace_strict(
            table.get_column("service_id"),
            pl.int_range(table.height, dtype=pl.UInt32, eager=True),
            default=None,
            return_dtype=pl.UInt32,
        )
        at = pl.col(_POSITION)
        in_time = (pl.col("event_time") >= pl.lit(table.get_column("valid_from")).gather(at)) & (
            pl.col("event_time") < pl.lit(table.get_column("valid_to")).gather(at)
        )
        plan = plan.with_columns(position.alias(_POSITION))
        if stretch == 0:
            plan = plan.with_columns(
                *(pl.when(in_time).then(pl.lit(table.get_column(c)).gather(at)).alias(c)
                  for c in PRODUCT_COLUMNS),
                in_time.fill_null(False).alias(_MATCHED),
            )  # fmt: skip
            continue
        take = ~pl.col(_MATCHED) & in_time.fill_null(False)
        plan = plan.with_columns(
            *(pl.when(take).then(pl.lit(table.get_column(c)).gather(at)).otherwise(pl.col(c))
              .alias(c) for c in PRODUCT_COLUMNS),
            (pl.col(_MATCHED) | take).alias(_MATCHED),
        )  # fmt: skip
    return plan.drop(_POSITION, _MATCHED)
