"""One error hierarchy for the whole product.

Every error carries a stable machine code, a short reason, a human message and the HTTP
status it maps to; the API renders it as TMF error JSON ``{code, reason, message, status}``,
the CLI as a message and a non-zero exit. Domains subclass these with their own codes.
"""

from __future__ import annotations


class OpenBSSError(Exception):
    """Base of every error that is the caller's fault or an expected business refusal."""

    status: int = 400
    code: str = "BAD_REQUEST"
    reason: str = "Bad request"

    def __init__(self, message: str, *, code: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if reason is not None:
            self.reason = reason

    def to_tmf(self) -> dict[str, str]:
        """The TMF630 error body. ``status`` is a string in the TMF schema."""
        return {
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status),
            "@type": "Error",
        }


class BadRequest(OpenBSSError):
    """Malformed input: unparsable JSON, wrong types, missing mandatory attributes."""

    status = 400
    code = "BAD_REQUEST"
    reason = "Bad request"


class Unauthenticated(OpenBSSError):
    status = 401
    code = "UNAUTHENTICATED"
    reason = "Missing or invalid credentials"


class Forbidden(OpenBSSError):
    status = 403
    code = "FORBIDDEN"
    reason = "Not allowed"


class NotFound(OpenBSSError):
    status = 404
    code = "NOT_FOUND"
    reason = "Resource not found"


class MethodNotAllowed(OpenBSSError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    reason = "Operation not allowed"


class Conflict(OpenBSSError):
    """The request is well-formed but clashes with current state (duplicates, lifecycle)."""

    status = 409
    code = "CONFLICT"
    reason = "Conflict with the current state"


class PreconditionFailed(OpenBSSError):
    """An ``If-Match`` that no longer matches: the resource changed since the client read it."""

    status = 412
    code = "PRECONDITION_FAILED"
    reason = "Precondition failed"


class PayloadTooLarge(OpenBSSError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "Payload too large"


class Unprocessable(OpenBSSError):
    """Well-formed but semantically invalid: bad checksum, unknown reference, bad value."""

    status = 422
    code = "UNPROCESSABLE"
    reason = "Semantically invalid request"


class NotImplementedOperation(OpenBSSError):
    status = 501
    code = "NOT_IMPLEMENTED"
    reason = "Operation not implemented"
