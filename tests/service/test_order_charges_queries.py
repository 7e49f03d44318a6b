"""An order's charges load the offering's prices and their versions in a fixed number of
queries, however many prices the offering has, and come out as pricing each one alone does."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.catalog.models import ProductOffering
from openbss.catalog.public import MinorUnit, altered_amount, get_price, price_at
from openbss.ordering.capture import charges_of
from tests.ordering_support import sales_ready

ORDERED = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


def _expected(session: Session, offering: ProductOffering) -> list[tuple[str, int]]:
    """Each price looked up on its own, as order capture did before (two queries a price)."""
    expected = []
    for ref in offering.doc.get("productOfferingPrice") or []:
        price = get_price(session, str(ref["id"]))
        if price is None or price.price_type not in ("recurring", "oneTime"):
            continue
        version = price_at(session, price.id, ORDERED)
        if version is None or version.amount_fen is None:
            continue
        alteration = next(iter(price.doc.get("priceAlteration") or []), None)
        amount = version.amount_fen
        if alteration:
            amount = altered_amount(amount, MinorUnit.FEN, alteration)
        expected.append((price.id, amount))
    return expected


def test_charges_take_two_queries_whatever_the_number_of_prices(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    sales_ready(session_factory, pools=False)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with session_factory() as session:
        offerings = session.scalars(select(ProductOffering)).all()
        priced = [o for o in offerings if len(o.doc.get("productOfferingPrice") or []) >= 2]
        assert priced, "the seeded catalog has offerings with several prices"
        checked = 0
        for offering in priced:
            expected = _expected(session, offering)
            session.expire_all()  # nothing of the prices left in the session
            session.refresh(offering)  # the offering itself is the caller's, already loaded
            event.listen(engine, "before_cursor_execute", count)
            try:
                statements.clear()
                charges = charges_of(session, offering, ORDERED, in_bundle=False)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert len(statements) <= 2, statements
            assert [(c.price_id, c.amount_fen) for c in charges] == expected
            checked += bool(expected)
        assert checked > 0
