"""Rated usage read back from the store: the current run's records, joined to their usage.

Amounts by the 2005 tariffs: local 0.22 yuan for the first 3 minutes then 0.11 per started
minute; DDD 0.07 per started 6 s in the day; Hong Kong 0.20 per 6 s.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.security import SYSTEM
from openbss.mediation import store as usage_store
from openbss.mediation.models import MediationBatch
from openbss.rating import repository as repo
from openbss.rating import store
from openbss.rating.runs import rate_period
from openbss.rating.tariffs import add_version, version_document
from tests.rating_support import PERIOD, call, line, mediate, national, rating_ready

AT_10 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 3 March, 10:00 in Guangzhou


def _rated(factory: sessionmaker[Session], data_dir: Path) -> pl.DataFrame:
    with factory() as session:
        return store.rated_usage(session, data_dir, "GD", PERIOD).collect().sort("duration_s")


def test_rated_usage_is_the_current_runs_records_with_their_usage(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    factory = session_factory
    sales = rating_ready(factory)
    number = line(factory, sales)
    rows = [
        call(0, national(number), AT_10, "02087654321", 200),  # local: 220 + 110
        call(1, national(number), AT_10 + timedelta(minutes=5), "01062345678", 61),  # 11 × 70
        call(2, national(number), AT_10 + timedelta(minutes=9), "0085223456789", 30),  # 5 × 200
    ]
    outcome = mediate(factory, tmp_path, rows, "GZ-SW01_0001.csv")
    assert outcome.normalised == 3

    empty = _rated(factory, tmp_path)  # not rated yet: nothing, in the same shape
    assert empty.is_empty() and empty.schema == pl.Schema(store.RATED_USAGE_SCHEMA)

    first = rate_period(factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    rated = _rated(factory, tmp_path)

    with factory() as session:
        usage = usage_store.usage_frame(session, tmp_path, "GD", store.period_days(PERIOD))
        record_ids = sorted(usage.collect().get_column("record_id").to_list())
        product = session.query(Product).filter(Product.service_id == number).one()
    assert rated.schema == pl.Schema(store.RATED_USAGE_SCHEMA)
    assert sorted(rated.get_column("record_id").to_list()) == record_ids
    assert rated.select("duration_s", "amount_li", "tariff_version", "zone", "error").rows() == [
        (30, 1000, 1, "hkMoTw", None),
        (61, 770, 1, "interProvince", None),
        (200, 330, 1, "local", None),
    ]
    assert rated.select("rule_index", "rule", "band").rows() == [
        (9, "hkMoTw", "day"),
        (7, "ddd", "day"),
        (3, "local", "day"),
    ]
    assert set(rated.get_column("billing_account_id")) == {sales.account_id}
    assert set(rated.get_column("customer_id")) == {sales.customer_id}
    assert set(rated.get_column("product_id")) == {product.id}
    assert set(rated.get_column("charging_party")) == {number}
    assert set(rated.get_column("tariff_id")) == {"CT2005-FIXED"}
    assert rated.get_column("event_time").to_list() == [
        AT_10 + timedelta(minutes=9),
        AT_10 + timedelta(minutes=5),
        AT_10,
    ]
    called = rated.get_column("called").to_list()
    assert called == ["+85223456789", "+861062345678", "+862087654321"]
    assert int(rated.get_column("amount_li").sum()) == first.amount_li

    # The DDD day rate corrected to 0.06 per 6 s, and the period rerated: only the new
    # run's records are read, never the superseded run's.
    with unit_of_work(factory) as session:
        versions = repo.tariff_versions(session, "GD", "CT2005-FIXED")
        document = deepcopy(version_document(versions[-1]))
        document["version"] = 2
        for rule in document["rules"]:
            if rule["name"] == "ddd" and rule.get("band") is None:
                rule["charge"]["stepLi"] = 60
        add_version(session, SYSTEM, document)
    rerated = rate_period(factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    assert rerated.previous_run_id == first.run_id

    again = _rated(factory, tmp_path)
    assert sorted(again.get_column("record_id").to_list()) == record_ids
    assert again.select("duration_s", "amount_li", "tariff_version").rows() == [
        (30, 1000, 2),
        (61, 660, 2),
        (200, 330, 2),
    ]
    with factory() as session:
        current = store.current_run(session, "GD", PERIOD)
    assert current is not None and current.id == rerated.run_id


def test_usage_of_a_batch_not_finished_is_not_read(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    factory = session_factory
    sales = rating_ready(factory)
    number = line(factory, sales)
    outcome = mediate(
        factory, tmp_path, [call(0, national(number), AT_10, "02087654321", 60)], "GZ-SW01_1.csv"
    )
    days = store.period_days(PERIOD)
    with factory() as session:
        (part,) = usage_store.finished_usage_parts(session, tmp_path, "GD", days)
    assert usage_store.batch_of(part) == outcome.batch_id

    with unit_of_work(factory) as session:  # as if the batch were still being written
        batch = session.get(MediationBatch, outcome.batch_id)
        assert batch is not None
        batch.status = "processing"
    with factory() as session:
        assert usage_store.finished_usage_parts(session, tmp_path, "GD", days) == []
        assert usage_store.finished_usage_parts(session, tmp_path, "GD") == []
        frame = usage_store.usage_frame(session, tmp_path, "GD", days).collect()
    assert frame.is_empty() and frame.columns == usage_store.USAGE_SCHEMA.names
