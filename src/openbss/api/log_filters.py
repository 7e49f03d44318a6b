"""Keep personal data out of the server's access log.

List filters travel in query strings (``?contactMedium.characteristic.phoneNumber=…``), so the
access log records only the path and the names of the query parameters, never their values.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl


def redact_query(path: str) -> str:
    base, _, query = path.partition("?")
    if not query:
        return base
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    return base + "?" + "&".join(f"{name}=…" for name in names)


class RedactQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactQueryValues())
