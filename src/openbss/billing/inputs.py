"""What a bill of one account is made of, gathered from the province's data into plain inputs.

A bill run (and hot billing) reads the province once — product histories, the catalog's
recurring prices, one-time fees, rated usage — into a :class:`ProvinceData`, then builds
each account's :class:`~openbss.billing.assemble.AccountCharges` from it and calls the
kernel. Decisions:

- **Which products.** An account's products in service (active, suspended or
  pendingTerminate) at some point of the cycle; a product that was not is ignored, whatever
  its prices.
- **Which price.** Each offering a product had in the cycle is charged its recurring prices
  at the version in force when the product's first stretch under that offering in the cycle
  begins (or the cycle's start, whichever is later), after the price's alteration as the
  order showed it (a bundle's 10 % off).
- **Bundles.** A member's recurring prices are replaced by the bundle product's own fee; a
  member's replaced price that cannot be priced does not matter.
- **Consolidated billing.** A child account whose ``consolidatedBilling`` is set has its
  lines on its top consolidated ancestor's bill, as a section of its own (each line keeps
  the child's account id); discounts apply per account, before the sections are summed.
- **Discounts.** The discounts, caps and minimum spends of the products' offerings and the
  account's enterprise discount (own or inherited), as :mod:`openbss.billing.offer_terms`
  decides; the bundle's own price alteration stays in its rental.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from openbss.account.public import paying_account_id
from openbss.billing import repository as repo
from openbss.billing.assemble import AccountCharges, ProductCharges, account_lines, adjustment_line
from openbss.billing.cycles import BillCycle
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, ChargeType, SourceRef
from openbss.billing.offer_terms import OfferTerms, account_discount, product_terms
from openbss.billing.proration import ChargeTiming, RecurringPrice, RentalPeriod, StatusChange
from openbss.billing.tax import tax_category_for
from openbss.kit.money import RoundingRule, li_to_fen


class ExceptionReason(StrEnum):
    """Why a run could not bill an account (the exception report's reason codes)."""

    NO_PRICE = "NO_PRICE"  # a product's offering has no price (or amount) in the cycle
    NO_CYCLE = "NO_CYCLE"  # the account has no valid bill cycle day
    RATING_NOT_CURRENT = "RATING_NOT_CURRENT"  # the period was rerated during the run
    INVALID_DATA = "INVALID_DATA"  # anything else the kernel refuses


class Unbillable(Exception):
    """An account that goes to the exception report, with its reason."""

    def __init__(self, reason: ExceptionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class _Stretch:
    status: str
    offering_id: str
    valid_from: datetime
    valid_to: datetime


@dataclass
class ProvinceData:
    """Everything of a province's cycle the bills are made of, read once."""

    province: str
    cycle: BillCycle
    accounts: Mapping[str, repo.AccountInfo]
    products: Mapping[str, repo.ProductInfo]
    # product → its stretches of status and plan, in order
    stretches: Mapping[str, Sequence[_Stretch]]
    prices: Mapping[str, repo.OfferingPrices]
    # account → (product, service) → li
    usage: Mapping[str, Mapping[tuple[str, str], int]]
    one_time: Mapping[str, Sequence[repo.OneTimeFee]]
    rating_run_id: str = ""
    # (product, price) → fen earlier final bills charged in advance for this cycle
    advance_billed: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # account → the accounts whose lines are on its bill (itself first)
    sections: dict[str, list[str]] = field(default_factory=dict)
    # account → its products in service in the cycle, in id order (see ``products_of``)
    _in_service_by_account: dict[str, list[repo.ProductInfo]] | None = field(
        default=None, init=False, repr=False
    )

    def products_of(self, account_id: str) -> list[repo.ProductInfo]:
        """The account's products in service at some point of the cycle, in id order;
        indexed once for the whole province, as a run asks it of every account."""
        if self._in_service_by_account is None:
            index: dict[str, list[repo.ProductInfo]] = {}
            for product_id, product in sorted(self.products.items()):
                if product.billing_account_id is not None and self.in_service(product_id):
                    index.setdefault(product.billing_account_id, []).append(product)
            self._in_service_by_account = index
        return self._in_service_by_account.get(account_id, [])

    def in_service(self, product_id: str) -> bool:
        return any(
            s.status in repo.IN_SERVICE
            and s.valid_from < self.cycle.end_utc
            and s.valid_to > self.cycle.start_utc
            for s in self.stretches.get(product_id, ())
        )


def stretches_by_product(frame: pl.DataFrame) -> dict[str, list[_Stretch]]:
    found: dict[str, list[_Stretch]] = {}
    for product_id, status, offering_id, valid_from, valid_to in frame.select(
        "product_id", "status", "product_offering_id", "valid_from", "valid_to"
    ).iter_rows():
        found.setdefault(product_id, []).append(_Stretch(status, offering_id, valid_from, valid_to))
    return found


def bill_account_of(accounts: Mapping[str, repo.AccountInfo], account_id: str) -> str:
    """The account whose bill carries ``account_id``'s lines: itself, or the ancestor that
    pays for it under consolidated billing (集团统付)."""

    def parent_of(child: str) -> str | None:
        info = accounts.get(child)
        parent = info.parent_account_id if info is not None else None
        return parent if parent in accounts else None

    def consolidated(child: str) -> bool:
        info = accounts.get(child)
        return info is not None and info.consolidated

    return paying_account_id(account_id, parent_of, consolidated)


def due_sections(data: ProvinceData) -> dict[str, list[str]]:
    """The accounts due a bill, each with the accounts whose lines it carries (itself
    first, then its consolidated descendants with a product in service, in id order)."""
    active_accounts = {
        info.billing_account_id
        for product_id, info in data.products.items()
        if info.billing_account_id is not None and data.in_service(product_id)
    }
    sections: dict[str, set[str]] = {}
    for account_id in active_accounts:
        sections.setdefault(bill_account_of(data.accounts, account_id), set()).add(account_id)
    return {
        owner: [owner, *sorted(members - {owner})] for owner, members in sorted(sections.items())
    }


def _period(price: repo.CatalogPrice) -> RentalPeriod:
    if price.period == "month":
        return RentalPeriod.MONTH
    if price.period == "day":
        return RentalPeriod.DAY
    raise Unbillable(
        ExceptionReason.INVALID_DATA,
        f"price {price.name!r}: a rental per {price.period!r} (only month and day are billed)",
    )


def _timing(price: repo.CatalogPrice) -> ChargeTiming:
    if price.timing not in {t.value for t in ChargeTiming}:
        raise Unbillable(
            ExceptionReason.INVALID_DATA,
            f"price {price.name!r}: chargeTiming {price.timing!r} is neither inAdvance nor "
            "inArrears",
        )
    return ChargeTiming(price.timing)


def _is_member(data: ProvinceData, product: repo.ProductInfo) -> bool:
    return product.parent_product_id is not None and product.parent_product_id in data.products


def _offerings_since(data: ProvinceData, product_id: str) -> dict[str, datetime]:
    """Each offering the product had in the cycle → when its first stretch under it in the
    cycle begins (or the cycle's start, whichever is later): the instant its prices are read."""
    cycle = data.cycle
    first_in_cycle: dict[str, datetime] = {}
    for s in data.stretches.get(product_id, ()):
        if s.valid_from < cycle.end_utc and s.valid_to > cycle.start_utc:
            first_in_cycle.setdefault(s.offering_id, max(s.valid_from, cycle.start_utc))
    return first_in_cycle


def _offer_terms(data: ProvinceData, products: Sequence[repo.ProductInfo]) -> OfferTerms:
    """The discounts, caps and minimum spends of the products' offerings (members excepted)."""
    terms = OfferTerms()
    for product in products:
        if _is_member(data, product):
            continue
        members = sorted(p.id for p in data.products.values() if p.parent_product_id == product.id)
        terms.extend(
            product_terms(
                product.id,
                members,
                _offerings_since(data, product.id),
                data.prices,
                tax_category_for(product.service_type),
            )
        )
    return terms


_RENTAL_KEYS = {RentalPeriod.MONTH: "rental.monthly", RentalPeriod.DAY: "rental.daily"}
# What a product is "in" after hot billing's cut: nothing is charged from then on.
_NOT_YET = "notYetBilled"


def _product_charges(
    data: ProvinceData, product: repo.ProductInfo, cut_at: datetime | None
) -> ProductCharges:
    stretches = data.stretches.get(product.id, ())
    member = _is_member(data, product)
    first_in_cycle = _offerings_since(data, product.id)
    prices: list[RecurringPrice] = []
    for offering_id, since in first_in_cycle.items():
        offering = data.prices.get(offering_id)
        if offering is None or not offering.has_prices:
            if member:
                continue
            raise Unbillable(
                ExceptionReason.NO_PRICE,
                f"product {product.id}: offering {offering_id} has no price",
            )
        for price in offering.recurring:
            try:
                amount = price.amount_at(since)
            except repo.MissingPrice as missing:
                if member:
                    continue  # replaced by the bundle's fee anyway
                raise Unbillable(
                    ExceptionReason.NO_PRICE, f"product {product.id}: {missing}"
                ) from None
            period = _period(price)
            prices.append(
                RecurringPrice(
                    price_id=price.price_id,
                    product_offering_id=offering_id,
                    amount_fen=amount,
                    period=period,
                    tax_category=tax_category_for(product.service_type),
                    description_key=_RENTAL_KEYS[period],
                    suspended_chargeable=price.charge_when_suspended,
                    timing=_timing(price),
                )
            )
    history = [
        StatusChange(status=s.status, product_offering_id=s.offering_id, effective_at=s.valid_from)
        for s in stretches
    ]
    if cut_at is not None:
        # Nothing after the cut counts, not even a change already recorded for later.
        history = [change for change in history if change.effective_at < cut_at]
        history.append(StatusChange(status=_NOT_YET, product_offering_id="", effective_at=cut_at))
    return ProductCharges(
        product_id=product.id,
        service_type=product.service_type,
        history=tuple(history),
        prices=tuple(prices),
        replaced_price_ids=frozenset(p.price_id for p in prices) if member else frozenset(),
        advance_billed={
            p.price_id: data.advance_billed[(product.id, p.price_id)]
            for p in prices
            if (product.id, p.price_id) in data.advance_billed
        },
    )


@dataclass(frozen=True, slots=True)
class Adjustments:
    """Open rating adjustments and approved manual ones, by account."""

    rating: Mapping[str, Sequence[tuple[str, int]]]  # account → (adjustment id, li)
    manual: Mapping[str, Sequence[tuple[str, int]]]  # account → (adjustment id, fen)


NO_ADJUSTMENTS = Adjustments({}, {})


def _adjustment_lines(account_id: str, adjustments: Adjustments) -> tuple[ChargeLine, ...]:
    lines = [
        adjustment_line(
            amount_fen=li_to_fen(amount_li, RoundingRule.HALF_UP),
            source=SourceRef(repo.RATING_SOURCE, adjustment_id),
            description_key="adjustment.rerating",
        )
        for adjustment_id, amount_li in adjustments.rating.get(account_id, ())
    ]
    lines += [
        adjustment_line(
            amount_fen=amount_fen,
            source=SourceRef(repo.MANUAL_SOURCE, adjustment_id),
            description_key="adjustment.manual",
        )
        for adjustment_id, amount_fen in adjustments.manual.get(account_id, ())
    ]
    return tuple(lines)


def _one_time_lines(data: ProvinceData, account_id: str) -> tuple[ChargeLine, ...]:
    lines = []
    for fee in data.one_time.get(account_id, ()):
        if fee.amount_fen <= 0:
            continue
        product = data.products.get(fee.product_id or "")
        lines.append(
            ChargeLine(
                charge_type=ChargeType.ONE_TIME,
                tax_category=tax_category_for(product.service_type if product else ""),
                amount_fen=fee.amount_fen,
                source=SourceRef("productOrder", fee.order_id),
                description_key="oneTime",
                product_id=fee.product_id,
            )
        )
    return tuple(lines)


def section_lines(
    data: ProvinceData,
    account_id: str,
    adjustments: Adjustments,
    *,
    cut_at: datetime | None = None,
) -> list[ChargeLine]:
    """The lines of one account (a bill's own account or a consolidated child) for the
    cycle; with ``cut_at`` (hot billing) no day from that instant on is charged."""
    products = data.products_of(account_id)
    try:
        terms = _offer_terms(data, products)
        charges = AccountCharges(
            account_id=account_id,
            products=tuple(_product_charges(data, p, cut_at) for p in products),
            usage_li=dict(data.usage.get(account_id, {})),
            rating_run_id=data.rating_run_id,
            one_time=_one_time_lines(data, account_id),
            adjustments=_adjustment_lines(account_id, adjustments),
            product_discounts=tuple(terms.discounts),
            account_discount=account_discount(data.accounts, account_id),
            caps=tuple(terms.caps),
            minimum_spends=tuple(terms.minimum_spends),
        )
        return account_lines(charges, data.cycle)
    except BillingInputError as error:
        raise Unbillable(ExceptionReason.INVALID_DATA, error.message) from None


def load_province(
    session: Session, data_dir: Path, province: str, cycle: BillCycle, *, with_usage: bool = True
) -> ProvinceData:
    """Read what the province's bills of ``cycle`` are made of (usage from the period's
    current rating run)."""
    frame = repo.intervals(session, province)
    stretches = stretches_by_product(frame)
    offering_ids = {s.offering_id for rows in stretches.values() for s in rows}
    fees: dict[str, list[repo.OneTimeFee]] = {}
    for fee in repo.one_time_fees(session, province, cycle.start_utc, cycle.end_utc):
        if fee.billing_account_id is not None:
            fees.setdefault(fee.billing_account_id, []).append(fee)
    rating = repo.current_rating_run(session, province, cycle.period)
    data = ProvinceData(
        province=province,
        cycle=cycle,
        accounts=repo.accounts(session, province),
        products=repo.products(session, province),
        stretches=stretches,
        prices=repo.offering_prices(session, offering_ids),
        usage=repo.usage_by_product(session, data_dir, province, cycle.period)
        if with_usage
        else {},
        one_time=fees,
        rating_run_id=rating.id if rating is not None else "",
        advance_billed=repo.advance_billed(session, province, cycle.first_day, cycle.last_day),
    )
    data.sections = due_sections(data)
    return data


def load_adjustments(
    session: Session, province: str, period: str, account_ids: Sequence[str]
) -> Adjustments:
    rating: dict[str, list[tuple[str, int]]] = {}
    for row in repo.open_rating_adjustments(session, province, period, account_ids):
        rating.setdefault(row.account_id, []).append((row.id, row.amount_li))
    manual: dict[str, list[tuple[str, int]]] = {}
    for adjustment in repo.approved_adjustments(session, province, account_ids):
        manual.setdefault(adjustment.billing_account_id, []).append(
            (adjustment.id, adjustment.amount_fen)
        )
    return Adjustments(rating, manual)
