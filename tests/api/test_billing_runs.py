"""Bill runs from the database and the rated-usage store, every bill worked out by hand.

April 2026 has 30 days; VAT is 9 % on basic telecom (fixed, PHS, voice, the bundle) and 6 %
on value-added (broadband), inside the prices: the VAT of a line is
``round_half_up(amount × r / (1 + r))``.

Customer A: fixed line 25.00 (VAT 2500×9/109 = 206.4 → 206); ADSL ceased on the 16th, so
1–15 April: 120.00 × 15/30 = 60.00 (VAT 6000×6/106 = 339.6 → 340); PHS from the 21st,
10 days × 0.18 = 1.80 (VAT 14.9 → 15); calls 330 + 770 li = 1.10 (VAT 9.1 → 9).
Total 87.90, VAT 5.70. Customer B: the bundle's 108.00 (VAT 891.7 → 892) and nothing for
its members' rentals.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.billing import repository as repo
from openbss.billing.adjustments import approve_adjustment, request_adjustment
from openbss.billing.errors import BillingInputError
from openbss.billing.hot import hot_bill
from openbss.billing.models import (
    AdjustmentStatus,
    BillException,
    BillingPeriod,
    BillRun,
    CustomerBill,
    ManualAdjustment,
    RunStatus,
)
from openbss.billing.runs import discard_run, run_bills
from openbss.catalog.models import PriceVersion
from openbss.db.uow import unit_of_work
from openbss.events.models import OutboxEvent
from openbss.kit.clock import frozen_at
from openbss.kit.errors import Conflict, Forbidden
from openbss.rating import repository as rating_repo
from openbss.rating import store as rating_store
from openbss.rating.models import RatingAdjustment
from tests.billing_support import APRIL, MAY, World, build_world, rate
from tests.rating_support import call, line, mediate, national, rating_ready

BillView = tuple[str, str, int, int, tuple[tuple[object, ...], ...]]


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(session_factory, tmp_path)


def bills_of(factory: sessionmaker[Session], run_id: str) -> dict[str, BillView]:
    """account → (bill number, state, amount, tax, items) of a run's bills."""
    with factory() as session:
        found: dict[str, BillView] = {}
        for bill in repo.run_bills(session, run_id):
            items = tuple(
                (
                    i.sequence,
                    i.billing_account_id,
                    i.product_id,
                    i.charge_type,
                    i.tax_category,
                    i.source_kind,
                    i.description_key,
                    i.amount_fen,
                    i.tax_fen,
                    i.first_day,
                    i.last_day,
                )
                for i in repo.bill_items(session, bill.id)
            )
            found[bill.billing_account_id] = (
                bill.bill_no,
                bill.state,
                bill.amount_fen,
                bill.tax_fen,
                items,
            )
        return found


