"""``openbss partners`` and ``openbss commissions`` as an operator runs them, in subprocesses
against a migrated SQLite file: demo partners seeded twice, October 2026's commissions (the
month worked by hand in tests/service/test_commission_runs.py) run, run again unchanged, its
statements listed, and bad input answered with one line and exit status 1 — and a run killed
(SIGKILL, from outside) after its claim and after writing its statements, then run again,
writing exactly what an uninterrupted run writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openbss.db.engine import make_engine, make_session_factory
from tests.commission_support import build_world
from tests.support import cli_env, run_cli


def test_partners_and_commissions_from_the_shell(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    seeded = run_cli(env, tmp_path, "partners", "seed", "--province", "GD")
    assert seeded.returncode == 0 and "9 created, 0 already there" in seeded.stderr
    again = run_cli(env, tmp_path, "partners", "seed", "--province", "GD")
    assert "0 created, 9 already there" in again.stderr
    listed = run_cli(env, tmp_path, "partners", "list", "--kind", "roaming", "--format", "json")
    assert [(p["code"], p["owner"]) for p in json.loads(listed.stdout)] == [
        ("HKGPP", "group"),
        ("USACG", "group"),
    ]

    engine = make_engine(url)
    build_world(make_session_factory(engine))
    engine.dispose()
    ran = run_cli(env, tmp_path, "commissions", "run", "--period", "2026-10", "--format", "json")
    assert ran.returncode == 0, ran.stderr
    (agent,) = json.loads(ran.stdout)
    assert (agent["partner_code"], agent["activation_fen"], agent["revenue_share_fen"]) == (
        "GD-AG-001", 5000, 1413,
    )  # fmt: skip
    assert agent["total_fen"] == 6413
    statement = Path(agent["statement"])
    assert statement == tmp_path / "settlement/commissions/GD/2026-10/GD-AG-001.csv"
    first_bytes = statement.read_bytes()

    rerun = run_cli(env, tmp_path, "commissions", "run", "--period", "2026-10")
    assert rerun.returncode == 0 and "(done before: unchanged)" in rerun.stdout
    assert statement.read_bytes() == first_bytes
    shown = run_cli(env, tmp_path, "commissions", "statements", "--period", "2026-10")
    assert shown.returncode == 0 and "64.13" in shown.stdout

    for args, message in (
        (("run", "--period", "2026-13"), "period '2026-13' is not a month"),
        (("statements", "--period", "2026-09"), "no commission run of GD 2026-09"),
    ):
        bad = run_cli(env, tmp_path, "commissions", *args)
        assert bad.returncode == 1 and message in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr


# A commission run that stops for a while at one point (after claiming, or after writing its
# statements but before the transaction that makes it done), so that it can be killed there.
PAUSED_RUN = """
import sys, time
import openbss.settlement.commissions.runs as runs
point = sys.argv[1]
if point == "claimed":
    original_load = runs.load
    def load(*args, **kwargs):
        time.sleep(60)
        return original_load(*args, **kwargs)
    runs.load = load
else:
    original_write = runs.write_statements
    def write_statements(*args, **kwargs):
        digest = original_write(*args, **kwargs)
        time.sleep(60)
        return digest
    runs.write_statements = write_statements
from openbss.cli.main import app
app(["commissions", "run", "--period", "2026-10", "--province", "GD"])
"""


def _run_status(url: str) -> tuple[str | None, int]:
    from sqlalchemy import func, select

    from openbss.settlement.commissions.models import CommissionLine, CommissionRun

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        status = session.scalar(select(CommissionRun.status))
        lines = session.scalar(select(func.count()).select_from(CommissionLine)) or 0
    engine.dispose()
    return status, lines


@pytest.mark.slow
def test_a_commission_run_killed_from_outside_is_redone_identically(tmp_path: Path) -> None:
    import shutil
    import signal
    import subprocess
    import sys
    import time

    clean_dir, killed_dir = tmp_path / "clean", tmp_path / "killed"
    for directory in (clean_dir, killed_dir):
        directory.mkdir()
    # One world, copied: the uninterrupted run and the killed one see the very same rows.
    env, url = cli_env(clean_dir)
    assert run_cli(env, clean_dir, "db", "upgrade").returncode == 0
    engine = make_engine(url)
    build_world(make_session_factory(engine))
    engine.dispose()
    shutil.copy(clean_dir / "openbss.db", killed_dir / "openbss.db")
    assert run_cli(env, clean_dir, "commissions", "run", "--period", "2026-10").returncode == 0
    folder = clean_dir / "settlement/commissions/GD/2026-10"
    statements = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
    assert set(statements) == {"GD-AG-001.csv", "summary.csv"}

    env, url = cli_env(killed_dir)
    written = killed_dir / "settlement/commissions/GD/2026-10/summary.csv"
    for point in ("claimed", "statements written"):
        process = subprocess.Popen(
            [sys.executable, "-c", PAUSED_RUN, point], env=env, cwd=killed_dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _ = _run_status(url)
            if status == "running" and (point == "claimed" or written.is_file()):
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        assert _run_status(url) == ("running", 0)  # claimed, nothing recorded
    redone = run_cli(env, killed_dir, "commissions", "run", "--period", "2026-10")
    assert redone.returncode == 0, redone.stderr
    assert _run_status(url) == ("done", 3)
    folder = killed_dir / "settlement/commissions/GD/2026-10"
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))} == statements
    assert not list(folder.glob(".*.tmp"))
