"""Keep personal data out of the server's access log.

List filters travel in query strings (``?contactMedium.characteristic.phoneNumber=…``), so the
access log records only the names of the query parameters, never their values. Some paths
carry personal data too (``/api/v1/numbers/13312345678``): a path segment that reads as a
phone number or an identity number (身份证) is replaced by ``…``. Resource ids are UUIDs and
never read as either, so the log still says which resource a request touched.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import parse_qsl, unquote

REDACTED = "…"
# Separators people and clients put inside phone numbers: +86 138-0013-8000, (0755) 1234567.
_SEPARATORS = re.compile(r"[\s+\-().]")
# Seven digits and more: local fixed-line numbers have 7 or 8, mobiles 11, with prefixes more.
_PHONE = re.compile(r"^\d{7,}$")
# Resident identity numbers: 18 characters (the last may be X) or the old 15-digit form.
_IDENTITY = re.compile(r"^(\d{17}[\dX]|\d{15})$")


def is_personal(segment: str) -> bool:
    """Whether one path segment reads as a phone or identity number (full-width digits and
    percent-encoding included)."""
    text = unicodedata.normalize("NFKC", unquote(segment)).upper()
    compact = _SEPARATORS.sub("", text)
    return bool(_PHONE.match(compact) or _IDENTITY.match(compact))


def redact_path(path: str) -> str:
    return "/".join(REDACTED if is_personal(s) else s for s in path.split("/"))


def redact_query(path: str) -> str:
    """The request target for the log: personal path segments and every query value
    redacted."""
    base, _, query = path.partition("?")
    base = redact_path(base)
    if not query:
        return base
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    shown = [REDACTED if is_personal(name) else name for name in names]
    return base + "?" + "&".join(f"{name}={REDACTED}" for name in shown)


class RedactQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install() -> None:
    """Idempotent: each server process calls it once its logging is configured."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueryValues) for f in access.filters):
        access.addFilter(RedactQueryValues())
