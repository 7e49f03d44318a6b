"""``openbss payments`` and ``openbss ledger`` as an operator runs them, in a subprocess on a
SQLite file: bills posted, a payment in yuan taken once, a refund and a reversal, the ledger as
a table and as JSON, and bad amounts refused in one line with nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from tests import payments_support as support
from tests.support import cli_env, run_cli

pytestmark = pytest.mark.slow  # a dozen CLI processes


def test_payments_and_ledger_commands(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        account = support.account(session)
        [bill] = support.final_period(session, "2026-05", [(account, 10_000, 900)])
    engine.dispose()

    posted = run_cli(env, tmp_path, "payments", "post-bills", "--province", "GD")
    assert posted.returncode == 0, posted.stderr
    assert "posted 2026-05: 1 bills, ¥100.00" in posted.stdout

    def ledger() -> dict[str, object]:
        done = run_cli(env, tmp_path, "ledger", account, "--format", "json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    for bad in ("12.505", "-5", "1e3"):
        refused = run_cli(
            env, tmp_path, "payments", "take", "--method", "cash", "--reference", "R-bad",
            "--", account, bad,
        )  # fmt: skip
        assert refused.returncode == 1, (bad, refused.stdout)
        assert refused.stderr.strip().startswith("error:") and "\n" not in refused.stderr.strip()
    assert ledger()["balanceFen"] == 10_000

    args = ("payments", "take", account, "120.50", "--method", "cash", "--reference", "R-1")
    taken = run_cli(env, tmp_path, *args)
    assert taken.returncode == 0, taken.stderr
    payment_id = re.search(r"payment (\S+) received", taken.stdout)
    assert payment_id is not None, taken.stdout
    again = run_cli(env, tmp_path, *args)
    assert "already taken" in again.stdout
    view = ledger()
    assert view["balanceFen"] == 10_000 - 12_050
    assert {line["sourceId"]: line["openFen"] for line in view["statement"]} == {  # type: ignore[attr-defined]
        bill: 0,
        payment_id[1]: 2_050,
    }

    too_much = run_cli(
        env, tmp_path, "payments", "refund", payment_id[1], "200.00", "--reason", "x",
        "--reference", "RF-1",
    )  # fmt: skip
    assert too_much.returncode == 1 and "more than" in too_much.stderr
    refund = run_cli(
        env, tmp_path, "payments", "refund", payment_id[1], "20.50", "--reason", "overpaid",
        "--reference", "RF-1",
    )  # fmt: skip
    assert refund.returncode == 0 and "partiallyRefunded" in refund.stdout, refund.stderr
    reverse = run_cli(
        env, tmp_path, "payments", "reverse", payment_id[1], "--reason", "counterfeit note"
    )
    assert reverse.returncode == 0 and "reversed" in reverse.stdout, reverse.stderr
    assert ledger()["balanceFen"] == 10_000

    table = run_cli(env, tmp_path, "ledger", account)
    assert table.returncode == 0 and "balance ¥100.00" in table.stdout
    unknown = run_cli(env, tmp_path, "ledger", "no-such-account")
    assert unknown.returncode == 1 and "does not exist" in unknown.stderr
