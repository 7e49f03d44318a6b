"""`openbss --help` loads the command line only: no database, data frame or web library.

The commands import what they need inside themselves, so that help and shell completion start
fast. The help is built in a fresh interpreter (this test process has everything loaded) and
the modules it loaded are listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from openbss.cli.common import default_province
from openbss.kit.settings import Settings

HEAVY = (
    "polars",
    "pyspark",
    "pyarrow",
    "duckdb",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "typst",
)

GROUPS = (
    "db", "auth", "seed", "events", "orders", "oss", "numbers", "mediation", "rating", "billing",
    "dunning", "payments", "ledger",
)  # fmt: skip

_PROBE = """
import json, sys
from openbss.cli.main import app
for args in {invocations!r}:
    try:
        app(args, prog_name="openbss")
    except SystemExit as stop:
        assert stop.code in (0, None), (args, stop.code)
print("LOADED=" + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded_after(invocations: list[list[str]]) -> list[str]:
    probe = _PROBE.format(invocations=invocations, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    marker = next(line for line in done.stdout.splitlines() if line.startswith("LOADED="))
    return list(json.loads(marker.removeprefix("LOADED=")))


def test_help_loads_no_heavy_module() -> None:
    assert _loaded_after([["--help"]]) == []


def test_every_group_help_loads_no_heavy_module() -> None:
    # Typer itself converts a command's parameters with Pydantic once it builds them.
    loaded = _loaded_after([[group, "--help"] for group in GROUPS])
    assert [m for m in loaded if m != "pydantic"] == []


def test_the_probe_sees_a_heavy_import() -> None:
    # the same probe after a command that needs the database layer would list it
    probe = _PROBE.format(invocations=[], heavy=HEAVY).replace(
        "import json, sys", "import json, sys\nimport openbss.db.uow"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "sqlalchemy" in done.stdout


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OPENBSS_DEFAULT_PROVINCE": "SC"},
        {"openbss_default_province": "BJ"},
        {"OPENBSS_DATA_DIR": "/tmp/x", "OPENBSS_DEFAULT_PROVINCE": "GD"},
    ],
)
def test_default_province_reads_the_environment_as_settings_do(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.upper().startswith("OPENBSS_"):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert default_province(environ) == Settings().default_province
