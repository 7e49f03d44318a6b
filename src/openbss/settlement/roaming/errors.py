"""Roaming settlement errors (stable codes for the API and the CLI)."""

from __future__ import annotations

from openbss.kit.errors import BadRequest, Conflict, NotFound


class MissingRate(BadRequest):
    """No exchange rate or inter-operator tariff covers a record: rates are data, add them."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="ROAMING_RATE_MISSING")


class RoamingFileRefused(BadRequest):
    """A file we were given is not one we can take (not TAP/RAP, not for us, unknown sender)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="ROAMING_FILE_REFUSED")


class SequenceClash(Conflict):
    """A different file arrived under a sequence number already received from that sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="ROAMING_SEQUENCE_CLASH")


class RoamingFileNotFound(NotFound):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="ROAMING_FILE_NOT_FOUND")
