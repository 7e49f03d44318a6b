"""Every query of billing: its own rows, and what it reads of the other domains.

Billing reads the inventory (products and their dated status history), the catalog (the
recurring, discount, cap and minimum spend prices of offerings, with their dated versions),
accounts (cycle day, hierarchy, enterprise discount), ordering (one-time fees of completed
orders), and rating (the period's current run, its rated usage, open adjustments of closed
periods, closing a period). Those reads are gathered here so that pointing them at the
domains' public faces later touches one module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Result, delete, func, select, update
from sqlalchemy.orm import Session

from openbss.account import public as accounts_face
from openbss.account.public import BillingAccount
from openbss.billing.models import (
    AdjustmentStatus,
    BillException,
    BillingPeriod,
    BillItem,
    BillRun,
    BillState,
    CustomerBill,
    ManualAdjustment,
    RunStatus,
)
from openbss.catalog import public as catalog
from openbss.catalog.public import MinorUnit, PriceSpan, altered_amount, version_at
from openbss.inventory import public as inventory
from openbss.kit.errors import Conflict
from openbss.kit.money import RoundingRule, decimal_from_json, yuan_to_fen
from openbss.kit.tmf import parse_datetime
from openbss.mediation.public import ONLINE_SOURCE
from openbss.ordering import public as ordering
from openbss.rating import public as rating
from openbss.rating.public import RatingAdjustment, RatingRun

# Statuses in which a product is in service (its account gets a bill for the cycle).
IN_SERVICE = frozenset({"active", "suspended", "pendingTerminate"})

# ----- billing's own rows -------------------------------------------------------------------


def finalised_period(session: Session, province: str, period: str) -> BillingPeriod | None:
    return session.get(BillingPeriod, (province, period))


def open_runs(session: Session, province: str, period: str) -> list[BillRun]:
    """The period's runs still running or in trial, oldest first."""
    return list(
        session.scalars(
            select(BillRun)
            .where(
                BillRun.province == province,
                BillRun.period == period,
                BillRun.status.in_([RunStatus.RUNNING, RunStatus.TRIAL]),
            )
            .order_by(BillRun.started_at, BillRun.id)
        )
    )


def bill_runs(session: Session, province: str, period: str | None) -> list[BillRun]:
    """The province's bill runs (of ``period``), newest first; a bill on demand's run of
    its own is not a bill run."""
    statement = select(BillRun).where(
        BillRun.province == province, BillRun.status != RunStatus.ON_DEMAND
    )
    if period is not None:
        statement = statement.where(BillRun.period == period)
    return list(session.scalars(statement.order_by(BillRun.started_at.desc(), BillRun.id)))


def run_for_update(session: Session, run_id: str) -> BillRun | None:
    return session.scalar(select(BillRun).where(BillRun.id == run_id).with_for_update())


def done_accounts(session: Session, run_id: str) -> set[str]:
    """Accounts a run has settled: billed, or put in its exception report."""
    billed = session.scalars(
        select(CustomerBill.billing_account_id).where(CustomerBill.run_id == run_id)
    )
    skipped = session.scalars(
        select(BillException.billing_account_id).where(BillException.run_id == run_id)
    )
    return set(billed) | set(skipped)


def run_bills(session: Session, run_id: str) -> list[CustomerBill]:
    return list(
        session.scalars(
            select(CustomerBill).where(CustomerBill.run_id == run_id).order_by(CustomerBill.bill_no)
        )
    )


def bill_items(session: Session, bill_id: str) -> list[BillItem]:
    return list(
        session.scalars(
            select(BillItem).where(BillItem.bill_id == bill_id).order_by(BillItem.sequence)
        )
    )


def run_items(session: Session, run_id: str) -> list[BillItem]:
    bill_ids = select(CustomerBill.id).where(CustomerBill.run_id == run_id)
    return list(session.scalars(select(BillItem).where(BillItem.bill_id.in_(bill_ids))))


