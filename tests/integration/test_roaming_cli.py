"""``openbss roaming`` in subprocesses against a migrated SQLite file: a TAP-out run killed
with SIGKILL after writing its file and before its commit leaves no number used; the next run
takes the same number; the GSMA sample goes in, its refusals go out in one RAP file once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.clock import frozen_at
from openbss.settlement.roaming.codec import decode_tap
from tests.roaming_support import mediate, setup_roaming, visitor_rows
from tests.support import cli_env, run_cli

pytestmark = pytest.mark.slow  # subprocesses

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
SAMPLE = Path("/work/shared/testdata/tap3/tap_3_12_valid.ber")
KILLED_RUN = textwrap.dedent(
    """
    import os, signal
    from zoneinfo import ZoneInfo
    from pathlib import Path
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work
    from openbss.settlement.roaming.public import run_tap_out

    factory = make_session_factory(make_engine())
    with unit_of_work(factory, writes=True) as session:
        written = run_tap_out(session, Path(os.environ["OPENBSS_DATA_DIR"]), "GD", "CHNCT",
                              zone=ZoneInfo("Asia/Shanghai"))
        assert [w.sequence for w in written] == [1], written
        os.kill(os.getpid(), signal.SIGKILL)  # after the file, before the commit
    """
)


def _ready(tmp_path: Path) -> tuple[dict[str, str], sessionmaker[Session]]:
    env, url = cli_env(tmp_path)
    migrated = run_cli(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    factory = make_session_factory(make_engine(url))
    setup_roaming(factory)
    return env, factory


def test_a_killed_tap_out_run_leaves_no_gap(tmp_path: Path) -> None:
    env, factory = _ready(tmp_path)
    with frozen_at(NOW):
        mediate(factory, tmp_path, visitor_rows(1), "visitors-1")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    out_dir = tmp_path / "settlement/roaming/out"
    assert sorted(p.name for p in out_dir.iterdir()) == ["CDCHNCTGBRVF00001"]

    first = run_cli(env, tmp_path, "roaming", "tap-out")
    assert first.returncode == 0, first.stderr
    assert "CDCHNCTGBRVF00001" in first.stdout
    again = run_cli(env, tmp_path, "roaming", "tap-out")
    assert again.returncode == 0, again.stderr
    assert "no visitor usage to send" in again.stderr
    _, batch = decode_tap((out_dir / "CDCHNCTGBRVF00001").read_bytes())
    assert batch["auditControlInfo"]["callEventDetailsCount"] == 3
    assert not any(p.name.endswith(".tmp") for p in out_dir.iterdir())
    assert os.listdir(out_dir) == ["CDCHNCTGBRVF00001"]


def test_tap_in_rap_and_refusals_from_the_command_line(tmp_path: Path) -> None:
    env, _ = _ready(tmp_path)
    agreement = run_cli(
        env, tmp_path, "roaming", "agreement", "--home", "XLKJE", "--partner", "WERFD",
        "--name", "sample", "--imsi-prefix", "23232", "--home-imsi-prefix", "13371",
    )  # fmt: skip
    assert agreement.returncode == 0, agreement.stderr
    taken = run_cli(env, tmp_path, "roaming", "tap-in", str(SAMPLE), "--home", "XLKJE")
    assert taken.returncode == 0, taken.stderr
    assert "│ refused (for RAP) │ 3" in taken.stdout
    raps = run_cli(env, tmp_path, "roaming", "rap", "--home", "XLKJE")
    assert "RCXLKJEWERFD00001" in raps.stdout, raps.stderr
    assert (
        "no refused records" in run_cli(env, tmp_path, "roaming", "rap", "--home", "XLKJE").stderr
    )
    ambiguous = run_cli(env, tmp_path, "roaming", "rap")
    assert ambiguous.returncode == 1
    assert "name our TADIG code with --home" in ambiguous.stderr
    nrtrde = run_cli(
        env, tmp_path, "roaming", "tap-in", str(SAMPLE.with_name("nrt_2_1.ber")), "--home", "XLKJE"
    )
    assert nrtrde.returncode == 1
    assert "NRTRDE" in nrtrde.stderr
    assert "Traceback" not in nrtrde.stderr
    listed = run_cli(env, tmp_path, "roaming", "files", "--kind", "rap")
    assert "RCXLKJEWERFD00001" in listed.stdout, listed.stderr
    missing = run_cli(env, tmp_path, "roaming", "tap-in", "no-such-file", "--home", "XLKJE")
    assert (missing.returncode, "no file 'no-such-file'" in missing.stderr) == (1, True)
