"""The operator's CLI on bank collection and the GL, in subprocesses against a migrated SQLite
file: a debit file exported (and not asked twice), the bank's CSV result with a refusal and a
malformed line imported, reported and imported again without effect; the day's GL exported and
balanced, and a day that does not balance refused."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.payments import public as payments
from openbss.payments.models import JournalLine
from tests import collection_support, payments_support
from tests.support import cli_env, run_cli


def _world(tmp_path: Path) -> tuple[dict[str, str], sessionmaker[Session], list[str]]:
    env, url = cli_env(tmp_path)
    migrated = run_cli(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    factory: sessionmaker[Session] = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        accounts = [collection_support.debit_account(session, "CCB") for _ in range(3)]
        payments_support.final_period(
            session, "2026-10", [(acc, 5_000, 300) for acc in accounts], bill_date=date(2026, 11, 1)
        )
        payments.post_final_bills(session, "GD")
    return env, factory, sorted(accounts)


def test_export_import_and_gl_from_the_cli(tmp_path: Path) -> None:
    env, factory, accounts = _world(tmp_path)
    exported = run_cli(
        env, tmp_path, "collection", "export", "--bank", "ccb", "--date", "2026-12-03"
    )
    assert exported.returncode == 0, exported.stderr
    assert "CCB-GD-20261203-01" in exported.stdout and "¥150.00" in exported.stdout
    request = tmp_path / "collection" / "out" / "CCB-GD-20261203-01.csv"
    rows = list(csv.reader(request.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["HDR", "CCB", "CCB-GD-20261203-01", "20261203"]
    assert rows[-1] == ["TRL", "3", "15000"]
    assert [row[3] for row in rows[1:-1]] == accounts
    again = run_cli(env, tmp_path, "collection", "export", "--bank", "CCB", "--date", "2026-12-03")
    assert again.returncode == 0 and "nothing to ask" in again.stderr
    unknown = run_cli(env, tmp_path, "collection", "export", "--bank", "XYZ")
    assert unknown.returncode == 1 and "known banks: CCB, ICBC" in unknown.stderr

    batch = "CCB-GD-20261203-01"
    inbox = tmp_path / "collection" / "in"
    inbox.mkdir(parents=True)
    (inbox / "ccb-result.csv").write_text(
        "HDR,CCB,CCB-GD-20261203-01,20261203\n"
        f"DTL,{batch}/1,{accounts[0]},5000,S,,,CCB0001\n"
        f"DTL,{batch}/2,{accounts[1]},0,F,E51,余额不足,\n"
        f"DTL,{batch}/3,{accounts[2]},50x0,S,,,CCB0003\n"
        "TRL,3,5000\n",
        encoding="utf-8",
    )
    imported = run_cli(env, tmp_path, "collection", "import", "ccb-result.csv")
    assert imported.returncode == 0, imported.stderr
    assert "line 4: paid_fen '50x0' is not a whole number" in imported.stderr
    assert "paid (yuan)" in imported.stdout and "¥50.00" in imported.stdout
    report = json.loads(next((tmp_path / "collection" / "reports").glob("*.json")).read_text())
    assert report["counts"] == {"paid": 1, "refused": 1, "rejected": 1}
    assert report["unanswered_lines"] == 1  # the rejected line answered nothing
    twice = run_cli(env, tmp_path, "collection", "import", "ccb-result.csv")
    assert twice.returncode == 0 and "already imported" in twice.stdout
    missing = run_cli(env, tmp_path, "collection", "import", "nowhere.csv")
    assert missing.returncode == 1 and "no result file" in missing.stderr
    with factory() as session:
        assert [payments.balance(session, acc) for acc in accounts] == [0, 5_000, 5_000]
        [day] = session.scalars(
            select(JournalLine.business_date).where(JournalLine.entry_kind == "payment").distinct()
        ).all()

    out = tmp_path / "gl.csv"
    gl = run_cli(env, tmp_path, "gl", "export", "--day", day.isoformat(), "--out", str(out))
    assert gl.returncode == 0, gl.stderr
    lines = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert {(r["gl_account"], r["name_zh"], r["debit_fen"], r["credit_fen"]) for r in lines} == {
        ("1002", "银行存款", "5000", "0"),
        ("1122", "应收账款", "0", "5000"),
    }
    assert "debits = credits" in gl.stderr
    with unit_of_work(factory) as session:
        session.execute(
            insert(JournalLine).values(
                province="GD", entry_id="broken", entry_kind="test", business_date=day,
                gl_account="1001", dimension="", amount_fen=7,
            )
        )  # fmt: skip
    broken = run_cli(env, tmp_path, "gl", "export", "--day", day.isoformat(), "--out", str(out))
    assert broken.returncode == 2 and "difference 7 fen" in broken.stderr