def bill_by_id_or_number(session: Session, key: str) -> CustomerBill | None:
    bill = session.get(CustomerBill, key)
    if bill is not None:
        return bill
    return session.scalar(select(CustomerBill).where(CustomerBill.bill_no == key))


def run_totals(session: Session, run_id: str) -> tuple[int, int, int]:
    """(bills, exceptions, amount in fen) a run has written."""
    bills, amount = session.execute(
        select(
            func.count(CustomerBill.id), func.coalesce(func.sum(CustomerBill.amount_fen), 0)
        ).where(CustomerBill.run_id == run_id)
    ).one()
    exceptions = session.scalar(
        select(func.count()).select_from(BillException).where(BillException.run_id == run_id)
    )
    return int(bills), int(exceptions or 0), int(amount)


def advance_billed(
    session: Session, province: str, first_day: date, last_day: date
) -> dict[tuple[str, str], int]:
    """(product, price) → the fen final bills charged in advance for days of
    ``[first_day, last_day]`` (the ``rental.inAdvance`` lines covering that cycle)."""
    rows = session.execute(
        select(BillItem.product_id, BillItem.source_id, func.sum(BillItem.amount_fen))
        .join(CustomerBill, CustomerBill.id == BillItem.bill_id)
        .where(
            CustomerBill.province == province,
            CustomerBill.state.not_in([BillState.TRIAL, BillState.ON_DEMAND]),
            BillItem.description_key == ADVANCE_KEY,
            BillItem.first_day >= first_day,
            BillItem.last_day <= last_day,
        )
        .group_by(BillItem.product_id, BillItem.source_id)
    )
    return {(str(product), str(price)): int(fen) for product, price, fen in rows if product}


ADVANCE_KEY = "rental.inAdvance"


def amounts_by_charge_type(session: Session, run_id: str) -> dict[str, int]:
    bill_ids = select(CustomerBill.id).where(CustomerBill.run_id == run_id)
    rows = session.execute(
        select(BillItem.charge_type, func.sum(BillItem.amount_fen))
        .where(BillItem.bill_id.in_(bill_ids))
        .group_by(BillItem.charge_type)
    ).all()
    return {str(kind): int(total) for kind, total in rows}


def bill_run(session: Session, run_id: str) -> BillRun | None:
    return session.get(BillRun, run_id)


def amounts_by_product_and_charge_type(
    session: Session, run_id: str
) -> dict[tuple[str | None, str], int]:
    """(product or None for account-level lines, charge type) → the run's fen."""
    bill_ids = select(CustomerBill.id).where(CustomerBill.run_id == run_id)
    rows = session.execute(
        select(BillItem.product_id, BillItem.charge_type, func.sum(BillItem.amount_fen))
        .where(BillItem.bill_id.in_(bill_ids))
        .group_by(BillItem.product_id, BillItem.charge_type)
    ).all()
    return {(product, str(kind)): int(total) for product, kind, total in rows}


def largest_bills(session: Session, run_id: str, limit: int) -> list[CustomerBill]:
    """The run's ``limit`` largest bills, largest first (bill number breaks ties)."""
    return list(
        session.scalars(
            select(CustomerBill)
            .where(CustomerBill.run_id == run_id)
            .order_by(CustomerBill.amount_fen.desc(), CustomerBill.bill_no)
            .limit(limit)
        )
    )


def exception_reasons(session: Session, run_id: str) -> dict[str, int]:
    rows = session.execute(
        select(BillException.reason, func.count())
        .where(BillException.run_id == run_id)
        .group_by(BillException.reason)
    ).all()
    return {str(reason): int(count) for reason, count in rows}


def exceptions(session: Session, run_id: str | None) -> list[tuple[BillException, BillRun]]:
    statement = select(BillException, BillRun).join(BillRun, BillRun.id == BillException.run_id)
    if run_id is not None:
        statement = statement.where(BillException.run_id == run_id)
    statement = statement.order_by(BillRun.started_at, BillException.billing_account_id)
    return [(e, r) for e, r in session.execute(statement)]


