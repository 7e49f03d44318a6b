"""Running ``openbss`` in-process (Typer's CliRunner) against a SQLite file of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openbss.cli.main import app
from openbss.kit.settings import get_settings


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


@contextmanager
def cli_database(directory: Path) -> Iterator[str]:
    """Point the product's settings at a SQLite file and data directory in ``directory``
    for the block; yields the database URL."""
    url = f"sqlite:///{directory / 'openbss.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENBSS_DATABASE_URL", url)
        patch.setenv("OPENBSS_DATA_DIR", str(directory))
        get_settings.cache_clear()
        try:
            yield url
        finally:
            get_settings.cache_clear()


def invoke(*args: str, columns: int | None = None) -> Ran:
    """One ``openbss`` command; output is captured, so it is not a terminal."""
    env = {"COLUMNS": str(columns)} if columns is not None else None
    result = CliRunner().invoke(app, list(args), env=env)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return Ran(result.exit_code, result.stdout, result.stderr, escaped)
