"""Creating and checking API keys.

A key reads ``obss_<key id>_<secret>``. The key id locates the row; the secret is 256 bits of
randomness, so a plain SHA-256 digest compared in constant time is the right storage (slow
password hashes exist for low-entropy human passwords, not for random keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.auth.cache import verified_keys
from openbss.auth.models import ApiKey
from openbss.kit import names as kit_names
from openbss.kit.clock import now
from openbss.kit.errors import Unauthenticated, Unprocessable
from openbss.kit.security import Principal, Role

PREFIX = "obss"
_KEY_PATTERN = re.compile(r"^obss_([0-9a-f]{16})_([A-Za-z0-9_-]{20,})$")
_KEY_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
_FULL_KEY_ID = re.compile(r"^obss_([0-9a-f]{16})_")
PROVINCE_PATTERN = kit_names.PROVINCE_PATTERN


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, role: Role | str, province: str | None = None, label: str | None = None
) -> str:
    """Create a key and return it in clear text — the only time it is ever visible."""
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Unprocessable(f"unknown role {role!r}; choose one of {allowed}") from None
    if province is not None and not PROVINCE_PATTERN.match(province):
        raise Unprocessable(f"province code must be 2-8 capital letters, got {province!r}")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            secret_sha256=_digest(secret),
            role=role.value,
            province=province,
            label=label,
        )
    )
    session.flush()
    return f"{PREFIX}_{key_id}_{secret}"


def _parse(presented: str | None) -> tuple[str, str]:
    """(key id, secret) of a bearer token, or 401."""
    if not presented:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer <key>'")
    match = _KEY_PATTERN.match(presented.strip())
    if match is None:
        raise Unauthenticated("the API key is malformed")
    key_id, secret = match.groups()
    return key_id, secret


def _verify(session: Session, key_id: str, secret_digest: str) -> Principal:
    row = session.get(ApiKey, key_id)
    if row is None or not hmac.compare_digest(row.secret_sha256, secret_digest):
        raise Unauthenticated("the API key is not valid")
    if row.revoked_at is not None:
        raise Unauthenticated("the API key has been revoked")
    return Principal(key_id=row.id, role=Role(row.role), province=row.province)


def authenticate(session: Session, presented: str | None) -> Principal:
    """Resolve a bearer token to a principal, or raise 401."""
    key_id, secret = _parse(presented)
    return _verify(session, key_id, _digest(secret))


def authenticate_cached(
    open_session: Callable[[], Session], presented: str | None, ttl: float
) -> Principal:
    """``authenticate`` for a server: a key verified less than ``ttl`` seconds ago in this
    process is not read again (see ``auth.cache``); otherwise its row is read in a session
    of its own, opened only then."""
    key_id, secret = _parse(presented)
    secret_digest = _digest(secret)
    cached = verified_keys.get(key_id, secret_digest)
    if cached is not None:
        return cached
    with open_session() as session:  # reads only; closing ends it
        principal = _verify(session, key_id, secret_digest)
    verified_keys.put(key_id, secret_digest, principal, ttl)
    return principal


def key_id_of(reference: str) -> tuple[str, bool]:
    """The key id an operator means, and whether they gave the whole key instead of its id.

    Nothing of ``reference`` beyond the id ever goes into a message: what was pasted may be a
    secret, and messages reach terminals, logs and scrollback.
    """
    text = reference.strip()
    if _KEY_ID_PATTERN.match(text):
        return text, False
    full = _FULL_KEY_ID.match(text)
    if full is not None:
        return full.group(1), True
    raise Unprocessable(
        "not a key id: a key id is 16 hexadecimal digits, as `openbss auth list-keys` shows "
        "(the value given is not repeated here, in case it was a secret)",
        code="INVALID_KEY_ID",
    )


def revoke_key(session: Session, key_id: str) -> bool:
    row = session.get(ApiKey, key_id)
    verified_keys.forget(key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now()
    return True


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))
