"""TAP in, RAP out, acknowledgements: a partner's file of our subscribers' usage abroad goes
to mediation, the records we refuse go into exactly one RAP file, and RAP files are
acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.mediation.models import MediationBatch
from openbss.mediation.public import finished_parts
from openbss.settlement.roaming.codec import (
    OutboundEvent,
    SevereReturn,
    TapHeader,
    decode_event,
    decode_rap,
    encode_ack,
    encode_rap,
    encode_tap,
)
from openbss.settlement.roaming.errors import RoamingFileRefused, SequenceClash
from openbss.settlement.roaming.models import RoamingFile
from openbss.settlement.roaming.public import (
    files,
    partner_totals,
    receive_rap,
    receive_tap,
    returns_of,
    write_raps,
)
from tests.roaming_support import HOME, HOME_IMSI, PARTNER, RATE, T0, setup_roaming

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
SAMPLES = Path("/work/shared/testdata/tap3")


def _event(n: int, imsi: str, charge: int, at: datetime = T0) -> OutboundEvent:
    return OutboundEvent(
        record_id=f"r{n}",
        service="voice",
        direction="mo",
        event_time=at,
        imsi=imsi,
        msisdn="8613301234567",
        other_party="441632960000",
        duration_s=120,
        volume_up=0,
        volume_down=0,
        switch_id="LONMSC1",
        call_reference=f"{n:04x}",
        units=2,
        charge=charge,
        exchange_rate_code=1,
    )


def _partner_file(
    directory: Path, sequence: int, events: list[OutboundEvent], recipient: str = HOME
) -> Path:
    """A TAP file as the partner writes it (sender GBRVF, to us)."""
    header = TapHeader(PARTNER, recipient, sequence, NOW, [(1, 1_160_000)])
    path = directory / f"CD{PARTNER}{recipient}{sequence:05d}"
    path.write_bytes(encode_tap(header, events, ZoneInfo("Europe/London")))
    return path


def _tap_in(factory: sessionmaker[Session], data_dir: Path, path: Path):  # type: ignore[no-untyped-def]
    with frozen_at(NOW):
        return receive_tap(factory, data_dir, "GD", HOME, path, zone=ZONE)


def _raps(factory: sessionmaker[Session], data_dir: Path) -> list[str]:
    with frozen_at(NOW), unit_of_work(factory, writes=True) as session:
        return [
            r.file_name for r in write_raps(session, data_dir, "GD", HOME, zone=ZONE, created=NOW)
        ]


@pytest.fixture
def ready(session_factory: sessionmaker[Session], tmp_path: Path) -> Path:
    setup_roaming(session_factory)
    return tmp_path


def test_accepted_records_go_to_mediation_and_a_refused_one_into_one_rap_file(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    inbox = ready / "in"
    inbox.mkdir()
    path = _partner_file(
        inbox,
        7,
        [
            _event(1, HOME_IMSI, 1_000_000),
            _event(2, "234150000000001", 500_000),
            _event(3, HOME_IMSI, 250_000),
        ],
    )
    result = _tap_in(session_factory, ready, path)
    assert (result.partner, result.sequence, result.records) == (PARTNER, 7, 3)
    assert (result.accepted, result.returned, result.already) == (2, 1, False)
    # 1.25 SDR x 11.95 = 14.9375 CNY: 1,000,000 micro-SDR -> 1195 fen, 250,000 -> 298.75 -> 299
    assert (result.sdr_amount, result.cny_amount) == (1_250_000, 1_494)
    with session_factory() as session:
        (batch,) = session.scalars(select(MediationBatch).where(MediationBatch.source == PARTNER))
        assert (batch.records_in, batch.status) == (2, "done")
        (returned,) = returns_of(session, [result.file_id])
        assert (returned.record_no, returned.error_code) == (1, 21)
    assert _tap_in(session_factory, ready, path).already is True

    assert _raps(session_factory, ready) == [f"RC{HOME}{PARTNER}00001"]
    assert _raps(session_factory, ready) == []  # exactly once
    kind, value = decode_rap((ready / "settlement/roaming/out/RCCHNCTGBRVF00001").read_bytes())
    assert kind == "returnBatch"
    (detail,) = value["returnDetails"]
    assert detail[0] == "severeReturn"
    assert detail[1]["fileSequenceNumber"] == b"00007"
    assert detail[1]["errorDetail"] == [{"errorCode": 21}]
    sent = _partner_file(ready, 99, [_event(2, "234150000000001", 500_000)])
    _, original = decode_event(_first_event(sent))
    assert detail[1]["callEventDetail"] == ("mobileOriginatedCall", original)
    assert value["rapAuditControlInfo"] == {
        "totalSevereReturnValue": 500_000,
        "returnDetailsCount": 1,
    }

    # The next file's refusal goes into the next RAP file, alone.
    second = _partner_file(inbox, 8, [_event(4, "999990000000000", 1)])
    assert _tap_in(session_factory, ready, second).returned == 1
    assert _raps(session_factory, ready) == [f"RC{HOME}{PARTNER}00002"]
    _, value = decode_rap((ready / "settlement/roaming/out/RCCHNCTGBRVF00002").read_bytes())
    assert [d[1]["fileSequenceNumber"] for d in value["returnDetails"]] == [b"00008"]


def _first_event(path: Path) -> bytes:
    from openbss.mediation.public import decode_tap_bytes

    row = decode_tap_bytes(path.read_bytes()).records.to_pylist()[0]
    return bytes.fromhex(row["raw"])


@pytest.mark.parametrize(
    "sample",
    [
        "tap_3_12_valid.ber",
        "tap_3_12_valid_most_indef.ber",
        "tap_3_12_valid_some_cdr_indefinite.ber",
    ],
)
def test_the_gsma_sample_file(
    session_factory: sessionmaker[Session], tmp_path: Path, sample: str
) -> None:
    """tap_3_12_valid.ber (and the same batch with indefinite lengths): WERFD to XLKJE,
    tapDecimalPlaces 3; IMSIs 1337... are the recipient's, 2323... are not; the
    supplementary service event carries no charge."""
    from datetime import date

    from openbss.settlement.roaming.public import (
        add_agreement,
        add_imsi_prefixes,
        set_exchange_rate,
    )

    with unit_of_work(session_factory, writes=True) as session:
        add_agreement(session, "XLKJE", "WERFD", "sample", ["99999"], valid_from=date(2005, 1, 1))
        add_imsi_prefixes(session, "XLKJE", ["13371"])
        set_exchange_rate(session, date(2005, 1, 1), RATE)
    with frozen_at(NOW):
        result = receive_tap(session_factory, tmp_path, "GD", "XLKJE", SAMPLES / sample, zone=ZONE)
    assert (result.sequence, result.records, result.accepted, result.returned) == (31707, 4, 1, 3)
    # 2300 in thousandths = 2.3 SDR x 11.95 = 27.485 CNY -> 2748.5 fen, half-up 2749
    assert (result.sdr_amount, result.cny_amount) == (2_300_000, 2_749)
    with session_factory() as session:
        codes = [(r.record_no, r.error_code) for r in returns_of(session, [result.file_id])]
    assert codes == [(1, 21), (2, 21), (3, 50)]
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        (rap,) = write_raps(session, tmp_path, "GD", "XLKJE", zone=ZONE, created=NOW)
    _, value = decode_rap(rap.path.read_bytes())
    assert [d[1]["callEventDetail"][0] for d in value["returnDetails"]] == [
        "mobileOriginatedCall",
        "gprsCall",
        "supplServiceEvent",
    ]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("tap_3_12_trailing_eoc_invalid.ber", "malformed BER"),
        ("nrt_2_1.ber", "NRTRDE"),
        ("tap_notification.ber", "notification"),
        ("rap_mini.ber", "RAP"),
    ],
)
def test_files_that_are_not_transfer_batches_are_refused_and_change_nothing(
    session_factory: sessionmaker[Session], ready: Path, name: str, error: str
) -> None:
    with pytest.raises(RoamingFileRefused, match=error):
        _tap_in(session_factory, ready, SAMPLES / name)
    with session_factory() as session:
        assert files(session, "GD") == []


def test_a_file_for_another_network_or_from_a_stranger_is_refused(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    with pytest.raises(RoamingFileRefused, match="addressed to CHNCU"):
        _tap_in(session_factory, ready, _partner_file(ready, 1, [_event(1, HOME_IMSI, 1)], "CHNCU"))
    with session_factory() as session:
        assert files(session, "GD") == []


def test_other_content_under_a_received_sequence_is_a_clash(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    (ready / "a").mkdir()
    (ready / "b").mkdir()
    _tap_in(session_factory, ready, _partner_file(ready / "a", 3, [_event(1, HOME_IMSI, 5)]))
    with pytest.raises(SequenceClash):
        _tap_in(session_factory, ready, _partner_file(ready / "b", 3, [_event(2, HOME_IMSI, 6)]))


def test_a_partner_rap_is_acknowledged_once_and_an_ack_marks_our_rap(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    # Our TAP file 00001 to the partner: a visitor's call of 0.4 SDR.
    ours = _partner_file(ready, 1, [_event(9, "234150000000009", 400_000)])
    with unit_of_work(session_factory, writes=True) as session:
        session.add(
            RoamingFile(
                id="tap-out-1", direction="out", kind="tap", sender=HOME, recipient=PARTNER,
                sequence=1, province="GD", file_name="CDCHNCTGBRVF00001", checksum="0" * 64,
                status="done", records=1, returned=0, sdr_amount=400_000, cny_amount=478,
                created_at=NOW,
            )
        )  # fmt: skip
    event = decode_event(_first_event(ours))
    # A RAP file returning a record of a TAP file we never sent, or whose total is wrong.
    stranger = ready / "RCGBRVFCHNCT00004"
    stranger.write_bytes(
        encode_rap(PARTNER, HOME, 4, NOW, [SevereReturn(2, event, 100, 400_000)], ZONE)
    )
    wrong = ready / "RCGBRVFCHNCT00003"
    wrong.write_bytes(encode_rap(PARTNER, HOME, 3, NOW, [SevereReturn(1, event, 100, 1)], ZONE))
    refusals = (
        (stranger, "TAP file 00002, which we never sent"),
        (wrong, "totalSevereReturnValue 1, returned records' charges 400000"),
    )
    for bad, reason in refusals:
        with (
            pytest.raises(RoamingFileRefused, match=reason),
            unit_of_work(session_factory, writes=True) as session,
        ):
            receive_rap(session, ready, "GD", HOME, bad, zone=ZONE, created=NOW)
    # The partner returns that record in its RAP file 00005.
    rap = ready / "RCGBRVFCHNCT00005"
    rap.write_bytes(encode_rap(PARTNER, HOME, 5, NOW, [SevereReturn(1, event, 100, 400_000)], ZONE))
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        got = receive_rap(session, ready, "GD", HOME, rap, zone=ZONE, created=NOW)
    assert (got.kind, got.sequence, got.records, got.sdr_amount) == ("rap", 5, 1, 400_000)
    assert got.answer == "AKCHNCTGBRVF00005"
    kind, ack = decode_rap((ready / "settlement/roaming/out/AKCHNCTGBRVF00005").read_bytes())
    assert kind == "acknowledgement"
    assert (ack["sender"], ack["recipient"], ack["rapFileSequenceNumber"]) == (
        b"CHNCT",
        b"GBRVF",
        b"00005",
    )
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        assert receive_rap(session, ready, "GD", HOME, rap, zone=ZONE).already is True

    # Our RAP file 00001, then the partner's acknowledgement of it.
    _tap_in(session_factory, ready, _partner_file(ready, 1, [_event(1, "234159999999999", 7)]))
    _raps(session_factory, ready)
    ack_file = ready / "AKGBRVFCHNCT00001"
    ack_file.write_bytes(encode_ack(PARTNER, HOME, "00001", NOW, ZONE))
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        assert receive_rap(session, ready, "GD", HOME, ack_file, zone=ZONE).kind == "ack"
    with session_factory() as session:
        ours = [f for f in files(session, "GD", kind="rap") if f.direction == "out"]
        assert [f.status for f in ours] == ["acknowledged"]
        (totals,) = partner_totals(session, "GD", NOW - timedelta(days=1), NOW + timedelta(days=1))
    # receivable 0.4 SDR (4.78 CNY), all of it returned to us: 0.4 SDR x 11.95 = 4.78 CNY
    assert (totals.receivable_sdr, totals.receivable_fen) == (400_000, 478)
    assert (totals.returned_to_us_sdr, totals.returned_to_us_fen) == (400_000, 478)
    assert (totals.tap_in_files, totals.tap_in_returned, totals.payable_sdr) == (1, 1, 0)
    assert (totals.net_sdr, totals.net_fen) == (0, 0)


def test_killed_between_mediation_and_the_file_row(
    session_factory: sessionmaker[Session], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mediation took the accepted records, then the process died before the file's row:
    the rerun finds mediation's batch done (a duplicate file) and writes the row once."""
    import openbss.settlement.roaming.tap_in as tap_in

    class Killed(Exception):
        pass

    real = tap_in.unit_of_work

    def dying(factory, *, writes=False):  # type: ignore[no-untyped-def]
        if writes:
            raise Killed
        return real(factory, writes=writes)

    path = _partner_file(ready, 11, [_event(1, HOME_IMSI, 3), _event(2, "234150000000002", 4)])
    monkeypatch.setattr(tap_in, "unit_of_work", dying)
    with pytest.raises(Killed):
        _tap_in(session_factory, ready, path)
    monkeypatch.setattr(tap_in, "unit_of_work", real)
    with session_factory() as session:
        assert files(session, "GD") == []
    result = _tap_in(session_factory, ready, path)
    assert (result.accepted, result.returned, result.sdr_amount, result.already) == (1, 1, 3, False)
    with session_factory() as session:
        (batch,) = session.scalars(select(MediationBatch).where(MediationBatch.source == PARTNER))
        assert (batch.records_in, batch.status) == (1, "done")
        assert len(returns_of(session, [result.file_id])) == 1


