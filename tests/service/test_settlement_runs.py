"""Settlement runs over mediated usage (SQLite and PostgreSQL): statements per carrier with
hand-worked amounts, files written, idempotent reruns, reconciliation of a partner statement
with one differing, one missing and one extra line, and a dispute posting its adjustment once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.errors import Conflict, NotFound
from openbss.settlement import repository as repo
from openbss.settlement.errors import SettlementConflict
from openbss.settlement.models import RunStatus, SettlementAdjustment, SettlementRun
from openbss.settlement.reconcile.service import move_dispute, open_dispute, reconcile
from openbss.settlement.revenue_share.service import record_chargeback
from openbss.settlement.runs import run_settlement
from tests.settlement_support import PERIOD, SettlementWorld, build


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> SettlementWorld:
    return build(session_factory, tmp_path)


def _lines(factory: sessionmaker[Session], run_id: str) -> list[tuple[object, ...]]:
    with factory() as session:
        return [
            (s.partner, ln.direction, ln.service, ln.rule, ln.records, ln.quantity, ln.amount_fen)
            for s in repo.statements_of(session, run_id, kind="interconnect")
            for ln in repo.lines_of(session, s.id)
        ]


def test_a_run_settles_each_carrier_by_direction_and_rule(world: SettlementWorld) -> None:
    run, notes = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False)
    assert run.status == RunStatus.DONE
    assert notes == []  # no SP has a contract: nothing to share
    assert (run.records, run.unpriced, run.statements) == (24, 0, 2)
    assert _lines(world.factory, run.id) == [
        ("CMCC", "in", "voice", "2014 mobile→fixed voice", 4, 4, 16),
        ("CUCC", "in", "sms", "2014 SMS mobile→fixed", 3, 3, 3),
        ("CUCC", "in", "voice", "2014 mobile→fixed voice", 10, 20, 80),
        ("CUCC", "out", "sms", "2014 SMS fixed→mobile", 5, 5, 5),
        ("CUCC", "out", "voice", "2003 fixed→mobile voice (no settlement)", 2, 2, 0),
    ]
    with world.factory() as session:
        unicom = repo.statements_of(session, run.id, partner="CUCC")[0]
        assert (unicom.partner_name, unicom.receivable_fen, unicom.payable_fen) == (
            "中国联通", 83, 5,
        )  # fmt: skip
        csv_text = (Path(run.output_dir or "") / unicom.csv_file).read_text(encoding="utf-8")
    assert csv_text.splitlines() == [
        "partner,period,direction,service,rule,records,quantity,unit,amount_yuan",
        "CUCC,2026-03,in,sms,2014 SMS mobile→fixed,3,3,message,0.03",
        "CUCC,2026-03,in,voice,2014 mobile→fixed voice,10,20,minute,0.80",
        "CUCC,2026-03,out,sms,2014 SMS fixed→mobile,5,5,message,0.05",
        "CUCC,2026-03,out,voice,2003 fixed→mobile voice (no settlement),2,2,minute,0.00",
    ]


def test_running_a_settled_period_again_changes_nothing_unless_asked(
    world: SettlementWorld,
) -> None:
    first, _ = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False)
    same, _ = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False)
    assert same.id == first.id
    again, _ = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False, again=True)
    assert again.id != first.id
    assert _lines(world.factory, again.id) == _lines(world.factory, first.id)
    with world.factory() as session:
        statuses = dict(session.execute(select(SettlementRun.id, SettlementRun.status)).all())
    assert statuses == {first.id: RunStatus.SUPERSEDED, again.id: RunStatus.DONE}


def _partner_statement(world: SettlementWorld, run: SettlementRun) -> bytes:
    with world.factory() as session:
        unicom = repo.statements_of(session, run.id, partner="CUCC")[0]
    ours = (Path(run.output_dir or "") / unicom.csv_file).read_text(encoding="utf-8")
    lines = ours.splitlines()
    changed = [
        line.replace(",0.80", ",0.90") if "2014 mobile→fixed voice" in line else line
        for line in lines
        if "2014 SMS fixed→mobile" not in line  # missing from theirs
    ]
    changed.append("CUCC,2026-03,in,voice,2014 mobile→TD voice (asymmetric),1,1,minute,0.06")
    return ("\n".join(changed) + "\n").encode()


def test_reconciliation_finds_exactly_the_three_differences_and_a_dispute_posts_once(
    world: SettlementWorld,
) -> None:
    run, _ = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False)
    data = _partner_statement(world, run)
    with unit_of_work(world.factory) as session:
        found = reconcile(
            session, province="GD", partner="CUCC", period=PERIOD, data=data,
            file_name="cucc-2026-03.csv", actor="fin-gd",
        )  # fmt: skip
        reconciliation_id = found.id
        assert (found.matched, found.differences) == (2, 3)
        differences = [
            (d.kind, d.direction, d.rule, d.ours_fen, d.theirs_fen, d.delta_fen)
            for d in repo.differences_of(session, found.id)
        ]
        differs_id = repo.differences_of(session, found.id)[0].id
    assert differences == [
        ("differs", "in", "2014 mobile→fixed voice", 80, 90, 10),
        ("missing", "out", "2014 SMS fixed→mobile", 5, None, -5),
        ("extra", "in", "2014 mobile→TD voice (asymmetric)", None, 6, 6),
    ]
    with unit_of_work(world.factory) as session:  # the same file again: the same answer
        assert (
            reconcile(
                session, province="GD", partner="CUCC", period=PERIOD, data=data,
                file_name="again.csv", actor="fin-gd",
            ).id
            == reconciliation_id
        )  # fmt: skip

    with unit_of_work(world.factory) as session:
        dispute = open_dispute(
            session, province="GD", difference_id=differs_id, reason="CDR count", actor="a"
        )
        dispute_id = dispute.id
        assert (dispute.state, dispute.claimed_fen) == ("open", 10)
    with (
        unit_of_work(world.factory) as session,
        pytest.raises(SettlementConflict, match="cannot become agreed"),
    ):
        move_dispute(session, province="GD", dispute_id=dispute_id, state="agreed", actor="a")
    for state in ("underReview", "agreed", "agreed"):  # agreed twice: a retried request
        with unit_of_work(world.factory) as session:
            move_dispute(
                session, province="GD", dispute_id=dispute_id, state=state, actor="a",
                agreed_fen=7,
            )  # fmt: skip
    with unit_of_work(world.factory) as session:
        move_dispute(session, province="GD", dispute_id=dispute_id, state="settled", actor="a")
    with world.factory() as session:
        posted = list(session.scalars(select(SettlementAdjustment)))
        assert [(a.partner, a.period, a.amount_fen, a.settlement_account_id) for a in posted] == [
            ("CUCC", PERIOD, 7, world.unicom_account)
        ]
        with pytest.raises(SettlementConflict):
            move_dispute(session, province="GD", dispute_id=dispute_id, state="open", actor="a")
    with (
        unit_of_work(world.factory) as session,  # another province never sees it
        pytest.raises(NotFound, match="no dispute"),
    ):
        move_dispute(session, province="SH", dispute_id=dispute_id, state="settled", actor="a")


def test_a_chargeback_is_recorded_once_per_complaint(world: SettlementWorld) -> None:
    with unit_of_work(world.factory) as session:
        first = record_chargeback(
            session, province="GD", partner="901234", complaint_ref="TT-1", kind="chargeback",
            amount_fen=500, reason="不知情订购", recorded_by="csr",
        )  # fmt: skip
        again = record_chargeback(
            session, province="GD", partner="901234", complaint_ref="TT-1", kind="chargeback",
            amount_fen=500, reason="retry", recorded_by="csr",
        )  # fmt: skip
        assert again.id == first.id
        with pytest.raises(Conflict, match="already recorded"):
            record_chargeback(
                session, province="GD", partner="901234", complaint_ref="TT-1",
                kind="chargeback", amount_fen=900, reason="", recorded_by="csr",
            )  # fmt: skip


def test_revenue_share_finds_providers_by_contract_and_waits_for_final_bills(
    world: SettlementWorld,
) -> None:
    from datetime import date

    import polars as pl

    from openbss.settlement.partners import public as partners
    from openbss.settlement.revenue_share.service import provider_usage, providers
    from tests.settlement_partner_support import GROUP_FINANCE, sp

    with unit_of_work(world.factory) as session:
        ring_back = sp(session, "901234", access_numbers=("12590",))
        sp(session, "905555", access_numbers=("12599",))  # no contract: not shared
        partners.create_contract(
            session, GROUP_FINANCE, ring_back.id, "revenue_share",
            {"sp_share_percent": "85"}, date(2026, 1, 1),
        )  # fmt: skip
    with world.factory() as session:
        found = providers(session, PERIOD)
    assert [(p.code, p.prefixes, p.percent) for p in found] == [
        ("901234", ("12590", "RBT01"), {"sp_share_percent": "85"})
    ]
    rated = pl.LazyFrame(
        {
            "called": ["12590", "+8612590111", "12599", "12590"],
            "billing_account_id": ["a1", "a1", "a2", "a2"],
            "amount_li": [2_000, 3_000, 9_000, 5_000],
            "error": [None, None, None, "NO_RULE"],
        }
    )
    assert provider_usage(rated, found).rows() == [("a1", 5_000, 2, "901234")]
    run, notes = run_settlement(world.factory, world.data_dir, "GD", PERIOD, pdf=False)
    assert notes == [
        "revenue share: GD 2026-03 is not billed yet: revenue is shared from final bills"
    ]
    assert run.statements == 2  # the carriers' only
