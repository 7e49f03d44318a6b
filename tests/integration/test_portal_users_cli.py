"""``openbss auth create-user | list-users | disable-user``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from openbss.auth import users
from openbss.auth.models import User
from openbss.cli.main import app
from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.settings import get_settings
from openbss.registry import metadata


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setenv("OPENBSS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OPENBSS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine()
    metadata.create_all(engine)
    return make_session_factory(engine)


def test_create_list_and_disable(factory: sessionmaker[Session]) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["auth", "create-user", "li.na", "--role", "csr", "--province", "GD", "--password-stdin"],
        input="a long password\n",
    )
    assert created.exit_code == 0, created.output
    assert "user li.na created (csr, GD)" in created.output
    prompted = runner.invoke(
        app,
        ["auth", "create-user", "boss", "--role", "admin", "--language", "en"],
        input="another password\nanother password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "another password" not in prompted.output
    listed = runner.invoke(app, ["auth", "list-users", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["username"], r["role"], r["province"], r["language"]) for r in rows] == [
        ("boss", "admin", None, "en"),
        ("li.na", "csr", "GD", "zh-CN"),
    ]
    assert "argon2" not in listed.output
    disabled = runner.invoke(app, ["auth", "disable-user", "li.na"])
    assert disabled.exit_code == 0, disabled.output
    with factory() as session:
        row = session.scalars(select(User).where(User.username == "li.na")).one()
        assert row.disabled_at is not None
        policy = users.Lockout()
        assert users.login(session, "boss", "another password", "cli", policy).problem is None


def test_refusals_change_nothing(factory: sessionmaker[Session]) -> None:
    runner = CliRunner()
    mismatch = runner.invoke(
        app, ["auth", "create-user", "wang", "--role", "csr"], input="first one!\nsecond one\n"
    )
    assert mismatch.exit_code != 0
    assert "the two passwords differ" in mismatch.output
    short = runner.invoke(
        app, ["auth", "create-user", "wang", "--role", "csr", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "8 to 1024 characters" in short.output
    bad_role = runner.invoke(
        app, ["auth", "create-user", "wang", "--role", "king", "--password-stdin"], input="x" * 9
    )
    assert bad_role.exit_code == 2
    missing = runner.invoke(app, ["auth", "disable-user", "nobody"])
    assert missing.exit_code == 1
    assert "no user named 'nobody'" in missing.output
    with factory() as session:
        assert session.scalars(select(User)).all() == []
