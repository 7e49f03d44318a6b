"""Signing event deliveries so that a listener can tell them from forgeries.

The scheme is Stripe's: each subscription has its own secret, returned once when it is
created; every delivery carries

- ``X-Openbss-Timestamp``: the Unix time of the attempt, in seconds;
- ``X-Openbss-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the secret, of
  ``<timestamp>.<raw request body>``.

The listener recomputes the HMAC over the bytes it received and compares in constant time,
and refuses timestamps far from its own clock, so a captured delivery cannot be replayed
later (docs/webhooks.md has the receiving side).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TIMESTAMP_HEADER = "X-Openbss-Timestamp"
SIGNATURE_HEADER = "X-Openbss-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret


def new_secret() -> str:
    """256 random bits, URL-safe, recognisable as a webhook secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SCHEME}={signature(secret, timestamp, body)}",
    }


def verify(
    secret: str, timestamp: str, signature_header: str, body: bytes, now: int, tolerance: int = 300
) -> bool:
    """The listener's check (also what the documentation shows): a ``v1`` signature that
    matches, on a timestamp within ``tolerance`` seconds of ``now``."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature(secret, sent_at, body)
    candidates = [
        value
        for scheme, _, value in (p.partition("=") for p in signature_header.split(","))
        if scheme.strip() == SCHEME
    ]
    return any(hmac.compare_digest(expected, c.strip()) for c in candidates)
