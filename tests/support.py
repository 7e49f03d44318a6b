"""Helpers shared by the test suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REQUIRE_ALL = os.environ.get("OPENBSS_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when an outside tool is missing — but fail in CI, where everything is required."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required tool missing (OPENBSS_REQUIRE_ALL=1): {reason}")
    pytest.skip(reason)


def need_executable(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed")
    assert path is not None
    return path


def run_cli(
    env: dict[str, str], cwd: Path, *args: str, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """The real ``openbss`` command in a subprocess, as an operator on the box runs it."""
    return subprocess.run(
        [sys.executable, "-m", "openbss.cli.main", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def cli_env(directory: Path) -> tuple[dict[str, str], str]:
    """The environment of a CLI run against a SQLite file and data directory of its own, and
    the database URL (wide output, so tables are not cut)."""
    url = f"sqlite:///{directory / 'openbss.db'}"
    env = {
        **os.environ,
        "OPENBSS_DATABASE_URL": url,
        "OPENBSS_DATA_DIR": str(directory),
        "COLUMNS": "250",
    }
    return env, url