@pytest.mark.parametrize(
    ("sample", "records", "reason"),
    [
        ("tap_3_12_negative_volume.ber", 1, "callEventDetailsCount 4, events 1"),
        ("tap_3_12_timestamps.ber", 5, "callEventDetailsCount 4, events 5"),
    ],
)
def test_a_file_whose_audit_does_not_add_up_gets_one_fatal_return(
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    sample: str,
    records: int,
    reason: str,
) -> None:
    from datetime import date

    from openbss.settlement.roaming.public import add_agreement

    with unit_of_work(session_factory, writes=True) as session:
        add_agreement(session, "XLKJE", "WERFD", "sample", ["99999"], valid_from=date(2005, 1, 1))
    with frozen_at(NOW):
        result = receive_tap(session_factory, tmp_path, "GD", "XLKJE", SAMPLES / sample, zone=ZONE)
    assert (result.records, result.accepted, result.returned, result.refused_whole) == (
        records,
        0,
        records,
        True,
    )
    with session_factory() as session:
        (fatal,) = returns_of(session, [result.file_id])
        assert (fatal.record_no, fatal.error_code, fatal.reason) == (-1, 60, reason)
        assert session.scalars(select(MediationBatch)).all() == []  # nothing billed
    with frozen_at(NOW):
        again = receive_tap(session_factory, tmp_path, "GD", "XLKJE", SAMPLES / sample, zone=ZONE)
    assert (again.already, again.refused_whole) == (True, True)
    with frozen_at(NOW), unit_of_work(session_factory, writes=True) as session:
        (rap,) = write_raps(session, tmp_path, "GD", "XLKJE", zone=ZONE, created=NOW)
        assert write_raps(session, tmp_path, "GD", "XLKJE", zone=ZONE, created=NOW) == []
    _, value = decode_rap(rap.path.read_bytes())
    ((kind, detail),) = value["returnDetails"]
    assert kind == "fatalReturn"
    assert detail["fileSequenceNumber"] == b"31707"
    error = detail["auditControlInfoError"]
    assert error["errorDetail"] == [{"errorCode": 60}]
    assert error["auditControlInfo"]["callEventDetailsCount"] == 4
    assert value["rapAuditControlInfo"] == {"totalSevereReturnValue": 0, "returnDetailsCount": 1}


