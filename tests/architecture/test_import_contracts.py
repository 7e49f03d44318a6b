"""The import contracts hold, and they bite: a domain reaching into another domain's tables
or queries, or production code importing a simulator, breaks ``lint-imports``.

Each case copies the package to a temporary directory, adds one module with the offending
import, and runs import-linter there with the project's own contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "src" / "openbss"
    shutil.copytree(
        REPO_ROOT / "src" / "openbss", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    for relative, source in extra.items():
        (package / relative).write_text(source)
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint(tmp_path, {})
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        (
            "billing/reach.py",
            "from openbss.rating.models import RatingRun\n",
            "rating: tables and queries are its own",
        ),
        (
            "ordering/reach.py",
            "from openbss.inventory import repository\n",
            "inventory: tables and queries are its own",
        ),
        (
            "rating/reach.py",
            "import openbss.simulators.traffic\n",
            "Production code never depends on the simulators",
        ),
        (
            "refdata/reach.py",
            "from openbss.catalog import public\n",
            "Reference data reads only the kit",
        ),
        (
            "mediation/reach.py",
            "from openbss.billing import public\n",
            "Layers",
        ),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tmp_path: Path, module: str, source: str, broken: str
) -> None:
    done = _lint(tmp_path, {module: source})
    assert done.returncode != 0
    broken_lines = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(broken) for line in broken_lines), done.stdout[-3000:]
