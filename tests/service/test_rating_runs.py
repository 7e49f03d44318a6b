"""Rating a period from the database and the usage store, and rerating it after a correction.

Every amount is worked out by hand from the 2005 tariffs: local 0.22 yuan for the first
3 minutes then 0.11 per started minute; DDD 0.07 per started 6 s, 0.04 from 00:00 to 07:00;
Hong Kong 0.20 per 6 s.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import openbss.rating.runs as runs
from openbss.catalog import public as catalog
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.clock import frozen_at
from openbss.kit.errors import Conflict
from openbss.kit.security import SYSTEM
from openbss.mediation.reconcile import reconcile
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from openbss.rating import repository as repo
from openbss.rating.models import AccountDelta, RatingAdjustment, RatingRun
from openbss.rating.partitioned import read_rated
from openbss.rating.seed import BINDINGS, BUNDLE_LOCAL_ALLOWANCE
from openbss.rating.tariffs import add_version, bind_price, save_allowance, version_document
from tests.ordering_support import GD, Sales, bundle_order, new_customer
from tests.rating_support import PERIOD, call, line, mediate, national, rating_ready
from tests.support import need

# Tuesday 3 March 2026 in Guangzhou (UTC+8).
AT_10 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 10:00, day band
AT_01 = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 01:00 on the 4th, night band


def _rate(factory: sessionmaker[Session], data_dir: Path, **kwargs: Any) -> runs.RunOutcome:
    return runs.rate_period(factory, data_dir, "GD", PERIOD, workers=1, partitions=1, **kwargs)


def _second_customer(factory: sessionmaker[Session], sales: Sales) -> Sales:
    with unit_of_work(factory) as session:
        party_id, customer_id, account_id = new_customer(session, 2, "李", "华")
    return Sales(sales.catalog, customer_id, party_id, account_id)


def _unbind_phs(factory: sessionmaker[Session]) -> None:
    """PHS prices lose their tariff: PHS lines have no tariff any more."""
    with unit_of_work(factory) as session:
        prices = catalog.price_ids_by_code(session, BINDINGS)
        for code, price_id in prices.items():
            if code.startswith("CT-POP-PHS-"):
                bind_price(session, SYSTEM, price_id, None, ())


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]]:
    """Two customers: A with a fixed line and a PHS line, B with a fixed line; a day of
    calls mediated into the store."""
    factory = session_factory
    sales_a = rating_ready(factory)
    sales_b = _second_customer(factory, sales_a)
    a = line(factory, sales_a, street="天河路 1 号")
    phs = line(factory, sales_a, "CT-PO-PHS", street="天河路 1 号")
    b = line(factory, sales_b, street="中山路 2 号")
    _unbind_phs(factory)
    rows = [
        call(0, national(a), AT_10, "02087654321", 200),  # local: 220 + 110
        call(1, national(a), AT_10 + timedelta(minutes=5), "01062345678", 61),  # DDD 11 × 70
        call(2, national(a), AT_10 + timedelta(minutes=9), "0085223456789", 30),  # HK 5 × 200
        call(3, national(a), AT_10 + timedelta(minutes=12), "0033123456", 60),  # France: unknown
        call(4, national(b), AT_10 + timedelta(minutes=1), "02012345678", 60),  # local: 220
        call(5, national(b), AT_01, "075512345678", 120),  # DDD night 20 × 40
        call(6, national(phs), AT_10 + timedelta(minutes=2), "02012345678", 60),  # no tariff
    ]
    outcome = mediate(factory, tmp_path, rows, "GZ-SW01_0001.csv")
    assert (outcome.normalised, outcome.rejected) == (7, 0)
    return factory, tmp_path, sales_a, sales_b, {"a": a, "b": b, "phs": phs}


def _run_dir(factory: sessionmaker[Session], run_id: str) -> Path:
    with factory() as session:
        run = session.get(RatingRun, run_id)
        assert run is not None and run.output_dir is not None
        return Path(run.output_dir)


def _by_reference(factory: sessionmaker[Session], data_dir: Path, run_id: str) -> pl.DataFrame:
    rated = read_rated(_run_dir(factory, run_id)).collect()
    usage = pl.scan_parquet(
        [str(p) for p in (data_dir / "usage" / "normalised").glob("**/*.parquet")]
    ).select("record_id", "call_reference")
    return (
        rated.join(usage.collect(), on="record_id")
        .with_columns(pl.col(pl.Enum).cast(pl.String))
        .sort("call_reference")
    )


def test_a_period_is_rated_exactly_and_errors_are_counted_in_the_reconcile(
    world: tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]],
) -> None:
    factory, data_dir, sales_a, sales_b, _numbers = world
    steps: list[tuple[str, int, int, int]] = []
    outcome = _rate(factory, data_dir, progress=lambda *step: steps.append(step))

    assert (outcome.records, outcome.rated) == (7, 5)
    # Progress reports every file split and every partition rated, with their records.
    for stage in ("split", "rate"):
        reported = [step for step in steps if step[0] == stage]
        assert reported and reported[-1][1] == reported[-1][2]
        assert sum(step[3] for step in reported) == 7
    assert outcome.errors == {"UNKNOWN_DESTINATION": 1, "NO_TARIFF": 1}
    assert outcome.amount_li == 330 + 770 + 1000 + 220 + 800
    rated = _by_reference(factory, data_dir, outcome.run_id)
    assert dict(zip(rated["call_reference"], rated["amount_li"], strict=True)) == {
        "ref-0": 330,
        "ref-1": 770,
        "ref-2": 1000,
        "ref-3": 0,
        "ref-4": 220,
        "ref-5": 800,
        "ref-6": 0,
    }
    explained = rated.filter(pl.col("call_reference") == "ref-1").row(0, named=True)
    assert explained["tariff_id"] == "CT2005-FIXED"
    assert explained["tariff_version"] == 1
    assert (explained["matched_prefix"], explained["zone"], explained["band"]) == (
        "8610",
        "interProvince",
        "day",
    )
    assert explained["units"] == 66
    assert rated.filter(pl.col("call_reference") == "ref-5")["band"].to_list() == ["night"]
    errors = dict(zip(rated["call_reference"], rated["error"], strict=True))
    assert (errors["ref-3"], errors["ref-6"]) == ("UNKNOWN_DESTINATION", "NO_TARIFF")

    # The first rating shows every account's amount as a change from nothing.
    per_account = {a.account_id: a.delta_li for a in outcome.accounts}
    assert per_account == {sales_a.account_id: 2100, sales_b.account_id: 1020}

    with factory() as session:
        (line_,) = reconcile(session, "GD", downstream=runs.current_batch_counts(session, "GD"))
    assert (line_.records_in, line_.normalised) == (7, 7)
    assert (line_.rated, line_.rating_errors, line_.not_rated) == (5, 2, 0)


def _correct(
    factory: sessionmaker[Session], change: str, figure: str, value: int, reason: str
) -> int:
    """Load the next version of CT2005-FIXED with one figure changed in the rules named
    ``change``; returns the version number."""
    with unit_of_work(factory) as session:
        versions = repo.tariff_versions(session, "GD", "CT2005-FIXED")
        document = deepcopy(version_document(versions[-1]))
        document["version"] = versions[-1].version + 1
        document["reason"] = reason
        touched = 0
        for rule in document["rules"]:
            day_rate = change != "ddd" or rule.get("band") is None  # DDD: the day rate only
            if rule["name"] == change and rule["charge"].get(figure) is not None and day_rate:
                rule["charge"][figure] = value
                touched += 1
        assert touched
        add_version(session, SYSTEM, document)
        return int(document["version"])


def test_rerating_a_correction_gives_exact_account_deltas_once(
    world: tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]],
) -> None:
    factory, data_dir, sales_a, _sales_b, _numbers = world
    first = _rate(factory, data_dir)

    # The DDD day rate was loaded as 0.07; the correction makes it 0.06 per 6 s.
    assert _correct(factory, "ddd", "stepLi", 60, "DDD day rate 0.06") == 2
    rerated = _rate(factory, data_dir, reason="DDD correction")
    assert rerated.previous_run_id == first.run_id
    assert rerated.changed_records == 1  # only the Beijing day call; the night call is 0.04
    assert rerated.delta_li == -110  # 11 steps × 0.01
    assert [(a.account_id, a.records, a.before_li, a.after_li) for a in rerated.accounts] == [
        (sales_a.account_id, 1, 770, 660)
    ]
    assert rerated.amount_li == first.amount_li - 110
    rated = _by_reference(factory, data_dir, rerated.run_id)
    beijing = rated.filter(pl.col("call_reference") == "ref-1").row(0, named=True)
    assert (beijing["amount_li"], beijing["tariff_version"]) == (660, 2)
    changes = pl.read_parquet(_run_dir(factory, rerated.run_id) / runs.CHANGES_FILE)
    assert changes.select("before_li", "after_li", "delta_li").rows() == [(770, 660, -110)]

    # The same correction rated again changes nothing.
    again = _rate(factory, data_dir, reason="DDD correction")
    assert (again.changed_records, again.delta_li, again.accounts) == (0, 0, [])
    assert again.amount_li == rerated.amount_li
    with factory() as session:
        assert repo.account_deltas(session, again.run_id) == []
        assert not session.scalars(select(RatingAdjustment)).all()
        # Only the current run's records are kept, with the runs before it on record.
        kept = [r.id for r in repo.runs(session, "GD", PERIOD) if r.output_dir]
        assert kept == [again.run_id]


def test_rerating_a_billed_period_makes_adjustments_not_silent_changes(
    world: tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]],
) -> None:
    factory, data_dir, sales_a, sales_b, _numbers = world
    billed = _rate(factory, data_dir)
    with unit_of_work(factory) as session:
        assert runs.close_period(session, "GD", PERIOD) == billed.run_id

    # Local calls: the first 3 minutes were 0.22; corrected to 0.20 after billing.
    _correct(factory, "local", "firstBlockLi", 200, "local first block 0.20")
    rerated = _rate(factory, data_dir, reason="local correction")
    assert rerated.billed and rerated.adjustments == 2
    with factory() as session:
        adjustments = {
            a.account_id: (a.amount_li, a.period, a.status, a.reason)
            for a in repo.adjustments(session, "GD", PERIOD)
        }
        billed_run = session.get(RatingRun, billed.run_id)
        assert billed_run is not None and billed_run.output_dir  # the billed records stay
    assert adjustments == {
        sales_a.account_id: (-20, PERIOD, "open", "local correction"),
        sales_b.account_id: (-20, PERIOD, "open", "local correction"),
    }
    again = _rate(factory, data_dir, reason="local correction")
    assert (again.changed_records, again.adjustments) == (0, 0)
    with factory() as session:
        assert len(repo.adjustments(session, "GD", PERIOD)) == 2
        deltas = session.scalars(select(AccountDelta)).all()
        assert sum(d.delta_li for d in deltas if d.run_id == rerated.run_id) == -40


def _bundle_line(factory: sessionmaker[Session], sales: Sales) -> str:
    """A fixed line + ADSL bundle, activated; returns the fixed line's number."""
    with frozen_at(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        with factory() as session:
            order = product_orders.create(session, GD, bundle_order(sales))
            session.commit()
        work_until_idle(factory)
    with factory() as session:
        numbers = session.scalars(
            select(Product.service_id).where(
                Product.parent_product_id.is_not(None),
                Product.service_id.like("+86%"),
                Product.product_order_id == order.id,
            )
        ).all()
    (number,) = numbers
    return str(number)


def test_bundle_minutes_are_drawn_in_time_order_and_counters_persisted_once(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    factory = session_factory
    sales = rating_ready(factory)
    number = _bundle_line(factory, sales)
    rows = [
        # 40 minutes, then 70: the bundle's 100 local minutes cover the first and 60 minutes
        # of the second; the 10 minutes left are rated as a call of their own.
        call(0, national(number), AT_10, "02087654321", 40 * 60),
        call(1, national(number), AT_10 + timedelta(hours=2), "02087654321", 70 * 60),
        call(2, national(number), AT_10 + timedelta(hours=4), "01062345678", 60),  # not local
    ]
    mediate(factory, tmp_path, list(reversed(rows)), "GZ-SW01_0002.csv")
    first = _rate(factory, tmp_path)
    rated = _by_reference(factory, tmp_path, first.run_id)
    got = {
        r["call_reference"]: (r["allowance_id"], r["allowance_used"], r["units"], r["amount_li"])
        for r in rated.iter_rows(named=True)
    }
    assert got == {
        "ref-0": (BUNDLE_LOCAL_ALLOWANCE, 2400, 2400, 0),
        "ref-1": (BUNDLE_LOCAL_ALLOWANCE, 3600, 3600 + 180 + 7 * 60, 220 + 7 * 110),
        "ref-2": (None, 0, 60, 10 * 70),
    }
    with factory() as session:
        counters = [
            (c.allowance_id, c.owner, c.cycle, c.fresh, c.carried)
            for c in repo.counters(session, "GD", PERIOD)
        ]
    assert counters == [(BUNDLE_LOCAL_ALLOWANCE, number, PERIOD, 0, 0)]
    # Rating the period again starts the cycle afresh: nothing is drawn twice.
    again = _rate(factory, tmp_path)
    assert (again.amount_li, again.changed_records) == (first.amount_li, 0)
    with factory() as session:
        assert [(c.fresh, c.run_id) for c in repo.counters(session, "GD", PERIOD)] == [
            (0, again.run_id)
        ]


def test_a_run_that_dies_changes_nothing_and_the_next_one_cleans_up(
    world: tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory, data_dir, _a, _b, _numbers = world
    good = _rate(factory, data_dir)

    def dies(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(runs, "_compare", dies)
    with pytest.raises(RuntimeError, match="worker lost"):
        _rate(factory, data_dir)
    monkeypatch.undo()
    with factory() as session:
        period = repo.find_period(session, "GD", PERIOD)
        assert period is not None and period.current_run_id == good.run_id
        failed = [r for r in repo.runs(session, "GD", PERIOD) if r.status == "failed"]
        assert len(failed) == 1 and "worker lost" in (failed[0].error or "")

    # A process killed outright leaves a 'running' row and a directory behind.
    root = runs.rated_root(data_dir, "GD", PERIOD)
    killed = root / "run=killed"
    killed.mkdir(parents=True)
    (killed / "rated-0000.parquet.tmp").write_bytes(b"half a file")
    with unit_of_work(factory) as session:
        session.add(
            RatingRun(
                id="killed", province="GD", period=PERIOD, status="running", output_dir=str(killed)
            )
        )
    after = _rate(factory, data_dir)
    assert (after.records, after.changed_records, after.amount_li) == (7, 0, good.amount_li)
    assert not killed.exists()
    assert sorted(p.name for p in root.iterdir()) == [f"run={after.run_id}"]
    with factory() as session:
        stale = session.get(RatingRun, "killed")
        assert stale is not None and stale.status == "abandoned"


def test_bad_periods_are_refused(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    for period in ("2026-13", "2026-3", "March"):
        with pytest.raises(Exception, match="YYYY-MM"):
            runs.rate_period(session_factory, tmp_path, "GD", period)
    with session_factory() as session:
        assert repo.runs(session, None, None) == []
    with unit_of_work(session_factory) as session, pytest.raises(Conflict):
        runs.close_period(session, "GD", PERIOD)


def test_unused_minutes_carry_into_the_next_cycle_from_the_persisted_counters(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    factory = session_factory
    sales = rating_ready(factory)
    with unit_of_work(factory) as session:
        save_allowance(
            session,
            SYSTEM,
            {
                "id": "CT-AL-CARRY-10MIN",
                "service": "voice",
                "zones": ["local"],
                "unitsPerCycle": 600,
                "carryOverCycles": 1,
            },
        )
        rental = catalog.price_ids_by_code(session, ["CT-POP-FIXED-RENTAL"])["CT-POP-FIXED-RENTAL"]
        bind_price(session, SYSTEM, rental, None, ["CT-AL-CARRY-10MIN"])
    number = line(factory, sales)
    quiet = line(factory, sales, street="中山路 9 号")  # no call in March
    april_at = datetime(2026, 4, 7, 2, 0, tzinfo=UTC)  # Tuesday 7 April, 10:00
    mediate(factory, tmp_path, [call(0, national(number), AT_10, "02087654321", 200)], "m.csv")
    april_calls = [
        call(1, national(number), april_at, "02087654321", 900),
        call(2, national(quiet), april_at, "02087654321", 900),
    ]
    mediate(factory, tmp_path, april_calls, "a.csv")

    def balances(cycle: str) -> dict[str, tuple[int, int]]:
        with factory() as session:
            return {c.owner: (c.fresh, c.carried) for c in repo.counters(session, "GD", cycle)}

    march = _rate(factory, tmp_path)
    assert march.amount_li == 0  # 200 of 600 seconds
    # The quiet line's pool is kept too, untouched, so that it carries into April.
    assert balances(PERIOD) == {number: (400, 0), quiet: (600, 0)}
    april = runs.rate_period(factory, tmp_path, "GD", "2026-04", workers=1, partitions=1)
    # Carried units are drawn first: 400 + 500 fresh, and 600 + 300 fresh.
    assert april.amount_li == 0
    assert balances("2026-04") == {number: (100, 0), quiet: (300, 0)}

    # A late March call uses 300 more: March closes with 100, and April is now stale.
    late = call(3, national(number), AT_10 + timedelta(days=1), "02087654321", 300)
    mediate(factory, tmp_path, [late], "late.csv")
    march_again = _rate(factory, tmp_path)
    assert march_again.later_periods == ["2026-04"]
    assert balances(PERIOD) == {number: (100, 0), quiet: (600, 0)}
    april_again = runs.rate_period(factory, tmp_path, "GD", "2026-04", workers=1, partitions=1)
    # 100 carried + 600 fresh cover 700 of 900 s; the last 200 s are a call of their own.
    assert april_again.amount_li == 220 + 110
    assert april_again.changed_records == 1


def test_a_period_without_usage_is_rated_as_empty(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rating_ready(session_factory)
    outcome = runs.rate_period(session_factory, tmp_path, "GD", "2026-02", workers=1)
    assert (outcome.records, outcome.amount_li, outcome.accounts) == (0, 0, [])
    with session_factory() as session:
        period = repo.find_period(session, "GD", "2026-02")
        assert period is not None and period.current_run_id == outcome.run_id


@pytest.mark.spark
def test_a_period_rated_on_spark_equals_the_in_process_rating(
    world: tuple[sessionmaker[Session], Path, Sales, Sales, dict[str, str]],
) -> None:
    need(importlib.util.find_spec("pyspark") is not None, "pyspark is not installed")
    need(shutil.which("java") is not None or "JAVA_HOME" in os.environ, "java is not installed")
    factory, data_dir, _a, _b, _numbers = world
    local = _rate(factory, data_dir)
    columns = ["call_reference", "tariff_id", "tariff_version", "matched_prefix", "zone", "band"]
    columns += ["units", "allowance_id", "allowance_used", "amount_li", "error"]
    local_rows = _by_reference(factory, data_dir, local.run_id).select(columns)
    on_spark = runs.rate_period(factory, data_dir, "GD", PERIOD, engine="spark")
    assert on_spark.previous_run_id == local.run_id
    # Compared record by record with the in-process run: nothing differs.
    assert (on_spark.changed_records, on_spark.accounts) == (0, [])
    assert (on_spark.records, on_spark.rated, on_spark.errors, on_spark.amount_li) == (
        local.records,
        local.rated,
        local.errors,
        local.amount_li,
    )
    spark_rows = _by_reference(factory, data_dir, on_spark.run_id).select(columns)
    assert spark_rows.equals(local_rows), (spark_rows, local_rows)
