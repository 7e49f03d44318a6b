"""``openbss partners`` and ``openbss commissions`` as an operator runs them, in subprocesses
against a migrated SQLite file: demo partners seeded twice, October 2026's commissions (the
month worked by hand in tests/service/test_commission_runs.py) run, run again unchanged, its
statements listed, and bad input answered with one line and exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

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
