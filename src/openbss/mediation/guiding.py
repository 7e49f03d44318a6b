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


def guide(frame: pl.LazyFrame, index: pl.DataFrame) -> pl.LazyFrame:
    """Add product_id, customer_id and billing_account_id (null where no product matches).

    Almost every number has one stretch in service, so the bulk is a plain many-to-one join
    followed by a time check; only numbers with several stretches (reused after quarantine,
    ceased and re-sold) take the slower join that picks the stretch holding the event time.
    """
    stretches = index.group_by("service_id").len()
    single = index.join(stretches.filter(pl.col("len") == 1), on="service_id", how="semi")
    several = index.join(stretches.filter(pl.col("len") > 1), on="service_id", how="semi")
    in_time = (pl.col("event_time") >= pl.col("valid_from")) & (
        pl.col("event_time") < pl.col("valid_to")
    )
    guided = frame.join(
        single.lazy(), left_on="charging_party", right_on="service_id", how="left"
    ).with_columns(
        [pl.when(in_time).then(pl.col(c)).otherwise(None).alias(c) for c in PRODUCT_COLUMNS]
    )
    guided = guided.drop("valid_from", "valid_to")
    if several.is_empty():
        return guided
    picked = (
        frame.select("row_no", "charging_party", "event_time")
        .join(several.lazy(), left_on="charging_party", right_on="service_id", how="inner")
        .filter(in_time)
        .unique(subset="row_no", keep="first")
        .select("row_no", *(pl.col(c).alias(f"{c}_of_stretch") for c in PRODUCT_COLUMNS))
    )
    return (
        guided.join(picked, on="row_no", how="left")
        .with_columns(
            [pl.coalesce(pl.col(c), pl.col(f"{c}_of_stretch")).alias(c) for c in PRODUCT_COLUMNS]
        )
        .drop([f"{c}_of_stretch" for c in PRODUCT_COLUMNS])
    )
