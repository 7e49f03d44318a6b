"""Portal users in the auth domain: password hashes, lockout windows, session expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.auth import users
from openbss.auth.models import LoginFailure, User
from openbss.kit.clock import frozen_at
from openbss.kit.errors import Conflict, NotFound, Unprocessable

POLICY = users.Lockout(attempts_per_user=3, attempts_per_address=10, minutes=15)
SESSIONS = users.SessionPolicy(idle_minutes=30, absolute_hours=12)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_only_an_argon2_hash_is_stored(session: Session) -> None:
    user = users.create_user(session, "  Li.Na ", "s3cret-enough", "csr", "GD")
    assert user.username == "li.na"
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-enough" not in user.password_hash
    assert user.language == "zh-CN"
    with pytest.raises(Conflict):
        users.create_user(session, "li.na", "another-password", "csr", "GD")


@pytest.mark.parametrize(
    ("username", "password", "role", "province", "language"),
    [
        ("x", "long-enough", "csr", "GD", "en"),  # too short a name
        ("bad name", "long-enough", "csr", "GD", "en"),
        ("ok.name", "short", "csr", "GD", "en"),
        ("ok.name", "long-enough", "king", "GD", "en"),
        ("ok.name", "long-enough", "csr", "guangdong", "en"),
        ("ok.name", "long-enough", "csr", "GD", "fr"),
    ],
)
def test_bad_users_are_refused(
    session: Session, username: str, password: str, role: str, province: str, language: str
) -> None:
    with pytest.raises(Unprocessable):
        users.create_user(session, username, password, role, province, language)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_lockout_lasts_the_window_after_the_last_failure(session: Session) -> None:
    users.create_user(session, "wang", "right-password", "csr", "GD")
    with frozen_at(T0):
        for _ in range(3):
            assert users.login(session, "wang", "wrong", "10.0.0.1", POLICY).problem == "invalid"
        assert users.login(session, "wang", "right-password", "10.0.0.1", POLICY).problem == (
            "locked"
        )
    with frozen_at(T0 + timedelta(minutes=14, seconds=59)):
        assert users.login(session, "wang", "right-password", "10.0.0.2", POLICY).problem == (
            "locked"
        )
    with frozen_at(T0 + timedelta(minutes=15, seconds=1)):
        result = users.login(session, "wang", "right-password", "10.0.0.1", POLICY)
        assert result.problem is None
        assert result.session_id is not None
    # a success clears the user's failures
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_sessions_expire_when_idle_and_when_old(session: Session) -> None:
    user = users.create_user(session, "chen", "right-password", "csr", "GD")
    with frozen_at(T0):
        raw = users.start_session(session, user)
    with frozen_at(T0 + timedelta(minutes=29)):
        active = users.resolve_session(session, raw, SESSIONS)
        assert active is not None
        assert active.principal.key_id == "user:chen"
        assert active.principal.province == "GD"
    # seen at 09:29, so still alive at 09:58; not at 09:59:01
    with frozen_at(T0 + timedelta(minutes=58)):
        assert users.resolve_session(session, raw, SESSIONS) is not None
    with frozen_at(T0 + timedelta(minutes=88, seconds=1)):
        assert users.resolve_session(session, raw, SESSIONS) is None
    # kept busy, it still ends after twelve hours
    with frozen_at(T0):
        raw = users.start_session(session, user)
    moment = T0
    while moment < T0 + timedelta(hours=11, minutes=59):
        moment += timedelta(minutes=20)
        with frozen_at(moment):
            users.resolve_session(session, raw, SESSIONS)
    with frozen_at(T0 + timedelta(hours=12)):
        assert users.resolve_session(session, raw, SESSIONS) is None
    assert users.resolve_session(session, "x" * 500, SESSIONS) is None


def test_disabling_ends_sessions(session: Session) -> None:
    user = users.create_user(session, "zhou", "right-password", "admin", None)
    raw = users.start_session(session, user)
    users.disable_user(session, "ZHOU")
    assert users.resolve_session(session, raw, SESSIONS) is None
    assert users.login(session, "zhou", "right-password", "10.0.0.1", POLICY).problem == "invalid"
    with pytest.raises(NotFound):
        users.disable_user(session, "nobody")
