"""The seeded group master catalog: China Telecom tariffs, exact amounts, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.catalog.models import (
    Catalog,
    Category,
    PriceVersion,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)
from openbss.catalog.seed import seed_catalog
from openbss.catalog.service import price_at
from tests.conftest import KeyMaker

BASE = "/tmf-api/productCatalogManagement/v4"
MODELS = (
    Catalog,
    Category,
    ProductSpecification,
    ProductOffering,
    ProductOfferingPrice,
    PriceVersion,
    AuditEntry,
)


def _counts(session: Session) -> list[int]:
    return [session.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS]


def test_seed_is_idempotent_and_exact(session: Session) -> None:
    ids = seed_catalog(session)
    session.commit()
    first = _counts(session)
    assert first[:6] == [1, 5, 5, 10, 19, 19]
    again = seed_catalog(session)
    session.commit()
    assert again == ids
    assert _counts(session) == first
    assert ids["productSpecification"] == ids["CT-PS-FIXED-VOICE"]
    in_2006 = datetime(2006, 6, 1, tzinfo=UTC)
    expected = {  # code: (amount_fen, rate_li)
        "CT-POP-LOCAL-FIRST3": (None, 220),
        "CT-POP-LOCAL-NEXT": (None, 110),
        "CT-POP-DDD": (None, 70),
        "CT-POP-DDD-NIGHT": (None, 40),
        "CT-POP-INTL": (None, 800),
        "CT-POP-HMT": (None, 200),
        "CT-POP-IP17909": (None, 300),
        "CT-POP-PHS-RENTAL": (18, None),
        "CT-POP-PHS-INCOMING": (None, 0),
        "CT-POP-PHS-SMS": (None, 100),
        "CT-POP-ADSL-2M-MONTHLY": (12000, None),
        "CT-POP-FIXED-RENTAL": (2500, None),
        "CT-POP-FIXED-INSTALL": (10000, None),
        "CT-POP-ADSL-INSTALL": (10000, None),
        "CT-POP-PHS-CAP": (3000, None),  # the capped PHS plan's 封顶 (illustrative)
    }
    for code, amounts in expected.items():
        version = price_at(session, ids[code], in_2006)
        assert version is not None, code
        assert (version.amount_fen, version.rate_li) == amounts, code
    bundle = session.get(ProductOffering, ids["CT-PO-BUNDLE-FIXED-ADSL"])
    assert bundle is not None and bundle.is_bundle and bundle.province is None
    members = {m["id"] for m in bundle.doc["bundledProductOffering"]}
    assert members == {ids["CT-PO-FIXED-LOCAL"], ids["CT-PO-ADSL-2M"]}


def test_seeded_rows_satisfy_the_ctk_list_checks(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        seed_catalog(s)
        s.commit()
    headers = auth("csr", "GD")  # a province reads the group catalog
    required = {"href", "id", "lastUpdate", "lifecycleStatus", "name"}
    for path in (
        "productSpecification",
        "productOffering",
        "productOfferingPrice",
        "category",
        "catalog",
    ):
        items = client.get(f"{BASE}/{path}?limit=50", headers=headers).json()
        assert items, path
        for item in items:
            assert required <= set(item), (path, item)
            assert item["lifecycleStatus"] == "active"
            if path == "productOffering":
                extra = "bundledProductOffering" if item["isBundle"] else "productSpecification"
                assert extra in item
            if path == "productOfferingPrice":
                assert isinstance(item["priceType"], str)
    phs = client.get(f"{BASE}/productSpecification?serviceType=phs", headers=headers).json()
    assert [s["name"] for s in phs] == ["小灵通"]
