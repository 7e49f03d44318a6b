"""``openbss dunning run`` and ``status`` as an operator runs them: a bill 30 days past due is
charged its late fees, reminded (the file sender writes the message under the data
directory) and suspended; the same day again changes nothing; a bad date is one line."""

from __future__ import annotations

import json
from pathlib import Path

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.payments import public as payments
from tests import payments_support
from tests.support import cli_env, run_cli


def test_dunning_run_twice_and_status(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        account = payments_support.account(session)
        payments_support.final_period(session, "2026-04", [(account, 10_000, 0)])
        payments.post_final_bills(session, "GD")

    first = run_cli(env, tmp_path, "dunning", "run", "--date", "2026-06-19", "--province", "GD")
    assert first.returncode == 0, first.stderr
    assert "30 late fee(s) (900 fen)" in first.stderr and "1 suspended" in first.stderr
    assert "2 reminder(s) (2 sent)" in first.stderr
    again = run_cli(env, tmp_path, "dunning", "run", "--date", "2026-06-19", "--province", "GD")
    assert again.returncode == 0, again.stderr
    assert "0 late fee(s)" in again.stderr and "0 suspended" in again.stderr

    status = run_cli(env, tmp_path, "dunning", "status", account, "--date", "2026-06-19")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["stage"] == "suspended" and shown["overdueFen"] == 10_000
    assert [s["step"] for s in shown["steps"]] == ["suspend"]
    sent = sorted((tmp_path / "notifications").glob("*.jsonl"))
    assert [p.name.split("-")[0] for p in sent] == ["email", "sms"]
    message = json.loads(sent[1].read_text(encoding="utf-8").splitlines()[0])
    assert message["billingAccountId"] == account and "100.00" in message["text"]["zh-CN"]

    bad = run_cli(env, tmp_path, "dunning", "run", "--date", "20 May")
    assert bad.returncode == 1 and "--date must be a date" in bad.stderr
    with factory() as session:
        assert payments.balance(session, account) == 10_900
    engine.dispose()
