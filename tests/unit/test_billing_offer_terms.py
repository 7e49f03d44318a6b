"""Which discounts, caps and minimum spends a bill gets, from offering terms and accounts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openbss.account.calculations import enterprise_discount_basis_points, inherited_setting
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeType, TaxCategory
from openbss.billing.offer_terms import account_discount, product_terms
from openbss.billing.repository import AccountInfo, CatalogDiscount, OfferingPrices
from openbss.catalog.public import DiscountTerms, PriceSpan
from openbss.kit.errors import Unprocessable

APRIL = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April in Guangzhou
JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)


def _term(
    price_id: str,
    kind: str,
    *,
    fen: int | None = None,
    bp: int | None = None,
    types: tuple[str, ...] | None = None,
    valid_to: datetime | None = None,
) -> CatalogDiscount:
    versions = () if fen is None else (PriceSpan(1, fen, JAN),)
    return CatalogDiscount(
        price_id, price_id, DiscountTerms(kind, bp, types), (JAN, valid_to), versions
    )


def test_offering_terms_become_kernel_inputs_with_the_run_s_defaults() -> None:
    prices = {
        "PO": OfferingPrices(
            "PO",
            True,
            (),
            (
                _term("off", "discount", bp=1250, types=("usage",)),
                _term("fixed", "discount", fen=500),
                _term("cap", "cap", fen=3000),
                _term("min", "minimumSpend", fen=1000, types=("recurring",)),
                _term("ended", "discount", bp=5000, valid_to=APRIL),
            ),
        )
    }
    terms = product_terms("p1", ["m1"], {"PO": APRIL}, prices, TaxCategory.BASIC)
    assert [(d.discount_id, d.basis_points, d.fixed_fen) for d in terms.discounts] == [
        ("off", 1250, None),
        ("fixed", None, 500),
    ]
    assert terms.discounts[0].charge_types == {ChargeType.USAGE}
    assert terms.discounts[1].product_ids == {"p1", "m1"}
    assert len(terms.discounts[1].charge_types) == 3  # rentals, one-time fees, usage
    (cap,) = terms.caps
    assert (cap.cap_fen, cap.charge_types) == (3000, {ChargeType.RECURRING, ChargeType.USAGE})
    (minimum,) = terms.minimum_spends
    assert (minimum.product_id, minimum.minimum_fen, minimum.charge_types) == (
        "p1",
        1000,
        {ChargeType.RECURRING},
    )
    assert product_terms("p1", [], {"PO": JAN.replace(year=2025)}, prices, TaxCategory.BASIC) == (
        product_terms("p1", [], {}, prices, TaxCategory.BASIC)
    )  # before the terms' validity: none apply


def _account(id_: str, parent: str | None, percent: object = None) -> AccountInfo:
    return AccountInfo(id_, 1, None, parent, False, percent)


def test_an_enterprise_discount_is_inherited_unless_a_child_has_its_own() -> None:
    accounts = {
        "group": _account("group", None, 8.5),
        "branch": _account("branch", "group"),
        "shop": _account("shop", "branch"),
        "own": _account("own", "group", 0),
    }
    found = {a: account_discount(accounts, a) for a in accounts}
    assert {a: (d.discount_id, d.basis_points) for a, d in found.items() if d} == {
        "group": ("group", 850),
        "branch": ("group", 850),
        "shop": ("group", 850),
    }
    assert found["own"] is None
    with pytest.raises(BillingInputError):
        account_discount({"bad": _account("bad", None, 120)}, "bad")


def test_enterprise_discount_percentages() -> None:
    assert [enterprise_discount_basis_points(v) for v in (None, 0, 12.5, 100)] == [
        None,
        0,
        1250,
        10000,
    ]
    for bad in (-0.01, 100.01, 0.001, "5", True):
        with pytest.raises(Unprocessable):
            enterprise_discount_basis_points(bad)
    parents = {"c": "b", "b": "a", "a": "c"}  # a loop stops rather than spins
    assert inherited_setting("c", parents.get, lambda _a: None) is None
