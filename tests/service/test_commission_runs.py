"""Monthly commission runs on SQLite and PostgreSQL, from real orders, inventory and final bills.

Agent GD-AG-001 (commission contract from 1 January 2026: 50 yuan per bundle activated, 10 %
of each bundle's bills for its first three bill periods, the activation commission clawed back
when the bundle ceases within three months) sells:

- customer A's bundle, in service from 20 September 2026;
- customer B's bundle, in service from 12 October 2026, ceased on 5 November 2026;

and customer C's bundle is sold in the retail hall by an employee (no commission). October's
final bills charge A's bundle 50.00 + 58.00 yuan on its two lines and B's 33.33 yuan (without
tax). Worked by hand:

| month | lines | total |
|---|---|---|
| 2026-09 | A activation 50.00 | 50.00 |
| 2026-10 | B activation 50.00; A share 10 % × 108.00 = 10.80; B share 10 % × 33.33 = 3.33 | 64.13 |
| 2026-11 | B clawback −50.00 (ceased before 12 January 2027) | −50.00 |
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.errors import BadRequest, Unprocessable
from openbss.settlement.commissions import runs as commission_runs
from openbss.settlement.commissions.models import CommissionLine, CommissionRun
from tests.commission_support import build_world


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> dict[str, str]:
    return build_world(session_factory)


def lines(factory: sessionmaker[Session], period: str) -> list[tuple[str, str, int, int]]:
    with factory() as session:
        run = session.scalars(select(CommissionRun).where(CommissionRun.period == period)).one()
        rows = session.scalars(
            select(CommissionLine)
            .where(CommissionLine.run_id == run.id)
            .order_by(CommissionLine.id)
        )
        return [(r.kind, r.reference, r.basis_amount, r.amount) for r in rows]


def test_three_months_of_commissions(
    session_factory: sessionmaker[Session], world: dict[str, str], tmp_path: Path
) -> None:
    a, b = world["a"], world["b"]
    september = commission_runs.run_commissions(session_factory, "GD", "2026-09", tmp_path)
    assert (september.total_fen, september.line_count) == (5000, 1)
    assert lines(session_factory, "2026-09") == [("activation", a, 0, 5000)]

    october = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    assert october.total_fen == 6413
    assert sorted(lines(session_factory, "2026-10")) == sorted(
        [("activation", b, 0, 5000), ("revenue_share", a, 10800, 1080),
         ("revenue_share", b, 3333, 333)]
    )  # fmt: skip
    (total,) = october.partners
    assert (total.code, total.activation_fen, total.revenue_share_fen, total.total_fen) == (
        "GD-AG-001", 5000, 1413, 6413,
    )  # fmt: skip

    november = commission_runs.run_commissions(session_factory, "GD", "2026-11", tmp_path)
    assert lines(session_factory, "2026-11") == [("clawback", b, 5000, -5000)]
    assert november.total_fen == -5000

    statement = tmp_path / "settlement/commissions/GD/2026-10/GD-AG-001.csv"
    rows = list(csv.DictReader(statement.open(encoding="utf-8")))
    assert sorted((r["kind"], r["reference"], r["amount_fen"], r["amount_yuan"]) for r in rows) == [
        ("activation", b, "5000", "50.00"),
        *sorted([("revenue_share", a, "1080", "10.80"), ("revenue_share", b, "333", "3.33")]),
    ]
    summary = (tmp_path / "settlement/commissions/GD/2026-10/summary.csv").read_text("utf-8")
    assert summary.splitlines()[1].endswith(",5000,0,1413,0,6413,64.13")


def test_a_done_month_runs_again_unchanged(
    session_factory: sessionmaker[Session], world: dict[str, str], tmp_path: Path
) -> None:
    first = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    again = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    assert again.reused and not first.reused
    assert (again.run_id, again.digest, again.total_fen) == (first.run_id, first.digest, 6413)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CommissionLine)) == 3


def test_a_run_killed_before_done_is_redone_identically(
    session_factory: sessionmaker[Session],
    world: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "clean")

    def crash(*_args: object, **_kwargs: object) -> str:
        raise KeyboardInterrupt  # as if killed while writing statements

    with session_factory() as session:  # start again from nothing on the same data
        session.query(CommissionLine).delete()
        session.query(CommissionRun).delete()
        session.commit()
    monkeypatch.setattr(commission_runs, "write_statements", crash)
    monkeypatch.setattr(commission_runs, "_alive", lambda owner: False)
    with pytest.raises(KeyboardInterrupt):
        commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "rerun")
    with session_factory() as session:
        run = session.scalars(select(CommissionRun)).one()
        assert run.status == "running"
        assert session.scalar(select(func.count()).select_from(CommissionLine)) == 0
    monkeypatch.undo()
    redone = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "rerun")
    assert (redone.attempts, redone.total_fen, redone.digest) == (2, 6413, clean.digest)
    for name in ("GD-AG-001.csv", "summary.csv"):
        assert (tmp_path / "rerun/settlement/commissions/GD/2026-10" / name).read_bytes() == (
            tmp_path / "clean/settlement/commissions/GD/2026-10" / name
        ).read_bytes()


@pytest.mark.parametrize(
    ("province", "period", "error"),
    [
        ("GD", "2026-13", Unprocessable),
        ("gd", "2026-11", BadRequest),
        ("GD", "202611", Unprocessable),
    ],
)
def test_bad_input_writes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path, province: str, period: str,
    error: type[Exception],
) -> None:  # fmt: skip
    with pytest.raises(error):
        commission_runs.run_commissions(session_factory, province, period, tmp_path)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CommissionRun)) == 0
    assert not (tmp_path / "settlement").exists()
