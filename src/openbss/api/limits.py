"""Request body limits, enforced before any route runs.

An ASGI middleware rather than a dependency, so that it covers every route (including those
whose body FastAPI parses into a model) and refuses an oversized body while reading it: the
``Content-Length`` is checked first, and a chunked body is counted as it arrives, so no more
than ``MAX_BODY_BYTES`` is ever held. A JSON body is then parsed strictly once
(``kit.limits.parse_json_body``: no NaN/Infinity, bounded depth, string and list lengths);
the route parses the same bytes again, which costs little next to its database work.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openbss.kit.errors import OpenBSSError, PayloadTooLarge
from openbss.kit.limits import MAX_BODY_BYTES, parse_json_body

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _is_json(content_type: str | None) -> bool:
    # The JSON routes read the body whatever it is labelled, so an unlabelled body counts.
    if content_type is None or not content_type.strip():
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


class BodyLimits:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            if body.strip() and _is_json(_header(scope, b"content-type")):
                parse_json_body(body)
        except OpenBSSError as error:
            await _answer(send, error, problem=scope["path"].startswith(PROBLEM_DETAILS_PREFIX))
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        too_large = PayloadTooLarge(f"the request body exceeds {self.max_bytes} bytes")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the app, then defers to the server's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# 3GPP service-based interfaces answer errors as ProblemDetails (TS 29.501), not TMF630.
PROBLEM_DETAILS_PREFIX = "/nchf-"


async def _answer(send: Send, error: OpenBSSError, *, problem: bool = False) -> None:
    payload: dict[str, Any] = error.to_tmf()
    media = b"application/json"
    if problem:
        cause = "INVALID_MSG_FORMAT" if error.status == 400 else error.code
        payload = {"title": error.reason, "status": error.status, "detail": error.message,
                   "cause": cause}  # fmt: skip
        media = b"application/problem+json"
    content = json.dumps(payload).encode()
    headers = [
        (b"content-type", media),
        (b"content-length", str(len(content)).encode()),
    ]
    if isinstance(error, PayloadTooLarge):  # the rest of the body is not read
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
