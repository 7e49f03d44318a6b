"""The CLI refuses names that would lead outside its data directory, before touching it."""

from __future__ import annotations

from pathlib import Path

from tests.support import cli_env, run_cli


def test_province_and_ids_that_are_paths_are_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env, _ = cli_env(data)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "calls.csv").write_text("not a CDR\n", encoding="utf-8")
    before = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    for args in (
        ("mediation", "ingest", str(inbox), "--province", "../../x"),
        ("mediation", "reconcile", "--province", "../GD"),
        ("rating", "tariff", "export", "../../etc/passwd"),
    ):
        result = run_cli(env, tmp_path, *args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, result.stderr
        assert "province" in result.stderr or "tariff id" in result.stderr, result.stderr
    assert {p.relative_to(tmp_path) for p in tmp_path.rglob("*")} == before
    assert not (tmp_path.parent / "x").exists()