def test_duplicates_are_returned_not_owed(
    session_factory: sessionmaker[Session], ready: Path
) -> None:
    """The same call twice in a file: mediation keeps one (its numbers read as E.164 from
    TAP's international form), and the other goes back in the RAP file (code 70) instead of
    being owed. (Across files mediation matches the keys of usage it stored as normalised:
    subscribers guided to a product.)"""
    first = _partner_file(
        ready, 21, [_event(1, HOME_IMSI, 500), _event(1, HOME_IMSI, 500), _event(2, HOME_IMSI, 700)]
    )
    result = _tap_in(session_factory, ready, first)
    assert (result.accepted, result.returned, result.sdr_amount) == (2, 1, 1_200)
    with session_factory() as session:
        (duplicate,) = returns_of(session, [result.file_id])
        assert (duplicate.record_no, duplicate.error_code) == (1, 70)
        (batch,) = session.scalars(select(MediationBatch).where(MediationBatch.source == PARTNER))
        # both calls reached mediation as valid numbers: one is a duplicate, one has no
        # product in this test's inventory (recyclable once the line exists)
        assert (batch.records_in, batch.duplicates, batch.rejected) == (3, 1, 2)
        parts = finished_parts(session, ready, "rejected", "GD")
    rejects = pl.read_parquet(parts).sort("record_id")
    assert (
        rejects.select("calling", "called", "reason_code").rows()
        == [("+8613301234567", "+441632960000", "UNKNOWN_SUBSCRIBER")] * 2
    )
    assert _raps(session_factory, ready) == [f"RC{HOME}{PARTNER}00001"]