def ordered(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rentals in the order the kernel writes them: by product id, then as listed."""
    return sorted(rows, key=lambda row: (row[1] != "recurring", str(row[0])))


def amounts(view: BillView) -> list[tuple[object, ...]]:
    """(product, type, amount, tax) of each item of a bill."""
    return [(i[2], i[3], i[7], i[8]) for i in view[4]]


def test_april_bills_by_hand_trial_discard_then_final_and_never_again(world: World) -> None:
    factory, a, b = world.factory, world.a.account_id, world.b.account_id
    trial = run_bills(factory, world.data_dir, "GD", APRIL, trial=True, chunk_size=1)
    assert (trial.status, trial.accounts_due, trial.bills, trial.exceptions) == (
        RunStatus.TRIAL,
        2,
        2,
        0,
    )
    bills = bills_of(factory, trial.id)
    assert bills[a][1:4] == ("trial", 8790, 570)
    assert amounts(bills[a]) == ordered(
        [
            (world.fixed_id, "recurring", 2500, 206),
            (world.phs_id, "recurring", 180, 15),
            (world.adsl_id, "recurring", 6000, 340),
            (world.fixed_id, "usage", 110, 9),
        ]
    )
    adsl = next(i for i in bills[a][4] if i[2] == world.adsl_id)
    assert (str(adsl[9]), str(adsl[10])) == ("2026-04-01", "2026-04-15")
    phs = next(i for i in bills[a][4] if i[2] == world.phs_id)
    assert (str(phs[9]), str(phs[10])) == ("2026-04-21", "2026-04-30")
    assert bills[b][2:4] == (10800, 892)
    assert amounts(bills[b]) == [(world.bundle_id, "recurring", 10800, 892)]
    assert sorted(v[0] for v in bills.values()) == ["GD-202604-000001", "GD-202604-000002"]
    assert trial.amount_fen == 8790 + 10800

    # The usage on the bills is the current rating run's, li → fen once per line.
    with factory() as session:
        rated = (
            rating_store.rated_usage(session, world.data_dir, "GD", APRIL)
            .filter(pl.col("error").is_null())
            .select(pl.col("amount_li").sum())
            .collect()
            .item()
        )
    assert rated == 1100
    usage = sum(int(str(i[7])) for v in bills.values() for i in v[4] if i[3] == "usage")
    assert usage * 10 == rated

    # Trial bills are not final: running the trial again changes nothing.
    again = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    assert again.id == trial.id and bills_of(factory, trial.id) == bills
    with unit_of_work(factory) as session:
        discard_run(session, trial.id)
    with factory() as session:
        assert session.get(BillRun, trial.id).status == RunStatus.DISCARDED  # type: ignore[union-attr]
        assert session.scalar(select(func.count(CustomerBill.id))) == 0
        with pytest.raises(Conflict):
            discard_run(session, trial.id)

    final = run_bills(factory, world.data_dir, "GD", APRIL, trial=False, chunk_size=500)
    assert final.id != trial.id and final.status == RunStatus.FINALISED
    finals = bills_of(factory, final.id)
    assert {k: (v[0], v[2], v[3], v[4]) for k, v in finals.items()} == {
        k: (v[0], v[2], v[3], v[4]) for k, v in bills.items()
    }
    assert {v[1] for v in finals.values()} == {"new"}
    with factory() as session:
        assert session.get(BillingPeriod, ("GD", APRIL)).run_id == final.id  # type: ignore[union-attr]
        period = rating_repo.find_period(session, "GD", APRIL)
        assert period is not None and period.billed_run_id == final.rating_run_id
        assert all(i.is_billed for i in repo.run_items(session, final.id))
        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "CustomerBillCreateEvent")
        ).all()
        assert sorted(e.payload["event"]["customerBill"]["billNo"] for e in events) == sorted(
            v[0] for v in finals.values()
        )

    # A billed period is billed once: running it again (trial or not) changes nothing.
    with factory() as session:
        events_before = session.scalar(select(func.count(OutboxEvent.id)))
    for trial_again in (False, True):
        rerun = run_bills(factory, world.data_dir, "GD", APRIL, trial=trial_again)
        assert rerun.id == final.id and rerun.status == RunStatus.FINALISED
    assert bills_of(factory, final.id) == finals
    with factory() as session:
        assert session.scalar(select(func.count(CustomerBill.id))) == 2
        assert session.scalar(select(func.count(OutboxEvent.id))) == events_before


def test_a_trial_is_finalised_by_running_the_period_without_trial(world: World) -> None:
    trial = run_bills(world.factory, world.data_dir, "GD", APRIL, trial=True)
    before = bills_of(world.factory, trial.id)
    final = run_bills(world.factory, world.data_dir, "GD", APRIL, trial=False)
    assert final.id == trial.id and final.status == RunStatus.FINALISED
    after = bills_of(world.factory, trial.id)
    assert {k: v[4] for k, v in after.items()} == {k: v[4] for k, v in before.items()}
    assert {v[1] for v in after.values()} == {"new"}


def test_rerating_after_the_bill_lands_on_the_next_bill_once_with_manual_adjustments(
    world: World,
) -> None:
    factory, data_dir, a, b = world.factory, world.data_dir, world.a.account_id, world.b.account_id
    run_bills(factory, data_dir, "GD", APRIL, trial=False)
    # A call of 3 April reaches mediation late: rating April again finds 0.33 more for A.
    late = [
        call(7, national(world.fixed), datetime(2026, 4, 3, 6, 0, tzinfo=UTC), "02087654321", 200)
    ]
    mediate(factory, data_dir, late, "GZ-SW01_0002.csv")
    rate(factory, data_dir, APRIL)
    with factory() as session:
        opened = session.scalars(select(RatingAdjustment)).all()
        assert [(r.account_id, r.amount_li, r.status) for r in opened] == [(a, 330, "open")]
    # Operators adjust B: 50.00 off at once; 200.00 more needs a second person.
    with unit_of_work(factory) as session:
        small = request_adjustment(session, b, -5000, "goodwill", "wang")
        large = request_adjustment(session, b, 20000, "back billing", "wang")
        assert (small.status, large.status) == (AdjustmentStatus.APPROVED, AdjustmentStatus.PENDING)
        large_id = large.id
    with factory() as session, pytest.raises(Forbidden):
        approve_adjustment(session, large_id, "wang")
    with unit_of_work(factory) as session:
        assert approve_adjustment(session, large_id, "li").status == AdjustmentStatus.APPROVED

    rate(factory, data_dir, MAY)
    may = run_bills(factory, data_dir, "GD", MAY, trial=False)
    bills = bills_of(factory, may.id)
    # May: A's fixed line 25.00 and PHS 31 days 5.58, plus the 0.33 rerating; B 108.00 − 50 + 200.
    assert amounts(bills[a]) == [
        *ordered([(world.fixed_id, "recurring", 2500, 206), (world.phs_id, "recurring", 558, 46)]),
        (None, "adjustment", 33, 3),
    ]
    assert amounts(bills[b]) == [
        (world.bundle_id, "recurring", 10800, 892),
        (None, "credit", -5000, -413),
        (None, "adjustment", 20000, 1651),
    ]
    with factory() as session:
        assert {r.status for r in session.scalars(select(RatingAdjustment))} == {"billed"}
        manual = session.scalars(select(ManualAdjustment)).all()
        assert {(m.status, m.bill_id is not None) for m in manual} == {("billed", True)}
    # June carries none of them again.
    rate(factory, data_dir, "2026-06")
    june = run_bills(factory, data_dir, "GD", "2026-06", trial=False)
    assert all(
        i[3] not in ("adjustment", "credit")
        for v in bills_of(factory, june.id).values()
        for i in v[4]
    )


def test_an_account_without_a_price_goes_to_the_exception_report(world: World) -> None:
    factory = world.factory
    with unit_of_work(factory) as session:
        # The PHS rental only takes effect in May: April has no price for A's PHS line.
        session.execute(
            update(PriceVersion)
            .where(PriceVersion.price_id == world.a.catalog["CT-POP-PHS-RENTAL"])
            .values(effective_from=datetime(2026, 4, 30, 16, 0, tzinfo=UTC))
        )
    run = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    assert (run.status, run.accounts_due, run.bills, run.exceptions) == (RunStatus.TRIAL, 2, 1, 1)
    with factory() as session:
        found = repo.exceptions(session, run.id)
    assert [(e.billing_account_id, e.reason) for e, _ in found] == [
        (world.a.account_id, "NO_PRICE")
    ]
    assert "小灵通 日租" in found[0][0].message
    bills = bills_of(factory, run.id)
    assert list(bills) == [world.b.account_id] and bills[world.b.account_id][2] == 10800


def test_a_consolidated_child_is_a_section_of_its_parents_bill(world: World) -> None:
    with unit_of_work(world.factory) as session:
        child = session.get(BillingAccount, world.b.account_id)
        assert child is not None
        child.parent_account_id, child.consolidated_billing = world.a.account_id, True
    run = run_bills(world.factory, world.data_dir, "GD", APRIL, trial=True)
    bills = bills_of(world.factory, run.id)
    assert list(bills) == [world.a.account_id] and run.accounts_due == 1
    assert bills[world.a.account_id][2] == 8790 + 10800
    sections = [(i[1], i[7]) for i in bills[world.a.account_id][4]]
    assert sections[-1] == (world.b.account_id, 10800)
    assert {s for s, _ in sections[:-1]} == {world.a.account_id}


def test_hot_billing_charges_the_days_so_far_and_writes_nothing(world: World) -> None:
    at = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)  # 20:00 on 10 April in Guangzhou
    with world.factory() as session:
        summary = hot_bill(session, world.data_dir, world.a.account_id, at)
        assert session.scalar(select(func.count(BillRun.id))) == 0
    # 10 of 30 days: 25.00 → 8.33, 120.00 → 40.00; no PHS yet; the calls of the 3rd.
    lines = [(t.line.product_id, str(t.line.charge_type), t.line.amount_fen) for t in summary.lines]
    assert lines == [
        *ordered([(world.fixed_id, "recurring", 833), (world.adsl_id, "recurring", 4000)]),
        (world.fixed_id, "usage", 110),
    ]
    assert summary.total_fen == 4943


def test_claims_resume_a_dead_run_and_refuse_a_live_one(world: World) -> None:
    factory = world.factory

    class Stop(Exception):
        pass

    def dies(done: int, total: int) -> None:
        if done == 1:
            raise Stop

    with pytest.raises(Stop):
        run_bills(factory, world.data_dir, "GD", APRIL, trial=True, chunk_size=1, progress=dies)
    with factory() as session:
        killed = session.scalars(select(BillRun)).one()
        assert killed.status == RunStatus.RUNNING and killed.bills == 1
    # Another live process on this host holds it.
    with unit_of_work(factory) as session:
        session.get(BillRun, killed.id).owner = f"{socket.gethostname()}:{os.getppid()}"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="in progress"):
        run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    # A process on another host that wrote a minute ago holds it; ten minutes ago, it is gone.
    for age, held in ((timedelta(minutes=1), True), (timedelta(minutes=10), False)):
        with unit_of_work(factory) as session:
            run = session.get(BillRun, killed.id)
            assert run is not None
            run.owner, run.heartbeat_at = "elsewhere:1", datetime.now(UTC) - age
        if held:
            with pytest.raises(Conflict):
                run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    resumed = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    assert resumed.id == killed.id and (resumed.status, resumed.bills) == (RunStatus.TRIAL, 2)
    assert bills_of(factory, resumed.id)[world.a.account_id][2] == 8790


def test_a_period_not_rated_or_badly_written_is_refused_and_nothing_written(
    world: World,
) -> None:
    with pytest.raises(Conflict, match="rating"):
        run_bills(world.factory, world.data_dir, "GD", "2026-07", trial=False)
    for bad in ("2026-13", "2026-4", "April"):
        with pytest.raises(BillingInputError):
            run_bills(world.factory, world.data_dir, "GD", bad, trial=False)
    with world.factory() as session:
        assert session.scalar(select(func.count(BillRun.id))) == 0
        assert session.scalar(select(func.count(BillException.run_id))) == 0


def test_a_2005_cycle_carries_business_tax_not_vat(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    factory = session_factory
    sales = rating_ready(factory)
    # Installed at 10:00 on 11 April 2005: 20 of 30 days and the installation fee.
    line(factory, sales, at=datetime(2005, 4, 11, 2, 0, tzinfo=UTC))
    rate(factory, tmp_path, "2005-04")
    with frozen_at(datetime(2005, 5, 1, 2, 0, tzinfo=UTC)):
        run = run_bills(factory, tmp_path, "GD", "2005-04", trial=True)
    bill = bills_of(factory, run.id)[sales.account_id]
    assert [(i[3], i[7], i[8]) for i in bill[4]] == [("recurring", 1667, 0), ("oneTime", 10000, 0)]
    assert (bill[2], bill[3]) == (11667, 0)
    with factory() as session:
        row = session.scalars(select(CustomerBill)).one()
        # 3 % of each line, half-up: 50.01 → 50 and 300.
        assert row.business_tax_fen == 350


def test_a_trial_rerated_before_it_is_final_is_refused_and_can_be_discarded(
    world: World,
) -> None:
    factory, data_dir = world.factory, world.data_dir
    trial = run_bills(factory, data_dir, "GD", APRIL, trial=True)
    late_call = call(7, national(world.fixed), datetime(2026, 4, 3, 6, 0, tzinfo=UTC), "0208", 9)
    mediate(factory, data_dir, [late_call], "GZ-SW01_0002.csv")
    rate(factory, data_dir, APRIL)
    with pytest.raises(Conflict, match="rerated"):
        run_bills(factory, data_dir, "GD", APRIL, trial=False)
    with unit_of_work(factory) as session:
        assert session.get(BillRun, trial.id).status == RunStatus.TRIAL  # type: ignore[union-attr]
        assert session.get(BillingPeriod, ("GD", APRIL)) is None
        discard_run(session, trial.id)
    final = run_bills(factory, data_dir, "GD", APRIL, trial=False)
    assert final.status == RunStatus.FINALISED and final.rating_run_id != trial.rating_run_id