def delete_bills(session: Session, run_id: str) -> None:
    bill_ids = select(CustomerBill.id).where(CustomerBill.run_id == run_id)
    session.execute(delete(BillItem).where(BillItem.bill_id.in_(bill_ids)))
    session.execute(delete(CustomerBill).where(CustomerBill.run_id == run_id))


def mark_items_billed(session: Session, run_id: str) -> None:
    bill_ids = select(CustomerBill.id).where(CustomerBill.run_id == run_id)
    session.execute(update(BillItem).where(BillItem.bill_id.in_(bill_ids)).values(is_billed=True))


def approved_adjustments(
    session: Session, province: str, account_ids: Iterable[str]
) -> list[ManualAdjustment]:
    return list(
        session.scalars(
            select(ManualAdjustment)
            .where(
                ManualAdjustment.province == province,
                ManualAdjustment.billing_account_id.in_(list(account_ids)),
                ManualAdjustment.status == AdjustmentStatus.APPROVED,
            )
            .order_by(ManualAdjustment.created_at, ManualAdjustment.id)
        )
    )


def mark_adjustments_billed(session: Session, items: Sequence[BillItem]) -> None:
    """The manual and rating adjustments a run's items carry become billed; one another
    run billed first refuses the whole finalisation (an adjustment is billed once)."""
    manual = {i.source_id: i.bill_id for i in items if i.source_kind == MANUAL_SOURCE}
    billed = 0
    for adjustment_id, bill_id in manual.items():
        result = session.execute(
            update(ManualAdjustment)
            .where(
                ManualAdjustment.id == adjustment_id,
                ManualAdjustment.status == AdjustmentStatus.APPROVED,
            )
            .values(status=AdjustmentStatus.BILLED, bill_id=bill_id)
        )
        billed += _rowcount(result)
    rerated = sorted({i.source_id for i in items if i.source_kind == RATING_SOURCE})
    if rerated:
        billed += rating.mark_adjustments_billed(session, rerated)
    if billed != len(manual) + len(rerated):
        raise Conflict(
            "an adjustment on these bills was billed by another run; discard this run and "
            "bill the period again",
            code="ADJUSTMENT_ALREADY_BILLED",
        )


