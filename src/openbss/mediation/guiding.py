"""Guiding: attach each usage record to the product and account in service at its event time.

The product inventory's status history says when each product was in service (active or
suspended: a barred line still receives calls and must still be accounted for). A number can
belong to different products over time (it is reused after quarantine), so a record is
matched by its charging party *and* the interval that contains its event time. A record that
matches nothing is rejected as UNKNOWN_SUBSCRIBER, which is recyclable.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.inventory.calculations import IN_SERVICE_STATUSES
from openbss.inventory.models import Product, ProductStatusChange

INDEX_SCHEMA: dict[str, pl.DataType] = {
    "service_id": pl.String(),
    "product_id": pl.String(),
    "customer_id": pl.String(),
    "billing_account_id": pl.String(),
    "valid_from": pl.Datetime("us", "UTC"),
    "valid_to": pl.Datetime("us", "UTC"),
}
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)


def subscriber_index(session: Session, province: str) -> pl.DataFrame:
    """(service id, product, customer, account, in service from, to) for one province."""
    rows = session.execute(
        select(
            Product.id,
            Product.service_id,
            Product.customer_id,
            Product.billing_account_id,
            ProductStatusChange.status,
            ProductStatusChange.effective_at,
        )
        .join(ProductStatusChange, ProductStatusChange.product_id == Product.id)
        .where(Product.province == province, Product.service_id.is_not(None))
        .order_by(Product.id, ProductStatusChange.sequence)
    ).all()
    intervals: list[tuple[str | None, str, str, str | None, datetime, datetime]] = []
    for index, row in enumerate(rows):
        product_id, service_id, customer_id, account_id, status, start = row
        if status not in IN_SERVICE_STATUSES:
            continue
        following = rows[index + 1] if index + 1 < len(rows) else None
        end = following[5] if following is not None and following[0] == product_id else OPEN_END
        if intervals and intervals[-1][1] == product_id and intervals[-1][5] == start:
            # active → suspended → active: one continuous stretch in service
            intervals[-1] = (*intervals[-1][:5], end)
        else:
            intervals.append((service_id, product_id, customer_id, account_id, start, end))
    return pl.DataFrame(intervals, schema=INDEX_SCHEMA, orient="row")


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
