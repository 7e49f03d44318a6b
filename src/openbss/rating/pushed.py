"""TMF635 usage pushed through the API gets its rating back: ``rated`` with a
``ratedProductUsage``, then ``rerated`` when a correction changes its amount.

A usage rated with an error stays ``guided`` (it is not priced yet; the reconcile counts
it); a usage whose period billing has already taken says so in ``isBilled``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from openbss.kit.money import tmf_money_from_li
from openbss.kit.tmf import format_datetime
from openbss.mediation import public as mediation
from openbss.mediation.public import SOURCE, UsageStatus, usages

# Pushed usage rating may (re)write: guided by mediation, or rated before.
RATABLE = frozenset({UsageStatus.GUIDED, UsageStatus.RATED, UsageStatus.RERATED})
PUSHED_COLUMNS = (
    "record_id",
    "batch_id",
    "product_id",
    "tariff_id",
    "tariff_version",
    "units",
    "allowance_used",
    "amount_li",
    "error",
)


def pushed_batches(session: Session, batch_ids: list[str]) -> set[str]:
    """Those of the batches that came from TMF635 pushes."""
    if not batch_ids:
        return set()
    return mediation.batches_of_source(session, batch_ids, SOURCE)


def _tag(units: int, allowance_used: int) -> str:
    """TMF635 usageRatingTag: inside a usage bundle, partly outside it, or no bundle."""
    if allowance_used and allowance_used >= units:
        return "included usage"
    return "non included usage" if allowance_used else "usage"


def rated_product_usage(row: dict[str, Any], at: datetime, billed: bool) -> dict[str, Any]:
    return {
        "@type": "RatedProductUsage",
        "ratingDate": format_datetime(at),
        "usageRatingTag": _tag(int(row["units"]), int(row["allowance_used"])),
        "ratingAmountType": "total",
        "offerTariffType": f"{row['tariff_id']} v{row['tariff_version']}",
        "isBilled": billed,
        "isTaxExempt": False,
        "taxExcludedRatingAmount": tmf_money_from_li(int(row["amount_li"])),
        **(
            {"productRef": {"id": row["product_id"], "@referredType": "Product"}}
            if row.get("product_id")
            else {}
        ),
    }


def mark_pushed(session: Session, rated: pl.DataFrame, at: datetime, billed: bool) -> int:
    """Write the rating of pushed usages (``PUSHED_COLUMNS``) onto them; returns how many
    changed. A usage whose rating did not change is left alone (no event)."""
    changed = 0
    batch_ids = sorted(set(rated["batch_id"].to_list()))
    by_record = {
        (u.batch_id, u.record_no): u for u in mediation.pushed_usages_of_batches(session, batch_ids)
    }
    for row in rated.iter_rows(named=True):
        number = int(str(row["record_id"]).rsplit(":", 1)[-1])
        usage = by_record.get((row["batch_id"], number))
        if usage is None or usage.status not in RATABLE:
            continue
        before = usage.doc.get("ratedProductUsage") or []
        old_amount = before[0]["taxExcludedRatingAmount"]["value"] if before else None
        if row["error"] is not None:
            status, rating = UsageStatus.GUIDED, None
        else:
            rating = rated_product_usage(row, at, billed)
            new_amount = rating["taxExcludedRatingAmount"]["value"]
            if old_amount == new_amount and usage.status != UsageStatus.GUIDED:
                continue
            status = (
                UsageStatus.RATED if usage.status == UsageStatus.GUIDED else UsageStatus.RERATED
            )
        if rating is None and not before:
            continue
        doc = {k: v for k, v in usage.doc.items() if k != "ratedProductUsage"}
        doc["status"] = status
        if rating is not None:
            doc["ratedProductUsage"] = [rating]
        usage.doc, usage.status = doc, status
        usages.emit(session, "StateChangeEvent", usage)
        changed += 1
    return changed
