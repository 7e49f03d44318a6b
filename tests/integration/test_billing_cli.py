"""The operator's CLI on billing, in subprocesses against a migrated SQLite file: a trial run
reviewed and discarded, the period billed, bills shown, hot billing, adjustments with
maker-checker, the exception report — and a bill run killed (SIGKILL, from outside) at many
points and run again, whose bills equal an uninterrupted run's.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from tests.billing_support import APRIL, IN_MARCH, World, build_world, second_customer
from tests.rating_support import line
from tests.support import cli_env, run_cli

EXTRA_CUSTOMERS = 6  # 8 accounts due in all: with one account a chunk, many points to die at


def _world(tmp_path: Path) -> tuple[dict[str, str], World]:
    env, url = cli_env(tmp_path)
    migrated = run_cli(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    factory: sessionmaker[Session] = make_session_factory(make_engine(url))
    return env, build_world(factory, tmp_path)


def _run_id(output: str) -> str:
    found = re.search(r"│ run +│ (\S+)", output)
    assert found is not None, output
    return found.group(1)


def test_trial_review_discard_bill_show_hot_adjust_from_the_cli(tmp_path: Path) -> None:
    env, world = _world(tmp_path)
    bad = run_cli(env, tmp_path, "billing", "run", "--period", "2026-13")
    assert bad.returncode == 1 and "month 13" in bad.stderr and "Traceback" not in bad.stderr
    unrated = run_cli(env, tmp_path, "billing", "run", "--period", "2026-07")
    assert unrated.returncode == 1 and "rating" in unrated.stderr

    trial = run_cli(env, tmp_path, "billing", "run", "--period", APRIL, "--trial")
    assert trial.returncode == 0, trial.stderr
    assert "trial" in trial.stdout and "¥195.90" in trial.stdout, trial.stdout
    assert "accounts due" in trial.stdout and "recurring" in trial.stdout
    run_id = _run_id(trial.stdout)

    shown = run_cli(env, tmp_path, "billing", "show", "GD-202604-000001")
    assert shown.returncode == 0, shown.stderr
    assert "rental.monthly" in shown.stdout and "trial" in shown.stdout
    missing = run_cli(env, tmp_path, "billing", "show", "GD-190001-000001")
    assert missing.returncode == 1 and "not found" in missing.stderr

    discarded = run_cli(env, tmp_path, "billing", "discard", run_id)
    assert discarded.returncode == 0, discarded.stderr
    twice = run_cli(env, tmp_path, "billing", "discard", run_id)
    assert twice.returncode == 1 and "only a trial" in twice.stderr

    # Maker-checker: 200 yuan needs someone other than who asked.
    asked = run_cli(
        env, tmp_path, "billing", "adjust", world.b.account_id, "--amount-fen", "20000",
        "--reason", "back billing", "--by", "wang",
    )  # fmt: skip
    assert asked.returncode == 0 and "pending" in asked.stdout, asked.stderr
    adjustment_id = asked.stdout.split()[1].rstrip(":")
    same = run_cli(env, tmp_path, "billing", "approve", adjustment_id, "--by", "wang")
    assert same.returncode == 1 and "another person" in same.stderr
    other = run_cli(env, tmp_path, "billing", "approve", adjustment_id, "--by", "li")
    assert other.returncode == 0 and "approved" in other.stdout, other.stderr

    billed = run_cli(env, tmp_path, "billing", "run", "--period", APRIL)
    assert billed.returncode == 0, billed.stderr
    assert "finalised" in billed.stdout and "¥395.90" in billed.stdout, billed.stdout
    again = run_cli(env, tmp_path, "billing", "run", "--period", APRIL)
    assert again.returncode == 0 and _run_id(again.stdout) == _run_id(billed.stdout)
    finalise = run_cli(env, tmp_path, "billing", "finalise", _run_id(billed.stdout))
    assert finalise.returncode == 0 and "finalised" in finalise.stdout

    hot = run_cli(env, tmp_path, "billing", "hot", world.a.account_id)
    assert hot.returncode == 0 and "total" in hot.stdout, hot.stderr
    exceptions = run_cli(env, tmp_path, "billing", "exceptions")
    assert exceptions.returncode == 0, exceptions.stderr


# ----- the kill test ------------------------------------------------------------------------


def _bills_written(database: Path) -> tuple[int, str | None]:
    """(bills in the database, the status of the newest run), read without waiting."""
    try:
        with sqlite3.connect(database, timeout=0.05) as connection:
            (bills,) = connection.execute("SELECT count(*) FROM billing_bill").fetchone()
            row = connection.execute(
                "SELECT status FROM billing_run ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
    except sqlite3.OperationalError:
        return -1, None  # locked by the writer for a moment
    return int(bills), row[0] if row else None


def _snapshot(database: Path) -> list[tuple[object, ...]]:
    """Every bill and item (number, account, amounts, lines), without ids or states."""
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT b.bill_no, b.billing_account_id, b.period, b.amount_fen, b.tax_fen, "
            "b.business_tax_fen, b.bill_date, b.payment_due_date, b.items, i.sequence, "
            "i.billing_account_id, i.product_id, i.charge_type, i.tax_category, i.source_kind, "
            "i.source_id, i.description_key, i.amount_fen, i.tax_fen, i.tax_rate_bp, "
            "i.first_day, i.last_day FROM billing_bill b JOIN billing_bill_item i "
            "ON i.bill_id = b.id ORDER BY b.bill_no, i.sequence"
        ).fetchall()


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "openbss.cli.main", "billing", "run", "--period", APRIL,
         "--chunk-size", "1", "--pause", "0.25"],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_bill_run_killed_at_many_points_bills_as_an_uninterrupted_run(tmp_path: Path) -> None:
    env, world = _world(tmp_path)
    database = tmp_path / "openbss.db"
    for serial in range(3, 3 + EXTRA_CUSTOMERS):
        customer = second_customer(world.factory, world.a, serial)
        line(world.factory, customer, at=IN_MARCH, street=f"中山路 {serial} 号")

    # The reference: an uninterrupted trial, kept as it is, then thrown away.
    reference = run_cli(env, tmp_path, "billing", "run", "--period", APRIL, "--trial")
    assert reference.returncode == 0, reference.stderr
    expected = _snapshot(database)
    assert len({row[0] for row in expected}) == 2 + EXTRA_CUSTOMERS
    discarded = run_cli(env, tmp_path, "billing", "discard", _run_id(reference.stdout))
    assert discarded.returncode == 0, discarded.stderr

    # Kill the run from outside once it has written 0 (claimed only), 1, 3, 5, 7 and all 8
    # bills (the last between the final chunk and finalising), each time running it again.
    killed_at: list[int] = []
    for target in (0, 1, 3, 5, 7, 2 + EXTRA_CUSTOMERS):
        process = _start(env, tmp_path)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            bills, status = _bills_written(database)
            if status == "running" and bills >= target:
                process.send_signal(signal.SIGKILL)
                killed_at.append(bills)
                break
            time.sleep(0.01)
        process.wait(timeout=60)
        assert process.returncode in (-signal.SIGKILL, 0), process.stderr.read()  # type: ignore[union-attr]
    assert len(killed_at) >= 5 and len(set(killed_at)) >= 5, killed_at

    finished = run_cli(env, tmp_path, "billing", "run", "--period", APRIL, "--chunk-size", "1")
    assert finished.returncode == 0, finished.stderr
    assert "finalised" in finished.stdout, finished.stdout
    assert _snapshot(database) == expected
    with sqlite3.connect(database) as connection:
        runs = connection.execute("SELECT status FROM billing_run ORDER BY started_at").fetchall()
        states = connection.execute("SELECT DISTINCT state FROM billing_bill").fetchall()
    # The discarded reference and ONE run, resumed after every kill, now final.
    assert [r[0] for r in runs] == ["discarded", "finalised"]
    assert states == [("new",)]
