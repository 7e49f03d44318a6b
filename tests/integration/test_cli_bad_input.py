"""A user's mistakes: each one ends with one line on stderr, a non-zero exit status and no
traceback — and nothing done (an input file stays where it was). A run with nothing to do
warns and succeeds. ``--debug`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openbss.cli import common
from openbss.db.engine import make_engine
from openbss.db.migrate import upgrade
from tests.cli_support import cli_database, invoke
from tests.support import cli_env, run_cli

# (arguments, exit status, what the line says); {inbox} and {out} are directories.
MISTAKES: list[tuple[list[str], int, str]] = [
    (["mediation", "generate", "{out}", "--day", "2026-02-30"], 2, "'2026-02-30' is not a date"),
    (["mediation", "reconcile", "--day", "yesterday"], 2, "'yesterday' is not a date"),
    (["mediation", "generate", "{out}", "--month", "2026-13"], 1, "month must be YYYY-MM"),
    (["mediation", "ingest", "{inbox}", "--format", "xml"], 2, "unknown format 'xml'"),
    (["mediation", "ingest", "{out}/nowhere"], 1, "is not a directory"),
    (["rating", "run", "--province", "XX"], 2, "unknown province 'XX'"),
    (["rating", "run", "--period", "2026-13"], 1, "YYYY-MM"),
    (["rating", "run", "--engine", "hadoop"], 2, "'hadoop' is not one of"),
    (["rating", "find", "--number", "x", "--from", "soon", "--to", "later"], 2, "not a time"),
    (
        ["rating", "find", "--number", "02083000001", "--from", "2026-03-02", "--to", "2026-03-01"],
        1,
        "to must be later than from",
    ),
    (
        ["rating", "find", "--number", "hello", "--from", "2026-03-01", "--to", "2026-03-02"],
        1,
        "not a phone number",
    ),
    (["orders", "fallout", "list", "--province", "Guangdong"], 2, "unknown province"),
    (["auth", "list-keys", "--format", "xml"], 2, "'xml' is not one of"),
    (["auth", "create-key", "--role", "admin", "--province", "ZZ"], 2, "unknown province 'ZZ'"),
    (["events", "list", "--status", "lost"], 2, "'lost' is not one of"),
    (["events", "retry"], 2, "give delivery ids or --all-dead"),
    (["events", "retry", "12345"], 1, "no event delivery 12345"),
    (["billing", "run", "--period", "2026-13"], 1, "month 13"),
    (["billing", "show", "GD-190001-000001"], 1, "not found"),
    (["rating", "explain", "no-such-record"], 1, "has not been rated"),
    (["numbers", "search", "--kind", "fixed", "--limit", "0"], 2, "--limit"),
    (["oss", "ne", "set", "NO-SUCH-NE", "--mode", "fail"], 1, "no network element"),
    (["no-such-command"], 2, "No such command"),
]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-bad-input")
    with cli_database(directory) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    return directory


@pytest.fixture
def in_migrated(migrated: Path) -> Iterator[Path]:
    with cli_database(migrated):
        yield migrated


def _one_line(stderr: str) -> str:
    lines = [text for text in stderr.splitlines() if text.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("arguments", "status", "says"), MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES]
)
def test_a_mistake_is_one_line_and_a_failure(
    in_migrated: Path, tmp_path: Path, arguments: list[str], status: int, says: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    waiting = inbox / "GZ-SW01_0001.csv"
    waiting.write_text("not a cdr\n", encoding="utf-8")
    args = [a.format(inbox=inbox, out=tmp_path / "out") for a in arguments]
    ran = invoke(*args)
    assert ran.code == status, (ran.code, ran.stdout, ran.stderr)
    line = _one_line(ran.stderr)
    assert line.startswith("error: ") and says in line, line
    # Nothing was done: the file was not picked up, moved to rejected or archived.
    assert waiting.is_file() and sorted(p.name for p in inbox.iterdir()) == [waiting.name]
    assert not (tmp_path / "out").exists()


def test_spark_without_pyspark_is_told_before_any_work(
    in_migrated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "module_installed", lambda module: module != "pyspark")
    for command in (
        ["rating", "run", "--engine", "spark"],
        ["billing", "run", "--period", "2026-03", "--engine", "spark"],
    ):
        ran = invoke(*command)
        assert ran.code == 1
        assert "pip install 'openbss[spark]'" in _one_line(ran.stderr)
    assert not (in_migrated / "rated").exists()


def test_a_run_with_nothing_to_do_warns_and_succeeds(in_migrated: Path) -> None:
    ran = invoke("rating", "run", "--period", "2026-05", "--province", "BJ", "--workers", "1")
    assert ran.code == 0, ran.stderr
    assert "warning: no usage of BJ in 2026-05: nothing was rated" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_database_not_migrated_says_run_db_upgrade(tmp_path: Path) -> None:
    with cli_database(tmp_path):
        ran = invoke("auth", "list-keys")
    assert ran.code == 1
    assert _one_line(ran.stderr) == (
        "error: the database is not initialised: run `openbss db upgrade`"
    )
    # The same through the installed entry point, in a process of its own.
    env, _ = cli_env(tmp_path / "fresh")
    listed = run_cli(env, tmp_path, "orders", "fallout", "list")
    assert listed.returncode == 1
    assert "run `openbss db upgrade`" in _one_line(listed.stderr)


def test_debug_shows_the_traceback_of_an_unexpected_error(
    in_migrated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openbss.auth import service

    def broken(*_: object) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "list_keys", broken)
    quiet = invoke("auth", "list-keys")
    assert quiet.code == 1
    assert "unexpected RuntimeError: disk on fire" in _one_line(quiet.stderr)
    assert quiet.exception is None
    # With --debug the exception leaves the command (Typer prints its traceback).
    loud = invoke("--debug", "auth", "list-keys")
    assert loud.code == 1 and isinstance(loud.exception, RuntimeError)
    assert "error: unexpected" not in loud.stderr
