"""TAP out: visitors' usage becomes one TAP 3.12 file per partner, numbered without gaps,
decoded back to the same records by pycrate and by mediation's decoder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.mediation.public import decode_tap_bytes
from openbss.settlement.roaming.codec import decode_tap
from openbss.settlement.roaming.public import files, run_tap_out, tap_records_of
from tests.roaming_support import (
    HOME,
    PARTNER,
    T0,
    VISITOR_IMSI,
    mediate,
    setup_roaming,
    visitor_rows,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def _run(factory: sessionmaker[Session], data_dir: Path) -> list[str]:
    with frozen_at(NOW), unit_of_work(factory, writes=True) as session:
        written = run_tap_out(session, data_dir, "GD", HOME, zone=ZONE, created=NOW)
    return [w.file_name for w in written]


@pytest.fixture
def ready(session_factory: sessionmaker[Session], tmp_path: Path) -> Path:
    setup_roaming(session_factory)
    with frozen_at(NOW):
        outcome = mediate(session_factory, tmp_path, visitor_rows(1), "visitors-1")
    assert (outcome.status, outcome.rejected) == ("done", 4)  # no product of ours: rejects
    return tmp_path


def test_one_file_per_partner_priced_in_sdr(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    assert _run(session_factory, ready) == [f"CD{HOME}{PARTNER}00001"]
    value = decode_tap((ready / "settlement/roaming/out/CDCHNCTGBRVF00001").read_bytes())
    kind, batch = value
    assert kind == "transferBatch"
    control = batch["batchControlInfo"]
    assert (control["sender"], control["recipient"], control["fileSequenceNumber"]) == (
        b"CHNCT",
        b"GBRVF",
        b"00001",
    )
    assert batch["accountingInfo"]["currencyConversionInfo"] == [
        {"exchangeRateCode": 1, "numberOfDecimalPlaces": 6, "exchangeRate": 11_950_000}
    ]
    charges = [
        detail["charge"]
        for _, event in batch["callEventDetails"]
        for info in event.get("basicServiceUsedList", [{}])[0].get("chargeInformationList", [])
        + event.get("gprsServiceUsed", {}).get("chargeInformationList", [])
        for detail in info["chargeDetailList"]
    ]
    # 61 s voice: 2 minutes x 3.00 = 6.00 CNY / 11.95 = 0.502092 SDR; SMS 0.80 CNY = 0.066946;
    # data 6000 octets = 6 KB x 0.01 = 0.06 CNY = 0.005021 SDR. The local call is not a visitor's.
    assert charges == [502_092, 66_946, 5_021]
    assert batch["auditControlInfo"]["totalCharge"] == 574_059
    assert batch["auditControlInfo"]["callEventDetailsCount"] == 3
    with session_factory() as session:
        (row,) = files(session, "GD")
        assert (row.records, row.sdr_amount, row.cny_amount) == (3, 574_059, 686)  # 6.86 CNY
        assert len(tap_records_of(session, row.id)) == 3


def test_mediation_decodes_what_we_wrote_to_the_same_records(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    _run(session_factory, ready)
    decoded = decode_tap_bytes((ready / "settlement/roaming/out/CDCHNCTGBRVF00001").read_bytes())
    assert decoded.file_error is None
    assert (decoded.sender, decoded.sequence, decoded.details["recipient"]) == (HOME, 1, PARTNER)
    got = [
        {
            k: r[k]
            for k in (
                "event_time",
                "duration_s",
                "calling",
                "called",
                "service",
                "direction",
                "imsi",
                "switch_id",
                "volume_up",
                "volume_down",
            )
        }
        for r in decoded.records.to_pylist()
    ]
    common = {
        "event_time": T0,
        "imsi": VISITOR_IMSI,
        "switch_id": "GZ-MSC01",
        "calling": "447700900123",
    }
    assert got == [
        {
            **common,
            "duration_s": 61,
            "called": "862087654321",
            "service": "voice",
            "direction": "mo",
            "volume_up": None,
            "volume_down": None,
        },
        {
            **common,
            "duration_s": 0,
            "called": "8613912345678",
            "service": "sms",
            "direction": "mo",
            "volume_up": None,
            "volume_down": None,
        },
        {
            **common,
            "duration_s": 300,
            "called": None,
            "service": "data",
            "direction": "mo",
            "volume_up": 1000,
            "volume_down": 5000,
        },
    ]


def test_rerun_sends_nothing_twice_and_numbers_have_no_gaps(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    assert _run(session_factory, ready) == ["CDCHNCTGBRVF00001"]
    assert _run(session_factory, ready) == []
    with frozen_at(NOW):
        mediate(session_factory, ready, visitor_rows(100), "visitors-2")
    assert _run(session_factory, ready) == ["CDCHNCTGBRVF00002"]
    with session_factory() as session:
        assert [(f.sequence, f.records) for f in files(session, "GD")] == [(1, 3), (2, 3)]


def test_a_killed_run_reuses_its_number(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    class Killed(Exception):
        pass

    with (
        pytest.raises(Killed),
        frozen_at(NOW),
        unit_of_work(session_factory, writes=True) as session,
    ):
        written = run_tap_out(session, ready, "GD", HOME, zone=ZONE, created=NOW)
        assert [w.sequence for w in written] == [1]
        raise Killed  # the process dies after writing the file, before the commit
    first = (ready / "settlement/roaming/out/CDCHNCTGBRVF00001").read_bytes()
    with session_factory() as session:
        assert files(session, "GD") == []
    assert _run(session_factory, ready) == ["CDCHNCTGBRVF00001"]
    assert (ready / "settlement/roaming/out/CDCHNCTGBRVF00001").read_bytes() == first
    assert _run(session_factory, ready) == []


def test_two_runs_at_once_write_one_file(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    """Two runs started together: one writes 00001, the other waits for the sequence row,
    then finds everything sent (no second file, no failure)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: _run(session_factory, ready), range(2)))
    assert sorted(results) == [[], ["CDCHNCTGBRVF00001"]]
    with session_factory() as session:
        assert [(f.sequence, f.records) for f in files(session, "GD")] == [(1, 3)]


def test_notification_when_nothing_is_new_and_traffic_days(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    from datetime import date

    with unit_of_work(session_factory, writes=True) as session:
        other_days = [date(2026, 3, 1), date(2026, 3, 3)]
        assert run_tap_out(session, ready, "GD", HOME, zone=ZONE, days=other_days) == []
    assert _run(session_factory, ready) == ["CDCHNCTGBRVF00001"]  # traffic of 2026-03-02
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        (notice,) = run_tap_out(session, ready, "GD", HOME, zone=ZONE, created=NOW, notify=True)
    assert (notice.file_name, notice.records, notice.sdr_amount) == ("CDCHNCTGBRVF00002", 0, 0)
    decoded = decode_tap_bytes(notice.path.read_bytes())
    assert (decoded.kind.value, decoded.file_error) == ("notification", None)
    assert (decoded.sender, decoded.sequence, decoded.details) == (HOME, 2, {"recipient": PARTNER})
    assert decode_tap(notice.path.read_bytes())[0] == "notification"


def test_a_partner_without_an_agreement_is_an_error(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    from openbss.kit.errors import BadRequest

    with (
        pytest.raises(BadRequest, match="no roaming agreement between CHNCT and FRAF1"),
        unit_of_work(session_factory, writes=True) as session,
    ):
        run_tap_out(session, ready, "GD", HOME, zone=ZONE, partner="FRAF1")
