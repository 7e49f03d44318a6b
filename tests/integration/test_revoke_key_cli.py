"""``openbss auth revoke-key``: by key id; a pasted whole key is never printed back, and the
revoked key's hub listeners go with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from openbss.auth.models import ApiKey
from openbss.auth.service import create_key
from openbss.cli.main import app
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.events import outbox
from openbss.events.models import HubSubscription
from openbss.kit.security import Principal, Role
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


def new_key(factory: sessionmaker[Session], with_listener: bool = False) -> tuple[str, str]:
    with unit_of_work(factory) as s:
        key = create_key(s, "csr", "GD")
        key_id = key.split("_")[1]
        if with_listener:
            principal = Principal(key_id=key_id, role=Role.CSR, province="GD")
            outbox.subscribe(s, principal, "party", "http://127.0.0.1:9/", None, ["individual"])
    return key, key_id


def revoked(factory: sessionmaker[Session], key_id: str) -> bool:
    with factory() as s:
        row = s.get(ApiKey, key_id)
        return row is not None and row.revoked_at is not None


def test_revoke_by_id_removes_the_keys_listeners(factory: sessionmaker[Session]) -> None:
    _, key_id = new_key(factory, with_listener=True)
    result = CliRunner().invoke(app, ["auth", "revoke-key", key_id])
    assert result.exit_code == 0, result.output
    assert f"key {key_id} revoked" in result.output
    assert "1 hub listener" in result.output
    assert revoked(factory, key_id)
    with factory() as s:
        assert s.scalars(select(HubSubscription)).first() is None


def test_a_whole_key_is_revoked_by_its_id_and_never_printed(
    factory: sessionmaker[Session],
) -> None:
    key, key_id = new_key(factory)
    secret = key.split("_", 2)[2]
    result = CliRunner().invoke(app, ["auth", "revoke-key", key])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    assert key_id in result.output
    assert revoked(factory, key_id)


def test_anything_else_is_refused_without_being_echoed(factory: sessionmaker[Session]) -> None:
    key, key_id = new_key(factory)
    for garbage in ("obss-" + key[5:], key.split("_", 2)[2], "13312345678"):
        result = CliRunner().invoke(app, ["auth", "revoke-key", garbage])
        assert result.exit_code == 1
        assert "not a key id" in result.output
        assert garbage not in result.output
    assert not revoked(factory, key_id)
    unknown = CliRunner().invoke(app, ["auth", "revoke-key", "0123456789abcdef"])
    assert unknown.exit_code == 1 and "no active key 0123456789abcdef" in unknown.output