def _rowcount(result: Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


MANUAL_SOURCE = "adjustment"
RATING_SOURCE = "ratingAdjustment"

# ----- accounts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: str
    bill_cycle_day: int
    payment_terms_days: int | None
    parent_account_id: str | None
    consolidated: bool
    # enterpriseDiscountPercent as written (checked when the bill is made).
    enterprise_discount_percent: object = None


def accounts(session: Session, province: str) -> dict[str, AccountInfo]:
    rows = accounts_face.billing_accounts_of_province(session, province)
    return {row.id: _account_info(row) for row in rows}


def account(session: Session, account_id: str) -> tuple[str | None, AccountInfo] | None:
    row = accounts_face.get_billing_account(session, account_id)
    return None if row is None else (row.province, _account_info(row))


def _account_info(row: BillingAccount) -> AccountInfo:
    terms = (row.doc or {}).get("paymentTermsDays")
    return AccountInfo(
        id=row.id,
        bill_cycle_day=row.bill_cycle_day,
        payment_terms_days=terms if isinstance(terms, int) else None,
        parent_account_id=row.parent_account_id,
        consolidated=row.consolidated_billing,
        enterprise_discount_percent=(row.doc or {}).get(accounts_face.ENTERPRISE_DISCOUNT),
    )


# ----- products and their history -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductInfo:
    id: str
    billing_account_id: str | None
    service_type: str
    parent_product_id: str | None


def intervals(session: Session, province: str) -> pl.DataFrame:
    return inventory.status_intervals(session, province)


def in_service_accounts(frame: pl.DataFrame, start: datetime, end: datetime) -> set[str]:
    """Accounts with a product in service at some point of ``[start, end)``."""
    hits = frame.filter(
        pl.col("status").is_in(sorted(IN_SERVICE))
        & (pl.col("valid_from") < end)
        & (pl.col("valid_to") > start)
        & pl.col("billing_account_id").is_not_null()
    )
    return set(hits["billing_account_id"].to_list())


def products(session: Session, province: str) -> dict[str, ProductInfo]:
    rows = inventory.product_summaries(session, province)
    return {row[0]: ProductInfo(*row) for row in rows}


# ----- the catalog --------------------------------------------------------------------------


_NO_AMOUNT = -1  # a version without an amount in fen (never a real rental: rentals are ≥ 0)


class MissingPrice(Exception):
    """A product's rental cannot be priced: the account goes to the exception report."""


@dataclass(frozen=True, slots=True)
class CatalogPrice:
    """A recurring price of an offering and its dated versions."""

    price_id: str
    name: str
    period: Any  # recurringChargePeriodType as written
    alteration: Mapping[str, Any] | None
    versions: tuple[PriceSpan, ...]
    charge_when_suspended: bool = False
    timing: str = "inArrears"  # or "inAdvance"

    def amount_at(self, instant: datetime) -> int:
        """The rental in fen in force at ``instant``, after the price's alteration (as the
        order showed it); :class:`MissingPrice` when no version is in force or it has no
        amount."""
        chosen = version_at(self.versions, instant)
        if chosen is None:
            raise MissingPrice(f"price {self.name!r} has no version in force at {instant:%Y-%m-%d}")
        if chosen.amount < 0:
            raise MissingPrice(f"price {self.name!r} version {chosen.version} has no amount in fen")
        if self.alteration:
            return altered_amount(chosen.amount, MinorUnit.FEN, self.alteration)
        return chosen.amount


@dataclass(frozen=True, slots=True)
class CatalogDiscount:
    """A discount, cap or minimum spend price of an offering, with its dated amounts."""

    price_id: str
    name: str
    terms: catalog.DiscountTerms
    valid_for: tuple[datetime | None, datetime | None]
    versions: tuple[PriceSpan, ...]

    def in_force(self, instant: datetime) -> bool:
        start, end = self.valid_for
        return (start is None or start <= instant) and (end is None or instant < end)

    def amount_at(self, instant: datetime) -> int | None:
        """The amount in fen in force at ``instant`` (None: no version then)."""
        chosen = version_at(self.versions, instant)
        return None if chosen is None or chosen.amount < 0 else chosen.amount


@dataclass(frozen=True, slots=True)
class OfferingPrices:
    offering_id: str
    has_prices: bool  # the offering names any price at all
    recurring: tuple[CatalogPrice, ...]
    discounts: tuple[CatalogDiscount, ...] = ()


def offering_prices(session: Session, offering_ids: Iterable[str]) -> dict[str, OfferingPrices]:
    """The recurring prices of these offerings, with every version of each."""
    found: dict[str, OfferingPrices] = {}
    wanted = sorted(set(offering_ids))
    for offering in catalog.offerings(session, wanted):
        refs = [str(r.get("id")) for r in offering.doc.get("productOfferingPrice") or []]
        recurring = [
            CatalogPrice(
                price_id=price.id,
                name=price.name or price.id,
                period=price.doc.get("recurringChargePeriodType"),
                alteration=next(iter(price.doc.get("priceAlteration") or []), None),
                versions=catalog.price_spans(session, price.id, no_amount=_NO_AMOUNT),
                charge_when_suspended=price.doc.get("chargeWhenSuspended") is True,
                timing=str(price.doc.get("chargeTiming") or "inArrears"),
            )
            for price in catalog.prices_of_type(session, refs, "recurring")
        ]
        discounts = [
            CatalogDiscount(
                price_id=price.id,
                name=price.name or price.id,
                terms=catalog.discount_terms(price.doc),
                valid_for=_valid_for(price.doc.get("validFor")),
                versions=catalog.price_spans(session, price.id, no_amount=_NO_AMOUNT),
            )
            for price_type in sorted(catalog.BILLING_DISCOUNT_TYPES)
            for price in catalog.prices_of_type(session, refs, price_type)
        ]
        discounts.sort(key=lambda d: d.price_id)
        found[offering.id] = OfferingPrices(
            offering.id, bool(refs), tuple(recurring), tuple(discounts)
        )
    return found


def _valid_for(period: Any) -> tuple[datetime | None, datetime | None]:
    if not isinstance(period, Mapping):
        return None, None
    start, end = period.get("startDateTime"), period.get("endDateTime")
    return (
        parse_datetime(start, "validFor.startDateTime") if start else None,
        parse_datetime(end, "validFor.endDateTime") if end else None,
    )


# ----- orders -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OneTimeFee:
    order_id: str
    item_id: str
    product_id: str | None
    billing_account_id: str | None
    price_id: str | None
    amount_fen: int


def one_time_fees(
    session: Session, province: str, start: datetime, end: datetime
) -> list[OneTimeFee]:
    """The one-time prices of orders completed in ``[start, end)``, item by item, charged to
    the account of the item's product (the order's account when the item has none)."""
    orders = ordering.completed_between(session, province, start, end)
    product_ids = {
        str(item["product"]["id"])
        for order in orders
        for item in _items(order.doc.get("productOrderItem") or [])
        if isinstance(item.get("product"), Mapping) and item["product"].get("id")
    }
    owners = inventory.accounts_of_products(session, product_ids)
    fees: list[OneTimeFee] = []
    for order in orders:
        for item in _items(order.doc.get("productOrderItem") or []):
            product = item.get("product") if isinstance(item.get("product"), Mapping) else {}
            product_id = str(product["id"]) if product and product.get("id") else None
            account_id = owners.get(product_id) if product_id else None
            for price in item.get("itemPrice") or []:
                if price.get("priceType") != "oneTime":
                    continue
                money = (price.get("price") or {}).get("taxIncludedAmount") or {}
                fees.append(
                    OneTimeFee(
                        order_id=order.id,
                        item_id=str(item.get("id")),
                        product_id=product_id,
                        billing_account_id=account_id or order.billing_account_id,
                        price_id=(price.get("productOfferingPrice") or {}).get("id"),
                        amount_fen=_fen(money.get("value")),
                    )
                )
    return fees


def _items(items: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        yield item
        yield from _items(item.get("productOrderItem") or [])


def _fen(value: Any) -> int:
    yuan: Decimal = decimal_from_json(value if value is not None else 0)
    return yuan_to_fen(yuan, RoundingRule.HALF_UP)


# ----- rating -------------------------------------------------------------------------------


def current_rating_run(session: Session, province: str, period: str) -> RatingRun | None:
    return rating.current_run(session, province, period)


def usage_by_product(
    session: Session, data_dir: Path, province: str, period: str
) -> dict[str, dict[tuple[str, str], int]]:
    """Per account, (product, service) → the li the period's current rating run priced;
    records rated with an error carry nothing, and neither do records charged online (a
    prepaid balance paid them when they were used)."""
    frame = (
        rating.rated_usage(session, data_dir, province, period)
        .filter(
            pl.col("error").is_null()
            & pl.col("billing_account_id").is_not_null()
            & (pl.col("source").fill_null("") != ONLINE_SOURCE)
        )
        .group_by("billing_account_id", "product_id", "service")
        .agg(pl.col("amount_li").sum())
        .collect()
    )
    usage: dict[str, dict[tuple[str, str], int]] = {}
    for account_id, product_id, service, amount in frame.iter_rows():
        key = (product_id or "", service or "")
        bucket = usage.setdefault(account_id, {})
        bucket[key] = bucket.get(key, 0) + int(amount or 0)
    return usage


def open_rating_adjustments(
    session: Session, province: str, period: str, account_ids: Iterable[str]
) -> list[RatingAdjustment]:
    """Open adjustments of periods billed before ``period`` (rerating after the bill)."""
    return rating.open_adjustments_before(session, province, period, account_ids)


def lock_rating_period(session: Session, province: str, period: str) -> None:
    """Serialise claims of a period (a row lock on PostgreSQL)."""
    rating.lock_period(session, province, period)


def close_rating_period(session: Session, province: str, period: str) -> str:
    return rating.close_period(session, province, period)
