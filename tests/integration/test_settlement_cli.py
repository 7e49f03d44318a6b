"""The operator's CLI on settlement, in subprocesses against a migrated SQLite file: a run,
its statements, bad input — and a run killed (SIGKILL, from outside) before, between and
after its statement files, run again, whose statements (lines and file bytes) equal an
uninterrupted run's."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from tests.settlement_support import PERIOD, build
from tests.support import cli_env, run_cli


def _world(tmp_path: Path) -> dict[str, str]:
    env, url = cli_env(tmp_path)
    migrated = run_cli(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    factory: sessionmaker[Session] = make_session_factory(make_engine(url))
    build(factory, tmp_path)
    return env


def _current(database: Path) -> tuple[str | None, str | None, str | None]:
    """(id, status, output dir) of the newest run, read without waiting."""
    try:
        with sqlite3.connect(database, timeout=0.05) as connection:
            row = connection.execute(
                "SELECT id, status, output_dir FROM settlement_run ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
    except sqlite3.OperationalError:
        return None, None, None
    return (row[0], row[1], row[2]) if row else (None, None, None)


def _snapshot(database: Path) -> list[tuple[object, ...]]:
    """The done run's statements: lines and the bytes of their files (no ids)."""
    with sqlite3.connect(database) as connection:
        (run_id, out) = connection.execute(
            "SELECT id, output_dir FROM settlement_run WHERE status = 'done'"
        ).fetchone()
        rows = connection.execute(
            "SELECT s.kind, s.partner, s.receivable_fen, s.payable_fen, s.csv_file, s.pdf_file, "
            "s.csv_sha256, l.direction, l.service, l.rule, l.records, l.quantity, l.amount_li "
            "FROM settlement_statement s JOIN settlement_statement_line l "
            "ON l.statement_id = s.id WHERE s.run_id = ? ORDER BY s.kind, s.partner, l.id",
            (run_id,),
        ).fetchall()
    files = sorted(
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in Path(out).iterdir()
    )
    return [*rows, *files]


def test_run_statements_and_bad_input_from_the_cli(tmp_path: Path) -> None:
    env = _world(tmp_path)
    bad = run_cli(env, tmp_path, "settlement", "run", "--period", "2026-13")
    assert bad.returncode == 1 and "not a month" in bad.stderr and "Traceback" not in bad.stderr
    ran = run_cli(env, tmp_path, "settlement", "run", "--period", PERIOD, "--no-pdf")
    assert ran.returncode == 0, ran.stderr
    assert "done: 2 statement(s), 24 interconnect record(s), 0 unpriced" in ran.stdout
    listed = run_cli(env, tmp_path, "settlement", "statements", "--period", PERIOD,
                     "--format", "csv")  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "interconnect,CUCC,中国联通,¥0.83,¥0.05,4," in listed.stdout
    missing = run_cli(env, tmp_path, "settlement", "reconcile", str(tmp_path / "none.csv"),
                      "--partner", "CUCC", "--period", PERIOD)  # fmt: skip
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def _start(env: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "openbss.cli.main", "settlement", "run", "--period", PERIOD,
         "--pause", "0.4", *extra],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_run_killed_at_several_points_writes_what_an_uninterrupted_run_writes(
    tmp_path: Path,
) -> None:
    env = _world(tmp_path)
    database = tmp_path / "openbss.db"
    reference = run_cli(env, tmp_path, "settlement", "run", "--period", PERIOD)
    assert reference.returncode == 0, reference.stderr
    expected = _snapshot(database)
    assert len(expected) == 5 + 4  # five lines; two CSV and two PDF files

    killed_at: list[int] = []
    for target in (0, 1, 2):  # statement files (CSV + PDF pairs) written when killed
        process = _start(env, tmp_path, "--again")
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            _run_id, status, out = _current(database)
            written = len(list(Path(out).glob("*.csv"))) if out and Path(out).is_dir() else 0
            if status == "running" and written >= target:
                process.send_signal(signal.SIGKILL)
                killed_at.append(written)
                break
            time.sleep(0.01)
        process.wait(timeout=60)
        assert process.returncode in (-signal.SIGKILL, 0), process.stderr.read()  # type: ignore[union-attr]
    assert len(set(killed_at)) >= 2, killed_at

    finished = run_cli(env, tmp_path, "settlement", "run", "--period", PERIOD)
    assert finished.returncode == 0, finished.stderr
    assert _snapshot(database) == expected
    with sqlite3.connect(database) as connection:
        statuses = connection.execute(
            "SELECT status FROM settlement_run ORDER BY started_at"
        ).fetchall()
    # The reference, superseded, and ONE run taken over after every kill, now done.
    assert [s[0] for s in statuses] == ["superseded", "done"]
