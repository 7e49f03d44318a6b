"""The mediation pipeline against a real inventory: every record accounted for, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy.orm import Session, sessionmaker

import openbss.mediation.pipeline as pipeline
from openbss.kit.clock import frozen_at
from openbss.mediation import store
from openbss.mediation.models import MediationBatch
from openbss.mediation.pipeline import Ingest, ingest_decoded
from openbss.mediation.reconcile import reconcile, sequence_gaps
from openbss.mediation.records import Decoded, raw_table
from openbss.mediation.recycle import recycle
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from tests.ordering_support import GD, Sales, installation, sales_ready, single_order

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Guangzhou


def _subscriber(factory: sessionmaker[Session], sales: Sales, at: datetime) -> str:
    """A fixed line ordered and activated at ``at``; returns its E.164 number."""
    with frozen_at(at):
        with factory() as session:
            order = product_orders.create(
                session, GD, single_order(sales, "CT-PO-FIXED-LOCAL", place=installation())
            )
            session.commit()
            order_id = order.id
        work_until_idle(factory)
    with factory() as session:
        order = product_orders.get(session, GD, order_id)
        assert order.state == "completed"
        item = order.doc["productOrderItem"][0]["product"]["productCharacteristic"]
        return str(next(c["value"] for c in item if c["name"] == "phoneNumber"))


def _call(n: int, calling: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "record_no": n,
        "raw_ref": f"line={n + 1}",
        "event_time": at,
        "duration_s": 65,
        "calling": calling,
        "called": "02087654321",
        "service": "voice",
        "direction": "mo",
        "switch_id": "GZ-SW01",
        "call_reference": f"ref-{n}",
        "area_code": "020",
        "raw": f"raw {n}",
        **extra,
    }


def _national(e164: str) -> str:
    return "0" + e164.removeprefix("+86")


@pytest.fixture
def ingest(session_factory: sessionmaker[Session], tmp_path: Path) -> Ingest:
    return Ingest(factory=session_factory, data_dir=tmp_path, province="GD", default_area="020")


def _run(
    ingest: Ingest,
    rows: list[dict[str, Any]],
    name: str,
    sequence: int | None = None,
    digest: str | None = None,
) -> pipeline.Outcome:
    decoded = Decoded(records=raw_table(rows), sequence=sequence, sender="GZ-SW01")
    content = digest or f"{name:0<64}"[:64]
    return ingest_decoded(ingest, name, content, "huawei_csv", decoded, "GZ-SW01")


def _area(ingest: Ingest, area: str) -> pl.DataFrame:
    frame = store.scan(ingest.data_dir, area, "GD")
    return frame.collect() if frame is not None else pl.DataFrame()


def test_every_record_ends_normalised_rejected_or_duplicate(
    session_factory: sessionmaker[Session], ingest: Ingest
) -> None:
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, T0)
    at = T0 + timedelta(hours=2)
    rows = [
        _call(0, _national(number), at),  # ours, dialled nationally
        _call(1, number.removeprefix("+86")[2:], at + timedelta(minutes=1)),  # local: no area code
        _call(2, "02099999999", at),  # nobody's number
        _call(3, "abc", at),  # not a number
        _call(4, _national(number), None),  # no time
        _call(5, _national(number), at, decode_error="field count 7, expected 9"),
        _call(0, _national(number), at, record_no=6, raw_ref="line=7"),  # same call again
        _call(7, _national(number), at + timedelta(days=3)),  # in the future
        _call(8, _national(number), at, duration_s=-5),
    ]
    with frozen_at(T0 + timedelta(hours=3)):
        outcome = _run(ingest, rows, "GZ-SW01_0001.csv", sequence=1)
    counts = (outcome.records_in, outcome.normalised, outcome.rejected, outcome.duplicates)
    assert (outcome.status, counts) == ("done", (9, 2, 6, 1))
    usage = _area(ingest, "normalised").sort("record_id")
    assert usage.get_column("calling").to_list() == [number, number]
    assert usage.get_column("called").to_list() == ["+862087654321"] * 2
    assert usage.get_column("product_id").null_count() == 0
    rejected = _area(ingest, "rejected").sort("raw_ref")
    assert dict(zip(rejected["raw_ref"], rejected["reason_code"], strict=True)) == {
        "line=3": "UNKNOWN_SUBSCRIBER",
        "line=4": "INVALID_NUMBER",
        "line=5": "MISSING_TIME",
        "line=6": "DECODE_ERROR",
        "line=8": "FUTURE_TIME",
        "line=9": "NEGATIVE_DURATION",
    }
    assert rejected.filter(pl.col("raw_ref") == "line=6")["reason"].to_list() == [
        "field count 7, expected 9"
    ]
    assert rejected.filter(pl.col("raw_ref") == "line=4")["calling"].to_list() == ["abc"]
    assert _area(ingest, "duplicate")["raw_ref"].to_list() == ["line=7"]
    with session_factory() as session:
        (line,) = reconcile(session, "GD")
    assert (line.records_in, line.normalised, line.rejected, line.duplicates) == (9, 2, 6, 1)
    assert line.balanced


def test_the_same_content_twice_changes_nothing_and_duplicates_span_files(
    session_factory: sessionmaker[Session], ingest: Ingest
) -> None:
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, T0)
    at = T0 + timedelta(hours=1)
    first = [_call(n, _national(number), at + timedelta(minutes=n)) for n in range(3)]
    with frozen_at(T0 + timedelta(hours=5)):
        assert _run(ingest, first, "a.csv", 1).normalised == 3
        before = _area(ingest, "normalised")
        again = _run(ingest, first, "a.csv", 1)
        assert again.status == "duplicate-file"
        assert _area(ingest, "normalised").equals(before)
        # A later file repeats call ref-2 (same switch, reference and start): a duplicate.
        later = [
            _call(2, _national(number), at + timedelta(minutes=2)),
            _call(3, _national(number), at),
        ]
        outcome = _run(ingest, later, "b.csv", 3)
        # Another file under a name already processed: rejected whole, not guessed at.
        renamed = _run(ingest, [_call(4, _national(number), at)], "b.csv", 4, digest="f" * 64)
    assert (outcome.normalised, outcome.duplicates) == (1, 1)
    assert renamed.status == "rejected" and renamed.error is not None
    assert "already processed" in renamed.error
    with session_factory() as session:
        assert [(g.first_missing, g.last_missing) for g in sequence_gaps(session, "GD")] == [(2, 2)]


def test_unknown_subscriber_is_recycled_once_the_product_exists(
    session_factory: sessionmaker[Session], ingest: Ingest
) -> None:
    sales = sales_ready(session_factory)
    at = T0 + timedelta(hours=4)
    # The line does not exist yet when its first calls are mediated.
    with frozen_at(T0 + timedelta(hours=5)):
        probe = ingest.index()
        assert probe.is_empty()
    number = "+862083000001"
    rows = [_call(n, _national(number), at + timedelta(minutes=n)) for n in range(2)]
    with frozen_at(T0 + timedelta(hours=5)):
        assert _run(ingest, rows, "c.csv").rejected == 2
    assert recycle(ingest).recycled == 0  # still nobody's number
    ordered = _subscriber(session_factory, sales, T0)  # activated at T0, before the calls
    assert ordered == number  # the pool's first ordinary number
    report = recycle(ingest)
    assert (report.examined, report.recycled) == (2, 2)
    assert recycle(ingest).recycled == 0  # recycling twice takes nothing twice
    assert sorted(_area(ingest, "normalised")["calling"].to_list()) == [number, number]
    with session_factory() as session:
        (line,) = reconcile(session, "GD")
    assert (line.records_in, line.normalised, line.rejected) == (2, 2, 0)
    assert line.balanced


def test_a_batch_interrupted_before_it_is_marked_done_runs_again_to_the_same_store(
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, T0)
    rows = [_call(n, _national(number), T0 + timedelta(minutes=n + 10)) for n in range(5)]
    rows.append(_call(9, "02099999999", T0 + timedelta(minutes=30)))
    crashed = Ingest(factory=session_factory, data_dir=tmp_path / "crashed", province="GD")
    real_finish = pipeline._finish

    def die(*_args: Any, **kwargs: Any) -> None:
        if kwargs.get("status") == "done":
            raise KeyboardInterrupt("killed")
        real_finish(*_args, **kwargs)

    monkeypatch.setattr(pipeline, "_finish", die)
    with frozen_at(T0 + timedelta(hours=1)), pytest.raises(KeyboardInterrupt):
        _run(crashed, rows, "d.csv")
    assert list(store.batch_files(crashed.data_dir, _only_batch(session_factory).id))
    monkeypatch.setattr(pipeline, "_finish", real_finish)
    with frozen_at(T0 + timedelta(hours=1)):
        outcome = _run(crashed, rows, "d.csv")
    assert (outcome.status, outcome.normalised, outcome.rejected) == ("done", 5, 1)
    assert _only_batch(session_factory).attempts == 2
    clean_dir = tmp_path / "clean"
    with session_factory() as session:  # a second, uninterrupted run into a fresh store
        session.query(MediationBatch).delete()
        session.commit()
    clean = Ingest(factory=session_factory, data_dir=clean_dir, province="GD")
    with frozen_at(T0 + timedelta(hours=1)):
        _run(clean, rows, "d.csv")
    for area in ("normalised", "rejected", "keys"):
        left = _area(crashed, area).drop("batch_id", strict=False).sort(pl.all())
        right = _area(clean, area).drop("batch_id", strict=False).sort(pl.all())
        assert left.equals(right), area


def _only_batch(factory: sessionmaker[Session]) -> MediationBatch:
    with factory() as session:
        (batch,) = session.query(MediationBatch).all()
        return batch


def test_a_source_may_name_its_own_duplicate_key(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, T0)
    at = T0 + timedelta(hours=1)
    # A switch that gives every retransmitted record a new reference: the parties and start
    # identify the call.
    rows = [_call(0, _national(number), at), _call(1, _national(number), at)]
    by_reference = Ingest(session_factory, tmp_path / "a", "GD", default_area="020")
    by_parties = Ingest(
        session_factory, tmp_path / "b", "GD", default_area="020",
        dedup_fields=("calling_e164", "called_e164", "event_time"),
    )  # fmt: skip
    with frozen_at(at + timedelta(hours=1)):
        assert _run(by_reference, rows, "e.csv").duplicates == 0
        assert _run(by_parties, rows, "f.csv").duplicates == 1
    with pytest.raises(ValueError, match="unknown duplicate-key field"):
        from openbss.mediation.normalise import dedup_key

        dedup_key(("nonsense",))
