"""Portal users: argon2 password hashes, server-side sessions and the login lockout.

A user is a person with a role and a province (or the group), like an API key; the portal
turns a logged-in user into the same :class:`~openbss.kit.security.Principal` an API key
gives, so a user can do exactly what a key of that role and province could do.

A session id is 256 random bits sent in a cookie; only its SHA-256 digest is stored (the same
reasoning as API keys: random secrets need no slow hash). A session ends when idle too long,
when too old whatever its use, at logout, and when the user is disabled.

Lockout: too many failed logins for one username, or from one source address, within the
lockout window refuse further logins (even with the right password) until the window has
passed since the last failure. A successful login clears the username's failures.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from openbss.auth.models import LoginFailure, User, UserSession
from openbss.kit import names as kit_names
from openbss.kit.clock import ensure_utc, now
from openbss.kit.errors import Conflict, NotFound, Unprocessable
from openbss.kit.security import Principal, Role

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a bound keeps hashing a request cheap

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("openbss-no-such-user")


@dataclass(frozen=True, slots=True)
class Lockout:
    """The lockout policy (from settings)."""

    attempts_per_user: int = 5
    attempts_per_address: int = 20
    minutes: int = 15


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_minutes: int = 30
    absolute_hours: int = 12


@dataclass(frozen=True, slots=True)
class LoginResult:
    """``session_id`` (the cookie value) on success; otherwise ``problem`` is ``"invalid"``
    (unknown user, wrong password or disabled: one answer, so usernames cannot be probed) or
    ``"locked"``."""

    user: User | None
    session_id: str | None
    problem: str | None


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    row: UserSession

    @property
    def principal(self) -> Principal:
        return principal_of(self.user)


def principal_of(user: User) -> Principal:
    """The principal a logged-in user acts as: their role and province, nothing more."""
    return Principal(key_id=f"user:{user.username}", role=Role(user.role), province=user.province)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise Unprocessable(
            "a username has 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            code="INVALID_USERNAME",
        )
    return name


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Unprocessable(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            code="INVALID_PASSWORD",
        )


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise Unprocessable(
            f"language must be one of {', '.join(LANGUAGES)}", code="INVALID_LANGUAGE"
        )
    return language


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    province: str | None,
    language: str = DEFAULT_LANGUAGE,
) -> User:
    name = check_username(username)
    check_password(password)
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Unprocessable(f"unknown role {role!r}; choose one of {allowed}") from None
    if province is not None and not kit_names.PROVINCE_PATTERN.match(province):
        raise Unprocessable(f"province code must be 2-8 capital letters, got {province!r}")
    check_language(language)
    if get_user(session, name) is not None:
        raise Conflict(f"a user named {name!r} already exists", code="DUPLICATE_USER")
    user = User(
        username=name,
        password_hash=_hasher.hash(password),
        role=role.value,
        province=province,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def disable_user(session: Session, username: str) -> None:
    """Disable a user and end their sessions."""
    user = get_user(session, username.strip().lower())
    if user is None:
        raise NotFound(f"no user named {username!r}", code="UNKNOWN_USER")
    if user.disabled_at is None:
        user.disabled_at = now()
    for row in session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ):
        row.ended_at = now()
    session.flush()


def set_language(session: Session, user_id: int, language: str) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", code="UNKNOWN_USER")
    user.language = check_language(language)
    session.flush()


def _recent_failures(
    session: Session, by: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    query = select(func.count()).select_from(LoginFailure).where(by == value)
    return session.scalar(query.where(LoginFailure.at > since)) or 0


def is_locked(session: Session, username: str, address: str, policy: Lockout) -> bool:
    since = now() - timedelta(minutes=policy.minutes)
    if (
        _recent_failures(session, LoginFailure.username, username, since)
        >= policy.attempts_per_user
    ):
        return True
    by_address = _recent_failures(session, LoginFailure.address, address, since)
    return by_address >= policy.attempts_per_address


def login(
    session: Session,
    username: str,
    password: str,
    address: str,
    lockout: Lockout,
) -> LoginResult:
    """Check a username and password and, when right and not locked, open a session.

    The caller commits whatever the result: a failure is recorded for the lockout.
    """
    name = username.strip().lower()[:64]
    address = address[:64]
    if is_locked(session, name, address, lockout):
        return LoginResult(None, None, "locked")
    user = get_user(session, name) if USERNAME_PATTERN.match(name) else None
    stored = user.password_hash if user is not None else _DUMMY_HASH
    verified: bool
    try:
        verified = _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        verified = False
    if user is None or not verified or user.disabled_at is not None:
        session.add(LoginFailure(username=name, address=address))
        cutoff = now() - timedelta(minutes=lockout.minutes)
        session.execute(delete(LoginFailure).where(LoginFailure.at <= cutoff))
        session.flush()
        return LoginResult(None, None, "invalid")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    user.last_login_at = now()
    return LoginResult(user, start_session(session, user), None)


def start_session(session: Session, user: User) -> str:
    """A new session for ``user``; returns the cookie value (shown only here)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        UserSession(id_sha256=_digest(raw), user_id=user.id, csrf_token=secrets.token_urlsafe(32))
    )
    session.flush()
    return raw


def resolve_session(
    session: Session, raw: str | None, policy: SessionPolicy
) -> ActiveSession | None:
    """The live session a cookie names, or None (unknown, ended, idle or too old, or the
    user disabled). Marks it seen, at most once a minute, so reads rarely write."""
    if not raw or len(raw) > 128:
        return None
    row = session.get(UserSession, _digest(raw))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(User, row.user_id)
    moment = now()
    if (
        user is None
        or user.disabled_at is not None
        or ensure_utc(row.last_seen_at) + timedelta(minutes=policy.idle_minutes) <= moment
        or ensure_utc(row.created_at) + timedelta(hours=policy.absolute_hours) <= moment
    ):
        return None
    if moment - ensure_utc(row.last_seen_at) > timedelta(minutes=1):
        row.last_seen_at = moment
        session.flush()
    return ActiveSession(user, row)


def csrf_matches(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())


def end_session(session: Session, raw: str | None) -> None:
    if not raw or len(raw) > 128:
        return
    row = session.get(UserSession, _digest(raw))
    if row is not None and row.ended_at is None:
        row.ended_at = now()
        session.flush()
