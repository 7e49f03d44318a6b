"""Online payment gateways' callbacks: signatures and freshness. Pure functions.

A gateway (支付宝, 微信支付, a bank's online channel) tells the operator that a customer paid by
POSTing a JSON body with two headers: ``X-Gateway-Timestamp`` (Unix seconds) and
``X-Gateway-Signature``, the hex HMAC-SHA256 of ``"<timestamp>.<raw body>"`` under the secret
the operator shares with that gateway. Signing the timestamp with the body means an old
callback cannot be replayed with a fresh timestamp; a replay within the window is still one
payment, because the gateway's transaction id is the payment's reference.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from openbss.kit.errors import Unauthenticated

# A callback is accepted within five minutes of its timestamp, either way (clocks drift).
FRESHNESS_SECONDS = 300


class BadSignature(Unauthenticated):
    code = "BAD_GATEWAY_SIGNATURE"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secrets: Mapping[str, str],
    gateway: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    at: datetime,
) -> None:
    """Refuse (401) a callback that is not signed by ``gateway``'s secret, or is stale."""
    secret = secrets.get(gateway)
    if not secret:
        raise BadSignature(f"unknown payment gateway {gateway!r}")
    if not timestamp or not signature:
        raise BadSignature("X-Gateway-Timestamp and X-Gateway-Signature are required")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise BadSignature("X-Gateway-Timestamp must be Unix seconds")
    if abs(at.timestamp() - int(timestamp)) > FRESHNESS_SECONDS:
        raise BadSignature("the callback's timestamp is outside the accepted window")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise BadSignature("the callback's signature does not match")
